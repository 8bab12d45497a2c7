#!/usr/bin/env bash
# The BiLSTM-CRF tagger, axon vs PyTorch, 2 threads. Usage: bench/ner.sh [--quick]  (= bench/run.sh ner)
#   step    one training step of the same BiLSTM-CRF (bench/ner.c vs tools/bench_ner_torch.py: word 100, case 8, char
#           BiLSTM 25 + 25, BiLSTM 100 + 100, 9 tags, batch 32 x 25 tokens, Adam): tokens/s; and the CRF loss alone
#   bert    one fine-tuning step of the BERT-style tagger (d 128, 4 heads, d_ff 512, 2 layers, BPE 4000, batch 32 x 40
#           sub-words, 25 labelled words each, Adam): tokens (words)/s
#   f1      `axon train ner` with no --data (the weak labels of the default corpora, 1.85 M tokens an epoch) for
#           $AXON_NER_EPOCHS (default 4) epochs, validated on the gold dev set ($AXON_NER_DEV, default
#           data/ner-gold/dev.conll): the best epoch's entity F1; n/a when the weak labeller is missing
#   axon: OMP_WAIT_POLICY unset; PyTorch: OMP_WAIT_POLICY=PASSIVE, OpenBLAS env cleared (as bench/run.sh gemm).
#   --quick: 1 training epoch (a smoke run; the F1 means little).
#   Ends with: RESULT bilstm_crf_ratio=… bert_ratio=… f1_dev_best=…
#   (ratio: axon tokens/s / PyTorch tokens/s, > 1 = axon faster)
# Builds Release into build-bench/ (or $AXON_BENCH_BUILD) when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXON_BENCH_BUILD:-build-bench}
dev=${AXON_NER_DEV:-data/ner-gold/dev.conll}
[ -r "$dev" ] || dev=../shared/fixtures/ner-gold/dev.conll
epochs=${AXON_NER_EPOCHS:-4}
if [ "${1:-}" = "--quick" ]; then epochs=1; fi

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target bench_ner axon_cli; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# <who> bilstm-crf threads=<n> step <ms> <tokens/s>;  <who> crf threads=<n> fwdbwd <ms>"
env -u OMP_WAIT_POLICY "$build/bench/ner" 2 | tee "$tmp/axon"
(cd tools && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench_ner_torch.py 2) |
    tee "$tmp/torch"
echo "# axon train ner --epochs $epochs (weak labels of the default corpora) --valid $dev, 2 threads"
if env -u OMP_WAIT_POLICY "$build/axon" train ner --valid "$dev" --epochs "$epochs" --threads 2 --out "$tmp/run" \
    --quiet --json >"$tmp/train" 2>"$tmp/train.err"; then
    cat "$tmp/train"
else
    echo "# no F1: $(tail -n1 "$tmp/train.err")"
fi

awk '
FNR == 1 { file++ }
file == 1 && $2 == "bilstm-crf" { a = $NF }
file == 1 && $2 == "crf" { ac = $NF }
file == 1 && $2 == "bert" { ab = $NF }
file == 2 && $2 == "bert" { tb = $NF }
file == 2 && $2 == "bilstm-crf" { t = $NF }
file == 2 && $2 == "crf" { tc = $NF }
file == 3 && /^\{/ { match($0, /"best_val_f1": ?[0-9.]+/); f = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", f) }
END {
    printf "BiLSTM-CRF step: axon %.0f, PyTorch %.0f tokens/s: %.2fx; CRF alone: axon %.3f ms, PyTorch %.3f ms\n",
           a, t, a / t, ac, tc
    printf "BERT-style step: axon %.0f, PyTorch %.0f tokens/s: %.2fx\n", ab, tb, ab / tb
    printf "RESULT bilstm_crf_ratio=%.2f bert_ratio=%.2f f1_dev_best=%s\n", a / t, ab / tb, f == "" ? "n/a" : sprintf("%.2f", f)
}' "$tmp/axon" "$tmp/torch" "$tmp/train"

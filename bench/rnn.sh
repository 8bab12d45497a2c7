#!/usr/bin/env bash
# Recurrent networks, axon vs PyTorch, 2 threads. Usage: bench/rnn.sh [--quick]  (= bench/run.sh rnn)
#   layers    LSTM and GRU layers (1/2/4 x 256, batch 64, 100 steps) forward + backward: characters/s
#             (bench/rnn.c vs tools/bench_rnn_torch.py); char_lstm_ratio is the case study's 4-layer LSTM
#   seq2seq   one training step of the GRU + attention translator (Bahdanau, emb 128, hidden 128, batch 64 of 12-word
#             pairs, the German-English vocabularies): target words/s; seq2seq_ratio
#   bleu      `axon train seq2seq --epochs N` (otherwise its defaults) vs the same training in PyTorch
#             (tools/seq2seq_torch.py) on the same split of data/make_de_en.sh's pairs: the test BLEU of each side's
#             best-validation epoch (axon bleu on the normalised words) and the training words/s of the whole run
#   axon: OMP_WAIT_POLICY unset; PyTorch: OMP_WAIT_POLICY=PASSIVE, OpenBLAS env cleared (as bench/run.sh gemm).
#   Data: $AXON_DE_EN (default data/de-en) with train.tsv, valid.tsv, test.tsv; N = $AXON_S2S_EPOCHS (default 6).
#   --quick: 1 epoch on the first 1000 training pairs (a smoke run; the numbers mean little).
#   Ends with: RESULT char_lstm_ratio=… seq2seq_ratio=… bleu_delta=…
#   (ratios: axon speed / PyTorch speed, > 1 = axon faster; delta: axon − PyTorch test BLEU)
# Builds Release into build-bench/ (or $AXON_BENCH_BUILD) when needed. The full run takes about 20 minutes on an idle
# 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXON_BENCH_BUILD:-build-bench}
data=${AXON_DE_EN:-data/de-en}
epochs=${AXON_S2S_EPOCHS:-6}
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1 epochs=1; fi
for f in train valid test; do
    [ -r "$data/$f.tsv" ] || { echo "bench/rnn.sh: $data/$f.tsv is missing: run data/make_de_en.sh $data" >&2; exit 1; }
done

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target bench_rnn axon_cli; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $quick = 1 ]; then
    mkdir "$tmp/data"
    head -1000 "$data/train.tsv" >"$tmp/data/train.tsv"
    head -200 "$data/valid.tsv" >"$tmp/data/valid.tsv"
    head -200 "$data/test.tsv" >"$tmp/data/test.tsv"
    data=$tmp/data
fi
torch() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/bench_rnn_torch.py "$@"; }

echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# <who> <cell> L=<layers> threads=<n> fwd <ms> fwdbwd <ms> <chars/s>;  <who> seq2seq threads=<n> step <ms> <words/s>"
env -u OMP_WAIT_POLICY "$build/bench/rnn" 2 | tee "$tmp/axon"
torch 2 | tee "$tmp/torch"
echo "# axon train seq2seq --epochs $epochs vs tools/seq2seq_torch.py, 2 threads, $data"
env -u OMP_WAIT_POLICY "$build/axon" train seq2seq --data "$data/train.tsv" --epochs "$epochs" --threads 2 \
    --out "$tmp/run" --quiet --json | tee "$tmp/axon_train"
torch train-seq2seq "$data" "$epochs" 2 "$build/axon" | tee "$tmp/torch_train"

awk '
FNR == 1 { file++ }
file == 1 && $2 == "lstm" && $3 == "L=4" { a_lstm = $NF }
file == 1 && $2 == "seq2seq" { a_s2s = $NF }
file == 2 && $2 == "lstm" && $3 == "L=4" { t_lstm = $NF }
file == 2 && $2 == "seq2seq" { t_s2s = $NF }
file >= 3 && /^\{/ {
    match($0, /"test_bleu": ?[0-9.]+/); b = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", b)
    match($0, /"tokens_per_s": ?[0-9.]+/); w = substr($0, RSTART, RLENGTH); sub(/.*: ?/, "", w)
    bleu[file] = b; words[file] = w
}
END {
    printf "char-LSTM layers (4 x 256): axon %.0f, PyTorch %.0f chars/s: %.2fx\n", a_lstm, t_lstm, a_lstm / t_lstm
    printf "seq2seq step: axon %.0f, PyTorch %.0f words/s: %.2fx\n", a_s2s, t_s2s, a_s2s / t_s2s
    printf "seq2seq training run: axon %.0f, PyTorch %.0f words/s: %.2fx; test BLEU axon %.2f, PyTorch %.2f\n",
           words[3], words[4], words[3] / words[4], bleu[3], bleu[4]
    printf "RESULT char_lstm_ratio=%.2f seq2seq_ratio=%.2f bleu_delta=%.2f\n", a_lstm / t_lstm, a_s2s / t_s2s,
           bleu[3] - bleu[4]
}' "$tmp/axon" "$tmp/torch" "$tmp/axon_train" "$tmp/torch_train"

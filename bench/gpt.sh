#!/usr/bin/env bash
# GPT training and generation, axon vs PyTorch, 2 threads. Usage: bench/gpt.sh [--quick]  (= bench/run.sh gpt)
#   small     nanoGPT's CPU config (4 layers, 4 heads, 128 wide, block 64, batch 12, char vocabulary of the built-in
#             Austen corpus): ms/step and tokens/s of training steps; best of 3 runs a side
#   124m      GPT-2 124M, batch 4, block 64: ms/step (axon 3 steps, PyTorch 2; after 1 untimed step)
#   generate  GPT-2 124M, greedy generation with a KV cache, 64 tokens after a 16-token prompt: tokens/s
#   val       `axon train gpt --max-iters 2000` (otherwise its defaults: config small, nanoGPT's hyper-parameters)
#             vs the same training in PyTorch: validation loss on the same 240 fixed windows of the last 10 % of the
#             corpus
#   and the peak RSS of each process. axon: bench/gpt.c and `axon train gpt`, OMP_WAIT_POLICY unset (small also
#   PASSIVE); PyTorch: tools/bench_gpt_torch.py (tools/gpt_reference.py), OMP_WAIT_POLICY=PASSIVE.
#   --quick: fewer steps everywhere and 100 training steps for val (a smoke run; the numbers mean little).
#   Ends with: RESULT train_small_ratio=… train_124m_ratio=… generate_ratio=… val_loss_delta=…
#   (ratios: axon speed / PyTorch speed, > 1 = axon faster; delta: axon − PyTorch validation loss)
# Builds Release into build-bench/ when needed. The full run takes about an hour (PyTorch's 2000 steps).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-bench
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; fi

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target bench_gpt axon_cli; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gzip -dc data/austen.txt.gz >"$tmp/austen.txt"
export AX_THREADS=2
if [ $quick = 1 ]; then small=(10 5) big=(1 1) gen=16 val=100; else small=(50 20) big=(3 2) gen=64 val=2000; fi

axon() { env -u OMP_WAIT_POLICY "$build/bench/gpt" "$@"; }
passive() { env OMP_WAIT_POLICY=PASSIVE "$build/bench/gpt" "$@"; }
torch() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
        /usr/bin/python3 tools/bench_gpt_torch.py "$@" --threads 2 | grep -v '^#'
}
# the line with the most tokens/s (5th field) of N runs of a command printing "<who> <mode> <threads> <ms> <tok/s> <MB>"
best_of() {
    local n=$1 best="" line
    shift
    for ((i = 0; i < n; i++)); do
        line=$("$@")
        if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[5] > y[5]) }'; then
            best=$line
        fi
    done
    echo "$best"
}

echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# <who> <mode> <threads> <ms per step or token> <tokens/s> <peak RSS MB>"
a_small=$(best_of 3 axon small "$tmp/austen.txt" "${small[0]}")
p_small=$(best_of 3 passive small "$tmp/austen.txt" "${small[0]}")
t_small=$(best_of 3 torch small --text "$tmp/austen.txt" --steps "${small[1]}")
a_big=$(axon 124m "${big[0]}")
t_big=$(torch 124m --steps "${big[1]}")
a_gen=$(axon generate "$gen")
t_gen=$(torch generate --steps "$gen")
printf '%s\n%s   (PASSIVE)\n%s\n%s\n%s\n%s\n%s\n' "$a_small" "$p_small" "$t_small" "$a_big" "$t_big" "$a_gen" "$t_gen"

# validation loss after $val steps: the trainer itself on axon's side
echo "# val: axon train gpt --max-iters $val --threads 2 (defaults otherwise) | torch val --steps $val"
/usr/bin/time -f "%M %e" -o "$tmp/time" env -u OMP_WAIT_POLICY "$build/axon" train gpt --out "$tmp/run" --max-iters "$val" \
    --threads 2 --quiet --json >"$tmp/axon_val"
a_val=$(sed -n 's/.*"val_loss":\([0-9.]*\).*/\1/p' "$tmp/axon_val")
read -r a_rss a_secs <"$tmp/time"
echo "axon val $val $a_val $a_secs $((a_rss / 1024))"
t_val=$(torch val --text "$tmp/austen.txt" --steps "$val")
echo "$t_val"

awk -v as="$a_small" -v ts="$t_small" -v ab="$a_big" -v tb="$t_big" -v ag="$a_gen" -v tg="$t_gen" -v av="$a_val" \
    -v tv="$t_val" 'BEGIN {
    split(as, a); split(ts, t); small = a[5] / t[5]
    split(ab, a); split(tb, t); big = a[5] / t[5]
    split(ag, a); split(tg, t); gen = a[5] / t[5]
    split(tv, t); delta = av - t[4]
    printf "RESULT train_small_ratio=%.2f train_124m_ratio=%.2f generate_ratio=%.2f val_loss_delta=%+.4f\n", small, big, gen, delta
}'

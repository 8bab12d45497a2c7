#!/usr/bin/env bash
# Data-parallel training on this machine: `axon train gpt` (its defaults: the small GPT, 4 layers, 128 wide,
# block 64, batch 12, char-level Austen) as 1 process × 2 threads vs `mpirun -np 2` × 1 thread (each rank 6 of the
# 12 windows of a step, gradients all-reduced). Usage: bench/mpi.sh [--quick]  (= bench/run.sh mpi)
#   tokens/s  from metrics.jsonl, the mean over the metrics lines after the first (which holds the warm-up step)
#   comm ms   all-reduce time per step (metrics.jsonl "comm_ms": packing + MPI_Allreduce of the 0.8M gradients)
#   big       the same all-reduce for a 12-layer, 768-wide GPT (GPT-2 124M's blocks; char vocabulary and block 32,
#             so 85.1M parameters): ms per step and the bandwidth it implies, to check docs/scaling.md's model
#   --quick   fewer steps, no `big` (a smoke run; the numbers mean little)
# Ends with: RESULT mpi_2rank_vs_1rank=<tokens/s of 2 ranks / 1 process> allreduce_ms=<small GPT, per step>
# Builds Release into build-bench/ (with AXON_MPI) when needed; $AXON_BENCH_BUILD picks another build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXON_BENCH_BUILD:-build-bench}
steps=60 big=1
if [ "${1:-}" = "--quick" ]; then steps=20 big=0; fi
command -v mpirun >/dev/null || { echo "bench/mpi.sh: needs mpirun (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAXON_MPI=ON && cmake --build "$build" -j"$(nproc)" --target axon_cli; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # CI and containers run as root
axon="$build/axon"
common=(--max-iters "$steps" --log-every 10 --eval-interval "$steps" --eval-iters 1 --quiet)

# mean tokens_per_s and comm_ms of the metrics lines after the first
summary() {
    awk -F'[:,}]' '/"loss"/ && ++n > 1 { for (i = 1; i < NF; i++) { if ($i ~ /tokens_per_s/) t += $(i + 1); if ($i ~ /comm_ms/) c += $(i + 1) } m++ }
        END { printf "%.0f %.2f\n", m ? t / m : 0, m ? c / m : 0 }' "$1/metrics.jsonl"
}

echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(mpirun --version | head -n1); axon train gpt (defaults: the small GPT), $steps steps"
"$axon" train gpt --threads 2 --out "$tmp/one" "${common[@]}" >/dev/null
read -r one_tok _ < <(summary "$tmp/one")
mpirun -np 2 --bind-to core "$axon" train gpt --threads 1 --out "$tmp/two" "${common[@]}" >/dev/null
read -r two_tok two_comm < <(summary "$tmp/two")
echo "1 rank  x 2 threads: $one_tok tokens/s"
echo "2 ranks x 1 thread:  $two_tok tokens/s, all-reduce $two_comm ms per step (0.80M parameters, 3.2 MB)"

if [ $big = 1 ]; then
    mpirun -np 2 --bind-to core "$axon" train gpt --threads 1 --out "$tmp/big" --n-layer 12 --n-head 12 --n-embd 768 \
        --block-size 32 --batch-size 2 --max-iters 4 --log-every 1 --eval-interval 4 --eval-iters 1 --quiet >/dev/null
    read -r _ big_comm < <(summary "$tmp/big")
    awk -v ms="$big_comm" 'BEGIN { bytes = 85.14e6 * 4; printf "2 ranks, 85.1M parameters (%.0f MB): all-reduce %.0f ms per step, %.1f GB/s of gradient\n", bytes / 1e6, ms, bytes / (ms / 1e3) / 1e9 }'
fi
awk -v a="$one_tok" -v b="$two_tok" -v c="$two_comm" 'BEGIN { printf "RESULT mpi_2rank_vs_1rank=%.2f allreduce_ms=%.2f\n", b / a, c }'

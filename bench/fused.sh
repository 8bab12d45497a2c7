#!/usr/bin/env bash
# Fused kernels vs their PyTorch equivalents. Usage: bench/fused.sh [threads ...]   (default: 2)
#   axon (bench/fused.c: softmax, cross-entropy, layernorm, GELU through the ops, forward and forward + backward;
#   one AdamW step) with OMP_WAIT_POLICY unset and PASSIVE; PyTorch (tools/bench_fused_torch.py: F.softmax,
#   F.cross_entropy, F.layer_norm, F.gelu, torch.optim.AdamW(foreach=True)) on the same GPT-2-small shapes.
#   Table in ms (best of several runs); ratio = PyTorch ms / axon ms (> 1: axon faster), axon with
#   OMP_WAIT_POLICY unset. Ends with one RESULT line over the rows with 2 threads (or the first thread count):
#   fused_min_ratio (the slowest kernel relative to PyTorch) fused_geomean_ratio
# Builds Release into build-bench/ when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-bench
threads=("${@:-2}")

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target bench_fused; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# axon:    OMP_WAIT_POLICY unset, then OMP_WAIT_POLICY=PASSIVE"
echo "# PyTorch: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/bench_fused_torch.py"
env -u OMP_WAIT_POLICY "$build/bench/fused" "${threads[@]}" >"$tmp/axon"
OMP_WAIT_POLICY=PASSIVE "$build/bench/fused" "${threads[@]}" >"$tmp/axon_passive"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 tools/bench_fused_torch.py "${threads[@]}" >"$tmp/torch"
grep -h '^#' "$tmp/axon" "$tmp/torch"

# fields: <who> <kernel> <shape> <threads> <ms>
want=${threads[0]} # the thread count the RESULT line covers: 2 when measured
for t in "${threads[@]}"; do if [ "$t" = 2 ]; then want=2; fi; done
awk -v want="$want" '
FNR == 1 { file++ }
$1 == "axon" && file == 1 { key = $2 " " $3 " " $4; axon[key] = $5; keys[++n] = key }
$1 == "axon" && file == 2 { passive[$2 " " $3 " " $4] = $5 }
$1 == "torch" { torch[$2 " " $3 " " $4] = $5 }
END {
    printf "%-14s %-12s %-3s %10s %10s %10s %7s\n", "kernel", "shape", "thr", "axon", "axon-PASV", "torch", "ratio"
    min = 1e9; logsum = 0; m = 0
    for (i = 1; i <= n; i++) {
        if (!(keys[i] in torch)) continue
        split(keys[i], p, " ")
        r = torch[keys[i]] / axon[keys[i]]
        printf "%-14s %-12s %-3s %10.3f %10.3f %10.3f %7.2f\n", p[1], p[2], p[3], axon[keys[i]], passive[keys[i]],
               torch[keys[i]], r
        if (p[3] != want) continue
        if (r < min) min = r
        logsum += log(r); m++
    }
    printf "(ms; ratio = torch / axon with OMP_WAIT_POLICY unset, > 1: axon faster)\n"
    printf "RESULT fused_min_ratio=%.2f fused_geomean_ratio=%.2f\n", m ? min : 0, m ? exp(logsum / m) : 0
}' "$tmp/axon" "$tmp/axon_passive" "$tmp/torch"

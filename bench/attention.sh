#!/usr/bin/env bash
# Fused attention vs PyTorch's explicit composition. Usage: bench/attention.sh
#   axon (bench/attention.c) with OMP_WAIT_POLICY unset and PASSIVE; PyTorch (tools/bench_attention_torch.py)
#   softmax(q·kᵀ·scale + causal mask)·v; B = 1, H = 12, D = 64, causal, T = 64, 256, 1024, 1 and 2 threads.
#   Table in ms (best of several runs); ratio = PyTorch ms / axon ms (> 1: axon faster), axon with
#   OMP_WAIT_POLICY unset. Then axon alone on (B, T, H, D) inputs seen as transposed views: read through
#   strides (view) or copied contiguous first (packed). Ends with one RESULT line: forward + backward,
#   2 threads, per T:  attn_t64_ratio attn_t256_ratio attn_t1024_ratio
# Builds Release into build-bench/ when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-bench

mkdir -p "$build"
log="$build/bench-build.log"
{ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target bench_attention; } \
    >"$log" 2>&1 || { cat "$log"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# axon:    OMP_WAIT_POLICY unset, then OMP_WAIT_POLICY=PASSIVE"
echo "# PyTorch: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/bench_attention_torch.py"
env -u OMP_WAIT_POLICY "$build/bench/attention" >"$tmp/axon"
OMP_WAIT_POLICY=PASSIVE "$build/bench/attention" >"$tmp/axon_passive"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 tools/bench_attention_torch.py >"$tmp/torch"
grep -h '^#' "$tmp/axon" "$tmp/torch"

# fields: <who> <T> <threads> <mode> <ms>
awk '
FNR == 1 { file++ }
$1 == "axon" && file == 1 { key = $2 " " $3 " " $4; axon[key] = $5; keys[++n] = key }
$1 == "axon" && file == 2 { passive[$2 " " $3 " " $4] = $5 }
$1 == "torch" { torch[$2 " " $3 " " $4] = $5 }
END {
    printf "%-5s %-3s %-7s %10s %10s %10s %7s\n", "T", "thr", "mode", "axon", "axon-PASV", "torch", "ratio"
    for (i = 1; i <= n; i++) {
        if (!(keys[i] in torch)) continue
        split(keys[i], p, " ")
        r = torch[keys[i]] / axon[keys[i]]
        printf "%-5s %-3s %-7s %10.3f %10.3f %10.3f %7.2f\n", p[1], p[2], p[3], axon[keys[i]], passive[keys[i]],
               torch[keys[i]], r
        if (p[3] == "fwdbwd" && p[2] == 2) result = result sprintf(" attn_t%s_ratio=%.2f", p[1], r)
    }
    printf "(ms; ratio = torch / axon with OMP_WAIT_POLICY unset, > 1: axon faster)\n"
    printf "\naxon forward + backward on (B, T, H, D) leaves seen as (B, H, T, D) transposed views:\n"
    printf "%-5s %-3s %10s %10s %10s\n", "T", "thr", "contiguous", "view", "packed"
    for (i = 1; i <= n; i++) {
        split(keys[i], p, " ")
        if (p[3] != "fwdbwd") continue
        v = p[1] " " p[2]
        printf "%-5s %-3s %10.3f %10.3f %10.3f\n", p[1], p[2], axon[keys[i]], axon[v " view"], axon[v " packed"]
    }
    printf "(ms; view: read through strides; packed: ax_contiguous first, as the op would otherwise do)\n"
    printf "RESULT%s\n", result
}' "$tmp/axon" "$tmp/axon_passive" "$tmp/torch"

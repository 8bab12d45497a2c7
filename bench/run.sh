#!/usr/bin/env bash
# Benchmarks against PyTorch. Usage: bench/run.sh NAME
#   gemm  axon's GEMM (bench/gemm.c) vs torch.mm (tools/bench_gemm_torch.py) on square and GPT-2 shapes,
#         1 and 2 threads; axon with OMP_WAIT_POLICY unset and PASSIVE. Ends with one RESULT line:
#         gemm_square_min_ratio  min axon/PyTorch over square 512, 1024, 2048 with 2 threads
#         gemm_gpt_min_ratio     min axon/PyTorch over the GPT shapes (forward, dX, dW) with 2 threads
#         gemm_1t_ratio          min axon/PyTorch over square 512, 1024, 2048 with 1 thread
#   mlp   one training epoch of the 784-256-128-10 MLP (batch 128, Adam) on Fashion-MNIST, axon (bench/mlp.c,
#         OMP_WAIT_POLICY unset and PASSIVE, best of 3) vs PyTorch (tools/bench_mlp_torch.py, best of 2), 2 threads.
#         Ends with: RESULT mlp_speed_ratio=<axon samples/s with OMP_WAIT_POLICY unset / PyTorch samples/s>
#   gpt   GPT training (nanoGPT's CPU config, GPT-2 124M), 124M generation and the validation loss after 2000 steps,
#         axon vs PyTorch, 2 threads: see bench/gpt.sh (`bench/run.sh gpt --quick` for a smoke run). Ends with:
#         RESULT train_small_ratio=… train_124m_ratio=… generate_ratio=… val_loss_delta=…
#   rnn   LSTM/GRU layers, a translator training step, and the translator's test BLEU after the same epochs, axon vs
#         PyTorch, 2 threads: see bench/rnn.sh (`bench/run.sh rnn --quick` for a smoke run). Ends with:
#         RESULT char_lstm_ratio=… seq2seq_ratio=… bleu_delta=…
#   transformer  the Transformer translator: training tokens/s on the same batches, beam-4 decoding tokens/s (vs
#         torch.nn layers), test BLEU of axon's model for de→en and es→en: see bench/transformer.sh
#         (`bench/run.sh transformer --quick` for a smoke run). Ends with:
#         RESULT train_ratio=… beam_ratio=… bleu_de_en=… bleu_es_en=…
#   attention  fused attention (bench/attention.sh) and the other fused kernels (bench/fused.sh: softmax,
#         cross-entropy, layernorm, GELU, AdamW) vs PyTorch, 2 threads. Ends with one RESULT line:
#         attn_t64_ratio attn_t256_ratio attn_t1024_ratio (PyTorch ms / axon ms, forward + backward)
#         fused_min_ratio fused_geomean_ratio (PyTorch ms / axon ms over the fused kernels)
#   serve `axon serve` on a small GPT (4 layers, C 128, context 128, char-level; trained briefly here, or
#         $AXON_SERVE_CKPT), loopback: 64 concurrent streaming clients for 60 s, then 1,000 malformed requests
#         (bench/serve.py; `bench/run.sh serve --quick`: 16 clients, 5 s, 200 requests). Ends with:
#         RESULT ttft_p50_ms=… ttft_p99_ms=… tok_s=… errors=… abuse_survived=…
#   ner   BiLSTM-CRF tagger training steps and the CRF alone, axon vs PyTorch, 2 threads, and the best dev F1 of
#         `axon train ner` on weak labels: see bench/ner.sh (`bench/run.sh ner --quick` for a smoke run). Ends with:
#         RESULT bilstm_crf_ratio=… bert_ratio=… f1_dev_best=…
#   mpi   data-parallel training of the small GPT: 1 process × 2 threads vs `mpirun -np 2` × 1 thread, tokens/s and
#         all-reduce ms per step: see bench/mpi.sh (`bench/run.sh mpi --quick` for a smoke run). Ends with:
#         RESULT mpi_2rank_vs_1rank=… allreduce_ms=…
# Builds Release into build-bench/ when needed. Timings are best-of-several (see the two programs). Refuses to
# run unless PyTorch's BLAS is OpenBLAS (libopenblas0-pthread): on Debian's reference BLAS it is ~15x slower.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench/run.sh NAME   (NAME: gemm, mlp, gpt, rnn, transformer, attention, serve, mpi, ner)}
build=build-bench

# PyTorch's matrix products run on whatever libblas.so.3 is: the reference BLAS would make every comparison unfair
blas=$(readlink -f /usr/lib/*-linux-gnu/libblas.so.3 2>/dev/null | head -n1 || true)
if [[ "$name" != serve && "$name" != mpi && "$blas" != */openblas-pthread/* ]]; then # serve, mpi: no PyTorch
    echo "bench/run.sh: PyTorch's BLAS is ${blas:-missing}, not OpenBLAS: install libopenblas0-pthread (and select" \
        "it with update-alternatives --config libblas.so.3-$(gcc -dumpmachine)); on the reference BLAS PyTorch" \
        "is ~15x slower" >&2
    exit 1
fi

build_target() {
    mkdir -p "$build"
    local log="$build/bench-build.log"
    { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$(nproc)" --target "$1"; } \
        >"$log" 2>&1 || { cat "$log"; exit 1; }
}

# Joins axon (default, PASSIVE) and torch lines by shape and thread count; prints the table and RESULT.
gemm_table() {
    awk '
    function min(a, b) { return a < b ? a : b }
    FNR == 1 { file++ }
    $1 == "axon" && file == 1 { key = $2 " " $7; axon[key] = $8; keys[++n] = key; desc[$2] = $3 " " $4 "x" $5 "x" $6 }
    $1 == "axon" && file == 2 { passive[$2 " " $7] = $8 }
    $1 == "torch" { torch[$2 " " $7] = $8 }
    END {
        printf "%-9s %-3s %-16s %3s %10s %10s %10s %7s\n", "shape", "op", "MxNxK", "thr", "axon", "axon-PASV", "torch", "ratio"
        sq = gpt = one = 1e9
        for (i = 1; i <= n; i++) {
            split(keys[i], p, " ")
            r = torch[keys[i]] > 0 ? axon[keys[i]] / torch[keys[i]] : 0
            split(desc[p[1]], d, " ")
            printf "%-9s %-3s %-16s %3s %10.1f %10.1f %10.1f %7.2f\n", p[1], d[1], d[2], p[2], axon[keys[i]],
                   passive[keys[i]], torch[keys[i]], r
            if (p[1] ~ /^sq(512|1024|2048)$/) { if (p[2] == 2) sq = min(sq, r); if (p[2] == 1) one = min(one, r) }
            if (p[1] ~ /_(fwd|dx|dw)$/ && p[2] == 2) gpt = min(gpt, r)
        }
        printf "(GFLOP/s; ratio = axon with OMP_WAIT_POLICY unset / torch)\n"
        printf "RESULT gemm_square_min_ratio=%.2f gemm_gpt_min_ratio=%.2f gemm_1t_ratio=%.2f\n", sq, gpt, one
    }' "$@"
}

run_gemm() {
    build_target bench_gemm
    tmp=$(mktemp -d) # global: the EXIT trap runs after this function returns
    trap 'rm -rf "$tmp"' EXIT
    "$build/bench/gemm" --list >"$tmp/shapes"
    echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# axon:    OMP_WAIT_POLICY unset, then OMP_WAIT_POLICY=PASSIVE"
    echo "# PyTorch: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/bench_gemm_torch.py"
    env -u OMP_WAIT_POLICY "$build/bench/gemm" >"$tmp/axon"
    OMP_WAIT_POLICY=PASSIVE "$build/bench/gemm" >"$tmp/axon_passive"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
        /usr/bin/python3 tools/bench_gemm_torch.py "$tmp/shapes" >"$tmp/torch"
    grep -h '^#' "$tmp/axon" "$tmp/torch"
    gemm_table "$tmp/axon" "$tmp/axon_passive" "$tmp/torch"
}

# The highest samples/s (4th field) of N runs of a command printing "<who> mlp <threads> <samples/s> ...".
best_of() {
    local n=$1 best="" line
    shift
    for ((i = 0; i < n; i++)); do
        line=$("$@" | grep ' mlp ')
        if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[4] > y[4]) }'; then
            best=$line
        fi
    done
    echo "$best"
}

run_mlp() {
    build_target bench_mlp
    local data=${AXON_MLP_DATA:-/usr/share/datasets/fashion-mnist} axon passive torch
    echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# 784-256-128-10 ReLU, batch 128, Adam, one epoch of 60000 images; <who> mlp <threads> <samples/s> <s> <loss>"
    axon=$(best_of 3 env -u OMP_WAIT_POLICY "$build/bench/mlp" "$data" 2)
    passive=$(best_of 3 env OMP_WAIT_POLICY=PASSIVE "$build/bench/mlp" "$data" 2)
    torch=$(best_of 2 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
        /usr/bin/python3 tools/bench_mlp_torch.py "$data" 2)
    printf '%s   (OMP_WAIT_POLICY unset)\n%s   (OMP_WAIT_POLICY=PASSIVE)\n%s   (OMP_WAIT_POLICY=PASSIVE)\n' \
        "$axon" "$passive" "$torch"
    awk -v a="$axon" -v p="$passive" -v t="$torch" 'BEGIN {
        split(a, x); split(p, y); split(t, z)
        printf "axon %.0f samples/s (PASSIVE %.0f), PyTorch %.0f samples/s: %.2fx (PASSIVE %.2fx)\n", x[4], y[4], z[4],
               x[4] / z[4], y[4] / z[4]
        printf "RESULT mlp_speed_ratio=%.2f\n", x[4] / z[4]
    }'
}

# bench/attention.sh then bench/fused.sh, their two RESULT lines joined into one
run_attention() {
    local out
    out=$(bench/attention.sh && bench/fused.sh 2)
    grep -v '^RESULT' <<<"$out"
    echo "RESULT$(grep '^RESULT' <<<"$out" | sed 's/^RESULT//' | tr -d '\n')"
}

run_serve() {
    build_target axon_cli
    local clients=64 duration=60 abuse=1000 iters=200 ckpt=${AXON_SERVE_CKPT:-} port="" pid rc=0
    if [ "${1:-}" = "--quick" ]; then clients=16 duration=5 abuse=200 iters=20; fi
    tmp=$(mktemp -d) # global: the EXIT trap runs after this function returns
    trap 'rm -rf "$tmp"' EXIT
    echo "# $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ -z "$ckpt" ]; then
        ckpt=$tmp/gpt
        echo "# training a small GPT for $iters steps (4 layers, C 128, context 128) into $ckpt"
        "$build/axon" train gpt --max-iters "$iters" --block-size 128 --eval-interval "$iters" --eval-iters 2 \
            --out "$ckpt" --quiet >/dev/null
    fi
    "$build/axon" serve --ckpt "$ckpt" --port 0 --quiet --max-batch 64 --max-queue 256 --idle-timeout 5 \
        2>"$tmp/serve.log" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$tmp/serve.log"; kill "$pid"; exit 1; }
    echo "# axon serve --max-batch 64 --max-queue 256 --idle-timeout 5 on port $port; $clients clients, $duration s"
    python3 bench/serve.py --port "$port" --clients "$clients" --duration "$duration" --abuse "$abuse" \
        --context 128 --idle-timeout 5 || rc=$?
    kill -TERM "$pid"
    wait "$pid" || { echo "axon serve did not stop cleanly:"; cat "$tmp/serve.log"; exit 1; }
    return "$rc"
}

case "$name" in
gemm) run_gemm ;;
mlp) run_mlp ;;
gpt) bench/gpt.sh "${@:2}" ;;
attention) run_attention ;;
rnn) bench/rnn.sh "${@:2}" ;;
transformer) bench/transformer.sh "${@:2}" ;;
serve) run_serve "${@:2}" ;;
mpi) bench/mpi.sh "${@:2}" ;;
ner) bench/ner.sh "${@:2}" ;;
*)
    echo "bench/run.sh: unknown benchmark '$name' (known: gemm, mlp, gpt, rnn, transformer, attention, serve, mpi, ner)" >&2
    exit 2
    ;;
esac

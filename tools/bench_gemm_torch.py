#!/usr/bin/python3
"""PyTorch reference for bench/gemm.c: times torch.mm on the same shapes and layouts, 1 and 2 threads.

Usage: /usr/bin/python3 tools/bench_gemm_torch.py SHAPES
SHAPES is the output of `bench/gemm --list` ("<shape> <layout> <M> <N> <K>" per line; layout NN/NT/TN/TT:
a transposed operand is a .t() view of a stored matrix, as in axon, so torch.mm sees the same strides).
Prints "torch <shape> <layout> <M> <N> <K> <threads> <GFLOP/s>" per line: the best of several runs after a
warm-up (a warm-up slower than 2 s counts as the only run)."""
import os
import sys
import time

import torch


def operands(layout, M, N, K):
    a = torch.rand(K, M).t() if layout[0] == "T" else torch.rand(M, K)
    b = torch.rand(N, K).t() if layout[1] == "T" else torch.rand(K, N)
    return a, b


def best_seconds(a, b):
    t = time.perf_counter()
    torch.mm(a, b)
    first = time.perf_counter() - t
    if first > 2.0:
        return first
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or (spent < 1.0 and runs < 200):
        t = time.perf_counter()
        torch.mm(a, b)
        t = time.perf_counter() - t
        best, spent, runs = min(best, t), spent + t, runs + 1
    return best


def main():
    shapes = [line.split() for line in open(sys.argv[1]) if line.strip()]
    print(f"# torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
    blas = [line.strip() for line in torch.__config__.show().splitlines() if "BLAS_INFO" in line]
    print(f"# {blas[0][:120] if blas else 'BLAS: unknown'}")
    for name, layout, M, N, K in shapes:
        M, N, K = int(M), int(N), int(K)
        a, b = operands(layout, M, N, K)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            gflops = 2.0 * M * N * K / best_seconds(a, b) * 1e-9
            print(f"torch {name} {layout} {M} {N} {K} {threads} {gflops:.1f}", flush=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    main()

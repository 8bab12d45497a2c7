#!/usr/bin/python3
"""PyTorch reference for bench/gemm.c: times torch.mm on the same shapes and layouts, 1 and 2 threads.

torch.mm runs on the system BLAS (libblas.so.3: netlib or OpenBLAS on Debian). OpenBLAS keeps its own thread
pool, which torch.set_num_threads does not resize, so the thread count is also set through
openblas_set_num_threads when OpenBLAS is the one loaded.

Usage: /usr/bin/python3 tools/bench_gemm_torch.py SHAPES
SHAPES is the output of `bench/gemm --list` ("<shape> <layout> <M> <N> <K>" per line; layout NN/NT/TN/TT:
a transposed operand is a .t() view of a stored matrix, as in axon, so torch.mm sees the same strides).
Prints "torch <shape> <layout> <M> <N> <K> <threads> <GFLOP/s>" per line: the best of several runs after a
warm-up (a warm-up slower than 2 s counts as the only run)."""
import ctypes
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


def loaded_openblas():
    """The OpenBLAS library torch.mm runs on, or None (another BLAS)."""
    paths = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line and ".so" in line}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib
    return None


def set_threads(n, openblas):
    torch.set_num_threads(n)
    if openblas:
        openblas.openblas_set_num_threads(n)


def main():
    shapes = [line.split() for line in open(sys.argv[1]) if line.strip()]
    print(f"# torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads the BLAS
    openblas = loaded_openblas()
    if openblas:
        print(f"# BLAS: {openblas.openblas_get_config().decode()}, kernels for {openblas.openblas_get_corename().decode()}")
    else:
        print("# BLAS: not OpenBLAS (" + os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3") + ")")
    for name, layout, M, N, K in shapes:
        M, N, K = int(M), int(N), int(K)
        a, b = operands(layout, M, N, K)
        for threads in (1, 2):
            set_threads(threads, openblas)
            gflops = 2.0 * M * N * K / best_seconds(a, b) * 1e-9
            print(f"torch {name} {layout} {M} {N} {K} {threads} {gflops:.1f}", flush=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    main()

#!/usr/bin/python3
"""PyTorch reference for bench/attention.c: the explicit composition softmax(q·kᵀ·scale + causal mask)·v
(PyTorch 1.13 has no public fused attention) on B = 1, H = 12, D = 64, T = 64, 256, 1024, 1 and 2 threads.

Usage: /usr/bin/python3 tools/bench_attention_torch.py
Prints "torch <T> <threads> <mode> <ms>" per line, mode fwd (forward under no_grad) or fwdbwd (forward and
backward from a fixed random gradient): the best of several runs after a warm-up."""
import math
import os
import time

import torch

B, H, D = 1, 12, 64


def attention(q, k, v, mask):
    s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
    return torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ v


def step(q, k, v, mask, r, backward):
    if not backward:
        with torch.no_grad():
            attention(q, k, v, mask)
        return
    for x in (q, k, v):
        x.grad = None
    attention(q, k, v, mask).backward(r)


def best_ms(q, k, v, mask, r, backward):
    step(q, k, v, mask, r, backward)
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or (spent < 1.0 and runs < 500):
        t = time.perf_counter()
        step(q, k, v, mask, r, backward)
        t = time.perf_counter() - t
        best, spent, runs = min(best, t), spent + t, runs + 1
    return best * 1e3


def main():
    print(f"# torch {torch.__version__}, B={B} H={H} D={D} causal, explicit composition, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
    for T in (64, 256, 1024):
        q, k, v = (torch.rand(B, H, T, D) * 2 - 1 for _ in range(3))
        for x in (q, k, v):
            x.requires_grad_(True)
        r = torch.rand(B, H, T, D) * 2 - 1
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for mode, backward in (("fwd", False), ("fwdbwd", True)):
                print(f"torch {T} {threads} {mode} {best_ms(q, k, v, mask, r, backward):.3f}", flush=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    main()

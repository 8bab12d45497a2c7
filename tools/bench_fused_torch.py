#!/usr/bin/python3
"""PyTorch reference for bench/fused.c: the fused kernels' PyTorch equivalents on GPT-2-small shapes.

Usage: /usr/bin/python3 tools/bench_fused_torch.py [threads ...]   (default: 2)
Prints "torch <kernel> <shape> <threads> <ms>" per line: the best of several runs after a warm-up. The
kernels and shapes are those of bench/fused.c (the two programs must list the same ones):
  softmax      F.softmax(x, -1) forward, (768, 50257) logits and (12, 64, 128) attention-like rows
  softmax_bwd  F.softmax forward + backward from a fixed random gradient
  ce           F.cross_entropy(x, t) forward (mean), (768, 50257); ce_bwd: forward + backward
  layernorm    F.layer_norm(x, (768,), w, b) forward, (768, 768) and (12·64·4, 768); layernorm_bwd: + backward
  gelu_tanh    F.gelu(x, approximate="tanh") forward, (768, 3072); gelu_erf: exact; *_bwd: + backward
  adamw        one torch.optim.AdamW step (foreach=True: this torch has no fused CPU AdamW) over the twelve
               parameters of a GPT-2-small block (7.1 M floats), lr 6e-4, weight decay 0.1
Forward-only kernels run under no_grad; backward ones clear the inputs' .grad before each run."""
import os
import sys
import time

import torch
import torch.nn.functional as F

V, C = 50257, 768
BLOCK = [(C,), (C,), (C, 3 * C), (3 * C,), (C, C), (C,), (C,), (C,), (C, 4 * C), (4 * C,), (4 * C, C), (C,)]


def best_ms(fn):
    fn()
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or (spent < 1.0 and runs < 500):
        t = time.perf_counter()
        fn()
        t = time.perf_counter() - t
        best, spent, runs = min(best, t), spent + t, runs + 1
    return best * 1e3


def leaf(*shape):
    return (torch.rand(*shape) * 2 - 1).requires_grad_(True)


def forward(f, *inputs):
    def run():
        with torch.no_grad():
            f(*inputs)
    return run


def forward_backward(f, r, *inputs):
    def run():
        for x in inputs:
            x.grad = None
        out = f(*inputs)
        out.backward(r) if r is not None else out.backward()
    return run


def softmax_cases():
    for shape in ((C, V), (12, 64, 128)):
        x, r = leaf(*shape), torch.rand(*shape) * 2 - 1
        name = "x".join(map(str, shape))
        yield "softmax", name, forward(lambda a: F.softmax(a, -1), x)
        yield "softmax_bwd", name, forward_backward(lambda a: F.softmax(a, -1), r, x)


def ce_cases():
    x, t = leaf(C, V), torch.randint(0, V, (C,))
    f = lambda a: F.cross_entropy(a, t)
    yield "ce", f"{C}x{V}", forward(f, x)
    yield "ce_bwd", f"{C}x{V}", forward_backward(f, None, x)


def layernorm_cases():
    for rows in (C, 12 * 64 * 4):
        x, w, b, r = leaf(rows, C), leaf(C), leaf(C), torch.rand(rows, C) * 2 - 1
        f = lambda a, ww, bb: F.layer_norm(a, (C,), ww, bb, 1e-5)
        yield "layernorm", f"{rows}x{C}", forward(f, x, w, b)
        yield "layernorm_bwd", f"{rows}x{C}", forward_backward(f, r, x, w, b)


def gelu_cases():
    x, r = leaf(C, 4 * C), torch.rand(C, 4 * C) * 2 - 1
    for approx, name in (("tanh", "gelu_tanh"), ("none", "gelu_erf")):
        f = lambda a, approx=approx: F.gelu(a, approximate=approx)
        yield name, f"{C}x{4 * C}", forward(f, x)
        yield name + "_bwd", f"{C}x{4 * C}", forward_backward(f, r, x)


def adamw_case():
    params = [torch.rand(*s) * 2 - 1 for s in BLOCK]
    for p in params:
        p.requires_grad_(True)
        p.grad = torch.rand(*p.shape) * 2 - 1
    opt = torch.optim.AdamW(params, lr=6e-4, weight_decay=0.1, foreach=True)
    yield "adamw", f"{sum(p.numel() for p in params)}", opt.step


def main():
    threads = [int(a) for a in sys.argv[1:]] or [2]
    print(f"# torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}, "
          f"ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '(default)')}")
    for cases in (softmax_cases, ce_cases, layernorm_cases, gelu_cases, adamw_case):
        for kernel, shape, fn in cases():
            for n in threads:
                torch.set_num_threads(n)
                print(f"torch {kernel} {shape} {n} {best_ms(fn):.3f}", flush=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    main()

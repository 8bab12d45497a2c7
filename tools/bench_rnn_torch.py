"""PyTorch side of bench/rnn.c: torch.nn.LSTM/GRU forward and forward + backward on the same shapes.
Usage: /usr/bin/python3 tools/bench_rnn_torch.py [threads ...]   (default: 1)."""
import sys
import time

import torch

IN, HIDDEN, BATCH, STEPS, REPEAT = 81, 256, 64, 100, 5


def best_time(fn):
    times = []
    for i in range(REPEAT + 1):  # run 0 is the warm-up
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times[1:])


def main():
    for cell in ("lstm", "gru"):
        for layers in (1, 2, 4):
            for threads in [int(a) for a in sys.argv[1:]] or [1]:
                torch.set_num_threads(threads)
                torch.manual_seed(1)
                m = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(IN, HIDDEN, layers, batch_first=True)
                x = torch.randn(BATCH, STEPS, IN)
                g = torch.randn(BATCH, STEPS, HIDDEN)
                with torch.no_grad():
                    fwd = best_time(lambda: m(x))
                fb = best_time(lambda: m(x)[0].backward(g))
                print(f"torch {cell} L={layers} threads={threads} fwd {1e3 * fwd:.1f} fwdbwd {1e3 * fb:.1f} "
                      f"{BATCH * STEPS / fb:.0f}", flush=True)


if __name__ == "__main__":
    main()

"""PyTorch side of bench/rnn.c: torch.nn.LSTM/GRU forward and forward + backward on the same shapes, and one training
step of the same translator (tools/fixtures/seq2seq.py) on the same batch shapes.
Usage: /usr/bin/python3 tools/bench_rnn_torch.py [threads ...]   (default: 1)
       /usr/bin/python3 tools/bench_rnn_torch.py train-seq2seq DATA_DIR EPOCHS THREADS AXON_BIN
         trains the translator like `axon train seq2seq` (tools/seq2seq_torch.py) and prints one JSON line."""
import json
import sys
import time

import torch

from seq2seq_torch import train
from fixtures.seq2seq import EOS, Seq2Seq

IN, HIDDEN, BATCH, STEPS, REPEAT = 81, 256, 64, 100, 5
S2S_BATCH, S2S_LEN, S2S_SRC_V, S2S_TGT_V = 64, 13, 7769, 7101  # as bench/rnn.c


def best_time(fn):
    times = []
    for i in range(REPEAT + 1):  # run 0 is the warm-up
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times[1:])


def bench_seq2seq(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = Seq2Seq(S2S_SRC_V, S2S_TGT_V, 128, 128, 1, "bahdanau", 0.3)
    opt = torch.optim.Adam(m.parameters())
    src = torch.randint(4, S2S_SRC_V, (S2S_BATCH, S2S_LEN))
    tgt = torch.randint(4, S2S_TGT_V, (S2S_BATCH, S2S_LEN))
    src[:, -1] = tgt[:, -1] = EOS
    lengths = torch.full((S2S_BATCH,), S2S_LEN)

    def step():
        loss = m.loss(src, lengths, tgt)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()

    t = best_time(step)
    print(f"torch seq2seq threads={threads} step {1e3 * t:.1f} {S2S_BATCH * S2S_LEN / t:.0f}", flush=True)


def main():
    if sys.argv[1:2] == ["train-seq2seq"]:
        data, epochs, threads, axon = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        print(json.dumps(train(data, axon, epochs, threads)), flush=True)
        return
    thread_counts = [int(a) for a in sys.argv[1:]] or [1]
    for cell in ("lstm", "gru"):
        for layers in (1, 2, 4):
            for threads in thread_counts:
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
    for threads in thread_counts:
        bench_seq2seq(threads)


if __name__ == "__main__":
    main()

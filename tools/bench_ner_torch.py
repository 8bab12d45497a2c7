"""PyTorch side of bench/ner.c: training steps of the same BiLSTM-CRF tagger (include/axon/tagger.h) at the same sizes,
with the CRF of tools/fixtures/crf.py (pytorch-crf's algorithm: a loop over time, vectorised over the batch).
Usage: /usr/bin/python3 tools/bench_ner_torch.py [threads ...]   (default: 1)
and of the BERT-style tagger (tools/fixtures/bert.py's Bert: torch.nn.TransformerEncoderLayer) at bench/ner.c's sizes.
Prints per thread count
  torch bilstm-crf threads=<n> step <ms> <tokens/s>
  torch crf threads=<n> fwdbwd <ms>
  torch bert threads=<n> step <ms> <tokens/s>"""
import sys
import time

import torch
from torch import nn

from fixtures.bert import Bert
from fixtures.crf import crf_nll

WORDS, CHARS, CASES, TAGS, BATCH, LEN, WORD_CHARS, REPEAT = 5000, 80, 5, 9, 32, 25, 8, 10
BERT_VOCAB, SUB_LEN = 4001, 40  # BPE 4000 + [MASK]; sub-words per sentence of LEN words


class Tagger(nn.Module):
    """word (100) + case (8) + char BiLSTM (25 + 25) → dropout → BiLSTM (100 + 100) → dropout → linear → CRF."""

    def __init__(self):
        super().__init__()
        self.word_emb, self.case_emb = nn.Embedding(WORDS, 100), nn.Embedding(CASES, 8)
        self.char_emb = nn.Embedding(CHARS, 25)
        self.char_lstm = nn.LSTM(25, 25, batch_first=True, bidirectional=True)
        self.lstm = nn.LSTM(100 + 8 + 50, 100, batch_first=True, bidirectional=True)
        self.out = nn.Linear(200, TAGS)
        self.start, self.end = nn.Parameter(torch.rand(TAGS) * 0.2 - 0.1), nn.Parameter(torch.rand(TAGS) * 0.2 - 0.1)
        self.trans = nn.Parameter(torch.rand(TAGS, TAGS) * 0.2 - 0.1)
        self.drop = nn.Dropout(0.5)

    def loss(self, words, cases, chars, char_len, lengths, tags):
        B, T = words.shape
        packed = nn.utils.rnn.pack_padded_sequence(self.char_emb(chars), char_len, batch_first=True,
                                                   enforce_sorted=False)
        _, (h_n, _) = self.char_lstm(packed)
        char_feat = h_n.permute(1, 0, 2).reshape(B, T, 50)
        x = self.drop(torch.cat([self.word_emb(words), self.case_emb(cases), char_feat], dim=2))
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=T)
        em = self.out(self.drop(h))
        return crf_nll(em, tags, lengths, self.start, self.end, self.trans).mean()


def best_time(fn):
    times = []
    for i in range(REPEAT + 1):  # run 0 is the warm-up
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times[1:])


def bench(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = Tagger()
    opt = torch.optim.Adam(m.parameters())
    words = torch.randint(4, WORDS, (BATCH, LEN))
    cases = torch.randint(0, CASES, (BATCH, LEN))
    chars = torch.randint(4, CHARS, (BATCH * LEN, WORD_CHARS))
    char_len = torch.full((BATCH * LEN,), WORD_CHARS)
    lengths = torch.full((BATCH,), LEN)
    tags = torch.randint(0, TAGS, (BATCH, LEN))

    def step():
        opt.zero_grad()
        m.loss(words, cases, chars, char_len, lengths, tags).backward()
        nn.utils.clip_grad_norm_(m.parameters(), 5.0)
        opt.step()

    t = best_time(step)
    print(f"torch bilstm-crf threads={threads} step {1e3 * t:.2f} {BATCH * LEN / t:.0f}", flush=True)
    em = torch.randn(BATCH, LEN, TAGS, requires_grad=True)
    tc = best_time(lambda: crf_nll(em, tags, lengths, m.start, m.end, m.trans).mean().backward())
    print(f"torch crf threads={threads} fwdbwd {1e3 * tc:.3f}", flush=True)


def bench_bert(threads):
    """Fine-tuning steps: token-classification loss on the first LEN sub-words of each row, clipping, Adam."""
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = Bert(BERT_VOCAB, 128, 4, 512, 2, 128, TAGS, dropout=0.1)
    m.train()
    opt = torch.optim.Adam(m.parameters())
    ids = torch.randint(0, BERT_VOCAB - 1, (BATCH, SUB_LEN))
    keep = torch.ones(BATCH, SUB_LEN, dtype=torch.bool)
    labels = torch.randint(0, TAGS, (BATCH, SUB_LEN))
    labels[:, LEN:] = -100

    def step():
        opt.zero_grad()
        logits = m.token_logits(m.encode(ids, keep))
        nn.functional.cross_entropy(logits.reshape(-1, TAGS), labels.reshape(-1), ignore_index=-100).backward()
        nn.utils.clip_grad_norm_(m.parameters(), 5.0)
        opt.step()

    t = best_time(step)
    print(f"torch bert threads={threads} step {1e3 * t:.2f} {BATCH * LEN / t:.0f}", flush=True)


def main():
    for threads in [int(a) for a in sys.argv[1:]] or [1]:
        bench(threads)
    for threads in [int(a) for a in sys.argv[1:]] or [1]:
        bench_bert(threads)


if __name__ == "__main__":
    main()

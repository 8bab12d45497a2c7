"""`axon train seq2seq` in PyTorch, for bench/rnn.sh: the same word normalisation (src/models/seq2seq_words.c), the
same vocabularies (src/models/seq2seq_vocab.c), the same batching (pools of 32 batches sorted by source length),
Adam with the same warm-up + cosine schedule, gradient clipping, and greedy decoding; the model is
tools/fixtures/seq2seq.py's. BLEU comes from `axon bleu` (sacreBLEU-identical) on the normalised words, as
`axon train seq2seq` computes it. The random streams differ from axon's (order, dropout, initial weights)."""
import json
import math
import os
import random
import subprocess
import tempfile
import time

import torch

from fixtures.seq2seq import EOS, PAD, SOS, Seq2Seq

SPECIALS = ["<pad>", "<sos>", "<eos>", "<unk>"]
POOL_BATCHES = 32


# ---- words: the rules of src/models/seq2seq_words.c, code point by code point ----
def lower(c):
    if 0x41 <= c <= 0x5A or (0xC0 <= c <= 0xDE and c != 0xD7):
        return c + 32
    if c == 0x178:
        return 0xFF
    even = (0x100 <= c <= 0x137 and c != 0x130) or 0x14A <= c <= 0x177
    odd = 0x139 <= c <= 0x148 or 0x179 <= c <= 0x17E
    return c + 1 if (even and c % 2 == 0) or (odd and c % 2 == 1) else c


def is_space(c):
    return c <= 0x20 or c == 0x7F or c == 0xA0 or 0x2000 <= c <= 0x200B or c in (0x202F, 0x205F, 0x3000)


def is_punct(c):
    if c < 0x80:
        return c > 0x20 and not (0x30 <= c <= 0x39 or 0x61 <= (c | 32) <= 0x7A)
    return 0xA1 <= c <= 0xBF or c in (0xD7, 0xF7) or 0x2000 <= c <= 0x2BFF or 0x3000 <= c <= 0x303F


def normalize(text):
    cps = [ord(ch) for ch in text]
    tokens, word = [], []
    for i, c in enumerate(cps):
        after = cps[i + 1] if i + 1 < len(cps) else 0
        if is_space(c):
            tokens += ["".join(word)] if word else []
            word = []
        elif c in (0x27, 0x2019) and word and after and not is_space(after) and not is_punct(after):
            word.append("'")
        elif is_punct(c) or c in (0x27, 0x2019):
            tokens += ["".join(word)] if word else []
            word = []
            tokens.append("'" if c in (0x27, 0x2019) else chr(c))
        else:
            word.append(chr(lower(c)))
    tokens += ["".join(word)] if word else []
    return " ".join(tokens)


def read_pairs(path, reverse=False):
    """Normalised (source, target) pairs of an Anki TSV file: source = column 2 unless reverse."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) not in (2, 3) or not cols[0].strip(" \t") or not cols[1].strip(" \t"):
                continue
            pairs.append((normalize(cols[0 if reverse else 1]), normalize(cols[1 if reverse else 0])))
    return pairs


def build_vocab(texts, min_freq):
    counts = {}
    for t in texts:
        for w in t.split():
            counts[w] = counts.get(w, 0) + 1
    words = sorted((w for w, n in counts.items() if n >= min_freq and w not in SPECIALS),
                   key=lambda w: (-counts[w], w.encode()))
    return {w: i for i, w in enumerate(SPECIALS + words)}


def encode(vocab, text, max_len):
    return [vocab.get(w, 3) for w in text.split()][:max_len] + [EOS]


def pad(rows):
    width = max(len(r) for r in rows)
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], dtype=torch.long)


def epoch_batches(src, batch, rng):
    """Pairs in a random order, sorted by source length within pools of POOL_BATCHES batches, in shuffled batches."""
    order = list(range(len(src)))
    rng.shuffle(order)
    pool = POOL_BATCHES * batch
    for i in range(0, len(order), pool):
        order[i:i + pool] = sorted(order[i:i + pool], key=lambda k: (len(src[k]), k))
    batches = [order[i:i + batch] for i in range(0, len(order), batch)]
    rng.shuffle(batches)
    return batches


def lr_at(step, base, min_lr, warmup, total):
    if step < warmup:
        return base * (step + 1) / warmup
    if step >= total:
        return min_lr
    return min_lr + 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) * (base - min_lr)


@torch.no_grad()
def greedy(model, src_rows, max_len, batch=64):
    """Greedy translations (word ids without <eos>) as src/models/seq2seq_decode.c produces them."""
    model.eval()
    out = []
    for i in range(0, len(src_rows), batch):
        rows = src_rows[i:i + batch]
        memory = model.encode(pad(rows), torch.tensor([len(r) for r in rows]))
        h, feed = memory[3], torch.zeros_like(memory[3])
        y = torch.full((len(rows),), SOS, dtype=torch.long)
        words, done = [[] for _ in rows], [False] * len(rows)
        for _ in range(max_len):
            h, feed, _ = model.step(memory, h, feed, y)
            y = torch.log_softmax(model.logits(feed), -1).argmax(1)
            for b, w in enumerate(y.tolist()):
                if not done[b]:
                    done[b] = w == EOS
                    if not done[b]:
                        words[b].append(w)
            if all(done):
                break
        out += words
    model.train()
    return out


def bleu(axon, hyps, refs):
    """sacreBLEU's corpus BLEU of two lists of lines, through `axon bleu --json`."""
    with tempfile.TemporaryDirectory() as d:
        for name, lines in (("hyp", hyps), ("ref", refs)):
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))
        res = subprocess.run([axon, "bleu", "--json", os.path.join(d, "hyp"), os.path.join(d, "ref")],
                             capture_output=True, text=True, check=True)
    return json.loads(res.stdout)[0]["score"]


def translate_bleu(axon, model, itos, pairs, src_ids, max_len):
    hyps = [" ".join(itos[w] for w in ws if w not in (PAD, SOS)) for ws in greedy(model, src_ids, max_len)]
    return bleu(axon, hyps, [t for _, t in pairs])


def train(data_dir, axon, epochs, threads, emb=128, hidden=128, attn="bahdanau", dropout=0.3, min_freq=2, max_len=30,
          batch=64, lr=2e-3, min_lr=1e-4, clip=1.0, seed=42):
    """Trains on DIR/train.tsv, picks the epoch with the best validation BLEU, scores it on DIR/test.tsv."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    sets = {k: read_pairs(os.path.join(data_dir, k + ".tsv")) for k in ("train", "valid", "test")}
    sv = build_vocab([s for s, _ in sets["train"]], min_freq)
    tv = build_vocab([t for _, t in sets["train"]], min_freq)
    itos = list(tv)
    ids = {k: ([encode(sv, s, max_len) for s, _ in p], [encode(tv, t, max_len) for _, t in p]) for k, p in sets.items()}
    model = Seq2Seq(len(sv), len(tv), emb, hidden, 1, attn, dropout)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    src, tgt = ids["train"]
    steps = (len(src) + batch - 1) // batch
    total, warmup, step = steps * epochs, steps * epochs // 50, 0
    best, best_state, words, seconds = -1.0, None, 0, 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        for b in epoch_batches(src, batch, rng):
            for g in opt.param_groups:
                g["lr"] = lr_at(step, lr, min_lr, warmup, total)
            loss = model.loss(pad([src[k] for k in b]), torch.tensor([len(src[k]) for k in b]), pad([tgt[k] for k in b]))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            step += 1
            words += sum(len(tgt[k]) for k in b)
        seconds += time.perf_counter() - t0
        val = translate_bleu(axon, model, itos, sets["valid"], ids["valid"][0], max_len)
        print(f"torch seq2seq epoch {epoch}: val BLEU {val:.2f} ({seconds:.0f} s training)", flush=True)
        if val > best:
            best, best_epoch = val, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    test = translate_bleu(axon, model, itos, sets["test"], ids["test"][0], max_len)
    return {"epochs": epochs, "best_epoch": best_epoch, "best_val_bleu": best, "test_bleu": test,
            "tokens_per_s": words / seconds, "train_seconds": seconds}

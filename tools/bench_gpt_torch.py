#!/usr/bin/python3
"""PyTorch side of `bench/run.sh gpt` (axon's side: bench/gpt.c and `axon train gpt`), on tools/gpt_reference.py,
the same GPT-2 as axon's (HF layout, GELU-tanh, tied embeddings, biases, GPT-2 init).

Usage: /usr/bin/python3 tools/bench_gpt_torch.py MODE [--threads N] [--steps N] [--text FILE]
  small     nanoGPT's CPU config (4 layers, 4 heads, 128 wide, block 64, batch 12, char vocabulary of --text):
            training steps on random windows after untimed warm-up steps
            -> "torch small <threads> <ms/step> <tokens/s> <peak RSS MB>"
  124m      GPT-2 124M (vocabulary 50257), batch 4, block 64, random tokens -> "torch 124m <threads> <ms/step> ..."
  generate  GPT-2 124M, greedy generation with a KV cache (eager PyTorch, no autograd) of --steps tokens after a
            16-token prompt -> "torch generate <threads> <ms/token> <tokens/s> <peak RSS MB>"
  val       --steps training steps (default 2000) of the small config with the hyper-parameters of
            `axon train gpt` (AdamW lr 1e-3 -> 1e-4 cosine, warm-up 100, betas 0.9/0.95, weight decay 0.1 on
            matrices, clip 1.0, dropout 0) on the first 90% of --text, then the mean loss over the same 240 fixed
            validation windows as axon's (20 batches of 12, evenly spaced over the last 10%)
            -> "torch val <steps> <val loss> <seconds> <peak RSS MB>"
"""
import argparse
import math
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_reference import GPT, GPTConfig  # noqa: E402

SMALL = dict(n_layer=4, n_head=4, n_embd=128, block_size=64)
GPT2 = dict(vocab_size=50257, n_layer=12, n_head=12, n_embd=768, block_size=64)
LR, MIN_LR, WARMUP, WD, BETAS, CLIP = 1e-3, 1e-4, 100, 0.1, (0.9, 0.95), 1.0
VAL_FRACTION, EVAL_ITERS = 0.1, 20


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def lr_at(step, total):
    """ax_lr_at(AX_LR_WARMUP_COSINE) as `axon train gpt` sets it: linear warm-up (over a tenth of the steps when
    WARMUP is not below them), then a cosine from LR to MIN_LR at `total`."""
    warmup = WARMUP if WARMUP < total else total // 10
    if step < warmup:
        return LR * (step + 1) / warmup
    if step >= total:
        return MIN_LR
    r = (step - warmup) / (total - warmup)
    return MIN_LR + 0.5 * (1.0 + math.cos(math.pi * r)) * (LR - MIN_LR)


def adamw(model):
    """nanoGPT's groups: weight decay on parameters with 2 or more dims (matrices, embeddings) only."""
    params = list(model.parameters())
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=LR, betas=BETAS, eps=1e-8)


def train_step(model, opt, x, y, lr):
    for g in opt.param_groups:
        g["lr"] = lr
    _, loss = model(x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()
    return loss.item()


def char_data(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = int(math.floor(len(ids) * VAL_FRACTION))
    return ids, len(chars), len(ids) - n_val


def random_batch(ids, n_train, batch, block):
    at = torch.randint(n_train - block, (batch,))
    x = torch.stack([ids[a : a + block] for a in at.tolist()])
    y = torch.stack([ids[a + 1 : a + block + 1] for a in at.tolist()])
    return x, y


@torch.no_grad()
def validate(model, ids, n_train, batch, block):
    """The fixed windows of axon's gpt_validate: n_win = EVAL_ITERS·batch starts, evenly spaced, both ends included."""
    model.eval()
    n_win, last = EVAL_ITERS * batch, len(ids) - n_train - block - 1
    starts = [n_train + last * i // (n_win - 1) for i in range(n_win)]
    total = 0.0
    for b in range(EVAL_ITERS):
        s = starts[b * batch : (b + 1) * batch]
        x = torch.stack([ids[a : a + block] for a in s])
        y = torch.stack([ids[a + 1 : a + block + 1] for a in s])
        total += model(x, y)[1].item()
    model.train()
    return total / EVAL_ITERS


def time_training(cfg, batch, steps, warmup, make_batch):
    model = GPT(cfg)
    opt = adamw(model)
    for _ in range(warmup):
        train_step(model, opt, *make_batch(), LR)
    t = time.perf_counter()
    for _ in range(steps):
        train_step(model, opt, *make_batch(), LR)
    return (time.perf_counter() - t) / steps


@torch.no_grad()
def cached_forward(model, idx, past):
    """Eager forward of new tokens idx (1, n) with a per-layer (k, v) cache; returns the last position's logits."""
    tr, n_head = model.transformer, model.cfg.n_head
    T0 = past[0][0].size(2) if past[0] is not None else 0
    n = idx.size(1)
    x = tr.wte(idx) + tr.wpe(torch.arange(T0, T0 + n))
    for i, block in enumerate(tr.h):
        a = block.attn
        C = x.size(-1)
        q, k, v = a.c_attn(block.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(1, n, n_head, C // n_head).transpose(1, 2) for t in (q, k, v))
        if past[i] is not None:
            k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
        past[i] = (k, v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        if n > 1:
            mask = torch.ones(n, T0 + n, dtype=torch.bool).tril(diagonal=T0)
            att = att.masked_fill(~mask, float("-inf"))
        y = (torch.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(1, n, C)
        x = x + a.c_proj(y)
        x = x + block.mlp(block.ln_2(x))
    return model.lm_head(tr.ln_f(x[:, -1]))


def generate(steps):
    torch.manual_seed(0)
    model = GPT(GPTConfig(**{**GPT2, "block_size": 1024})).eval()
    prompt = torch.randint(50257, (1, 16))
    past = [None] * model.cfg.n_layer
    logits = cached_forward(model, prompt, past)
    t = time.perf_counter()
    for _ in range(steps):
        logits = cached_forward(model, logits.argmax(-1, keepdim=True), past)
    return (time.perf_counter() - t) / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["small", "124m", "generate", "val"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--text", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    if a.mode in ("small", "val"):
        ids, vocab, n_train = char_data(a.text)
        cfg = GPTConfig(vocab_size=vocab, **SMALL)
    if a.mode == "small":
        s = time_training(cfg, 12, a.steps or 20, 3, lambda: random_batch(ids, n_train, 12, 64))
        print(f"torch small {a.threads} {s * 1e3:.2f} {12 * 64 / s:.1f} {rss_mb():.0f}")
    elif a.mode == "124m":
        s = time_training(GPTConfig(**GPT2), 4, a.steps or 2, 1,
                          lambda: (torch.randint(50257, (4, 64)), torch.randint(50257, (4, 64))))
        print(f"torch 124m {a.threads} {s * 1e3:.1f} {4 * 64 / s:.2f} {rss_mb():.0f}")
    elif a.mode == "generate":
        s = generate(a.steps or 64)
        print(f"torch generate {a.threads} {s * 1e3:.2f} {1 / s:.2f} {rss_mb():.0f}")
    else:
        steps = a.steps or 2000
        model, t = GPT(cfg), time.perf_counter()
        opt = adamw(model)
        for step in range(steps):
            train_step(model, opt, *random_batch(ids, n_train, 12, 64), lr_at(step, steps))
        val = validate(model, ids, n_train, 12, 64)
        print(f"torch val {steps} {val:.4f} {time.perf_counter() - t:.1f} {rss_mb():.0f}")
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}")


if __name__ == "__main__":
    main()

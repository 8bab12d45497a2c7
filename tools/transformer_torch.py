"""PyTorch side of bench/transformer.sh: the Transformer of include/axon/transformer.h built from torch.nn modules
(tools/fixtures/transformer.py), fed the token ids and batches that `axon train transformer --export DIR` wrote.

  /usr/bin/python3 tools/transformer_torch.py train EXPORT_DIR CKPT_DIR STEPS THREADS
      trains a fresh model of CKPT_DIR/config.json's architecture on the first STEPS batches of epoch 1 (the batches
      axon trained on first, in the same order) with label smoothing 0.1, Adam(0.9, 0.98, 1e-9), the Noam schedule
      (warm-up and factor of config.json's "train" settings) and dropout; prints {"tokens_per_s", ...}: predicted
      target tokens per second over all STEPS steps (the first ones included, as in axon's metrics).
  /usr/bin/python3 tools/transformer_torch.py beam CKPT_DIR IDS_FILE N BEAM THREADS
      loads CKPT_DIR's weights (the state_dict names are torch's) and translates the first N sources of IDS_FILE
      (an --export *.ids file) by beam search as axon's: shrinking beam, GNMT length penalty (alpha 0.6), at most
      source length + 50 tokens (and the model's max_len − 1). torch.nn.TransformerDecoder has no KV cache, so each
      step runs the decoder over the whole prefix (the encoder output is computed once per sentence). Prints
      {"tokens_per_s", ...}: tokens of the best translations (eos included) per second."""
import json
import math
import os
import struct
import sys
import time

import torch

from fixtures.transformer import IGNORE, Transformer

EXTRA_LEN = 50  # as TF_EXTRA_LEN in src/cli/transformer_cli.h


def read_ids(path):
    """[(source ids with eot, target ids)] of an --export *.ids file."""
    pairs = []
    with open(path) as f:
        for line in f:
            src, tgt = line.rstrip("\n").split("\t")
            pairs.append(([int(x) for x in src.split()], [int(x) for x in tgt.split()]))
    return pairs


def read_batches(path, epoch):
    with open(path) as f:
        return [[int(x) for x in line.split("\t")[1].split()] for line in f if int(line.split("\t")[0]) == epoch]


def load_config(ckpt):
    with open(os.path.join(ckpt, "config.json")) as f:
        return json.load(f)


def build(cfg, dropout):
    return Transformer(cfg["vocab_size"], cfg["d_model"], cfg["n_head"], cfg["d_ff"], cfg["enc_layers"],
                       cfg["dec_layers"], cfg["max_len"], cfg["pre_ln"], cfg["learned_pos"], dropout, cfg["ln_eps"])


def load_safetensors(path):
    """{name: float32 tensor} of a safetensors file (F32 entries, as axon writes them)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", f"{name}: {e['dtype']}"
        a, b = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(e["shape"])
    return out


def make_batch(pairs, idx, eot):
    """src (B, S) padded with eot and its keep mask; tgt_in [eot y… eot-pad]; tgt_out [y… eot −100…]."""
    S = max(len(pairs[i][0]) for i in idx)
    T = max(len(pairs[i][1]) + 1 for i in idx)
    src = torch.full((len(idx), S), eot, dtype=torch.long)
    keep = torch.zeros((len(idx), S), dtype=torch.bool)
    tgt_in = torch.full((len(idx), T), eot, dtype=torch.long)
    tgt_out = torch.full((len(idx), T), IGNORE, dtype=torch.long)
    tokens = 0
    for b, i in enumerate(idx):
        s, y = pairs[i]
        src[b, :len(s)] = torch.tensor(s)
        keep[b, :len(s)] = True
        tgt_in[b, 1:len(y) + 1] = torch.tensor(y, dtype=torch.long)
        tgt_out[b, :len(y)] = torch.tensor(y, dtype=torch.long)
        tgt_out[b, len(y)] = eot
        tokens += len(y) + 1
    return src, keep, tgt_in, tgt_out, tokens


def train(export_dir, ckpt, steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    cfg = load_config(ckpt)
    tr = cfg.get("train", {})
    model = build(cfg, cfg["dropout"])
    with torch.no_grad():  # axon's initialisation (transformer.h): xavier_uniform matrices, E ~ N(0, d^-1/2)
        for name, p in model.named_parameters():
            if name == "embed.weight":
                p.normal_(0, cfg["d_model"] ** -0.5)
            elif p.dim() > 1:
                torch.nn.init.xavier_uniform_(p)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    factor, warmup, clip = tr.get("lr", 1.0), tr.get("warmup", 4000), tr.get("grad_clip", 0)
    ls = tr.get("label_smoothing", 0.1)
    pairs = read_ids(os.path.join(export_dir, "train.ids"))
    batches = read_batches(os.path.join(export_dir, "batches.txt"), 1)
    tokens, losses, t0 = 0, [], time.perf_counter()
    for step in range(steps):
        src, keep, tgt_in, tgt_out, k = make_batch(pairs, batches[step % len(batches)], cfg["eot_id"])
        s = step + 1
        for g in opt.param_groups:
            g["lr"] = factor * cfg["d_model"] ** -0.5 * min(s ** -0.5, s * warmup ** -1.5)
        loss = model.loss(model.decode(model.encode(src, keep), keep, tgt_in), tgt_out, ls)
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        tokens += k
        losses.append(loss.item())
    seconds = time.perf_counter() - t0
    return {"steps": steps, "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
            "first_loss": losses[0], "last_loss": losses[-1]}


@torch.no_grad()
def beam_search(model, src, beam, alpha, max_len, eot):
    """The best hypothesis (ids without eos, finished) of a shrinking beam search like ax_beam_search."""
    keep = torch.ones((1, len(src)), dtype=torch.bool)
    memory = model.encode(torch.tensor([src]), keep)
    rows, logps, finished = [[]], torch.zeros(1), []
    penalty = lambda n: ((5 + n) / 6) ** alpha  # noqa: E731
    for t in range(max_len + 1):
        k = len(rows)
        tgt_in = torch.tensor([[eot] + r for r in rows])
        logits = model.decode(memory.expand(k, -1, -1), keep.expand(k, -1), tgt_in)[:, -1]
        total = (logps[:, None] + torch.log_softmax(logits, -1)).reshape(-1)
        if t == max_len:  # out of room: only eos may follow (the hypotheses end unfinished)
            for i in range(k):
                finished.append((logps[i].item() / penalty(len(rows[i])), rows[i], False))
            break
        best = torch.topk(total, beam - len(finished)).indices.tolist()
        new_rows, new_logps = [], []
        for j in best:
            i, w = divmod(j, logits.shape[1])
            if w == eot:
                finished.append((total[j].item() / penalty(len(rows[i])), rows[i], True))
            else:
                new_rows.append(rows[i] + [w])
                new_logps.append(total[j])
        if not new_rows or len(finished) >= beam:
            break
        rows, logps = new_rows, torch.stack(new_logps)
    return max(finished, key=lambda h: h[0])


def beam(ckpt, ids_file, n, width, threads, alpha=0.6):
    torch.set_num_threads(threads)
    cfg = load_config(ckpt)
    model = build(cfg, 0.0)
    state = load_safetensors(os.path.join(ckpt, "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(m == "table" for m in missing), (missing, unexpected)
    model.eval()
    sources = [s for s, _ in read_ids(ids_file)[:n]]
    tokens, t0 = 0, time.perf_counter()
    for src in sources:
        _, ids, _ = beam_search(model, src, width, alpha, min(len(src) + EXTRA_LEN, cfg["max_len"] - 1), cfg["eot_id"])
        tokens += len(ids) + 1
    seconds = time.perf_counter() - t0
    return {"sentences": len(sources), "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds}


def main():
    if sys.argv[1:2] == ["train"]:
        print(json.dumps(train(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))), flush=True)
    elif sys.argv[1:2] == ["beam"]:
        print(json.dumps(beam(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))),
              flush=True)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

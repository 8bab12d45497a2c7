"""A minimal GPT-2 in plain PyTorch (nanoGPT style), with Hugging Face GPT2LMHeadModel's module names and
Conv1D layout, so its state_dict has exactly HF's keys and shapes:

    transformer.wte.weight (V, C)            transformer.wpe.weight (n_positions, C)
    transformer.h.N.ln_1.{weight,bias} (C)   transformer.h.N.attn.c_attn.weight (C, 3C)  .bias (3C)
    transformer.h.N.attn.c_proj.weight (C, C) .bias (C)
    transformer.h.N.ln_2.{weight,bias} (C)   transformer.h.N.mlp.c_fc.weight (C, 4C)  .bias (4C)
    transformer.h.N.mlp.c_proj.weight (4C, C) .bias (C)
    transformer.ln_f.{weight,bias} (C)       lm_head.weight (V, C), tied to wte (save_pretrained omits it)

Used by tools/fixtures/gpt.py (parity fixture), tools/check_hf.py and the benchmarks. Also reads and writes
axon / Hugging Face checkpoint directories (model.safetensors + config.json) without the safetensors package."""
import json
import math
import os
import struct
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 50257
    block_size: int = 1024
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    ln_eps: float = 1e-5

    def to_hf(self, **extra):
        """config.json in transformers.GPT2Config format (what axon writes)."""
        cfg = {
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": self.vocab_size,
            "n_positions": self.block_size, "n_ctx": self.block_size, "n_embd": self.n_embd,
            "n_layer": self.n_layer, "n_head": self.n_head, "n_inner": None, "activation_function": "gelu_new",
            "resid_pdrop": self.dropout, "embd_pdrop": self.dropout, "attn_pdrop": 0.0,
            "layer_norm_epsilon": self.ln_eps, "initializer_range": 0.02, "tie_word_embeddings": True,
            "torch_dtype": "float32",
        }
        cfg.update(extra)
        return cfg

    @staticmethod
    def from_hf(cfg):
        return GPTConfig(vocab_size=cfg["vocab_size"], block_size=cfg["n_positions"], n_layer=cfg["n_layer"],
                         n_head=cfg["n_head"], n_embd=cfg["n_embd"], dropout=cfg.get("resid_pdrop", 0.0),
                         ln_eps=cfg.get("layer_norm_epsilon", 1e-5))


class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer whose weight is stored (in, out); y = x·W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = F.softmax(att.masked_fill(~causal, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.ln_eps)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.ln_eps)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg.vocab_size, cfg.n_embd),
            wpe=nn.Embedding(cfg.block_size, cfg.n_embd),
            drop=nn.Dropout(cfg.dropout),
            h=nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
            ln_f=nn.LayerNorm(cfg.n_embd, eps=cfg.ln_eps),
        ))
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied
        self.init_weights()

    def init_weights(self, generator=None):
        """GPT-2: N(0, 0.02) everywhere, residual projections N(0, 0.02/sqrt(2·n_layer)), biases 0, LN 1/0."""
        proj_std = 0.02 / math.sqrt(2 * self.cfg.n_layer)
        with torch.no_grad():
            for name, p in self.named_parameters():  # lm_head.weight is wte: named_parameters lists it once
                if name.endswith("c_proj.weight"):
                    p.normal_(0.0, proj_std, generator=generator)
                elif name.endswith(".bias"):
                    p.zero_()
                elif ".ln_" in name:
                    p.fill_(1.0)
                else:
                    p.normal_(0.0, 0.02, generator=generator)

    def forward(self, idx, targets=None):
        T = idx.size(1)
        pos = torch.arange(T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

    def hf_state_dict(self):
        """The tensors save_pretrained writes: the state_dict without the tied lm_head.weight."""
        return {k: v for k, v in self.state_dict().items() if k != "lm_head.weight"}


# ---- checkpoint directories (model.safetensors + config.json) -------------------------------------------

_DTYPES = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64}


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> torch tensor (f32/i32/i64), written in the given order."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        code = {np.dtype(v): k for k, v in _DTYPES.items()}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def read_safetensors(path):
    """name -> torch tensor, in file order (bf16 is widened to f32)."""
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, end = e["data_offsets"]
        raw = buf[8 + n + b:8 + n + end]
        if e["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, dtype=np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(a.copy().reshape(e["shape"]))
    return out


def save_checkpoint(model, directory, **config_extra):
    """An axon / HF GPT-2 checkpoint directory."""
    os.makedirs(directory, exist_ok=True)
    write_safetensors(os.path.join(directory, "model.safetensors"), model.hf_state_dict(), {"format": "pt"})
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(model.cfg.to_hf(axon_model="gpt", **config_extra), f, indent=2)


def load_checkpoint(directory):
    with open(os.path.join(directory, "config.json")) as f:
        model = GPT(GPTConfig.from_hf(json.load(f)))
    state = read_safetensors(os.path.join(directory, "model.safetensors"))
    state = {k if k.startswith("transformer.") else "transformer." + k: v for k, v in state.items()
             if not k.endswith((".attn.bias", ".attn.masked_bias")) and k != "lm_head.weight"}
    result = model.load_state_dict(state, strict=False)  # lm_head.weight comes from the tie
    if result.unexpected_keys or set(result.missing_keys) != {"lm_head.weight"}:
        raise ValueError(f"{directory}: missing {result.missing_keys}, unexpected {result.unexpected_keys}")
    return model

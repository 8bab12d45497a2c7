#!/usr/bin/python3
"""Proves that an axon GPT checkpoint directory is a Hugging Face GPT-2 checkpoint: it loads in
transformers.GPT2LMHeadModel.from_pretrained(DIR) with no missing or unexpected weights (lm_head.weight comes
from the tie) and gives the same logits as tools/gpt_reference.py on the same weights, which tests/test_gpt.c
matches against axon. With --axon BIN, also compares axon's own perplexity of a random token text
(`axon ppl --json`) with transformers' loss on the same tokens.

Usage: tools/check_hf.py [DIR] [--axon build/axon]   (DIR defaults to tests/fixtures/gpt)
Exits 0 (and says so) without transformers installed."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(__file__))
import gpt_reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RTOL = 1e-5


def close(a, b, rtol=RTOL, atol=1e-6):
    err = (a - b).abs().max().item()
    return err <= atol + rtol * b.abs().max().item(), err


def check_ppl(hf, directory, axon):
    """A random text of block_size + 1 tokens (one window): axon's loss against transformers'. The text is
    written from a char-level checkpoint's vocabulary, so its ids are known without a tokenizer in Python."""
    vocab_path = os.path.join(directory, "char_vocab.json")
    if not os.path.exists(vocab_path):
        print("  (axon ppl comparison needs a char-level checkpoint: skipped)")
        return True
    chars = json.load(open(vocab_path, encoding="utf-8"))["chars"]
    T = hf.config.n_positions
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, len(chars), (T + 1,), generator=gen)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("".join(chars[i] for i in ids.tolist()))
    out = subprocess.run([axon, "ppl", "--ckpt", directory, "--data", f.name, "--json", "--quiet"], check=True,
                         capture_output=True, text=True).stdout
    os.unlink(f.name)
    logits = hf(ids[None, :T]).logits[0]
    loss = torch.nn.functional.cross_entropy(logits, ids[1:]).item()
    ours = json.loads(out)["loss"]
    ok = abs(ours - loss) <= 1e-4 * abs(loss)
    print(f"  axon ppl loss {ours:.6f}, transformers {loss:.6f}: {'ok' if ok else 'MISMATCH'}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default=os.path.join(HERE, "..", "tests", "fixtures", "gpt"))
    ap.add_argument("--axon", help="path of the axon binary: also compare `axon ppl` with transformers")
    args = ap.parse_args()
    try:
        from transformers import GPT2LMHeadModel
    except ImportError:
        print("check_hf: transformers is not installed: skipped")
        return 0
    torch.manual_seed(0)
    hf, info = GPT2LMHeadModel.from_pretrained(args.dir, output_loading_info=True)
    hf.eval()
    missing = [k for k in info["missing_keys"] if k != "lm_head.weight"]
    unexpected = [k for k in info["unexpected_keys"] if not k.endswith((".attn.bias", ".attn.masked_bias"))]
    ok = not missing and not unexpected and not info.get("mismatched_keys")
    print(f"check_hf: {args.dir}: loaded in GPT2LMHeadModel; missing {missing}, unexpected {unexpected}")
    ours = ref.load_checkpoint(args.dir).eval()
    T = hf.config.n_positions
    idx = torch.randint(0, hf.config.vocab_size, (2, min(T, 64)), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        same, err = close(hf(idx).logits, ours(idx)[0])
        print(f"  logits vs tools/gpt_reference.py: max |diff| {err:.3g}: {'ok' if same else 'MISMATCH'}")
        ok = ok and same
        if args.axon:
            ok = check_ppl(hf, args.dir, args.axon) and ok
    print("check_hf: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

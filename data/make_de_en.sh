#!/bin/sh
# Builds German–English sentence pairs from the Debian package trans-de-en (Frank Richter's TU Chemnitz
# dictionary, GPL-2+; `sudo apt-get install trans-de-en`), for `axon train seq2seq|transformer`.
#
#   data/make_de_en.sh OUTDIR [DICT]      DICT defaults to /usr/share/trans/de-en
#
# Dictionary lines read `German :: English`; ` | ` separates alternatives (in the same order on both sides), `; `
# synonyms, and {..} [..] (..) hold annotations. Every pair of alternatives whose sides both hold sentences (after
# removing annotations: a capital first letter, a final . ! or ?, at least 3 words, no sth./etw. placeholders)
# gives one pair per synonym pair. Pairs are deduplicated, grouped so that pairs sharing a German or an English
# sentence stay in one split, shuffled with a fixed seed and split 80/10/10 into OUTDIR/train.tsv, valid.tsv and
# test.tsv: `English<TAB>German<TAB>attribution` lines (the Anki format that axon reads). The output is GPL data:
# it is built on your machine and never committed.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 OUTDIR [DICT]" >&2
    exit 2
fi
out=$1
dict=${2:-/usr/share/trans/de-en}
if [ ! -r "$dict" ]; then
    echo "$0: cannot read $dict (sudo apt-get install trans-de-en)" >&2
    exit 1
fi
mkdir -p "$out"
/usr/bin/python3 - "$dict" "$out" <<'PY'
import os, random, re, sys

dict_path, out = sys.argv[1], sys.argv[2]
SEED = 20240501
ATTRIBUTION = "trans-de-en (Frank Richter, dict.tu-chemnitz.de, GPL-2+)"
ANNOTATION = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*\)")
PLACEHOLDER = re.compile(r"\b(sth|sb|etw|jdn|jdm|jds|jd)\.")

def clean(s):
    """The text without annotations, with single spaces and no space before punctuation."""
    prev = None
    while prev != s:  # nested brackets: innermost first
        prev, s = s, ANNOTATION.sub(" ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return re.sub(r" ([.,!?;:])", r"\1", s)

def is_sentence(s):
    return (len(s) > 1 and s[0].isupper() and s[-1] in ".!?" and len(s.split()) >= 3
            and not PLACEHOLDER.search(s) and not any(c in s for c in "{}[]()|…") and "..." not in s)

pairs = set()
with open(dict_path, encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or " :: " not in line:
            continue
        de, en = line.rstrip("\n").split(" :: ", 1)
        de_alts, en_alts = de.split(" | "), en.split(" | ")
        if len(de_alts) != len(en_alts):
            continue
        for d, e in zip(de_alts, en_alts):
            ds = [clean(x) for x in d.split("; ")]
            es = [clean(x) for x in e.split("; ")]
            ds, es = [x for x in ds if is_sentence(x)], [x for x in es if is_sentence(x)]
            pairs.update((x, y) for x in ds for y in es)

# pairs that share a German or an English sentence form one group, so no sentence is in two splits
parent = {}
def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x
for d, e in pairs:
    parent[find(("de", d))] = find(("en", e))
groups = {}
for d, e in sorted(pairs):
    groups.setdefault(find(("de", d)), []).append((e, d))
order = sorted(groups, key=lambda k: groups[k][0])
random.Random(SEED).shuffle(order)

n = len(pairs)
splits = {"train": [], "valid": [], "test": []}
for k in order:
    name = "train" if len(splits["train"]) < 0.8 * n else "valid" if len(splits["valid"]) < 0.1 * n else "test"
    splits[name].extend(groups[k])
for name, rows in splits.items():
    path = os.path.join(out, name + ".tsv")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for e, d in rows:
            f.write(f"{e}\t{d}\t{ATTRIBUTION}\n")
    os.replace(path + ".tmp", path)
print(f"{n} German-English pairs: train {len(splits['train'])}, valid {len(splits['valid'])}, "
      f"test {len(splits['test'])} -> {out}")
PY

#!/bin/sh
# Builds Spanish–English verse pairs from two public-domain Bibles in Debian packages, for
# `axon train transformer|seq2seq`: the King James Version (sword-text-kjv, module engKJV2006eb) and the
# Reina-Valera 1909 (sword-text-sparv, module spaRV1909eb), exported with mod2imp (libsword-utils):
#   sudo apt-get install sword-text-kjv sword-text-sparv libsword-utils
#
#   data/make_es_en.sh OUTDIR [--reverse]
#
# mod2imp writes `$$$Book C:V` then the verse's OSIS markup. Verses are aligned by reference; headings (verse 0,
# chapter 0) are dropped, and so are footnotes (<note>…</note>, KJV only); every other tag is removed keeping its
# words (a psalm's canonical title stays: the Reina-Valera has it inline too), ¶ marks go, entities are unescaped and
# whitespace is normalised. A verse empty in either Bible is skipped. Pairs sharing an English or a Spanish verse
# text (the repeated offerings of Numbers 7, …) are kept in one split, so the test set holds no sentence seen in
# training; the groups are shuffled with a fixed seed and split 80/10/10 into OUTDIR/train.tsv, valid.tsv and
# test.tsv as `English<TAB>Spanish<TAB>attribution` lines: the column convention of data/make_de_en.sh, so the axon
# trainers translate Spanish → English by default (their --reverse: English → Spanish). With --reverse the columns
# are written the other way round (`Spanish<TAB>English`), which makes English → Spanish the default direction.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != --reverse ]; }; then
    echo "usage: $0 OUTDIR [--reverse]" >&2
    exit 2
fi
out=$1
reverse=${2:-}
command -v mod2imp >/dev/null || { echo "$0: mod2imp is missing (sudo apt-get install libsword-utils)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in engKJV2006eb spaRV1909eb; do
    mod2imp "$m" >"$tmp/$m.imp" 2>"$tmp/err" && [ -s "$tmp/$m.imp" ] || {
        echo "$0: mod2imp $m failed (sudo apt-get install sword-text-kjv sword-text-sparv): $(head -c 200 "$tmp/err")" >&2
        exit 1
    }
done
mkdir -p "$out"
/usr/bin/python3 - "$tmp/engKJV2006eb.imp" "$tmp/spaRV1909eb.imp" "$out" "$reverse" <<'PY'
import html, os, random, re, sys

en_path, es_path, out, reverse = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "--reverse"
SEED = 20240531
ATTRIBUTION = "King James Version / Reina-Valera 1909 (public domain; Debian sword-text-kjv, sword-text-sparv)"
REF = re.compile(r"^\$\$\$(.+) (\d+):(\d+)$")
NOTE = re.compile(r"<note\b[^>]*>.*?</note>", re.S)
INLINE = re.compile(r"</?(w|transChange|divineName|q|seg|foreign|hi)\b[^>]*>")  # inside a word run: no space
TAG = re.compile(r"<[^>]*>")

def clean(markup):
    """The words of a verse: footnotes dropped, tags removed, ¶ gone, entities unescaped, single spaces."""
    s = re.sub(r"(</[^>]+>)(?=<[^/])", r"\1 ", NOTE.sub(" ", markup))  # `</w><w`: two words
    s = TAG.sub(" ", INLINE.sub("", s))
    s = html.unescape(s).replace("\u00b6", " ")
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"([¿¡(\[]) ", r"\1", s)
    return re.sub(r" ([.,;:!?)\]])", r"\1", s)

def verses(path):
    """{(book, chapter, verse): text} of a mod2imp export, headings (chapter or verse 0) left out."""
    found, key, body = {}, None, []
    def flush():
        if key and key[1] > 0 and key[2] > 0:
            text = clean(" ".join(body))
            if text:
                found[key] = text
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("$$$"):
                flush()
                m = REF.match(line)
                key, body = ((m.group(1), int(m.group(2)), int(m.group(3))) if m else None), []
            else:
                body.append(line)
    flush()
    return found

en, es = verses(en_path), verses(es_path)
pairs = sorted({(en[k], es[k]) for k in en.keys() & es.keys()})

# pairs that share an English or a Spanish text form one group, so no sentence is in two splits
parent = {}
def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x
for e, s in pairs:
    parent[find(("en", e))] = find(("es", s))
groups = {}
for e, s in pairs:
    groups.setdefault(find(("en", e)), []).append((e, s))
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
        for e, s in rows:
            f.write(f"{s}\t{e}\t{ATTRIBUTION}\n" if reverse else f"{e}\t{s}\t{ATTRIBUTION}\n")
    os.replace(path + ".tmp", path)
print(f"{n} Spanish-English verse pairs ({len(en)} KJV, {len(es)} RV1909 verses): train {len(splits['train'])}, "
      f"valid {len(splits['valid'])}, test {len(splits['test'])} -> {out}")
PY

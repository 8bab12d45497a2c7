#!/usr/bin/env python3
"""Builds the weak labeller's gazetteers (data/ner/*.tsv) and the KJV corpus (data/ner/kjv.txt) from Debian packages.

Needs: sword-text-kjv + libsword-utils (mod2imp), sword-dict-strongs-hebrew/-greek, wordnet-base, iso-codes,
miscfiles, and data/austen.txt.gz. Usage: python3 data/make_ner.py [OUT_DIR]   (default data/ner)

Files (UTF-8, one entry a line, `entry<TAB>TYPE<TAB>count`; an entry is tokens of the gold tokenization joined by
single spaces; TYPE is PER, LOC or MISC; count = how much evidence; the same entry may carry several types):
  wordnet.tsv   WordNet 3 instance nouns under noun.person (PER, one-word names) and noun.location (LOC, one or
                two words); capitalised person nouns
                that are members of peoples and capitalised language nouns and adjectives (MISC)
  iso.tsv       ISO 3166 countries and subdivisions (LOC), ISO 639 language names (MISC)
  names.tsv     first names of miscfiles' /usr/share/dict/propernames (PER)
  bible.tsv     KJV words linked through their Strong's numbers to dictionary entries of proper names; the type is
                read from the entry's definition (a place / city / river → LOC; a people, patronymic, patrial,
                inhabitant → MISC; otherwise PER); count = occurrences in the KJV
  titled.tsv    capitalised words that follow a title (Mr. Mrs. Miss Sir Lady Colonel Captain ...) in the Austen
                novels and the KJV (PER); count = occurrences
  tribes.tsv    capitalised words after "tribe(s) of" in the two corpora (MISC: the tribes of Israel)
  case.tsv      for every word seen capitalised inside a sentence in the two corpora (or lower case 10 times): `word<TAB>capitalised
                inside a sentence<TAB>lower case` counts (tells names from common words)
  kjv.txt       the KJV verse text, markup removed (footnotes kept, as in the gold set), one verse a line
                (not committed: 4.6 MB; rebuild with this script)
"""
import gzip, json, os, re, subprocess, sys
from collections import Counter, defaultdict

TOKEN = re.compile(r"(?:Mr|Mrs|Dr|St|Messrs|Esq)\.|\w+(?:['’-]\w+)*|[^\w\s]")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "ner")
TITLES = {"Mr.", "Mrs.", "Mr", "Mrs", "Miss", "Sir", "Lady", "Colonel", "Captain", "Dr.", "Admiral", "Governor",
          "Lord", "King", "Queen", "Prince", "Princess", "General", "Madam", "Master"}


def tokens(text):
    return TOKEN.findall(text)


def is_cap(w):
    return w[:1].isupper()


def mod2imp(module):
    out = subprocess.run(["mod2imp", module], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    key, buf = None, []
    for line in out.split("\n"):
        if line.startswith("$$$"):
            if key is not None:
                yield key, " ".join(buf)
            key, buf = line[3:].strip(), []
        else:
            buf.append(line)
    if key is not None:
        yield key, " ".join(buf)


def write_tsv(name, counts):
    """counts: {(entry, TYPE): n}"""
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        for (entry, typ), n in sorted(counts.items()):
            f.write(f"{entry}\t{typ}\t{n}\n")
    print(f"{name}: {len(counts)} entries", file=sys.stderr)


# ---- Strong's dictionaries: which numbers are proper names, and of what ----
MISC_WORDS = re.compile(r"\b(patronymic\w*|patrial\w*|gentilic|inhabitants?|descendants?|posterity|people|"
                        r"tribes?|nation|native tribe|aboriginal|collectively|race|sect|sectary|Jews?|Jewish)\b", re.I)
LOC_WORDS = re.compile(r"\b(place|city|cities|town|village|region|country|district|land|mountain|mount|hill|"
                       r"river|stream|brook|valley|desert|wilderness|sea|lake|pool|island|province|fortress|"
                       r"spring|fountain|plain|gate|tower|station|locality|spot|harbor|haven|capital|territory|empire|"
                       r"kingdom|Babylonia|Egypt|Palestine|Arabia)\b",
                       re.I)


def strongs_types(module, prefix):
    types = {}
    for key, body in mod2imp(module):
        if not key.isdigit():
            continue
        d = " ".join(re.findall(r"<def>(.*?)</def>", body, re.S))
        d = re.sub(r"<[^>]+>", "", d).replace("{", "").replace("}", "")
        head, sep, kjv = d.partition(":--") if ":--" in d else d.rpartition(" - ")
        if not sep or not re.search(r"\b[A-Z][a-z]", kjv):
            continue  # KJV renderings without a capitalised word: not a name
        desc = head.split(";")[-1] if ";" in head else head
        first = re.split(r"\balso\b", desc)[0]  # "a prophet; also a place": the first reading decides ...
        if MISC_WORDS.search(desc):  # ... unless a people is named after him ("Jacob; also his posterity")
            t = "MISC"
        elif LOC_WORDS.search(first):
            t = "LOC"
        else:
            t = "PER"
        types[f"{prefix}{int(key)}"] = t
    return types


def clean_verse(body):
    body = re.sub(r"<title[^>]*>.*?</title>", "", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body)).strip()


def kjv(strongs):
    """the verses (text lines) and the name counts {(entry, TYPE): n} of Strong's-linked words"""
    verses, counts = [], Counter()
    for key, body in mod2imp("engKJV2006eb"):
        m = re.match(r".* (\d+):(\d+)$", key)
        if not m or m.group(1) == "0" or m.group(2) == "0":
            continue
        for lemma, word in re.findall(r'<w [^>]*lemma="([^"]*)"[^>]*>(.*?)</w>', body):
            word = re.sub(r"<[^>]+>", "", word)
            nums = [f"{n[0]}{int(n[1:])}" for n in re.findall(r"strong:([HG]\d+)", lemma)]
            ts = [strongs[n] for n in nums if n in strongs]
            toks = tokens(word)
            if ts and toks and all(is_cap(t) or t == "-" for t in toks) and not word.isupper():
                counts[(" ".join(toks), Counter(ts).most_common(1)[0][0])] += 1
        verses.append(clean_verse(body))
    return verses, counts


# ---- WordNet ----
def wordnet():
    counts = Counter()
    path = "/usr/share/wordnet/data.noun"
    for line in open(path, encoding="latin-1"):
        if line.startswith("  "):
            continue
        f = line.split(" | ")[0].split()
        lex, n = int(f[1]), int(f[3], 16)
        words = [f[4 + 2 * i].replace("_", " ") for i in range(n)]
        rest = f[4 + 2 * n:]
        ptrs = [rest[1 + 4 * i] for i in range(int(rest[0]))]
        instance = "@i" in ptrs
        for w in words:
            w = re.sub(r"\(.*\)$", "", w)
            if not is_cap(w):
                continue
            toks = tokens(w)
            if instance and lex == 18 and len(toks) == 1:  # longer names hardly occur in the corpora: kept
                counts[(" ".join(toks), "PER")] += 1        # out to keep the file small
            elif instance and lex == 15 and len(toks) <= 2:
                counts[(" ".join(toks), "LOC")] += 1
            elif not instance and lex in (18, 10) and len(toks) == 1 and not w.isupper():
                counts[(w, "MISC")] += 1  # Levite, Philistine, Englishman; Hebrew, Greek (languages)
                if lex == 18:
                    counts[(w + ("es" if w.endswith("s") else "s"), "MISC")] += 1
    for line in open("/usr/share/wordnet/data.adj", encoding="latin-1"):
        if line.startswith("  "):
            continue
        f = line.split(" | ")[0].split()
        for i in range(int(f[3], 16)):
            w = re.sub(r"\(.*\)$", "", f[4 + 2 * i]).replace("_", " ")
            if is_cap(w) and len(tokens(w)) == 1 and not w.isupper():
                counts[(w, "MISC")] += 1  # English, French, Egyptian
    return counts


def iso():
    counts = Counter()
    base = "/usr/share/iso-codes/json/"
    for rec in json.load(open(base + "iso_3166-1.json"))["3166-1"]:
        for k in ("name", "common_name"):
            if k in rec:
                counts[(" ".join(tokens(rec[k])), "LOC")] += 1
    for rec in json.load(open(base + "iso_3166-2.json"))["3166-2"]:
        if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", rec["name"]):
            counts[(" ".join(tokens(rec["name"])), "LOC")] += 1
    for rec in json.load(open(base + "iso_639-2.json"))["639-2"]:
        for name in rec["name"].split(";"):
            name = name.strip()
            if re.fullmatch(r"[A-Z][a-z]+", name):
                counts[(name, "MISC")] += 1
    return counts


def propernames():
    with gzip.open("/usr/share/dict/propernames.gz", "rt", encoding="utf-8") as f:
        return Counter({(w.strip(), "PER"): 1 for w in f if re.fullmatch(r"[A-Z][a-z]+", w.strip())})


def sentences(lines):
    """token lists of the text: each line split after . ! ? (good enough for case statistics)"""
    for line in lines:
        sent = []
        for t in tokens(line.replace("_", "")):
            sent.append(t)
            if t in (".", "!", "?", ";", ":"):
                yield sent
                sent = []
        if sent:
            yield sent


def corpus_stats(texts):
    titled, tribes, case = Counter(), Counter(), defaultdict(lambda: [0, 0])
    for sent in sentences(texts):
        for i, w in enumerate(sent):
            if not w[:1].isalpha():
                continue
            if i > 0 and sent[i - 1] not in ('"', "“", "‘", "'", "(", "¶"):
                case[w.lower()][0 if is_cap(w) else 1] += 1
            if i > 0 and sent[i - 1] in TITLES and is_cap(w) and not w.isupper() and w not in TITLES:
                titled[(w, "PER")] += 1
            if i > 1 and sent[i - 2] in ("tribe", "tribes") and sent[i - 1] == "of" and is_cap(w):
                tribes[(w, "MISC")] += 1
    case = {w: c for w, c in case.items() if c[0] > 0 or c[1] >= 10}
    return titled, tribes, case


def main():
    os.makedirs(OUT, exist_ok=True)
    strongs = strongs_types("StrongsHebrew", "H")
    strongs.update(strongs_types("StrongsGreek", "G"))
    verses, bible = kjv(strongs)
    with open(os.path.join(OUT, "kjv.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(verses) + "\n")
    print(f"kjv.txt: {len(verses)} verses", file=sys.stderr)
    write_tsv("bible.tsv", bible)
    write_tsv("wordnet.tsv", wordnet())
    write_tsv("iso.tsv", iso())
    write_tsv("names.tsv", propernames())
    with gzip.open(os.path.join(HERE, "austen.txt.gz"), "rt", encoding="utf-8") as f:
        austen = f.read()
    # Austen's paragraphs are wrapped: join each paragraph into one line first
    paras = [" ".join(p.split("\n")) for p in austen.split("\n\n")]
    titled, tribes, case = corpus_stats(paras + verses)
    write_tsv("tribes.tsv", tribes)
    write_tsv("titled.tsv", Counter({k: n for k, n in titled.items() if n >= 2}))
    with open(os.path.join(OUT, "case.tsv"), "w", encoding="utf-8") as f:
        for w, (cap, low) in sorted(case.items()):
            f.write(f"{w}\t{cap}\t{low}\n")
    print(f"case.tsv: {len(case)} words", file=sys.stderr)


if __name__ == "__main__":
    main()

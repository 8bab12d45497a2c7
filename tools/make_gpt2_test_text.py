"""Writes tests/fixtures/gpt2_text.txt: a deterministic UTF-8 test text (~80 KB) for the GPT-2 BPE exactness test.

Everything in it is written for this project or generated here (public domain): English prose with
contractions, many scripts, emoji, combining marks, Unicode digits, whitespace runs of every kind, numbers, code,
long pieces (which take the encoder's heap path), "<|endoftext|>" markers, the two code points on each side of
every boundary in src/tokenize/unicode_tables.c, and seeded random mixtures of all of these.
Its reference ids come from tools/gpt2_reference_ids.js. Usage: python3 tools/make_gpt2_test_text.py
"""
import os
import random
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "gpt2_text.txt")
TABLES = os.path.join(ROOT, "src", "tokenize", "unicode_tables.c")

PROSE = """\
The lighthouse keeper's daughter didn't believe in ghosts, but she'd heard the bell ring twice that night.
"It's only the wind," her father said, though he wasn't looking at her when he said it. They'd lived on the
island for eleven years, and in all that time the bell had never rung on its own. She'll remember the sound
for the rest of her life: a low, cracked note, like something that had been asleep under the sea.

We're told that curiosity is a virtue. I've never been sure. You'd think a person who's spent forty-three years
mending nets would've learned patience, yet here I am at 3:45 a.m., counting the seconds between flashes
(7.5 seconds, give or take 0.25) and wondering whether the boat I saw at 11:02 p.m. was real.

  Chapter 2 -- The Ledger

The ledger listed 1,204 ships between 1891 and 1932. Each entry had a date (e.g. 1907-03-14), a tonnage, and a
remark in faded ink: "fog", "fair", "lost". Some remarks were longer. One read: 'Schooner ANNA MARIE, 212 tons,
sighted 4 mi. NNE; didn't answer the lamp; gone by dawn.' Another simply said: "Don't ask."

I'm not a superstitious man -- I'd say I'm the opposite -- but when the clock stopped at 12:00 exactly, and the
barometer fell from 30.12 to 29.47 inHg in under an hour, I couldn't help myself. I wrote it all down.

    def read_ledger(path):
        with open(path) as f:
            for line_no, line in enumerate(f, 1):
                if line.strip() == "":
                    continue
                yield line_no, line.rstrip("\\n").split("\\t")

They say the sea keeps what it takes. THEY'RE WRONG. It gives things back: a shoe, a bottle with a note
("HELP -- 48°N 5°W"), a photograph of people nobody recognised. Y'all'd've laughed at how carefully we dried it.
Rock'n'roll played on the radio; o'clock, ma'am, 'tis, 'twas, ol' Jack's dog's bowl, the Smiths' house.
"""

WORDS = """the of and to in is was he for it with as his on be at by had are but from or have an they which one
you were her all she there would their we him been has when who will more no if out so said what up its about
into than them can only other new some could time these two may then do first any my now such like our over man
me even most made after also did many before must through back years where much your way well down should
because each just those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year off come since
against go came right used take three harbour island keeper lamp tide storm harbour ledger shore gull rope anchor
lantern fog night morning weather cliff stone bell wave salt ship sail map compass quiet distant bright narrow
heavy silver broken careful patient strange ordinary sudden gentle ancient restless""".split()

CONTRACTIONS = ["don't", "won't", "can't", "isn't", "it's", "he's", "she'd", "we'll", "they've", "I'm", "you're",
                "shouldn't've", "that'll", "who'd", "let's", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S",
                "'T", "'RE", "’s", "’t", "''s", "' s", "'", "''", "'''", "x'", "'x", "'sup", "'dd", "'lll"]

MULTILINGUAL = """\
Français : « L'été dernier, nous sommes allés à la mer ; c'était magnifique ! » — déjà vu, naïve, cœur, Œuvre.
Deutsch: Größere Übungen fördern die Ausdauer. Straße, Fußgänger, Ärger, ÖL, überall — „Anführungszeichen“.
Español: ¿Dónde está la biblioteca? ¡Qué día tan bonito! El niño comió piña y jalapeños en la mañana.
Português: Não há coração que aguente; às vezes é difícil. Ελληνικά: Η γρήγορη καφέ αλεπού πηδά πάνω από τον σκύλο.
Русский: Съешь же ещё этих мягких французских булок, да выпей чаю. Ёжик в тумане — 1975 год.
Українська: Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів! Български: Жълтата дюля беше щастлива.
中文：我能吞下玻璃而不伤身体。今天天气很好，我们去公园散步吧！《红楼梦》第１２０回。
日本語：いろはにほへと ちりぬるを。私はガラスを食べられます。それは私を傷つけません。カタカナ、ｶﾀｶﾅ。
한국어: 나는 유리를 먹을 수 있어요. 그래도 아프지 않아요. 다람쥐 헌 쳇바퀴에 타고파.
العربية: أنا قادر على أكل الزجاج و هذا لا يؤلمني. الأرقام: ٠١٢٣٤٥٦٧٨٩ و ۱۲۳.
עברית: אני יכול לאכול זכוכית וזה לא מזיק לי. हिन्दी: मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती। अंक: ०१२३४५६७८९
ไทย: ฉันกินกระจกได้ แต่มันไม่ทำให้ฉันเจ็บ Tiếng Việt: Tôi có thể ăn thủy tinh mà không hại gì. ქართული: მინას ვჭამ.
Հայերեն: Կրնամ ապակի ուտել։ አማርኛ: ብርጭቆ መብላት እችላለሁ። ᚠᛇᚻ᛫ᛒᛦᚦ ᐊᓕᒍᖅ 𐌰𐌽𐍃 𝔊𝔬𝔱𝔥𝔦𝔠 𝕯𝖔𝖚𝖇𝖑𝖊
"""

SYMBOLS = """\
Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 1️⃣ #️⃣ ❤️ ✨🚀🌊 🧑🏿‍🚀 🫠 🪼 ☕️ — ok👌ok 👀!!
Math: ∀x∈ℝ: x²≥0, ∑ᵢ₌₁ⁿ i = n(n+1)/2, √2 ≈ 1.41421356, π ≈ 3.14159, ∞ ≠ ∅, ½ + ¼ = ¾, ⅞, Ⅻ, ⅻ, ↉.
Currency: $19.99 €5,00 £3.50 ¥1000 ₹250 ₩5000 ₿0.001 — ¢ ₽ ₺ ₫ ¤. Arrows: ← → ↑ ↓ ⇒ ⟶ ↔.
Fullwidth: ＡＢＣ１２３！？ Superscripts: x¹ x² x³ x⁴⁵ H₂O CO₂ 10⁻⁹ m. Circled: ①②③ ⑳ ㉑ ㊿ Ⓐ ⓩ.
Combining: e\u0301 a\u0300 n\u0303 o\u0308 Z\u0335\u0327\u0301a\u0336l\u0337g\u0338o \u0301\u0301 ̈x 가\u0301 ﷺ ﷽
Controls and odd spaces: [\t] [\x0b] [\x0c] [\x00] [\x01] [\x1b] [\x7f] [\x1c\x1d\x1e\x1f] [\x85] [\u180e] [\u200b]
[\u00a0] [\u1680] [\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a] [\u2028] [\u2029] [\u202f] [\u205f]
[\u3000] [\ufeff] [\u00ad] [\u2060] [\ufffd] [\ufffe\uffff] [\U0010fffd] [\ue000\uf8ff]
Quotes: “double” ‘single’ «guillemets» ‹single› „low“ ‚low‘ 「corner」 『white』 ″ ‴ ‵
Dashes: - ‐ ‑ ‒ – — ― ⁃ − ~ ～ … ‥ · • ◦ ‣ ※ § ¶ † ‡ © ® ™ ℠ ° ′
"""

NUMBERS = """\
0 1 12 123 1234 12345 123456 1234567 12345678901234567890 3.14 -2.718 +6.02e23 1e-9 0x1F 0b1010 0o777 1,000,000
1.000.000,50 ¹²³ ٣٫١٤ ۲۰۲۴ ४२ ௧௨௩ ๑๒๓ 一二三 ２０２４年 Ⅳ ⅷ 〇 〡〢 ⑽ ⒈ 🄁 𝟙𝟚𝟛 1st 2nd 3rd 4th 21st 100%
Phone: +1 (555) 010-9999, ext. 42. Dates: 2024-02-29T23:59:59Z, 31/12/1999, 12.31.99. Version v1.2.3-rc.4+build.5.
IP 192.168.0.1, port :8080, MAC 00:1A:2B:3C:4D:5E, ISBN 978-3-16-148410-0, 3:2, 16:9, 1/3, 007, 0000, 00:00.
"""

CODE = r"""
#include <stdio.h>
int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) printf("%d: %s\n", i, argv[i]);   // print the arguments
    return argc > 1 ? 0 : 1;
}
{"name": "axon", "version": "0.1.0", "tags": ["c", "ml"], "nested": {"a": [1, 2, 3], "b": null, "c": true}},
["a","b"],["c","d"],{"k":"v"},("x",'y'),f(a),"b",'x','y',[1,2],[3,4],{'a':1,'b':2},"",'',"\"",'\''
SELECT name, COUNT(*) FROM ships WHERE tonnage >= 200 GROUP BY name HAVING COUNT(*) > 1; -- comment
<a href="https://example.org/path?q=1&r=2#frag">link</a> &amp; &lt;tag&gt; mailto:keeper@example.org
$ ls -la /usr/local/bin | grep -v '^d' && echo "done" >> ~/log.txt 2>&1; x=$((1+2)); echo ${x:-0}
if __name__ == "__main__":  # main guard
	print(f"{value!r:>10}", end='')	# tab-indented line
# Markdown **bold** _italic_ `code` ~~strike~~ > quote - [ ] task | a | b | --- |
"""

WHITESPACE = [" ", "  ", "   ", "\t", "\t\t", " \t", "\t ", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \n", "\n ",
              "  \n  ", "\u00a0", "\u3000", "\u2003", " \u00a0", "\u00a0 ", "\ufeff", "\u2028", "\x0b", "\x0c",
              " " * 17, "\t" * 9, "\n" * 7]


def boundary_code_points():
    """The code points on both sides of every range boundary in the generated class table (above ASCII)."""
    cps = set()
    for lo, hi in re.findall(r"\{0x([0-9A-F]+), 0x([0-9A-F]+), UCLASS_", open(TABLES).read()):
        for cp in (int(lo, 16) - 1, int(lo, 16), int(hi, 16), int(hi, 16) + 1):
            if 0x80 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
                cps.add(cp)
    return sorted(cps)


def grouped(chars, rng, sizes=(1, 2, 3, 5, 8)):
    out, i = [], 0
    while i < len(chars):
        k = rng.choice(sizes)
        out.append("".join(chars[i:i + k]))
        i += k
    return out


def sentences(rng, n):
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 16))]
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), rng.choice(CONTRACTIONS))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), str(rng.choice([rng.randint(0, 99), rng.randint(100, 99999),
                                                                    round(rng.uniform(0, 1000), 2)])))
        s = " ".join(words)
        s = s[0].upper() + s[1:] + rng.choice([".", ".", ".", "!", "?", "...", ";", ":", ",", " --"])
        out.append(s)
    return out


def fuzz(rng, n):
    """Random mixtures of every character class, apostrophes and whitespace kinds."""
    pools = ["abcXYZ", "éßøЖжλΩ中文字かなカナ한글", "0123456789", "٠١٢٣४५௬¹²½Ⅻ", "'", "'sStTrevmld", ".,;:!?-_()[]{}\"/\\@#$%^&*+=<>|~`",
             "😀👍🏽🇫🇷✨", "\u0301\u0308\u200b\u200d", " ", "  ", "\t", "\n", "\r\n", "\u00a0\u3000\u2028\ufeff\x85"]
    out = []
    for _ in range(n):
        out.append("".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 6))))
    return "".join(out)


def long_pieces(rng):
    letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(300))
    return "\n".join([
        " " + letters, "=" * 200, "-" * 120 + ">", "9" * 150, "31415926535897932384626433832795028841971693993751" * 2,
        " " * 300 + "x", "\t" * 80, "\n" * 60, "😀" * 40, "中文字" * 40, "ab" * 100, "aaa" * 70, "🇫🇷" * 30,
        "".join(rng.choice("!?.,;:'\"()[]{}") for _ in range(150)), "x" + "\u0301" * 60,
    ])


def main():
    rng = random.Random(20240229)
    parts = [PROSE, MULTILINGUAL, SYMBOLS, NUMBERS, CODE]
    parts.append(" ".join(sentences(rng, 350)))
    parts.append("".join(w + rng.choice(WHITESPACE) for w in sentences(rng, 150)))
    parts.append(" ".join(rng.choice(CONTRACTIONS) + rng.choice(["", " ", "s", "x", "'", "\n"]) for _ in range(300)))
    parts.append("<|endoftext|>Second document.<|endoftext|><|endoftext|> x<|endoftext|>y <|endoftext| <|endoftext")
    parts.append(" ".join(grouped([chr(c) for c in boundary_code_points()], rng)))
    parts.append(fuzz(rng, 3000))
    parts.append(long_pieces(rng))
    parts.append("<|endoftext|>The end.   \n\n")
    text = "\n\n".join(parts)
    with open(OUT, "wb") as f:
        f.write(text.encode("utf-8"))
    print(f"{OUT}: {len(text.encode('utf-8'))} bytes, {len(text)} characters")


if __name__ == "__main__":
    main()

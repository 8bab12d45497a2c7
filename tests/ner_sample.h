/* Five tagged sentences (CoNLL `token tag`, IOB2) that the NER command tests train their tiny taggers on. */
#ifndef AX_TESTS_NER_SAMPLE_H
#define AX_TESTS_NER_SAMPLE_H

#define NER_SAMPLE_TRAIN                                                                                               \
    "Elizabeth B-PER\nwent O\nto O\nLondon B-LOC\n. O\n\n"                                                             \
    "Mr. O\nDarcy B-PER\nlives O\nin O\nDerbyshire B-LOC\n. O\n\n"                                                     \
    "Jane B-PER\nBennet I-PER\nsaw O\nBingley B-PER\nat O\nNetherfield B-LOC\n. O\n\n"                                 \
    "They O\nwalked O\nto O\nMeryton B-LOC\n. O\n\n"                                                                   \
    "Jesus B-PER\nwent O\nto O\nJerusalem B-LOC\nand O\nBethany B-LOC\n. O\n\n"

#endif

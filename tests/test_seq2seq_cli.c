/* `axon train seq2seq` → `axon translate` end to end on a dozen sentence pairs (about a second): the checkpoint's
 * files, metrics and plots, a model that learns its pairs (BLEU asserted), translation from --text and stdin, greedy
 * and beam search, n-best lists, JSON, the attention heatmap, unknown words, cut inputs; then bad input: one line,
 * the right exit code, no checkpoint from a failed run. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TINY                                                                                                           \
    "--emb 16 --hidden 16 --epochs 40 --batch-size 4 --min-freq 1 --lr 1e-2 --dropout 0 --test none --threads 1 "     \
    "--quiet"

static char tmp_dir[64];  // scratch directory for this run
static char out[1 << 16]; // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)
#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

static const char *const PAIRS[] = {
    "I am tired.\tIch bin müde.",          "You are tired.\tDu bist müde.",     "I am here.\tIch bin hier.",
    "We are here.\tWir sind hier.",        "He is not here.\tEr ist nicht hier.", "She is very tired.\tSie ist sehr müde.",
    "We are not tired.\tWir sind nicht müde.", "You are here.\tDu bist hier.",
};
#define N_PAIRS 8

// exactly one line, starting "axon: "
static bool one_line(const char *s) { return strncmp(s, "axon: ", 6) == 0 && strchr(s, '\n') == s + strlen(s) - 1; }

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", path);
}

static void write_pairs(const char *path) {
    char text[1024] = "";
    for (int i = 0; i < N_PAIRS; i++) strcat(text, PAIRS[i]), strcat(text, "\tsome attribution\n");
    write_file(path, text);
}

static void train(const char *pairs, const char *ck) {
    int rc = run("train seq2seq --data %s --valid %s --out %s " TINY " --json", pairs, pairs, ck);
    CHECK(rc == 0, "train seq2seq exit %d: %s", rc, out);
    const char *b = strstr(out, "\"best_val_bleu\":");
    double bleu = b ? atof(b + 16) : NAN;
    CHECK(bleu > 80, "BLEU %g on the training pairs after 40 epochs", bleu);
    char *cfg = check_slurp(tmp_path("ck/config.json")), *metrics = check_slurp(tmp_path("ck/metrics.jsonl"));
    CHECK(cfg && strstr(cfg, "\"seq2seq\"") && strstr(cfg, "\"bahdanau\""), "config.json: %s", cfg ? cfg : "");
    CHECK(metrics && strstr(metrics, "\"val_bleu\"") && strstr(metrics, "\"tokens_per_s\""), "metrics.jsonl");
    char *vocab = check_slurp(tmp_path("ck/src_vocab.txt")), *svg = check_slurp(tmp_path("ck/bleu.svg"));
    CHECK(vocab && strncmp(vocab, "<pad>\n<sos>\n<eos>\n<unk>\n", 24) == 0 && strstr(vocab, "\nmüde\n"), "src_vocab.txt");
    CHECK(svg && strstr(svg, "<svg"), "bleu.svg");
    free(cfg), free(metrics), free(vocab), free(svg);
    ax_safetensors *st = NULL;
    CHECK(ax_safetensors_read(tmp_path("ck/model.safetensors"), &st) == AX_OK, "weights: %s", ax_last_error());
    if (st) {
        const ax_st_entry *e = ax_safetensors_find(st, "decoder.weight_hh");
        CHECK(e && e->shape[0] == 96 && e->shape[1] == 32, "torch-named GRU cell weight (3·2H, 2H)");
        CHECK(ax_safetensors_find(st, "encoder.weight_ih_l0_reverse") && ax_safetensors_find(st, "attn.v.weight"),
              "encoder and attention weights");
        ax_safetensors_free(st);
    }
}

static void translate(const char *ck) {
    int rc = run("translate --ckpt %s --text 'Ich bin müde.' --beam 1", ck);
    CHECK(rc == 0 && strcmp(out, "i am tired.\n") == 0, "greedy: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Ich bin müde.'", ck);
    CHECK(rc == 0 && strcmp(out, "i am tired.\n") == 0, "beam 5: %d '%s'", rc, out);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "printf 'Wir sind hier.\\nEr ist nicht hier.\\n' | %s translate --ckpt %s", check_axon_bin(),
             ck);
    rc = check_run(cmd, out, sizeof out);
    CHECK(rc == 0 && strcmp(out, "we are here.\nhe is not here.\n") == 0, "stdin lines: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Du bist hier.' --beam 4 --nbest 3", ck);
    CHECK(rc == 0 && strncmp(out, "1\t", 2) == 0 && strstr(out, "\tyou are here.\n") && strstr(out, "\n3\t"),
          "n-best: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Sie ist xyzzy müde.' --json", ck);
    CHECK(rc == 0 && strstr(out, "\"source\":[\"sie\",\"ist\",\"xyzzy\",\"müde\",\".\"]") && strstr(out, "\"score\":"),
          "JSON with an unknown word: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Ich bin hier und du bist müde und wir sind hier.' --max-len 3", ck);
    CHECK(rc == 0 && strstr(out, "only the first 3"), "long input cut with a notice: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Ich bin hier.' --attention %s", ck, tmp_path("attn.svg"));
    char *svg = check_slurp(tmp_path("attn.svg"));
    CHECK(rc == 0 && svg && strstr(svg, "<svg") && strstr(svg, ">hier<") && strstr(svg, ">here<") &&
              strstr(svg, "&lt;eos&gt;"),
          "attention heatmap: %d", rc);
    free(svg);
}

static void bad_input(const char *pairs, const char *ck) {
    int rc = run("train seq2seq --data %s/missing.tsv --out %s --quiet", tmp_dir, tmp_path("none"));
    CHECK(rc == 1 && one_line(out), "missing file: %d %s", rc, out);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && %s train seq2seq --quiet", tmp_dir, check_axon_bin());
    rc = check_run(cmd, out, sizeof out);
    CHECK(rc == 1 && strstr(out, "make_de_en.sh"), "default data missing: %d %s", rc, out);
    const char *messy = tmp_path("messy.tsv");
    write_file(messy, "one column only\nHello.\tHallo.\n\tleer\n");
    rc = run("train seq2seq --data %s --valid %s --out %s " TINY " --epochs 1", messy, messy, tmp_path("messy_ck"));
    CHECK(rc == 0 && strstr(out, "messy.tsv:1:") && strstr(out, "messy.tsv:3:"), "bad lines skipped: %d %s", rc, out);
    rc = run("train seq2seq --data %s --attention luong", pairs);
    CHECK(rc == 2 && strstr(out, "--attention"), "bad --attention: %d %s", rc, out);
    rc = run("translate --ckpt %s --text hallo", tmp_path("nothing"));
    CHECK(rc == 1 && one_line(out), "missing checkpoint: %d %s", rc, out);
    write_file(tmp_path("ck/tgt_vocab.txt"), "<pad>\n<sos>\n");
    rc = run("translate --ckpt %s --text hallo", ck);
    CHECK(rc == 1 && one_line(out) && strstr(out, "tgt_vocab.txt"), "corrupt vocabulary: %d %s", rc, out);
    write_file(tmp_path("ck/config.json"), "{\"axon_model\": \"seq2seq\", \"emb_dim\": 16");
    rc = run("translate --ckpt %s --text hallo", ck);
    CHECK(rc == 1 && one_line(out), "corrupt config: %d %s", rc, out);
    rc = run("translate --ckpt %s --beam 2 --nbest 3", ck);
    CHECK(rc == 2, "--nbest above --beam: %d %s", rc, out);
    rc = run("help translate");
    CHECK(rc == 0 && strstr(out, "--attention") && strstr(out, "(default 5)"), "help: %s", out);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_seq2seq_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    char pairs[256], ck[256]; // own copies: check_join's buffers rotate
    snprintf(pairs, sizeof pairs, "%s", tmp_path("pairs.tsv"));
    snprintf(ck, sizeof ck, "%s", tmp_path("ck"));
    write_pairs(pairs);
    train(pairs, ck);
    translate(ck);
    bad_input(pairs, ck);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}

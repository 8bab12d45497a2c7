/* `axon train transformer` → `axon translate` end to end on a handful of sentence pairs (a few seconds): the
 * checkpoint's files, a model that learns its pairs (BLEU asserted), the exported batches (each pair once per epoch,
 * within the token budget), the final weights = the element-wise mean of the last --average epoch snapshots,
 * --resume giving the same weights as an uninterrupted run; translation greedy / beam / n-best / JSON / stdin
 * batches, the cross-attention heatmap, cut inputs; then bad input: one line, the right exit code, nothing
 * overwritten (empty data, missing checkpoint, corrupt config, a tokenizer that does not fit). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET 48 // --batch-tokens of the tiny runs
#define TINY                                                                                                           \
    "--vocab-size 300 --d-model 32 --heads 2 --d-ff 64 --layers 1 --max-len 24 --dropout 0 --label-smoothing 0 "       \
    "--warmup 10 --lr 0.5 --batch-tokens 48 --threads 1 --quiet --json"

static char tmp_dir[64]; // scratch directory for this run
static char out[1 << 16]; // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)
#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

static const char *const PAIRS[] = {
    "I am tired.\tIch bin müde.",
    "You are tired.\tDu bist müde.",
    "I am here.\tIch bin hier.",
    "We are here.\tWir sind hier.",
    "He is not here.\tEr ist nicht hier.",
    "She is very tired.\tSie ist sehr müde.",
    "We are not tired.\tWir sind nicht müde.",
    "You are here.\tDu bist hier.",
};
#define N_PAIRS 8

// exactly one line, starting "axon: "
static bool one_line(const char *s) { return strncmp(s, "axon: ", 6) == 0 && strchr(s, '\n') == s + strlen(s) - 1; }

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", path);
}

static bool same_file(const char *a, const char *b) {
    char cmd[512], o[64];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
    return check_run(cmd, o, sizeof o) == 0;
}

static double json_number(const char *json, const char *key) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? atof(p + strlen(k)) : NAN;
}

static void train(const char *pairs, const char *ck) {
    int rc = run("train transformer --data %s --valid %s --test %s --out %s --epochs 30 --average 1 --export %s " TINY,
                 pairs, pairs, pairs, ck, tmp_path("export"));
    CHECK(rc == 0, "train transformer exit %d: %s", rc, out);
    double bleu = json_number(out, "final_val_bleu"), test = json_number(out, "test_bleu");
    CHECK(bleu > 80 && test > 80, "BLEU %g (test %g) on the training pairs after 30 epochs", bleu, test);
    char *cfg = check_slurp(tmp_path("ck/config.json")), *metrics = check_slurp(tmp_path("ck/metrics.jsonl"));
    CHECK(cfg && strstr(cfg, "\"transformer\"") && strstr(cfg, "\"label_smoothing\""), "config.json: %s",
          cfg ? cfg : "");
    CHECK(metrics && strstr(metrics, "\"val_bleu\"") && strstr(metrics, "\"tokens_per_s\"") &&
              strstr(metrics, "\"test_bleu\""),
          "metrics.jsonl");
    char *svg = check_slurp(tmp_path("ck/bleu.svg")), *state = check_slurp(tmp_path("ck/last/trainer_state.json"));
    CHECK(svg && strstr(svg, "<svg") && state && strstr(state, "\"epoch\":30"), "bleu.svg, last/trainer_state.json");
    free(cfg), free(metrics), free(svg), free(state);
    ax_safetensors *st = NULL;
    CHECK(ax_safetensors_read(tmp_path("ck/model.safetensors"), &st) == AX_OK, "weights: %s", ax_last_error());
    if (st) {
        const ax_st_entry *e = ax_safetensors_find(st, "encoder.layers.0.self_attn.in_proj_weight");
        CHECK(e && e->shape[0] == 96 && e->shape[1] == 32, "torch-named packed attention projection (3d, d)");
        CHECK(ax_safetensors_find(st, "decoder.layers.0.multihead_attn.out_proj.weight") &&
                  ax_safetensors_find(st, "embed.weight"),
              "cross-attention and the shared embedding");
        ax_safetensors_free(st);
    }
    ax_tokenizer *tok = NULL;
    CHECK(ax_tokenizer_load(ck, &tok) == AX_OK && ax_tokenizer_eot(tok) >= 0, "the checkpoint's tokenizer");
    ax_tokenizer_free(tok);
}

// the widths (max(source ids, target ids + 1)) of the exported training pairs; returns how many
static int pair_widths(int *width, int cap) {
    char *ids = check_slurp(tmp_path("export/train.ids"));
    int n = 0;
    for (char *line = ids, *end; line && *line && n < cap; line = end + 1, n++) {
        end = strchr(line, '\n');
        *end = '\0';
        char *tab = strchr(line, '\t');
        int src = 0, tgt = 0;
        for (char *p = line; p < tab; p++) src += *p == ' ';
        for (char *p = tab + 1; *p; p++) tgt += *p == ' ';
        tgt += tab[1] != '\0';
        width[n] = src + 1 > tgt + 1 ? src + 1 : tgt + 1;
    }
    free(ids);
    return n;
}

// every epoch's batches: each pair once, pairs × widest ≤ the budget unless a single pair is wider
static void batches(void) {
    int width[64], n = pair_widths(width, 64), seen[31][N_PAIRS] = {{0}}, bad = 0, epochs = 0;
    CHECK(n == N_PAIRS, "train.ids has %d pairs", n);
    char *text = check_slurp(tmp_path("export/batches.txt"));
    for (char *line = text, *end; line && *line; line = end + 1) {
        end = strchr(line, '\n');
        *end = '\0';
        int epoch = (int)strtol(line, &line, 10), count = 0, widest = 0;
        epochs = epoch > epochs ? epoch : epochs;
        for (char *p = line; epoch >= 1 && epoch <= 30 && *p;) {
            long i = strtol(p, &p, 10);
            if (i < 0 || i >= N_PAIRS) {
                bad++;
                break;
            }
            seen[epoch][i]++, count++, widest = width[i] > widest ? width[i] : widest;
        }
        bad += count > 1 && count * widest > BUDGET;
    }
    free(text);
    int wrong = 0;
    for (int e = 1; e <= 30; e++)
        for (int i = 0; i < N_PAIRS; i++) wrong += seen[e][i] != 1;
    CHECK(epochs == 30 && wrong == 0 && bad == 0, "batches: %d epochs, %d pairs not seen once, %d over budget", epochs,
          wrong, bad);
}

static float *read_tensor(const char *path, const char *name, int64_t *n) {
    ax_safetensors *st = NULL;
    if (ax_safetensors_read(path, &st) != AX_OK) return NULL;
    const ax_st_entry *e = ax_safetensors_find(st, name);
    float *v = e ? malloc(e->nbytes) : NULL;
    if (v) memcpy(v, e->data, e->nbytes), *n = (int64_t)(e->nbytes / sizeof(float));
    ax_safetensors_free(st);
    return v;
}

// the final weights are the mean of the epoch-2..4 snapshots; --resume after 2 epochs ends with the same weights
static void average_and_resume(const char *pairs) {
    const char *a = tmp_path("avg");
    int rc = run("train transformer --data %s --valid %s --test none --out %s --epochs 4 --average 3 " TINY, pairs,
                 pairs, a);
    CHECK(rc == 0 && json_number(out, "averaged_epochs") == 3, "train --average 3: %d %s", rc, out);
    const char *names[] = {"embed.weight", "decoder.layers.0.linear1.bias", "encoder.layers.0.norm1.weight"};
    for (int k = 0; k < 3; k++) {
        int64_t n[4] = {0};
        float *e[3], *fin = read_tensor(tmp_path("avg/model.safetensors"), names[k], &n[3]);
        for (int j = 0; j < 3; j++) {
            char p[64];
            snprintf(p, sizeof p, "avg/epochs/epoch-%d.safetensors", j + 2);
            e[j] = read_tensor(tmp_path(p), names[k], &n[j]);
        }
        bool ok = fin && e[0] && e[1] && e[2] && n[0] == n[3] && n[1] == n[3] && n[2] == n[3], differ = false;
        int64_t off = 0;
        for (int64_t i = 0; ok && i < n[3]; i++) {
            double mean = ((double)e[0][i] + e[1][i] + e[2][i]) / 3;
            off += fabs(fin[i] - mean) > FP32_ATOL + FP32_RTOL * fabs(mean);
            differ |= e[0][i] != e[2][i];
        }
        CHECK(ok && differ && off == 0, "%s: the final weights are the mean of three different snapshots (%lld off)",
              names[k], (long long)off);
        free(fin), free(e[0]), free(e[1]), free(e[2]);
    }
    char *gone = check_slurp(tmp_path("avg/epochs/epoch-1.safetensors"));
    CHECK(gone == NULL, "snapshots beyond --average are removed");
    free(gone);
    const char *b = tmp_path("resumed");
    rc = run("train transformer --data %s --valid %s --test none --out %s --epochs 2 --average 3 " TINY, pairs, pairs,
             b);
    CHECK(rc == 0, "2 epochs: %d %s", rc, out);
    rc = run("train transformer --data %s --valid %s --test none --out %s --epochs 4 --average 3 --resume " TINY, pairs,
             pairs, b);
    CHECK(rc == 0 && same_file(tmp_path("avg/model.safetensors"), tmp_path("resumed/model.safetensors")),
          "--resume: the same final weights as an uninterrupted run: %d %s", rc, out);
}

static void translate(const char *ck) {
    int rc = run("translate --ckpt %s --text 'Ich bin müde.' --beam 1 --quiet", ck);
    CHECK(rc == 0 && strcmp(out, "I am tired.\n") == 0, "greedy: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Ich bin müde.' --quiet", ck);
    CHECK(rc == 0 && strcmp(out, "I am tired.\n") == 0, "beam 5: %d '%s'", rc, out);
    char cmd[512];
    for (int beam = 1; beam <= 3; beam += 2) {
        snprintf(cmd, sizeof cmd,
                 "printf 'Wir sind hier.\\nEr ist nicht hier.\\nDu bist müde.\\n' | %s translate "
                 "--ckpt %s --beam %d --batch-size 2 --quiet",
                 check_axon_bin(), ck, beam);
        rc = check_run(cmd, out, sizeof out);
        CHECK(rc == 0 && strcmp(out, "We are here.\nHe is not here.\nYou are tired.\n") == 0, "stdin, beam %d: %d '%s'",
              beam, rc, out);
    }
    rc = run("translate --ckpt %s --text 'Du bist hier.' --beam 4 --nbest 3 --alpha 1 --quiet", ck);
    CHECK(rc == 0 && strncmp(out, "1\t", 2) == 0 && strstr(out, "\tYou are here.\n") && strstr(out, "\n3\t"),
          "n-best: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Sie ist müde.' --json --quiet", ck);
    CHECK(rc == 0 && strstr(out, "\"source\":[") && strstr(out, "\"text\":\"She is very tired.\"") &&
              strstr(out, "\"score\":"),
          "JSON: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Ich bin hier und du bist müde und wir sind hier und er ist nicht hier.'", ck);
    CHECK(rc == 0 && strstr(out, "only the first 23") && strstr(out, "tokens/s"),
          "long input cut with a notice: %d '%s'", rc, out);
    rc = run("translate --ckpt %s --text 'Ich bin hier.' --beam 1 --attention %s --quiet", ck, tmp_path("attn.svg"));
    char *svg = check_slurp(tmp_path("attn.svg"));
    CHECK(rc == 0 && svg && strstr(svg, "<svg") && strstr(svg, "hier") && strstr(svg, "&lt;/s&gt;") &&
              strstr(svg, "mean of heads"),
          "attention heatmap: %d", rc);
    free(svg);
    rc = run("translate --ckpt %s --text 'Ich bin hier.' --attention %s --attn-layer 0 --attn-head 1 --quiet", ck,
             tmp_path("attn1.svg"));
    svg = check_slurp(tmp_path("attn1.svg"));
    CHECK(rc == 0 && svg && strstr(svg, "layer 0, head 1"), "one head's heatmap: %d %s", rc, out);
    free(svg);
    rc = run("translate --ckpt %s --text 'Ich bin hier.' --attention %s --attn-layer 1", ck, tmp_path("attn2.svg"));
    CHECK(rc == 1 && one_line(out) && strstr(out, "--attn-layer"), "a layer the model lacks: %d %s", rc, out);
}

// a copy of the checkpoint whose tokenizer has another vocabulary size
static void vocab_mismatch(const char *pairs, const char *ck) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -r %s %s && cut -f1 %s > %s", ck, tmp_path("ck2"), pairs, tmp_path("corpus.txt"));
    CHECK(system(cmd) == 0, "copy");
    int rc = run("tokenizer train --vocab-size 270 --out %s %s", tmp_path("ck2"), tmp_path("corpus.txt"));
    CHECK(rc == 0, "tokenizer train: %d %s", rc, out);
    rc = run("translate --ckpt %s --text hallo", tmp_path("ck2"));
    CHECK(rc == 1 && one_line(out) && strstr(out, "does not fit"), "vocabulary mismatch: %d %s", rc, out);
}

static void bad_input(const char *pairs, const char *ck) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s/model.safetensors %s", ck, tmp_path("good.safetensors"));
    CHECK(system(cmd) == 0, "copy");
    write_file(tmp_path("empty.tsv"), "\n\n");
    int rc = run("train transformer --data %s --out %s --quiet", tmp_path("empty.tsv"), ck);
    CHECK(rc == 1 && one_line(out) && strstr(out, "no sentence pairs"), "empty data: %d %s", rc, out);
    rc = run("train transformer --data %s/missing.tsv --out %s --quiet", tmp_dir, ck);
    CHECK(rc == 1 && one_line(out), "missing file: %d %s", rc, out);
    CHECK(same_file(tmp_path("good.safetensors"), tmp_path("ck/model.safetensors")),
          "failed runs leave the checkpoint alone");
    snprintf(cmd, sizeof cmd, "cd %s && %s train transformer --quiet", tmp_dir, check_axon_bin());
    rc = check_run(cmd, out, sizeof out);
    CHECK(rc == 1 && strstr(out, "make_de_en.sh"), "default data missing: %d %s", rc, out);
    const char *messy = tmp_path("messy.tsv");
    write_file(messy, "one column only\nHello.\tHallo.\n\tleer\nYes.\tJa.\n");
    rc = run("train transformer --data %s --valid %s --out %s --epochs 1 " TINY, messy, messy, tmp_path("messy_ck"));
    CHECK(rc == 0 && strstr(out, "messy.tsv:1:") && strstr(out, "messy.tsv:3:") && strstr(out, "\"skipped\":4"),
          "bad lines skipped and counted: %d %s", rc, out);
    rc = run("train transformer --data %s --d-model 30 --heads 4", pairs);
    CHECK(rc == 2 && strstr(out, "--heads"), "d_model not a multiple of heads: %d %s", rc, out);
    rc = run("train transformer --data %s --out %s --resume --quiet", pairs, tmp_path("fresh"));
    CHECK(rc == 1 && one_line(out) && strstr(out, "no run to resume"), "--resume without a run: %d %s", rc, out);
    rc = run("translate --ckpt %s --text hallo", tmp_path("nothing"));
    CHECK(rc == 1 && one_line(out), "missing checkpoint: %d %s", rc, out);
    vocab_mismatch(pairs, ck);
    write_file(tmp_path("ck2/config.json"), "{\"axon_model\": \"transformer\", \"d_model\": 32");
    rc = run("translate --ckpt %s --text hallo", tmp_path("ck2"));
    CHECK(rc == 1 && one_line(out), "corrupt config: %d %s", rc, out);
    rc = run("train transformer --help");
    CHECK(rc == 0 && strstr(out, "--average") && strstr(out, "(default 1500)") && strstr(out, "--config base"),
          "help: %s", out);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_tf_cli_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    char pairs[256], ck[256]; // own copies: check_join's buffers rotate
    snprintf(pairs, sizeof pairs, "%s", tmp_path("pairs.tsv"));
    snprintf(ck, sizeof ck, "%s", tmp_path("ck"));
    char text[1024] = "";
    for (int i = 0; i < N_PAIRS; i++) strcat(text, PAIRS[i]), strcat(text, "\tsome attribution\n");
    write_file(pairs, text);
    train(pairs, ck);
    batches();
    average_and_resume(pairs);
    translate(ck);
    bad_input(pairs, ck);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}

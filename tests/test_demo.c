/* The XOR demo learns the truth table, through the library and through `axon demo xor`. */
#include "check.h"

#include <math.h>
#include <string.h>

static void test_xor_library(void) {
    ax_xor_config cfg = ax_xor_defaults();
    ax_xor_result res;
    ax_xor_train(&cfg, &res, NULL, NULL);
    static const int truth[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++)
        CHECK(fabsf(res.output[i] - (float)truth[i]) < 0.1f, "xor output %d = %.4f, want %d", i, res.output[i], truth[i]);
    CHECK(res.loss < 0.01f, "final xor loss %.5f should be < 0.01", res.loss);
}

static void test_xor_loss_falls(void) {
    ax_xor_config cfg = ax_xor_defaults();
    cfg.epochs = 10;
    ax_xor_result early;
    ax_xor_train(&cfg, &early, NULL, NULL);
    cfg = ax_xor_defaults();
    ax_xor_result late;
    ax_xor_train(&cfg, &late, NULL, NULL);
    CHECK(late.loss < early.loss / 10, "loss after training %.5f vs after 10 steps %.5f", late.loss, early.loss);
}

static void test_cli(void) {
    char out[8192], cmd[1024];
    const char *bin = check_axon_bin();
    snprintf(cmd, sizeof cmd, "%s --version", bin);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strstr(out, ax_version()), "axon --version: %s", out);
    snprintf(cmd, sizeof cmd, "%s --help", bin);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strstr(out, "demo"), "axon --help lists demo: %s", out);
    snprintf(cmd, sizeof cmd, "%s demo xor --help", bin);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strstr(out, "--epochs") && strstr(out, "default"),
          "demo xor --help lists options with defaults: %s", out);
    snprintf(cmd, sizeof cmd, "%s demo xor --json --quiet", bin);
    int rc = check_run(cmd, out, sizeof out);
    float o[4] = {-1, -1, -1, -1}, loss = -1;
    const char *js = strstr(out, "{");
    int got = js ? sscanf(js, "{\"loss\": %f, \"outputs\": [%f, %f, %f, %f]}", &loss, &o[0], &o[1], &o[2], &o[3]) : 0;
    CHECK(rc == 0 && got == 5, "demo xor --json: rc %d, output %s", rc, out);
    CHECK(o[0] < 0.5f && o[1] > 0.5f && o[2] > 0.5f && o[3] < 0.5f, "demo xor truth table: %s", out);
    snprintf(cmd, sizeof cmd, "%s demo xor --epochs 30", bin);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strstr(out, "epoch    30") && strstr(out, "final loss"),
          "demo xor prints the loss per epoch: %s", out);
    // wrong usage: exit 2 with one line
    snprintf(cmd, sizeof cmd, "%s frobnicate", bin);
    CHECK(check_run(cmd, out, sizeof out) == 2 && strchr(out, '\n') == strrchr(out, '\n'), "unknown command: %s", out);
    snprintf(cmd, sizeof cmd, "%s demo xor --epochs ten", bin);
    CHECK(check_run(cmd, out, sizeof out) == 2, "non-numeric option: %s", out);
    snprintf(cmd, sizeof cmd, "%s demo xor --bogus", bin);
    CHECK(check_run(cmd, out, sizeof out) == 2, "unknown option: %s", out);
    snprintf(cmd, sizeof cmd, "%s demo xor --lr -1", bin);
    CHECK(check_run(cmd, out, sizeof out) == 2, "negative lr: %s", out);
}

int main(void) {
    test_xor_library();
    test_xor_loss_falls();
    test_cli();
    return check_report();
}

/* MLP training throughput: one epoch of 784-256-128-10 ReLU, batch 128, Adam (lr 1e-3, constant), no dropout,
 * on the 60 000 Fashion-MNIST training images in a shuffled order, after WARMUP_STEPS untimed steps. The same
 * library calls as `axon train mlp` (ax_mlp_train_epoch); tools/bench_mlp_torch.py does the same in PyTorch,
 * and `bench/run.sh mlp` runs both and prints the ratio.
 *
 * Usage: mlp [DATA_DIR [THREADS]]   (default /usr/share/datasets/fashion-mnist, 2 threads). Prints
 *   axon mlp <threads> <samples/s> <epoch seconds> <mean training loss> */
#include "axon.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WARMUP_STEPS 20 // untimed steps first (arena growth, page faults, thread start-up)
#define BATCH 128

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    ax_set_threads(threads);
    ax_image_set data;
    if (ax_image_set_load_split(dir, "train", &data) != AX_OK) {
        fprintf(stderr, "mlp: %s\n", ax_last_error());
        return 1;
    }
    ax_manual_seed(0);
    ax_mlp_config cfg = ax_mlp_defaults(); // 784-256-128-10 relu
    cfg.dropout = 0.0f;
    ax_mlp *m = ax_mlp_new(&cfg);
    ax_optim *opt = ax_optim_new(m->params, ax_optim_defaults(AX_OPTIM_ADAM));
    int64_t *order = malloc((size_t)data.n * sizeof *order);
    ax_rng rng;
    ax_rng_seed(&rng, 1);
    ax_permutation(&rng, order, data.n);
    ax_mlp_train_epoch(m, opt, NULL, &data, order, WARMUP_STEPS * BATCH, BATCH, NULL, NULL);
    ax_shuffle(&rng, order, data.n);
    double t = now();
    ax_class_stats st = ax_mlp_train_epoch(m, opt, NULL, &data, order, data.n, BATCH, NULL, NULL);
    t = now() - t;
    printf("axon mlp %d %.1f %.3f %.4f\n", ax_threads(), (double)data.n / t, t, st.loss_sum / (double)st.n);
    free(order);
    ax_optim_free(opt);
    ax_mlp_free(m);
    ax_image_set_free(&data);
    ax_arena_release();
    return 0;
}

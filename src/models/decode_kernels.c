/* Row kernels of incremental decoding (decode_kernels.h). */
#include "models/decode_kernels.h"

#include "backend/cpu/gemm.h"

#include <math.h>

#define FEW_ROWS 8       // up to this many rows: dot products against each row of W
#define PAR_MIN 65536    // multiply-adds below which one thread does it all

void ax_attend_row(const float *q, const float *K, const float *V, int64_t n_keys, int64_t stride, int64_t D,
                   float scale, float *out) {
    float mx = -INFINITY, den = 0.0f;
    for (int64_t d = 0; d < D; d++) out[d] = 0.0f;
    for (int64_t j = 0; j < n_keys; j++) {
        const float *kj = K + j * stride, *vj = V + j * stride;
        float s = 0.0f;
        for (int64_t d = 0; d < D; d++) s += q[d] * kj[d];
        s *= scale;
        if (s > mx) { // rescale what was accumulated under the old maximum
            float r = expf(mx - s);
            den *= r;
            for (int64_t d = 0; d < D; d++) out[d] *= r;
            mx = s;
        }
        float e = expf(s - mx);
        den += e;
        for (int64_t d = 0; d < D; d++) out[d] += e * vj[d];
    }
    for (int64_t d = 0; d < D; d++) out[d] /= den;
}

static float dot(const float *a, const float *b, int64_t n) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < n; k++) s += a[k] * b[k];
    return s;
}

void ax_linear_rows(const float *x, int64_t n, int64_t in, const float *W, const float *b, int64_t out, float *y) {
    if (n > FEW_ROWS) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < out; j++) y[i * out + j] = b ? b[j] : 0.0f;
        ax_gemm(false, true, n, out, in, 1.0f, x, in, W, in, 1.0f, y, out);
        return;
    }
#pragma omp parallel for if (n * out * in > PAR_MIN)
    for (int64_t j = 0; j < out; j++) {
        const float *w = W + j * in;
        for (int64_t i = 0; i < n; i++) y[i * out + j] = dot(x + i * in, w, in) + (b ? b[j] : 0.0f);
    }
}

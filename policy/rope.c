/* policy/rope.c: rotary position embeddings at explicit positions (so a KV cache can rotate
 * new rows at pos0..), HF's rotate_half convention, with default, linear and llama3 frequency
 * scaling. Leaves out yarn, dynamic NTK and longrope (config.json refuses them).
 * Reference: transformers modeling_rope_utils.py (_compute_default_rope_parameters,
 * _compute_linear_scaling_rope_parameters, _compute_llama3_parameters) and apply_rotary_pos_emb:
 * out = x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x[D/2:], x[:D/2]). */
#include "model.h"

#include <math.h>

/* In fp32 like transformers: inv_freq = 1 / theta^(2i/D), then the scaling. */
void policy_rope_inv_freq(float *inv_freq, const policy_config *cfg) {
    int half = cfg->D / 2;
    float factor = (float)cfg->rope_factor;
    for (int i = 0; i < half; i++) {
        float f = 1.0f / powf((float)cfg->rope_theta, (float)(2 * i) / (float)cfg->D);
        if (cfg->rope_type == POLICY_ROPE_LINEAR) f = f / factor;
        if (cfg->rope_type == POLICY_ROPE_LLAMA3) {
            /* long wavelengths are slowed by factor, short ones kept, the band between
             * interpolated */
            float old = (float)cfg->rope_orig_max_pos, lo = (float)cfg->rope_low_freq_factor;
            float hi = (float)cfg->rope_high_freq_factor;
            float wavelen = (float)6.283185307179586 / f; /* 2 * math.pi */
            float low_wavelen = old / lo, high_wavelen = old / hi;
            float scaled = wavelen > low_wavelen ? f / factor : f;
            if (!(wavelen < high_wavelen) && !(wavelen > low_wavelen)) {
                float smooth = (old / wavelen - lo) / (hi - lo);
                scaled = (1.0f - smooth) * scaled / factor + smooth * scaled;
            }
            f = scaled;
        }
        inv_freq[i] = f;
    }
}

/* cs (P, D): row p holds cos(p * inv_freq[i]) in its first D/2 floats and sin in its last */
static void rope_line(float *cs, int p, const float *inv_freq, int half) {
    for (int i = 0; i < half; i++) {
        float angle = (float)p * inv_freq[i]; /* fp32 product, as transformers */
        cs[i] = cosf(angle);
        cs[half + i] = sinf(angle);
    }
}

void policy_rope_table(float *cs, const float *inv_freq, int P, int D) {
    for (int p = 0; p < P; p++) rope_line(cs + (size_t)p * D, p, inv_freq, D / 2);
}

/* x (N, nh*D): pairs (i, i + D/2) of every head of row n turn by pos[n] * inv_freq[i].
 * sign +1 is the forward rotation, -1 its transpose (the backward). */
typedef struct rope_task {
    float *x;
    const int *pos;
    const float *inv_freq, *table;
    int nh, D;
    float sign;
} rope_task;

static void rotate_rows(void *arg, long n0, long n1) {
    const rope_task *r = arg;
    float *x = r->x, sign = r->sign, own[1024]; /* head_dim <= 1024 (policy_config_check) */
    int nh = r->nh, D = r->D, half = D / 2;
    for (long n = n0; n < n1; n++) {
        const float *cs = own;
        if (r->table)
            cs = r->table + (size_t)r->pos[n] * D;
        else
            rope_line(own, r->pos[n], r->inv_freq, half);
        for (int h = 0; h < nh; h++) {
            float *xh = x + (size_t)n * nh * D + (size_t)h * D;
            for (int i = 0; i < half; i++) {
                float c = cs[i], s = sign * cs[half + i];
                float x1 = xh[i], x2 = xh[i + half];
                xh[i] = x1 * c - x2 * s;
                xh[i + half] = x2 * c + x1 * s;
            }
        }
    }
}

static void rotate(float *x, const int *pos, const float *inv_freq, const float *table, int N,
                   int nh, int D, float sign) {
    rope_task r = {x, pos, inv_freq, table, nh, D, sign};
    policy_parallel_for(N, 64, rotate_rows, &r);
}

void policy_rope_forward(float *x, const int *pos, const float *inv_freq, const float *table, int N,
                         int nh, int D) {
    rotate(x, pos, inv_freq, table, N, nh, D, 1.0f);
}

/* forward out = R x with R a rotation, so dx = R^T dout: the same turn by -angle */
void policy_rope_backward(float *dx, const int *pos, const float *inv_freq, const float *table,
                          int N, int nh, int D) {
    rotate(dx, pos, inv_freq, table, N, nh, D, -1.0f);
}

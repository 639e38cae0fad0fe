/* rollout/matmul.c: the projections of generation, out = inp @ W^T + b, written so that each
 * output element is the same function of its two rows whatever the batch: rollout_dot's lane
 * structure is fixed, tiles only decide how many dots run at once, and threads split columns.
 * That is what makes sampling reproducible across batch sizes, continuous-batching slot order,
 * thread counts and MPI ranks (OpenBLAS may pick another kernel, and so another rounding, for
 * another matrix shape). Leaves out bf16 weights. Reference: the dot-product formulation of
 * torch.nn.functional.linear; register tiling as in llama.cpp's ggml_vec_dot_f32. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <math.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define LANES 16
#define TN    4 /* rows of inp per tile */
#define TO    4 /* rows of W per tile */
/* the tile loops must unroll for the accumulators to live in registers */
#define UNROLL _Pragma("GCC unroll 4")

#if defined(__AVX512F__)
/* GCC 12 folds the loads of a tile into its FMAs' memory operands, so every row is loaded once
 * per FMA (32 loads per 16 FMAs: the kernel ran at a third of the FMA peak). An empty asm that
 * takes the vector in a register makes it opaque, and the load happens once. */
#define KEEP_IN_REGISTER(v) __asm__("" : "+v"(v))

/* the portable path's reduction order (reduce16 below) with vector adds: halves (l, l+8),
 * quarters (l, l+4), then (0, 2) and (1, 3), then the two sums */
static inline __attribute__((always_inline)) float reduce512(__m512 v) {
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v),
                              _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

/* rn x ro dots of length K: out[n * ldo + o] = dot(a + n * lda, w + o * ldw); meanwhile one
 * cache line per step of 16 is prefetched from each of the npf rows pf + j * pfs (the weights
 * the next tiles need), so that they arrive from memory while this tile computes. */
static inline __attribute__((always_inline)) void tile_pf(float *out, int ldo, const float *a,
                                                          int lda, const float *w, int ldw, int K,
                                                          int rn, int ro, const float *pf, int npf,
                                                          size_t pfs) {
    __m512 acc[TN][TO];
    UNROLL for (int n = 0; n < rn; n++) UNROLL for (int o = 0; o < ro; o++) acc[n][o] =
        _mm512_setzero_ps();
    int k = 0;
    for (; k + LANES <= K; k += LANES) {
        __m512 av[TN];
        UNROLL for (int n = 0; n < rn; n++) {
            av[n] = _mm512_loadu_ps(a + (size_t)n * lda + k);
            KEEP_IN_REGISTER(av[n]);
        }
        UNROLL for (int o = 0; o < ro; o++) {
            __m512 wv = _mm512_loadu_ps(w + (size_t)o * ldw + k);
            KEEP_IN_REGISTER(wv);
            UNROLL for (int n = 0; n < rn; n++) acc[n][o] = _mm512_fmadd_ps(av[n], wv, acc[n][o]);
        }
        for (int j = 0; j < npf; j++) _mm_prefetch((const char *)(pf + j * pfs + k), _MM_HINT_T2);
    }
    if (k < K) { /* lanes past the end keep their value, as the portable path's */
        __mmask16 m = (__mmask16)((1u << (K - k)) - 1u);
        __m512 av[TN];
        UNROLL for (int n = 0; n < rn; n++) av[n] =
            _mm512_maskz_loadu_ps(m, a + (size_t)n * lda + k);
        UNROLL for (int o = 0; o < ro; o++) {
            __m512 wv = _mm512_maskz_loadu_ps(m, w + (size_t)o * ldw + k);
            UNROLL for (int n = 0; n < rn; n++) acc[n][o] =
                _mm512_mask3_fmadd_ps(av[n], wv, acc[n][o], m);
        }
    }
    UNROLL for (int n = 0; n < rn; n++) UNROLL for (int o = 0; o < ro; o++)
        out[(size_t)n * ldo + o] = reduce512(acc[n][o]);
}
#else
/* no prefetch without AVX-512: its arguments are only evaluated */
#define tile_pf(out, ldo, a, lda, w, ldw, K, rn, ro, pf, npf, pfs)                                 \
    ((void)(pf), (void)(npf), (void)(pfs), tile(out, ldo, a, lda, w, ldw, K, rn, ro))
/* the fixed reduction of the 16 lanes */
static inline float reduce16(const float *acc) {
    float s8[8], s4[4];
    for (int l = 0; l < 8; l++) s8[l] = acc[l] + acc[l + 8];
    for (int l = 0; l < 4; l++) s4[l] = s8[l] + s8[l + 4];
    float s0 = s4[0] + s4[2], s1 = s4[1] + s4[3];
    return s0 + s1;
}

static inline void tile(float *out, int ldo, const float *a, int lda, const float *w, int ldw,
                        int K, int rn, int ro) {
    for (int n = 0; n < rn; n++)
        for (int o = 0; o < ro; o++) {
            const float *x = a + (size_t)n * lda, *y = w + (size_t)o * ldw;
            float acc[LANES] = {0};
            for (int k = 0; k < K; k++) acc[k % LANES] = fmaf(x[k], y[k], acc[k % LANES]);
            out[(size_t)n * ldo + o] = reduce16(acc);
        }
}
#endif

#if defined(__AVX512F__)
static inline __attribute__((always_inline)) void
tile(float *out, int ldo, const float *a, int lda, const float *w, int ldw, int K, int rn, int ro) {
    tile_pf(out, ldo, a, lda, w, ldw, K, rn, ro, NULL, 0, 0);
}
#endif

float rollout_dot(const float *a, const float *b, int K) {
    float r;
    tile(&r, 1, a, K, b, K, K, 1, 1);
    return r;
}

/* One chunk of sixteen vectors at a time: accumulator l holds lane l of the sixteen dots side by
 * side (vector j in vector element j), so the lanes' pairwise reduction is vertical adds. */
void rollout_dots_c(float *out, const float *a, const float *kc, int K, int n) {
#if defined(__AVX512F__)
#define UNROLL16 _Pragma("GCC unroll 16") /* constant indices: acc lives in registers */
    for (int j = 0; j < n; j += LANES) {
        __mmask16 m = n - j >= LANES ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1u);
        const float *b = kc + (size_t)j * K;
        __m512 acc[LANES];
        UNROLL16 for (int l = 0; l < LANES; l++) acc[l] = _mm512_setzero_ps();
        int k0 = 0;
        for (; k0 + LANES <= K; k0 += LANES)
            UNROLL16 for (int l = 0; l < LANES; l++) acc[l] =
                _mm512_fmadd_ps(_mm512_set1_ps(a[k0 + l]),
                                _mm512_maskz_loadu_ps(m, b + (size_t)(k0 + l) * LANES), acc[l]);
        UNROLL16 for (int l = 0; l < LANES; l++) if (k0 + l < K) acc[l] =
            _mm512_fmadd_ps(_mm512_set1_ps(a[k0 + l]),
                            _mm512_maskz_loadu_ps(m, b + (size_t)(k0 + l) * LANES), acc[l]);
        UNROLL16 for (int l = 0; l < 8; l++) acc[l] = _mm512_add_ps(acc[l], acc[l + 8]);
        UNROLL16 for (int l = 0; l < 4; l++) acc[l] = _mm512_add_ps(acc[l], acc[l + 4]);
        __m512 s0 = _mm512_add_ps(acc[0], acc[2]), s1 = _mm512_add_ps(acc[1], acc[3]);
        _mm512_mask_storeu_ps(out + j, m, _mm512_add_ps(s0, s1));
    }
#undef UNROLL16
#else
    for (int j = 0; j < n; j++) {
        const float *b = kc + (size_t)(j / LANES) * LANES * K + j % LANES;
        float acc[LANES] = {0};
        for (int k = 0; k < K; k++)
            acc[k % LANES] = fmaf(a[k], b[(size_t)k * LANES], acc[k % LANES]);
        out[j] = reduce16(acc);
    }
#endif
}

void rollout_weighted_sum(float *out, const float *p, const float *v, int ldv, int n, int D) {
#if defined(__AVX512F__)
    enum { NV = 8 }; /* up to 128 components per pass, in registers */
    for (int d0 = 0; d0 < D; d0 += NV * LANES) {
        __m512 acc[NV];
        __mmask16 m[NV];
        _Pragma("GCC unroll 8") for (int c = 0; c < NV; c++) {
            int left = D - d0 - c * LANES;
            m[c] = left >= LANES ? (__mmask16)0xffff
                   : left > 0    ? (__mmask16)((1u << left) - 1u)
                                 : (__mmask16)0;
            acc[c] = _mm512_setzero_ps();
        }
        for (int j = 0; j < n; j++) {
            __m512 pj = _mm512_set1_ps(p[j]);
            const float *vj = v + (size_t)j * ldv + d0;
            _Pragma("GCC unroll 8") for (int c = 0; c < NV; c++) if (m[c]) acc[c] =
                _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[c], vj + (size_t)c * LANES), acc[c]);
        }
        _Pragma("GCC unroll 8") for (int c = 0; c < NV; c++) if (m[c])
            _mm512_mask_storeu_ps(out + d0 + (size_t)c * LANES, m[c], acc[c]);
    }
#else
    for (int d = 0; d < D; d++) out[d] = 0.0f;
    for (int j = 0; j < n; j++)
        for (int d = 0; d < D; d++) out[d] = fmaf(p[j], v[(size_t)j * ldv + d], out[d]);
#endif
}

/* rollout_dots, prefetching as tile_pf does */
static inline void dots_pf(float *out, int ldo, const float *a, int lda, const float *w, int ldw,
                           int K, int rn, int ro, const float *pf, int npf, size_t pfs) {
    if (ro == TO) { /* whole tiles: one instance per row count, its loops unrolled */
        switch (rn) {
        case 4:
            tile_pf(out, ldo, a, lda, w, ldw, K, 4, TO, pf, npf, pfs);
            return;
        case 3:
            tile_pf(out, ldo, a, lda, w, ldw, K, 3, TO, pf, npf, pfs);
            return;
        case 2:
            tile_pf(out, ldo, a, lda, w, ldw, K, 2, TO, pf, npf, pfs);
            return;
        case 1:
            tile_pf(out, ldo, a, lda, w, ldw, K, 1, TO, pf, npf, pfs);
            return;
        default:
            break;
        }
    }
    for (int i = 0; i < rn; i++) /* edges, one dot at a time: the same values */
        for (int j = 0; j < ro; j++)
            tile(out + (size_t)i * ldo + j, ldo, a + (size_t)i * lda, lda, w + (size_t)j * ldw, ldw,
                 K, 1, 1);
}

void rollout_dots(float *out, int ldo, const float *a, int lda, const float *w, int ldw, int K,
                  int rn, int ro) {
    dots_pf(out, ldo, a, lda, w, ldw, K, rn, ro, NULL, 0, 0);
}

typedef struct mm_task {
    float *out;
    const float *inp, *w, *bias;
    int N, IC, OC;
} mm_task;

/* Rows are blocked so that a block of inp stays in L2 while W streams past once per block. */
#define ROW_BLOCK 64
/* While a W tile is in use, the row tiles prefetch the tile this many tiles further on, spread
 * over them, into L2 (into L1, it evicted the tiles in use): the hardware prefetcher alone left
 * the FMAs waiting on memory. At K = 768, OC = 2048 with W streamed from memory, in GFLOP/s:
 * N = 32: 68 -> 92 (95 with W in cache); N = 8: 35 -> 63; N = 1: 7 -> 10 (14 -> 20 GB/s). */
#define PF_AHEAD 2

static void mm_part(void *arg, int t, int nt) {
    const mm_task *m = arg;
    int nblk = (m->OC + TO - 1) / TO; /* column tiles, split evenly over threads */
    int o0 = (int)((long)nblk * t / nt) * TO, o1 = (int)((long)nblk * (t + 1) / nt) * TO;
    if (o1 > m->OC) o1 = m->OC;
    for (int r0 = 0; r0 < m->N; r0 += ROW_BLOCK) {
        int r1 = r0 + ROW_BLOCK < m->N ? r0 + ROW_BLOCK : m->N;
        int ntl = (r1 - r0 + TN - 1) / TN; /* row tiles: they share the prefetching */
        for (int o = o0; o < o1; o += TO) {
            const float *w = m->w + (size_t)o * m->IC;
            int ro = o + TO <= o1 ? TO : o1 - o;
            int po = o + PF_AHEAD * TO, next = o1 - po < TO ? o1 - po : TO; /* rows to prefetch */
            for (int n = r0, i = 0; n < r1; n += TN, i++) {
                float *out = m->out + (size_t)n * m->OC + o;
                const float *a = m->inp + (size_t)n * m->IC;
                int rn = n + TN <= r1 ? TN : r1 - n;
                /* row tile i prefetches rows i, i + ntl, ... of that tile */
                int npf = i < next ? (next - i + ntl - 1) / ntl : 0;
                const float *pf = npf ? m->w + (size_t)(po + i) * m->IC : NULL;
                if (rn == TN && ro == TO)
                    tile_pf(out, m->OC, a, m->IC, w, m->IC, m->IC, TN, TO, pf, npf,
                            (size_t)ntl * m->IC);
                else
                    dots_pf(out, m->OC, a, m->IC, w, m->IC, m->IC, rn, ro, pf, npf,
                            (size_t)ntl * m->IC);
            }
        }
        if (m->bias)
            for (int n = r0; n < r1; n++)
                for (int o = o0; o < o1; o++) m->out[(size_t)n * m->OC + o] += m->bias[o];
    }
}

/* Below this many multiply-adds, waking the workers costs more than it saves. */
#define PARALLEL_MIN (1L << 16)

void rollout_matmul(rlpt_pool *pool, float *out, const float *inp, const float *w,
                    const float *bias, int N, int IC, int OC) {
    mm_task m = {out, inp, w, bias, N, IC, OC};
    if (pool && pool->n > 1 && (long)N * IC * OC >= PARALLEL_MIN)
        rlpt_pool_run(pool, mm_part, &m);
    else
        mm_part(&m, 0, 1);
}

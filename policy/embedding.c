/* policy/embedding.c: token embedding lookup and its backward (a scatter-add into the table).
 * Leaves out id validation (policy_forward checks ids before any kernel runs).
 * Reference: torch.nn.Embedding. */
#include "model.h"

#include <string.h>

/* out (N, C) = wte[ids[n]] */
void policy_embedding_forward(float *out, const int *ids, const float *wte, int N, int C) {
    for (int n = 0; n < N; n++)
        memcpy(out + (size_t)n * C, wte + (size_t)ids[n] * C, (size_t)C * sizeof(float));
}

/* dwte[ids[n]] += dout[n]: a token seen twice gets both contributions */
void policy_embedding_backward(float *dwte, const float *dout, const int *ids, int N, int C) {
    for (int n = 0; n < N; n++) {
        float *d = dwte + (size_t)ids[n] * C;
        const float *g = dout + (size_t)n * C;
        for (int i = 0; i < C; i++) d[i] += g[i];
    }
}

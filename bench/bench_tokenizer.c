/* bench/bench_tokenizer.c: encode throughput of rlpt's tokenizer on the GSM8K + MATH-500 texts of
 * tests/data/tokenizers/strings/strings.jsonl (1200 strings, 339 KB), per tokenizer: the first
 * pass over a fresh tokenizer (empty pre-token cache) and warm passes, on one thread, then the
 * warm figure with 2 threads sharing one tokenizer. Prints MB/s and the id count (the JS peer
 * must give the same count); bench/bench_tokenizer.sh sets it beside @huggingface/tokenizers.
 * usage: bench_tokenizer STRINGS.jsonl TOKENIZER_DIR... */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rlpt_io.h"
#include "tokenizer.h"

typedef struct texts {
    char **s;
    size_t *len, n, bytes;
} texts;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int load_texts(const char *path, texts *t, rlpt_err *err) {
    char *buf;
    size_t n;
    int rc = rlpt_read_file(path, 64u << 20, &buf, &n, err);
    if (rc) return rc;
    memset(t, 0, sizeof *t);
    size_t cap = 0;
    for (char *p = buf, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        cJSON *r = cJSON_Parse(p);
        const cJSON *src = cJSON_GetObjectItem(r, "src"), *txt = cJSON_GetObjectItem(r, "text");
        if (cJSON_IsString(src) && cJSON_IsString(txt) &&
            (!strcmp(src->valuestring, "gsm8k") || !strcmp(src->valuestring, "math500"))) {
            if (t->n == cap) {
                cap = cap ? 2 * cap : 1024;
                t->s = realloc(t->s, cap * sizeof *t->s);
                t->len = realloc(t->len, cap * sizeof *t->len);
            }
            t->s[t->n] = strdup(txt->valuestring);
            t->len[t->n] = strlen(txt->valuestring);
            t->bytes += t->len[t->n++];
        }
        cJSON_Delete(r);
        if (!nl) break;
    }
    free(buf);
    return 0;
}

typedef struct job {
    const policy_tokenizer *tok;
    const texts *t;
    int passes;
    size_t ids;
} job;

static void *encode_passes(void *arg) {
    job *j = arg;
    rlpt_err err;
    j->ids = 0;
    for (int p = 0; p < j->passes; p++)
        for (size_t i = 0; i < j->t->n; i++) {
            int32_t *ids;
            size_t n;
            if (policy_tokenizer_encode(j->tok, j->t->s[i], j->t->len[i], 0, &ids, &n, &err)) {
                fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
                exit(1);
            }
            j->ids += n;
            free(ids);
        }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_tokenizer STRINGS.jsonl TOKENIZER_DIR...\n");
        return 2;
    }
    texts t;
    rlpt_err err;
    if (load_texts(argv[1], &t, &err)) {
        fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
        return 1;
    }
    printf("rlpt: %zu GSM8K+MATH-500 strings, %.3f MB, add_special off\n", t.n, t.bytes / 1e6);
    for (int a = 2; a < argc; a++) {
        policy_tokenizer *tok;
        double t0 = now();
        if (policy_tokenizer_load(&tok, argv[a], &err)) {
            fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
            return 1;
        }
        double t_load = now() - t0;
        job j = {tok, &t, 1, 0};
        t0 = now();
        encode_passes(&j);
        double cold = t.bytes / 1e6 / (now() - t0);
        size_t ids = j.ids;
        int passes = 5;
        j.passes = passes;
        t0 = now();
        encode_passes(&j);
        double warm = passes * t.bytes / 1e6 / (now() - t0);
        job jj[2] = {{tok, &t, passes, 0}, {tok, &t, passes, 0}};
        pthread_t th[2];
        t0 = now();
        for (int k = 0; k < 2; k++) pthread_create(&th[k], NULL, encode_passes, &jj[k]);
        for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
        double warm2 = 2 * passes * t.bytes / 1e6 / (now() - t0);
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        printf("rlpt %-30s load %.2f s, first pass %.2f MB/s, warm %.2f MB/s (1 thread), %.2f MB/s "
               "(2 threads), %zu ids\n",
               name, t_load, cold, warm, warm2, ids);
        printf("RESULT %s %.4f %.4f %.4f %zu\n", name, cold, warm, warm2, ids);
        policy_tokenizer_free(tok);
    }
    for (size_t i = 0; i < t.n; i++) free(t.s[i]);
    free(t.s);
    free(t.len);
    return 0;
}

/* rl/cmd_generate.c: `rlpt generate --model DIR [sampling flags]`, a filter: {"prompt": s} or
 * {"ids": [...]} lines on stdin, one {"ids": [...], "text": s, "logprobs": [...]} line per
 * sample on stdout (n per input line, in input order). Under mpirun, rank 0 reads stdin and
 * broadcasts it, prompt i is generated on rank i % size, and rank 0 gathers and prints; since
 * the sampler's randomness is keyed by (seed, step 0, line index, sample index, position) and
 * the generation kernels are row-independent, the output is byte-identical at any rank count and
 * batch size. Leaves out chat rendering (pipe through `rlpt tokenize --chat` first). */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rl.h"
#include "rollout.h"

static const char usage[] =
    "usage: rlpt generate --model DIR [--temperature T] [--top-k K] [--top-p P] [--min-p P]\n"
    "                     [--repetition-penalty R] [--presence-penalty P]\n"
    "                     [--max-new-tokens N] [--stop S]... [--n N] [--seed S]\n"
    "                     [--batch-size B] [--tokenizer DIR]\n"
    "\n"
    "A filter: reads {\"prompt\": s} or {\"ids\": [...]} lines on stdin and writes, for each,\n"
    "n lines {\"ids\": [...], \"text\": s, \"logprobs\": [...]} (the completion's tokens, its\n"
    "decoded text, and each token's log-probability under the sampling temperature). Runs\n"
    "under mpirun with byte-identical output at any rank count and batch size.\n"
    "\n"
    "Flags (the names of the config keys rollout.*):\n"
    "  --temperature T         0 = greedy (default 1)\n"
    "  --top-k K               keep the K most likely tokens; 0 = off (default)\n"
    "  --top-p P               nucleus sampling; 1 = off (default)\n"
    "  --min-p P               drop tokens below P x the top probability; 0 = off (default)\n"
    "  --repetition-penalty R  1 = off (default); --presence-penalty P: 0 = off (default)\n"
    "  --max-new-tokens N      completion length cap (default 256)\n"
    "  --stop S                stop string, matched on decoded text (repeatable); the model's\n"
    "                          eos_token_id always stops\n"
    "  --n N                   samples per prompt (default 1)\n"
    "  --seed S                random seed (default 0)\n"
    "  --batch-size B          sequences decoded at once, KV cache slots (default 32)\n"
    "  --tokenizer DIR         tokenizer.json to use (default: the one in the model directory;\n"
    "                          without one, only {\"ids\"} lines are read and text is null)\n";

#define MAX_STOPS 64

typedef struct gen_args {
    const char *model, *tokenizer;
    rollout_config cfg;
    const char *stop[MAX_STOPS];
} gen_args;

static int parse_num(const char *flag, const char *s, double lo, double hi, int integer,
                     double *out, rlpt_err *err) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !(v >= lo && v <= hi) || (integer && v != floor(v)))
        return rlpt_errf(err, RLPT_EUSAGE, "generate: %s expects %s in [%g, %g], got '%s'", flag,
                         integer ? "an integer" : "a number", lo, hi, s);
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, gen_args *a, rlpt_err *err) {
    memset(a, 0, sizeof *a);
    rollout_config_default(&a->cfg);
    a->cfg.stop = a->stop;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (i + 1 >= argc)
            return rlpt_errf(err, RLPT_EUSAGE,
                             "generate: unexpected argument '%s' (or it lacks its value; see "
                             "rlpt generate --help)",
                             f);
        const char *v = argv[++i];
        double x = 0;
        int rc = 0;
        rollout_config *c = &a->cfg;
        if (strcmp(f, "--model") == 0)
            a->model = v;
        else if (strcmp(f, "--tokenizer") == 0)
            a->tokenizer = v;
        else if (strcmp(f, "--stop") == 0) {
            if (c->n_stop == MAX_STOPS)
                return rlpt_errf(err, RLPT_EUSAGE, "generate: at most %d --stop strings",
                                 MAX_STOPS);
            if (!*v)
                return rlpt_errf(err, RLPT_EUSAGE, "generate: --stop needs a non-empty string");
            a->stop[c->n_stop++] = v;
        } else if (strcmp(f, "--temperature") == 0) {
            if (!(rc = parse_num(f, v, 0, 100, 0, &x, err))) c->sampling.temperature = (float)x;
        } else if (strcmp(f, "--top-k") == 0) {
            if (!(rc = parse_num(f, v, 0, INT_MAX, 1, &x, err))) c->sampling.top_k = (int)x;
        } else if (strcmp(f, "--top-p") == 0) {
            if (!(rc = parse_num(f, v, 0, 1, 0, &x, err))) c->sampling.top_p = (float)x;
            if (!rc && x == 0) rc = rlpt_errf(err, RLPT_EUSAGE, "generate: --top-p must be > 0");
        } else if (strcmp(f, "--min-p") == 0) {
            if (!(rc = parse_num(f, v, 0, 1, 0, &x, err))) c->sampling.min_p = (float)x;
            if (!rc && x == 1) rc = rlpt_errf(err, RLPT_EUSAGE, "generate: --min-p must be < 1");
        } else if (strcmp(f, "--repetition-penalty") == 0) {
            if (!(rc = parse_num(f, v, 1e-6, 100, 0, &x, err)))
                c->sampling.repetition_penalty = (float)x;
        } else if (strcmp(f, "--presence-penalty") == 0) {
            if (!(rc = parse_num(f, v, -100, 100, 0, &x, err)))
                c->sampling.presence_penalty = (float)x;
        } else if (strcmp(f, "--max-new-tokens") == 0) {
            if (!(rc = parse_num(f, v, 1, 1048576, 1, &x, err))) c->max_new_tokens = (int)x;
        } else if (strcmp(f, "--n") == 0) {
            if (!(rc = parse_num(f, v, 1, 65536, 1, &x, err))) c->n = (int)x;
        } else if (strcmp(f, "--seed") == 0) {
            if (!(rc = parse_num(f, v, 0, 9007199254740992.0, 1, &x, err))) c->seed = (uint64_t)x;
        } else if (strcmp(f, "--batch-size") == 0) {
            if (!(rc = parse_num(f, v, 1, 65536, 1, &x, err))) c->batch_size = (int)x;
        } else
            return rlpt_errf(err, RLPT_EUSAGE,
                             "generate: unknown flag '%s' (see rlpt generate --help)", f);
        if (rc) return rc;
    }
    if (!a->model) return rlpt_errf(err, RLPT_EUSAGE, "generate: --model DIR is required");
    return 0;
}

/* ---- input ----------------------------------------------------------------------------------- */

/* Rank 0 reads all of stdin; every rank gets a copy (Open MPI forwards stdin to rank 0 only). */
static int read_input(char **buf, size_t *len, rlpt_err *err) {
    *buf = NULL;
    *len = 0;
    const rl_mpi *mp = rl_mpi_get();
    int rc = 0;
    if (mp->rank == 0) {
        size_t cap = 1 << 16;
        *buf = malloc(cap);
        if (!*buf) rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory reading stdin");
        while (!rc) {
            if (*len + 1 >= cap) {
                char *nb = cap < SIZE_MAX / 2 ? realloc(*buf, cap * 2) : NULL;
                if (!nb) {
                    rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory reading stdin");
                    break;
                }
                *buf = nb;
                cap *= 2;
            }
            size_t got = fread(*buf + *len, 1, cap - 1 - *len, stdin);
            *len += got;
            if (got == 0) {
                if (ferror(stdin)) rc = rlpt_errf(err, RLPT_EIO, "stdin: read error");
                break;
            }
        }
        if (!rc && *len > INT_MAX)
            rc = rlpt_errf(err, RLPT_EINVAL, "stdin: %zu bytes, more than 2 GiB", *len);
    }
    if ((rc = rl_mpi_agree(rc, err))) {
        free(*buf);
        *buf = NULL;
        return rc;
    }
    if (mp->size > 1) {
        int n = (int)*len;
        if ((rc = rl_mpi_check(MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast", err)))
            return rc;
        if (mp->rank != 0) {
            *len = (size_t)n;
            *buf = malloc(*len + 1);
        }
        rc = *buf ? 0 : rlpt_errf(err, RLPT_ENOMEM, "out of memory for %d bytes of input", n);
        if ((rc = rl_mpi_agree(rc, err))) return rc;
        if ((rc = rl_mpi_check(MPI_Bcast(*buf, n, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast", err)))
            return rc;
    }
    (*buf)[*len] = '\0';
    return 0;
}

typedef struct prompt_list {
    rollout_prompt *p;
    int32_t **ids;
    int n, cap, longest;
} prompt_list;

static void prompts_free(prompt_list *l) {
    for (int i = 0; i < l->n; i++) free(l->ids[i]);
    free(l->ids);
    free(l->p);
    memset(l, 0, sizeof *l);
}

/* One input line into ids. */
static int parse_line(const char *line, long lineno, const policy_model *m,
                      const policy_tokenizer *tok, int32_t **ids, int *n, rlpt_err *err) {
    *ids = NULL;
    cJSON *root = cJSON_Parse(line);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "ids");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "prompt");
    int rc = 0;
    if (cJSON_IsString(text)) {
        if (!tok) {
            rc = rlpt_errf(err, RLPT_EINVAL,
                           "stdin:%ld: a \"prompt\" needs a tokenizer (no tokenizer.json in the "
                           "model directory: give --tokenizer DIR or {\"ids\": [...]})",
                           lineno);
            goto done;
        }
        size_t nn = 0;
        rc = policy_tokenizer_encode(tok, text->valuestring, strlen(text->valuestring), 1, ids, &nn,
                                     err);
        if (rc) {
            rlpt_err_prefix(err, "stdin:%ld", lineno);
            goto done;
        }
        if (nn > (size_t)m->cfg.max_pos) nn = (size_t)m->cfg.max_pos; /* refused below */
        *n = (int)nn;
    } else if (cJSON_IsArray(arr)) {
        *n = cJSON_GetArraySize(arr);
        if (*n > m->cfg.max_pos) *n = m->cfg.max_pos + 1; /* refused below, before malloc */
        *ids = malloc(((size_t)*n + 1) * sizeof **ids);
        if (!*ids) {
            rc = rlpt_errf(err, RLPT_ENOMEM, "stdin:%ld: out of memory", lineno);
            goto done;
        }
        int i = 0;
        for (const cJSON *j = arr->child; j && i < *n; j = j->next, i++) {
            double v = cJSON_IsNumber(j) ? j->valuedouble : -1.0;
            if (v != floor(v) || v < 0 || v >= m->cfg.V) {
                rc = rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: ids[%d] is not a token id in 0..%d",
                               lineno, i, m->cfg.V - 1);
                goto done;
            }
            (*ids)[i] = (int32_t)v;
        }
    } else {
        rc = rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: expected {\"prompt\": s} or {\"ids\": [...]}",
                       lineno);
        goto done;
    }
    if (*n < 1)
        rc = rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: the prompt has no tokens", lineno);
    else if (*n >= m->cfg.max_pos)
        rc = rlpt_errf(err, RLPT_EINVAL,
                       "stdin:%ld: the prompt has %s%d tokens, leaving no room to generate "
                       "within the model's max_position_embeddings %d",
                       lineno, *n > m->cfg.max_pos ? "more than " : "", m->cfg.max_pos,
                       m->cfg.max_pos);
done:
    cJSON_Delete(root);
    if (rc) {
        free(*ids);
        *ids = NULL;
    }
    return rc;
}

static int parse_input(char *buf, const policy_model *m, const policy_tokenizer *tok,
                       prompt_list *l, rlpt_err *err) {
    memset(l, 0, sizeof *l);
    long lineno = 0;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        lineno++;
        if (strspn(line, " \t\r") != strlen(line)) {
            if (l->n == l->cap) {
                int cap = l->cap ? l->cap * 2 : 64;
                rollout_prompt *np = realloc(l->p, (size_t)cap * sizeof *np);
                if (np) l->p = np;
                int32_t **ni = np ? realloc(l->ids, (size_t)cap * sizeof *ni) : NULL;
                if (ni) l->ids = ni;
                if (!np || !ni) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for prompts");
                l->cap = cap;
            }
            int n = 0;
            int rc = parse_line(line, lineno, m, tok, &l->ids[l->n], &n, err);
            if (rc) return rc;
            l->p[l->n] = (rollout_prompt){l->ids[l->n], n, (uint64_t)l->n};
            if (n > l->longest) l->longest = n;
            l->n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

static void put_json_string(const char *s, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putchar('\\');
            putchar(c);
        } else if (c == '\n') {
            fputs("\\n", stdout);
        } else if (c == '\r') {
            fputs("\\r", stdout);
        } else if (c == '\t') {
            fputs("\\t", stdout);
        } else if (c < 0x20 || c == 0x7f) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void put_sample(const rollout_sample *s) {
    fputs("{\"ids\": [", stdout);
    for (int i = 0; i < s->n_ids; i++) printf(i ? ", %d" : "%d", (int)s->ids[i]);
    fputs("], \"text\": ", stdout);
    if (s->text)
        put_json_string(s->text, s->text_len);
    else
        fputs("null", stdout);
    fputs(", \"logprobs\": [", stdout);
    for (int i = 0; i < s->n_ids; i++) printf(i ? ", %.9g" : "%.9g", (double)s->logprobs[i]);
    fputs("]}\n", stdout);
}

/* ---- the command ----------------------------------------------------------------------------- */

static int has_tokenizer(const char *dir) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    return stat(path, &st) == 0;
}

static int run(int argc, char **argv, rlpt_err *err) {
    gen_args a;
    int rc = parse_args(argc, argv, &a, err);
    if (rc) return rc;
    if ((rc = rl_mpi_init(&argc, &argv, err))) return rc;
    const rl_mpi *mp = rl_mpi_get();
    int threads = rl_mpi_setup_blas(0);
    policy_model m;
    memset(&m, 0, sizeof m);
    policy_tokenizer *tok = NULL;
    char *input = NULL;
    size_t input_len = 0;
    prompt_list pl;
    memset(&pl, 0, sizeof pl);
    rollout_engine *e = NULL;
    rollout_sample *out = NULL;
    rc = policy_model_load(&m, a.model, err);
    const char *tdir = a.tokenizer ? a.tokenizer : has_tokenizer(a.model) ? a.model : NULL;
    if (!rc && tdir) rc = policy_tokenizer_load(&tok, tdir, err);
    if ((rc = rl_mpi_agree(rc, err))) goto done;
    if ((rc = read_input(&input, &input_len, err))) goto done;
    rc = parse_input(input, &m, tok, &pl, err);
    if ((rc = rl_mpi_agree(rc, err)) || pl.n == 0) goto done;
    a.cfg.max_prompt_tokens = pl.longest;
    rc = rollout_engine_init(&e, &m, tok, &a.cfg, threads, err);
    if (!rc && !(out = calloc((size_t)pl.n * a.cfg.n, sizeof *out)))
        rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory for %d x %d samples", pl.n, a.cfg.n);
    if ((rc = rl_mpi_agree(rc, err))) goto done;
    rc = rollout_generate_mpi(e, MPI_COMM_WORLD, pl.p, pl.n, 0, 0, out, err);
    if ((rc = rl_mpi_agree(rc, err))) goto done;
    if (mp->rank == 0 || !mp->initialized)
        for (size_t i = 0; i < (size_t)pl.n * a.cfg.n; i++) put_sample(&out[i]);
done:
    if (out) rollout_samples_free(out, (size_t)pl.n * a.cfg.n);
    free(out);
    rollout_engine_free(e);
    prompts_free(&pl);
    free(input);
    policy_tokenizer_free(tok);
    policy_model_free(&m);
    return rc;
}

const rl_cmd rl_cmd_generate = {"generate", "sample completions from a model", usage, run};

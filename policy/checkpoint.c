/* policy/checkpoint.c: a model directory in the Hugging Face layout, in and out: config.json plus
 * model.safetensors, or shards named by model.safetensors.index.json. Loading checks every
 * tensor against config.json (present, right shape, nothing unexpected); saving writes every
 * file atomically. Leaves out tokenizer files and optimizer state (rl/ checkpoints).
 * Reference: transformers PreTrainedModel.save_pretrained / from_pretrained (shard names,
 * index format, tied weights, the TinyStories quirk of a tied weight stored as lm_head.weight). */
#define _POSIX_C_SOURCE 200809L
#include "model_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rlpt_io.h"

#define INDEX_NAME "model.safetensors.index.json"
#define MAX_SHARDS 100000

/* The safetensors files of a directory and, when sharded, which file holds which tensor. */
typedef struct source {
    policy_st_file *files;
    int n_files;
    cJSON *index; /* parsed index, NULL for a single file */
} source;

static void source_close(source *s) {
    for (int i = 0; i < s->n_files; i++) policy_st_close(&s->files[i]);
    free(s->files);
    cJSON_Delete(s->index);
    memset(s, 0, sizeof *s);
}

static int join(char *out, size_t n, const char *dir, const char *name, rlpt_err *err) {
    if (snprintf(out, n, "%s/%s", dir, name) >= (int)n)
        return rlpt_errf(err, RLPT_EIO, "%s/%s: path too long", dir, name);
    return 0;
}

static int open_index(source *s, const char *dir, const char *path, rlpt_err *err) {
    char *text = NULL;
    int rc = rlpt_read_file(path, 64u << 20, &text, NULL, err);
    if (rc) return rc;
    s->index = cJSON_Parse(text);
    free(text);
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(s->index, "weight_map");
    if (!cJSON_IsObject(map))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: no \"weight_map\" object (bad JSON?)", path);
    int n = 0;
    for (const cJSON *j = map->child; j; j = j->next) n++;
    s->files = calloc((size_t)n + 1, sizeof *s->files);
    if (!s->files) return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", path);
    for (const cJSON *j = map->child; j; j = j->next) {
        const char *f = cJSON_IsString(j) ? j->valuestring : NULL;
        if (!f || !f[0] || strchr(f, '/') || strcmp(f, "..") == 0 || strcmp(f, ".") == 0)
            return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s' maps to a bad file name", path,
                             j->string);
        int seen = 0;
        for (int i = 0; i < s->n_files && !seen; i++)
            seen = strcmp(strrchr(s->files[i].path, '/') + 1, f) == 0;
        if (seen) continue;
        char p[4096];
        if ((rc = join(p, sizeof p, dir, f, err))) return rc;
        if ((rc = policy_st_open(&s->files[s->n_files], p, err))) return rc;
        s->n_files++;
    }
    return 0;
}

static int source_open(source *s, const char *dir, rlpt_err *err) {
    memset(s, 0, sizeof *s);
    char p[4096];
    int rc = join(p, sizeof p, dir, INDEX_NAME, err);
    if (rc) return rc;
    if (access(p, F_OK) == 0) return open_index(s, dir, p, err);
    if ((rc = join(p, sizeof p, dir, "model.safetensors", err))) return rc;
    s->files = calloc(1, sizeof *s->files);
    if (!s->files) return rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    if ((rc = policy_st_open(&s->files[0], p, err))) return rc;
    s->n_files = 1;
    return 0;
}

/* The file and entry holding name, or NULL. With an index, only the file it names counts. */
static const policy_st_tensor *source_find(const source *s, const char *name,
                                           const policy_st_file **file) {
    const char *want = NULL;
    if (s->index) {
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s->index, "weight_map"), name);
        if (!cJSON_IsString(j)) return NULL;
        want = j->valuestring;
    }
    for (int i = 0; i < s->n_files; i++) {
        if (want && strcmp(strrchr(s->files[i].path, '/') + 1, want) != 0) continue;
        *file = &s->files[i];
        return policy_st_find(&s->files[i], name);
    }
    return NULL;
}

/* Tensors we know and do not need: rotary caches some old checkpoints store. */
static int ignorable(const policy_config *c, const char *name) {
    const char *inv = ".rotary_emb.inv_freq";
    size_t n = strlen(name), k = strlen(inv);
    if (n > k && strcmp(name + n - k, inv) == 0) return 1;
    return c->tied && strcmp(name, "lm_head.weight") == 0; /* tied: the embedding is used */
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t at = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (at < n) snprintf(buf + at, n - at, "]");
}

static int load_tensor(policy_model *m, const source *s, const policy_tensor_info *t,
                       const char *dir, rlpt_err *err) {
    const policy_st_file *f = NULL;
    const char *name = t->name;
    const policy_st_tensor *st = source_find(s, name, &f);
    if (!st && m->cfg.tied && strcmp(name, "model.embed_tokens.weight") == 0) {
        /* a tied weight saved once under lm_head.weight; transformers names it in
         * __metadata__ ({"model.embed_tokens.weight": "lm_head.weight"}) */
        name = "lm_head.weight";
        for (int i = 0; i < s->n_files; i++) {
            const char *alias = policy_st_meta(&s->files[i], t->name);
            if (alias) name = alias;
        }
        st = source_find(s, name, &f);
    }
    if (!st)
        return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s' is missing from %s", dir, t->name,
                         s->index ? INDEX_NAME : "model.safetensors");
    int64_t want[2] = {t->shape[0], t->shape[1]};
    int ok = st->ndim == t->ndim;
    for (int i = 0; i < t->ndim && ok; i++) ok = st->shape[i] == want[i];
    if (!ok) {
        char got[96], exp[64];
        shape_str(got, sizeof got, st->ndim, st->shape);
        shape_str(exp, sizeof exp, t->ndim, want);
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: tensor '%s' has shape %s but config.json "
                         "implies %s",
                         f->path, name, got, exp);
    }
    policy_st_read_f32(f, st, m->params + t->offset);
    return 0;
}

int policy_model_load(policy_model *m, const char *dir, rlpt_err *err) {
    policy_config cfg;
    memset(m, 0, sizeof *m);
    int rc = policy_config_load(&cfg, dir, err);
    if (rc) return rc;
    source s;
    if ((rc = source_open(&s, dir, err))) goto fail;
    if ((rc = policy_model_init(m, &cfg, err))) goto fail;
    for (int i = 0; i < m->layout.n && !rc; i++) rc = load_tensor(m, &s, &m->layout.t[i], dir, err);
    for (int i = 0; i < s.n_files && !rc; i++) {
        for (int k = 0; k < s.files[i].n && !rc; k++) {
            const char *name = s.files[i].t[k].name;
            if (!policy_layout_find(&m->layout, name) && !ignorable(&cfg, name))
                rc = rlpt_errf(err, RLPT_EFORMAT,
                               "%s: unexpected tensor '%s': not part of the "
                               "model config.json describes",
                               s.files[i].path, name);
        }
    }
    if (rc) goto fail;
    source_close(&s);
    return 0;
fail:
    source_close(&s);
    policy_model_free(m);
    return rc;
}

static int write_shard(const char *path, const policy_st_entry *e, int n, int dtype,
                       rlpt_err *err) {
    rlpt_atomic_file af;
    int rc = rlpt_atomic_open(&af, path, err);
    if (rc) return rc;
    if ((rc = policy_st_write(af.f, e, n, dtype, NULL, 0, path, err))) {
        rlpt_atomic_abort(&af);
        return rc;
    }
    return rlpt_atomic_commit(&af, err);
}

/* Removes a file left by an earlier save in the other layout (sharded vs. single file). */
static int remove_stale(const char *dir, const char *name, rlpt_err *err) {
    char p[4096];
    int rc = join(p, sizeof p, dir, name, err);
    if (rc) return rc;
    if (unlink(p) != 0 && errno != ENOENT)
        return rlpt_errf(err, RLPT_EIO, "%s: cannot remove stale file: %s", p, strerror(errno));
    return 0;
}

static int write_index(const char *dir, const policy_st_entry *e, const int *shard_of, int n,
                       int n_shards, size_t total, rlpt_err *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON *map = cJSON_AddObjectToObject(root, "weight_map");
    int ok = root && meta && map && cJSON_AddNumberToObject(meta, "total_size", (double)total);
    for (int i = 0; i < n && ok; i++) {
        char f[64];
        snprintf(f, sizeof f, "model-%05d-of-%05d.safetensors", shard_of[i] + 1, n_shards);
        ok = cJSON_AddStringToObject(map, e[i].name, f) != NULL;
    }
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for %s", INDEX_NAME);
    char p[4096];
    int rc = join(p, sizeof p, dir, INDEX_NAME, err);
    if (!rc) rc = rlpt_write_file_atomic(p, text, strlen(text), err);
    free(text);
    return rc;
}

int policy_model_save(const policy_model *m, const char *dir, int dtype, size_t max_shard_bytes,
                      rlpt_err *err) {
    if (dtype != POLICY_DTYPE_F32 && dtype != POLICY_DTYPE_BF16)
        return rlpt_errf(err, RLPT_EINVAL, "checkpoints are written in float32 or bfloat16");
    int rc = rlpt_mkdir_p(dir, err);
    if (rc) return rc;
    policy_config cfg = m->cfg;
    cfg.dtype = dtype;
    char *json = policy_config_to_json(&cfg);
    if (!json) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for config.json");
    char p[4096];
    rc = join(p, sizeof p, dir, "config.json", err);
    if (!rc) rc = rlpt_write_file_atomic(p, json, strlen(json), err);
    free(json);
    if (rc) return rc;

    int n = m->layout.n, n_shards = 1;
    policy_st_entry *e = calloc((size_t)n, sizeof *e);
    int *shard_of = calloc((size_t)n, sizeof *shard_of);
    if (!e || !shard_of) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory");
        goto done;
    }
    size_t in_shard = 0, total = 0;
    for (int i = 0; i < n; i++) {
        const policy_tensor_info *t = &m->layout.t[i];
        e[i] = (policy_st_entry){
            t->name, m->params + t->offset, t->ndim, {t->shape[0], t->shape[1]}, t->numel};
        size_t bytes = policy_st_entry_bytes(&e[i], dtype);
        if (max_shard_bytes && in_shard > 0 && in_shard + bytes > max_shard_bytes) {
            n_shards++;
            in_shard = 0;
        }
        shard_of[i] = n_shards - 1;
        in_shard += bytes;
        total += bytes;
    }
    if (n_shards > MAX_SHARDS) {
        rc = rlpt_errf(err, RLPT_EINVAL, "%d shards is too many; raise the shard size", n_shards);
        goto done;
    }
    if (n_shards == 1) {
        if (!(rc = join(p, sizeof p, dir, "model.safetensors", err)) &&
            !(rc = write_shard(p, e, n, dtype, err)))
            rc = remove_stale(dir, INDEX_NAME, err);
        goto done;
    }
    for (int s = 0, first = 0; s < n_shards && !rc; s++) {
        int last = first;
        while (last < n && shard_of[last] == s) last++;
        char name[64];
        snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, n_shards);
        if (!(rc = join(p, sizeof p, dir, name, err)))
            rc = write_shard(p, e + first, last - first, dtype, err);
        first = last;
    }
    if (!rc) rc = write_index(dir, e, shard_of, n, n_shards, total, err);
    if (!rc) rc = remove_stale(dir, "model.safetensors", err);
done:
    free(e);
    free(shard_of);
    return rc;
}

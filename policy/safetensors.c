/* policy/safetensors.c: reads and writes the safetensors format (see model_internal.h).
 * Holds the header parser with full validation, mmap, dtype conversion to fp32 and the writer.
 * Leaves out which tensors a model needs (checkpoint.c) and sharding (checkpoint.c).
 * Reference: github.com/huggingface/safetensors, safetensors/src/tensor.rs (validation rules). */
#define _POSIX_C_SOURCE 200809L
#include "model_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every dtype name of the format: the three we read, and the others, which we name in a
 * clear "not supported" error rather than "unknown". */
static const char *const other_dtypes[] = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16",
                                           "U16",  "I32", "U32", "I64",     "U64",     "F64"};

static size_t dtype_size(int dtype) {
    return dtype == POLICY_DTYPE_F32 ? 4 : 2;
}

static const char *dtype_name(int dtype) {
    return dtype == POLICY_DTYPE_F32 ? "F32" : dtype == POLICY_DTYPE_BF16 ? "BF16" : "F16";
}

/* A JSON number that is a non-negative integer below 2^53 (exact in a double). */
static int json_size(const cJSON *j, size_t *out) {
    if (!cJSON_IsNumber(j)) return 0;
    double d = j->valuedouble;
    if (!(d >= 0.0 && d <= 9007199254740992.0) || d != floor(d)) return 0;
    *out = (size_t)d;
    return 1;
}

static int parse_tensor(policy_st_tensor *t, const cJSON *j, const char *where, rlpt_err *err) {
    t->name = j->string;
    if (!cJSON_IsObject(j))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s': entry is not a JSON object", where,
                         t->name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
    if (!cJSON_IsString(dt))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s': no \"dtype\" string", where, t->name);
    if (strcmp(dt->valuestring, "F32") == 0)
        t->dtype = POLICY_DTYPE_F32;
    else if (strcmp(dt->valuestring, "BF16") == 0)
        t->dtype = POLICY_DTYPE_BF16;
    else if (strcmp(dt->valuestring, "F16") == 0)
        t->dtype = POLICY_DTYPE_F16;
    else {
        for (size_t i = 0; i < sizeof other_dtypes / sizeof other_dtypes[0]; i++)
            if (strcmp(dt->valuestring, other_dtypes[i]) == 0)
                return rlpt_errf(err, RLPT_EUNSUPPORTED,
                                 "%s: tensor '%s': dtype %s is not supported (F32, BF16, F16 are)",
                                 where, t->name, other_dtypes[i]);
        return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s': unknown dtype '%.32s'", where,
                         t->name, dt->valuestring);
    }
    int nd = cJSON_IsArray(sh) ? cJSON_GetArraySize(sh) : -1;
    if (nd < 0 || nd > POLICY_ST_MAX_DIMS)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: tensor '%s': \"shape\" must be an array of at "
                         "most %d sizes",
                         where, t->name, POLICY_ST_MAX_DIMS);
    t->ndim = nd;
    t->numel = 1;
    for (int i = 0; i < nd; i++) {
        size_t d;
        if (!json_size(cJSON_GetArrayItem(sh, i), &d))
            return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s': shape[%d] is not a size", where,
                             t->name, i);
        t->shape[i] = (int64_t)d;
        if (d != 0 && t->numel > SIZE_MAX / 8 / d)
            return rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s': shape overflows", where, t->name);
        t->numel *= d;
    }
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 ||
        !json_size(cJSON_GetArrayItem(off, 0), &t->begin) ||
        !json_size(cJSON_GetArrayItem(off, 1), &t->end) || t->end < t->begin)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: tensor '%s': \"data_offsets\" must be "
                         "[begin, end] with begin <= end",
                         where, t->name);
    size_t es = dtype_size(t->dtype);
    if (t->end - t->begin != t->numel * es)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: tensor '%s': %zu bytes of data but its shape "
                         "and dtype %s need %zu",
                         where, t->name, t->end - t->begin, dtype_name(t->dtype), t->numel * es);
    if (t->begin % es)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: tensor '%s': data offset %zu is misaligned for "
                         "%s",
                         where, t->name, t->begin, dtype_name(t->dtype));
    return 0;
}

static int cmp_begin(const void *a, const void *b) {
    const policy_st_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

int policy_st_parse(policy_st_file *f, const uint8_t *buf, size_t size, const char *where,
                    rlpt_err *err) {
    memset(f, 0, sizeof *f);
    if (size < 8)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: %zu bytes, too short for a safetensors file "
                         "(truncated?)",
                         where, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
    if (hlen > size - 8)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: header length %llu goes beyond the end of the "
                         "file (%zu bytes; truncated?)",
                         where, (unsigned long long)hlen, size);
    if (hlen > POLICY_ST_MAX_HEADER)
        return rlpt_errf(err, RLPT_EFORMAT, "%s: header length %llu is above the 100 MB limit",
                         where, (unsigned long long)hlen);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)buf + 8, (size_t)hlen, &end, 0);
    if (!root || !cJSON_IsObject(root)) {
        size_t at = root ? 0 : (size_t)(end - (const char *)buf);
        cJSON_Delete(root);
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: header is not a JSON object (bad JSON near "
                         "byte %zu)",
                         where, at);
    }
    f->header = root;
    int n = 0, rc = 0;
    for (const char *p = end; p < (const char *)buf + 8 + hlen; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            rc = rlpt_errf(err, RLPT_EFORMAT,
                           "%s: bytes after the header's JSON object (only "
                           "space padding may follow it)",
                           where);
            goto fail;
        }
    f->data = buf + 8 + hlen;
    f->data_size = size - 8 - (size_t)hlen;
    for (const cJSON *j = root->child; j; j = j->next) n++;
    f->t = calloc((size_t)n + 1, sizeof *f->t);
    if (!f->t) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory for %d tensor entries", where, n);
        goto fail;
    }
    for (const cJSON *j = root->child; j; j = j->next) {
        if (strcmp(j->string, "__metadata__") == 0) {
            for (const cJSON *m = cJSON_IsObject(j) ? j->child : NULL; m; m = m->next)
                if (!cJSON_IsString(m)) {
                    rc = rlpt_errf(err, RLPT_EFORMAT, "%s: __metadata__ '%s' is not a string",
                                   where, m->string);
                    goto fail;
                }
            if (!cJSON_IsObject(j)) {
                rc = rlpt_errf(err, RLPT_EFORMAT, "%s: __metadata__ is not an object", where);
                goto fail;
            }
            continue;
        }
        for (int i = 0; i < f->n; i++)
            if (strcmp(f->t[i].name, j->string) == 0) {
                rc = rlpt_errf(err, RLPT_EFORMAT, "%s: tensor '%s' appears twice in the header",
                               where, j->string);
                goto fail;
            }
        policy_st_tensor *t = &f->t[f->n];
        if ((rc = parse_tensor(t, j, where, err))) goto fail;
        if (t->end > f->data_size) {
            rc = rlpt_errf(err, RLPT_EFORMAT,
                           "%s: tensor '%s': data [%zu, %zu) goes beyond the "
                           "%zu bytes of data in the file (truncated?)",
                           where, t->name, t->begin, t->end, f->data_size);
            goto fail;
        }
        f->n++;
    }
    /* Overlap: sort a copy by start; each non-empty tensor must start at or after the end of
     * the one before. */
    policy_st_tensor *s = malloc(((size_t)f->n + 1) * sizeof *s);
    if (!s) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", where);
        goto fail;
    }
    memcpy(s, f->t, (size_t)f->n * sizeof *s);
    qsort(s, (size_t)f->n, sizeof *s, cmp_begin);
    const policy_st_tensor *prev = NULL;
    for (int i = 0; i < f->n && !rc; i++) {
        if (s[i].begin == s[i].end) continue;
        if (prev && s[i].begin < prev->end)
            rc = rlpt_errf(err, RLPT_EFORMAT,
                           "%s: tensors '%s' [%zu, %zu) and '%s' [%zu, %zu) "
                           "overlap",
                           where, prev->name, prev->begin, prev->end, s[i].name, s[i].begin,
                           s[i].end);
        prev = &s[i];
    }
    free(s);
    if (rc) goto fail;
    return 0;
fail:
    policy_st_close(f);
    return rc;
}

int policy_st_open(policy_st_file *f, const char *path, rlpt_err *err) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rlpt_errf(err, RLPT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return rlpt_errf(err, RLPT_EIO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    void *map = NULL;
    if (size > 0) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return rlpt_errf(err, RLPT_EIO, "%s: mmap: %s", path, strerror(e));
        }
    }
    close(fd);
    int rc = policy_st_parse(f, map ? map : (const void *)"", size, path, err);
    if (rc) {
        if (map) munmap(map, size);
        return rc;
    }
    f->map = map;
    f->map_size = size;
    f->path = strdup(path);
    if (!f->path) {
        policy_st_close(f);
        return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", path);
    }
    return 0;
}

void policy_st_close(policy_st_file *f) {
    if (!f) return;
    cJSON_Delete(f->header);
    free(f->t);
    free(f->path);
    if (f->map) munmap(f->map, f->map_size);
    memset(f, 0, sizeof *f);
}

const policy_st_tensor *policy_st_find(const policy_st_file *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

const char *policy_st_meta(const policy_st_file *f, const char *key) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(f->header, "__metadata__");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

float policy_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t policy_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(u >> 16 | 0x40); /* quiet NaN */
    u += 0x7fffu + (u >> 16 & 1);                                           /* nearest even */
    return (uint16_t)(u >> 16);
}

float policy_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = h >> 10 & 0x1f, m = h & 0x3ff;
    float v;
    if (e == 0)
        v = ldexpf((float)m, -24); /* zero and subnormals */
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexpf((float)(m | 0x400), (int)e - 25);
    uint32_t u;
    memcpy(&u, &v, 4);
    u |= sign;
    memcpy(&v, &u, 4);
    return v;
}

void policy_st_read_f32(const policy_st_file *f, const policy_st_tensor *t, float *out) {
    const uint8_t *p = f->data + t->begin;
    if (t->dtype == POLICY_DTYPE_F32) {
        memcpy(out, p, t->numel * 4); /* the format is little-endian, like every host we run on */
        return;
    }
    for (size_t i = 0; i < t->numel; i++) {
        uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
        out[i] = t->dtype == POLICY_DTYPE_BF16 ? policy_bf16_to_f32(h) : policy_f16_to_f32(h);
    }
}

size_t policy_st_entry_bytes(const policy_st_entry *e, int dtype) {
    return e->numel * dtype_size(dtype);
}

int policy_st_write(FILE *f, const policy_st_entry *e, int n, int dtype, const char *const *meta_kv,
                    int n_meta, const char *where, rlpt_err *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    int ok = root && meta && cJSON_AddStringToObject(meta, "format", "pt");
    for (int i = 0; i < n_meta && ok; i++)
        ok = cJSON_AddStringToObject(meta, meta_kv[2 * i], meta_kv[2 * i + 1]) != NULL;
    size_t off = 0;
    for (int i = 0; i < n && ok; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, e[i].name);
        double shape[2] = {(double)e[i].shape[0], (double)e[i].shape[1]};
        size_t bytes = policy_st_entry_bytes(&e[i], dtype);
        double offs[2] = {(double)off, (double)(off + bytes)};
        ok = t && cJSON_AddStringToObject(t, "dtype", dtype_name(dtype)) &&
             cJSON_AddItemToObject(t, "shape", cJSON_CreateDoubleArray(shape, e[i].ndim)) &&
             cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
        off += bytes;
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory for the header", where);
    size_t hlen = strlen(json), padded = (hlen + 7) / 8 * 8; /* data starts 8-aligned */
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    int bad = fwrite(len8, 1, 8, f) != 8 || fwrite(json, 1, hlen, f) != hlen;
    for (size_t i = hlen; i < padded && !bad; i++) bad = fputc(' ', f) == EOF;
    free(json);
    for (int i = 0; i < n && !bad; i++) {
        if (dtype == POLICY_DTYPE_F32) {
            bad = fwrite(e[i].data, 4, e[i].numel, f) != e[i].numel;
            continue;
        }
        uint8_t b[8192];
        for (size_t k = 0; k < e[i].numel && !bad; k += sizeof b / 2) {
            size_t m = e[i].numel - k < sizeof b / 2 ? e[i].numel - k : sizeof b / 2;
            for (size_t j = 0; j < m; j++) {
                uint16_t h = policy_f32_to_bf16(e[i].data[k + j]);
                b[2 * j] = (uint8_t)h;
                b[2 * j + 1] = (uint8_t)(h >> 8);
            }
            bad = fwrite(b, 2, m, f) != m;
        }
    }
    if (bad) return rlpt_errf(err, RLPT_EIO, "%s: write: %s", where, strerror(errno));
    return 0;
}

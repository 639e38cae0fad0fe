/* policy/model_internal.h: what the model's files share and tests may use, but other modules
 * should not: the safetensors reader/writer and fp16/bf16 conversions. */
#ifndef POLICY_MODEL_INTERNAL_H
#define POLICY_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

/* ---- safetensors (policy/safetensors.c) ----------------------------------------------------
 * Format: u64 little-endian header length N, N bytes of JSON {name: {"dtype", "shape",
 * "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the data; offsets are
 * relative to the data's start. Reference: github.com/huggingface/safetensors (format spec). */

#define POLICY_ST_MAX_DIMS   8
#define POLICY_ST_MAX_HEADER (100u << 20) /* the reference implementation's limit, 100 MB */

typedef struct policy_st_tensor {
    const char *name; /* points into the parsed header */
    int dtype;        /* POLICY_DTYPE_* */
    int ndim;
    int64_t shape[POLICY_ST_MAX_DIMS];
    size_t numel;
    size_t begin, end; /* byte offsets into data */
} policy_st_tensor;

typedef struct policy_st_file {
    char *path; /* owned */
    void *map;  /* mmap of the file, or NULL for a buffer given to policy_st_parse */
    size_t map_size;
    const uint8_t *data; /* start of the tensor data */
    size_t data_size;
    policy_st_tensor *t; /* owned */
    int n;
    void *header; /* the parsed JSON (cJSON *), owned */
} policy_st_file;

/* Parses and validates a whole file held in buf (not copied: buf must outlive f). Every
 * problem is an error naming `where` and the tensor: header length beyond the file, bad JSON,
 * unknown or unsupported dtype, bad shape, offsets out of the data, misaligned, overlapping,
 * size not matching the shape, duplicate names. */
int policy_st_parse(policy_st_file *f, const uint8_t *buf, size_t size, const char *where,
                    rlpt_err *err);
/* mmaps path and parses it. */
int policy_st_open(policy_st_file *f, const char *path, rlpt_err *err);
void policy_st_close(policy_st_file *f);
const policy_st_tensor *policy_st_find(const policy_st_file *f, const char *name);
/* A string of __metadata__, or NULL. */
const char *policy_st_meta(const policy_st_file *f, const char *key);
/* Converts t's data to fp32 into out (t->numel floats). */
void policy_st_read_f32(const policy_st_file *f, const policy_st_tensor *t, float *out);

/* A tensor to write: fp32 source converted to dtype on the way out. */
typedef struct policy_st_entry {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[2];
    size_t numel;
} policy_st_entry;

/* Writes a complete safetensors file (header padded with spaces to 8 bytes, __metadata__
 * {"format": "pt"} plus n_meta key/value pairs meta_kv[2i], meta_kv[2i+1]) to f. */
int policy_st_write(FILE *f, const policy_st_entry *e, int n, int dtype, const char *const *meta_kv,
                    int n_meta, const char *where, rlpt_err *err);
/* Bytes one entry takes in dtype. */
size_t policy_st_entry_bytes(const policy_st_entry *e, int dtype);

/* fp16/bf16 <-> fp32; bf16 rounds to nearest even (NaN stays NaN), like torch's .to(bfloat16) */
float policy_bf16_to_f32(uint16_t h);
uint16_t policy_f32_to_bf16(float f);
float policy_f16_to_f32(uint16_t h);

#endif

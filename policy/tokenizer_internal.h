/* policy/tokenizer_internal.h: what the tokenizer's files (tokenizer_load.c, tokenizer.c, bpe.c,
 * pretok.c, normalizer.c) share: the loaded tokenizer's layout, the string->id map, the merge
 * table, the pre-token cache and the pipeline steps. Not part of policy's public API. */
#ifndef POLICY_TOKENIZER_INTERNAL_H
#define POLICY_TOKENIZER_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* A growable id list. */
typedef struct tok_ids {
    int32_t *v;
    size_t n, cap;
} tok_ids;

int tok_ids_push(tok_ids *a, int32_t id);
int tok_ids_append(tok_ids *a, const int32_t *ids, size_t n);

/* String -> id, open addressing. The map stores ids; key bytes live in keys[id]/lens[id]
 * (owned by the tokenizer), so an entry is 4 bytes. */
typedef struct tok_map {
    int32_t *slot; /* id, or -1 when empty */
    size_t mask;
    const char *const *keys;
    const uint32_t *lens;
} tok_map;

uint64_t tok_hash_bytes(const void *p, size_t n);
int tok_map_init(tok_map *m, size_t n_keys, const char *const *keys, const uint32_t *lens);
void tok_map_free(tok_map *m);
/* Inserts id (its key is keys[id]); a key already present keeps its first id. */
void tok_map_put(tok_map *m, int32_t id);
int32_t tok_map_get(const tok_map *m, const char *s, size_t n);

/* Merge (left id, right id) -> (rank, merged id). */
typedef struct tok_merge_slot {
    uint64_t key; /* (left << 32 | right) + 1; 0 when empty */
    int32_t rank, id;
} tok_merge_slot;

typedef struct tok_merges {
    tok_merge_slot *slot;
    size_t mask, n;
} tok_merges;

/* The pre-token cache: direct-mapped slots of short pre-tokens and their ids, in shards each
 * with its own mutex (thread safety, see tokenizer.h). A colliding insert replaces the slot. */
#define TOK_CACHE_KEY_MAX 46
#define TOK_CACHE_IDS_MAX 14
#define TOK_CACHE_SLOTS   16384
#define TOK_CACHE_SHARDS  64
typedef struct tok_cache_slot {
    uint32_t hash;
    uint8_t key_len, n_ids; /* key_len 0: empty */
    char key[TOK_CACHE_KEY_MAX];
    int32_t ids[TOK_CACHE_IDS_MAX];
} tok_cache_slot;

typedef struct tok_cache {
    tok_cache_slot *slot;
    pthread_mutex_t lock[TOK_CACHE_SHARDS];
    int locks_ready;
} tok_cache;

/* One added token (tokenizer.json "added_tokens"). */
typedef struct tok_added {
    int32_t id;
    const char *content; /* the token's text as written */
    uint32_t len;
    char *norm; /* content after the normalizer, for normalized tokens (owned) */
    uint32_t norm_len;
    uint8_t special, lstrip, rstrip, single_word, normalized;
} tok_added;

/* A byte trie over added-token contents: leftmost, then longest match at each position, as
 * tokenizers' AhoCorasick(LeftmostLongest) and tokenizers.js's DictionarySplitter. */
typedef struct tok_trie_node {
    int32_t child, sibling; /* first child / next sibling node, -1 none */
    int32_t added;          /* index into added[] ending here, -1 none */
    uint8_t byte;
} tok_trie_node;

typedef struct tok_trie {
    tok_trie_node *node;
    size_t n, cap;
    uint8_t first[256]; /* 1 when some token starts with that byte */
} tok_trie;

enum { TOK_NORM_NFC, TOK_NORM_NFD, TOK_NORM_NFKC, TOK_NORM_NFKD };

enum { TOK_PRE_SPLIT, TOK_PRE_BYTELEVEL, TOK_PRE_DIGITS };
enum { TOK_SPLIT_ISOLATED, TOK_SPLIT_REMOVED };

typedef struct tok_pre_step {
    int kind;
    pcre2_code *re;        /* Split, and ByteLevel with use_regex */
    int behavior;          /* Split */
    int add_prefix_space;  /* ByteLevel */
    int individual_digits; /* Digits */
} tok_pre_step;

enum { TOK_DEC_NONE, TOK_DEC_BYTELEVEL };

struct policy_tokenizer {
    char *name;
    /* Vocabulary: ids 0..n_ids-1, model tokens and added tokens. str/len: the token as written in
     * the file (added tokens: content); raw/raw_len: the bytes the model matches (for a
     * byte-level tokenizer the ByteLevel-decoded bytes, else the same as str). */
    int32_t n_ids;
    char **str, **raw;
    uint32_t *len, *raw_len;
    uint8_t *is_model;   /* id is in model.vocab */
    uint8_t *is_added;   /* id is an added token */
    uint8_t *is_special; /* id is a special added token */
    char *arena;         /* all strings */
    tok_map by_str;      /* str -> id (model vocab, then added tokens) */
    tok_map by_raw;      /* raw -> id, model vocab only */
    tok_merges merges;
    int byte_level; /* the pre-tokenizer ends in ByteLevel: the model sees mapped bytes */
    int32_t byte_id[256];
    int ignore_merges, byte_fallback, fuse_unk;
    int32_t unk_id;
    int32_t byte_fallback_id[256]; /* <0xXX> tokens, -1 when absent */
    /* Added tokens. */
    tok_added *added;
    int n_added;
    tok_trie trie_raw, trie_norm; /* unnormalized / normalized contents */
    /* Pipeline. */
    int norm[8], n_norm;
    tok_pre_step pre[8];
    int n_pre;
    int32_t *tmpl_pre, *tmpl_post; /* post-processor ids before / after sequence A */
    int n_tmpl_pre, n_tmpl_post;
    int decoder;
    int clean_up; /* tokenizer_config clean_up_tokenization_spaces (default true, as HF) */
    int32_t bos_id, eos_id;
    tok_cache cache;
};

/* tokenizer_load.c: the loader's state and JSON helpers, shared with tokenizer_pipeline.c. */
typedef struct cJSON cJSON;
typedef struct tok_loader {
    policy_tokenizer *tok;
    const char *name; /* the file, for messages */
    rlpt_err *err;
    int32_t max_vocab_id;
} tok_loader;

int tok_json_nullish(const cJSON *v); /* absent, null, false or "" */
/* obj[key] as a bool (dflt when absent or null); RLPT_EFORMAT naming where.key otherwise. */
int tok_json_bool(const cJSON *obj, const char *key, int dflt, const char *where, int *out,
                  rlpt_err *err);
const char *tok_json_type(const cJSON *obj);  /* obj["type"] or NULL */
int tok_json_id(const cJSON *v, int32_t *id); /* an id in [0, 2^22), else -1 */

/* tokenizer_pipeline.c: each reads one part of tokenizer.json into L->tok (where: its key path
 * for messages). The added-token tries need the normalizer, the post-processor the vocabulary. */
int tok_load_normalizer(tok_loader *L, const cJSON *n, const char *where);
int tok_load_pretok(tok_loader *L, const cJSON *p, const char *where);
int tok_load_postproc(tok_loader *L, const cJSON *p, const char *where);
int tok_load_added_tries(tok_loader *L);

/* bpe.c */
int tok_merges_init(tok_merges *m, size_t n);
void tok_merges_free(tok_merges *m);
void tok_merges_put(tok_merges *m, int32_t a, int32_t b, int32_t rank, int32_t id);
const tok_merge_slot *tok_merges_get(const tok_merges *m, int32_t a, int32_t b);
int tok_cache_init(tok_cache *c);
void tok_cache_free(tok_cache *c);
/* Runs the BPE model on one pre-token of model bytes s[0..n) and appends its ids. */
int tok_bpe_word(const policy_tokenizer *tok, const char *s, size_t n, tok_ids *out, rlpt_err *err);

/* normalizer.c: applies the normalizer steps; *out is malloc'd (NULL with n == 0 steps is not
 * returned: the input is copied). */
int tok_normalize(const int *steps, int n_steps, const char *s, size_t n, char **out,
                  size_t *out_len, rlpt_err *err);

/* pretok.c */
int tok_regex_compile(pcre2_code **out, const char *pattern, int literal, const char *where,
                      rlpt_err *err);
/* Splits s[0..n) through pre-tokenizer steps [step, n_pre) and runs the model on each piece,
 * appending ids. md: match data for the regexes (one per calling thread). */
int tok_pretokenize(const policy_tokenizer *tok, int step, const char *s, size_t n,
                    pcre2_match_data *md, tok_ids *out, rlpt_err *err);
/* GPT-2's byte <-> char table (tokenizers' bytes_char). */
void tok_bytelevel_tables(uint32_t byte_to_cp[256], int16_t *cp_to_byte /* [324] */);

/* UTF-8 helpers (tokenizer.c). */
size_t tok_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp); /* 0: invalid */
size_t tok_utf8_encode(uint32_t cp, char out[4]);

#endif

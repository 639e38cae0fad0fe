/* policy/bpe.c: the BPE model: the merge table (hash of (left id, right id) -> rank, merged id),
 * merging one pre-token by a priority queue ordered by (rank, position) — the lowest-ranked
 * adjacent pair first, the leftmost on ties, as tokenizers' `Word::merge_all` and tokenizers.js's
 * heap — in O(n log n) without rescans, and the shared pre-token cache.
 * Leaves out BPE dropout and continuing_subword_prefix / end_of_word_suffix (the loader refuses
 * them). Reference: huggingface/tokenizers src/models/bpe/{model.rs,word.rs}. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/* ---- merge table ----------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

int tok_merges_init(tok_merges *m, size_t n) {
    size_t cap = 16;
    while (cap < 2 * n + 16) cap <<= 1;
    m->slot = calloc(cap, sizeof *m->slot);
    if (!m->slot) return RLPT_ENOMEM;
    m->mask = cap - 1;
    m->n = 0;
    return 0;
}

void tok_merges_free(tok_merges *m) {
    free(m->slot);
    m->slot = NULL;
}

/* A pair already present keeps its first (lowest) rank, as tokenizers does. */
void tok_merges_put(tok_merges *m, int32_t a, int32_t b, int32_t rank, int32_t id) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->slot[i].key == key) return;
        if (m->slot[i].key == 0) {
            m->slot[i] = (tok_merge_slot){key, rank, id};
            m->n++;
            return;
        }
    }
}

const tok_merge_slot *tok_merges_get(const tok_merges *m, int32_t a, int32_t b) {
    if (a < 0 || b < 0 || !m->slot) return NULL;
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->slot[i].key == key) return &m->slot[i];
        if (m->slot[i].key == 0) return NULL;
    }
}

/* ---- cache ----------------------------------------------------------------------------------- */

int tok_cache_init(tok_cache *c) {
    c->slot = calloc(TOK_CACHE_SLOTS, sizeof *c->slot);
    if (!c->slot) return RLPT_ENOMEM;
    for (int i = 0; i < TOK_CACHE_SHARDS; i++) pthread_mutex_init(&c->lock[i], NULL);
    c->locks_ready = 1;
    return 0;
}

void tok_cache_free(tok_cache *c) {
    if (c->locks_ready)
        for (int i = 0; i < TOK_CACHE_SHARDS; i++) pthread_mutex_destroy(&c->lock[i]);
    c->locks_ready = 0;
    free(c->slot);
    c->slot = NULL;
}

static int cache_get(tok_cache *c, uint32_t h, const char *s, size_t n, tok_ids *out) {
    size_t i = h & (TOK_CACHE_SLOTS - 1);
    pthread_mutex_t *lk = &c->lock[i % TOK_CACHE_SHARDS];
    int32_t ids[TOK_CACHE_IDS_MAX];
    int k = -1;
    pthread_mutex_lock(lk);
    tok_cache_slot *sl = &c->slot[i];
    if (sl->key_len == n && sl->hash == h && memcmp(sl->key, s, n) == 0) {
        k = sl->n_ids;
        memcpy(ids, sl->ids, (size_t)k * sizeof ids[0]);
    }
    pthread_mutex_unlock(lk);
    if (k < 0) return 0;
    return tok_ids_append(out, ids, (size_t)k) == 0 ? 1 : RLPT_ENOMEM;
}

static void cache_put(tok_cache *c, uint32_t h, const char *s, size_t n, const int32_t *ids,
                      size_t k) {
    if (n == 0 || n > TOK_CACHE_KEY_MAX || k == 0 || k > TOK_CACHE_IDS_MAX) return;
    size_t i = h & (TOK_CACHE_SLOTS - 1);
    pthread_mutex_t *lk = &c->lock[i % TOK_CACHE_SHARDS];
    pthread_mutex_lock(lk);
    tok_cache_slot *sl = &c->slot[i];
    sl->hash = h;
    sl->key_len = (uint8_t)n;
    sl->n_ids = (uint8_t)k;
    memcpy(sl->key, s, n);
    memcpy(sl->ids, ids, k * sizeof ids[0]);
    pthread_mutex_unlock(lk);
}

/* ---- merging one word ------------------------------------------------------------------------ */

typedef struct sym {
    int32_t id; /* -1: a character not in the vocabulary */
    int32_t prev, next;
    uint32_t start, len; /* bytes of the word; len 0 once merged into its left neighbour */
} sym;

typedef struct heap_item {
    uint64_t key; /* rank << 32 | position of the left symbol: smaller first */
    int32_t id;   /* the merged token */
} heap_item;

static void heap_push(heap_item *h, size_t *n, heap_item it) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].key <= it.key) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = it;
}

static heap_item heap_pop(heap_item *h, size_t *n) {
    heap_item top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1].key < h[c].key) c++;
        if (last.key <= h[c].key) break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0) h[i] = last;
    return top;
}

static void push_pair(const policy_tokenizer *tok, const sym *w, int32_t pos, heap_item *h,
                      size_t *nh) {
    int32_t nx = w[pos].next;
    if (nx < 0) return;
    const tok_merge_slot *m = tok_merges_get(&tok->merges, w[pos].id, w[nx].id);
    if (m) heap_push(h, nh, (heap_item){(uint64_t)(uint32_t)m->rank << 32 | (uint32_t)pos, m->id});
}

/* Appends the ids of an unknown character (bytes s[0..n)): its <0xXX> tokens when byte_fallback
 * has them all, else unk (fused with a preceding unk when fuse_unk), else nothing (as tokenizers
 * does when the model has no unk token). */
static int emit_unknown(const policy_tokenizer *tok, const char *s, size_t n, int *last_unk,
                        tok_ids *out) {
    if (tok->byte_fallback) {
        size_t k = 0;
        while (k < n && tok->byte_fallback_id[(unsigned char)s[k]] >= 0) k++;
        if (k == n) {
            for (k = 0; k < n; k++)
                if (tok_ids_push(out, tok->byte_fallback_id[(unsigned char)s[k]])) return -1;
            *last_unk = 0;
            return 0;
        }
    }
    if (tok->unk_id < 0) return 0;
    if (tok->fuse_unk && *last_unk) return 0;
    *last_unk = 1;
    return tok_ids_push(out, tok->unk_id);
}

int tok_bpe_word(const policy_tokenizer *tok, const char *s, size_t n, tok_ids *out,
                 rlpt_err *err) {
    if (n == 0) return 0;
    if (tok->byte_level && n == 1 && tok->byte_id[(unsigned char)s[0]] >= 0)
        return tok_ids_push(out, tok->byte_id[(unsigned char)s[0]]);
    if (tok->ignore_merges) {
        int32_t id = tok_map_get(&tok->by_raw, s, n);
        if (id >= 0) return tok_ids_push(out, id);
    }
    uint32_t h = (uint32_t)tok_hash_bytes(s, n);
    tok_cache *cache = (tok_cache *)&tok->cache; /* the cache is the one mutable part */
    if (n <= TOK_CACHE_KEY_MAX) {
        int r = cache_get(cache, h, s, n, out);
        if (r != 0) return r < 0 ? rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory") : 0;
    }
    sym stack_w[64];
    heap_item stack_h[3 * 64];
    sym *w = stack_w;
    heap_item *hp = stack_h;
    if (n > 64) {
        if (n > SIZE_MAX / (3 * sizeof(heap_item)) - 1)
            return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: a %zu-byte pre-token is too long", n);
        w = malloc(n * sizeof *w);
        hp = malloc(3 * n * sizeof *hp);
        if (!w || !hp) {
            free(w);
            free(hp);
            return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory for a %zu-byte word", n);
        }
    }
    /* Initial symbols: bytes (byte-level) or UTF-8 characters (the text is valid UTF-8). */
    int32_t ns = 0;
    for (size_t i = 0; i < n;) {
        size_t cl = 1;
        int32_t id;
        if (tok->byte_level) {
            id = tok->byte_id[(unsigned char)s[i]];
        } else {
            uint32_t cp;
            cl = tok_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (cl == 0) cl = 1;
            id = tok_map_get(&tok->by_raw, s + i, cl);
        }
        w[ns] = (sym){id, ns - 1, ns + 1, (uint32_t)i, (uint32_t)cl};
        ns++;
        i += cl;
    }
    w[ns - 1].next = -1;
    size_t nh = 0;
    for (int32_t i = 0; i + 1 < ns; i++) push_pair(tok, w, i, hp, &nh);
    while (nh > 0) {
        heap_item it = heap_pop(hp, &nh);
        int32_t pos = (int32_t)(it.key & 0xffffffffu), nx = w[pos].next;
        if (w[pos].len == 0 || nx < 0) continue;
        const tok_merge_slot *m = tok_merges_get(&tok->merges, w[pos].id, w[nx].id);
        if (!m || (uint32_t)m->rank != (uint32_t)(it.key >> 32)) continue; /* stale entry */
        w[pos].id = m->id;
        w[pos].len += w[nx].len;
        w[nx].len = 0;
        w[pos].next = w[nx].next;
        if (w[pos].next >= 0) w[w[pos].next].prev = pos;
        if (w[pos].prev >= 0) push_pair(tok, w, w[pos].prev, hp, &nh);
        push_pair(tok, w, pos, hp, &nh);
    }
    size_t first = out->n;
    int rc = 0, last_unk = 0;
    for (int32_t i = 0; i >= 0 && rc == 0; i = w[i].next) {
        if (w[i].id >= 0) {
            rc = tok_ids_push(out, w[i].id);
            last_unk = 0;
        } else {
            rc = emit_unknown(tok, s + w[i].start, w[i].len, &last_unk, out);
        }
    }
    if (w != stack_w) {
        free(w);
        free(hp);
    }
    if (rc) return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
    if (out->n > first) cache_put(cache, h, s, n, out->v + first, out->n - first);
    return 0;
}

/* policy/tokenizer_tiny.c: rlpt-tiny, the project's own tokenizer for the tiny demo models
 * (multi-digit arithmetic with a worked <think> trace and an <answer>), written in Hugging Face's
 * tokenizer.json format so the demo model is an ordinary HF-format model:
 *   ids 0-255    the 256 bytes in GPT-2's byte-level alphabet (any UTF-8 text encodes),
 *   ids 256-...  a few merges for the demo's frequent pieces (" the", " =", ...),
 *   then         <|endoftext|> (EOS and pad), <think>, </think>, <answer>, </answer> (special).
 * The pre-tokenizer is Qwen2's (digits one by one: the arithmetic stays digit-aligned), then
 * ByteLevel. Leaves out a chat_template: the demo renders its prompt from a plain template.
 * The committed copy is tests/data/tokenizers/rlpt-tiny/; encode fixtures for it come from
 * @huggingface/tokenizers like the real tokenizers' (tests/reference/tokenizer/). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_io.h"
#include "tokenizer_internal.h"

/* Merges in rank order, as the two parts in plain text (space written as ' '). */
static const char *const tiny_merges[][2] = {
    {" ", "t"},  {"h", "e"},   {" t", "he"}, {" ", "a"},  {"i", "n"},  {"e", "r"},    {"a", "n"},
    {"o", "n"},  {" ", "="},   {" ", "+"},   {" ", "-"},  {" ", "*"},  {" ", "s"},    {"i", "s"},
    {" ", "i"},  {" i", "s"},  {" ", "w"},   {" w", "h"}, {"a", "t"},  {" wh", "at"}, {" ", "c"},
    {"r", "r"},  {"\n", "\n"}, {" ", "d"},   {"i", "g"},  {"ig", "i"}, {"igi", "t"},  {"S", "t"},
    {"St", "e"}, {"Ste", "p"}, {"o", "r"},   {" ", "o"},  {" o", "f"}, {"u", "m"},    {" s", "um"},
};

static const char *const tiny_specials[] = {"<|endoftext|>", "<think>", "</think>", "<answer>",
                                            "</answer>"};

#define TINY_REGEX                                                                                 \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "                          \
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"                                                               \
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

/* The ByteLevel form of plain text (each byte as its alphabet character). */
static void bytelevel(const char *s, char *out, size_t cap) {
    uint32_t b2c[256];
    tok_bytelevel_tables(b2c, NULL);
    size_t m = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && m + 4 < cap; p++)
        m += tok_utf8_encode(b2c[*p], out + m);
    out[m] = '\0';
}

static cJSON *bytelevel_step(int pre) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "ByteLevel");
    cJSON_AddBoolToObject(b, "add_prefix_space", 0);
    cJSON_AddBoolToObject(b, "trim_offsets", 0);
    cJSON_AddBoolToObject(b, "use_regex", 0);
    (void)pre;
    return b;
}

static char *tiny_tokenizer_json(void) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    int n_merges = (int)(sizeof tiny_merges / sizeof tiny_merges[0]);
    for (int i = 0; i < 5; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "id", 256 + n_merges + i);
        cJSON_AddStringToObject(a, "content", tiny_specials[i]);
        cJSON_AddBoolToObject(a, "single_word", 0);
        cJSON_AddBoolToObject(a, "lstrip", 0);
        cJSON_AddBoolToObject(a, "rstrip", 0);
        cJSON_AddBoolToObject(a, "normalized", 0);
        cJSON_AddBoolToObject(a, "special", 1);
        cJSON_AddItemToArray(added, a);
    }
    cJSON *norm = cJSON_AddObjectToObject(root, "normalizer");
    cJSON_AddStringToObject(norm, "type", "NFC");
    cJSON *pre = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "Sequence");
    cJSON *steps = cJSON_AddArrayToObject(pre, "pretokenizers");
    cJSON *split = cJSON_CreateObject();
    cJSON_AddStringToObject(split, "type", "Split");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(split, "pattern"), "Regex", TINY_REGEX);
    cJSON_AddStringToObject(split, "behavior", "Isolated");
    cJSON_AddBoolToObject(split, "invert", 0);
    cJSON_AddItemToArray(steps, split);
    cJSON_AddItemToArray(steps, bytelevel_step(1));
    cJSON_AddItemToObject(root, "post_processor", bytelevel_step(0));
    cJSON_AddItemToObject(root, "decoder", bytelevel_step(0));
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddNullToObject(model, "dropout");
    cJSON_AddNullToObject(model, "unk_token");
    cJSON_AddNullToObject(model, "continuing_subword_prefix");
    cJSON_AddNullToObject(model, "end_of_word_suffix");
    cJSON_AddBoolToObject(model, "fuse_unk", 0);
    cJSON_AddBoolToObject(model, "byte_fallback", 0);
    cJSON_AddBoolToObject(model, "ignore_merges", 0);
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
    cJSON *merges = cJSON_AddArrayToObject(model, "merges");
    char buf[64], a[32], b[32];
    for (int i = 0; i < 256; i++) {
        char one[2] = {(char)i, 0};
        if (i == 0) {
            /* byte 0 cannot go through a C string: its alphabet character is U+0100 */
            strcpy(buf, "\xC4\x80");
        } else {
            bytelevel(one, buf, sizeof buf);
        }
        cJSON_AddNumberToObject(vocab, buf, i);
    }
    for (int i = 0; i < n_merges; i++) {
        char whole[32];
        snprintf(whole, sizeof whole, "%s%s", tiny_merges[i][0], tiny_merges[i][1]);
        bytelevel(whole, buf, sizeof buf);
        cJSON_AddNumberToObject(vocab, buf, 256 + i);
        bytelevel(tiny_merges[i][0], a, sizeof a);
        bytelevel(tiny_merges[i][1], b, sizeof b);
        const char *pair[2] = {a, b};
        cJSON_AddItemToArray(merges, cJSON_CreateStringArray(pair, 2));
    }
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}

static char *tiny_config_json(void) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddBoolToObject(c, "add_bos_token", 0);
    cJSON_AddNullToObject(c, "bos_token");
    cJSON_AddStringToObject(c, "eos_token", "<|endoftext|>");
    cJSON_AddStringToObject(c, "pad_token", "<|endoftext|>");
    cJSON_AddNullToObject(c, "unk_token");
    cJSON_AddBoolToObject(c, "clean_up_tokenization_spaces", 0);
    cJSON_AddNumberToObject(c, "model_max_length", 4096);
    cJSON_AddStringToObject(c, "tokenizer_class", "PreTrainedTokenizerFast");
    const char *extra[] = {"<think>", "</think>", "<answer>", "</answer>"};
    cJSON_AddItemToObject(c, "additional_special_tokens", cJSON_CreateStringArray(extra, 4));
    char *out = cJSON_Print(c);
    cJSON_Delete(c);
    return out;
}

int policy_tokenizer_tiny_files(char **tokenizer_json, char **config_json, rlpt_err *err) {
    *tokenizer_json = tiny_tokenizer_json();
    *config_json = tiny_config_json();
    if (!*tokenizer_json || !*config_json) {
        free(*tokenizer_json);
        free(*config_json);
        *tokenizer_json = *config_json = NULL;
        return rlpt_errf(err, RLPT_ENOMEM, "rlpt-tiny tokenizer: out of memory");
    }
    return 0;
}

int policy_tokenizer_write_tiny(const char *dir, rlpt_err *err) {
    char *tj, *cj;
    int rc = policy_tokenizer_tiny_files(&tj, &cj, err);
    if (rc) return rc;
    size_t dl = strlen(dir);
    char *p = malloc(dl + 32);
    if (!p) rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    if (!rc) rc = rlpt_mkdir_p(dir, err);
    if (!rc) {
        snprintf(p, dl + 32, "%s/tokenizer.json", dir);
        rc = rlpt_write_file_atomic(p, tj, strlen(tj), err);
    }
    if (!rc) {
        snprintf(p, dl + 32, "%s/tokenizer_config.json", dir);
        rc = rlpt_write_file_atomic(p, cj, strlen(cj), err);
    }
    free(p);
    free(tj);
    free(cj);
    return rc;
}

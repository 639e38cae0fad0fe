/* policy/tokenizer.h: the model's tokenizer (Hugging Face tokenizer.json, byte-level BPE) and its
 * chat templates. Encode gives exactly the ids of Hugging Face tokenizers (checked against the
 * JS port @huggingface/tokenizers on the real Qwen2.5, Qwen3, Llama 3 and DeepSeek-R1-Distill
 * files, tests/policy/test_tokenizer.c); chat rendering gives exactly Jinja2's rendering of the
 * real chat_template as transformers sets it up (tests/reference/tokenizer/).
 *
 * Thread safety: a loaded policy_tokenizer is read-only except for its pre-token cache, which is
 * split into shards each guarded by its own mutex. Any number of threads may call encode/decode
 * on one tokenizer at once; load and free must not race with them. */
#ifndef POLICY_TOKENIZER_H
#define POLICY_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "rlpt/err.h"

typedef struct policy_tokenizer policy_tokenizer; /* opaque */

/* Loads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json (clean-up of decoded
 * spaces, bos/eos names, chat_template). path may also name a tokenizer.json file directly.
 * Anything the file uses that rlpt does not implement is RLPT_EUNSUPPORTED naming it; a malformed
 * file is RLPT_EFORMAT with the key at fault. *out is NULL on error. Free with _free. */
int policy_tokenizer_load(policy_tokenizer **out, const char *path, rlpt_err *err);

/* The same from memory: json (len bytes) is tokenizer.json, config_json (may be NULL) is
 * tokenizer_config.json; name is used in messages only. */
int policy_tokenizer_load_json(policy_tokenizer **out, const char *json, size_t len,
                               const char *config_json, size_t config_len, const char *name,
                               rlpt_err *err);

void policy_tokenizer_free(policy_tokenizer *tok); /* NULL is a no-op */

/* Encodes len bytes of text. Invalid UTF-8 is first replaced by U+FFFD (one per maximal
 * invalid subpart, as WHATWG TextDecoder and Rust's from_utf8_lossy do), as Hugging Face
 * tokenizers see such bytes after Python/JS decoding. add_special applies the post-processor's
 * template (Llama 3's <|begin_of_text|>); pass 0 for text rendered by a chat template, which
 * writes its own. As tokenizers (Rust and JS) do, and unlike transformers for DeepSeek-R1-Distill
 * (whose tokenizer_config asks add_bos_token that its tokenizer.json does not apply), only the
 * post-processor adds tokens; prepend policy_tokenizer_bos_id() to mimic transformers there.
 * On success *ids is malloc'd (caller frees; NULL when *n_ids is 0). */
int policy_tokenizer_encode(const policy_tokenizer *tok, const char *text, size_t len,
                            int add_special, int32_t **ids, size_t *n_ids, rlpt_err *err);

enum {
    POLICY_DECODE_SKIP_SPECIAL = 1, /* drop special added tokens (not <think> in Qwen3) */
    POLICY_DECODE_NO_CLEANUP = 2    /* keep " ." etc. even if tokenizer_config asks clean-up */
};

/* Decodes ids to UTF-8 (bytes that do not form UTF-8 become U+FFFD). An id outside
 * [0, policy_tokenizer_vocab_size) is RLPT_EINVAL naming its position. *text is malloc'd and
 * NUL-terminated (caller frees); *len excludes the NUL. */
int policy_tokenizer_decode(const policy_tokenizer *tok, const int32_t *ids, size_t n_ids,
                            int flags, char **text, size_t *len, rlpt_err *err);

/* One past the largest id (model vocabulary and added tokens). */
int32_t policy_tokenizer_vocab_size(const policy_tokenizer *tok);
/* The id of a token given as its vocabulary string (byte-level form for BPE tokens, content
 * for added tokens), or -1. */
int32_t policy_tokenizer_token_to_id(const policy_tokenizer *tok, const char *token);
/* The vocabulary string of id, or NULL; owned by tok. */
const char *policy_tokenizer_id_to_token(const policy_tokenizer *tok, int32_t id);
/* 1 when id is an added token marked special (removed by POLICY_DECODE_SKIP_SPECIAL). */
int policy_tokenizer_is_special(const policy_tokenizer *tok, int32_t id);
/* tokenizer_config.json's eos_token / bos_token ids, or -1 when absent. */
int32_t policy_tokenizer_eos_id(const policy_tokenizer *tok);
int32_t policy_tokenizer_bos_id(const policy_tokenizer *tok);

/* ---- The project's own tokenizer (policy/tokenizer_tiny.c) ---------------------------------- */

/* Writes rlpt-tiny, the small byte-level BPE tokenizer of the demo models, into dir
 * (tokenizer.json and tokenizer_config.json, atomically; dir is created). Its ids: 0-255 the
 * bytes, then a few merges, then the special tokens <|endoftext|> (EOS), <think>, </think>,
 * <answer>, </answer>. The committed copy is tests/data/tokenizers/rlpt-tiny/. */
int policy_tokenizer_write_tiny(const char *dir, rlpt_err *err);
/* The same two files as malloc'd strings (caller frees both). */
int policy_tokenizer_tiny_files(char **tokenizer_json, char **config_json, rlpt_err *err);

/* ---- Chat templates (policy/chat_template.c) ------------------------------------------------ */

/* The templates are named renderers: C functions that reproduce, byte for byte, Jinja2's
 * rendering of the known chat_template strings (recognised by their exact text), for
 * conversations of plain {role, content} messages. Tool calls and tool definitions are refused
 * with RLPT_EUNSUPPORTED rather than rendered approximately. */
typedef enum policy_chat_kind {
    POLICY_CHAT_QWEN25,      /* Qwen2.5 Instruct and Math (the default system prompt differs) */
    POLICY_CHAT_QWEN3,       /* Qwen3: <think> of earlier turns dropped */
    POLICY_CHAT_LLAMA3,      /* Llama 3.1/3.2 Instruct: "Today Date" line */
    POLICY_CHAT_DEEPSEEK_R1, /* DeepSeek-R1(-Distill): reasoning before </think> dropped */
    POLICY_CHAT_PLAIN        /* a text template with {question}-style fields (R1-Zero) */
} policy_chat_kind;

typedef struct policy_chat_template policy_chat_template; /* opaque */

typedef struct policy_chat_message {
    const char *role;    /* "system", "user", "assistant" */
    const char *content; /* UTF-8, NUL-terminated */
} policy_chat_message;

typedef struct policy_chat_options {
    int add_generation_prompt;
    const char *date_string; /* Llama 3's "Today Date"; NULL: today, as strftime_now does */
    int enable_thinking;     /* Qwen3: -1 undefined (default), 0 false, 1 true */
} policy_chat_options;

/* Reads chat_template (and bos_token) from dir/tokenizer_config.json and picks the renderer
 * whose template it is; a template rlpt does not know is RLPT_EUNSUPPORTED with its hash and
 * the list of known ones (use a plain template from the config instead). */
int policy_chat_template_load(policy_chat_template **out, const char *dir, rlpt_err *err);
/* The same from tokenizer_config.json's text. */
int policy_chat_template_from_config(policy_chat_template **out, const char *config_json,
                                     size_t len, const char *name, rlpt_err *err);
/* A plain template: text with {field} placeholders ({{ and }} are literal braces, as Python's
 * str.format). A conversation renders its last user message as {question}. */
int policy_chat_template_plain(policy_chat_template **out, const char *text, rlpt_err *err);
void policy_chat_template_free(policy_chat_template *t); /* NULL is a no-op */
policy_chat_kind policy_chat_template_kind(const policy_chat_template *t);

/* Renders messages[0..n). *out is malloc'd, NUL-terminated (caller frees); *len excludes NUL. */
int policy_chat_render(const policy_chat_template *t, const policy_chat_message *messages,
                       int n_messages, const policy_chat_options *opt, char **out, size_t *len,
                       rlpt_err *err);

/* Fills {name} placeholders of a plain template from parallel arrays names/values; an unknown
 * placeholder or unbalanced brace is RLPT_EINVAL naming it and its offset. */
int policy_prompt_format(const char *tmpl, const char *const *names, const char *const *values,
                         int n_fields, char **out, size_t *len, rlpt_err *err);

/* DeepSeek-R1-Zero's template (DeepSeek-R1 paper, Table 1), with {question} for the prompt. */
extern const char policy_chat_r1_zero_template[];

#endif

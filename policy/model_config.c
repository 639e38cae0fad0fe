/* policy/model_config.c: config.json of a Llama / Qwen2 / Mistral model, read and written with
 * cJSON. Every field the forward pass depends on is read; a value we cannot honour is an error
 * naming the field, never ignored. Leaves out generation_config.json and the tokenizer.
 * Reference: transformers LlamaConfig, Qwen2Config, MistralConfig and
 * modeling_rope_utils.py (rope_scaling / rope_parameters). */
#include "model.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_io.h"

static const char *const arch_names[] = {"llama", "qwen2", "mistral"};
static const char *const arch_classes[] = {"LlamaForCausalLM", "Qwen2ForCausalLM",
                                           "MistralForCausalLM"};
static const char *const dtype_names[] = {"float32", "bfloat16", "float16"};

typedef struct reader {
    const cJSON *root;
    const char *where;
    rlpt_err *err;
} reader;

/* The field's JSON value, NULL when absent or null. */
static const cJSON *field(const reader *r, const cJSON *obj, const char *key) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj ? obj : r->root, key);
    return cJSON_IsNull(j) ? NULL : j;
}

/* An integer field; required fields missing are errors, optional ones keep *out. */
static int get_int(const reader *r, const cJSON *obj, const char *key, int required, int *out) {
    const cJSON *j = field(r, obj, key);
    if (!j) {
        if (!required) return 0;
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' is missing", r->where, key);
    }
    if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) ||
        fabs(j->valuedouble) > 2147483647.0)
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' must be an integer", r->where, key);
    *out = (int)j->valuedouble;
    return 0;
}

static int get_num(const reader *r, const cJSON *obj, const char *key, int required, double *out) {
    const cJSON *j = field(r, obj, key);
    if (!j) {
        if (!required) return 0;
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' is missing", r->where, key);
    }
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' must be a number", r->where, key);
    *out = j->valuedouble;
    return 0;
}

static int get_bool(const reader *r, const char *key, int *out) {
    const cJSON *j = field(r, NULL, key);
    if (!j) return 0;
    if (!cJSON_IsBool(j))
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' must be true or false", r->where,
                         key);
    *out = cJSON_IsTrue(j);
    return 0;
}

static int unsupported(const reader *r, const char *key, const char *got, const char *ok) {
    return rlpt_errf(r->err, RLPT_EUNSUPPORTED, "%s: field '%s' is %s; rlpt supports %s", r->where,
                     key, got, ok);
}

/* rope_parameters (transformers >= 5) or rope_scaling: default, linear or llama3. */
static int read_rope(const reader *r, policy_config *cfg) {
    const char *key = field(r, NULL, "rope_parameters") ? "rope_parameters" : "rope_scaling";
    const cJSON *rs = field(r, NULL, key);
    if (!rs) return 0;
    if (!cJSON_IsObject(rs))
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' must be an object or null", r->where,
                         key);
    int rc = get_num(r, rs, "rope_theta", 0, &cfg->rope_theta);
    if (rc) return rc;
    const cJSON *type = field(r, rs, "rope_type");
    if (!type) type = field(r, rs, "type");
    char name[64];
    snprintf(name, sizeof name, "%s.rope_type", key);
    if (!cJSON_IsString(type))
        return rlpt_errf(r->err, RLPT_EFORMAT, "%s: field '%s' must be a string", r->where, name);
    const char *t = type->valuestring;
    if (strcmp(t, "default") == 0) return 0;
    char got[96];
    snprintf(got, sizeof got, "'%.64s'", t);
    if (strcmp(t, "linear") != 0 && strcmp(t, "llama3") != 0)
        return unsupported(r, name, got, "'default', 'linear' and 'llama3'");
    cfg->rope_type = strcmp(t, "linear") == 0 ? POLICY_ROPE_LINEAR : POLICY_ROPE_LLAMA3;
    if ((rc = get_num(r, rs, "factor", 1, &cfg->rope_factor))) return rc;
    if (cfg->rope_factor <= 0.0) return unsupported(r, "rope_scaling.factor", "<= 0", "> 0");
    if (cfg->rope_type == POLICY_ROPE_LINEAR) return 0;
    if ((rc = get_num(r, rs, "low_freq_factor", 1, &cfg->rope_low_freq_factor)) ||
        (rc = get_num(r, rs, "high_freq_factor", 1, &cfg->rope_high_freq_factor)) ||
        (rc = get_int(r, rs, "original_max_position_embeddings", 1, &cfg->rope_orig_max_pos)))
        return rc;
    if (!(cfg->rope_high_freq_factor > cfg->rope_low_freq_factor) ||
        cfg->rope_low_freq_factor <= 0.0 || cfg->rope_orig_max_pos <= 0)
        return rlpt_errf(r->err, RLPT_EFORMAT,
                         "%s: %s: llama3 needs high_freq_factor > "
                         "low_freq_factor > 0 and original_max_position_embeddings > 0",
                         r->where, key);
    return 0;
}

static int read_token_ids(const reader *r, policy_config *cfg) {
    int rc = get_int(r, NULL, "bos_token_id", 0, &cfg->bos_id);
    if (rc) return rc;
    const cJSON *eos = field(r, NULL, "eos_token_id");
    if (!eos) return 0;
    if (cJSON_IsNumber(eos)) {
        cfg->n_eos = 1;
        return get_int(r, NULL, "eos_token_id", 1, &cfg->eos_ids[0]);
    }
    if (!cJSON_IsArray(eos) || cJSON_GetArraySize(eos) > POLICY_MAX_EOS)
        return rlpt_errf(r->err, RLPT_EFORMAT,
                         "%s: field 'eos_token_id' must be an integer or "
                         "a list of at most %d",
                         r->where, POLICY_MAX_EOS);
    for (const cJSON *j = eos->child; j; j = j->next) {
        if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) || j->valuedouble < 0 ||
            j->valuedouble > 2147483647.0)
            return rlpt_errf(r->err, RLPT_EFORMAT,
                             "%s: field 'eos_token_id' holds a value that "
                             "is not a token id",
                             r->where);
        cfg->eos_ids[cfg->n_eos++] = (int)j->valuedouble;
    }
    return 0;
}

/* Fields that change the computation in ways we do not implement. */
static int refuse_unsupported(const reader *r, const policy_config *cfg) {
    const cJSON *act = field(r, NULL, "hidden_act");
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "silu") != 0))
        return unsupported(r, "hidden_act", cJSON_IsString(act) ? act->valuestring : "not a string",
                           "'silu'");
    int on = 0, rc;
    if ((rc = get_bool(r, "mlp_bias", &on))) return rc;
    if (on) return unsupported(r, "mlp_bias", "true", "false");
    if (cfg->arch == POLICY_ARCH_QWEN2) {
        if ((rc = get_bool(r, "use_sliding_window", &on))) return rc;
        if (on) return unsupported(r, "use_sliding_window", "true", "false");
    }
    double drop = 0.0;
    if ((rc = get_num(r, NULL, "attention_dropout", 0, &drop))) return rc;
    if (drop != 0.0) return unsupported(r, "attention_dropout", "not 0", "0");
    if (field(r, NULL, "quantization_config"))
        return unsupported(r, "quantization_config", "present", "unquantized models");
    return 0;
}

static int read_dtype(const reader *r, policy_config *cfg) {
    const char *key = field(r, NULL, "torch_dtype") ? "torch_dtype" : "dtype";
    const cJSON *j = field(r, NULL, key);
    if (!j) return 0;
    for (int i = 0; i < 3; i++)
        if (cJSON_IsString(j) && strcmp(j->valuestring, dtype_names[i]) == 0) {
            cfg->dtype = i;
            return 0;
        }
    return unsupported(r, key, cJSON_IsString(j) ? j->valuestring : "not a string",
                       "'float32', 'bfloat16' and 'float16'");
}

void policy_config_default(policy_config *cfg, int arch) {
    memset(cfg, 0, sizeof *cfg);
    cfg->arch = arch;
    cfg->C = 64, cfg->F = 172, cfg->L = 2, cfg->H = 4, cfg->KVH = 2, cfg->D = 16, cfg->V = 512;
    cfg->max_pos = arch == POLICY_ARCH_LLAMA ? 2048 : 32768;
    cfg->rms_eps = 1e-6;
    cfg->rope_theta = 10000.0;
    cfg->rope_type = POLICY_ROPE_DEFAULT;
    cfg->qkv_bias = arch == POLICY_ARCH_QWEN2;
    cfg->dtype = POLICY_DTYPE_F32;
    cfg->bos_id = -1;
}

int policy_config_parse(policy_config *cfg, const char *json, const char *where, rlpt_err *err) {
    cJSON *root = cJSON_Parse(json);
    reader r = {root, where, err};
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        rc = rlpt_errf(err, RLPT_EFORMAT, "%s: not a JSON object (bad JSON?)", where);
        goto done;
    }
    for (const cJSON *a = root->child; a; a = a->next) /* cJSON would take the first silently */
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0) {
                rc = rlpt_errf(err, RLPT_EFORMAT, "%s: field '%s' appears twice", where, a->string);
                goto done;
            }
    const cJSON *mt = field(&r, NULL, "model_type");
    if (!cJSON_IsString(mt)) {
        rc = rlpt_errf(err, RLPT_EFORMAT, "%s: field 'model_type' is missing or not a string",
                       where);
        goto done;
    }
    int arch = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(mt->valuestring, arch_names[i]) == 0) arch = i;
    if (arch < 0) {
        rc = unsupported(&r, "model_type", mt->valuestring, "'llama', 'qwen2' and 'mistral'");
        goto done;
    }
    policy_config_default(cfg, arch);
    cfg->H = 0, cfg->KVH = 0, cfg->D = 0;
    if ((rc = get_int(&r, NULL, "hidden_size", 1, &cfg->C)) ||
        (rc = get_int(&r, NULL, "intermediate_size", 1, &cfg->F)) ||
        (rc = get_int(&r, NULL, "num_hidden_layers", 1, &cfg->L)) ||
        (rc = get_int(&r, NULL, "num_attention_heads", 1, &cfg->H)) ||
        (rc = get_int(&r, NULL, "vocab_size", 1, &cfg->V)) ||
        (rc = get_int(&r, NULL, "num_key_value_heads", 0, &cfg->KVH)) ||
        (rc = get_int(&r, NULL, "head_dim", 0, &cfg->D)) ||
        (rc = get_int(&r, NULL, "max_position_embeddings", 0, &cfg->max_pos)) ||
        (rc = get_num(&r, NULL, "rms_norm_eps", 0, &cfg->rms_eps)) ||
        (rc = get_num(&r, NULL, "rope_theta", 0, &cfg->rope_theta)) ||
        (rc = get_bool(&r, "tie_word_embeddings", &cfg->tied)) || (rc = read_rope(&r, cfg)) ||
        (rc = read_token_ids(&r, cfg)) || (rc = read_dtype(&r, cfg)) ||
        (rc = refuse_unsupported(&r, cfg)))
        goto done;
    if (cfg->KVH == 0) cfg->KVH = cfg->H;
    if (cfg->D == 0 && cfg->H > 0) cfg->D = cfg->C / cfg->H;
    if (arch == POLICY_ARCH_LLAMA) { /* Llama's attention_bias covers q, k, v and o */
        int bias = 0;
        if ((rc = get_bool(&r, "attention_bias", &bias))) goto done;
        cfg->qkv_bias = cfg->o_bias = bias;
    }
    if (arch == POLICY_ARCH_MISTRAL &&
        (rc = get_int(&r, NULL, "sliding_window", 0, &cfg->sliding_window)))
        goto done;
    rc = policy_config_check(cfg, where, err);
done:
    cJSON_Delete(root);
    return rc;
}

int policy_config_load(policy_config *cfg, const char *dir, rlpt_err *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return rlpt_errf(err, RLPT_EIO, "%s: path too long", dir);
    char *text = NULL;
    int rc = rlpt_read_file(path, 1u << 20, &text, NULL, err);
    if (rc) return rc;
    rc = policy_config_parse(cfg, text, path, err);
    free(text);
    return rc;
}

int policy_config_check(const policy_config *cfg, const char *where, rlpt_err *err) {
    struct {
        const char *key;
        int v, max;
    } dims[] = {{"hidden_size", cfg->C, 1 << 16},
                {"intermediate_size", cfg->F, 1 << 18},
                {"num_hidden_layers", cfg->L, 1024},
                {"num_attention_heads", cfg->H, 1024},
                {"num_key_value_heads", cfg->KVH, 1024},
                {"head_dim", cfg->D, 1024},
                {"vocab_size", cfg->V, 1 << 22},
                {"max_position_embeddings", cfg->max_pos, 1 << 24}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (dims[i].v < 1 || dims[i].v > dims[i].max)
            return rlpt_errf(err, RLPT_EFORMAT, "%s: field '%s' is %d; it must be in 1..%d", where,
                             dims[i].key, dims[i].v, dims[i].max);
    if (cfg->H % cfg->KVH)
        return rlpt_errf(err, RLPT_EFORMAT,
                         "%s: num_attention_heads %d is not a multiple of "
                         "num_key_value_heads %d",
                         where, cfg->H, cfg->KVH);
    if (cfg->D % 2)
        return rlpt_errf(err, RLPT_EFORMAT, "%s: head_dim %d is odd; RoPE needs it even", where,
                         cfg->D);
    if (!(cfg->rms_eps > 0.0) || !(cfg->rope_theta > 1.0))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: rms_norm_eps must be > 0 and rope_theta > 1",
                         where);
    if (cfg->sliding_window < 0)
        return rlpt_errf(err, RLPT_EFORMAT, "%s: field 'sliding_window' is negative", where);
    if (cfg->bos_id >= cfg->V)
        return rlpt_errf(err, RLPT_EFORMAT, "%s: bos_token_id %d is not below vocab_size %d", where,
                         cfg->bos_id, cfg->V);
    for (int i = 0; i < cfg->n_eos; i++)
        if (cfg->eos_ids[i] < 0 || cfg->eos_ids[i] >= cfg->V)
            return rlpt_errf(err, RLPT_EFORMAT, "%s: eos_token_id %d is not in 0..%d", where,
                             cfg->eos_ids[i], cfg->V - 1);
    return 0;
}

char *policy_config_to_json(const policy_config *cfg) {
    cJSON *o = cJSON_CreateObject(), *rs = NULL;
    int ok = o != NULL;
    cJSON *arch = cJSON_CreateStringArray(&arch_classes[cfg->arch], 1);
    ok = ok && arch && cJSON_AddItemToObject(o, "architectures", arch);
    ok = ok && cJSON_AddStringToObject(o, "model_type", arch_names[cfg->arch]);
    ok = ok && cJSON_AddNumberToObject(o, "hidden_size", cfg->C);
    ok = ok && cJSON_AddNumberToObject(o, "intermediate_size", cfg->F);
    ok = ok && cJSON_AddNumberToObject(o, "num_hidden_layers", cfg->L);
    ok = ok && cJSON_AddNumberToObject(o, "num_attention_heads", cfg->H);
    ok = ok && cJSON_AddNumberToObject(o, "num_key_value_heads", cfg->KVH);
    ok = ok && cJSON_AddNumberToObject(o, "head_dim", cfg->D);
    ok = ok && cJSON_AddNumberToObject(o, "vocab_size", cfg->V);
    ok = ok && cJSON_AddNumberToObject(o, "max_position_embeddings", cfg->max_pos);
    ok = ok && cJSON_AddStringToObject(o, "hidden_act", "silu");
    ok = ok && cJSON_AddNumberToObject(o, "rms_norm_eps", cfg->rms_eps);
    ok = ok && cJSON_AddNumberToObject(o, "rope_theta", cfg->rope_theta);
    if (cfg->rope_type == POLICY_ROPE_DEFAULT) {
        ok = ok && cJSON_AddNullToObject(o, "rope_scaling");
    } else {
        rs = cJSON_AddObjectToObject(o, "rope_scaling");
        int l3 = cfg->rope_type == POLICY_ROPE_LLAMA3;
        ok = ok && rs && cJSON_AddStringToObject(rs, "rope_type", l3 ? "llama3" : "linear");
        ok = ok && cJSON_AddNumberToObject(rs, "factor", cfg->rope_factor);
        if (l3) {
            ok = ok && cJSON_AddNumberToObject(rs, "low_freq_factor", cfg->rope_low_freq_factor);
            ok = ok && cJSON_AddNumberToObject(rs, "high_freq_factor", cfg->rope_high_freq_factor);
            ok = ok && cJSON_AddNumberToObject(rs, "original_max_position_embeddings",
                                               cfg->rope_orig_max_pos);
        }
    }
    ok = ok && cJSON_AddBoolToObject(o, "tie_word_embeddings", cfg->tied);
    if (cfg->arch == POLICY_ARCH_LLAMA)
        ok = ok && cJSON_AddBoolToObject(o, "attention_bias", cfg->qkv_bias);
    if (cfg->arch == POLICY_ARCH_MISTRAL)
        ok = ok && (cfg->sliding_window
                        ? cJSON_AddNumberToObject(o, "sliding_window", cfg->sliding_window)
                        : cJSON_AddNullToObject(o, "sliding_window"));
    if (cfg->arch == POLICY_ARCH_QWEN2)
        ok = ok && cJSON_AddBoolToObject(o, "use_sliding_window", 0);
    ok = ok && cJSON_AddStringToObject(o, "torch_dtype", dtype_names[cfg->dtype]);
    if (cfg->bos_id >= 0) ok = ok && cJSON_AddNumberToObject(o, "bos_token_id", cfg->bos_id);
    if (cfg->n_eos == 1) ok = ok && cJSON_AddNumberToObject(o, "eos_token_id", cfg->eos_ids[0]);
    if (cfg->n_eos > 1)
        ok = ok && cJSON_AddItemToObject(o, "eos_token_id",
                                         cJSON_CreateIntArray(cfg->eos_ids, cfg->n_eos));
    char *s = ok ? cJSON_Print(o) : NULL, *nl = s ? realloc(s, strlen(s) + 2) : NULL;
    cJSON_Delete(o);
    if (!nl) {
        free(s);
        return NULL;
    }
    strcat(nl, "\n");
    return nl;
}

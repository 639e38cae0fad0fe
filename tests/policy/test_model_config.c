/* tests/policy/test_model_config.c: config.json parsing: the fields of each architecture,
 * defaults, rope scaling, tied embeddings, biases, and an error naming the field for every
 * value rlpt cannot honour. Also config -> JSON -> config round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "test_util.h"

#define BASE                                                                                       \
    "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, "                  \
    "\"num_attention_heads\": 4, \"vocab_size\": 100"

static policy_config parse_ok(const char *json) {
    policy_config c;
    rlpt_err err;
    rlpt_err_clear(&err);
    if (policy_config_parse(&c, json, "config.json", &err)) fail_msg("%s: %s", json, err.msg);
    return c;
}

static void expect_error(const char *json, int code, const char *text) {
    policy_config c;
    rlpt_err err;
    rlpt_err_clear(&err);
    int rc = policy_config_parse(&c, json, "config.json", &err);
    if (rc != code || !strstr(err.msg, text))
        fail_msg("%s\n got %s '%s', want %s containing '%s'", json, rlpt_err_name(rc), err.msg,
                 rlpt_err_name(code), text);
}

static void test_llama_defaults(void **state) {
    (void)state;
    policy_config c = parse_ok("{\"model_type\": \"llama\", " BASE "}");
    assert_int_equal(c.arch, POLICY_ARCH_LLAMA);
    assert_int_equal(c.KVH, 4); /* default: num_attention_heads */
    assert_int_equal(c.D, 16);  /* default: hidden_size / heads */
    assert_int_equal(c.max_pos, 2048);
    assert_int_equal(c.tied, 0); /* LlamaConfig's default */
    assert_int_equal(c.qkv_bias, 0);
    assert_int_equal(c.rope_type, POLICY_ROPE_DEFAULT);
    assert_true(c.rope_theta == 10000.0 && c.rms_eps == 1e-6);
    assert_int_equal(c.bos_id, -1);
    assert_int_equal(c.n_eos, 0);
}

static void test_qwen2_and_fields(void **state) {
    (void)state;
    policy_config c = parse_ok("{\"model_type\": \"qwen2\", " BASE ", \"num_key_value_heads\": "
                               "2, \"head_dim\": 32, \"tie_word_embeddings\": true, "
                               "\"rope_theta\": 1000000.0, \"rms_norm_eps\": 1e-5, "
                               "\"torch_dtype\": \"bfloat16\", \"eos_token_id\": [7, 9], "
                               "\"bos_token_id\": 3, \"use_sliding_window\": false, "
                               "\"sliding_window\": 4096, \"max_window_layers\": 21}");
    assert_int_equal(c.arch, POLICY_ARCH_QWEN2);
    assert_int_equal(c.qkv_bias, 1); /* Qwen2 always has q/k/v biases */
    assert_int_equal(c.o_bias, 0);
    assert_int_equal(c.KVH, 2);
    assert_int_equal(c.D, 32);
    assert_int_equal(c.tied, 1);
    assert_int_equal(c.dtype, POLICY_DTYPE_BF16);
    assert_int_equal(c.n_eos, 2);
    assert_int_equal(c.eos_ids[1], 9);
    assert_int_equal(c.bos_id, 3);
    assert_int_equal(c.sliding_window, 0); /* only used with use_sliding_window */
    assert_true(c.rope_theta == 1e6 && c.rms_eps == 1e-5);

    c = parse_ok("{\"model_type\": \"llama\", " BASE ", \"attention_bias\": true, "
                 "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}}");
    assert_int_equal(c.qkv_bias, 1);
    assert_int_equal(c.o_bias, 1); /* Llama's attention_bias includes o_proj */
    assert_int_equal(c.rope_type, POLICY_ROPE_LINEAR);
    assert_true(c.rope_factor == 4.0);

    c = parse_ok("{\"model_type\": \"mistral\", " BASE ", \"sliding_window\": 4096, "
                 "\"rope_scaling\": null}");
    assert_int_equal(c.arch, POLICY_ARCH_MISTRAL);
    assert_int_equal(c.sliding_window, 4096);
}

static void test_rope_parameters(void **state) {
    (void)state;
    /* transformers >= 5 writes rope_parameters, with rope_theta inside */
    policy_config c = parse_ok(
        "{\"model_type\": \"llama\", " BASE ", \"rope_parameters\": {\"rope_type\": \"llama3\", "
        "\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
        "\"original_max_position_embeddings\": 8192, \"rope_theta\": 500000.0}}");
    assert_int_equal(c.rope_type, POLICY_ROPE_LLAMA3);
    assert_true(c.rope_theta == 500000.0);
    assert_int_equal(c.rope_orig_max_pos, 8192);
    c = parse_ok("{\"model_type\": \"llama\", " BASE ", \"rope_parameters\": "
                 "{\"rope_type\": \"default\", \"rope_theta\": 20000.0}}");
    assert_int_equal(c.rope_type, POLICY_ROPE_DEFAULT);
    assert_true(c.rope_theta == 20000.0);
}

static void test_errors_name_the_field(void **state) {
    (void)state;
    expect_error("{\"model_type\": \"gpt2\", " BASE "}", RLPT_EUNSUPPORTED,
                 "field 'model_type' is gpt2");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"hidden_act\": \"gelu\"}",
                 RLPT_EUNSUPPORTED, "field 'hidden_act' is gelu");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"mlp_bias\": true}", RLPT_EUNSUPPORTED,
                 "field 'mlp_bias'");
    expect_error("{\"model_type\": \"qwen2\", " BASE ", \"use_sliding_window\": true}",
                 RLPT_EUNSUPPORTED, "field 'use_sliding_window'");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"rope_scaling\": {\"rope_type\": "
                 "\"dynamic\", \"factor\": 2.0}}",
                 RLPT_EUNSUPPORTED, "field 'rope_scaling.rope_type' is 'dynamic'");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"rope_scaling\": {\"rope_type\": "
                 "\"llama3\", \"factor\": 8.0}}",
                 RLPT_EFORMAT, "field 'low_freq_factor' is missing");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"torch_dtype\": \"int8\"}",
                 RLPT_EUNSUPPORTED, "field 'torch_dtype' is int8");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"attention_dropout\": 0.1}",
                 RLPT_EUNSUPPORTED, "field 'attention_dropout'");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"quantization_config\": {}}",
                 RLPT_EUNSUPPORTED, "field 'quantization_config'");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": 64}", RLPT_EFORMAT,
                 "field 'intermediate_size' is missing");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"num_key_value_heads\": 3}", RLPT_EFORMAT,
                 "num_attention_heads 4 is not a multiple of num_key_value_heads 3");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"head_dim\": 7}", RLPT_EFORMAT,
                 "head_dim 7 is odd");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"vocab_size\": -4}", RLPT_EFORMAT,
                 "field 'vocab_size' appears twice");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, "
                 "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": -4}",
                 RLPT_EFORMAT, "field 'vocab_size' is -4");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": 64.5}", RLPT_EFORMAT,
                 "field 'hidden_size' must be an integer");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"tie_word_embeddings\": 1}", RLPT_EFORMAT,
                 "field 'tie_word_embeddings' must be true or false");
    expect_error("{\"model_type\": \"llama\", " BASE ", \"eos_token_id\": 100}", RLPT_EFORMAT,
                 "eos_token_id 100 is not in 0..99");
    expect_error("{\"model_type\": ", RLPT_EFORMAT, "not a JSON object");
}

static void test_json_round_trip(void **state) {
    (void)state;
    const char *inputs[] = {
        "{\"model_type\": \"llama\", " BASE ", \"rope_scaling\": {\"rope_type\": \"llama3\", "
        "\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
        "\"original_max_position_embeddings\": 8192}, \"rope_theta\": 500000.0, "
        "\"attention_bias\": true, \"eos_token_id\": [1, 2], \"bos_token_id\": 0}",
        "{\"model_type\": \"qwen2\", " BASE ", \"tie_word_embeddings\": true, "
        "\"rms_norm_eps\": 1e-5, \"torch_dtype\": \"bfloat16\", \"eos_token_id\": 5}",
        "{\"model_type\": \"mistral\", " BASE ", \"sliding_window\": 4096, \"num_key_value_heads\""
        ": 1, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.5}}",
    };
    for (int i = 0; i < 3; i++) {
        policy_config a = parse_ok(inputs[i]);
        char *json = policy_config_to_json(&a);
        assert_non_null(json);
        policy_config b = parse_ok(json);
        free(json);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama_defaults),  cmocka_unit_test(test_qwen2_and_fields),
        cmocka_unit_test(test_rope_parameters), cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_json_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

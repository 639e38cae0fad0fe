# model tests (rlpt_add_test / rlpt_add_script_test / rlpt_add_fuzzer, see tests/CMakeLists.txt)
foreach(t checkpoint config kernels reference optim threads)
  rlpt_add_test(test_model_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_model_${t}.c
                LIBS rlpt_policy LABELS unit reference)
endforeach()
rlpt_add_script_test(test_model_score COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_model_score.sh)
rlpt_add_script_test(test_model_init COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_model_init.sh)
file(GLOB model_bad_checkpoints LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/tests/data/bad-checkpoints/*)
list(FILTER model_bad_checkpoints EXCLUDE REGEX "EXPECTED$")
rlpt_add_fuzzer(fuzz_safetensors SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_safetensors.c
  LIBS rlpt_policy
  CORPUS ${model_bad_checkpoints}
         ${PROJECT_SOURCE_DIR}/tests/data/models/ferrl-tiny-llama-random/model.safetensors)
file(GLOB model_configs ${PROJECT_SOURCE_DIR}/tests/data/models/*/config.json
                        ${PROJECT_SOURCE_DIR}/tests/data/bad-checkpoints/*/config.json)
rlpt_add_fuzzer(fuzz_model_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_model_config.c
  LIBS rlpt_policy CORPUS ${model_configs})

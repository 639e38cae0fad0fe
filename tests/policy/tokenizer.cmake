# tokenizer tests (rlpt_add_test / rlpt_add_script_test / rlpt_add_fuzzer, see tests/CMakeLists.txt)
rlpt_add_test(test_tokenizer SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_tokenizer.c
  LIBS rlpt_policy PkgConfig::CJSON Threads::Threads LABELS unit reference TIMEOUT 300)
# Writes rlpt-tiny with policy_tokenizer_write_tiny (the generator of the committed copy).
add_executable(tokenizer_write_tiny ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer_write_tiny.c)
target_link_libraries(tokenizer_write_tiny PRIVATE rlpt_policy)
rlpt_add_test(test_chat_template SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_chat_template.c
  LIBS rlpt_policy PkgConfig::CJSON LABELS unit reference)
rlpt_add_script_test(test_tokenize_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_tokenize_cli.sh
  TIMEOUT 300)
# Fuzz targets (replayed over their seed corpora in normal builds).
rlpt_add_fuzzer(fuzz_tokenizer_load SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_tokenizer_fuzz_load.c
  LIBS rlpt_policy
  CORPUS ${PROJECT_SOURCE_DIR}/tests/data/tokenizers/bad ${PROJECT_SOURCE_DIR}/tests/data/tokenizers/fuzz-load)
rlpt_add_fuzzer(fuzz_tokenizer_encode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_tokenizer_fuzz_encode.c
  LIBS rlpt_policy CORPUS ${PROJECT_SOURCE_DIR}/tests/data/tokenizers/fuzz-encode)
target_compile_definitions(fuzz_tokenizer_encode PRIVATE RLPT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

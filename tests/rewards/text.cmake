# text tests (rlpt_add_test / rlpt_add_script_test / rlpt_add_fuzzer, see tests/CMakeLists.txt)
# Issue #6: answer extraction, math equivalence (peer suites, GSM8K, MATH-500, hostile input),
# format/length/repetition/language rewards, the combination, the `rlpt reward` CLI, fuzzing.
rlpt_add_test(test_math_peer SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_math_peer.c
  LIBS rlpt_rewards PkgConfig::CJSON LABELS unit reference)
rlpt_add_test(test_math_data SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_math_data.c
  LIBS rlpt_rewards PkgConfig::CJSON LABELS unit reference)
rlpt_add_test(test_math_equiv SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_math_equiv.c
  LIBS rlpt_rewards)
rlpt_add_test(test_math_hostile SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_math_hostile.c
  LIBS rlpt_rewards)
rlpt_add_test(test_rewards_text SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_rewards_text.c
  LIBS rlpt_rewards)
rlpt_add_script_test(cli_reward COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli_reward.sh)
rlpt_add_fuzzer(fuzz_math SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_math.c LIBS rlpt_rewards
  CORPUS ${PROJECT_SOURCE_DIR}/tests/data/rewards/fuzz-corpus)
rlpt_add_test(test_math_sympy SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_math_sympy.c
  LIBS rlpt_rewards PkgConfig::CJSON LABELS unit reference)

# code tests (rlpt_add_test / rlpt_add_script_test / rlpt_add_fuzzer, see tests/CMakeLists.txt)
# test_sandbox: the sandbox API (verdicts, limits, refusal without root, mode none).
# test_sandbox_attacks: the adversarial suite of tests/data/sandbox/ with host checks.
# test_code: extraction, comparison, JSON, reward hacking; test_code_datasets: HumanEval and
# sanitized MBPP canonical solutions (tests/data/code/, with their licences).
rlpt_add_test(test_sandbox SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sandbox.c
  LIBS rlpt_rewards rlpt_common TIMEOUT 120)
rlpt_add_test(test_sandbox_attacks SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sandbox_attacks.c
  LIBS rlpt_rewards rlpt_common TIMEOUT 120)
set_tests_properties(test_sandbox_attacks PROPERTIES
  ENVIRONMENT "RLPT_TEST_SECRET=rlpt-secret-planted-in-the-supervisor-environment")
rlpt_add_test(test_code SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_code.c
  LIBS rlpt_rewards rlpt_common TIMEOUT 120)
rlpt_add_test(test_code_datasets SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_code_datasets.c
  LIBS rlpt_rewards rlpt_common TIMEOUT 600 LABELS "unit;slow")
rlpt_add_fuzzer(test_code_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_code_fuzz.c
  LIBS rlpt_rewards rlpt_common CORPUS ${PROJECT_SOURCE_DIR}/tests/data/code/fuzz)

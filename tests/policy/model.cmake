# model tests (rlpt_add_test / rlpt_add_script_test / rlpt_add_fuzzer, see tests/CMakeLists.txt)
foreach(t checkpoint config kernels reference optim)
  rlpt_add_test(test_model_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_model_${t}.c
                LIBS rlpt_policy LABELS unit reference)
endforeach()
rlpt_add_script_test(test_model_score COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_model_score.sh)
rlpt_add_script_test(test_model_init COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_model_init.sh)

# The code reward and its sandbox, reward plugins (issue #7).
# The trusted Python harness is embedded into the library as a byte array (embed.cmake), so
# a run never reads the source tree.
set(RLPT_HARNESS_PY ${CMAKE_CURRENT_SOURCE_DIR}/harness/harness.py)
add_custom_command(
  OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/harness_py.c
  COMMAND ${CMAKE_COMMAND} -DIN=${RLPT_HARNESS_PY} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/harness_py.c
          -DNAME=code_harness_py -P ${CMAKE_CURRENT_SOURCE_DIR}/harness/embed.cmake
  DEPENDS ${RLPT_HARNESS_PY} ${CMAKE_CURRENT_SOURCE_DIR}/harness/embed.cmake
  COMMENT "Embedding the code reward's Python harness")
list(APPEND REWARDS_CODE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/sandbox.c
  ${CMAKE_CURRENT_SOURCE_DIR}/sandbox_child.c
  ${CMAKE_CURRENT_SOURCE_DIR}/sandbox_policy.c
  ${CMAKE_CURRENT_SOURCE_DIR}/sandbox_limits.c
  ${CMAKE_CURRENT_SOURCE_DIR}/code.c
  ${CMAKE_CURRENT_SOURCE_DIR}/code_run.c
  ${CMAKE_CURRENT_SOURCE_DIR}/code_fn.c
  ${CMAKE_CURRENT_BINARY_DIR}/harness_py.c)

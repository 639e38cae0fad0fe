# Text rewards: math/GSM8K answer checking, format, length, repetition, language (issue #6).
list(APPEND REWARDS_TEXT_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/extract.c
  ${CMAKE_CURRENT_SOURCE_DIR}/latex.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mathexpr.c
  ${CMAKE_CURRENT_SOURCE_DIR}/math_verify.c)

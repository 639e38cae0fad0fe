# Text rewards: math/GSM8K answer checking, format, length, repetition, language (issue #6).
list(APPEND REWARDS_TEXT_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/extract.c
  ${CMAKE_CURRENT_SOURCE_DIR}/normalise.c
  ${CMAKE_CURRENT_SOURCE_DIR}/latex.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mathexpr.c
  ${CMAKE_CURRENT_SOURCE_DIR}/math_verify.c
  ${CMAKE_CURRENT_SOURCE_DIR}/args.c
  ${CMAKE_CURRENT_SOURCE_DIR}/math_reward.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format.c
  ${CMAKE_CURRENT_SOURCE_DIR}/length.c
  ${CMAKE_CURRENT_SOURCE_DIR}/repetition.c
  ${CMAKE_CURRENT_SOURCE_DIR}/language.c
  ${CMAKE_CURRENT_SOURCE_DIR}/registry.c)

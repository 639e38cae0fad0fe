# Text rewards: math/GSM8K answer checking, format, length, repetition, language (issue #6).
list(APPEND REWARDS_TEXT_SOURCES)

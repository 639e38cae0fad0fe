# The tokenizer and chat templates (issue #5).
list(APPEND POLICY_TOKENIZER_SOURCES)

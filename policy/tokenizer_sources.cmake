# The tokenizer and chat templates (issue #5).
list(APPEND POLICY_TOKENIZER_SOURCES tokenizer.c tokenizer_load.c tokenizer_pipeline.c bpe.c pretok.c normalizer.c
     tokenizer_tiny.c chat_template.c)

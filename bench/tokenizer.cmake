# Tokenizer encode throughput against @huggingface/tokenizers (bench/bench_tokenizer.sh runs both).
add_executable(bench_tokenizer ${CMAKE_CURRENT_SOURCE_DIR}/bench_tokenizer.c)
target_link_libraries(bench_tokenizer PRIVATE rlpt_policy PkgConfig::CJSON Threads::Threads)

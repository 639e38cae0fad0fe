# Generation throughput of rollout/ against PyTorch with a KV cache (bench/bench_rollout.sh).
add_executable(bench_rollout ${CMAKE_CURRENT_SOURCE_DIR}/bench_rollout.c)
target_link_libraries(bench_rollout PRIVATE rlpt_rollout)

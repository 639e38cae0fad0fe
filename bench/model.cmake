# The policy model's training throughput against PyTorch (bench/bench_model.sh runs both).
add_executable(bench_model ${CMAKE_CURRENT_SOURCE_DIR}/bench_model.c)
target_link_libraries(bench_model PRIVATE rlpt_policy)

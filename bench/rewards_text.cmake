# Text rewards benchmark (issue #6): math checks/s vs a python3-sympy checker, same run.
add_executable(bench_math ${CMAKE_CURRENT_SOURCE_DIR}/bench_math.c)
target_link_libraries(bench_math PRIVATE rlpt_rewards PkgConfig::CJSON)
target_compile_definitions(bench_math PRIVATE RLPT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

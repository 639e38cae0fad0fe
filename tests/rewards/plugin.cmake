# Reward plugins: the example and broken fixtures built as shared objects, loaded by the test.
set(RLPT_PLUGIN_DIR ${CMAKE_CURRENT_BINARY_DIR}/plugins)
set(RLPT_TEST_PLUGINS)
foreach(p no_entry wrong_abi init_fails bad_table undefined_symbol misbehave)
  add_library(plugin_${p} MODULE ${PROJECT_SOURCE_DIR}/tests/data/plugins/${p}.c)
  list(APPEND RLPT_TEST_PLUGINS plugin_${p})
endforeach()
add_library(plugin_short_answer MODULE ${PROJECT_SOURCE_DIR}/examples/reward-plugin/short_answer.c)
list(APPEND RLPT_TEST_PLUGINS plugin_short_answer)
foreach(t ${RLPT_TEST_PLUGINS})
  string(REPLACE "plugin_" "" out ${t})
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  set_target_properties(${t} PROPERTIES PREFIX "" OUTPUT_NAME ${out}
                        LIBRARY_OUTPUT_DIRECTORY ${RLPT_PLUGIN_DIR})
endforeach()
# undefined_symbol must link with its hole in it (the loader's RTLD_NOW is what is tested).
target_link_options(plugin_undefined_symbol PRIVATE -Wl,--allow-shlib-undefined -Wl,-z,undefs)
rlpt_add_test(test_plugin SOURCES test_plugin.c LIBS rlpt_rewards)
target_compile_definitions(test_plugin PRIVATE RLPT_PLUGIN_DIR="${RLPT_PLUGIN_DIR}")
add_dependencies(test_plugin ${RLPT_TEST_PLUGINS})

# The example builds with the one `cc -shared` line its README gives, from the repository root.
rlpt_add_script_test(plugin-example-one-line COMMAND bash -c
  "cd ${PROJECT_SOURCE_DIR} && out=$(mktemp -d) && cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -O2 -I include -o $out/short_answer.so examples/reward-plugin/short_answer.c && nm -D $out/short_answer.so | grep -q ' T rlpt_reward_plugin_v1' && rm -r $out && echo 'ok: example plugin builds with one cc line'")

# `rlpt reward --plugin` scores with the example plugin, and refuses a broken one (exit 1).
rlpt_add_script_test(cli-reward-plugin COMMAND bash -c
  "out=$(echo '{\"completion\": \"<think>t</think><answer>12</answer>\"}' | \"$RLPT\" reward --plugin ${RLPT_PLUGIN_DIR}/short_answer.so --fn short_answer --set max_chars=5) && [ \"$out\" = '{\"reward\":1,\"answer_chars\":2}' ] && ! echo '{}' | \"$RLPT\" reward --plugin ${RLPT_PLUGIN_DIR}/wrong_abi.so --fn future 2>/tmp/rlpt-plugin-err.$$ ; st=$? ; grep -q 'built for reward ABI version 2' /tmp/rlpt-plugin-err.$$ && rm -f /tmp/rlpt-plugin-err.$$ && echo 'ok: rlpt reward --plugin'")
set_tests_properties(cli-reward-plugin PROPERTIES DEPENDS test_plugin)

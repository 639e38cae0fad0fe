# Run at every build (cmake -P): writes rlpt_version.h with the version and the git commit of the
# source tree, rewriting the file only when it changes so nothing rebuilds needlessly.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12 --exclude "*"
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#define RLPT_VERSION \"${VERSION}\"\n#define RLPT_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()

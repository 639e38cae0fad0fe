# rewards/harness/embed.cmake: `cmake -DIN=harness.py -DOUT=harness_py.c -DNAME=sym -P embed.cmake`
# writes the file as a C byte array (const char NAME[]; const size_t NAME_len), so the trusted
# harness travels inside the rlpt binary and a run never depends on the source tree's location.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* generated from ${IN} by rewards/harness/embed.cmake: do not edit */\n#include <stddef.h>\nconst char ${NAME}[] = {\n${bytes}0x00};\nconst size_t ${NAME}_len = ${len};\n")

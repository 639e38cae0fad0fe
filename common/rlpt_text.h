/* common/rlpt_text.h: text helpers every module shares. */
#ifndef RLPT_TEXT_H
#define RLPT_TEXT_H

#include <stddef.h>

/* Offset of the first byte of s[0..len) that is not well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) or is a NUL; len when all of it is clean. */
size_t rlpt_utf8_check(const char *s, size_t len);

/* 1-based line and column (in code points) of byte offset off in s. */
void rlpt_line_col(const char *s, size_t off, int *line, int *col);

/* A growable NUL-terminated string. Zero-initialise it; on out of memory it stops growing and
 * sets oom (check once at the end). The caller frees p. */
typedef struct rlpt_strbuf {
    char *p;
    size_t n, cap;
    int oom;
} rlpt_strbuf;

void rlpt_strbuf_put(rlpt_strbuf *b, const char *s, size_t n);
void rlpt_strbuf_puts(rlpt_strbuf *b, const char *s);

#endif

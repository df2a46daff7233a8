/* SPDX-License-Identifier: ISC */
/*
 * JSON output: strings written as JSON string literals (RFC 8259), for
 * the lines monitoring reads.  Owns no structure (the caller writes the
 * braces and the keys) and no parser: postie reads no JSON.
 */
#ifndef POSTIE_JSON_H
#define POSTIE_JSON_H

#include <stdio.h>

/*
 * Write s to fp as a JSON string, or null when s is NULL.  The quote and
 * the backslash are escaped, control characters as \b \f \n \r \t or
 * \u00XX, DEL as \u007f; valid UTF-8 is written as it is, and each byte
 * that does not begin a valid UTF-8 sequence (a stray continuation byte,
 * a truncated or overlong sequence, a surrogate, a code point past
 * U+10FFFF) as \ufffd, the replacement character: the output is always
 * valid JSON.  Returns 0, or -1 when writing to fp failed.
 */
int	 json_string(FILE *fp, const char *s);

#endif

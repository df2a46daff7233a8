/* SPDX-License-Identifier: ISC */
/*
 * The error value passed up the stack: a sysexits(3) code and the one line
 * the user reads.  Library code fills it; only cmd/ prints it.
 */
#ifndef POSTIE_ERR_H
#define POSTIE_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define POSTIE_ERR_MSG	512

struct postie_err {
	int	ex;			/* sysexits.h code, 0 when none */
	char	msg[POSTIE_ERR_MSG];	/* "what failed: why", no newline */
};

/*
 * The setters format into a buffer of their own before changing the
 * error, so an argument may point into the error's own msg
 * (err_setx(e, ex, "%s; and more", e->msg) keeps the old text).  Each
 * truncates to POSTIE_ERR_MSG - 1 bytes and leaves errno as it was.
 */
/* Set ex and msg, appending ": strerror(errno)". */
void	err_set(struct postie_err *, int ex, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Set ex and msg. */
void	err_setx(struct postie_err *, int ex, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * Prefix the message with context ("host:port: ") keeping ex; truncation
 * keeps the start.
 */
void	err_prefix(struct postie_err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Append "; " and the text to the message keeping ex (just the text when
 * the message is empty): a second failure on the way out of a first
 * ("...; and the message could not be queued: ...").  When both do not
 * fit, the old text is cut so that the added text keeps up to half of
 * the message.
 */
void	err_append(struct postie_err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_clear(struct postie_err *);

/*
 * Copy src into dst (of size dstsz) so that it is safe to show on a terminal
 * or in a log: control bytes and DEL become "\xNN", bytes >= 0x80 are kept.
 * Always NUL-terminates; truncates.  Returns dst.
 */
char	*err_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif

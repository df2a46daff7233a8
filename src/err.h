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

/* Set ex and msg, appending ": strerror(errno)". */
void	err_set(struct postie_err *, int ex, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Set ex and msg. */
void	err_setx(struct postie_err *, int ex, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prefix the message with context ("host:port: ") keeping ex. */
void	err_prefix(struct postie_err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_clear(struct postie_err *);

/*
 * Copy src into dst (of size dstsz) so that it is safe to show on a terminal
 * or in a log: control bytes and DEL become "\xNN", bytes >= 0x80 are kept.
 * Always NUL-terminates; truncates.  Returns dst.
 */
char	*err_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * The error value: setters in the shape of err(3), and the one place that
 * makes untrusted text (server replies, input) safe to print.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/*
 * Every setter formats into a buffer of its own and copies it into e
 * last, so that an argument may point into e->msg: err_setx(e, ex,
 * "%s; more", e->msg) is defined and keeps the old text.
 */
static void	err_vset(struct postie_err *, int, int, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

static void
err_vset(struct postie_err *e, int ex, int with_errno, const char *fmt,
    va_list ap)
{
	char buf[POSTIE_ERR_MSG];
	int saved = errno;
	size_t len;

	if (e == NULL)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (with_errno) {
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, ": %s",
		    strerror(saved));
	}
	e->ex = ex;
	strlcpy(e->msg, buf, sizeof(e->msg));
	errno = saved;
}

void
err_set(struct postie_err *e, int ex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, ex, 1, fmt, ap);
	va_end(ap);
}

void
err_setx(struct postie_err *e, int ex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, ex, 0, fmt, ap);
	va_end(ap);
}

void
err_prefix(struct postie_err *e, const char *fmt, ...)
{
	char buf[POSTIE_ERR_MSG];
	va_list ap;
	int saved = errno;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Truncation keeps the start, which names what failed. */
	strlcat(buf, e->msg, sizeof(buf));
	strlcpy(e->msg, buf, sizeof(e->msg));
	errno = saved;
}

void
err_append(struct postie_err *e, const char *fmt, ...)
{
	char add[POSTIE_ERR_MSG], buf[POSTIE_ERR_MSG];
	va_list ap;
	size_t oldlen, addlen, keep;
	int saved = errno;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(add, sizeof(add), fmt, ap);
	va_end(ap);
	oldlen = strnlen(e->msg, sizeof(e->msg) - 1);
	if (oldlen == 0) {
		strlcpy(e->msg, add, sizeof(e->msg));
		errno = saved;
		return;
	}
	/*
	 * When both do not fit, the old text is cut so that the added one
	 * keeps up to half of the message: what happened next (the message
	 * was not queued) matters as much as why.
	 */
	addlen = strlen(add) + 2;
	if (addlen > (sizeof(buf) - 1) / 2 &&
	    oldlen + addlen > sizeof(buf) - 1)
		addlen = (sizeof(buf) - 1) / 2;
	keep = oldlen;
	if (keep + addlen > sizeof(buf) - 1)
		keep = sizeof(buf) - 1 - addlen;
	memcpy(buf, e->msg, keep);
	buf[keep] = '\0';
	strlcat(buf, "; ", sizeof(buf));
	strlcat(buf, add, sizeof(buf));
	strlcpy(e->msg, buf, sizeof(e->msg));
	errno = saved;
}

void
err_clear(struct postie_err *e)
{
	e->ex = 0;
	e->msg[0] = '\0';
}

char *
err_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (dstsz == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f) {
			if (o + 4 >= dstsz)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return dst;
}

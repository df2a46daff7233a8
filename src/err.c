/*
 * The error value: setters in the shape of err(3), and the one place that
 * makes untrusted text (server replies, input) safe to print.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static void
err_vset(struct postie_err *e, int ex, int with_errno, const char *fmt,
    va_list ap)
{
	int saved = errno;
	size_t len;

	if (e == NULL)
		return;
	e->ex = ex;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (with_errno) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s",
		    strerror(saved));
	}
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
	char prefix[POSTIE_ERR_MSG], old[POSTIE_ERR_MSG];
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation keeps the start, which names what failed. */
	strlcpy(e->msg, prefix, sizeof(e->msg));
	strlcat(e->msg, old, sizeof(e->msg));
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

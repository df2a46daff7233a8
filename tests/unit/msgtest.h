/* SPDX-License-Identifier: ISC */
/*
 * What the unit tests of the message modules share: a growable buffer
 * that an emitter writes into (struct sink, sink_out), a message read
 * from a string (make_msg), and the peak memory (maxrss_kb).  Included by
 * one test program each time.
 */
#ifndef POSTIE_TESTS_UNIT_MSGTEST_H
#define POSTIE_TESTS_UNIT_MSGTEST_H

#include <sys/resource.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

struct sink {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 calls;
	size_t	 biggest;
};

/* An emitter's out: append, keep p NUL-terminated, count the calls. */
static inline int
sink_out(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	struct sink *k = arg;

	(void)e;
	if (k->len + len + 1 > k->cap) {
		k->cap = (k->len + len + 1) * 2;
		k->p = realloc(k->p, k->cap);
		ck_assert_ptr_nonnull(k->p);
	}
	memcpy(k->p + k->len, buf, len);
	k->len += len;
	k->p[k->len] = '\0';
	k->calls++;
	if (len > k->biggest)
		k->biggest = len;
	return 0;
}

/* The message read from len bytes of text (spooled in /tmp). */
static inline struct msg *
make_msg(const char *text, size_t len)
{
	struct postie_err err;
	struct msg *m;
	FILE *fp;

	fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fflush(fp), 0);
	ck_assert_int_eq(lseek(fileno(fp), 0, SEEK_SET), 0);
	ck_assert_msg(msg_read(&m, fileno(fp), 0, "/tmp", &err) == 0, "%s",
	    err.msg);
	fclose(fp);
	return m;
}

/* The process's peak resident memory so far, in KiB. */
static inline long
maxrss_kb(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

#endif

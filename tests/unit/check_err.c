/* SPDX-License-Identifier: ISC */
/* Unit tests for src/err.c: the error setters and sanitizing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "err.h"

START_TEST(test_setx)
{
	struct postie_err e;

	err_setx(&e, EX_USAGE, "no recipients (%d)", 0);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_str_eq(e.msg, "no recipients (0)");
}
END_TEST

START_TEST(test_set_errno)
{
	struct postie_err e;

	errno = ENOENT;
	err_set(&e, EX_CONFIG, "open %s", "/x");
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "open /x: No such file or directory");
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_prefix)
{
	struct postie_err e;

	err_setx(&e, EX_TEMPFAIL, "at MAIL FROM: 451 later");
	err_prefix(&e, "%s:%d: ", "mx.example.org", 587);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_str_eq(e.msg, "mx.example.org:587: at MAIL FROM: 451 later");
}
END_TEST

START_TEST(test_prefix_truncates_keeping_start)
{
	struct postie_err e;
	char big[1000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_setx(&e, EX_DATAERR, "%s", big);
	err_prefix(&e, "ctx: ");
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert(strncmp(e.msg, "ctx: aaa", 8) == 0);
}
END_TEST

/* The setters may be given the error's own text as an argument. */
START_TEST(test_setx_own_msg)
{
	struct postie_err e;

	err_setx(&e, EX_IOERR, "cannot write spool: No space left on device");
	err_setx(&e, EX_TEMPFAIL, "%s; and more", e.msg);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_str_eq(e.msg,
	    "cannot write spool: No space left on device; and more");
	/* The argument after a prefix: read before anything is written. */
	err_setx(&e, EX_TEMPFAIL, "at DATA: 451 later");
	err_setx(&e, EX_UNAVAILABLE, "mx: %s (%s)", e.msg, e.msg + 9);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_str_eq(e.msg, "mx: at DATA: 451 later (451 later)");
}
END_TEST

START_TEST(test_set_own_msg)
{
	struct postie_err e;

	err_setx(&e, EX_TEMPFAIL, "at RCPT: 451 later");
	errno = ENOSPC;
	err_set(&e, EX_CANTCREAT, "%s; and the message could not be queued",
	    e.msg);
	ck_assert_int_eq(e.ex, EX_CANTCREAT);
	ck_assert_str_eq(e.msg, "at RCPT: 451 later; and the message could "
	    "not be queued: No space left on device");
	ck_assert_int_eq(errno, ENOSPC);
}
END_TEST

START_TEST(test_prefix_own_msg)
{
	struct postie_err e;

	err_setx(&e, EX_TEMPFAIL, "mx.example.org: at MAIL: 451 later");
	/* "mx.example.org" taken from the message itself. */
	err_prefix(&e, "%.14s:587: ", e.msg);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_str_eq(e.msg,
	    "mx.example.org:587: mx.example.org: at MAIL: 451 later");
	err_setx(&e, EX_TEMPFAIL, "451 later");
	err_prefix(&e, "%s: ", e.msg + 4);
	ck_assert_str_eq(e.msg, "later: 451 later");
}
END_TEST

START_TEST(test_append)
{
	struct postie_err e;

	err_setx(&e, EX_NOUSER, "at RCPT TO <a@b>: 550 5.1.1 unknown user");
	errno = EEXIST;
	err_append(&e, "and the message could not be queued: %s",
	    "No space left on device");
	ck_assert_int_eq(e.ex, EX_NOUSER);
	ck_assert_str_eq(e.msg, "at RCPT TO <a@b>: 550 5.1.1 unknown user; "
	    "and the message could not be queued: No space left on device");
	ck_assert_int_eq(errno, EEXIST);
	/* Nothing to append to: just the text. */
	err_clear(&e);
	e.ex = EX_TEMPFAIL;
	err_append(&e, "%s", "queued");
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_str_eq(e.msg, "queued");
	/* Its own text as the argument. */
	err_setx(&e, EX_TEMPFAIL, "one");
	err_append(&e, "%s again", e.msg);
	ck_assert_str_eq(e.msg, "one; one again");
}
END_TEST

/*
 * Old text and added text of every size: the result is NUL-terminated,
 * at most POSTIE_ERR_MSG - 1 bytes, keeps all it can of both, and the
 * added text keeps at least half of the message when it is that long.
 */
START_TEST(test_append_truncates)
{
	struct postie_err e;
	char old[1000], add[1000], want[2000];
	size_t oldlen, addlen, len, max = sizeof(e.msg) - 1, keep, room;

	/* Both long: 256 bytes of the old, "; ", 253 of the added. */
	memset(old, 'o', 600);
	old[600] = '\0';
	memset(add, 'a', 600);
	add[600] = '\0';
	err_setx(&e, EX_DATAERR, "%s", old);
	err_append(&e, "%s", add);
	ck_assert_uint_eq(strspn(e.msg, "o"), 256);
	ck_assert(strncmp(e.msg + 256, "; aaa", 5) == 0);
	ck_assert_uint_eq(strspn(e.msg + 258, "a"), 253);
	ck_assert_uint_eq(strlen(e.msg), max);

	for (oldlen = 1; oldlen < sizeof(old); oldlen += 37) {
		for (addlen = 0; addlen < sizeof(add); addlen += 41) {
			memset(old, 'o', oldlen);
			old[oldlen] = '\0';
			memset(add, 'a', addlen);
			add[addlen] = '\0';
			err_setx(&e, EX_DATAERR, "%s", old);
			err_append(&e, "%s", add);
			ck_assert_int_eq(e.ex, EX_DATAERR);
			len = strnlen(e.msg, sizeof(e.msg));
			ck_assert_uint_lt(len, sizeof(e.msg));
			keep = oldlen < max ? oldlen : max;
			if (keep + 2 + addlen > max) {
				room = addlen + 2 > max / 2 ? max / 2 :
				    addlen + 2;
				if (keep > max - room)
					keep = max - room;
			}
			memset(want, 'o', keep);
			want[keep] = '\0';
			strlcat(want, "; ", sizeof(want));
			strlcat(want, add, sizeof(want));
			want[max] = '\0';
			ck_assert_str_eq(e.msg, want);
		}
	}
}
END_TEST

START_TEST(test_setx_truncates)
{
	struct postie_err e;
	char big[1000];

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_setx(&e, EX_TEMPFAIL, "%s", big);
	err_setx(&e, EX_TEMPFAIL, "x %s", e.msg);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert(strncmp(e.msg, "x bbb", 5) == 0);
	errno = ENOENT;
	err_set(&e, EX_TEMPFAIL, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
}
END_TEST

START_TEST(test_clear)
{
	struct postie_err e;

	err_setx(&e, EX_USAGE, "x");
	err_clear(&e);
	ck_assert_int_eq(e.ex, 0);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

static const struct {
	const char *in;
	size_t	 inlen;
	const char *out;
} san_cases[] = {
	{ "plain text", 10, "plain text" },
	{ "a\r\nb", 4, "a\\x0d\\x0ab" },
	{ "\x1b[31mred", 8, "\\x1b[31mred" },
	{ "nul\0x", 5, "nul\\x00x" },
	{ "del\x7f", 4, "del\\x7f" },
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
	{ "%s%n", 4, "%s%n" },
};

START_TEST(test_sanitize)
{
	char buf[64];

	err_sanitize(buf, sizeof(buf), san_cases[_i].in, san_cases[_i].inlen);
	ck_assert_str_eq(buf, san_cases[_i].out);
}
END_TEST

START_TEST(test_sanitize_truncates)
{
	char buf[6];

	err_sanitize(buf, sizeof(buf), "abcdefgh", 8);
	ck_assert_str_eq(buf, "abcde");
	/* An escape never gets cut in half. */
	err_sanitize(buf, sizeof(buf), "ab\ncd", 5);
	ck_assert_str_eq(buf, "ab");
}
END_TEST

static Suite *
err_suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_setx);
	tcase_add_test(tc, test_set_errno);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_prefix_truncates_keeping_start);
	tcase_add_test(tc, test_setx_own_msg);
	tcase_add_test(tc, test_set_own_msg);
	tcase_add_test(tc, test_prefix_own_msg);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_append_truncates);
	tcase_add_test(tc, test_setx_truncates);
	tcase_add_test(tc, test_clear);
	tcase_add_loop_test(tc, test_sanitize, 0,
	    sizeof(san_cases) / sizeof(san_cases[0]));
	tcase_add_test(tc, test_sanitize_truncates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(err_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

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

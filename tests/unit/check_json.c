/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/json.c: every kind of byte a JSON string can meet,
 * as a table of input and the exact literal written.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "json.h"

static const struct {
	const char *in;		/* NULL: the null value */
	const char *out;
} strings[] = {
	{ NULL, "null" },
	{ "", "\"\"" },
	{ "plain text / ok", "\"plain text / ok\"" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
	{ "\x01x\x1f", "\"\\u0001x\\u001f\"" },
	{ "del\x7f", "\"del\\u007f\"" },
	/* Valid UTF-8 as it is: 2, 3 and 4 bytes, the edges. */
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"" },
	{ "\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"" },
	{ "\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"" },
	{ "\xe0\xa0\x80\xef\xbf\xbf", "\"\xe0\xa0\x80\xef\xbf\xbf\"" },
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "\xed\x9f\xbf", "\"\xed\x9f\xbf\"" },
	/* Not UTF-8: each byte that begins no valid sequence replaced. */
	{ "\xff", "\"\\ufffd\"" },
	{ "a\x80z", "\"a\\ufffdz\"" },
	{ "latin1 \xe9t\xe9", "\"latin1 \\ufffdt\\ufffd\"" },
	{ "cut \xc3", "\"cut \\ufffd\"" },
	{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },
	{ "\xc3(", "\"\\ufffd(\"" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
	{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	/* Escapes and replacements together. */
	{ "\"\xff\"\n", "\"\\\"\\ufffd\\\"\\n\"" },
};

START_TEST(test_json_string)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	ck_assert_int_eq(json_string(fp, strings[_i].in), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_str_eq(buf, strings[_i].out);
	free(buf);
}
END_TEST

/* A write that fails is said. */
START_TEST(test_json_write_error)
{
	FILE *fp;

	ck_assert_ptr_nonnull(fp = fopen("/dev/full", "w"));
	setvbuf(fp, NULL, _IONBF, 0);
	ck_assert_int_eq(json_string(fp, "x"), -1);
	fclose(fp);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("string");

	tcase_add_loop_test(tc, test_json_string, 0,
	    sizeof(strings) / sizeof(strings[0]));
	tcase_add_test(tc, test_json_write_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

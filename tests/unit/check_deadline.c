/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/deadline.c: the monotonic clock moves forward, the
 * time left counts down to 0 and never past, and a far deadline is
 * INT_MAX for poll(2).
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "deadline.h"

START_TEST(test_deadline_left)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	long long d = deadline_in(30), t0 = deadline_now();
	int left = deadline_left(d);

	ck_assert_int_le(left, 30);
	ck_assert_int_ge(left, 0);
	nanosleep(&pause, NULL);
	ck_assert_int_ge(deadline_now() - t0, 50);
	ck_assert_int_eq(deadline_left(d), 0);
	ck_assert_int_eq(deadline_left(deadline_now() - 1000), 0);
	ck_assert_int_eq(deadline_left(deadline_in(10LL * INT_MAX)), INT_MAX);
}
END_TEST

static Suite *
deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("deadline");

	tcase_add_test(tc, test_deadline_left);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(deadline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

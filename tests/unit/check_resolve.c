/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/resolve.c: a lookup that ends in time gives
 * getaddrinfo's answer and codes; one whose deadline has passed gives
 * RESOLVE_TIMEOUT at once, its thread finishing and freeing by itself;
 * many in a row leave no descriptor behind.  (A resolver that does not
 * answer: tests/integration/test_resolve.sh.)
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"

static struct addrinfo
numeric_hints(void)
{
	struct addrinfo h;

	memset(&h, 0, sizeof(h));
	h.ai_family = AF_UNSPEC;
	h.ai_socktype = SOCK_STREAM;
	h.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	return h;
}

/* The lowest descriptor free now. */
static int
lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

START_TEST(test_resolve_answer)
{
	struct addrinfo h = numeric_hints(), *res = NULL;
	const struct sockaddr_in *sin;

	ck_assert_int_eq(resolve("127.0.0.1", "25", &h, 5000, &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(res->ai_family, AF_INET);
	sin = (const struct sockaddr_in *)(const void *)res->ai_addr;
	ck_assert_int_eq(ntohs(sin->sin_port), 25);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	freeaddrinfo(res);
}
END_TEST

START_TEST(test_resolve_codes)
{
	struct addrinfo h = numeric_hints(), *res = NULL;

	/* getaddrinfo's own refusal comes back as it is. */
	ck_assert_int_eq(resolve("not-a-number", "25", &h, 5000, &res),
	    EAI_NONAME);
	ck_assert_ptr_null(res);
	h.ai_family = 12345;
	ck_assert_int_eq(resolve("127.0.0.1", "25", &h, 5000, &res),
	    EAI_FAMILY);
	ck_assert_ptr_null(res);
}
END_TEST

START_TEST(test_resolve_deadline_passed)
{
	struct addrinfo h = numeric_hints(), *res = NULL;
	struct timespec pause = { 0, 200 * 1000 * 1000 };

	/* No time at all: the answer is not waited for. */
	ck_assert_int_eq(resolve("127.0.0.1", "25", &h, 0, &res),
	    RESOLVE_TIMEOUT);
	ck_assert_ptr_null(res);
	/* The abandoned thread ends and frees its record (ASan, valgrind). */
	nanosleep(&pause, NULL);
}
END_TEST

START_TEST(test_resolve_no_fd_leak)
{
	struct addrinfo h = numeric_hints(), *res = NULL;
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	int before = lowest_free_fd(), i;

	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(resolve("::1", "587", &h, 5000, &res), 0);
		freeaddrinfo(res);
		res = NULL;
		(void)resolve("127.0.0.1", "587", &h, 0, &res);
		ck_assert_ptr_null(res);
	}
	nanosleep(&pause, NULL);
	ck_assert_int_eq(lowest_free_fd(), before);
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, test_resolve_answer);
	tcase_add_test(tc, test_resolve_codes);
	tcase_add_test(tc, test_resolve_deadline_passed);
	tcase_add_test(tc, test_resolve_no_fd_leak);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(resolve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

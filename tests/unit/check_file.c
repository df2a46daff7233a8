/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/file.c: a file replaced whole, with its mode past
 * the umask; a stale temporary file or a symbolic link at the temporary
 * name replaced, never followed; a failure leaves nothing behind.
 * file_create: content written by a callback in pieces, its size
 * returned; a failing callback leaves the old file as it was.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "file.h"

static char dir[64];
static int dirfd = -1;

static void
setup(void)
{
	strlcpy(dir, "/tmp/check_file.XXXXXX", sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dirfd, 0);
}

static void
teardown(void)
{
	static const char *const files[] = { "f", "t", "victim", ".f.tmp" };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlinkat(dirfd, files[i], 0);
	unlinkat(dirfd, "d/x", AT_REMOVEDIR);
	unlinkat(dirfd, "d", AT_REMOVEDIR);
	close(dirfd);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* The content of name in dir, "" when it cannot be read. */
static const char *
content(const char *name)
{
	static char buf[256];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW)) == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

START_TEST(test_file_replace)
{
	struct postie_err e = { 0, "" };
	struct stat st;
	mode_t old = umask(077);

	ck_assert_int_eq(file_replace(dirfd, "f", ".f.tmp", "one\n", 4, 0644,
	    geteuid(), &e), 0);
	ck_assert_str_eq(content("f"), "one\n");
	ck_assert_int_eq(fstatat(dirfd, "f", &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(file_replace(dirfd, "f", ".f.tmp", "two\n", 4, 0600,
	    geteuid(), &e), 0);
	ck_assert_str_eq(content("f"), "two\n");
	ck_assert_int_eq(fstatat(dirfd, "f", &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(faccessat(dirfd, ".f.tmp", F_OK, AT_SYMLINK_NOFOLLOW),
	    -1);
	umask(old);
}
END_TEST

START_TEST(test_file_replace_stale_tmp)
{
	struct postie_err e = { 0, "" };
	char target[128];
	int fd;

	/* A symbolic link at the temporary name is removed, not followed. */
	snprintf(target, sizeof(target), "%s/victim", dir);
	fd = openat(dirfd, "victim", O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(symlinkat(target, dirfd, "t"), 0);
	ck_assert_int_eq(file_replace(dirfd, "f", "t", "new", 3, 0600,
	    geteuid(), &e), 0);
	ck_assert_str_eq(content("victim"), "keep");
	ck_assert_str_eq(content("f"), "new");
}
END_TEST

START_TEST(test_file_replace_fails)
{
	struct postie_err e = { 0, "" };

	/* The name is a directory: the rename fails, no temporary stays. */
	ck_assert_int_eq(mkdirat(dirfd, "d", 0700), 0);
	ck_assert_int_eq(mkdirat(dirfd, "d/x", 0700), 0);
	ck_assert_int_eq(file_replace(dirfd, "d", "d.tmp", "x", 1, 0600,
	    geteuid(), &e), -1);
	ck_assert_int_eq(e.ex, EX_IOERR);
	ck_assert_msg(strstr(e.msg, "rename d.tmp to d") != NULL, "%s", e.msg);
	ck_assert_int_eq(faccessat(dirfd, "d.tmp", F_OK, AT_SYMLINK_NOFOLLOW),
	    -1);
	/* No such directory for the temporary file. */
	ck_assert_int_eq(file_replace(dirfd, "f", "none/t", "x", 1, 0600,
	    geteuid(), &e), -1);
	ck_assert_int_eq(e.ex, EX_CANTCREAT);
	ck_assert_msg(strstr(e.msg, "create none/t") != NULL, "%s", e.msg);
}
END_TEST

/* A fill writing "piece N\n" for N up to *arg, in separate writes. */
static int
fill_pieces(void *arg, int fd, struct postie_err *e)
{
	char buf[32];
	int i, n;

	for (i = 1; i <= *(int *)arg; i++) {
		n = snprintf(buf, sizeof(buf), "piece %d\n", i);
		if (file_write_all(fd, buf, (size_t)n, e) == -1)
			return -1;
	}
	return 0;
}

/* A fill that writes a little, then fails. */
static int
fill_fails(void *arg, int fd, struct postie_err *e)
{
	(void)arg;
	if (file_write_all(fd, "partial", 7, e) == -1)
		return -1;
	err_setx(e, EX_DATAERR, "the source went away");
	return -1;
}

START_TEST(test_file_create)
{
	struct postie_err e = { 0, "" };
	off_t size = -1;
	int n = 3;

	ck_assert_int_eq(file_create(dirfd, "f", "t", 0600, geteuid(),
	    FILE_NO_DIRSYNC, fill_pieces, &n, &size, &e), 0);
	ck_assert_str_eq(content("f"), "piece 1\npiece 2\npiece 3\n");
	ck_assert_int_eq(size, 24);
	/* A fill that fails: the error names the temporary file, the old
	 * content stays, nothing is left at the temporary name. */
	ck_assert_int_eq(file_create(dirfd, "f", "t", 0600, geteuid(), 0,
	    fill_fails, NULL, &size, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_str_eq(e.msg, "t: the source went away");
	ck_assert_int_eq(size, 24);
	ck_assert_str_eq(content("f"), "piece 1\npiece 2\npiece 3\n");
	ck_assert_int_eq(faccessat(dirfd, "t", F_OK, AT_SYMLINK_NOFOLLOW),
	    -1);
}
END_TEST

START_TEST(test_file_write_all_fails)
{
	struct postie_err e = { 0, "" };
	int p[2];

	/* A pipe with no reader: EPIPE, EX_IOERR "write: ...". */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(file_write_all(p[1], "x", 1, &e), -1);
	ck_assert_int_eq(e.ex, EX_IOERR);
	ck_assert_msg(strncmp(e.msg, "write: ", 7) == 0, "%s", e.msg);
	close(p[1]);
}
END_TEST

static Suite *
file_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("replace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_replace);
	tcase_add_test(tc, test_file_replace_stale_tmp);
	tcase_add_test(tc, test_file_replace_fails);
	tcase_add_test(tc, test_file_create);
	tcase_add_test(tc, test_file_write_all_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(file_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

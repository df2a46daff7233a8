/*
 * Tests for secret.c: the netrc reader fed through fmemopen (matching by
 * host and login, default, quoting, macdef), the file checks, the lookup
 * order with its error naming the account, and passwordeval.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "secret.h"

static const struct {
	const char *netrc;
	const char *host;
	const char *login;
	int	 rv;
	const char *want;	/* password, or words of the error */
} finds[] = {
	{ "machine mx.example.org login tim password pw1\n",
	    "mx.example.org", "tim", 1, "pw1" },
	{ "machine MX.Example.ORG\n\tlogin tim\n\tpassword pw1\n",
	    "mx.example.org", "tim", 1, "pw1" },
	{ "machine mx.example.org login tim password pw1",
	    "mx.example.org", "tom", 0, "" },
	{ "machine other login tim password pw1",
	    "mx.example.org", "tim", 0, "" },
	/* The first entry that fits, by login. */
	{ "machine mx login tom password a machine mx login tim password b "
	    "machine mx login tim password c", "mx", "tim", 1, "b" },
	/* An entry without login fits any user. */
	{ "machine mx password any\n", "mx", "tim", 1, "any" },
	{ "machine mx login tim\nmachine mx login tim password two\n",
	    "mx", "tim", 1, "two" },
	/* default fits any host, after the machines before it. */
	{ "machine mx login tim password one\ndefault login tim password "
	    "dflt\n", "mx", "tim", 1, "one" },
	{ "machine mx login tim password one\ndefault login tim password "
	    "dflt\n", "other", "tim", 1, "dflt" },
	{ "default password dflt\n", "other", "tim", 1, "dflt" },
	/* Quoted tokens keep spaces; a backslash escapes. */
	{ "machine mx login tim password \"p w\\\"x\\\\\"\n", "mx", "tim", 1,
	    "p w\"x\\" },
	{ "machine \"mx\" login \"tim\" password \"\"\n", "mx", "tim", 1,
	    "" },
	/* A macdef body runs up to an empty line. */
	{ "macdef init\nmachine mx login tim password no\n\n"
	    "machine mx login tim password yes\n", "mx", "tim", 1, "yes" },
	{ "machine mx login tim account acct password pw macdef x\nls\n\n",
	    "mx", "tim", 1, "pw" },
	{ "", "mx", "tim", 0, "" },
	{ "\n\n  \t\n", "mx", "tim", 0, "" },
	{ "machine mx login tim password "
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    "mx", "tim", -1, "token longer than 63 bytes" },
};

START_TEST(netrc_find)
{
	struct postie_err err;
	char buf[64];
	FILE *fp;
	int rv;

	fp = fmemopen((void *)finds[_i].netrc, strlen(finds[_i].netrc), "r");
	if (finds[_i].netrc[0] == '\0')
		fp = fopen("/dev/null", "r");
	ck_assert_ptr_nonnull(fp);
	memset(buf, 'x', sizeof(buf));
	err.ex = 0;
	rv = secret_netrc_find(fp, "netrc", finds[_i].host, finds[_i].login,
	    buf, sizeof(buf), &err);
	fclose(fp);
	ck_assert_msg(rv == finds[_i].rv, "rv %d (%s)", rv, err.msg);
	if (rv == 1)
		ck_assert_str_eq(buf, finds[_i].want);
	else if (rv == 0)
		ck_assert_str_eq(buf, "");
	else {
		ck_assert_int_eq(err.ex, EX_CONFIG);
		ck_assert_msg(strstr(err.msg, finds[_i].want) != NULL,
		    "\"%s\" lacks \"%s\"", err.msg, finds[_i].want);
		/* The secret is not in the message. */
		ck_assert_ptr_null(strstr(err.msg, "0123"));
	}
}
END_TEST

static char *
write_tmp(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path;
	FILE *fp;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

START_TEST(netrc_file)
{
	char dir[] = "/tmp/check_secret.XXXXXX", buf[64], *path, *missing;
	struct postie_err err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = write_tmp(dir, "netrc", "machine mx login tim password pw\n",
	    0644);
	/* Private: readable by others is refused. */
	ck_assert_int_eq(secret_netrc_file(path, 1, "mx", "tim", buf,
	    sizeof(buf), &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	/* The system file may be readable. */
	ck_assert_int_eq(secret_netrc_file(path, 0, "mx", "tim", buf,
	    sizeof(buf), &err), 1);
	ck_assert_str_eq(buf, "pw");
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(secret_netrc_file(path, 1, "mx", "tim", buf,
	    sizeof(buf), &err), 1);
	ck_assert_str_eq(buf, "pw");
	ck_assert_int_ne(asprintf(&missing, "%s/none", dir), -1);
	ck_assert_int_eq(secret_netrc_file(missing, 1, "mx", "tim", buf,
	    sizeof(buf), &err), 0);
	/* A directory is not a netrc. */
	ck_assert_int_eq(secret_netrc_file(dir, 0, "mx", "tim", buf,
	    sizeof(buf), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	unlink(path);
	rmdir(dir);
	free(path);
	free(missing);
}
END_TEST

/* ~/.netrc first, then the system netrc; else an error naming all. */
START_TEST(lookup_order)
{
	char dir[] = "/tmp/check_secret.XXXXXX", buf[64], *home, *sys;
	struct postie_err err;
	struct account a;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	home = write_tmp(dir, ".netrc", "machine mx login tim password "
	    "home\n", 0600);
	sys = write_tmp(dir, "sysnetrc", "machine mx login tim password sys\n"
	    "machine mx login tom password tomsys\n", 0644);
	setenv("HOME", dir, 1);
	memset(&a, 0, sizeof(a));
	a.name = "work";
	a.host = "mx";
	a.user = "tim";
	ck_assert_int_eq(secret_get(&a, sys, 0, buf, sizeof(buf), &err),
	    0);
	ck_assert_str_eq(buf, "home");
	a.user = "tom";
	ck_assert_int_eq(secret_get(&a, sys, 0, buf, sizeof(buf), &err),
	    0);
	ck_assert_str_eq(buf, "tomsys");
	a.user = "tina";
	ck_assert_int_eq(secret_get(&a, sys, 0, buf, sizeof(buf), &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_str_eq(err.msg, "account work: no password for tina@mx: "
	    "set password or passwordeval, add it to ~/.netrc, or run postie "
	    "on a terminal to be asked");
	ck_assert_str_eq(buf, "");
	/* A ~/.netrc others can read stops the lookup. */
	ck_assert_int_eq(chmod(home, 0640), 0);
	a.user = "tim";
	ck_assert_int_eq(secret_get(&a, sys, 0, buf, sizeof(buf), &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "account work: "));
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	unlink(home);
	unlink(sys);
	rmdir(dir);
	free(home);
	free(sys);
}
END_TEST

/* An account "a" whose password comes from cmd. */
static void
eval_account(struct account *a, const char *cmd, int timeout)
{
	memset(a, 0, sizeof(*a));
	a->name = "a";
	a->file = "test.conf";
	a->line = 3;
	a->host = "mx";
	a->user = "tim";
	a->timeout = timeout;
	a->passwordeval = (char *)cmd;
}

static const struct {
	const char *cmd;
	int	 rv;
	const char *out;	/* the password, or the error message */
} evals[] = {
	{ "echo s3cret", 0, "s3cret" },
	{ "printf 'first\\nsecond\\n'", 0, "first" },
	{ "printf 'crlf\\r\\n'", 0, "crlf" },
	{ "printf 'no newline'", 0, "no newline" },
	{ "echo \"  spaced  \"", 0, "  spaced  " },
	{ "read x; echo \"in[$x]\"", 0, "in[]" },
	{ "echo pw; echo noise >&2", 0, "pw" },
	{ "echo \"${POSTIE_SECRET_TEST:-unset}\"", 0, "unset" },
	{ "echo \"$HOME\"", 0, "/home/evaltest" },
	{ "echo \"$LC_CTYPE\"", 0, "C.UTF-8" },
	{ "echo pw; yes", 0, "pw" },
	{ "exit 3", -1, "account a: passwordeval failed: exit status 3" },
	{ "echo topsecret; exit 3", -1,
	    "account a: passwordeval failed: exit status 3" },
	{ "true", -1,
	    "account a: passwordeval failed: it printed no password" },
	{ "echo", -1,
	    "account a: passwordeval failed: it printed no password" },
	{ "echo topsecret; kill -9 $$", -1,
	    "account a: passwordeval failed: killed by signal 9" },
	{ "head -c 20000 /dev/zero | tr '\\0' a", -1,
	    "account a: passwordeval failed: output longer than 16384 bytes" },
	{ "/nonexistent/command", -1,
	    "account a: passwordeval failed: exit status 127" },
};

START_TEST(eval_table)
{
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[BOUND_SECRET];
	int rv;

	setenv("POSTIE_SECRET_TEST", "leaked", 1);
	setenv("HOME", "/home/evaltest", 1);
	setenv("LC_CTYPE", "C.UTF-8", 1);
	eval_account(&a, evals[_i].cmd, 10);
	memset(buf, 'z', sizeof(buf));
	rv = secret_get(&a, NULL, 0, buf, sizeof(buf), &err);
	ck_assert_msg(rv == evals[_i].rv, "rv %d (%s)", rv, err.msg);
	if (rv == 0)
		ck_assert_str_eq(buf, evals[_i].out);
	else {
		ck_assert_int_eq(err.ex, EX_CONFIG);
		ck_assert_str_eq(err.msg, evals[_i].out);
		ck_assert_ptr_null(strstr(err.msg, "topsecret"));
	}
}
END_TEST

/* The command sees none of our descriptors beyond 0, 1 and 2. */
START_TEST(eval_fds)
{
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[64];
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 9), 9);
	eval_account(&a, "if true <&9; then echo open; else echo closed; fi "
	    "2>/dev/null", 10);
	ck_assert_int_eq(secret_get(&a, NULL, 0, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "closed");
	close(9);
	close(fd);
}
END_TEST

/* The password key comes first; neither key: the netrc lookup. */
START_TEST(password_key)
{
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[16], small[4];

	eval_account(&a, "exit 1", 10);
	a.password = "pw";
	ck_assert_int_eq(secret_get(&a, NULL, 0, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "pw");
	a.password = "longer-than-small";
	ck_assert_int_eq(secret_get(&a, NULL, 0, small, sizeof(small), &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_str_eq(err.msg, "account a: password too long");
	eval_account(&a, "echo longer-than-small", 10);
	ck_assert_int_eq(secret_get(&a, NULL, 0, small, sizeof(small), &err),
	    -1);
	ck_assert_str_eq(err.msg,
	    "account a: passwordeval failed: password too long");
	eval_account(&a, NULL, 10);
	setenv("HOME", "/nonexistent", 1);
	ck_assert_int_eq(secret_get(&a, NULL, 0, buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "account a: no password for "
	    "tim@mx"));
}
END_TEST

static Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("netrc");
	TCase *te = tcase_create("passwordeval");

	tcase_add_loop_test(tc, netrc_find, 0,
	    (int)(sizeof(finds) / sizeof(finds[0])));
	tcase_add_test(tc, netrc_file);
	tcase_add_test(tc, lookup_order);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(te, eval_table, 0,
	    (int)(sizeof(evals) / sizeof(evals[0])));
	tcase_add_test(te, eval_fds);
	tcase_add_test(te, password_key);
	tcase_set_timeout(te, 30);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(secret_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

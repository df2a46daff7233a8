/* SPDX-License-Identifier: ISC */
/*
 * Tests for secret.c: the netrc reader fed through fmemopen (matching by
 * host and login, default, quoting, macdef), the file checks, the lookup
 * order with its error naming the account, and passwordeval: its first
 * line, its deadline, its process group, its environment, its bounds and
 * a caller that ignores SIGCHLD.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
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
	memset(&a, 0, sizeof(a));
	a.name = "work";
	a.host = "mx";
	a.user = "tim";
	ck_assert_int_eq(secret_get(&a, dir, sys, 0, buf, sizeof(buf), &err),
	    0);
	ck_assert_str_eq(buf, "home");
	a.user = "tom";
	ck_assert_int_eq(secret_get(&a, dir, sys, 0, buf, sizeof(buf), &err),
	    0);
	ck_assert_str_eq(buf, "tomsys");
	a.user = "tina";
	ck_assert_int_eq(secret_get(&a, dir, sys, 0, buf, sizeof(buf), &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_str_eq(err.msg, "account work: no password for tina@mx: "
	    "set password or passwordeval, add it to ~/.netrc, or run postie "
	    "on a terminal to be asked");
	ck_assert_str_eq(buf, "");
	/* A ~/.netrc others can read stops the lookup. */
	ck_assert_int_eq(chmod(home, 0640), 0);
	a.user = "tim";
	ck_assert_int_eq(secret_get(&a, dir, sys, 0, buf, sizeof(buf), &err),
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

/* secret_get with neither a home nor a system netrc, and no prompt. */
static int
get_pw(const struct account *a, char *buf, size_t bufsz,
    struct postie_err *err)
{
	return secret_get(a, NULL, NULL, 0, buf, bufsz, err);
}

/* An account "a" defined at test.conf:3 whose password comes from cmd. */
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define EVAL	"passwordeval of account a (test.conf:3)"

static const struct {
	const char *cmd;
	int	 rv;
	const char *out;	/* the password, or the error message */
} evals[] = {
	{ "echo s3cret", 0, "s3cret" },
	{ "printf 'first\\nsecond\\n'", 0, "first" },
	{ "printf 'crlf\\r\\n'", 0, "crlf" },
	{ "printf 'cr\\rinside\\n'", 0, "cr\rinside" },
	{ "printf 'no newline'", 0, "no newline" },
	{ "echo \"  spaced  \"", 0, "  spaced  " },
	{ "read x; echo \"in[$x]\"", 0, "in[]" },
	{ "echo pw; echo noise >&2", 0, "pw" },
	{ "echo \"$HOME\"", 0, "/home/evaltest" },
	{ "echo \"$LC_CTYPE\"", 0, "C.UTF-8" },
	/* Reading stops at the first line; what follows is killed. */
	{ "echo pw; yes", 0, "pw" },
	{ "echo pw; exec >&-; sleep 20", 0, "pw" },
	{ "exit 3", -1, EVAL " failed: exit status 3" },
	{ "echo topsecret; exit 3", -1, EVAL " failed: exit status 3" },
	{ "true", -1, EVAL " printed no password" },
	{ "echo", -1, EVAL " printed no password" },
	{ "printf '\\r\\n'", -1, EVAL " printed no password" },
	{ "echo topsecret; kill -9 $$", -1,
	    EVAL " failed: killed by signal 9" },
	{ "head -c 20000 /dev/zero | tr '\\0' a", -1,
	    EVAL " printed a line longer than 16383 bytes" },
	{ "/nonexistent/command", -1, EVAL " failed: exit status 127" },
};

START_TEST(eval_table)
{
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[BOUND_SECRET];
	int rv;

	setenv("HOME", "/home/evaltest", 1);
	setenv("LC_CTYPE", "C.UTF-8", 1);
	eval_account(&a, evals[_i].cmd, 10);
	memset(buf, 'z', sizeof(buf));
	rv = get_pw(&a, buf, sizeof(buf), &err);
	ck_assert_msg(rv == evals[_i].rv, "rv %d (%s)", rv, err.msg);
	if (rv == 0)
		ck_assert_str_eq(buf, evals[_i].out);
	else {
		ck_assert_int_eq(err.ex, EX_CONFIG);
		ck_assert_str_eq(err.msg, evals[_i].out);
		ck_assert_ptr_null(strstr(err.msg, "topsecret"));
		ck_assert_int_eq(buf[0], '\0');
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
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), 0);
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
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "pw");
	a.password = "longer-than-small";
	ck_assert_int_eq(get_pw(&a, small, sizeof(small), &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_str_eq(err.msg, "account a (test.conf:3): password longer "
	    "than 3 bytes");
	ck_assert_int_eq(small[0], '\0');
	eval_account(&a, NULL, 10);
	ck_assert_int_eq(secret_get(&a, "/nonexistent", NULL, 0, buf,
	    sizeof(buf), &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "account a: no password for "
	    "tim@mx"));
}
END_TEST

/*
 * A first line longer than the caller's buffer is refused, never cut;
 * the buffer is wiped.
 */
START_TEST(eval_overlong)
{
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[8];

	eval_account(&a, "echo 1234567", 10);
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "1234567");
	eval_account(&a, "printf '1234567\\r\\n'", 10);
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "1234567");
	eval_account(&a, "echo 12345678", 10);
	memset(buf, 'z', sizeof(buf));
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_str_eq(err.msg, EVAL " printed a line longer than 7 bytes");
	ck_assert_mem_eq(buf, "\0\0\0\0\0\0\0\0", sizeof(buf));
	eval_account(&a, "printf 12345678", 10);
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, EVAL " printed a line longer than 7 bytes");
	/* Endless output without a newline: refused at once. */
	eval_account(&a, "yes | tr -d '\\n'", 10);
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, EVAL " printed a line longer than 7 bytes");
}
END_TEST

/* The process pid is gone (or a zombie waiting for init). */
static int
gone(pid_t pid)
{
	char path[64], stat[256], *p;
	FILE *fp;
	int i;

	for (i = 0; i < 100; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((fp = fopen(path, "r")) != NULL) {
			p = fgets(stat, sizeof(stat), fp);
			fclose(fp);
			if (p != NULL && (p = strrchr(stat, ')')) != NULL &&
			    strncmp(p, ") Z", 3) == 0)
				return 1;
		}
		usleep(20000);
	}
	return 0;
}

/* The pid a helper wrote to path. */
static pid_t
read_pid(const char *path)
{
	FILE *fp;
	int pid = -1;

	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%d", &pid) != 1)
			pid = -1;
		fclose(fp);
	}
	return (pid_t)pid;
}

/*
 * A helper that does not answer is killed at the account's timeout, with
 * what its shell started: the call returns soon after, EX_TEMPFAIL.
 */
START_TEST(eval_deadline)
{
	char dir[] = "/tmp/check_secret.XXXXXX", cmd[256], pidf[64];
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[64];
	double t0, took;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! >%s; wait; echo pw",
	    pidf);
	eval_account(&a, cmd, 2);
	t0 = now_s();
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), -1);
	took = now_s() - t0;
	ck_assert_msg(took >= 1.9 && took < 3.0, "took %.2f s", took);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, EVAL " did not answer within 2 s");
	ck_assert_int_eq(buf[0], '\0');
	pid = read_pid(pidf);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(gone(pid), "sleep %d still runs", (int)pid);
	unlink(pidf);
	rmdir(dir);
}
END_TEST

/*
 * The first line is the answer: a helper that goes on running after it
 * is not waited for (its process group is killed, which is no failure).
 */
START_TEST(eval_first_line_only)
{
	char dir[] = "/tmp/check_secret.XXXXXX", cmd[256], pidf[64];
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[64];
	double t0, took;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	eval_account(&a, "echo pw; sleep 20", 30);
	t0 = now_s();
	ck_assert_msg(get_pw(&a, buf, sizeof(buf), &err) == 0,
	    "%s", err.msg);
	took = now_s() - t0;
	ck_assert_str_eq(buf, "pw");
	ck_assert_msg(took < 1.5, "took %.2f s", took);

	snprintf(cmd, sizeof(cmd), "echo pw; sleep 20 & echo $! >%s; wait",
	    pidf);
	eval_account(&a, cmd, 30);
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "pw");
	pid = read_pid(pidf);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(gone(pid), "sleep %d still runs", (int)pid);
	unlink(pidf);
	rmdir(dir);
}
END_TEST

/*
 * A caller that ignores SIGCHLD (children inherit that): the helper's
 * exit status is still seen, and the caller's setting is kept.
 */
START_TEST(eval_sigchld_ignored)
{
	struct postie_err err = { 0, "" };
	struct sigaction sa;
	struct account a;
	char buf[64];

	ck_assert(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	eval_account(&a, "echo pw", 10);
	ck_assert_msg(get_pw(&a, buf, sizeof(buf), &err) == 0,
	    "%s", err.msg);
	ck_assert_str_eq(buf, "pw");
	eval_account(&a, "echo pw; exit 3", 10);
	ck_assert_int_eq(get_pw(&a, buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, EVAL " failed: exit status 3");
	ck_assert_int_eq(sigaction(SIGCHLD, NULL, &sa), 0);
	ck_assert(sa.sa_handler == SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
}
END_TEST

/*
 * The helper gets the caller's environment as it is: what pass, gpg,
 * secret-tool and pinentry need, and any other variable.
 */
START_TEST(eval_environment)
{
	struct postie_err err = { 0, "" };
	struct account a;
	char buf[256];

	setenv("GNUPGHOME", "/home/tim/.gnupg-mail", 1);
	setenv("PASSWORD_STORE_DIR", "/home/tim/.pw", 1);
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1/bus", 1);
	setenv("GPG_TTY", "/dev/pts/7", 1);
	setenv("MY_VAULT_PROFILE", "work", 1);
	eval_account(&a, "echo \"$GNUPGHOME $PASSWORD_STORE_DIR "
	    "$DBUS_SESSION_BUS_ADDRESS $GPG_TTY $MY_VAULT_PROFILE\"", 10);
	ck_assert_msg(get_pw(&a, buf, sizeof(buf), &err) == 0,
	    "%s", err.msg);
	ck_assert_str_eq(buf, "/home/tim/.gnupg-mail /home/tim/.pw "
	    "unix:path=/run/user/1/bus /dev/pts/7 work");
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
	tcase_add_test(te, eval_overlong);
	tcase_add_test(te, eval_deadline);
	tcase_add_test(te, eval_first_line_only);
	tcase_add_test(te, eval_sigchld_ignored);
	tcase_add_test(te, eval_environment);
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

/* SPDX-License-Identifier: ISC */
/*
 * Tests for log.c: the one record per submission, to syslog (caught by
 * the syslog() defined here, which the library's call resolves to) and to
 * the logfile; its fields, its time stamp, sanitized server text, and no
 * secret; the other lines for syslog, and nothing at all with syslog off.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"

#define PASSWORD	"hunter2-secret"

static int	nsyslog;
static int	syslog_pri;
static char	syslog_line[4096];

/*
 * With _FORTIFY_SOURCE, glibc's <syslog.h> turns syslog() into
 * __syslog_chk() (through a macro under clang): catch both names.
 */
#undef syslog
void	__syslog_chk(int, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

static void	record_syslog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
record_syslog(int pri, const char *fmt, va_list ap)
{
	nsyslog++;
	syslog_pri = pri;
	vsnprintf(syslog_line, sizeof(syslog_line), fmt, ap);
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_syslog(pri, fmt, ap);
	va_end(ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_syslog(pri, fmt, ap);
	va_end(ap);
}

struct fixture {
	char	 dir[64];
	char	 logpath[128];
	struct account acct;
	struct envelope env;
	struct msg *msg;
	/* What the session reported, as log_attempt takes it. */
	int	 final_code;
	char	 final_reply[512];
	char	 auth_mech[32];
	const char *fallback_for;
};

/* A message of 19 bytes, 22 as sent (CRLF line ends). */
static struct msg *
make_msg(void)
{
	const char text[] = "Subject: hi\n\nhello\n";
	struct postie_err err;
	struct msg *m;
	FILE *fp;

	fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
	ck_assert_int_eq(fflush(fp), 0);
	ck_assert_int_eq(lseek(fileno(fp), 0, SEEK_SET), 0);
	ck_assert_msg(msg_read(&m, fileno(fp), 0, "/tmp", &err) == 0, "%s",
	    err.msg);
	fclose(fp);
	return m;
}

static void
fixture_init(struct fixture *f)
{
	struct postie_err err;

	memset(f, 0, sizeof(*f));
	strlcpy(f->dir, "/tmp/check_log.XXXXXX", sizeof(f->dir));
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->logpath, sizeof(f->logpath), "%s/log", f->dir);
	f->acct.name = "test";
	f->acct.host = "mx.example.org";
	f->acct.port = 587;
	f->acct.tls = 1;
	f->acct.auth = AUTH_ON;
	f->acct.user = "alice";
	f->acct.password = PASSWORD;
	f->acct.syslog_facility = LOG_MAIL;
	f->acct.logfile = f->logpath;
	f->acct.logfile_time_format = "[%Y]";
	ck_assert_int_eq(envelope_set(&f->env.from, "a@example.org", &err),
	    0);
	ck_assert_int_eq(envelope_add_rcpt(&f->env, "b@example.net", &err),
	    0);
	ck_assert_int_eq(envelope_add_rcpt(&f->env, "c@example.net", &err),
	    0);
	f->msg = make_msg();
	f->final_code = 250;
	strlcpy(f->final_reply, "250 2.0.0 queued as X",
	    sizeof(f->final_reply));
	strlcpy(f->auth_mech, "PLAIN", sizeof(f->auth_mech));
	nsyslog = 0;
	syslog_line[0] = '\0';
}

static void
fixture_free(struct fixture *f)
{
	envelope_free(&f->env);
	msg_free(f->msg);
	unlink(f->logpath);
	rmdir(f->dir);
}

/*
 * Log one attempt of the fixture's message: with the session's result
 * when with_res (as after SMTP), without (failed before SMTP) otherwise.
 */
static void
log_one(const struct fixture *f, int with_res, int ex, const char *errmsg)
{
	struct log_attempt la;

	memset(&la, 0, sizeof(la));
	la.acct = &f->acct;
	la.env = &f->env;
	la.size = msg_size(f->msg);
	if (with_res) {
		la.auth_mech = f->auth_mech;
		la.final_code = f->final_code;
		la.final_reply = f->final_reply;
	}
	la.ex = ex;
	la.errmsg = errmsg;
	la.fallback_for = f->fallback_for;
	log_submission(&la);
}

/* The logfile's content, or "" when there is none. */
static char *
slurp(const char *path)
{
	static char buf[8192];
	size_t n = 0;
	FILE *fp;

	buf[0] = '\0';
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static char this_year[16];

static void
set_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(this_year, sizeof(this_year), "[%Y]", &tm);
}

START_TEST(success_line)
{
	const char *want = "host=mx.example.org port=587 tls=on auth=PLAIN "
	    "user=alice from=a@example.org "
	    "recipients=b@example.net,c@example.net mailsize=22 "
	    "smtpstatus=250 smtpmsg=250 2.0.0 queued as X exitcode=EX_OK";
	char wantfile[1024];
	struct fixture f;

	fixture_init(&f);
	set_year();
	log_one(&f, 1, 0, NULL);
	ck_assert_int_eq(nsyslog, 1);
	ck_assert_int_eq(syslog_pri, LOG_MAIL | LOG_INFO);
	ck_assert_str_eq(syslog_line, want);
	snprintf(wantfile, sizeof(wantfile), "%s %s\n", this_year, want);
	ck_assert_str_eq(slurp(f.logpath), wantfile);

	/* A second submission: a second line. */
	log_one(&f, 1, 0, NULL);
	ck_assert_int_eq(nsyslog, 2);
	snprintf(wantfile, sizeof(wantfile), "%s %s\n%s %s\n", this_year,
	    want, this_year, want);
	ck_assert_str_eq(slurp(f.logpath), wantfile);
	fixture_free(&f);
}
END_TEST

/* A fallback account's record names it and the account it stands in for. */
START_TEST(fallback_line)
{
	struct fixture f;

	fixture_init(&f);
	f.fallback_for = "work";
	log_one(&f, 1, 0, NULL);
	ck_assert_int_eq(nsyslog, 1);
	ck_assert_msg(strstr(syslog_line, " smtpmsg=250 2.0.0 queued as X "
	    "account=test fallback_for=work exitcode=EX_OK") != NULL, "%s",
	    syslog_line);
	fixture_free(&f);
}
END_TEST

START_TEST(failure_line)
{
	struct fixture f;

	fixture_init(&f);
	f.final_code = 0;
	f.final_reply[0] = '\0';
	log_one(&f, 1, EX_NOUSER,
	    "at RCPT TO <b@example.net>: 550 5.1.1 no\r\nX-Injected: 1");
	ck_assert_int_eq(nsyslog, 1);
	ck_assert_int_eq(syslog_pri, LOG_MAIL | LOG_ERR);
	ck_assert_msg(strstr(syslog_line, " exitcode=EX_NOUSER error=at RCPT "
	    "TO <b@example.net>: 550 5.1.1 no") != NULL, "%s", syslog_line);
	ck_assert_ptr_null(strstr(syslog_line, "smtpstatus="));
	/* The error text cannot start a line of its own. */
	ck_assert_ptr_null(strchr(syslog_line, '\n'));
	ck_assert_ptr_null(strchr(syslog_line, '\r'));
	ck_assert_ptr_null(strchr(slurp(f.logpath), '\r'));
	ck_assert_ptr_null(strstr(slurp(f.logpath), "\nX-Injected"));

	/* Failed before SMTP: no result. */
	log_one(&f, 0, EX_TEMPFAIL, "cannot resolve x");
	ck_assert_msg(strstr(syslog_line, "auth=on ") != NULL, "%s",
	    syslog_line);
	ck_assert_msg(strstr(syslog_line, " exitcode=EX_TEMPFAIL error=cannot "
	    "resolve x") != NULL, "%s", syslog_line);
	fixture_free(&f);
}
END_TEST

/* A size not known (-1) is left out; so are an absent envelope's fields. */
START_TEST(unknown_size)
{
	struct log_attempt la;
	struct fixture f;

	fixture_init(&f);
	memset(&la, 0, sizeof(la));
	la.acct = &f.acct;
	la.env = &f.env;
	la.size = -1;
	la.ex = EX_TEMPFAIL;
	la.errmsg = "connect: Connection refused";
	log_submission(&la);
	ck_assert_int_eq(nsyslog, 1);
	ck_assert_ptr_null(strstr(syslog_line, "mailsize="));
	ck_assert_msg(strstr(syslog_line, " recipients=b@example.net,"
	    "c@example.net exitcode=EX_TEMPFAIL error=connect: Connection "
	    "refused") != NULL, "%s", syslog_line);

	la.env = NULL;
	log_submission(&la);
	ck_assert_int_eq(nsyslog, 2);
	ck_assert_msg(strstr(syslog_line, " from= recipients= ") != NULL,
	    "%s", syslog_line);
	fixture_free(&f);
}
END_TEST

START_TEST(no_secret)
{
	struct fixture f;

	fixture_init(&f);
	log_one(&f, 1, 0, NULL);
	log_one(&f, 0, EX_NOPERM, "at AUTH: 535 5.7.8 no");
	ck_assert_ptr_null(strstr(syslog_line, PASSWORD));
	ck_assert_ptr_null(strstr(slurp(f.logpath), PASSWORD));
	fixture_free(&f);
}
END_TEST

START_TEST(destinations)
{
	struct fixture f;

	/* syslog off: the logfile only. */
	fixture_init(&f);
	f.acct.syslog_facility = -1;
	log_one(&f, 1, 0, NULL);
	ck_assert_int_eq(nsyslog, 0);
	ck_assert_ptr_nonnull(strstr(slurp(f.logpath), "exitcode=EX_OK\n"));
	fixture_free(&f);

	/* No logfile: syslog only, with the account's facility. */
	fixture_init(&f);
	f.acct.logfile = NULL;
	f.acct.syslog_facility = LOG_LOCAL3;
	log_one(&f, 1, EX_TEMPFAIL, "later");
	ck_assert_int_eq(nsyslog, 1);
	ck_assert_int_eq(syslog_pri, LOG_LOCAL3 | LOG_ERR);
	ck_assert_int_eq(access(f.logpath, F_OK), -1);
	fixture_free(&f);

	/* A logfile that cannot be written changes nothing else. */
	fixture_init(&f);
	f.acct.logfile = "/nonexistent/dir/log";
	log_one(&f, 1, 0, NULL);
	ck_assert_int_eq(nsyslog, 1);
	fixture_free(&f);
}
END_TEST

/* The error line and the queue's notes follow the account's setting. */
START_TEST(notes)
{
	struct account a;

	memset(&a, 0, sizeof(a));
	nsyslog = 0;
	ck_assert_int_eq(log_facility(NULL), LOG_MAIL);
	a.syslog_facility = LOG_LOCAL3;
	ck_assert_int_eq(log_facility(&a), LOG_LOCAL3);
	a.syslog_facility = -1;
	ck_assert_int_eq(log_facility(&a), -1);

	log_note(log_facility(NULL), LOG_NOTICE, "%s: queued\r\nX: 1", "id");
	ck_assert_int_eq(nsyslog, 1);
	ck_assert_int_eq(syslog_pri, LOG_MAIL | LOG_NOTICE);
	ck_assert_str_eq(syslog_line, "id: queued\\x0d\\x0aX: 1");
	log_note(LOG_LOCAL3, LOG_ERR, "failed");
	ck_assert_int_eq(nsyslog, 2);
	ck_assert_int_eq(syslog_pri, LOG_LOCAL3 | LOG_ERR);
	ck_assert_str_eq(syslog_line, "failed");

	/* syslog off: nothing. */
	log_note(log_facility(&a), LOG_ERR, "failed");
	ck_assert_int_eq(nsyslog, 2);
}
END_TEST

/* msmtp's "logfile -": standard output. */
START_TEST(logfile_stdout)
{
	char cwd[256], buf[1024];
	struct fixture f;
	int fd, saved;
	ssize_t n;

	fixture_init(&f);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(f.dir), 0);
	f.acct.logfile = "-";
	f.acct.logfile_time_format = "";
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(f.logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_ne(dup2(fd, STDOUT_FILENO), -1);
	log_one(&f, 1, 0, NULL);
	fflush(stdout);
	ck_assert_int_ne(dup2(saved, STDOUT_FILENO), -1);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, " host=mx.example.org ", 21) == 0, "%s",
	    buf);
	ck_assert_int_eq(access("-", F_OK), -1);
	ck_assert_int_eq(chdir(cwd), 0);
	fixture_free(&f);
}
END_TEST

static const struct {
	int	 ex;
	const char *name;
} exnames[] = {
	{ 0, "EX_OK" }, { EX_USAGE, "EX_USAGE" }, { EX_DATAERR, "EX_DATAERR" },
	{ EX_NOUSER, "EX_NOUSER" }, { EX_UNAVAILABLE, "EX_UNAVAILABLE" },
	{ EX_TEMPFAIL, "EX_TEMPFAIL" }, { EX_PROTOCOL, "EX_PROTOCOL" },
	{ EX_NOPERM, "EX_NOPERM" }, { EX_CONFIG, "EX_CONFIG" },
};

START_TEST(exit_names)
{
	ck_assert_str_eq(log_exname(exnames[_i].ex), exnames[_i].name);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, success_line);
	tcase_add_test(tc, fallback_line);
	tcase_add_test(tc, failure_line);
	tcase_add_test(tc, unknown_size);
	tcase_add_test(tc, no_secret);
	tcase_add_test(tc, destinations);
	tcase_add_test(tc, notes);
	tcase_add_test(tc, logfile_stdout);
	tcase_add_loop_test(tc, exit_names, 0,
	    sizeof(exnames) / sizeof(exnames[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

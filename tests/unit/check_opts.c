/* SPDX-License-Identifier: ISC */
/*
 * Tests for opts.c: command lines as real programs write them (cron,
 * PHP, sudo, mutt), every option glued and separate, bundles, "--",
 * the ignored sendmail options, the refused modes and the checks
 * against line breaks in values.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "err.h"
#include "opts.h"

#define MAXARGS	16

struct ok_case {
	const char *argv[MAXARGS];	/* NULL-terminated */
	enum opts_mode mode;
	int	 read_rcpts;
	int	 ignore_dots;
	int	 verbose;
	int	 pretend;
	int	 read_envelope_from;
	const char *from;
	const char *full_name;
	const char *config;
	const char *account;
	const char *queue_id;
	int	 json;
	long	 warn_age, crit_age;
	const char *dsn_notify;
	const char *dsn_return;
	const char *dsn_envid;
	const char *body_type;
	int	 nrcpts;
	const char *rcpt0;
	const char *rcpt_last;
};

static const struct ok_case ok_cases[] = {
	/* Recipients. */
	{ .argv = { "sendmail", "a@example.org" },
	  .nrcpts = 1, .rcpt0 = "a@example.org" },
	{ .argv = { "/usr/sbin/sendmail", "a@x.org", "b@x.org", "root" },
	  .nrcpts = 3, .rcpt0 = "a@x.org", .rcpt_last = "root" },
	{ .argv = { "sendmail", "a@x.org,b@x.org" },
	  .nrcpts = 1, .rcpt0 = "a@x.org,b@x.org" },
	{ .argv = { "postie", "-t" }, .read_rcpts = 1 },
	{ .argv = { "postie", "-t", "extra@x.org" },
	  .read_rcpts = 1, .nrcpts = 1, .rcpt0 = "extra@x.org" },
	{ .argv = { "postie", "--read-recipients" }, .read_rcpts = 1 },
	/* Options after recipients are still options. */
	{ .argv = { "postie", "a@x.org", "-i" },
	  .ignore_dots = 1, .nrcpts = 1, .rcpt0 = "a@x.org" },
	/* "--" ends options. */
	{ .argv = { "postie", "--", "-i", "a@x.org" },
	  .nrcpts = 2, .rcpt0 = "-i", .rcpt_last = "a@x.org" },
	{ .argv = { "postie", "-i", "--", "--help" },
	  .ignore_dots = 1, .nrcpts = 1, .rcpt0 = "--help" },
	/* -i and -oi. */
	{ .argv = { "postie", "-i", "r" }, .ignore_dots = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-oi", "r" }, .ignore_dots = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-o", "i", "r" },
	  .ignore_dots = 1, .nrcpts = 1, .rcpt0 = "r" },
	/* -f, -r, --from. */
	{ .argv = { "postie", "-fme@x.org", "r" },
	  .from = "me@x.org", .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "postie", "-f", "me@x.org", "r" },
	  .from = "me@x.org", .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "postie", "-r", "me@x.org", "r" },
	  .from = "me@x.org", .nrcpts = 1 },
	{ .argv = { "postie", "-rme@x.org", "r" },
	  .from = "me@x.org", .nrcpts = 1 },
	{ .argv = { "postie", "--from=me@x.org", "r" },
	  .from = "me@x.org", .nrcpts = 1 },
	{ .argv = { "postie", "--from", "me@x.org", "r" },
	  .from = "me@x.org", .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "postie", "-f", "<>", "r" }, .from = "<>", .nrcpts = 1 },
	{ .argv = { "postie", "-f", "", "r" }, .from = "", .nrcpts = 1 },
	{ .argv = { "postie", "-f", "-t", "r" },
	  .from = "-t", .nrcpts = 1, .rcpt0 = "r" },
	/* -F. */
	{ .argv = { "postie", "-FCronDaemon", "r" },
	  .full_name = "CronDaemon", .nrcpts = 1 },
	{ .argv = { "postie", "-F", "Jane Doe", "r" },
	  .full_name = "Jane Doe", .nrcpts = 1, .rcpt0 = "r" },
	/* -C, --file, -a, --account. */
	{ .argv = { "postie", "-C", "/etc/x.conf", "r" },
	  .config = "/etc/x.conf", .nrcpts = 1 },
	{ .argv = { "postie", "-C/etc/x.conf", "r" },
	  .config = "/etc/x.conf", .nrcpts = 1 },
	{ .argv = { "postie", "--file=/etc/x.conf", "r" },
	  .config = "/etc/x.conf", .nrcpts = 1 },
	{ .argv = { "postie", "-a", "work", "r" },
	  .account = "work", .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "postie", "-awork", "r" }, .account = "work", .nrcpts = 1 },
	{ .argv = { "postie", "--account=work", "r" },
	  .account = "work", .nrcpts = 1 },
	{ .argv = { "postie", "--account", "work", "r" },
	  .account = "work", .nrcpts = 1, .rcpt0 = "r" },
	/* DSN and body type, normalised to upper case. */
	{ .argv = { "postie", "-N", "never", "r" },
	  .dsn_notify = "NEVER", .nrcpts = 1 },
	{ .argv = { "postie", "-Nfailure,delay", "r" },
	  .dsn_notify = "FAILURE,DELAY", .nrcpts = 1 },
	{ .argv = { "postie", "-N", "success,FAILURE,Delay", "r" },
	  .dsn_notify = "SUCCESS,FAILURE,DELAY", .nrcpts = 1 },
	{ .argv = { "postie", "-R", "hdrs", "r" },
	  .dsn_return = "HDRS", .nrcpts = 1 },
	{ .argv = { "postie", "-RFULL", "r" },
	  .dsn_return = "FULL", .nrcpts = 1 },
	{ .argv = { "postie", "-V", "id-42.x", "r" },
	  .dsn_envid = "id-42.x", .nrcpts = 1 },
	{ .argv = { "postie", "-B", "7bit", "r" },
	  .body_type = "7BIT", .nrcpts = 1 },
	{ .argv = { "postie", "-B8BITMIME", "r" },
	  .body_type = "8BITMIME", .nrcpts = 1 },
	/* Verbosity and modes. */
	{ .argv = { "postie", "-v", "r" }, .verbose = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-v", "-v", "-d", "r" },
	  .verbose = 3, .nrcpts = 1 },
	{ .argv = { "postie", "-vv", "r" }, .verbose = 2, .nrcpts = 1 },
	{ .argv = { "postie", "--debug", "r" }, .verbose = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-d0.1", "r" }, .verbose = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-P", "r" }, .pretend = 1, .nrcpts = 1 },
	{ .argv = { "postie", "--pretend", "r" }, .pretend = 1, .nrcpts = 1 },
	{ .argv = { "postie", "--dry-run", "r" }, .pretend = 1, .nrcpts = 1 },
	{ .argv = { "postie", "--read-envelope-from", "r" },
	  .read_envelope_from = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-S" }, .mode = OPTS_SERVERINFO },
	{ .argv = { "postie", "--serverinfo", "-a", "x" },
	  .mode = OPTS_SERVERINFO, .account = "x" },
	{ .argv = { "postie", "--check-auth" }, .mode = OPTS_CHECK_AUTH },
	{ .argv = { "postie", "--config-check" }, .mode = OPTS_CONFIG_CHECK },
	{ .argv = { "postie", "--config-check", "-C", "f", "-a", "x" },
	  .mode = OPTS_CONFIG_CHECK, .config = "f", .account = "x" },
	{ .argv = { "postie", "--config-check", "--help" }, .mode = OPTS_HELP },
	{ .argv = { "postie", "--help" }, .mode = OPTS_HELP },
	{ .argv = { "postie", "--version" }, .mode = OPTS_VERSION },
	{ .argv = { "postie", "--version", "--help" }, .mode = OPTS_HELP },
	{ .argv = { "postie", "--help", "-S" }, .mode = OPTS_HELP },
	{ .argv = { "newaliases" }, .mode = OPTS_NEWALIASES },
	{ .argv = { "/usr/bin/newaliases" }, .mode = OPTS_NEWALIASES },
	{ .argv = { "sendmail", "-bi" }, .mode = OPTS_NEWALIASES },
	{ .argv = { "sendmail", "-I" }, .mode = OPTS_NEWALIASES },
	{ .argv = { "mailq" }, .mode = OPTS_QUEUE_LIST },
	{ .argv = { "/usr/bin/mailq", "-v" }, .mode = OPTS_QUEUE_LIST,
	  .verbose = 1 },
	{ .argv = { "sendmail", "-bp" }, .mode = OPTS_QUEUE_LIST },
	{ .argv = { "sendmail", "-b", "p" }, .mode = OPTS_QUEUE_LIST },
	{ .argv = { "sendmail", "-q" }, .mode = OPTS_QUEUE_FLUSH },
	{ .argv = { "sendmail", "-qf" }, .mode = OPTS_QUEUE_FLUSH },
	{ .argv = { "sendmail", "-v", "-q" }, .mode = OPTS_QUEUE_FLUSH,
	  .verbose = 1 },
	{ .argv = { "postie", "-qI2026" }, .mode = OPTS_QUEUE_FLUSH,
	  .queue_id = "2026" },
	{ .argv = { "postie", "-qI", "20261122T1-ab" },
	  .mode = OPTS_QUEUE_FLUSH, .queue_id = "20261122T1-ab" },
	{ .argv = { "postie", "-v", "-qfI", "x" }, .mode = OPTS_QUEUE_FLUSH,
	  .verbose = 1, .queue_id = "x" },
	{ .argv = { "postie", "--requeue", "20261122T1-ab" },
	  .mode = OPTS_QUEUE_REQUEUE, .queue_id = "20261122T1-ab" },
	{ .argv = { "postie", "--requeue=x" },
	  .mode = OPTS_QUEUE_REQUEUE, .queue_id = "x" },
	/* Monitoring and managing the queue. */
	{ .argv = { "mailq", "--json" }, .mode = OPTS_QUEUE_LIST, .json = 1 },
	{ .argv = { "postie", "--json", "-bp" }, .mode = OPTS_QUEUE_LIST,
	  .json = 1 },
	{ .argv = { "postie", "--health" }, .mode = OPTS_QUEUE_HEALTH },
	{ .argv = { "postie", "--warn-age=30m", "--health", "--crit-age",
	    "2h" }, .mode = OPTS_QUEUE_HEALTH, .warn_age = 1800,
	  .crit_age = 7200 },
	{ .argv = { "postie", "--health", "--warn-age", "90",
	    "--crit-age=3d" }, .mode = OPTS_QUEUE_HEALTH, .warn_age = 90,
	  .crit_age = 259200 },
	{ .argv = { "postie", "--health", "--warn-age", "45s" },
	  .mode = OPTS_QUEUE_HEALTH, .warn_age = 45 },
	{ .argv = { "postie", "--delete", "20261122T1-ab" },
	  .mode = OPTS_QUEUE_DELETE, .queue_id = "20261122T1-ab" },
	{ .argv = { "postie", "--delete=failed" },
	  .mode = OPTS_QUEUE_DELETE, .queue_id = "failed" },
	{ .argv = { "postie", "--hold=x" }, .mode = OPTS_QUEUE_HOLD,
	  .queue_id = "x" },
	{ .argv = { "postie", "--release", "x" }, .mode = OPTS_QUEUE_RELEASE,
	  .queue_id = "x" },
	/* -bs: Laravel's and Symfony's command lines, and with options. */
	{ .argv = { "/usr/sbin/sendmail", "-bs", "-i" },
	  .mode = OPTS_SERVE_SMTP, .ignore_dots = 1 },
	{ .argv = { "/usr/sbin/sendmail", "-bs" }, .mode = OPTS_SERVE_SMTP },
	{ .argv = { "sendmail", "-b", "s" }, .mode = OPTS_SERVE_SMTP },
	{ .argv = { "postie", "-bs", "-a", "work", "-C", "f", "-f", "me@x.org",
	  "-v" }, .mode = OPTS_SERVE_SMTP, .account = "work", .config = "f",
	  .from = "me@x.org", .verbose = 1 },
	/* Bundles. */
	{ .argv = { "postie", "-ti" }, .read_rcpts = 1, .ignore_dots = 1 },
	{ .argv = { "postie", "-tiv", "r" },
	  .read_rcpts = 1, .ignore_dots = 1, .verbose = 1, .nrcpts = 1 },
	{ .argv = { "postie", "-itfroot" },
	  .read_rcpts = 1, .ignore_dots = 1, .from = "root" },
	{ .argv = { "postie", "-tf", "root" },
	  .read_rcpts = 1, .from = "root" },
	{ .argv = { "postie", "-nUmsPS" },
	  .pretend = 1, .mode = OPTS_SERVERINFO },
	/* Accepted and ignored sendmail options. */
	{ .argv = { "sendmail", "-oem", "-oep", "-odi", "-odb", "-odq",
	    "-oQ/var/spool", "-om", "-os", "-ow", "r" }, .nrcpts = 1,
	  .rcpt0 = "r" },
	{ .argv = { "sendmail", "-em", "-ep", "-eq", "-bm", "r" },
	  .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "sendmail", "-L", "tag", "-Ltag2", "-U", "-h", "5",
	    "-n", "-m", "-s", "r" }, .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "sendmail", "-X", "/tmp/log", "-G", "-Ac", "-Am",
	    "-h5", "r" }, .nrcpts = 1, .rcpt0 = "r" },
	{ .argv = { "sendmail", "-O", "DeliveryMode=b", "-pesmtp", "-c",
	    "r" }, .nrcpts = 1, .rcpt0 = "r" },
	/* Real callers. */
	{ .argv = { "/usr/sbin/sendmail", "-FCronDaemon", "-i", "-B8BITMIME",
	    "-oem", "user@example.org" },	/* Debian cron */
	  .full_name = "CronDaemon", .ignore_dots = 1,
	  .body_type = "8BITMIME", .nrcpts = 1, .rcpt0 = "user@example.org" },
	{ .argv = { "/usr/sbin/sendmail", "-FCronDaemon", "-i", "-odi",
	    "-oem", "-oi", "-t", "-f", "root" },	/* cronie */
	  .full_name = "CronDaemon", .ignore_dots = 1, .read_rcpts = 1,
	  .from = "root" },
	{ .argv = { "/usr/sbin/sendmail", "-t", "-i" },	/* PHP */
	  .read_rcpts = 1, .ignore_dots = 1 },
	{ .argv = { "/usr/sbin/sendmail", "-t" }, .read_rcpts = 1 }, /* sudo */
	{ .argv = { "/usr/sbin/sendmail", "-oem", "-oi", "--",
	    "a@b" },	/* mutt */
	  .ignore_dots = 1, .nrcpts = 1, .rcpt0 = "a@b" },
};

static void
to_argv(const char *const *in, char **out, int *argc)
{
	int n;

	for (n = 0; n < MAXARGS - 1 && in[n] != NULL; n++)
		out[n] = (char *)in[n];
	out[n] = NULL;
	*argc = n;
}

static void
str_eq(const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: got '%s', want NULL", what,
		    got);
	else {
		ck_assert_msg(got != NULL, "%s: got NULL, want '%s'", what,
		    want);
		ck_assert_str_eq(got, want);
	}
}

START_TEST(test_ok)
{
	const struct ok_case *c = &ok_cases[_i];
	struct postie_err e = { 0, "" };
	struct opts o;
	char *argv[MAXARGS];
	int argc;

	to_argv(c->argv, argv, &argc);
	ck_assert_msg(opts_parse(&o, argc, argv, &e) == 0,
	    "case %d (%s %s): %s", _i, c->argv[0], c->argv[1], e.msg);
	ck_assert_int_eq(o.mode, c->mode);
	ck_assert_int_eq(o.read_rcpts, c->read_rcpts);
	ck_assert_int_eq(o.ignore_dots, c->ignore_dots);
	ck_assert_int_eq(o.verbose, c->verbose);
	ck_assert_int_eq(o.pretend, c->pretend);
	ck_assert_int_eq(o.read_envelope_from, c->read_envelope_from);
	str_eq("from", o.from, c->from);
	str_eq("full_name", o.full_name, c->full_name);
	str_eq("config", o.config, c->config);
	str_eq("account", o.account, c->account);
	str_eq("dsn_notify", o.dsn_notify, c->dsn_notify);
	str_eq("dsn_return", o.dsn_return, c->dsn_return);
	str_eq("dsn_envid", o.dsn_envid, c->dsn_envid);
	str_eq("body_type", o.body_type, c->body_type);
	str_eq("queue_id", o.queue_id, c->queue_id);
	ck_assert_int_eq(o.json, c->json);
	ck_assert_int_eq(o.warn_age, c->warn_age);
	ck_assert_int_eq(o.crit_age, c->crit_age);
	ck_assert_int_eq(o.nrcpts, c->nrcpts);
	if (c->rcpt0 != NULL)
		ck_assert_str_eq(o.rcpts[0], c->rcpt0);
	if (c->rcpt_last != NULL)
		ck_assert_str_eq(o.rcpts[o.nrcpts - 1], c->rcpt_last);
	opts_free(&o);
}
END_TEST

struct bad_case {
	const char *argv[MAXARGS];
	int	 ex;
	const char *words;
};

static const struct bad_case bad_cases[] = {
	{ { "postie", "-q1h" }, EX_USAGE, "never runs as a daemon" },
	{ { "postie", "-qRfoo" }, EX_USAGE, "option -qRfoo is not supported" },
	{ { "postie", "-qI" }, EX_USAGE, "option -qI needs a queue id" },
	{ { "postie", "--requeue" }, EX_USAGE, "--requeue needs a value" },
	{ { "postie", "--delete" }, EX_USAGE, "--delete needs a value" },
	{ { "postie", "--hold" }, EX_USAGE, "--hold needs a value" },
	{ { "postie", "--release" }, EX_USAGE, "--release needs a value" },
	{ { "postie", "--json" }, EX_USAGE, "--json goes with mailq or -bp" },
	{ { "postie", "--json", "-q" }, EX_USAGE, "--json goes with mailq" },
	{ { "postie", "--json=1", "-bp" }, EX_USAGE, "--json takes no value" },
	{ { "mailq", "--warn-age=1h" }, EX_USAGE,
	  "--warn-age and --crit-age go with --health" },
	{ { "postie", "--crit-age=1h", "r" }, EX_USAGE, "go with --health" },
	{ { "postie", "--health", "--warn-age" }, EX_USAGE,
	  "option --warn-age needs a value" },
	{ { "postie", "--health", "--warn-age=0" }, EX_USAGE,
	  "option --warn-age: bad value '0': use a positive number" },
	{ { "postie", "--health", "--warn-age=" }, EX_USAGE,
	  "option --warn-age: bad value ''" },
	{ { "postie", "--health", "--crit-age=h" }, EX_USAGE,
	  "option --crit-age: bad value 'h'" },
	{ { "postie", "--health", "--crit-age=1hh" }, EX_USAGE,
	  "bad value '1hh'" },
	{ { "postie", "--health", "--crit-age=1w" }, EX_USAGE,
	  "bad value '1w'" },
	{ { "postie", "--health", "--crit-age=-1h" }, EX_USAGE,
	  "bad value '-1h'" },
	{ { "postie", "--health", "--crit-age=99999999999999999999d" },
	  EX_USAGE, "bad value '99999999999999999999d'" },
	{ { "postie", "--health", "--crit-age=9223372036854775807d" },
	  EX_USAGE, "bad value" },
	{ { "postie", "-bs", "r@x.org" }, EX_USAGE,
	  "option -bs takes no recipient arguments" },
	{ { "postie", "-bs", "-P" }, EX_USAGE, "option -bs takes no -P" },
	{ { "postie", "-bv", "r" }, EX_USAGE,
	  "option -bv is not supported yet" },
	{ { "postie", "-bt" }, EX_USAGE, "option -bt is not supported yet" },
	{ { "postie", "-bd" }, EX_USAGE, "never runs as a daemon" },
	{ { "postie", "-bx" }, EX_USAGE, "unknown option -bx" },
	{ { "postie", "-x", "r" }, EX_USAGE,
	  "unknown option -x (see postie --help)" },
	{ { "postie", "-tx", "r" }, EX_USAGE, "unknown option -x" },
	{ { "postie", "--bogus", "r" }, EX_USAGE, "unknown option --bogus" },
	{ { "postie", "--bogus=1", "r" }, EX_USAGE,
	  "unknown option --bogus (see" },
	{ { "postie", "-", "r" }, EX_USAGE, "unknown option -" },
	{ { "postie", "--help=yes" }, EX_USAGE, "--help takes no value" },
	{ { "postie", "-f" }, EX_USAGE, "option -f needs a value" },
	{ { "postie", "r", "-F" }, EX_USAGE, "option -F needs a value" },
	{ { "postie", "r", "--account" }, EX_USAGE,
	  "option --account needs a value" },
	{ { "postie", "-a", "", "r" }, EX_USAGE, "empty account name" },
	{ { "postie", "-f", "a@x.org\r\nRCPT TO:<b@x.org>", "r" }, EX_USAGE,
	  "option -f: value contains CR or LF" },
	{ { "postie", "-fa@x.org\n", "r" }, EX_USAGE,
	  "option -f: value contains CR or LF" },
	{ { "postie", "-r", "a\r", "r" }, EX_USAGE,
	  "option -r: value contains CR or LF" },
	{ { "postie", "--from=a\nb", "r" }, EX_USAGE, "contains CR or LF" },
	{ { "postie", "-F", "Cron\nBcc: x@y", "r" }, EX_USAGE,
	  "option -F: value contains CR or LF" },
	{ { "postie", "-FCron\r", "r" }, EX_USAGE,
	  "option -F: value contains CR or LF" },
	{ { "postie", "-a", "x\ny", "r" }, EX_USAGE,
	  "option -a: value contains CR or LF" },
	{ { "postie", "a@x.org\nb@x.org" }, EX_USAGE,
	  "recipient argument 1 contains CR or LF" },
	{ { "postie", "a@x.org", "b@x.org\r" }, EX_USAGE,
	  "recipient argument 2 contains CR or LF" },
	{ { "postie", "--", "a\n" }, EX_USAGE, "contains CR or LF" },
	{ { "postie", "-t", "x\ny" }, EX_USAGE, "contains CR or LF" },
	{ { "postie", "-N", "sometimes", "r" }, EX_USAGE,
	  "option -N: bad value 'sometimes'" },
	{ { "postie", "-N", "success,success", "r" }, EX_USAGE,
	  "option -N: bad value" },
	{ { "postie", "-N", "never,success", "r" }, EX_USAGE,
	  "option -N: bad value" },
	{ { "postie", "-N", ",", "r" }, EX_USAGE, "option -N: bad value" },
	{ { "postie", "-R", "body", "r" }, EX_USAGE, "full or hdrs" },
	{ { "postie", "-B", "binarymime", "r" }, EX_USAGE,
	  "7BIT or 8BITMIME" },
	{ { "postie", "-V", "has space", "r" }, EX_USAGE,
	  "printable ASCII" },
	{ { "postie", "-V", "a\nb", "r" }, EX_USAGE, "printable ASCII" },
	{ { "postie", "-V",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890", "r" }, EX_USAGE,
	  "1 to 100 characters" },
	{ { "postie" }, EX_USAGE, "no recipients" },
	{ { "sendmail", "-i", "-oem" }, EX_USAGE, "no recipients" },
	{ { "postie", "-i", "--" }, EX_USAGE, "no recipients" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct postie_err e = { 0, "" };
	struct opts o;
	char *argv[MAXARGS];
	int argc;

	to_argv(c->argv, argv, &argc);
	ck_assert_msg(opts_parse(&o, argc, argv, &e) == -1,
	    "case %d (%s %s) accepted", _i, c->argv[0], c->argv[1]);
	ck_assert_int_eq(e.ex, c->ex);
	ck_assert_msg(strstr(e.msg, c->words) != NULL,
	    "case %d: '%s' does not contain '%s'", _i, e.msg, c->words);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
	ck_assert_ptr_null(o.rcpts);
}
END_TEST

/* The offending byte of an unknown option is shown safely. */
START_TEST(test_unknown_sanitized)
{
	struct postie_err e = { 0, "" };
	struct opts o;
	char *argv[] = { "postie", "-\033", "r", NULL };

	ck_assert_int_eq(opts_parse(&o, 3, argv, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_null(strchr(e.msg, '\033'));
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown option -\\x1b"));
}
END_TEST

/* No argv at all (execve with an empty vector): send mode, no rcpts. */
START_TEST(test_empty_argv)
{
	struct postie_err e = { 0, "" };
	struct opts o;
	char *argv[] = { NULL };

	ck_assert_int_eq(opts_parse(&o, 0, argv, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "no recipients"));
}
END_TEST

START_TEST(test_progname)
{
	struct postie_err e = { 0, "" };
	struct opts o;
	char *argv[] = { "/usr/sbin/sendmail", "r", NULL };

	ck_assert_int_eq(opts_parse(&o, 2, argv, &e), 0);
	ck_assert_str_eq(o.progname, "sendmail");
	opts_free(&o);
}
END_TEST

START_TEST(test_usage)
{
	char buf[8192];
	FILE *fp;
	static const char *const opts[] = { "-t", "-i, -oi", "-f ADDR",
	    "-F NAME", "--read-envelope-from", "-C FILE", "--account=NAME",
	    "-N never", "-R full|hdrs", "-V ENVID", "-B 7BIT|8BITMIME",
	    "--debug", "--pretend", "--dry-run", "--serverinfo",
	    "--check-auth", "--config-check", "--help", "--version", "-bp",
	    "newaliases", "--json", "--requeue=ID", "--hold=ID",
	    "--release=ID", "--delete=ID", "--delete=failed", "--health",
	    "--warn-age=AGE", "--crit-age=AGE", NULL };
	size_t i, n;
	char *line, *last;

	fp = fmemopen(buf, sizeof(buf), "w");
	ck_assert_ptr_nonnull(fp);
	opts_usage(fp);
	n = (size_t)ftell(fp);
	fclose(fp);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, sizeof(buf) - 1);
	for (i = 0; opts[i] != NULL; i++)
		ck_assert_msg(strstr(buf, opts[i]) != NULL, "usage lacks %s",
		    opts[i]);
	for (line = strtok_r(buf, "\n", &last); line != NULL;
	    line = strtok_r(NULL, "\n", &last))
		ck_assert_uint_le(strlen(line), 79);
}
END_TEST

static Suite *
opts_suite(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("opts");

	tcase_add_loop_test(tc, test_ok, 0,
	    (int)(sizeof(ok_cases) / sizeof(ok_cases[0])));
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_unknown_sanitized);
	tcase_add_test(tc, test_empty_argv);
	tcase_add_test(tc, test_progname);
	tcase_add_test(tc, test_usage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(opts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

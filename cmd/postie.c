/* SPDX-License-Identifier: ISC */
/*
 * postie's main: hardens the process, reads its surroundings once
 * (sysenv), parses the command line, prepares the job and hands it to
 * deliver (or prints it for --pretend).  Prints the one error line and
 * exits with its sysexits(3) code.  Everything that does work lives in
 * src/.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "err.h"
#include "job.h"
#include "log.h"
#include "login.h"
#include "metrics.h"
#include "monitor.h"
#include "opts.h"
#include "queue.h"
#include "serve.h"
#include "sysenv.h"

static const char *
exit_msg(const struct postie_err *e)
{
	return e->msg[0] != '\0' ? e->msg : "failed for an unknown reason";
}

/* facility: the account's syslog setting (log_facility). */
static int
fail(const struct postie_err *e, int facility)
{
	/* Unclassified means "try later", never success. */
	int ex = e->ex != 0 ? e->ex : EX_TEMPFAIL;

	fprintf(stderr, "postie: %s\n", exit_msg(e));
	log_note(facility, LOG_ERR, "%s", exit_msg(e));
	return ex;
}

/*
 * Before anything else: fds 0-2 open (so that no file we open becomes
 * someone's stdout), nothing inherited beyond them, no core dumps and no
 * ptrace by other users (passwords live in memory), private files; the
 * default SIGCHLD even when the caller ignored it (passwordeval's status).
 */
static int
harden(void)
{
	struct rlimit rl = { 0, 0 };
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd != fd)
			return -1;
	}
	closefrom(3);
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return -1;
#ifdef __linux__
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
#endif
	umask(077);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGCHLD, SIG_DFL) == SIG_ERR)
		return -1;
	return 0;
}

static int
finish_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "postie: writing to standard output: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}

static void
print_notes(const struct job *job)
{
	const char *w;
	size_t i;

	if (job->verbose == 0)
		return;
	if (job->conf != NULL)
		for (i = 0; (w = conf_warning(job->conf, i)) != NULL; i++)
			fprintf(stderr, "postie: %s\n", w);
	if (job->note[0] != '\0')
		fprintf(stderr, "postie: %s\n", job->note);
}

/* --login [ACCOUNT]: the first OAuth 2.0 sign-in. */
static int
login(const struct opts *o, struct sysenv *sys, struct postie_err *e)
{
	char path[PATH_MAX];
	struct job job;
	int facility, rc;

	rc = job_load_account(&job, o, sys, e);
	print_notes(&job);
	if (rc == 0)
		rc = login_run(job.acct, sys, stdin, stdout, path,
		    sizeof(path), e);
	if (rc == 0)
		printf("postie: account %s is signed in; its refresh token is "
		    "stored in %s\n", job.acct->name, path);
	facility = log_facility(job.acct);
	job_free(&job);
	if (rc == -1)
		return fail(e, facility);
	return finish_stdout();
}

static int
serverinfo(const struct opts *o, struct sysenv *sys, struct postie_err *e)
{
	struct job job;
	int facility, rc;

	rc = job_load_account(&job, o, sys, e);
	print_notes(&job);
	if (rc == 0 && o->mode == OPTS_CHECK_AUTH &&
	    job.acct->auth == AUTH_OFF) {
		/* Saying nothing failed would claim a login that never was. */
		err_setx(e, EX_CONFIG, "--check-auth: account %s has auth "
		    "off: there are no credentials to check (%s:%d)",
		    job.acct->name, job.acct->file, job.acct->line);
		rc = -1;
	}
	if (rc == 0)
		rc = submit_serverinfo(job.acct, sys, o->verbose,
		    o->mode == OPTS_CHECK_AUTH, stdout, e);
	facility = log_facility(job.acct);
	job_free(&job);
	if (rc == -1)
		return fail(e, facility);
	return finish_stdout();
}

/* --config-check: 0 when the config is usable, else EX_CONFIG. */
static int
config_check(const struct opts *o, struct sysenv *sys, struct postie_err *e)
{
	size_t n;

	if (job_config_check(o, sys, stdout, &n, e) == -1)
		return fail(e, log_facility(NULL));
	return n == 0 ? EX_OK : EX_CONFIG;
}

/* How long the flush after a successful submission may go on. */
#define AFTER_SEND_FLUSH_SECONDS	30

/*
 * After a message went out, the smarthost is reachable: deliver what is
 * due in the queue for the same config, within a bounded time, quietly
 * unless -v.  Nothing is created when there is no queue yet.
 */
static void
flush_after_send(const struct job *job, const struct deliver_ctx *ctx)
{
	struct deliver_flush f;
	struct postie_err e;
	struct queue *q;
	struct stat st;
	char dir[4096];

	if (job->acct == NULL || !job->acct->queue || !job->acct->queue_flush ||
	    queue_default_dir(dir, sizeof(dir), ctx->sys, &e) == -1 ||
	    stat(dir, &st) == -1 || queue_open(&q, dir, &e) == -1)
		return;
	memset(&f, 0, sizeof(f));
	f.only_config = job->config_arg != NULL ? job->config_arg : "";
	f.due_only = 1;
	f.deadline = time(NULL) + AFTER_SEND_FLUSH_SECONDS;
	deliver_flush(q, ctx, &f, &e);
	queue_close(q);
}

/*
 * The metrics file after a send or a flush: a failure there is logged,
 * never the run's.
 */
static void
metrics_done(struct metrics *m, int opened, const struct postie_err *me)
{
	struct postie_err e = { 0, "" };

	if (opened == 0 && metrics_close(m, time(NULL), &e) == 0)
		return;
	log_note(log_facility(NULL), LOG_WARNING, "%s",
	    exit_msg(opened == -1 ? me : &e));
}

static int
send_mail(const struct opts *o, struct sysenv *sys, struct postie_err *e)
{
	struct deliver_ctx ctx;
	struct postie_err me = { 0, "" };
	struct metrics *m = NULL;
	struct job job;
	int ex, sent, facility, mo = 0;

	if (o->pretend) {
		ex = job_prepare(&job, o, sys, STDIN_FILENO, e);
		print_notes(&job);
		if (ex == 0)
			ex = job_print(&job, stdout, e);
		facility = log_facility(job.acct);
		job_free(&job);
		return ex == -1 ? fail(e, facility) : finish_stdout();
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.sys = sys;
	ctx.verbose = o->verbose;
	ctx.tr = stderr;
	/* deliver_send logs its line itself, with the account's facility. */
	ex = deliver_send(o, STDIN_FILENO, &ctx, &job, &sent, e);
	print_notes(&job);
	if (e->msg[0] != '\0')
		fprintf(stderr, "postie: %s\n", e->msg);
	if (job.acct != NULL) {
		mo = metrics_open(&m, job.conf, sys, &me);
		metrics_outcome(m, job.config_arg, job.acct->name, sent);
	}
	if (sent) {
		ctx.tr = o->verbose ? stderr : NULL;
		flush_after_send(&job, &ctx);
	}
	if (m != NULL || mo == -1)
		metrics_done(m, mo, &me);
	job_free(&job);
	return ex;
}

/* mailq --json: the queue read only; no queue yet, no line. */
static int
queue_json(const struct sysenv *sys, struct postie_err *e)
{
	struct queue *q;
	char dir[4096];
	int rc;

	if (queue_default_dir(dir, sizeof(dir), sys, e) == -1)
		return fail(e, log_facility(NULL));
	if (queue_open_readonly(&q, dir, geteuid(), e) == -1)
		return e->ex == EX_NOINPUT ? finish_stdout() :
		    fail(e, log_facility(NULL));
	rc = monitor_json(q, stdout, e);
	queue_close(q);
	return rc == -1 ? fail(e, log_facility(NULL)) : finish_stdout();
}

/*
 * --health: the user's queue, and for root every drop queue too; the
 * plugin's line and exit code (3 when the queue cannot be read).
 */
static int
health(const struct opts *o, const struct sysenv *sys)
{
	struct monitor_health h;
	struct postie_err e;
	char dir[4096], drop[4096], line[2048];
	time_t now = time(NULL);
	long warn, crit;
	int st;

	if (monitor_thresholds(o->warn_age, o->crit_age, &warn, &crit,
	    &e) == -1 || queue_default_dir(dir, sizeof(dir), sys, &e) == -1 ||
	    (geteuid() == 0 && queue_drop_dir(drop, sizeof(drop), sys,
	    &e) == -1) ||
	    monitor_health_read(&h, dir, geteuid() == 0 ? drop : NULL,
	    &e) == -1) {
		monitor_unknown_line(line, sizeof(line), e.msg);
		st = MONITOR_UNKNOWN;
	} else {
		monitor_health_line(line, sizeof(line), &h, now, warn, crit);
		st = monitor_health_status(&h, now, warn, crit);
	}
	printf("%s\n", line);
	return finish_stdout() == EX_OK ? st : MONITOR_UNKNOWN;
}

/* Say and log what --delete, --hold or --release did to id. */
static void
queue_said(const char *id, const char *what, const char *hint)
{
	printf("%s: %s%s\n", id, what, hint);
	log_note(log_facility(NULL), LOG_NOTICE, "%s: %s by uid %u", id, what,
	    (unsigned)getuid());
}

/* --delete ID (from the queue, else from failed/), --delete failed. */
static int
queue_delete_mode(struct queue *q, const char *id, struct postie_err *e)
{
	char **ids;
	size_t n, i;
	int rc = 0;

	if (strcmp(id, "failed") == 0) {
		if (queue_ids(q, 1, &ids, &n, e) == -1)
			return -1;
		for (i = 0; i < n && rc == 0; i++)
			if ((rc = queue_delete(q, 1, ids[i], e)) == 0)
				queue_said(ids[i], "deleted from failed/", "");
		queue_ids_free(ids, n);
		if (n == 0)
			printf("no failed message to delete\n");
		return rc;
	}
	if (queue_delete(q, 0, id, e) == 0) {
		queue_said(id, "deleted from the queue", "");
		return 0;
	}
	if (e->ex != EX_NOINPUT)
		return -1;
	if (queue_delete(q, 1, id, e) == 0) {
		queue_said(id, "deleted from failed/", "");
		return 0;
	}
	if (e->ex == EX_NOINPUT)
		err_setx(e, EX_NOINPUT, "queue: no message %s in %s or its "
		    "failed/", id, queue_dir(q));
	return -1;
}

/*
 * -bs: SMTP on stdin and stdout.  Quiet on stderr but for -v and the
 * one error line (a PHP caller may never read its stderr pipe).
 */
static int
serve_mode(const struct opts *o, struct sysenv *sys, struct postie_err *e)
{
	struct deliver_ctx ctx;
	struct postie_err me = { 0, "" };
	struct metrics *m = NULL;
	int rc, mo;

	memset(&ctx, 0, sizeof(ctx));
	ctx.sys = sys;
	ctx.verbose = o->verbose;
	ctx.tr = o->verbose ? stderr : NULL;
	mo = metrics_open_config(&m, o->config, sys, &me);
	rc = serve_smtp(o, STDIN_FILENO, STDOUT_FILENO, &ctx, e);
	if (m != NULL || mo == -1)
		metrics_done(m, mo, &me);
	if (rc != 0)
		return fail(e, log_facility(NULL));
	return EX_OK;
}

/* mailq, -bp, -q, --requeue, --delete, --hold, --release. */
static int
queue_mode(const struct opts *o, struct sysenv *sys, struct postie_err *e)
{
	struct deliver_flush f;
	struct deliver_ctx ctx;
	struct postie_err me = { 0, "" };
	struct metrics *m = NULL;
	struct queue *q = NULL;
	char *only = NULL, hint[128];
	int rc = -1, mo = 0;

	memset(&f, 0, sizeof(f));
	if (o->mode == OPTS_QUEUE_LIST && o->json)
		return queue_json(sys, e);
	if (deliver_open_queue(&q, sys, e) == -1)
		goto done;
	switch (o->mode) {
	case OPTS_QUEUE_LIST:
		rc = queue_print(q, stdout, e);
		break;
	case OPTS_QUEUE_REQUEUE:
		if ((rc = queue_requeue(q, o->queue_id, e)) == 0)
			printf("%s: back in the queue; 'postie -q' delivers "
			    "it\n", o->queue_id);
		break;
	case OPTS_QUEUE_DELETE:
		rc = queue_delete_mode(q, o->queue_id, e);
		break;
	case OPTS_QUEUE_HOLD:
		snprintf(hint, sizeof(hint), "; 'postie --release %s' lets a "
		    "flush send it", o->queue_id);
		if ((rc = queue_hold(q, o->queue_id, 1, e)) == 0)
			queue_said(o->queue_id, "put on hold", hint);
		break;
	case OPTS_QUEUE_RELEASE:
		if ((rc = queue_hold(q, o->queue_id, 0, e)) == 0)
			queue_said(o->queue_id, "released", "; 'postie -q' "
			    "delivers it");
		break;
	default:
		/* -C X -q: only X's messages; -q: each through its own. */
		if (o->config != NULL &&
		    job_config_arg(o->config, &only, e) == -1)
			break;
		memset(&ctx, 0, sizeof(ctx));
		ctx.sys = sys;
		ctx.verbose = o->verbose;
		ctx.tr = stderr;
		f.only_id = o->queue_id;
		f.only_config = only;
		mo = metrics_open_config(&m, only, sys, &me);
		rc = deliver_flush(q, &ctx, &f, e);
		/*
		 * Root's flush also delivers the drop spool, with the system
		 * config only (or the one -C names).
		 */
		if (rc == 0 && sysenv_euid(sys) == 0 && o->queue_id == NULL)
			rc = deliver_flush_drops(&ctx, &f, only != NULL ?
			    only : SYSCONFDIR "/postie.conf", e);
		/* Quiet unless -v or something needs attention (cron). */
		if (rc == 0 && o->verbose)
			printf("queue %s: %zu delivered, %zu kept for a later "
			    "try, %zu failed for good, %zu skipped\n",
			    queue_dir(q), f.sent, f.retry, f.failed,
			    f.skipped);
		if (m != NULL || mo == -1)
			metrics_done(m, mo, &me);
		break;
	}
done:
	free(only);
	queue_close(q);
	/* Each message is logged with its own account's facility. */
	if (rc == -1)
		return fail(e, log_facility(NULL));
	rc = finish_stdout();
	return rc == EX_OK && o->mode == OPTS_QUEUE_FLUSH ? f.ex : rc;
}

int
main(int argc, char **argv)
{
	struct postie_err e = { 0, "" };
	struct sysenv *sys;
	struct opts o;
	int ex;

	if (harden() == -1)
		return EX_OSERR;
	/* The environment is read here, once, and passed down. */
	if (sysenv_load(&sys, &e) == -1)
		return fail(&e, log_facility(NULL));
	openlog("postie", LOG_PID, LOG_MAIL);
	if (opts_parse(&o, argc, argv, &e) == -1) {
		sysenv_free(sys);
		return fail(&e, log_facility(NULL));
	}
	switch (o.mode) {
	case OPTS_HELP:
		opts_usage(stdout);
		ex = finish_stdout();
		break;
	case OPTS_VERSION:
		printf("postie %s\n", PACKAGE_VERSION);
		ex = finish_stdout();
		break;
	case OPTS_NEWALIASES:
		printf("postie: newaliases: nothing to do: postie reads the "
		    "aliases file itself\n");
		ex = finish_stdout();
		break;
	case OPTS_SERVERINFO:
	case OPTS_CHECK_AUTH:
		ex = serverinfo(&o, sys, &e);
		break;
	case OPTS_CONFIG_CHECK:
		ex = config_check(&o, sys, &e);
		break;
	case OPTS_LOGIN:
		ex = login(&o, sys, &e);
		break;
	case OPTS_QUEUE_LIST:
	case OPTS_QUEUE_FLUSH:
	case OPTS_QUEUE_REQUEUE:
	case OPTS_QUEUE_DELETE:
	case OPTS_QUEUE_HOLD:
	case OPTS_QUEUE_RELEASE:
		ex = queue_mode(&o, sys, &e);
		break;
	case OPTS_QUEUE_HEALTH:
		ex = health(&o, sys);
		break;
	case OPTS_SERVE_SMTP:
		ex = serve_mode(&o, sys, &e);
		break;
	default:
		ex = send_mail(&o, sys, &e);
		break;
	}
	opts_free(&o);
	sysenv_free(sys);
	closelog();
	return ex;
}

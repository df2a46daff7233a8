/* SPDX-License-Identifier: ISC */
/*
 * Submission records to syslog (the account's facility) and the account's
 * logfile, in msmtp's key=value shape, and the other lines for syslog (the
 * error line, the queue's notes): the one place that calls syslog(3), so
 * that "syslog off" holds for all of them.  Untrusted text (server
 * replies, addresses) is sanitized before it is written.  Owns no SMTP
 * logic.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

#define LOG_LINE	2048

const char *
log_exname(int ex)
{
	switch (ex) {
	case 0:			return "EX_OK";
	case EX_USAGE:		return "EX_USAGE";
	case EX_DATAERR:	return "EX_DATAERR";
	case EX_NOINPUT:	return "EX_NOINPUT";
	case EX_NOUSER:		return "EX_NOUSER";
	case EX_NOHOST:		return "EX_NOHOST";
	case EX_UNAVAILABLE:	return "EX_UNAVAILABLE";
	case EX_SOFTWARE:	return "EX_SOFTWARE";
	case EX_OSERR:		return "EX_OSERR";
	case EX_OSFILE:		return "EX_OSFILE";
	case EX_CANTCREAT:	return "EX_CANTCREAT";
	case EX_IOERR:		return "EX_IOERR";
	case EX_TEMPFAIL:	return "EX_TEMPFAIL";
	case EX_PROTOCOL:	return "EX_PROTOCOL";
	case EX_NOPERM:		return "EX_NOPERM";
	case EX_CONFIG:		return "EX_CONFIG";
	default:		return "EX_UNKNOWN";
	}
}

/* Append " key=value" with value sanitized; truncation keeps the start. */
static void
log_kv(char *line, size_t linesz, const char *key, const char *val)
{
	char clean[LOG_LINE];

	err_sanitize(clean, sizeof(clean), val, strlen(val));
	strlcat(line, " ", linesz);
	strlcat(line, key, linesz);
	strlcat(line, "=", linesz);
	strlcat(line, clean, linesz);
}

static void
log_build(char *line, size_t linesz, const struct log_attempt *la)
{
	const struct account *a = la->acct;
	const struct envelope *env = la->env;
	char num[32], rcpts[LOG_LINE];
	size_t i;

	line[0] = '\0';
	log_kv(line, linesz, "host", a->host != NULL ? a->host : "");
	snprintf(num, sizeof(num), "%d", a->port);
	log_kv(line, linesz, "port", num);
	log_kv(line, linesz, "tls", a->tls ? "on" : "off");
	log_kv(line, linesz, "auth",
	    la->auth_mech != NULL && la->auth_mech[0] != '\0' ? la->auth_mech :
	    (a->auth != AUTH_OFF ? "on" : "off"));
	if (a->user != NULL)
		log_kv(line, linesz, "user", a->user);
	log_kv(line, linesz, "from", env != NULL && env->from != NULL ?
	    env->from : "");
	rcpts[0] = '\0';
	for (i = 0; env != NULL && i < env->rcpts.n; i++) {
		if (i > 0)
			strlcat(rcpts, ",", sizeof(rcpts));
		strlcat(rcpts, env->rcpts.v[i].spec, sizeof(rcpts));
	}
	log_kv(line, linesz, "recipients", rcpts);
	if (la->size >= 0) {
		snprintf(num, sizeof(num), "%lld", la->size);
		log_kv(line, linesz, "mailsize", num);
	}
	if (la->final_code != 0) {
		snprintf(num, sizeof(num), "%d", la->final_code);
		log_kv(line, linesz, "smtpstatus", num);
		log_kv(line, linesz, "smtpmsg", la->final_reply != NULL ?
		    la->final_reply : "");
	}
	/* A fallback account says so; other lines stay msmtp's. */
	if (la->fallback_for != NULL) {
		log_kv(line, linesz, "account", a->name);
		log_kv(line, linesz, "fallback_for", la->fallback_for);
	}
	log_kv(line, linesz, "exitcode", log_exname(la->ex));
	if (la->ex != 0 && la->errmsg != NULL)
		log_kv(line, linesz, "error", la->errmsg);
}

/* The time format comes from the user's own config (logfile_time_format). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t
log_strftime(char *buf, size_t bufsz, const char *fmt, const struct tm *tm)
{
	return strftime(buf, bufsz, fmt, tm);
}
#pragma GCC diagnostic pop

static void
log_file(const struct account *a, const char *line)
{
	const char *fmt;
	char stamp[128];
	struct tm tm;
	time_t now;
	FILE *fp;
	int fd;

	if (strcmp(a->logfile, "-") == 0)	/* msmtp: standard output */
		fp = stdout;
	else {
		fd = open(a->logfile, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0600);
		if (fd == -1)
			return;
		if ((fp = fdopen(fd, "a")) == NULL) {
			close(fd);
			return;
		}
	}
	fmt = a->logfile_time_format != NULL ? a->logfile_time_format :
	    "%b %d %H:%M:%S";
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    log_strftime(stamp, sizeof(stamp), fmt, &tm) == 0)
		stamp[0] = '\0';
	fprintf(fp, "%s%s\n", stamp, line);
	if (fp == stdout)
		fflush(fp);
	else
		fclose(fp);
}

int
log_facility(const struct account *a)
{
	return a != NULL ? a->syslog_facility : LOG_MAIL;
}

/* The only call of syslog(3). */
static void
log_syslog(int facility, int prio, const char *line)
{
	if (facility != -1)
		syslog(facility | prio, "%s", line);
}

void
log_submission(const struct log_attempt *la)
{
	char line[LOG_LINE];

	if (la->acct == NULL)
		return;
	log_build(line, sizeof(line), la);
	log_syslog(la->acct->syslog_facility, la->ex == 0 ? LOG_INFO :
	    LOG_ERR, line + 1);
	if (la->acct->logfile != NULL)
		log_file(la->acct, line);
}

void
log_note(int facility, int prio, const char *fmt, ...)
{
	char line[LOG_LINE], clean[LOG_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	err_sanitize(clean, sizeof(clean), line, strlen(line));
	log_syslog(facility, prio, clean);
}

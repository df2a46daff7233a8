/* SPDX-License-Identifier: ISC */
/*
 * mailq --json and postie --health (see monitor.h): what a monitor reads
 * of the queues, read only.  The JSON is written by hand, each string
 * through json_string.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "monitor.h"

static const char *
monitor_fault_name(enum queue_fault f)
{
	switch (f) {
	case QUEUE_FAULT_TEMP:
		return "temporary";
	case QUEUE_FAULT_ACCOUNT:
		return "account";
	default:
		return NULL;
	}
}

static void
monitor_json_record(FILE *out, const struct queue_env *env, int failed)
{
	const char *state = failed ? "failed" : env->held ? "held" : "queued";
	const char *err;
	size_t i;

	fputs("{\"id\":", out);
	json_string(out, env->id);
	fputs(",\"state\":", out);
	json_string(out, state);
	fputs(",\"config\":", out);
	json_string(out, env->config);
	fputs(",\"account\":", out);
	json_string(out, env->account);
	fprintf(out, ",\"created\":%lld", (long long)env->created);
	if (failed)
		fputs(",\"next_try\":null", out);
	else
		fprintf(out, ",\"next_try\":%lld", (long long)env->next_try);
	fprintf(out, ",\"attempts\":%d,\"size\":%lld,\"sender\":",
	    env->attempts, (long long)env->size);
	json_string(out, env->env.from);
	fputs(",\"recipients\":[", out);
	for (i = 0; i < env->env.rcpts.n; i++) {
		err = i < env->nrcpt_error && env->rcpt_error[i] != NULL ?
		    env->rcpt_error[i] : env->last_error;
		fputs(i > 0 ? ",{\"address\":" : "{\"address\":", out);
		json_string(out, env->env.rcpts.v[i].spec);
		fputs(",\"state\":", out);
		json_string(out, state);
		fputs(",\"last_error\":", out);
		json_string(out, err);
		putc('}', out);
	}
	fputs("],\"last_error\":", out);
	json_string(out, env->last_error);
	fputs(",\"fault\":", out);
	json_string(out, failed ? NULL : monitor_fault_name(env->fault));
	fprintf(out, ",\"raw\":%s}\n", env->raw ? "true" : "false");
}

int
monitor_walk(struct queue *q, void (*fn)(void *, const char *,
    const struct queue_env *, int, const struct postie_err *), void *arg,
    struct postie_err *e)
{
	struct queue_env env;
	struct postie_err re;
	char **ids;
	size_t n, i;
	int failed;

	for (failed = 0; failed <= 1; failed++) {
		if (queue_ids(q, failed, &ids, &n, e) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if (queue_env_read(q, failed, ids[i], &env, &re) == 0) {
				fn(arg, ids[i], &env, failed, &re);
				queue_env_free(&env);
			} else if (re.ex != EX_NOINPUT)	/* else delivered */
				fn(arg, ids[i], NULL, failed, &re);
		}
		queue_ids_free(ids, n);
	}
	return 0;
}

static void
monitor_json_one(void *arg, const char *id, const struct queue_env *env,
    int failed, const struct postie_err *re)
{
	FILE *out = arg;

	if (env != NULL) {
		monitor_json_record(out, env, failed);
		return;
	}
	fputs("{\"id\":", out);
	json_string(out, id);
	fputs(",\"state\":", out);
	json_string(out, failed ? "failed" : "queued");
	fputs(",\"error\":", out);
	json_string(out, re->msg);
	fputs("}\n", out);
}

int
monitor_json(struct queue *q, FILE *out, struct postie_err *e)
{
	return monitor_walk(q, monitor_json_one, out, e);
}

void
monitor_health_add(struct monitor_health *h, const struct queue_env *env,
    int failed)
{
	time_t created = env->created > 0 ? env->created : 1;

	if (failed) {
		h->failed++;
		return;
	}
	h->queued++;
	if (env->held) {
		h->held++;
		return;
	}
	if (env->fault == QUEUE_FAULT_ACCOUNT && h->account++ == 0) {
		strlcpy(h->account_id, env->id, sizeof(h->account_id));
		strlcpy(h->account_error, env->last_error != NULL ?
		    env->last_error : "", sizeof(h->account_error));
	}
	if (h->oldest == 0 || created < h->oldest)
		h->oldest = created;
}

static void
monitor_health_one(void *arg, const char *id, const struct queue_env *env,
    int failed, const struct postie_err *re)
{
	struct monitor_health *h = arg;

	if (env != NULL)
		monitor_health_add(h, env, failed);
	else
		h->unreadable++;
}

int
monitor_health_scan(struct monitor_health *h, struct queue *q,
    struct postie_err *e)
{
	return monitor_walk(q, monitor_health_one, h, e);
}

/* Count the queue at dir of owner, when there is one. */
static int
monitor_health_dir(struct monitor_health *h, const char *dir, uid_t owner,
    struct postie_err *e)
{
	struct queue *q;
	int rv;

	if (queue_open_readonly(&q, dir, owner, e) == -1)
		return e->ex == EX_NOINPUT ? 0 : -1;
	rv = monitor_health_scan(h, q, e);
	queue_close(q);
	return rv;
}

int
monitor_health_read(struct monitor_health *h, const char *dir,
    const char *drop, struct postie_err *e)
{
	char path[4096 + 256 + 2];
	struct dirent *de;
	struct stat st;
	uid_t uid;
	DIR *d;
	int fd, rv = 0;

	memset(h, 0, sizeof(*h));
	if (monitor_health_dir(h, dir, geteuid(), e) == -1)
		return -1;
	if (drop == NULL)
		return 0;
	if ((fd = open(drop, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 && errno == ENOENT)
		return 0;	/* no spool: nobody can have used it */
	if (fd == -1 || fstat(fd, &st) == -1 || (st.st_uid == 0 &&
	    (d = fdopendir(fd)) == NULL)) {
		err_set(e, EX_NOINPUT, "drop spool %s", drop);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_uid != 0) {
		err_setx(e, EX_NOINPUT, "drop spool %s is not root's", drop);
		close(fd);
		return -1;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (!queue_drop_entry(dirfd(d), de->d_name, &uid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", drop, de->d_name);
		rv = monitor_health_dir(h, path, uid, e);
	}
	closedir(d);
	return rv;
}

enum monitor_status
monitor_health_status(const struct monitor_health *h, time_t now, long warn,
    long crit)
{
	long age = h->oldest != 0 && now > h->oldest ?
	    (long)(now - h->oldest) : 0;

	if (h->account > 0 || age > crit)
		return MONITOR_CRITICAL;
	if (h->unreadable > 0)
		return MONITOR_UNKNOWN;
	if (h->failed > 0 || age > warn)
		return MONITOR_WARNING;
	return MONITOR_OK;
}

int
monitor_thresholds(long warn_given, long crit_given, long *warn, long *crit,
    struct postie_err *e)
{
	if (warn_given != 0 && crit_given != 0 && warn_given > crit_given) {
		err_setx(e, EX_USAGE, "--warn-age (%lds) is longer than "
		    "--crit-age (%lds)", warn_given, crit_given);
		return -1;
	}
	*warn = warn_given != 0 ? warn_given : crit_given != 0 &&
	    crit_given < MONITOR_WARN_AGE ? crit_given : MONITOR_WARN_AGE;
	*crit = crit_given != 0 ? crit_given : warn_given > MONITOR_CRIT_AGE ?
	    warn_given : MONITOR_CRIT_AGE;
	return 0;
}

const char *
monitor_status_name(enum monitor_status s)
{
	switch (s) {
	case MONITOR_OK:
		return "OK";
	case MONITOR_WARNING:
		return "WARNING";
	case MONITOR_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

/* secs as 45s, 1m30s, 2h05m, 3d04h: the two largest units, or one. */
static void
monitor_age(char *buf, size_t bufsz, long secs)
{
	static const struct {
		long	 secs;
		char	 unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i;
	long big, small;

	for (i = 0; i < 3 && secs < units[i].secs; i++)
		;
	big = secs / units[i].secs;
	if (i == 3 || (small = secs % units[i].secs / units[i + 1].secs) == 0)
		snprintf(buf, bufsz, "%ld%c", big, units[i].unit);
	else
		snprintf(buf, bufsz, "%ld%c%02ld%c", big, units[i].unit, small,
		    units[i + 1].unit);
}

/* The text ends at the first '|': the perfdata follow it. */
static void
monitor_unbar(char *text)
{
	char *p;

	for (p = text; (p = strchr(p, '|')) != NULL; p++)
		*p = '/';
}

void
monitor_unknown_line(char *buf, size_t bufsz, const char *why)
{
	snprintf(buf, bufsz, "POSTIE UNKNOWN - %s", why);
	monitor_unbar(buf);
}

void
monitor_health_line(char *buf, size_t bufsz, const struct monitor_health *h,
    time_t now, long warn, long crit)
{
	enum monitor_status st = monitor_health_status(h, now, warn, crit);
	long age = h->oldest != 0 && now > h->oldest ?
	    (long)(now - h->oldest) : 0;
	char text[1024], part[512], a[32], t[32];

	snprintf(text, sizeof(text), "%zu queued, %zu failed", h->queued,
	    h->failed);
	if (h->held > 0) {
		snprintf(part, sizeof(part), ", %zu on hold", h->held);
		strlcat(text, part, sizeof(text));
	}
	if (h->oldest != 0) {
		monitor_age(a, sizeof(a), age);
		t[0] = '\0';
		if (age > crit || age > warn)
			monitor_age(t, sizeof(t), age > crit ? crit : warn);
		snprintf(part, sizeof(part), ", oldest %s%s%s%s", a,
		    t[0] != '\0' ? " (over " : "", t, t[0] != '\0' ? ")" : "");
		strlcat(text, part, sizeof(text));
	}
	if (h->account > 0) {
		snprintf(part, sizeof(part), "; %zu kept for its account or "
		    "config, %s: %.200s", h->account, h->account_id,
		    h->account_error);
		strlcat(text, part, sizeof(text));
	}
	if (h->unreadable > 0) {
		snprintf(part, sizeof(part), "; %zu cannot be read",
		    h->unreadable);
		strlcat(text, part, sizeof(text));
	}
	monitor_unbar(text);
	snprintf(buf, bufsz, "POSTIE %s - %s | queued=%zu held=%zu failed=%zu "
	    "account=%zu unreadable=%zu oldest=%lds;%ld;%ld;0",
	    monitor_status_name(st), text, h->queued, h->held, h->failed,
	    h->account, h->unreadable, age, warn, crit);
}

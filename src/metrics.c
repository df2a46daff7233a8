/* SPDX-License-Identifier: ISC */
/*
 * The metrics file and the per-account state behind it (metrics.h).
 * Owns the exposition format as postie writes it and metrics.state;
 * reads the queue through queue.h and monitor_walk.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "file.h"
#include "metrics.h"
#include "monitor.h"

/* At most this many queued messages are compared before and after. */
#define METRICS_MAX_SEEN	65536
/* The longest line of metrics.state: two labels and two times. */
#define METRICS_STATE_LINE	(PATH_MAX + 512)

/* A queued message as metrics_open saw it. */
struct metrics_seen {
	char	 id[QUEUE_ID_LEN];
	char	*config;
	char	*account;
	int	 attempts;
};

/* The (config, account) pairs of one run, METRICS_MAX_ROWS at most. */
struct metrics_table {
	struct metrics_row *v;
	size_t	 n;
};

struct metrics {
	struct queue *q;
	char	*path;
	struct metrics_seen *seen;
	size_t	 nseen, capseen;
	int	 nomem;		/* metrics_see ran out of memory */
	struct metrics_table sent;	/* direct sends: last_success or
					   last_failure 1 */
};

static const char *
metrics_config_label(const char *config)
{
	return config != NULL ? config : METRICS_DEFAULT_CONFIG;
}

static struct metrics_row *
metrics_row_get(struct metrics_table *t, const char *config,
    const char *account)
{
	struct metrics_row *r;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].config, config) == 0 &&
		    strcmp(t->v[i].account, account) == 0)
			return &t->v[i];
	if (t->n == METRICS_MAX_ROWS)
		return NULL;
	r = &t->v[t->n];
	memset(r, 0, sizeof(*r));
	if ((r->config = strdup(config)) == NULL ||
	    (r->account = strdup(account)) == NULL) {
		free(r->config);
		return NULL;
	}
	t->n++;
	return r;
}

static void
metrics_table_free(struct metrics_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].config);
		free(t->v[i].account);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int
metrics_table_init(struct metrics_table *t, struct postie_err *e)
{
	t->n = 0;
	if ((t->v = calloc(METRICS_MAX_ROWS, sizeof(*t->v))) == NULL) {
		err_set(e, EX_OSERR, "metrics");
		return -1;
	}
	return 0;
}

static int
metrics_row_cmp(const void *a, const void *b)
{
	const struct metrics_row *x = a, *y = b;
	int c;

	if ((c = strcmp(x->config, y->config)) != 0)
		return c;
	return strcmp(x->account, y->account);
}

/* Note a queued message with an account, for metrics_close. */
static void
metrics_see_one(void *arg, const char *id, const struct queue_env *env,
    int failed, const struct postie_err *re)
{
	struct metrics *m = arg;
	struct metrics_seen *s;
	size_t cap;

	if (failed || env == NULL || env->account == NULL ||
	    m->nseen == METRICS_MAX_SEEN || m->nomem)
		return;
	if (m->nseen == m->capseen) {
		cap = m->capseen > 0 ? m->capseen * 2 : 64;
		if ((s = reallocarray(m->seen, cap, sizeof(*s))) == NULL) {
			m->nomem = 1;
			return;
		}
		m->seen = s;
		m->capseen = cap;
	}
	s = &m->seen[m->nseen];
	if ((s->config = strdup(metrics_config_label(env->config))) == NULL ||
	    (s->account = strdup(env->account)) == NULL) {
		free(s->config);
		m->nomem = 1;
		return;
	}
	strlcpy(s->id, id, sizeof(s->id));
	s->attempts = env->attempts;
	m->nseen++;
}

static int
metrics_see(struct metrics *m, struct postie_err *e)
{
	if (monitor_walk(m->q, metrics_see_one, m, e) == -1)
		return -1;
	if (m->nomem) {
		err_set(e, EX_OSERR, "metrics");
		return -1;
	}
	return 0;
}

int
metrics_open(struct metrics **mp, const struct conf *conf,
    struct sysenv *sys, struct postie_err *e)
{
	struct metrics *m;
	const char *path;
	char dir[PATH_MAX];

	*mp = NULL;
	if (conf == NULL ||
	    (path = conf_metrics_file(conf, sysenv_euid(sys))) == NULL)
		return 0;
	if (queue_default_dir(dir, sizeof(dir), sys, e) == -1)
		return -1;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		err_set(e, EX_OSERR, "metrics");
		return -1;
	}
	if (metrics_table_init(&m->sent, e) == -1 ||
	    queue_open(&m->q, dir, e) == -1 || metrics_see(m, e) == -1) {
		metrics_close(m, 0, NULL);
		return -1;
	}
	*mp = m;
	return 0;
}

int
metrics_open_config(struct metrics **mp, const char *config,
    struct sysenv *sys, struct postie_err *e)
{
	struct postie_err ce;
	struct conf *conf;
	char path[PATH_MAX];
	int rc;

	*mp = NULL;
	if (config == NULL) {
		if (conf_default_path(path, sizeof(path),
		    SYSCONFDIR "/postie.conf", sys, &ce) == -1)
			return 0;
		config = path;
	}
	if (conf_load(&conf, config, sys, &ce) == -1)
		return 0;
	rc = metrics_open(mp, conf, sys, e);
	conf_free(conf);
	return rc;
}

void
metrics_outcome(struct metrics *m, const char *config, const char *account,
    int ok)
{
	struct metrics_row *r;

	if (m == NULL || account == NULL ||
	    (r = metrics_row_get(&m->sent, metrics_config_label(config),
	    account)) == NULL)
		return;
	if (ok)
		r->last_success = 1;
	else
		r->last_failure = 1;
}

/* A label value as the exposition format wants it. */
static void
metrics_label(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fputc('?', out);
		else
			fputc(*s, out);
	}
}

static const struct {
	const char *name;
	const char *help;
} metrics_names[] = {
	{ "postie_queued_messages",
	    "Messages in the queue, held ones included." },
	{ "postie_held_messages", "Messages in the queue on hold." },
	{ "postie_failed_messages",
	    "Messages in failed/, which no flush retries." },
	{ "postie_oldest_message_age_seconds",
	    "Age of the oldest queued message not on hold; 0: none." },
	{ "postie_last_success_timestamp_seconds",
	    "When the account last delivered a message; 0: not known." },
	{ "postie_last_failure_timestamp_seconds",
	    "When a delivery through the account last failed; 0: not known." },
};

static long long
metrics_value(const struct metrics_row *r, size_t k, time_t now)
{
	switch (k) {
	case 0:
		return (long long)r->queued;
	case 1:
		return (long long)r->held;
	case 2:
		return (long long)r->failed;
	case 3:
		return r->oldest != 0 && now > r->oldest ?
		    (long long)(now - r->oldest) : 0;
	case 4:
		return (long long)r->last_success;
	default:
		return (long long)r->last_failure;
	}
}

int
metrics_write(FILE *out, const struct metrics_row *rows, size_t n,
    size_t unreadable, time_t now, struct postie_err *e)
{
	size_t k, i;

	for (k = 0; k < sizeof(metrics_names) / sizeof(metrics_names[0]);
	    k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n",
		    metrics_names[k].name, metrics_names[k].help,
		    metrics_names[k].name);
		for (i = 0; i < n; i++) {
			fprintf(out, "%s{config=\"", metrics_names[k].name);
			metrics_label(out, rows[i].config);
			fputs("\",account=\"", out);
			metrics_label(out, rows[i].account);
			fprintf(out, "\"} %lld\n", metrics_value(&rows[i], k,
			    now));
		}
	}
	fprintf(out, "# HELP postie_unreadable_records Queue records that "
	    "cannot be read.\n# TYPE postie_unreadable_records gauge\n"
	    "postie_unreadable_records %zu\n", unreadable);
	fprintf(out, "# HELP postie_metrics_timestamp_seconds When postie "
	    "wrote this file.\n# TYPE postie_metrics_timestamp_seconds "
	    "gauge\npostie_metrics_timestamp_seconds %lld\n", (long long)now);
	if (fflush(out) == EOF || ferror(out)) {
		err_set(e, EX_IOERR, "metrics: write");
		return -1;
	}
	return 0;
}

int
metrics_state_read(FILE *fp, struct metrics_row *rows, size_t max,
    struct postie_err *e)
{
	struct metrics_table t = { rows, 0 };
	struct metrics_row *r;
	char line[METRICS_STATE_LINE], *config, *account, *s, *f, *end;
	long long ok, fail;

	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((end = strchr(line, '\n')) == NULL) {
			/* Too long: skip to the end of the line. */
			while (fgets(line, sizeof(line), fp) != NULL &&
			    strchr(line, '\n') == NULL)
				;
			continue;
		}
		*end = '\0';
		s = line;
		config = strsep(&s, "\t");
		account = strsep(&s, "\t");
		f = strsep(&s, "\t");
		if (account == NULL || f == NULL || s == NULL ||
		    *config == '\0')
			continue;
		ok = strtoll(f, &end, 10);
		if (*f == '\0' || *end != '\0' || ok < 0)
			continue;
		fail = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0' || fail < 0)
			continue;
		if (t.n == max)
			break;
		if ((r = metrics_row_get(&t, config, account)) == NULL) {
			err_set(e, EX_OSERR, "metrics");
			return -1;
		}
		r->last_success = (time_t)ok;
		r->last_failure = (time_t)fail;
	}
	return (int)t.n;
}

/* What became of each message metrics_open saw, into t at time now. */
static void
metrics_settle(struct metrics *m, struct metrics_table *t, time_t now)
{
	struct postie_err re;
	struct queue_env env;
	struct metrics_row *r, *s;
	size_t i;
	int fail;

	for (i = 0; i < m->nseen; i++) {
		if (queue_env_read(m->q, 0, m->seen[i].id, &env, &re) == 0) {
			fail = env.attempts > m->seen[i].attempts;
			queue_env_free(&env);
			if (!fail)
				continue;
		} else if (re.ex != EX_NOINPUT)
			continue;
		else if (queue_env_read(m->q, 1, m->seen[i].id, &env,
		    &re) == 0) {
			fail = 1;
			queue_env_free(&env);
		} else if (re.ex == EX_NOINPUT)
			fail = 0;
		else
			continue;
		if ((r = metrics_row_get(t, m->seen[i].config,
		    m->seen[i].account)) == NULL)
			continue;
		if (fail)
			r->last_failure = now;
		else
			r->last_success = now;
	}
	for (i = 0; i < m->sent.n; i++) {
		s = &m->sent.v[i];
		if ((r = metrics_row_get(t, s->config, s->account)) == NULL)
			continue;
		if (s->last_success)
			r->last_success = now;
		if (s->last_failure)
			r->last_failure = now;
	}
}

/* metrics.state in the queue directory dirfd: read, settled, written. */
static int
metrics_state(struct metrics *m, int dirfd, struct metrics_table *t,
    time_t now, struct postie_err *e)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;
	int fd, rc, n;

	if ((fd = openat(dirfd, METRICS_STATE_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) != -1) {
		if ((fp = fdopen(fd, "r")) == NULL) {
			close(fd);
			err_set(e, EX_OSERR, "metrics: read %s",
			    METRICS_STATE_FILE);
			return -1;
		}
		n = metrics_state_read(fp, t->v, METRICS_MAX_ROWS, e);
		fclose(fp);
		if (n == -1)
			return -1;
		t->n = (size_t)n;
	} else if (errno != ENOENT) {
		err_set(e, EX_OSERR, "metrics: open %s/%s", queue_dir(m->q),
		    METRICS_STATE_FILE);
		return -1;
	}
	metrics_settle(m, t, now);
	if ((fp = open_memstream(&buf, &len)) == NULL) {
		err_set(e, EX_OSERR, "metrics");
		return -1;
	}
	for (i = 0; i < t->n; i++)
		if (strpbrk(t->v[i].config, "\t\n") == NULL &&
		    strpbrk(t->v[i].account, "\t\n") == NULL)
			fprintf(fp, "%s\t%s\t%lld\t%lld\n", t->v[i].config,
			    t->v[i].account, (long long)t->v[i].last_success,
			    (long long)t->v[i].last_failure);
	if (fclose(fp) == EOF) {
		free(buf);
		err_set(e, EX_OSERR, "metrics");
		return -1;
	}
	rc = file_replace(dirfd, METRICS_STATE_FILE, "tmp." METRICS_STATE_FILE,
	    buf, len, 0600, geteuid(), e);
	free(buf);
	if (rc == -1)
		err_prefix(e, "metrics: %s: ", queue_dir(m->q));
	return rc;
}

/* What metrics_count counts into. */
struct metrics_counts {
	struct metrics_table *t;
	size_t	 unreadable;
};

static void
metrics_count_one(void *arg, const char *id, const struct queue_env *env,
    int failed, const struct postie_err *re)
{
	struct metrics_counts *c = arg;
	struct metrics_row *r;

	if (env == NULL) {
		c->unreadable++;
		return;
	}
	if ((r = metrics_row_get(c->t, metrics_config_label(env->config),
	    env->account != NULL ? env->account : "")) == NULL)
		return;
	if (failed)
		r->failed++;
	else {
		r->queued++;
		if (env->held)
			r->held++;
		else if (r->oldest == 0 || env->created < r->oldest)
			r->oldest = env->created;
	}
}

/* The metrics file at m->path, from t. */
static int
metrics_file(struct metrics *m, struct metrics_table *t, size_t unreadable,
    time_t now, struct postie_err *e)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1], *base, *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int dirfd, rc;

	if (strlcpy(dir, m->path, sizeof(dir)) >= sizeof(dir) ||
	    (base = strrchr(dir, '/')) == NULL || base[1] == '\0') {
		err_setx(e, EX_CANTCREAT, "metrics: bad file name %s",
		    m->path);
		return -1;
	}
	*base++ = '\0';
	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.%ld", base,
	    (long)getpid()) >= sizeof(tmp)) {
		err_setx(e, EX_CANTCREAT, "metrics: name too long: %s",
		    m->path);
		return -1;
	}
	if ((dirfd = open(dir[0] != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		err_set(e, EX_CANTCREAT, "metrics: open the directory of %s",
		    m->path);
		return -1;
	}
	qsort(t->v, t->n, sizeof(*t->v), metrics_row_cmp);
	if ((fp = open_memstream(&buf, &len)) == NULL) {
		close(dirfd);
		err_set(e, EX_OSERR, "metrics");
		return -1;
	}
	rc = metrics_write(fp, t->v, t->n, unreadable, now, e);
	if (fclose(fp) == EOF && rc == 0) {
		err_set(e, EX_OSERR, "metrics");
		rc = -1;
	}
	if (rc == 0 && (rc = file_replace(dirfd, base, tmp, buf, len, 0644,
	    geteuid(), e)) == -1)
		err_prefix(e, "metrics: %s: ", dir[0] != '\0' ? dir : "/");
	free(buf);
	close(dirfd);
	return rc;
}

int
metrics_close(struct metrics *m, time_t now, struct postie_err *e)
{
	struct metrics_table t = { NULL, 0 };
	struct metrics_counts c = { &t, 0 };
	size_t i;
	int dirfd = -1, rc = -1;

	if (m == NULL)
		return 0;
	if (e == NULL)
		goto done;
	if (metrics_table_init(&t, e) == -1)
		goto done;
	if ((dirfd = open(queue_dir(m->q), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || flock(dirfd, LOCK_EX) == -1) {
		err_set(e, EX_OSERR, "metrics: lock %s", queue_dir(m->q));
		goto done;
	}
	if (metrics_state(m, dirfd, &t, now, e) == -1)
		goto done;
	close(dirfd);
	dirfd = -1;
	for (i = 0; i < t.n; i++)
		t.v[i].queued = t.v[i].held = t.v[i].failed = 0;
	if (monitor_walk(m->q, metrics_count_one, &c, e) == -1)
		goto done;
	rc = metrics_file(m, &t, c.unreadable, now, e);
done:
	if (dirfd != -1)
		close(dirfd);
	metrics_table_free(&t);
	for (i = 0; i < m->nseen; i++) {
		free(m->seen[i].config);
		free(m->seen[i].account);
	}
	free(m->seen);
	metrics_table_free(&m->sent);
	if (m->q != NULL)
		queue_close(m->q);
	free(m->path);
	free(m);
	return rc;
}

/* SPDX-License-Identifier: ISC */
/*
 * The durable queue on disk (see queue.h for the layout and the commit
 * protocol).  Owns files, locks and retry state; owns no SMTP, no config
 * and no decision about which failures are temporary.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
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

#include "err.h"
#include "file.h"
#include "queue.h"
#include "sysenv.h"

#define QUEUE_MAGIC		"postie-queue 1"
#define QUEUE_ENV_MAX		(4 * 1024 * 1024)
#define QUEUE_ORPHAN_AGE	3600	/* seconds before a stray file goes */
#define QUEUE_BACKOFF_FIRST	300
#define QUEUE_BACKOFF_MAX	(4 * 3600)

struct queue {
	uid_t	 owner;			/* whose queue it is */
	int	 readonly;		/* listed only: nothing swept */
	char	*dir;
	char	*faileddir;
	int	 dirfd;
	int	 failedfd;
};

struct queue_item {
	struct queue *q;
	int	 fd;			/* ID.env, locked */
	struct queue_env env;
};

int
queue_drop_dir(char *buf, size_t bufsz, const struct sysenv *sys,
    struct postie_err *e)
{
	const char *d;
	int n;

	if ((d = sysenv_drop_dir(sys)) != NULL)
		n = snprintf(buf, bufsz, "%s", d);
	else
		n = snprintf(buf, bufsz, "%s/spool/postie-users",
		    LOCALSTATEDIR);
	if (n < 0 || (size_t)n >= bufsz) {
		err_setx(e, EX_OSERR, "queue: directory name too long");
		return -1;
	}
	return 0;
}

int
queue_drop_entry(int spoolfd, const char *name, uid_t *uidp)
{
	unsigned long uid;
	struct stat st;
	char *end;

	errno = 0;
	uid = strtoul(name, &end, 10);
	if (name[0] < '0' || name[0] > '9' || *end != '\0' || errno != 0 ||
	    uid == 0 || uid > (unsigned long)(uid_t)-1 || fstatat(spoolfd,
	    name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != (uid_t)uid)
		return 0;
	*uidp = (uid_t)uid;
	return 1;
}

/* 1 when path is a directory of uid's that we may write in. */
static int
queue_dir_ours(const char *path, uid_t uid)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == uid && access(path, W_OK | X_OK) == 0;
}

int
queue_default_dir(char *buf, size_t bufsz, const struct sysenv *sys,
    struct postie_err *e)
{
	const char *state, *home;
	char drop[4096];
	uid_t uid = sysenv_euid(sys);
	int n;

	if ((state = sysenv_queue_dir(sys)) != NULL) {
		n = snprintf(buf, bufsz, "%s", state);
	} else if (uid == 0) {
		n = snprintf(buf, bufsz, "%s/spool/postie", LOCALSTATEDIR);
	} else if ((state = sysenv_xdg_state_home(sys)) != NULL) {
		n = snprintf(buf, bufsz, "%s/postie/queue", state);
	} else {
		if ((home = sysenv_home(sys)) == NULL) {
			err_setx(e, EX_OSERR, "queue: cannot find the home "
			    "directory of uid %u", (unsigned)uid);
			return -1;
		}
		n = snprintf(buf, bufsz, "%s/.local/state/postie/queue", home);
		/*
		 * A home that is not ours, or that we cannot write (www-data
		 * in /var/www, nobody): nothing is created in it; the
		 * queue is our directory in the drop spool, which root's
		 * flush delivers with the system config.
		 */
		if (n >= 0 && (size_t)n < bufsz && !queue_dir_ours(buf, uid) &&
		    !queue_dir_ours(home, uid)) {
			if (queue_drop_dir(drop, sizeof(drop), sys, e) == -1)
				return -1;
			n = snprintf(buf, bufsz, "%s/%u", drop, (unsigned)uid);
		}
	}
	if (n < 0 || (size_t)n >= bufsz) {
		err_setx(e, EX_OSERR, "queue: directory name too long");
		return -1;
	}
	return 0;
}

/* mkdir -p with mode 0700 for the components postie creates. */
static int
queue_mkdirs(const char *path, struct postie_err *e)
{
	char buf[4096], *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		err_setx(e, EX_CANTCREAT, "queue: %s: name too long", path);
		return -1;
	}
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/' && p[1] == '\0')
			break;
		{
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0700) == -1 && errno != EEXIST) {
				err_set(e, EX_CANTCREAT, "queue: mkdir %s",
				    buf);
				return -1;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

static int
queue_opendir(const char *path, uid_t owner, int readonly,
    struct postie_err *e)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		err_set(e, errno == ENOENT && readonly ? EX_NOINPUT :
		    EX_CANTCREAT, "queue: open %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_uid != owner) {
		err_setx(e, EX_CANTCREAT, "queue: %s is not owned by uid %u",
		    path, (unsigned)owner);
		close(fd);
		return -1;
	}
	if (!readonly && (st.st_mode & 077) != 0 && fchmod(fd, 0700) == -1) {
		err_set(e, EX_CANTCREAT, "queue: chmod 700 %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
queue_open(struct queue **qp, const char *dir, struct postie_err *e)
{
	return queue_open_owned(qp, dir, geteuid(), e);
}

int
queue_open_owned(struct queue **qp, const char *dir, uid_t owner,
    struct postie_err *e)
{
	struct queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	q->owner = owner;
	q->dirfd = q->failedfd = -1;
	if ((q->dir = strdup(dir)) == NULL ||
	    asprintf(&q->faileddir, "%s/failed", dir) == -1) {
		q->faileddir = NULL;
		err_set(e, EX_OSERR, "queue");
		goto fail;
	}
	/* Another user's queue is never created here, only opened. */
	if (owner == geteuid() && queue_mkdirs(q->faileddir, e) == -1)
		goto fail;
	if ((q->dirfd = queue_opendir(q->dir, owner, 0, e)) == -1)
		goto fail;
	if ((q->failedfd = queue_opendir(q->faileddir, owner, 0, e)) == -1) {
		if (owner == geteuid() || errno != ENOENT ||
		    mkdirat(q->dirfd, "failed", 0700) == -1 ||
		    (q->failedfd = queue_opendir(q->faileddir, geteuid(), 0,
		    e)) == -1 || fchown(q->failedfd, owner, (gid_t)-1) == -1)
			goto fail;
	}
	*qp = q;
	return 0;
fail:
	queue_close(q);
	return -1;
}

int
queue_open_readonly(struct queue **qp, const char *dir, uid_t owner,
    struct postie_err *e)
{
	struct queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	q->owner = owner;
	q->readonly = 1;
	q->dirfd = q->failedfd = -1;
	if ((q->dir = strdup(dir)) == NULL ||
	    asprintf(&q->faileddir, "%s/failed", dir) == -1) {
		q->faileddir = NULL;
		err_set(e, EX_OSERR, "queue");
		goto fail;
	}
	if ((q->dirfd = queue_opendir(q->dir, owner, 1, e)) == -1)
		goto fail;
	/* No failed/ yet: nothing ever failed there. */
	if ((q->failedfd = queue_opendir(q->faileddir, owner, 1, e)) == -1 &&
	    e->ex != EX_NOINPUT)
		goto fail;
	*qp = q;
	return 0;
fail:
	queue_close(q);
	return -1;
}

const char *
queue_dir(const struct queue *q)
{
	return q->dir;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	if (q->dirfd != -1)
		close(q->dirfd);
	if (q->failedfd != -1)
		close(q->failedfd);
	free(q->dir);
	free(q->faileddir);
	free(q);
}

void
queue_env_free(struct queue_env *env)
{
	size_t i;

	free(env->config);
	free(env->account);
	envelope_free(&env->env);
	for (i = 0; i < env->argc; i++)
		free(env->argv[i]);
	free(env->argv);
	free(env->last_error);
	queue_env_set_rcpt_errors(env, NULL, 0, NULL, NULL);
	memset(env, 0, sizeof(*env));
}

int
queue_env_set_rcpt_errors(struct queue_env *env, char *const *errs,
    size_t n, const unsigned char *sel, struct postie_err *e)
{
	char **v = NULL;
	size_t i, k = 0;

	if (errs != NULL && n > 0 &&
	    (v = calloc(n, sizeof(*v))) == NULL)
		goto oom;
	for (i = 0; v != NULL && i < n; i++) {
		if (sel != NULL && !sel[i])
			continue;
		if (errs[i] != NULL && (v[k] = strdup(errs[i])) == NULL)
			goto oom;
		k++;
	}
	for (i = 0; i < env->nrcpt_error; i++)
		free(env->rcpt_error[i]);
	free(env->rcpt_error);
	env->rcpt_error = v;
	env->nrcpt_error = k;
	return 0;
oom:
	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
	err_set(e, EX_OSERR, "queue");
	return -1;
}

/* Record that the last recipient added to env has error text. */
static int
queue_env_rcpt_error(struct queue_env *env, const char *text)
{
	size_t n = env->env.rcpts.n, i;
	char **v;

	if (n == 0)
		return 0;
	if (env->nrcpt_error < n) {
		if ((v = reallocarray(env->rcpt_error, n, sizeof(*v))) ==
		    NULL)
			return -1;
		for (i = env->nrcpt_error; i < n; i++)
			v[i] = NULL;
		env->rcpt_error = v;
		env->nrcpt_error = n;
	}
	free(env->rcpt_error[n - 1]);
	return (env->rcpt_error[n - 1] = strdup(text)) == NULL ? -1 : 0;
}

int
queue_env_add_arg(struct queue_env *env, const char *arg,
    struct postie_err *e)
{
	char **v;

	if ((v = reallocarray(env->argv, env->argc + 1, sizeof(*v))) ==
	    NULL) {
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	env->argv = v;
	if ((v[env->argc] = strdup(arg)) == NULL) {
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	env->argc++;
	return 0;
}

static const char *const queue_fault_names[] = {
	[QUEUE_FAULT_NONE] = "none",
	[QUEUE_FAULT_TEMP] = "temporary",
	[QUEUE_FAULT_ACCOUNT] = "account",
};

static void
queue_new_id(char *id, size_t idsz)
{
	struct tm tm;
	time_t now = time(NULL);
	char stamp[20];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(id, idsz, "%s-%08x", stamp, arc4random());
}

/* 1 when id is one that queue_new_id could have made (no path tricks). */
static int
queue_id_valid(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n >= QUEUE_ID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f') || id[i] == 'T' ||
		    id[i] == '-'))
			return 0;
	return 1;
}

static int
queue_emit_cb(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	return file_write_all(*(int *)arg, buf, len, e);
}

/* file_create's fill for a message: msg_emit to the file. */
static int
queue_fill_msg(void *arg, int fd, struct postie_err *e)
{
	return msg_emit(arg, queue_emit_cb, &fd, e);
}

/* Append "key value\n" with value made single-line and printable. */
static int
queue_env_kv(FILE *fp, const char *key, const char *val)
{
	char clean[2048];

	if (val == NULL)
		return 0;
	err_sanitize(clean, sizeof(clean), val, strlen(val));
	return fprintf(fp, "%s %s\n", key, clean) < 0 ? -1 : 0;
}

static char *
queue_env_format(const struct queue_env *env, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;
	int bad = 0;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(fp, "%s\n", QUEUE_MAGIC);
	/* No config line: the default lookup (as in records of 0.1.0). */
	bad |= queue_env_kv(fp, "config", env->config);
	bad |= queue_env_kv(fp, "account", env->account);
	if (env->raw) {
		/* from and rcpt, when known, are for mailq only. */
		fputs("raw 1\n", fp);
		for (i = 0; i < env->argc; i++)
			bad |= queue_env_kv(fp, "arg", env->argv[i]);
		bad |= queue_env_kv(fp, "from", env->env.from);
	} else {
		/* The null sender is kept as "<>". */
		bad |= queue_env_kv(fp, "from", env->env.from == NULL ||
		    env->env.from[0] == '\0' ? "<>" : env->env.from);
	}
	for (i = 0; i < env->env.rcpts.n; i++) {
		bad |= queue_env_kv(fp, "rcpt", env->env.rcpts.v[i].spec);
		/* Its own error, when not the message's: the line after. */
		if (i < env->nrcpt_error && env->rcpt_error[i] != NULL &&
		    (env->last_error == NULL ||
		    strcmp(env->rcpt_error[i], env->last_error) != 0))
			bad |= queue_env_kv(fp, "rcpt_error",
			    env->rcpt_error[i]);
	}
	bad |= queue_env_kv(fp, "dsn_notify", env->env.dsn_notify);
	bad |= queue_env_kv(fp, "dsn_return", env->env.dsn_return);
	bad |= queue_env_kv(fp, "dsn_envid", env->env.dsn_envid);
	bad |= queue_env_kv(fp, "body_type", env->env.body_type);
	fprintf(fp, "created %lld\nnext_try %lld\nattempts %d\nsize %lld\n",
	    (long long)env->created, (long long)env->next_try, env->attempts,
	    (long long)env->size);
	if (env->fault != QUEUE_FAULT_NONE)
		fprintf(fp, "fault %s\n", queue_fault_names[env->fault]);
	bad |= queue_env_kv(fp, "last_error", env->last_error);
	if (env->held)
		fputs("held 1\n", fp);
	if (env->notice != QUEUE_NOTICE_NONE)
		fprintf(fp, "notice %s\nnotice_of %s\nnotice_attempts %d\n",
		    env->notice == QUEUE_NOTICE_DELAYED ? "delayed" : "failed",
		    env->notice_of, env->notice_attempts);
	if (env->warned)
		fputs("warned 1\n", fp);
	if (fclose(fp) != 0 || bad) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

/* Write name in dirfd atomically (file_replace), given to owner. */
static int
queue_write_file(int dirfd, uid_t owner, const char *name, const char *buf,
    size_t len, struct postie_err *e)
{
	char tmp[QUEUE_ID_LEN + 16];

	snprintf(tmp, sizeof(tmp), "tmp.%s", name);
	if (file_replace(dirfd, name, tmp, buf, len, 0600, owner, e) == 0)
		return 0;
	err_prefix(e, "queue: ");
	return -1;
}

static int
queue_write_env(int dirfd, uid_t owner, const struct queue_env *env,
    struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8], *buf;
	size_t len;
	int rv;

	if ((buf = queue_env_format(env, &len)) == NULL) {
		err_set(e, EX_OSERR, "queue: envelope");
		return -1;
	}
	snprintf(name, sizeof(name), "%s.env", env->id);
	rv = queue_write_file(dirfd, owner, name, buf, len, e);
	free(buf);
	return rv;
}

/*
 * Write ID.msg in dirfd from msg, given to owner; returns its size in
 * *sizep.  The directory is fsynced with the envelope, written next.
 */
static int
queue_write_msg(int dirfd, uid_t owner, const char *id, struct msg *m,
    off_t *sizep, struct postie_err *e)
{
	char tmp[QUEUE_ID_LEN + 16], name[QUEUE_ID_LEN + 8];

	snprintf(tmp, sizeof(tmp), "tmp.%s.msg", id);
	snprintf(name, sizeof(name), "%s.msg", id);
	if (file_create(dirfd, name, tmp, 0600, owner, FILE_NO_DIRSYNC,
	    queue_fill_msg, m, sizep, e) == 0)
		return 0;
	err_prefix(e, "queue: ");
	return -1;
}

static int
queue_store(struct queue *q, int dirfd, struct queue_env *env,
    struct msg *m, struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];

	queue_new_id(env->id, sizeof(env->id));
	env->next_try = time(NULL);
	if (env->created == 0)
		env->created = env->next_try;
	if (queue_write_msg(dirfd, q->owner, env->id, m, &env->size, e) == -1)
		return -1;
	if (queue_write_env(dirfd, q->owner, env, e) == -1) {
		snprintf(name, sizeof(name), "%s.msg", env->id);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	(void)q;
	return 0;
}

int
queue_put(struct queue *q, struct queue_env *env, struct msg *m,
    struct postie_err *e)
{
	return queue_store(q, q->dirfd, env, m, e);
}

int
queue_put_failed(struct queue *q, struct queue_env *env, struct msg *m,
    const char *reason, struct postie_err *e)
{
	free(env->last_error);
	if ((env->last_error = strdup(reason)) == NULL) {
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	return queue_store(q, q->failedfd, env, m, e);
}

int
queue_put_notice(struct queue *q, struct queue_env *env, const char *text,
    size_t len, struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];

	if (!queue_id_valid(env->id)) {
		err_setx(e, EX_USAGE, "queue: bad message id");
		return -1;
	}
	snprintf(name, sizeof(name), "%s.env", env->id);
	if (faccessat(q->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	env->next_try = time(NULL);
	if (env->created == 0)
		env->created = env->next_try;
	env->size = (off_t)len;
	snprintf(name, sizeof(name), "%s.msg", env->id);
	if (queue_write_file(q->dirfd, q->owner, name, text, len, e) == -1)
		return -1;
	if (queue_write_env(q->dirfd, q->owner, env, e) == -1) {
		unlinkat(q->dirfd, name, 0);
		return -1;
	}
	return 0;
}

static int
queue_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
queue_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Remove temporary files and messages without an envelope, when old. */
static void
queue_sweep(int dirfd, const char *name)
{
	char env[QUEUE_ID_LEN + 8];
	struct stat st;
	size_t n = strlen(name);

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) || time(NULL) - st.st_mtime <
	    QUEUE_ORPHAN_AGE)
		return;
	if (strncmp(name, "tmp.", 4) == 0) {
		unlinkat(dirfd, name, 0);
		return;
	}
	if (n > 4 && n < QUEUE_ID_LEN + 4 &&
	    strcmp(name + n - 4, ".msg") == 0) {
		snprintf(env, sizeof(env), "%.*s.env", (int)(n - 4), name);
		if (faccessat(dirfd, env, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno == ENOENT)
			unlinkat(dirfd, name, 0);
	}
}

int
queue_ids(struct queue *q, int failed, char ***idsp, size_t *np,
    struct postie_err *e)
{
	int dirfd = failed ? q->failedfd : q->dirfd, fd;
	char **ids = NULL, **nids, id[QUEUE_ID_LEN];
	size_t n = 0, cap = 0, len;
	struct dirent *de;
	DIR *d;

	if (dirfd == -1 && q->readonly) {
		*idsp = NULL;
		*np = 0;
		return 0;
	}
	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		err_set(e, EX_OSERR, "queue: read %s", failed ? q->faileddir :
		    q->dir);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".env") != 0 ||
		    strncmp(de->d_name, "tmp.", 4) == 0) {
			if (!q->readonly)
				queue_sweep(dirfd, de->d_name);
			continue;
		}
		if (len - 4 >= sizeof(id))
			continue;
		memcpy(id, de->d_name, len - 4);
		id[len - 4] = '\0';
		if (!queue_id_valid(id))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nids = reallocarray(ids, cap,
			    sizeof(*ids))) == NULL)
				goto oom;
			ids = nids;
		}
		if ((ids[n] = strdup(id)) == NULL)
			goto oom;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(ids, n, sizeof(*ids), queue_cmp);
	*idsp = ids;
	*np = n;
	return 0;
oom:
	closedir(d);
	queue_ids_free(ids, n);
	err_set(e, EX_OSERR, "queue");
	return -1;
}

static int
queue_setstr(char **dst, const char *val)
{
	free(*dst);
	*dst = strdup(val);
	return *dst == NULL ? -1 : 0;
}

/* Parse an envelope file's text. */
static int
queue_env_parse(char *text, const char *id, struct queue_env *env,
    struct postie_err *e)
{
	char *line, *next, *val;
	int seen_magic = 0, r = 0;

	memset(env, 0, sizeof(*env));
	strlcpy(env->id, id, sizeof(env->id));
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (!seen_magic) {
			if (strcmp(line, QUEUE_MAGIC) != 0)
				break;
			seen_magic = 1;
			continue;
		}
		if ((val = strchr(line, ' ')) == NULL)
			continue;
		*val++ = '\0';
		if (strcmp(line, "config") == 0)
			r |= queue_setstr(&env->config, val);
		else if (strcmp(line, "account") == 0)
			r |= queue_setstr(&env->account, val);
		else if (strcmp(line, "raw") == 0)
			env->raw = strcmp(val, "1") == 0;
		else if (strcmp(line, "arg") == 0)
			r |= queue_env_add_arg(env, val, e);
		else if (strcmp(line, "from") == 0)
			r |= queue_setstr(&env->env.from,
			    strcmp(val, "<>") == 0 ? "" : val);
		else if (strcmp(line, "rcpt") == 0)
			r |= envelope_add_rcpt(&env->env, val, e);
		else if (strcmp(line, "rcpt_error") == 0)
			r |= queue_env_rcpt_error(env, val);
		else if (strcmp(line, "dsn_notify") == 0)
			r |= queue_setstr(&env->env.dsn_notify, val);
		else if (strcmp(line, "dsn_return") == 0)
			r |= queue_setstr(&env->env.dsn_return, val);
		else if (strcmp(line, "dsn_envid") == 0)
			r |= queue_setstr(&env->env.dsn_envid, val);
		else if (strcmp(line, "body_type") == 0)
			r |= queue_setstr(&env->env.body_type, val);
		else if (strcmp(line, "fault") == 0)
			env->fault = strcmp(val, "account") == 0 ?
			    QUEUE_FAULT_ACCOUNT : strcmp(val, "temporary") ==
			    0 ? QUEUE_FAULT_TEMP : QUEUE_FAULT_NONE;
		else if (strcmp(line, "created") == 0)
			env->created = (time_t)strtoll(val, NULL, 10);
		else if (strcmp(line, "next_try") == 0)
			env->next_try = (time_t)strtoll(val, NULL, 10);
		else if (strcmp(line, "attempts") == 0)
			env->attempts = (int)strtol(val, NULL, 10);
		else if (strcmp(line, "size") == 0)
			env->size = (off_t)strtoll(val, NULL, 10);
		else if (strcmp(line, "last_error") == 0)
			r |= queue_setstr(&env->last_error, val);
		else if (strcmp(line, "held") == 0)
			env->held = strcmp(val, "1") == 0;
		else if (strcmp(line, "notice") == 0)
			env->notice = strcmp(val, "delayed") == 0 ?
			    QUEUE_NOTICE_DELAYED : QUEUE_NOTICE_FAILED;
		else if (strcmp(line, "notice_of") == 0)
			strlcpy(env->notice_of, val, sizeof(env->notice_of));
		else if (strcmp(line, "notice_attempts") == 0)
			env->notice_attempts = (int)strtol(val, NULL, 10);
		else if (strcmp(line, "warned") == 0)
			env->warned = strcmp(val, "1") == 0;
	}
	if (r != 0) {
		queue_env_free(env);
		err_set(e, EX_OSERR, "queue: %s", id);
		return -1;
	}
	/* A prepared record has an account and a sender. */
	if (!seen_magic || (!env->raw && (env->account == NULL ||
	    env->env.from == NULL)) || (env->config != NULL &&
	    env->config[0] != '/')) {
		queue_env_free(env);
		err_setx(e, EX_DATAERR, "queue: %s.env is damaged", id);
		return -1;
	}
	return 0;
}

static int
queue_env_readfd(int fd, const char *id, struct queue_env *env,
    struct postie_err *e)
{
	struct stat st;
	char *text;
	ssize_t n;
	size_t got = 0;
	int rv;

	if (fstat(fd, &st) == -1 || st.st_size > QUEUE_ENV_MAX) {
		err_setx(e, EX_DATAERR, "queue: %s.env is damaged", id);
		return -1;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = pread(fd, text + got, (size_t)st.st_size - got,
		    (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	text[got] = '\0';
	rv = queue_env_parse(text, id, env, e);
	free(text);
	return rv;
}

/*
 * Open a file of the queue for reading (or writing): never through a
 * symbolic link, never blocking on a FIFO, a regular file only, and in
 * another user's queue (root delivering a drop queue) one of theirs with
 * a single link, so that it cannot stand for a file they could not read.
 */
static int
queue_openat(const struct queue *q, int dirfd, const char *name, int flags)
{
	struct stat st;
	int fd;

	if ((fd = openat(dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (q->owner != geteuid() && (st.st_uid != q->owner ||
	    st.st_nlink != 1)) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int
queue_env_read(struct queue *q, int failed, const char *id,
    struct queue_env *env, struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];
	int fd, rv;

	if (!queue_id_valid(id)) {
		err_setx(e, EX_USAGE, "queue: bad message id");
		return -1;
	}
	snprintf(name, sizeof(name), "%s.env", id);
	if ((fd = queue_openat(q, failed ? q->failedfd : q->dirfd, name,
	    O_RDONLY)) == -1) {
		err_set(e, errno == ENOENT ? EX_NOINPUT : EX_OSERR,
		    "queue: %s%s", failed ? "failed/" : "", id);
		return -1;
	}
	rv = queue_env_readfd(fd, id, env, e);
	close(fd);
	return rv;
}

int
queue_take(struct queue *q, const char *id, struct queue_item **itp,
    struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];
	struct queue_item *it;
	struct stat fst, pst;
	int fd;

	if (!queue_id_valid(id)) {
		err_setx(e, EX_USAGE, "queue: bad message id");
		return -1;
	}
	snprintf(name, sizeof(name), "%s.env", id);
	if ((fd = queue_openat(q, q->dirfd, name, O_RDWR)) == -1) {
		if (errno == ENOENT)
			return 0;
		err_set(e, EX_OSERR, "queue: open %s", name);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		if (errno == EWOULDBLOCK)
			return 0;
		err_set(e, EX_OSERR, "queue: lock %s", name);
		return -1;
	}
	/* Delivered (unlinked) or rewritten while we waited for the lock? */
	if (fstat(fd, &fst) == -1 || fstatat(q->dirfd, name, &pst,
	    AT_SYMLINK_NOFOLLOW) == -1 || fst.st_ino != pst.st_ino ||
	    fst.st_dev != pst.st_dev) {
		close(fd);
		return 0;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		close(fd);
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	it->q = q;
	it->fd = fd;
	if (queue_env_readfd(fd, id, &it->env, e) == -1) {
		close(fd);
		free(it);
		return -1;
	}
	*itp = it;
	return 1;
}

struct queue_env *
queue_item_env(struct queue_item *it)
{
	return &it->env;
}

int
queue_item_msgfd(struct queue_item *it, struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];
	int fd;

	snprintf(name, sizeof(name), "%s.msg", it->env.id);
	if ((fd = queue_openat(it->q, it->q->dirfd, name, O_RDONLY)) == -1)
		err_set(e, EX_NOINPUT, "queue: open %s", name);
	return fd;
}

void
queue_item_release(struct queue_item *it)
{
	if (it == NULL)
		return;
	close(it->fd);		/* drops the lock */
	queue_env_free(&it->env);
	free(it);
}

int
queue_item_done(struct queue_item *it, struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];
	int rv = 0;

	snprintf(name, sizeof(name), "%s.env", it->env.id);
	if (unlinkat(it->q->dirfd, name, 0) == -1) {
		err_set(e, EX_IOERR, "queue: remove %s", name);
		rv = -1;
	} else {
		snprintf(name, sizeof(name), "%s.msg", it->env.id);
		unlinkat(it->q->dirfd, name, 0);
		fsync(it->q->dirfd);
	}
	queue_item_release(it);
	return rv;
}

time_t
queue_backoff(int attempts)
{
	time_t t = QUEUE_BACKOFF_FIRST;

	while (--attempts > 0 && t < QUEUE_BACKOFF_MAX)
		t *= 2;
	return t > QUEUE_BACKOFF_MAX ? QUEUE_BACKOFF_MAX : t;
}

int
queue_item_retry(struct queue_item *it, const struct envelope *keep,
    const char *error, enum queue_fault fault, struct postie_err *e)
{
	struct envelope copy;
	int rv;

	if (keep != NULL) {
		if (envelope_copy(&copy, keep, NULL, e) == -1) {
			queue_item_release(it);
			return -1;
		}
		envelope_free(&it->env.env);
		it->env.env = copy;
		if (it->env.nrcpt_error != copy.rcpts.n)
			queue_env_set_rcpt_errors(&it->env, NULL, 0, NULL,
			    NULL);
	}
	it->env.fault = fault;
	it->env.attempts++;
	it->env.next_try = time(NULL) + queue_backoff(it->env.attempts);
	if (error != NULL && queue_setstr(&it->env.last_error, error) == -1) {
		err_set(e, EX_OSERR, "queue");
		queue_item_release(it);
		return -1;
	}
	rv = queue_write_env(it->q->dirfd, it->q->owner, &it->env, e);
	queue_item_release(it);
	return rv;
}

/*
 * Move ID from one directory to the other: link the message, write the
 * envelope there, then remove both here.  A crash in between leaves the
 * message in both places, never in neither.
 */
static int
queue_move(int fromfd, int tofd, uid_t owner, struct queue_env *env,
    struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];

	snprintf(name, sizeof(name), "%s.msg", env->id);
	if (linkat(fromfd, name, tofd, name, 0) == -1 && errno != EEXIST) {
		err_set(e, EX_IOERR, "queue: link %s", name);
		return -1;
	}
	if (fsync(tofd) == -1 || queue_write_env(tofd, owner, env, e) == -1) {
		err_set(e, EX_IOERR, "queue: move %s", env->id);
		return -1;
	}
	snprintf(name, sizeof(name), "%s.env", env->id);
	unlinkat(fromfd, name, 0);
	snprintf(name, sizeof(name), "%s.msg", env->id);
	unlinkat(fromfd, name, 0);
	fsync(fromfd);
	return 0;
}

int
queue_item_fail(struct queue_item *it, const char *error,
    struct postie_err *e)
{
	int rv;

	if (error != NULL && queue_setstr(&it->env.last_error, error) == -1) {
		err_set(e, EX_OSERR, "queue");
		queue_item_release(it);
		return -1;
	}
	rv = queue_move(it->q->dirfd, it->q->failedfd, it->q->owner,
	    &it->env, e);
	queue_item_release(it);
	return rv;
}

int
queue_requeue(struct queue *q, const char *id, struct postie_err *e)
{
	struct queue_env env;
	int rv;

	if (queue_env_read(q, 1, id, &env, e) == -1)
		return -1;
	env.attempts = 0;
	env.next_try = time(NULL);
	rv = queue_move(q->failedfd, q->dirfd, q->owner, &env, e);
	queue_env_free(&env);
	return rv;
}

/*
 * Take id for a change that is not a delivery: 1 when taken, else -1
 * with the reason (gone, or locked by a delivery).
 */
static int
queue_take_for(struct queue *q, const char *id, const char *what,
    struct queue_item **itp, struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];
	int r;

	if ((r = queue_take(q, id, itp, e)) != 0)
		return r;
	snprintf(name, sizeof(name), "%s.env", id);
	if (faccessat(q->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		err_setx(e, EX_TEMPFAIL, "queue: %s is being delivered now; "
		    "%s it later", id, what);
	else
		err_setx(e, EX_NOINPUT, "queue: no message %s in %s", id,
		    q->dir);
	return -1;
}

int
queue_hold(struct queue *q, const char *id, int hold, struct postie_err *e)
{
	struct queue_item *it;
	int rv;

	if (queue_take_for(q, id, hold ? "hold" : "release", &it, e) == -1)
		return -1;
	it->env.held = hold;
	if (!hold)
		it->env.next_try = time(NULL);
	rv = queue_write_env(q->dirfd, q->owner, &it->env, e);
	queue_item_release(it);
	return rv;
}

int
queue_delete(struct queue *q, int failed, const char *id,
    struct postie_err *e)
{
	char name[QUEUE_ID_LEN + 8];
	struct queue_item *it;

	if (!failed) {
		if (queue_take_for(q, id, "delete", &it, e) == -1)
			return -1;
		return queue_item_done(it, e);
	}
	if (!queue_id_valid(id)) {
		err_setx(e, EX_USAGE, "queue: bad message id");
		return -1;
	}
	snprintf(name, sizeof(name), "%s.env", id);
	if (unlinkat(q->failedfd, name, 0) == -1) {
		if (errno == ENOENT)
			err_setx(e, EX_NOINPUT, "queue: no message %s in %s",
			    id, q->faileddir);
		else
			err_set(e, EX_IOERR, "queue: remove failed/%s", name);
		return -1;
	}
	snprintf(name, sizeof(name), "%s.msg", id);
	unlinkat(q->failedfd, name, 0);
	fsync(q->failedfd);
	return 0;
}

static void
queue_age(char *buf, size_t bufsz, time_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 3600)
		snprintf(buf, bufsz, "%lldm", (long long)secs / 60);
	else if (secs < 86400)
		snprintf(buf, bufsz, "%lldh%02lldm", (long long)secs / 3600,
		    (long long)(secs % 3600) / 60);
	else
		snprintf(buf, bufsz, "%lldd%02lldh", (long long)secs / 86400,
		    (long long)(secs % 86400) / 3600);
}

static int
queue_print_dir(struct queue *q, int failed, FILE *out, struct postie_err *e)
{
	struct queue_env env;
	char **ids, age[32], next[32];
	size_t n, i, j;
	time_t now = time(NULL);

	if (queue_ids(q, failed, &ids, &n, e) == -1)
		return -1;
	fprintf(out, "%s %s: %zu message%s\n", failed ? "Failed" : "Queue",
	    failed ? q->faileddir : q->dir, n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if (queue_env_read(q, failed, ids[i], &env, e) == -1) {
			fprintf(out, "%s  (unreadable: %s)\n", ids[i], e->msg);
			continue;
		}
		queue_age(age, sizeof(age), now - env.created);
		fprintf(out, "%s  age %s  %lld bytes  account %s  from <%s>  "
		    "attempts %d", env.id, age, (long long)env.size,
		    env.account != NULL ? env.account : "(to be chosen)",
		    env.env.from != NULL ? env.env.from : "(to be prepared)",
		    env.attempts);
		if (!failed && env.next_try > now) {
			queue_age(next, sizeof(next), env.next_try - now);
			fprintf(out, "  next try in %s", next);
		}
		fputc('\n', out);
		fprintf(out, "    config %s\n", env.config != NULL ?
		    env.config : "(the default lookup)");
		if (env.raw) {
			fputs("    command line:", out);
			for (j = 0; j < env.argc; j++)
				fprintf(out, " %s", env.argv[j]);
			fputc('\n', out);
		}
		{
			fputs(env.env.rcpts.n > 0 ? "    to" :
			    "    to (no recipients)", out);
			for (j = 0; j < env.env.rcpts.n; j++)
				fprintf(out, "%s <%s>", j > 0 ? "," : "",
				    env.env.rcpts.v[j].spec);
			fputc('\n', out);
		}
		for (j = 0; j < env.nrcpt_error && j < env.env.rcpts.n; j++)
			if (env.rcpt_error[j] != NULL)
				fprintf(out, "    <%s>: %s\n",
				    env.env.rcpts.v[j].spec, env.rcpt_error[j]);
		if (!failed && env.held)
			fprintf(out, "    on hold: no flush sends it until "
			    "'postie --release %s'\n", env.id);
		if (!failed && env.fault == QUEUE_FAULT_ACCOUNT)
			fprintf(out, "    held: the account or its config "
			    "needs fixing (account %s)\n", env.account !=
			    NULL ? env.account : "not chosen");
		if (env.last_error != NULL)
			fprintf(out, "    %s: %s\n", failed ? "failed" :
			    "last error", env.last_error);
		queue_env_free(&env);
	}
	queue_ids_free(ids, n);
	return 0;
}

int
queue_print(struct queue *q, FILE *out, struct postie_err *e)
{
	if (queue_print_dir(q, 0, out, e) == -1 ||
	    queue_print_dir(q, 1, out, e) == -1)
		return -1;
	return 0;
}

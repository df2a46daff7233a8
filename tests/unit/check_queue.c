/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/queue.c: storing, listing, locking, retry, failure,
 * the record's fields (config, account, fault, raw command lines, each
 * recipient's own error) and records as older versions wrote them; hold,
 * release and delete; opening a queue to read it only; and deliver_flush
 * against a real server on 127.0.0.1, which skips a message on hold.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "msg.h"
#include "queue.h"
#include "sysenv.h"

static char tmpdir[64];
static struct queue *q;

static void
rm_rf(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void
setup(void)
{
	struct postie_err e;
	char dir[128];

	strlcpy(tmpdir, "/tmp/check_queue.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dir, sizeof(dir), "%s/state/postie/queue", tmpdir);
	ck_assert_msg(queue_open(&q, dir, &e) == 0, "%s", e.msg);
}

static void
teardown(void)
{
	queue_close(q);
	q = NULL;
	rm_rf(tmpdir);
}

static struct msg *
make_msg(const char *text)
{
	struct postie_err e;
	struct msg *m;
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/in.XXXXXX", tmpdir);
	ck_assert_int_ne(fd = mkstemp(path), -1);
	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(msg_read(&m, fd, 0, "/tmp", &e) == 0, "%s",
	    e.msg);
	close(fd);
	return m;
}

static void
make_env(struct queue_env *env)
{
	struct postie_err e;

	memset(env, 0, sizeof(*env));
	env->account = strdup("work");
	ck_assert_int_eq(envelope_set(&env->env.from, "me@example.org", &e),
	    0);
	ck_assert_int_eq(envelope_add_rcpt(&env->env, "a@example.org", &e),
	    0);
	ck_assert_int_eq(envelope_add_rcpt(&env->env, "b@example.net", &e),
	    0);
}

/* Put one message recorded with config (NULL: none); its id in id. */
static void
put_one_conf(char *id, size_t idsz, const char *config)
{
	struct postie_err e;
	struct queue_env env;
	struct msg *m;

	m = make_msg("Subject: hi\n\nbody line\n");
	make_env(&env);
	if (config != NULL)
		env.config = strdup(config);
	ck_assert_msg(queue_put(q, &env, m, &e) == 0, "%s", e.msg);
	strlcpy(id, env.id, idsz);
	queue_env_free(&env);
	msg_free(m);
}

static void
put_one(char *id, size_t idsz)
{
	put_one_conf(id, idsz, NULL);
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

START_TEST(test_put_and_read_back)
{
	struct postie_err e;
	struct queue_env env;
	char id[QUEUE_ID_LEN], path[256], **ids;
	struct stat st;
	size_t n;

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], id);
	queue_ids_free(ids, n);

	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_str_eq(env.account, "work");
	ck_assert_str_eq(env.env.from, "me@example.org");
	ck_assert_uint_eq(env.env.rcpts.n, 2);
	ck_assert_str_eq(env.env.rcpts.v[1].spec, "b@example.net");
	ck_assert_ptr_null(env.config);
	ck_assert_int_eq(env.raw, 0);
	ck_assert_int_eq(env.fault, QUEUE_FAULT_NONE);
	ck_assert_int_eq(env.attempts, 0);
	ck_assert(env.next_try <= time(NULL));
	queue_env_free(&env);

	snprintf(path, sizeof(path), "%s/%s.msg", queue_dir(q), id);
	ck_assert_str_eq(slurp(path), "Subject: hi\n\nbody line\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(queue_dir(q), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
}
END_TEST

START_TEST(test_null_sender_kept)
{
	struct postie_err e;
	struct queue_env env, back;
	struct msg *m = make_msg("\n");

	make_env(&env);
	ck_assert_int_eq(envelope_set(&env.env.from, "", &e), 0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, env.id, &back, &e), 0);
	ck_assert_str_eq(back.env.from, "");
	queue_env_free(&back);
	queue_env_free(&env);
	msg_free(m);
}
END_TEST

/* A notice: stored under the id given, once; its marks read back. */
START_TEST(test_put_notice)
{
	static const char text[] = "Subject: notice\n\nbody\n";
	struct postie_err e;
	struct queue_env env, back;
	struct queue_item *it;
	char id[QUEUE_ID_LEN], path[256];

	put_one(id, sizeof(id));
	make_env(&env);
	ck_assert_uint_lt(strlcpy(env.id, id, sizeof(env.id)) + 3,
	    sizeof(env.id));
	strlcat(env.id, "-b0", sizeof(env.id));
	env.notice = QUEUE_NOTICE_FAILED;
	strlcpy(env.notice_of, id, sizeof(env.notice_of));
	env.notice_attempts = 3;
	ck_assert_msg(queue_put_notice(q, &env, text, strlen(text), &e) == 0,
	    "%s", e.msg);
	ck_assert_int_eq(env.size, (off_t)strlen(text));
	/* A second try finds it there and writes nothing. */
	ck_assert_int_eq(queue_put_notice(q, &env, "x", 1, &e), 1);
	snprintf(path, sizeof(path), "%s/%s.msg", queue_dir(q), env.id);
	ck_assert_str_eq(slurp(path), text);
	ck_assert_int_eq(queue_env_read(q, 0, env.id, &back, &e), 0);
	ck_assert_int_eq(back.notice, QUEUE_NOTICE_FAILED);
	ck_assert_str_eq(back.notice_of, id);
	ck_assert_int_eq(back.notice_attempts, 3);
	ck_assert_int_eq(back.warned, 0);
	queue_env_free(&back);
	/* The warned mark of a message survives a retry. */
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	queue_item_env(it)->warned = 1;
	ck_assert_int_eq(queue_item_retry(it, NULL, "later",
	    QUEUE_FAULT_TEMP, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &back, &e), 0);
	ck_assert_int_eq(back.warned, 1);
	ck_assert_int_eq(back.notice, QUEUE_NOTICE_NONE);
	queue_env_free(&back);
	/* An id that is not one of the queue's is refused. */
	strlcpy(env.id, "../x", sizeof(env.id));
	ck_assert_int_eq(queue_put_notice(q, &env, text, strlen(text), &e),
	    -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	queue_env_free(&env);
}
END_TEST

START_TEST(test_take_done)
{
	struct postie_err e;
	struct queue_item *it;
	char id[QUEUE_ID_LEN], **ids;
	size_t n;

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_str_eq(queue_item_env(it)->env.from, "me@example.org");
	ck_assert_int_eq(queue_item_done(it, &e), 0);
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
	/* Gone: taking it again finds nothing. */
	ck_assert_int_eq(queue_take(q, id, &it, &e), 0);
}
END_TEST

START_TEST(test_take_is_exclusive)
{
	struct postie_err e;
	struct queue_item *it, *it2;
	char id[QUEUE_ID_LEN];

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	/* flock is per open file: a second take fails even in-process. */
	ck_assert_int_eq(queue_take(q, id, &it2, &e), 0);
	queue_item_release(it);
	ck_assert_int_eq(queue_take(q, id, &it2, &e), 1);
	queue_item_release(it2);
}
END_TEST

START_TEST(test_retry_backoff)
{
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;
	char id[QUEUE_ID_LEN];
	time_t before = time(NULL);

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_int_eq(queue_item_retry(it, NULL, "at MAIL FROM: 451 later",
	    QUEUE_FAULT_TEMP, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.attempts, 1);
	ck_assert(env.next_try >= before + 300);
	ck_assert_str_eq(env.last_error, "at MAIL FROM: 451 later");
	ck_assert_int_eq(env.fault, QUEUE_FAULT_TEMP);
	/* Without keep the recipients stay. */
	ck_assert_uint_eq(env.env.rcpts.n, 2);
	queue_env_free(&env);
}
END_TEST

START_TEST(test_backoff_table)
{
	ck_assert_int_eq(queue_backoff(1), 300);
	ck_assert_int_eq(queue_backoff(2), 600);
	ck_assert_int_eq(queue_backoff(3), 1200);
	ck_assert_int_eq(queue_backoff(6), 9600);
	ck_assert_int_eq(queue_backoff(7), 14400);
	ck_assert_int_eq(queue_backoff(100), 14400);
}
END_TEST

START_TEST(test_error_newlines_sanitized)
{
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;
	char id[QUEUE_ID_LEN];

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_int_eq(queue_item_retry(it, NULL, "451 x\nrcpt evil@x",
	    QUEUE_FAULT_TEMP, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_uint_eq(env.env.rcpts.n, 2);
	ck_assert_str_eq(env.last_error, "451 x\\x0arcpt evil@x");
	queue_env_free(&env);
}
END_TEST

START_TEST(test_fail_and_requeue)
{
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;
	char id[QUEUE_ID_LEN], **ids;
	size_t n;

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_int_eq(queue_item_fail(it, "at RCPT TO: 550 no", &e), 0);
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
	ck_assert_int_eq(queue_ids(q, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	queue_ids_free(ids, n);
	ck_assert_int_eq(queue_env_read(q, 1, id, &env, &e), 0);
	ck_assert_str_eq(env.last_error, "at RCPT TO: 550 no");
	queue_env_free(&env);

	ck_assert_int_eq(queue_requeue(q, id, &e), 0);
	ck_assert_int_eq(queue_ids(q, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.attempts, 0);
	queue_env_free(&env);
	ck_assert_int_eq(queue_requeue(q, id, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
}
END_TEST

START_TEST(test_put_failed)
{
	struct postie_err e;
	struct queue_env env;
	struct msg *m = make_msg("Subject: x\n\n");
	char **ids;
	size_t n;

	make_env(&env);
	ck_assert_int_eq(queue_put_failed(q, &env, m, "NUL byte", &e), 0);
	ck_assert_int_eq(queue_ids(q, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	queue_ids_free(ids, n);
	queue_env_free(&env);
	msg_free(m);
}
END_TEST

START_TEST(test_bad_ids_refused)
{
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;

	ck_assert_int_eq(queue_take(q, "../../etc/passwd", &it, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_int_eq(queue_env_read(q, 0, "a/b", &env, &e), -1);
	ck_assert_int_eq(queue_requeue(q, "", &e), -1);
}
END_TEST

START_TEST(test_sweep_orphans)
{
	struct postie_err e;
	struct timespec old[2];
	char path[256], keep[256], **ids;
	size_t n;
	int fd;

	/* An old temporary file and an old message without envelope go. */
	snprintf(path, sizeof(path), "%s/tmp.x.msg", queue_dir(q));
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	snprintf(keep, sizeof(keep), "%s/20260101T000000-00000000.msg",
	    queue_dir(q));
	ck_assert_int_ne(fd = open(keep, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 7200;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* A young one may belong to a writer at work: it stays. */
	ck_assert_int_eq(access(keep, F_OK), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, keep, old, 0), 0);
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	queue_ids_free(ids, n);
	ck_assert_int_eq(access(keep, F_OK), -1);
}
END_TEST

START_TEST(test_order_and_print)
{
	struct postie_err e;
	char id1[QUEUE_ID_LEN], id2[QUEUE_ID_LEN], *out = NULL, **ids;
	size_t len = 0, n;
	FILE *fp;

	put_one(id1, sizeof(id1));
	put_one(id2, sizeof(id2));
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(strcmp(ids[0], ids[1]) < 0);
	queue_ids_free(ids, n);

	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	ck_assert_int_eq(queue_print(q, fp, &e), 0);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(out, id1));
	ck_assert_ptr_nonnull(strstr(out, id2));
	ck_assert_ptr_nonnull(strstr(out, "2 messages"));
	ck_assert_ptr_nonnull(strstr(out, "from <me@example.org>"));
	ck_assert_ptr_nonnull(strstr(out, "to <a@example.org>, "
	    "<b@example.net>"));
	ck_assert_ptr_nonnull(strstr(out, "Failed"));
	free(out);
}
END_TEST

START_TEST(test_config_fault_roundtrip)
{
	struct postie_err e;
	struct queue_env env, back;
	struct msg *m = make_msg("Subject: x\n\nx\n");

	make_env(&env);
	env.config = strdup("/home/u/.config/postie/work conf");
	env.fault = QUEUE_FAULT_ACCOUNT;
	env.last_error = strdup("at greeting: 554 no service");
	ck_assert_int_eq(envelope_set(&env.env.dsn_notify, "FAILURE", &e), 0);
	ck_assert_int_eq(envelope_set(&env.env.dsn_return, "HDRS", &e), 0);
	ck_assert_int_eq(envelope_set(&env.env.dsn_envid, "id 1", &e), 0);
	ck_assert_int_eq(envelope_set(&env.env.body_type, "8BITMIME", &e), 0);
	ck_assert_msg(queue_put(q, &env, m, &e) == 0, "%s", e.msg);
	ck_assert_msg(queue_env_read(q, 0, env.id, &back, &e) == 0, "%s",
	    e.msg);
	ck_assert_str_eq(back.config, "/home/u/.config/postie/work conf");
	ck_assert_str_eq(back.account, "work");
	ck_assert_int_eq(back.fault, QUEUE_FAULT_ACCOUNT);
	ck_assert_int_eq(back.raw, 0);
	ck_assert_str_eq(back.last_error, "at greeting: 554 no service");
	ck_assert_str_eq(back.env.dsn_notify, "FAILURE");
	ck_assert_str_eq(back.env.dsn_return, "HDRS");
	ck_assert_str_eq(back.env.dsn_envid, "id 1");
	ck_assert_str_eq(back.env.body_type, "8BITMIME");
	ck_assert_uint_eq(back.env.rcpts.n, 2);
	queue_env_free(&back);
	queue_env_free(&env);

	/* A temporary fault, and no fault at all. */
	make_env(&env);
	env.config = strdup("/etc/postie.conf");
	env.fault = QUEUE_FAULT_TEMP;
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, env.id, &back, &e), 0);
	ck_assert_str_eq(back.config, "/etc/postie.conf");
	ck_assert_int_eq(back.fault, QUEUE_FAULT_TEMP);
	queue_env_free(&back);
	queue_env_free(&env);
	msg_free(m);
}
END_TEST

/* A message kept before it was prepared: its command line, no sender. */
START_TEST(test_raw_roundtrip)
{
	static const char *const args[] = {
		"-i", "-F", "Jane  Q. Doe ", "-s", "", "--", "x@example.org"
	};
	struct postie_err e;
	struct queue_env env, back;
	struct msg *m = make_msg("Subject: raw\n\nas read\n");
	char path[256];
	size_t i, n = sizeof(args) / sizeof(args[0]);

	memset(&env, 0, sizeof(env));
	env.raw = 1;
	env.config = strdup("/tmp/some dir/postie.conf");
	env.fault = QUEUE_FAULT_ACCOUNT;
	for (i = 0; i < n; i++)
		ck_assert_int_eq(queue_env_add_arg(&env, args[i], &e), 0);
	ck_assert_msg(queue_put(q, &env, m, &e) == 0, "%s", e.msg);
	ck_assert_msg(queue_env_read(q, 0, env.id, &back, &e) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(back.raw, 1);
	ck_assert_ptr_null(back.account);
	ck_assert_ptr_null(back.env.from);
	ck_assert_uint_eq(back.env.rcpts.n, 0);
	ck_assert_str_eq(back.config, "/tmp/some dir/postie.conf");
	ck_assert_int_eq(back.fault, QUEUE_FAULT_ACCOUNT);
	ck_assert_uint_eq(back.argc, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(back.argv[i], args[i]);
	/* ID.msg holds the message as read. */
	snprintf(path, sizeof(path), "%s/%s.msg", queue_dir(q), env.id);
	ck_assert_str_eq(slurp(path), "Subject: raw\n\nas read\n");
	queue_env_free(&back);
	queue_env_free(&env);
	msg_free(m);
}
END_TEST

/* Write ID.msg and ID.env by hand, as another version would have. */
static void
write_record(const char *id, const char *envtext)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.msg", queue_dir(q), id);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600),
	    -1);
	ck_assert_int_eq(write(fd, "Subject: old\n\nold\n", 18), 18);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s.env", queue_dir(q), id);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600),
	    -1);
	ck_assert_int_eq(write(fd, envtext, strlen(envtext)),
	    (ssize_t)strlen(envtext));
	close(fd);
}

/* A record of 0.1.0 has no config line: the default lookup. */
START_TEST(test_record_without_config)
{
	const char *id = "20260101T000000-0000abcd";
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;
	char **ids;
	size_t n;

	write_record(id, "postie-queue 1\n"
	    "account work\n"
	    "from me@example.org\n"
	    "rcpt a@example.org\n"
	    "rcpt b@example.net\n"
	    "dsn_notify NEVER\n"
	    "created 1767225600\n"
	    "next_try 1767225900\n"
	    "attempts 1\n"
	    "size 18\n"
	    "last_error at MAIL FROM: 451 4.3.0 later\n");
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], id);
	queue_ids_free(ids, n);
	ck_assert_msg(queue_env_read(q, 0, id, &env, &e) == 0, "%s", e.msg);
	ck_assert_ptr_null(env.config);
	ck_assert_str_eq(env.account, "work");
	ck_assert_int_eq(env.raw, 0);
	ck_assert_int_eq(env.fault, QUEUE_FAULT_NONE);
	ck_assert_str_eq(env.env.from, "me@example.org");
	ck_assert_uint_eq(env.env.rcpts.n, 2);
	ck_assert_str_eq(env.env.dsn_notify, "NEVER");
	ck_assert_int_eq(env.created, 1767225600);
	ck_assert_int_eq(env.attempts, 1);
	ck_assert_str_eq(env.last_error, "at MAIL FROM: 451 4.3.0 later");
	queue_env_free(&env);

	/* Rewritten by a retry, it stays without a config. */
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_int_eq(queue_item_retry(it, NULL, "later", QUEUE_FAULT_TEMP,
	    &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_ptr_null(env.config);
	ck_assert_int_eq(env.attempts, 2);
	ck_assert_int_eq(env.fault, QUEUE_FAULT_TEMP);
	queue_env_free(&env);
}
END_TEST

START_TEST(test_relative_config_damaged)
{
	const char *id = "20260101T000000-0000beef";
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;

	write_record(id, "postie-queue 1\n"
	    "config postie.conf\n"
	    "account work\n"
	    "from me@example.org\n"
	    "rcpt a@example.org\n"
	    "created 1767225600\nnext_try 1767225600\nattempts 0\nsize 18\n");
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_nonnull(strstr(e.msg, "damaged"));
	ck_assert_int_eq(queue_take(q, id, &it, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);

	/* A prepared record without a sender is damaged too. */
	write_record(id, "postie-queue 1\n"
	    "config /etc/postie.conf\n"
	    "account work\n"
	    "rcpt a@example.org\n"
	    "created 1767225600\nnext_try 1767225600\nattempts 0\nsize 18\n");
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
}
END_TEST

/* A retry with keep: the record's recipients become keep's. */
START_TEST(test_retry_keep)
{
	struct postie_err e;
	struct queue_item *it;
	struct queue_env *rec, env;
	struct envelope keep;
	const unsigned char sel[] = { 0, 1 };
	char id[QUEUE_ID_LEN], **ids;
	size_t n;

	put_one_conf(id, sizeof(id), "/etc/postie.conf");
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	rec = queue_item_env(it);
	ck_assert_int_eq(envelope_set(&rec->env.dsn_notify, "DELAY", &e), 0);
	ck_assert_int_eq(envelope_copy(&keep, &rec->env, sel, &e), 0);
	ck_assert_uint_eq(keep.rcpts.n, 1);
	ck_assert_int_eq(queue_item_retry(it, &keep,
	    "at RCPT TO <b@example.net>: 450 4.2.1 later", QUEUE_FAULT_TEMP,
	    &e), 0);
	envelope_free(&keep);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_uint_eq(env.env.rcpts.n, 1);
	ck_assert_str_eq(env.env.rcpts.v[0].spec, "b@example.net");
	ck_assert_str_eq(env.env.from, "me@example.org");
	ck_assert_str_eq(env.env.dsn_notify, "DELAY");
	ck_assert_str_eq(env.config, "/etc/postie.conf");
	ck_assert_str_eq(env.account, "work");
	ck_assert_int_eq(env.attempts, 1);
	ck_assert_int_eq(env.fault, QUEUE_FAULT_TEMP);
	queue_env_free(&env);
	/* Still one message. */
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	queue_ids_free(ids, n);
}
END_TEST

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

/* mailq shows each message's config, and which ones are held. */
START_TEST(test_print_config_held)
{
	struct postie_err e;
	struct queue_env env;
	struct msg *m = make_msg("Subject: x\n\nx\n");
	char *out = NULL, held[QUEUE_ID_LEN];
	size_t len = 0;
	FILE *fp;

	make_env(&env);
	env.config = strdup("/home/u/.config/postie/config");
	env.fault = QUEUE_FAULT_ACCOUNT;
	env.last_error = strdup("at AUTH PLAIN: 535 5.7.8 no");
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	strlcpy(held, env.id, sizeof(held));
	queue_env_free(&env);
	make_env(&env);
	env.fault = QUEUE_FAULT_TEMP;
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	queue_env_free(&env);
	memset(&env, 0, sizeof(env));
	env.raw = 1;
	env.fault = QUEUE_FAULT_ACCOUNT;
	ck_assert_int_eq(queue_env_add_arg(&env, "-t", &e), 0);
	ck_assert_int_eq(queue_env_add_arg(&env, "-F", &e), 0);
	ck_assert_int_eq(queue_env_add_arg(&env, "A B", &e), 0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	queue_env_free(&env);
	msg_free(m);

	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	ck_assert_int_eq(queue_print(q, fp, &e), 0);
	fclose(fp);
	ck_assert_msg(strstr(out, "    config /home/u/.config/postie/config\n")
	    != NULL, "%s", out);
	ck_assert_msg(strstr(out, "    config (the default lookup)\n") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out, "    held: the account or its config needs "
	    "fixing (account work)\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "    held: the account or its config needs "
	    "fixing (account not chosen)\n") != NULL, "%s", out);
	/* The temporary one is not held. */
	ck_assert_uint_eq(count(out, "held:"), 2);
	ck_assert_msg(strstr(out, "    last error: at AUTH PLAIN: 535 5.7.8 "
	    "no\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "    command line: -t -F A B\n") != NULL,
	    "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "from <(to be prepared)>"));
	ck_assert_ptr_nonnull(strstr(out, held));
	free(out);
}
END_TEST

/* A message on hold stays, is shown as such, and is released due now. */
START_TEST(test_hold_release)
{
	struct postie_err e;
	struct queue_item *it;
	struct queue_env env;
	char id[QUEUE_ID_LEN], *out = NULL, want[128];
	size_t len = 0;
	FILE *fp;

	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_int_eq(queue_item_retry(it, NULL, "451 later",
	    QUEUE_FAULT_TEMP, &e), 0);
	ck_assert_msg(queue_hold(q, id, 1, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.held, 1);
	/* Nothing else changes. */
	ck_assert_int_eq(env.attempts, 1);
	ck_assert_str_eq(env.last_error, "451 later");
	ck_assert(env.next_try > time(NULL));
	queue_env_free(&env);

	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	ck_assert_int_eq(queue_print(q, fp, &e), 0);
	fclose(fp);
	snprintf(want, sizeof(want), "    on hold: no flush sends it until "
	    "'postie --release %s'\n", id);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);

	ck_assert_int_eq(queue_hold(q, id, 0, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.held, 0);
	ck_assert(env.next_try <= time(NULL));
	ck_assert_int_eq(env.attempts, 1);
	queue_env_free(&env);
}
END_TEST

/* Hold, release and delete say why they cannot. */
START_TEST(test_hold_delete_refused)
{
	struct postie_err e;
	struct queue_item *it;
	char id[QUEUE_ID_LEN];

	ck_assert_int_eq(queue_hold(q, "20260101T000000-00000000", 1, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_int_eq(queue_delete(q, 0, "20260101T000000-00000000", &e),
	    -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_int_eq(queue_delete(q, 1, "20260101T000000-00000000", &e),
	    -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_int_eq(queue_hold(q, "../x", 1, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_int_eq(queue_delete(q, 1, "../x", &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);

	/* Being delivered: neither held nor deleted meanwhile. */
	put_one(id, sizeof(id));
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	ck_assert_int_eq(queue_hold(q, id, 1, &e), -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(e.msg, "being delivered"));
	ck_assert_int_eq(queue_delete(q, 0, id, &e), -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	queue_item_release(it);
}
END_TEST

/* Delete removes both files, from the queue or from failed/ only. */
START_TEST(test_delete)
{
	struct postie_err e;
	struct queue_item *it;
	char id[QUEUE_ID_LEN], fid[QUEUE_ID_LEN], path[256], **ids;
	size_t n;

	put_one(fid, sizeof(fid));
	ck_assert_int_eq(queue_take(q, fid, &it, &e), 1);
	ck_assert_int_eq(queue_item_fail(it, "550 no", &e), 0);
	put_one(id, sizeof(id));

	/* Each where it is, not elsewhere. */
	ck_assert_int_eq(queue_delete(q, 1, id, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_int_eq(queue_delete(q, 0, fid, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);

	ck_assert_msg(queue_delete(q, 0, id, &e) == 0, "%s", e.msg);
	snprintf(path, sizeof(path), "%s/%s.msg", queue_dir(q), id);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/%s.env", queue_dir(q), id);
	ck_assert_int_eq(access(path, F_OK), -1);

	ck_assert_msg(queue_delete(q, 1, fid, &e) == 0, "%s", e.msg);
	snprintf(path, sizeof(path), "%s/failed/%s.msg", queue_dir(q), fid);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/failed/%s.env", queue_dir(q), fid);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
	ck_assert_int_eq(queue_ids(q, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
}
END_TEST

/*
 * Each recipient's own error: written after its rcpt line when it is not
 * the message's, read back, shown by mailq, dropped when a retry leaves
 * other recipients than the errors were set for.
 */
START_TEST(test_rcpt_errors)
{
	struct postie_err e;
	struct queue_env env, back;
	struct queue_item *it;
	struct envelope keep;
	struct msg *m = make_msg("Subject: x\n\nx\n");
	char *errs[3] = { NULL, "at RCPT TO <b@example.net>: 450 busy",
	    "451 later" };
	const unsigned char sel[] = { 0, 1, 1 }, one[] = { 0, 1, 0 };
	char path[256], *out = NULL;
	size_t len = 0;
	FILE *fp;

	make_env(&env);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "c@example.com", &e), 0);
	env.last_error = strdup("451 later");
	ck_assert_int_eq(queue_env_set_rcpt_errors(&env, errs, 3, NULL, &e),
	    0);
	ck_assert_uint_eq(env.nrcpt_error, 3);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	snprintf(path, sizeof(path), "%s/%s.env", queue_dir(q), env.id);
	/* The one like last_error is not repeated. */
	ck_assert_ptr_nonnull(strstr(slurp(path), "rcpt a@example.org\n"
	    "rcpt b@example.net\n"
	    "rcpt_error at RCPT TO <b@example.net>: 450 busy\n"
	    "rcpt c@example.com\n"));
	ck_assert_int_eq(queue_env_read(q, 0, env.id, &back, &e), 0);
	ck_assert_uint_ge(back.nrcpt_error, 2);
	ck_assert_ptr_null(back.rcpt_error[0]);
	ck_assert_str_eq(back.rcpt_error[1], errs[1]);
	ck_assert(back.nrcpt_error < 3 || back.rcpt_error[2] == NULL);
	queue_env_free(&back);

	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	ck_assert_int_eq(queue_print(q, fp, &e), 0);
	fclose(fp);
	ck_assert_msg(strstr(out, "    <b@example.net>: at RCPT TO "
	    "<b@example.net>: 450 busy\n") != NULL, "%s", out);
	free(out);

	/* Selected: aligned with envelope_copy(..., sel). */
	ck_assert_int_eq(queue_env_set_rcpt_errors(&env, errs, 3, sel, &e), 0);
	ck_assert_uint_eq(env.nrcpt_error, 2);
	ck_assert_str_eq(env.rcpt_error[0], errs[1]);
	ck_assert_str_eq(env.rcpt_error[1], errs[2]);
	ck_assert_int_eq(queue_env_set_rcpt_errors(&env, NULL, 0, NULL, &e),
	    0);
	ck_assert_uint_eq(env.nrcpt_error, 0);
	ck_assert_ptr_null(env.rcpt_error);

	/* A retry to other recipients than the errors': none kept. */
	ck_assert_int_eq(queue_take(q, env.id, &it, &e), 1);
	ck_assert_uint_eq(queue_item_env(it)->env.rcpts.n, 3);
	ck_assert_int_eq(envelope_copy(&keep, &queue_item_env(it)->env, one,
	    &e), 0);
	ck_assert_int_eq(queue_item_retry(it, &keep, "452 full",
	    QUEUE_FAULT_TEMP, &e), 0);
	envelope_free(&keep);
	ck_assert_int_eq(queue_env_read(q, 0, env.id, &back, &e), 0);
	ck_assert_uint_eq(back.env.rcpts.n, 1);
	ck_assert_uint_eq(back.nrcpt_error, 0);
	queue_env_free(&back);
	queue_env_free(&env);
	msg_free(m);
}
END_TEST

/*
 * A queue opened to be read only: a missing one is said (EX_NOINPUT) and
 * not made, a missing failed/ is empty, a mode others may read stays and
 * an old stray file is not swept.
 */
START_TEST(test_open_readonly)
{
	struct postie_err e;
	struct queue *rq;
	struct timespec old[2];
	struct stat st;
	char dir[256], path[256], id[QUEUE_ID_LEN], **ids;
	size_t n;
	int fd;

	snprintf(dir, sizeof(dir), "%s/none", tmpdir);
	ck_assert_int_eq(queue_open_readonly(&rq, dir, geteuid(), &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_int_eq(access(dir, F_OK), -1);

	put_one(id, sizeof(id));
	snprintf(path, sizeof(path), "%s/tmp.x.msg", queue_dir(q));
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 7200;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(dir, sizeof(dir), "%s/failed", queue_dir(q));
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(chmod(queue_dir(q), 0755), 0);

	ck_assert_msg(queue_open_readonly(&rq, queue_dir(q), geteuid(), &e) ==
	    0, "%s", e.msg);
	ck_assert_int_eq(queue_ids(rq, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], id);
	queue_ids_free(ids, n);
	ck_assert_int_eq(queue_ids(rq, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	queue_ids_free(ids, n);
	queue_close(rq);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(access(dir, F_OK), -1);
	ck_assert_int_eq(stat(queue_dir(q), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0755);

	/* Another user's: refused. */
	ck_assert_int_eq(queue_open_readonly(&rq, queue_dir(q), geteuid() + 1,
	    &e), -1);
	ck_assert_int_eq(e.ex, EX_CANTCREAT);
}
END_TEST

/* The queue directory of the user a sysenv of vars and uid describes. */
static const char *
default_dir(const char *const *vars, uid_t uid, struct postie_err *e)
{
	static char buf[256];
	struct sysenv *sys;
	int rc;

	ck_assert_int_eq(sysenv_load_from(&sys, vars, uid, e), 0);
	rc = queue_default_dir(buf, sizeof(buf), sys, e);
	sysenv_free(sys);
	return rc == 0 ? buf : NULL;
}

START_TEST(test_default_dir)
{
	static const char *const qdir[] = { "POSTIE_QUEUE_DIR=/q/dir",
	    "XDG_STATE_HOME=/x/state", "HOME=/home/u", NULL };
	static const char *const state[] = { "POSTIE_QUEUE_DIR=q/dir",
	    "XDG_STATE_HOME=/x/state", "HOME=/home/u", NULL };
	static const char *const away[] = { "HOME=/nonexistent/u",
	    "POSTIE_DROP_DIR=/drop", NULL };
	const char *home[] = { NULL, NULL };
	char var[128], want[256];
	struct postie_err e;
	uid_t user = geteuid() != 0 ? geteuid() : 12345;

	/* POSTIE_QUEUE_DIR when absolute, for root too. */
	ck_assert_str_eq(default_dir(qdir, 0, &e), "/q/dir");
	ck_assert_str_eq(default_dir(qdir, user, &e), "/q/dir");
	/* Else root's is the system's. */
	ck_assert_str_eq(default_dir(state, 0, &e),
	    LOCALSTATEDIR "/spool/postie");
	/* Others: XDG_STATE_HOME. */
	ck_assert_str_eq(default_dir(state, user, &e),
	    "/x/state/postie/queue");
	/* Else under a home of the user's own. */
	snprintf(var, sizeof(var), "HOME=%s", tmpdir);
	home[0] = var;
	if (geteuid() == 0)
		ck_assert_int_eq(chown(tmpdir, user, (gid_t)-1), 0);
	snprintf(want, sizeof(want), "%s/.local/state/postie/queue", tmpdir);
	ck_assert_str_eq(default_dir(home, user, &e), want);
	/* A home not the user's: the user's directory in the drop spool. */
	snprintf(want, sizeof(want), "/drop/%u", (unsigned)user);
	ck_assert_str_eq(default_dir(away, user, &e), want);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(tmpdir, 0, (gid_t)-1), 0);
}
END_TEST

/* No home at all: an error naming the uid. */
START_TEST(test_default_dir_no_home)
{
	struct postie_err e;
	char want[128];
	uid_t u;

	for (u = 2000000000; getpwuid(u) != NULL; u++)
		;
	ck_assert_ptr_null(default_dir(NULL, u, &e));
	ck_assert_int_eq(e.ex, EX_OSERR);
	snprintf(want, sizeof(want), "queue: cannot find the home directory "
	    "of uid %u", (unsigned)u);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

/*
 * deliver_flush against a one-connection SMTP server in a child process
 * that answers MAIL, RCPT and the final dot as scripted, and 250 to the
 * rest.  A NULL greeting: nobody listens (connection refused).
 */
struct script {
	const char *greeting, *mail, *rcpt, *dot;
	time_t	 age;			/* of the message, seconds */
	size_t	 sent, retry, failed;
	int	 ex;			/* f.ex expected */
};

static const struct script scripts[] = {
	{ "220 ok", "250 ok", "250 ok", "250 ok", 0, 1, 0, 0, 0 },
	/* The message's own failures: failed/. */
	{ "220 ok", "250 ok", "550 5.1.1 no", "250 ok", 0, 0, 0, 1,
	    EX_NOUSER },
	{ "220 ok", "250 ok", "250 ok", "554 5.7.1 spam", 0, 0, 0, 1,
	    EX_UNAVAILABLE },
	/* Temporary: kept, quietly. */
	{ "220 ok", "451 4.3.0 later", "250 ok", "250 ok", 0, 0, 1, 0, 0 },
	{ "220 ok", "250 ok", "452 4.2.2 full", "250 ok", 0, 0, 1, 0, 0 },
	{ "220 ok", "250 ok", "250 ok", "451 4.3.0 later", 0, 0, 1, 0, 0 },
	{ NULL, NULL, NULL, NULL, 0, 0, 1, 0, 0 },
	/* The server's fault, not the message's: kept, and said. */
	{ "2x0 nonsense", "250 ok", "250 ok", "250 ok", 0, 0, 1, 0,
	    EX_PROTOCOL },
	/* Older than queue_lifetime: failed when it fails, else sent. */
	{ NULL, NULL, NULL, NULL, 6 * 86400, 0, 0, 1, EX_UNAVAILABLE },
	{ "220 ok", "250 ok", "452 4.2.2 full", "250 ok", 6 * 86400, 0, 0, 1,
	    EX_UNAVAILABLE },
	{ "220 ok", "250 ok", "250 ok", "250 ok", 6 * 86400, 1, 0, 0, 0 },
};

static void
serve(int lfd, const struct script *sc)
{
	char line[1024];
	const char *r;
	FILE *in, *out;
	int fd;

	alarm(10);
	if ((fd = accept(lfd, NULL, NULL)) == -1 ||
	    (in = fdopen(fd, "r")) == NULL ||
	    (out = fdopen(dup(fd), "w")) == NULL)
		_exit(1);
	fprintf(out, "%s\r\n", sc->greeting);
	fflush(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		r = "250 ok";
		if (strncasecmp(line, "MAIL", 4) == 0)
			r = sc->mail;
		else if (strncasecmp(line, "RCPT", 4) == 0)
			r = sc->rcpt;
		else if (strncasecmp(line, "QUIT", 4) == 0)
			r = "221 bye";
		else if (strncasecmp(line, "DATA", 4) == 0) {
			fprintf(out, "354 go on\r\n");
			fflush(out);
			while (fgets(line, sizeof(line), in) != NULL &&
			    strcmp(line, ".\r\n") != 0)
				;
			r = sc->dot;
		}
		fprintf(out, "%s\r\n", r);
		fflush(out);
	}
	_exit(0);
}

/* A listening socket on 127.0.0.1 (or, listen 0, a closed port). */
static int
listener(int *portp, int listen_too)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (listen_too)
		ck_assert_int_eq(listen(fd, 1), 0);
	*portp = ntohs(sin.sin_port);
	return fd;
}

/* The config file the messages are queued with: its absolute path. */
static void
conf_path(char *path, size_t pathsz)
{
	snprintf(path, pathsz, "%s/postie.conf", tmpdir);
}

static void
write_conf(const char *text)
{
	char path[256];
	int fd;

	conf_path(path, sizeof(path));
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600),
	    -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
flush_conf(int port)
{
	char text[512];

	/* Notices off: test_notices.sh tests them. */
	snprintf(text, sizeof(text), "account work\nhost 127.0.0.1\n"
	    "port %d\nfrom me@example.org\ntls off\nsyslog off\n"
	    "bounce off\ndomain client.example.org\ntimeout 5\n", port);
	write_conf(text);
}

/* Set created of id to secs ago, as an edit of the file would. */
static void
age_message(const char *id, time_t secs)
{
	struct postie_err e;
	struct queue_item *it;

	if (secs == 0)
		return;
	ck_assert_int_eq(queue_take(q, id, &it, &e), 1);
	queue_item_env(it)->created -= secs;
	queue_item_env(it)->attempts = -1;	/* retry counts it back */
	ck_assert_int_eq(queue_item_retry(it, NULL, NULL, QUEUE_FAULT_NONE,
	    &e), 0);
}

START_TEST(test_flush_policy)
{
	const struct script *sc = &scripts[_i];
	struct deliver_ctx ctx;
	struct deliver_flush f;
	struct postie_err e;
	char id[QUEUE_ID_LEN], path[256], **ids;
	size_t n;
	pid_t pid = -1;
	int lfd, port, status;

	conf_path(path, sizeof(path));
	put_one_conf(id, sizeof(id), path);
	age_message(id, sc->age);
	lfd = listener(&port, sc->greeting != NULL);
	if (sc->greeting != NULL) {
		ck_assert_int_ne(pid = fork(), -1);
		if (pid == 0)
			serve(lfd, sc);
	}
	close(lfd);
	flush_conf(port);
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(sysenv_load_from(&ctx.sys, NULL, geteuid(), &e), 0);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(deliver_flush(q, &ctx, &f, &e), 0);
	sysenv_free(ctx.sys);
	if (pid != -1) {
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_uint_eq(f.sent, sc->sent);
	ck_assert_uint_eq(f.retry, sc->retry);
	ck_assert_uint_eq(f.failed, sc->failed);
	ck_assert_int_eq(f.ex, sc->ex);
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, sc->retry);
	queue_ids_free(ids, n);
	ck_assert_int_eq(queue_ids(q, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, sc->failed);
	queue_ids_free(ids, n);
}
END_TEST

START_TEST(test_flush_account_gone)
{
	struct deliver_ctx ctx;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env env;
	char id[QUEUE_ID_LEN], path[256], want[512];

	conf_path(path, sizeof(path));
	put_one_conf(id, sizeof(id), path);
	age_message(id, 30 * 86400);
	write_conf("account other\nhost 127.0.0.1\n");
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(sysenv_load_from(&ctx.sys, NULL, geteuid(), &e), 0);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(deliver_flush(q, &ctx, &f, &e), 0);
	sysenv_free(ctx.sys);
	/* Kept, however old: the lifetime is the account's. */
	ck_assert_uint_eq(f.retry, 1);
	ck_assert_int_eq(f.ex, EX_CONFIG);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.attempts, 1);
	ck_assert_int_eq(env.fault, QUEUE_FAULT_ACCOUNT);
	/* The config the message was queued with is named. */
	snprintf(want, sizeof(want), "account work no longer exists in %s",
	    path);
	ck_assert_str_eq(env.last_error, want);
	queue_env_free(&env);
}
END_TEST

/* A flush, even of that id only, skips a message on hold. */
START_TEST(test_flush_skips_held)
{
	struct deliver_ctx ctx;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env env;
	char id[QUEUE_ID_LEN], path[256];
	int lfd, port;

	conf_path(path, sizeof(path));
	put_one_conf(id, sizeof(id), path);
	ck_assert_int_eq(queue_hold(q, id, 1, &e), 0);
	lfd = listener(&port, 0);
	close(lfd);
	flush_conf(port);
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(sysenv_load_from(&ctx.sys, NULL, geteuid(), &e), 0);
	memset(&f, 0, sizeof(f));
	f.only_id = id;
	ck_assert_int_eq(deliver_flush(q, &ctx, &f, &e), 0);
	ck_assert_uint_eq(f.skipped, 1);
	ck_assert_uint_eq(f.retry + f.sent + f.failed, 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.attempts, 0);
	ck_assert_int_eq(env.held, 1);
	queue_env_free(&env);
	/* Released: tried (the port is closed: kept for later). */
	ck_assert_int_eq(queue_hold(q, id, 0, &e), 0);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(deliver_flush(q, &ctx, &f, &e), 0);
	ck_assert_uint_eq(f.retry, 1);
	sysenv_free(ctx.sys);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_and_read_back);
	tcase_add_test(tc, test_null_sender_kept);
	tcase_add_test(tc, test_put_notice);
	tcase_add_test(tc, test_take_done);
	tcase_add_test(tc, test_take_is_exclusive);
	tcase_add_test(tc, test_retry_backoff);
	tcase_add_test(tc, test_backoff_table);
	tcase_add_test(tc, test_error_newlines_sanitized);
	tcase_add_test(tc, test_fail_and_requeue);
	tcase_add_test(tc, test_put_failed);
	tcase_add_test(tc, test_bad_ids_refused);
	tcase_add_test(tc, test_sweep_orphans);
	tcase_add_test(tc, test_order_and_print);
	tcase_add_test(tc, test_default_dir);
	tcase_add_test(tc, test_default_dir_no_home);
	tcase_add_test(tc, test_config_fault_roundtrip);
	tcase_add_test(tc, test_raw_roundtrip);
	tcase_add_test(tc, test_record_without_config);
	tcase_add_test(tc, test_relative_config_damaged);
	tcase_add_test(tc, test_retry_keep);
	tcase_add_test(tc, test_print_config_held);
	tcase_add_test(tc, test_hold_release);
	tcase_add_test(tc, test_hold_delete_refused);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_rcpt_errors);
	tcase_add_test(tc, test_open_readonly);
	suite_add_tcase(s, tc);

	tc = tcase_create("flush");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_flush_policy, 0,
	    sizeof(scripts) / sizeof(scripts[0]));
	tcase_add_test(tc, test_flush_account_gone);
	tcase_add_test(tc, test_flush_skips_held);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

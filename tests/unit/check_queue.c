/* Unit tests for src/queue.c: storing, listing, locking, retry, failure. */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "queue.h"

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
	ck_assert_msg(msg_read(&m, fd, 0, &e) == 0, "%s", e.msg);
	close(fd);
	return m;
}

static void
make_env(struct queue_env *env)
{
	struct postie_err e;

	memset(env, 0, sizeof(*env));
	env->account = strdup("work");
	env->from = strdup("me@example.org");
	ck_assert_int_eq(addr_list_add(&env->rcpts, "a@example.org", &e), 0);
	ck_assert_int_eq(addr_list_add(&env->rcpts, "b@example.net", &e), 0);
}

/* Put one message and return its id in id. */
static void
put_one(char *id, size_t idsz)
{
	struct postie_err e;
	struct queue_env env;
	struct msg *m;

	m = make_msg("Subject: hi\n\nbody line\n");
	make_env(&env);
	ck_assert_msg(queue_put(q, &env, m, &e) == 0, "%s", e.msg);
	strlcpy(id, env.id, idsz);
	queue_env_free(&env);
	msg_free(m);
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
	ck_assert_str_eq(env.from, "me@example.org");
	ck_assert_uint_eq(env.rcpts.n, 2);
	ck_assert_str_eq(env.rcpts.v[1].spec, "b@example.net");
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
	free(env.from);
	env.from = strdup("");
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, env.id, &back, &e), 0);
	ck_assert_str_eq(back.from, "");
	queue_env_free(&back);
	queue_env_free(&env);
	msg_free(m);
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
	ck_assert_str_eq(queue_item_env(it)->from, "me@example.org");
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
	ck_assert_int_eq(queue_item_retry(it, "at MAIL FROM: 451 later",
	    &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_int_eq(env.attempts, 1);
	ck_assert(env.next_try >= before + 300);
	ck_assert_str_eq(env.last_error, "at MAIL FROM: 451 later");
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
	ck_assert_int_eq(queue_item_retry(it, "451 x\nrcpt evil@x", &e), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &env, &e), 0);
	ck_assert_uint_eq(env.rcpts.n, 2);
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

START_TEST(test_default_dir)
{
	struct postie_err e;
	char buf[256];

	setenv("POSTIE_QUEUE_DIR", "/q/dir", 1);
	ck_assert_int_eq(queue_default_dir(buf, sizeof(buf), &e), 0);
	ck_assert_str_eq(buf, "/q/dir");
	unsetenv("POSTIE_QUEUE_DIR");
	if (geteuid() == 0) {
		ck_assert_int_eq(queue_default_dir(buf, sizeof(buf), &e), 0);
		ck_assert_str_eq(buf, LOCALSTATEDIR "/spool/postie");
		return;
	}
	setenv("XDG_STATE_HOME", "/x/state", 1);
	ck_assert_int_eq(queue_default_dir(buf, sizeof(buf), &e), 0);
	ck_assert_str_eq(buf, "/x/state/postie/queue");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(queue_default_dir(buf, sizeof(buf), &e), 0);
	ck_assert_str_eq(buf, "/home/u/.local/state/postie/queue");
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

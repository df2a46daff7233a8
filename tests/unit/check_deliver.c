/* SPDX-License-Identifier: ISC */
/*
 * Tests for deliver.c: the queue flush end to end, through a config file
 * and a queue in a temporary directory, against scripted servers in
 * memory (a submit_connector whose connections are io_mem transports):
 * what is sent, what is removed, kept, held or moved to failed/, and how
 * many connections are opened.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "envelope.h"
#include "io.h"
#include "msg.h"
#include "opts.h"
#include "policy.h"
#include "queue.h"
#include "submit.h"
#include "sysenv.h"

#define GREET		"220 mx.example.org ESMTP\r\n"
#define EHLO_PLAIN	"250-mx.example.org\r\n250 HELP\r\n"
#define EHLO_PIPE	"250-mx.example.org\r\n250 PIPELINING\r\n"
#define TXN_OK		"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n" \
	"250 2.0.0 queued\r\n"
#define EHLO_SENT	"EHLO client.example.org\r\n"
/* The transaction for message N to <a@example.org>. */
#define TXN_SENT(n)	"MAIL FROM:<me@example.org>\r\n" \
	"RCPT TO:<a@example.org>\r\nDATA\r\n" \
	"Subject: " n "\r\n\r\nmsg " n "\r\n.\r\n"
#define MSGN(n)		"Subject: " n "\n\nmsg " n "\n"

#define MAXCONN		4

static char tmpdir[64];
static char confpath[128];
static char path_buf[256];
static struct queue *q;

/*
 * The network: connection i gets script[i] (NULL: refused); what the
 * client sent on it is kept in out[i] when it is closed.
 */
struct fake_net {
	const char *script[MAXCONN];
	size_t	 nopen;
	char	*out[MAXCONN];
};

struct fake_conn {
	struct io_mem *mem;
	struct fake_net *net;
	size_t	 i;
};

static ssize_t
fake_read(void *ctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *e)
{
	struct fake_conn *c = ctx;

	return io_mem_ops.read(c->mem, buf, len, timeout_ms, e);
}

static int
fake_write(void *ctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *e)
{
	struct fake_conn *c = ctx;

	return io_mem_ops.write(c->mem, buf, len, timeout_ms, e);
}

static void
fake_close(void *ctx)
{
	struct fake_conn *c = ctx;
	const char *out;
	size_t len;

	out = io_mem_output(c->mem, &len);
	c->net->out[c->i] = strndup(out, len);
	io_mem_ops.close(c->mem);
	free(c);
}

/* io_mem, with what was sent kept past io_free. */
static const struct io_ops fake_ops = {
	"mem", fake_read, fake_write, fake_close
};

static int
fake_open(void *arg, const struct account *a, struct io **iop,
    struct postie_err *e)
{
	struct fake_net *net = arg;
	struct fake_conn *c;
	size_t i = net->nopen++;

	ck_assert_str_eq(a->name, "work");
	ck_assert_uint_lt(i, MAXCONN);
	if (net->script[i] == NULL) {
		err_setx(e, EX_TEMPFAIL, "connect: Connection refused");
		return -1;
	}
	ck_assert_ptr_nonnull(c = calloc(1, sizeof(*c)));
	c->net = net;
	c->i = i;
	c->mem = io_mem_new(net->script[i], strlen(net->script[i]), 0);
	ck_assert_ptr_nonnull(c->mem);
	ck_assert_ptr_nonnull(*iop = io_new(&fake_ops, c, 5));
	return 0;
}

/* A network whose first connection gets script (NULL: refused). */
static void
fake_net_init(struct fake_net *net, const char *script)
{
	memset(net, 0, sizeof(*net));
	net->script[0] = script;
}

static void
fake_net_free(struct fake_net *net)
{
	size_t i;

	for (i = 0; i < MAXCONN; i++)
		free(net->out[i]);
}

static void
write_file(const char *path, const char *text)
{
	int fd;

	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600),
	    -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
setup(void)
{
	struct postie_err e;
	char dir[128];

	strlcpy(tmpdir, "/tmp/check_deliver.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dir, sizeof(dir), "%s/queue", tmpdir);
	ck_assert_msg(queue_open(&q, dir, &e) == 0, "%s", e.msg);
	snprintf(confpath, sizeof(confpath), "%s/postie.conf", tmpdir);
	/* Notices off: test_notices.sh tests them. */
	write_file(confpath, "account work\n"
	    "host 127.0.0.1\n"
	    "port 25\n"
	    "from me@example.org\n"
	    "tls off\n"
	    "auth off\n"
	    "syslog off\n"
	    "bounce off\n"
	    "domain client.example.org\n");
}

static void
teardown(void)
{
	char cmd[128];

	queue_close(q);
	q = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
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

/* Queue text for rcpts (a NULL-terminated list) through account work. */
static void
put(char *id, size_t idsz, const char *text, const char *const *rcpts)
{
	struct postie_err e;
	struct queue_env rec;
	struct msg *m = make_msg(text);

	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(envelope_set(&rec.config, confpath, &e), 0);
	ck_assert_int_eq(envelope_set(&rec.account, "work", &e), 0);
	ck_assert_int_eq(envelope_set(&rec.env.from, "me@example.org", &e),
	    0);
	for (; *rcpts != NULL; rcpts++)
		ck_assert_int_eq(envelope_add_rcpt(&rec.env, *rcpts, &e), 0);
	ck_assert_msg(queue_put(q, &rec, m, &e) == 0, "%s", e.msg);
	strlcpy(id, rec.id, idsz);
	queue_env_free(&rec);
	msg_free(m);
}

static const char *const one_rcpt[] = { "a@example.org", NULL };
static const char *const two_rcpts[] = {
	"a@example.org", "b@example.net", NULL
};

/* The flush as f says, its one-line reports in *trp (caller frees). */
static void
flush_with(struct fake_net *net, struct deliver_flush *f, char **trp)
{
	struct submit_connector conn;
	struct deliver_ctx ctx;
	struct postie_err e;
	size_t len = 0;

	memset(&conn, 0, sizeof(conn));
	conn.open = fake_open;
	conn.arg = net;
	memset(&ctx, 0, sizeof(ctx));
	ctx.conn = &conn;
	ck_assert_int_eq(sysenv_load_from(&ctx.sys, NULL, geteuid(), &e), 0);
	*trp = NULL;
	ck_assert_ptr_nonnull(ctx.tr = open_memstream(trp, &len));
	ck_assert_msg(deliver_flush(q, &ctx, f, &e) == 0, "%s", e.msg);
	fclose(ctx.tr);
	sysenv_free(ctx.sys);
}

/* The whole queue. */
static void
flush(struct fake_net *net, struct deliver_flush *f, char **trp)
{
	memset(f, 0, sizeof(*f));
	flush_with(net, f, trp);
}

/* A small file's content. */
static char *
slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

static size_t
nqueued(int failed)
{
	struct postie_err e;
	char **ids;
	size_t n;

	ck_assert_int_eq(queue_ids(q, failed, &ids, &n, &e), 0);
	queue_ids_free(ids, n);
	return n;
}

#define ck_str(got, want)	ck_assert_msg(strcmp((got), (want)) == 0, \
	"got:\n%s\nwanted:\n%s", (got), (want))
#define ck_has(s, w)	ck_assert_msg(strstr((s), (w)) != NULL, \
	"\"%s\" lacks \"%s\"", (s), (w))

/* (a) Accepted: the record goes. */
START_TEST(flush_sent)
{
	struct fake_net net;
	struct deliver_flush f;
	char id[QUEUE_ID_LEN], *tr;

	fake_net_init(&net, GREET EHLO_PLAIN TXN_OK "221 bye\r\n");
	put(id, sizeof(id), MSGN("one"), one_rcpt);
	flush(&net, &f, &tr);
	ck_assert_uint_eq(f.sent, 1);
	ck_assert_uint_eq(f.retry, 0);
	ck_assert_uint_eq(f.failed, 0);
	ck_assert_int_eq(f.ex, 0);
	ck_assert_uint_eq(net.nopen, 1);
	ck_str(net.out[0], EHLO_SENT TXN_SENT("one") "QUIT\r\n");
	ck_assert_uint_eq(nqueued(0), 0);
	ck_assert_uint_eq(nqueued(1), 0);
	/* Not verbose: nothing to say. */
	ck_str(tr, "");
	free(tr);
	fake_net_free(&net);
}
END_TEST

/* (b) A 554 greeting is the account's: held in the queue, not failed. */
START_TEST(flush_greeting_554)
{
	struct fake_net net;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env rec;
	char id[QUEUE_ID_LEN], *tr;

	fake_net_init(&net, "554 5.3.2 no service\r\n221 bye\r\n");
	put(id, sizeof(id), MSGN("one"), two_rcpts);
	flush(&net, &f, &tr);
	ck_assert_uint_eq(f.sent, 0);
	ck_assert_uint_eq(f.retry, 1);
	ck_assert_uint_eq(f.failed, 0);
	ck_assert_int_eq(f.ex, EX_UNAVAILABLE);
	ck_str(net.out[0], "QUIT\r\n");
	ck_assert_uint_eq(nqueued(0), 1);
	ck_assert_uint_eq(nqueued(1), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &rec, &e), 0);
	ck_assert_int_eq(rec.fault, QUEUE_FAULT_ACCOUNT);
	ck_assert_int_eq(rec.attempts, 1);
	ck_assert_uint_eq(rec.env.rcpts.n, 2);
	ck_has(rec.last_error, "at greeting: 554 5.3.2 no service");
	ck_has(rec.last_error, "127.0.0.1:25");
	queue_env_free(&rec);
	/* An account fault needs attention: it is said. */
	ck_has(tr, id);
	ck_has(tr, "kept in the queue");
	free(tr);
	fake_net_free(&net);
}
END_TEST

/*
 * (c) 550 for the first recipient, 450 for the second, with and without
 * PIPELINING: the first goes to failed/ alone, the record keeps the
 * second.
 */
START_TEST(flush_rcpt_split)
{
	const char *scripts[] = {
		GREET EHLO_PLAIN "250 ok\r\n550 5.1.1 no such user\r\n"
		    "450 4.2.1 try later\r\n250 reset\r\n221 bye\r\n",
		GREET EHLO_PIPE "250 ok\r\n550 5.1.1 no such user\r\n"
		    "450 4.2.1 try later\r\n554 5.5.1 no valid recipients\r\n"
		    "250 reset\r\n221 bye\r\n",
	};
	const char *sent[] = {
		EHLO_SENT "MAIL FROM:<me@example.org>\r\n"
		    "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
		    "RSET\r\nQUIT\r\n",
		EHLO_SENT "MAIL FROM:<me@example.org>\r\n"
		    "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
		    "DATA\r\nRSET\r\nQUIT\r\n",
	};
	struct fake_net net;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env rec;
	char id[QUEUE_ID_LEN], path[256], *tr, **ids;
	size_t n;

	fake_net_init(&net, scripts[_i]);
	put(id, sizeof(id), MSGN("one"), two_rcpts);
	flush(&net, &f, &tr);
	ck_assert_uint_eq(f.sent, 0);
	ck_assert_uint_eq(f.failed, 1);
	ck_assert_uint_eq(f.retry, 1);
	ck_assert_int_eq(f.ex, EX_NOUSER);
	ck_str(net.out[0], sent[_i]);

	/* failed/: the refused recipient, with the message. */
	ck_assert_int_eq(queue_ids(q, 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_ne(ids[0], id);
	ck_assert_int_eq(queue_env_read(q, 1, ids[0], &rec, &e), 0);
	ck_assert_uint_eq(rec.env.rcpts.n, 1);
	ck_assert_str_eq(rec.env.rcpts.v[0].spec, "a@example.org");
	ck_assert_str_eq(rec.env.from, "me@example.org");
	ck_assert_str_eq(rec.config, confpath);
	ck_assert_str_eq(rec.account, "work");
	ck_has(rec.last_error, "550 5.1.1 no such user");
	queue_env_free(&rec);
	snprintf(path, sizeof(path), "%s/failed/%s.msg", queue_dir(q), ids[0]);
	ck_str(slurp(path), MSGN("one"));
	queue_ids_free(ids, n);

	/* The queue: the same record, the other recipient, for later. */
	ck_assert_uint_eq(nqueued(0), 1);
	ck_assert_int_eq(queue_env_read(q, 0, id, &rec, &e), 0);
	ck_assert_uint_eq(rec.env.rcpts.n, 1);
	ck_assert_str_eq(rec.env.rcpts.v[0].spec, "b@example.net");
	ck_assert_int_eq(rec.fault, QUEUE_FAULT_TEMP);
	ck_assert_int_eq(rec.attempts, 1);
	queue_env_free(&rec);
	ck_has(tr, "1 recipient refused, moved to failed/");
	free(tr);
	fake_net_free(&net);
}
END_TEST

/* 250 for the first, 450 for the second: delivered once, the rest kept. */
START_TEST(flush_rcpt_partial)
{
	struct fake_net net;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env rec;
	char id[QUEUE_ID_LEN], *tr;

	fake_net_init(&net, GREET EHLO_PIPE "250 ok\r\n250 ok\r\n"
	    "450 4.2.1 try later\r\n354 go\r\n250 2.0.0 queued\r\n"
	    "221 bye\r\n");
	put(id, sizeof(id), MSGN("one"), two_rcpts);
	flush(&net, &f, &tr);
	ck_assert_uint_eq(f.failed, 0);
	ck_assert_uint_eq(f.retry, 1);
	ck_assert_int_eq(f.ex, 0);
	ck_str(net.out[0], EHLO_SENT "MAIL FROM:<me@example.org>\r\n"
	    "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
	    "Subject: one\r\n\r\nmsg one\r\n.\r\nQUIT\r\n");
	ck_assert_uint_eq(nqueued(1), 0);
	ck_assert_int_eq(queue_env_read(q, 0, id, &rec, &e), 0);
	ck_assert_uint_eq(rec.env.rcpts.n, 1);
	ck_assert_str_eq(rec.env.rcpts.v[0].spec, "b@example.net");
	ck_assert_int_eq(rec.fault, QUEUE_FAULT_TEMP);
	queue_env_free(&rec);
	free(tr);
	fake_net_free(&net);
}
END_TEST

/* only_ids: those ids, whole; the others stay. */
START_TEST(flush_only_ids)
{
	struct fake_net net;
	struct deliver_flush f;
	char id1[QUEUE_ID_LEN], id2[QUEUE_ID_LEN], id3[QUEUE_ID_LEN];
	char part[QUEUE_ID_LEN], *tr, *only[2];

	fake_net_init(&net, GREET EHLO_PLAIN TXN_OK "221 bye\r\n");
	put(id1, sizeof(id1), MSGN("one"), one_rcpt);
	put(id2, sizeof(id2), MSGN("two"), one_rcpt);
	put(id3, sizeof(id3), MSGN("three"), one_rcpt);
	/* A part of id3 is not id3. */
	strlcpy(part, id3, sizeof(part));
	part[strlen(part) - 1] = '\0';
	only[0] = id2;
	only[1] = part;
	memset(&f, 0, sizeof(f));
	f.only_ids = only;
	f.n_only_ids = 2;
	flush_with(&net, &f, &tr);
	ck_assert_uint_eq(f.sent, 1);
	ck_str(net.out[0], EHLO_SENT TXN_SENT("two") "QUIT\r\n");
	ck_assert_uint_eq(nqueued(0), 2);
	free(tr);
	fake_net_free(&net);

	/* In the order given, whatever the ids' order. */
	fake_net_init(&net, GREET EHLO_PLAIN TXN_OK TXN_OK "221 bye\r\n");
	only[0] = id3;
	only[1] = id1;
	memset(&f, 0, sizeof(f));
	f.only_ids = only;
	f.n_only_ids = 2;
	flush_with(&net, &f, &tr);
	ck_assert_uint_eq(f.sent, 2);
	ck_str(net.out[0], EHLO_SENT TXN_SENT("three") TXN_SENT("one")
	    "QUIT\r\n");
	ck_assert_uint_eq(nqueued(0), 0);
	free(tr);
	fake_net_free(&net);
}
END_TEST

/* deliver_accept with argv, the message text, through config conf. */
static int
accept_msg(struct fake_net *net, const char *conf, const char *const *argv,
    const char *text, struct deliver_accepted *a, struct postie_err *e)
{
	struct submit_connector conn;
	struct deliver_ctx ctx;
	struct opts o;
	char path[128], qdir[160];
	const char *vars[] = { qdir, NULL };
	int fd, argc, rv;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	snprintf(qdir, sizeof(qdir), "POSTIE_QUEUE_DIR=%s/queue", tmpdir);
	ck_assert_msg(opts_parse(&o, argc, (char **)argv, e) == 0, "%s",
	    e->msg);
	o.config = conf;
	snprintf(path, sizeof(path), "%s/in.XXXXXX", tmpdir);
	ck_assert_int_ne(fd = mkstemp(path), -1);
	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	memset(&conn, 0, sizeof(conn));
	conn.open = fake_open;
	conn.arg = net;
	memset(&ctx, 0, sizeof(ctx));
	ctx.conn = &conn;
	ck_assert_int_eq(sysenv_load_from(&ctx.sys, vars, geteuid(), e), 0);
	rv = deliver_accept(&o, fd, &ctx, a, e);
	sysenv_free(ctx.sys);
	close(fd);
	opts_free(&o);
	return rv;
}

static const char *const accept_argv[] = { "postie", "-i", "-a", "work",
	"-f", "you@example.org", "--", "a@example.org", "b@example.net", NULL
};

/* The queue on: prepared, stored due now, nothing sent yet. */
START_TEST(accept_queued)
{
	struct fake_net net;
	struct deliver_accepted a;
	struct postie_err e;
	struct queue_env rec;

	fake_net_init(&net, NULL);
	ck_assert_msg(accept_msg(&net, confpath, accept_argv,
	    "Subject: q\r\nBcc: hidden@example.org\r\n\r\nbody\r\n", &a,
	    &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(net.nopen, 0);
	ck_assert_int_eq(a.held, 0);
	ck_has(e.msg, "queued as ");
	ck_has(e.msg, a.id);
	ck_assert_uint_eq(nqueued(0), 1);
	ck_assert_int_eq(queue_env_read(q, 0, a.id, &rec, &e), 0);
	ck_assert_int_eq(rec.raw, 0);
	ck_str(rec.account, "work");
	ck_str(rec.config, confpath);
	ck_str(rec.env.from, "you@example.org");
	ck_assert_uint_eq(rec.env.rcpts.n, 2);
	ck_assert_int_eq(rec.attempts, 0);
	queue_env_free(&rec);
	/* Prepared as a send is: Bcc gone, From added. */
	snprintf(path_buf, sizeof(path_buf), "%s/queue/%s.msg", tmpdir, a.id);
	ck_assert_ptr_null(strstr(slurp(path_buf), "Bcc"));
	ck_has(slurp(path_buf), "From: you@example.org");
	fake_net_free(&net);
}
END_TEST

/* The queue off: sent now; a refusal comes back with its code. */
START_TEST(accept_relayed)
{
	struct fake_net net;
	struct deliver_accepted a;
	struct postie_err e;
	char off[160];

	snprintf(off, sizeof(off), "%s/off.conf", tmpdir);
	write_file(off, "account work\nhost 127.0.0.1\nport 25\n"
	    "from me@example.org\ntls off\nauth off\nsyslog off\n"
	    "queue off\ndomain client.example.org\n");
	fake_net_init(&net, GREET EHLO_PLAIN "250 2.1.0 ok\r\n"
	    "250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go\r\n250 2.0.0 queued\r\n"
	    "221 bye\r\n");
	ck_assert_msg(accept_msg(&net, off, accept_argv, "Subject: r\n\nx\n",
	    &a, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(net.nopen, 1);
	ck_has(net.out[0], "RCPT TO:<b@example.net>\r\nDATA\r\n");
	ck_str(a.id, "");
	ck_has(e.msg, "accepted by 127.0.0.1");
	fake_net_free(&net);

	/* One recipient refused: 550 for the message, the other got it. */
	fake_net_init(&net, GREET EHLO_PLAIN "250 2.1.0 ok\r\n"
	    "550 5.1.1 no such user\r\n250 2.1.5 ok\r\n354 go\r\n"
	    "250 2.0.0 queued\r\n221 bye\r\n");
	ck_assert_int_eq(accept_msg(&net, off, accept_argv,
	    "Subject: r\n\nx\n", &a, &e), -1);
	ck_assert_int_eq(a.class, POLICY_MESSAGE);
	ck_assert_int_eq(a.code, 550);
	ck_assert_int_eq(e.ex, EX_NOUSER);
	ck_has(e.msg, "550 5.1.1 no such user");
	ck_has(e.msg, "the 1 other recipient got it");
	fake_net_free(&net);

	/* The smarthost cannot be reached: temporary, nothing kept. */
	fake_net_init(&net, NULL);
	ck_assert_int_eq(accept_msg(&net, off, accept_argv,
	    "Subject: r\n\nx\n", &a, &e), -1);
	ck_assert_int_eq(a.class, POLICY_TEMP);
	ck_assert_int_eq(a.code, 0);
	ck_has(e.msg, "Connection refused");
	ck_assert_uint_eq(nqueued(0), 0);
	ck_assert_uint_eq(nqueued(1), 0);
	fake_net_free(&net);
}
END_TEST

/*
 * A config that cannot be read holds the message (as a send does); a
 * bad message is refused and nothing is kept (the client is told).
 */
START_TEST(accept_held_or_refused)
{
	struct fake_net net;
	struct deliver_accepted a;
	struct postie_err e;
	struct queue_env rec;
	char missing[160], bad[1100];

	snprintf(missing, sizeof(missing), "%s/missing.conf", tmpdir);
	fake_net_init(&net, NULL);
	ck_assert_msg(accept_msg(&net, missing, accept_argv,
	    "Subject: h\n\nx\n", &a, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(a.held, 1);
	ck_has(e.msg, "held in the queue as ");
	ck_assert_int_eq(queue_env_read(q, 0, a.id, &rec, &e), 0);
	ck_assert_int_eq(rec.raw, 1);
	ck_assert_int_eq(rec.fault, QUEUE_FAULT_ACCOUNT);
	ck_str(rec.argv[rec.argc - 1], "b@example.net");
	queue_env_free(&rec);
	/* A header line over 998 bytes. */
	memset(bad, 'x', sizeof(bad));
	memcpy(bad, "Subject: ", 9);
	strlcpy(bad + 1050, "\n\nbody\n", sizeof(bad) - 1050);
	ck_assert_int_eq(accept_msg(&net, confpath, accept_argv, bad, &a, &e),
	    -1);
	ck_assert_int_eq(a.class, POLICY_MESSAGE);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_has(e.msg, "longer than 998");
	ck_str(a.id, "");
	ck_assert_uint_eq(nqueued(0), 1);
	ck_assert_uint_eq(nqueued(1), 0);
	ck_assert_uint_eq(net.nopen, 0);
	fake_net_free(&net);
}
END_TEST

/* (d) Two messages of one account: one connection, oldest first. */
START_TEST(flush_one_connection)
{
	struct fake_net net;
	struct deliver_flush f;
	struct postie_err e;
	char id1[QUEUE_ID_LEN], id2[QUEUE_ID_LEN], want[1024], *tr, **ids;
	const char *first, *second;
	size_t n;

	fake_net_init(&net, GREET EHLO_PLAIN TXN_OK TXN_OK "221 bye\r\n");
	put(id1, sizeof(id1), MSGN("one"), one_rcpt);
	put(id2, sizeof(id2), MSGN("two"), one_rcpt);
	/* Ids made in the same second sort by their random part. */
	ck_assert_int_eq(queue_ids(q, 0, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	first = strcmp(ids[0], id1) == 0 ? TXN_SENT("one") : TXN_SENT("two");
	second = strcmp(ids[0], id1) == 0 ? TXN_SENT("two") : TXN_SENT("one");
	queue_ids_free(ids, n);
	flush(&net, &f, &tr);
	ck_assert_uint_eq(net.nopen, 1);
	ck_assert_uint_eq(f.sent, 2);
	ck_assert_uint_eq(f.retry, 0);
	ck_assert_uint_eq(f.failed, 0);
	snprintf(want, sizeof(want), "%s%s%sQUIT\r\n", EHLO_SENT, first,
	    second);
	ck_str(net.out[0], want);
	ck_assert_uint_eq(nqueued(0), 0);
	free(tr);
	fake_net_free(&net);
}
END_TEST

/*
 * A connection that cannot be opened is tried once: its error is every
 * message's.  A 554 greeting holds both; a refused connection keeps both
 * for a retry, quietly.
 */
START_TEST(flush_open_fails_once)
{
	struct fake_net held;
	struct fake_net refused;
	struct fake_net *net = _i == 0 ? &held : &refused;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env rec;
	char id1[QUEUE_ID_LEN], id2[QUEUE_ID_LEN], *tr;

	fake_net_init(&held, "554 5.3.2 no service\r\n221 bye\r\n");
	fake_net_init(&refused, NULL);
	put(id1, sizeof(id1), MSGN("one"), one_rcpt);
	put(id2, sizeof(id2), MSGN("two"), two_rcpts);
	flush(net, &f, &tr);
	ck_assert_uint_eq(net->nopen, 1);
	ck_assert_uint_eq(f.retry, 2);
	ck_assert_uint_eq(f.sent, 0);
	ck_assert_uint_eq(f.failed, 0);
	ck_assert_int_eq(f.ex, _i == 0 ? EX_UNAVAILABLE : 0);
	ck_assert_int_eq(queue_env_read(q, 0, id2, &rec, &e), 0);
	ck_assert_int_eq(rec.fault, _i == 0 ? QUEUE_FAULT_ACCOUNT :
	    QUEUE_FAULT_TEMP);
	ck_has(rec.last_error, _i == 0 ? "554 5.3.2 no service" :
	    "Connection refused");
	queue_env_free(&rec);
	if (_i == 1)
		ck_str(tr, "");
	free(tr);
	fake_net_free(net);
}
END_TEST

/* A message kept before it was prepared is prepared, then sent. */
START_TEST(flush_raw)
{
	struct fake_net net;
	struct deliver_flush f;
	struct postie_err e;
	struct queue_env rec;
	struct msg *m = make_msg("Subject: raw\n\nraw body\n");
	char *tr;

	fake_net_init(&net, GREET EHLO_PLAIN TXN_OK "221 bye\r\n");
	memset(&rec, 0, sizeof(rec));
	rec.raw = 1;
	rec.fault = QUEUE_FAULT_ACCOUNT;
	ck_assert_int_eq(envelope_set(&rec.config, confpath, &e), 0);
	ck_assert_int_eq(queue_env_add_arg(&rec, "-a", &e), 0);
	ck_assert_int_eq(queue_env_add_arg(&rec, "work", &e), 0);
	ck_assert_int_eq(queue_env_add_arg(&rec, "c@example.org", &e), 0);
	ck_assert_msg(queue_put(q, &rec, m, &e) == 0, "%s", e.msg);
	queue_env_free(&rec);
	msg_free(m);
	flush(&net, &f, &tr);
	ck_assert_msg(f.sent == 1, "sent %zu, retry %zu, failed %zu: %s",
	    f.sent, f.retry, f.failed, tr);
	ck_assert_uint_eq(net.nopen, 1);
	ck_has(net.out[0], EHLO_SENT "MAIL FROM:<me@example.org>\r\n"
	    "RCPT TO:<c@example.org>\r\nDATA\r\n");
	ck_has(net.out[0], "Subject: raw\r\n");
	ck_has(net.out[0], "\r\n\r\nraw body\r\n.\r\nQUIT\r\n");
	ck_assert_uint_eq(nqueued(0), 0);
	ck_assert_uint_eq(nqueued(1), 0);
	free(tr);
	fake_net_free(&net);
}
END_TEST

static Suite *
deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("flush");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flush_sent);
	tcase_add_test(tc, flush_greeting_554);
	tcase_add_loop_test(tc, flush_rcpt_split, 0, 2);
	tcase_add_test(tc, flush_rcpt_partial);
	tcase_add_test(tc, flush_one_connection);
	tcase_add_loop_test(tc, flush_open_fails_once, 0, 2);
	tcase_add_test(tc, flush_raw);
	tcase_add_test(tc, flush_only_ids);
	tcase_add_test(tc, accept_queued);
	tcase_add_test(tc, accept_relayed);
	tcase_add_test(tc, accept_held_or_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(deliver_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/msg.c: reading and spooling, the header section,
 * header edits, recipients from headers, SIZE, and emitting.  msg_read
 * takes a descriptor, so input is fed through an unlinked temp file, a
 * SOCK_SEQPACKET pair (each read returns exactly one chunk, which moves
 * line and block boundaries to every position), or a pipe.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "msg.h"
#include "msgtest.h"

/* A string literal with its length, for inputs holding NUL. */
#define S(s)	(s), sizeof(s) - 1

static pid_t feeder = -1;

static int
feed_file(const char *s, size_t len)
{
	char path[] = "/tmp/check_msg.XXXXXX";
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, s, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Feed s in records of chunk bytes; each read(2) returns one record. */
static int
feed_packets(const char *s, size_t len, size_t chunk)
{
	size_t off, k;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	feeder = fork();
	ck_assert_int_ne(feeder, -1);
	if (feeder == 0) {
		close(sv[0]);
		for (off = 0; off < len; off += k) {
			k = len - off < chunk ? len - off : chunk;
			if (write(sv[1], s + off, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void
feed_done(int fd)
{
	int status;

	close(fd);
	if (feeder > 0) {
		ck_assert_int_eq(waitpid(feeder, &status, 0), feeder);
		feeder = -1;
	}
}

/* Feeding modes: 0 a file, else records of this many bytes. */
static const size_t chunks[] = { 0, 1, 2, 3, 7 };
#define NCHUNKS	(sizeof(chunks) / sizeof(chunks[0]))

/* Where the tests' messages are spooled, unless a test says otherwise. */
#define SPOOL	"/tmp"

static int
read_in_dir(struct msg **mp, const char *s, size_t len, int dot,
    size_t chunk, const char *dir, struct postie_err *e)
{
	int fd, rc;

	fd = chunk == 0 ? feed_file(s, len) : feed_packets(s, len, chunk);
	err_clear(e);
	rc = msg_read(mp, fd, dot, dir, e);
	feed_done(fd);
	return rc;
}

static int
read_in(struct msg **mp, const char *s, size_t len, int dot, size_t chunk,
    struct postie_err *e)
{
	return read_in_dir(mp, s, len, dot, chunk, SPOOL, e);
}

/* The message emitted into a new string; *lenp gets its length. */
static char *
emit_all(struct msg *m, size_t *lenp)
{
	struct postie_err e;
	struct sink k;

	memset(&k, 0, sizeof(k));
	err_clear(&e);
	ck_assert_int_eq(msg_emit(m, sink_out, &k, &e), 0);
	ck_assert_uint_le(k.biggest, 64 * 1024);
	*lenp = k.len;
	return k.p;
}

/*
 * Length on the wire, dot-stuffing aside: every LF, CRLF and lone CR a
 * CRLF, and a CRLF after a last line without a line end.
 */
static size_t
crlf_len(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			continue;
		n += p[i] == '\n' || p[i] == '\r' ? 2 : 1;
	}
	if (len > 0 && p[len - 1] != '\n' && p[len - 1] != '\r')
		n += 2;
	return n;
}

/* Octets in the longest line; LF, CRLF and a lone CR end lines. */
static off_t
longest_line(const char *p, size_t len)
{
	off_t cur = 0, max = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' || p[i] == '\r')
			cur = 0;
		else if (++cur > max)
			max = cur;
	}
	return max;
}

static int
has_high(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

static void
assert_mem_eq(const char *got, size_t glen, const char *want, size_t wlen)
{
	size_t i, n;

	if (glen == wlen && memcmp(got, want, wlen) == 0)
		return;
	for (i = 0; i < glen && i < wlen && got[i] == want[i]; i++)
		;
	n = i > 40 ? i - 40 : 0;
	ck_abort_msg("emitted %zu bytes, want %zu; from byte %zu: \"%.*s\", "
	    "want \"%.*s\"", glen, wlen, n,
	    (int)(glen - n > 120 ? 120 : glen - n), got + n,
	    (int)(wlen - n > 120 ? 120 : wlen - n), want + n);
}

static const struct rcase {
	const char *name;
	const char *in;
	size_t	 inlen;
	int	 dot;
	int	 ex;		/* 0: success */
	const char *out;	/* emitted, or the error message */
	size_t	 nh;
	int	 empty;
	int	 eightbit;
	const char *h0;		/* first field's name and value */
	const char *v0;
} rcases[] = {
	{ "lf", S("From: a@b\nTo: c@d\nSubject: hi\n\nbody\n"), 0, 0,
	    "From: a@b\nTo: c@d\nSubject: hi\n\nbody\n", 3, 0, 0,
	    "From", "a@b" },
	{ "crlf", S("From: a@b\r\nSubject: hi\r\n\r\nbody\r\nline2\r\n"), 0, 0,
	    "From: a@b\nSubject: hi\n\nbody\r\nline2\r\n", 2, 0, 0,
	    "From", "a@b" },
	{ "mixed", S("Subject: hi\r\nTo: x@y\r\n\r\nbody\nline2\n"), 0, 0,
	    "Subject: hi\nTo: x@y\n\nbody\nline2\n", 2, 0, 0,
	    "Subject", "hi" },
	{ "fold", S("Subject: one\r\n two\r\n\tthree\r\nTo: x@y\n\nb\n"), 0, 0,
	    "Subject: one\n two\n\tthree\nTo: x@y\n\nb\n", 2, 0, 0,
	    "Subject", "one two\tthree" },
	{ "fold_empty_first", S("Subject:\n  x\n\n"), 0, 0,
	    "Subject:\n  x\n\n", 1, 0, 0, "Subject", "x" },
	{ "obsolete_space", S("Subject : hi\n\nb\n"), 0, 0,
	    "Subject : hi\n\nb\n", 1, 0, 0, "Subject", "hi" },
	{ "empty_value", S("Subject:\nTo: a\n\n"), 0, 0,
	    "Subject:\nTo: a\n\n", 2, 0, 0, "Subject", "" },
	{ "no_body", S("Subject: x\n"), 0, 0,
	    "Subject: x\n\n", 1, 0, 0, "Subject", "x" },
	{ "no_body_no_eol", S("Subject: x"), 0, 0,
	    "Subject: x\n\n", 1, 0, 0, "Subject", "x" },
	{ "no_body_sep", S("Subject: x\r\n\r\n"), 0, 0,
	    "Subject: x\n\n", 1, 0, 0, "Subject", "x" },
	{ "body_no_sep", S("Subject: x\nhello world\nmore\n"), 0, 0,
	    "Subject: x\n\nhello world\nmore\n", 1, 0, 0, "Subject", "x" },
	{ "body_no_sep_no_eol", S("Subject: x\nhello"), 0, 0,
	    "Subject: x\n\nhello", 1, 0, 0, "Subject", "x" },
	{ "no_headers", S("hello\nworld\n"), 0, 0,
	    "\nhello\nworld\n", 0, 0, 0, NULL, NULL },
	{ "space_in_name", S("Dear Bob: hi\nTo: x\n"), 0, 0,
	    "\nDear Bob: hi\nTo: x\n", 0, 0, 0, NULL, NULL },
	{ "empty_name", S(": x\n"), 0, 0,
	    "\n: x\n", 0, 0, 0, NULL, NULL },
	{ "continuation_first", S(" indented\nSubject: x\n"), 0, 0,
	    "\n indented\nSubject: x\n", 0, 0, 0, NULL, NULL },
	{ "mbox_from", S("From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nb\n"),
	    0, 0, "Subject: x\n\nb\n", 1, 0, 0, "Subject", "x" },
	{ "mbox_from_crlf", S("From a@b\r\nSubject: x\r\n\r\nb\r\n"), 0, 0,
	    "Subject: x\n\nb\r\n", 1, 0, 0, "Subject", "x" },
	{ "from_field_kept", S("From: a@b\n\nb\n"), 0, 0,
	    "From: a@b\n\nb\n", 1, 0, 0, "From", "a@b" },
	{ "mbox_from_not_first", S("Subject: x\nFrom a@b\n"), 0, 0,
	    "Subject: x\n\nFrom a@b\n", 1, 0, 0, "Subject", "x" },
	{ "mbox_from_only", S("From a@b\n"), 0, 0,
	    "\n", 0, 1, 0, NULL, NULL },
	{ "empty", S(""), 0, 0, "\n", 0, 1, 0, NULL, NULL },
	{ "only_separator", S("\n"), 0, 0, "\n", 0, 0, 0, NULL, NULL },
	{ "only_body", S("\nbody\n"), 0, 0, "\nbody\n", 0, 0, 0, NULL, NULL },
	{ "bare_cr_body", S("S: x\n\na\rb\r\n\r"), 0, 0,
	    "S: x\n\na\rb\r\n\r", 1, 0, 0, "S", "x" },
	/*
	 * A CR alone in a header field is a space: the DATA encoder would
	 * make it a line end, starting a field that no one read (a Bcc) or
	 * ending the header section early.  A line that only a bare CR
	 * would make a field stays what it is.
	 */
	{ "bare_cr_field", S("Subject: hello\rBcc: hidden@x\r\rInjected\n"
	    "To: a@x\n\nbody\n"), 0, 0,
	    "Subject: hello Bcc: hidden@x  Injected\nTo: a@x\n\nbody\n",
	    2, 0, 0, "Subject", "hello Bcc: hidden@x  Injected" },
	{ "bare_cr_crlf", S("Subject: a\rb\r\n\r\nbody\r\n"), 0, 0,
	    "Subject: a b\n\nbody\r\n", 1, 0, 0, "Subject", "a b" },
	{ "bare_cr_fold", S("Subject: a\r\n b\rTo: c\r\n\r\nb\r\n"), 0, 0,
	    "Subject: a\n b To: c\n\nb\r\n", 1, 0, 0, "Subject",
	    "a b To: c" },
	{ "bare_cr_fold_only", S("S: x\n \r\r\n\nb\n"), 0, 0,
	    "S: x\n  \n\nb\n", 1, 0, 0, "S", "x  " },
	{ "bare_cr_before_crlf", S("S: x\r\r\n\r\nb\n"), 0, 0,
	    "S: x \n\nb\n", 1, 0, 0, "S", "x " },
	{ "bare_cr_at_eof", S("S: x\r"), 0, 0,
	    "S: x \n\n", 1, 0, 0, "S", "x " },
	{ "bare_cr_in_name", S("Bcc\r: h@x\nTo: y\n"), 0, 0,
	    "\nBcc\r: h@x\nTo: y\n", 0, 0, 0, NULL, NULL },
	{ "bare_cr_starts_line", S("S: x\n\rBcc: h@x\n\nb\n"), 0, 0,
	    "S: x\n\n\rBcc: h@x\n\nb\n", 1, 0, 0, "S", "x" },
	{ "nul_header", S("Subject: a\0b\n\nbody\n"), 0, EX_DATAERR,
	    "message holds a NUL byte at line 1", 0, 0, 0,
	    NULL, NULL },
	{ "nul_header_line3", S("A: b\nC: d\nE:\0\n\n"), 0, EX_DATAERR,
	    "message holds a NUL byte at line 3", 0, 0, 0,
	    NULL, NULL },
	{ "nul_body", S("Subject: x\n\nl3\nl\0\n"), 0, EX_DATAERR,
	    "message holds a NUL byte at line 4", 0, 0, 0,
	    NULL, NULL },
	{ "nul_body_crlf", S("S: x\r\n\r\nl3\r\nl4\r\n\0"), 0, EX_DATAERR,
	    "message holds a NUL byte at line 5", 0, 0, 0,
	    NULL, NULL },
	{ "nul_first_body_line", S("Subject: x\nab\0c\n"), 0, EX_DATAERR,
	    "message holds a NUL byte at line 2", 0, 0, 0,
	    NULL, NULL },
	{ "nul_mbox_line", S("From x\0\n"), 0, EX_DATAERR,
	    "message holds a NUL byte at line 1", 0, 0, 0,
	    NULL, NULL },
	{ "nul_after_dot_line", S("S: x\n\nok\n.\n\0"), 1, 0,
	    "S: x\n\nok\n", 1, 0, 0, "S", "x" },
	{ "dot_off", S("Subject: x\n\nline\n.\nafter\n"), 0, 0,
	    "Subject: x\n\nline\n.\nafter\n", 1, 0, 0, "Subject", "x" },
	{ "dot_on", S("Subject: x\n\nline\n.\nafter\n"), 1, 0,
	    "Subject: x\n\nline\n", 1, 0, 0, "Subject", "x" },
	{ "dot_crlf", S("Subject: x\r\n\r\nline\r\n.\r\nafter\r\n"), 1, 0,
	    "Subject: x\n\nline\r\n", 1, 0, 0, "Subject", "x" },
	{ "dot_lookalikes", S("S: x\n\n..\n.x\n. \n.\r\r\n x\nend\n"), 1, 0,
	    "S: x\n\n..\n.x\n. \n.\r\r\n x\nend\n", 1, 0, 0, "S", "x" },
	{ "dot_at_eof", S("S: x\n\nend\n."), 1, 0,
	    "S: x\n\nend\n.", 1, 0, 0, "S", "x" },
	{ "dot_cr_at_eof", S("S: x\n\nend\n.\r"), 1, 0,
	    "S: x\n\nend\n.\r", 1, 0, 0, "S", "x" },
	{ "dot_in_headers", S("Subject: x\n.\nTo: y\n"), 1, 0,
	    "Subject: x\n\n", 1, 0, 0, "Subject", "x" },
	{ "dot_in_headers_off", S("Subject: x\n.\nTo: y\n"), 0, 0,
	    "Subject: x\n\n.\nTo: y\n", 1, 0, 0, "Subject", "x" },
	{ "dot_first_line", S(".\nSubject: x\n"), 1, 0,
	    "\n", 0, 1, 0, NULL, NULL },
	{ "dot_first_body_line", S("S: x\n\n.\nmore\n"), 1, 0,
	    "S: x\n\n", 1, 0, 0, "S", "x" },
	{ "dot_after_text_line", S("S: x\nbody\n.\r\nmore"), 1, 0,
	    "S: x\n\nbody\n", 1, 0, 0, "S", "x" },
	{ "dot_mid_line", S("S: x\n\na.\nb.\r\n.\n"), 1, 0,
	    "S: x\n\na.\nb.\r\n", 1, 0, 0, "S", "x" },
	{ "8bit_body", S("S: x\n\ncaf\xc3\xa9\n"), 0, 0,
	    "S: x\n\ncaf\xc3\xa9\n", 1, 0, 1, "S", "x" },
	{ "8bit_header", S("Subject: caf\xc3\xa9\n\nb\n"), 0, 0,
	    "Subject: caf\xc3\xa9\n\nb\n", 1, 0, 1, "Subject", "caf\xc3\xa9" },
	{ "8bit_word", S("S: x\n\nabcdefgh\x80" "abcdefghijklmnop"), 0, 0,
	    "S: x\n\nabcdefgh\x80" "abcdefghijklmnop", 1, 0, 1, "S", "x" },
	{ "8bit_tail", S("S: x\n\nabcdefghijklmnopqrstuvw\xff"), 0, 0,
	    "S: x\n\nabcdefghijklmnopqrstuvw\xff", 1, 0, 1, "S", "x" },
	{ "7bit", S("S: x\n\n~\x7f\x01 abcdefghijklmnop\n"), 0, 0,
	    "S: x\n\n~\x7f\x01 abcdefghijklmnop\n", 1, 0, 0, "S", "x" },
	/* The 8-bit test reads 32 bytes a step, then 8, then 1. */
#define L32	"abcdefghijklmnopqrstuvwxyz012345"
	{ "8bit_in_block", S("S: x\n\n" L32 "\r\nabcdefghijklmnopqrstuv\x80"
	    L32), 0, 0, "S: x\n\n" L32 "\r\nabcdefghijklmnopqrstuv\x80" L32,
	    1, 0, 1, "S", "x" },
	{ "8bit_in_word", S("S: x\n\n" L32 "abcde\x80z\n"), 0, 0,
	    "S: x\n\n" L32 "abcde\x80z\n", 1, 0, 1, "S", "x" },
	{ "8bit_in_rest", S("S: x\n\n" L32 "abcdefg\nab\xc0"), 0, 0,
	    "S: x\n\n" L32 "abcdefg\nab\xc0", 1, 0, 1, "S", "x" },
	{ "7bit_long", S("S: x\n\n" L32 L32 "\r\n" L32 "\n\rab\n\r\n"), 0,
	    0, "S: x\n\n" L32 L32 "\r\n" L32 "\n\rab\n\r\n", 1, 0, 0,
	    "S", "x" },
#undef L32
};
#define NRCASES	(sizeof(rcases) / sizeof(rcases[0]))

START_TEST(test_read)
{
	const struct rcase *c = &rcases[_i / NCHUNKS];
	size_t chunk = chunks[_i % NCHUNKS], glen, glen2, outlen, hlen;
	struct postie_err e;
	struct msg *m;
	char *got, *got2;
	const char *sep;

	if (read_in(&m, c->in, c->inlen, c->dot, chunk, &e) == -1) {
		if (c->ex == 0)
			ck_abort_msg("%s (chunk %zu): %s", c->name, chunk,
			    e.msg);
		ck_assert_int_eq(e.ex, c->ex);
		ck_assert_str_eq(e.msg, c->out);
		ck_assert_ptr_null(m);
		return;
	}
	if (c->ex != 0)
		ck_abort_msg("%s (chunk %zu): read, want \"%s\"", c->name,
		    chunk, c->out);
	outlen = strlen(c->out);
	got = emit_all(m, &glen);
	assert_mem_eq(got, glen, c->out, outlen);
	/* A second emit gives the same bytes. */
	got2 = emit_all(m, &glen2);
	assert_mem_eq(got2, glen2, c->out, outlen);
	ck_assert_int_eq(msg_size(m), (off_t)crlf_len(c->out, outlen));
	if (c->nh == 0)
		hlen = 1;
	else {
		sep = strstr(c->out, "\n\n");
		ck_assert_ptr_nonnull(sep);
		hlen = sep - c->out + 2;
	}
	ck_assert_int_eq(msg_body_size(m), (off_t)(outlen - hlen));
	ck_assert_int_eq(msg_body_longest_line(m),
	    longest_line(c->out + hlen, outlen - hlen));
	ck_assert_int_eq(msg_body_8bit(m), has_high(c->out + hlen,
	    outlen - hlen));
	ck_assert_uint_eq(msg_nheaders(m), c->nh);
	ck_assert_int_eq(msg_is_empty(m), c->empty);
	ck_assert_int_eq(msg_has_8bit(m), c->eightbit);
	if (c->h0 != NULL) {
		ck_assert_str_eq(msg_header_name(m, 0), c->h0);
		ck_assert_str_eq(msg_header_value(m, 0), c->v0);
	}
	ck_assert_ptr_null(msg_header_name(m, c->nh));
	free(got);
	free(got2);
	msg_free(m);
}
END_TEST

enum lkind {
	L_FIELD,	/* a field line of n bytes */
	L_CONT,		/* a continuation line of n bytes */
	L_TEXT,		/* a first line of n bytes that is not a field */
	L_MBOX,		/* an mbox "From " line of n bytes */
	L_BODY		/* a body line of n bytes */
};

static const size_t llens[] = { 997, 998, 999, 1000, 5000, 70000 };
#define NLLENS	(sizeof(llens) / sizeof(llens[0]))
static const size_t lchunks[] = { 0, 1, 7, 997 };
#define NLCHUNKS	(sizeof(lchunks) / sizeof(lchunks[0]))
#define NLKINDS	5

/* Appends to a buffer known to be large enough. */
static size_t
put(char *buf, size_t off, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + off, s, n);
	return off + n;
}

static size_t
put_line(char *buf, size_t off, const char *start, size_t n)
{
	size_t k = strlen(start);

	memcpy(buf + off, start, k);
	memset(buf + off + k, 'a', n - k);
	return off + n;
}

START_TEST(test_line_length)
{
	size_t i = (size_t)_i, chunk, n, len = 0, wlen = 0, glen;
	enum lkind kind;
	const char *eol;
	char *in, *want, *got;
	struct postie_err e;
	struct msg *m;
	int ok;

	chunk = lchunks[i % NLCHUNKS];
	i /= NLCHUNKS;
	eol = i % 2 ? "\r\n" : "\n";
	i /= 2;
	n = llens[i % NLLENS];
	kind = (enum lkind)(i / NLLENS);
	/* One-byte records of a 70000-byte line only cost time. */
	if (chunk == 1 && n > 5000)
		chunk = 4093;
	in = malloc(n + 64);
	want = malloc(n + 64);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(want);
	ok = n <= BOUND_HEADER_LINE || kind == L_TEXT || kind == L_MBOX ||
	    kind == L_BODY;
	switch (kind) {
	case L_FIELD:
		len = put_line(in, len, "Subject: ", n);
		len = put(in, len, eol);
		len = put(in, len, "To: x");
		len = put(in, len, eol);
		wlen = put_line(want, wlen, "Subject: ", n);
		wlen = put(want, wlen, "\nTo: x\n\n");
		break;
	case L_CONT:
		len = put(in, len, "Subject: x");
		len = put(in, len, eol);
		len = put_line(in, len, " ", n);
		len = put(in, len, eol);
		wlen = put(want, wlen, "Subject: x\n");
		wlen = put_line(want, wlen, " ", n);
		wlen = put(want, wlen, "\n\n");
		break;
	case L_TEXT:
		len = put_line(in, len, "text", n);
		len = put(in, len, eol);
		len = put(in, len, "To: x");
		len = put(in, len, eol);
		wlen = put(want, wlen, "\n");
		memcpy(want + wlen, in, len);
		wlen += len;
		break;
	case L_MBOX:
		len = put_line(in, len, "From ", n);
		len = put(in, len, eol);
		len = put(in, len, "To: x");
		len = put(in, len, eol);
		len = put(in, len, eol);
		len = put(in, len, "b");
		wlen = put(want, wlen, "To: x\n\nb");
		break;
	case L_BODY:
		len = put(in, len, "To: x");
		len = put(in, len, eol);
		len = put(in, len, eol);
		len = put_line(in, len, "body", n);
		len = put(in, len, eol);
		wlen = put(want, wlen, "To: x\n\n");
		wlen = put_line(want, wlen, "body", n);
		wlen = put(want, wlen, eol);
		break;
	}
	if (read_in(&m, in, len, 0, chunk, &e) == -1) {
		if (ok)
			ck_abort_msg("kind %d len %zu chunk %zu: %s", kind, n,
			    chunk, e.msg);
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_str_eq(e.msg, kind == L_FIELD ?
		    "header line 1 longer than 998 bytes" :
		    "header line 2 longer than 998 bytes");
	} else {
		if (!ok)
			ck_abort_msg("kind %d len %zu chunk %zu: accepted",
			    kind, n, chunk);
		got = emit_all(m, &glen);
		assert_mem_eq(got, glen, want, wlen);
		ck_assert_int_eq(msg_size(m), (off_t)crlf_len(want, wlen));
		free(got);
		msg_free(m);
	}
	free(in);
	free(want);
}
END_TEST

/* nfields lines of "X: aaa...", each linelen bytes with LF. */
static char *
many_fields(size_t nfields, size_t linelen, size_t *lenp)
{
	size_t i, len = 0;
	char *s;

	s = malloc(nfields * linelen + 16);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < nfields; i++) {
		len = put_line(s, len, "X: ", linelen - 1);
		s[len++] = '\n';
	}
	len = put(s, len, "\nbody\n");
	*lenp = len;
	return s;
}

static const struct {
	size_t	 nfields;
	size_t	 linelen;
	const char *err;
} scases[] = {
	{ BOUND_HEADER_FIELDS, 6, NULL },
	{ BOUND_HEADER_FIELDS + 1, 6,
	    "header section holds more than 10000 fields at line 10001" },
	/* 1050 * 998 = 1047900 fits in 1 MiB; 1051 lines do not. */
	{ 1050, 998, NULL },
	{ 1051, 998, "header section longer than 1048576 bytes at line 1051" },
};

START_TEST(test_section_limits)
{
	size_t len, glen;
	struct postie_err e;
	struct msg *m;
	char *in, *got;

	in = many_fields(scases[_i].nfields, scases[_i].linelen, &len);
	if (read_in(&m, in, len, 0, 0, &e) == -1) {
		ck_assert_ptr_nonnull(scases[_i].err);
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_str_eq(e.msg, scases[_i].err);
	} else {
		ck_assert_ptr_null(scases[_i].err);
		ck_assert_uint_eq(msg_nheaders(m), scases[_i].nfields);
		got = emit_all(m, &glen);
		assert_mem_eq(got, glen, in, len);
		free(got);
		msg_free(m);
	}
	free(in);
}
END_TEST

START_TEST(test_edits)
{
	static const char in[] =
	    "Received: r1\n"
	    "From: a@b\r\n"
	    "Bcc: x@y\n"
	    "To: c@d\n"
	    "bcc: z@w,\n"
	    " q@r\n"
	    "Subject: a\n"
	    "  b\n"
	    "\n"
	    "body\r\n";
	static const char want[] =
	    "Received: by host\n"
	    "Received: r1\n"
	    "From: a@b\n"
	    "To: c@d\n"
	    "Subject: new\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "X-Empty:\n"
	    "\n"
	    "body\r\n";
	struct postie_err e;
	struct msg *m;
	ssize_t i;
	size_t glen;
	char *got;

	ck_assert_int_eq(read_in(&m, S(in), 0, 0, &e), 0);
	ck_assert_uint_eq(msg_nheaders(m), 6);
	ck_assert_int_eq(msg_header_find(m, "BCC", 0), 2);
	ck_assert_int_eq(msg_header_find(m, "bcc", 3), 4);
	ck_assert_str_eq(msg_header_value(m, 4), "z@w, q@r");
	ck_assert_int_eq(msg_header_find(m, "Cc", 0), -1);
	ck_assert_uint_eq(msg_header_remove(m, "Bcc"), 2);
	ck_assert_uint_eq(msg_header_remove(m, "Bcc"), 0);
	ck_assert_int_eq(msg_header_find(m, "bcc", 0), -1);
	ck_assert_int_eq(msg_header_add(m, "Date",
	    "Mon, 1 Jan 2024 00:00:00 +0000", 0, &e), 0);
	ck_assert_int_eq(msg_header_add(m, "Received", "by host", 1, &e), 0);
	ck_assert_int_eq(msg_header_add(m, "X-Empty", "", 0, &e), 0);
	i = msg_header_find(m, "subject", 0);
	ck_assert_int_eq(i, 4);
	ck_assert_str_eq(msg_header_value(m, i), "a  b");
	ck_assert_int_eq(msg_header_set(m, i, "new", &e), 0);
	ck_assert_str_eq(msg_header_value(m, i), "new");
	ck_assert_str_eq(msg_header_name(m, i), "Subject");
	ck_assert_int_eq(msg_header_find(m, "Received", 1), 1);
	ck_assert_str_eq(msg_header_value(m, 0), "by host");
	ck_assert_str_eq(msg_header_value(m, 6), "");

	got = emit_all(m, &glen);
	assert_mem_eq(got, glen, want, sizeof(want) - 1);
	ck_assert_int_eq(msg_size(m), (off_t)crlf_len(want, sizeof(want) - 1));
	ck_assert_int_eq(msg_size(m), (off_t)sizeof(want) - 1 + 8);
	free(got);

	/* Refused edits leave the message as it was. */
	ck_assert_int_eq(msg_header_add(m, "X", "a\r\nBcc: evil@x", 0, &e),
	    -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_add(m, "X", "a\nb", 1, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_add(m, "X", "a\rb", 1, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_add(m, "Bad Name", "v", 0, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_add(m, "Bad:", "v", 0, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_add(m, "", "v", 0, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_set(m, 0, "x\ny", &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(msg_header_set(m, 7, "x", &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_uint_eq(msg_nheaders(m), 7);
	ck_assert_str_eq(msg_header_value(m, 0), "by host");
	got = emit_all(m, &glen);
	assert_mem_eq(got, glen, want, sizeof(want) - 1);
	free(got);

	/* 8-bit follows the edited header section. */
	ck_assert_int_eq(msg_has_8bit(m), 0);
	ck_assert_int_eq(msg_header_add(m, "X-8", "caf\xc3\xa9", 0, &e), 0);
	ck_assert_int_eq(msg_has_8bit(m), 1);
	ck_assert_uint_eq(msg_header_remove(m, "x-8"), 1);
	ck_assert_int_eq(msg_has_8bit(m), 0);
	msg_free(m);
}
END_TEST

static const struct {
	const char *in;
	const char *want;	/* specs joined by ",", or the error */
} xcases[] = {
	{ "To: a@x, b@x\nCc: c@x\nBcc: d@x\nFrom: f@x\nReply-To: r@x\n\n",
	    "a@x,b@x,c@x,d@x" },
	{ "TO: a@x\ncc: B <b@x>\nbCC: \"d d\"@x\n\nTo: not@x\n",
	    "a@x,b@x,\"d d\"@x" },
	{ "To: a@x,\n b@x\nTo: a@x\n\n", "a@x,b@x" },
	{ "Subject: none\n\n", "" },
	{ "To: a@x\nSubject: hi\rBcc: h@x\r\rX\n\n", "a@x" },
	{ "To:\nCc: undisclosed-recipients:;\n\n", "" },
	{ "Resent-From: r@x\nResent-Date: now\nResent-To: n1@x\n"
	    "Resent-Cc: n2@x\nResent-Bcc: n3@x\nReceived: by y\n"
	    "Resent-From: o@x\nResent-Date: then\nResent-To: old@x\n"
	    "To: a@x\n\n", "n1@x,n2@x,n3@x" },
	{ "Received: by z\nResent-From: r@x\nResent-To: n1@x\n"
	    "Resent-From: o@x\nResent-To: old@x\nTo: a@x\n\n", "n1@x" },
	{ "Resent-Date: now\nResent-To: n1@x\nX-Other: y\nResent-Cc: n2@x\n"
	    "Resent-Date: then\nResent-Cc: old@x\n\n", "n1@x,n2@x" },
	{ "resent-to: n1@x\nReturn-Path: <p@x>\nResent-To: old@x\n\n",
	    "n1@x" },
	/* Resent- fields without recipients: none, not To. */
	{ "Resent-From: r@x\nTo: a@x\n\n", "" },
	{ "To: a@x\nCc: <<bad\n\n", "bad address list in Cc: " },
	{ "TO: a@@x\n\n", "bad address list in TO: " },
	{ "Resent-From: r@x\nResent-Bcc: a@x, <\nTo: a@x\n\n",
	    "bad address list in Resent-Bcc: " },
	/* Only the fields that are read are parsed. */
	{ "Resent-To: a@x\nReceived: x\nResent-To: <<bad\nCc: <<bad\n\n",
	    "a@x" },
};

START_TEST(test_recipients)
{
	struct addr_list l;
	struct postie_err e;
	struct msg *m;
	char got[512];
	size_t i;
	int rc;

	ck_assert_int_eq(read_in(&m, xcases[_i].in, strlen(xcases[_i].in), 0,
	    0, &e), 0);
	memset(&l, 0, sizeof(l));
	err_clear(&e);
	rc = msg_recipients(m, &l, &e);
	if (strncmp(xcases[_i].want, "bad ", 4) == 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.ex, EX_DATAERR);
		if (strncmp(e.msg, xcases[_i].want,
		    strlen(xcases[_i].want)) != 0 ||
		    strlen(e.msg) == strlen(xcases[_i].want))
			ck_abort_msg("error \"%s\", want \"%s...\"", e.msg,
			    xcases[_i].want);
	} else {
		if (rc == -1)
			ck_abort_msg("case %d: %s", _i, e.msg);
		got[0] = '\0';
		for (i = 0; i < l.n; i++) {
			if (i > 0)
				strlcat(got, ",", sizeof(got));
			strlcat(got, l.v[i].spec, sizeof(got));
		}
		ck_assert_str_eq(got, xcases[_i].want);
	}
	addr_list_free(&l);
	msg_free(m);
}
END_TEST

/* Recipients are appended to what the list holds already. */
START_TEST(test_recipients_append)
{
	struct addr_list l;
	struct postie_err e;
	struct msg *m;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(addr_list_add(&l, "cmd@x", &e), 0);
	ck_assert_int_eq(read_in(&m, S("To: a@x, cmd@x\n\n"), 0, 0, &e), 0);
	ck_assert_int_eq(msg_recipients(m, &l, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].spec, "cmd@x");
	ck_assert_str_eq(l.v[1].spec, "a@x");
	addr_list_free(&l);
	msg_free(m);
}
END_TEST

/* The spool is a 0600 file in $TMPDIR, unlinked, holding the body. */
START_TEST(test_spool_file)
{
	char dir[] = "/tmp/check_msg_dir.XXXXXX", link[64], target[PATH_MAX];
	struct postie_err e;
	struct dirent *de;
	struct stat st;
	struct msg *m;
	ssize_t n;
	DIR *d;
	int fd, found = 0, entries = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(read_in_dir(&m, S("S: x\n\n0123456789\n"), 0, 0, dir,
	    &e), 0);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			entries++;
	closedir(d);
	ck_assert_int_eq(entries, 0);
	for (fd = 3; fd < 256; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, strlen(dir)) != 0)
			continue;
		ck_assert_ptr_nonnull(strstr(target, "(deleted)"));
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0600);
		ck_assert_int_eq(st.st_size, 11);
		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		found++;
	}
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(msg_body_size(m), 11);
	msg_free(m);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_spool_dir_missing)
{
	struct postie_err e;
	struct msg *m;

	ck_assert_int_eq(read_in_dir(&m, S("S: x\n\n"), 0, 0,
	    "/nonexistent/postie", &e), -1);
	ck_assert_int_eq(e.ex, EX_CANTCREAT);
	ck_assert_str_eq(e.msg, "cannot create spool file in "
	    "/nonexistent/postie: No such file or directory");
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_read_error)
{
	struct postie_err e;
	struct msg *m;
	int fd;

	fd = open("/", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(msg_read(&m, fd, 0, SPOOL, &e), -1);
	ck_assert_int_eq(e.ex, EX_IOERR);
	ck_assert_str_eq(e.msg, "cannot read message: Is a directory");
	ck_assert_ptr_null(m);
	close(fd);
}
END_TEST

static int
fail_out(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	int *calls = arg;

	(void)buf;
	(void)len;
	(*calls)++;
	err_setx(e, EX_TEMPFAIL, "connection lost");
	return -1;
}

START_TEST(test_emit_error)
{
	struct postie_err e;
	struct msg *m;
	int calls = 0;

	ck_assert_int_eq(read_in(&m, S("S: x\n\nb\n"), 0, 0, &e), 0);
	ck_assert_int_eq(msg_emit(m, fail_out, &calls, &e), -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_str_eq(e.msg, "connection lost");
	ck_assert_int_eq(calls, 1);
	msg_free(m);
}
END_TEST

/*
 * Input in pieces of sizes on both sides of half a block (which the
 * spool writes through) and of a block, small and large in turn: the
 * pieces gathered and those written through keep their order.
 */
START_TEST(test_spool_pieces)
{
	/* Records a read(2) takes whole: at most a block each. */
	static const size_t sizes[] = { 6, 5, 40000, 3, 65536, 32767, 32768,
	    1, 65536, 65535, 7, 50000, 2 };
	static const char head[] = "S: x\n\n";
	struct postie_err e;
	struct msg *m;
	size_t i, n = 0, off, glen;
	char *in, *got;
	int sv[2], status, sndbuf = 256 * 1024;
	pid_t pid;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		n += sizes[i];
	in = malloc(n);
	ck_assert_ptr_nonnull(in);
	memcpy(in, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < n; i++)
		in[i] = i % 61 == 60 ? '\n' : 'a' + (char)(i % 23);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf));
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		for (i = 0, off = 0; i < sizeof(sizes) / sizeof(sizes[0]);
		    off += sizes[i++])
			if (write(sv[1], in + off, sizes[i]) !=
			    (ssize_t)sizes[i])
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	ck_assert_int_eq(msg_read(&m, sv[0], 0, SPOOL, &e), 0);
	close(sv[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	got = emit_all(m, &glen);
	assert_mem_eq(got, glen, in, n);
	ck_assert_int_eq(msg_body_size(m), (off_t)(n - sizeof(head) + 1));
	free(got);
	free(in);
	msg_free(m);
}
END_TEST

/* The large message: lines of varied length, some CRLF, some 8-bit. */
#define BIG_SIZE	(20 * 1024 * 1024)

struct gen {
	uint64_t hash;		/* FNV-1a of every byte */
	size_t	 len;
	size_t	 bare_lf;
	int	 fd;		/* write here when not -1 */
	char	 buf[65536];
	size_t	 blen;
};

static void
fnv(uint64_t *h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*h ^= (unsigned char)p[i];
		*h *= UINT64_C(0x100000001b3);
	}
}

static void
gen_put(struct gen *g, const char *p, size_t n)
{
	fnv(&g->hash, p, n);
	g->len += n;
	if (g->fd == -1)
		return;
	if (g->blen + n > sizeof(g->buf)) {
		if (write(g->fd, g->buf, g->blen) != (ssize_t)g->blen)
			_exit(1);
		g->blen = 0;
	}
	memcpy(g->buf + g->blen, p, n);
	g->blen += n;
}

static void
gen_run(struct gen *g)
{
	static const char head[] = "Subject: big\nTo: a@b\n\n";
	char line[400];
	size_t k, n;

	g->hash = UINT64_C(0xcbf29ce484222325);
	g->len = g->blen = 0;
	g->bare_lf = 3;
	gen_put(g, head, sizeof(head) - 1);
	for (k = 0; g->len < BIG_SIZE; k++) {
		n = (size_t)snprintf(line, sizeof(line), "line %zu ", k);
		memset(line + n, 'a' + (int)(k % 26), k % 300);
		n += k % 300;
		if (k % 5000 == 17) {
			memcpy(line + n, "caf\xc3\xa9", 5);
			n += 5;
		}
		if (k % 3 == 0)
			line[n++] = '\r';
		else
			g->bare_lf++;
		line[n++] = '\n';
		gen_put(g, line, n);
	}
	if (g->fd != -1 && g->blen > 0 &&
	    write(g->fd, g->buf, g->blen) != (ssize_t)g->blen)
		_exit(1);
}

static int
hash_out(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	struct gen *g = arg;

	(void)e;
	fnv(&g->hash, buf, len);
	g->len += len;
	return 0;
}

START_TEST(test_large)
{
	static struct gen g, out;
	struct postie_err e;
	struct msg *m;
	long before, after, control;
	volatile char *hog;
	char *p2;
	size_t i;
	pid_t pid;
	int p[2], status, round;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		g.fd = p[1];
		gen_run(&g);
		_exit(0);
	}
	close(p[1]);
	g.fd = -1;
	gen_run(&g);
	ck_assert_uint_ge(g.len, BIG_SIZE);

	before = maxrss_kb();
	ck_assert_int_eq(msg_read(&m, p[0], 0, SPOOL, &e), 0);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	ck_assert_uint_eq(msg_nheaders(m), 2);
	ck_assert_int_eq(msg_body_size(m), (off_t)(g.len - 22));
	ck_assert_int_eq(msg_size(m), (off_t)(g.len + g.bare_lf));
	ck_assert_int_eq(msg_has_8bit(m), 1);
	for (round = 0; round < 2; round++) {
		memset(&out, 0, sizeof(out));
		out.hash = UINT64_C(0xcbf29ce484222325);
		ck_assert_int_eq(msg_emit(m, hash_out, &out, &e), 0);
		ck_assert_uint_eq(out.len, g.len);
		ck_assert(out.hash == g.hash);
	}
	after = maxrss_kb();
	msg_free(m);
	/* Reading and emitting 20 MB costs well under 4 MB of memory. */
	if (after - before > 4096)
		ck_abort_msg("max RSS grew by %ld KiB", after - before);

	/* And the measure does see 20 MB held in memory. */
	p2 = malloc(BIG_SIZE);
	ck_assert_ptr_nonnull(p2);
	hog = p2;
	for (i = 0; i < BIG_SIZE; i += 4096)
		hog[i] = 1;
	control = maxrss_kb();
	ck_assert_int_ge(control - after, 15 * 1024);
	free(p2);
}
END_TEST

/*
 * msg_read_keep: input refused for its content is kept whole: the
 * fields read before the fault, an empty line, then the rest as read.
 */
static const char klong[] = "Subject: a\nX-Long: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "\nTo: d@x\n\nbody\n";

static const struct kcase {
	const char *in;
	size_t	 inlen;
	const char *want_err;
	size_t	 headlen;	/* bytes of in that are parsed fields */
} kcases[] = {
	/* NUL in the body, CRLF kept as read in the body. */
	{ S("Subject: a\nTo: b@x\n\nline1\r\nnu\0l\r\nafter\r\n"),
	    "NUL byte at line 5", 19 },
	/* NUL in a header field: that line starts the kept rest. */
	{ S("Subject: a\nX: b\0c\nTo: d@x\n\nbody\n"), "NUL byte at line 2",
	    11 },
	/* NUL in the last byte, no final newline. */
	{ S("Subject: a\n\nbody\0"), "NUL byte at line 3", 11 },
	/* A header line over 998 bytes. */
	{ S(klong), "header line 2 longer than 998 bytes", 11 },
};

START_TEST(test_keep)
{
	const struct kcase *c = &kcases[_i / NCHUNKS];
	struct msg *m = NULL, *kept = NULL;
	struct postie_err e;
	char *out, *want;
	size_t outlen, wantlen, hl = c->headlen;
	int fd;

	fd = chunks[_i % NCHUNKS] == 0 ? feed_file(c->in, c->inlen) :
	    feed_packets(c->in, c->inlen, chunks[_i % NCHUNKS]);
	err_clear(&e);
	ck_assert_int_eq(msg_read_keep(&m, &kept, fd, 0, SPOOL, &e), -1);
	feed_done(fd);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_msg(strstr(e.msg, c->want_err) != NULL, "error: %s", e.msg);
	ck_assert_ptr_nonnull(kept);
	/* The fields, the empty line msg_emit puts after them, the rest. */
	wantlen = c->inlen + (c->in[hl - 1] == '\n' && c->in[hl] == '\n' ?
	    0 : 1);
	want = malloc(wantlen);
	ck_assert_ptr_nonnull(want);
	memcpy(want, c->in, hl);
	if (wantlen > c->inlen)
		want[hl++] = '\n';
	memcpy(want + hl, c->in + c->headlen, c->inlen - c->headlen);
	out = emit_all(kept, &outlen);
	ck_assert_uint_eq(outlen, wantlen);
	ck_assert_int_eq(memcmp(out, want, wantlen), 0);
	free(out);
	free(want);
	msg_free(kept);
}
END_TEST

/* Nothing is kept when the input is fine, or without keptp. */
START_TEST(test_keep_none)
{
	struct msg *m = NULL, *kept = (struct msg *)&kept;
	struct postie_err e;
	int fd;

	fd = feed_file(S("Subject: a\n\nbody\n"));
	err_clear(&e);
	ck_assert_int_eq(msg_read_keep(&m, &kept, fd, 0, SPOOL, &e), 0);
	feed_done(fd);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(kept);
	msg_free(m);

	fd = feed_file(S("Subject: a\n\nb\0ody\n"));
	err_clear(&e);
	ck_assert_int_eq(msg_read_keep(&m, NULL, fd, 0, SPOOL, &e), -1);
	feed_done(fd);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(e.ex, EX_DATAERR);
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc;

	tc = tcase_create("read");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_read, 0, NRCASES * NCHUNKS);
	tcase_add_loop_test(tc, test_line_length, 0,
	    NLKINDS * NLLENS * 2 * NLCHUNKS);
	tcase_add_loop_test(tc, test_section_limits, 0,
	    sizeof(scases) / sizeof(scases[0]));
	tcase_add_test(tc, test_read_error);
	tcase_add_loop_test(tc, test_keep, 0,
	    sizeof(kcases) / sizeof(kcases[0]) * NCHUNKS);
	tcase_add_test(tc, test_keep_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("spool");
	tcase_add_test(tc, test_spool_file);
	tcase_add_test(tc, test_spool_dir_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("edit");
	tcase_add_test(tc, test_edits);
	tcase_add_test(tc, test_emit_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("recipients");
	tcase_add_loop_test(tc, test_recipients, 0,
	    sizeof(xcases) / sizeof(xcases[0]));
	tcase_add_test(tc, test_recipients_append);
	suite_add_tcase(s, tc);

	tc = tcase_create("large");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_spool_pieces);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(msg_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: ISC */
/*
 * Tests for io.c: line reading across transport reads of any size, the
 * line bound, end of stream, pending bytes, write batching, and that
 * every transport call carries the io's timeout.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "io.h"

static struct io *
mem_io(const char *script, size_t chunk, struct io_mem **mp)
{
	struct io_mem *m;
	struct io *io;

	m = io_mem_new(script, strlen(script), chunk);
	ck_assert_ptr_nonnull(m);
	io = io_new(&io_mem_ops, m, 5);
	ck_assert_ptr_nonnull(io);
	if (mp != NULL)
		*mp = m;
	return io;
}

static const char lines_script[] =
    "250-first line\r\n"
    "bare lf\n"
    "\r\n"
    "a line with a \r inside\r\n"
    "last\r\n";

static const char *const lines_want[] = {
	"250-first line", "bare lf", "", "a line with a \r inside", "last"
};

/* Each chunk size from 1 byte to the whole script at once (0). */
START_TEST(readline_chunks)
{
	struct postie_err err;
	char buf[64];
	struct io *io;
	size_t i, len;

	io = mem_io(lines_script, (size_t)_i, NULL);
	for (i = 0; i < sizeof(lines_want) / sizeof(lines_want[0]); i++) {
		ck_assert_int_eq(io_readline(io, buf, sizeof(buf), &len,
		    &err), 0);
		ck_assert_str_eq(buf, lines_want[i]);
		ck_assert_uint_eq(len, strlen(lines_want[i]));
	}
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), &len, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "connection closed by server");
	io_free(io);
}
END_TEST

/* bufsz 8 holds 7 bytes; a CR before the LF does not count. */
static const struct {
	const char *script;
	int	 ok;
	const char *want;
} bound_cases[] = {
	{ "1234567\n", 1, "1234567" },
	{ "1234567\r\n", 1, "1234567" },
	{ "12345678\n", 0, NULL },
	{ "12345678\r\n", 0, NULL },
	{ "123456789012345678901234567890\r\n", 0, NULL },
	{ "\r\n", 1, "" },
};

START_TEST(readline_bound)
{
	struct postie_err err;
	struct io *io;
	size_t chunk, len;
	char buf[8];

	for (chunk = 0; chunk < 10; chunk++) {
		io = mem_io(bound_cases[_i].script, chunk, NULL);
		if (bound_cases[_i].ok) {
			ck_assert_int_eq(io_readline(io, buf, sizeof(buf),
			    &len, &err), 0);
			ck_assert_str_eq(buf, bound_cases[_i].want);
		} else {
			ck_assert_int_eq(io_readline(io, buf, sizeof(buf),
			    &len, &err), -1);
			ck_assert_int_eq(err.ex, EX_PROTOCOL);
			ck_assert_ptr_nonnull(strstr(err.msg, "longer than 7"));
		}
		io_free(io);
	}
}
END_TEST

/*
 * io_readline_cut with bufsz 8 (7 bytes kept) and max 20: a longer line
 * is cut and read to its LF; raw counts what it took from the stream.
 */
static const struct {
	const char *script;
	int	 rv;
	const char *want;
	size_t	 raw;
} cut_cases[] = {
	{ "1234567\n", 0, "1234567", 8 },
	{ "1234567\r\n", 0, "1234567", 9 },
	{ "12345678\n", 1, "1234567", 9 },
	{ "12345678\r\n", 1, "1234567", 10 },
	{ "123456\r\r\n", 0, "123456\r", 9 },
	{ "1234567\r\r\n", 1, "1234567", 10 },
	{ "1234567890123456789\n", 1, "1234567", 20 },
	{ "123456789012345678\r\n", 1, "1234567", 20 },
	{ "12345678901234567890\n", -1, NULL, 0 },
	{ "1234567890123456789012345678901234567890\n", -1, NULL, 0 },
	{ "\r\n", 0, "", 2 },
};

START_TEST(readline_cut)
{
	struct postie_err err;
	struct io *io;
	size_t chunk, len, raw;
	char buf[8];

	for (chunk = 0; chunk < 12; chunk++) {
		io = mem_io(cut_cases[_i].script, chunk, NULL);
		ck_assert_int_eq(io_readline_cut(io, buf, sizeof(buf), 20,
		    &len, &raw, &err), cut_cases[_i].rv);
		if (cut_cases[_i].rv == -1) {
			ck_assert_int_eq(err.ex, EX_PROTOCOL);
			ck_assert_str_eq(err.msg, "line longer than 20 bytes");
		} else {
			ck_assert_str_eq(buf, cut_cases[_i].want);
			ck_assert_uint_eq(len, strlen(cut_cases[_i].want));
			ck_assert_uint_eq(raw, cut_cases[_i].raw);
			ck_assert_uint_eq(io_pending(io), 0);
		}
		io_free(io);
	}
}
END_TEST

/* After a cut line the next one is read whole. */
START_TEST(readline_cut_next)
{
	struct postie_err err;
	struct io *io;
	size_t chunk, len, raw;
	char buf[8];

	for (chunk = 0; chunk < 12; chunk++) {
		io = mem_io("250-a long line, cut\r\n250 ok\r\n", chunk,
		    NULL);
		ck_assert_int_eq(io_readline_cut(io, buf, sizeof(buf), 100,
		    &len, &raw, &err), 1);
		ck_assert_str_eq(buf, "250-a l");
		ck_assert_uint_eq(raw, 22);
		ck_assert_int_eq(io_readline_cut(io, buf, sizeof(buf), 100,
		    &len, &raw, &err), 0);
		ck_assert_str_eq(buf, "250 ok");
		ck_assert_uint_eq(raw, 8);
		io_free(io);
	}
}
END_TEST

START_TEST(readline_eof_midline)
{
	struct postie_err err;
	char buf[64];
	struct io *io;

	io = mem_io("250 no newline", 4, NULL);
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), NULL, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "connection closed by server");
	io_free(io);

	io = mem_io("", 0, NULL);
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), NULL, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	io_free(io);
}
END_TEST

/* Parts up to a LF or the buffer's size, bytes as they came; EOF. */
START_TEST(readpart)
{
	static const size_t chunks[] = { 0, 1, 3 };
	struct postie_err err;
	char buf[8];
	struct io *io;
	size_t len, i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		io = mem_io("ab\r\n0123456789\nz", chunks[i], NULL);
		ck_assert_int_eq(io_readpart(io, buf, sizeof(buf), &len, &err),
		    1);
		ck_assert_uint_eq(len, 4);
		ck_assert_int_eq(memcmp(buf, "ab\r\n", 4), 0);
		ck_assert_int_eq(io_readpart(io, buf, sizeof(buf), &len, &err),
		    0);
		ck_assert_uint_eq(len, 8);
		ck_assert_int_eq(memcmp(buf, "01234567", 8), 0);
		ck_assert_int_eq(io_readpart(io, buf, sizeof(buf), &len, &err),
		    1);
		ck_assert_uint_eq(len, 3);
		ck_assert_int_eq(memcmp(buf, "89\n", 3), 0);
		ck_assert_int_eq(io_eof(io), 0);
		/* A part cut by the end of the stream is an error. */
		ck_assert_int_eq(io_readpart(io, buf, sizeof(buf), &len, &err),
		    -1);
		ck_assert_int_eq(err.ex, EX_TEMPFAIL);
		ck_assert_int_eq(io_eof(io), 1);
		io_free(io);
	}
}
END_TEST

START_TEST(pending)
{
	struct postie_err err;
	char buf[64];
	struct io *io;

	io = mem_io("220 go\r\n250 injected\r\n", 0, NULL);
	ck_assert_uint_eq(io_pending(io), 0);
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), NULL, &err), 0);
	ck_assert_uint_eq(io_pending(io), strlen("250 injected\r\n"));
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), NULL, &err), 0);
	ck_assert_uint_eq(io_pending(io), 0);
	io_free(io);

	/* Read a byte at a time, nothing is left after the line. */
	io = mem_io("220 go\r\n250 later\r\n", 1, NULL);
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), NULL, &err), 0);
	ck_assert_uint_eq(io_pending(io), 0);
	io_free(io);
}
END_TEST

START_TEST(write_batching)
{
	struct postie_err err;
	struct io_mem *m;
	const char *out;
	struct io *io;
	size_t len;

	io = mem_io("", 0, &m);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 0);
	ck_assert_int_eq(io_write(io, "MAIL FROM:<a@b>\r\n", 17, &err), 0);
	ck_assert_int_eq(io_printf(io, &err, "RCPT TO:<%s>\r\n", "c@d"), 0);
	ck_assert_int_eq(io_write(io, "DATA\r\n", 6, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 1);
	out = io_mem_output(m, &len);
	ck_assert_uint_eq(len, 17 + 15 + 6);
	ck_assert_int_eq(memcmp(out,
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", len), 0);
	io_free(io);
}
END_TEST

START_TEST(write_large)
{
	struct postie_err err;
	struct io_mem *m;
	const char *out;
	struct io *io;
	size_t big = 200 * 1024, i, len;
	char *buf;

	buf = malloc(big);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < big; i++)
		buf[i] = (char)('a' + i % 26);

	/* An empty buffer: a large write goes straight through. */
	io = mem_io("", 0, &m);
	ck_assert_int_eq(io_write(io, buf, big, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 1);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 1);
	out = io_mem_output(m, &len);
	ck_assert_uint_eq(len, big);
	ck_assert_int_eq(memcmp(out, buf, big), 0);
	io_free(io);

	/* Queued bytes first: the buffer is filled, sent, then the rest. */
	io = mem_io("", 0, &m);
	ck_assert_int_eq(io_write(io, buf, 10, &err), 0);
	ck_assert_int_eq(io_write(io, buf + 10, big - 10, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 2);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), 2);
	out = io_mem_output(m, &len);
	ck_assert_uint_eq(len, big);
	ck_assert_int_eq(memcmp(out, buf, big), 0);
	io_free(io);

	/* Many small writes fill 64 KiB buffers: one transport call each. */
	io = mem_io("", 0, &m);
	for (i = 0; i < big; i += 100)
		ck_assert_int_eq(io_write(io, buf + i,
		    big - i < 100 ? big - i : 100, &err), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_uint_eq(io_mem_writes(m), (big + 65535) / 65536);
	out = io_mem_output(m, &len);
	ck_assert_uint_eq(len, big);
	ck_assert_int_eq(memcmp(out, buf, big), 0);
	io_free(io);
	free(buf);
}
END_TEST

START_TEST(printf_long)
{
	struct postie_err err;
	struct io_mem *m;
	const char *out;
	struct io *io;
	char arg[2000];
	size_t len;

	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	io = mem_io("", 0, &m);
	ck_assert_int_eq(io_printf(io, &err, "<%s>", arg), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	out = io_mem_output(m, &len);
	ck_assert_uint_eq(len, sizeof(arg) + 1);
	ck_assert_int_eq(out[0], '<');
	ck_assert_int_eq(out[len - 1], '>');
	io_free(io);
}
END_TEST

/* A transport that records the timeouts it is given. */
static int seen_read_ms, seen_write_ms, closed;

static ssize_t
rec_read(void *ctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	seen_read_ms = timeout_ms;
	memcpy(buf, "ok\n", 3);
	return 3;
}

static int
rec_write(void *ctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	seen_write_ms = timeout_ms;
	return 0;
}

static void
rec_close(void *ctx)
{
	closed++;
}

static const struct io_ops rec_ops = { "rec", rec_read, rec_write,
    rec_close };

START_TEST(timeout_passed)
{
	struct postie_err err;
	char buf[16];
	struct io *io;

	seen_read_ms = seen_write_ms = closed = 0;
	io = io_new(&rec_ops, NULL, 7);
	ck_assert_int_eq(io_timeout_ms(io), 7000);
	ck_assert_int_eq(io_readline(io, buf, sizeof(buf), NULL, &err), 0);
	ck_assert_int_eq(seen_read_ms, 7000);
	ck_assert_int_eq(io_write(io, "x", 1, &err), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_int_eq(seen_write_ms, 7000);
	ck_assert_ptr_eq(io_transport(io), &rec_ops);
	io_free(io);
	ck_assert_int_eq(closed, 1);
}
END_TEST

static Suite *
io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, readline_chunks, 0,
	    (int)sizeof(lines_script));
	tcase_add_loop_test(tc, readline_bound, 0,
	    (int)(sizeof(bound_cases) / sizeof(bound_cases[0])));
	tcase_add_loop_test(tc, readline_cut, 0,
	    (int)(sizeof(cut_cases) / sizeof(cut_cases[0])));
	tcase_add_test(tc, readline_cut_next);
	tcase_add_test(tc, readline_eof_midline);
	tcase_add_test(tc, readpart);
	tcase_add_test(tc, pending);
	tcase_add_test(tc, write_batching);
	tcase_add_test(tc, write_large);
	tcase_add_test(tc, printf_long);
	tcase_add_test(tc, timeout_passed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(io_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

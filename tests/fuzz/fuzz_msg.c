/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the message reader: the input is what arrives on
 * stdin, read by msg_read from a memory file (with and without "." ending
 * the input, chosen by the first byte), then the header section walked,
 * edited, searched for recipients and emitted; then planned and emitted
 * for each kind of server (mime.h), aborting when the plan's size is not
 * what goes on the wire or 8-bit bytes would reach a server without
 * 8BITMIME.  Built by scripts/fuzz with libFuzzer.
 */
#include "config.h"

#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "err.h"
#include "mime.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
sink(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	size_t *n = arg;

	*n += len;
	return 0;
}

static void
plan_all(struct msg *m)
{
	struct mime_server srv;
	struct mime_plan p;
	struct postie_err e;
	struct mime_wire w;
	int k;

	for (k = 0; k < 4; k++) {
		srv.eightbitmime = k & 1;
		srv.smtputf8 = (k >> 1) & 1;
		if (mime_plan(m, &srv, &p, &e) == -1)
			continue;
		mime_wire_init(&w);
		if (mime_emit(&p, m, mime_wire_count, &w, &e) == -1)
			continue;
		if (mime_wire_size(&w) != p.size)
			abort();
		if (!srv.eightbitmime && !p.smtputf8 && w.eightbit)
			abort();
	}
}

static int
memfile(const uint8_t *data, size_t size)
{
	ssize_t w;
	size_t off;
	int fd;

	if ((fd = memfd_create("fuzz_msg", MFD_CLOEXEC)) == -1)
		return -1;
	for (off = 0; off < size; off += (size_t)w)
		if ((w = write(fd, data + off, size - off)) <= 0) {
			close(fd);
			return -1;
		}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list rcpts;
	struct postie_err e;
	struct msg *m = NULL, *kept = NULL;
	size_t i, n = 0;
	int dot, fd;

	if (size == 0)
		return 0;
	dot = data[0] & 1;
	if ((fd = memfile(data + 1, size - 1)) == -1)
		return 0;
	if (msg_read_keep(&m, &kept, fd, dot, "/tmp", &e) == 0) {
		for (i = 0; i < msg_nheaders(m); i++) {
			(void)msg_header_name(m, i);
			(void)msg_header_value(m, i);
		}
		memset(&rcpts, 0, sizeof(rcpts));
		(void)msg_recipients(m, &rcpts, &e);
		addr_list_free(&rcpts);
		(void)msg_header_remove(m, "bcc");
		if (msg_nheaders(m) > 0)
			(void)msg_header_set(m, 0, "x", &e);
		(void)msg_header_add(m, "Received", "by fuzz", 1, &e);
		(void)msg_header_find(m, "from", 0);
		(void)msg_size(m);
		(void)msg_has_8bit(m);
		(void)msg_body_size(m);
		(void)msg_is_empty(m);
		(void)msg_emit(m, sink, &n, &e);
		plan_all(m);
	}
	if (kept != NULL)
		(void)msg_emit(kept, sink, &n, &e);
	msg_free(m);
	msg_free(kept);
	close(fd);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the SMTP reply parser: the input is what a server
 * sends, read as replies through the in-memory transport (reply_read)
 * until an error or end of input, each complete reply mapped to an exit
 * code at every stage.  Built by scripts/fuzz with libFuzzer.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "io.h"
#include "reply.h"
#include "smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
trace(void *arg, const char *line)
{
	size_t *n = arg;

	*n += strlen(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct postie_err e;
	struct reply r;
	struct io *io;
	struct io_mem *m;
	size_t traced = 0;
	int st, chunk;

	/* The first byte chooses how the transport splits the input. */
	chunk = size > 0 ? data[0] % 8 : 0;
	if ((m = io_mem_new((const char *)data, size, chunk)) == NULL)
		return 0;
	if ((io = io_new(&io_mem_ops, m, 5)) == NULL) {
		io_mem_ops.close(m);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	while (reply_read(io, &r, trace, &traced, &e) == 0) {
		(void)reply_class(&r);
		for (st = 0; st <= SMTP_QUIT; st++)
			(void)reply_exitcode((enum smtp_stage)st, &r);
	}
	reply_free(&r);
	io_free(io);
	return 0;
}

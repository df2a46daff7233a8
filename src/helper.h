/* SPDX-License-Identifier: ISC */
/*
 * Running a helper command and reading the first line it prints
 * (passwordeval, eval).  At the bottom of the library: knows no other
 * module but err.
 */
#ifndef POSTIE_HELPER_H
#define POSTIE_HELPER_H

#include <stddef.h>

#include "err.h"

/*
 * Run "/bin/sh -c cmd" with stdin from /dev/null, our stderr, our
 * environment as it is (postie keeps no secret there), in a process
 * group of its own (given the terminal while it runs when ours has it,
 * so that it may ask there).  The first line it prints goes to out (LF
 * ends it, a CR before it is dropped; at most outsz - 1 bytes; empty when
 * it printed nothing); reading stops there.  It may then exit by itself
 * for a moment (its exit status then counts: not 0 is an error), else its
 * process group is killed, which is no error.  The line must come within
 * timeout_s (<= 0: the default timeout), else the group is killed.  who
 * names it in messages ("passwordeval of account A (FILE:LINE)").
 * SIGCHLD is at its default while it runs (and restored after); not for
 * threaded callers.  Returns 0, or -1 with out wiped:
 *   EX_TEMPFAIL  "WHO did not answer within N s";
 *   EX_CONFIG    "WHO failed: exit status N", "... killed by signal N",
 *                "WHO printed a line longer than N bytes";
 *   EX_OSERR.
 */
int	 helper_first_line(const char *cmd, const char *who, int timeout_s,
	    char *out, size_t outsz, struct postie_err *);

#endif

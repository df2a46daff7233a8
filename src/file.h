/* SPDX-License-Identifier: ISC */
/*
 * Replacing a whole file atomically: readers see the old file or the
 * new one, never a part, and once the call returns the new one survives
 * a crash.  Owns no file format and no directory layout.
 */
#ifndef POSTIE_FILE_H
#define POSTIE_FILE_H

#include <sys/types.h>

#include <stddef.h>

#include "err.h"

/*
 * Replace name in the directory dirfd with the len bytes of buf: write
 * them to tmp there (a stale tmp is removed first; it is created anew,
 * never followed through a symbolic link), give it to owner when that
 * is not the effective user, set mode (past the umask), fsync(2) it,
 * rename(2) it to name and fsync the directory.  On failure nothing is
 * left at tmp.  Errors: EX_CANTCREAT (create, chown), EX_IOERR (write,
 * fsync, close, rename), the message naming tmp or name; the caller
 * prefixes what the file is.
 */
int	 file_replace(int dirfd, const char *name, const char *tmp,
	    const char *buf, size_t len, mode_t mode, uid_t owner,
	    struct postie_err *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * Writing a whole file atomically: readers see the old file or the new
 * one, never a part, and once the call returns the new one survives a
 * crash.  Owns no file format and no directory layout.
 */
#ifndef POSTIE_FILE_H
#define POSTIE_FILE_H

#include <sys/types.h>

#include <stddef.h>

#include "err.h"

/* Writes a new file's content to fd; -1 with the error set on failure. */
typedef int (*file_fill_fn)(void *arg, int fd, struct postie_err *);

/* file_create's flags. */
#define FILE_NO_DIRSYNC	0x1	/* the caller fsyncs the directory later */

/*
 * Create or replace name in the directory dirfd with what fill(arg, fd)
 * writes: to tmp there first (a stale tmp is removed; it is created
 * anew, never followed through a symbolic link), given to owner when
 * that is not the effective user, mode set (past the umask), fsync(2)ed,
 * renamed to name, and the directory fsynced unless FILE_NO_DIRSYNC.
 * The size written goes to *sizep when not NULL.  On failure nothing is
 * left at tmp.  Errors: EX_CANTCREAT (create, chown, chmod), fill's own
 * (prefixed by tmp), EX_IOERR (fsync, close, rename), the message naming
 * tmp or name; the caller prefixes what the file is.
 */
int	 file_create(int dirfd, const char *name, const char *tmp,
	    mode_t mode, uid_t owner, int flags, file_fill_fn fill, void *arg,
	    off_t *sizep, struct postie_err *);

/* file_create with the len bytes of buf as the content. */
int	 file_replace(int dirfd, const char *name, const char *tmp,
	    const char *buf, size_t len, mode_t mode, uid_t owner,
	    struct postie_err *);

/* All len bytes of buf to fd, across short writes; EX_IOERR "write". */
int	 file_write_all(int fd, const char *buf, size_t len,
	    struct postie_err *);

#endif

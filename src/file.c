/* SPDX-License-Identifier: ISC */
/*
 * Replacing a whole file atomically (file.h): a temporary file, fsync,
 * rename, fsync of the directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "file.h"

static int
file_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_replace(int dirfd, const char *name, const char *tmp, const char *buf,
    size_t len, mode_t mode, uid_t owner, struct postie_err *e)
{
	int fd;

	unlinkat(dirfd, tmp, 0);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1) {
		err_set(e, EX_CANTCREAT, "create %s", tmp);
		return -1;
	}
	if (owner != geteuid() && fchown(fd, owner, (gid_t)-1) == -1) {
		err_set(e, EX_CANTCREAT, "chown %s", tmp);
		goto fail;
	}
	if (fchmod(fd, mode) == -1 || file_write_all(fd, buf, len) == -1) {
		err_set(e, EX_IOERR, "write %s", tmp);
		goto fail;
	}
	if (fsync(fd) == -1) {
		err_set(e, EX_IOERR, "fsync %s", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_set(e, EX_IOERR, "close %s", tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		err_set(e, EX_IOERR, "rename %s to %s", tmp, name);
		goto fail;
	}
	if (fsync(dirfd) == -1) {
		err_set(e, EX_IOERR, "fsync the directory of %s", name);
		return -1;
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -1;
}

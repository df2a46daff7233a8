/* SPDX-License-Identifier: ISC */
/*
 * Writing a whole file atomically (file.h): a temporary file, fsync,
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

int
file_write_all(int fd, const char *buf, size_t len, struct postie_err *e)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			err_set(e, EX_IOERR, "write");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_create(int dirfd, const char *name, const char *tmp, mode_t mode,
    uid_t owner, int flags, file_fill_fn fill, void *arg, off_t *sizep,
    struct postie_err *e)
{
	struct stat st;
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
	if (fchmod(fd, mode) == -1) {
		err_set(e, EX_CANTCREAT, "chmod %s", tmp);
		goto fail;
	}
	if (fill(arg, fd, e) == -1) {
		err_prefix(e, "%s: ", tmp);
		goto fail;
	}
	if (fsync(fd) == -1 || fstat(fd, &st) == -1) {
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
	if (sizep != NULL)
		*sizep = st.st_size;
	if (!(flags & FILE_NO_DIRSYNC) && fsync(dirfd) == -1) {
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

struct file_buf {
	const char	*buf;
	size_t		 len;
};

static int
file_fill_buf(void *arg, int fd, struct postie_err *e)
{
	const struct file_buf *b = arg;

	return file_write_all(fd, b->buf, b->len, e);
}

int
file_replace(int dirfd, const char *name, const char *tmp, const char *buf,
    size_t len, mode_t mode, uid_t owner, struct postie_err *e)
{
	struct file_buf b = { buf, len };

	return file_create(dirfd, name, tmp, mode, owner, 0, file_fill_buf,
	    &b, NULL, e);
}

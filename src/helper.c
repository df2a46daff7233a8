/* SPDX-License-Identifier: ISC */
/*
 * Running a helper command (passwordeval, eval): "/bin/sh -c COMMAND" in a
 * process group of its own, stdin from /dev/null, stdout a pipe, stderr
 * and the environment ours; only the first line is read, under a
 * deadline, and the group is killed after.  Does not know what the line
 * means: the callers do.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "deadline.h"
#include "err.h"
#include "helper.h"

extern char **environ;


/*
 * How long a helper that has printed its line may take to exit by itself
 * (its exit status then counts) before its process group is killed (its
 * status is then ours and does not count).
 */
#define EVAL_GRACE_MS	500

enum eval_end { EVAL_LINE, EVAL_EOF, EVAL_LATE, EVAL_LONG, EVAL_ERROR };

struct eval {
	const char *cmd;
	const char *who;	/* for messages */
	long long deadline;	/* deadline.h */
	pid_t	 pid;		/* the helper, its group's leader; -1: reaped */
	int	 fd;		/* read end of its stdout, or -1 */
	int	 tty;		/* our terminal while the helper has it, or -1 */
	int	 status;	/* from waitpid() */
	int	 known;		/* status is the helper's own */
	char	*line;		/* what it printed, line[len] */
	size_t	 len;
	size_t	 linesz;	/* max + 2: room for a CR and one more */
	size_t	 max;		/* the longest password taken */
};

/*
 * A helper may ask on /dev/tty (keepassxc-cli, a read from /dev/tty): in
 * a group of its own it would be stopped by SIGTTIN unless its group is
 * the terminal's foreground.  When ours is, the terminal goes to the
 * helper's group for its life.  Returns our terminal then, else -1.
 */
static int
eval_tty_open(void)
{
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (tcgetpgrp(fd) != getpgrp()) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Make pgid the terminal's foreground group.  Called from a background
 * group (the helper before our call, or we after it), tcsetpgrp() would
 * stop the caller with SIGTTOU unless that is blocked.
 */
static void
eval_tty_set(int fd, pid_t pgid)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	(void)tcsetpgrp(fd, pgid);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void __attribute__((noreturn))
eval_child(const char *cmd, int wfd, int tty)
{
	char *argv[4];
	sigset_t none;
	int fd;

	/* Group and terminal set here too, before the helper may read. */
	(void)setpgid(0, 0);
	if (tty != -1)
		eval_tty_set(tty, getpid());
	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    (fd != STDIN_FILENO && dup2(fd, STDIN_FILENO) == -1))
		_exit(127);
	if (wfd == STDOUT_FILENO) {
		if (fcntl(wfd, F_SETFD, 0) == -1)
			_exit(127);
	} else if (dup2(wfd, STDOUT_FILENO) == -1)
		_exit(127);
	closefrom(STDERR_FILENO + 1);
	/* postie ignores SIGPIPE; the helper starts with the defaults. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)cmd;
	argv[3] = NULL;
	execve("/bin/sh", argv, environ);
	_exit(127);
}

static int
eval_spawn(struct eval *ev, struct postie_err *err)
{
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		err_set(err, EX_OSERR, "%s: pipe", ev->who);
		return -1;
	}
	ev->tty = eval_tty_open();
	if ((ev->pid = fork()) == -1) {
		err_set(err, EX_OSERR, "%s: fork", ev->who);
		close(pfd[0]);
		close(pfd[1]);
		if (ev->tty != -1)
			close(ev->tty);
		ev->tty = -1;
		return -1;
	}
	if (ev->pid == 0)
		eval_child(ev->cmd, pfd[1], ev->tty);
	close(pfd[1]);
	ev->fd = pfd[0];
	/* As the child does: done whichever of the two runs first. */
	(void)setpgid(ev->pid, ev->pid);
	if (ev->tty != -1)
		eval_tty_set(ev->tty, ev->pid);
	return 0;
}

/*
 * Read up to the first LF (not kept) into ev->line, under the deadline.
 * EVAL_LONG: ev->linesz bytes came without one.
 */
static enum eval_end
eval_read(struct eval *ev)
{
	struct pollfd pfd;
	ssize_t n;
	char *nl;
	int ms;

	pfd.fd = ev->fd;
	pfd.events = POLLIN;
	for (;;) {
		if ((ms = deadline_left(ev->deadline)) == 0)
			return EVAL_LATE;
		if (poll(&pfd, 1, ms) == -1) {
			if (errno == EINTR)
				continue;
			return EVAL_ERROR;
		}
		if (pfd.revents == 0)
			continue;
		if (ev->len == ev->linesz)
			return EVAL_LONG;
		n = read(ev->fd, ev->line + ev->len, ev->linesz - ev->len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return EVAL_ERROR;
		if (n == 0)
			return EVAL_EOF;
		if ((nl = memchr(ev->line + ev->len, '\n', (size_t)n)) !=
		    NULL) {
			ev->len = (size_t)(nl - ev->line);
			return EVAL_LINE;
		}
		ev->len += (size_t)n;
	}
}

/*
 * Until the end time: the rest of the output read and dropped, then the
 * helper reaped if it has exited.  Returns 1 when reaped, 0 when it still
 * runs at end, -1 when someone else reaped it (ECHILD: status unknown).
 */
static int
eval_wait_exit(struct eval *ev, long long end)
{
	char sink[512];
	struct pollfd pfd;
	pid_t r;
	ssize_t n;
	int ms;

	for (;;) {
		r = waitpid(ev->pid, &ev->status, WNOHANG);
		if (r == ev->pid)
			return 1;
		if (r == -1 && errno == ECHILD)
			return -1;
		if ((ms = deadline_left(end)) == 0)
			return 0;
		if (ev->fd == -1) {
			/* Output closed, process not yet gone: nap. */
			(void)poll(NULL, 0, ms < 10 ? ms : 10);
			continue;
		}
		pfd.fd = ev->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) <= 0 || pfd.revents == 0)
			continue;
		n = read(ev->fd, sink, sizeof(sink));
		explicit_bzero(sink, sizeof(sink));
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN)) {
			close(ev->fd);
			ev->fd = -1;
		}
	}
}

/*
 * Reap the helper.  With grace, it may finish by itself within
 * EVAL_GRACE_MS (no later than the deadline) and its exit status counts;
 * else, or when it is still running then, its whole process group is
 * killed and the status is ours (ev->known stays 0).
 */
static void
eval_reap(struct eval *ev, int grace)
{
	long long end;
	int r = 0;

	if (grace) {
		end = deadline_in(EVAL_GRACE_MS);
		if (ev->deadline < end)
			end = ev->deadline;
		r = eval_wait_exit(ev, end);
		ev->known = r == 1;
	}
	if (r == 0) {
		/* Killed before it is reaped: the group cannot be reused. */
		(void)kill(-ev->pid, SIGKILL);
		while (waitpid(ev->pid, &ev->status, 0) == -1 &&
		    errno == EINTR)
			;
	}
	ev->pid = -1;
	if (ev->fd != -1) {
		close(ev->fd);
		ev->fd = -1;
	}
	if (ev->tty != -1) {
		eval_tty_set(ev->tty, getpgrp());
		close(ev->tty);
		ev->tty = -1;
	}
}

/* The verdict on a reaped helper that printed ev->line. */
static int
eval_result(struct eval *ev, char *out, size_t outsz,
    struct postie_err *err)
{
	if (ev->known && WIFEXITED(ev->status) &&
	    WEXITSTATUS(ev->status) != 0) {
		err_setx(err, EX_CONFIG, "%s failed: exit status %d", ev->who,
		    WEXITSTATUS(ev->status));
		return -1;
	}
	if (ev->known && WIFSIGNALED(ev->status)) {
		err_setx(err, EX_CONFIG, "%s failed: killed by signal %d",
		    ev->who, WTERMSIG(ev->status));
		return -1;
	}
	if (ev->len > 0 && ev->line[ev->len - 1] == '\r')
		ev->len--;
	if (ev->len > ev->max) {
		err_setx(err, EX_CONFIG, "%s printed a line longer than %zu "
		    "bytes", ev->who, ev->max);
		return -1;
	}
	memcpy(out, ev->line, ev->len);
	out[ev->len] = '\0';
	return 0;
}

/*
 * SIGCHLD is set to its default while the helper lives: a caller that
 * ignores it (the setting children inherit) would have the kernel reap
 * the helper before waitpid() sees its status.
 */
int
helper_first_line(const char *cmd, const char *who, int timeout_s,
    char *out, size_t outsz, struct postie_err *err)
{
	struct sigaction dfl, old;
	struct eval ev;
	enum eval_end end;
	int rc = -1;

	if (timeout_s <= 0)
		timeout_s = BOUND_TIMEOUT_DEFAULT;
	memset(&ev, 0, sizeof(ev));
	ev.cmd = cmd;
	ev.who = who;
	ev.pid = -1;
	ev.fd = ev.tty = -1;
	ev.max = outsz - 1;
	ev.linesz = ev.max + 2;
	if (outsz == 0 || (ev.line = malloc(ev.linesz)) == NULL) {
		err_set(err, EX_OSERR, "%s", ev.who);
		return -1;
	}
	ev.deadline = deadline_in((long long)timeout_s * 1000);

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old);
	if (eval_spawn(&ev, err) == -1)
		goto out;
	end = eval_read(&ev);
	eval_reap(&ev, end == EVAL_LINE || end == EVAL_EOF);
	switch (end) {
	case EVAL_LINE:
	case EVAL_EOF:
		rc = eval_result(&ev, out, outsz, err);
		break;
	case EVAL_LATE:
		err_setx(err, EX_TEMPFAIL, "%s did not answer within %d s",
		    ev.who, timeout_s);
		break;
	case EVAL_LONG:
		err_setx(err, EX_CONFIG, "%s printed a line longer than %zu "
		    "bytes", ev.who, ev.max);
		break;
	case EVAL_ERROR:
		err_set(err, EX_OSERR, "%s: reading its output", ev.who);
		break;
	}
out:
	sigaction(SIGCHLD, &old, NULL);
	if (rc == -1)
		explicit_bzero(out, outsz);
	explicit_bzero(ev.line, ev.linesz);
	free(ev.line);
	return rc;
}

/* SPDX-License-Identifier: ISC */
/*
 * Name resolution with a deadline (resolve.h): getaddrinfo in a thread,
 * its end signalled through a pipe that the caller polls until the
 * deadline.  The lookup's record is shared by the two sides and freed by
 * whichever lets go last.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "resolve.h"

struct resolve_job {
	pthread_mutex_t	 lock;
	int		 refs;		/* 2 while both sides hold it */
	int		 fds[2];	/* the thread writes a byte when done */
	char		*host;
	char		*service;
	struct addrinfo	 hints;
	struct addrinfo	*res;
	int		 gai;
	int		 err;		/* errno after getaddrinfo */
};

static void
resolve_job_free(struct resolve_job *j)
{
	if (j->res != NULL)
		freeaddrinfo(j->res);
	if (j->fds[0] != -1)
		close(j->fds[0]);
	if (j->fds[1] != -1)
		close(j->fds[1]);
	free(j->host);
	free(j->service);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void
resolve_job_unref(struct resolve_job *j)
{
	int last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (last)
		resolve_job_free(j);
}

static void *
resolve_thread(void *arg)
{
	struct resolve_job *j = arg;
	struct addrinfo *res = NULL;
	int gai, err;
	char c = 0;

	gai = getaddrinfo(j->host, j->service, &j->hints, &res);
	err = errno;
	pthread_mutex_lock(&j->lock);
	j->gai = gai;
	j->err = err;
	j->res = res;
	pthread_mutex_unlock(&j->lock);
	while (write(j->fds[1], &c, 1) == -1 && errno == EINTR)
		;
	resolve_job_unref(j);
	return NULL;
}

/* Start the thread with every signal blocked: they stay the caller's. */
static int
resolve_start(struct resolve_job *j)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, resolve_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc == 0 ? 0 : -1;
}

int
resolve(const char *host, const char *service,
    const struct addrinfo *hints, int timeout_ms, struct addrinfo **res)
{
	struct resolve_job *j;
	struct pollfd pfd;
	long long deadline = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
	int err, gai, left, n;

	*res = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return EAI_MEMORY;
	j->fds[0] = j->fds[1] = -1;
	if (pthread_mutex_init(&j->lock, NULL) != 0) {
		free(j);
		return EAI_MEMORY;
	}
	j->refs = 2;
	j->hints = *hints;
	j->hints.ai_addr = NULL;
	j->hints.ai_canonname = NULL;
	j->hints.ai_next = NULL;
	if ((host != NULL && (j->host = strdup(host)) == NULL) ||
	    (service != NULL && (j->service = strdup(service)) == NULL)) {
		resolve_job_free(j);
		return EAI_MEMORY;
	}
	if (pipe(j->fds) == -1 ||
	    fcntl(j->fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(j->fds[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    resolve_start(j) == -1) {
		/* No thread: the lookup here, without a deadline. */
		resolve_job_free(j);
		return getaddrinfo(host, service, hints, res);
	}
	pfd.fd = j->fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline_left(deadline)) == 0) {
			resolve_job_unref(j);
			return RESOLVE_TIMEOUT;
		}
		n = poll(&pfd, 1, left);
		if (n > 0)
			break;
		if (n == -1 && errno != EINTR) {
			/* The thread's end cannot be seen: let it go. */
			err = errno;
			resolve_job_unref(j);
			errno = err;
			return EAI_SYSTEM;
		}
	}
	pthread_mutex_lock(&j->lock);
	gai = j->gai;
	err = j->err;
	*res = j->res;
	j->res = NULL;
	pthread_mutex_unlock(&j->lock);
	resolve_job_unref(j);
	errno = err;
	return gai;
}

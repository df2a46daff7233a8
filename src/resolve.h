/* SPDX-License-Identifier: ISC */
/*
 * Name resolution with a deadline.  getaddrinfo(3) has none of its own:
 * a resolver that does not answer holds it for as long as resolv.conf's
 * timeouts and attempts add up to (minutes), and a cron job with it.
 */
#ifndef POSTIE_RESOLVE_H
#define POSTIE_RESOLVE_H

#include <netdb.h>

/* What resolve() returns when the time ran out (not an EAI_ code). */
#define RESOLVE_TIMEOUT	(-10000)

/*
 * getaddrinfo(host, service, hints, res), given up after timeout_ms:
 * returns 0 (*res to be freed with freeaddrinfo), an EAI_ code (errno
 * set for EAI_SYSTEM), or RESOLVE_TIMEOUT.  The lookup runs in a thread
 * of its own; one that outlives its deadline finishes unseen and frees
 * what it found.  Where no thread can be started, the lookup runs here,
 * without a deadline.
 */
int	 resolve(const char *host, const char *service,
	    const struct addrinfo *hints, int timeout_ms,
	    struct addrinfo **res);

#endif

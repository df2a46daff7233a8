/* SPDX-License-Identifier: ISC */
/*
 * Deadlines on the monotonic clock, in milliseconds: every wait postie
 * bounds (network, helpers, name lookups) counts against one of these.
 */
#ifndef POSTIE_DEADLINE_H
#define POSTIE_DEADLINE_H

/* Now, in milliseconds of CLOCK_MONOTONIC. */
long long	 deadline_now(void);
/* ms milliseconds from now. */
long long	 deadline_in(long long ms);
/*
 * Milliseconds left until the deadline d, for poll(2): 0 once it has
 * passed, INT_MAX at the most.
 */
int		 deadline_left(long long d);

#endif

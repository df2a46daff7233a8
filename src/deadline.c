/* SPDX-License-Identifier: ISC */
/* Deadlines on the monotonic clock (deadline.h). */
#include "config.h"

#include <limits.h>
#include <time.h>

#include "deadline.h"

long long
deadline_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
deadline_in(long long ms)
{
	return deadline_now() + ms;
}

int
deadline_left(long long d)
{
	long long left = d - deadline_now();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

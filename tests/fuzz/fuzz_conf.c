/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the config parser: the input as a config file
 * (conf_parse through fmemopen, in fixed surroundings), then every
 * account checked and printed.  An input naming %C is skipped: that
 * pattern may ask the DNS, which a fuzz run must not wait on.  Built by
 * scripts/fuzz with libFuzzer.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "sysenv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const vars[] = { "HOME=/home/fuzz", "LOGNAME=fuzz",
    NULL };
static FILE *devnull;
static struct sysenv *sys;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct postie_err e;
	struct conf *c;
	const struct account *a;
	FILE *fp;
	size_t i;

	if (size == 0 || memmem(data, size, "%C", 2) != NULL)
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	if (sys == NULL && sysenv_load_from(&sys, vars, geteuid(), &e) == -1)
		return 0;
	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		return 0;
	if (conf_parse(&c, fp, "fuzz", sys, &e) == 0) {
		for (i = 0; i < conf_naccounts(c); i++) {
			a = conf_account_at(c, i);
			(void)conf_check_account(a, &e);
			conf_print_account(a, devnull);
		}
		(void)conf_account(c, "default");
		(void)conf_account_for_from(c, "user+tag@example.org");
		for (i = 0; conf_warning(c, i) != NULL; i++)
			;
		conf_free(c);
	}
	fclose(fp);
	return 0;
}

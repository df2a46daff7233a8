/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the address parser: the input as an RFC 5322 address
 * list (addr_parse_list), each address found checked as an envelope
 * address, and the whole input checked as one.  Built by scripts/fuzz
 * with libFuzzer; not part of make check.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list l;
	struct postie_err e;
	char *s, *q;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&l, 0, sizeof(l));
	(void)addr_has_crlf(s, size);
	if (addr_parse_list(s, size, &l, &e) == 0) {
		for (i = 0; i < l.n; i++) {
			(void)addr_check_envelope(l.v[i].spec, 1, &e);
			(void)addr_is_qualified(l.v[i].spec);
			(void)addr_needs_utf8(l.v[i].spec);
			if ((q = addr_qualify(l.v[i].spec, "example.org")) !=
			    NULL)
				free(q);
		}
	}
	(void)addr_check_envelope(s, 0, &e);
	addr_list_free(&l);
	free(s);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * RFC 5322 addresses: parsing address lists from headers and arguments,
 * checking envelope addresses against RFC 5321, qualification.
 * Does not know about headers or accounts.
 */
#ifndef POSTIE_ADDR_H
#define POSTIE_ADDR_H

#include <stddef.h>

#include "err.h"

struct addr {
	char	*display;	/* display name as written, or NULL */
	char	*spec;		/* addr-spec: local@domain or bare local */
};

/*
 * A growable list of mailboxes without duplicates; zero-initialise before
 * first use.  v is one allocation: cap entries followed by a hash index
 * over the first n, so that adding and finding a spec take constant time
 * however long the list.  Read v[0] to v[n - 1]; add, grow and free only
 * through the functions below (a list filled by hand has no index).
 */
struct addr_list {
	struct addr *v;
	size_t	 n;
	size_t	 cap;
};

/*
 * Parse an RFC 5322 address-list (mailbox, angle address, group, comments,
 * quoted strings, obsolete routes) of len bytes and append each mailbox
 * to out, skipping those already present (domain compared without case,
 * local part as written).  An empty or group-only list appends nothing.
 * A spec without "@" (e.g. "root") is accepted as a bare local part.
 *
 * The spec is the canonical addr-spec: comments, folding and white space
 * removed, quoted local parts and domain literals kept with their quotes
 * and brackets, obsolete routes dropped.  The display name is the phrase
 * as written (quoted strings and encoded words untouched) with comments
 * removed and each run of white space between words made one space.
 * Empty list elements, a group missing its final ";" at the end of the
 * input, and one trailing line break are tolerated.
 *
 * On error out is left as it was.  Errors: EX_DATAERR "bad address list:
 * what: excerpt" with the start of the offending address, sanitized;
 * EX_OSERR when out of memory.
 */
int	 addr_parse_list(const char *s, size_t len, struct addr_list *out,
	    struct postie_err *);

/*
 * Two specs are the same address when both have an "@" (the first one
 * outside a quoted string) and are the same before it and the same but
 * for ASCII case after it, or when neither has one and they are the same
 * bare name.
 */

/* Append spec (copied) unless already present; -1 with EX_OSERR. */
int	 addr_list_add(struct addr_list *, const char *spec,
	    struct postie_err *);
/* The same with a display name (copied; may be NULL). */
int	 addr_list_add_named(struct addr_list *, const char *spec,
	    const char *display, struct postie_err *);
/* 1 when the list holds the same address as spec, else 0. */
int	 addr_list_contains(const struct addr_list *, const char *spec);
/* Free the entries and the index; the list is then empty and reusable. */
void	 addr_list_free(struct addr_list *);

/*
 * Check an envelope address for use in MAIL FROM / RCPT TO: printable,
 * no spaces, "<", ">" or controls outside a quoted local part, RFC 5321
 * lengths (local part 64, domain 255, path 256).  The empty string (null
 * sender) is allowed only when allow_empty.  Errors: EX_DATAERR.
 *
 * CR and LF are refused everywhere, and so are other control characters
 * and DEL (RFC 5321 qtextSMTP has none).  The path limit counts the
 * angle brackets, so spec itself holds at most BOUND_PATH - 2 octets.
 * Bytes >= 0x80 must be valid UTF-8.  The message reads
 * "bad address <sanitized spec>: what".
 */
int	 addr_check_envelope(const char *spec, int allow_empty,
	    struct postie_err *);

/* 1 when spec has a (non-empty) domain part. */
int	 addr_is_qualified(const char *spec);
/* 1 when spec has bytes >= 0x80 (needs SMTPUTF8). */
int	 addr_needs_utf8(const char *spec);
/* spec@domain, newly allocated, or NULL on memory failure. */
char	*addr_qualify(const char *spec, const char *domain);
/* 1 when the string holds CR, LF or NUL within len bytes. */
int	 addr_has_crlf(const char *s, size_t len);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * Addresses: the RFC 5322 address-list parser (section 3.4, tolerant of
 * the obsolete syntax of section 4.4, UTF-8 as RFC 6532 allows), the list
 * of mailboxes it fills, the RFC 5321 checks an envelope address must
 * pass, and qualification.  Does not read headers, know accounts or
 * aliases, or decode encoded words.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "bounds.h"

#define EXCERPT_MAX	60	/* input bytes quoted in a message */
#define NO_AT		((size_t)-1)

struct sbuf {
	char	*p;
	size_t	 n;
	size_t	 cap;
};

enum tok_type {
	T_END, T_ATOM, T_QSTR, T_LITERAL,
	T_LT, T_GT, T_AT, T_COMMA, T_SEMI, T_COLON, T_DOT
};

struct tok {
	enum tok_type type;
	size_t	 start;		/* raw bytes of the token in the input */
	size_t	 end;
	int	 ws;		/* CFWS came before it */
};

struct lex {
	const char *s;
	size_t	 len;
	size_t	 pos;
	size_t	 elem;		/* start of the address being parsed */
	struct tok peek;
	int	 has_peek;
	struct postie_err *err;
};

/* A run of words and dots: a phrase, a local part, or both. */
struct words {
	struct sbuf phrase;	/* as written, CFWS made one space */
	struct sbuf local;	/* without CFWS */
	int	 nwords;
	int	 ntok;
	int	 local_ok;	/* word *("." word) */
	int	 last_word;
};

static int
sb_add(struct sbuf *b, const char *s, size_t len)
{
	char *np;
	size_t ncap;

	if (len > SIZE_MAX / 4 || b->n > SIZE_MAX / 4)
		return -1;
	if (b->n + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->n + len + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
	return 0;
}

static void
sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* A control character other than HTAB, or DEL. */
static int
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* RFC 5322 atext, with UTF8-non-ascii bytes as RFC 6532 3.2 adds. */
static int
is_atext(unsigned char c)
{
	static const char extra[] = "!#$%&'*+-/=?^_`{|}~";

	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && memchr(extra, c, sizeof(extra) - 1) != NULL;
}

static int
nomem(struct postie_err *e)
{
	err_setx(e, EX_OSERR, "bad address list: out of memory");
	return -1;
}

static int
fail(struct lex *lx, const char *what)
{
	char ex[EXCERPT_MAX * 4 + 1];
	size_t n;

	n = lx->len - lx->elem;
	if (n > EXCERPT_MAX)
		n = EXCERPT_MAX;
	err_sanitize(ex, sizeof(ex), lx->s + lx->elem, n);
	err_setx(lx->err, EX_DATAERR, "bad address list: %s: %s%s", what, ex,
	    lx->elem + n < lx->len ? "..." : "");
	return -1;
}

/* Length of a line break at i that folds (is followed by WSP), else 0. */
static size_t
fold_at(const struct lex *lx, size_t i)
{
	size_t n = 0;

	if (i < lx->len && lx->s[i] == '\r')
		n++;
	if (i + n >= lx->len || lx->s[i + n] != '\n')
		return 0;
	n++;
	if (i + n < lx->len && is_wsp((unsigned char)lx->s[i + n]))
		return n;
	return 0;
}

/* 1 when the input from i on is only a line break. */
static int
eol_at_end(const struct lex *lx, size_t i)
{
	size_t rest = lx->len - i;

	return (rest == 1 && lx->s[i] == '\n') ||
	    (rest == 2 && lx->s[i] == '\r' && lx->s[i + 1] == '\n');
}

/* After a backslash at i: the quoted character must be VCHAR or WSP. */
static int
quoted_pair(struct lex *lx, size_t i, const char *unterminated)
{
	if (i + 1 >= lx->len)
		return fail(lx, unterminated);
	if (is_ctl((unsigned char)lx->s[i + 1]))
		return fail(lx, "control character");
	return 0;
}

static int
skip_comment(struct lex *lx)
{
	int depth = 0;
	size_t n;
	unsigned char c;

	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos];
		if (c == '(')
			depth++;
		else if (c == ')') {
			if (--depth == 0) {
				lx->pos++;
				return 0;
			}
		} else if (c == '\\') {
			if (quoted_pair(lx, lx->pos, "unterminated comment")
			    == -1)
				return -1;
			lx->pos++;
		} else if ((n = fold_at(lx, lx->pos)) > 0) {
			lx->pos += n;
			continue;
		} else if (is_ctl(c))
			return fail(lx, "control character");
		lx->pos++;
	}
	return fail(lx, "unterminated comment");
}

/* Skip CFWS; 1 when something was skipped, 0 when not, -1 on error. */
static int
skip_cfws(struct lex *lx)
{
	int seen = 0;
	size_t n;
	unsigned char c;

	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos];
		if (is_wsp(c)) {
			lx->pos++;
		} else if ((n = fold_at(lx, lx->pos)) > 0) {
			lx->pos += n;
		} else if (eol_at_end(lx, lx->pos)) {
			lx->pos = lx->len;
		} else if (c == '(') {
			if (skip_comment(lx) == -1)
				return -1;
		} else
			break;
		seen = 1;
	}
	return seen;
}

static int
scan_quoted(struct lex *lx)
{
	size_t n;
	unsigned char c;

	lx->pos++;
	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos];
		if (c == '"') {
			lx->pos++;
			return 0;
		}
		if (c == '\\') {
			if (quoted_pair(lx, lx->pos,
			    "unterminated quoted string") == -1)
				return -1;
			lx->pos += 2;
		} else if ((n = fold_at(lx, lx->pos)) > 0)
			lx->pos += n;
		else if (is_ctl(c))
			return fail(lx, "control character");
		else
			lx->pos++;
	}
	return fail(lx, "unterminated quoted string");
}

static int
scan_literal(struct lex *lx)
{
	size_t n;
	unsigned char c;

	lx->pos++;
	while (lx->pos < lx->len) {
		c = (unsigned char)lx->s[lx->pos];
		if (c == ']') {
			lx->pos++;
			return 0;
		}
		if (c == '[' || c == '\\')
			return fail(lx, "bad domain literal");
		if ((n = fold_at(lx, lx->pos)) > 0)
			lx->pos += n;
		else if (is_ctl(c))
			return fail(lx, "control character");
		else
			lx->pos++;
	}
	return fail(lx, "unterminated domain literal");
}

static int
lex_scan(struct lex *lx, struct tok *t)
{
	int r;
	unsigned char c;

	if ((r = skip_cfws(lx)) == -1)
		return -1;
	t->ws = r;
	t->start = lx->pos;
	if (lx->pos >= lx->len) {
		t->type = T_END;
		t->end = lx->pos;
		return 0;
	}
	c = (unsigned char)lx->s[lx->pos];
	switch (c) {
	case '<':
		t->type = T_LT;
		break;
	case '>':
		t->type = T_GT;
		break;
	case '@':
		t->type = T_AT;
		break;
	case ',':
		t->type = T_COMMA;
		break;
	case ';':
		t->type = T_SEMI;
		break;
	case ':':
		t->type = T_COLON;
		break;
	case '.':
		t->type = T_DOT;
		break;
	case '"':
		t->type = T_QSTR;
		if (scan_quoted(lx) == -1)
			return -1;
		t->end = lx->pos;
		return 0;
	case '[':
		t->type = T_LITERAL;
		if (scan_literal(lx) == -1)
			return -1;
		t->end = lx->pos;
		return 0;
	case ')':
		return fail(lx, "unbalanced ')'");
	case ']':
		return fail(lx, "unbalanced ']'");
	case '\\':
		return fail(lx, "backslash outside quotes");
	default:
		if (!is_atext(c))
			return fail(lx, c == '\r' || c == '\n' ?
			    "line break not followed by white space" :
			    "control character");
		t->type = T_ATOM;
		while (lx->pos < lx->len &&
		    is_atext((unsigned char)lx->s[lx->pos]))
			lx->pos++;
		t->end = lx->pos;
		return 0;
	}
	lx->pos++;
	t->end = lx->pos;
	return 0;
}

static int
peek(struct lex *lx, struct tok *t)
{
	if (!lx->has_peek) {
		if (lex_scan(lx, &lx->peek) == -1)
			return -1;
		lx->has_peek = 1;
	}
	*t = lx->peek;
	return 0;
}

static int
next(struct lex *lx, struct tok *t)
{
	if (peek(lx, t) == -1)
		return -1;
	lx->has_peek = 0;
	return 0;
}

/*
 * Append a token's canonical text: line breaks of folding removed, and in
 * a domain literal the white space too (it is not part of dtext).
 */
static int
tok_add(struct sbuf *b, const struct lex *lx, const struct tok *t)
{
	size_t i, from;
	unsigned char c;

	if (t->type != T_QSTR && t->type != T_LITERAL)
		return sb_add(b, lx->s + t->start, t->end - t->start);
	from = t->start;
	for (i = t->start; i < t->end; i++) {
		c = (unsigned char)lx->s[i];
		if (c == '\\' && t->type == T_QSTR) {
			i++;
			continue;
		}
		if (c == '\r' || c == '\n' ||
		    (t->type == T_LITERAL && is_wsp(c))) {
			if (sb_add(b, lx->s + from, i - from) == -1)
				return -1;
			from = i + 1;
		}
	}
	return sb_add(b, lx->s + from, t->end - from);
}

static int
words_collect(struct lex *lx, struct words *w)
{
	struct tok t;

	memset(w, 0, sizeof(*w));
	w->local_ok = 1;
	for (;;) {
		if (peek(lx, &t) == -1)
			return -1;
		if (t.type != T_ATOM && t.type != T_QSTR && t.type != T_DOT)
			break;
		lx->has_peek = 0;
		if (t.type == T_DOT) {
			if (!w->last_word)
				w->local_ok = 0;
			w->last_word = 0;
		} else {
			if (w->last_word)
				w->local_ok = 0;
			w->last_word = 1;
			w->nwords++;
		}
		if (t.ws && w->phrase.n > 0 && sb_add(&w->phrase, " ", 1) == -1)
			return nomem(lx->err);
		if (tok_add(&w->phrase, lx, &t) == -1 ||
		    tok_add(&w->local, lx, &t) == -1)
			return nomem(lx->err);
		w->ntok++;
	}
	if (w->ntok > 0 && !w->last_word)
		w->local_ok = 0;
	return 0;
}

static void
words_free(struct words *w)
{
	sb_free(&w->phrase);
	sb_free(&w->local);
}

/* domain = dot-atom / domain-literal / obs-domain, after the "@". */
static int
parse_domain(struct lex *lx, struct sbuf *b)
{
	struct tok t;

	if (next(lx, &t) == -1)
		return -1;
	if (t.type == T_LITERAL)
		return tok_add(b, lx, &t) == -1 ? nomem(lx->err) : 0;
	if (t.type != T_ATOM)
		return fail(lx, "missing domain after '@'");
	if (tok_add(b, lx, &t) == -1)
		return nomem(lx->err);
	for (;;) {
		if (peek(lx, &t) == -1)
			return -1;
		if (t.type != T_DOT)
			return 0;
		lx->has_peek = 0;
		if (next(lx, &t) == -1)
			return -1;
		if (t.type != T_ATOM)
			return fail(lx, "bad domain");
		if (sb_add(b, ".", 1) == -1 || tok_add(b, lx, &t) == -1)
			return nomem(lx->err);
	}
}

/* The addr-spec after the local part: "@" domain, or nothing (bare). */
static int
parse_spec_tail(struct lex *lx, struct words *w, struct sbuf *spec)
{
	struct tok t;

	if (peek(lx, &t) == -1)
		return -1;
	if (t.type == T_AT && w->nwords == 0)
		return fail(lx, "'@' with no local part");
	if (!w->local_ok)
		return fail(lx, t.type == T_AT || w->nwords < 2 ?
		    "bad local part" : "missing ',' between addresses");
	if (sb_add(spec, w->local.p, w->local.n) == -1)
		return nomem(lx->err);
	if (t.type != T_AT)
		return 0;
	lx->has_peek = 0;
	if (sb_add(spec, "@", 1) == -1)
		return nomem(lx->err);
	return parse_domain(lx, spec);
}

/* angle-addr after the "<": [obs-route] addr-spec ">". */
static int
parse_angle(struct lex *lx, struct sbuf *spec)
{
	struct sbuf route = { NULL, 0, 0 };
	struct words w;
	struct tok t;
	int r = -1;

	if (peek(lx, &t) == -1)
		return -1;
	if (t.type == T_AT || t.type == T_COMMA) {
		/* obs-route: the source route is dropped (RFC 5322 4.4). */
		for (;;) {
			if (next(lx, &t) == -1)
				goto out;
			if (t.type == T_COLON)
				break;
			if (t.type == T_COMMA)
				continue;
			if (t.type != T_AT) {
				fail(lx, "bad route in '<>'");
				goto out;
			}
			route.n = 0;
			if (parse_domain(lx, &route) == -1)
				goto out;
		}
	}
	if (words_collect(lx, &w) == -1)
		goto outw;
	if (peek(lx, &t) == -1)
		goto outw;
	if (w.ntok == 0 && t.type != T_AT) {
		fail(lx, t.type == T_GT ? "empty address '<>'" :
		    t.type == T_END ? "unbalanced '<'" : "bad address in '<>'");
		goto outw;
	}
	if (parse_spec_tail(lx, &w, spec) == -1)
		goto outw;
	if (next(lx, &t) == -1)
		goto outw;
	if (t.type == T_GT)
		r = 0;
	else
		fail(lx, t.type == T_END ? "unbalanced '<'" :
		    "bad address in '<>'");
outw:
	words_free(&w);
out:
	sb_free(&route);
	return r;
}

/*
 * Where the "@" between local part and domain is: the first one outside
 * a quoted string.  NO_AT for a bare local part.
 */
static size_t
split_at(const char *spec)
{
	size_t i;
	int inq = 0;

	for (i = 0; spec[i] != '\0'; i++) {
		if (inq && spec[i] == '\\' && spec[i + 1] != '\0')
			i++;
		else if (spec[i] == '"')
			inq = !inq;
		else if (!inq && spec[i] == '@')
			return i;
	}
	return NO_AT;
}

/*
 * The list's index.  After the cap entries of v, in the same allocation,
 * is a table of 2 * cap slots (cap is a power of two), open addressing
 * with linear probing, so that at most half of it is in use and a probe
 * always ends at an empty slot.  It holds entries 0 to n - 1, each once.
 * Keeping the table behind v rather than in a field of its own leaves
 * struct addr_list as it was, so that callers initialising it with
 * { NULL, 0, 0 } are unaffected.
 *
 * Equality is the rule addr.h states; the hash agrees with it: FNV-1a
 * over the spec with what follows the "@" in lower case, then mixed (the
 * finaliser of MurmurHash3) so that the low bits that pick the slot
 * depend on every byte.  A slot keeps the hash, which spares most
 * string comparisons and lets a larger table be filled from the old one
 * without hashing the specs again.  It is not keyed: lists hold at most
 * BOUND_RECIPIENTS addresses taken from the user's own message,
 * arguments and files, and crafted collisions would only bring back the
 * linear search this replaced.
 */
struct slot {
	uint32_t ix;		/* index in v + 1; 0: empty */
	uint32_t hash;
};

/* A spec being looked up: split and hashed once. */
struct key {
	const char *spec;
	size_t	 at;
	uint32_t hash;
};

/* ix is 32 bits; the table has 2 * cap slots. */
#define LIST_CAP_MAX	((size_t)1 << 30)
#define LIST_ENTRY_SIZE	(sizeof(struct addr) + 2 * sizeof(struct slot))

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static void
key_make(struct key *k, const char *spec)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;
	unsigned char c;

	k->spec = spec;
	k->at = split_at(spec);
	for (i = 0; spec[i] != '\0'; i++) {
		c = (unsigned char)spec[i];
		h ^= k->at != NO_AT && i > k->at ? ascii_lower(c) : c;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	k->hash = (uint32_t)h;
}

static int
domain_equal(const char *a, const char *b)
{
	for (; ascii_lower(*a) == ascii_lower(*b); a++, b++)
		if (*a == '\0')
			return 1;
	return 0;
}

static int
spec_equal(const char *a, const struct key *k)
{
	size_t at;

	at = split_at(a);
	if (at == NO_AT || k->at == NO_AT)
		return strcmp(a, k->spec) == 0;
	return at == k->at && memcmp(a, k->spec, at) == 0 &&
	    domain_equal(a + at + 1, k->spec + at + 1);
}

static struct slot *
list_table(struct addr *v, size_t cap)
{
	return (struct slot *)(void *)(v + cap);
}

/*
 * The slot of the entry equal to k, or the empty slot where k would go.
 * The list must have room (cap > 0).
 */
static struct slot *
list_probe(const struct addr_list *l, const struct key *k)
{
	struct slot *t = list_table(l->v, l->cap);
	size_t mask = 2 * l->cap - 1, i;

	for (i = k->hash & mask;; i = (i + 1) & mask)
		if (t[i].ix == 0 || (t[i].hash == k->hash &&
		    spec_equal(l->v[t[i].ix - 1].spec, k)))
			return &t[i];
}

/* Append a at the empty slot s that list_probe gave for k. */
static void
list_put(struct addr_list *l, struct slot *s, const struct key *k,
    struct addr a)
{
	l->v[l->n] = a;
	s->ix = (uint32_t)(l->n + 1);
	s->hash = k->hash;
	l->n++;
}

/* Room for more entries: a new allocation, its table filled from the old. */
static int
list_grow(struct addr_list *l, size_t more)
{
	struct addr *nv;
	struct slot *ot, *nt;
	size_t ncap, mask, i, j;

	if (more <= l->cap - l->n)
		return 0;
	if (more > LIST_CAP_MAX - l->n)
		return -1;
	ncap = l->cap ? l->cap : 8;
	while (ncap < l->n + more)
		ncap *= 2;
	if (ncap > SIZE_MAX / LIST_ENTRY_SIZE ||
	    (nv = malloc(ncap * LIST_ENTRY_SIZE)) == NULL)
		return -1;
	if (l->n > 0)
		memcpy(nv, l->v, l->n * sizeof(*nv));
	nt = list_table(nv, ncap);
	memset(nt, 0, 2 * ncap * sizeof(*nt));
	mask = 2 * ncap - 1;
	ot = l->cap > 0 ? list_table(l->v, l->cap) : NULL;
	for (i = 0; i < 2 * l->cap; i++) {
		if (ot[i].ix == 0)
			continue;
		for (j = ot[i].hash & mask; nt[j].ix != 0; j = (j + 1) & mask)
			;
		nt[j] = ot[i];
	}
	free(l->v);
	l->v = nv;
	l->cap = ncap;
	return 0;
}

static int parse_address(struct lex *, struct addr_list *, int);

/* group-list after the ":", up to and with the ";". */
static int
parse_group(struct lex *lx, struct addr_list *l)
{
	struct tok t;

	for (;;) {
		if (parse_address(lx, l, 1) == -1)
			return -1;
		if (next(lx, &t) == -1)
			return -1;
		switch (t.type) {
		case T_SEMI:
		case T_END:	/* "undisclosed-recipients:" lacking ";" */
			return 0;
		case T_COMMA:
			break;
		case T_GT:
			return fail(lx, "stray '>'");
		default:
			return fail(lx, "missing ',' between addresses");
		}
	}
}

/* One element of the list: empty, a mailbox, or (outside one) a group. */
static int
parse_address(struct lex *lx, struct addr_list *l, int in_group)
{
	struct sbuf spec = { NULL, 0, 0 };
	struct words w;
	struct tok t;
	const char *display = NULL;
	int r = -1;

	if (peek(lx, &t) == -1)
		return -1;
	lx->elem = t.start;
	if (words_collect(lx, &w) == -1)
		goto out;
	if (peek(lx, &t) == -1)
		goto out;
	switch (t.type) {
	case T_LT:
		lx->has_peek = 0;
		if (parse_angle(lx, &spec) == -1)
			goto out;
		if (w.ntok > 0)
			display = w.phrase.p;
		break;
	case T_COLON:
		if (in_group) {
			fail(lx, "group inside a group");
			goto out;
		}
		if (w.ntok == 0) {
			fail(lx, "group without a name");
			goto out;
		}
		lx->has_peek = 0;
		r = parse_group(lx, l);
		goto out;
	case T_AT:
	case T_COMMA:
	case T_SEMI:
	case T_END:
		if (w.ntok == 0 && t.type != T_AT) {
			r = 0;		/* an empty element (obs-addr-list) */
			goto out;
		}
		if (parse_spec_tail(lx, &w, &spec) == -1)
			goto out;
		break;
	case T_GT:
		fail(lx, "stray '>'");
		goto out;
	default:
		fail(lx, w.ntok > 0 ? "missing ',' between addresses" :
		    "domain literal without '@'");
		goto out;
	}
	r = addr_list_add_named(l, spec.p, display, lx->err);
out:
	words_free(&w);
	sb_free(&spec);
	return r;
}

int
addr_parse_list(const char *s, size_t len, struct addr_list *out,
    struct postie_err *e)
{
	struct addr_list tmp = { NULL, 0, 0 };
	struct lex lx;
	struct tok t;
	struct key k;
	struct slot *sl;
	size_t i;

	memset(&lx, 0, sizeof(lx));
	lx.s = s;
	lx.len = len;
	lx.err = e;
	for (;;) {
		if (parse_address(&lx, &tmp, 0) == -1)
			goto bad;
		if (next(&lx, &t) == -1)
			goto bad;
		if (t.type == T_END)
			break;
		if (t.type == T_COMMA)
			continue;
		fail(&lx, t.type == T_SEMI ? "';' outside a group" :
		    t.type == T_GT ? "stray '>'" :
		    "missing ',' between addresses");
		goto bad;
	}
	/* Reserve first so that the merge cannot fail half way. */
	if (list_grow(out, tmp.n) == -1) {
		nomem(e);
		goto bad;
	}
	for (i = 0; i < tmp.n; i++) {
		key_make(&k, tmp.v[i].spec);
		if ((sl = list_probe(out, &k))->ix != 0) {
			free(tmp.v[i].spec);
			free(tmp.v[i].display);
		} else
			list_put(out, sl, &k, tmp.v[i]);
	}
	free(tmp.v);
	return 0;
bad:
	addr_list_free(&tmp);
	return -1;
}

int
addr_list_contains(const struct addr_list *l, const char *spec)
{
	struct key k;

	if (l->n == 0)
		return 0;
	key_make(&k, spec);
	return list_probe(l, &k)->ix != 0;
}

int
addr_list_add_named(struct addr_list *l, const char *spec,
    const char *display, struct postie_err *e)
{
	struct addr a = { NULL, NULL };
	struct key k;

	key_make(&k, spec);
	if (l->n > 0 && list_probe(l, &k)->ix != 0)
		return 0;
	/*
	 * spec is never NULL: the analyzer stops following parse_address
	 * into fail() and assumes a failed parse_spec_tail succeeded.
	 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if (list_grow(l, 1) == -1 || (a.spec = strdup(spec)) == NULL ||
	    (display != NULL && (a.display = strdup(display)) == NULL)) {
		free(a.spec);
		err_setx(e, EX_OSERR, "address list: out of memory");
		return -1;
	}
	list_put(l, list_probe(l, &k), &k, a);
	return 0;
}

int
addr_list_add(struct addr_list *l, const char *spec, struct postie_err *e)
{
	return addr_list_add_named(l, spec, NULL, e);
}

void
addr_list_free(struct addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].spec);
		free(l->v[i].display);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Well-formed UTF-8: no overlongs, surrogates or code points > U+10FFFF. */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned char c;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
bad_envelope(struct postie_err *e, const char *spec, const char *what)
{
	char buf[BOUND_PATH + 64];

	err_sanitize(buf, sizeof(buf), spec, strlen(spec));
	err_setx(e, EX_DATAERR, "bad address <%s>: %s", buf, what);
	return -1;
}

int
addr_check_envelope(const char *spec, int allow_empty, struct postie_err *e)
{
	size_t i, len, at = NO_AT, llen, dlen = 0;
	unsigned char c;
	int inq = 0;

	if (spec == NULL)
		spec = "";
	len = strlen(spec);
	if (len == 0) {
		if (allow_empty)
			return 0;
		return bad_envelope(e, spec, "empty address");
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)spec[i];
		if (c == '\r' || c == '\n')
			return bad_envelope(e, spec, "line break in address");
		if (is_ctl(c) || c == '\t')
			return bad_envelope(e, spec, "control character");
		if (inq) {
			if (c == '"')
				inq = 0;
			else if (c == '\\') {
				if (i + 1 == len)
					break;
				i++;
				c = (unsigned char)spec[i];
				if (c == '\r' || c == '\n')
					return bad_envelope(e, spec,
					    "line break in address");
				if (is_ctl(c) || c == '\t')
					return bad_envelope(e, spec,
					    "control character");
			}
			continue;
		}
		if (c == '"' && at == NO_AT)
			inq = 1;
		else if (c == '@' && at == NO_AT)
			at = i;
		else if (c == ' ')
			return bad_envelope(e, spec,
			    "space outside a quoted local part");
		else if (c == '<' || c == '>')
			return bad_envelope(e, spec,
			    "'<' or '>' outside a quoted local part");
	}
	if (inq)
		return bad_envelope(e, spec, "unterminated quoted string");
	llen = at == NO_AT ? len : at;
	if (at != NO_AT)
		dlen = len - at - 1;
	if (llen == 0)
		return bad_envelope(e, spec, "empty local part");
	if (at != NO_AT && dlen == 0)
		return bad_envelope(e, spec, "empty domain");
	if (llen > BOUND_LOCALPART)
		return bad_envelope(e, spec,
		    "local part longer than 64 octets (RFC 5321 4.5.3.1.1)");
	if (dlen > BOUND_DOMAIN)
		return bad_envelope(e, spec,
		    "domain longer than 255 octets (RFC 5321 4.5.3.1.2)");
	if (len + 2 > BOUND_PATH)
		return bad_envelope(e, spec,
		    "path longer than 256 octets (RFC 5321 4.5.3.1.3)");
	if (!utf8_valid((const unsigned char *)spec, len))
		return bad_envelope(e, spec, "invalid UTF-8");
	return 0;
}

int
addr_is_qualified(const char *spec)
{
	size_t at = split_at(spec);

	return at != NO_AT && spec[at + 1] != '\0';
}

int
addr_needs_utf8(const char *spec)
{
	for (; *spec != '\0'; spec++)
		if ((unsigned char)*spec >= 0x80)
			return 1;
	return 0;
}

char *
addr_qualify(const char *spec, const char *domain)
{
	size_t sl, dl;
	char *p;

	sl = strlen(spec);
	dl = strlen(domain);
	if (sl > SIZE_MAX / 2 || dl > SIZE_MAX / 2)
		return NULL;
	if ((p = malloc(sl + dl + 2)) == NULL)
		return NULL;
	memcpy(p, spec, sl);
	p[sl] = '@';
	memcpy(p + sl + 1, domain, dl + 1);
	return p;
}

int
addr_has_crlf(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * The aliases file: opening it safely, parsing "name: targets" entries
 * with continuation lines, and the one-level expansion of unqualified
 * recipients.  Address syntax is addr.c's; qualifying what is left
 * unqualified is the caller's.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "bounds.h"

struct alias {
	char	*name;
	int	 line;
	struct addr_list targets;
};

/*
 * The entries, and an index of their names: open addressing with linear
 * probing over tsize slots (a power of two, at least twice cap, so that
 * a probe always ends at an empty slot), each the index of an entry + 1
 * or 0 when empty.  Names are hashed with FNV-1a, ASCII letters folded to
 * lower case as the comparison folds them, and MurmurHash3's finaliser.
 * Not keyed: the file is the administrator's.
 */
struct aliases {
	struct alias *v;
	size_t	 n;
	size_t	 cap;
	size_t	*tab;
	size_t	 tsize;
};

#define NO_ALIAS	((size_t)-1)

struct parse {
	const char *file;
	int	 line;
	struct aliases *a;
	struct alias *cur;	/* the entry continuation lines extend */
	struct postie_err *err;
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A name is a dot-atom-like local part: printable, no specials. */
static int
name_ok(const char *s)
{
	static const char bad[] = "()<>[]:;@\\,\"";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || strchr(bad, *p) != NULL)
			return 0;
	return 1;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* strcasecmp as the C locale has it, whatever the locale. */
static int
name_equal(const char *a, const char *b)
{
	for (; ascii_lower(*a) == ascii_lower(*b); a++, b++)
		if (*a == '\0')
			return 1;
	return 0;
}

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= ascii_lower((unsigned char)*s);
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t *
name_probe(const struct aliases *a, const char *name)
{
	size_t mask = a->tsize - 1, i;

	for (i = (size_t)name_hash(name) & mask;; i = (i + 1) & mask)
		if (a->tab[i] == 0 || name_equal(a->v[a->tab[i] - 1].name,
		    name))
			return &a->tab[i];
}

/* The index of the entry for name, or NO_ALIAS. */
static size_t
alias_find(const struct aliases *a, const char *name)
{
	size_t *s;

	if (a->n == 0)
		return NO_ALIAS;
	s = name_probe(a, name);
	return *s == 0 ? NO_ALIAS : *s - 1;
}

/* A table of twice cap slots, filled again from the entries. */
static int
index_grow(struct aliases *a)
{
	size_t *nt, i;

	if (a->tsize >= 2 * a->cap)
		return 0;
	if ((nt = calloc(2 * a->cap, sizeof(*nt))) == NULL)
		return -1;
	free(a->tab);
	a->tab = nt;
	a->tsize = 2 * a->cap;
	for (i = 0; i < a->n; i++)
		*name_probe(a, a->v[i].name) = i + 1;
	return 0;
}

static int
perr(struct parse *p, int line, const char *what, const char *arg)
{
	char buf[128];

	if (arg != NULL) {
		err_sanitize(buf, sizeof(buf), arg, strlen(arg));
		err_setx(p->err, EX_CONFIG, "%s:%d: %s '%s'", p->file, line,
		    what, buf);
	} else
		err_setx(p->err, EX_CONFIG, "%s:%d: %s", p->file, line, what);
	return -1;
}

static int
nomem(struct postie_err *e)
{
	err_setx(e, EX_OSERR, "aliases: out of memory");
	return -1;
}

/* Parse a target list into the current entry. */
static int
add_targets(struct parse *p, const char *s, size_t len)
{
	if (addr_parse_list(s, len, &p->cur->targets, p->err) == -1) {
		if (p->err->ex == EX_DATAERR)
			p->err->ex = EX_CONFIG;
		err_prefix(p->err, "%s:%d: ", p->file, p->line);
		return -1;
	}
	return 0;
}

/* An entry is complete when the next one starts or the file ends. */
static int
finish_entry(struct parse *p)
{
	if (p->cur != NULL && p->cur->targets.n == 0)
		return perr(p, p->cur->line, "no targets for", p->cur->name);
	return 0;
}

static int
parse_line(struct parse *p, char *s, size_t len)
{
	struct alias *nv, *al;
	char *colon, *end;
	size_t i, ncap;

	for (i = 0; i < len && is_blank(s[i]); i++)
		;
	if (i == len || s[i] == '#')
		return 0;
	if (i > 0) {
		if (p->cur == NULL)
			return perr(p, p->line,
			    "continuation line without an entry", NULL);
		return add_targets(p, s, len);
	}
	if ((colon = memchr(s, ':', len)) == NULL)
		return perr(p, p->line, "missing ':' after the name", NULL);
	for (end = colon; end > s && is_blank(end[-1]); end--)
		;
	*end = '\0';
	if (*s == '\0')
		return perr(p, p->line, "empty name", NULL);
	if (!name_ok(s))
		return perr(p, p->line, "bad name", s);
	if (finish_entry(p) == -1)
		return -1;
	if ((i = alias_find(p->a, s)) != NO_ALIAS) {
		err_setx(p->err, EX_CONFIG, "%s:%d: '%s' is listed twice "
		    "(first on line %d)", p->file, p->line, s,
		    p->a->v[i].line);
		return -1;
	}
	if (p->a->n == p->a->cap) {
		ncap = p->a->cap ? p->a->cap * 2 : 16;
		if ((nv = reallocarray(p->a->v, ncap, sizeof(*nv))) == NULL)
			return nomem(p->err);
		p->a->v = nv;
		p->a->cap = ncap;
	}
	if (index_grow(p->a) == -1)
		return nomem(p->err);
	al = &p->a->v[p->a->n];
	memset(al, 0, sizeof(*al));
	if ((al->name = strdup(s)) == NULL)
		return nomem(p->err);
	al->line = p->line;
	*name_probe(p->a, al->name) = p->a->n + 1;
	p->a->n++;
	p->cur = al;
	return add_targets(p, colon + 1, len - (size_t)(colon + 1 - s));
}

int
aliases_parse(FILE *fp, const char *name, struct aliases **out,
    struct postie_err *e)
{
	struct parse p;
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t r;
	int rv = -1;

	memset(&p, 0, sizeof(p));
	p.file = name;
	p.err = e;
	if ((p.a = calloc(1, sizeof(*p.a))) == NULL)
		return nomem(e);
	for (;;) {
		errno = 0;
		if ((r = getline(&line, &cap, fp)) == -1)
			break;
		p.line++;
		len = (size_t)r;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		line[len] = '\0';
		if (len > BOUND_CONF_LINE) {
			perr(&p, p.line, "line too long", NULL);
			goto out;
		}
		if (memchr(line, '\0', len) != NULL) {
			perr(&p, p.line, "NUL byte in line", NULL);
			goto out;
		}
		if (parse_line(&p, line, len) == -1)
			goto out;
	}
	if (ferror(fp)) {
		err_set(e, EX_IOERR, "%s: read error", name);
		goto out;
	}
	if (errno == ENOMEM) {
		nomem(e);
		goto out;
	}
	if (finish_entry(&p) == -1)
		goto out;
	*out = p.a;
	p.a = NULL;
	rv = 0;
out:
	free(line);
	aliases_free(p.a);
	return rv;
}

const struct addr_list *
aliases_lookup(const struct aliases *a, const char *local)
{
	size_t i;

	if ((i = alias_find(a, local)) == NO_ALIAS)
		return NULL;
	return &a->v[i].targets;
}

static int
add_all(struct addr_list *to, const struct addr_list *from,
    struct postie_err *e)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		if (addr_list_add_named(to, from->v[i].spec,
		    from->v[i].display, e) == -1)
			return -1;
	return 0;
}

/*
 * An entry's targets are added once: out only grows, so adding them
 * again would add nothing, and many names sent to one entry (or to
 * "default") would cost names times targets.
 */
int
aliases_apply(const struct aliases *a, struct addr_list *rcpts,
    struct postie_err *e)
{
	struct addr_list out = { NULL, 0, 0 };
	const struct addr *r;
	unsigned char *added;
	size_t i, j, dflt;

	if ((added = calloc(a->n + 1, 1)) == NULL)
		return nomem(e);
	dflt = alias_find(a, "default");
	for (i = 0; i < rcpts->n; i++) {
		r = &rcpts->v[i];
		if (addr_is_qualified(r->spec))
			j = NO_ALIAS;
		else if ((j = alias_find(a, r->spec)) == NO_ALIAS)
			j = dflt;
		if (j == NO_ALIAS) {
			if (addr_list_add_named(&out, r->spec, r->display,
			    e) == -1)
				goto fail;
		} else if (!added[j]) {
			added[j] = 1;
			if (add_all(&out, &a->v[j].targets, e) == -1)
				goto fail;
		}
	}
	free(added);
	addr_list_free(rcpts);
	*rcpts = out;
	return 0;
fail:
	free(added);
	addr_list_free(&out);
	return -1;
}

void
aliases_free(struct aliases *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		addr_list_free(&a->v[i].targets);
	}
	free(a->v);
	free(a->tab);
	free(a);
}

int
aliases_check_perm(int fd, uid_t euid, const char *name,
    struct postie_err *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		err_set(e, EX_OSERR, "%s: fstat", name);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_setx(e, EX_CONFIG, "%s: not a regular file", name);
		return -1;
	}
	if (euid != 0)
		return 0;
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err_setx(e, EX_CONFIG, "%s: writable by group or others "
		    "(mode %04o), refused when running as root", name,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != 0) {
		err_setx(e, EX_CONFIG, "%s: owned by uid %lu, not root, "
		    "refused when running as root", name,
		    (unsigned long)st.st_uid);
		return -1;
	}
	return 0;
}

int
aliases_expand(const char *path, struct addr_list *rcpts,
    struct postie_err *e)
{
	struct aliases *a = NULL;
	FILE *fp;
	int fd, rv;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		err_set(e, EX_CONFIG, "%s: cannot open aliases file", path);
		return -1;
	}
	if (aliases_check_perm(fd, geteuid(), path, e) == -1) {
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		err_set(e, EX_OSERR, "%s: fdopen", path);
		close(fd);
		return -1;
	}
	rv = aliases_parse(fp, path, &a, e);
	fclose(fp);
	if (rv == -1)
		return -1;
	rv = aliases_apply(a, rcpts, e);
	aliases_free(a);
	return rv;
}

/* SPDX-License-Identifier: ISC */
/*
 * One submission job, from the parsed command line, the config and stdin
 * to what would be submitted: the account, the envelope sender, the
 * qualified recipients and the message with its header edits.  Owns the
 * policy that joins the modules (which account, which sender, which
 * headers are added).  Does not touch the network and prints only what
 * job_print is asked to.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "addr.h"
#include "aliases.h"
#include "bounds.h"
#include "conf.h"
#include "err.h"
#include "job.h"
#include "msg.h"
#include "opts.h"
#include "sysenv.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif

/* Bytes of randomness in a generated Message-ID. */
#define JOB_MSGID_RANDOM	16

/* Where an envelope address came from: decides the exit code. */
enum origin { FROM_ARG, FROM_HEADER, FROM_CONFIG, FROM_SYSTEM };

static int
origin_ex(enum origin o)
{
	switch (o) {
	case FROM_ARG:
		return EX_USAGE;
	case FROM_HEADER:
		return EX_DATAERR;
	case FROM_CONFIG:
		return EX_CONFIG;
	default:
		return EX_OSERR;
	}
}

static void
job_note(struct job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
job_note(struct job *job, const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(job->note);

	if (len > 0 && len + 2 < sizeof(job->note)) {
		strlcat(job->note, "; ", sizeof(job->note));
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(job->note + len, sizeof(job->note) - len, fmt, ap);
	va_end(ap);
}

static char *
xstrdup(const char *s, struct postie_err *e)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		err_set(e, EX_OSERR, "out of memory");
	return p;
}

/* The domain for unqualified names: maildomain, else this host's FQDN. */
static int
job_domain(const struct job *job, char *buf, size_t bufsz,
    struct postie_err *e)
{
	const char *fqdn;

	if (job->acct->maildomain != NULL && job->acct->maildomain[0]) {
		if (strlcpy(buf, job->acct->maildomain, bufsz) >= bufsz) {
			err_setx(e, EX_CONFIG, "maildomain too long");
			return -1;
		}
		return 0;
	}
	if ((fqdn = sysenv_fqdn(job->sys, e)) == NULL)
		return -1;
	if (strlcpy(buf, fqdn, bufsz) >= bufsz) {
		err_setx(e, EX_OSERR, "host name too long");
		return -1;
	}
	return 0;
}

int
job_config_arg(const char *path, char **out, struct postie_err *e)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return (*out = xstrdup(path, e)) == NULL ? -1 : 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		err_set(e, EX_OSERR, "-C %s: the working directory", path);
		return -1;
	}
	if (asprintf(out, "%s/%s", cwd, path) == -1) {
		*out = NULL;
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	return 0;
}

static int
load_conf(struct job *job, const struct opts *o, struct postie_err *e)
{
	char path[PATH_MAX];

	if (o->config != NULL) {
		if ((job->config_path = xstrdup(o->config, e)) == NULL ||
		    job_config_arg(o->config, &job->config_arg, e) == -1)
			return -1;
	} else {
		if (conf_default_path(path, sizeof(path),
		    SYSCONFDIR "/postie.conf", job->sys, e) == -1)
			return -1;
		job->config_path = xstrdup(path, e);
	}
	if (job->config_path == NULL)
		return -1;
	/*
	 * config_path stays in job (job_free frees it); the analyzer forgets
	 * it when &job->conf goes to a function it does not see.
	 * NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	return conf_load(&job->conf, job->config_path, job->sys, e);
}

/* -a NAME, else the account whose from matches hint, else "default". */
static int
pick_account(struct job *job, const struct opts *o, const char *hint,
    struct postie_err *e)
{
	const struct account *a = NULL;
	char safe[128], bare[BOUND_PATH + 1];
	size_t len;

	if (o->account != NULL) {
		if ((a = conf_account(job->conf, o->account)) == NULL) {
			err_sanitize(safe, sizeof(safe), o->account,
			    strlen(o->account));
			err_setx(e, EX_CONFIG, "no account %s in %s", safe,
			    job->config_path);
			return -1;
		}
	} else {
		if (hint != NULL && (len = strlen(hint)) >= 2 &&
		    hint[0] == '<' && hint[len - 1] == '>' &&
		    len - 2 < sizeof(bare)) {
			memcpy(bare, hint + 1, len - 2);
			bare[len - 2] = '\0';
			hint = bare;
		}
		if (hint != NULL && hint[0] != '\0')
			a = conf_account_for_from(job->conf, hint);
		if (a == NULL)
			a = conf_account(job->conf, "default");
		if (a == NULL) {
			err_setx(e, EX_CONFIG, "no account chosen: use -a NAME "
			    "or define 'account default : NAME' in %s",
			    job->config_path);
			return -1;
		}
	}
	if (conf_check_account(a, e) == -1)
		return -1;
	job->acct = a;
	return 0;
}

/* Zero job, for o, with sys. */
static void
job_init(struct job *job, const struct opts *o, struct sysenv *sys)
{
	memset(job, 0, sizeof(*job));
	job->verbose = o->verbose;
	job->sys = sys;
}

int
job_load_conf(struct job *job, const struct opts *o, struct sysenv *sys,
    struct postie_err *e)
{
	job_init(job, o, sys);
	return load_conf(job, o, e);
}

int
job_load_account(struct job *job, const struct opts *o, struct sysenv *sys,
    struct postie_err *e)
{
	job_init(job, o, sys);
	if (load_conf(job, o, e) == -1)
		return -1;
	return pick_account(job, o, o->from, e);
}

/* The account's from is %F: the sender is the From header's address. */
static int
from_is_header(const struct account *a)
{
	return a->from != NULL && strcmp(a->from, CONF_FROM_HEADER) == 0;
}

/* The address of the first mailbox in the From header, or NULL. */
static int
header_from(const struct msg *m, char **out, struct postie_err *e)
{
	struct addr_list l = { NULL, 0, 0 };
	ssize_t i;
	const char *v;

	*out = NULL;
	if ((i = msg_header_find(m, "From", 0)) < 0)
		return 0;
	v = msg_header_value(m, (size_t)i);
	if (addr_parse_list(v, strlen(v), &l, e) == -1) {
		err_prefix(e, "From header: ");
		return -1;
	}
	if (l.n > 0 && (*out = xstrdup(l.v[0].spec, e)) == NULL) {
		addr_list_free(&l);
		return -1;
	}
	addr_list_free(&l);
	return 0;
}

static int
login_name(const struct sysenv *sys, char *buf, size_t bufsz,
    struct postie_err *e)
{
	const char *name;

	if ((name = sysenv_login(sys)) == NULL) {
		err_setx(e, EX_OSERR, "no user name for uid %lu: set from in "
		    "the account", (unsigned long)sysenv_euid(sys));
		return -1;
	}
	if (strlcpy(buf, name, bufsz) >= bufsz) {
		err_setx(e, EX_OSERR, "user name too long: set from in the "
		    "account");
		return -1;
	}
	return 0;
}

/*
 * Turn raw (from -f, a header, the config or the login name) into the
 * envelope sender: "" and "<>" are the null sender, one pair of angle
 * brackets is removed, an unqualified name gets the mail domain.
 */
static int
set_sender(struct job *job, const char *raw, enum origin orig,
    struct postie_err *e)
{
	char domain[BOUND_DOMAIN + 1], *s;
	size_t len = strlen(raw);

	if (len >= 2 && raw[0] == '<' && raw[len - 1] == '>') {
		raw++;
		len -= 2;
	}
	if ((s = strndup(raw, len)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	if (len > 0 && !addr_is_qualified(s)) {
		char *q;

		if (job_domain(job, domain, sizeof(domain), e) == -1) {
			free(s);
			return -1;
		}
		q = addr_qualify(s, domain);
		free(s);
		if ((s = q) == NULL) {
			err_set(e, EX_OSERR, "out of memory");
			return -1;
		}
	}
	if (addr_check_envelope(s, 1, e) == -1) {
		e->ex = origin_ex(orig);
		switch (orig) {
		case FROM_ARG:
			err_prefix(e, "option -f: ");
			break;
		case FROM_HEADER:
			err_prefix(e, "envelope sender from the From header: ");
			break;
		case FROM_CONFIG:
			err_prefix(e, "%s:%d: account %s: from: ",
			    job->acct->file, job->acct->line, job->acct->name);
			break;
		default:
			err_prefix(e, "sender from the login name: ");
			break;
		}
		free(s);
		return -1;
	}
	job->env.from = s;
	return 0;
}

static int
has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * -f (when the account allows it), else the From header with
 * --read-envelope-from, else the account's from, else login@domain.
 */
static int
choose_sender(struct job *job, const struct opts *o, const char *hdr_from,
    struct postie_err *e)
{
	const struct account *a = job->acct;
	char login[256];
	int override = a->allow_from_override;

	if (o->from != NULL) {
		if (override)
			return set_sender(job, o->from, FROM_ARG, e);
		job_note(job, "-f ignored: allow_from_override is off in "
		    "account %s", a->name);
	}
	if (o->read_envelope_from) {
		if (!override)
			job_note(job, "--read-envelope-from ignored: "
			    "allow_from_override is off in account %s",
			    a->name);
		else if (hdr_from != NULL)
			return set_sender(job, hdr_from, FROM_HEADER, e);
		else
			job_note(job, "--read-envelope-from: the message has "
			    "no From address");
	}
	if (from_is_header(a)) {
		if (hdr_from != NULL)
			return set_sender(job, hdr_from, FROM_HEADER, e);
		job_note(job, "from %%F in account %s: the message has no "
		    "From address; the login name is the sender", a->name);
	} else if (a->from != NULL && a->from[0] != '\0' &&
	    !has_wildcard(a->from))
		return set_sender(job, a->from, FROM_CONFIG, e);
	if (login_name(job->sys, login, sizeof(login), e) == -1)
		return -1;
	return set_sender(job, login, FROM_SYSTEM, e);
}

/* Parse every recipient argument (each may be a comma list) into out. */
static int
arg_recipients(const struct opts *o, struct addr_list *out,
    struct postie_err *e)
{
	int i;

	for (i = 0; i < o->nrcpts; i++) {
		if (addr_parse_list(o->rcpts[i], strlen(o->rcpts[i]), out,
		    e) == -1) {
			e->ex = EX_USAGE;
			err_prefix(e, "recipient argument %d: ", i + 1);
			return -1;
		}
		if (out->n > BOUND_RECIPIENTS) {
			err_setx(e, EX_USAGE, "more than %d recipients",
			    BOUND_RECIPIENTS);
			return -1;
		}
	}
	return 0;
}

static int
list_merge(struct addr_list *dst, const struct addr_list *src,
    struct postie_err *e)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (addr_list_add_named(dst, src->v[i].spec,
		    src->v[i].display, e) == -1)
			return -1;
	return 0;
}

/*
 * Envelope recipients: the arguments, with -t also the header fields;
 * aliases; then every name still unqualified gets maildomain or is
 * refused.
 */
static int
build_recipients(struct job *job, const struct opts *o,
    struct addr_list *args, struct postie_err *e)
{
	const struct account *a = job->acct;
	struct addr_list hdr = { NULL, 0, 0 }, all = { NULL, 0, 0 };
	char domain[BOUND_DOMAIN + 1] = "", *q;
	enum origin orig;
	size_t i;
	int rc = -1;

	if (arg_recipients(o, args, e) == -1)
		goto out;
	if (o->read_rcpts && msg_recipients(job->msg, &hdr, e) == -1) {
		e->ex = EX_DATAERR;
		goto out;
	}
	if (hdr.n > BOUND_RECIPIENTS) {
		err_setx(e, EX_DATAERR, "more than %d recipients in the "
		    "headers", BOUND_RECIPIENTS);
		goto out;
	}
	if (list_merge(&all, &hdr, e) == -1 || list_merge(&all, args, e) == -1)
		goto out;
	if (all.n == 0) {
		err_setx(e, EX_USAGE, "no recipients%s", o->read_rcpts ?
		    ": none in the arguments nor in To, Cc, Bcc" : "");
		goto out;
	}
	if (a->aliases != NULL && aliases_expand(a->aliases, &all, e) == -1)
		goto out;
	if (all.n > BOUND_RECIPIENTS) {
		err_setx(e, hdr.n > 0 ? EX_DATAERR : EX_USAGE,
		    "more than %d recipients", BOUND_RECIPIENTS);
		goto out;
	}
	for (i = 0; i < all.n; i++) {
		const char *spec = all.v[i].spec;

		if (addr_list_contains(args, spec))
			orig = FROM_ARG;
		else if (addr_list_contains(&hdr, spec))
			orig = FROM_HEADER;
		else
			orig = FROM_CONFIG;	/* an alias target */
		q = NULL;
		if (!addr_is_qualified(spec)) {
			if (domain[0] == '\0') {
				if (job_domain(job, domain, sizeof(domain),
				    e) == -1)
					goto out;
				if (a->maildomain == NULL ||
				    a->maildomain[0] == '\0')
					job_note(job, "unqualified recipients "
					    "get this host's name, %s%s: set "
					    "maildomain or aliases in account "
					    "%s", domain, strchr(domain, '.') ==
					    NULL ? " (which has no dot)" : "",
					    a->name);
			}
			if ((q = addr_qualify(spec, domain)) == NULL) {
				err_set(e, EX_OSERR, "out of memory");
				goto out;
			}
			spec = q;
		}
		if (addr_check_envelope(spec, 0, e) == -1) {
			e->ex = origin_ex(orig);
			if (orig == FROM_ARG)
				err_prefix(e, "recipient argument: ");
			else if (orig == FROM_HEADER)
				err_prefix(e, "recipient header: ");
			else
				err_prefix(e, "%s: ", a->aliases);
			free(q);
			goto out;
		}
		if (envelope_add_rcpt(&job->env, spec, e) == -1) {
			free(q);
			goto out;
		}
		free(q);
	}
	rc = 0;
out:
	addr_list_free(&hdr);
	addr_list_free(&all);
	return rc;
}

static int
has_header(const struct msg *m, const char *const *names)
{
	for (; *names != NULL; names++)
		if (msg_header_find(m, *names, 0) >= 0)
			return 1;
	return 0;
}

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * A display name as an RFC 5322 phrase: as is when it is words of atext
 * separated by single spaces, else a quoted string.  Control characters
 * other than tab are dropped.  Newly allocated.
 */
static char *
phrase(const char *name)
{
	const unsigned char *p;
	char *out, *w;
	int plain = name[0] != '\0' && name[0] != ' ';

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (!is_atext(*p) && !(*p == ' ' && p[1] != ' ' &&
		    p[1] != '\0'))
			plain = 0;
	if (plain)
		return strdup(name);
	if ((out = malloc(strlen(name) * 2 + 3)) == NULL)
		return NULL;
	w = out;
	*w++ = '"';
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			*w++ = '\\';
		*w++ = (char)*p;
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

/* "phrase <spec>" or "spec" into buf; 0, or -1 when it does not fit. */
static int
mailbox(char *buf, size_t bufsz, const char *display, const char *spec,
    int quote)
{
	char *ph;
	int n;

	if (display == NULL || display[0] == '\0')
		n = snprintf(buf, bufsz, "%s", spec);
	else if (!quote)
		n = snprintf(buf, bufsz, "%s <%s>", display, spec);
	else {
		if ((ph = phrase(display)) == NULL)
			return -1;
		n = snprintf(buf, bufsz, "%s <%s>", ph, spec);
		free(ph);
	}
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

static int
set_from_header(struct job *job, const struct opts *o, struct postie_err *e)
{
	const struct account *a = job->acct;
	const char *name = o->full_name != NULL ? o->full_name :
	    a->from_full_name;
	char value[BOUND_HEADER_LINE + 1];
	int present = msg_header_find(job->msg, "From", 0) >= 0;

	if (a->set_from_header == SET_FROM_OFF ||
	    (a->set_from_header == SET_FROM_AUTO && present))
		return 0;
	if (job->env.from[0] == '\0') {
		job_note(job, "no From header added: the sender is null");
		return 0;
	}
	if (mailbox(value, sizeof(value) - sizeof("From: "), name, job->env.from,
	    1) == -1) {
		err_setx(e, EX_USAGE, "the From header would be too long");
		return -1;
	}
	msg_header_remove(job->msg, "From");
	return msg_header_add(job->msg, "From", value, 0, e);
}

static int
set_date_header(struct job *job, struct postie_err *e)
{
	char value[MSG_DATE_LEN];

	if (!job->acct->set_date_header ||
	    msg_header_find(job->msg, "Date", 0) >= 0)
		return 0;
	if (msg_date(time(NULL), value, sizeof(value)) == -1) {
		err_setx(e, EX_OSERR, "cannot format the date");
		return -1;
	}
	return msg_header_add(job->msg, "Date", value, 0, e);
}

static int
set_msgid_header(struct job *job, struct postie_err *e)
{
	unsigned char rnd[JOB_MSGID_RANDOM];
	char hex[2 * JOB_MSGID_RANDOM + 1], domain[BOUND_DOMAIN + 1];
	char value[BOUND_DOMAIN + sizeof(hex) + 16];
	const char *at;
	size_t i;

	if (!job->acct->set_msgid_header ||
	    msg_header_find(job->msg, "Message-ID", 0) >= 0)
		return 0;
	if ((at = strrchr(job->env.from, '@')) != NULL && at[1] != '\0' &&
	    at[1] != '[')
		strlcpy(domain, at + 1, sizeof(domain));
	else if (job_domain(job, domain, sizeof(domain), e) == -1)
		return -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		err_setx(e, EX_SOFTWARE, "no random bytes for the Message-ID");
		return -1;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(value, sizeof(value), "<%s@%s>", hex, domain);
	return msg_header_add(job->msg, "Message-ID", value, 0, e);
}

/*
 * When no To or Cc (nor Resent-To or Resent-Cc) is left: with
 * set_to_header undisclosed_recipients, "To: undisclosed-recipients:;";
 * with on, a To listing the recipients given as arguments (never those
 * taken from Bcc), or undisclosed-recipients when there are none or they
 * do not fit on one line.
 */
static int
set_to_header(struct job *job, const struct addr_list *args,
    struct postie_err *e)
{
	static const char *const to[] = { "To", "Cc", "Resent-To",
	    "Resent-Cc", NULL };
	static const char undisclosed[] = "undisclosed-recipients:;";
	char value[BOUND_HEADER_LINE + 1], one[BOUND_HEADER_LINE + 1];
	size_t i, max = sizeof(value) - sizeof("To: ");

	if (job->acct->set_to_header == SET_TO_OFF ||
	    has_header(job->msg, to))
		return 0;
	value[0] = '\0';
	if (job->acct->set_to_header == SET_TO_ON) {
		for (i = 0; i < args->n; i++) {
			if (mailbox(one, sizeof(one), args->v[i].display,
			    args->v[i].spec, 0) == -1 ||
			    (i > 0 && strlcat(value, ", ", max) >= max) ||
			    strlcat(value, one, max) >= max) {
				value[0] = '\0';
				break;
			}
		}
	}
	return msg_header_add(job->msg, "To", value[0] != '\0' ? value :
	    undisclosed, 0, e);
}

/*
 * qualify_headers: a bare name in From, Sender, Reply-To, To, Cc (and
 * their Resent- forms) gets maildomain, as the envelope does.  The field
 * is rewritten from its parsed mailboxes only when one needs it, which
 * drops comments and group syntax; a field that does not parse, or would
 * not fit on one line, is left as it is.  Aliases are not applied.
 */
static int
qualify_headers(struct job *job, struct postie_err *e)
{
	static const char *const names[] = { "From", "Sender", "Reply-To",
	    "To", "Cc", "Resent-From", "Resent-Sender", "Resent-To",
	    "Resent-Cc", NULL };
	const struct account *a = job->acct;
	struct postie_err ignored;
	struct addr_list l;
	char value[BOUND_HEADER_LINE + 1], one[BOUND_HEADER_LINE + 1];
	const char *v, *const *n;
	char *q;
	size_t i, j, max;
	int need, fits;

	if (!a->qualify_headers || a->maildomain == NULL ||
	    a->maildomain[0] == '\0')
		return 0;
	for (i = 0; i < msg_nheaders(job->msg); i++) {
		for (n = names; *n != NULL; n++)
			if (strcasecmp(msg_header_name(job->msg, i), *n) == 0)
				break;
		if (*n == NULL)
			continue;
		memset(&l, 0, sizeof(l));
		v = msg_header_value(job->msg, i);
		if (addr_parse_list(v, strlen(v), &l, &ignored) == -1)
			continue;
		need = 0;
		for (j = 0; j < l.n; j++)
			if (!addr_is_qualified(l.v[j].spec))
				need = 1;
		value[0] = '\0';
		max = sizeof(value) - strlen(*n) - 2;
		fits = 1;
		for (j = 0; need && fits && j < l.n; j++) {
			q = NULL;
			if (!addr_is_qualified(l.v[j].spec) &&
			    (q = addr_qualify(l.v[j].spec, a->maildomain)) ==
			    NULL) {
				addr_list_free(&l);
				err_set(e, EX_OSERR, "out of memory");
				return -1;
			}
			if (mailbox(one, sizeof(one), l.v[j].display,
			    q != NULL ? q : l.v[j].spec, 0) == -1 ||
			    (j > 0 && strlcat(value, ", ", max) >= max) ||
			    strlcat(value, one, max) >= max)
				fits = 0;
			free(q);
		}
		addr_list_free(&l);
		if (need && fits &&
		    msg_header_set(job->msg, i, value, e) == -1)
			return -1;
	}
	return 0;
}

static int
edit_headers(struct job *job, const struct opts *o,
    const struct addr_list *args, struct postie_err *e)
{
	if (job->acct->remove_bcc_headers) {
		msg_header_remove(job->msg, "Bcc");
		msg_header_remove(job->msg, "Resent-Bcc");
	}
	if (qualify_headers(job, e) == -1 ||
	    set_to_header(job, args, e) == -1 ||
	    set_from_header(job, o, e) == -1 ||
	    set_date_header(job, e) == -1 ||
	    set_msgid_header(job, e) == -1)
		return -1;
	return 0;
}

/* The account's max_message_size, on the message as it would be sent. */
static int
check_size(const struct job *job, struct postie_err *e)
{
	long long max = job->acct->max_message_size;
	off_t size = msg_size(job->msg);

	if (max > 0 && size > max) {
		err_setx(e, EX_DATAERR, "message of %lld bytes exceeds "
		    "max_message_size %lld of account %s", (long long)size,
		    max, job->acct->name);
		return -1;
	}
	return 0;
}

int
job_prepare(struct job *job, const struct opts *o, struct sysenv *sys,
    int stdin_fd, struct postie_err *e)
{
	struct addr_list args = { NULL, 0, 0 };
	struct postie_err ign;
	struct msg *kept = NULL;
	char *hdr_from = NULL;
	int from_header_picks, rc = -1;

	job_init(job, o, sys);
	/* The message first: a config mistake must cost no mail. */
	if (msg_read_keep(&job->msg, &kept, stdin_fd, isatty(stdin_fd) &&
	    !o->ignore_dots, sysenv_tmpdir(sys), e) == -1) {
		err_prefix(e, "reading the message: ");
		job->msg = kept;
		/* For the caller who keeps it: the account, when known. */
		if (kept != NULL && load_conf(job, o, &ign) == 0)
			(void)pick_account(job, o, o->from, &ign);
		return -1;
	}
	if (load_conf(job, o, e) == -1)
		return -1;
	from_header_picks = o->read_envelope_from && o->account == NULL &&
	    o->from == NULL;
	if (!from_header_picks && pick_account(job, o, o->from, e) == -1)
		return -1;
	/* Without --read-envelope-from, the account is chosen by now. */
	if ((o->read_envelope_from || from_is_header(job->acct)) &&
	    header_from(job->msg, &hdr_from, e) == -1)
		return -1;
	if (from_header_picks && pick_account(job, o, hdr_from, e) == -1)
		goto out;
	if (choose_sender(job, o, hdr_from, e) == -1 ||
	    build_recipients(job, o, &args, e) == -1 ||
	    edit_headers(job, o, &args, e) == -1 ||
	    check_size(job, e) == -1)
		goto out;
	if (envelope_set(&job->env.dsn_notify, o->dsn_notify != NULL ?
	    o->dsn_notify : job->acct->dsn_notify, e) == -1 ||
	    envelope_set(&job->env.dsn_return, o->dsn_return != NULL ?
	    o->dsn_return : job->acct->dsn_return, e) == -1 ||
	    envelope_set(&job->env.dsn_envid, o->dsn_envid, e) == -1 ||
	    envelope_set(&job->env.body_type, o->body_type, e) == -1)
		goto out;
	rc = 0;
out:
	free(hdr_from);
	addr_list_free(&args);
	return rc;
}

static int
print_chunk(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	FILE *fp = arg;

	if (fwrite(buf, 1, len, fp) != len) {
		err_set(e, EX_IOERR, "writing the message");
		return -1;
	}
	return 0;
}

int
job_print(const struct job *job, FILE *fp, struct postie_err *e)
{
	size_t i;

	fprintf(fp, "config file: %s\n", job->config_path);
	conf_print_account(job->acct, fp);
	fprintf(fp, "envelope from: <%s>\n", job->env.from);
	for (i = 0; i < job->env.rcpts.n; i++)
		fprintf(fp, "envelope to: <%s>\n", job->env.rcpts.v[i].spec);
	if (job->env.dsn_notify != NULL)
		fprintf(fp, "dsn notify: %s\n", job->env.dsn_notify);
	if (job->env.dsn_return != NULL)
		fprintf(fp, "dsn return: %s\n", job->env.dsn_return);
	if (job->env.dsn_envid != NULL)
		fprintf(fp, "dsn envid: %s\n", job->env.dsn_envid);
	if (job->env.body_type != NULL)
		fprintf(fp, "body type: %s\n", job->env.body_type);
	fprintf(fp, "%s\n", JOB_PRINT_SEPARATOR);
	if (msg_emit(job->msg, print_chunk, fp, e) == -1)
		return -1;
	if (fflush(fp) == EOF || ferror(fp)) {
		err_set(e, EX_IOERR, "writing to standard output");
		return -1;
	}
	return 0;
}

static void
check_file(FILE *fp, const char *key, const char *path, size_t *n)
{
	if (path == NULL || access(path, R_OK) == 0)
		return;
	fprintf(fp, "problem: %s %s: %s\n", key, path, strerror(errno));
	(*n)++;
}

/* Print the settings of a and the problems found in it. */
static void
check_one(FILE *fp, const struct conf *c, const struct account *a,
    struct sysenv *sys, size_t *n)
{
	struct addr_list none = { NULL, 0, 0 };
	struct postie_err e;
	const char *host;
	char name[64];
	size_t i;

	fputc('\n', fp);
	conf_print_account(a, fp);
	if (conf_check_account(a, &e) == -1) {
		fprintf(fp, "problem: %s\n", e.msg);
		(*n)++;
	}
	for (i = 0; conf_fallback_name(a, i, name, sizeof(name)); i++)
		if (conf_account(c, name) == NULL) {
			fprintf(fp, "problem: fallback %s: no such account\n",
			    name);
			(*n)++;
		}
	if (a->aliases != NULL && aliases_expand(a->aliases, &none, &e) == -1) {
		fprintf(fp, "problem: %s\n", e.msg);
		(*n)++;
	}
	addr_list_free(&none);
	if ((a->maildomain == NULL || a->maildomain[0] == '\0') &&
	    a->aliases == NULL) {
		if ((host = sysenv_fqdn(sys, &e)) == NULL)
			host = "(unknown)";
		fprintf(fp, "warning: neither maildomain nor aliases is set: "
		    "a bare name such as root is sent to root@%s%s\n", host,
		    strchr(host, '.') == NULL ? ", a name without a dot" :
		    "");
	}
	if (a->tls_trust_file != NULL &&
	    strcasecmp(a->tls_trust_file, "system") != 0)
		check_file(fp, "tls_trust_file", a->tls_trust_file, n);
	check_file(fp, "tls_cert_file", a->tls_cert_file, n);
	check_file(fp, "tls_key_file", a->tls_key_file, n);
	check_file(fp, "tls_crl_file", a->tls_crl_file, n);
}

int
job_config_check(const struct opts *o, struct sysenv *sys, FILE *fp,
    size_t *nproblems, struct postie_err *e)
{
	struct job job;
	const struct account *a;
	const char *w;
	char safe[128];
	size_t i, n = 0;
	int rc = -1;

	*nproblems = 0;
	if (job_load_conf(&job, o, sys, e) == -1)
		goto out;
	fprintf(fp, "config file: %s\n", job.config_path);
	for (i = 0; (w = conf_warning(job.conf, i)) != NULL; i++)
		fprintf(fp, "warning: %s\n", w);
	if (o->account != NULL) {
		if ((a = conf_account(job.conf, o->account)) != NULL)
			check_one(fp, job.conf, a, sys, &n);
		else {
			err_sanitize(safe, sizeof(safe), o->account,
			    strlen(o->account));
			fprintf(fp, "problem: no account %s in %s\n", safe,
			    job.config_path);
			n++;
		}
	} else {
		for (i = 0; i < conf_naccounts(job.conf); i++)
			check_one(fp, job.conf, conf_account_at(job.conf, i),
			    sys, &n);
		fputc('\n', fp);
		if (conf_naccounts(job.conf) == 0) {
			fprintf(fp, "problem: no account in %s\n",
			    job.config_path);
			n++;
		} else if (conf_account(job.conf, "default") != NULL)
			fprintf(fp, "without -a: account default, unless "
			    "the sender matches another account's from\n");
		else
			fprintf(fp, "without -a: the account whose from "
			    "matches the sender; there is no account "
			    "default\n");
	}
	fprintf(fp, "%zu problem%s found\n", n, n == 1 ? "" : "s");
	if (fflush(fp) == EOF || ferror(fp)) {
		err_set(e, EX_IOERR, "writing to standard output");
		goto out;
	}
	*nproblems = n;
	rc = 0;
out:
	job_free(&job);
	return rc;
}

void
job_free(struct job *job)
{
	if (job->msg != NULL)
		msg_free(job->msg);
	if (job->conf != NULL)
		conf_free(job->conf);
	free(job->config_path);
	free(job->config_arg);
	envelope_free(&job->env);
	memset(job, 0, sizeof(*job));
}

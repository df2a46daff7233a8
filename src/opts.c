/* SPDX-License-Identifier: ISC */
/*
 * The sendmail command line into a struct opts.  Owns option syntax, the
 * list of sendmail options postie accepts and ignores, and the modes it
 * refuses.  Does not parse addresses (job.c does, with addr.c), read the
 * config or print anything but the usage text it is asked for.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "bounds.h"
#include "err.h"
#include "opts.h"

#define SEE_HELP	" (see postie --help)"

static const char *const usage_lines[] = {
	"usage: postie [option ...] [--] recipient ...",
	"       postie [option ...] -t [--] [recipient ...]",
	"  -t                  add recipients from To, Cc, Bcc (or Resent-)",
	"  -i, -oi             a lone dot never ends input (without: on a tty)",
	"  -f ADDR, -r ADDR    envelope sender (\"<>\" for the null sender)",
	"  --from=ADDR         same as -f",
	"  -F NAME             full name for a generated From header",
	"  --read-envelope-from  take the envelope sender from the From header",
	"  -C FILE, --file=FILE  read FILE instead of the default config",
	"  -a NAME, --account=NAME  use account NAME",
	"  -N never|LIST       DSN notify: never, or success,failure,delay",
	"  -R full|hdrs        DSN return: whole message or headers only",
	"  -V ENVID            DSN envelope identifier",
	"  -B 7BIT|8BITMIME    body type",
	"  -v, -d, --debug     verbose: print the SMTP session (repeatable)",
	"  -P, --pretend, --dry-run  print what would be sent; send nothing",
	"  -S, --serverinfo    print what the server offers",
	"  --check-auth        connect and authenticate; send nothing",
	"  --login [ACCOUNT]   sign the account in with its OAuth 2.0 provider",
	"                      and store its refresh token",
	"  --config-check      print each account's settings and the problems",
	"                      found in the config; send nothing",
	"  --help              print this help",
	"  --version           print the version",
	"  ignored: -oX (but -oi), -eX, -bm, -L TAG, -U, -h N, -n, -m, -s, -G,",
	"           -X FILE, -A c|m, -O OPT, -p PROTO, -D FILE, -M MACRO, -c",
	"  -bp                 list the queue and failed messages (as mailq)",
	"  -q, -qIID           deliver the queued messages now (those whose",
	"                      id contains ID)",
	"  --json              with mailq or -bp: one JSON object a message",
	"  --requeue=ID        move a failed message back into the queue",
	"  --hold=ID           keep a queued message from being sent",
	"  --release=ID        let a held message be sent again, due now",
	"  --delete=ID         remove a queued or failed message",
	"  --delete=failed     remove every failed message",
	"  --health            check the queue, as a monitoring plugin: exit",
	"                      0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
	"  --warn-age=AGE      with --health: warn when a message has been",
	"                      queued longer than AGE (30m, 1h, 2d; 1h)",
	"  --crit-age=AGE      the same for CRITICAL (1d)",
	"  -bs                 speak SMTP on standard input and output",
	"  not supported: -bv, -bt, -bd, -qTIME",
	"  newaliases, -bi, -I: nothing to do (the aliases file is read as is)",
	NULL
};

void
opts_usage(FILE *fp)
{
	size_t i;

	for (i = 0; usage_lines[i] != NULL; i++)
		fprintf(fp, "%s\n", usage_lines[i]);
}

static int
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Refuse CR or LF in the value of option name. */
static int
check_line(const char *name, const char *val, struct postie_err *e)
{
	if (has_crlf(val)) {
		err_setx(e, EX_USAGE, "option %s: value contains CR or LF",
		    name);
		return -1;
	}
	return 0;
}

static int
parse_notify(struct opts *o, const char *val, struct postie_err *e)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	char buf[OPTS_DSN_NOTIFY_MAX], *p, *tok, *last;
	int seen[3] = { 0, 0, 0 };
	size_t i;

	if (strcasecmp(val, "never") == 0) {
		strlcpy(o->dsn_notify_buf, "NEVER", sizeof(o->dsn_notify_buf));
		o->dsn_notify = o->dsn_notify_buf;
		return 0;
	}
	if (strlcpy(buf, val, sizeof(buf)) >= sizeof(buf))
		goto bad;
	o->dsn_notify_buf[0] = '\0';
	for (p = buf; (tok = strtok_r(p, ",", &last)) != NULL; p = NULL) {
		for (i = 0; i < 3; i++)
			if (strcasecmp(tok, words[i]) == 0)
				break;
		if (i == 3 || seen[i])
			goto bad;
		seen[i] = 1;
		if (o->dsn_notify_buf[0] != '\0')
			strlcat(o->dsn_notify_buf, ",",
			    sizeof(o->dsn_notify_buf));
		strlcat(o->dsn_notify_buf, words[i], sizeof(o->dsn_notify_buf));
	}
	if (o->dsn_notify_buf[0] == '\0')
		goto bad;
	o->dsn_notify = o->dsn_notify_buf;
	return 0;
bad:
	{
		char safe[64];

		err_sanitize(safe, sizeof(safe), val, strlen(val));
		err_setx(e, EX_USAGE, "option -N: bad value '%s': use never "
		    "or a list of success, failure, delay", safe);
	}
	return -1;
}

static int
parse_envid(struct opts *o, const char *val, struct postie_err *e)
{
	const unsigned char *p;

	if (*val == '\0' || strlen(val) > BOUND_DSN_ENVID) {
		err_setx(e, EX_USAGE, "option -V: the envelope id must hold "
		    "1 to %d characters", BOUND_DSN_ENVID);
		return -1;
	}
	for (p = (const unsigned char *)val; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e) {
			err_setx(e, EX_USAGE, "option -V: the envelope id "
			    "must be printable ASCII without spaces");
			return -1;
		}
	o->dsn_envid = val;
	return 0;
}

static int
set_value(struct opts *o, int c, const char *val, struct postie_err *e)
{
	char name[3] = { '-', (char)c, '\0' };

	switch (c) {
	case 'f':
	case 'r':
		if (check_line(name, val, e) == -1)
			return -1;
		o->from = val;
		return 0;
	case 'F':
		if (check_line(name, val, e) == -1)
			return -1;
		o->full_name = val;
		return 0;
	case 'C':
		o->config = val;
		return 0;
	case 'a':
		if (check_line(name, val, e) == -1)
			return -1;
		if (*val == '\0') {
			err_setx(e, EX_USAGE, "option -a: empty account name");
			return -1;
		}
		o->account = val;
		return 0;
	case 'N':
		return parse_notify(o, val, e);
	case 'R':
		if (strcasecmp(val, "full") == 0)
			o->dsn_return = "FULL";
		else if (strcasecmp(val, "hdrs") == 0)
			o->dsn_return = "HDRS";
		else {
			err_setx(e, EX_USAGE,
			    "option -R: the value must be full or hdrs");
			return -1;
		}
		return 0;
	case 'V':
		return parse_envid(o, val, e);
	case 'B':
		if (strcasecmp(val, "7bit") == 0)
			o->body_type = "7BIT";
		else if (strcasecmp(val, "8bitmime") == 0)
			o->body_type = "8BITMIME";
		else {
			err_setx(e, EX_USAGE,
			    "option -B: the value must be 7BIT or 8BITMIME");
			return -1;
		}
		return 0;
	case 'o':
		/* -oi is the one -o option that matters; see -i. */
		if (strcmp(val, "i") == 0)
			o->ignore_dots = 1;
		return 0;
	default:
		/* -e, -L, -h, -X, -A, -O, -p, -D, -M, -Q: ignored. */
		return 0;
	}
}

static int
set_mode(struct opts *o, enum opts_mode m)
{
	/* --help and --version win over anything else on the line. */
	if (o->mode != OPTS_HELP && o->mode != OPTS_VERSION)
		o->mode = m;
	return 0;
}

static int
unknown(const char *opt, size_t len, struct postie_err *e)
{
	char safe[64];

	err_sanitize(safe, sizeof(safe), opt, len);
	err_setx(e, EX_USAGE, "unknown option %s" SEE_HELP, safe);
	return -1;
}

static int
not_supported(const char *opt, struct postie_err *e)
{
	err_setx(e, EX_USAGE, "option %s is not supported yet" SEE_HELP, opt);
	return -1;
}

/* -bX: the sendmail operation modes. */
static int
set_b(struct opts *o, const char *val, struct postie_err *e)
{
	char opt[64];

	if (strcmp(val, "m") == 0)
		return 0;
	if (strcmp(val, "i") == 0)
		return set_mode(o, OPTS_NEWALIASES);
	if (strcmp(val, "d") == 0 || strcmp(val, "D") == 0) {
		err_setx(e, EX_USAGE, "option -b%s is not supported: postie "
		    "never runs as a daemon", val);
		return -1;
	}
	if (strcmp(val, "p") == 0)
		return set_mode(o, OPTS_QUEUE_LIST);
	if (strcmp(val, "s") == 0)
		return set_mode(o, OPTS_SERVE_SMTP);
	if (strcmp(val, "v") == 0 || strcmp(val, "t") == 0) {
		snprintf(opt, sizeof(opt), "-b%s", val);
		return not_supported(opt, e);
	}
	snprintf(opt, sizeof(opt), "-b%s", val);
	return unknown(opt, strlen(opt), e);
}

/*
 * -q[f][IID]: flush the queue once.  sendmail's -qTIME (run as a daemon)
 * and -qR/-qS filters are refused.
 */
static int
set_q(struct opts *o, const char *val, int argc, char **argv, int *ip,
    struct postie_err *e)
{
	char safe[64];

	if (*val == 'f')
		val++;
	if (*val == 'I' && val[1] != '\0') {
		o->queue_id = val + 1;
		return set_mode(o, OPTS_QUEUE_FLUSH);
	}
	/* -qI ID, the id in the next argument. */
	if (*val == 'I') {
		if (*ip + 1 >= argc) {
			err_setx(e, EX_USAGE, "option -qI needs a queue id"
			    SEE_HELP);
			return -1;
		}
		o->queue_id = argv[++*ip];
		return set_mode(o, OPTS_QUEUE_FLUSH);
	}
	if (*val == '\0')
		return set_mode(o, OPTS_QUEUE_FLUSH);
	err_sanitize(safe, sizeof(safe), val, strlen(val));
	if (*val >= '0' && *val <= '9')
		err_setx(e, EX_USAGE, "option -q%s is not supported: postie "
		    "never runs as a daemon; run 'postie -q' from cron or a "
		    "systemd timer", safe);
	else
		err_setx(e, EX_USAGE, "option -q%s is not supported yet"
		    SEE_HELP, safe);
	return -1;
}

/*
 * One argument holding single-letter options.  *ip is advanced past a
 * separate value.
 */
static int
parse_short(struct opts *o, int argc, char **argv, int *ip,
    struct postie_err *e)
{
	const char *p = argv[*ip] + 1, *val;
	char opt[3];
	int c;

	for (; *p != '\0'; p++) {
		c = (unsigned char)*p;
		switch (c) {
		case 't':
			o->read_rcpts = 1;
			continue;
		case 'i':
			o->ignore_dots = 1;
			continue;
		case 'v':
			o->verbose++;
			continue;
		case 'd':
			/* sendmail's -dLEVELS: the levels are ignored. */
			o->verbose++;
			return 0;
		case 'P':
			o->pretend = 1;
			continue;
		case 'S':
			set_mode(o, OPTS_SERVERINFO);
			continue;
		case 'I':
			set_mode(o, OPTS_NEWALIASES);
			continue;
		case 'n': case 'U': case 'm': case 's': case 'G': case 'c':
			continue;
		case 'q':
			return set_q(o, p + 1, argc, argv, ip, e);
		case 'f': case 'r': case 'F': case 'C': case 'a':
		case 'N': case 'R': case 'V': case 'B':
		case 'o': case 'e': case 'b':
		case 'L': case 'h': case 'X': case 'A': case 'O': case 'p':
		case 'D': case 'M': case 'Q':
			break;
		default:
			opt[0] = '-';
			opt[1] = (char)c;
			opt[2] = '\0';
			return unknown(opt, 2, e);
		}
		/* An option with a value: the rest of the word, or the next. */
		if (p[1] != '\0')
			val = p + 1;
		else if (*ip + 1 < argc)
			val = argv[++*ip];
		else {
			err_setx(e, EX_USAGE, "option -%c needs a value"
			    SEE_HELP, c);
			return -1;
		}
		if (c == 'b')
			return set_b(o, val, e);
		return set_value(o, c, val, e);
	}
	return 0;
}

/*
 * A duration: a positive NUMBER of seconds, or of minutes, hours or days
 * with m, h or d after it (as queue_lifetime in the config).
 */
static int
parse_age(const char *name, const char *val, long *secsp,
    struct postie_err *e)
{
	unsigned long long v = 0, mult = 1;
	const char *p = val;
	char safe[64];

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (unsigned long long)LONG_MAX / 10)
			goto bad;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (p == val)
		goto bad;
	switch (*p) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 60 * 60;
		break;
	case 'd':
		mult = 24 * 60 * 60;
		break;
	default:
		goto bad;
	}
	if ((*p != '\0' && p[1] != '\0') || v == 0 ||
	    v > (unsigned long long)LONG_MAX / mult)
		goto bad;
	*secsp = (long)(v * mult);
	return 0;
bad:
	err_sanitize(safe, sizeof(safe), val, strlen(val));
	err_setx(e, EX_USAGE, "option %s: bad value '%s': use a positive "
	    "number of seconds, or of minutes, hours or days followed by m, "
	    "h or d", name, safe);
	return -1;
}

struct longopt {
	const char *name;
	int	 has_value;
	int	 code;		/* the short option it stands for, or < 0 */
};

enum {
	L_HELP = -1, L_VERSION = -2, L_READ_ENV_FROM = -3, L_CHECK_AUTH = -4,
	L_REQUEUE = -5, L_CONFIG_CHECK = -6, L_JSON = -7, L_HEALTH = -8,
	L_WARN_AGE = -9, L_CRIT_AGE = -10, L_DELETE = -11, L_HOLD = -12,
	L_RELEASE = -13, L_LOGIN = -14
};

static const struct longopt longopts[] = {
	{ "help",		0, L_HELP },
	{ "version",		0, L_VERSION },
	{ "pretend",		0, 'P' },
	{ "dry-run",		0, 'P' },
	{ "debug",		0, 'v' },
	{ "serverinfo",		0, 'S' },
	{ "check-auth",		0, L_CHECK_AUTH },
	{ "login",		0, L_LOGIN },
	{ "config-check",	0, L_CONFIG_CHECK },
	{ "read-envelope-from",	0, L_READ_ENV_FROM },
	{ "read-recipients",	0, 't' },
	{ "account",		1, 'a' },
	{ "file",		1, 'C' },
	{ "from",		1, 'f' },
	{ "requeue",		1, L_REQUEUE },
	{ "json",		0, L_JSON },
	{ "health",		0, L_HEALTH },
	{ "warn-age",		1, L_WARN_AGE },
	{ "crit-age",		1, L_CRIT_AGE },
	{ "delete",		1, L_DELETE },
	{ "hold",		1, L_HOLD },
	{ "release",		1, L_RELEASE },
	{ NULL,			0, 0 }
};

static int
parse_long(struct opts *o, int argc, char **argv, int *ip,
    struct postie_err *e)
{
	const char *arg = argv[*ip] + 2, *eq, *val = NULL;
	const struct longopt *l;
	char name[64];
	size_t len;

	eq = strchr(arg, '=');
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	for (l = longopts; l->name != NULL; l++)
		if (strlen(l->name) == len && strncmp(l->name, arg, len) == 0)
			break;
	if (l->name == NULL)
		return unknown(argv[*ip], len + 2, e);
	snprintf(name, sizeof(name), "--%s", l->name);
	if (!l->has_value && eq != NULL) {
		err_setx(e, EX_USAGE, "option %s takes no value", name);
		return -1;
	}
	if (l->has_value) {
		if (eq != NULL)
			val = eq + 1;
		else if (*ip + 1 < argc)
			val = argv[++*ip];
		else {
			err_setx(e, EX_USAGE, "option %s needs a value"
			    SEE_HELP, name);
			return -1;
		}
		switch (l->code) {
		case L_REQUEUE:
		case L_DELETE:
		case L_HOLD:
		case L_RELEASE:
			o->queue_id = val;
			return set_mode(o, l->code == L_REQUEUE ?
			    OPTS_QUEUE_REQUEUE : l->code == L_DELETE ?
			    OPTS_QUEUE_DELETE : l->code == L_HOLD ?
			    OPTS_QUEUE_HOLD : OPTS_QUEUE_RELEASE);
		case L_WARN_AGE:
			return parse_age(name, val, &o->warn_age, e);
		case L_CRIT_AGE:
			return parse_age(name, val, &o->crit_age, e);
		}
		return set_value(o, l->code, val, e);
	}
	switch (l->code) {
	case L_HELP:
		o->mode = OPTS_HELP;
		return 0;
	case L_VERSION:
		if (o->mode != OPTS_HELP)
			o->mode = OPTS_VERSION;
		return 0;
	case L_READ_ENV_FROM:
		o->read_envelope_from = 1;
		return 0;
	case L_CHECK_AUTH:
		return set_mode(o, OPTS_CHECK_AUTH);
	case L_LOGIN:
		return set_mode(o, OPTS_LOGIN);
	case L_CONFIG_CHECK:
		return set_mode(o, OPTS_CONFIG_CHECK);
	case L_JSON:
		o->json = 1;
		return 0;
	case L_HEALTH:
		return set_mode(o, OPTS_QUEUE_HEALTH);
	case 'P':
		o->pretend = 1;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'S':
		return set_mode(o, OPTS_SERVERINFO);
	case 't':
		o->read_rcpts = 1;
		return 0;
	}
	return 0;
}

static int
add_rcpt(struct opts *o, char *arg, struct postie_err *e)
{
	if (has_crlf(arg)) {
		err_setx(e, EX_USAGE, "recipient argument %d contains CR or LF",
		    o->nrcpts + 1);
		return -1;
	}
	o->rcpts[o->nrcpts++] = arg;
	return 0;
}

int
opts_parse(struct opts *o, int argc, char **argv, struct postie_err *e)
{
	const char *slash;
	int i, dashdash = 0;

	memset(o, 0, sizeof(*o));
	o->argv = argv;
	o->argc = argc;
	o->progname = "postie";
	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		slash = strrchr(argv[0], '/');
		o->progname = slash != NULL ? slash + 1 : argv[0];
	}
	if (strcmp(o->progname, "mailq") == 0)
		o->mode = OPTS_QUEUE_LIST;
	if (strcmp(o->progname, "newaliases") == 0)
		o->mode = OPTS_NEWALIASES;

	o->rcpts = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*o->rcpts));
	if (o->rcpts == NULL) {
		err_set(e, EX_OSERR, "allocating the recipient list");
		return -1;
	}
	for (i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (dashdash || arg[0] != '-') {
			if (add_rcpt(o, arg, e) == -1)
				goto fail;
		} else if (strcmp(arg, "--") == 0) {
			dashdash = 1;
		} else if (arg[1] == '-') {
			if (parse_long(o, argc, argv, &i, e) == -1)
				goto fail;
		} else if (arg[1] == '\0') {
			unknown(arg, 1, e);
			goto fail;
		} else if (parse_short(o, argc, argv, &i, e) == -1)
			goto fail;
	}
	if (o->json && o->mode != OPTS_QUEUE_LIST && o->mode != OPTS_HELP &&
	    o->mode != OPTS_VERSION) {
		err_setx(e, EX_USAGE, "option --json goes with mailq or -bp"
		    SEE_HELP);
		goto fail;
	}
	if ((o->warn_age != 0 || o->crit_age != 0) &&
	    o->mode != OPTS_QUEUE_HEALTH && o->mode != OPTS_HELP &&
	    o->mode != OPTS_VERSION) {
		err_setx(e, EX_USAGE, "options --warn-age and --crit-age go "
		    "with --health" SEE_HELP);
		goto fail;
	}
	/* -bs: the client gives the recipients, and a message is sent. */
	if (o->mode == OPTS_SERVE_SMTP && (o->nrcpts > 0 || o->pretend)) {
		err_setx(e, EX_USAGE, "option -bs takes %s" SEE_HELP,
		    o->pretend ? "no -P: it sends what the client gives" :
		    "no recipient arguments: the client gives them in RCPT "
		    "TO");
		goto fail;
	}
	/* --login [ACCOUNT]: the argument names the account. */
	if (o->mode == OPTS_LOGIN && o->nrcpts > 0) {
		if (o->nrcpts > 1 || o->account != NULL) {
			err_setx(e, EX_USAGE, "option --login takes one "
			    "account, as its argument or with -a" SEE_HELP);
			goto fail;
		}
		o->account = o->rcpts[0];
		o->nrcpts = 0;
	}
	if (o->mode == OPTS_SEND && !o->read_rcpts && o->nrcpts == 0) {
		err_setx(e, EX_USAGE, "no recipients: give them as arguments "
		    "or use -t" SEE_HELP);
		goto fail;
	}
	return 0;
fail:
	opts_free(o);
	return -1;
}

void
opts_free(struct opts *o)
{
	free(o->rcpts);
	o->rcpts = NULL;
	o->nrcpts = 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/conf.c: every key, every error with its line, the
 * defaults section and inheritance, quoting and comments, msmtp's old keys,
 * % patterns, account choice by envelope sender, the permission checks of
 * conf_load, the default path, the pre-use checks and the printed
 * settings.  Running passwordeval is tested with secret.c.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "bounds.h"
#include "conf.h"
#include "sysenv.h"

_Static_assert(sizeof(enum conf_auth) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_set_from) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_set_to) == sizeof(int), "enum size");

/*
 * The surroundings the config is read in: each test starts with HOME
 * /home/tester and the process's euid; senv_use gives others.
 */
static struct sysenv *senv;

static void
senv_use_uid(const char *const *vars, uid_t euid)
{
	struct postie_err e = { 0, "" };

	sysenv_free(senv);
	senv = NULL;
	ck_assert_msg(sysenv_load_from(&senv, vars, euid, &e) == 0, "%s",
	    e.msg);
}

static void
senv_use(const char *const *vars)
{
	senv_use_uid(vars, geteuid());
}

static void
senv_setup(void)
{
	static const char *const vars[] = { "HOME=/home/tester", NULL };

	senv_use(vars);
}

static void
senv_teardown(void)
{
	sysenv_free(senv);
	senv = NULL;
}

static struct conf *
parse_len(const char *text, size_t len, struct postie_err *e)
{
	struct conf *c = NULL;
	FILE *fp;
	int rc;

	fp = fmemopen((void *)(uintptr_t)text, len, "r");
	ck_assert_ptr_nonnull(fp);
	rc = conf_parse(&c, fp, "t", senv, e);
	fclose(fp);
	if (rc == -1)
		ck_assert_ptr_null(c);
	return c;
}

static struct conf *
parse_ok(const char *text)
{
	struct postie_err e = { 0, "" };
	struct conf *c;

	c = parse_len(text, strlen(text), &e);
	ck_assert_msg(c != NULL, "parse failed: %s", e.msg);
	return c;
}

static const struct account *
account_of(const struct conf *c, const char *name)
{
	const struct account *a = conf_account(c, name);

	ck_assert_msg(a != NULL, "no account %s", name);
	return a;
}

/* Every key: the line below "account a" and "host h", and its effect. */
enum ck { CK_INT, CK_STR, CK_NULL, CK_LONG, CK_LLONG };

struct keycase {
	const char *line;
	enum ck	 ck;
	size_t	 off;
	long long ival;
	const char *sval;
};

#define OFF(m)	offsetof(struct account, m)

static const struct keycase keycases[] = {
	{ "host smtp.example.org", CK_STR, OFF(host), 0, "smtp.example.org" },
	{ "port 25", CK_INT, OFF(port), 25, NULL },
	{ "port 65535", CK_INT, OFF(port), 65535, NULL },
	{ "port", CK_INT, OFF(port), 587, NULL },
	{ "source_ip 192.0.2.1", CK_STR, OFF(source_ip), 0, "192.0.2.1" },
	{ "source_ip 2001:db8::1", CK_STR, OFF(source_ip), 0, "2001:db8::1" },
	{ "source_ip", CK_NULL, OFF(source_ip), 0, NULL },
	{ "domain client.example.org", CK_STR, OFF(domain), 0,
	    "client.example.org" },
	{ "domain", CK_NULL, OFF(domain), 0, NULL },
	{ "timeout 30", CK_INT, OFF(timeout), 30, NULL },
	{ "timeout 3600", CK_INT, OFF(timeout), 3600, NULL },
	{ "timeout off", CK_INT, OFF(timeout), BOUND_TIMEOUT_MAX, NULL },
	{ "connect_timeout 5", CK_INT, OFF(timeout), 5, NULL },
	{ "tls off", CK_INT, OFF(tls), 0, NULL },
	{ "tls on", CK_INT, OFF(tls), 1, NULL },
	{ "tls", CK_INT, OFF(tls), 1, NULL },
	{ "tls \"\"", CK_INT, OFF(tls), 1, NULL },
	{ "tls OFF", CK_INT, OFF(tls), 0, NULL },
	{ "tls_starttls off", CK_INT, OFF(tls_starttls), 0, NULL },
	{ "tls_starttls", CK_INT, OFF(tls_starttls), 1, NULL },
	{ "tls_nostarttls", CK_INT, OFF(tls_starttls), 0, NULL },
	{ "tls_certcheck off", CK_INT, OFF(tls_certcheck), 0, NULL },
	{ "tls_nocertcheck", CK_INT, OFF(tls_certcheck), 0, NULL },
	{ "tls_trust_file /etc/ssl/certs/ca-certificates.crt", CK_STR,
	    OFF(tls_trust_file), 0, "/etc/ssl/certs/ca-certificates.crt" },
	{ "tls_trust_file system", CK_NULL, OFF(tls_trust_file), 0, NULL },
	{ "tls_trust_file", CK_NULL, OFF(tls_trust_file), 0, NULL },
	{ "tls_trust_file ~/ca.pem", CK_STR, OFF(tls_trust_file), 0,
	    "/home/tester/ca.pem" },
	{ "tls_cert_file /c.pem", CK_STR, OFF(tls_cert_file), 0, "/c.pem" },
	{ "tls_key_file ~/k.pem", CK_STR, OFF(tls_key_file), 0,
	    "/home/tester/k.pem" },
	{ "tls_crl_file ~/crl.pem", CK_STR, OFF(tls_crl_file), 0,
	    "/home/tester/crl.pem" },
	{ "tls_crl_file", CK_NULL, OFF(tls_crl_file), 0, NULL },
	{ "tls_host_override mx.example.org", CK_STR, OFF(tls_host_override),
	    0, "mx.example.org" },
	{ "inet_protocols ipv4", CK_INT, OFF(inet_protocols), AF_INET, NULL },
	{ "inet_protocols IPv6", CK_INT, OFF(inet_protocols), AF_INET6, NULL },
	{ "inet_protocols all", CK_INT, OFF(inet_protocols), AF_UNSPEC, NULL },
	{ "socket ~/smtp.sock", CK_STR, OFF(socket), 0,
	    "/home/tester/smtp.sock" },
	{ "socket", CK_NULL, OFF(socket), 0, NULL },
	{ "proxy_host 127.0.0.1", CK_STR, OFF(proxy_host), 0, "127.0.0.1" },
	{ "proxy_host", CK_NULL, OFF(proxy_host), 0, NULL },
	{ "proxy_port 9050", CK_INT, OFF(proxy_port), 9050, NULL },
	{ "proxy_port", CK_INT, OFF(proxy_port), 0, NULL },
	{ "tls_min_version TLSv1.3", CK_INT, OFF(tls_min_version),
	    TLS1_3_VERSION, NULL },
	{ "tls_min_version tlsv1.2", CK_INT, OFF(tls_min_version),
	    TLS1_2_VERSION, NULL },
	{ "tls_min_version", CK_INT, OFF(tls_min_version), TLS1_2_VERSION,
	    NULL },
	{ "tls_session_cache off", CK_INT, OFF(tls_session_cache), 0, NULL },
	{ "tls_session_cache on", CK_INT, OFF(tls_session_cache), 1, NULL },
	{ "chunking off", CK_INT, OFF(chunking), 0, NULL },
	{ "chunking on", CK_INT, OFF(chunking), 1, NULL },
	{ "auth", CK_INT, OFF(auth), AUTH_ON, NULL },
	{ "auth on", CK_INT, OFF(auth), AUTH_ON, NULL },
	{ "auth off", CK_INT, OFF(auth), AUTH_OFF, NULL },
	{ "auth plain", CK_INT, OFF(auth), AUTH_PLAIN, NULL },
	{ "auth login", CK_INT, OFF(auth), AUTH_LOGIN, NULL },
	{ "auth cram-md5", CK_INT, OFF(auth), AUTH_CRAM_MD5, NULL },
	{ "auth scram-sha-1", CK_INT, OFF(auth), AUTH_SCRAM_SHA_1, NULL },
	{ "auth SCRAM-SHA-256", CK_INT, OFF(auth), AUTH_SCRAM_SHA_256, NULL },
	{ "auth xoauth2", CK_INT, OFF(auth), AUTH_XOAUTH2, NULL },
	{ "auth oauthbearer", CK_INT, OFF(auth), AUTH_OAUTHBEARER, NULL },
	{ "auth external", CK_INT, OFF(auth), AUTH_EXTERNAL, NULL },
	{ "allow_cleartext_auth", CK_INT, OFF(allow_cleartext_auth), 1, NULL },
	{ "allow_cleartext_auth off", CK_INT, OFF(allow_cleartext_auth), 0,
	    NULL },
	{ "user joe", CK_STR, OFF(user), 0, "joe" },
	{ "user", CK_NULL, OFF(user), 0, NULL },
	{ "password s3cret", CK_STR, OFF(password), 0, "s3cret" },
	{ "password", CK_NULL, OFF(password), 0, NULL },
	{ "passwordeval pass show mail/joe", CK_STR, OFF(passwordeval), 0,
	    "pass show mail/joe" },
	{ "from joe@example.org", CK_STR, OFF(from), 0, "joe@example.org" },
	{ "from *@example.org", CK_STR, OFF(from), 0, "*@example.org" },
	{ "from", CK_NULL, OFF(from), 0, NULL },
	{ "from_full_name \"Joe Smith\"", CK_STR, OFF(from_full_name), 0,
	    "Joe Smith" },
	{ "from_full_name Joe Smith", CK_STR, OFF(from_full_name), 0,
	    "Joe Smith" },
	{ "maildomain example.org", CK_STR, OFF(maildomain), 0,
	    "example.org" },
	{ "aliases /etc/aliases", CK_STR, OFF(aliases), 0, "/etc/aliases" },
	{ "qualify_headers off", CK_INT, OFF(qualify_headers), 0, NULL },
	{ "qualify_headers", CK_INT, OFF(qualify_headers), 1, NULL },
	{ "logfile ~/.msmtp.log", CK_STR, OFF(logfile), 0,
	    "/home/tester/.msmtp.log" },
	{ "logfile -", CK_STR, OFF(logfile), 0, "-" },
	{ "logfile", CK_NULL, OFF(logfile), 0, NULL },
	{ "logfile_time_format \"%Y-%m-%d %H:%M\"", CK_STR,
	    OFF(logfile_time_format), 0, "%Y-%m-%d %H:%M" },
	{ "syslog", CK_INT, OFF(syslog_facility), LOG_MAIL, NULL },
	{ "syslog on", CK_INT, OFF(syslog_facility), LOG_MAIL, NULL },
	{ "syslog off", CK_INT, OFF(syslog_facility), -1, NULL },
	{ "syslog LOG_USER", CK_INT, OFF(syslog_facility), LOG_USER, NULL },
	{ "syslog LOG_MAIL", CK_INT, OFF(syslog_facility), LOG_MAIL, NULL },
	{ "syslog LOG_LOCAL0", CK_INT, OFF(syslog_facility), LOG_LOCAL0, NULL },
	{ "syslog LOG_LOCAL7", CK_INT, OFF(syslog_facility), LOG_LOCAL7, NULL },
	{ "set_from_header on", CK_INT, OFF(set_from_header), SET_FROM_ON,
	    NULL },
	{ "set_from_header off", CK_INT, OFF(set_from_header), SET_FROM_OFF,
	    NULL },
	{ "set_from_header auto", CK_INT, OFF(set_from_header), SET_FROM_AUTO,
	    NULL },
	{ "set_date_header off", CK_INT, OFF(set_date_header), 0, NULL },
	{ "set_date_header auto", CK_INT, OFF(set_date_header), 1, NULL },
	{ "set_msgid_header off", CK_INT, OFF(set_msgid_header), 0, NULL },
	{ "set_msgid_header auto", CK_INT, OFF(set_msgid_header), 1, NULL },
	{ "set_to_header on", CK_INT, OFF(set_to_header), SET_TO_ON, NULL },
	{ "set_to_header off", CK_INT, OFF(set_to_header), SET_TO_OFF, NULL },
	{ "set_to_header undisclosed_recipients", CK_INT, OFF(set_to_header),
	    SET_TO_UNDISCLOSED, NULL },
	{ "remove_bcc_headers off", CK_INT, OFF(remove_bcc_headers), 0, NULL },
	{ "allow_from_override off", CK_INT, OFF(allow_from_override), 0,
	    NULL },
	{ "dsn_notify success,delay", CK_STR, OFF(dsn_notify), 0,
	    "SUCCESS,DELAY" },
	{ "dsn_notify Failure", CK_STR, OFF(dsn_notify), 0, "FAILURE" },
	{ "dsn_notify delay,failure,success", CK_STR, OFF(dsn_notify), 0,
	    "DELAY,FAILURE,SUCCESS" },
	{ "dsn_notify never", CK_STR, OFF(dsn_notify), 0, "NEVER" },
	{ "dsn_notify off", CK_NULL, OFF(dsn_notify), 0, NULL },
	{ "dsn_return headers", CK_STR, OFF(dsn_return), 0, "HDRS" },
	{ "dsn_return full", CK_STR, OFF(dsn_return), 0, "FULL" },
	{ "dsn_return off", CK_NULL, OFF(dsn_return), 0, NULL },
	{ "queue off", CK_INT, OFF(queue), 0, NULL },
	{ "queue", CK_INT, OFF(queue), 1, NULL },
	{ "queue_flush off", CK_INT, OFF(queue_flush), 0, NULL },
	{ "queue_flush on", CK_INT, OFF(queue_flush), 1, NULL },
	{ "queue_lifetime 90", CK_LONG, OFF(queue_lifetime), 90, NULL },
	{ "queue_lifetime 90s", CK_LONG, OFF(queue_lifetime), 90, NULL },
	{ "queue_lifetime 10m", CK_LONG, OFF(queue_lifetime), 600, NULL },
	{ "queue_lifetime 2h", CK_LONG, OFF(queue_lifetime), 7200, NULL },
	{ "queue_lifetime 3d", CK_LONG, OFF(queue_lifetime), 259200, NULL },
	{ "max_message_size 1000", CK_LLONG, OFF(max_message_size), 1000,
	    NULL },
	{ "max_message_size 512k", CK_LLONG, OFF(max_message_size), 524288,
	    NULL },
	{ "max_message_size 10M", CK_LLONG, OFF(max_message_size), 10485760,
	    NULL },
	{ "max_message_size 2G", CK_LLONG, OFF(max_message_size),
	    2147483648LL, NULL },
	{ "max_message_size 0", CK_LLONG, OFF(max_message_size), 0, NULL },
	{ "bounce off", CK_INT, OFF(bounce), 0, NULL },
	{ "bounce on", CK_INT, OFF(bounce), 1, NULL },
	{ "bounce_to postmaster", CK_STR, OFF(bounce_to), 0, "postmaster" },
	{ "delay_warning 4h", CK_LONG, OFF(delay_warning), 14400, NULL },
	{ "delay_warning off", CK_LONG, OFF(delay_warning), 0, NULL },
	{ "fallback b", CK_STR, OFF(fallback), 0, "b" },
	{ "fallback  b\tc  d ", CK_STR, OFF(fallback), 0, "b c d" },
	/* msmtp's old keys */
	{ "add_missing_from_header off", CK_INT, OFF(set_from_header),
	    SET_FROM_OFF, NULL },
	{ "add_missing_from_header on", CK_INT, OFF(set_from_header),
	    SET_FROM_AUTO, NULL },
	{ "add_missing_date_header off", CK_INT, OFF(set_date_header), 0,
	    NULL },
	{ "undisclosed_recipients", CK_INT, OFF(set_to_header),
	    SET_TO_UNDISCLOSED, NULL },
	{ "undisclosed_recipients off", CK_INT, OFF(set_to_header),
	    SET_TO_OFF, NULL },
	{ "keepbcc", CK_INT, OFF(remove_bcc_headers), 0, NULL },
	{ "keepbcc off", CK_INT, OFF(remove_bcc_headers), 1, NULL },
	{ "protocol smtp", CK_INT, OFF(port), 587, NULL },
};

START_TEST(test_key)
{
	const struct keycase *k = &keycases[_i];
	const struct account *a;
	struct conf *c;
	char text[512];
	const char *base;

	snprintf(text, sizeof(text), "account a\nhost h\n%s\n", k->line);
	c = parse_ok(text);
	ck_assert_uint_eq(conf_naccounts(c), 1);
	ck_assert_ptr_null(conf_warning(c, 0));
	a = account_of(c, "a");
	base = (const char *)a + k->off;
	switch (k->ck) {
	case CK_INT:
		ck_assert_int_eq(*(const int *)(const void *)base, k->ival);
		break;
	case CK_LONG:
		ck_assert_int_eq(*(const long *)(const void *)base, k->ival);
		break;
	case CK_LLONG:
		ck_assert_int_eq(*(const long long *)(const void *)base,
		    k->ival);
		break;
	case CK_STR:
		ck_assert_ptr_nonnull(*(char *const *)(const void *)base);
		ck_assert_str_eq(*(char *const *)(const void *)base, k->sval);
		break;
	case CK_NULL:
		ck_assert_ptr_null(*(char *const *)(const void *)base);
		break;
	}
	conf_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf *c = parse_ok("account a\nhost h\n");
	const struct account *a = account_of(c, "a");

	ck_assert_str_eq(a->name, "a");
	ck_assert_str_eq(a->file, "t");
	ck_assert_int_eq(a->line, 1);
	ck_assert_int_eq(a->tls, 1);
	ck_assert_int_eq(a->tls_starttls, 1);
	ck_assert_int_eq(a->tls_certcheck, 1);
	ck_assert_ptr_null(a->tls_trust_file);
	ck_assert_int_eq(a->tls_has_fingerprint, 0);
	ck_assert_int_eq(a->tls_session_cache, 1);
	ck_assert_int_eq(a->chunking, 1);
	ck_assert_int_eq(a->tls_min_version, TLS1_2_VERSION);
	ck_assert_int_eq(a->port, 587);
	ck_assert_int_eq(a->timeout, 60);
	ck_assert_int_eq(a->auth, AUTH_OFF);
	ck_assert_int_eq(a->allow_cleartext_auth, 0);
	ck_assert_ptr_null(a->user);
	ck_assert_ptr_null(a->password);
	ck_assert_ptr_null(a->passwordeval);
	ck_assert_ptr_null(a->from);
	ck_assert_ptr_null(a->domain);
	ck_assert_ptr_null(a->source_ip);
	ck_assert_int_eq(a->qualify_headers, 0);
	ck_assert_ptr_null(a->logfile);
	ck_assert_int_eq(a->syslog_facility, LOG_MAIL);
	ck_assert_int_eq(a->set_from_header, SET_FROM_AUTO);
	ck_assert_int_eq(a->set_date_header, 1);
	ck_assert_int_eq(a->set_msgid_header, 1);
	ck_assert_int_eq(a->set_to_header, SET_TO_OFF);
	ck_assert_int_eq(a->remove_bcc_headers, 1);
	ck_assert_int_eq(a->allow_from_override, 1);
	ck_assert_ptr_null(a->dsn_notify);
	ck_assert_ptr_null(a->dsn_return);
	ck_assert_int_eq(a->queue, 1);
	ck_assert_int_eq(a->queue_lifetime, 5 * 24 * 3600);
	ck_assert_int_eq(a->max_message_size, 0);
	ck_assert_int_eq(a->bounce, 1);
	ck_assert_ptr_null(a->bounce_to);
	ck_assert_int_eq(a->delay_warning, 0);
	ck_assert_ptr_null(a->fallback);
	conf_free(c);
}
END_TEST

START_TEST(test_fallback_names)
{
	struct conf *c = parse_ok("account a\nhost h\nfallback b  c\n");
	const struct account *a = account_of(c, "a");
	char name[64];

	ck_assert_int_eq(conf_fallback_name(a, 0, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "b");
	ck_assert_int_eq(conf_fallback_name(a, 1, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "c");
	ck_assert_int_eq(conf_fallback_name(a, 2, name, sizeof(name)), 0);
	ck_assert_int_eq(conf_fallback_name(a, 0, name, 1), 0);
	conf_free(c);
}
END_TEST

START_TEST(test_derived_defaults)
{
	struct conf *c = parse_ok(
	    "account implicit\nhost h\ntls_starttls off\n"
	    "account plain\nhost h\ntls off\n"
	    "account plain_nostarttls\nhost h\ntls off\ntls_starttls off\n"
	    "account withuser\nhost h\nuser joe\n"
	    "account userauthoff\nhost h\nauth off\nuser joe\n"
	    "account md\nhost h\nmaildomain example.org\n"
	    "account al\nhost h\naliases /etc/aliases\n"
	    "account mdoff\nhost h\nmaildomain example.org\n"
	    "qualify_headers off\n"
	    "account portset\nhost h\ntls_starttls off\nport 2465\n");

	ck_assert_int_eq(account_of(c, "implicit")->port, 465);
	ck_assert_int_eq(account_of(c, "plain")->port, 587);
	ck_assert_int_eq(account_of(c, "plain_nostarttls")->port, 587);
	ck_assert_int_eq(account_of(c, "withuser")->auth, AUTH_ON);
	ck_assert_int_eq(account_of(c, "userauthoff")->auth, AUTH_OFF);
	ck_assert_int_eq(account_of(c, "md")->qualify_headers, 1);
	ck_assert_int_eq(account_of(c, "al")->qualify_headers, 1);
	ck_assert_int_eq(account_of(c, "mdoff")->qualify_headers, 0);
	ck_assert_int_eq(account_of(c, "portset")->port, 2465);
	conf_free(c);
}
END_TEST

START_TEST(test_defaults_section)
{
	struct conf *c = parse_ok(
	    "account early\nhost h\n"
	    "defaults\nport 2525\ntls_trust_file /ca.pem\nuser d\n"
	    "account late\nhost h\n"
	    "account own\nhost h\nport 26\nuser o\n"
	    "defaults\ntimeout 9\n"
	    "account later\nhost h\n");

	ck_assert_int_eq(account_of(c, "early")->port, 587);
	ck_assert_ptr_null(account_of(c, "early")->user);
	ck_assert_int_eq(account_of(c, "late")->port, 2525);
	ck_assert_str_eq(account_of(c, "late")->tls_trust_file, "/ca.pem");
	ck_assert_str_eq(account_of(c, "late")->user, "d");
	ck_assert_int_eq(account_of(c, "late")->auth, AUTH_ON);
	ck_assert_int_eq(account_of(c, "late")->timeout, 60);
	ck_assert_int_eq(account_of(c, "own")->port, 26);
	ck_assert_str_eq(account_of(c, "own")->user, "o");
	/* A second defaults line goes on adding to the same defaults. */
	ck_assert_int_eq(account_of(c, "later")->port, 2525);
	ck_assert_int_eq(account_of(c, "later")->timeout, 9);
	ck_assert_uint_eq(conf_naccounts(c), 4);
	ck_assert_str_eq(conf_account_at(c, 0)->name, "early");
	ck_assert_str_eq(conf_account_at(c, 3)->name, "later");
	ck_assert_ptr_null(conf_account_at(c, 4));
	ck_assert_ptr_null(conf_account(c, "nosuch"));
	conf_free(c);
}
END_TEST

START_TEST(test_inheritance)
{
	struct conf *c = parse_ok(
	    "defaults\ntls_trust_file /ca.pem\n"
	    "account base\nhost smtp.example.org\nuser joe\npassword pw\n"
	    "from joe@example.org\nport 2525\n"
	    "account second\nhost other.example.org\ntimeout 10\n"
	    "tls_starttls off\n"
	    "defaults\ntimeout 20\n"
	    "account child : base\nfrom joey@example.org\n"
	    "account multi : base, second\n"
	    "account order : second,base\n"
	    "account unset : base\nuser\n");
	const struct account *a;

	a = account_of(c, "child");
	ck_assert_str_eq(a->host, "smtp.example.org");
	ck_assert_str_eq(a->user, "joe");
	ck_assert_str_eq(a->password, "pw");
	ck_assert_str_eq(a->from, "joey@example.org");
	ck_assert_int_eq(a->port, 2525);
	ck_assert_str_eq(a->tls_trust_file, "/ca.pem");
	/* The current defaults, then what the parent set. */
	ck_assert_int_eq(a->timeout, 20);
	ck_assert_int_eq(a->line, 15);
	ck_assert_str_eq(account_of(c, "base")->from, "joe@example.org");

	a = account_of(c, "multi");
	ck_assert_str_eq(a->host, "other.example.org");
	ck_assert_str_eq(a->user, "joe");
	ck_assert_int_eq(a->timeout, 10);
	ck_assert_int_eq(a->tls_starttls, 0);
	ck_assert_int_eq(a->port, 2525);

	a = account_of(c, "order");
	ck_assert_str_eq(a->host, "smtp.example.org");
	ck_assert_int_eq(a->timeout, 10);
	ck_assert_int_eq(a->tls_starttls, 0);

	a = account_of(c, "unset");
	ck_assert_ptr_null(a->user);
	ck_assert_int_eq(a->auth, AUTH_OFF);
	ck_assert_str_eq(a->password, "pw");
	conf_free(c);
}
END_TEST

/* What a parent inherited is passed on, with what it set itself. */
START_TEST(test_inheritance_chain)
{
	struct conf *c = parse_ok(
	    "account a\nhost a.example\nuser joe\nauth off\nport 2525\n"
	    "account b : a\nfrom b@example.org\n"
	    "defaults\nhost d.example\nport 26\n"
	    "account c : b\n");
	const struct account *a = account_of(c, "c");

	ck_assert_str_eq(a->host, "a.example");
	ck_assert_str_eq(a->user, "joe");
	ck_assert_int_eq(a->auth, AUTH_OFF);
	ck_assert_int_eq(a->port, 2525);
	ck_assert_str_eq(a->from, "b@example.org");
	conf_free(c);
}
END_TEST

START_TEST(test_default_alias)
{
	struct conf *c = parse_ok(
	    "account gmail\nhost smtp.gmail.com\nuser u\n"
	    "from u@gmail.com\n"
	    "account default : gmail\n");
	const struct account *a = account_of(c, "default");

	ck_assert_str_eq(a->name, "default");
	ck_assert_str_eq(a->host, "smtp.gmail.com");
	ck_assert_str_eq(a->user, "u");
	ck_assert_int_eq(a->auth, AUTH_ON);
	ck_assert_uint_eq(conf_naccounts(c), 2);
	/* The envelope sender finds the account itself, not the alias. */
	ck_assert_str_eq(conf_account_for_from(c, "u@gmail.com")->name,
	    "gmail");
	conf_free(c);
}
END_TEST

START_TEST(test_quoting)
{
	struct conf *c = parse_ok(
	    "account a\n"
	    "host h\n"
	    "password \"a b \\\"c\\\" \\\\ d\"\n"
	    "user \"back\\slash\\n\"\n"
	    "from_full_name \"\"\n"
	    "passwordeval    echo  two  spaces   \n"
	    "logfile_time_format a\"b\n"
	    "from \"  padded  \"   \n"
	    "maildomain #not-a-comment\n");
	const struct account *a = account_of(c, "a");

	ck_assert_str_eq(a->password, "a b \"c\" \\ d");
	ck_assert_str_eq(a->user, "back\\slash\\n");
	ck_assert_ptr_null(a->from_full_name);
	ck_assert_str_eq(a->passwordeval, "echo  two  spaces");
	ck_assert_str_eq(a->logfile_time_format, "a\"b");
	ck_assert_str_eq(a->from, "  padded  ");
	ck_assert_str_eq(a->maildomain, "#not-a-comment");
	conf_free(c);
}
END_TEST

START_TEST(test_comments_blank_crlf)
{
	struct conf *c = parse_ok(
	    "# a comment\r\n"
	    "\r\n"
	    "   \t\r\n"
	    "   # indented comment\r\n"
	    "defaults\r\n"
	    "\ttls off\r\n"
	    "account a\r\n"
	    "  host h.example  \r\n"
	    "#host ignored\n"
	    "tls\n");
	const struct account *a = account_of(c, "a");

	ck_assert_str_eq(a->host, "h.example");
	ck_assert_int_eq(a->tls, 1);
	conf_free(c);
}
END_TEST

START_TEST(test_empty_booleans)
{
	struct conf *c = parse_ok(
	    "defaults\ntls off\ntls_starttls off\ntls_certcheck off\n"
	    "queue off\nremove_bcc_headers off\n"
	    "account a\nhost h\ntls\ntls_starttls\ntls_certcheck\nqueue\n"
	    "remove_bcc_headers\n");
	const struct account *a = account_of(c, "a");

	ck_assert_int_eq(a->tls, 1);
	ck_assert_int_eq(a->tls_starttls, 1);
	ck_assert_int_eq(a->tls_certcheck, 1);
	ck_assert_int_eq(a->queue, 1);
	ck_assert_int_eq(a->remove_bcc_headers, 1);
	conf_free(c);
}
END_TEST

START_TEST(test_fingerprint)
{
	static const unsigned char want[32] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xff,
	};
	struct conf *c = parse_ok(
	    "account colons\nhost h\ntls_fingerprint "
	    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:"
	    "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ff\n"
	    "account plain\nhost h\ntls_fingerprint "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdff\n"
	    "account unset : plain\ntls_fingerprint\n");

	ck_assert_int_eq(account_of(c, "colons")->tls_has_fingerprint, 1);
	ck_assert_mem_eq(account_of(c, "colons")->tls_fingerprint, want, 32);
	ck_assert_int_eq(account_of(c, "plain")->tls_has_fingerprint, 1);
	ck_assert_mem_eq(account_of(c, "plain")->tls_fingerprint, want, 32);
	ck_assert_int_eq(account_of(c, "unset")->tls_has_fingerprint, 0);
	conf_free(c);
}
END_TEST

/* Errors: the text, the exact message, and a secret it must not show. */
struct errcase {
	const char *text;
	const char *msg;
	const char *secret;
};

#define FP20 "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67"

/* The advice that follows an unsupported msmtp key. */
#define UNSUP	": it changes how mail is delivered or secured; remove it " \
	"only if the account works without it"

static const struct errcase errcases[] = {
	{ "host h\n",
	    "t:1: setting 'host' outside an account; put it after 'defaults' "
	    "or 'account NAME'", NULL },
	{ "# comment\n\nhost h\naccount a\n",
	    "t:3: setting 'host' outside an account; put it after 'defaults' "
	    "or 'account NAME'", NULL },
	{ "account a\nhost h\nfoo bar\n", "t:3: unknown key 'foo'", NULL },
	{ "account a\n\x1b[2Jx y\n", "t:2: unknown key '\\x1b[2Jx'", NULL },
	{ "account a\nHost h\n", "t:2: unknown key 'Host'", NULL },
	{ "defaults x\n", "t:1: 'defaults' takes no value", NULL },
	{ "account\n", "t:1: 'account' needs a name", NULL },
	{ "account  : a\n", "t:1: 'account' needs a name", NULL },
	{ "account a\nhost h\naccount a\n",
	    "t:3: account 'a' is already defined at line 1", NULL },
	{ "account b : a\n",
	    "t:1: account 'b' inherits from unknown account 'a'", NULL },
	{ "account a\naccount c : a, b\n",
	    "t:2: account 'c' inherits from unknown account 'b'", NULL },
	{ "account a\naccount default : gmail\n",
	    "t:2: account 'default' inherits from unknown account 'gmail'",
	    NULL },
	{ "account a\naccount b : a,\n",
	    "t:2: account 'b': missing account name in the list after ':'",
	    NULL },
	{ "account a\naccount b :\n",
	    "t:2: account 'b': missing account name in the list after ':'",
	    NULL },
	{ "account a\nhost\n", "t:2: key 'host' needs a value", NULL },
	{ "account a\nhost \"\"\n", "t:2: key 'host' needs a value", NULL },
	{ "account a\nport 0\n",
	    "t:2: bad value '0' for 'port': expected a port number 1-65535",
	    NULL },
	{ "account a\nport 65536\n",
	    "t:2: bad value '65536' for 'port': expected a port number "
	    "1-65535", NULL },
	{ "account a\nport 25x\n",
	    "t:2: bad value '25x' for 'port': expected a port number 1-65535",
	    NULL },
	{ "account a\nport -1\n",
	    "t:2: bad value '-1' for 'port': expected a port number 1-65535",
	    NULL },
	{ "account a\nsource_ip example.org\n",
	    "t:2: bad value 'example.org' for 'source_ip': expected an IPv4 or "
	    "IPv6 address", NULL },
	{ "account a\ntimeout\n", "t:2: key 'timeout' needs a value", NULL },
	{ "account a\ntimeout 0\n",
	    "t:2: bad value '0' for 'timeout': expected 1-3600 seconds or off",
	    NULL },
	{ "account a\ntimeout 3601\n",
	    "t:2: bad value '3601' for 'timeout': expected 1-3600 seconds or "
	    "off", NULL },
	{ "account a\ntls maybe\n",
	    "t:2: bad value 'maybe' for 'tls': expected on or off", NULL },
	{ "account a\ntls_certcheck no\n",
	    "t:2: bad value 'no' for 'tls_certcheck': expected on or off",
	    NULL },
	{ "account a\ntls_nostarttls on\n",
	    "t:2: key 'tls_nostarttls' takes no value", NULL },
	{ "account a\ntls_fingerprint 01:02\n",
	    "t:2: 'tls_fingerprint' has 2 bytes; postie needs the SHA-256 "
	    "fingerprint (32 bytes; openssl x509 -noout -fingerprint -sha256)",
	    NULL },
	{ "account a\ntls_fingerprint " FP20 "\n",
	    "t:2: 'tls_fingerprint' has 20 bytes (SHA-1); postie needs the "
	    "SHA-256 fingerprint (32 bytes; openssl x509 -noout -fingerprint "
	    "-sha256)", NULL },
	{ "account a\ntls_fingerprint 0123456789abcdef0123456789abcdef\n",
	    "t:2: 'tls_fingerprint' has 16 bytes (MD5); postie needs the "
	    "SHA-256 fingerprint (32 bytes; openssl x509 -noout -fingerprint "
	    "-sha256)", NULL },
	{ "account a\ntls_fingerprint 01:2g\n",
	    "t:2: bad value '01:2g' for 'tls_fingerprint': expected 32 hex "
	    "bytes (SHA-256), optionally separated by colons", NULL },
	{ "account a\ntls_fingerprint 01:\n",
	    "t:2: bad value '01:' for 'tls_fingerprint': expected 32 hex bytes "
	    "(SHA-256), optionally separated by colons", NULL },
	{ "account a\ntls_fingerprint 0102:03\n",
	    "t:2: bad value '0102:03' for 'tls_fingerprint': expected 32 hex "
	    "bytes (SHA-256), optionally separated by colons", NULL },
	{ "account a\ntls_min_version TLSv1.1\n",
	    "t:2: bad value 'TLSv1.1' for 'tls_min_version': postie needs "
	    "TLSv1.2 or later", NULL },
	{ "account a\ntls_min_version 1.3\n",
	    "t:2: bad value '1.3' for 'tls_min_version': expected TLSv1.2 or "
	    "TLSv1.3", NULL },
	{ "account a\nauth ntlm\n",
	    "t:2: bad value 'ntlm' for 'auth': expected on, off, plain, login, "
	    "cram-md5, scram-sha-1, scram-sha-256, xoauth2, oauthbearer or "
	    "external", NULL },
	{ "account a\nsyslog LOG_DAEMON\n",
	    "t:2: bad value 'LOG_DAEMON' for 'syslog': expected on, off, "
	    "LOG_MAIL, LOG_USER or LOG_LOCAL0 to LOG_LOCAL7", NULL },
	{ "account a\nset_from_header sometimes\n",
	    "t:2: bad value 'sometimes' for 'set_from_header': expected auto, "
	    "on or off", NULL },
	{ "account a\nset_date_header x\n",
	    "t:2: bad value 'x' for 'set_date_header': expected auto or off",
	    NULL },
	{ "account a\nset_msgid_header x\n",
	    "t:2: bad value 'x' for 'set_msgid_header': expected auto or off",
	    NULL },
	{ "account a\nset_to_header x\n",
	    "t:2: bad value 'x' for 'set_to_header': expected on, off or "
	    "undisclosed_recipients", NULL },
	{ "account a\ndsn_notify\n", "t:2: key 'dsn_notify' needs a value",
	    NULL },
	{ "account a\ndsn_notify success,success\n",
	    "t:2: bad value 'success,success' for 'dsn_notify': expected off, "
	    "never, or a list of success, failure and delay separated by "
	    "commas", NULL },
	{ "account a\ndsn_notify never,success\n",
	    "t:2: bad value 'never,success' for 'dsn_notify': expected off, "
	    "never, or a list of success, failure and delay separated by "
	    "commas", NULL },
	{ "account a\ndsn_notify success, delay\n",
	    "t:2: bad value 'success, delay' for 'dsn_notify': expected off, "
	    "never, or a list of success, failure and delay separated by "
	    "commas", NULL },
	{ "account a\ndsn_return\n", "t:2: key 'dsn_return' needs a value",
	    NULL },
	{ "account a\ndsn_return all\n",
	    "t:2: bad value 'all' for 'dsn_return': expected off, headers or "
	    "full", NULL },
	{ "account a\nqueue_lifetime\n",
	    "t:2: key 'queue_lifetime' needs a value", NULL },
	{ "account a\nqueue_lifetime 0\n",
	    "t:2: bad value '0' for 'queue_lifetime': expected a positive "
	    "number of seconds, optionally followed by s, m, h or d", NULL },
	{ "account a\nqueue_lifetime 5w\n",
	    "t:2: bad value '5w' for 'queue_lifetime': expected a positive "
	    "number of seconds, optionally followed by s, m, h or d", NULL },
	{ "account a\nqueue_lifetime 99999999999999999999d\n",
	    "t:2: bad value '99999999999999999999d' for 'queue_lifetime': "
	    "expected a positive number of seconds, optionally followed by s, "
	    "m, h or d", NULL },
	{ "account a\nmax_message_size\n",
	    "t:2: key 'max_message_size' needs a value", NULL },
	{ "account a\nmax_message_size 10T\n",
	    "t:2: bad value '10T' for 'max_message_size': expected a number of "
	    "bytes, optionally followed by k, M or G (0: no limit)", NULL },
	{ "account a\nmax_message_size 10MB\n",
	    "t:2: bad value '10MB' for 'max_message_size': expected a number "
	    "of bytes, optionally followed by k, M or G (0: no limit)", NULL },
	{ "account a\npassword \"hunter2\n",
	    "t:2: missing closing quote in the value of 'password'",
	    "hunter2" },
	{ "account a\npassword \"hunter2\" x\n",
	    "t:2: text after the closing quote in the value of 'password'",
	    "hunter2" },
	{ "account a\nfrom %X@example.org\n",
	    "t:2: 'from': unknown pattern '%X' (known: %U, %H, %C, %M, %F as the "
    "whole value and %%)",
	    NULL },
	{ "account a\nfrom %F@example.org\n",
	    "t:2: 'from': unknown pattern '%F' (known: %U, %H, %C, %M, %F as "
	    "the whole value and %%)", NULL },
	{ "account a\nfrom joe@100%\n",
	    "t:2: 'from': '%' at the end of the value; write %% for a literal "
	    "%", NULL },
	{ "account a\ndomain %U.example.org\n",
	    "t:2: 'domain': unknown pattern '%U' (known: %H, %C, %M and %%)",
	    NULL },
	{ "account a\nlogfile ~bob/log\n",
	    "t:2: 'logfile': ~user is not supported in file names; write the "
	    "full path", NULL },
	{ "account a\nprotocol lmtp\n",
	    "t:2: 'protocol lmtp' is not supported by postie (only smtp)",
	    NULL },
	{ "account a\nproxy_port 65536\n",
	    "t:2: bad value '65536' for 'proxy_port': expected a port number "
	    "1-65535", NULL },
	{ "account a\ninet_protocols inet6\n",
	    "t:2: bad value 'inet6' for 'inet_protocols': expected ipv4, ipv6 "
	    "or all", NULL },
	{ "account a\ntls_priorities NORMAL:-VERS-TLS1.0\n",
	    "t:2: key 'tls_priorities' is not supported by postie" UNSUP,
	    NULL },
	{ "account a\ntls_min_dh_prime_bits 512\n",
	    "t:2: key 'tls_min_dh_prime_bits' is not supported by postie" UNSUP,
	    NULL },
	{ "account a\ntls_force_sslv3 on\n",
	    "t:2: key 'tls_force_sslv3' is not supported by postie" UNSUP,
	    NULL },
	{ "account a\ntls_force_sslv3\n",
	    "t:2: key 'tls_force_sslv3' is not supported by postie" UNSUP,
	    NULL },
	{ "account a\neval echo host x\n",
	    "t:2: 'eval' runs a command: postie reads it only from a file it "
	    "opens itself (conf_load)", NULL },
	{ "account a\nadd_missing_from_header auto\n",
	    "t:2: bad value 'auto' for 'add_missing_from_header': expected on "
	    "or off", NULL },
	{ "account a\nkeepbcc x\n",
	    "t:2: bad value 'x' for 'keepbcc': expected on or off", NULL },
	{ "account a\nundisclosed_recipients x\n",
	    "t:2: bad value 'x' for 'undisclosed_recipients': expected on or "
	    "off", NULL },
	{ "account a\nauto_from x\n",
	    "t:2: bad value 'x' for 'auto_from': expected on or off", NULL },
	{ "account a\ndelay_warning 0\n",
	    "t:2: bad value '0' for 'delay_warning': expected off, or a "
	    "positive number of seconds, optionally followed by s, m, h or d",
	    NULL },
	{ "account a\nbounce x\n",
	    "t:2: bad value 'x' for 'bounce': expected on or off", NULL },
	{ "account a\nfallback a\n",
	    "t:2: 'fallback a': at most 8 accounts, other than this one",
	    NULL },
	{ "account a\nfallback b c d e f g h i j\n",
	    "t:2: 'fallback b c d e f g h i j': at most 8 accounts, other "
	    "than this one", NULL },
	{ "account a\nfallback b:c\n",
	    "t:2: bad value 'b:c' for 'fallback': expected account names "
	    "separated by spaces", NULL },
};

START_TEST(test_error)
{
	const struct errcase *ec = &errcases[_i];
	struct postie_err e = { 0, "" };
	struct conf *c;

	c = parse_len(ec->text, strlen(ec->text), &e);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, ec->msg);
	if (ec->secret != NULL)
		ck_assert_ptr_null(strstr(e.msg, ec->secret));
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "account a\nhost a\0b\n";
	struct postie_err e = { 0, "" };

	ck_assert_ptr_null(parse_len(text, sizeof(text) - 1, &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "t:2: NUL byte in line");
}
END_TEST

START_TEST(test_long_lines)
{
	size_t tok = BOUND_CONF_LINE - strlen("password ");
	size_t len = strlen("account a\nhost h\npassword ") + tok + 1;
	char *text = malloc(len + 2), *p;
	struct postie_err e = { 0, "" };
	struct conf *c;

	ck_assert_ptr_nonnull(text);
	p = text + snprintf(text, len + 2, "account a\nhost h\npassword ");
	memset(p, 'x', tok);
	p[tok] = '\n';
	p[tok + 1] = '\0';
	/* A line of exactly BOUND_CONF_LINE bytes is fine (OAuth tokens). */
	c = parse_ok(text);
	ck_assert_uint_eq(strlen(account_of(c, "a")->password), tok);
	conf_free(c);
	/* One more byte is not. */
	p[tok] = 'x';
	p[tok + 1] = '\n';
	p[tok + 2] = '\0';
	ck_assert_ptr_null(parse_len(text, strlen(text), &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "t:3: line longer than 65536 bytes");
	free(text);
}
END_TEST

START_TEST(test_warnings)
{
	struct conf *c = parse_ok(
	    "account a\nhost h\nntlmdomain CORP\ntls_min_dh_prime_bits \"\"\n"
	    "tls_force_sslv3 off\ntls_priorities\n");

	ck_assert_str_eq(conf_warning(c, 0),
	    "t:3: ignoring key 'ntlmdomain': postie has no use for it");
	ck_assert_str_eq(conf_warning(c, 1),
	    "t:4: ignoring key 'tls_min_dh_prime_bits' with an empty value: "
	    "postie does not support it");
	ck_assert_str_eq(conf_warning(c, 2),
	    "t:5: ignoring key 'tls_force_sslv3 off': postie never uses SSLv3");
	ck_assert_str_eq(conf_warning(c, 3),
	    "t:6: ignoring key 'tls_priorities' with an empty value: postie "
	    "does not support it");
	ck_assert_ptr_null(conf_warning(c, 4));
	conf_free(c);
}
END_TEST

/*
 * What %C turns into, computed the way the manual describes it: the host
 * name when it holds a dot, else its canonical name when that holds one,
 * else the host name.
 */
static char *
canon_name(void)
{
	struct addrinfo hints, *res;
	char host[256], *c;

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	if (strchr(host, '.') != NULL)
		return strdup(host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return strdup(host);
	c = strdup(res->ai_canonname != NULL &&
	    strchr(res->ai_canonname, '.') != NULL ? res->ai_canonname : host);
	freeaddrinfo(res);
	return c;
}

/* A uid the password database does not know. */
static uid_t
unknown_uid(void)
{
	uid_t u;

	for (u = 2000000000; getpwuid(u) != NULL; u++)
		;
	return u;
}

START_TEST(test_from_patterns)
{
	static const char *const vars[] = { "USER=tester", "LOGNAME=logger",
	    NULL };
	struct postie_err e = { 0, "" };
	struct passwd *pw;
	struct conf *c;
	char host[256], want[600], line[300], login[256], *canon;
	FILE *mf;
	uid_t nobody;

	/* %U is the login name: the password database's, before USER. */
	senv_use(vars);
	ck_assert_ptr_nonnull(pw = getpwuid(geteuid()));
	strlcpy(login, pw->pw_name, sizeof(login));
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	canon = canon_name();
	c = parse_ok(
	    "account u\nhost h\nfrom %U@example.org\n"
	    "account h\nhost h\nfrom %U@%H\n"
	    "account c\nhost h\nfrom x@%C\n"
	    "account m\nhost h\nfrom %U@%M\n"
	    "account pct\nhost h\nfrom 100%%@example.org\n"
	    "account dom\nhost h\ndomain %H\n"
	    "account auto\nhost h\nauto_from on\nmaildomain example.net\n"
	    "from ignored@example.org\n"
	    "account autoc\nhost h\nauto_from\n"
	    "account autooff\nhost h\nauto_from off\nfrom f@example.org\n"
	    "account hdr\nhost h\nfrom %F\n");
	snprintf(want, sizeof(want), "%s@example.org", login);
	ck_assert_str_eq(account_of(c, "u")->from, want);
	snprintf(want, sizeof(want), "%s@%s", login, host);
	ck_assert_str_eq(account_of(c, "h")->from, want);
	snprintf(want, sizeof(want), "x@%s", canon);
	ck_assert_str_eq(account_of(c, "c")->from, want);
	/* %M: /etc/mailname, else the canonical name. */
	line[0] = '\0';
	if ((mf = fopen("/etc/mailname", "r")) != NULL) {
		if (fgets(line, sizeof(line), mf) == NULL)
			line[0] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		fclose(mf);
	}
	snprintf(want, sizeof(want), "%s@%s", login, line[0] != '\0' ? line :
	    canon);
	ck_assert_str_eq(account_of(c, "m")->from, want);
	ck_assert_str_eq(account_of(c, "pct")->from, "100%@example.org");
	ck_assert_str_eq(account_of(c, "dom")->domain, host);
	snprintf(want, sizeof(want), "%s@example.net", login);
	ck_assert_str_eq(account_of(c, "auto")->from, want);
	snprintf(want, sizeof(want), "%s@%s", login, canon);
	ck_assert_str_eq(account_of(c, "autoc")->from, want);
	/* %F stays for the message's From header (job.c). */
	ck_assert_str_eq(account_of(c, "hdr")->from, "%F");
	ck_assert_str_eq(account_of(c, "autooff")->from, "f@example.org");
	conf_free(c);

	/* A uid the database does not know: LOGNAME, then USER. */
	nobody = unknown_uid();
	senv_use_uid(vars, nobody);
	c = parse_ok("account u\nhost h\nfrom %U@example.org\n");
	ck_assert_str_eq(account_of(c, "u")->from, "logger@example.org");
	conf_free(c);
	/* None at all: an error that says so. */
	senv_use_uid(NULL, nobody);
	ck_assert_ptr_null(parse_len("account u\nhost h\nfrom %U@example.org\n",
	    strlen("account u\nhost h\nfrom %U@example.org\n"), &e));
	ck_assert_int_eq(e.ex, EX_OSERR);
	snprintf(want, sizeof(want), "t:1: account u: from: cannot find the "
	    "value of %%U: no user name for uid %lu", (unsigned long)nobody);
	ck_assert_str_eq(e.msg, want);
	free(canon);
}
END_TEST

/* A leading ~ is the home of the surroundings; without one, an error. */
START_TEST(test_tilde_home)
{
	static const char *const vars[] = { "HOME=/srv/mail", NULL };
	static const char *const text = "account a\nhost h\nlogfile ~/log\n";
	struct postie_err e = { 0, "" };
	struct conf *c;

	senv_use(vars);
	c = parse_ok(text);
	ck_assert_str_eq(account_of(c, "a")->logfile, "/srv/mail/log");
	conf_free(c);
	senv_use_uid(NULL, unknown_uid());
	ck_assert_ptr_null(parse_len(text, strlen(text), &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "t:3: 'logfile': cannot expand ~: no home "
	    "directory");
}
END_TEST

static const char *const from_conf =
    "account joe\nhost h\nfrom joe@example.org\n"
    "account wild\nhost h\nfrom *@example.com\n"
    "account anna\nhost h\nfrom Anna@Example.NET\n"
    "account nofrom\nhost h\n"
    "account boss\nhost h\nfrom boss@example.com\n"
    "account lists\nhost h\nfrom list+*@example.org\n"
    "account qm\nhost h\nfrom ?@example.edu\n"
    "account default : joe\n";

static const struct {
	const char *addr;
	const char *account;	/* NULL: none */
} from_cases[] = {
	{ "joe@example.org", "joe" },
	{ "JOE@EXAMPLE.ORG", "joe" },
	{ "joe+news@example.org", "joe" },
	{ "joe+a+b@example.org", "joe" },
	{ "x@example.com", "wild" },
	{ "x+y@example.com", "wild" },
	{ "boss@example.com", "wild" },
	{ "anna@example.net", "anna" },
	{ "anna+x@EXAMPLE.net", "anna" },
	{ "list+rust@example.org", "lists" },
	{ "a@example.edu", "qm" },
	{ "ab@example.edu", NULL },
	{ "a+tag@example.edu", "qm" },
	{ "nobody@example.net", NULL },
	{ "joe@example.org.evil", NULL },
	{ "+joe@example.org", NULL },
	{ "joe", NULL },
};

START_TEST(test_account_for_from)
{
	struct conf *c = parse_ok(from_conf);
	const struct account *a;

	a = conf_account_for_from(c, from_cases[_i].addr);
	if (from_cases[_i].account == NULL)
		ck_assert_msg(a == NULL, "%s matched %s", from_cases[_i].addr,
		    a->name);
	else {
		ck_assert_msg(a != NULL, "%s matched nothing",
		    from_cases[_i].addr);
		ck_assert_str_eq(a->name, from_cases[_i].account);
	}
	conf_free(c);
}
END_TEST

/* A real ~/.msmtprc parses unchanged. */
START_TEST(test_real_msmtprc)
{
	struct conf *c;
	const struct account *a, *d;
	static const char *const vars[] = { "HOME=/home/joe", NULL };

	senv_use(vars);
	c = parse_ok(
	    "# Set default values for all following accounts.\n"
	    "defaults\n"
	    "auth           on\n"
	    "tls            on\n"
	    "tls_trust_file /etc/ssl/certs/ca-certificates.crt\n"
	    "logfile        ~/.msmtp.log\n"
	    "\n"
	    "# Gmail\n"
	    "account        gmail\n"
	    "host           smtp.gmail.com\n"
	    "port           587\n"
	    "from           username@gmail.com\n"
	    "user           username\n"
	    "password       plain-text-password\n"
	    "\n"
	    "# Set a default account\n"
	    "account default : gmail\n");
	ck_assert_ptr_null(conf_warning(c, 0));
	ck_assert_uint_eq(conf_naccounts(c), 2);
	a = account_of(c, "gmail");
	d = account_of(c, "default");
	ck_assert_str_eq(a->host, "smtp.gmail.com");
	ck_assert_int_eq(a->port, 587);
	ck_assert_int_eq(a->tls, 1);
	ck_assert_int_eq(a->tls_starttls, 1);
	ck_assert_int_eq(a->auth, AUTH_ON);
	ck_assert_str_eq(a->tls_trust_file,
	    "/etc/ssl/certs/ca-certificates.crt");
	ck_assert_str_eq(a->logfile, "/home/joe/.msmtp.log");
	ck_assert_str_eq(a->from, "username@gmail.com");
	ck_assert_str_eq(a->user, "username");
	ck_assert_str_eq(a->password, "plain-text-password");
	ck_assert_str_eq(d->host, a->host);
	ck_assert_int_eq(d->port, a->port);
	ck_assert_str_eq(d->user, a->user);
	ck_assert_str_eq(d->password, a->password);
	ck_assert_str_eq(d->logfile, a->logfile);
	ck_assert_int_eq(d->line, 17);
	ck_assert_int_eq(conf_check_account(d, NULL), 0);
	conf_free(c);
}
END_TEST

/* A scratch directory, removed at the end of the test. */
static char tmpdir[64];

static void
make_tmpdir(void)
{
	strlcpy(tmpdir, "/tmp/check_conf.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
remove_tmpdir(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_load_permissions)
{
	char path[128], link[128], msg[512];
	struct postie_err e = { 0, "" };
	struct conf *c;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/config", tmpdir);
	write_file(path, "account a\nhost h\npassword hunter2\n", 0644);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(msg, sizeof(msg), "%s: holds a password but is readable by "
	    "others; run: chmod 600 %s", path, path);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_ptr_null(strstr(e.msg, "hunter2"));

	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	ck_assert_str_eq(e.msg, msg);

	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), 0);
	ck_assert_str_eq(account_of(c, "a")->password, "hunter2");
	ck_assert_str_eq(account_of(c, "a")->file, path);
	conf_free(c);

	/* A symbolic link is followed. */
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(conf_load(&c, link, senv, &e), 0);
	conf_free(c);

	/* A password in defaults counts. */
	write_file(path, "defaults\npassword pw\naccount a\nhost h\n", 0604);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	ck_assert_str_eq(e.msg, msg);

	/* Without a password, readable by others is fine. */
	write_file(path, "account a\nhost h\npasswordeval echo x\n", 0644);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), 0);
	conf_free(c);

	/* Writable by others is never fine. */
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	if (geteuid() == 0)
		snprintf(msg, sizeof(msg), "%s: writable by group or others: "
		    "refusing to read it as root; run: chmod go-w %s", path,
		    path);
	else
		snprintf(msg, sizeof(msg), "%s: writable by others; run: "
		    "chmod o-w %s", path, path);
	ck_assert_str_eq(e.msg, msg);

	/* Syntax errors name the path. */
	write_file(path, "account a\nbogus x\n", 0600);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	snprintf(msg, sizeof(msg), "%s:2: unknown key 'bogus'", path);
	ck_assert_str_eq(e.msg, msg);

	/* A directory is not a config. */
	ck_assert_int_eq(conf_load(&c, tmpdir, senv, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(msg, sizeof(msg), "%s: not a regular file", tmpdir);
	ck_assert_str_eq(e.msg, msg);
	remove_tmpdir();
}
END_TEST

START_TEST(test_load_owner)
{
	char path[128], msg[512];
	struct postie_err e = { 0, "" };
	struct conf *c;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/config", tmpdir);
	write_file(path, "account a\nhost h\n", 0620);
	if (geteuid() == 0) {
		/* root reads only root's files, not writable by others. */
		ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
		snprintf(msg, sizeof(msg), "%s: writable by group or others: "
		    "refusing to read it as root; run: chmod go-w %s", path,
		    path);
		ck_assert_str_eq(e.msg, msg);
		ck_assert_int_eq(chmod(path, 0644), 0);
		ck_assert_int_eq(chown(path, 12345, 12345), 0);
		ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
		ck_assert_int_eq(e.ex, EX_CONFIG);
		snprintf(msg, sizeof(msg), "%s: owned by uid 12345, not root: "
		    "refusing to read it as root", path);
		ck_assert_str_eq(e.msg, msg);
		ck_assert_int_eq(chown(path, 0, 0), 0);
		ck_assert_int_eq(conf_load(&c, path, senv, &e), 0);
		conf_free(c);
	} else {
		/* Group-writable is the user's business. */
		ck_assert_int_eq(conf_load(&c, path, senv, &e), 0);
		conf_free(c);
	}
	remove_tmpdir();
}
END_TEST

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* msmtp's eval, and who may use it. */
START_TEST(test_load_eval)
{
	char path[128], msg[512];
	struct postie_err e = { 0, "" };
	const struct account *a;
	struct conf *c;
	double t0;
	pid_t pid;
	int status;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/config", tmpdir);
	/* The line becomes what the command prints first. */
	write_file(path, "account a\neval printf 'host  evalhost\\nport 1\\n'"
	    "\nport 2525\neval true\n", 0600);
	ck_assert_msg(conf_load(&c, path, senv, &e) == 0, "%s", e.msg);
	a = account_of(c, "a");
	ck_assert_str_eq(a->host, "evalhost");
	ck_assert_int_eq(a->port, 2525);
	conf_free(c);

	/* A password it gives does not make the file secret. */
	write_file(path, "account a\nhost h\neval echo password pw\n", 0644);
	ck_assert_msg(conf_load(&c, path, senv, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(account_of(c, "a")->password, "pw");
	conf_free(c);

	/* A failing command, another eval, a command that hangs. */
	write_file(path, "account a\neval exit 3\n", 0600);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(msg, sizeof(msg), "eval at %s:2 failed: exit status 3",
	    path);
	ck_assert_str_eq(e.msg, msg);
	write_file(path, "account a\neval echo eval echo host x\n", 0600);
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	snprintf(msg, sizeof(msg), "%s:2: 'eval' printed another eval line",
	    path);
	ck_assert_str_eq(e.msg, msg);
	write_file(path, "account a\ntimeout 1\neval sleep 10\n", 0600);
	t0 = now_s();
	ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
	ck_assert_double_lt(now_s() - t0, 5.0);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	snprintf(msg, sizeof(msg), "eval at %s:3 did not answer within 1 s",
	    path);
	ck_assert_str_eq(e.msg, msg);

	/* Not from a file others may write, nor from another's file. */
	write_file(path, "account a\nhost h\neval echo port 1\n", 0620);
	if (geteuid() != 0) {
		ck_assert_int_eq(conf_load(&c, path, senv, &e), -1);
		snprintf(msg, sizeof(msg), "%s:3: 'eval' runs a command: only "
		    "in a file that group and others cannot write; run: chmod "
		    "go-w on it", path);
		ck_assert_str_eq(e.msg, msg);
	} else {
		/* Read as an unprivileged user, a file of root's. */
		ck_assert_int_eq(chmod(path, 0644), 0);
		ck_assert_int_eq(chmod(tmpdir, 0755), 0);
		ck_assert_int_ne(pid = fork(), -1);
		if (pid == 0) {
			if (setgid(65534) == -1 || setuid(65534) == -1)
				_exit(2);
			if (conf_load(&c, path, senv, &e) == 0)
				_exit(3);
			snprintf(msg, sizeof(msg), "%s:3: 'eval' runs a "
			    "command: only in a file you own, and this one is "
			    "owned by uid 0", path);
			_exit(strcmp(e.msg, msg) == 0 ? 0 : 4);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "status %d", status);
	}
	remove_tmpdir();
}
END_TEST

START_TEST(test_load_missing)
{
	struct postie_err e = { 0, "" };
	struct conf *c;

	ck_assert_int_eq(conf_load(&c, "/nonexistent/postie/config", senv,
	    &e), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg,
	    "/nonexistent/postie/config: No such file or directory");
}
END_TEST

START_TEST(test_default_path)
{
	char buf[256], want[256], sys[128], msg[512], xdg[128], home[128];
	const char *vars[3] = { home, xdg, NULL };
	struct postie_err e = { 0, "" };
	struct passwd *pw;

	make_tmpdir();
	snprintf(sys, sizeof(sys), "%s/sys.conf", tmpdir);

	/* XDG_CONFIG_HOME wins when the file exists there. */
	snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s", tmpdir);
	strlcpy(home, "HOME=/nonexistent", sizeof(home));
	senv_use(vars);
	snprintf(want, sizeof(want), "%s/postie", tmpdir);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(want, sizeof(want), "%s/postie/config", tmpdir);
	write_file(want, "", 0600);
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), sys, senv, &e),
	    0);
	ck_assert_str_eq(buf, want);
	/* A buffer too small is an error, not a truncated path. */
	ck_assert_int_eq(conf_default_path(buf, 8, sys, senv, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);

	/* Else the system file. */
	ck_assert_int_eq(unlink(want), 0);
	write_file(sys, "", 0644);
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), sys, senv, &e),
	    0);
	ck_assert_str_eq(buf, sys);

	/* Else an error naming both. */
	ck_assert_int_eq(unlink(sys), 0);
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), sys, senv, &e),
	    -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(msg, sizeof(msg), "no configuration file: neither "
	    "%s/postie/config nor %s exists", tmpdir, sys);
	ck_assert_str_eq(e.msg, msg);

	/* Without XDG_CONFIG_HOME (or with a relative one): HOME. */
	snprintf(home, sizeof(home), "HOME=%s", tmpdir);
	vars[1] = NULL;
	senv_use(vars);
	snprintf(want, sizeof(want), "%s/.config", tmpdir);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(want, sizeof(want), "%s/.config/postie", tmpdir);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(want, sizeof(want), "%s/.config/postie/config", tmpdir);
	write_file(want, "", 0600);
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), sys, senv, &e),
	    0);
	ck_assert_str_eq(buf, want);
	strlcpy(xdg, "XDG_CONFIG_HOME=relative/dir", sizeof(xdg));
	vars[1] = xdg;
	senv_use(vars);
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), sys, senv, &e),
	    0);
	ck_assert_str_eq(buf, want);
	strlcpy(xdg, "XDG_CONFIG_HOME=", sizeof(xdg));
	senv_use(vars);
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), sys, senv, &e),
	    0);
	ck_assert_str_eq(buf, want);

	/* HOME unset (cron): the password database. */
	senv_use(NULL);
	pw = getpwuid(geteuid());
	ck_assert_ptr_nonnull(pw);
	snprintf(want, sizeof(want), "%s/.config/postie/config", pw->pw_dir);
	if (access(want, F_OK) == 0) {
		ck_assert_int_eq(conf_default_path(buf, sizeof(buf), NULL,
		    senv, &e), 0);
		ck_assert_str_eq(buf, want);
	} else {
		ck_assert_int_eq(conf_default_path(buf, sizeof(buf), NULL,
		    senv, &e), -1);
		snprintf(msg, sizeof(msg), "no configuration file: neither %s "
		    "nor (none) exists", want);
		ck_assert_str_eq(e.msg, msg);
	}

	/* No home at all: the error says so. */
	senv_use_uid(NULL, unknown_uid());
	ck_assert_int_eq(conf_default_path(buf, sizeof(buf), NULL, senv, &e),
	    -1);
	ck_assert_str_eq(e.msg, "no configuration file: neither "
	    "~/.config/postie/config (no home directory) nor (none) exists");
	remove_tmpdir();
}
END_TEST

static const struct {
	const char *text;
	const char *msg;	/* NULL: passes */
} check_cases[] = {
	{ "account a\nhost h\n", NULL },
	{ "account a\nport 25\n", "t:1: account a: no host set" },
	{ "defaults\nhost h\naccount a\n", NULL },
	{ "account a\nhost h\nauth on\n", "t:1: account a: auth needs a user" },
	{ "account a\nhost h\nauth plain\n",
	    "t:1: account a: auth needs a user" },
	{ "account a\nhost h\nuser u\n", NULL },
	{ "\naccount a\nhost h\ntls_cert_file /c\n",
	    "t:2: account a: tls_cert_file needs tls_key_file" },
	{ "account a\nhost h\ntls_key_file /k\n",
	    "t:1: account a: tls_key_file needs tls_cert_file" },
	{ "account a\nhost h\nauth external\n",
	    "t:1: account a: auth external needs tls_cert_file and "
	    "tls_key_file" },
	{ "account a\nhost h\nauth external\ntls_cert_file /c\n"
	    "tls_key_file /k\n", NULL },
	{ "account a\nhost h\nauth external\ntls_cert_file /c\n"
	    "tls_key_file /k\ntls off\n",
	    "t:1: account a: auth external needs tls" },
#ifdef HAVE_OAUTH2
	{ "account a\nhost h\nuser u\noauth2_provider microsoft\n"
	    "oauth2_client_id c\n", NULL },
	{ "account a\nhost h\nuser u\noauth2_provider microsoft\n",
	    "t:1: account a: oauth2_provider needs oauth2_client_id (the id "
	    "of the application registered with the provider)" },
	{ "account a\nhost h\nuser u\noauth2_provider google\n"
	    "oauth2_client_id c\n",
	    "t:1: account a: oauth2_provider google needs "
	    "oauth2_client_secret" },
	{ "account a\nhost h\nuser u\noauth2_provider google\nauth plain\n"
	    "oauth2_client_id c\noauth2_client_secret s\n",
	    "t:1: account a: oauth2_provider needs auth on, xoauth2 or "
	    "oauthbearer" },
	{ "account a\nhost h\nuser u\noauth2_provider custom\n"
	    "oauth2_client_id c\noauth2_scope s\n"
	    "oauth2_device_url https://d/\n",
	    "t:1: account a: oauth2_provider custom needs oauth2_token_url" },
	{ "account a\nhost h\nuser u\noauth2_provider custom\n"
	    "oauth2_client_id c\noauth2_scope s\n"
	    "oauth2_token_url https://t/\n",
	    "t:1: account a: oauth2_provider custom needs oauth2_device_url "
	    "or oauth2_auth_url" },
	{ "account a\nhost h\nuser u\noauth2_client_id c\n",
	    "t:1: account a: the oauth2_* keys need oauth2_provider" },
#endif
};

START_TEST(test_check_account)
{
	struct postie_err e = { 0, "" };
	struct conf *c = parse_ok(check_cases[_i].text);
	int rc = conf_check_account(account_of(c, "a"), &e);

	if (check_cases[_i].msg == NULL)
		ck_assert_msg(rc == 0, "refused: %s", e.msg);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.ex, EX_CONFIG);
		ck_assert_str_eq(e.msg, check_cases[_i].msg);
	}
	conf_free(c);
}
END_TEST

#ifdef HAVE_OAUTH2
/* The provider's endpoints and scope, which the keys override. */
START_TEST(test_oauth2_defaults)
{
	struct conf *c = parse_ok("account m\nhost h\nuser u\n"
	    "oauth2_provider Microsoft\noauth2_client_id c\n\n"
	    "account t\nhost h\nuser u\noauth2_provider microsoft\n"
	    "oauth2_tenant contoso.example\noauth2_client_id c\n"
	    "oauth2_scope \"a b\"\nauth xoauth2\n\n"
	    "account g\nhost h\nuser u\noauth2_provider google\n"
	    "oauth2_client_id c\noauth2_client_secret s\n"
	    "oauth2_token_url https://t.example/token\n\n"
	    "account default : g\n");
	const struct account *a;

	a = account_of(c, "m");
	ck_assert_int_eq(a->oauth2_provider, OAUTH2_MICROSOFT);
	ck_assert_int_eq(a->auth, AUTH_OAUTH2);
	ck_assert_str_eq(a->oauth2_tenant, "common");
	ck_assert_str_eq(a->oauth2_token_url, "https://login.microsoftonline."
	    "com/common/oauth2/v2.0/token");
	ck_assert_str_eq(a->oauth2_device_url, "https://login."
	    "microsoftonline.com/common/oauth2/v2.0/devicecode");
	ck_assert_str_eq(a->oauth2_scope, "https://outlook.office.com/"
	    "SMTP.Send offline_access");
	ck_assert_ptr_null(a->alias_of);
	a = account_of(c, "t");
	ck_assert_int_eq(a->auth, AUTH_XOAUTH2);
	ck_assert_str_eq(a->oauth2_auth_url, "https://login.microsoftonline."
	    "com/contoso.example/oauth2/v2.0/authorize");
	ck_assert_str_eq(a->oauth2_scope, "a b");
	a = account_of(c, "g");
	ck_assert_str_eq(a->oauth2_auth_url,
	    "https://accounts.google.com/o/oauth2/v2/auth");
	ck_assert_ptr_null(a->oauth2_device_url);
	ck_assert_str_eq(a->oauth2_token_url, "https://t.example/token");
	ck_assert_str_eq(a->oauth2_scope, "https://mail.google.com/");
	ck_assert_str_eq(account_of(c, "default")->alias_of, "g");
	conf_free(c);
}
END_TEST

/* The keys of a provider's account print and read back; no secret. */
START_TEST(test_oauth2_print)
{
	struct conf *c = parse_ok("account g\nhost h\nuser u\n"
	    "oauth2_provider google\noauth2_client_id c\n"
	    "oauth2_client_secret s3cr3t\noauth2_trust_file system\n"), *c2;
	const struct account *a = account_of(c, "g"), *b;
	char *out = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(mf);
	conf_print_account(a, mf);
	ck_assert_int_eq(fclose(mf), 0);
	ck_assert_ptr_null(strstr(out, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr(out, "\noauth2_provider google\n"));
	ck_assert_ptr_nonnull(strstr(out, "\noauth2_client_secret [hidden]\n"));
	ck_assert_ptr_nonnull(strstr(out, "\noauth2_trust_file system\n"));
	c2 = parse_ok(out);
	b = account_of(c2, "g");
	ck_assert_int_eq(b->oauth2_provider, OAUTH2_GOOGLE);
	ck_assert_int_eq(b->auth, AUTH_OAUTH2);
	ck_assert_ptr_null(b->oauth2_trust_file);
	ck_assert_str_eq(b->oauth2_token_url, a->oauth2_token_url);
	conf_free(c2);
	free(out);
	conf_free(c);
}
END_TEST

static const struct {
	const char *line;
	const char *msg;
} oauth2_bad[] = {
	{ "oauth2_provider yahoo", "t:3: bad value 'yahoo' for "
	    "'oauth2_provider': expected microsoft, google, custom or off" },
	{ "oauth2_token_url http://t/", "t:3: bad value 'http://t/' for "
	    "'oauth2_token_url': expected an https:// URL" },
	{ "oauth2_auth_url \"https://a b\"", "t:3: bad value 'https://a b' "
	    "for 'oauth2_auth_url': expected an https:// URL without "
	    "blanks" },
};

START_TEST(test_oauth2_bad)
{
	struct postie_err e = { 0, "" };
	char text[256];

	snprintf(text, sizeof(text), "account a\nhost h\n%s\n",
	    oauth2_bad[_i].line);
	ck_assert_ptr_null(parse_len(text, strlen(text), &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, oauth2_bad[_i].msg);
}
END_TEST
#else
/* Built without OAuth 2.0: the keys say how to get it. */
START_TEST(test_oauth2_not_built)
{
	static const char text[] = "account a\nhost h\noauth2_provider google\n";
	struct postie_err e = { 0, "" };

	ck_assert_ptr_null(parse_len(text, strlen(text), &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "t:3: 'oauth2_provider': this postie was "
	    "built without OAuth 2.0 support (configure --with-oauth2, which "
	    "needs libcurl and json-c)");
}
END_TEST
#endif

START_TEST(test_print_account)
{
	static const char text[] =
	    "account a\nhost smtp.example.org\nuser joe\npassword hunter2\n"
	    "from_full_name \"Joe \\\"Q\\\" Smith\"\n"
	    "tls_fingerprint "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdff\n"
	    "dsn_notify failure,delay\ndsn_return headers\nsyslog LOG_LOCAL2\n"
	    "set_to_header undisclosed_recipients\ntimeout off\n"
	    "queue_lifetime 1d\nmax_message_size 1k\nfrom 100%%@example.org\n";
	struct conf *c = parse_ok(text), *c2;
	const struct account *a = account_of(c, "a"), *b;
	char *out = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(mf);
	conf_print_account(a, mf);
	ck_assert_int_eq(fclose(mf), 0);
	ck_assert_ptr_null(strstr(out, "hunter2"));
	ck_assert_ptr_nonnull(strstr(out, "account a\n"));
	ck_assert_ptr_nonnull(strstr(out, "\npassword [hidden]\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nhost smtp.example.org\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nport 587\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nauth on\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\nfrom_full_name \"Joe \\\"Q\\\" Smith\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ntls_fingerprint 01:23:45:67:89:"
	    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
	    "67:89:AB:CD:FF\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ntls_trust_file system\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nsyslog LOG_LOCAL2\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ndsn_return headers\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ntimeout 3600\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nsource_ip \"\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nfrom 100%%@example.org\n"));

	/* What is printed reads back as the same account. */
	c2 = parse_ok(out);
	b = account_of(c2, "a");
	ck_assert_str_eq(b->host, a->host);
	ck_assert_str_eq(b->user, a->user);
	ck_assert_str_eq(b->from_full_name, a->from_full_name);
	ck_assert_str_eq(b->from, "100%@example.org");
	ck_assert_int_eq(b->port, a->port);
	ck_assert_int_eq(b->auth, a->auth);
	ck_assert_int_eq(b->timeout, a->timeout);
	ck_assert_mem_eq(b->tls_fingerprint, a->tls_fingerprint, 32);
	ck_assert_str_eq(b->dsn_notify, a->dsn_notify);
	ck_assert_str_eq(b->dsn_return, a->dsn_return);
	ck_assert_int_eq(b->syslog_facility, a->syslog_facility);
	ck_assert_int_eq(b->set_to_header, a->set_to_header);
	ck_assert_int_eq(b->queue_lifetime, a->queue_lifetime);
	ck_assert_int_eq(b->max_message_size, a->max_message_size);
	ck_assert_int_eq(b->qualify_headers, a->qualify_headers);
	ck_assert_ptr_null(b->tls_trust_file);
	conf_free(c2);
	free(out);
	conf_free(c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("parse");
	TCase *tf = tcase_create("files");

	tcase_add_checked_fixture(tc, senv_setup, senv_teardown);
	tcase_add_loop_test(tc, test_key, 0,
	    sizeof(keycases) / sizeof(keycases[0]));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_fallback_names);
	tcase_add_test(tc, test_derived_defaults);
	tcase_add_test(tc, test_defaults_section);
	tcase_add_test(tc, test_inheritance);
	tcase_add_test(tc, test_inheritance_chain);
	tcase_add_test(tc, test_default_alias);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_comments_blank_crlf);
	tcase_add_test(tc, test_empty_booleans);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_loop_test(tc, test_error, 0,
	    sizeof(errcases) / sizeof(errcases[0]));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_warnings);
	tcase_add_test(tc, test_from_patterns);
	tcase_add_test(tc, test_tilde_home);
	tcase_add_loop_test(tc, test_account_for_from, 0,
	    sizeof(from_cases) / sizeof(from_cases[0]));
	tcase_add_test(tc, test_real_msmtprc);
	tcase_add_loop_test(tc, test_check_account, 0,
	    sizeof(check_cases) / sizeof(check_cases[0]));
	tcase_add_test(tc, test_print_account);
#ifdef HAVE_OAUTH2
	tcase_add_test(tc, test_oauth2_defaults);
	tcase_add_test(tc, test_oauth2_print);
	tcase_add_loop_test(tc, test_oauth2_bad, 0,
	    sizeof(oauth2_bad) / sizeof(oauth2_bad[0]));
#else
	tcase_add_test(tc, test_oauth2_not_built);
#endif
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, senv_setup, senv_teardown);
	tcase_add_test(tf, test_load_permissions);
	tcase_add_test(tf, test_load_owner);
	tcase_add_test(tf, test_load_eval);
	tcase_add_test(tf, test_load_missing);
	tcase_add_test(tf, test_default_path);
	tcase_set_timeout(tf, 30);
	suite_add_tcase(s, tf);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

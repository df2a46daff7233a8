/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/sysenv.c: what each variable means when unset, empty
 * or relative; the home and login name rules; the host name and FQDN
 * looked up once, and only when asked for.  The host name and the
 * resolver are this file's own (below), so that the lookups can be
 * counted whatever the machine is called.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "sysenv.h"

/* The host name gethostname() gives in this program, and the lookups. */
static const char *fake_host = "sysenvtest";
static int nhostname, nlookups;

int
gethostname(char *name, size_t len)
{
	nhostname++;
	if (strlen(fake_host) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strlcpy(name, fake_host, len);
	return 0;
}

/*
 * The resolver: "sysenvtest" has the canonical name sysenvtest.example.org,
 * "flat" the canonical name "flatname" (no dot); any other name is
 * unknown.  The answer is 127.0.0.1 with that canonical name.
 */
int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **);
	struct addrinfo h;
	const char *canon;
	int rc;

	nlookups++;
	if (node != NULL && strcmp(node, "sysenvtest") == 0)
		canon = "sysenvtest.example.org";
	else if (node != NULL && strcmp(node, "flat") == 0)
		canon = "flatname";
	else
		return EAI_NONAME;
	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	if (real == NULL)
		return EAI_SYSTEM;
	memset(&h, 0, sizeof(h));
	h.ai_flags = AI_NUMERICHOST;
	if ((rc = real("127.0.0.1", service, &h, res)) != 0)
		return rc;
	/* freeaddrinfo() frees ai_canonname. */
	if (((*res)->ai_canonname = strdup(canon)) == NULL) {
		freeaddrinfo(*res);
		return EAI_MEMORY;
	}
	return 0;
}

/* Each test starts with the host "sysenvtest" and no lookup made. */
static void
reset(void)
{
	fake_host = "sysenvtest";
	nhostname = nlookups = 0;
}

static struct sysenv *
load(const char *const *vars, uid_t euid)
{
	struct postie_err e = { 0, "" };
	struct sysenv *s;

	ck_assert_msg(sysenv_load_from(&s, vars, euid, &e) == 0, "%s", e.msg);
	ck_assert_ptr_nonnull(s);
	return s;
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

static struct passwd *
me(void)
{
	struct passwd *pw = getpwuid(geteuid());

	ck_assert_ptr_nonnull(pw);
	return pw;
}

START_TEST(test_home)
{
	const char *const set[] = { "HOME=/home/x", NULL };
	const char *const empty[] = { "HOME=", NULL };
	char pwdir[4096];
	struct sysenv *s;

	strlcpy(pwdir, me()->pw_dir, sizeof(pwdir));
	s = load(set, geteuid());
	ck_assert_str_eq(sysenv_home(s), "/home/x");
	sysenv_free(s);
	/* Unset or empty (cron, su -): the password database. */
	s = load(NULL, geteuid());
	ck_assert_str_eq(sysenv_home(s), pwdir);
	sysenv_free(s);
	s = load(empty, geteuid());
	ck_assert_str_eq(sysenv_home(s), pwdir);
	sysenv_free(s);
	/* Neither: none. */
	s = load(NULL, unknown_uid());
	ck_assert_ptr_null(sysenv_home(s));
	sysenv_free(s);
	s = load(set, unknown_uid());
	ck_assert_str_eq(sysenv_home(s), "/home/x");
	sysenv_free(s);
}
END_TEST

START_TEST(test_login)
{
	const char *const both[] = { "USER=u", "LOGNAME=l", NULL };
	const char *const user[] = { "LOGNAME=", "USER=u", NULL };
	const char *const none[] = { "LOGNAME=", "USER=", NULL };
	char name[256];
	struct sysenv *s;
	uid_t nobody = unknown_uid();

	strlcpy(name, me()->pw_name, sizeof(name));
	/* The password database first, whatever the variables say. */
	s = load(both, geteuid());
	ck_assert_str_eq(sysenv_login(s), name);
	sysenv_free(s);
	/* Then LOGNAME, then USER; empty is unset. */
	s = load(both, nobody);
	ck_assert_str_eq(sysenv_login(s), "l");
	sysenv_free(s);
	s = load(user, nobody);
	ck_assert_str_eq(sysenv_login(s), "u");
	sysenv_free(s);
	s = load(none, nobody);
	ck_assert_ptr_null(sysenv_login(s));
	ck_assert_uint_eq(sysenv_euid(s), nobody);
	sysenv_free(s);
}
END_TEST

/* Relative or empty XDG and POSTIE_* directories are ignored. */
START_TEST(test_absolute_only)
{
	const char *const abs[] = { "XDG_CONFIG_HOME=/c", "XDG_STATE_HOME=/s",
	    "XDG_CACHE_HOME=/k", "POSTIE_QUEUE_DIR=/q", "POSTIE_DROP_DIR=/d",
	    NULL };
	const char *const rel[] = { "XDG_CONFIG_HOME=c", "XDG_STATE_HOME=./s",
	    "XDG_CACHE_HOME=", "POSTIE_QUEUE_DIR=q", "POSTIE_DROP_DIR=~/d",
	    NULL };
	struct sysenv *s;

	s = load(abs, geteuid());
	ck_assert_str_eq(sysenv_xdg_config_home(s), "/c");
	ck_assert_str_eq(sysenv_xdg_state_home(s), "/s");
	ck_assert_str_eq(sysenv_xdg_cache_home(s), "/k");
	ck_assert_str_eq(sysenv_queue_dir(s), "/q");
	ck_assert_str_eq(sysenv_drop_dir(s), "/d");
	sysenv_free(s);
	s = load(rel, geteuid());
	ck_assert_ptr_null(sysenv_xdg_config_home(s));
	ck_assert_ptr_null(sysenv_xdg_state_home(s));
	ck_assert_ptr_null(sysenv_xdg_cache_home(s));
	ck_assert_ptr_null(sysenv_queue_dir(s));
	ck_assert_ptr_null(sysenv_drop_dir(s));
	sysenv_free(s);
	s = load(NULL, geteuid());
	ck_assert_ptr_null(sysenv_xdg_config_home(s));
	ck_assert_ptr_null(sysenv_queue_dir(s));
	sysenv_free(s);
}
END_TEST

START_TEST(test_tmpdir)
{
	const char *const set[] = { "TMPDIR=/var/tmp", NULL };
	const char *const empty[] = { "TMPDIR=", NULL };
	struct sysenv *s;

	s = load(set, geteuid());
	ck_assert_str_eq(sysenv_tmpdir(s), "/var/tmp");
	sysenv_free(s);
	s = load(empty, geteuid());
	ck_assert_str_eq(sysenv_tmpdir(s), "/tmp");
	sysenv_free(s);
	s = load(NULL, geteuid());
	ck_assert_str_eq(sysenv_tmpdir(s), "/tmp");
	sysenv_free(s);
}
END_TEST

/* OpenSSL's variables are kept as set: empty is not unset. */
START_TEST(test_cert_vars)
{
	const char *const set[] = { "SSL_CERT_DIR=/a:/b", "SSL_CERT_FILE=",
	    NULL };
	struct sysenv *s;

	s = load(set, geteuid());
	ck_assert_str_eq(sysenv_cert_dir(s), "/a:/b");
	ck_assert_str_eq(sysenv_cert_file(s), "");
	sysenv_free(s);
	s = load(NULL, geteuid());
	ck_assert_ptr_null(sysenv_cert_dir(s));
	ck_assert_ptr_null(sysenv_cert_file(s));
	sysenv_free(s);
}
END_TEST

/*
 * The proxy for HTTPS: the lower-case name first, then the upper-case,
 * then all_proxy; an empty value counts as unset.
 */
START_TEST(test_proxy_vars)
{
	const char *const lower[] = { "HTTPS_PROXY=http://upper:1",
	    "https_proxy=http://lower:2", "no_proxy=", "NO_PROXY=.corp",
	    NULL };
	const char *const all[] = { "https_proxy=", "ALL_PROXY=http://all:3",
	    NULL };
	struct sysenv *s;

	s = load(lower, geteuid());
	ck_assert_str_eq(sysenv_https_proxy(s), "http://lower:2");
	ck_assert_str_eq(sysenv_no_proxy(s), ".corp");
	sysenv_free(s);
	s = load(all, geteuid());
	ck_assert_str_eq(sysenv_https_proxy(s), "http://all:3");
	ck_assert_ptr_null(sysenv_no_proxy(s));
	sysenv_free(s);
	s = load(NULL, geteuid());
	ck_assert_ptr_null(sysenv_https_proxy(s));
	sysenv_free(s);
}
END_TEST

/* As getenv: the first of two; a name is matched whole. */
START_TEST(test_first_wins)
{
	const char *const v[] = { "HOMER=/no", "HOME=/one", "HOME=/two",
	    "TMPDIR", NULL };
	struct sysenv *s;

	s = load(v, geteuid());
	ck_assert_str_eq(sysenv_home(s), "/one");
	ck_assert_str_eq(sysenv_tmpdir(s), "/tmp");
	sysenv_free(s);
}
END_TEST

/* sysenv_load reads environ and the process's euid. */
START_TEST(test_load_environ)
{
	struct postie_err e = { 0, "" };
	struct sysenv *s;

	ck_assert_int_eq(setenv("POSTIE_QUEUE_DIR", "/from/environ", 1), 0);
	ck_assert_int_eq(setenv("HOME", "/home/environ", 1), 0);
	ck_assert_msg(sysenv_load(&s, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(sysenv_queue_dir(s), "/from/environ");
	ck_assert_str_eq(sysenv_home(s), "/home/environ");
	ck_assert_uint_eq(sysenv_euid(s), geteuid());
	/* Read once: a later change is not seen. */
	ck_assert_int_eq(setenv("HOME", "/home/later", 1), 0);
	ck_assert_str_eq(sysenv_home(s), "/home/environ");
	sysenv_free(s);
}
END_TEST

/* No lookup before the FQDN is asked for, one lookup however often. */
START_TEST(test_fqdn_once)
{
	struct postie_err e = { 0, "" };
	struct sysenv *s;
	const char *f;

	s = load(NULL, geteuid());
	ck_assert_int_eq(nhostname, 0);
	ck_assert_int_eq(nlookups, 0);
	ck_assert_str_eq(sysenv_hostname(s, &e), "sysenvtest");
	ck_assert_int_eq(nlookups, 0);
	f = sysenv_fqdn(s, &e);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f, "sysenvtest.example.org");
	ck_assert_int_eq(nlookups, 1);
	ck_assert_ptr_eq(sysenv_fqdn(s, &e), f);
	ck_assert_str_eq(sysenv_hostname(s, &e), "sysenvtest");
	ck_assert_int_eq(nlookups, 1);
	ck_assert_int_eq(nhostname, 1);
	sysenv_free(s);
	/* Asked for first, the FQDN looks the host name up once too. */
	s = load(NULL, geteuid());
	ck_assert_str_eq(sysenv_fqdn(s, &e), "sysenvtest.example.org");
	ck_assert_str_eq(sysenv_hostname(s, &e), "sysenvtest");
	ck_assert_int_eq(nlookups, 2);
	ck_assert_int_eq(nhostname, 2);
	sysenv_free(s);
}
END_TEST

/* A dotted host name is the FQDN: no lookup. */
START_TEST(test_fqdn_dotted)
{
	struct postie_err e = { 0, "" };
	struct sysenv *s;

	fake_host = "mx.example.net";
	s = load(NULL, geteuid());
	ck_assert_str_eq(sysenv_fqdn(s, &e), "mx.example.net");
	ck_assert_int_eq(nlookups, 0);
	sysenv_free(s);
}
END_TEST

/* A canonical name without a dot, or none: the host name. */
START_TEST(test_fqdn_fallback)
{
	struct postie_err e = { 0, "" };
	struct sysenv *s;

	fake_host = "flat";
	s = load(NULL, geteuid());
	ck_assert_str_eq(sysenv_fqdn(s, &e), "flat");
	sysenv_free(s);
	fake_host = "unknown";
	s = load(NULL, geteuid());
	ck_assert_str_eq(sysenv_fqdn(s, &e), "unknown");
	sysenv_free(s);
	ck_assert_int_eq(nlookups, 2);
}
END_TEST

/* No host name: an error, the same each time, and no lookup. */
START_TEST(test_no_hostname)
{
	struct postie_err e = { 0, "" };
	struct sysenv *s;

	fake_host = "";
	s = load(NULL, geteuid());
	ck_assert_ptr_null(sysenv_hostname(s, &e));
	ck_assert_int_eq(e.ex, EX_OSERR);
	ck_assert_str_eq(e.msg, "this host has no name");
	err_clear(&e);
	ck_assert_ptr_null(sysenv_fqdn(s, &e));
	ck_assert_int_eq(e.ex, EX_OSERR);
	ck_assert_str_eq(e.msg, "this host has no name");
	err_clear(&e);
	ck_assert_ptr_null(sysenv_fqdn(s, &e));
	ck_assert_str_eq(e.msg, "this host has no name");
	ck_assert_int_eq(nhostname, 1);
	ck_assert_int_eq(nlookups, 0);
	sysenv_free(s);
}
END_TEST

static Suite *
sysenv_suite(void)
{
	Suite *s = suite_create("sysenv");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_add_test(tc, test_home);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_absolute_only);
	tcase_add_test(tc, test_tmpdir);
	tcase_add_test(tc, test_cert_vars);
	tcase_add_test(tc, test_proxy_vars);
	tcase_add_test(tc, test_first_wins);
	tcase_add_test(tc, test_load_environ);
	tcase_add_test(tc, test_fqdn_once);
	tcase_add_test(tc, test_fqdn_dotted);
	tcase_add_test(tc, test_fqdn_fallback);
	tcase_add_test(tc, test_no_hostname);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(sysenv_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

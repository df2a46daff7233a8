/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/oauth.c, its pure parts: the token file format,
 * where the file lives and its permission check, the refresh decision,
 * PKCE (RFC 7636 appendix B), forms, the authorization URL and the
 * redirect's query.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "oauth.h"
#include "sysenv.h"

static struct oauth_token tok;

static FILE *
mem(const char *s)
{
	FILE *fp = fmemopen((void *)(uintptr_t)s, strlen(s), "r");

	ck_assert_ptr_nonnull(fp);
	return fp;
}

START_TEST(test_parse_format)
{
	struct postie_err e = { 0, "" };
	char buf[256];
	FILE *fp;

	fp = mem("postie-oauth2 1\nrefresh_token R-1\naccess_token A.b~c\n"
	    "expires 1700000000\n");
	ck_assert_int_eq(oauth_token_parse(fp, "t", &tok, &e), 0);
	fclose(fp);
	ck_assert_str_eq(tok.refresh, "R-1");
	ck_assert_str_eq(tok.access, "A.b~c");
	ck_assert_int_eq(tok.expires, 1700000000LL);

	fp = fmemopen(buf, sizeof(buf), "w");
	ck_assert_int_eq(oauth_token_format(fp, &tok), 0);
	fclose(fp);
	ck_assert_str_eq(buf, "postie-oauth2 1\nrefresh_token R-1\n"
	    "access_token A.b~c\nexpires 1700000000\n");

	/* Without an access token, only the refresh token is written. */
	tok.access[0] = '\0';
	fp = fmemopen(buf, sizeof(buf), "w");
	ck_assert_int_eq(oauth_token_format(fp, &tok), 0);
	fclose(fp);
	ck_assert_str_eq(buf, "postie-oauth2 1\nrefresh_token R-1\n");
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} bad_files[] = {
	{ "", "t: empty token file" },
	{ "refresh_token R\n", "t:1: not a postie token file" },
	{ "postie-oauth2 1\nrefresh_token\n", "t:2: expected KEY VALUE" },
	{ "postie-oauth2 1\npassword x\n", "t:2: unknown key" },
	{ "postie-oauth2 1\nrefresh_token a b\n",
	    "t:2: bad value for refresh_token" },
	{ "postie-oauth2 1\naccess_token a\001\n",
	    "t:2: bad value for access_token" },
	{ "postie-oauth2 1\nexpires -5\n", "t:2: bad value for expires" },
	{ "postie-oauth2 1\nexpires 12x\n", "t:2: bad value for expires" },
};

START_TEST(test_parse_bad)
{
	struct postie_err e = { 0, "" };
	FILE *fp;

	fp = mem(bad_files[_i].text);
	ck_assert_int_eq(oauth_token_parse(fp, "t", &tok, &e), -1);
	fclose(fp);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, bad_files[_i].msg);
	/* Nothing is left of what was read. */
	ck_assert_str_eq(tok.refresh, "");
}
END_TEST

/* Refreshed when there is none, or less than 60 s is left. */
START_TEST(test_needs_refresh)
{
	const time_t now = 1000000;

	memset(&tok, 0, sizeof(tok));
	ck_assert_int_eq(oauth_needs_refresh(&tok, now), 1);
	strlcpy(tok.access, "A", sizeof(tok.access));
	tok.expires = now + 3600;
	ck_assert_int_eq(oauth_needs_refresh(&tok, now), 0);
	tok.expires = now + 60;
	ck_assert_int_eq(oauth_needs_refresh(&tok, now), 0);
	tok.expires = now + 59;
	ck_assert_int_eq(oauth_needs_refresh(&tok, now), 1);
	tok.expires = now - 10;
	ck_assert_int_eq(oauth_needs_refresh(&tok, now), 1);
	tok.expires = 0;
	ck_assert_int_eq(oauth_needs_refresh(&tok, now), 1);
}
END_TEST

/* RFC 7636 appendix B. */
START_TEST(test_pkce)
{
	char ch[64], v1[80], v2[80];
	struct postie_err e = { 0, "" };
	size_t i;

	ck_assert_int_eq(oauth_pkce_challenge(
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch, sizeof(ch)), 0);
	ck_assert_str_eq(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	ck_assert_int_eq(oauth_pkce_challenge("x", ch, 43), -1);

	ck_assert_int_eq(oauth_random(v1, sizeof(v1), &e), 0);
	ck_assert_int_eq(oauth_random(v2, sizeof(v2), &e), 0);
	ck_assert_uint_eq(strlen(v1), 64);
	ck_assert_str_ne(v1, v2);
	for (i = 0; v1[i] != '\0'; i++)
		ck_assert_ptr_nonnull(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-._~", v1[i]));
	ck_assert_int_eq(oauth_random(v1, 64, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
}
END_TEST

START_TEST(test_form)
{
	char buf[64], small[12];

	buf[0] = '\0';
	ck_assert_int_eq(oauth_form_add(buf, sizeof(buf), "a", "x y&z=1/\xc3\xa9"),
	    0);
	ck_assert_int_eq(oauth_form_add(buf, sizeof(buf), "b", "-._~"), 0);
	ck_assert_str_eq(buf, "a=x%20y%26z%3D1%2F%C3%A9&b=-._~");

	/* Too long: cut back to what it was. */
	strlcpy(small, "k=v", sizeof(small));
	ck_assert_int_eq(oauth_form_add(small, sizeof(small), "key",
	    "value"), -1);
	ck_assert_str_eq(small, "k=v");
	ck_assert_int_eq(oauth_form_add(small, sizeof(small), "q", "12345"),
	    0);
	ck_assert_str_eq(small, "k=v&q=12345");
}
END_TEST

START_TEST(test_authorize_url)
{
	struct account a;
	char buf[1024];

	memset(&a, 0, sizeof(a));
	a.oauth2_provider = OAUTH2_GOOGLE;
	a.oauth2_client_id = "id.apps";
	a.oauth2_auth_url = "https://accounts.example/auth";
	a.oauth2_scope = "https://mail.google.com/";
	ck_assert_int_eq(oauth_authorize_url(&a, "http://127.0.0.1:4242/",
	    "ST", "CH", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "https://accounts.example/auth?"
	    "response_type=code&client_id=id.apps&"
	    "redirect_uri=http%3A%2F%2F127.0.0.1%3A4242%2F&"
	    "scope=https%3A%2F%2Fmail.google.com%2F&state=ST&"
	    "code_challenge=CH&code_challenge_method=S256&"
	    "access_type=offline&prompt=consent");

	a.oauth2_provider = OAUTH2_CUSTOM;
	a.oauth2_auth_url = "https://idp.example/auth?tenant=x";
	a.oauth2_scope = "smtp offline";
	ck_assert_int_eq(oauth_authorize_url(&a, "http://127.0.0.1:1/",
	    "S", "C", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "https://idp.example/auth?tenant=x&"
	    "response_type=code&client_id=id.apps&"
	    "redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2F&scope=smtp%20offline&"
	    "state=S&code_challenge=C&code_challenge_method=S256");
	ck_assert_int_eq(oauth_authorize_url(&a, "http://127.0.0.1:1/",
	    "S", "C", buf, 40), -1);
}
END_TEST

START_TEST(test_query_param)
{
	char buf[32];

	ck_assert_int_eq(oauth_query_param("http://127.0.0.1:5/?code=a%2Fb+c"
	    "&state=xyz#code=no", "code", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "a/b c");
	ck_assert_int_eq(oauth_query_param("http://h/?xcode=1&code=2",
	    "code", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "2");
	ck_assert_int_eq(oauth_query_param("http://h/?state=1#code=2",
	    "code", buf, sizeof(buf)), 0);
	ck_assert_int_eq(oauth_query_param("http://h/code=2", "code", buf,
	    sizeof(buf)), 0);
	ck_assert_int_eq(oauth_query_param("http://h/?code=", "code", buf,
	    sizeof(buf)), 1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(oauth_query_param("http://h/?code=%0a", "code", buf,
	    sizeof(buf)), -1);
	ck_assert_int_eq(oauth_query_param("http://h/?code=%4", "code", buf,
	    sizeof(buf)), -1);
	ck_assert_int_eq(oauth_query_param("http://h/?code="
	    "0123456789012345678901234567890123", "code", buf, sizeof(buf)),
	    -1);
}
END_TEST

/*
 * Keyed by config and account; for the system's config under
 * LOCALSTATEDIR; "account default : NAME" is NAME.
 */
START_TEST(test_token_path)
{
	const char *const vars[] = { "XDG_STATE_HOME=/st", "HOME=/h", NULL };
	const char *const novars[] = { "HOME=/h", NULL };
	struct postie_err e = { 0, "" };
	struct sysenv *sys;
	struct account a;
	char p1[PATH_MAX], p2[PATH_MAX];

	memset(&a, 0, sizeof(a));
	a.name = "work mail";
	a.file = "/nonexistent/one.conf";
	ck_assert_int_eq(sysenv_load_from(&sys, vars, 1000, &e), 0);
	ck_assert_int_eq(oauth_token_path(&a, sys, p1, sizeof(p1), &e), 0);
	ck_assert_msg(strncmp(p1, "/st/postie/oauth/work_mail-", 27) == 0,
	    "%s", p1);
	ck_assert_uint_eq(strlen(p1), 27 + 16);
	a.file = "/nonexistent/two.conf";
	ck_assert_int_eq(oauth_token_path(&a, sys, p2, sizeof(p2), &e), 0);
	ck_assert_str_ne(p1, p2);
	sysenv_free(sys);

	ck_assert_int_eq(sysenv_load_from(&sys, novars, 1000, &e), 0);
	ck_assert_int_eq(oauth_token_path(&a, sys, p2, sizeof(p2), &e), 0);
	ck_assert_msg(strncmp(p2, "/h/.local/state/postie/oauth/work_mail-",
	    39) == 0, "%s", p2);
	sysenv_free(sys);

	/* The system's config: not in anybody's home. */
	ck_assert_int_eq(sysenv_load_from(&sys, vars, 0, &e), 0);
	a.file = SYSCONFDIR "/postie.conf";
	ck_assert_int_eq(oauth_token_path(&a, sys, p2, sizeof(p2), &e), 0);
	ck_assert_msg(strncmp(p2, LOCALSTATEDIR "/lib/postie/oauth/work_mail-",
	    strlen(LOCALSTATEDIR "/lib/postie/oauth/work_mail-")) == 0, "%s",
	    p2);
	a.name = "default";
	a.alias_of = "work mail";
	ck_assert_int_eq(oauth_token_path(&a, sys, p1, sizeof(p1), &e), 0);
	ck_assert_str_eq(p1, p2);
	a.oauth2_token_file = "/given/file";
	ck_assert_int_eq(oauth_token_path(&a, sys, p2, sizeof(p2), &e), 0);
	ck_assert_str_eq(p2, "/given/file");
	sysenv_free(sys);
}
END_TEST

/* Saved 0600 through a rename; refused once others may read it. */
START_TEST(test_save_load)
{
	struct postie_err e = { 0, "" };
	char dir[] = "/tmp/check_oauth.XXXXXX", path[PATH_MAX];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/tok", dir);
	memset(&tok, 0, sizeof(tok));
	ck_assert_int_eq(oauth_token_load(path, &tok, &e), 0);
	strlcpy(tok.refresh, "R2", sizeof(tok.refresh));
	strlcpy(tok.access, "A2", sizeof(tok.access));
	tok.expires = 42;
	ck_assert_msg(oauth_token_save(path, &tok, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	memset(&tok, 0, sizeof(tok));
	ck_assert_int_eq(oauth_token_load(path, &tok, &e), 1);
	ck_assert_str_eq(tok.refresh, "R2");
	ck_assert_int_eq(tok.expires, 42);

	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(oauth_token_load(path, &tok, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "chmod 600"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

static Suite *
oauth_suite(void)
{
	Suite *s = suite_create("oauth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_format);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, test_needs_refresh);
	tcase_add_test(tc, test_pkce);
	tcase_add_test(tc, test_form);
	tcase_add_test(tc, test_authorize_url);
	tcase_add_test(tc, test_query_param);
	tcase_add_test(tc, test_token_path);
	tcase_add_test(tc, test_save_load);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(oauth_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

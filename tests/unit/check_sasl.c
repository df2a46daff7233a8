/*
 * Tests for sasl.c: PLAIN and LOGIN responses byte for byte, choosing a
 * mechanism from what the server offers, and strict base64.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "sasl.h"

/* Run one step and return its response base64-encoded (caller frees). */
static char *
step_b64(struct sasl *s, const char *chal, int want_rv)
{
	struct postie_err err;
	unsigned char *raw;
	size_t rawlen;
	char *b64;
	int rv;

	rv = sasl_step(s, (const unsigned char *)chal,
	    chal != NULL ? strlen(chal) : 0, &raw, &rawlen, &err);
	ck_assert_int_eq(rv, want_rv);
	if (rv != 1) {
		ck_assert_ptr_null(raw);
		return NULL;
	}
	ck_assert_int_eq(sasl_b64_encode(raw, rawlen, &b64, &err), 0);
	sasl_wipe_free(raw, rawlen);
	return b64;
}

START_TEST(plain_rfc4616)
{
	struct postie_err err;
	struct sasl *s;
	char *b64;

	ck_assert_int_eq(sasl_new(&s, AUTH_PLAIN, NULL, "tim",
	    "tanstaaftanstaaf", &err), 0);
	ck_assert_int_eq(sasl_has_initial(s), 1);
	b64 = step_b64(s, NULL, 1);
	ck_assert_str_eq(b64, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	free(b64);
	/* Nothing more to say to a further challenge. */
	ck_assert_ptr_null(step_b64(s, "", 0));
	sasl_free(s);

	ck_assert_int_eq(sasl_new(&s, AUTH_PLAIN, "", "tim",
	    "tanstaaftanstaaf", &err), 0);
	b64 = step_b64(s, NULL, 1);
	ck_assert_str_eq(b64, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	free(b64);
	sasl_free(s);
}
END_TEST

START_TEST(plain_raw_bytes)
{
	static const char want[] = "admin\0tim\0secret";
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	size_t rawlen;

	ck_assert_int_eq(sasl_new(&s, AUTH_PLAIN, "admin", "tim", "secret",
	    &err), 0);
	ck_assert_int_eq(sasl_step(s, NULL, 0, &raw, &rawlen, &err), 1);
	ck_assert_uint_eq(rawlen, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(raw, want, rawlen), 0);
	sasl_wipe_free(raw, rawlen);
	sasl_free(s);
}
END_TEST

START_TEST(login_steps)
{
	struct postie_err err;
	struct sasl *s;
	char *b64;

	ck_assert_int_eq(sasl_new(&s, AUTH_LOGIN, NULL, "tim",
	    "tanstaaftanstaaf", &err), 0);
	ck_assert_int_eq(sasl_has_initial(s), 0);
	b64 = step_b64(s, "Username:", 1);
	ck_assert_str_eq(b64, "dGlt");
	free(b64);
	/* The prompt's wording does not matter, its position does. */
	b64 = step_b64(s, "Enter secret", 1);
	ck_assert_str_eq(b64, "dGFuc3RhYWZ0YW5zdGFhZg==");
	free(b64);
	ck_assert_ptr_null(step_b64(s, "More?", 0));
	sasl_free(s);
}
END_TEST

START_TEST(new_errors)
{
	struct postie_err err;
	struct sasl *s;

	ck_assert_int_eq(sasl_new(&s, AUTH_CRAM_MD5, NULL, "tim", "x", &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "CRAM-MD5"));
	ck_assert_ptr_null(s);
	ck_assert_int_eq(sasl_new(&s, AUTH_PLAIN, NULL, NULL, "x", &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "user"));
	ck_assert_ptr_null(strstr(err.msg, "x"));
}
END_TEST

static const struct {
	enum conf_auth want;
	const char *offered;
	enum conf_auth chosen;
	int	 ex;
	const char *words;
} choose[] = {
	{ AUTH_ON, "LOGIN PLAIN", AUTH_PLAIN, 0, NULL },
	{ AUTH_ON, "PLAIN LOGIN", AUTH_PLAIN, 0, NULL },
	{ AUTH_ON, "login", AUTH_LOGIN, 0, NULL },
	{ AUTH_ON, "CRAM-MD5 LOGIN", AUTH_LOGIN, 0, NULL },
	{ AUTH_ON, "CRAM-MD5 GSSAPI", AUTH_OFF, EX_UNAVAILABLE,
	    "offered: CRAM-MD5 GSSAPI" },
	{ AUTH_ON, "", AUTH_OFF, EX_UNAVAILABLE, "offered: none" },
	{ AUTH_ON, "PLAINX", AUTH_OFF, EX_UNAVAILABLE, "offered: PLAINX" },
	{ AUTH_LOGIN, "PLAIN LOGIN", AUTH_LOGIN, 0, NULL },
	{ AUTH_PLAIN, "plain", AUTH_PLAIN, 0, NULL },
	{ AUTH_LOGIN, "PLAIN", AUTH_OFF, EX_UNAVAILABLE,
	    "does not offer AUTH LOGIN (offered: PLAIN)" },
	{ AUTH_CRAM_MD5, "CRAM-MD5", AUTH_OFF, EX_CONFIG,
	    "CRAM-MD5 is not supported" },
	{ AUTH_XOAUTH2, "XOAUTH2", AUTH_OFF, EX_CONFIG,
	    "XOAUTH2 is not supported" },
};

START_TEST(choose_table)
{
	struct postie_err err;
	enum conf_auth got = AUTH_OFF;
	int rv;

	err.ex = 0;
	rv = sasl_choose(choose[_i].want, choose[_i].offered, &got, &err);
	if (choose[_i].ex == 0) {
		ck_assert_int_eq(rv, 0);
		ck_assert_int_eq(got, choose[_i].chosen);
	} else {
		ck_assert_int_eq(rv, -1);
		ck_assert_int_eq(err.ex, choose[_i].ex);
		ck_assert_msg(strstr(err.msg, choose[_i].words) != NULL,
		    "\"%s\" lacks \"%s\"", err.msg, choose[_i].words);
	}
}
END_TEST

static const struct {
	const char *in;
	int	 ok;
	const char *out;
	size_t	 outlen;
} b64[] = {
	{ "", 1, "", 0 },
	{ "VXNlcm5hbWU6", 1, "Username:", 9 },
	{ "UGFzc3dvcmQ6", 1, "Password:", 9 },
	{ "YQ==", 1, "a", 1 },
	{ "YWI=", 1, "ab", 2 },
	{ "AHRpbQ==", 1, "\0tim", 4 },
	{ "YQ=", 0, NULL, 0 },
	{ "YQ", 0, NULL, 0 },
	{ "Y===", 0, NULL, 0 },
	{ "YQ=a", 0, NULL, 0 },
	{ "=YQa", 0, NULL, 0 },
	{ "Y Q=", 0, NULL, 0 },
	{ "YQ==YQ==", 0, NULL, 0 },
	{ "Y*==", 0, NULL, 0 },
};

START_TEST(b64_decode)
{
	struct postie_err err;
	unsigned char *out;
	size_t outlen;

	if (b64[_i].ok) {
		ck_assert_int_eq(sasl_b64_decode(b64[_i].in,
		    strlen(b64[_i].in), &out, &outlen, &err), 0);
		ck_assert_uint_eq(outlen, b64[_i].outlen);
		ck_assert_int_eq(memcmp(out, b64[_i].out, outlen), 0);
		free(out);
	} else {
		ck_assert_int_eq(sasl_b64_decode(b64[_i].in,
		    strlen(b64[_i].in), &out, &outlen, &err), -1);
		ck_assert_int_eq(err.ex, EX_PROTOCOL);
		ck_assert_ptr_null(out);
	}
}
END_TEST

START_TEST(b64_encode)
{
	struct postie_err err;
	char *out;

	ck_assert_int_eq(sasl_b64_encode((const unsigned char *)"", 0, &out,
	    &err), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(sasl_b64_encode((const unsigned char *)"ab", 2,
	    &out, &err), 0);
	ck_assert_str_eq(out, "YWI=");
	free(out);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(sasl_mech_name(AUTH_SCRAM_SHA_256), "SCRAM-SHA-256");
	ck_assert_ptr_null(sasl_mech_name(AUTH_ON));
	ck_assert_int_eq(sasl_mech_supported(AUTH_PLAIN), 1);
	ck_assert_int_eq(sasl_mech_supported(AUTH_LOGIN), 1);
	ck_assert_int_eq(sasl_mech_supported(AUTH_EXTERNAL), 0);
	ck_assert_int_eq(sasl_offered("LOGIN  plain", "PLAIN"), 1);
	ck_assert_int_eq(sasl_offered("LOGINX", "LOGIN"), 0);
}
END_TEST

static Suite *
sasl_suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plain_rfc4616);
	tcase_add_test(tc, plain_raw_bytes);
	tcase_add_test(tc, login_steps);
	tcase_add_test(tc, new_errors);
	tcase_add_loop_test(tc, choose_table, 0,
	    (int)(sizeof(choose) / sizeof(choose[0])));
	tcase_add_loop_test(tc, b64_decode, 0,
	    (int)(sizeof(b64) / sizeof(b64[0])));
	tcase_add_test(tc, b64_encode);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sasl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

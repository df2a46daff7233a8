/* SPDX-License-Identifier: ISC */
/*
 * Tests for sasl.c: every mechanism's responses byte for byte against the
 * published examples (RFC 4616, RFC 2195, RFC 5802 5, RFC 7677 3, RFC
 * 7628 4.1, Google's XOAUTH2 page), SCRAM's checks of the server,
 * choosing a mechanism from what the server offers, and strict base64.
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

/* RFC 4954 4: only one-round mechanisms may lead a pipelined group. */
static const struct {
	const char *mech;
	int	 one_round;
} one_rounds[] = {
	{ "PLAIN", 1 }, { "EXTERNAL", 1 }, { "LOGIN", 0 }, { "CRAM-MD5", 0 },
	{ "XOAUTH2", 0 }, { "OAUTHBEARER", 0 }, { "SCRAM-SHA-256", 0 },
	{ "SCRAM-SHA-1", 0 },
};

START_TEST(one_round)
{
	struct postie_err err;
	struct sasl *s;

	ck_assert_msg(sasl_new(&s, one_rounds[_i].mech, NULL, "tim",
	    "tanstaaftanstaaf", &err) == 0, "%s", err.msg);
	ck_assert_msg(sasl_one_round(s) == one_rounds[_i].one_round, "%s",
	    one_rounds[_i].mech);
	sasl_free(s);
}
END_TEST

START_TEST(plain_rfc4616)
{
	struct postie_err err;
	struct sasl *s;
	char *b64;

	ck_assert_int_eq(sasl_new(&s, "PLAIN", NULL, "tim",
	    "tanstaaftanstaaf", &err), 0);
	ck_assert_int_eq(sasl_has_initial(s), 1);
	b64 = step_b64(s, NULL, 1);
	ck_assert_str_eq(b64, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	free(b64);
	/* Nothing more to say to a further challenge. */
	ck_assert_ptr_null(step_b64(s, "", 0));
	sasl_free(s);

	ck_assert_int_eq(sasl_new(&s, "PLAIN", "", "tim",
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

	ck_assert_int_eq(sasl_new(&s, "PLAIN", "admin", "tim", "secret",
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

	ck_assert_int_eq(sasl_new(&s, "LOGIN", NULL, "tim",
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

/* Run one step on a raw challenge; the raw response (caller frees). */
static unsigned char *
step_raw(struct sasl *s, const char *chal, size_t *lenp, int want_rv,
    struct postie_err *err)
{
	unsigned char *raw;
	int rv;

	rv = sasl_step(s, (const unsigned char *)chal,
	    chal != NULL ? strlen(chal) : 0, &raw, lenp, err);
	ck_assert_msg(rv == want_rv, "step returned %d (%s)", rv, err->msg);
	return raw;
}

START_TEST(new_errors)
{
	struct postie_err err;
	struct sasl *s;

	ck_assert_int_eq(sasl_new(&s, "GSSAPI", NULL, "tim", "x", &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "GSSAPI"));
	ck_assert_ptr_null(s);
	ck_assert_int_eq(sasl_new(&s, "PLAIN", NULL, NULL, "x", &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "user"));
	ck_assert_ptr_null(strstr(err.msg, "x"));
	/* No SASLprep: non-ASCII or control characters are refused. */
	ck_assert_int_eq(sasl_new(&s, "SCRAM-SHA-256", NULL, "user",
	    "p\xc3\xa4ss", &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "SASLprep"));
	ck_assert_ptr_null(strstr(err.msg, "p\xc3\xa4ss"));
	ck_assert_int_eq(sasl_new(&s, "SCRAM-SHA-1", NULL, "us\xc3\xa9r",
	    "pencil", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "user name"));
	ck_assert_int_eq(sasl_new(&s, "SCRAM-SHA-1", NULL, "user",
	    "pen\tcil", &err), -1);
	/* PLAIN carries any byte. */
	ck_assert_int_eq(sasl_new(&s, "PLAIN", NULL, "user", "p\xc3\xa4ss",
	    &err), 0);
	sasl_free(s);
	/* A token with a space or an empty one: passwordeval printed junk. */
	ck_assert_int_eq(sasl_new(&s, "XOAUTH2", NULL, "user",
	    "ya29 x", &err), -1);
	ck_assert_int_eq(err.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "access token"));
	ck_assert_int_eq(sasl_new(&s, "OAUTHBEARER", NULL, "user", "",
	    &err), -1);
	/* EXTERNAL needs no user and no secret. */
	ck_assert_int_eq(sasl_new(&s, "EXTERNAL", NULL, NULL, NULL, &err), 0);
	sasl_free(s);
}
END_TEST

/* RFC 2195 2: the example exchange. */
START_TEST(cram_md5_rfc2195)
{
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	size_t len;

	ck_assert_int_eq(sasl_new(&s, "CRAM-MD5", NULL, "tim",
	    "tanstaaftanstaaf", &err), 0);
	ck_assert_int_eq(sasl_has_initial(s), 0);
	raw = step_raw(s, "<1896.697170952@postoffice.reston.mci.net>", &len,
	    1, &err);
	ck_assert_str_eq((char *)raw, "tim b913a602c7eda7a495b4e6e7334d3890");
	ck_assert_uint_eq(len, strlen((char *)raw));
	sasl_wipe_free(raw, len);
	ck_assert_ptr_null(step_raw(s, "again", &len, 0, &err));
	ck_assert_int_eq(sasl_complete(s), 1);
	sasl_free(s);
}
END_TEST

/* The published SCRAM exchanges, the client nonce injected. */
static const struct {
	const char *mech;
	const char *nonce;
	const char *client_first;
	const char *server_first;
	const char *client_final;
	const char *server_final;
} scram[] = {
	/* RFC 5802 5 */
	{ "SCRAM-SHA-1", "fyko+d2lbbFgONRv9qkxdawL",
	  "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
	  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	  "s=QSXCR+Q6sek8bf92,i=4096",
	  "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	  "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	/* RFC 7677 3 */
	{ "SCRAM-SHA-256", "rOprNGfwEbeRWgbNEkqO",
	  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
	  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
};

static struct sasl *
scram_start(int i, struct postie_err *err)
{
	unsigned char *raw;
	struct sasl *s;
	size_t len;

	ck_assert_int_eq(sasl_new(&s, scram[i].mech, NULL, "user", "pencil",
	    err), 0);
	ck_assert_int_eq(sasl_set_nonce(s, scram[i].nonce, err), 0);
	ck_assert_int_eq(sasl_has_initial(s), 1);
	raw = step_raw(s, NULL, &len, 1, err);
	ck_assert_str_eq((char *)raw, scram[i].client_first);
	sasl_wipe_free(raw, len);
	return s;
}

START_TEST(scram_vectors)
{
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	size_t len;

	s = scram_start(_i, &err);
	raw = step_raw(s, scram[_i].server_first, &len, 1, &err);
	ck_assert_str_eq((char *)raw, scram[_i].client_final);
	sasl_wipe_free(raw, len);
	ck_assert_int_eq(sasl_complete(s), 0);
	/* The server signature checks out: an empty response. */
	raw = step_raw(s, scram[_i].server_final, &len, 1, &err);
	ck_assert_uint_eq(len, 0);
	sasl_wipe_free(raw, len);
	ck_assert_int_eq(sasl_complete(s), 1);
	ck_assert_ptr_null(step_raw(s, "", &len, 0, &err));
	sasl_free(s);
}
END_TEST

START_TEST(scram_bad_signature)
{
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	char bad[128];
	size_t len;

	s = scram_start(_i, &err);
	raw = step_raw(s, scram[_i].server_first, &len, 1, &err);
	sasl_wipe_free(raw, len);
	/* One character of the signature changed. */
	strlcpy(bad, scram[_i].server_final, sizeof(bad));
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	ck_assert_ptr_null(step_raw(s, bad, &len, -1, &err));
	ck_assert_int_eq(err.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong server signature"));
	ck_assert_int_eq(sasl_complete(s), 0);
	sasl_free(s);
}
END_TEST

/* Server messages the client must refuse at each step. */
static const struct {
	const char *server_first;	/* for SCRAM-SHA-1 (RFC 5802 5) */
	const char *server_final;	/* NULL: refused at the first */
	int	 ex;
	const char *words;
} scram_refusals[] = {
	{ "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", NULL,
	    EX_PROTOCOL, "does not extend ours" },
	{ "r=other3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", NULL,
	    EX_PROTOCOL, "does not extend ours" },
	{ "r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92", NULL,
	    EX_PROTOCOL, "no iteration count" },
	{ "r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=0", NULL,
	    EX_PROTOCOL, "bad iteration count" },
	{ "r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=99999999",
	    NULL, EX_PROTOCOL, "99999999 iterations" },
	{ "r=fyko+d2lbbFgONRv9qkxdawLxyz,i=4096", NULL, EX_PROTOCOL,
	    "no salt" },
	{ "r=fyko+d2lbbFgONRv9qkxdawLxyz,s=#,i=4096", NULL, EX_PROTOCOL,
	    "bad salt" },
	{ "m=ext,r=fyko+d2lbbFgONRv9qkxdawLxyz,s=QSXCR+Q6sek8bf92,i=4096",
	    NULL, EX_PROTOCOL, "mandatory extension" },
	{ "e=unknown-user", NULL, EX_NOPERM, "refused: unknown-user" },
	{ "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	  "s=QSXCR+Q6sek8bf92,i=4096", "e=invalid-proof", EX_NOPERM,
	  "the server refused: invalid-proof" },
	{ "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	  "s=QSXCR+Q6sek8bf92,i=4096", "x=1", EX_PROTOCOL,
	  "no server signature" },
	{ "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	  "s=QSXCR+Q6sek8bf92,i=4096", "v=AAAA", EX_NOPERM,
	  "wrong server signature" },
};

START_TEST(scram_refused)
{
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	size_t len;

	s = scram_start(0, &err);
	err.ex = 0;
	if (scram_refusals[_i].server_final == NULL)
		raw = step_raw(s, scram_refusals[_i].server_first, &len, -1,
		    &err);
	else {
		raw = step_raw(s, scram_refusals[_i].server_first, &len, 1,
		    &err);
		sasl_wipe_free(raw, len);
		raw = step_raw(s, scram_refusals[_i].server_final, &len, -1,
		    &err);
	}
	ck_assert_ptr_null(raw);
	ck_assert_int_eq(err.ex, scram_refusals[_i].ex);
	ck_assert_msg(strstr(err.msg, scram_refusals[_i].words) != NULL,
	    "\"%s\" lacks \"%s\"", err.msg, scram_refusals[_i].words);
	ck_assert_ptr_null(strstr(err.msg, "pencil"));
	sasl_free(s);
}
END_TEST

/*
 * Channel binding: -PLUS names the type and sends the data in c=;
 * SCRAM-SHA-256 with data at hand says "y" (RFC 5802 6).
 */
START_TEST(scram_channel_binding)
{
	static const unsigned char cb[4] = { 0xde, 0xad, 0xbe, 0xef };
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	char *b64;
	size_t len;

	ck_assert_int_eq(sasl_new(&s, "SCRAM-SHA-256-PLUS", NULL, "a,b=c",
	    "pencil", &err), 0);
	ck_assert_int_eq(sasl_set_cbind(s, "tls-exporter", cb, sizeof(cb),
	    &err), 0);
	ck_assert_int_eq(sasl_set_nonce(s, "abc", &err), 0);
	raw = step_raw(s, NULL, &len, 1, &err);
	/* The user name is escaped (RFC 5802 5.1). */
	ck_assert_str_eq((char *)raw, "p=tls-exporter,,n=a=2Cb=3Dc,r=abc");
	sasl_wipe_free(raw, len);
	raw = step_raw(s, "r=abcdef,s=QSXCR+Q6sek8bf92,i=1", &len, 1, &err);
	/* c= is base64 of "p=tls-exporter,," and the four bytes. */
	ck_assert_int_eq(sasl_b64_encode((const unsigned char *)
	    "p=tls-exporter,,\xde\xad\xbe\xef", 20, &b64, &err), 0);
	ck_assert_int_eq(strncmp((char *)raw, "c=", 2), 0);
	ck_assert_int_eq(strncmp((char *)raw + 2, b64, strlen(b64)), 0);
	ck_assert_int_eq(strncmp((char *)raw + 2 + strlen(b64), ",r=abcdef,p=",
	    12), 0);
	free(b64);
	sasl_wipe_free(raw, len);
	sasl_free(s);

	ck_assert_int_eq(sasl_new(&s, "SCRAM-SHA-256", NULL, "user",
	    "pencil", &err), 0);
	ck_assert_int_eq(sasl_set_cbind(s, "tls-unique", cb, sizeof(cb),
	    &err), 0);
	ck_assert_int_eq(sasl_set_nonce(s, "abc", &err), 0);
	raw = step_raw(s, NULL, &len, 1, &err);
	ck_assert_str_eq((char *)raw, "y,,n=user,r=abc");
	sasl_wipe_free(raw, len);
	raw = step_raw(s, "r=abcdef,s=QSXCR+Q6sek8bf92,i=1", &len, 1, &err);
	/* "eSws" is base64 of "y,,"; the data itself is not sent. */
	ck_assert_int_eq(strncmp((char *)raw, "c=eSws,r=abcdef,p=", 18), 0);
	sasl_wipe_free(raw, len);
	sasl_free(s);

	/* -PLUS without data is a bug of the caller. */
	ck_assert_int_eq(sasl_new(&s, "SCRAM-SHA-256-PLUS", NULL, "user",
	    "pencil", &err), 0);
	ck_assert_ptr_null(step_raw(s, NULL, &len, -1, &err));
	ck_assert_int_eq(err.ex, EX_SOFTWARE);
	sasl_free(s);
}
END_TEST

START_TEST(scram_random_nonce)
{
	struct postie_err err;
	unsigned char *raw1, *raw2;
	struct sasl *s1, *s2;
	size_t len1, len2;

	ck_assert_int_eq(sasl_new(&s1, "SCRAM-SHA-1", NULL, "user", "pencil",
	    &err), 0);
	ck_assert_int_eq(sasl_new(&s2, "SCRAM-SHA-1", NULL, "user", "pencil",
	    &err), 0);
	raw1 = step_raw(s1, NULL, &len1, 1, &err);
	raw2 = step_raw(s2, NULL, &len2, 1, &err);
	/* "n,,n=user,r=" and 24 base64 characters, different each time. */
	ck_assert_uint_eq(len1, 12 + 24);
	ck_assert_int_eq(strncmp((char *)raw1, "n,,n=user,r=", 12), 0);
	ck_assert_int_ne(strcmp((char *)raw1, (char *)raw2), 0);
	ck_assert_ptr_null(strchr((char *)raw1 + 12, ','));
	sasl_wipe_free(raw1, len1);
	sasl_wipe_free(raw2, len2);
	sasl_free(s1);
	sasl_free(s2);
}
END_TEST

/* Google's XOAUTH2 documentation: the initial client response. */
START_TEST(xoauth2_initial)
{
	struct postie_err err;
	struct sasl *s;
	char *b64;

	ck_assert_int_eq(sasl_new(&s, "XOAUTH2", NULL, "someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", &err), 0);
	ck_assert_int_eq(sasl_has_initial(s), 1);
	ck_assert_int_eq(sasl_is_oauth(s), 1);
	b64 = step_b64(s, NULL, 1);
	ck_assert_str_eq(b64, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYX"
	    "JlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2"
	    "cBAQ==");
	free(b64);
	ck_assert_ptr_null(sasl_oauth_status(s));
	/* The error challenge gets an empty response; its status is kept. */
	b64 = step_b64(s, "{\"status\":\"400\",\"schemes\":\"Bearer\","
	    "\"scope\":\"https://mail.google.com/\"}", 1);
	ck_assert_str_eq(b64, "");
	free(b64);
	ck_assert_str_eq(sasl_oauth_status(s), "400");
	ck_assert_ptr_null(step_b64(s, "", 0));
	sasl_free(s);
}
END_TEST

/* RFC 7628 4.1: the initial client response; 4.3/3.2.3: the error. */
START_TEST(oauthbearer_rfc7628)
{
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	size_t len;
	char *b64;

	ck_assert_int_eq(sasl_new(&s, "OAUTHBEARER", NULL, "user@example.com",
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", &err), 0);
	ck_assert_int_eq(sasl_set_host(s, "server.example.com", 143, &err),
	    0);
	b64 = step_b64(s, NULL, 1);
	ck_assert_str_eq(b64, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLm"
	    "V4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52Yj"
	    "NSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
	free(b64);
	raw = step_raw(s, "{\"status\":\"invalid_token\",\"scope\":"
	    "\"example_scope\",\"openid-configuration\":"
	    "\"https://example.com/.well-known/openid-configuration\"}",
	    &len, 1, &err);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(raw[0], 0x01);
	sasl_wipe_free(raw, len);
	ck_assert_str_eq(sasl_oauth_status(s), "invalid_token");
	sasl_free(s);

	/* Without host, and an error that is not the JSON it should be. */
	ck_assert_int_eq(sasl_new(&s, "OAUTHBEARER", NULL, "u", "t", &err),
	    0);
	raw = step_raw(s, NULL, &len, 1, &err);
	ck_assert_uint_eq(len, 22);
	ck_assert_int_eq(memcmp(raw, "n,a=u,\001auth=Bearer t\001\001", 22),
	    0);
	sasl_wipe_free(raw, len);
	raw = step_raw(s, "go away\n", &len, 1, &err);
	sasl_wipe_free(raw, len);
	ck_assert_str_eq(sasl_oauth_status(s), "go away\\x0a");
	sasl_free(s);
}
END_TEST

START_TEST(external_initial)
{
	struct postie_err err;
	unsigned char *raw;
	struct sasl *s;
	size_t len;

	ck_assert_int_eq(sasl_new(&s, "EXTERNAL", NULL, NULL, NULL, &err), 0);
	raw = step_raw(s, NULL, &len, 1, &err);
	ck_assert_uint_eq(len, 0);
	sasl_wipe_free(raw, len);
	sasl_free(s);
	ck_assert_int_eq(sasl_new(&s, "external", NULL, "tim", NULL, &err), 0);
	ck_assert_str_eq(sasl_name(s), "EXTERNAL");
	raw = step_raw(s, NULL, &len, 1, &err);
	ck_assert_str_eq((char *)raw, "tim");
	sasl_wipe_free(raw, len);
	sasl_free(s);
}
END_TEST

static const struct {
	enum conf_auth want;
	const char *offered;
	int	 cbind;
	const char *chosen;
	int	 ex;
	const char *words;
} choose[] = {
	{ AUTH_ON, "LOGIN PLAIN", 0, "PLAIN", 0, NULL },
	{ AUTH_ON, "PLAIN LOGIN", 0, "PLAIN", 0, NULL },
	{ AUTH_ON, "login", 0, "LOGIN", 0, NULL },
	{ AUTH_ON, "CRAM-MD5 LOGIN PLAIN", 0, "CRAM-MD5", 0, NULL },
	{ AUTH_ON, "PLAIN SCRAM-SHA-1 CRAM-MD5", 0, "SCRAM-SHA-1", 0, NULL },
	{ AUTH_ON, "SCRAM-SHA-1 SCRAM-SHA-256 PLAIN", 0, "SCRAM-SHA-256", 0,
	    NULL },
	{ AUTH_ON, "SCRAM-SHA-256 SCRAM-SHA-256-PLUS", 0, "SCRAM-SHA-256", 0,
	    NULL },
	{ AUTH_ON, "SCRAM-SHA-256 SCRAM-SHA-256-PLUS", 1,
	    "SCRAM-SHA-256-PLUS", 0, NULL },
	{ AUTH_ON, "SCRAM-SHA-256-PLUS", 0, NULL, EX_UNAVAILABLE,
	    "offered: SCRAM-SHA-256-PLUS" },
	/* OAuth and EXTERNAL only when asked for. */
	{ AUTH_ON, "XOAUTH2 OAUTHBEARER EXTERNAL LOGIN", 0, "LOGIN", 0,
	    NULL },
	{ AUTH_ON, "XOAUTH2 OAUTHBEARER EXTERNAL GSSAPI", 0, NULL,
	    EX_UNAVAILABLE, "offered: XOAUTH2 OAUTHBEARER EXTERNAL GSSAPI" },
	/* An account with oauth2_provider: OAUTHBEARER, else XOAUTH2. */
	{ AUTH_OAUTH2, "XOAUTH2 PLAIN OAUTHBEARER", 0, "OAUTHBEARER", 0,
	    NULL },
	{ AUTH_OAUTH2, "PLAIN XOAUTH2", 0, "XOAUTH2", 0, NULL },
	{ AUTH_OAUTH2, "PLAIN LOGIN SCRAM-SHA-256", 0, NULL, EX_UNAVAILABLE,
	    "neither OAUTHBEARER nor XOAUTH2 (offered: PLAIN LOGIN "
	    "SCRAM-SHA-256)" },
	{ AUTH_ON, "", 0, NULL, EX_UNAVAILABLE, "offered: none" },
	{ AUTH_ON, "PLAINX", 0, NULL, EX_UNAVAILABLE, "offered: PLAINX" },
	{ AUTH_LOGIN, "PLAIN LOGIN", 0, "LOGIN", 0, NULL },
	{ AUTH_PLAIN, "plain", 0, "PLAIN", 0, NULL },
	{ AUTH_LOGIN, "PLAIN", 0, NULL, EX_UNAVAILABLE,
	    "does not offer AUTH LOGIN (offered: PLAIN)" },
	{ AUTH_CRAM_MD5, "PLAIN CRAM-MD5", 0, "CRAM-MD5", 0, NULL },
	{ AUTH_SCRAM_SHA_1, "SCRAM-SHA-256 SCRAM-SHA-1", 1, "SCRAM-SHA-1", 0,
	    NULL },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256-PLUS SCRAM-SHA-256", 1,
	    "SCRAM-SHA-256-PLUS", 0, NULL },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256-PLUS SCRAM-SHA-256", 0,
	    "SCRAM-SHA-256", 0, NULL },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256-PLUS", 0, NULL, EX_UNAVAILABLE,
	    "does not offer AUTH SCRAM-SHA-256" },
	{ AUTH_XOAUTH2, "PLAIN XOAUTH2", 0, "XOAUTH2", 0, NULL },
	{ AUTH_OAUTHBEARER, "OAUTHBEARER XOAUTH2", 0, "OAUTHBEARER", 0,
	    NULL },
	{ AUTH_OAUTHBEARER, "XOAUTH2", 0, NULL, EX_UNAVAILABLE,
	    "does not offer AUTH OAUTHBEARER (offered: XOAUTH2)" },
	{ AUTH_EXTERNAL, "PLAIN EXTERNAL", 0, "EXTERNAL", 0, NULL },
};

START_TEST(choose_table)
{
	struct postie_err err;
	const char *got = NULL;
	int rv;

	err.ex = 0;
	rv = sasl_choose(choose[_i].want, choose[_i].offered,
	    choose[_i].cbind, &got, &err);
	if (choose[_i].ex == 0) {
		ck_assert_int_eq(rv, 0);
		ck_assert_str_eq(got, choose[_i].chosen);
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
	ck_assert_int_eq(sasl_mech_supported(AUTH_EXTERNAL), 1);
	ck_assert_int_eq(sasl_mech_supported(AUTH_CRAM_MD5), 1);
	ck_assert_int_eq(sasl_mech_supported(AUTH_ON), 0);
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
	tcase_add_loop_test(tc, one_round, 0,
	    (int)(sizeof(one_rounds) / sizeof(one_rounds[0])));
	tcase_add_test(tc, plain_raw_bytes);
	tcase_add_test(tc, login_steps);
	tcase_add_test(tc, new_errors);
	tcase_add_test(tc, cram_md5_rfc2195);
	tcase_add_loop_test(tc, scram_vectors, 0,
	    (int)(sizeof(scram) / sizeof(scram[0])));
	tcase_add_loop_test(tc, scram_bad_signature, 0,
	    (int)(sizeof(scram) / sizeof(scram[0])));
	tcase_add_loop_test(tc, scram_refused, 0,
	    (int)(sizeof(scram_refusals) / sizeof(scram_refusals[0])));
	tcase_add_test(tc, scram_channel_binding);
	tcase_add_test(tc, scram_random_nonce);
	tcase_add_test(tc, xoauth2_initial);
	tcase_add_test(tc, oauthbearer_rfc7628);
	tcase_add_test(tc, external_initial);
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

/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/addr.c: the address-list parser (every address of
 * RFC 5322 Appendix A, modern and obsolete forms, garbage), envelope
 * checks against RFC 5321, and the list and qualification helpers.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "bounds.h"

#define MAXOUT	6

struct pcase {
	const char *in;
	const char *spec[MAXOUT];	/* expected specs, NULL-terminated */
	const char *display[MAXOUT];	/* expected display names; NULL */
};

static const struct pcase pcases[] = {
	/* RFC 5322 A.1.1 */
	{ "John Doe <jdoe@machine.example>",
	    { "jdoe@machine.example" }, { "John Doe" } },
	{ "Michael Jones <mjones@machine.example>",
	    { "mjones@machine.example" }, { "Michael Jones" } },
	{ "Mary Smith <mary@example.net>",
	    { "mary@example.net" }, { "Mary Smith" } },
	/* A.1.2 */
	{ "\"Joe Q. Public\" <john.q.public@example.com>",
	    { "john.q.public@example.com" }, { "\"Joe Q. Public\"" } },
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    { "mary@x.test", "jdoe@example.org", "one@y.test" },
	    { "Mary Smith", NULL, "Who?" } },
	{ "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	    "<sysservices@example.net>",
	    { "boss@nil.test", "sysservices@example.net" },
	    { NULL, "\"Giant; \\\"Big\\\" Box\"" } },
	/* A.1.3 */
	{ "Pete <pete@silly.example>",
	    { "pete@silly.example" }, { "Pete" } },
	{ "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	    { "c@a.test", "joe@where.test", "jdoe@one.test" },
	    { "Ed Jones", NULL, "John" } },
	{ "Undisclosed recipients:;", { NULL }, { NULL } },
	/* A.2 */
	{ "\"Mary Smith: Personal Account\" <smith@home.example>",
	    { "smith@home.example" }, { "\"Mary Smith: Personal Account\"" } },
	/* A.3 */
	{ "Jane Brown <j-brown@other.example>",
	    { "j-brown@other.example" }, { "Jane Brown" } },
	/* A.4 */
	{ "John Doe <jdoe@node.example>",
	    { "jdoe@node.example" }, { "John Doe" } },
	/* A.5 */
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    { "pete@silly.test" }, { "Pete" } },
	{ "A Group(Some people)\r\n     :Chris Jones "
	    "<c@(Chris's host.)public.example>,\r\n         joe@example.org,"
	    "\r\n  John <jdoe@one.test> (my dear friend); "
	    "(the end of the group)",
	    { "c@public.example", "joe@example.org", "jdoe@one.test" },
	    { "Chris Jones", NULL, "John" } },
	{ "(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;",
	    { NULL }, { NULL } },
	/* A.6.1 */
	{ "Joe Q. Public <john.q.public@example.com>",
	    { "john.q.public@example.com" }, { "Joe Q. Public" } },
	{ "Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
	    { "mary@example.net", "jdoe@test.example" },
	    { "Mary Smith", NULL } },
	/* A.6.3 */
	{ "John Doe <jdoe@machine(comment).  example>",
	    { "jdoe@machine.example" }, { "John Doe" } },
	{ "Mary Smith\r\n  \r\n          <mary@example.net>",
	    { "mary@example.net" }, { "Mary Smith" } },
	{ "<1234   @   local(blah)  .machine .example>",
	    { "1234@local.machine.example" }, { NULL } },

	/* Empty lists and bare local parts. */
	{ "", { NULL }, { NULL } },
	{ " \t ", { NULL }, { NULL } },
	{ "(only a comment)", { NULL }, { NULL } },
	{ "root", { "root" }, { NULL } },
	{ "root (cron daemon)", { "root" }, { NULL } },
	{ "root, postmaster", { "root", "postmaster" }, { NULL } },
	{ "<root>", { "root" }, { NULL } },
	{ "\"Root User\" <root>", { "root" }, { "\"Root User\"" } },
	/* Empty elements (obs-addr-list). */
	{ "a@b,,c@d", { "a@b", "c@d" }, { NULL } },
	{ ",a@b,", { "a@b" }, { NULL } },
	{ " , , ", { NULL }, { NULL } },
	/* Duplicates: domain without case, local part as written. */
	{ "a@b, A@b", { "a@b", "A@b" }, { NULL } },
	{ "a@b, a@B", { "a@b" }, { NULL } },
	{ "Alice <a@example.org>, Other <a@EXAMPLE.ORG>",
	    { "a@example.org" }, { "Alice" } },
	{ "a@b, root, a@b, root", { "a@b", "root" }, { NULL } },
	{ "\"a b\"@x, \"a  b\"@x", { "\"a b\"@x", "\"a  b\"@x" }, { NULL } },
	/* Quoted local parts, kept with their quotes. */
	{ "\"john doe\"@example.org", { "\"john doe\"@example.org" },
	    { NULL } },
	{ "\"john\\\"q\"@example.org", { "\"john\\\"q\"@example.org" },
	    { NULL } },
	{ "\"a@b\"@example.org", { "\"a@b\"@example.org" }, { NULL } },
	{ "\"john\".doe@example.org", { "\"john\".doe@example.org" },
	    { NULL } },
	{ "\"folded \r\n here\"@x", { "\"folded  here\"@x" }, { NULL } },
	/* Obsolete local part: CFWS around the dots. */
	{ "john . q . public@example.com", { "john.q.public@example.com" },
	    { NULL } },
	/* Domain literals. */
	{ "user@[192.0.2.1]", { "user@[192.0.2.1]" }, { NULL } },
	{ "user@[ 192.0.2.1 ]", { "user@[192.0.2.1]" }, { NULL } },
	{ "Host <user@[IPv6:2001:db8::1]>", { "user@[IPv6:2001:db8::1]" },
	    { "Host" } },
	/* Comments, nested, anywhere CFWS is allowed. */
	{ "a(x(y(z)))@b", { "a@b" }, { NULL } },
	{ "(c1)a(c2)@(c3)b(c4).(c5)c(c6)", { "a@b.c" }, { NULL } },
	{ "a@b (with \\(escaped\\) parens)", { "a@b" }, { NULL } },
	{ "<a@b>(trailing)", { "a@b" }, { NULL } },
	{ "Mary (the boss) Smith <m@x>", { "m@x" }, { "Mary Smith" } },
	/* Groups. */
	{ "x: a@b;, c@d", { "a@b", "c@d" }, { NULL } },
	{ "x: a@b, c@d;, y: e@f;", { "a@b", "c@d", "e@f" }, { NULL } },
	{ "undisclosed-recipients:;", { NULL }, { NULL } },
	{ "undisclosed-recipients:", { NULL }, { NULL } },
	{ "team: a@b", { "a@b" }, { NULL } },
	{ "x:;, root", { "root" }, { NULL } },
	{ "Group: (nobody) ;", { NULL }, { NULL } },
	{ "g: Ann <a@b>, , Bob <b@c>;", { "a@b", "b@c" }, { "Ann", "Bob" } },
	/* Obsolete routes are dropped. */
	{ "<@r1.example,@r2.example:user@example.org>",
	    { "user@example.org" }, { NULL } },
	{ "<,@r1.example,,@r2.example:user@example.org>",
	    { "user@example.org" }, { NULL } },
	/* Phrases: obs-phrase dots, encoded words left as text. */
	{ "Joe.Q.Public <j@example.com>", { "j@example.com" },
	    { "Joe.Q.Public" } },
	{ "=?utf-8?q?J=C3=B6rg?= <joerg@example.de>", { "joerg@example.de" },
	    { "=?utf-8?q?J=C3=B6rg?=" } },
	{ "=?utf-8?b?SsO2cmc=?= Smith <j@example.de>", { "j@example.de" },
	    { "=?utf-8?b?SsO2cmc=?= Smith" } },
	{ "\"\" <a@b>", { "a@b" }, { "\"\"" } },
	/* UTF-8 (RFC 6531, 6532). */
	{ "j\xc3\xb6rg@ex\xc3\xa4mple.de", { "j\xc3\xb6rg@ex\xc3\xa4mple.de" },
	    { NULL } },
	{ "J\xc3\xb6rg M\xc3\xbcller <j\xc3\xb6rg@example.de>",
	    { "j\xc3\xb6rg@example.de" }, { "J\xc3\xb6rg M\xc3\xbcller" } },
	{ "user@\xe4\xbe\x8b\xe3\x81\x88.jp",
	    { "user@\xe4\xbe\x8b\xe3\x81\x88.jp" }, { NULL } },
	/* White space and folding. */
	{ "a@b\r\n\t,c@d", { "a@b", "c@d" }, { NULL } },
	{ "a@b\n ,c@d", { "a@b", "c@d" }, { NULL } },
	{ "a@b\r\n", { "a@b" }, { NULL } },
	{ "Mary Smith <mary@x.test>\t,\tBob <bob@y.test>",
	    { "mary@x.test", "bob@y.test" }, { "Mary Smith", "Bob" } },
	{ "a . b . c @ d . e . f", { "a.b.c@d.e.f" }, { NULL } },
	/* Every atext character. */
	{ "!#$%&'*+-/=?^_`{|}~@example.org",
	    { "!#$%&'*+-/=?^_`{|}~@example.org" }, { NULL } },
	{ "user+tag@example.org, user+tag@Example.ORG",
	    { "user+tag@example.org" }, { NULL } },
};

START_TEST(test_parse)
{
	const struct pcase *c = &pcases[_i];
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	size_t n;

	if (addr_parse_list(c->in, strlen(c->in), &l, &e) != 0)
		ck_abort_msg("case %d \"%s\": %s", _i, c->in, e.msg);
	for (n = 0; n < MAXOUT && c->spec[n] != NULL; n++) {
		ck_assert_msg(n < l.n, "case %d: only %zu addresses", _i, l.n);
		ck_assert_str_eq(l.v[n].spec, c->spec[n]);
		if (c->display[n] == NULL)
			ck_assert_msg(l.v[n].display == NULL,
			    "case %d: display \"%s\"", _i, l.v[n].display);
		else {
			ck_assert_ptr_nonnull(l.v[n].display);
			ck_assert_str_eq(l.v[n].display, c->display[n]);
		}
	}
	ck_assert_msg(l.n == n, "case %d: %zu addresses, expected %zu", _i,
	    l.n, n);
	addr_list_free(&l);
}
END_TEST

struct ecase {
	const char *in;
	size_t	 len;		/* 0: strlen(in) */
	const char *what;
};

static const struct ecase ecases[] = {
	{ "<a@b", 0, "unbalanced '<'" },
	{ "Name <a@b", 0, "unbalanced '<'" },
	{ "a@b>", 0, "stray '>'" },
	{ ">", 0, "stray '>'" },
	{ "\"unterminated@b", 0, "unterminated quoted string" },
	{ "\"a\\", 0, "unterminated quoted string" },
	{ "a@b (unterminated", 0, "unterminated comment" },
	{ "a@b (x (y)", 0, "unterminated comment" },
	{ "@b", 0, "'@' with no local part" },
	{ "a@b, @c", 0, "'@' with no local part" },
	{ "a@", 0, "missing domain after '@'" },
	{ "a@, b@c", 0, "missing domain after '@'" },
	{ "a@\"quoted\"", 0, "missing domain after '@'" },
	{ "a@b c@d", 0, "missing ',' between addresses" },
	{ "John Doe", 0, "missing ',' between addresses" },
	{ "<a@b> <c@d>", 0, "missing ',' between addresses" },
	{ "x: a@b; y: c@d;", 0, "missing ',' between addresses" },
	{ "a@b\x01", 0, "control character" },
	{ "a\x7f@b", 0, "control character" },
	{ "a@b\0c", 5, "control character" },
	{ "\"a\x1b\"@b", 0, "control character" },
	{ "\"a\\\x01\"@b", 0, "control character" },
	{ "(a\x02)a@b", 0, "control character" },
	{ "a@b\r\nc@d", 0, "line break not followed by white space" },
	{ "a@b\rc", 0, "line break not followed by white space" },
	{ "a@b..c", 0, "bad domain" },
	{ "a@b.", 0, "bad domain" },
	{ "a..b@c", 0, "bad local part" },
	{ ".a@b", 0, "bad local part" },
	{ "a.", 0, "bad local part" },
	{ "<>", 0, "empty address '<>'" },
	{ "Name <>", 0, "empty address '<>'" },
	{ "x: y: a@b;;", 0, "group inside a group" },
	{ ": a@b;", 0, "group without a name" },
	{ "a@b;", 0, "';' outside a group" },
	{ "a@b)", 0, "unbalanced ')'" },
	{ "a@b]", 0, "unbalanced ']'" },
	{ "a@[1.2.3.4", 0, "unterminated domain literal" },
	{ "a@[1.[2]", 0, "bad domain literal" },
	{ "[1.2.3.4]", 0, "domain literal without '@'" },
	{ "<@route a@b>", 0, "bad route in '<>'" },
	{ "<a@b c>", 0, "bad address in '<>'" },
	{ "a\\b@c", 0, "backslash outside quotes" },
};

START_TEST(test_parse_garbage)
{
	const struct ecase *c = &ecases[_i];
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	size_t len = c->len ? c->len : strlen(c->in);
	char want[128];

	ck_assert_int_eq(addr_list_add(&l, "keep@example.org", &e), 0);
	ck_assert_msg(addr_parse_list(c->in, len, &l, &e) == -1,
	    "case %d accepted", _i);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	snprintf(want, sizeof(want), "bad address list: %s: ", c->what);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0,
	    "case %d: \"%s\", want \"%s\"", _i, e.msg, want);
	/* The list is left as it was. */
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].spec, "keep@example.org");
	addr_list_free(&l);
}
END_TEST

START_TEST(test_parse_message)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	const char *in = "ok@x, a@b\x01";
	char longin[200];

	ck_assert_int_eq(addr_parse_list(in, strlen(in), &l, &e), -1);
	/* The excerpt starts at the bad address and is sanitized. */
	ck_assert_str_eq(e.msg, "bad address list: control character: "
	    "a@b\\x01");
	memset(longin, 'x', sizeof(longin));
	memcpy(longin + sizeof(longin) - 4, "@@@@", 4);
	ck_assert_int_eq(addr_parse_list(longin, sizeof(longin), &l, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "..."));
	ck_assert_uint_lt(strlen(e.msg), 140);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_parse_appends)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	const char *in = "a@b, Carol <c@d>";

	ck_assert_int_eq(addr_list_add(&l, "a@B", &e), 0);
	ck_assert_int_eq(addr_parse_list(in, strlen(in), &l, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].spec, "a@B");
	ck_assert_str_eq(l.v[1].spec, "c@d");
	ck_assert_str_eq(l.v[1].display, "Carol");
	/* Only len bytes are read. */
	ck_assert_int_eq(addr_parse_list("e@f, garbage<", 3, &l, &e), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[2].spec, "e@f");
	addr_list_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
}
END_TEST

START_TEST(test_list_helpers)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	char name[32];
	int i;

	ck_assert_int_eq(addr_list_add(&l, "User@Example.ORG", &e), 0);
	ck_assert_int_eq(addr_list_add_named(&l, "User@example.org", "U",
	    &e), 0);
	ck_assert_int_eq(addr_list_add_named(&l, "root", "Root", &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_ptr_null(l.v[0].display);
	ck_assert_str_eq(l.v[1].display, "Root");
	ck_assert_int_eq(addr_list_contains(&l, "User@example.org"), 1);
	ck_assert_int_eq(addr_list_contains(&l, "user@example.org"), 0);
	ck_assert_int_eq(addr_list_contains(&l, "root"), 1);
	ck_assert_int_eq(addr_list_contains(&l, "Root"), 0);
	/* A quoted "@" is not the separator. */
	ck_assert_int_eq(addr_list_add(&l, "\"a@B\"@x", &e), 0);
	ck_assert_int_eq(addr_list_contains(&l, "\"a@b\"@x"), 0);
	ck_assert_int_eq(addr_list_contains(&l, "\"a@B\"@X"), 1);
	/* Growth keeps every entry. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "u%d@example.org", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
	}
	ck_assert_uint_eq(l.n, 103);
	ck_assert_str_eq(l.v[102].spec, "u99@example.org");
	addr_list_free(&l);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

struct eqcase {
	const char *a;
	const char *b;
	int	 same;
	int	 parses;	/* "<a>, <b>" is a valid address list */
};

static const struct eqcase eqcases[] = {
	/* The domain without case, the local part as written. */
	{ "User@Example.ORG", "User@example.org", 1, 1 },
	{ "a@EXAMPLE.org", "a@example.ORG", 1, 1 },
	{ "User@example.org", "user@example.org", 0, 1 },
	{ "a@example.org", "ab@example.org", 0, 1 },
	{ "a@example.org", "a@example.org.", 0, 0 },
	/* Only ASCII letters are folded. */
	{ "a@\xc3\x84.example", "a@\xc3\xa4.example", 0, 1 },
	{ "a@[1.2.3.4]", "a@[1.2.3.4]", 1, 1 },
	{ "a@[IPv6:::1]", "a@[ipv6:::1]", 1, 1 },
	/* Bare names: as written, and never the same as a qualified one. */
	{ "root", "root", 1, 1 },
	{ "root", "Root", 0, 1 },
	{ "root", "root@example.org", 0, 1 },
	{ "a@", "a@", 1, 0 },
	{ "a@", "a", 0, 0 },
	{ "", "", 1, 0 },
	/* A quoted "@" is not the separator; the local part keeps case. */
	{ "\"a@B\"@x", "\"a@B\"@X", 1, 1 },
	{ "\"a@B\"@x", "\"a@b\"@x", 0, 1 },
	{ "\"A B\"@x.test", "\"A B\"@X.TEST", 1, 1 },
	{ "\"A B\"@x.test", "\"a b\"@x.test", 0, 1 },
	{ "\"a\\\"@\"@x", "\"a\\\"@\"@X", 1, 1 },
	{ "\"a\\\"@\"@x", "\"a\\\"@\"@y", 0, 1 },
	/* A quoted spec with no "@" outside the quotes is bare. */
	{ "\"a@B\"", "\"a@B\"", 1, 1 },
	{ "\"a@B\"", "\"a@b\"", 0, 1 },
	/* What follows the first "@" is the domain, all of it. */
	{ "a@b@C", "a@B@c", 1, 0 },
	{ "a@b@C", "A@b@C", 0, 0 },
};

/*
 * Each rule through the index: b is looked up and added among enough
 * other entries for the table to have grown several times.
 */
START_TEST(test_list_equal)
{
	const struct eqcase *c = &eqcases[_i];
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	char name[32], in[128];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%d@example.net", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
		if (i == 25)
			ck_assert_int_eq(addr_list_add(&l, c->a, &e), 0);
	}
	ck_assert_uint_eq(l.n, 51);
	ck_assert_int_eq(addr_list_contains(&l, c->a), 1);
	ck_assert_msg(addr_list_contains(&l, c->b) == c->same,
	    "case %d: <%s> and <%s>", _i, c->a, c->b);
	ck_assert_int_eq(addr_list_add_named(&l, c->b, "B", &e), 0);
	ck_assert_uint_eq(l.n, c->same ? 51 : 52);
	/* The first one written is kept. */
	ck_assert_str_eq(l.v[26].spec, c->a);
	ck_assert_ptr_null(l.v[26].display);
	addr_list_free(&l);
	/* The same through the parser, into a list and within one. */
	if (!c->parses)
		return;
	snprintf(in, sizeof(in), "<%s>", c->a);
	ck_assert_int_eq(addr_parse_list(in, strlen(in), &l, &e), 0);
	snprintf(in, sizeof(in), "<%s>", c->b);
	ck_assert_int_eq(addr_parse_list(in, strlen(in), &l, &e), 0);
	ck_assert_uint_eq(l.n, c->same ? 1 : 2);
	addr_list_free(&l);
	snprintf(in, sizeof(in), "<%s>, <%s>", c->a, c->b);
	ck_assert_msg(addr_parse_list(in, strlen(in), &l, &e) == 0,
	    "case %d: %s", _i, e.msg);
	ck_assert_uint_eq(l.n, c->same ? 1 : 2);
	addr_list_free(&l);
}
END_TEST

/* 20,000 additions, half of them again with the domain in upper case. */
START_TEST(test_list_many)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	char name[32];
	int i;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), i < 10000 ? "u%d@example.org" :
		    "u%d@EXAMPLE.ORG", i % 10000);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
	}
	ck_assert_uint_eq(l.n, 10000);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "u%d@example.org", i);
		ck_assert_str_eq(l.v[i].spec, name);
		snprintf(name, sizeof(name), "u%d@Example.Org", i);
		ck_assert_int_eq(addr_list_contains(&l, name), 1);
		snprintf(name, sizeof(name), "U%d@example.org", i);
		ck_assert_int_eq(addr_list_contains(&l, name), 0);
		snprintf(name, sizeof(name), "u%d", i);
		ck_assert_int_eq(addr_list_contains(&l, name), 0);
	}
	for (i = 10000; i < 10100; i++) {
		snprintf(name, sizeof(name), "u%d@example.org", i);
		ck_assert_int_eq(addr_list_contains(&l, name), 0);
	}
	/* Bare names next to them: the same name once, another case apart. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
		snprintf(name, sizeof(name), "U%d", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
	}
	ck_assert_uint_eq(l.n, 20000);
	ck_assert_int_eq(addr_list_contains(&l, "u4999"), 1);
	ck_assert_int_eq(addr_list_contains(&l, "U4999"), 1);
	ck_assert_int_eq(addr_list_contains(&l, "u5000"), 0);
	addr_list_free(&l);
}
END_TEST

/* Every entry stays findable across each growth of the table. */
START_TEST(test_list_growth)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	char name[32], in[8192];
	size_t len = 0, j;
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "g%d@Example.net", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
		ck_assert_uint_eq(l.n, (size_t)i + 1);
		ck_assert_uint_ge(l.cap, l.n);
		for (j = 0; j <= (size_t)i; j++) {
			snprintf(name, sizeof(name), "g%zu@example.NET", j);
			ck_assert_msg(addr_list_contains(&l, name),
			    "<%s> lost at %zu entries", name, l.n);
		}
		snprintf(name, sizeof(name), "g%d@example.net", i + 1);
		ck_assert_int_eq(addr_list_contains(&l, name), 0);
	}
	addr_list_free(&l);
	/*
	 * The parser reserves room for a whole list at once, then merges:
	 * 7 entries, then 200 more of which 7 are the same.
	 */
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "p%d@x.test", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
	}
	for (i = 0; i < 200; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len,
		    "%sp%d@X.test", i > 0 ? ", " : "", i);
	ck_assert_int_eq(addr_parse_list(in, len, &l, &e), 0);
	ck_assert_uint_eq(l.n, 200);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "p%d@x.TEST", i);
		ck_assert_int_eq(addr_list_contains(&l, name), 1);
	}
	ck_assert_str_eq(l.v[6].spec, "p6@x.test");
	ck_assert_str_eq(l.v[7].spec, "p7@X.test");
	ck_assert_int_eq(addr_list_contains(&l, "p200@x.test"), 0);
	addr_list_free(&l);
}
END_TEST

START_TEST(test_list_zero)
{
	struct addr_list l;
	struct postie_err e = { 0, "" };

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(addr_list_contains(&l, "a@b"), 0);
	ck_assert_int_eq(addr_list_contains(&l, ""), 0);
	addr_list_free(&l);
	ck_assert_int_eq(addr_parse_list("", 0, &l, &e), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(addr_list_contains(&l, "a@b"), 0);
	ck_assert_int_eq(addr_list_add(&l, "a@b", &e), 0);
	ck_assert_int_eq(addr_list_contains(&l, "a@B"), 1);
	/* Freed, it is empty again and can be used again. */
	addr_list_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(l.cap, 0);
	ck_assert_ptr_null(l.v);
	ck_assert_int_eq(addr_list_contains(&l, "a@b"), 0);
	ck_assert_int_eq(addr_parse_list("c@d, a@b", 8, &l, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(addr_list_contains(&l, "a@b"), 1);
	ck_assert_int_eq(addr_list_contains(&l, "c@D"), 1);
	addr_list_free(&l);
}
END_TEST

struct envcase {
	const char *spec;
	int	 allow_empty;
	const char *what;	/* NULL: accepted */
};

static char local64[BOUND_LOCALPART + 1 + 12];
static char local65[BOUND_LOCALPART + 2 + 12];
static char dom255[2 + BOUND_DOMAIN + 1];
static char dom256[2 + BOUND_DOMAIN + 2];
static char path254[BOUND_PATH];
static char path255[BOUND_PATH + 1];

static void
fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

static void
envcase_setup(void)
{
	fill(local64, BOUND_LOCALPART, 'l');
	strlcat(local64, "@example.org", sizeof(local64));
	fill(local65, BOUND_LOCALPART + 1, 'l');
	strlcat(local65, "@example.org", sizeof(local65));
	/* Domains of 255 and 256 octets in labels of 63 and dots. */
	strlcpy(dom255, "a@", sizeof(dom255));
	fill(dom255 + 2, BOUND_DOMAIN, 'd');
	dom255[2 + 63] = dom255[2 + 127] = dom255[2 + 191] = '.';
	strlcpy(dom256, dom255, sizeof(dom256));
	strlcat(dom256, "d", sizeof(dom256));
	/* Whole addresses of 254 (the most a 256-octet path holds) and 255. */
	fill(path254, BOUND_LOCALPART, 'p');
	path254[BOUND_LOCALPART] = '@';
	fill(path254 + BOUND_LOCALPART + 1, BOUND_PATH - 2 -
	    BOUND_LOCALPART - 1, 'q');
	strlcpy(path255, path254, sizeof(path255));
	strlcat(path255, "q", sizeof(path255));
}

static const struct envcase envcases[] = {
	{ "user@example.org", 0, NULL },
	{ "root", 0, NULL },
	{ "", 1, NULL },
	{ "", 0, "empty address" },
	{ local64, 0, NULL },
	{ local65, 0, "local part longer than 64 octets" },
	{ dom255, 0, "path longer than 256 octets" },
	{ dom256, 0, "domain longer than 255 octets" },
	{ path254, 0, NULL },
	{ path255, 0, "path longer than 256 octets" },
	{ "a b@c", 0, "space outside a quoted local part" },
	{ "a@b c", 0, "space outside a quoted local part" },
	{ "\"a b\"@c", 0, NULL },
	{ "\"a<b>c\"@d", 0, NULL },
	{ "\"a\\\"b\"@c", 0, NULL },
	{ "<a@b>", 0, "'<' or '>' outside a quoted local part" },
	{ "a>@b", 0, "'<' or '>' outside a quoted local part" },
	{ "a@b<", 0, "'<' or '>' outside a quoted local part" },
	{ "a\r@b", 0, "line break in address" },
	{ "a@b\n", 0, "line break in address" },
	{ "\"a\r\n b\"@c", 0, "line break in address" },
	{ "\"a\\\n\"@c", 0, "line break in address" },
	{ "a\x01@b", 0, "control character" },
	{ "a\x7f@b", 0, "control character" },
	{ "a\t@b", 0, "control character" },
	{ "\"a\x01\"@b", 0, "control character" },
	{ "@b", 0, "empty local part" },
	{ "a@", 0, "empty domain" },
	{ "\"a@b", 0, "unterminated quoted string" },
	{ "\"a\\", 0, "unterminated quoted string" },
	{ "j\xc3\xb6rg@ex\xc3\xa4mple.de", 0, NULL },
	{ "user@[192.0.2.1]", 0, NULL },
	{ "a\xff@b", 0, "invalid UTF-8" },
	{ "a\xc3@b", 0, "invalid UTF-8" },
	{ "\xc0\xaf@b", 0, "invalid UTF-8" },
	{ "\xed\xa0\x80@b", 0, "invalid UTF-8" },
	{ "\xf4\x90\x80\x80@b", 0, "invalid UTF-8" },
};

START_TEST(test_envelope)
{
	const struct envcase *c = &envcases[_i];
	struct postie_err e = { 0, "" };
	int r;

	r = addr_check_envelope(c->spec, c->allow_empty, &e);
	if (c->what == NULL) {
		ck_assert_msg(r == 0, "case %d refused: %s", _i, e.msg);
		return;
	}
	ck_assert_msg(r == -1, "case %d accepted", _i);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_msg(strncmp(e.msg, "bad address <", 13) == 0, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, c->what) != NULL,
	    "case %d: \"%s\" lacks \"%s\"", _i, e.msg, c->what);
}
END_TEST

START_TEST(test_envelope_message)
{
	struct postie_err e = { 0, "" };

	ck_assert_int_eq(addr_check_envelope("ev\x01l@x", 0, &e), -1);
	ck_assert_str_eq(e.msg, "bad address <ev\\x01l@x>: control character");
	ck_assert_int_eq(addr_check_envelope(NULL, 1, &e), 0);
	ck_assert_int_eq(addr_check_envelope(NULL, 0, &e), -1);
}
END_TEST

START_TEST(test_helpers)
{
	char *q;

	ck_assert_int_eq(addr_is_qualified("a@b"), 1);
	ck_assert_int_eq(addr_is_qualified("a"), 0);
	ck_assert_int_eq(addr_is_qualified(""), 0);
	ck_assert_int_eq(addr_is_qualified("a@"), 0);
	ck_assert_int_eq(addr_is_qualified("\"a@b\""), 0);
	ck_assert_int_eq(addr_is_qualified("\"a@b\"@c"), 1);
	ck_assert_int_eq(addr_is_qualified("\"a\\\"@b\""), 0);

	ck_assert_int_eq(addr_needs_utf8("user@example.org"), 0);
	ck_assert_int_eq(addr_needs_utf8("j\xc3\xb6rg@x"), 1);
	ck_assert_int_eq(addr_needs_utf8("a@ex\xc3\xa4mple"), 1);
	ck_assert_int_eq(addr_needs_utf8(""), 0);

	q = addr_qualify("root", "example.org");
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q, "root@example.org");
	free(q);
	q = addr_qualify("\"a b\"", "x");
	ck_assert_str_eq(q, "\"a b\"@x");
	free(q);

	ck_assert_int_eq(addr_has_crlf("abc", 3), 0);
	ck_assert_int_eq(addr_has_crlf("a\rb", 3), 1);
	ck_assert_int_eq(addr_has_crlf("a\nb", 3), 1);
	ck_assert_int_eq(addr_has_crlf("a\0b", 3), 1);
	ck_assert_int_eq(addr_has_crlf("abc\r", 3), 0);
	ck_assert_int_eq(addr_has_crlf("", 0), 0);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("parse");
	TCase *te = tcase_create("envelope");

	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(pcases) / sizeof(pcases[0]));
	tcase_add_loop_test(tc, test_parse_garbage, 0,
	    sizeof(ecases) / sizeof(ecases[0]));
	tcase_add_test(tc, test_parse_message);
	tcase_add_test(tc, test_parse_appends);
	tcase_add_test(tc, test_list_helpers);
	tcase_add_loop_test(tc, test_list_equal, 0,
	    sizeof(eqcases) / sizeof(eqcases[0]));
	tcase_add_test(tc, test_list_many);
	tcase_add_test(tc, test_list_growth);
	tcase_add_test(tc, test_list_zero);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(te, envcase_setup, NULL);
	tcase_add_loop_test(te, test_envelope, 0,
	    sizeof(envcases) / sizeof(envcases[0]));
	tcase_add_test(te, test_envelope_message);
	tcase_add_test(te, test_helpers);
	suite_add_tcase(s, te);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/aliases.c: parsing through fmemopen, expansion of
 * recipient lists, errors with their line numbers, and the permission
 * rule for root checked on temporary files.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "bounds.h"

#define FNAME	"test.aliases"

static struct aliases *
parse_len(const char *text, size_t len, struct postie_err *e)
{
	struct aliases *a = NULL;
	FILE *fp;
	int r;

	fp = fmemopen((void *)(uintptr_t)text, len, "r");
	ck_assert_ptr_nonnull(fp);
	r = aliases_parse(fp, FNAME, &a, e);
	fclose(fp);
	if (r == -1) {
		ck_assert_ptr_null(a);
		return NULL;
	}
	ck_assert_ptr_nonnull(a);
	return a;
}

static struct aliases *
parse_ok(const char *text)
{
	struct postie_err e = { 0, "" };
	struct aliases *a;

	a = parse_len(text, strlen(text), &e);
	ck_assert_msg(a != NULL, "refused: %s", e.msg);
	return a;
}

/* Assert that l holds exactly the specs in want (NULL-terminated). */
static void
assert_specs(const struct addr_list *l, const char *const *want)
{
	size_t n;

	ck_assert_ptr_nonnull(l);
	for (n = 0; want[n] != NULL; n++) {
		ck_assert_msg(n < l->n, "only %zu addresses", l->n);
		ck_assert_str_eq(l->v[n].spec, want[n]);
	}
	ck_assert_uint_eq(l->n, n);
}

START_TEST(test_parse_basic)
{
	struct aliases *a;
	const char *const want[] = { "admin@example.org", NULL };

	a = parse_ok("root: admin@example.org\n");
	assert_specs(aliases_lookup(a, "root"), want);
	assert_specs(aliases_lookup(a, "ROOT"), want);
	assert_specs(aliases_lookup(a, "Root"), want);
	ck_assert_ptr_null(aliases_lookup(a, "nobody"));
	ck_assert_ptr_null(aliases_lookup(a, "roo"));
	ck_assert_ptr_null(aliases_lookup(a, "default"));
	aliases_free(a);
}
END_TEST

START_TEST(test_parse_comments)
{
	struct aliases *a;
	const char *const root[] = { "a@x", NULL };
	const char *const ops[] = { "b@x", NULL };

	a = parse_ok("# the aliases\n\n   \n\t# indented comment\n"
	    "root: a@x\r\n#ops: c@x\nops : b@x\n");
	assert_specs(aliases_lookup(a, "root"), root);
	assert_specs(aliases_lookup(a, "ops"), ops);
	ck_assert_ptr_null(aliases_lookup(a, "#ops"));
	aliases_free(a);
}
END_TEST

START_TEST(test_parse_continuation)
{
	struct aliases *a;
	const char *const root[] = { "a@x", "b@x", "c@x", "d@x", NULL };
	const char *const other[] = { "e@x", NULL };

	/* With or without a comma at the end of the line before. */
	a = parse_ok("root: a@x,\n  b@x,\n\tc@x\n # note\n d@x\nother: e@x\n");
	assert_specs(aliases_lookup(a, "root"), root);
	assert_specs(aliases_lookup(a, "other"), other);
	aliases_free(a);

	/* An entry may start with no target on its own line. */
	a = parse_ok("other:\n  e@x\n");
	assert_specs(aliases_lookup(a, "other"), other);
	aliases_free(a);
}
END_TEST

START_TEST(test_parse_targets)
{
	struct aliases *a;
	const struct addr_list *l;
	const char *const ops[] = { "ops@x", "b@x", "\"c d\"@x", "local",
	    NULL };

	a = parse_ok("ops: \"Ops, Team\" <ops@x>, (comment) b@x, "
	    "\"c d\"@x, ops@X, local, g:;\n");
	l = aliases_lookup(a, "ops");
	assert_specs(l, ops);
	ck_assert_str_eq(l->v[0].display, "\"Ops, Team\"");
	ck_assert_ptr_null(l->v[1].display);
	aliases_free(a);
}
END_TEST

START_TEST(test_parse_default)
{
	struct aliases *a;
	const char *const want[] = { "catch@x", NULL };

	a = parse_ok("default: catch@x\n");
	assert_specs(aliases_lookup(a, "default"), want);
	assert_specs(aliases_lookup(a, "DEFAULT"), want);
	aliases_free(a);
}
END_TEST

struct errcase {
	const char *text;
	int	 line;
	const char *what;
};

static const struct errcase errcases[] = {
	{ "root a@x\n", 1, "missing ':' after the name" },
	{ "root: a@x\n\nbad line\n", 3, "missing ':' after the name" },
	{ "# c\n: a@x\n", 2, "empty name" },
	{ "  \t: a@x\n", 1, "continuation line without an entry" },
	{ "  a@x\n", 1, "continuation line without an entry" },
	{ "my name: a@x\n", 1, "bad name 'my name'" },
	{ "a@b: c@d\n", 1, "bad name 'a@b'" },
	{ "\"q\": c@d\n", 1, "bad name '\"q\"'" },
	{ "root: a@x,, <broken\n", 1, "bad address list: unbalanced '<'" },
	{ "root: a@x\n  b@x c@x\n", 2,
	    "bad address list: missing ',' between addresses" },
	{ "# c\nroot: \"a@x\n", 2,
	    "bad address list: unterminated quoted string" },
	{ "root:\nother: a@x\n", 1, "no targets for 'root'" },
	{ "a: x@y\nroot:\n", 2, "no targets for 'root'" },
	{ "root: (nobody)\n", 1, "no targets for 'root'" },
	{ "root: a@x\nops: b@x\nROOT: c@x\n", 3,
	    "'ROOT' is listed twice (first on line 1)" },
};

START_TEST(test_parse_errors)
{
	const struct errcase *c = &errcases[_i];
	struct postie_err e = { 0, "" };
	char want[256];

	ck_assert_ptr_null(parse_len(c->text, strlen(c->text), &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(want, sizeof(want), FNAME ":%d: %s", c->line, c->what);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0,
	    "case %d: \"%s\", want \"%s\"", _i, e.msg, want);
}
END_TEST

START_TEST(test_parse_long_line)
{
	struct postie_err e = { 0, "" };
	size_t len = BOUND_CONF_LINE + 100;
	char *text;

	ck_assert_ptr_nonnull(text = malloc(len));
	memcpy(text, "ok: a@x\nroot: ", 14);
	memset(text + 14, 'a', len - 14);
	text[len - 1] = '\n';
	ck_assert_ptr_null(parse_len(text, len, &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, FNAME ":2: line too long");
	free(text);
}
END_TEST

START_TEST(test_parse_nul)
{
	struct postie_err e = { 0, "" };
	static const char text[] = "root: a@x\nops: b\0@x\n";

	ck_assert_ptr_null(parse_len(text, sizeof(text) - 1, &e));
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, FNAME ":2: NUL byte in line");
}
END_TEST

struct expcase {
	const char *file;
	const char *rcpts[6];
	const char *want[8];
};

static const struct expcase expcases[] = {
	/* Several targets. */
	{ "root: a@x, b@x\n", { "root" }, { "a@x", "b@x" } },
	/* Names match without case. */
	{ "root: a@x\n", { "Root", "ROOT" }, { "a@x" } },
	/* Unknown and no default: left for the caller. */
	{ "root: a@x\n", { "nobody", "root" }, { "nobody", "a@x" } },
	/* The default catches unqualified names not listed. */
	{ "default: c@x\nroot: a@x\n", { "nobody", "root", "other" },
	    { "c@x", "a@x" } },
	/* Qualified addresses are never looked up. */
	{ "root: a@x\ndefault: c@x\n", { "root@elsewhere.org", "b@y" },
	    { "root@elsewhere.org", "b@y" } },
	/* One level only: a target that is an alias name stays. */
	{ "root: admin\nadmin: a@x\n", { "root" }, { "admin" } },
	{ "root: admin\nadmin: root\n", { "root", "admin" },
	    { "admin", "root" } },
	/* Order is kept and duplicates are dropped. */
	{ "root: a@x, b@x\nops: b@x, c@x\n", { "z@y", "root", "ops", "A@X",
	    "a@x" }, { "z@y", "a@x", "b@x", "c@x", "A@X" } },
	{ "root: a@x\n", { "a@X", "root" }, { "a@X" } },
	/* An empty list stays empty. */
	{ "root: a@x\n", { NULL }, { NULL } },
	/* Names sharing an entry: its targets once, where the first was. */
	{ "root: a@x, b@x\nops: root\n", { "root", "c@x", "ROOT", "ops",
	    "root" }, { "a@x", "b@x", "c@x", "root" } },
	{ "default: d@x, e@x\n", { "n1", "z@y", "n2", "e@x", "n3" },
	    { "d@x", "e@x", "z@y" } },
	/* Only ASCII letters are folded. */
	{ "\xc3\xa4: a@x\n\xc3\x84: b@x\n", { "\xc3\x84" }, { "b@x" } },
};

START_TEST(test_apply)
{
	const struct expcase *c = &expcases[_i];
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	struct aliases *a;
	size_t i;

	a = parse_ok(c->file);
	for (i = 0; c->rcpts[i] != NULL; i++)
		ck_assert_int_eq(addr_list_add(&l, c->rcpts[i], &e), 0);
	ck_assert_int_eq(aliases_apply(a, &l, &e), 0);
	assert_specs(&l, c->want);
	addr_list_free(&l);
	aliases_free(a);
}
END_TEST

START_TEST(test_apply_display)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	struct aliases *a;

	a = parse_ok("root: Admin <a@x>\n");
	ck_assert_int_eq(addr_list_add_named(&l, "b@y", "Bee", &e), 0);
	ck_assert_int_eq(addr_list_add_named(&l, "root", "Root", &e), 0);
	ck_assert_int_eq(aliases_apply(a, &l, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].display, "Bee");
	ck_assert_str_eq(l.v[1].spec, "a@x");
	ck_assert_str_eq(l.v[1].display, "Admin");
	addr_list_free(&l);
	aliases_free(a);
}
END_TEST

#define MANY	5000

/* MANY entries "nI: tI@x" and, when dup, "NDUP: z@x" after them. */
static char *
many_entries(int dup)
{
	size_t cap = MANY * 32 + 64, len = 0;
	char *text;
	int i;

	ck_assert_ptr_nonnull(text = malloc(cap));
	for (i = 0; i < MANY; i++)
		len += (size_t)snprintf(text + len, cap - len, "n%d: t%d@x\n",
		    i, i);
	if (dup >= 0)
		snprintf(text + len, cap - len, "N%d: z@x\n", dup);
	return text;
}

START_TEST(test_parse_many)
{
	struct postie_err e = { 0, "" };
	struct aliases *a;
	const struct addr_list *t;
	char name[32], want[32], *text;
	int i;

	text = many_entries(-1);
	a = parse_ok(text);
	free(text);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), i % 2 ? "n%d" : "N%d", i);
		snprintf(want, sizeof(want), "t%d@x", i);
		ck_assert_ptr_nonnull(t = aliases_lookup(a, name));
		ck_assert_uint_eq(t->n, 1);
		ck_assert_str_eq(t->v[0].spec, want);
	}
	ck_assert_ptr_null(aliases_lookup(a, "n5000"));
	ck_assert_ptr_null(aliases_lookup(a, "n"));
	aliases_free(a);
	/* A name given twice is found among many, with its first line. */
	text = many_entries(4321);
	ck_assert_ptr_null(parse_len(text, strlen(text), &e));
	free(text);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, FNAME ":5001: 'N4321' is listed twice "
	    "(first on line 4322)");
}
END_TEST

/* Many names, most caught by a default with many targets. */
START_TEST(test_apply_many)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	struct aliases *a;
	char name[32], *text;
	size_t cap = MANY * 32 + 64, len = 0;
	int i;

	ck_assert_ptr_nonnull(text = malloc(cap));
	len += (size_t)snprintf(text, cap, "root: r@x\ndefault: d0@x");
	for (i = 1; i < 1000; i++)
		len += (size_t)snprintf(text + len, cap - len, ",\n d%d@x", i);
	snprintf(text + len, cap - len, "\n");
	a = parse_ok(text);
	free(text);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), i % 3 ? "u%d" : "u%d@y", i);
		ck_assert_int_eq(addr_list_add(&l, name, &e), 0);
	}
	ck_assert_int_eq(addr_list_add(&l, "root", &e), 0);
	ck_assert_int_eq(aliases_apply(a, &l, &e), 0);
	/* u0@y, then the default's targets (for u1), then u3@y, u6@y... */
	ck_assert_uint_eq(l.n, 1000 + 3334 + 1);
	ck_assert_str_eq(l.v[0].spec, "u0@y");
	ck_assert_str_eq(l.v[1].spec, "d0@x");
	ck_assert_str_eq(l.v[1000].spec, "d999@x");
	ck_assert_str_eq(l.v[1001].spec, "u3@y");
	ck_assert_str_eq(l.v[l.n - 2].spec, "u9999@y");
	ck_assert_str_eq(l.v[l.n - 1].spec, "r@x");
	ck_assert_int_eq(addr_list_contains(&l, "d500@X"), 1);
	ck_assert_int_eq(addr_list_contains(&l, "u1"), 0);
	addr_list_free(&l);
	aliases_free(a);
}
END_TEST

/* A temporary file holding text, with mode; its path goes to path. */
static int
tmpfile_mode(const char *text, mode_t mode, char *path, size_t pathsz)
{
	int fd;

	strlcpy(path, "/tmp/check_aliases.XXXXXX", pathsz);
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	return fd;
}

static const mode_t bad_modes[] = { 0620, 0602, 0660, 0666, 0664, 0622,
    0777 };

START_TEST(test_perm_writable)
{
	struct postie_err e = { 0, "" };
	char path[64], want[256];
	int fd;

	fd = tmpfile_mode("root: a@x\n", bad_modes[_i], path, sizeof(path));
	ck_assert_int_eq(aliases_check_perm(fd, 0, path, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: writable by group or others "
	    "(mode %04o), refused when running as root", path,
	    (unsigned)bad_modes[_i]);
	ck_assert_str_eq(e.msg, want);
	/* Not running as root: the file is read whatever its mode. */
	ck_assert_int_eq(aliases_check_perm(fd, getuid() + 1, path, &e), 0);
	close(fd);
	unlink(path);
}
END_TEST

static const mode_t good_modes[] = { 0600, 0644, 0640, 0604, 0400 };

START_TEST(test_perm_owner)
{
	struct postie_err e = { 0, "" };
	char path[64], want[256];
	uid_t owner;
	int fd;

	fd = tmpfile_mode("root: a@x\n", good_modes[_i], path, sizeof(path));
	if (geteuid() == 0) {
		/* Owned by root: accepted. */
		ck_assert_int_eq(aliases_check_perm(fd, 0, path, &e), 0);
		ck_assert_int_eq(fchown(fd, 4242, (gid_t)-1), 0);
		owner = 4242;
	} else
		owner = geteuid();
	/* Owned by another user: refused for root, fine for others. */
	ck_assert_int_eq(aliases_check_perm(fd, 0, path, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(want, sizeof(want), "%s: owned by uid %lu, not root, "
	    "refused when running as root", path, (unsigned long)owner);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(aliases_check_perm(fd, owner, path, &e), 0);
	ck_assert_int_eq(aliases_check_perm(fd, owner + 1, path, &e), 0);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(test_perm_not_regular)
{
	struct postie_err e = { 0, "" };
	int fd;

	ck_assert_int_ne(fd = open("/tmp", O_RDONLY), -1);
	ck_assert_int_eq(aliases_check_perm(fd, 1000, "/tmp", &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "/tmp: not a regular file");
	ck_assert_int_eq(aliases_check_perm(fd, 0, "/tmp", &e), -1);
	close(fd);
	ck_assert_int_eq(aliases_check_perm(fd, 0, "/tmp", &e), -1);
	ck_assert_int_eq(e.ex, EX_OSERR);
}
END_TEST

START_TEST(test_expand_file)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	const char *const want[] = { "a@x", "b@y", "c@x", NULL };
	char path[64];
	int fd;

	fd = tmpfile_mode("# aliases\nroot: a@x\ndefault: c@x\n", 0600,
	    path, sizeof(path));
	close(fd);
	ck_assert_int_eq(addr_list_add(&l, "root", &e), 0);
	ck_assert_int_eq(addr_list_add(&l, "b@y", &e), 0);
	ck_assert_int_eq(addr_list_add(&l, "nobody", &e), 0);
	ck_assert_int_eq(aliases_expand(path, &l, &e), 0);
	assert_specs(&l, want);
	addr_list_free(&l);
	unlink(path);
}
END_TEST

START_TEST(test_expand_errors)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e = { 0, "" };
	char path[64], want[256];
	int fd;

	ck_assert_int_eq(addr_list_add(&l, "root", &e), 0);
	ck_assert_int_eq(aliases_expand("/nonexistent/aliases", &l, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "/nonexistent/aliases: cannot open aliases "
	    "file: No such file or directory");

	fd = tmpfile_mode("root: a@x\nbroken\n", 0600, path, sizeof(path));
	close(fd);
	ck_assert_int_eq(aliases_expand(path, &l, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	snprintf(want, sizeof(want), "%s:2: missing ':' after the name",
	    path);
	ck_assert_str_eq(e.msg, want);
	unlink(path);

	/* The rule for root applies to the file aliases_expand opens. */
	fd = tmpfile_mode("root: a@x\n", 0666, path, sizeof(path));
	close(fd);
	if (geteuid() == 0) {
		ck_assert_int_eq(aliases_expand(path, &l, &e), -1);
		ck_assert_int_eq(e.ex, EX_CONFIG);
		ck_assert_ptr_nonnull(strstr(e.msg, "writable by group"));
		ck_assert_str_eq(l.v[0].spec, "root");
	} else {
		ck_assert_int_eq(aliases_expand(path, &l, &e), 0);
		ck_assert_str_eq(l.v[0].spec, "a@x");
	}
	ck_assert_uint_eq(l.n, 1);
	unlink(path);
	addr_list_free(&l);
}
END_TEST

static Suite *
aliases_suite(void)
{
	Suite *s = suite_create("aliases");
	TCase *tp = tcase_create("parse");
	TCase *tx = tcase_create("expand");
	TCase *tf = tcase_create("file");

	tcase_add_test(tp, test_parse_basic);
	tcase_add_test(tp, test_parse_comments);
	tcase_add_test(tp, test_parse_continuation);
	tcase_add_test(tp, test_parse_targets);
	tcase_add_test(tp, test_parse_default);
	tcase_add_loop_test(tp, test_parse_errors, 0,
	    sizeof(errcases) / sizeof(errcases[0]));
	tcase_add_test(tp, test_parse_long_line);
	tcase_add_test(tp, test_parse_nul);
	tcase_add_test(tp, test_parse_many);
	suite_add_tcase(s, tp);

	tcase_add_loop_test(tx, test_apply, 0,
	    sizeof(expcases) / sizeof(expcases[0]));
	tcase_add_test(tx, test_apply_display);
	tcase_add_test(tx, test_apply_many);
	suite_add_tcase(s, tx);

	tcase_add_loop_test(tf, test_perm_writable, 0,
	    sizeof(bad_modes) / sizeof(bad_modes[0]));
	tcase_add_loop_test(tf, test_perm_owner, 0,
	    sizeof(good_modes) / sizeof(good_modes[0]));
	tcase_add_test(tf, test_perm_not_regular);
	tcase_add_test(tf, test_expand_file);
	tcase_add_test(tf, test_expand_errors);
	suite_add_tcase(s, tf);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(aliases_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

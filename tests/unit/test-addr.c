/*
 * test-addr.c -- address lists (RFC 5322 3.4 and its obsolete forms) and
 * header fields: what `mailconn send -t` reads recipients from and which
 * fields it drops.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "util.h"

/* "mailbox|name;mailbox|name" for a parsed list ('-' for no name). */
static char *
flat(const struct addr_list *l)
{
	char	*out = xstrdup(""), *next;
	size_t	 i;

	for (i = 0; i < l->n; i++) {
		next = xasprintf("%s%s%s|%s", out, i > 0 ? ";" : "",
		    l->v[i].mailbox, l->v[i].name != NULL ? l->v[i].name : "-");
		free(out);
		out = next;
	}
	return out;
}

struct good {
	const char	*in;
	const char	*want;
};

static const struct good goods[] = {
	{ "", "" },
	{ "   ", "" },
	{ "a@example.com", "a@example.com|-" },
	{ "  a@example.com  ", "a@example.com|-" },
	{ "a@example.com, b@example.org",
	  "a@example.com|-;b@example.org|-" },
	{ "Ann Example <ann@example.com>", "ann@example.com|Ann Example" },
	{ "Ann   Example<ann@example.com>", "ann@example.com|Ann Example" },
	{ "<ann@example.com>", "ann@example.com|-" },
	/* a comma inside a quoted display name does not split */
	{ "\"Doe, John\" <jd@example.com>, x@y.z",
	  "jd@example.com|Doe, John;x@y.z|-" },
	/* quoted pairs in a quoted string */
	{ "\"Say \\\"hi\\\" \\\\ bye\" <s@e.x>", "s@e.x|Say \"hi\" \\ bye" },
	/* old style: the comment is the name */
	{ "ann@example.com (Ann Example)", "ann@example.com|Ann Example" },
	{ "<ann@example.com> (Ann)", "ann@example.com|Ann" },
	/* nested comment with a comma and brackets */
	{ "a@b.c (x (y, <z>) w), d@e.f", "a@b.c|x (y, <z>) w;d@e.f|-" },
	/* comments in odd places (CFWS) */
	{ "(lead) Ann (mid) <(in)ann@example.com(in2)> (trail)",
	  "ann@example.com|Ann" },
	/* obs-phrase with a dot */
	{ "John Q. Public <jqp@example.com>",
	  "jqp@example.com|John Q. Public" },
	/* groups */
	{ "undisclosed-recipients:;", "" },
	{ "Team: a@x.y, B <b@x.y>;, c@x.y",
	  "a@x.y|-;b@x.y|B;c@x.y|-" },
	{ "Team: a@x.y", "a@x.y|-" },	/* lenient: ';' missing */
	{ "\"The Team\": ;", "" },
	/* obsolete forms: empty elements, route, spaces in addr-spec */
	{ ",a@x.y,,b@x.y,", "a@x.y|-;b@x.y|-" },
	{ "Ann <@relay.example,@r2.example:ann@example.com>",
	  "ann@example.com|Ann" },
	{ "john . doe @ example . com", "john.doe@example.com|-" },
	/* quoted local parts: kept quoted only when they must be */
	{ "\"john.doe\"@example.com", "john.doe@example.com|-" },
	{ "\"john doe\"@example.com", "\"john doe\"@example.com|-" },
	{ "\"a\\\"b\"@example.com", "\"a\\\"b\"@example.com|-" },
	/* domain literals */
	{ "u@[192.0.2.1]", "u@[192.0.2.1]|-" },
	{ "u@[IPv6:2001:db8::1]", "u@[IPv6:2001:db8::1]|-" },
	/* atext specials */
	{ "a+tag!#$%&'*/=?^_`{|}~-x@ex.com",
	  "a+tag!#$%&'*/=?^_`{|}~-x@ex.com|-" },
	/* UTF-8 (RFC 6532) and a kept RFC 2047 name */
	{ "J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	  "j\xc3\xb6rg@b\xc3\xbc" "cher.example|J\xc3\xb6rg" },
	{ "=?UTF-8?Q?J=C3=B6rg?= <j@x.y>", "j@x.y|=?UTF-8?Q?J=C3=B6rg?=" },
	/* broken senders: an unquoted '@' in the name */
	{ "ann@example.com <ann@example.com>",
	  "ann@example.com|ann@example.com" },
	/* folding left in (CR LF) is white space */
	{ "a@x.y,\r\n b@x.y", "a@x.y|-;b@x.y|-" },
};

static void
test_good(void **state)
{
	struct addr_list	 l;
	struct mc_err		 err;
	char			*got;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		memset(&l, 0, sizeof l);
		mc_err_clear(&err);
		if (addr_parse(goods[i].in, &l, &err) != 0)
			fail_msg("'%s' failed: %s", goods[i].in, err.msg);
		got = flat(&l);
		if (strcmp(got, goods[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", goods[i].in,
			    got, goods[i].want);
		free(got);
		addr_list_free(&l);
	}
}

struct bad {
	const char	*in;
	const char	*why;	/* a word the message must contain */
};

static const struct bad bads[] = {
	{ "root", "no domain" },
	{ "Ann <root>", "no domain" },
	{ "John Smith", "Expected '@'" },
	{ "a@", "domain" },
	{ "a@b.", "label" },
	{ "a@b..c", "label" },
	{ "@b.c", "Expected an address" },
	{ "\"unterminated@x.y", "quoted string is not closed" },
	{ "a@x.y (unterminated", "comment is not closed" },
	{ "a@x.y (a (b)", "comment is not closed" },
	{ "a@x.y)", "no comment to close" },
	{ "Ann <a@x.y", "Expected '>'" },
	{ "a@x.y>", "Unexpected '>'" },
	{ "<>", "Expected an address" },
	{ "a@x.y b@x.y", "Unexpected text" },
	{ "u@[1.2.3.4", "not closed" },
	{ "G1: G2: a@b.c;;", "group cannot contain a group" },
	{ "Team: a@x.y b@x.y;", "" },
	{ "a\x01@x.y", "control character" },
	{ "a\\b@x.y", "Unexpected '\\'" },
	{ "<@route a@b.c>", "Expected ':'" },
};

static void
test_bad(void **state)
{
	struct addr_list	l;
	struct mc_err		err;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		memset(&l, 0, sizeof l);
		/* Something parsed before must survive a failure. */
		addr_list_add(&l, "keep@x.y", NULL);
		mc_err_clear(&err);
		if (addr_parse(bads[i].in, &l, &err) == 0)
			fail_msg("'%s' was accepted", bads[i].in);
		if (err.kind != MCE_USAGE || err.msg[0] == '\0')
			fail_msg("'%s': no usage error", bads[i].in);
		if (strstr(err.msg, bads[i].why) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", bads[i].in,
			    err.msg, bads[i].why);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.v[0].mailbox, "keep@x.y");
		addr_list_free(&l);
	}
}

static void
test_dedup(void **state)
{
	struct addr_list	 l;
	struct mc_err		 err;
	char			*got;

	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(addr_parse("a@x.y, B@X.Y, A@X.Y, c@x.y, b@x.y", &l,
	    &err), 0);
	assert_int_equal(addr_list_dedup(&l), 2);
	got = flat(&l);
	assert_string_equal(got, "a@x.y|-;B@X.Y|-;c@x.y|-");
	free(got);
	addr_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static const char msg_crlf[] =
    "From: Ann <ann@example.com>\r\n"
    "To: Bob <bob@example.com>,\r\n"
    "  \"Doe, Carol\" <carol@example.com>\r\n"
    "Subject: hello\r\n"
    "cc: dave@example.com\r\n"
    "BCC: eve@example.com,\r\n"
    "\tfrank@example.com\r\n"
    "X-Other: x\r\n"
    "\r\n"
    "To: not-a-header@example.com\r\n"
    "Bcc: body@example.com\r\n";

static void
test_fields(void **state)
{
	static const char *const rcpt[] = { "To", "Cc", "Bcc", NULL };
	struct addr_field	 f;
	struct addr_list	 l;
	struct mc_err		 err;
	size_t			 pos = 0;
	char			*v, *got;
	int			 n = 0;

	(void)state;
	while (addr_field_next(msg_crlf, sizeof msg_crlf - 1, &pos, &f)) {
		n++;
		if (addr_field_is(&f, "to")) {
			assert_int_equal(f.line, 2);
			v = addr_unfold(f.value, f.valuelen);
			assert_string_equal(v, " Bob <bob@example.com>,  "
			    "\"Doe, Carol\" <carol@example.com>");
			free(v);
		}
	}
	assert_int_equal(n, 6);

	memset(&l, 0, sizeof l);
	assert_int_equal(addr_fields_parse(msg_crlf, sizeof msg_crlf - 1, rcpt,
	    &l, &err), 3);
	got = flat(&l);
	assert_string_equal(got, "bob@example.com|Bob;"
	    "carol@example.com|Doe, Carol;dave@example.com|-;"
	    "eve@example.com|-;frank@example.com|-");
	free(got);
	addr_list_free(&l);
}

static void
test_remove(void **state)
{
	static const char *const bcc[] = { "Bcc", "Resent-Bcc", NULL };
	static const char want[] =
	    "From: Ann <ann@example.com>\r\n"
	    "To: Bob <bob@example.com>,\r\n"
	    "  \"Doe, Carol\" <carol@example.com>\r\n"
	    "Subject: hello\r\n"
	    "cc: dave@example.com\r\n"
	    "X-Other: x\r\n"
	    "\r\n"
	    "To: not-a-header@example.com\r\n"
	    "Bcc: body@example.com\r\n";
	char	*m;
	size_t	 len;

	(void)state;
	m = xstrdup(msg_crlf);
	len = addr_fields_remove(m, strlen(m), bcc);
	assert_int_equal(len, sizeof want - 1);
	assert_memory_equal(m, want, len);
	free(m);

	/* First field, LF line ends, a field with no body after it. */
	m = xstrdup("Bcc: a@x.y\n b@x.y\nTo: c@x.y\nBcc: d@x.y");
	len = addr_fields_remove(m, strlen(m), bcc);
	m[len] = '\0';
	assert_string_equal(m, "To: c@x.y\n");
	free(m);

	/* After removing the first field, a body line is not a field. */
	m = xstrdup("Bcc: a@x.y\nFrom nowhere\nBcc: b@x.y\n");
	len = addr_fields_remove(m, strlen(m), bcc);
	m[len] = '\0';
	assert_string_equal(m, "From nowhere\nBcc: b@x.y\n");
	free(m);
}

static void
test_header_end(void **state)
{
	static const char *const to[] = { "To", NULL };
	/* mbox line skipped; a non-field line ends the header section. */
	static const char m1[] = "From ann@example.com Mon Jan  1 00:00:00 "
	    "2024\nTo: a@x.y\nnot a field\nTo: b@x.y\n\n";
	/* obsolete "Name : value" is a field, also a first "From :" */
	static const char m2[] = "From : ann@x.y\nTo : a@x.y\n\nbody\n";
	/* no header at all */
	static const char m3[] = "\nTo: a@x.y\n";
	struct addr_list	 l;
	struct addr_field	 f;
	struct mc_err		 err;
	size_t			 pos = 0;
	char			*got;

	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(addr_fields_parse(m1, sizeof m1 - 1, to, &l, &err),
	    1);
	assert_int_equal(addr_fields_parse(m2, sizeof m2 - 1, to, &l, &err),
	    1);
	assert_int_equal(addr_fields_parse(m3, sizeof m3 - 1, to, &l, &err),
	    0);
	got = flat(&l);
	assert_string_equal(got, "a@x.y|-;a@x.y|-");
	free(got);
	addr_list_free(&l);

	assert_int_equal(addr_field_next(m2, sizeof m2 - 1, &pos, &f), 1);
	assert_true(addr_field_is(&f, "FROM"));
	assert_int_equal(f.start, 0);
}

static void
test_field_error(void **state)
{
	static const char *const rcpt[] = { "To", "Cc", NULL };
	static const char m[] = "Subject: x\nTo: a@x.y\nCc: good@x.y,\n"
	    " \"broken@x.y\n\nbody\n";
	struct addr_list	l;
	struct mc_err		err;

	(void)state;
	memset(&l, 0, sizeof l);
	mc_err_clear(&err);
	assert_int_equal(addr_fields_parse(m, sizeof m - 1, rcpt, &l, &err),
	    -1);
	assert_int_equal(err.kind, MCE_USAGE);
	assert_non_null(strstr(err.msg, "Cc: field (line 3)"));
	assert_non_null(strstr(err.msg, "not closed"));
	assert_int_equal(l.n, 0);	/* the To: address was taken back */
	addr_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_header_end),
		cmocka_unit_test(test_field_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

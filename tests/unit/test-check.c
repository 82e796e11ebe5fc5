/*
 * test-check.c -- the pure parts of `mailconn check`: rows, the judges
 * (certificate, TLS versions, software, connections, AUTH), the exit code,
 * text and JSON output, JSON string escaping and redaction.  check_run()
 * itself talks to servers: tests/integration/test-check.sh.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/x509_vfy.h>

#include "check.h"
#include "config.h"
#include "smtp.h"
#include "util.h"

#define DAY	86400
#define NOW	((time_t)1800000000)	/* 2027-01-15 */

/* ---- a small JSON validator (RFC 8259), to prove the output parses ---- */

struct js {
	const char	*p;
};

static int	js_value(struct js *);

static void
js_ws(struct js *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static int
js_string(struct js *j)
{
	const unsigned char	*p;
	int			 i;

	if (*j->p != '"')
		return -1;
	p = (const unsigned char *)j->p + 1;
	while (*p != '"') {
		if (*p < 0x20)
			return -1;	/* raw control character */
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (i = 1; i <= 4; i++) {
					if (!strchr("0123456789abcdefABCDEF",
					    p[i]) || p[i] == '\0')
						return -1;
				}
				p += 5;
				continue;
			}
			if (*p == '\0' || !strchr("\"\\/bfnrt", *p))
				return -1;
		}
		p++;
	}
	j->p = (const char *)p + 1;
	return 0;
}

static int
js_container(struct js *j, char open, char close)
{
	j->p++;
	js_ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		js_ws(j);
		if (open == '{') {
			if (js_string(j) == -1)
				return -1;
			js_ws(j);
			if (*j->p++ != ':')
				return -1;
		}
		if (js_value(j) == -1)
			return -1;
		js_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return -1;
		return 0;
	}
}

static int
js_value(struct js *j)
{
	js_ws(j);
	switch (*j->p) {
	case '{':
		return js_container(j, '{', '}');
	case '[':
		return js_container(j, '[', ']');
	case '"':
		return js_string(j);
	}
	if (strncmp(j->p, "null", 4) == 0 || strncmp(j->p, "true", 4) == 0) {
		j->p += 4;
		return 0;
	}
	if (strncmp(j->p, "false", 5) == 0) {
		j->p += 5;
		return 0;
	}
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
		j->p++;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
		return 0;
	}
	return -1;
}

static int
json_valid(const char *s)
{
	struct js	j = { s };

	if (js_value(&j) == -1)
		return 0;
	js_ws(&j);
	return *j.p == '\0';
}

/* Valid UTF-8 throughout (the JSON must be). */
static int
utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n, i;

	while (*p != '\0') {
		if (*p < 0x80)
			n = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		}
		p += n + 1;
	}
	return 1;
}

/* ---- helpers ----------------------------------------------------------- */

static struct check_row *
row(const struct check_report *rep, const char *id)
{
	struct check_row	*r;

	r = check_row_find(rep, id);
	if (r == NULL)
		fail_msg("no row %s", id);
	return r;
}

static void
assert_row(const struct check_report *rep, const char *id,
    enum check_status st, const char *needle)
{
	struct check_row	*r = row(rep, id);

	if (r->status != st)
		fail_msg("%s: status %s, want %s (%s)", id,
		    check_status_name(r->status), check_status_name(st),
		    r->finding);
	if (needle != NULL && strstr(r->finding, needle) == NULL)
		fail_msg("%s: finding \"%s\" lacks \"%s\"", id, r->finding,
		    needle);
	if (st == CHECK_FAIL && (r->advice == NULL || *r->advice == '\0'))
		fail_msg("%s: a FAIL without advice", id);
}

/* A good certificate for mail.example.com, valid for another year. */
static void
cert_good(struct cert_info *ci)
{
	static char	*sans[] = { "DNS:mail.example.com",
	    "DNS:imap.example.com" };

	memset(ci, 0, sizeof *ci);
	ci->subject = "CN=mail.example.com";
	ci->issuer = "CN=R11,O=Let's Encrypt,C=US";
	ci->common_name = "mail.example.com";
	ci->sans = sans;
	ci->nsans = 2;
	ci->not_before = NOW - 30 * DAY;
	ci->not_after = NOW + 365 * DAY;
	ci->name_ok = 1;
}

static char *
print_text(const struct check_report *rep, int colour)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	check_print_text(rep, fp, colour);
	fclose(fp);
	return buf;
}

static char *
print_json(const struct check_report *rep, const struct check_opts *o)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	check_print_json(rep, o, fp);
	fclose(fp);
	return buf;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_rows_and_exit_code(void **state)
{
	struct check_report	rep;
	int			c[4];

	(void)state;
	memset(&rep, 0, sizeof rep);
	check_row_set(&rep, "imap.dns", CHECK_PASS, NULL, "resolves to %s",
	    "192.0.2.1");
	check_row_set(&rep, "imap.idle", CHECK_WARN, "Enable IDLE.", "none");
	check_row_set(&rep, "imap.login", CHECK_SKIP, NULL, "not tested");
	assert_int_equal(rep.nrows, 3);
	assert_string_equal(rep.rows[0].title, "IMAP host name");
	assert_string_equal(rep.rows[0].finding, "resolves to 192.0.2.1");
	assert_null(rep.rows[0].advice);
	assert_int_equal(check_exit_code(&rep), 0);	/* WARN, SKIP: 0 */

	/* Setting an id again replaces the row in place. */
	check_row_set(&rep, "imap.dns", CHECK_FAIL, "Publish a record.",
	    "does not resolve");
	assert_int_equal(rep.nrows, 3);
	assert_int_equal(rep.rows[0].status, CHECK_FAIL);
	assert_string_equal(rep.rows[0].advice, "Publish a record.");
	assert_int_equal(check_exit_code(&rep), 1);
	check_summary(&rep, c);
	assert_int_equal(c[CHECK_PASS], 0);
	assert_int_equal(c[CHECK_WARN], 1);
	assert_int_equal(c[CHECK_FAIL], 1);
	assert_int_equal(c[CHECK_SKIP], 1);

	assert_string_equal(check_status_name(CHECK_PASS), "pass");
	assert_string_equal(check_status_name(CHECK_SKIP), "skip");
	assert_string_equal(check_title("smtp.auth"), "SMTP AUTH mechanisms");
	assert_string_equal(check_title("no.such.row"), "no.such.row");
	check_report_free(&rep);
	assert_int_equal(rep.nrows, 0);
}

static void
test_json_string(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "C:\\dir", "\"C:\\\\dir\"" },
		{ "a\nb\tc\rd", "\"a\\nb\\tc\\rd\"" },
		{ "bell\a esc\033 del\177", "\"bell\\u0007 esc\\u001b "
		    "del\\u007f\"" },
		/* UTF-8 passes as is. */
		{ "G\xc3\xbcnter \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\"G\xc3\xbcnter \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		/* Invalid: stray byte, overlong, surrogate, truncated. */
		{ "x\xffy", "\"x\\ufffdy\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "end\xe2\x82", "\"end\\ufffd\\ufffd\"" },
	};
	size_t	 i;
	char	*q;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		q = check_json_string(t[i].in);
		if (strcmp(q, t[i].out) != 0)
			fail_msg("case %zu: got %s want %s", i, q, t[i].out);
		assert_true(json_valid(q));
		assert_true(utf8_valid(q));
		free(q);
	}
}

static void
test_redact(void **state)
{
	struct check_report	rep;

	(void)state;
	memset(&rep, 0, sizeof rep);
	check_row_set(&rep, "imap.login", CHECK_FAIL,
	    "Do not echo s3cret pass.", "server said: s3cret pass, twice: "
	    "s3cret pass");
	check_row_set(&rep, "imap.dns", CHECK_PASS, NULL, "abc");
	check_redact(&rep, "s3cret pass");
	assert_string_equal(rep.rows[0].finding,
	    "server said: <redacted>, twice: <redacted>");
	assert_string_equal(rep.rows[0].advice, "Do not echo <redacted>.");
	/* Too short to be searched for: no garbling. */
	check_redact(&rep, "abc");
	assert_string_equal(rep.rows[1].finding, "abc");
	check_redact(&rep, NULL);
	check_report_free(&rep);
}

static void
test_cert_good(void **state)
{
	struct check_report	rep;
	struct cert_info	ci;

	(void)state;
	memset(&rep, 0, sizeof rep);
	cert_good(&ci);
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_int_equal(rep.nrows, 3);
	assert_row(&rep, "imap.cert.trusted", CHECK_PASS, "Let's Encrypt");
	assert_row(&rep, "imap.cert.name", CHECK_PASS, "mail.example.com");
	assert_row(&rep, "imap.cert.validity", CHECK_PASS, "365 days left");
	assert_int_equal(check_exit_code(&rep), 0);
	check_report_free(&rep);
}

static void
test_cert_untrusted(void **state)
{
	struct check_report	rep;
	struct cert_info	ci;
	struct cert_problem	pr[2];

	(void)state;
	memset(&rep, 0, sizeof rep);
	cert_good(&ci);
	ci.issuer = "CN=mail.example.com";
	ci.self_signed = 1;
	pr[0].depth = 0;
	pr[0].code = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
	pr[0].text = "self-signed certificate";
	ci.problems = pr;
	ci.nproblems = 1;
	check_cert_rows(&rep, "smtp", "mail.example.com", &ci, NOW,
	    "mailconn has this key pinned for mail.example.com:465 since "
	    "2027-01-01, so mailconn itself will log in.", "/etc/corp-ca.pem");
	assert_row(&rep, "smtp.cert.trusted", CHECK_FAIL,
	    "not trusted by the system CA store: self-signed certificate");
	assert_row(&rep, "smtp.cert.trusted", CHECK_FAIL, "pinned");
	assert_row(&rep, "smtp.cert.trusted", CHECK_FAIL, "/etc/corp-ca.pem");
	assert_non_null(strstr(row(&rep, "smtp.cert.trusted")->advice,
	    "mailconn certs trust"));
	/* The name and the dates are fine: their rows say so. */
	assert_row(&rep, "smtp.cert.name", CHECK_PASS, NULL);
	assert_row(&rep, "smtp.cert.validity", CHECK_PASS, NULL);

	/* Name and date errors are not chain errors. */
	pr[0].code = X509_V_ERR_HOSTNAME_MISMATCH;
	pr[0].text = "issued for other.example.com";
	pr[1].depth = 0;
	pr[1].code = X509_V_ERR_CERT_HAS_EXPIRED;
	pr[1].text = "expired";
	ci.nproblems = 2;
	ci.self_signed = 0;
	check_cert_rows(&rep, "smtp", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "smtp.cert.trusted", CHECK_PASS, NULL);
	assert_int_equal(rep.nrows, 3);
	check_report_free(&rep);
}

static void
test_cert_names(void **state)
{
	static char		*wrong[] = { "DNS:wrong.example.test" };
	static char		*wild[] = { "DNS:*.example.com" };
	struct check_report	 rep;
	struct cert_info	 ci;

	(void)state;
	memset(&rep, 0, sizeof rep);
	cert_good(&ci);
	ci.sans = wrong;
	ci.nsans = 1;
	ci.common_name = "wrong.example.test";
	ci.name_ok = 0;
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.name", CHECK_FAIL,
	    "issued for DNS:wrong.example.test, not for mail.example.com");

	/* CN only: a WARN. */
	ci.sans = NULL;
	ci.nsans = 0;
	ci.common_name = "mail.example.com";
	ci.name_ok = 1;
	ci.name_by_cn_only = 1;
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.name", CHECK_WARN, "only through the CN");

	/* SAN covers it, the CN does not: the requirement wants the CN. */
	cert_good(&ci);
	ci.common_name = "Example Mail Service";
	check_cert_rows(&rep, "imap", "imap.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.name", CHECK_WARN, "the CN is Example");

	/* A wildcard CN covers one label. */
	ci.sans = wild;
	ci.nsans = 1;
	ci.common_name = "*.example.com";
	check_cert_rows(&rep, "imap", "imap.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.name", CHECK_PASS, NULL);

	/* An IP literal has no FQDN for the CN to hold. */
	ci.common_name = "localhost";
	check_cert_rows(&rep, "imap", "127.0.0.1", &ci, NOW, NULL, NULL);
	assert_row(&rep, "imap.cert.name", CHECK_PASS, NULL);
	check_report_free(&rep);
}

static void
test_cert_validity(void **state)
{
	struct check_report	rep;
	struct cert_info	ci;

	(void)state;
	memset(&rep, 0, sizeof rep);
	cert_good(&ci);
	ci.not_before = 1577836800;	/* 2020-01-01 */
	ci.not_after = 1609459200;	/* 2021-01-01 */
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.validity", CHECK_FAIL,
	    "expired on 2021-01-01 (valid from 2020-01-01)");

	ci.not_before = NOW - DAY;
	ci.not_after = NOW + 5 * DAY + 3600;
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.validity", CHECK_WARN, "in 5 days");

	ci.not_after = NOW + 14 * DAY + 60;	/* 14 days: no longer WARN */
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.validity", CHECK_PASS, "14 days left");

	ci.not_before = NOW + 2 * DAY;
	ci.not_after = NOW + 90 * DAY;
	check_cert_rows(&rep, "imap", "mail.example.com", &ci, NOW, NULL,
	    NULL);
	assert_row(&rep, "imap.cert.validity", CHECK_FAIL, "not valid before");
	check_report_free(&rep);
}

static void
test_versions(void **state)
{
	static const struct {
		int			 acc[4];	/* 1.3 1.2 1.1 1.0 */
		enum check_status	 st;
		const char		*needle;
	} t[] = {
		{ { 1, 1, 0, 0 }, CHECK_PASS, "accepts TLS 1.3, TLS 1.2; "
		    "refuses TLS 1.1, TLS 1.0" },
		{ { 0, 1, 0, 0 }, CHECK_PASS, "accepts TLS 1.2" },
		{ { 1, 1, 1, 1 }, CHECK_WARN, "deprecated protocol versions "
		    "enabled" },
		{ { 0, 1, 0, 1 }, CHECK_WARN, "TLS 1.0" },
		{ { 1, 0, 0, 0 }, CHECK_FAIL, "accepts TLS 1.3 only" },
		{ { 0, 0, 1, 1 }, CHECK_WARN, "not TLS 1.2" },
		{ { 0, 0, 0, 0 }, CHECK_FAIL, "no TLS version accepted" },
		{ { -1, -1, -1, -1 }, CHECK_SKIP, "could not test" },
		{ { 1, -1, 0, 0 }, CHECK_WARN, "TLS 1.2 could not be tested" },
	};
	struct check_report	rep;
	size_t			i;

	(void)state;
	memset(&rep, 0, sizeof rep);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		check_versions_row(&rep, "smtp", t[i].acc);
		assert_row(&rep, "smtp.tls.versions", t[i].st, t[i].needle);
	}
	check_report_free(&rep);
}

static void
test_software_connections_auth(void **state)
{
	struct check_report	rep;

	(void)state;
	memset(&rep, 0, sizeof rep);
	check_software_row(&rep, SW_COURIER, "Courier-IMAP ready.", NULL);
	assert_row(&rep, "imap.software", CHECK_FAIL,
	    "Courier-IMAP is not supported: replies sent to the inbox cannot "
	    "be logged");
	check_software_row(&rep, SW_DOVECOT, "Dovecot ready.", "Dovecot");
	assert_row(&rep, "imap.software", CHECK_PASS, "Dovecot");
	check_software_row(&rep, SW_UNKNOWN, NULL, NULL);
	assert_row(&rep, "imap.software", CHECK_PASS, "not identified");

	check_connections_row(&rep, 5, 5, NULL);
	assert_row(&rep, "imap.connections", CHECK_PASS, "5 of 5");
	check_connections_row(&rep, 5, 3, "Too many connections (limit 3)");
	assert_row(&rep, "imap.connections", CHECK_FAIL,
	    "accepted 3 of 5 authenticated connections");
	assert_row(&rep, "imap.connections", CHECK_FAIL,
	    "connection 4 got: \"Too many connections (limit 3)\"");
	assert_non_null(strstr(row(&rep, "imap.connections")->advice,
	    "mail_max_userip_connections"));

	check_auth_row(&rep, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN, "PLAIN LOGIN");
	assert_row(&rep, "smtp.auth", CHECK_PASS, "PLAIN LOGIN");
	check_auth_row(&rep, SMTP_AUTH_OTHER, "CRAM-MD5");
	assert_row(&rep, "smtp.auth", CHECK_FAIL, "offers only CRAM-MD5");
	check_auth_row(&rep, 0, NULL);
	assert_row(&rep, "smtp.auth", CHECK_FAIL, "no AUTH");
	check_report_free(&rep);
}

static void
sample_report(struct check_report *rep)
{
	memset(rep, 0, sizeof *rep);
	rep->generated = 0;
	rep->account = xstrdup("work");
	rep->imap = xstrdup("imap.example.com:993 (imaps), user ann");
	check_row_set(rep, "imap.dns", CHECK_PASS, "unused advice",
	    "imap.example.com resolves to 192.0.2.1.");
	check_row_set(rep, "imap.software", CHECK_FAIL,
	    "Serve this mailbox from another IMAP server.",
	    "Courier-IMAP is not supported: the greeting was \"Courier\\\" "
	    "\x01\xff\" and this sentence is long enough to need wrapping "
	    "at the text width of one hundred columns, surely.");
	check_row_set(rep, "imap.idle", CHECK_WARN, "Enable IDLE.", "no IDLE.");
}

static void
test_text(void **state)
{
	struct check_report	 rep;
	char			*out, *line, *save, *copy;

	(void)state;
	sample_report(&rep);
	out = print_text(&rep, 0);
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "check report, 1970-01-01 00:00 UTC"));
	assert_non_null(strstr(out, "account  work"));
	assert_non_null(strstr(out, "SMTP     not given"));
	assert_non_null(strstr(out, "PASS  IMAP host name"));
	assert_non_null(strstr(out, "FAIL  IMAP server software"));
	assert_non_null(strstr(out, "advice: Serve this mailbox"));
	/* Advice is for what is not PASS. */
	assert_null(strstr(out, "unused advice"));
	assert_non_null(strstr(out, "1 pass, 1 warn, 1 fail, 0 skip"));
	assert_non_null(strstr(out, "does NOT meet every requirement"));
	/* Wrapped to 100 columns. */
	copy = xstrdup(out);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 100);
	free(copy);
	free(out);

	out = print_text(&rep, 1);
	assert_non_null(strstr(out, "\033[32mPASS\033[0m"));
	assert_non_null(strstr(out, "\033[33mWARN\033[0m"));
	assert_non_null(strstr(out, "\033[1;31mFAIL\033[0m"));
	free(out);
	check_report_free(&rep);
}

static void
test_json(void **state)
{
	struct check_report	 rep;
	struct check_opts	 o;
	struct account		*a;
	char			*out;

	(void)state;
	sample_report(&rep);
	a = account_new("wo\"rk");
	a->imap_host = xstrdup("imap.example.com");
	a->imap_port = 993;
	a->imap_user = xstrdup("ann@example.com");
	memset(&o, 0, sizeof o);
	o.account = a;
	o.password = "never printed";

	out = print_json(&rep, &o);
	if (!json_valid(out))
		fail_msg("not JSON:\n%s", out);
	assert_true(utf8_valid(out));
	assert_non_null(strstr(out, "\"version\": 1,"));
	assert_non_null(strstr(out, "\"account\": \"wo\\\"rk\""));
	assert_non_null(strstr(out, "\"generated\": \"1970-01-01T00:00:00Z\""));
	assert_non_null(strstr(out, "\"imap\": {\"host\": \"imap.example.com\", "
	    "\"port\": 993, \"security\": \"imaps\", \"user\": "
	    "\"ann@example.com\"}"));
	assert_non_null(strstr(out, "\"smtp\": null"));
	assert_non_null(strstr(out, "{\"id\": \"imap.dns\", \"title\": "
	    "\"IMAP host name\", \"status\": \"pass\", \"finding\": "
	    "\"imap.example.com resolves to 192.0.2.1.\", \"advice\": null}"));
	assert_non_null(strstr(out, "\"status\": \"fail\""));
	assert_non_null(strstr(out, "\\\"Courier\\\\\\\" \\u0001\\ufffd\\\""));
	assert_non_null(strstr(out, "\"summary\": {\"pass\": 1, \"warn\": 1, "
	    "\"fail\": 1, \"skip\": 0}"));
	assert_null(strstr(out, "never printed"));
	free(out);

	/* An ad hoc check has no account name. */
	o.adhoc = 1;
	out = print_json(&rep, &o);
	assert_true(json_valid(out));
	assert_non_null(strstr(out, "\"account\": null"));
	free(out);

	account_free(a);
	check_report_free(&rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_exit_code),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_cert_good),
		cmocka_unit_test(test_cert_untrusted),
		cmocka_unit_test(test_cert_names),
		cmocka_unit_test(test_cert_validity),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_software_connections_auth),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

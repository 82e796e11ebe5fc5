/*
 * test-certstore.c -- known_certs parsing, verdicts, pins, the gate, the
 * report, and host:port spelling.  Certificates are synthetic cert_info
 * records: what net.c would fill in after a handshake.
 */

#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509_vfy.h>

#include "certstore.h"
#include "util.h"

#define KEY_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define LEAF_1	"1111111111111111111111111111111111111111111111111111111111111111"
#define LEAF_2	"2222222222222222222222222222222222222222222222222222222222222222"
#define LEAF_3	"3333333333333333333333333333333333333333333333333333333333333333"

static char	tmpdir[] = "/tmp/mc-certstore-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

/* A fresh path under tmpdir, in a directory that does not exist yet. */
static char *
fresh_path(const char *name)
{
	return xasprintf("%s/%s/mailconn/known_certs", tmpdir, name);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A self-signed certificate for localhost, as net.c would describe it. */
static struct cert_info *
mk_cert(const char *spki, const char *leaf)
{
	struct cert_info	*ci;

	ci = xcalloc(1, sizeof *ci);
	ci->subject = xstrdup("CN=localhost");
	ci->issuer = xstrdup("CN=localhost");
	ci->common_name = xstrdup("localhost");
	ci->nsans = 2;
	ci->sans = xcalloc(2, sizeof *ci->sans);
	ci->sans[0] = xstrdup("DNS:localhost");
	ci->sans[1] = xstrdup("IP:127.0.0.1");
	ci->not_before = 1704067200;	/* 2024-01-01 */
	ci->not_after = 1767225600;	/* 2026-01-01 */
	snprintf(ci->spki_sha256, sizeof ci->spki_sha256, "%s", spki);
	snprintf(ci->leaf_sha256, sizeof ci->leaf_sha256, "%s", leaf);
	ci->nchain = 1;
	ci->chain = xcalloc(1, sizeof *ci->chain);
	ci->chain[0] = xstrdup("CN=localhost");
	ci->nproblems = 1;
	ci->problems = xcalloc(1, sizeof *ci->problems);
	ci->problems[0].code = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
	ci->problems[0].text = xstrdup("self-signed certificate");
	ci->name_ok = 1;
	ci->self_signed = 1;
	return ci;
}

static const char good_file[] =
    "# pinned\n"
    "\n"
    "mail.example.com:993 " KEY_A " " LEAF_1 " 2024-05-01T10:20:30Z "
    "CN=mail.example.com, O=Example\n"
    "   # indented comment\n"
    "[::1]:993 " KEY_B " " LEAF_2 " 2023-01-02T03:04:05Z CN=localhost\n";

static void
test_parse_good(void **state)
{
	struct certstore	*cs;
	struct cert_pin		**pins;
	struct mc_err		 err;
	char			*path;
	size_t			 n, i;

	(void)state;
	path = xasprintf("%s/good", tmpdir);
	write_file(path, good_file);
	assert_int_equal(certstore_open(path, &cs, &err), 0);
	assert_string_equal(certstore_path(cs), path);
	n = certstore_list(cs, &pins);
	assert_int_equal(n, 2);
	assert_string_equal(pins[0]->hostport, "mail.example.com:993");
	assert_string_equal(pins[0]->spki_sha256, KEY_A);
	assert_string_equal(pins[0]->leaf_sha256, LEAF_1);
	assert_int_equal(pins[0]->when, 1714558830);
	assert_string_equal(pins[0]->subject, "CN=mail.example.com, O=Example");
	assert_string_equal(pins[1]->hostport, "[::1]:993");
	assert_string_equal(pins[1]->subject, "CN=localhost");
	for (i = 0; i < n; i++)
		cert_pin_free(pins[i]);
	free(pins);
	certstore_free(cs);
	free(path);
}

static void
test_parse_missing(void **state)
{
	struct certstore	*cs;
	struct cert_pin		**pins;
	struct mc_err		 err;
	char			*path;

	(void)state;
	path = fresh_path("missing");
	assert_int_equal(certstore_open(path, &cs, &err), 0);
	assert_int_equal(certstore_list(cs, &pins), 0);
	free(pins);
	certstore_free(cs);
	/* Opening does not create anything. */
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

static void
test_parse_corrupt(void **state)
{
	static const struct {
		const char	*line;
		const char	*want;
	} bad[] = {
		{ "only-two-fields " KEY_A, "expected" },
		{ "host:993 " KEY_A " " LEAF_1, "expected" },
		{ "host " KEY_A " " LEAF_1 " 2024-05-01T10:20:30Z CN=x",
		    "no port" },
		{ "host:99999 " KEY_A " " LEAF_1 " 2024-05-01T10:20:30Z CN=x",
		    "port" },
		{ "[::1:993 " KEY_A " " LEAF_1 " 2024-05-01T10:20:30Z CN=x",
		    "closing" },
		{ "host:993 abc " LEAF_1 " 2024-05-01T10:20:30Z CN=x",
		    "key fingerprint" },
		{ "host:993 " KEY_A " " LEAF_1 "0 2024-05-01T10:20:30Z CN=x",
		    "certificate fingerprint" },
		{ "host:993 " KEY_A " " LEAF_1 " 2024-05-01 CN=x", "time" },
		{ "host:993 " KEY_A " " LEAF_1 " 2024-13-01T10:20:30Z CN=x",
		    "time" },
		{ "mail.example.com:993 " KEY_B " " LEAF_3
		    " 2024-05-01T10:20:30Z CN=x", "pinned twice" },
	};
	struct certstore	*cs;
	struct mc_err		 err;
	char			*path, *text, *want;
	size_t			 i;

	(void)state;
	path = xasprintf("%s/corrupt", tmpdir);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* Line 4: after a comment, a good line and a blank one. */
		text = xasprintf("# c\nmail.example.com:993 " KEY_A " " LEAF_1
		    " 2024-05-01T10:20:30Z CN=a\n\n%s\n", bad[i].line);
		write_file(path, text);
		cs = NULL;
		mc_err_clear(&err);
		assert_int_equal(certstore_open(path, &cs, &err), -1);
		assert_null(cs);
		assert_int_equal(err.kind, MCE_CONFIG);
		want = xasprintf("%s:4: ", path);
		if (strncmp(err.msg, want, strlen(want)) != 0 ||
		    strstr(err.msg, bad[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", wanted \"%s...%s\"", i,
			    err.msg, want, bad[i].want);
		free(want);
		free(text);
	}
	free(path);
}

static void
test_verdicts(void **state)
{
	struct certstore	*cs, *cs2;
	struct cert_info	*ci, *renewed, *other, *verified;
	struct cert_pin		*old, **pins;
	struct mc_err		 err;
	char			*path, *text;
	size_t			 n;

	(void)state;
	path = fresh_path("verdicts");
	assert_int_equal(certstore_open(path, &cs, &err), 0);
	ci = mk_cert(KEY_A, LEAF_1);

	/* No problems: verified, whatever is pinned. */
	verified = mk_cert(KEY_B, LEAF_3);
	free(verified->problems[0].text);
	verified->nproblems = 0;
	assert_int_equal(certstore_verdict(cs, "localhost", 993, verified,
	    NULL), CERT_VERIFIED);

	old = (struct cert_pin *)1;
	assert_int_equal(certstore_verdict(cs, "localhost", 993, ci, &old),
	    CERT_UNTRUSTED);
	assert_null(old);

	/* Accept once: this leaf, this host:port, nothing else. */
	certstore_accept_once(cs, "localhost", 993, ci);
	assert_int_equal(certstore_verdict(cs, "localhost", 993, ci, NULL),
	    CERT_ACCEPTED_ONCE);
	assert_int_equal(certstore_verdict(cs, "localhost", 143, ci, NULL),
	    CERT_UNTRUSTED);
	other = mk_cert(KEY_A, LEAF_2);
	assert_int_equal(certstore_verdict(cs, "localhost", 993, other,
	    NULL), CERT_UNTRUSTED);
	cert_info_free(other);

	/* Pinned: by key, for that host:port; case does not matter. */
	assert_int_equal(certstore_pin(cs, "LocalHost", 993, ci, &err), 0);
	assert_int_equal(certstore_verdict(cs, "localhost", 993, ci, NULL),
	    CERT_PINNED);

	/* Renewed, same key: still pinned, and the file follows. */
	renewed = mk_cert(KEY_A, LEAF_2);
	free(renewed->subject);
	renewed->subject = xstrdup("CN=localhost, O=Renewed");
	assert_int_equal(certstore_verdict(cs, "localhost", 993, renewed,
	    NULL), CERT_PINNED);
	assert_non_null(text = mc_read_file(path, NULL, &err));
	assert_non_null(strstr(text, "localhost:993 " KEY_A " " LEAF_2 " "));
	assert_non_null(strstr(text, "CN=localhost, O=Renewed\n"));
	assert_null(strstr(text, LEAF_1));
	free(text);
	/* A second store reading the file sees the renewed leaf. */
	assert_int_equal(certstore_open(path, &cs2, &err), 0);
	n = certstore_list(cs2, &pins);
	assert_int_equal(n, 1);
	assert_string_equal(pins[0]->leaf_sha256, LEAF_2);
	cert_pin_free(pins[0]);
	free(pins);

	/* Another key: changed, with the old pin handed back. */
	other = mk_cert(KEY_B, LEAF_3);
	assert_int_equal(certstore_verdict(cs2, "localhost", 993, other,
	    &old), CERT_CHANGED);
	assert_non_null(old);
	assert_string_equal(old->spki_sha256, KEY_A);
	assert_string_equal(old->hostport, "localhost:993");
	cert_pin_free(old);
	/* Accepting the changed one once lets it through this process. */
	certstore_accept_once(cs2, "localhost", 993, other);
	assert_int_equal(certstore_verdict(cs2, "localhost", 993, other,
	    NULL), CERT_ACCEPTED_ONCE);
	/* The first store notices the file changed behind its back. */
	assert_int_equal(certstore_pin(cs2, "localhost", 993, other, &err), 0);
	assert_int_equal(certstore_verdict(cs, "localhost", 993, other,
	    NULL), CERT_PINNED);

	cert_info_free(other);
	cert_info_free(renewed);
	cert_info_free(verified);
	cert_info_free(ci);
	certstore_free(cs2);
	certstore_free(cs);
	free(path);
}

static void
test_forget(void **state)
{
	struct certstore	*cs;
	struct cert_info	*ci;
	struct cert_pin		**pins;
	struct mc_err		 err;
	char			*path, *text;

	(void)state;
	path = fresh_path("forget");
	assert_int_equal(certstore_open(path, &cs, &err), 0);
	ci = mk_cert(KEY_A, LEAF_1);
	assert_int_equal(certstore_pin(cs, "::1", 993, ci, &err), 0);
	assert_int_equal(certstore_pin(cs, "mail.example.com", 465, ci, &err),
	    0);
	assert_int_equal(certstore_verdict(cs, "::1", 993, ci, NULL),
	    CERT_PINNED);
	assert_int_equal(certstore_forget(cs, "::1", 993, &err), 0);
	assert_int_equal(certstore_verdict(cs, "::1", 993, ci, NULL),
	    CERT_UNTRUSTED);
	assert_non_null(text = mc_read_file(path, NULL, &err));
	assert_null(strstr(text, "[::1]:993"));
	assert_non_null(strstr(text, "mail.example.com:465 "));
	free(text);
	mc_err_clear(&err);
	assert_int_equal(certstore_forget(cs, "::1", 993, &err), -1);
	assert_int_equal(err.kind, MCE_NOTFOUND);
	assert_non_null(strstr(err.msg, "[::1]:993"));
	assert_int_equal(certstore_list(cs, &pins), 1);
	cert_pin_free(pins[0]);
	free(pins);
	cert_info_free(ci);
	certstore_free(cs);
	free(path);
}

static void
test_atomic_mode(void **state)
{
	struct certstore	*cs;
	struct cert_info	*ci;
	struct mc_err		 err;
	struct stat		 sb;
	char			*path, *dir, *text, *p;
	mode_t			 old;

	(void)state;
	old = umask(0);		/* a careless umask must not widen it */
	path = fresh_path("mode");
	assert_int_equal(certstore_open(path, &cs, &err), 0);
	ci = mk_cert(KEY_A, LEAF_1);
	assert_int_equal(certstore_pin(cs, "127.0.0.1", 993, ci, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	free(dir);
	/* Exactly the documented line format, and no temporary left. */
	assert_non_null(text = mc_read_file(path, NULL, &err));
	assert_non_null(p = strstr(text, "\n127.0.0.1:993 " KEY_A " " LEAF_1
	    " "));
	p += strlen("\n127.0.0.1:993 " KEY_A " " LEAF_1 " ");
	assert_int_equal(strlen(p), strlen("2024-05-01T10:20:30Z "
	    "CN=localhost\n"));
	assert_int_equal(p[4], '-');
	assert_int_equal(p[10], 'T');
	assert_int_equal(p[19], 'Z');
	free(text);
	text = xasprintf("ls -a '%s'/mode/mailconn | grep -q tmp", tmpdir);
	assert_int_not_equal(system(text), 0);
	free(text);
	cert_info_free(ci);
	certstore_free(cs);
	free(path);
}

static void
test_hostport(void **state)
{
	static const struct {
		const char	*in;
		const char	*host;
		int		 port;
	} good[] = {
		{ "mail.example.com", "mail.example.com", 993 },
		{ "mail.example.com:143", "mail.example.com", 143 },
		{ "127.0.0.1:465", "127.0.0.1", 465 },
		{ "[::1]:993", "::1", 993 },
		{ "[::1]", "::1", 993 },
		{ "::1", "::1", 993 },
		{ "[fe80::1%eth0]:10993", "fe80::1%eth0", 10993 },
	};
	static const char *bad[] = {
		"", ":993", "host:0", "host:65536", "host:abc", "host:",
		"[::1", "[::1]x", "[nothost]:993", "1:2:3:zz", "a b:993",
	};
	struct mc_err	 err;
	char		*host, *s;
	size_t		 i;
	int		 port;

	(void)state;
	s = certstore_hostport("::1", 993);
	assert_string_equal(s, "[::1]:993");
	free(s);
	s = certstore_hostport("Mail.Example.COM", 587);
	assert_string_equal(s, "mail.example.com:587");
	free(s);
	s = certstore_hostport("127.0.0.1", 25);
	assert_string_equal(s, "127.0.0.1:25");
	free(s);

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (certstore_parse_hostport(good[i].in, &host, &port,
		    &err) != 0)
			fail_msg("'%s': %s", good[i].in, err.msg);
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
		free(host);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mc_err_clear(&err);
		host = (char *)1;
		if (certstore_parse_hostport(bad[i], &host, &port, &err) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(host);
		assert_int_equal(err.kind, MCE_USAGE);
		assert_true(err.msg[0] != '\0');
	}
}

/* --- the gate ------------------------------------------------------------ */

struct prompt_log {
	enum trust_answer	 answer;
	int			 calls;
	enum cert_verdict	 verdict;
	int			 had_old;
	char			*report;
};

static enum trust_answer
fake_prompt(const struct trust_request *req, void *arg)
{
	struct prompt_log	*pl = arg;

	pl->calls++;
	pl->verdict = req->verdict;
	pl->had_old = req->old != NULL;
	free(pl->report);
	pl->report = cert_report_text(req);
	return pl->answer;
}

static void
test_gate(void **state)
{
	struct certstore	*cs;
	struct cert_info	*ci, *other;
	struct net_conn		 conn;
	struct trust_ctx	 tc;
	struct prompt_log	 pl;
	enum cert_verdict	 how;
	struct mc_err		 err;
	char			*path;

	(void)state;
	path = fresh_path("gate");
	assert_int_equal(certstore_open(path, &cs, &err), 0);
	ci = mk_cert(KEY_A, LEAF_1);
	memset(&conn, 0, sizeof conn);
	conn.host = "localhost";
	conn.port = 10993;
	conn.cert = ci;
	memset(&pl, 0, sizeof pl);
	memset(&tc, 0, sizeof tc);
	tc.store = cs;
	tc.account = "work";

	/* No one to ask: a sentence that says how to trust it. */
	mc_err_clear(&err);
	assert_int_equal(trust_gate(&tc, "imap", &conn, &how, &err), -1);
	assert_int_equal(err.kind, MCE_CERT_UNTRUSTED);
	assert_non_null(strstr(err.msg, "self-signed certificate"));
	assert_non_null(strstr(err.msg,
	    "mailconn certs trust localhost:10993"));

	/* Reject. */
	tc.prompt = fake_prompt;
	tc.arg = &pl;
	pl.answer = TRUST_REJECT;
	mc_err_clear(&err);
	assert_int_equal(trust_gate(&tc, "imap", &conn, &how, &err), -1);
	assert_int_equal(err.kind, MCE_CERT_REJECTED);
	assert_int_equal(pl.calls, 1);
	assert_int_equal(pl.verdict, CERT_UNTRUSTED);
	assert_non_null(strstr(pl.report, "localhost:10993 (imap, account "
	    "work) is not trusted"));
	assert_non_null(strstr(pl.report, "  - self-signed certificate\n"));
	assert_non_null(strstr(pl.report, "DNS:localhost, IP:127.0.0.1"));
	assert_non_null(strstr(pl.report, "Key SHA-256:  AA:AA:AA:"));
	assert_non_null(strstr(pl.report, "SHA-256:      11:11:11:"));
	assert_non_null(strstr(pl.report, "2026-01-01 00:00 UTC"));

	/* Once: passes now, without asking again. */
	pl.answer = TRUST_ACCEPT_ONCE;
	assert_int_equal(trust_gate(&tc, "imap", &conn, &how, &err), 0);
	assert_int_equal(how, CERT_ACCEPTED_ONCE);
	assert_int_equal(trust_gate(&tc, "imap", &conn, &how, &err), 0);
	assert_int_equal(how, CERT_ACCEPTED_ONCE);
	assert_int_equal(pl.calls, 2);
	assert_int_equal(access(path, F_OK), -1);	/* nothing written */

	/* Always: pinned on disk. */
	conn.port = 10465;
	pl.answer = TRUST_ACCEPT_ALWAYS;
	assert_int_equal(trust_gate(&tc, "smtp", &conn, &how, &err), 0);
	assert_int_equal(how, CERT_PINNED);
	assert_int_equal(pl.calls, 3);
	assert_int_equal(trust_gate(&tc, "smtp", &conn, &how, &err), 0);
	assert_int_equal(how, CERT_PINNED);
	assert_int_equal(pl.calls, 3);

	/* A different key: CHANGED, loudly, rejected by the person. */
	other = mk_cert(KEY_B, LEAF_2);
	conn.cert = other;
	pl.answer = TRUST_REJECT;
	mc_err_clear(&err);
	assert_int_equal(trust_gate(&tc, "smtp", &conn, &how, &err), -1);
	assert_int_equal(err.kind, MCE_CERT_CHANGED);
	assert_int_equal(pl.verdict, CERT_CHANGED);
	assert_true(pl.had_old);
	assert_non_null(strstr(pl.report, "CERTIFICATE CHANGED since pinned "
	    "on "));
	assert_non_null(strstr(pl.report, "Pinned key SHA-256:  AA:AA:"));
	assert_non_null(strstr(pl.report, "Key now SHA-256:     BB:BB:"));

	/* CHANGED with no one to ask: old and new keys, forget then trust. */
	tc.prompt = NULL;
	mc_err_clear(&err);
	assert_int_equal(trust_gate(&tc, "smtp", &conn, &how, &err), -1);
	assert_int_equal(err.kind, MCE_CERT_CHANGED);
	assert_non_null(strstr(err.msg, "CERTIFICATE CHANGED"));
	assert_non_null(strstr(err.msg, "AA:AA:AA"));
	assert_non_null(strstr(err.msg, "BB:BB:BB"));
	assert_non_null(strstr(err.msg, "mailconn certs forget "
	    "localhost:10465"));
	assert_non_null(strstr(err.msg, "mailconn certs trust "
	    "localhost:10465"));

	/* Verified needs no one. */
	free(other->problems[0].text);
	other->nproblems = 0;
	assert_int_equal(trust_gate(&tc, "smtp", &conn, &how, &err), 0);
	assert_int_equal(how, CERT_VERIFIED);

	/* No TLS session at all is never trusted. */
	conn.cert = NULL;
	assert_int_equal(trust_gate(&tc, "smtp", &conn, &how, &err), -1);
	assert_int_equal(err.kind, MCE_INSECURE);

	free(pl.report);
	cert_info_free(other);
	cert_info_free(ci);
	certstore_free(cs);
	free(path);
}

static void
test_problem_text(void **state)
{
	struct cert_info	*ci, *dup;
	char			*s;

	(void)state;
	ci = mk_cert(KEY_A, LEAF_1);
	ci->not_after = 1609459200;	/* 2021-01-01 */
	s = cert_problem_text(X509_V_ERR_CERT_HAS_EXPIRED, ci, "localhost");
	assert_string_equal(s, "expired on 2021-01-01 (UTC)");
	free(s);
	s = cert_problem_text(X509_V_ERR_CERT_NOT_YET_VALID, ci, "localhost");
	assert_string_equal(s, "not valid before 2024-01-01 (UTC)");
	free(s);
	s = cert_problem_text(X509_V_ERR_HOSTNAME_MISMATCH, ci,
	    "mail.example.com");
	assert_string_equal(s, "issued for localhost, 127.0.0.1 \xe2\x80\x94 "
	    "not mail.example.com");
	free(s);
	s = cert_problem_text(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, ci,
	    "localhost");
	assert_string_equal(s, "self-signed certificate");
	free(s);
	s = cert_problem_text(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	    ci, "localhost");
	assert_string_equal(s, "issued by an unknown authority "
	    "(CN=localhost)");
	free(s);
	/* Without SANs the CN is what it was issued for. */
	dup = cert_info_dup(ci);
	free(dup->sans[0]);
	free(dup->sans[1]);
	dup->nsans = 0;
	s = cert_problem_text(X509_V_ERR_HOSTNAME_MISMATCH, dup, "x.test");
	assert_string_equal(s, "issued for localhost \xe2\x80\x94 not x.test");
	free(s);
	cert_info_free(dup);
	/* The dup is deep. */
	dup = cert_info_dup(ci);
	assert_ptr_not_equal(dup->sans, ci->sans);
	assert_string_equal(dup->sans[1], "IP:127.0.0.1");
	assert_string_equal(dup->problems[0].text, "self-signed certificate");
	assert_string_equal(dup->spki_sha256, KEY_A);
	cert_info_free(dup);
	cert_info_free(ci);
}

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(net_is_loopback("localhost"));
	assert_true(net_is_loopback("LOCALHOST"));
	assert_true(net_is_loopback("127.0.0.1"));
	assert_true(net_is_loopback("127.10.20.30"));
	assert_true(net_is_loopback("::1"));
	assert_true(net_is_loopback("[::1]"));
	assert_true(net_is_loopback("::ffff:127.0.0.1"));
	assert_false(net_is_loopback("128.0.0.1"));
	assert_false(net_is_loopback("::2"));
	assert_false(net_is_loopback("::ffff:10.0.0.1"));
	assert_false(net_is_loopback("localhost.example.com"));
	assert_false(net_is_loopback("mail.example.com"));
	assert_false(net_is_loopback(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_missing),
		cmocka_unit_test(test_parse_corrupt),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_atomic_mode),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_problem_text),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

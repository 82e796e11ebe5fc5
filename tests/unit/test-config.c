/*
 * test-config.c -- accounts.conf: parsing, every error with its line,
 * defaults, tilde expansion, canonical save and the round trip.
 */

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

static char	tmpdir[] = "/tmp/mc-config-XXXXXX";

static int
setup(void **state)
{
	char	*data;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	setenv("HOME", "/home/ann", 1);
	data = xasprintf("%s/data", tmpdir);
	setenv("XDG_DATA_HOME", data, 1);
	free(data);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Write text (len bytes) to a fresh file in tmpdir; caller frees path. */
static char *
write_conf(const char *name, const char *text, size_t len)
{
	struct mc_err	 err;
	char		*path;

	path = xasprintf("%s/%s", tmpdir, name);
	if (mc_write_atomic(path, text, len, 0600, &err) == -1)
		fail_msg("%s", err.msg);
	return path;
}

static const char full_conf[] =
    "\xef\xbb\xbf# my accounts\r\n"
    "; another comment\n"
    "\n"
    "[ui]\n"
    "theme = solarized-dark\n"
    "\n"
    "[account work]\n"
    "email            = ann@example.com\n"
    "name             = Ann Example # not a comment\n"
    "imap-host        = imap.example.com\r\n"
    "imap-port        = 10993\n"
    "imap-security    = imaps\n"
    "imap-user        = ann\n"
    "smtp-host        = smtp.example.com\n"
    "smtp-port        = 2525\n"
    "smtp-security    = starttls\n"
    "smtp-user        = ann-smtp\n"
    "   password-command = pass show mail/work#1 | head -n1\n"
    "ca-file          = ~/certs/corp-ca.pem\n"
    "tls-min          = 1.3\n"
    "maildir          = ~/Mail/work\n"
    "folders          = * !Junk\n"
    "max-connections  = 3\n"
    "poll-interval    = 60\n"
    "[account home.2_x-y]\n"
    "email=bob@example.org\n"
    "imap-host=127.0.0.1\n"
    "imap-security=none\n";

static void
check_full(const struct config *cfg)
{
	const struct account	*a, *b;

	assert_string_equal(cfg->theme, "solarized-dark");
	a = cfg->accounts;
	assert_non_null(a);
	assert_string_equal(a->name, "work");
	assert_string_equal(a->email, "ann@example.com");
	assert_string_equal(a->display_name, "Ann Example # not a comment");
	assert_string_equal(a->imap_host, "imap.example.com");
	assert_int_equal(a->imap_port, 10993);
	assert_int_equal(a->imap_sec, SEC_TLS);
	assert_string_equal(a->imap_user, "ann");
	assert_string_equal(a->smtp_host, "smtp.example.com");
	assert_int_equal(a->smtp_port, 2525);
	assert_int_equal(a->smtp_sec, SEC_STARTTLS);
	assert_string_equal(a->smtp_user, "ann-smtp");
	assert_string_equal(a->password_command,
	    "pass show mail/work#1 | head -n1");
	assert_string_equal(a->ca_file, "/home/ann/certs/corp-ca.pem");
	assert_int_equal(a->tls_min, 13);
	assert_string_equal(a->maildir, "/home/ann/Mail/work");
	assert_string_equal(a->folders, "* !Junk");
	assert_int_equal(a->max_connections, 3);
	assert_int_equal(a->poll_interval, 60);

	b = a->next;
	assert_non_null(b);
	assert_string_equal(b->name, "home.2_x-y");
	assert_string_equal(b->email, "bob@example.org");
	assert_string_equal(b->imap_host, "127.0.0.1");
	assert_int_equal(b->imap_sec, SEC_NONE);
	assert_null(b->next);
}

static void
test_missing_file_is_empty(void **state)
{
	struct config	*cfg = (void *)1;
	struct mc_err	 err;
	char		*path;

	(void)state;
	path = xasprintf("%s/nope/accounts.conf", tmpdir);
	mc_err_set(&err, MCE_IO, "stale");
	assert_int_equal(config_load(path, &cfg, &err), 0);
	assert_non_null(cfg);
	assert_null(cfg->accounts);
	assert_null(cfg->theme);
	assert_string_equal(cfg->path, path);
	assert_int_equal(err.kind, MCE_NONE);
	config_free(cfg);
	free(path);
}

static void
test_default_path(void **state)
{
	struct config	*cfg;
	char		*p, *conf;

	(void)state;
	conf = xasprintf("%s/xdgconf", tmpdir);
	setenv("XDG_CONFIG_HOME", conf, 1);
	p = config_default_path();
	assert_string_equal(p + strlen(conf), "/mailconn/accounts.conf");
	assert_int_equal(config_load(NULL, &cfg, NULL), 0);
	assert_string_equal(cfg->path, p);
	config_free(cfg);
	unsetenv("XDG_CONFIG_HOME");
	free(p);
	free(conf);
}

static void
test_load_full(void **state)
{
	struct config	*cfg;
	struct mc_err	 err;
	char		*path;

	(void)state;
	path = write_conf("full.conf", full_conf, sizeof full_conf - 1);
	if (config_load(path, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	check_full(cfg);
	assert_int_equal(account_validate(cfg->accounts, &err), 0);
	/* none is fine for 127.0.0.1. */
	assert_int_equal(account_validate(cfg->accounts->next, &err), 0);
	config_free(cfg);
	free(path);
}

static void
test_defaults(void **state)
{
	static const char	 conf[] =
	    "[account min]\n"
	    "email = ann@example.com\n"
	    "imap-host = imap.example.com\n"
	    "[account st]\n"
	    "imap-host = imap.example.com\n"
	    "imap-security = starttls\n"
	    "imap-user = ann\n"
	    "smtp-host = smtp.example.com\n"
	    "smtp-security = starttls\n";
	struct config		*cfg;
	struct mc_err		 err;
	struct account		*a;
	char			*path, *maildir;

	(void)state;
	path = write_conf("defaults.conf", conf, sizeof conf - 1);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	a = config_find(cfg, "min");
	assert_non_null(a);
	assert_int_equal(a->imap_port, 993);
	assert_int_equal(a->imap_sec, SEC_TLS);
	assert_string_equal(a->imap_user, "ann@example.com");
	assert_null(a->smtp_host);
	assert_int_equal(a->smtp_port, 465);
	assert_int_equal(a->smtp_sec, SEC_TLS);
	assert_string_equal(a->smtp_user, "ann@example.com");
	assert_null(a->password_command);
	assert_null(a->ca_file);
	assert_null(a->display_name);
	assert_int_equal(a->tls_min, 12);
	maildir = xasprintf("%s/data/mailconn/mail/min", tmpdir);
	assert_string_equal(a->maildir, maildir);
	free(maildir);
	assert_string_equal(a->folders, "*");
	assert_int_equal(a->max_connections, 5);
	assert_int_equal(a->poll_interval, 300);

	a = config_find(cfg, "st");
	assert_non_null(a);
	assert_int_equal(a->imap_port, 143);
	assert_int_equal(a->smtp_port, 587);
	assert_null(a->email);
	assert_string_equal(a->imap_user, "ann");
	assert_string_equal(a->smtp_user, "ann");
	assert_null(config_find(cfg, "nope"));
	config_free(cfg);
	free(path);

	/* account_defaults fills only what is unset. */
	a = account_new("x");
	a->imap_port = 1143;
	a->smtp_sec = SEC_STARTTLS;
	a->imap_user = xstrdup("u");
	account_defaults(a);
	assert_int_equal(a->imap_port, 1143);
	assert_int_equal(a->smtp_port, 587);
	assert_string_equal(a->smtp_user, "u");
	account_free(a);
}

struct bad {
	const char	*text;
	const char	*want;		/* after "PATH:" */
};

static const struct bad bads[] = {
	{ "[account work]\nemial = x\n",
	    "2: unknown key 'emial' in [account work]." },
	{ "[ui]\ncolour = red\n", "2: unknown key 'colour' in [ui]." },
	{ "# c\n[account work]\nimap-host = h\nimap-port = abc\n",
	    "4: imap-port must be a number from 1 to 65535, not 'abc'." },
	{ "[account work]\nsmtp-port = 0\n",
	    "2: smtp-port must be a number from 1 to 65535, not '0'." },
	{ "[account work]\nimap-port = 65536\n",
	    "2: imap-port must be a number from 1 to 65535, not '65536'." },
	{ "[account work]\nimap-port = -1\n",
	    "2: imap-port must be a number from 1 to 65535, not '-1'." },
	{ "[account work]\nimap-port = 99999999999999999999999\n",
	    "2: imap-port must be a number from 1 to 65535, not "
	    "'99999999999999999999999'." },
	{ "[account work]\nimap-port = 993 # implicit TLS\n",
	    "2: imap-port must be a number from 1 to 65535, not "
	    "'993 # implicit TLS' (comments must be on a line of their own)." },
	{ "[account work]\nimap-security = smtps\n",
	    "2: imap-security must be imaps, starttls or none, not 'smtps'." },
	{ "[account work]\nsmtp-security = tls\n",
	    "2: smtp-security must be smtps, starttls or none, not 'tls'." },
	{ "[account work]\nsmtp-security = ssl\n",
	    "2: smtp-security must be smtps, starttls or none, not 'ssl'." },
	{ "[account work]\ntls-min = 1.4\n",
	    "2: tls-min must be 1.0, 1.1, 1.2 or 1.3, not '1.4'." },
	{ "[account work]\ntls-min = sslv3\n",
	    "2: tls-min must be 1.0, 1.1, 1.2 or 1.3, not 'sslv3' (SSL 3.0 "
	    "is broken and not supported)." },
	{ "[account work]\nmax-connections = 6\n",
	    "2: max-connections must be a number from 1 to 5, not '6'." },
	{ "[account work]\nmax-connections = 0\n",
	    "2: max-connections must be a number from 1 to 5, not '0'." },
	{ "[account work]\npoll-interval = 5\n",
	    "2: poll-interval must be a number of seconds from 10 to 86400, "
	    "not '5'." },
	{ "[account work]\npoll-interval = 5m\n",
	    "2: poll-interval must be a number of seconds from 10 to 86400, "
	    "not '5m'." },
	{ "[account work]\nimap-host = imap example.com\n",
	    "2: imap-host must be a host name without blanks, not "
	    "'imap example.com'." },
	{ "[account work]\nemail = a@b\n\n[account work]\n",
	    "4: duplicate [account work] (first at line 1)." },
	{ "[account work]\nemail = a@b\n[account x]\n[account y]\n"
	    "email = c@d\nemail = e@f\n",
	    "6: duplicate key 'email' in [account y] (first at line 5)." },
	{ "email = a@b\n[account work]\n",
	    "1: key 'email' is outside any section; put it under "
	    "[account NAME]." },
	{ "[account work\nemail = a@b\n",
	    "1: missing ']' at the end of '[account work'." },
	{ "[account work] # mine\n",
	    "1: missing ']' at the end of '[account work] # mine'." },
	{ "[account my work]\n",
	    "1: account name 'my work' must be 1 to 64 letters, digits, '.', "
	    "'_' or '-' (it names directories)." },
	{ "[account ../etc]\n",
	    "1: account name '../etc' must be 1 to 64 letters, digits, '.', "
	    "'_' or '-' (it names directories)." },
	{ "[account ..]\n",
	    "1: account name '..' must be 1 to 64 letters, digits, '.', "
	    "'_' or '-' (it names directories)." },
	{ "[account  ]\n",
	    "1: unknown section '[account]'; expected [account NAME] or "
	    "[ui]." },
	{ "[accounts work]\n",
	    "1: unknown section '[accounts work]'; expected [account NAME] or "
	    "[ui]." },
	{ "[ui]\ntheme = dark\n[ui]\n",
	    "3: duplicate [ui] (first at line 1)." },
	{ "[ui]\ntheme = dark\ntheme = light\n",
	    "3: duplicate key 'theme' in [ui] (first at line 2)." },
	{ "[ui]\ntheme = ../../etc/passwd\n",
	    "2: theme must be a name of letters, digits, '.', '_' and '-', "
	    "not '../../etc/passwd'." },
	{ "[account work]\nimap-host\n",
	    "2: expected 'key = value' or a [section], not 'imap-host'." },
	{ "[account work]\n = x\n", "2: a key is missing before '='." },
	{ "[account work]\nimap-host =   \n",
	    "2: imap-host has no value; give one or remove the line." },
	{ "[account work]\nname = a\x1b[2Jb\n",
	    "2: the value of name contains a control character." },
};

static void
test_errors(void **state)
{
	struct config	*cfg;
	struct mc_err	 err;
	char		*path, *want;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		path = write_conf("bad.conf", bads[i].text,
		    strlen(bads[i].text));
		want = xasprintf("%s:%s", path, bads[i].want);
		cfg = (void *)1;
		mc_err_clear(&err);
		if (config_load(path, &cfg, &err) != -1)
			fail_msg("bad #%zu was accepted", i);
		assert_null(cfg);
		assert_int_equal(err.kind, MCE_CONFIG);
		if (strcmp(err.msg, want) != 0)
			fail_msg("bad #%zu:\n got  %s\n want %s", i, err.msg,
			    want);
		free(want);
		free(path);
	}
}

static void
test_error_nul_and_io(void **state)
{
	static const char	 text[] = "[account a]\nname = x\0y\n";
	struct config		*cfg;
	struct mc_err		 err;
	char			*path, *want;

	(void)state;
	path = write_conf("nul.conf", text, sizeof text - 1);
	assert_int_equal(config_load(path, &cfg, &err), -1);
	want = xasprintf("%s:2: the line contains a NUL byte; is this a "
	    "text file?", path);
	assert_string_equal(err.msg, want);
	free(want);
	free(path);

	/* A directory where the file should be: an I/O error, not empty. */
	assert_int_equal(config_load(tmpdir, &cfg, &err), -1);
	assert_null(cfg);
	assert_int_equal(err.kind, MCE_IO);
	assert_non_null(strstr(err.msg, tmpdir));
	assert_int_equal(config_load(tmpdir, &cfg, NULL), -1);
}

static void
test_round_trip(void **state)
{
	struct config	*cfg, *again;
	struct mc_err	 err;
	struct stat	 sb;
	char		*path, *text;

	(void)state;
	path = write_conf("rt.conf", full_conf, sizeof full_conf - 1);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	/* Save somewhere whose directory does not exist yet. */
	free(cfg->path);
	cfg->path = xasprintf("%s/new/mailconn/accounts.conf", tmpdir);
	if (config_save(cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(stat(cfg->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	text = xasprintf("%s/new/mailconn", tmpdir);
	assert_int_equal(stat(text, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	free(text);

	assert_int_equal(config_load(cfg->path, &again, &err), 0);
	check_full(again);
	/* And saving again writes the same bytes. */
	text = mc_read_file(again->path, NULL, &err);
	assert_int_equal(config_save(again, &err), 0);
	{
		char	*text2 = mc_read_file(again->path, NULL, &err);

		assert_string_equal(text, text2);
		free(text2);
	}
	free(text);
	config_free(again);
	config_free(cfg);
	free(path);
}

static void
test_canonical_output(void **state)
{
	static const char	 conf[] =
	    "[account b]\n"
	    "poll-interval = 300\n"
	    "max-connections = 5\n"
	    "tls-min = 1.2\n"
	    "folders = *\n"
	    "imap-port = 993\n"
	    "imap-host = imap.example.com\n"
	    "imap-user = bob@example.com\n"
	    "email = bob@example.com\n"
	    "smtp-user = bob@example.com\n"
	    "[account a]\n"
	    "tls-min = 1.0\n"
	    "imap-host = ::1\n"
	    "imap-security = starttls\n"
	    "imap-port = 993\n"
	    "smtp-host = localhost\n"
	    "smtp-security = none\n"
	    "imap-user = a\n"
	    "ca-file = /etc/ca.pem\n";
	struct config		*cfg;
	struct mc_err		 err;
	char			*path, *text, *maildir, *out;

	(void)state;
	path = write_conf("canon.conf", conf, sizeof conf - 1);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	/* The default maildir is not written; another one is. */
	maildir = xasprintf("%s/data/mailconn/mail/b", tmpdir);
	assert_string_equal(cfg->accounts->maildir, maildir);
	free(maildir);
	assert_int_equal(config_save(cfg, &err), 0);
	text = mc_read_file(path, NULL, &err);
	out =
	    "# mailconn accounts \xe2\x80\x94 written by mailconn; no secrets "
	    "are stored here\n"
	    "# See mailconn.conf(5).  mailconn rewrites this file: comments "
	    "are not kept.\n"
	    "\n"
	    "[account b]\n"
	    "email            = bob@example.com\n"
	    "imap-host        = imap.example.com\n"
	    "imap-security    = imaps\n"
	    "\n"
	    "[account a]\n"
	    "imap-host        = ::1\n"
	    "imap-port        = 993\n"
	    "imap-security    = starttls\n"
	    "imap-user        = a\n"
	    "smtp-host        = localhost\n"
	    "smtp-security    = none\n"
	    "ca-file          = /etc/ca.pem\n"
	    "tls-min          = 1.0\n";
	assert_string_equal(text, out);
	free(text);
	config_free(cfg);
	free(path);
}

static void
test_tilde(void **state)
{
	static const char	 conf[] =
	    "[account t]\n"
	    "ca-file = ~\n"
	    "maildir = ~/\n"
	    "password-command = cat ~/secret\n"
	    "[account u]\n"
	    "ca-file = ~other/ca.pem\n"
	    "maildir = /srv/~/mail\n";
	struct config		*cfg;
	struct mc_err		 err;
	struct account		*a;
	char			*path;

	(void)state;
	setenv("HOME", "/home/zoe", 1);
	path = write_conf("tilde.conf", conf, sizeof conf - 1);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	a = config_find(cfg, "t");
	assert_string_equal(a->ca_file, "/home/zoe");
	assert_string_equal(a->maildir, "/home/zoe/");
	/* Not a path key: left for the shell. */
	assert_string_equal(a->password_command, "cat ~/secret");
	a = config_find(cfg, "u");
	assert_string_equal(a->ca_file, "~other/ca.pem");
	assert_string_equal(a->maildir, "/srv/~/mail");
	config_free(cfg);
	free(path);
	setenv("HOME", "/home/ann", 1);
}

static void
test_validate(void **state)
{
	struct account	*a;
	struct mc_err	 err;
	static const char *loop[] = {
		"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1",
		"[::1]", "::ffff:127.0.0.1",
	};
	static const char *remote[] = {
		"imap.example.com", "128.0.0.1", "10.0.0.1", "::2",
		"localhost.example.com", "0.0.0.0",
	};
	size_t		 i;

	(void)state;
	a = account_new("work");
	assert_int_equal(account_validate(a, &err), -1);
	assert_int_equal(err.kind, MCE_CONFIG);
	assert_string_equal(err.msg, "Account 'work' has no imap-host.");
	a->imap_host = xstrdup("imap.example.com");
	assert_int_equal(account_validate(a, &err), -1);
	assert_string_equal(err.msg, "Account 'work' has neither imap-user "
	    "nor email to log in with.");
	a->email = xstrdup("ann.example.com");
	assert_int_equal(account_validate(a, &err), -1);
	assert_string_equal(err.msg, "Account 'work': email "
	    "'ann.example.com' is not an address (no '@').");
	free(a->email);
	a->email = xstrdup("ann@example.com");
	/* Valid before and after defaults. */
	assert_int_equal(account_validate(a, &err), 0);
	account_defaults(a);
	assert_int_equal(account_validate(a, &err), 0);

	a->max_connections = 6;
	assert_int_equal(account_validate(a, &err), -1);
	assert_non_null(strstr(err.msg, "max-connections"));
	a->max_connections = 5;
	a->poll_interval = 9;
	assert_int_equal(account_validate(a, &err), -1);
	assert_non_null(strstr(err.msg, "poll-interval"));
	a->poll_interval = 300;
	a->tls_min = 9;
	assert_int_equal(account_validate(a, &err), -1);
	assert_non_null(strstr(err.msg, "tls-min"));
	a->tls_min = 12;
	a->imap_port = 70000;
	assert_int_equal(account_validate(a, &err), -1);
	a->imap_port = 993;

	/* Plaintext: only to this machine. */
	a->imap_sec = SEC_NONE;
	assert_int_equal(account_validate(a, &err), -1);
	assert_int_equal(err.kind, MCE_INSECURE);
	assert_string_equal(err.msg, "Account 'work': imap-security = none "
	    "would send the password in clear text; it is allowed only for a "
	    "server on this machine (localhost, 127.0.0.0/8, ::1), not "
	    "imap.example.com.");
	for (i = 0; i < sizeof loop / sizeof loop[0]; i++) {
		free(a->imap_host);
		a->imap_host = xstrdup(loop[i]);
		if (account_validate(a, &err) != 0)
			fail_msg("%s: %s", loop[i], err.msg);
	}
	for (i = 0; i < sizeof remote / sizeof remote[0]; i++) {
		free(a->imap_host);
		a->imap_host = xstrdup(remote[i]);
		if (account_validate(a, &err) != -1)
			fail_msg("%s accepted for plaintext", remote[i]);
		assert_int_equal(err.kind, MCE_INSECURE);
	}
	free(a->imap_host);
	a->imap_host = xstrdup("127.0.0.1");
	a->smtp_host = xstrdup("smtp.example.com");
	a->smtp_sec = SEC_NONE;
	assert_int_equal(account_validate(a, &err), -1);
	assert_non_null(strstr(err.msg, "smtp-security = none"));
	assert_non_null(strstr(err.msg, "not smtp.example.com."));
	a->smtp_sec = SEC_STARTTLS;
	assert_int_equal(account_validate(a, &err), 0);
	account_free(a);

	a = account_new("bad name");
	a->imap_host = xstrdup("h");
	a->email = xstrdup("a@b");
	assert_int_equal(account_validate(a, &err), -1);
	assert_non_null(strstr(err.msg, "'bad name'"));
	account_free(a);
}

static void
test_sec_mode(void **state)
{
	enum sec_mode	m;

	(void)state;
	assert_string_equal(sec_mode_name(SEC_TLS, 0), "imaps");
	assert_string_equal(sec_mode_name(SEC_TLS, 1), "smtps");
	assert_string_equal(sec_mode_name(SEC_STARTTLS, 0), "starttls");
	assert_string_equal(sec_mode_name(SEC_NONE, 1), "none");
	assert_int_equal(sec_mode_parse("imaps", &m), 0);
	assert_int_equal(m, SEC_TLS);
	assert_int_equal(sec_mode_parse("smtps", &m), 0);
	assert_int_equal(m, SEC_TLS);
	assert_int_equal(sec_mode_parse("tls", &m), 0);
	assert_int_equal(m, SEC_TLS);
	assert_int_equal(sec_mode_parse("starttls", &m), 0);
	assert_int_equal(m, SEC_STARTTLS);
	assert_int_equal(sec_mode_parse("none", &m), 0);
	assert_int_equal(m, SEC_NONE);
	assert_int_equal(sec_mode_parse("ssl", &m), -1);
	assert_int_equal(sec_mode_parse("", &m), -1);
	assert_int_equal(sec_mode_parse(NULL, &m), -1);
	assert_int_equal(sec_default_port(SEC_TLS, 0), 993);
	assert_int_equal(sec_default_port(SEC_STARTTLS, 0), 143);
	assert_int_equal(sec_default_port(SEC_NONE, 0), 143);
	assert_int_equal(sec_default_port(SEC_TLS, 1), 465);
	assert_int_equal(sec_default_port(SEC_STARTTLS, 1), 587);
	assert_int_equal(sec_default_port(SEC_NONE, 1), 587);
}

static void
test_add_find_remove(void **state)
{
	struct config	*cfg;
	struct mc_err	 err;
	struct account	*a;
	char		*path;

	(void)state;
	path = xasprintf("%s/edit/accounts.conf", tmpdir);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	config_add(cfg, account_new("one"));
	config_add(cfg, account_new("two"));
	config_add(cfg, account_new("three"));
	a = account_new("two");
	a->email = xstrdup("new@example.com");
	config_add(cfg, a);		/* replaces, keeps its place */
	assert_string_equal(cfg->accounts->name, "one");
	assert_ptr_equal(cfg->accounts->next, a);
	assert_string_equal(cfg->accounts->next->next->name, "three");
	assert_null(cfg->accounts->next->next->next);
	assert_ptr_equal(config_find(cfg, "two"), a);

	assert_int_equal(config_remove(cfg, "one", &err), 0);
	assert_ptr_equal(cfg->accounts, a);
	assert_int_equal(config_remove(cfg, "one", &err), -1);
	assert_int_equal(err.kind, MCE_NOTFOUND);
	assert_non_null(strstr(err.msg, "'one'"));

	/* Accounts never given defaults save and load back. */
	assert_int_equal(config_save(cfg, &err), 0);
	config_free(cfg);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	a = config_find(cfg, "two");
	assert_non_null(a);
	assert_string_equal(a->email, "new@example.com");
	assert_int_equal(a->imap_port, 993);
	assert_non_null(config_find(cfg, "three"));
	assert_null(config_find(cfg, "one"));
	config_free(cfg);
	free(path);
}

static void
test_save_refuses_bad_values(void **state)
{
	struct config	*cfg;
	struct mc_err	 err;
	struct account	*a;
	struct stat	 sb;
	char		*path;

	(void)state;
	path = xasprintf("%s/refuse/accounts.conf", tmpdir);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	a = account_new("x");
	a->display_name = xstrdup("Ann\n[account evil]");
	config_add(cfg, a);
	assert_int_equal(config_save(cfg, &err), -1);
	assert_int_equal(err.kind, MCE_CONFIG);
	assert_string_equal(err.msg, "Cannot save account 'x': name contains "
	    "a control character or a line break, or starts or ends with a "
	    "blank.");
	/* Nothing was written. */
	assert_int_equal(stat(path, &sb), -1);
	free(a->display_name);
	a->display_name = xstrdup(" padded");
	assert_int_equal(config_save(cfg, &err), -1);
	free(a->display_name);
	a->display_name = NULL;
	free(a->name);
	a->name = xstrdup("a/b");
	assert_int_equal(config_save(cfg, &err), -1);
	assert_non_null(strstr(err.msg, "'a/b'"));
	free(a->name);
	a->name = xstrdup("ok");
	cfg->theme = xstrdup("../x");
	assert_int_equal(config_save(cfg, &err), -1);
	free(cfg->theme);
	cfg->theme = xstrdup("dark");
	assert_int_equal(config_save(cfg, &err), 0);
	config_free(cfg);
	assert_int_equal(config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg->theme, "dark");
	assert_non_null(config_find(cfg, "ok"));
	config_free(cfg);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_file_is_empty),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_nul_and_io),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_canonical_output),
		cmocka_unit_test(test_tilde),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_sec_mode),
		cmocka_unit_test(test_add_find_remove),
		cmocka_unit_test(test_save_refuses_bad_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

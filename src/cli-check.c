/*
 * cli-check.c -- `mailconn check`: options, the account (from the file, or
 * made from --imap/--smtp), the passwords, then check.c does the rest.
 *
 * Passwords: for ACCOUNT, the account's own (password-command or keyring);
 * a missing one makes the login rows WARN with the reason, it is not an
 * error.  For --imap, one password is read (terminal with echo off, or the
 * first line of stdin) and used for IMAP and SMTP.  Either way it is wiped
 * when the report is done and never printed.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "config.h"
#include "net.h"
#include "secret.h"
#include "util.h"

#define CHECK_DEFAULT_TIMEOUT	10	/* seconds, per connection step */

struct check_args {
	const char	*imap, *smtp;
	const char	*imap_sec, *smtp_sec;
	const char	*user, *smtp_user;
	const char	*ca_file;
	int		 no_login;
	int		 json;
	int		 max_connections;	/* 0: the account's, or 5 */
	int		 timeout;
};

static int	 parse_args(int, char **, struct check_args *, char **);
static int	 adhoc_account(const struct check_args *, struct account **);
static int	 adhoc_server(const char *, const char *, int,
		     struct account *);
static void	 account_passwords(const struct account *, struct check_opts *,
		     char **, char **, struct mc_err *, struct mc_err *);
static int	 run(struct check_opts *, int);

static int
parse_args(int argc, char **argv, struct check_args *a, char **name)
{
	static const struct option longopts[] = {
		{ "imap",		required_argument,	NULL, 'i' },
		{ "imap-security",	required_argument,	NULL, 'I' },
		{ "smtp",		required_argument,	NULL, 's' },
		{ "smtp-security",	required_argument,	NULL, 'S' },
		{ "user",		required_argument,	NULL, 'u' },
		{ "smtp-user",		required_argument,	NULL, 'U' },
		{ "ca-file",		required_argument,	NULL, 'C' },
		{ "no-login",		no_argument,		NULL, 'n' },
		{ "max-connections",	required_argument,	NULL, 'm' },
		{ "timeout",		required_argument,	NULL, 't' },
		{ "json",		no_argument,		NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(a, 0, sizeof *a);
	a->timeout = CHECK_DEFAULT_TIMEOUT;
	*name = NULL;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			a->imap = optarg;
			break;
		case 'I':
			a->imap_sec = optarg;
			break;
		case 's':
			a->smtp = optarg;
			break;
		case 'S':
			a->smtp_sec = optarg;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'U':
			a->smtp_user = optarg;
			break;
		case 'C':
			a->ca_file = optarg;
			break;
		case 'n':
			a->no_login = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'm':
			if (cli_parse_int(optarg, 1, 20,
			    &a->max_connections) == -1)
				return cli_usage("check", "--max-connections "
				    "takes a number from 1 to 20.");
			break;
		case 't':
			if (cli_parse_int(optarg, 1, 300, &a->timeout) == -1)
				return cli_usage("check", "--timeout takes "
				    "seconds, from 1 to 300.");
			break;
		default:
			return cli_usage("check", "unknown or incomplete "
			    "option '%s'.", argv[optind - 1]);
		}
	}
	if (optind < argc)
		*name = argv[optind++];
	if (optind < argc)
		return cli_usage("check", "unexpected argument '%s'.",
		    argv[optind]);
	if (*name == NULL && a->imap == NULL)
		return cli_usage("check", "give an ACCOUNT or --imap HOST.");
	if (*name != NULL && (a->imap != NULL || a->smtp != NULL ||
	    a->user != NULL || a->smtp_user != NULL || a->ca_file != NULL ||
	    a->imap_sec != NULL || a->smtp_sec != NULL))
		return cli_usage("check", "give either an ACCOUNT or --imap "
		    "and its options, not both.");
	if (*name == NULL && a->user == NULL && !a->no_login)
		return cli_usage("check", "--user USER is needed to test the "
		    "login (or give --no-login).");
	return 0;
}

/* host[:port] and security of one server of the ad hoc account. */
static int
adhoc_server(const char *hp, const char *secname, int smtp,
    struct account *acct)
{
	struct mc_err	 err;
	enum sec_mode	 sec;
	char		*host;
	int		 port;

	mc_err_clear(&err);
	if (cli_parse_hostport(hp, &host, &port, &err) == -1)
		return cli_usage("check", "%s", err.msg);
	if (secname != NULL) {
		if (sec_mode_parse(secname, &sec) == -1) {
			free(host);
			return cli_usage("check", "unknown security '%s' "
			    "(%s, starttls or none).", secname,
			    smtp ? "smtps" : "imaps");
		}
	} else if (smtp)
		sec = port == 587 || port == 25 ? SEC_STARTTLS : SEC_TLS;
	else
		sec = port == 143 ? SEC_STARTTLS : SEC_TLS;
	if (port == 0)
		port = sec_default_port(sec, smtp);
	if (sec == SEC_NONE && !net_is_loopback(host)) {
		free(host);
		return cli_usage("check", "security none (clear text) is "
		    "allowed only for a server on this machine.");
	}
	if (smtp) {
		acct->smtp_host = host;
		acct->smtp_port = port;
		acct->smtp_sec = sec;
	} else {
		acct->imap_host = host;
		acct->imap_port = port;
		acct->imap_sec = sec;
	}
	return 0;
}

static int
adhoc_account(const struct check_args *a, struct account **out)
{
	struct account	*acct;
	int		 rc;

	acct = account_new("check");
	if ((rc = adhoc_server(a->imap, a->imap_sec, 0, acct)) != 0 ||
	    (a->smtp != NULL &&
	    (rc = adhoc_server(a->smtp, a->smtp_sec, 1, acct)) != 0)) {
		account_free(acct);
		return rc;
	}
	free(acct->imap_user);
	acct->imap_user = a->user != NULL ? xstrdup(a->user) : NULL;
	free(acct->smtp_user);
	acct->smtp_user = a->smtp_user != NULL ? xstrdup(a->smtp_user) :
	    a->user != NULL ? xstrdup(a->user) : NULL;
	free(acct->ca_file);
	acct->ca_file = a->ca_file != NULL ? mc_expand_tilde(a->ca_file) :
	    NULL;
	acct->tls_min = 12;
	acct->max_connections = 5;
	*out = acct;
	return 0;
}

/*
 * The account's passwords.  A missing one is not an error: the report
 * says why there was no login.  SMTP falls back to the IMAP password when
 * the user is the same (one mailbox, one password).
 */
static void
account_passwords(const struct account *acct, struct check_opts *o,
    char **pw, char **spw, struct mc_err *err, struct mc_err *serr)
{
	*pw = *spw = NULL;
	mc_err_clear(err);
	mc_err_clear(serr);
	if (secret_for_account(acct, "imap", pw, err) == -1) {
		*pw = NULL;
		o->password_why = err->msg;
	}
	o->password = *pw;
	if (acct->smtp_host == NULL)
		return;
	if (acct->password_command != NULL) {
		/* One command serves both: do not run it twice. */
		if (*pw != NULL)
			*spw = xstrdup(*pw);
		else
			o->smtp_password_why = err->msg;
	} else if (secret_for_account(acct, "smtp", spw, serr) == -1) {
		*spw = NULL;
		if (*pw != NULL && acct->smtp_user != NULL &&
		    acct->imap_user != NULL &&
		    strcmp(acct->smtp_user, acct->imap_user) == 0)
			*spw = xstrdup(*pw);
		else
			o->smtp_password_why = serr->msg;
	}
	o->smtp_password = *spw;
}

static int
run(struct check_opts *o, int json)
{
	struct check_report	 rep;
	const char		*nc;
	int			 rc, colour;

	check_run(o, &rep);
	if (json)
		check_print_json(&rep, o, stdout);
	else {
		nc = getenv("NO_COLOR");
		colour = isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0');
		check_print_text(&rep, stdout, colour);
	}
	fflush(stdout);
	rc = check_exit_code(&rep);
	check_report_free(&rep);
	return rc;
}

int
cli_check(struct cli *cli, int argc, char **argv)
{
	struct check_args	 a;
	struct check_opts	 o;
	struct config		*cfg = NULL;
	struct account		*acct = NULL, *own = NULL;
	struct certstore	*store = NULL;
	struct mc_err		 err, serr;
	char			*name, *pw = NULL, *spw = NULL, *prompt;
	int			 rc;

	if ((rc = parse_args(argc, argv, &a, &name)) != 0)
		return rc;
	memset(&o, 0, sizeof o);
	if (name != NULL) {
		if (cli_load_account(cli, name, 1, &cfg, &acct) == -1)
			return CLI_EXIT_USAGE;
	} else {
		if ((rc = adhoc_account(&a, &own)) != 0)
			return rc;
		acct = own;
		o.adhoc = 1;
	}
	if (cli_open_certstore(&store) == -1) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}

	o.account = acct;
	o.store = store;
	o.timeout = a.timeout;
	o.no_login = a.no_login;
	o.max_connections = a.max_connections > 0 ? a.max_connections :
	    acct->max_connections > 0 ? acct->max_connections : 5;

	if (name != NULL && !a.no_login)
		account_passwords(acct, &o, &pw, &spw, &err, &serr);
	else if (!a.no_login) {
		prompt = xasprintf("Password for %s at %s: ", acct->imap_user,
		    acct->imap_host);
		mc_err_clear(&err);
		rc = secret_read_password(prompt, &pw, &err);
		free(prompt);
		if (rc == -1) {
			cli_error("%s", err.msg);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		o.password = pw;
		o.smtp_password = pw;
	}
	rc = run(&o, a.json);

out:
	if (spw != pw)
		mc_free_secret(spw);
	mc_free_secret(pw);
	if (store != NULL)
		certstore_free(store);
	if (own != NULL)
		account_free(own);
	if (cfg != NULL)
		config_free(cfg);
	return rc;
}

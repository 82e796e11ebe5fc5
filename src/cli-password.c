/*
 * cli-password.c -- `mailconn password set ACCOUNT [--imap|--smtp]` and
 * `mailconn password forget ACCOUNT`.
 *
 * Which keyring entries `set` writes:
 *   (no option)  the IMAP password, and the SMTP one too when the account
 *                has an SMTP server with the same user (one mailbox, one
 *                password: the usual case);
 *   --imap       only the IMAP password;
 *   --smtp       only the SMTP password (an SMTP login of its own).
 * The password is read from the terminal with echo off, or as the first
 * line of stdin when stdin is not a terminal; never from argv or env.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "secret.h"
#include "util.h"

static int	 password_set(struct cli *, int, char **);
static int	 password_forget(struct cli *, int, char **);
static int	 store_one(const struct account *, const char *, const char *);

int
cli_password(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("password", "which one: set or forget?");
	if (strcmp(argv[1], "set") == 0)
		return password_set(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "forget") == 0)
		return password_forget(cli, argc - 1, argv + 1);
	return cli_usage("password", "unknown password command '%s'.",
	    argv[1]);
}

static int
store_one(const struct account *a, const char *protocol, const char *pw)
{
	struct secret_key	sk;
	struct mc_err		err;

	secret_key_for(a, protocol, &sk);
	mc_err_clear(&err);
	if (secret_store(&sk, pw, &err) == -1) {
		cli_error("%s", err.msg);
		return -1;
	}
	printf("Stored the %s password of %s at %s in the keyring.\n",
	    strcmp(protocol, "smtp") == 0 ? "SMTP" : "IMAP", sk.user,
	    sk.server);
	return 0;
}

static int
password_set(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "imap",	no_argument,	NULL, 'i' },
		{ "smtp",	no_argument,	NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*cfg;
	struct account	*a;
	struct mc_err	 err;
	char		*pw = NULL, *prompt;
	int		 ch, imap = 0, smtp = 0, same, rc = CLI_EXIT_OK;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			imap = 1;
			break;
		case 's':
			smtp = 1;
			break;
		default:
			return cli_usage("password", "unknown option '%s'.",
			    argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("password", "password set takes one ACCOUNT.");
	if (imap && smtp)
		return cli_usage("password", "give --imap or --smtp, not both "
		    "(without either: IMAP, and SMTP when its user is the "
		    "same).");
	if (cli_load_account(cli, argv[optind], 1, &cfg, &a) == -1)
		return CLI_EXIT_USAGE;
	if (smtp && a->smtp_host == NULL) {
		cli_error("account '%s' has no SMTP server (smtp-host).",
		    a->name);
		config_free(cfg);
		return CLI_EXIT_USAGE;
	}
	same = a->smtp_host != NULL && a->smtp_user != NULL &&
	    a->imap_user != NULL && strcmp(a->smtp_user, a->imap_user) == 0;
	if (!imap && !smtp) {
		imap = 1;
		smtp = same;
	}

	if (smtp && !imap)
		prompt = xasprintf("SMTP password for %s at %s: ",
		    a->smtp_user, a->smtp_host);
	else
		prompt = xasprintf("Password for %s at %s: ", a->imap_user,
		    a->imap_host);
	mc_err_clear(&err);
	if (secret_read_password(prompt, &pw, &err) == -1) {
		cli_error("%s", err.msg);
		free(prompt);
		config_free(cfg);
		return CLI_EXIT_FAIL;
	}
	free(prompt);
	if (imap && store_one(a, "imap", pw) == -1)
		rc = CLI_EXIT_FAIL;
	if (rc == CLI_EXIT_OK && smtp && store_one(a, "smtp", pw) == -1)
		rc = CLI_EXIT_FAIL;
	mc_free_secret(pw);

	if (rc == CLI_EXIT_OK && imap && !smtp && !same &&
	    a->smtp_host != NULL)
		printf("The SMTP user (%s) is not the IMAP user: set its "
		    "password with `mailconn password set %s --smtp`.\n",
		    a->smtp_user != NULL ? a->smtp_user : "?", a->name);
	if (rc == CLI_EXIT_OK && a->password_command != NULL)
		printf("Note: account '%s' has password-command set; it is "
		    "used instead of the keyring while it is there.\n",
		    a->name);
	config_free(cfg);
	return rc;
}

static int
password_forget(struct cli *cli, int argc, char **argv)
{
	struct config		*cfg;
	struct account		*a;
	struct secret_key	 sk;
	int			 rc = CLI_EXIT_OK, cmd;

	if (argc != 2)
		return cli_usage("password", "password forget takes one "
		    "ACCOUNT.");
	if (cli_load_account(cli, argv[1], 0, &cfg, &a) == -1)
		return CLI_EXIT_USAGE;
	cmd = a->password_command != NULL;
	secret_key_for(a, "imap", &sk);
	if (cli_forget_secret(&sk, cmd) == -1)
		rc = CLI_EXIT_FAIL;
	if (a->smtp_host != NULL) {
		secret_key_for(a, "smtp", &sk);
		if (cli_forget_secret(&sk, cmd) == -1)
			rc = CLI_EXIT_FAIL;
	}
	config_free(cfg);
	return rc;
}

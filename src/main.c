/*
 * main.c -- global options, then one command from cli_commands[].
 *
 *   mailconn [--config FILE] [--debug] [--theme NAME] [COMMAND [ARGS...]]
 *   mailconn --version | --help
 *
 * The log file is opened for every command (with --debug: protocol traces,
 * credentials redacted by log.c).  Copies of log lines on stderr are off:
 * a command prints its own errors, once.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-dashboard.h"
#include "cli-ui.h"
#include "cli-send.h"
#include "cli-sync.h"
#include "log.h"
#include "net.h"
#include "util.h"
#include "version.h"

static int	 cli_help(struct cli *, int, char **);
static void	 usage(FILE *);

const struct cli_command cli_commands[] = {
	{ "check", cli_check,
	  "check ACCOUNT | --imap HOST[:PORT] [--imap-security imaps|starttls|none]\n"
	  "        [--smtp HOST[:PORT]] [--smtp-security smtps|starttls|none] "
	  "[--user USER]\n"
	  "        [--smtp-user USER] [--ca-file FILE] [--no-login] "
	  "[--max-connections N]\n"
	  "        [--timeout SECONDS] [--json]",
	  "report which requirements a mail server meets, for IT" },
	{ "certs", cli_certs,
	  "certs list | trust HOST[:PORT] [--imap|--smtp] [--starttls] | "
	  "forget HOST[:PORT]",
	  "list, pin or forget server certificates" },
	{ "accounts", cli_accounts,
	  "accounts list | remove NAME",
	  "list accounts, or remove one with its keyring passwords" },
	{ "password", cli_password,
	  "password set ACCOUNT [--imap|--smtp] | forget ACCOUNT",
	  "store or forget an account's password in the keyring" },
	{ "dashboard", cli_dashboard, "dashboard [-a ACCOUNT] [--theme NAME]",
	  "watch the accounts sync (the wizard when there is none); the "
	  "default" },
	{ "setup", cli_setup,
	  "setup [--theme NAME] [--email ADDR] [--name NAME] [--account NAME]\n"
	  "        [--imap HOST[:PORT]] [--imap-security imaps|starttls|none]\n"
	  "        [--smtp HOST[:PORT]] [--smtp-security smtps|starttls|none]\n"
	  "        [--user USER] [--timeout SECONDS]",
	  "set up an account with the wizard" },
	{ "sync", cli_sync, "sync [--once] [ACCOUNT]",
	  "download mail into the local Maildir (keeps IDLE going)" },
	{ "send", cli_send, CLI_SEND_USAGE, CLI_SEND_HELP },
	{ "help", cli_help, "help [COMMAND]", "show the usage of a command" },
	{ NULL, NULL, NULL, NULL }
};

static void
usage(FILE *fp)
{
	const struct cli_command	*c;

	fprintf(fp, "usage: mailconn [--config FILE] [--debug] [--theme NAME] "
	    "[COMMAND [ARGS]]\n       mailconn --version | --help\n\ncommands:\n");
	for (c = cli_commands; c->name != NULL; c++)
		fprintf(fp, "  %-9s %s\n", c->name, c->help);
	fprintf(fp, "\nSee mailconn(1) and mailconn.conf(5).\n");
}

static int
cli_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_command	*c;

	(void)cli;
	if (argc < 2) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if ((c = cli_find_command(argv[1])) == NULL)
		return cli_usage("help", "unknown command '%s'.", argv[1]);
	printf("usage: mailconn %s\n%s.\n", c->usage, c->help);
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "debug",	no_argument,		NULL, 'd' },
		{ "theme",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*c;
	struct cli			 cli;
	struct mc_err			 err;
	int				 ch, rc;

	memset(&cli, 0, sizeof cli);
	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.config_path = optarg;
			break;
		case 'd':
			cli.debug = 1;
			break;
		case 't':
			cli.theme = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("mailconn %s\n", MC_VERSION);
			return CLI_EXIT_OK;
		default:
			cli_error("unknown or incomplete option '%s'.",
			    argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		/* Plain `mailconn`: the dashboard (the wizard when empty). */
		static char	*dashboard_argv[] = { "dashboard", NULL };

		argc = 1;
		argv = dashboard_argv;
	}
	if ((c = cli_find_command(argv[0])) == NULL) {
		cli_error("unknown command '%s'.", argv[0]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: mailconn %s\n%s.\n", c->usage, c->help);
		return CLI_EXIT_OK;
	}

	net_init();
	mc_err_clear(&err);
	log_set_stderr(0, MC_LOG_ERROR);
	if (log_open(NULL, cli.debug, &err) == -1)
		cli_error("warning: %s  Continuing without a log.", err.msg);
	log_info("mailconn %s: %s", MC_VERSION, argv[0]);

	optind = 0;	/* glibc: re-initialise getopt for the command */
	rc = c->exec(&cli, argc, argv);
	log_close();
	return rc;
}

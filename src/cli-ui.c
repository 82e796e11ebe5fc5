/*
 * cli-ui.c -- `mailconn setup` and plain `mailconn`: parse the options,
 * start the terminal, run the wizard, say what happened.  Contract in
 * cli-ui.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-ui.h"
#include "discover.h"
#include "log.h"
#include "net.h"
#include "ui.h"

/* The pin store while abandoned engine threads may still read it. */
static struct certstore	*kept_store;

static int
endpoint_opt(const char *cmd, const char *arg, const char **host, int *port)
{
	struct mc_err	 err;
	char		*h;

	if (cli_parse_hostport(arg, &h, port, &err) != 0)
		return cli_usage(cmd, "%s", err.msg);
	free((char *)*host);		/* given twice: the last counts */
	*host = h;			/* cli_setup frees it */
	return 0;
}

static int
security_opt(const char *cmd, const char *arg, int smtp, int *out)
{
	enum sec_mode	 m;

	if (sec_mode_parse(arg, &m) != 0 ||
	    (smtp && strcmp(arg, "imaps") == 0) ||
	    (!smtp && strcmp(arg, "smtps") == 0))
		return cli_usage(cmd, "security must be %s, starttls or none, "
		    "not '%s'.", smtp ? "smtps" : "imaps", arg);
	*out = (int)m;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct wizard_opts *o, const char **theme)
{
	static const struct option longopts[] = {
		{ "theme",		required_argument, NULL, 't' },
		{ "email",		required_argument, NULL, 'e' },
		{ "name",		required_argument, NULL, 'n' },
		{ "account",		required_argument, NULL, 'a' },
		{ "imap",		required_argument, NULL, 'i' },
		{ "imap-security",	required_argument, NULL, 'I' },
		{ "smtp",		required_argument, NULL, 's' },
		{ "smtp-security",	required_argument, NULL, 'S' },
		{ "user",		required_argument, NULL, 'u' },
		{ "timeout",		required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch, rc = 0;

	opterr = 0;
	optind = 0;		/* glibc: start afresh for this argv */
	while (rc == 0 && (ch = getopt_long(argc, argv, "", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't': *theme = optarg; break;
		case 'e': o->email = optarg; break;
		case 'n': o->name = optarg; break;
		case 'a': o->account = optarg; break;
		case 'u': o->user = optarg; break;
		case 'i':
			rc = endpoint_opt(argv[0], optarg, &o->imap_host,
			    &o->imap_port);
			break;
		case 's':
			rc = endpoint_opt(argv[0], optarg, &o->smtp_host,
			    &o->smtp_port);
			break;
		case 'I':
			rc = security_opt(argv[0], optarg, 0, &o->imap_sec);
			break;
		case 'S':
			rc = security_opt(argv[0], optarg, 1, &o->smtp_sec);
			break;
		case 'T':
			if (cli_parse_int(optarg, 1, 300, &o->timeout) != 0)
				rc = cli_usage(argv[0], "--timeout wants 1 to "
				    "300 seconds, not '%s'.", optarg);
			break;
		default:
			rc = cli_usage(argv[0], "unknown or incomplete option "
			    "'%s'.", argv[optind - 1]);
			break;
		}
	}
	if (rc == 0 && optind < argc)
		rc = cli_usage(argv[0], "unexpected argument '%s'.",
		    argv[optind]);
	return rc;
}

static int
discover_ports(struct wizard_opts *o)
{
	const char	*env = getenv("MC_DISCOVER_PORTS");
	struct mc_err	 err;

	if (env == NULL || *env == '\0')
		return 0;
	if (discover_parse_ports(env, o->disc_ports, &err) != 0) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

static int
run_wizard(struct config *cfg, const struct wizard_opts *o,
    const char *theme)
{
	struct certstore	*store;
	struct ui_opts		 uo;
	struct mc_err		 err;
	char			*saved = NULL;
	int			 rc;

	if (cli_open_certstore(&store) != 0)
		return CLI_EXIT_FAIL;
	memset(&uo, 0, sizeof uo);
	uo.theme = theme != NULL ? theme : cfg->theme;
	net_init();
	log_set_stderr(0, MC_LOG_ERROR);	/* the screen is ours */
	if (ui_init(&uo, &err) != 0) {
		cli_error("%s", err.msg);
		certstore_free(store);
		return CLI_EXIT_USAGE;
	}
	rc = wizard_run(cfg, store, o, &saved);
	prompt_reject_all();	/* an abandoned task's, if any */
	ui_end();
	/*
	 * An engine thread the wizard walked away from (a stalled server)
	 * may still use the store until the process ends: then keep it.
	 */
	if (wizard_busy() == 0)
		certstore_free(store);
	else
		kept_store = store;
	if (rc == 0) {
		printf("mailconn: account %s saved in %s.\n", saved, cfg->path);
		free(saved);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "mailconn: setup cancelled; nothing was saved.\n");
	return CLI_EXIT_FAIL;
}

int
cli_setup(struct cli *cli, int argc, char **argv)
{
	struct wizard_opts	 o;
	struct config		*cfg;
	const char		*theme = cli->theme;	/* setup --theme wins */
	int			 rc;

	memset(&o, 0, sizeof o);
	o.imap_sec = o.smtp_sec = -1;
	if ((rc = parse_opts(argc, argv, &o, &theme)) != 0 ||
	    (rc = discover_ports(&o) != 0 ? CLI_EXIT_USAGE : 0) != 0) {
		free((char *)o.imap_host);
		free((char *)o.smtp_host);
		return rc;
	}
	if (cli_load_config(cli, &cfg) == 0) {
		rc = run_wizard(cfg, &o, theme);
		config_free(cfg);
	} else
		rc = CLI_EXIT_USAGE;
	free((char *)o.imap_host);
	free((char *)o.smtp_host);
	return rc;
}

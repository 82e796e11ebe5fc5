/*
 * cli.h -- the command line: `mailconn [global options] COMMAND ...`.
 *
 * main.c parses the global options and dispatches through the const table
 * cli_commands[] (tmux's cmd_entry style).  A command family is one file
 * whose name is its prefix: cli-check.c (cli_check), cli-certs.c,
 * cli-accounts.c, cli-password.c; cli-util.c has what they share.
 *
 * Contract of a command: it gets its argv with argv[0] the command name,
 * prints its own errors once to stderr as "mailconn: SENTENCE" (the log
 * file gets the details, stderr copies of log lines are off), and returns
 * the process exit status below.  Output meant for scripts goes to stdout.
 */
#ifndef MC_CLI_H
#define MC_CLI_H

#include "certstore.h"
#include "config.h"
#include "util.h"

/* Exit statuses, documented in mailconn(1). */
#define CLI_EXIT_OK		0	/* done; check: nothing failed */
#define CLI_EXIT_FAIL		1	/* the operation failed; check: a FAIL */
#define CLI_EXIT_USAGE		2	/* bad command line or config file */
#define CLI_EXIT_UNAVAILABLE	69	/* EX_UNAVAILABLE: not in this build */

/* What the global options set. */
struct cli {
	const char	*config_path;	/* --config FILE, or NULL */
	int		 debug;		/* --debug */
	const char	*theme;		/* --theme NAME, or NULL */
};

struct cli_command {
	const char	*name;
	int		(*exec)(struct cli *, int, char **);
	const char	*usage;		/* after "mailconn " */
	const char	*help;		/* one line */
};

extern const struct cli_command cli_commands[];

/* The commands. */
int	 cli_check(struct cli *, int, char **);
int	 cli_certs(struct cli *, int, char **);
int	 cli_accounts(struct cli *, int, char **);
int	 cli_password(struct cli *, int, char **);

/* cli-util.c */
/* "mailconn: " + the sentence on stderr. */
void	 cli_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Usage error for a command: the message and its usage; returns 2. */
int	 cli_usage(const char *cmd, const char *, ...)
	     __attribute__((format(printf, 2, 3)));
const struct cli_command *cli_find_command(const char *);
/*
 * Load the account file (--config or the default).  On error prints it and
 * returns -1 (a config error: exit 2).
 */
int	 cli_load_config(struct cli *, struct config **);
/*
 * Load and find NAME; prints "no account NAME in FILE" when missing, and
 * with validate, what account_validate() finds wrong.  -1: exit 2.
 */
int	 cli_load_account(struct cli *, const char *, int validate,
	     struct config **, struct account **);
/* Open the pin store; prints the error. */
int	 cli_open_certstore(struct certstore **);
/* Trust for a connection made by the CLI: the terminal when there is one. */
void	 cli_trust_ctx(struct trust_ctx *, struct certstore *,
	     const char *account);
/*
 * "HOST", "HOST:PORT", "[V6]:PORT", "[V6]" or a bare IPv6 literal.  *port
 * is 0 when none was given.  Caller frees *host.
 */
int	 cli_parse_hostport(const char *, char **host, int *port,
	     struct mc_err *);
/* A decimal integer in [min, max]. */
int	 cli_parse_int(const char *, int min, int max, int *);
/*
 * Forget one keyring password and say so on stdout; -1 (printed) on a
 * keyring error, unless has_command (the password never was the keyring's).
 */
struct secret_key;
int	 cli_forget_secret(const struct secret_key *, int has_command);
/* y/N question on the terminal; 1 for yes. */
int	 cli_ask_yes(const char *question);

#endif

/*
 * cli-ui.h -- the commands that open the terminal UI.
 *
 * Same contract as the commands in cli.h (argv[0] is the command name;
 * errors printed once as "mailconn: SENTENCE"; returns the exit status).
 *
 *   mailconn setup [--theme NAME] [--email ADDR] [--name NAME]
 *                  [--account NAME] [--imap HOST[:PORT]]
 *                  [--imap-security imaps|starttls|none]
 *                  [--smtp HOST[:PORT]] [--smtp-security smtps|starttls|none]
 *                  [--user USER] [--timeout SECONDS]
 *
 * The options only pre-fill the wizard (`make demo` uses them).  The theme
 * is --theme, else `[ui] theme =` of the account file, else "default".
 * MC_DISCOVER_PORTS=imaps=N,imap=N,smtps=N,submission=N (environment)
 * changes the ports discovery probes: a hook for the tests and the demo.
 *
 * Exit status: 0 an account was saved; 1 the person quit (nothing saved);
 * 2 a usage or config error, or no terminal.
 */
#ifndef MC_CLI_UI_H
#define MC_CLI_UI_H

#include "cli.h"

/* `mailconn setup`: the cli_commands[] entry. */
int	 cli_setup(struct cli *, int, char **);

#endif

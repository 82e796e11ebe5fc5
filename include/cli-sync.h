/*
 * cli-sync.h -- `mailconn sync [--once] [ACCOUNT]` (cli.h conventions).
 *
 * Runs the sync engine (slots.h) for ACCOUNT, or for every account, with
 * no UI.  On a terminal, stderr gets a progress line per folder; otherwise
 * only errors are printed.  --once: one pass, then exit (0 when every
 * folder synced, 1 otherwise).  Without it: IDLE keeps the Maildir current
 * until SIGINT or SIGTERM, which stop cleanly (IDLE DONE, LOGOUT, state
 * committed) and exit 0.  An untrusted certificate is asked about on the
 * terminal; without one it is an error naming `mailconn certs trust`.
 */
#ifndef MC_CLI_SYNC_H
#define MC_CLI_SYNC_H

#include "cli.h"

int	 cli_sync(struct cli *, int, char **);

#endif

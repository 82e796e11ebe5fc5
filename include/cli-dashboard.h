/*
 * cli-dashboard.h -- plain `mailconn`: the dashboard over the running sync
 * engine (cli.h conventions: argv[0] is the command name, errors printed
 * once as "mailconn: SENTENCE", returns the exit status).
 *
 *   mailconn [--theme NAME] [--account NAME]
 *
 * No account in the account file: the setup wizard first, and the
 * dashboard right after it saved one (same terminal session).  Otherwise
 * every account's engine starts (slots.h) and the dashboard shows the one
 * named by --account, else the first.
 *
 * The engine posts into the dashboard's own event queue, not ui_queue():
 * a pump thread nudges the UI loop (EV_TASK_DONE id DASH_NUDGE) when
 * something waits there and once a second otherwise (ages and rates move),
 * and the UI thread drains it.  So nothing is lost while the wizard (`a`)
 * owns the loop, and the dashboard sees every certificate prompt (it
 * records them, then opens ui-prompt.c's modal).  A worker thread reads
 * message and unseen counts from each account's state.db (at the start,
 * and after a folder synced), so the UI thread never touches SQLite.
 *
 * Quitting (`q`, ^C) is a clean stop: slots_stop() on every pool (IDLE
 * DONE, LOGOUT, the batch in flight committed), "stopping…" on screen
 * until every pool posted EV_ENGINE_STOPPED, at most DASH_STOP_MS.
 * A second `q` leaves at once.  `p` is the same stop for one account,
 * and its resume a new pool.
 *
 * Exit status: 0 after a clean stop; 1 when the wizard was left without
 * saving, or pools did not stop in time (they are abandoned, and named);
 * 2 a usage or config error, or no terminal.
 */
#ifndef MC_CLI_DASHBOARD_H
#define MC_CLI_DASHBOARD_H

#include "cli.h"

#define DASH_STOP_MS	10000	/* quitting: wait this long for LOGOUT */
#define DASH_TICK_MS	1000	/* redraw at rest */

int	 cli_dashboard(struct cli *, int, char **);

/*
 * The dashboard on a UI that is already up (ui_init() done; the caller
 * calls ui_end()): for a wizard that just saved an account.  cfg must
 * outlive the call; select names the account to show first (may be NULL).
 * Returns the exit status as above.
 */
struct certstore;
int	 dashboard_run(struct cli *, struct config *, struct certstore *,
	     const char *select);

#endif

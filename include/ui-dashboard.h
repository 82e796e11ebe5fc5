/*
 * ui-dashboard.h -- mailconn's main screen: what a person watches while
 * their accounts sync (issue 5).
 *
 * Two halves, as tmux keeps grid.c apart from screen-redraw.c:
 *
 *   the model (dash_model_*)  fed purely by engine events (events.h) plus
 *                             the few facts the command adds (an account
 *                             paused, a prompt answered, counts read from
 *                             the state); no curses, no clock of its own:
 *                             every call that needs time takes now_ms
 *                             (mc_now_ms()) and wall (time()), so the unit
 *                             test (tests/unit/test-dashboard.c) feeds
 *                             synthetic events and asserts totals, rate,
 *                             ETA, the folder tree and the slot rows;
 *   the screen (dash_*)       draws the model into the ui.c body and turns
 *                             keys into model-view changes or commands.
 *
 * The screen never touches the engine: commands go out through struct
 * dash_ops (cli-dashboard.c supplies them), so sync-now, pause, add
 * account and quit are the command's business, and the screen can be
 * driven without an engine.
 *
 * Threads: everything here runs on the UI thread.  The engine's events do
 * not come straight to the screen: cli-dashboard.c keeps them in its own
 * queue and posts a "nudge" (EV_TASK_DONE, id DASH_NUDGE) to ui_queue();
 * the screen answers a nudge by calling ops->drain, which feeds the model.
 * So nothing is lost while another screen (the wizard) owns the loop.
 *
 * Dirty flags: each event marks the panes it changed (m->dirty,
 * DASH_DIRTY_*; a->sorted for the folder tree).  Drawing is ui.c's one
 * repaint per loop turn (curses then sends only the cells that changed);
 * what the flags save is recomputing: a turn with 30 slot updates and a
 * new folder sorts the tree once, in the draw, and only if it changed.
 * Between events the screen still moves: busy slots animate a spinner
 * (ui_animate, 10 Hz) and the command nudges once a second at rest, so
 * "since", "12s ago" and the decaying rates stay true.
 */
#ifndef MC_UI_DASHBOARD_H
#define MC_UI_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certstore.h"
#include "events.h"

struct ui_screen;

/* The nudge cli-dashboard.c posts to ui_queue(); never a wizard task id. */
#define DASH_NUDGE		(-0x4d43)
/* ui_run() codes of the dashboard. */
#define DASH_RC_QUIT		0	/* every engine stopped cleanly */
#define DASH_RC_TIMEOUT		3	/* stopped waiting at the deadline */
#define DASH_RC_WIZARD		4	/* `a`: run the wizard, come back */

#define DASH_SLOTS		5	/* SLOTS_MAX */
#define DASH_LOG_MAX		1000	/* lines kept */
#define DASH_RATE_N		32	/* samples per rate */
#define DASH_RATE_WINDOW_MS	5000
#define DASH_RATE_STEP_MS	200	/* at most one sample per step */

/* Panes, in Tab order; their dirty bits. */
enum dash_pane { DP_FOLDERS, DP_SLOTS, DP_CERTS, DP_LOG, DP_COUNT };
#define DASH_DIRTY_HEADER	0x01
#define DASH_DIRTY_FOLDERS	0x02
#define DASH_DIRTY_SLOTS	0x04
#define DASH_DIRTY_CERTS	0x08
#define DASH_DIRTY_LOG		0x10
#define DASH_DIRTY_ALL		0x1f

/* What an account's engine is doing, as the command knows it. */
enum dash_run {
	DASH_RUN_STARTING,	/* model entry, engine not started yet */
	DASH_RUN_SYNCING,	/* the pool runs */
	DASH_RUN_PAUSING,	/* slots_stop() for `p`, not stopped yet */
	DASH_RUN_PAUSED,
	DASH_RUN_STOPPING,	/* quitting */
	DASH_RUN_STOPPED,	/* ended: quit, or a fatal error (why) */
};
const char	*dash_run_name(enum dash_run);

/* A rate over the last DASH_RATE_WINDOW_MS of samples of a counter. */
struct dash_rate {
	long long	 t[DASH_RATE_N];
	uint64_t	 v[DASH_RATE_N];
	int		 n, head;	/* head: the newest */
};
void		 dash_rate_reset(struct dash_rate *);
void		 dash_rate_add(struct dash_rate *, long long now, uint64_t v);
/* Per second; 0 when nothing moved within the window. */
double		 dash_rate_get(const struct dash_rate *, long long now);

enum dash_fstate { DF_WAIT, DF_RUN, DF_DONE, DF_ERR };

struct dash_folder {
	char		*name;		/* UTF-8, as the engine names it */
	int		 depth;		/* in the tree (set by the sort) */
	const char	*label;		/* last component, inside name */
	int		 placeholder;	/* only a parent in the tree */
	int		 listed;	/* in the last EV_FOLDER_LIST */
	enum dash_fstate state;
	uint64_t	 done, total;	/* the last EV_FOLDER_PROGRESS */
	int		 have_counts;
	uint32_t	 messages, unseen;
	time_t		 synced_at;	/* 0: never */
	char		*error;
};

struct dash_slot {
	int		 used;		/* an event named it */
	int		 state;		/* enum slot_state */
	char		*role;		/* "INBOX", "Sent", "folders"... */
	char		*text;		/* "fetching 10/200 INBOX" */
	char		*folder;	/* taken from text, or NULL */
	uint64_t	 bytes;
	long long	 since;		/* now_ms of the last state change */
	struct dash_rate rate;
};

struct dash_account {
	char		*name;
	int		 nslots;	/* max-connections */
	enum dash_run	 run;
	char		*why;		/* STOPPED: the engine's error */
	uint64_t	 done, total;	/* EV_TOTALS */
	uint64_t	 bytes_base;	/* bytes of earlier pools */
	struct dash_rate brate, mrate;	/* bytes, messages */
	int		 usable;	/* EV_POOL; 0: not told */
	char		*pool_why;
	struct dash_slot slots[DASH_SLOTS];
	struct dash_folder *folders;	/* in tree order after the sort */
	size_t		 nfolders;
	char		 delim;		/* 0: not known yet */
	int		 listed;	/* an EV_FOLDER_LIST came */
	int		 sorted;	/* folders are in tree order */
	long long	 started;	/* now_ms of the pool start */
};

/* A certificate prompt, pending or decided. */
struct dash_cert {
	char		*account;
	char		*hostport;	/* "host:port" as events.c names it */
	char		*proto;
	int		 changed;	/* CERT_CHANGED */
	char		*problem;	/* the first, in words */
	char		*report;	/* cert_report_text() for Enter */
	int		 answer;	/* -1 pending, else enum trust_answer */
	time_t		 asked, decided;
};

struct dash_logline {
	int		 level;		/* enum mc_log_level */
	char		*text;		/* "2024-...Z INFO msg" */
};

/* Counts read from an account's state.db (cli-dashboard.c's worker). */
struct dash_finfo {
	char		*name;
	char		 delim;
	uint32_t	 messages, unseen;
	time_t		 synced_at;
};

struct dash_model {
	struct dash_account *acct;
	size_t		 nacct;
	struct dash_cert *certs;
	size_t		 ncerts;
	struct dash_logline log[DASH_LOG_MAX];
	size_t		 nlog;		/* lines held, <= DASH_LOG_MAX */
	size_t		 log_head;	/* index of the oldest */
	uint64_t	 log_seq;	/* lines ever added */
	int		 dirty;		/* DASH_DIRTY_* since the last draw */
};

struct dash_model *dash_model_new(void);
void		 dash_model_free(struct dash_model *);
/* Find or add an account; returns its index. */
int		 dash_model_account(struct dash_model *, const char *name,
		     int nslots);
int		 dash_model_find(const struct dash_model *, const char *name);
/*
 * One engine event (anything but EV_CERT_PROMPT, EV_ENGINE_STOPPED and the
 * command's private ones).  Marks what it changed dirty.
 */
void		 dash_model_event(struct dash_model *, const struct event *,
		     long long now, time_t wall);
void		 dash_model_set_run(struct dash_model *, int acct,
		     enum dash_run, const char *why);
/* A new pool for acct: slots start empty, their bytes are kept. */
void		 dash_model_pool_started(struct dash_model *, int acct,
		     long long now);
void		 dash_model_cert_asked(struct dash_model *,
		     const struct trust_request *, time_t wall);
void		 dash_model_cert_decided(struct dash_model *,
		     const char *account, const char *hostport,
		     enum trust_answer, time_t wall);
size_t		 dash_model_certs_pending(const struct dash_model *);
void		 dash_model_folder_info(struct dash_model *, const char *acct,
		     const struct dash_finfo *, size_t n);
/* Put the folders in tree order (by delim; INBOX first; parents added). */
void		 dash_model_sort(struct dash_account *);
struct dash_folder *dash_model_folder(struct dash_account *, const char *);
/* Line i (0 = oldest held). */
const struct dash_logline *dash_model_log(const struct dash_model *,
		     size_t i);

uint64_t	 dash_account_bytes(const struct dash_account *);
double		 dash_account_rate(const struct dash_account *, long long now);
/* Seconds to go at the current message rate; -1 unknown, 0 done. */
long long	 dash_account_eta(const struct dash_account *, long long now);
/* Slots doing something (not idle, idling, closed, error). */
int		 dash_account_busy(const struct dash_account *);

/* Formatting, shared with the tests: "1.2 MB", "3m05s", "12s ago". */
void		 dash_fmt_bytes(char *, size_t, uint64_t);
void		 dash_fmt_dur(char *, size_t, long long secs);
void		 dash_fmt_ago(char *, size_t, time_t then, time_t now);

/* ------------------------------------------------------------ screen */

struct dash_ops {
	void	*arg;
	/* A nudge came: feed the engine's queued events to the model. */
	void	(*drain)(void *);
	void	(*sync_now)(void *, int acct);
	/* Pause a syncing account, resume a paused or stopped one. */
	void	(*pause)(void *, int acct);
	/* `a`: typically ui_quit(DASH_RC_WIZARD). */
	void	(*add_account)(void *);
	/* `q`: a clean stop; again (now 1): leave without waiting. */
	void	(*quit)(void *, int now);
};

struct dash;

struct dash	*dash_new(const struct dash_ops *);
void		 dash_free(struct dash *);
struct dash_model *dash_model_of(struct dash *);
/* ui_run(dash_screen(), d). */
const struct ui_screen *dash_screen(void);
int		 dash_current(const struct dash *);
void		 dash_select(struct dash *, int acct);
/* "stopping…" and the like in the header; NULL clears. */
void		 dash_set_status(struct dash *, const char *);

#endif

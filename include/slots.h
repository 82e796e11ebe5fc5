/*
 * slots.h -- the per-account pool of IMAP connections ("slots") that runs
 * the sync engine (DESIGN.md, "Connection slots").
 *
 * At most max-connections slots, one thread each.  Duties go to the running
 * slots in slot order, so the pool keeps working when the server allows
 * fewer connections:
 *
 *   running slots   first            second               third
 *   3 or more       INBOX: sync,     Sent: sync, IDLE     other folders in
 *                   IDLE                                  turn, poll every
 *                                                         poll-interval
 *   2               INBOX: sync,     Sent + others (IDLE on Sent, leaving
 *                   IDLE             it to poll the others)
 *   1               everything (IDLE on INBOX, leaving it to poll)
 *
 * Slots beyond the third (4, 5) are temporary: they exist only while an
 * initial sync is under way, download other folders beside slot 3, and
 * close when nothing is left for them.  (Sending is another module's.)
 *
 * Slot 1 connects alone first (one certificate prompt at most, one LIST);
 * the others start once it listed the folders -- except for a --once pass
 * over folders synced before, which slot 1 does alone (a no-change resync
 * is one SELECT per folder) unless a download of SLOTS_BIG_FETCH messages
 * or more turns up while other folders wait.  Each slot is a state
 * machine (enum slot_state, names from slot_state_name()); every change of
 * state is logged and posted as EV_SLOT_STATE (id: slot, name: duty, text:
 * "fetching 10/200", "backoff 8s", "error: ...", status: the state, n:
 * message bytes received).  Connection failures reconnect with exponential
 * backoff (1 s doubling to 60 s, +-25 % jitter).  A server that refuses
 * another connection (MCE_LIMIT: BYE, NO [LIMIT], "too many connections")
 * closes that slot for good; the pool shrinks, posts EV_POOL (n: slots
 * left, total: max-connections, text: the reason) and hands its duties on.
 * Authentication, certificate and keyring failures stop the whole pool:
 * retrying cannot fix them.
 *
 * Passwords: secret_for_account() on the slot's thread, wiped right after
 * LOGIN.  Trust: the caller's trust_ctx (the terminal prompt, none, or
 * events_trust_prompt for the UI); while it waits the slot shows
 * cert-prompt.  An untrusted certificate with no prompt is an error.
 *
 * The account's Maildir root is locked (maildir_lock_root) from
 * slots_start() to slots_free().
 */
#ifndef MC_SLOTS_H
#define MC_SLOTS_H

#include "certstore.h"
#include "config.h"
#include "events.h"
#include "util.h"

#define SLOTS_MAX		5
#define SLOTS_BACKOFF_MIN_MS	1000
#define SLOTS_BACKOFF_MAX_MS	60000
/* --once: a slot gives up after this many failed connects in a row. */
#define SLOTS_ONCE_TRIES	6
/*
 * A download that received nothing for this long is cancelled (the
 * connection's own timeout, 20 s, should have ended it first: this is the
 * net for a stream that reports end of file as 0 bytes forever, which
 * libetpan 1.9.4's literal reader would spin on).
 */
#define SLOTS_STALL_MS		25000
/* A download this big (messages) brings the other slots in (--once). */
#define SLOTS_BIG_FETCH		200

enum slot_state {
	SLOT_IDLE,		/* no connection needed right now */
	SLOT_RESOLVING,
	SLOT_CONNECTING,
	SLOT_TLS,
	SLOT_CERT_PROMPT,
	SLOT_AUTH,
	SLOT_SELECTING,
	SLOT_FETCHING,		/* "fetching n/N" */
	SLOT_IDLING,		/* IMAP IDLE */
	SLOT_BACKOFF,		/* "backoff Ns" */
	SLOT_ERROR,		/* "error: ..." */
	SLOT_CLOSED,		/* thread finished */
	SLOT_NSTATES
};

const char	*slot_state_name(enum slot_state);

struct slots_opts {
	const struct account	*account;	/* must outlive the pool */
	struct trust_ctx	 trust;		/* copied; store must outlive */
	struct event_queue	*events;	/* NULL: none */
	int			 once;		/* one pass, then stop */
	const char		*root;		/* NULL: the account's maildir */
};

struct slots;

int		 slots_start(const struct slots_opts *, struct slots **,
		     struct mc_err *);
/*
 * Wait until every slot finished: after one pass with once, after
 * slots_stop(), or after a fatal error.  0 when every wanted folder synced;
 * -1 with err (the first fatal error, or which folders failed).
 */
int		 slots_wait(struct slots *, struct mc_err *);
/*
 * Any thread, returns at once: IDLE ends (DONE, LOGOUT), a download stops
 * after committing the messages received whole, waits are cut short.
 */
void		 slots_stop(struct slots *);
/* Any thread: poll every folder now. */
void		 slots_wake(struct slots *);
/* Stops, joins every thread, unlocks the Maildir, frees. */
void		 slots_free(struct slots *);

/* Counters of the pool so far (any thread). */
struct slots_totals {
	unsigned	 folders, folders_done, folders_failed;
	unsigned	 usable;		/* slots the server allows */
	uint64_t	 messages;		/* downloaded */
	uint64_t	 bytes;
};
void		 slots_totals(struct slots *, struct slots_totals *);

#endif

/*
 * sync.h -- mirror one IMAP folder into its local Maildir.
 *
 * A sync_ctx belongs to one thread (a slot): it holds that thread's SQLite
 * connection to the account's state.db (state.h) and the options.  With an
 * open, logged-in imap_session, sync_folder() brings one folder up to date:
 *
 *   1. the folder's row and Maildir (maildir.h); leftovers of a killed run
 *      in tmp/ are removed; a folder marked dirty is reconciled (below);
 *   2. SELECT (CONDSTORE where offered: HIGHESTMODSEQ); when UIDVALIDITY,
 *      UIDNEXT and HIGHESTMODSEQ all equal the stored ones, nothing changed
 *      and the folder is done (a no-change resync costs one round trip per
 *      folder, whatever its size);
 *   3. UIDVALIDITY changed: the old copy is moved aside (maildir.h, kept,
 *      named by date), the rows go, the folder downloads again (logged);
 *   4. flag changes and expunges of the messages we have: with QRESYNC
 *      (ENABLEd by sync_session_init) one UID FETCH 1:<last> (FLAGS)
 *      (CHANGEDSINCE <modseq> VANISHED) reports both; with CONDSTORE alone
 *      the same without VANISHED; without either UID FETCH 1:<last>
 *      (FLAGS) compared with the rows.  (libetpan 1.9.4's SELECT ...
 *      QRESYNC omits the parentheses RFC 7162 requires; Dovecot ignores it,
 *      hence the FETCH form.)  Only server changes (server flags differ
 *      from the row) touch a file: flags a mail client changed locally are
 *      left alone;
 *   5. expunges without VANISHED: when the rows and EXISTS disagree, UID
 *      SEARCH ALL against the rows (step 7 in the code order: after 6);
 *   6. new messages: one UID FETCH <first>:* (UID FLAGS RFC822.SIZE
 *      BODY.PEEK[]) streamed to disk message by message through libetpan's
 *      body handler (memory stays bounded: a 50 MB message never sits in
 *      memory), in batches bounded in count, bytes and time;
 *   7. uidnext, highestmodseq, synced_at are stored, dirty cleared.
 *
 * Crash safety (killed at any instant: nothing lost, nothing duplicated):
 *   - Before the first file of a fetch, the folder is marked dirty with a
 *     fully synchronous commit.
 *   - A batch: files stream into tmp/; maildir_batch_commit() fdatasyncs
 *     each, renames them into new/ or cur/ with ",U=<uid>" in the name and
 *     fsyncs those directories once; only then one transaction inserts the
 *     batch's rows.  Durability per message equals mbsync's (its data is on
 *     stable storage before its row commits), paid once per batch.
 *   - Killed before the renames: the files are in tmp/ and are removed on
 *     the next run (maildir_clean_tmp); their UIDs have no rows and are
 *     downloaded again.  Killed between the renames and the commit: the
 *     folder is still dirty, so the next run scans new/ and cur/ and adopts
 *     every file whose ",U=" has no row (flags from its name) before it
 *     fetches anything: no duplicate.  The rows' highest UID then says
 *     where to continue.
 *   - uidnext and highestmodseq are stored only when a sync completed, so
 *     an interrupted run repeats the flag and expunge steps (idempotent:
 *     renames to the name a file already has, unlinks of gone files).
 *     After an interruption (rows above the stored uidnext) the new UIDs
 *     are found with UID SEARCH, so even a server that answers a FETCH out
 *     of UID order cannot leave a hole.
 *   - Flag renames and expunge unlinks: the directories are fsynced once
 *     before the rows that record them commit.  Killed in between, the
 *     rows still hold the old state and the next run (whose stored modseq
 *     predates the change) applies it again: a rename to the name the
 *     file already has, an unlink of a file that is gone.  A stale file
 *     name in a row (a mail client renamed the file) is found by its UID.
 *   - One mailconn per Maildir root (maildir_lock_root, taken by slots.c).
 * A sync after a complete one changes nothing (no file, no row).
 *
 * Test hook (like isync's hidden -T switches): MAILCONN_CRASH_AT=tmp,
 * renamed, committed, flags or expunge raises SIGKILL at that point of the
 * first batch, so tests can prove the recovery from each one; "stop"
 * raises SIGSTOP once after the 20th message received, so a test can break
 * the server in the middle of a download and then let the process go on.
 * MAILCONN_NO_CONDSTORE=1 syncs as with a server without CONDSTORE and
 * QRESYNC (Courier): full flag comparison, expunges by UID SEARCH.
 *
 * Threads: everything here runs on the slot's thread except
 * sync_idle_interrupt() and the stop flag, which any thread may use.
 */
#ifndef MC_SYNC_H
#define MC_SYNC_H

#include <stdint.h>

#include "events.h"
#include "imap.h"
#include "util.h"

#define SYNC_BATCH_MSGS		500
#define SYNC_BATCH_BYTES	(32ULL << 20)
#define SYNC_BATCH_MS		1000

struct sync_opts {
	const char	*account;	/* for events and the log */
	const char	*root;		/* Maildir root of the account */
	struct event_queue *events;	/* NULL: no events */
	int		 slot;		/* for the log */
	unsigned	 batch_msgs;	/* 0: SYNC_BATCH_MSGS */
	uint64_t	 batch_bytes;	/* 0: SYNC_BATCH_BYTES */
	/*
	 * Messages done / to do in the folder, at most every 200 ms and at
	 * the end of a fetch; called on the slot's thread (may be NULL).
	 */
	void		(*progress)(void *, const char *folder, uint32_t done,
			    uint32_t total, uint64_t bytes);
	void		*progress_arg;
	/* Nonzero: stop soon (the current fetch is abandoned). */
	const int	*stop;
	/*
	 * While message bodies download: mc_now_ms() of the last bytes
	 * received; 0 otherwise (for the pool's stall watchdog, may be NULL).
	 */
	long long	*heartbeat;
};

struct sync_stats {
	uint32_t	 fetched;	/* new messages written */
	uint32_t	 flagged;	/* flag changes applied */
	uint32_t	 expunged;	/* messages removed */
	uint32_t	 adopted;	/* files adopted after a crash */
	uint64_t	 bytes;		/* message bytes received */
	int		 uidvalidity_changed;
	uint32_t	 exists;	/* messages on the server */
};

struct sync_ctx;

/* Opens the state (ROOT/.mailconn/state.db) for this thread. */
int		 sync_new(const struct sync_opts *, struct sync_ctx **,
		     struct mc_err *);
void		 sync_free(struct sync_ctx *);

/* Once per session after login: ENABLE QRESYNC where offered. */
int		 sync_session_init(struct sync_ctx *, struct imap_session *,
		     struct mc_err *);

/*
 * Bring one folder up to date (see above).  The folder stays selected, so
 * sync_idle() may follow.  Posts EV_FOLDER_PROGRESS (run, done or error).
 * On a connection error the session must be dropped (imap_abort).
 */
int		 sync_folder(struct sync_ctx *, struct imap_session *,
		     const struct imap_folder *, struct sync_stats *,
		     struct mc_err *);

/* Folder patterns ("* !Junk"): the last matching pattern decides. */
int		 sync_folder_wanted(const char *patterns, const char *name);

/*
 * IDLE on the selected folder (TESTBED 4.4).  Returns 1 when the server
 * said something (sync the folder again), 0 after max_secs, 2 when
 * interrupted by sync_idle_interrupt(), -1 on error (err filled).
 */
struct sync_idle;
struct sync_idle *sync_idle_new(void);
void		 sync_idle_free(struct sync_idle *);
int		 sync_idle(struct sync_idle *, struct imap_session *,
		     int max_secs, struct mc_err *);
/*
 * Any thread: end the current IDLE now, or make the next one return 2 at
 * once (the request is consumed by that return).
 */
void		 sync_idle_interrupt(struct sync_idle *);

#endif

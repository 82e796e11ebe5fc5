/*
 * state.h -- what the mirror knows, in SQLite: ROOT/.mailconn/state.db.
 *
 * The state lives inside the Maildir root it describes, so moving or
 * deleting the Maildir moves or resets it too (as mbsync's .mbsyncstate).
 * notmuch users add `.mailconn` to new.ignore.
 *
 *   folders(id, name UNIQUE, path, delim, uidvalidity, uidnext,
 *           highestmodseq, dirty, synced_at)
 *   messages(folder, uid, flags, size, filename)  PRIMARY KEY(folder, uid)
 *
 * name is the UTF-8 IMAP name, path the folder's directory relative to the
 * root (maildir_folder_path), filename "cur/..." or "new/..." relative to
 * the folder, flags MDF_* (maildir.h), size the server's RFC822.SIZE.
 *
 * uidnext and highestmodseq are written only when a folder sync completed:
 * they say "everything below/up to this is mirrored".  dirty is 1 while
 * files may be in the Maildir without their rows (sync.h, "Crash safety").
 *
 * Durability: WAL with synchronous=NORMAL.  A commit can be lost on power
 * failure (never on a crash of the process), and that is safe: rows are
 * committed only after their files are on stable storage, and a folder
 * whose rows may be missing is marked dirty with a fully synchronous
 * commit first, so the next run adopts the files it finds (sync.h).
 *
 * Versioning: PRAGMA user_version; an older schema is migrated, a newer one
 * refused with a message.  Busy timeout 10 s (several slot threads write).
 *
 * Threads: one struct state per thread (SQLite connections are not shared);
 * WAL lets them read concurrently, and writers take turns (BEGIN IMMEDIATE).
 */
#ifndef MC_STATE_H
#define MC_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STATE_SCHEMA_VERSION 1

struct state;

struct state_folder {
	int64_t		 id;		/* 0: not stored yet */
	char		*name;		/* UTF-8 IMAP name */
	char		*path;		/* relative to the Maildir root */
	char		 delim;
	uint32_t	 uidvalidity;	/* 0: never selected */
	uint32_t	 uidnext;	/* mirrored below this */
	uint64_t	 highestmodseq;	/* mirrored up to this; 0: none */
	int		 dirty;
	int64_t		 synced_at;	/* unix time of the last complete sync */
};

struct state_msg {
	uint32_t	 uid;
	unsigned	 flags;
	uint64_t	 size;
	char		*filename;	/* relative to the folder */
};

/* The state.db of a Maildir root: ROOT/.mailconn/state.db.  Caller frees. */
char		*state_path_for(const char *root);
int		 state_open(const char *path, struct state **, struct mc_err *);
void		 state_close(struct state *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int		 state_begin(struct state *, struct mc_err *);
int		 state_commit(struct state *, struct mc_err *);
void		 state_rollback(struct state *);

/* 0 found, 1 not there, -1 error.  Free with state_folder_clear(). */
int		 state_folder_get(struct state *, const char *name,
		     struct state_folder *, struct mc_err *);
/* Insert or update by name; sets f->id. */
int		 state_folder_put(struct state *, struct state_folder *,
		     struct mc_err *);
void		 state_folder_clear(struct state_folder *);
/* Every stored folder, by name.  Free with state_folders_free(). */
int		 state_folder_list(struct state *, struct state_folder **,
		     size_t *, struct mc_err *);
void		 state_folders_free(struct state_folder *, size_t);
/*
 * Set the dirty mark in its own transaction.  durable: commit with
 * synchronous=FULL (the mark must reach the disk before any file).
 */
int		 state_folder_set_dirty(struct state *, int64_t folder,
		     int dirty, int durable, struct mc_err *);
/* The folder's rows go (UIDVALIDITY changed); uidnext/modseq reset. */
int		 state_folder_reset(struct state *, int64_t folder,
		     uint32_t uidvalidity, struct mc_err *);

/* Insert or replace. */
int		 state_msg_put(struct state *, int64_t folder,
		     const struct state_msg *, struct mc_err *);
/* 0 found (m->filename allocated), 1 not there, -1 error. */
int		 state_msg_get(struct state *, int64_t folder, uint32_t uid,
		     struct state_msg *, struct mc_err *);
int		 state_msg_del(struct state *, int64_t folder, uint32_t uid,
		     struct mc_err *);
/* Count and highest UID of a folder's rows. */
int		 state_msg_stats(struct state *, int64_t folder, uint32_t *count,
		     uint32_t *maxuid, struct mc_err *);
/* Every UID of a folder, ascending.  Caller frees *uids. */
int		 state_msg_uids(struct state *, int64_t folder, uint32_t **uids,
		     size_t *n, struct mc_err *);
/*
 * Call fn for each row with uid in [lo, hi], ascending; a nonzero return
 * stops the walk and is returned.  Do not write to the state from fn.
 */
int		 state_msg_foreach(struct state *, int64_t folder, uint32_t lo,
		     uint32_t hi, int (*fn)(const struct state_msg *, void *),
		     void *, struct mc_err *);
void		 state_msg_clear(struct state_msg *);

#endif

/*
 * maildir.h -- the local side of the mirror: one Maildir per IMAP folder.
 *
 * Layout: plain directories (mbsync's "SubFolders Verbatim", aerc's and
 * notmuch's default), one Maildir per folder, nested by the IMAP hierarchy:
 *
 *   ROOT/INBOX/{cur,new,tmp}
 *   ROOT/Sent/{cur,new,tmp}
 *   ROOT/Work/{cur,new,tmp}            folder "Work"
 *   ROOT/Work/Projects/{cur,new,tmp}   folder "Work.Projects" (delimiter .)
 *   ROOT/Entwürfe/{cur,new,tmp}        folder "Entw&APw-rfe" (UTF-8 on disk)
 *   ROOT/.mailconn/{state.db,lock}     sync state (see state.h)
 *
 * `neomutt -f ROOT/Work/Projects` opens a folder.  A folder component is
 * written as UTF-8; '%', '/', control characters, a leading '.' and the
 * names cur/new/tmp (which would clash with a parent's Maildir directories)
 * are %XX-escaped, so every IMAP name has exactly one directory.
 *
 * File names (Maildir spec, plus mbsync's ",U=" field):
 *
 *   tmp/<sec>.M<usec>P<pid>Q<n>.<host>               while being written
 *   new/<sec>.M<usec>P<pid>Q<n>.<host>,U=<uid>       unseen, no flags
 *   cur/<sec>.M<usec>P<pid>Q<n>.<host>,U=<uid>:2,FS  anything else
 *
 * The ",U=<uid>" lets a crashed run be reconciled from the directory alone
 * (sync.h: "Crash safety").  Mail clients keep it when they rename a file to
 * change flags, and they only touch the ":2," info part.  Flag letters are
 * kept in ASCII order (D F P R S T); letters mailconn does not manage (P,
 * lower-case keywords) survive a flag change.
 *
 * Delivery is batched: each message streams into tmp/ (CRLF becomes LF, as
 * Maildir readers expect), then maildir_batch_commit() makes every file of
 * the batch durable (writeback started as each file closed, one fdatasync
 * each at commit, which on ext4 costs about one journal commit for the
 * whole batch), renames them into new/ or cur/, and fsyncs each directory
 * it renamed into once.  Only after that may the state rows be committed.
 *
 * Threads: a struct maildir and its batch belong to one thread.
 */
#ifndef MC_MAILDIR_H
#define MC_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* The flags mailconn mirrors. */
#define MDF_DRAFT	0x01	/* D  \Draft */
#define MDF_FLAGGED	0x02	/* F  \Flagged */
#define MDF_ANSWERED	0x04	/* R  \Answered */
#define MDF_SEEN	0x08	/* S  \Seen */
#define MDF_TRASHED	0x10	/* T  \Deleted */
#define MDF_ALL		0x1f

/* Directory of the account's state, inside the root. */
#define MAILDIR_STATE_DIR ".mailconn"

struct maildir;

/*
 * The directory (relative to the root) of an IMAP folder: UTF-8 name,
 * hierarchy delimiter (0: flat).  "INBOX" in any case is "INBOX".  Caller
 * frees.
 */
char		*maildir_folder_path(const char *name, char delim);
/* One escaped path component (exposed for tests).  Caller frees. */
char		*maildir_escape_component(const char *);

/* Open (creating cur/new/tmp as needed) ROOT/relpath. */
int		 maildir_open(const char *root, const char *relpath,
		     struct maildir **, struct mc_err *);
void		 maildir_close(struct maildir *);
/* Absolute directory of the folder. */
const char	*maildir_path(const struct maildir *);

/*
 * Remove what a killed run left in tmp/: our files (name with "P<pid>Q" and
 * our host) from any other process, and anything older than 36 hours (the
 * Maildir spec's rule).  Returns the number removed.
 */
int		 maildir_clean_tmp(struct maildir *);

/* Flags <-> info letters. */
unsigned	 maildir_flags_from_name(const char *filename);
/* Letters for flags in ASCII order, NUL-terminated (out: 8 bytes). */
void		 maildir_flags_letters(unsigned, char out[8]);
/* UID from the ",U=<uid>" field of a file name; 0 when there is none. */
uint32_t	 maildir_uid_from_name(const char *filename);

/*
 * One message being written into tmp/.  Start with maildir_msg_begin(),
 * feed the body with maildir_msg_write() (CRLF -> LF), then either
 * maildir_msg_end() (closes; the message joins the batch) or
 * maildir_msg_abort() (unlinks).
 */
struct maildir_msg;
int		 maildir_msg_begin(struct maildir *, struct maildir_msg **,
		     struct mc_err *);
int		 maildir_msg_write(struct maildir_msg *, const char *, size_t,
		     struct mc_err *);
void		 maildir_msg_abort(struct maildir_msg *);

/* A batch of closed messages in tmp/, waiting to be committed. */
struct maildir_item {
	char		*tmpname;	/* base name in tmp/ */
	char		*final;		/* "cur/..." or "new/...": after commit */
	uint32_t	 uid;
	unsigned	 flags;
	uint64_t	 size;		/* server size (RFC822.SIZE) */
	uint64_t	 disk;		/* bytes on disk */
};

struct maildir_batch {
	struct maildir_item *items;
	size_t		 n, cap;
	uint64_t	 bytes;		/* on disk, in this batch */
};

/* Close the message and add it (uid, flags, server size) to batch. */
int		 maildir_msg_end(struct maildir_msg *, struct maildir_batch *,
		     uint32_t uid, unsigned flags, uint64_t size,
		     struct mc_err *);
/*
 * Make every message of the batch durable, rename each into new/ or cur/
 * (item->final), fsync those directories.  On failure the items already
 * renamed keep their final name, the rest stay in tmp/ (the caller discards
 * the batch with maildir_batch_discard, which unlinks what is still in tmp).
 */
int		 maildir_batch_commit(struct maildir *, struct maildir_batch *,
		     struct mc_err *);
/* Unlink what is still in tmp/, then empty the batch. */
void		 maildir_batch_discard(struct maildir *, struct maildir_batch *);
/* Empty the batch (after the state rows were committed). */
void		 maildir_batch_reset(struct maildir_batch *);
void		 maildir_batch_free(struct maildir_batch *);

/*
 * Change the flags of a message: rename "dir/base..." (relative to the
 * folder) to cur/ with the new info.  *name is replaced by the new relative
 * name (caller frees).  When the file is gone (a mail client renamed it),
 * the folder is searched for the uid; MCE_NOTFOUND when it is not there.
 * Not fsynced here: see maildir_sync_dirs().
 */
int		 maildir_set_flags(struct maildir *, char **name, uint32_t uid,
		     unsigned flags, struct mc_err *);
/*
 * Remove a message (name relative to the folder, may be stale: the uid is
 * searched then).  0 removed or already gone.
 */
int		 maildir_remove(struct maildir *, const char *name, uint32_t uid,
		     struct mc_err *);

/*
 * fsync the directories that maildir_set_flags() or maildir_remove() changed
 * since the last call, so the state rows may follow.
 */
int		 maildir_sync_dirs(struct maildir *, struct mc_err *);

/* Every message file with a ",U=" field: for reconciling after a crash. */
struct maildir_entry {
	char		*name;		/* "cur/..." or "new/..." */
	uint32_t	 uid;
	unsigned	 flags;
	uint64_t	 disk;
};
int		 maildir_scan(struct maildir *, struct maildir_entry **,
		     size_t *, struct mc_err *);
void		 maildir_entries_free(struct maildir_entry *, size_t);
/* The file of uid, "cur/..." / "new/...", or NULL.  Caller frees. */
char		*maildir_find_uid(struct maildir *, uint32_t uid);

/*
 * UIDVALIDITY changed: move cur/, new/ and tmp/ aside into a sibling
 * directory "<leaf>.uidvalidity-<old>-<YYYYmmdd-HHMMSS>" (subfolders stay
 * where they are), then recreate empty ones.  A folder without messages is
 * not moved.  *aside (may be NULL) gets the absolute path, or NULL when
 * nothing was moved.
 */
int		 maildir_move_aside(struct maildir *, uint32_t old_uidvalidity,
		     char **aside, struct mc_err *);

/*
 * Lock the account's Maildir root against a second mailconn (flock on
 * ROOT/.mailconn/lock).  Returns the fd to keep open, or -1 (MCE_IO; the
 * message says another mailconn holds it).
 */
int		 maildir_lock_root(const char *root, struct mc_err *);

#endif

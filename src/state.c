/*
 * state.c -- the sync state in SQLite (WAL).  Contract in state.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "maildir.h"
#include "state.h"

#define BUSY_TIMEOUT_MS	10000

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_FOLDER_GET, ST_FOLDER_INSERT, ST_FOLDER_UPDATE, ST_FOLDER_LIST,
	ST_FOLDER_DIRTY, ST_FOLDER_RESET, ST_MSG_DELALL,
	ST_MSG_PUT, ST_MSG_GET, ST_MSG_DEL, ST_MSG_STATS, ST_MSG_UIDS,
	ST_MSG_RANGE,
	ST_COUNT
};

static const char *stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FOLDER_GET] = "SELECT id, name, path, delim, uidvalidity, "
	    "uidnext, highestmodseq, dirty, synced_at FROM folders "
	    "WHERE name = ?1",
	[ST_FOLDER_INSERT] = "INSERT INTO folders (name, path, delim, "
	    "uidvalidity, uidnext, highestmodseq, dirty, synced_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_FOLDER_UPDATE] = "UPDATE folders SET path = ?2, delim = ?3, "
	    "uidvalidity = ?4, uidnext = ?5, highestmodseq = ?6, dirty = ?7, "
	    "synced_at = ?8 WHERE name = ?1",
	[ST_FOLDER_LIST] = "SELECT id, name, path, delim, uidvalidity, "
	    "uidnext, highestmodseq, dirty, synced_at FROM folders "
	    "ORDER BY name",
	[ST_FOLDER_DIRTY] = "UPDATE folders SET dirty = ?2 WHERE id = ?1",
	[ST_FOLDER_RESET] = "UPDATE folders SET uidvalidity = ?2, "
	    "uidnext = 0, highestmodseq = 0, dirty = 0 WHERE id = ?1",
	[ST_MSG_DELALL] = "DELETE FROM messages WHERE folder = ?1",
	[ST_MSG_PUT] = "INSERT OR REPLACE INTO messages (folder, uid, flags, "
	    "size, filename) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_MSG_GET] = "SELECT uid, flags, size, filename FROM messages "
	    "WHERE folder = ?1 AND uid = ?2",
	[ST_MSG_DEL] = "DELETE FROM messages WHERE folder = ?1 AND uid = ?2",
	[ST_MSG_STATS] = "SELECT count(*), coalesce(max(uid), 0) FROM "
	    "messages WHERE folder = ?1",
	[ST_MSG_UIDS] = "SELECT uid FROM messages WHERE folder = ?1 "
	    "ORDER BY uid",
	[ST_MSG_RANGE] = "SELECT uid, flags, size, filename FROM messages "
	    "WHERE folder = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
};

/* Schema 1.  Later versions append migrations, never edit this. */
static const char schema_v1[] =
	"CREATE TABLE folders ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  path TEXT NOT NULL,"
	"  delim TEXT NOT NULL DEFAULT '',"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uidnext INTEGER NOT NULL DEFAULT 0,"
	"  highestmodseq INTEGER NOT NULL DEFAULT 0,"
	"  dirty INTEGER NOT NULL DEFAULT 0,"
	"  synced_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE messages ("
	"  folder INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  filename TEXT NOT NULL,"
	"  PRIMARY KEY (folder, uid)) WITHOUT ROWID;";

struct state {
	sqlite3		*db;
	char		*path;
	sqlite3_stmt	*st[ST_COUNT];
};

static sqlite3_stmt *prep(struct state *, enum stmt_id, struct mc_err *);
static int	 db_fail(struct state *, const char *, struct mc_err *);
static int	 exec(struct state *, const char *, struct mc_err *);
static int	 step_done(struct state *, sqlite3_stmt *, const char *,
		     struct mc_err *);
static void	 folder_from_row(sqlite3_stmt *, struct state_folder *);
static int	 migrate(struct state *, struct mc_err *);

static int
db_fail(struct state *s, const char *what, struct mc_err *err)
{
	mc_err_set(err, MCE_IO, "The sync state %s could not %s: %s.",
	    s->path, what, sqlite3_errmsg(s->db));
	return -1;
}

static int
exec(struct state *s, const char *sql, struct mc_err *err)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mc_err_set(err, MCE_IO, "The sync state %s failed (%s): %s.",
		    s->path, sql, msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
prep(struct state *s, enum stmt_id id, struct mc_err *err)
{
	if (s->st[id] == NULL && sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) != SQLITE_OK) {
		db_fail(s, "prepare a query", err);
		return NULL;
	}
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	return s->st[id];
}

static int
step_done(struct state *s, sqlite3_stmt *st, const char *what,
    struct mc_err *err)
{
	int	rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, what, err);
	return 0;
}

static int
migrate(struct state *s, struct mc_err *err)
{
	sqlite3_stmt	*st;
	int		 version;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_fail(s, "be read", err);
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > STATE_SCHEMA_VERSION) {
		mc_err_set(err, MCE_IO, "The sync state %s was written by a "
		    "newer mailconn (schema %d, this one knows %d); upgrade "
		    "mailconn.", s->path, version, STATE_SCHEMA_VERSION);
		return -1;
	}
	if (version == STATE_SCHEMA_VERSION)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	/* Another thread may have created it while we waited. */
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		exec(s, "ROLLBACK", NULL);
		return db_fail(s, "be read", err);
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == 0 && exec(s, schema_v1, err) == -1) {
		exec(s, "ROLLBACK", NULL);
		return -1;
	}
	/* (version 1 -> 2 would go here.) */
	if (exec(s, "PRAGMA user_version = 1", err) == -1 ||
	    exec(s, "COMMIT", err) == -1) {
		exec(s, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

char *
state_path_for(const char *root)
{
	return xasprintf("%s/%s/state.db", root, MAILDIR_STATE_DIR);
}

int
state_open(const char *path, struct state **out, struct mc_err *err)
{
	struct state	*s;
	char		*dir, *slash;
	int		 rc;

	*out = NULL;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mc_mkdir_p(dir, 0700, err) == -1) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		mc_err_set(err, MCE_IO, "Cannot open the sync state %s: %s.",
		    path, s->db != NULL ? sqlite3_errmsg(s->db) :
		    sqlite3_errstr(rc));
		state_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (exec(s, "PRAGMA journal_mode = WAL", err) == -1 ||
	    exec(s, "PRAGMA synchronous = NORMAL", err) == -1 ||
	    exec(s, "PRAGMA foreign_keys = ON", err) == -1 ||
	    /* one connection per slot: keep each cache small and flat */
	    exec(s, "PRAGMA cache_size = -512", err) == -1 ||
	    migrate(s, err) == -1) {
		state_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
state_close(struct state *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warn("state: closing %s: %s", s->path,
		    sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

int
state_begin(struct state *s, struct mc_err *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, ST_BEGIN, err)) == NULL)
		return -1;
	return step_done(s, st, "start a transaction", err);
}

int
state_commit(struct state *s, struct mc_err *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, ST_COMMIT, err)) == NULL)
		return -1;
	if (step_done(s, st, "commit", err) == -1) {
		state_rollback(s);
		return -1;
	}
	return 0;
}

void
state_rollback(struct state *s)
{
	struct mc_err	 err;
	sqlite3_stmt	*st;

	if (sqlite3_get_autocommit(s->db))
		return;
	if ((st = prep(s, ST_ROLLBACK, &err)) != NULL)
		step_done(s, st, "roll back", &err);
}

static void
folder_from_row(sqlite3_stmt *st, struct state_folder *f)
{
	const char	*delim;

	f->id = sqlite3_column_int64(st, 0);
	f->name = xstrdup((const char *)sqlite3_column_text(st, 1));
	f->path = xstrdup((const char *)sqlite3_column_text(st, 2));
	delim = (const char *)sqlite3_column_text(st, 3);
	f->delim = delim != NULL ? delim[0] : '\0';
	f->uidvalidity = (uint32_t)sqlite3_column_int64(st, 4);
	f->uidnext = (uint32_t)sqlite3_column_int64(st, 5);
	f->highestmodseq = (uint64_t)sqlite3_column_int64(st, 6);
	f->dirty = sqlite3_column_int(st, 7);
	f->synced_at = sqlite3_column_int64(st, 8);
}

int
state_folder_get(struct state *s, const char *name, struct state_folder *f,
    struct mc_err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(f, 0, sizeof *f);
	if ((st = prep(s, ST_FOLDER_GET, err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		folder_from_row(st, f);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 1;
	return db_fail(s, "read a folder", err);
}

int
state_folder_put(struct state *s, struct state_folder *f, struct mc_err *err)
{
	sqlite3_stmt	*st;
	char		 delim[2] = { f->delim, '\0' };
	int		 insert = f->id == 0;

	if ((st = prep(s, insert ? ST_FOLDER_INSERT : ST_FOLDER_UPDATE,
	    err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, delim, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, f->uidvalidity);
	sqlite3_bind_int64(st, 5, f->uidnext);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)f->highestmodseq);
	sqlite3_bind_int(st, 7, f->dirty);
	sqlite3_bind_int64(st, 8, f->synced_at);
	if (step_done(s, st, "store a folder", err) == -1)
		return -1;
	if (insert)
		f->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

void
state_folder_clear(struct state_folder *f)
{
	free(f->name);
	free(f->path);
	memset(f, 0, sizeof *f);
}

int
state_folder_list(struct state *s, struct state_folder **out, size_t *nout,
    struct mc_err *err)
{
	struct state_folder	*v = NULL;
	sqlite3_stmt		*st;
	size_t			 n = 0, cap = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((st = prep(s, ST_FOLDER_LIST, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xrealloc(v, cap * sizeof *v);
		}
		folder_from_row(st, &v[n++]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		state_folders_free(v, n);
		return db_fail(s, "list folders", err);
	}
	*out = v;
	*nout = n;
	return 0;
}

void
state_folders_free(struct state_folder *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		state_folder_clear(&v[i]);
	free(v);
}

int
state_folder_set_dirty(struct state *s, int64_t folder, int dirty,
    int durable, struct mc_err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (durable && exec(s, "PRAGMA synchronous = FULL", err) == -1)
		return -1;
	rc = -1;
	if ((st = prep(s, ST_FOLDER_DIRTY, err)) != NULL) {
		sqlite3_bind_int64(st, 1, folder);
		sqlite3_bind_int(st, 2, dirty);
		rc = step_done(s, st, "mark a folder", err);
	}
	if (durable && exec(s, "PRAGMA synchronous = NORMAL", rc == 0 ? err :
	    NULL) == -1)
		rc = -1;
	return rc;
}

int
state_folder_reset(struct state *s, int64_t folder, uint32_t uidvalidity,
    struct mc_err *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, ST_MSG_DELALL, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	if (step_done(s, st, "forget a folder's messages", err) == -1)
		return -1;
	if ((st = prep(s, ST_FOLDER_RESET, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uidvalidity);
	return step_done(s, st, "reset a folder", err);
}

int
state_msg_put(struct state *s, int64_t folder, const struct state_msg *m,
    struct mc_err *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, ST_MSG_PUT, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, m->uid);
	sqlite3_bind_int(st, 3, (int)m->flags);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)m->size);
	sqlite3_bind_text(st, 5, m->filename, -1, SQLITE_STATIC);
	return step_done(s, st, "store a message", err);
}

int
state_msg_get(struct state *s, int64_t folder, uint32_t uid,
    struct state_msg *m, struct mc_err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(m, 0, sizeof *m);
	if ((st = prep(s, ST_MSG_GET, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->uid = (uint32_t)sqlite3_column_int64(st, 0);
		m->flags = (unsigned)sqlite3_column_int(st, 1);
		m->size = (uint64_t)sqlite3_column_int64(st, 2);
		m->filename = xstrdup((const char *)sqlite3_column_text(st,
		    3));
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 1;
	return db_fail(s, "read a message", err);
}

int
state_msg_del(struct state *s, int64_t folder, uint32_t uid,
    struct mc_err *err)
{
	sqlite3_stmt	*st;

	if ((st = prep(s, ST_MSG_DEL, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, uid);
	return step_done(s, st, "forget a message", err);
}

int
state_msg_stats(struct state *s, int64_t folder, uint32_t *count,
    uint32_t *maxuid, struct mc_err *err)
{
	sqlite3_stmt	*st;

	*count = *maxuid = 0;
	if ((st = prep(s, ST_MSG_STATS, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(s, "count messages", err);
	}
	*count = (uint32_t)sqlite3_column_int64(st, 0);
	*maxuid = (uint32_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

int
state_msg_uids(struct state *s, int64_t folder, uint32_t **uids, size_t *nout,
    struct mc_err *err)
{
	sqlite3_stmt	*st;
	uint32_t	*v = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc;

	*uids = NULL;
	*nout = 0;
	if ((st = prep(s, ST_MSG_UIDS, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_fail(s, "list messages", err);
	}
	*uids = v;
	*nout = n;
	return 0;
}

int
state_msg_foreach(struct state *s, int64_t folder, uint32_t lo, uint32_t hi,
    int (*fn)(const struct state_msg *, void *), void *arg,
    struct mc_err *err)
{
	struct state_msg	 m;
	sqlite3_stmt		*st;
	int			 rc, r = 0;

	/* Its own statement: fn may use the cached ones (reads only). */
	if (sqlite3_prepare_v2(s->db, stmt_sql[ST_MSG_RANGE], -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(s, "prepare a query", err);
	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.uid = (uint32_t)sqlite3_column_int64(st, 0);
		m.flags = (unsigned)sqlite3_column_int(st, 1);
		m.size = (uint64_t)sqlite3_column_int64(st, 2);
		m.filename = (char *)sqlite3_column_text(st, 3);
		if ((r = fn(&m, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		db_fail(s, "list messages", err);
		r = -1;
	}
	sqlite3_finalize(st);
	return r;
}

void
state_msg_clear(struct state_msg *m)
{
	free(m->filename);
	memset(m, 0, sizeof *m);
}

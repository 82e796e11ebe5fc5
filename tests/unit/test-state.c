/*
 * test-state.c -- the SQLite sync state: schema, folders, messages,
 * transactions, versioning, two connections at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "maildir.h"
#include "state.h"
#include "util.h"

static char	root[] = "/tmp/mc-state-XXXXXX";
static char	*dbpath;

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	dbpath = state_path_for(root);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", root);
	rc = system(cmd);
	free(cmd);
	free(dbpath);
	return rc == 0 ? 0 : -1;
}

static struct state *
open_state(void)
{
	struct state	*s;
	struct mc_err	 err;

	if (state_open(dbpath, &s, &err) != 0)
		fail_msg("%s", err.msg);
	return s;
}

static void
test_path(void **state)
{
	(void)state;
	assert_non_null(strstr(dbpath, "/.mailconn/state.db"));
	assert_true(strncmp(dbpath, root, strlen(root)) == 0);
}

static void
test_folders(void **state)
{
	struct state		*s;
	struct state_folder	 f = { 0 }, g, *v;
	struct mc_err		 err;
	size_t			 n;

	(void)state;
	s = open_state();
	assert_int_equal(state_folder_get(s, "Entwürfe", &g, &err), 1);
	f.name = "Entwürfe";
	f.path = "Entwürfe";
	f.delim = '.';
	f.uidvalidity = 1234;
	f.uidnext = 10;
	f.highestmodseq = 1ULL << 40;
	assert_int_equal(state_folder_put(s, &f, &err), 0);
	assert_true(f.id > 0);
	assert_int_equal(state_folder_get(s, "Entwürfe", &g, &err), 0);
	assert_int_equal(g.id, f.id);
	assert_string_equal(g.path, "Entwürfe");
	assert_int_equal(g.delim, '.');
	assert_int_equal(g.uidvalidity, 1234);
	assert_int_equal(g.uidnext, 10);
	assert_true(g.highestmodseq == 1ULL << 40);
	assert_int_equal(g.dirty, 0);
	state_folder_clear(&g);

	/* update by name */
	f.uidnext = 4000000000U;	/* UIDs are unsigned 32-bit */
	assert_int_equal(state_folder_put(s, &f, &err), 0);
	assert_int_equal(state_folder_set_dirty(s, f.id, 1, 1, &err), 0);
	assert_int_equal(state_folder_get(s, "Entwürfe", &g, &err), 0);
	assert_int_equal(g.uidnext, 4000000000U);
	assert_int_equal(g.dirty, 1);
	state_folder_clear(&g);

	f.id = 0;
	f.name = "INBOX";
	f.path = "INBOX";
	assert_int_equal(state_folder_put(s, &f, &err), 0);
	assert_int_equal(state_folder_list(s, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "Entwürfe");
	assert_string_equal(v[1].name, "INBOX");
	state_folders_free(v, n);
	state_close(s);
}

static int
collect(const struct state_msg *m, void *arg)
{
	uint32_t	*sum = arg;

	*sum += m->uid;
	return m->uid == 7 ? 7 : 0;	/* stop at 7 */
}

static void
test_messages(void **state)
{
	struct state		*s;
	struct state_folder	 f;
	struct state_msg	 m, g;
	struct mc_err		 err;
	uint32_t		 count, maxuid, *uids, sum;
	size_t			 n;
	char			 name[64];
	uint32_t		 uid;

	(void)state;
	s = open_state();
	assert_int_equal(state_folder_get(s, "INBOX", &f, &err), 0);
	assert_int_equal(state_begin(s, &err), 0);
	for (uid = 1; uid <= 10; uid++) {
		snprintf(name, sizeof name, "cur/x,U=%u:2,S", uid);
		m.uid = uid;
		m.flags = MDF_SEEN;
		m.size = uid * 100;
		m.filename = name;
		assert_int_equal(state_msg_put(s, f.id, &m, &err), 0);
	}
	assert_int_equal(state_commit(s, &err), 0);

	assert_int_equal(state_msg_stats(s, f.id, &count, &maxuid, &err), 0);
	assert_int_equal(count, 10);
	assert_int_equal(maxuid, 10);
	assert_int_equal(state_msg_get(s, f.id, 4, &g, &err), 0);
	assert_int_equal(g.flags, MDF_SEEN);
	assert_int_equal(g.size, 400);
	assert_string_equal(g.filename, "cur/x,U=4:2,S");
	state_msg_clear(&g);
	assert_int_equal(state_msg_get(s, f.id, 11, &g, &err), 1);

	/* replace */
	m.uid = 4;
	m.flags = MDF_SEEN | MDF_FLAGGED;
	m.filename = "cur/x,U=4:2,FS";
	assert_int_equal(state_msg_put(s, f.id, &m, &err), 0);
	assert_int_equal(state_msg_get(s, f.id, 4, &g, &err), 0);
	assert_int_equal(g.flags, MDF_SEEN | MDF_FLAGGED);
	state_msg_clear(&g);

	/* rollback loses the batch */
	assert_int_equal(state_begin(s, &err), 0);
	assert_int_equal(state_msg_del(s, f.id, 1, &err), 0);
	assert_int_equal(state_msg_del(s, f.id, 2, &err), 0);
	state_rollback(s);
	assert_int_equal(state_msg_stats(s, f.id, &count, &maxuid, &err), 0);
	assert_int_equal(count, 10);

	assert_int_equal(state_msg_del(s, f.id, 10, &err), 0);
	assert_int_equal(state_msg_uids(s, f.id, &uids, &n, &err), 0);
	assert_int_equal(n, 9);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[8], 9);
	free(uids);

	sum = 0;
	assert_int_equal(state_msg_foreach(s, f.id, 3, 100, collect, &sum,
	    &err), 7);
	assert_int_equal(sum, 3 + 4 + 5 + 6 + 7);

	/* UIDVALIDITY changed */
	assert_int_equal(state_folder_reset(s, f.id, 999, &err), 0);
	assert_int_equal(state_msg_stats(s, f.id, &count, &maxuid, &err), 0);
	assert_int_equal(count, 0);
	state_folder_clear(&f);
	assert_int_equal(state_folder_get(s, "INBOX", &f, &err), 0);
	assert_int_equal(f.uidvalidity, 999);
	assert_int_equal(f.uidnext, 0);
	assert_true(f.highestmodseq == 0);
	state_folder_clear(&f);
	state_close(s);
}

static void
test_persist_and_wal(void **state)
{
	struct state		*s;
	struct state_folder	 f;
	struct mc_err		 err;
	sqlite3			*db;
	sqlite3_stmt		*st;

	(void)state;
	s = open_state();
	state_close(s);
	/* reopened: rows are still there, WAL is on, schema versioned */
	s = open_state();
	assert_int_equal(state_folder_get(s, "Entwürfe", &f, &err), 0);
	state_folder_clear(&f);
	state_close(s);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), STATE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_newer_schema(void **state)
{
	struct state	*s;
	struct mc_err	 err;
	sqlite3		*db;
	char		*path;

	(void)state;
	path = xasprintf("%s/future.db", root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(state_open(path, &s, &err), -1);
	assert_non_null(strstr(err.msg, "newer mailconn"));
	free(path);

	/* a file that is not a database */
	path = xasprintf("%s/junk.db", root);
	assert_int_equal(mc_write_atomic(path, "not sqlite at all, no", 21,
	    0600, &err), 0);
	assert_int_equal(state_open(path, &s, &err), -1);
	assert_int_equal(err.kind, MCE_IO);
	assert_non_null(strstr(err.msg, path));
	free(path);
}

struct writer {
	int64_t	folder;
	int	base;
	int	failures;
};

/* Each thread its own connection, interleaved write transactions. */
static void *
writer_main(void *arg)
{
	struct writer		*w = arg;
	struct state		*s;
	struct state_msg	 m;
	struct mc_err		 err;
	char			 name[64];
	int			 b, i;

	if (state_open(dbpath, &s, &err) != 0) {
		w->failures++;
		return NULL;
	}
	for (b = 0; b < 20; b++) {
		if (state_begin(s, &err) != 0) {
			w->failures++;
			continue;
		}
		for (i = 0; i < 50; i++) {
			m.uid = (uint32_t)(w->base + b * 50 + i + 1);
			m.flags = 0;
			m.size = 1;
			snprintf(name, sizeof name, "new/x,U=%u", m.uid);
			m.filename = name;
			if (state_msg_put(s, w->folder, &m, &err) != 0)
				w->failures++;
		}
		if (state_commit(s, &err) != 0)
			w->failures++;
	}
	state_close(s);
	return NULL;
}

static void
test_threads(void **state)
{
	struct state		*s;
	struct state_folder	 f = { 0 };
	struct writer		 w[3];
	pthread_t		 t[3];
	struct mc_err		 err;
	uint32_t		 count, maxuid;
	int			 i;

	(void)state;
	s = open_state();
	f.name = "Threads";
	f.path = "Threads";
	assert_int_equal(state_folder_put(s, &f, &err), 0);
	for (i = 0; i < 3; i++) {
		w[i].folder = f.id;
		w[i].base = i * 1000;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, writer_main,
		    &w[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(state_msg_stats(s, f.id, &count, &maxuid, &err), 0);
	assert_int_equal(count, 3000);
	assert_int_equal(maxuid, 3000);
	state_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_folders),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_persist_and_wal),
		cmocka_unit_test(test_newer_schema),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

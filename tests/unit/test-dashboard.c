/*
 * test-dashboard.c -- the dashboard's model, fed synthetic engine events:
 * rates, totals and ETA, the folder tree, the slot rows, certificate
 * prompts, the log ring, counts from the state, formatting.  No terminal
 * and no engine: the model takes its clock as arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "slots.h"
#include "ui-dashboard.h"

#define T0	100000LL	/* a monotonic "now" to start from */

static struct event
ev_make(enum event_type type, const char *account)
{
	struct event	ev;

	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.account = (char *)account;
	return ev;
}

static void
slot_ev(struct dash_model *m, const char *acct, int id, const char *role,
    int st, const char *text, uint64_t bytes, long long now)
{
	struct event	ev = ev_make(EV_SLOT_STATE, acct);

	ev.id = id;
	ev.name = (char *)role;
	ev.status = st;
	ev.text = (char *)text;
	ev.n = bytes;
	dash_model_event(m, &ev, now, 1000);
}

static void
progress_ev(struct dash_model *m, const char *acct, const char *folder,
    int status, uint64_t n, uint64_t total, const char *text, long long now)
{
	struct event	ev = ev_make(EV_FOLDER_PROGRESS, acct);

	ev.name = (char *)folder;
	ev.status = status;
	ev.n = n;
	ev.total = total;
	ev.text = (char *)text;
	dash_model_event(m, &ev, now, 5000);
}

static void
totals_ev(struct dash_model *m, const char *acct, uint64_t done,
    uint64_t total, long long now)
{
	struct event	ev = ev_make(EV_TOTALS, acct);

	ev.n = done;
	ev.total = total;
	dash_model_event(m, &ev, now, 1000);
}

static void
list_ev(struct dash_model *m, const char *acct, char **names)
{
	struct event	ev = ev_make(EV_FOLDER_LIST, acct);

	ev.data = names;
	dash_model_event(m, &ev, T0, 1000);
}

/* ------------------------------------------------------------ rates */

static void
test_rate(void **state)
{
	struct dash_rate	r;
	int			i;

	(void)state;
	dash_rate_reset(&r);
	assert_true(dash_rate_get(&r, T0) == 0);
	dash_rate_add(&r, T0, 0);
	assert_true(dash_rate_get(&r, T0) == 0);	/* one sample */
	/* 1000 units a second for 4 s, a sample every 250 ms */
	for (i = 1; i <= 16; i++)
		dash_rate_add(&r, T0 + i * 250, (uint64_t)i * 250);
	assert_int_equal((int)dash_rate_get(&r, T0 + 4000), 1000);
	/* a burst inside one step replaces the newest sample */
	dash_rate_add(&r, T0 + 4050, 4100);
	assert_int_equal(r.v[r.head], 4100);
	assert_int_equal(r.t[r.head], T0 + 4000);
	/* nothing more: the figure decays, then is 0 past the window */
	assert_true(dash_rate_get(&r, T0 + 6000) < 1000);
	assert_true(dash_rate_get(&r, T0 + 6000) > 0);
	assert_true(dash_rate_get(&r, T0 + 4000 + DASH_RATE_WINDOW_MS + 1) ==
	    0);
	/* the ring wraps without losing the newest */
	for (i = 0; i < 3 * DASH_RATE_N; i++)
		dash_rate_add(&r, T0 + 10000 + i * 300, 5000 + (uint64_t)i * 30);
	assert_int_equal((int)(dash_rate_get(&r, T0 + 10000 +
	    (3 * DASH_RATE_N - 1) * 300) + 0.5), 100);
}

/* ------------------------------------------------------------ totals */

static void
test_totals_eta(void **state)
{
	struct dash_model	*m = dash_model_new();
	struct dash_account	*a;
	int			 k, i;

	(void)state;
	k = dash_model_account(m, "work", 5);
	assert_int_equal(k, 0);
	assert_int_equal(dash_model_account(m, "work", 5), 0);
	assert_int_equal(dash_model_account(m, "home", 3), 1);
	dash_model_pool_started(m, k, T0);
	a = &m->acct[k];
	assert_int_equal(a->run, DASH_RUN_SYNCING);
	assert_int_equal(dash_account_eta(a, T0), -1);	/* nothing known */

	/* INBOX: 1000 to fetch, 100 messages a second for 3 s */
	progress_ev(m, "work", "INBOX", 0, 0, 1000, NULL, T0);
	for (i = 1; i <= 12; i++) {
		progress_ev(m, "work", "INBOX", 0, (uint64_t)i * 25, 1000,
		    NULL, T0 + i * 250);
		totals_ev(m, "work", (uint64_t)i * 25, 1000, T0 + i * 250);
	}
	assert_int_equal(a->done, 300);
	assert_int_equal(a->total, 1000);
	/* 700 to go at 100/s */
	assert_int_equal(dash_account_eta(a, T0 + 3000), 7);

	/* another account's events do not count here */
	totals_ev(m, "home", 5, 10, T0 + 3000);
	assert_int_equal(a->done, 300);
	assert_int_equal(m->acct[1].done, 5);
	/* nor do events of accounts nobody added */
	totals_ev(m, "nobody", 1, 2, T0 + 3000);

	/* the folder completes: its counts, no more to go */
	progress_ev(m, "work", "INBOX", 1, 1020, 1020, NULL, T0 + 10000);
	totals_ev(m, "work", 1020, 1020, T0 + 10000);
	assert_int_equal(dash_account_eta(a, T0 + 10000), 0);
	assert_int_equal(dash_model_folder(a, "INBOX")->messages, 1020);
	assert_int_equal(dash_model_folder(a, "INBOX")->state, DF_DONE);
	assert_int_equal(dash_model_folder(a, "INBOX")->synced_at, 5000);
	/* the completion's jump from 300 to 1020 is no fetching */
	assert_true(a->mrate.v[a->mrate.head] == 300);
	dash_model_free(m);
}

static void
test_bytes_and_rate(void **state)
{
	struct dash_model	*m = dash_model_new();
	struct dash_account	*a;
	int			 i;

	(void)state;
	dash_model_account(m, "work", 5);
	dash_model_pool_started(m, 0, T0);
	a = &m->acct[0];
	/* two slots, 1 MB/s each for 2 s */
	for (i = 1; i <= 8; i++) {
		slot_ev(m, "work", 1, "INBOX", SLOT_FETCHING,
		    "fetching 1/2 INBOX", (uint64_t)i * 262144, T0 + i * 250);
		slot_ev(m, "work", 3, "folders", SLOT_FETCHING,
		    "fetching 1/2 Lists/dev", (uint64_t)i * 262144,
		    T0 + i * 250);
	}
	assert_int_equal(dash_account_bytes(a), 4 << 20);
	assert_int_equal((int)(dash_account_rate(a, T0 + 2000) / 1024), 2048);
	assert_int_equal((int)(dash_rate_get(&a->slots[0].rate, T0 + 2000) /
	    1024), 1024);
	assert_int_equal(dash_account_busy(a), 2);

	/* pause and resume: a new pool starts from 0, the bytes stay */
	dash_model_set_run(m, 0, DASH_RUN_PAUSED, NULL);
	dash_model_pool_started(m, 0, T0 + 5000);
	assert_int_equal(a->run, DASH_RUN_SYNCING);
	assert_int_equal(dash_account_bytes(a), 4 << 20);
	assert_false(a->slots[0].used);
	slot_ev(m, "work", 1, "INBOX", SLOT_FETCHING, "fetching 1/2 INBOX",
	    1024, T0 + 5250);
	assert_int_equal(dash_account_bytes(a), (4 << 20) + 1024);
	dash_model_free(m);
}

/* ------------------------------------------------------------ folders */

static const char *
row(struct dash_account *a, size_t i, int *depth, int *ph)
{
	*depth = a->folders[i].depth;
	*ph = a->folders[i].placeholder;
	return a->folders[i].label;
}

static void
test_folder_tree(void **state)
{
	static const char *want[][3] = {
		/* label, depth, placeholder */
		{ "INBOX", "0", "0" }, { "Sub", "1", "0" },
		{ "Archive", "0", "0" }, { "Lists", "0", "1" },
		{ "dev", "1", "0" }, { "ops", "1", "0" },
		{ "Sent", "0", "0" }, { "Work", "0", "0" },
		{ "Projects", "1", "0" }, { "a", "2", "1" }, { "b", "3", "0" },
		{ "Пример", "0", "0" },
	};
	char	*names[] = { "Work/Projects", "Sent", "Lists/ops", "Пример",
		"INBOX/Sub", "Archive", "Lists/dev", "Work", "INBOX",
		"Work/Projects/a/b", NULL };
	struct dash_model	*m = dash_model_new();
	struct dash_account	*a;
	size_t			 i;
	int			 depth, ph;

	(void)state;
	dash_model_account(m, "work", 5);
	a = &m->acct[0];
	list_ev(m, "work", names);
	assert_true(a->listed);
	assert_false(a->sorted);
	assert_true(m->dirty & DASH_DIRTY_FOLDERS);
	dash_model_sort(a);
	assert_int_equal(a->nfolders, sizeof want / sizeof want[0]);
	for (i = 0; i < a->nfolders; i++) {
		assert_string_equal(row(a, i, &depth, &ph), want[i][0]);
		assert_int_equal(depth, atoi(want[i][1]));
		assert_int_equal(ph, atoi(want[i][2]));
	}

	/* a new LIST drops what the server no longer has */
	names[0] = "INBOX";
	names[1] = "Lists/dev";
	names[2] = NULL;
	list_ev(m, "work", names);
	dash_model_sort(a);
	assert_int_equal(a->nfolders, 3);
	assert_string_equal(a->folders[0].name, "INBOX");
	assert_string_equal(a->folders[1].name, "Lists");
	assert_true(a->folders[1].placeholder);
	assert_string_equal(a->folders[2].name, "Lists/dev");
	dash_model_free(m);
}

static void
test_folder_delim_from_state(void **state)
{
	struct dash_finfo	 fi[3];
	struct dash_model	*m = dash_model_new();
	struct dash_account	*a;
	struct dash_folder	*f;

	(void)state;
	memset(fi, 0, sizeof fi);
	fi[0].name = "INBOX";
	fi[0].delim = '.';
	fi[0].messages = 20;
	fi[0].unseen = 10;
	fi[0].synced_at = 4000;
	fi[1].name = "Work.Old";
	fi[1].delim = '.';
	fi[1].messages = 3;
	fi[2].name = "Odd/Name";	/* '/' is no separator here */
	fi[2].delim = '.';
	dash_model_account(m, "work", 5);
	a = &m->acct[0];
	/* before any LIST the state's folders are shown */
	dash_model_folder_info(m, "work", fi, 3);
	dash_model_sort(a);
	assert_int_equal(a->delim, '.');
	assert_int_equal(a->nfolders, 4);
	assert_string_equal(a->folders[0].name, "INBOX");
	assert_string_equal(a->folders[1].name, "Odd/Name");
	assert_int_equal(a->folders[1].depth, 0);
	assert_string_equal(a->folders[2].name, "Work");
	assert_true(a->folders[2].placeholder);
	assert_string_equal(a->folders[3].label, "Old");
	f = dash_model_folder(a, "INBOX");
	assert_int_equal(f->messages, 20);
	assert_int_equal(f->unseen, 10);
	assert_int_equal(f->state, DF_DONE);	/* synced before */
	assert_int_equal(f->synced_at, 4000);
	assert_int_equal(dash_model_folder(a, "Odd/Name")->state, DF_WAIT);

	/* after a LIST, counts of folders no longer wanted are ignored */
	{
		char	*names[] = { "INBOX", NULL };

		list_ev(m, "work", names);
	}
	fi[0].unseen = 9;
	dash_model_folder_info(m, "work", fi, 3);
	assert_int_equal(a->nfolders, 1);
	assert_int_equal(dash_model_folder(a, "INBOX")->unseen, 9);
	dash_model_free(m);
}

static void
test_folder_progress_states(void **state)
{
	struct dash_model	*m = dash_model_new();
	struct dash_account	*a;
	struct dash_folder	*f;

	(void)state;
	dash_model_account(m, "work", 5);
	dash_model_pool_started(m, 0, T0);
	a = &m->acct[0];
	progress_ev(m, "work", "Archive", 0, 10, 200, NULL, T0);
	f = dash_model_folder(a, "Archive");
	assert_int_equal(f->state, DF_RUN);
	assert_int_equal(f->done, 10);
	assert_int_equal(f->total, 200);
	progress_ev(m, "work", "Archive", -1, 20, 200,
	    "The server closed the connection.", T0 + 100);
	f = dash_model_folder(a, "Archive");
	assert_int_equal(f->state, DF_ERR);
	assert_string_equal(f->error, "The server closed the connection.");
	/* a success clears the error */
	progress_ev(m, "work", "Archive", 1, 200, 200, NULL, T0 + 200);
	f = dash_model_folder(a, "Archive");
	assert_int_equal(f->state, DF_DONE);
	assert_null(f->error);
	/* stopped on purpose (pause): no error shown */
	dash_model_set_run(m, 0, DASH_RUN_PAUSING, NULL);
	progress_ev(m, "work", "Archive", 0, 0, 50, NULL, T0 + 300);
	progress_ev(m, "work", "Archive", -1, 5, 50, "Cancelled.", T0 + 400);
	f = dash_model_folder(a, "Archive");
	assert_int_equal(f->state, DF_DONE);	/* as before the pause */
	assert_null(f->error);
	/* server text is sanitised */
	dash_model_set_run(m, 0, DASH_RUN_SYNCING, NULL);
	progress_ev(m, "work", "Junk", -1, 0, 0, "bad\033[2Jthing", T0 + 500);
	assert_string_equal(dash_model_folder(a, "Junk")->error,
	    "bad?[2Jthing");
	dash_model_free(m);
}

/* ------------------------------------------------------------ slots */

static void
test_slot_rows(void **state)
{
	struct dash_model	*m = dash_model_new();
	struct dash_account	*a;
	struct dash_slot	*s;

	(void)state;
	dash_model_account(m, "work", 3);
	a = &m->acct[0];
	slot_ev(m, "work", 1, "INBOX", SLOT_CONNECTING,
	    "connecting localhost:993", 0, T0);
	s = &a->slots[0];
	assert_true(s->used);
	assert_string_equal(s->role, "INBOX");
	assert_null(s->folder);
	assert_int_equal(s->since, T0);
	slot_ev(m, "work", 1, "INBOX", SLOT_FETCHING,
	    "fetching 10/200 Work/My Projects", 4096, T0 + 500);
	assert_string_equal(s->folder, "Work/My Projects");
	assert_int_equal(s->since, T0 + 500);
	assert_int_equal(s->bytes, 4096);
	/* the text alone changes: "since" stays */
	slot_ev(m, "work", 1, "INBOX", SLOT_FETCHING,
	    "fetching 20/200 Work/My Projects", 8192, T0 + 900);
	assert_int_equal(s->since, T0 + 500);
	assert_string_equal(s->text, "fetching 20/200 Work/My Projects");
	slot_ev(m, "work", 1, "INBOX", SLOT_IDLING, "idling INBOX", 8192,
	    T0 + 1000);
	assert_string_equal(s->folder, "INBOX");
	slot_ev(m, "work", 1, "INBOX", SLOT_IDLE, "synced Sent", 8192,
	    T0 + 1100);
	assert_string_equal(s->folder, "Sent");
	slot_ev(m, "work", 1, "INBOX", SLOT_IDLE, "connected", 8192,
	    T0 + 1200);
	assert_null(s->folder);
	slot_ev(m, "work", 2, "Sent", SLOT_BACKOFF, "backoff 8s", 0, T0);
	slot_ev(m, "work", 3, "folders", SLOT_SELECTING, "selecting Reçus",
	    0, T0);
	assert_string_equal(a->slots[2].folder, "Reçus");
	assert_int_equal(dash_account_busy(a), 1);	/* selecting */
	/* a slot beyond max-connections still shows; id 0 or 6 do not */
	slot_ev(m, "work", 5, "extra", SLOT_FETCHING, "fetching 1/2 X", 0, T0);
	assert_int_equal(a->nslots, 5);
	slot_ev(m, "work", 0, "x", SLOT_IDLE, "x", 0, T0);
	slot_ev(m, "work", 6, "x", SLOT_IDLE, "x", 0, T0);
	/* no text: the state's name; closing keeps the role it had */
	slot_ev(m, "work", 2, "all", SLOT_CLOSED, NULL, 0, T0);
	assert_string_equal(a->slots[1].text, "closed");
	assert_string_equal(a->slots[1].role, "Sent");
	/* so does every change while the pool stops */
	dash_model_set_run(m, 0, DASH_RUN_PAUSING, NULL);
	slot_ev(m, "work", 3, "all", SLOT_IDLE, "idle", 0, T0);
	assert_string_equal(a->slots[2].role, "folders");
	dash_model_set_run(m, 0, DASH_RUN_SYNCING, NULL);
	slot_ev(m, "work", 3, "all", SLOT_IDLE, "idle", 0, T0);
	assert_string_equal(a->slots[2].role, "all");
	/* the pool shrank */
	{
		struct event ev = ev_make(EV_POOL, "work");

		ev.n = 2;
		ev.total = 5;
		ev.text = "the server refused slot 3: too many connections";
		dash_model_event(m, &ev, T0, 1000);
		assert_int_equal(a->usable, 2);
		assert_string_equal(a->pool_why, ev.text);
	}
	dash_model_free(m);
}

/* ------------------------------------------------------------ certs */

static void
test_certs(void **state)
{
	struct cert_problem	 prob = { 0, 18, "self-signed certificate" };
	struct cert_info	 ci;
	struct trust_request	 req;
	struct dash_model	*m = dash_model_new();

	(void)state;
	memset(&ci, 0, sizeof ci);
	ci.subject = "CN=localhost";
	ci.issuer = "CN=localhost";
	ci.problems = &prob;
	ci.nproblems = 1;
	ci.self_signed = 1;
	memset(&req, 0, sizeof req);
	req.account = "home";
	req.proto = "imap";
	req.host = "localhost";
	req.port = 30002;
	req.cert = &ci;
	req.verdict = CERT_UNTRUSTED;
	dash_model_cert_asked(m, &req, 1000);
	dash_model_cert_asked(m, &req, 1001);	/* a second slot asks too */
	assert_int_equal(m->ncerts, 2);
	assert_int_equal(dash_model_certs_pending(m), 2);
	assert_string_equal(m->certs[0].hostport, "localhost:30002");
	assert_string_equal(m->certs[0].problem, "self-signed certificate");
	assert_non_null(strstr(m->certs[0].report, "not trusted"));
	assert_non_null(strchr(m->certs[0].report, '\n'));	/* lines kept */
	/* answers go to the oldest pending of that account and server */
	dash_model_cert_decided(m, "work", "localhost:30002",
	    TRUST_ACCEPT_ONCE, 1002);
	assert_int_equal(dash_model_certs_pending(m), 2);
	dash_model_cert_decided(m, "home", "localhost:30002",
	    TRUST_ACCEPT_ONCE, 1002);
	assert_int_equal(m->certs[0].answer, TRUST_ACCEPT_ONCE);
	assert_int_equal(m->certs[0].decided, 1002);
	assert_int_equal(m->certs[1].answer, -1);
	dash_model_cert_decided(m, "home", "localhost:30002", TRUST_REJECT,
	    1003);
	assert_int_equal(m->certs[1].answer, TRUST_REJECT);
	assert_int_equal(dash_model_certs_pending(m), 0);
	/* CHANGED says so first */
	req.verdict = CERT_CHANGED;
	dash_model_cert_asked(m, &req, 1004);
	assert_non_null(strstr(m->certs[2].problem, "CHANGED"));
	assert_true(m->certs[2].changed);
	dash_model_free(m);
}

/* ------------------------------------------------------------ log */

static void
test_log_ring(void **state)
{
	struct dash_model		*m = dash_model_new();
	const struct dash_logline	*l;
	struct event			 ev = ev_make(EV_LOG, NULL);
	char				 buf[64];
	int				 i;

	(void)state;
	for (i = 0; i < DASH_LOG_MAX + 10; i++) {
		snprintf(buf, sizeof buf, "line %d", i);
		ev.text = buf;
		ev.status = i % 4;
		dash_model_event(m, &ev, T0, 1000);
	}
	assert_int_equal(m->nlog, DASH_LOG_MAX);
	assert_int_equal(m->log_seq, DASH_LOG_MAX + 10);
	l = dash_model_log(m, 0);
	assert_string_equal(l->text, "line 10");		/* oldest kept */
	assert_int_equal(l->level, 10 % 4);
	l = dash_model_log(m, DASH_LOG_MAX - 1);
	snprintf(buf, sizeof buf, "line %d", DASH_LOG_MAX + 9);
	assert_string_equal(l->text, buf);
	assert_null(dash_model_log(m, DASH_LOG_MAX));
	assert_true(m->dirty & DASH_DIRTY_LOG);
	ev.text = "esc\033]0;title\007";
	dash_model_event(m, &ev, T0, 1000);
	assert_string_equal(dash_model_log(m, DASH_LOG_MAX - 1)->text,
	    "esc?]0;title?");
	dash_model_free(m);
}

/* ------------------------------------------------------------ format */

static void
test_formats(void **state)
{
	char	b[32];

	(void)state;
	dash_fmt_bytes(b, sizeof b, 0);
	assert_string_equal(b, "0 B");
	dash_fmt_bytes(b, sizeof b, 1023);
	assert_string_equal(b, "1023 B");
	dash_fmt_bytes(b, sizeof b, 1536);
	assert_string_equal(b, "1.5 KB");
	dash_fmt_bytes(b, sizeof b, 12ULL << 20);
	assert_string_equal(b, "12 MB");
	dash_fmt_bytes(b, sizeof b, 3ULL << 40);
	assert_string_equal(b, "3.0 TB");
	dash_fmt_dur(b, sizeof b, 42);
	assert_string_equal(b, "42s");
	dash_fmt_dur(b, sizeof b, 185);
	assert_string_equal(b, "3m05s");
	dash_fmt_dur(b, sizeof b, 3720);
	assert_string_equal(b, "1h02m");
	dash_fmt_dur(b, sizeof b, -1);
	assert_string_equal(b, "?");
	dash_fmt_ago(b, sizeof b, 0, 1000);
	assert_string_equal(b, "never");
	dash_fmt_ago(b, sizeof b, 998, 1000);
	assert_string_equal(b, "just now");
	dash_fmt_ago(b, sizeof b, 900, 1000);
	assert_string_equal(b, "1m ago");
	dash_fmt_ago(b, sizeof b, 1000 - 7200, 1000);
	assert_string_equal(b, "2h ago");
	assert_string_equal(dash_run_name(DASH_RUN_PAUSED), "paused");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_totals_eta),
		cmocka_unit_test(test_bytes_and_rate),
		cmocka_unit_test(test_folder_tree),
		cmocka_unit_test(test_folder_delim_from_state),
		cmocka_unit_test(test_folder_progress_states),
		cmocka_unit_test(test_slot_rows),
		cmocka_unit_test(test_certs),
		cmocka_unit_test(test_log_ring),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

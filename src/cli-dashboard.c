/*
 * cli-dashboard.c -- plain `mailconn`: the engines of every account, the
 * dashboard screen over them, and the threads that keep the UI thread free
 * of waiting (the pump, the state reader).  Contract in cli-dashboard.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-dashboard.h"
#include "discover.h"
#include "log.h"
#include "maildir.h"
#include "net.h"
#include "slots.h"
#include "state.h"
#include "ui.h"
#include "ui-dashboard.h"

/* Private EV_TASK_DONE ids on the dashboard's own queue. */
#define T_TRUST		1	/* a prompt was answered: status, name */
#define T_FOLDERS	2	/* state.db counts: data = struct finfo_set */

#define DRAIN_MAX	4096	/* events per turn; the rest next turn */
#define LOG_BACKLOG	2000	/* log lines queued at most (the pane's) */

struct engine {
	const struct account	*a;	/* lives in one of app->cfgs */
	const struct account	*next;	/* re-saved by the wizard: use
					   this one once stopped */
	struct slots		*pool;
	int			 idx;	/* in the model */
	int			 pausing;
	int			 resume;
};

struct job {
	char		*account;
	char		*root;
	struct job	*next;
};

struct finfo_set {
	struct dash_finfo *v;
	size_t		 n;
};

struct app {
	struct cli		*cli;
	struct config		**cfgs;	/* every config loaded: accounts
					   point into them */
	size_t			 ncfgs;
	struct certstore	*store;
	struct event_queue	*dq;
	struct dash		*d;
	struct dash_model	*m;
	struct engine		*eng;
	size_t			 neng;
	int			 quitting;
	long long		 deadline;
	int			 log_queued;	/* atomic: EV_LOG not drained */
	int			 log_dropped;	/* atomic: lines not queued */

	pthread_mutex_t		 lock;	/* the rest: pump and worker */
	pthread_cond_t		 cond;
	pthread_t		 pump;
	int			 pump_on;
	int			 outstanding;	/* a nudge the UI has not drained */
	int			 stop[2];	/* wakes the pump's poll */
	pthread_t		 worker;
	int			 worker_on;
	pthread_cond_t		 wcond;
	struct job		*jobs;
	int			 quit_threads;
};

static void	 engine_start(struct app *, struct engine *);

/* The wizard ran: its abandoned threads may hold the store (ui.h). */
static int	 wizard_ran;
/*
 * What threads we walked away from may still use (an abandoned pool, a
 * wizard task) stays, on purpose, until the process ends: kept here.
 */
static struct {
	struct app		*app;
	struct certstore	*store;
	struct config		*cfg;
} kept __attribute__((used));	/* only stored: keep the stores too */

/* ------------------------------------------------------------ threads */

/* Engine thread: the prompt (events.h), then say what was answered. */
static enum trust_answer
dash_trust(const struct trust_request *req, void *arg)
{
	struct app		*app = arg;
	struct event		*ev;
	enum trust_answer	 a;

	a = events_trust_prompt(req, app->dq);
	ev = event_new(EV_TASK_DONE);
	ev->id = T_TRUST;
	ev->account = req->account != NULL ? xstrdup(req->account) : NULL;
	ev->name = xasprintf("%s:%d", req->host, req->port);
	ev->status = (int)a;
	events_post(app->dq, ev);
	return a;
}

/*
 * Any thread, log mutex held: a copy of the line for the log pane.  Not
 * protocol traces (--debug: a line per line on the wire, the log file has
 * them), and not more than the pane keeps while the UI is behind.
 */
static void
dash_log_sink(enum mc_log_level level, const char *line, void *arg)
{
	struct app	*app = arg;
	struct event	*ev;
	const char	*sp = strchr(line, ' ');

	if (sp != NULL && strncmp(sp, " TRACE ", 7) == 0)
		return;
	if (__atomic_add_fetch(&app->log_queued, 1, __ATOMIC_RELAXED) >
	    LOG_BACKLOG) {
		__atomic_sub_fetch(&app->log_queued, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&app->log_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	ev = event_new(EV_LOG);
	ev->status = (int)level;
	ev->text = xstrdup(line);
	events_post(app->dq, ev);
}

/*
 * The pump: one nudge in ui_queue() at a time, when the engine's queue
 * has something or a tick passed.  It waits for the UI to drain before
 * the next, so a busy engine costs one wake-up per UI turn, and while the
 * wizard owns the loop the events simply wait.
 */
static void *
pump_main(void *arg)
{
	struct app	*app = arg;
	struct pollfd	 pfd[2];
	struct event	*ev;

	pfd[0].fd = events_wake_fd(app->dq);
	pfd[0].events = POLLIN;
	pfd[1].fd = app->stop[0];
	pfd[1].events = POLLIN;
	pthread_mutex_lock(&app->lock);
	while (!app->quit_threads) {
		if (app->outstanding) {
			pthread_cond_wait(&app->cond, &app->lock);
			continue;
		}
		pthread_mutex_unlock(&app->lock);
		if (poll(pfd, 2, DASH_TICK_MS) == -1 && errno != EINTR)
			fatalx("dashboard: poll: %s", strerror(errno));
		pthread_mutex_lock(&app->lock);
		if (app->quit_threads || app->outstanding)
			continue;
		app->outstanding = 1;
		ev = event_new(EV_TASK_DONE);
		ev->id = DASH_NUDGE;
		events_post(ui_queue(), ev);
	}
	pthread_mutex_unlock(&app->lock);
	return NULL;
}

static int
count_unseen(const struct state_msg *sm, void *arg)
{
	uint32_t	*n = arg;

	n[0]++;
	if (!(sm->flags & MDF_SEEN))
		n[1]++;
	return 0;
}

static void
finfo_free(void *arg)
{
	struct finfo_set	*fs = arg;
	size_t			 i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].name);
	free(fs->v);
	free(fs);
}

/* Worker thread: counts of every folder in root's state.db. */
static void
finfo_read(struct app *app, const struct job *j)
{
	struct state		*st;
	struct state_folder	*sf;
	struct finfo_set	*fs;
	struct event		*ev;
	struct mc_err		 err;
	uint32_t		 n[2];
	size_t			 nf, i;
	char			*path = state_path_for(j->root);

	if (access(path, R_OK) != 0 || state_open(path, &st, &err) == -1) {
		free(path);
		return;			/* never synced: nothing to show */
	}
	free(path);
	if (state_folder_list(st, &sf, &nf, &err) == -1) {
		state_close(st);
		log_warn("dashboard: %s: %s", j->account, err.msg);
		return;
	}
	fs = xcalloc(1, sizeof *fs);
	fs->v = xcalloc(nf + 1, sizeof *fs->v);
	for (i = 0; i < nf; i++) {
		n[0] = n[1] = 0;
		if (sf[i].id != 0 && state_msg_foreach(st, sf[i].id, 1,
		    UINT32_MAX, count_unseen, n, &err) == -1)
			continue;
		fs->v[fs->n].name = xstrdup(sf[i].name);
		fs->v[fs->n].delim = sf[i].delim;
		fs->v[fs->n].messages = n[0];
		fs->v[fs->n].unseen = n[1];
		fs->v[fs->n].synced_at = sf[i].dirty ? 0 :
		    (time_t)sf[i].synced_at;
		fs->n++;
	}
	state_folders_free(sf, nf);
	state_close(st);
	ev = event_new(EV_TASK_DONE);
	ev->id = T_FOLDERS;
	ev->account = xstrdup(j->account);
	ev->data = fs;
	ev->data_free = finfo_free;
	events_post(app->dq, ev);
}

static void *
worker_main(void *arg)
{
	struct app	*app = arg;
	struct job	*j;

	pthread_mutex_lock(&app->lock);
	while (!app->quit_threads) {
		if ((j = app->jobs) == NULL) {
			pthread_cond_wait(&app->wcond, &app->lock);
			continue;
		}
		app->jobs = j->next;
		pthread_mutex_unlock(&app->lock);
		finfo_read(app, j);
		free(j->account);
		free(j->root);
		free(j);
		pthread_mutex_lock(&app->lock);
	}
	pthread_mutex_unlock(&app->lock);
	return NULL;
}

/* UI thread: ask the worker for an account's counts (coalesced). */
static void
want_counts(struct app *app, const struct engine *e)
{
	struct job	*j, **jp;

	if (e->a->maildir == NULL)
		return;
	pthread_mutex_lock(&app->lock);
	for (jp = &app->jobs; *jp != NULL; jp = &(*jp)->next) {
		if (strcmp((*jp)->account, e->a->name) == 0) {
			pthread_mutex_unlock(&app->lock);
			return;
		}
	}
	j = xcalloc(1, sizeof *j);
	j->account = xstrdup(e->a->name);
	j->root = mc_expand_tilde(e->a->maildir);
	*jp = j;
	pthread_cond_signal(&app->wcond);
	pthread_mutex_unlock(&app->lock);
}

static void
threads_start(struct app *app)
{
	if (pipe2(app->stop, O_CLOEXEC | O_NONBLOCK) == -1)
		fatalx("dashboard: pipe: %s", strerror(errno));
	if (pthread_create(&app->pump, NULL, pump_main, app) != 0 ||
	    pthread_create(&app->worker, NULL, worker_main, app) != 0)
		fatalx("dashboard: cannot start a thread");
	app->pump_on = app->worker_on = 1;
}

static void
threads_stop(struct app *app)
{
	struct job	*j;
	char		 c = 1;

	pthread_mutex_lock(&app->lock);
	app->quit_threads = 1;
	pthread_cond_broadcast(&app->cond);
	pthread_cond_broadcast(&app->wcond);
	pthread_mutex_unlock(&app->lock);
	if (app->pump_on && write(app->stop[1], &c, 1) == -1) {
		/* full: the pump is awake anyway */
	}
	if (app->pump_on)
		pthread_join(app->pump, NULL);
	if (app->worker_on)
		pthread_join(app->worker, NULL);
	app->pump_on = app->worker_on = 0;
	while ((j = app->jobs) != NULL) {
		app->jobs = j->next;
		free(j->account);
		free(j->root);
		free(j);
	}
	if (app->stop[0] != -1) {
		close(app->stop[0]);
		close(app->stop[1]);
	}
}

/* ------------------------------------------------------------ engines */

static struct engine *
engine_find(struct app *app, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < app->neng; i++)
		if (strcmp(app->eng[i].a->name, name) == 0)
			return &app->eng[i];
	return NULL;
}

static struct engine *
engine_add(struct app *app, const struct account *a)
{
	struct engine	*e;

	app->eng = xrealloc(app->eng, (app->neng + 1) * sizeof *app->eng);
	e = &app->eng[app->neng++];
	memset(e, 0, sizeof *e);
	e->a = a;
	e->idx = dash_model_account(app->m, a->name, a->max_connections);
	return e;
}

static void
engine_start(struct app *app, struct engine *e)
{
	struct slots_opts	 o;
	struct mc_err		 err;

	mc_err_clear(&err);
	e->idx = dash_model_account(app->m, e->a->name,
	    e->a->max_connections);
	if (account_validate(e->a, &err) == -1) {
		dash_model_set_run(app->m, e->idx, DASH_RUN_STOPPED, err.msg);
		return;
	}
	memset(&o, 0, sizeof o);
	o.account = e->a;
	o.trust.store = app->store;
	o.trust.prompt = dash_trust;
	o.trust.arg = app;
	o.trust.account = e->a->name;
	o.events = app->dq;
	if (slots_start(&o, &e->pool, &err) == -1) {
		e->pool = NULL;
		dash_model_set_run(app->m, e->idx, DASH_RUN_STOPPED, err.msg);
		ui_notice(ROLE_ERROR, "%s: %s", e->a->name, err.msg);
		return;
	}
	e->pausing = e->resume = 0;
	dash_model_pool_started(app->m, e->idx, mc_now_ms());
	want_counts(app, e);
}

/* EV_ENGINE_STOPPED: every thread of the pool is done, joins are quick. */
static void
engine_stopped(struct app *app, const char *name)
{
	struct engine	*e = engine_find(app, name);
	struct mc_err	 err;
	int		 rc;

	if (e == NULL || e->pool == NULL)
		return;
	mc_err_clear(&err);
	rc = slots_wait(e->pool, &err);
	slots_free(e->pool);
	e->pool = NULL;
	want_counts(app, e);
	if (app->quitting) {
		dash_model_set_run(app->m, e->idx, DASH_RUN_STOPPED, NULL);
		return;
	}
	if (e->next != NULL) {
		e->a = e->next;
		e->next = NULL;
		engine_start(app, e);
		return;
	}
	if (e->pausing) {
		dash_model_set_run(app->m, e->idx, DASH_RUN_PAUSED, NULL);
		e->pausing = 0;
		if (e->resume)
			engine_start(app, e);
		return;
	}
	/* By itself: a fatal error (certificate rejected, password...). */
	dash_model_set_run(app->m, e->idx, DASH_RUN_STOPPED, rc == -1 ?
	    err.msg : "the engine stopped");
	if (rc == -1)
		ui_notice(ROLE_ERROR, "%s stopped: %s (s: try again)", name,
		    err.msg);
}

static int
open_slots(struct app *app)
{
	struct dash_account	*a;
	size_t			 i;
	int			 j, n = 0;

	for (i = 0; i < app->m->nacct; i++) {
		a = &app->m->acct[i];
		for (j = 0; j < a->nslots && j < DASH_SLOTS; j++)
			if (a->slots[j].used &&
			    a->slots[j].state != SLOT_CLOSED &&
			    a->slots[j].state != SLOT_ERROR)
				n++;
	}
	return n;
}

/* Quitting: done, out of time, or say how it goes. */
static void
check_quit(struct app *app)
{
	char	 buf[128];
	size_t	 i, left = 0;
	long long now = mc_now_ms();

	if (!app->quitting)
		return;
	for (i = 0; i < app->neng; i++)
		left += app->eng[i].pool != NULL;
	if (left == 0) {
		ui_quit(DASH_RC_QUIT);
		return;
	}
	if (now >= app->deadline) {
		ui_quit(DASH_RC_TIMEOUT);
		return;
	}
	snprintf(buf, sizeof buf, "stopping… %d connection%s to close, %llds "
	    "left (q: leave now)", open_slots(app), open_slots(app) == 1 ? "" :
	    "s", (app->deadline - now + 999) / 1000);
	dash_set_status(app->d, buf);
}

/* ------------------------------------------------------------ ops */

static void
handle(struct app *app, struct event *ev)
{
	struct trust_wait	*w;
	struct finfo_set	*fs;
	struct engine		*e;

	switch (ev->type) {
	case EV_CERT_PROMPT:
		w = ev->data;
		dash_model_cert_asked(app->m, trust_wait_request(w),
		    time(NULL));
		if (app->quitting)
			trust_wait_answer(w, TRUST_REJECT);
		else
			prompt_open(w);
		break;
	case EV_ENGINE_STOPPED:
		engine_stopped(app, ev->account);
		break;
	case EV_TASK_DONE:
		if (ev->id == T_TRUST && ev->name != NULL)
			dash_model_cert_decided(app->m, ev->account, ev->name,
			    (enum trust_answer)ev->status, time(NULL));
		else if (ev->id == T_FOLDERS && (fs = ev->data) != NULL)
			dash_model_folder_info(app->m, ev->account, fs->v,
			    fs->n);
		break;
	default:
		if (ev->type == EV_LOG)
			__atomic_sub_fetch(&app->log_queued, 1,
			    __ATOMIC_RELAXED);
		dash_model_event(app->m, ev, mc_now_ms(), time(NULL));
		if (ev->type == EV_FOLDER_PROGRESS && ev->status == 1 &&
		    (e = engine_find(app, ev->account)) != NULL)
			want_counts(app, e);
		break;
	}
}

/* The pane says how many lines it could not show. */
static void
log_skipped(struct app *app, int n)
{
	struct event	*ev = event_new(EV_LOG);

	ev->status = MC_LOG_WARN;
	ev->text = xasprintf("(%d log line%s not shown here: too many at "
	    "once; the log file has them)", n, n == 1 ? "" : "s");
	dash_model_event(app->m, ev, mc_now_ms(), time(NULL));
	event_free(ev);
}

static void
op_drain(void *arg)
{
	struct app	*app = arg;
	struct event	*ev;
	int		 n = 0;

	while (n++ < DRAIN_MAX && (ev = events_next(app->dq)) != NULL) {
		handle(app, ev);
		event_free(ev);
	}
	if ((n = __atomic_exchange_n(&app->log_dropped, 0,
	    __ATOMIC_RELAXED)) > 0)
		log_skipped(app, n);
	pthread_mutex_lock(&app->lock);
	app->outstanding = 0;
	pthread_cond_signal(&app->cond);
	pthread_mutex_unlock(&app->lock);
	check_quit(app);
	ui_dirty();
}

static void
op_sync_now(void *arg, int idx)
{
	struct app	*app = arg;
	struct engine	*e;

	if (idx < 0 || (size_t)idx >= app->neng || app->quitting)
		return;
	e = &app->eng[idx];
	if (e->pool != NULL && e->pausing) {
		e->resume = 1;
		ui_notice(ROLE_TEXT, "%s resumes once its connections closed",
		    e->a->name);
	} else if (e->pool != NULL) {
		slots_wake(e->pool);
		ui_notice(ROLE_TEXT, "%s: syncing every folder now",
		    e->a->name);
	} else {
		engine_start(app, e);
		ui_notice(ROLE_TEXT, "%s: syncing", e->a->name);
	}
}

static void
op_pause(void *arg, int idx)
{
	struct app	*app = arg;
	struct engine	*e;

	if (idx < 0 || (size_t)idx >= app->neng || app->quitting)
		return;
	e = &app->eng[idx];
	if (e->pool == NULL) {
		engine_start(app, e);
		ui_notice(ROLE_TEXT, "%s resumed", e->a->name);
		return;
	}
	if (e->pausing) {
		e->resume = !e->resume;
		ui_notice(ROLE_TEXT, "%s %s once its connections closed",
		    e->a->name, e->resume ? "resumes" : "stays paused");
		return;
	}
	e->pausing = 1;
	dash_model_set_run(app->m, e->idx, DASH_RUN_PAUSING, NULL);
	slots_stop(e->pool);
	ui_notice(ROLE_WARN, "%s: pausing (IDLE DONE, LOGOUT); p again "
	    "resumes", e->a->name);
}

static void
op_add_account(void *arg)
{
	struct app	*app = arg;

	if (!app->quitting)
		ui_quit(DASH_RC_WIZARD);
}

static void
op_quit(void *arg, int now)
{
	struct app	*app = arg;
	size_t		 i;

	if (app->quitting || now) {
		ui_quit(DASH_RC_TIMEOUT);
		return;
	}
	app->quitting = 1;
	app->deadline = mc_now_ms() + DASH_STOP_MS;
	log_info("dashboard: quitting: stopping every engine");
	for (i = 0; i < app->neng; i++) {
		if (app->eng[i].pool == NULL)
			continue;
		dash_model_set_run(app->m, app->eng[i].idx, DASH_RUN_STOPPING,
		    NULL);
		slots_stop(app->eng[i].pool);
	}
	/* A waiting engine thread would hold its pool open: say no. */
	prompt_reject_all();
	check_quit(app);
}

/* ------------------------------------------------------------ wizard */

static void
keep_config(struct app *app, struct config *cfg)
{
	app->cfgs = xrealloc(app->cfgs, (app->ncfgs + 1) *
	    sizeof *app->cfgs);
	app->cfgs[app->ncfgs++] = cfg;
}

static void
wizard_opts_init(struct wizard_opts *o)
{
	const char	*env = getenv("MC_DISCOVER_PORTS");
	struct mc_err	 err;

	memset(o, 0, sizeof *o);
	o->imap_sec = o->smtp_sec = -1;
	if (env != NULL && *env != '\0' &&
	    discover_parse_ports(env, o->disc_ports, &err) != 0)
		log_warn("dashboard: MC_DISCOVER_PORTS: %s", err.msg);
}

/*
 * `a`: the wizard on a fresh copy of the account file (the engines keep
 * pointing into the old ones), then an engine for what it saved.
 */
static void
add_account(struct app *app)
{
	struct wizard_opts	 wo;
	struct config		*cfg;
	struct account		*a;
	struct engine		*e;
	struct mc_err		 err;
	char			*saved = NULL;

	if (config_load(app->cli->config_path, &cfg, &err) == -1) {
		ui_notice(ROLE_ERROR, "%s", err.msg);
		return;
	}
	wizard_opts_init(&wo);
	wizard_ran = 1;
	if (wizard_run(cfg, app->store, &wo, &saved) != 0 ||
	    (a = config_find(cfg, saved)) == NULL) {
		config_free(cfg);
		free(saved);
		ui_notice(ROLE_DIM, "no account added");
		return;
	}
	keep_config(app, cfg);
	if ((e = engine_find(app, a->name)) != NULL && e->pool != NULL) {
		e->next = a;		/* started once the old one stopped */
		e->pausing = 1;
		slots_stop(e->pool);
	} else if (e != NULL) {
		e->a = a;
		engine_start(app, e);
	} else
		engine_start(app, e = engine_add(app, a));
	dash_select(app->d, e->idx);
	ui_notice(ROLE_OK, "account %s saved in %s; syncing", a->name,
	    cfg->path);
	free(saved);
}

/* ------------------------------------------------------------ run */

static void
app_free(struct app *app, int abandoned)
{
	struct event	*ev;
	size_t		 i;

	threads_stop(app);
	log_set_sink(NULL, NULL);
	if (abandoned) {
		/*
		 * Their threads may still post, prompt, read the config
		 * and this struct (the prompt's argument): all of it stays.
		 */
		events_shutdown(app->dq);
		kept.app = app;
		return;
	}
	events_shutdown(app->dq);
	while ((ev = events_next(app->dq)) != NULL)
		event_free(ev);
	events_free(app->dq);
	dash_free(app->d);
	free(app->eng);
	/* cfgs[0] is the caller's */
	for (i = 1; i < app->ncfgs; i++)
		config_free(app->cfgs[i]);
	free(app->cfgs);
	pthread_mutex_destroy(&app->lock);
	pthread_cond_destroy(&app->cond);
	pthread_cond_destroy(&app->wcond);
	free(app);
}

int
dashboard_run(struct cli *cli, struct config *cfg, struct certstore *store,
    const char *select)
{
	static const struct dash_ops ops0 = { NULL, op_drain, op_sync_now,
	    op_pause, op_add_account, op_quit };
	struct dash_ops		 ops = ops0;
	struct app		*app = xcalloc(1, sizeof *app);
	struct account		*a;
	struct engine		*e;
	size_t			 i, left;
	int			 rc;

	app->cli = cli;
	app->store = store;
	app->stop[0] = app->stop[1] = -1;
	pthread_mutex_init(&app->lock, NULL);
	pthread_cond_init(&app->cond, NULL);
	pthread_cond_init(&app->wcond, NULL);
	keep_config(app, cfg);
	ops.arg = app;
	app->d = dash_new(&ops);
	app->m = dash_model_of(app->d);
	app->dq = events_new();
	log_set_sink(dash_log_sink, app);
	ui_set_title("mailconn");
	for (a = cfg->accounts; a != NULL; a = a->next)
		engine_add(app, a);
	threads_start(app);
	for (i = 0; i < app->neng; i++)
		engine_start(app, &app->eng[i]);
	if ((e = engine_find(app, select)) != NULL)
		dash_select(app->d, e->idx);

	for (;;) {
		op_drain(app);
		rc = ui_run(dash_screen(), app->d);
		if (rc != DASH_RC_WIZARD)
			break;
		add_account(app);
	}

	for (i = left = 0; i < app->neng; i++) {
		if (app->eng[i].pool == NULL)
			continue;
		left++;
		log_error("dashboard: %s did not stop within %d s; its "
		    "connections are abandoned", app->eng[i].a->name,
		    DASH_STOP_MS / 1000);
	}
	app_free(app, left > 0);
	return left > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int
parse_opts(int argc, char **argv, const char **theme, const char **select)
{
	static const struct option longopts[] = {
		{ "theme",	required_argument, NULL, 't' },
		{ "account",	required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+a:", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			*theme = optarg;
			break;
		case 'a':
			*select = optarg;
			break;
		default:
			return cli_usage(argv[0], "unknown or incomplete option "
			    "'%s'.", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(argv[0], "unexpected argument '%s'.",
		    argv[optind]);
	return 0;
}

/* No account yet: the wizard; 0 and the reloaded config when one saved. */
static int
first_account(struct cli *cli, struct config **cfg, struct certstore *store,
    char **saved)
{
	struct wizard_opts	 wo;
	struct mc_err		 err;

	wizard_opts_init(&wo);
	wizard_ran = 1;
	if (wizard_run(*cfg, store, &wo, saved) != 0)
		return -1;
	if (config_find(*cfg, *saved) != NULL)
		return 0;
	config_free(*cfg);
	if (config_load(cli->config_path, cfg, &err) == -1) {
		*cfg = NULL;
		return -1;
	}
	return 0;
}

int
cli_dashboard(struct cli *cli, int argc, char **argv)
{
	struct config		*cfg;
	struct certstore	*store;
	struct ui_opts		 uo;
	struct mc_err		 err;
	const char		*theme = cli->theme, *select = NULL;
	char			*saved = NULL;
	int			 rc;

	if ((rc = parse_opts(argc, argv, &theme, &select)) != 0)
		return rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("the dashboard needs a terminal; without one, use "
		    "`mailconn sync` (or `mailconn sync --once` from cron).");
		return CLI_EXIT_USAGE;
	}
	if (cli_load_config(cli, &cfg) != 0)
		return CLI_EXIT_USAGE;
	if (select != NULL && config_find(cfg, select) == NULL) {
		cli_error("no account %s in %s.", select, cfg->path);
		config_free(cfg);
		return CLI_EXIT_USAGE;
	}
	if (cli_open_certstore(&store) != 0) {
		config_free(cfg);
		return CLI_EXIT_FAIL;
	}
	net_init();
	log_set_stderr(0, MC_LOG_ERROR);	/* the screen is ours */
	memset(&uo, 0, sizeof uo);
	uo.theme = theme != NULL ? theme : cfg->theme;
	if (ui_init(&uo, &err) != 0) {
		cli_error("%s", err.msg);
		certstore_free(store);
		config_free(cfg);
		return CLI_EXIT_USAGE;
	}
	if (cfg->accounts == NULL) {
		if (first_account(cli, &cfg, store, &saved) != 0) {
			ui_end();
			fprintf(stderr, "mailconn: setup cancelled; nothing "
			    "was saved.\n");
			if (cfg != NULL)
				config_free(cfg);
			kept.store = store;	/* the wizard's threads */
			return CLI_EXIT_FAIL;
		}
		select = saved;
	}
	rc = dashboard_run(cli, cfg, store, select);
	ui_end();
	free(saved);
	/*
	 * After the wizard, or with abandoned engines, threads may still
	 * hold the store and the accounts until the process ends.
	 */
	if (rc == CLI_EXIT_OK && !wizard_ran) {
		certstore_free(store);
		config_free(cfg);
	} else {
		kept.store = store;
		kept.cfg = cfg;
	}
	return rc;
}

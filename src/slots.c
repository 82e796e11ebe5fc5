/*
 * slots.c -- the per-account connection pool: one thread per slot, duties
 * by slot order, reconnects with backoff, shrinking on server limits, IDLE
 * and polling.  Contract in slots.h.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imap.h"
#include "log.h"
#include "maildir.h"
#include "secret.h"
#include "slots.h"
#include "state.h"
#include "sync.h"

#define D_INBOX		0x01
#define D_SENT		0x02
#define D_OTHERS	0x04
#define D_EXTRA		0x08

#define IDLE_MAX_SECS	(25 * 60)	/* RFC 2177: re-IDLE within 29 min */
#define FOLDER_TRIES	3		/* --once: per folder */
#define TOTALS_MS	250

enum role { R_INBOX, R_SENT, R_OTHER };
enum task { T_SYNC, T_IDLE, T_WAIT, T_EXIT };

struct folder_ent {
	struct imap_folder f;		/* deep copy */
	enum role	 role;
	int		 present;	/* in the last LIST */
	int		 need;		/* a sync is wanted */
	unsigned	 gen;		/* bumped by every new reason to sync */
	int		 busy;		/* slot id, 0: none */
	int		 ever;		/* synced completely once */
	int		 failed;
	int		 tries;
	char		 err[MC_ERR_MAX];
	uint32_t	 done, total;
};

struct slot {
	struct slots		*pool;
	int			 id;
	pthread_t		 thread;
	int			 spawned;
	int			 running;	/* counts for duties */
	int			 dead;		/* refused by the server */
	enum slot_state		 state;
	char			 text[200];
	struct sync_idle	*idle;
	struct imap_session	*sess;
	struct sync_ctx		*sync;
	int			 selected;	/* folder index, -1 */
	int			 can_idle;
	int			 fails;		/* connects in a row */
	long long		 next_poll;
	unsigned		 rnd;
	uint64_t		 bytes;		/* message bytes received */
	uint64_t		 cur_bytes;	/* ... in the current folder */
	int			 relist;	/* LIST again before the next task */
	int			 duty;		/* last duties, for events */
	long long		 heartbeat;	/* sync_opts.heartbeat */
};

struct slots {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	pthread_mutex_t		 prompt_lock;
	const struct account	*acct;
	char			*root;
	int			 lockfd;
	struct trust_ctx	 trust;
	struct event_queue	*q;
	int			 once;
	int			 stop;		/* read by sync.c too */
	int			 fatal;
	struct mc_err		 fatal_err;
	struct folder_ent	*fv;
	size_t			 nf;
	int			 listed;
	int			 inbox, sent;	/* indices, -1 */
	char		       **synced;	/* names with a complete sync */
	size_t			 nsynced;
	int			 initial;	/* a folder was never synced */
	int			 nslots;
	int			 spawned_rest;
	int			 nrunning;	/* threads not finished */
	struct slot		 slots[SLOTS_MAX];
	uint64_t		 messages, bytes;
	long long		 started_ms, totals_ms;
	int			 joined;
	pthread_t		 watchdog;
	int			 watchdog_started;
};

static const char *state_names[SLOT_NSTATES] = {
	[SLOT_IDLE] = "idle",
	[SLOT_RESOLVING] = "resolving",
	[SLOT_CONNECTING] = "connecting",
	[SLOT_TLS] = "tls",
	[SLOT_CERT_PROMPT] = "cert-prompt",
	[SLOT_AUTH] = "auth",
	[SLOT_SELECTING] = "selecting",
	[SLOT_FETCHING] = "fetching",
	[SLOT_IDLING] = "idling",
	[SLOT_BACKOFF] = "backoff",
	[SLOT_ERROR] = "error",
	[SLOT_CLOSED] = "closed",
};

static void	*slot_main(void *);
static void	 set_state(struct slot *, enum slot_state, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
static int	 duties_locked(struct slots *, const struct slot *);
static const char *duty_name(int);
static enum task pick_task(struct slot *, int *, int *);
static int	 slot_connect(struct slot *, struct mc_err *);
static void	 slot_drop(struct slot *, int);
static int	 slot_list(struct slot *, struct mc_err *);
static void	 slot_sync(struct slot *, int);
static void	 slot_idle(struct slot *, int, int);
static void	 slot_wait(struct slot *, long long);
static void	 slot_backoff(struct slot *, const struct mc_err *);
static void	 slot_limit(struct slot *, const struct mc_err *);
static void	 pool_fatal(struct slots *, const struct mc_err *);
static void	 spawn(struct slots *, int);
static void	 spawn_rest(struct slots *);
static void	 spawn_more_locked(struct slots *);
static int	 pass_complete_locked(struct slots *);
static int	 fatal_kind(enum mc_errkind);
static void	 post_pool(struct slots *, const char *);
static void	 post_totals_locked(struct slots *, int);
static void	 progress_cb(void *, const char *, uint32_t, uint32_t,
		     uint64_t);
static enum trust_answer prompt_cb(const struct trust_request *, void *);

const char *
slot_state_name(enum slot_state s)
{
	if ((int)s < 0 || s >= SLOT_NSTATES)
		return "?";
	return state_names[s];
}

/* --- events and state --------------------------------------------------- */

static const char *
duty_name(int d)
{
	switch (d) {
	case D_INBOX:
		return "INBOX";
	case D_SENT:
		return "Sent";
	case D_OTHERS:
		return "folders";
	case D_EXTRA:
		return "extra";
	case D_SENT | D_OTHERS:
		return "Sent+folders";
	case D_INBOX | D_SENT | D_OTHERS:
		return "all";
	}
	return "-";
}

/*
 * Every transition is logged; a change of the text alone ("fetching 10/200"
 * -> "11/200") is only posted.
 */
static void
set_state(struct slot *sl, enum slot_state st, const char *fmt, ...)
{
	struct slots	*p = sl->pool;
	struct event	*ev;
	va_list		 ap;
	char		 text[sizeof sl->text];
	int		 changed, d;
	uint64_t	 bytes;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof text, fmt, ap);
		va_end(ap);
	} else
		snprintf(text, sizeof text, "%s", slot_state_name(st));
	mc_sanitize(text);
	pthread_mutex_lock(&p->lock);
	changed = sl->state != st;
	if (!changed && strcmp(sl->text, text) == 0) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	sl->state = st;
	snprintf(sl->text, sizeof sl->text, "%s", text);
	if (sl->running)
		sl->duty = duties_locked(p, sl);
	d = sl->duty;
	bytes = sl->bytes + sl->cur_bytes;
	pthread_mutex_unlock(&p->lock);
	if (changed)
		log_info("slot %d (%s, %s): %s", sl->id, p->acct->name,
		    duty_name(d), text);
	if (p->q == NULL)
		return;
	ev = event_new(EV_SLOT_STATE);
	ev->account = xstrdup(p->acct->name);
	ev->id = sl->id;
	ev->status = (int)st;
	ev->name = xstrdup(duty_name(d));
	ev->text = xstrdup(text);
	ev->n = bytes;
	events_post(p->q, ev);
}

static void
post_pool(struct slots *p, const char *why)
{
	struct event	*ev;
	int		 i, n = 0;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nslots; i++)
		if (!p->slots[i].dead)
			n++;
	pthread_mutex_unlock(&p->lock);
	log_warn("pool %s: %d of %d connections usable: %s", p->acct->name,
	    n, p->nslots, why);
	if (p->q == NULL)
		return;
	ev = event_new(EV_POOL);
	ev->account = xstrdup(p->acct->name);
	ev->n = (uint64_t)n;
	ev->total = (uint64_t)p->nslots;
	ev->text = xstrdup(why);
	events_post(p->q, ev);
}

/* Called with the lock held. */
static void
post_totals_locked(struct slots *p, int force)
{
	struct event	*ev;
	long long	 now = mc_now_ms(), el;
	uint64_t	 done = 0, total = 0, bytes;
	size_t		 i;

	if (p->q == NULL || (!force && now - p->totals_ms < TOTALS_MS))
		return;
	p->totals_ms = now;
	for (i = 0; i < p->nf; i++) {
		done += p->fv[i].done;
		total += p->fv[i].total;
	}
	bytes = p->bytes;
	for (i = 0; i < (size_t)p->nslots; i++)
		bytes += p->slots[i].cur_bytes;
	el = now - p->started_ms;
	ev = event_new(EV_TOTALS);
	ev->account = xstrdup(p->acct->name);
	ev->n = done;
	ev->total = total;
	ev->status = el > 0 ? (int)(bytes * 1000 / (uint64_t)el) : 0;
	events_post(p->q, ev);
}

static void
progress_cb(void *arg, const char *folder, uint32_t done, uint32_t total,
    uint64_t bytes)
{
	struct slot	*sl = arg;
	struct slots	*p = sl->pool;
	size_t		 i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nf; i++) {
		if (strcmp(p->fv[i].f.name, folder) == 0) {
			p->fv[i].done = done;
			p->fv[i].total = total;
			break;
		}
	}
	sl->cur_bytes = bytes;		/* of the folder being synced */
	if (done == 0 && total >= SLOTS_BIG_FETCH)
		spawn_more_locked(p);
	post_totals_locked(p, 0);
	pthread_mutex_unlock(&p->lock);
	set_state(sl, SLOT_FETCHING, "fetching %u/%u %s", done, total,
	    folder);
}

static enum trust_answer
prompt_cb(const struct trust_request *req, void *arg)
{
	struct slot		*sl = arg;
	struct slots		*p = sl->pool;
	enum trust_answer	 a;

	set_state(sl, SLOT_CERT_PROMPT, "cert-prompt %s:%d", req->host,
	    req->port);
	/* One question at a time; "accept once" then covers the others. */
	pthread_mutex_lock(&p->prompt_lock);
	a = p->trust.prompt(req, p->trust.arg);
	pthread_mutex_unlock(&p->prompt_lock);
	set_state(sl, SLOT_CONNECTING, NULL);
	return a;
}

/* --- duties and tasks --------------------------------------------------- */

/*
 * Duties by rank among the running slots (slots.h).  Lock held.
 */
static int
duties_locked(struct slots *p, const struct slot *sl)
{
	int	i, rank = 0, alive = 0;

	for (i = 0; i < p->nslots; i++) {
		if (!p->slots[i].running)
			continue;
		if (p->slots[i].id < sl->id)
			rank++;
		alive++;
	}
	if (rank >= 3)
		return D_EXTRA;
	if (alive >= 3)
		return rank == 0 ? D_INBOX : rank == 1 ? D_SENT : D_OTHERS;
	if (alive == 2)
		return rank == 0 ? D_INBOX : D_SENT | D_OTHERS;
	return D_INBOX | D_SENT | D_OTHERS;
}

static int
pass_complete_locked(struct slots *p)
{
	size_t	i;

	for (i = 0; i < p->nf; i++) {
		if (p->fv[i].present && (p->fv[i].need || p->fv[i].busy))
			return 0;
	}
	return 1;
}

static int
takeable(const struct folder_ent *fe)
{
	return fe->present && fe->need && fe->busy == 0;
}

/*
 * What the slot does next.  *idx: the folder; *secs: how long to IDLE or
 * wait (-1: until woken).  Lock held.
 */
static enum task
pick_task(struct slot *sl, int *idx, int *secs)
{
	struct slots	*p = sl->pool;
	long long	 now;
	int		 d, idle_f;
	size_t		 i;

	*idx = -1;
	*secs = -1;
	if (p->stop || p->fatal)
		return T_EXIT;
	if (!p->listed)
		return T_WAIT;
	d = duties_locked(p, sl);
	now = mc_now_ms();
	/* Polling: time to look at the folders this slot cannot IDLE on. */
	if (!p->once && (d & (D_OTHERS | D_INBOX | D_SENT)) &&
	    now >= sl->next_poll) {
		for (i = 0; i < p->nf; i++) {
			struct folder_ent *fe = &p->fv[i];
			int mine = (fe->role == R_OTHER && (d & D_OTHERS)) ||
			    (fe->role == R_INBOX && (d & D_INBOX)) ||
			    (fe->role == R_SENT && (d & D_SENT));

			if (!mine)
				continue;
			/* the IDLE folder is polled only without IDLE (or
			 * when it failed) */
			if (sl->can_idle && fe->role != R_OTHER &&
			    !fe->failed &&
			    ((fe->role == R_INBOX) || !(d & D_INBOX)))
				continue;
			fe->need = 1;
			fe->gen++;
			fe->failed = 0;
		}
		if (sl->next_poll != 0 && (d & D_OTHERS))
			sl->relist = 1;	/* new folders appear at polls */
		sl->next_poll = now + (long long)p->acct->poll_interval * 1000;
	}
	if ((d & D_INBOX) && p->inbox >= 0 && takeable(&p->fv[p->inbox])) {
		*idx = p->inbox;
		return T_SYNC;
	}
	if ((d & D_SENT) && p->sent >= 0 && takeable(&p->fv[p->sent])) {
		*idx = p->sent;
		return T_SYNC;
	}
	if (d & (D_OTHERS | D_EXTRA)) {
		for (i = 0; i < p->nf; i++) {
			if (p->fv[i].role == R_OTHER && takeable(&p->fv[i])) {
				*idx = (int)i;
				return T_SYNC;
			}
		}
	}
	if (d & D_EXTRA)
		return T_EXIT;		/* temporary: nothing left for it */
	if (p->once)
		return pass_complete_locked(p) ? T_EXIT : T_WAIT;

	idle_f = -1;
	if ((d & D_INBOX) && p->inbox >= 0 && p->fv[p->inbox].present &&
	    !p->fv[p->inbox].failed)
		idle_f = p->inbox;
	else if ((d & D_SENT) && p->sent >= 0 && p->fv[p->sent].present &&
	    !p->fv[p->sent].failed)
		idle_f = p->sent;
	*secs = (int)((sl->next_poll - now + 999) / 1000);
	if (*secs < 1)
		*secs = 1;
	if (idle_f >= 0 && sl->sess == NULL)
		return T_IDLE;		/* connect first (the caller does) */
	if (idle_f >= 0 && sl->can_idle) {
		if (sl->selected != idle_f) {
			if (p->fv[idle_f].busy != 0)
				return T_WAIT;
			p->fv[idle_f].need = 1;
			p->fv[idle_f].gen++;
			*idx = idle_f;
			return T_SYNC;
		}
		if (*secs > IDLE_MAX_SECS)
			*secs = IDLE_MAX_SECS;
		*idx = idle_f;
		return T_IDLE;
	}
	return T_WAIT;
}

/* --- threads ------------------------------------------------------------ */

static void
spawn(struct slots *p, int i)
{
	struct slot	*sl = &p->slots[i];

	if (sl->spawned)
		return;
	sl->spawned = 1;
	sl->running = 1;
	p->nrunning++;
	if (pthread_create(&sl->thread, NULL, slot_main, sl) != 0)
		fatalx("slots: cannot start a thread: %s", strerror(errno));
}

/*
 * After slot 1 listed.  An initial sync gets every slot; later runs the
 * persistent ones (IDLE on Sent, polling); a --once pass over folders
 * synced before starts with slot 1 alone (a no-change resync is one SELECT
 * per folder) and grows when a download turns out big (spawn_more).
 */
static void
spawn_rest(struct slots *p)
{
	int	i, n;

	pthread_mutex_lock(&p->lock);
	if (p->spawned_rest || p->stop || p->fatal) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->spawned_rest = 1;
	n = p->nslots;
	if (!p->initial && n > 3)
		n = 3;
	if (p->once && !p->initial)
		n = 1;
	for (i = 1; i < n; i++)
		if (!p->slots[i].dead)
			spawn(p, i);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* A big download while other folders wait: bring every slot in.  Lock held. */
static void
spawn_more_locked(struct slots *p)
{
	size_t	i;
	int	j, waiting = 0;

	if (!p->spawned_rest || p->stop || p->fatal)
		return;
	for (i = 0; i < p->nf; i++)
		if (takeable(&p->fv[i]))
			waiting++;
	if (waiting == 0)
		return;
	for (j = 1; j < p->nslots; j++)
		if (!p->slots[j].spawned && !p->slots[j].dead)
			spawn(p, j);
}

static int
fatal_kind(enum mc_errkind k)
{
	switch (k) {
	case MCE_AUTH:
	case MCE_CERT_UNTRUSTED:
	case MCE_CERT_REJECTED:
	case MCE_CERT_CHANGED:
	case MCE_INSECURE:
	case MCE_STARTTLS:
	case MCE_SECRET:
	case MCE_CONFIG:
	case MCE_USAGE:
	case MCE_TLS:
		return 1;
	default:
		return 0;
	}
}

static void
pool_fatal(struct slots *p, const struct mc_err *err)
{
	pthread_mutex_lock(&p->lock);
	if (!p->fatal) {
		p->fatal = 1;
		p->fatal_err = *err;
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	log_error("pool %s: %s", p->acct->name, err->msg);
}

/* Resolve, connect + TLS + trust, password, LOGIN, ENABLE. */
static int
slot_connect(struct slot *sl, struct mc_err *err)
{
	struct slots		*p = sl->pool;
	const struct account	*a = p->acct;
	struct addrinfo		 hints, *res = NULL;
	struct endpoint		 ep;
	struct trust_ctx	 tc;
	struct imap_session	*s;
	char			*pw;
	int			 rc;

	set_state(sl, SLOT_RESOLVING, "resolving %s", a->imap_host);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(a->imap_host, NULL, &hints, &res)) != 0) {
		mc_err_set(err, MCE_RESOLVE, "Cannot resolve the IMAP server "
		    "%s: %s.", a->imap_host, gai_strerror(rc));
		return -1;
	}
	freeaddrinfo(res);

	set_state(sl, SLOT_CONNECTING, "connecting %s:%d", a->imap_host,
	    a->imap_port);
	memset(&ep, 0, sizeof ep);
	ep.host = a->imap_host;
	ep.port = a->imap_port;
	ep.sec = a->imap_sec;
	ep.ca_file = a->ca_file;
	ep.tls_min = a->tls_min;
	tc = p->trust;
	tc.account = a->name;
	if (p->trust.prompt != NULL) {
		tc.prompt = prompt_cb;
		tc.arg = sl;
	}
	if (imap_open(&ep, &tc, &s, err) == -1)
		return -1;

	set_state(sl, SLOT_AUTH, "auth %s", a->imap_user);
	if (secret_for_account(a, "imap", &pw, err) == -1) {
		imap_close(s);
		return -1;
	}
	rc = imap_login(s, a->imap_user, pw, err);
	mc_free_secret(pw);
	if (rc == -1) {
		imap_abort(s);
		return -1;
	}
	if (sync_session_init(sl->sync, s, err) == -1) {
		imap_abort(s);
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	sl->sess = s;
	sl->selected = -1;
	sl->can_idle = imap_has_cap(s, "IDLE");
	sl->fails = 0;
	pthread_mutex_unlock(&p->lock);
	set_state(sl, SLOT_IDLE, "connected");
	return 0;
}

/* Close the session: LOGOUT when it is in a sane state. */
static void
slot_drop(struct slot *sl, int clean)
{
	struct imap_session	*s;

	pthread_mutex_lock(&sl->pool->lock);
	s = sl->sess;
	sl->sess = NULL;
	sl->selected = -1;
	pthread_mutex_unlock(&sl->pool->lock);
	if (s == NULL)
		return;
	if (clean)
		imap_close(s);
	else
		imap_abort(s);
}

static int
name_synced(struct slots *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nsynced; i++)
		if (strcmp(p->synced[i], name) == 0)
			return 1;
	return 0;
}

static void
folder_list_free(void *arg)
{
	char	**v = arg;
	size_t	  i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* LIST, then merge into the pool's folder table. */
static int
slot_list(struct slot *sl, struct mc_err *err)
{
	struct slots		*p = sl->pool;
	struct imap_folder	*f;
	struct folder_ent	*fe;
	struct event		*ev;
	char			**names;
	size_t			 n, i, j, k;
	int			 sent;

	if (imap_list(sl->sess, &f, &n, err) == -1)
		return -1;
	sent = imap_find_sent(f, n);
	pthread_mutex_lock(&p->lock);
	for (j = 0; j < p->nf; j++)
		p->fv[j].present = 0;
	for (i = 0; i < n; i++) {
		if ((f[i].flags & FOLDER_NOSELECT) ||
		    !sync_folder_wanted(p->acct->folders, f[i].name))
			continue;
		for (j = 0; j < p->nf; j++)
			if (strcmp(p->fv[j].f.name, f[i].name) == 0)
				break;
		if (j == p->nf) {
			p->fv = xrealloc(p->fv, (p->nf + 1) * sizeof *p->fv);
			fe = &p->fv[p->nf++];
			memset(fe, 0, sizeof *fe);
			fe->f.name = xstrdup(f[i].name);
			fe->need = 1;
			fe->ever = name_synced(p, f[i].name);
			if (!fe->ever)
				p->initial = 1;
		} else {
			fe = &p->fv[j];
			free(fe->f.wire);
		}
		fe->f.wire = xstrdup(f[i].wire);
		fe->f.delim = f[i].delim;
		fe->f.flags = f[i].flags;
		fe->present = 1;
		if (strcasecmp(f[i].name, "INBOX") == 0)
			fe->role = R_INBOX;
		else if ((int)i == sent)
			fe->role = R_SENT;
		else
			fe->role = R_OTHER;
	}
	p->inbox = p->sent = -1;
	for (j = 0; j < p->nf; j++) {
		if (!p->fv[j].present)
			continue;
		if (p->fv[j].role == R_INBOX)
			p->inbox = (int)j;
		else if (p->fv[j].role == R_SENT)
			p->sent = (int)j;
	}
	p->listed = 1;
	names = xcalloc(p->nf + 1, sizeof *names);
	for (j = k = 0; j < p->nf; j++)
		if (p->fv[j].present)
			names[k++] = xstrdup(p->fv[j].f.name);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	imap_folders_free(f, n);
	log_info("pool %s: %zu folder%s to sync", p->acct->name, k,
	    k == 1 ? "" : "s");
	if (p->q != NULL) {
		ev = event_new(EV_FOLDER_LIST);
		ev->account = xstrdup(p->acct->name);
		ev->data = names;
		ev->data_free = folder_list_free;
		events_post(p->q, ev);
	} else
		folder_list_free(names);
	return 0;
}

static void
slot_sync(struct slot *sl, int idx)
{
	struct slots		*p = sl->pool;
	struct folder_ent	*fe = &p->fv[idx];
	struct imap_folder	 f;
	struct sync_stats	 st;
	struct mc_err		 err;
	unsigned		 gen;
	int			 rc;

	pthread_mutex_lock(&p->lock);
	fe->busy = sl->id;
	gen = fe->gen;
	/* a copy: the table may grow (realloc) while we sync */
	f.name = xstrdup(fe->f.name);
	f.wire = xstrdup(fe->f.wire);
	f.delim = fe->f.delim;
	f.flags = fe->f.flags;
	pthread_mutex_unlock(&p->lock);

	set_state(sl, SLOT_SELECTING, "selecting %s", f.name);
	rc = sync_folder(sl->sync, sl->sess, &f, &st, &err);

	pthread_mutex_lock(&p->lock);
	fe = &p->fv[idx];
	fe->busy = 0;
	sl->cur_bytes = 0;
	sl->bytes += st.bytes;
	p->bytes += st.bytes;
	p->messages += st.fetched;
	if (rc == 0) {
		sl->selected = idx;
		if (fe->gen == gen)
			fe->need = 0;
		fe->ever = 1;
		fe->failed = 0;
		fe->tries = 0;
		fe->err[0] = '\0';
		fe->done = fe->total = st.exists;
		post_totals_locked(p, 1);
	} else {
		sl->selected = -1;
		fe->tries++;
		snprintf(fe->err, sizeof fe->err, "%s", err.msg);
		/*
		 * The server refused the folder (NO): again at the next poll,
		 * not in a loop.  A broken connection: again after the
		 * reconnect, a few times in one --once pass.
		 */
		if (err.kind != MCE_CANCELLED && ((!p->once &&
		    (err.kind == MCE_SERVER || err.kind == MCE_NOTFOUND)) ||
		    (p->once && fe->tries >= FOLDER_TRIES))) {
			fe->need = 0;
			fe->failed = 1;
		}
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (rc == 0)
		set_state(sl, SLOT_IDLE, "synced %s", f.name);
	free(f.name);
	free(f.wire);
	if (rc == 0)
		return;
	if (err.kind == MCE_CANCELLED) {
		slot_drop(sl, 0);
		return;
	}
	if (err.kind == MCE_LIMIT) {
		slot_limit(sl, &err);
		return;
	}
	if (err.kind == MCE_SERVER || err.kind == MCE_NOTFOUND) {
		/* the server refused this folder; the session is fine */
		set_state(sl, SLOT_ERROR, "error: %s", err.msg);
		return;
	}
	/* The connection (or the disk) failed: start over. */
	slot_drop(sl, 0);
	slot_backoff(sl, &err);
}

static void
slot_idle(struct slot *sl, int idx, int secs)
{
	struct slots	*p = sl->pool;
	struct mc_err	 err;
	char		*name;
	int		 rc;

	pthread_mutex_lock(&p->lock);
	name = xstrdup(p->fv[idx].f.name);
	pthread_mutex_unlock(&p->lock);
	set_state(sl, SLOT_IDLING, "idling %s", name);
	free(name);
	rc = sync_idle(sl->idle, sl->sess, secs, &err);
	pthread_mutex_lock(&p->lock);
	if (rc == 1) {
		/* the server spoke: sync the folder again */
		p->fv[idx].need = 1;
		p->fv[idx].gen++;
	}
	pthread_mutex_unlock(&p->lock);
	if (rc == -1) {
		slot_drop(sl, 0);
		if (err.kind != MCE_CANCELLED)
			slot_backoff(sl, &err);
	}
}

/* Sleep on the pool's condition until deadline (0: until woken). */
static void
slot_wait(struct slot *sl, long long deadline_ms)
{
	struct slots	*p = sl->pool;
	struct timespec	 ts;
	long long	 left;

	pthread_mutex_lock(&p->lock);
	if (!p->stop && !p->fatal) {
		if (deadline_ms <= 0)
			pthread_cond_wait(&p->cond, &p->lock);
		else if ((left = deadline_ms - mc_now_ms()) > 0) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += left / 1000;
			ts.tv_nsec += (left % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		}
	}
	pthread_mutex_unlock(&p->lock);
}

/* Exponential backoff with jitter; --once gives up after a while. */
static void
slot_backoff(struct slot *sl, const struct mc_err *why)
{
	struct slots	*p = sl->pool;
	long long	 ms;
	int		 n;
	double		 jitter;

	pthread_mutex_lock(&p->lock);
	n = ++sl->fails;
	pthread_mutex_unlock(&p->lock);
	if (p->once && n >= SLOTS_ONCE_TRIES) {
		struct mc_err	e;

		mc_err_set(&e, why->kind, "Gave up after %d attempts: %s", n,
		    why->msg);
		set_state(sl, SLOT_ERROR, "error: %s", why->msg);
		pool_fatal(p, &e);
		return;
	}
	ms = SLOTS_BACKOFF_MIN_MS;
	while (--n > 0 && ms < SLOTS_BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > SLOTS_BACKOFF_MAX_MS)
		ms = SLOTS_BACKOFF_MAX_MS;
	jitter = 0.75 + (double)(rand_r(&sl->rnd) % 1000) / 2000.0;
	ms = (long long)((double)ms * jitter);
	log_warn("slot %d (%s): %s", sl->id, p->acct->name, why->msg);
	set_state(sl, SLOT_BACKOFF, "backoff %llds", (ms + 999) / 1000);
	slot_wait(sl, mc_now_ms() + ms);
}

/* The server allows no more connections: this slot is gone for good. */
static void
slot_limit(struct slot *sl, const struct mc_err *why)
{
	struct slots	*p = sl->pool;
	char		 reason[2 * MC_ERR_MAX + 64];

	slot_drop(sl, 0);
	pthread_mutex_lock(&p->lock);
	sl->dead = 1;
	sl->running = 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	snprintf(reason, sizeof reason, "the server refused slot %d: %s%s%s",
	    sl->id, why->msg, why->server[0] ? " " : "", why->server);
	set_state(sl, SLOT_ERROR, "error: too many connections");
	post_pool(p, reason);
}

static void *
slot_main(void *arg)
{
	struct slot	*sl = arg;
	struct slots	*p = sl->pool;
	struct sync_opts o;
	struct mc_err	 err;
	enum task	 t;
	int		 idx, secs, last = 0;

	memset(&o, 0, sizeof o);
	o.account = p->acct->name;
	o.root = p->root;
	o.events = p->q;
	o.slot = sl->id;
	o.progress = progress_cb;
	o.progress_arg = sl;
	o.stop = &p->stop;
	o.heartbeat = &sl->heartbeat;
	if (sync_new(&o, &sl->sync, &err) == -1) {
		pool_fatal(p, &err);
		goto done;
	}
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->stop || p->fatal || sl->dead) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);

		if (sl->sess == NULL) {
			/* Not needed: extras with nothing left, or --once
			 * slots whose pass is over. */
			int relist;

			pthread_mutex_lock(&p->lock);
			t = p->listed ? pick_task(sl, &idx, &secs) : T_SYNC;
			relist = sl->relist;
			pthread_mutex_unlock(&p->lock);
			if (t == T_EXIT)
				break;
			if (t == T_WAIT && !relist) {
				/* nothing for this slot: no connection */
				set_state(sl, SLOT_IDLE, NULL);
				slot_wait(sl, secs > 0 ? mc_now_ms() +
				    secs * 1000LL : 0);
				continue;
			}
			if (slot_connect(sl, &err) == -1) {
				if (err.kind == MCE_LIMIT) {
					slot_limit(sl, &err);
					if (sl->id == 1 && !p->listed) {
						mc_err_set(&err, MCE_LIMIT,
						    "The server refused even "
						    "one connection.");
						pool_fatal(p, &err);
					}
					break;
				}
				if (fatal_kind(err.kind)) {
					set_state(sl, SLOT_ERROR, "error: %s",
					    err.msg);
					pool_fatal(p, &err);
					break;
				}
				slot_backoff(sl, &err);
				continue;
			}
			if (!p->listed || sl->id == 1) {
				if (slot_list(sl, &err) == -1) {
					slot_drop(sl, 0);
					slot_backoff(sl, &err);
					continue;
				}
				spawn_rest(p);
			}
		}

		if (sl->relist) {
			sl->relist = 0;
			if (slot_list(sl, &err) == -1) {
				slot_drop(sl, 0);
				slot_backoff(sl, &err);
				continue;
			}
		}
		pthread_mutex_lock(&p->lock);
		t = pick_task(sl, &idx, &secs);
		pthread_mutex_unlock(&p->lock);
		switch (t) {
		case T_EXIT:
			goto done;
		case T_SYNC:
			slot_sync(sl, idx);
			break;
		case T_IDLE:
			slot_idle(sl, idx, secs);
			break;
		case T_WAIT:
			set_state(sl, SLOT_IDLE, NULL);
			slot_wait(sl, secs > 0 ? mc_now_ms() + secs * 1000LL :
			    0);
			break;
		}
	}
done:
	slot_drop(sl, 1);		/* LOGOUT when the session is sane */
	sync_free(sl->sync);
	sl->sync = NULL;
	pthread_mutex_lock(&p->lock);
	if (sl->running)
		sl->running = 0;
	p->nrunning--;
	last = p->nrunning == 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (sl->state != SLOT_ERROR)
		set_state(sl, SLOT_CLOSED, NULL);
	if (last && p->q != NULL) {
		struct event *ev = event_new(EV_ENGINE_STOPPED);

		ev->account = xstrdup(p->acct->name);
		events_post(p->q, ev);
	}
	return NULL;
}

/*
 * Cancels a download that stopped receiving (SLOTS_STALL_MS).  imap_cancel
 * is called with the lock held, so slot_drop() cannot free the session
 * under it.
 */
static void *
watchdog_main(void *arg)
{
	struct slots	*p = arg;
	struct timespec	 ts;
	long long	 hb, now;
	int		 i;

	pthread_mutex_lock(&p->lock);
	while (p->nrunning > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		now = mc_now_ms();
		for (i = 0; i < p->nslots; i++) {
			hb = __atomic_load_n(&p->slots[i].heartbeat,
			    __ATOMIC_RELAXED);
			if (hb == 0 || now - hb < SLOTS_STALL_MS ||
			    p->slots[i].sess == NULL)
				continue;
			log_warn("slot %d (%s): nothing received for %lld s "
			    "while downloading; dropping the connection",
			    p->slots[i].id, p->acct->name, (now - hb) / 1000);
			imap_cancel(p->slots[i].sess);
			__atomic_store_n(&p->slots[i].heartbeat, now,
			    __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* --- the pool ----------------------------------------------------------- */

int
slots_start(const struct slots_opts *o, struct slots **out,
    struct mc_err *err)
{
	const struct account	*a = o->account;
	struct slots		*p;
	struct state		*st;
	struct state_folder	*sf;
	size_t			 nsf, i;
	char			*path;

	*out = NULL;
	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	pthread_mutex_init(&p->prompt_lock, NULL);
	p->acct = a;
	p->trust = o->trust;
	p->q = o->events;
	p->once = o->once;
	p->inbox = p->sent = -1;
	p->lockfd = -1;
	p->started_ms = mc_now_ms();
	p->nslots = a->max_connections;
	if (p->nslots < 1)
		p->nslots = 1;
	if (p->nslots > SLOTS_MAX)
		p->nslots = SLOTS_MAX;
	if (o->root != NULL)
		p->root = mc_expand_tilde(o->root);
	else if (a->maildir != NULL)
		p->root = mc_expand_tilde(a->maildir);
	else {
		mc_err_set(err, MCE_CONFIG, "Account %s has no maildir.",
		    a->name);
		goto fail;
	}
	if (mc_mkdir_p(p->root, 0700, err) == -1)
		goto fail;
	if ((p->lockfd = maildir_lock_root(p->root, err)) == -1)
		goto fail;

	/* Which folders were synced before: extras only help a first sync. */
	path = state_path_for(p->root);
	if (state_open(path, &st, err) == -1) {
		free(path);
		goto fail;
	}
	free(path);
	if (state_folder_list(st, &sf, &nsf, err) == -1) {
		state_close(st);
		goto fail;
	}
	p->synced = xcalloc(nsf + 1, sizeof *p->synced);
	for (i = 0; i < nsf; i++)
		if (sf[i].synced_at != 0 && !sf[i].dirty)
			p->synced[p->nsynced++] = xstrdup(sf[i].name);
	state_folders_free(sf, nsf);
	state_close(st);

	for (i = 0; i < (size_t)p->nslots; i++) {
		p->slots[i].pool = p;
		p->slots[i].id = (int)i + 1;
		p->slots[i].selected = -1;
		p->slots[i].idle = sync_idle_new();
		p->slots[i].rnd = (unsigned)(time(NULL) ^ getpid()) + i * 7919;
		p->slots[i].state = SLOT_CLOSED;
	}
	log_info("pool %s: starting, %d slot%s, Maildir %s%s", a->name,
	    p->nslots, p->nslots == 1 ? "" : "s", p->root,
	    p->once ? " (one pass)" : "");
	pthread_mutex_lock(&p->lock);
	spawn(p, 0);
	if (pthread_create(&p->watchdog, NULL, watchdog_main, p) != 0)
		fatalx("slots: cannot start a thread: %s", strerror(errno));
	p->watchdog_started = 1;
	pthread_mutex_unlock(&p->lock);
	*out = p;
	return 0;
fail:
	if (p->lockfd != -1)
		close(p->lockfd);
	free(p->root);
	free(p);
	return -1;
}

void
slots_stop(struct slots *p)
{
	int	i;

	pthread_mutex_lock(&p->lock);
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nslots; i++)
		sync_idle_interrupt(p->slots[i].idle);
}

void
slots_wake(struct slots *p)
{
	size_t	i;
	int	j;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nf; i++) {
		p->fv[i].need = 1;
		p->fv[i].gen++;
		p->fv[i].failed = 0;
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (j = 0; j < p->nslots; j++)
		sync_idle_interrupt(p->slots[j].idle);
}

int
slots_wait(struct slots *p, struct mc_err *err)
{
	char	 list[MC_ERR_MAX];
	size_t	 i, len = 0;
	int	 nfailed = 0, j;

	mc_err_clear(err);
	pthread_mutex_lock(&p->lock);
	while (p->nrunning > 0)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (!p->joined) {
		for (j = 0; j < p->nslots; j++)
			if (p->slots[j].spawned)
				pthread_join(p->slots[j].thread, NULL);
		if (p->watchdog_started)
			pthread_join(p->watchdog, NULL);
		p->joined = 1;
	}
	if (p->fatal) {
		*err = p->fatal_err;
		return -1;
	}
	if (!p->once)
		return 0;	/* stopped: failures were logged, retried at polls */
	list[0] = '\0';
	for (i = 0; i < p->nf; i++) {
		if (!p->fv[i].present || (!p->fv[i].failed && !p->fv[i].need))
			continue;
		nfailed++;
		if (len < sizeof list - 1)
			len += (size_t)snprintf(list + len, sizeof list - len,
			    "%s%s (%s)", nfailed > 1 ? "; " : "",
			    p->fv[i].f.name, p->fv[i].err[0] ? p->fv[i].err :
			    "not synced");
	}
	if (nfailed > 0 && p->stop) {
		mc_err_set(err, MCE_CANCELLED, "Stopped before the pass was "
		    "complete: %d folder%s not synced.", nfailed,
		    nfailed == 1 ? "" : "s");
		return -1;
	}
	if (nfailed > 0) {
		mc_err_set(err, MCE_SERVER, "%d folder%s could not be synced: "
		    "%s", nfailed, nfailed == 1 ? "" : "s", list);
		return -1;
	}
	if (p->once && !p->listed) {
		mc_err_set(err, MCE_CANCELLED, "The sync was stopped before "
		    "it listed the folders.");
		return -1;
	}
	return 0;
}

void
slots_totals(struct slots *p, struct slots_totals *t)
{
	size_t	i;
	int	j;

	memset(t, 0, sizeof *t);
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nf; i++) {
		if (!p->fv[i].present)
			continue;
		t->folders++;
		if (p->fv[i].failed)
			t->folders_failed++;
		else if (p->fv[i].ever && !p->fv[i].need)
			t->folders_done++;
	}
	for (j = 0; j < p->nslots; j++)
		if (!p->slots[j].dead)
			t->usable++;
	t->messages = p->messages;
	t->bytes = p->bytes;
	pthread_mutex_unlock(&p->lock);
}

void
slots_free(struct slots *p)
{
	struct mc_err	err;
	size_t		i;
	int		j;

	if (p == NULL)
		return;
	slots_stop(p);
	slots_wait(p, &err);
	for (j = 0; j < p->nslots; j++)
		sync_idle_free(p->slots[j].idle);
	for (i = 0; i < p->nf; i++) {
		free(p->fv[i].f.name);
		free(p->fv[i].f.wire);
	}
	free(p->fv);
	for (i = 0; i < p->nsynced; i++)
		free(p->synced[i]);
	free(p->synced);
	if (p->lockfd != -1)
		close(p->lockfd);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->prompt_lock);
	free(p->root);
	free(p);
}

/*
 * ui-dashboard.c -- the main screen: a model fed by engine events, and
 * its drawing (header, folders, slots, certificates, log).  Contract in
 * ui-dashboard.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "slots.h"
#include "ui.h"
#include "ui-dashboard.h"

static const char *run_names[] = {
	[DASH_RUN_STARTING] = "starting",
	[DASH_RUN_SYNCING] = "syncing",
	[DASH_RUN_PAUSING] = "pausing…",
	[DASH_RUN_PAUSED] = "paused",
	[DASH_RUN_STOPPING] = "stopping…",
	[DASH_RUN_STOPPED] = "stopped",
};

const char *
dash_run_name(enum dash_run r)
{
	if ((int)r < 0 || r > DASH_RUN_STOPPED)
		return "?";
	return run_names[r];
}

/* ================================================================ model */

/* ------------------------------------------------------------ rates */

void
dash_rate_reset(struct dash_rate *r)
{
	memset(r, 0, sizeof *r);
}

void
dash_rate_add(struct dash_rate *r, long long now, uint64_t v)
{
	/*
	 * One sample per step: a burst of events does not flood the ring
	 * (the first two stay apart: the oldest is the baseline).
	 */
	if (r->n > 1 && now - r->t[r->head] < DASH_RATE_STEP_MS) {
		r->v[r->head] = v;
		return;
	}
	r->head = r->n == 0 ? 0 : (r->head + 1) % DASH_RATE_N;
	r->t[r->head] = now;
	r->v[r->head] = v;
	if (r->n < DASH_RATE_N)
		r->n++;
}

/*
 * (newest - oldest sample inside the window) / (now - that sample): the
 * figure decays to 0 over the window once the counter stops moving.
 */
double
dash_rate_get(const struct dash_rate *r, long long now)
{
	int		 i, at, from = -1;
	long long	 span;

	if (r->n < 2 || now - r->t[r->head] > DASH_RATE_WINDOW_MS)
		return 0;
	for (i = 0; i < r->n; i++) {
		at = ((r->head - i) % DASH_RATE_N + DASH_RATE_N) % DASH_RATE_N;
		if (i > 0 && now - r->t[at] > DASH_RATE_WINDOW_MS)
			break;
		from = at;
	}
	if (from == r->head) {
		/* only the newest is in the window: span from the one before */
		from = ((r->head - 1) % DASH_RATE_N + DASH_RATE_N) %
		    DASH_RATE_N;
	}
	if (r->v[r->head] <= r->v[from])
		return 0;
	span = now - r->t[from];
	if (span < 1000)
		span = 1000;		/* a young counter does not spike */
	return (double)(r->v[r->head] - r->v[from]) * 1000.0 / (double)span;
}

/* ------------------------------------------------------------ accounts */

struct dash_model *
dash_model_new(void)
{
	return xcalloc(1, sizeof(struct dash_model));
}

static void
slot_clear(struct dash_slot *s)
{
	free(s->role);
	free(s->text);
	free(s->folder);
	memset(s, 0, sizeof *s);
}

static void
folder_clear(struct dash_folder *f)
{
	free(f->name);
	free(f->error);
	memset(f, 0, sizeof *f);
}

static void
cert_clear(struct dash_cert *c)
{
	free(c->account);
	free(c->hostport);
	free(c->proto);
	free(c->problem);
	free(c->report);
}

void
dash_model_free(struct dash_model *m)
{
	struct dash_account	*a;
	size_t			 i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->nacct; i++) {
		a = &m->acct[i];
		for (j = 0; j < DASH_SLOTS; j++)
			slot_clear(&a->slots[j]);
		for (j = 0; j < a->nfolders; j++)
			folder_clear(&a->folders[j]);
		free(a->folders);
		free(a->name);
		free(a->why);
		free(a->pool_why);
	}
	free(m->acct);
	for (i = 0; i < m->ncerts; i++)
		cert_clear(&m->certs[i]);
	free(m->certs);
	for (i = 0; i < m->nlog; i++)
		free(m->log[(m->log_head + i) % DASH_LOG_MAX].text);
	free(m);
}

int
dash_model_find(const struct dash_model *m, const char *name)
{
	size_t	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < m->nacct; i++)
		if (strcmp(m->acct[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
dash_model_account(struct dash_model *m, const char *name, int nslots)
{
	struct dash_account	*a;
	int			 i;

	if ((i = dash_model_find(m, name)) >= 0) {
		m->acct[i].nslots = nslots;
		return i;
	}
	m->acct = xrealloc(m->acct, (m->nacct + 1) * sizeof *m->acct);
	a = &m->acct[m->nacct];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(name);
	a->nslots = nslots < 1 ? 1 : nslots > DASH_SLOTS ? DASH_SLOTS :
	    nslots;
	a->sorted = 1;
	m->dirty = DASH_DIRTY_ALL;
	return (int)m->nacct++;
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
	if (*dst != NULL)
		mc_sanitize(*dst);
}

void
dash_model_set_run(struct dash_model *m, int i, enum dash_run r,
    const char *why)
{
	if (i < 0 || (size_t)i >= m->nacct)
		return;
	m->acct[i].run = r;
	set_str(&m->acct[i].why, why);
	m->dirty |= DASH_DIRTY_HEADER | DASH_DIRTY_SLOTS;
}

uint64_t
dash_account_bytes(const struct dash_account *a)
{
	uint64_t	 b = a->bytes_base;
	int		 i;

	for (i = 0; i < DASH_SLOTS; i++)
		b += a->slots[i].bytes;
	return b;
}

void
dash_model_pool_started(struct dash_model *m, int i, long long now)
{
	struct dash_account	*a;
	int			 j;

	if (i < 0 || (size_t)i >= m->nacct)
		return;
	a = &m->acct[i];
	a->bytes_base = dash_account_bytes(a);
	for (j = 0; j < DASH_SLOTS; j++)
		slot_clear(&a->slots[j]);
	free(a->pool_why);
	a->pool_why = NULL;
	a->usable = 0;
	a->run = DASH_RUN_SYNCING;
	free(a->why);
	a->why = NULL;
	a->started = now;
	dash_rate_reset(&a->brate);
	dash_rate_reset(&a->mrate);
	dash_rate_add(&a->brate, now, a->bytes_base);
	m->dirty = DASH_DIRTY_ALL;
}

double
dash_account_rate(const struct dash_account *a, long long now)
{
	return dash_rate_get(&a->brate, now);
}

long long
dash_account_eta(const struct dash_account *a, long long now)
{
	double	 r;

	if (a->total == 0 || a->done >= a->total)
		return a->total > 0 ? 0 : -1;
	r = dash_rate_get(&a->mrate, now);
	if (r <= 0.01)
		return -1;
	return (long long)((double)(a->total - a->done) / r + 0.999);
}

static int
slot_busy(int st)
{
	switch (st) {
	case SLOT_RESOLVING:
	case SLOT_CONNECTING:
	case SLOT_TLS:
	case SLOT_CERT_PROMPT:
	case SLOT_AUTH:
	case SLOT_SELECTING:
	case SLOT_FETCHING:
		return 1;
	}
	return 0;
}

int
dash_account_busy(const struct dash_account *a)
{
	int	 i, n = 0;

	for (i = 0; i < DASH_SLOTS; i++)
		if (a->slots[i].used && slot_busy(a->slots[i].state))
			n++;
	return n;
}

/* ------------------------------------------------------------ folders */

struct dash_folder *
dash_model_folder(struct dash_account *a, const char *name)
{
	size_t	 i;

	for (i = 0; i < a->nfolders; i++)
		if (strcmp(a->folders[i].name, name) == 0)
			return &a->folders[i];
	return NULL;
}

static struct dash_folder *
folder_add(struct dash_account *a, const char *name)
{
	struct dash_folder	*f;

	if ((f = dash_model_folder(a, name)) != NULL)
		return f;
	a->folders = xrealloc(a->folders, (a->nfolders + 1) *
	    sizeof *a->folders);
	f = &a->folders[a->nfolders++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	f->label = f->name;
	a->sorted = 0;
	return f;
}

static char
guess_delim(const struct dash_account *a)
{
	size_t	 i;

	if (a->delim != 0)
		return a->delim;
	for (i = 0; i < a->nfolders; i++)
		if (strchr(a->folders[i].name, '/') != NULL)
			return '/';
	for (i = 0; i < a->nfolders; i++)
		if (strchr(a->folders[i].name, '.') != NULL)
			return '.';
	return '/';
}

static int
is_inbox(const char *s, size_t len)
{
	return len == 5 && strncasecmp(s, "INBOX", 5) == 0;
}

/* Component by component; INBOX first at every level's top. */
static int
folder_cmp(const void *pa, const void *pb, void *arg)
{
	const char	*a = ((const struct dash_folder *)pa)->name;
	const char	*b = ((const struct dash_folder *)pb)->name;
	const char	*ea, *eb;
	char		 delim = *(const char *)arg;
	size_t		 la, lb;
	int		 c;

	for (;;) {
		ea = strchr(a, delim);
		eb = strchr(b, delim);
		la = ea != NULL ? (size_t)(ea - a) : strlen(a);
		lb = eb != NULL ? (size_t)(eb - b) : strlen(b);
		if (is_inbox(a, la) != is_inbox(b, lb))
			return is_inbox(a, la) ? -1 : 1;
		c = strncmp(a, b, la < lb ? la : lb);
		if (c != 0)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		if (ea == NULL || eb == NULL)
			return ea == NULL ? (eb == NULL ? 0 : -1) : 1;
		a = ea + 1;
		b = eb + 1;
	}
}

/* Every parent of a nested folder exists, at least as a placeholder. */
static void
add_parents(struct dash_account *a, char delim)
{
	struct dash_folder	*f;
	size_t			 i, n = a->nfolders;
	char			*p, *name;

	for (i = 0; i < n; i++) {
		name = xstrdup(a->folders[i].name);
		while ((p = strrchr(name, delim)) != NULL && p != name) {
			*p = '\0';
			if (dash_model_folder(a, name) != NULL)
				continue;
			f = folder_add(a, name);
			f->placeholder = 1;
		}
		free(name);
	}
}

void
dash_model_sort(struct dash_account *a)
{
	struct dash_folder	*f;
	const char		*p;
	size_t			 i;
	char			 d = guess_delim(a);

	add_parents(a, d);
	if (a->nfolders > 1)
		qsort_r(a->folders, a->nfolders, sizeof *a->folders,
		    folder_cmp, &d);
	for (i = 0; i < a->nfolders; i++) {
		f = &a->folders[i];
		f->depth = 0;
		f->label = f->name;
		for (p = f->name; (p = strchr(p, d)) != NULL; p++) {
			f->depth++;
			f->label = p + 1;
		}
		if (*f->label == '\0')
			f->label = f->name;
	}
	a->sorted = 1;
}

/* EV_FOLDER_LIST: what the server lists now; the rest goes. */
static void
folder_list(struct dash_account *a, char **names)
{
	size_t	 i, j;

	for (i = 0; i < a->nfolders; i++)
		a->folders[i].listed = 0;
	for (i = 0; names != NULL && names[i] != NULL; i++)
		folder_add(a, names[i])->listed = 1;
	for (i = j = 0; i < a->nfolders; i++) {
		if (!a->folders[i].listed) {
			folder_clear(&a->folders[i]);
			continue;
		}
		a->folders[j] = a->folders[i];
		a->folders[j++].placeholder = 0;
	}
	a->nfolders = j;
	a->listed = 1;
	a->sorted = 0;
}

static void
folder_progress(struct dash_account *a, const struct event *ev, time_t wall)
{
	struct dash_folder	*f;

	if (ev->name == NULL)
		return;
	f = folder_add(a, ev->name);
	f->placeholder = 0;
	switch (ev->status) {
	case 0:
		f->state = DF_RUN;
		break;
	case 1:
		f->state = DF_DONE;
		f->messages = (uint32_t)ev->n;
		f->have_counts = 1;
		f->synced_at = wall;
		free(f->error);
		f->error = NULL;
		break;
	default:
		if (a->run == DASH_RUN_PAUSING || a->run == DASH_RUN_STOPPING ||
		    a->run == DASH_RUN_PAUSED) {
			f->state = f->synced_at != 0 ? DF_DONE : DF_WAIT;
			break;		/* interrupted on purpose */
		}
		f->state = DF_ERR;
		set_str(&f->error, ev->text != NULL ? ev->text : "failed");
		break;
	}
	f->done = ev->n;
	f->total = ev->total;
}

void
dash_model_folder_info(struct dash_model *m, const char *acct,
    const struct dash_finfo *fi, size_t n)
{
	struct dash_account	*a;
	struct dash_folder	*f;
	size_t			 i;
	int			 k;

	if ((k = dash_model_find(m, acct)) < 0)
		return;
	a = &m->acct[k];
	for (i = 0; i < n; i++) {
		if (fi[i].delim != 0 && a->delim == 0) {
			a->delim = fi[i].delim;
			a->sorted = 0;
		}
		if ((f = dash_model_folder(a, fi[i].name)) == NULL) {
			if (a->listed)
				continue;	/* not wanted any more */
			f = folder_add(a, fi[i].name);
		}
		f->placeholder = 0;
		f->have_counts = 1;
		f->messages = fi[i].messages;
		f->unseen = fi[i].unseen;
		if (fi[i].synced_at > f->synced_at)
			f->synced_at = fi[i].synced_at;
		if (f->state == DF_WAIT && f->synced_at != 0)
			f->state = DF_DONE;
	}
	m->dirty |= DASH_DIRTY_FOLDERS;
}

/* ------------------------------------------------------------ slots */

/* The folder a slot's text names: "fetching 10/200 NAME", "idling NAME". */
static char *
slot_folder(int st, const char *text)
{
	const char	*p = text;
	int		 skip, i;

	switch (st) {
	case SLOT_FETCHING:
		skip = 2;
		break;
	case SLOT_SELECTING:
	case SLOT_IDLING:
		skip = 1;
		break;
	case SLOT_IDLE:
		if (strncmp(text, "synced ", 7) != 0)
			return NULL;
		skip = 1;
		break;
	default:
		return NULL;
	}
	for (i = 0; i < skip; i++) {
		if ((p = strchr(p, ' ')) == NULL)
			return NULL;
		p++;
	}
	return *p != '\0' ? xstrdup(p) : NULL;
}

static void
slot_event(struct dash_account *a, const struct event *ev, long long now)
{
	struct dash_slot	*s;

	if (ev->id < 1 || ev->id > DASH_SLOTS)
		return;
	s = &a->slots[ev->id - 1];
	if (!s->used || s->state != ev->status)
		s->since = now;
	/*
	 * Stopping, the engine hands duties around among the slots left
	 * ("all", "Sent+folders"): the row keeps the role it had.
	 */
	if (s->role == NULL || (ev->status != SLOT_CLOSED &&
	    a->run != DASH_RUN_PAUSING && a->run != DASH_RUN_STOPPING))
		set_str(&s->role, ev->name);
	s->used = 1;
	s->state = ev->status;
	set_str(&s->text, ev->text != NULL ? ev->text :
	    slot_state_name((enum slot_state)ev->status));
	free(s->folder);
	s->folder = slot_folder(s->state, s->text);
	if (ev->n >= s->bytes)
		s->bytes = ev->n;
	dash_rate_add(&s->rate, now, s->bytes);
	dash_rate_add(&a->brate, now, dash_account_bytes(a));
	if (ev->id > a->nslots)
		a->nslots = ev->id;
}

/* ------------------------------------------------------------ log */

static void
log_add(struct dash_model *m, int level, const char *text)
{
	size_t	 at;

	if (m->nlog == DASH_LOG_MAX) {
		free(m->log[m->log_head].text);
		m->log_head = (m->log_head + 1) % DASH_LOG_MAX;
		m->nlog--;
	}
	at = (m->log_head + m->nlog) % DASH_LOG_MAX;
	m->log[at].level = level;
	m->log[at].text = xstrdup(text != NULL ? text : "");
	mc_sanitize(m->log[at].text);
	m->nlog++;
	m->log_seq++;
}

const struct dash_logline *
dash_model_log(const struct dash_model *m, size_t i)
{
	if (i >= m->nlog)
		return NULL;
	return &m->log[(m->log_head + i) % DASH_LOG_MAX];
}

/* ------------------------------------------------------------ events */

/* Messages fetched so far: progress of running folders, for the ETA. */
static void
count_fetched(struct dash_account *a, const struct event *ev, long long now)
{
	struct dash_folder	*f;
	uint64_t		 v = a->mrate.n > 0 ? a->mrate.v[a->mrate.head] :
				     0;

	if (ev->status != 0 || ev->name == NULL)
		return;
	f = dash_model_folder(a, ev->name);
	if (f != NULL && f->state == DF_RUN && ev->n > f->done)
		v += ev->n - f->done;
	else if ((f == NULL || f->state != DF_RUN) && ev->n > 0)
		v += ev->n;
	dash_rate_add(&a->mrate, now, v);
}

void
dash_model_event(struct dash_model *m, const struct event *ev, long long now,
    time_t wall)
{
	struct dash_account	*a = NULL;
	int			 k;

	if (ev->type == EV_LOG) {
		log_add(m, ev->status, ev->text);
		m->dirty |= DASH_DIRTY_LOG;
		return;
	}
	if ((k = dash_model_find(m, ev->account)) < 0)
		return;
	a = &m->acct[k];
	switch (ev->type) {
	case EV_SLOT_STATE:
		slot_event(a, ev, now);
		m->dirty |= DASH_DIRTY_SLOTS | DASH_DIRTY_HEADER;
		break;
	case EV_FOLDER_PROGRESS:
		if (a->mrate.n == 0)
			dash_rate_add(&a->mrate, now, 0);
		count_fetched(a, ev, now);
		folder_progress(a, ev, wall);
		m->dirty |= DASH_DIRTY_FOLDERS | DASH_DIRTY_HEADER;
		break;
	case EV_FOLDER_LIST:
		folder_list(a, ev->data);
		m->dirty |= DASH_DIRTY_FOLDERS;
		break;
	case EV_POOL:
		a->usable = (int)ev->n;
		set_str(&a->pool_why, ev->text);
		m->dirty |= DASH_DIRTY_SLOTS | DASH_DIRTY_HEADER;
		break;
	case EV_TOTALS:
		a->done = ev->n;
		a->total = ev->total;
		m->dirty |= DASH_DIRTY_HEADER;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ certs */

/* mc_sanitize(), but line ends stay: the report has several lines. */
static void
sanitize_lines(char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s < 32 && *s != '\n') || *s == 127)
			*s = '?';
}

void
dash_model_cert_asked(struct dash_model *m, const struct trust_request *r,
    time_t wall)
{
	struct dash_cert	*c;
	const struct cert_info	*ci = r->cert;

	m->certs = xrealloc(m->certs, (m->ncerts + 1) * sizeof *m->certs);
	c = &m->certs[m->ncerts++];
	memset(c, 0, sizeof *c);
	c->account = xstrdup(r->account != NULL ? r->account : "-");
	c->hostport = xasprintf("%s:%d", r->host, r->port);
	c->proto = xstrdup(r->proto != NULL ? r->proto : "imap");
	c->changed = r->verdict == CERT_CHANGED;
	if (c->changed)
		c->problem = xstrdup("CERTIFICATE CHANGED since it was pinned");
	else if (ci != NULL && ci->nproblems > 0)
		c->problem = xstrdup(ci->problems[0].text);
	else
		c->problem = xstrdup("not trusted");
	mc_sanitize(c->problem);
	if (ci != NULL) {
		c->report = cert_report_text(r);
		sanitize_lines(c->report);
	}
	c->answer = -1;
	c->asked = wall;
	m->dirty |= DASH_DIRTY_CERTS | DASH_DIRTY_HEADER;
}

void
dash_model_cert_decided(struct dash_model *m, const char *account,
    const char *hostport, enum trust_answer ans, time_t wall)
{
	size_t	 i;

	for (i = 0; i < m->ncerts; i++) {
		struct dash_cert *c = &m->certs[i];

		if (c->answer != -1 || strcmp(c->hostport, hostport) != 0 ||
		    strcmp(c->account, account != NULL ? account : "-") != 0)
			continue;
		c->answer = (int)ans;
		c->decided = wall;
		m->dirty |= DASH_DIRTY_CERTS | DASH_DIRTY_HEADER;
		return;
	}
}

size_t
dash_model_certs_pending(const struct dash_model *m)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->ncerts; i++)
		if (m->certs[i].answer == -1)
			n++;
	return n;
}

/* ------------------------------------------------------------ formats */

void
dash_fmt_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *units[] = { "KB", "MB", "GB", "TB" };
	double		 v = (double)b;
	int		 u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)b);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void
dash_fmt_dur(char *buf, size_t len, long long s)
{
	if (s < 0)
		snprintf(buf, len, "?");
	else if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

void
dash_fmt_ago(char *buf, size_t len, time_t then, time_t now)
{
	struct tm	 tm;
	long long	 d = (long long)(now - then);

	if (then == 0)
		snprintf(buf, len, "never");
	else if (d < 5)
		snprintf(buf, len, "just now");
	else if (d < 60)
		snprintf(buf, len, "%llds ago", d);
	else if (d < 3600)
		snprintf(buf, len, "%lldm ago", d / 60);
	else if (d < 86400)
		snprintf(buf, len, "%lldh ago", d / 3600);
	else if (localtime_r(&then, &tm) != NULL)
		strftime(buf, len, "%Y-%m-%d", &tm);
	else
		snprintf(buf, len, "?");
}

/* =============================================================== screen */

enum dash_action { DA_NEXT, DA_PREV, DA_UP, DA_DOWN, DA_PGUP, DA_PGDN,
	DA_HOME, DA_END, DA_ENTER, DA_SYNC, DA_PAUSE, DA_CERTS, DA_ADD,
	DA_LEVEL, DA_ZOOM, DA_ACCT_PREV, DA_ACCT_NEXT, DA_ACCT_N, DA_QUIT };

static const struct ui_binding dash_keys[] = {
	{ UI_TAB, "Tab", "next pane (Shift-Tab: previous)", DA_NEXT, "pane" },
	{ UI_BTAB, NULL, NULL, DA_PREV, NULL },
	{ UI_ENTER, "Enter", "details of the selected row", DA_ENTER,
	  "details" },
	{ 's', "s", "sync now (starts a paused or stopped account)", DA_SYNC,
	  "sync" },
	{ 'p', "p", "pause / resume this account (connections close)",
	  DA_PAUSE, "pause" },
	{ 'c', "c", "certificate prompts, pending and decided", DA_CERTS,
	  "certs" },
	{ 'a', "a", "add an account (the setup wizard)", DA_ADD, "add" },
	{ 'q', "q", "quit cleanly: IDLE DONE, LOGOUT, state saved",
	  DA_QUIT, "quit" },
	{ UI_CTRL('c'), NULL, NULL, DA_QUIT, NULL },
	{ UI_KEY(KEY_UP), "Up / Down", "move in the pane; the log scrolls",
	  DA_UP, NULL },
	{ UI_KEY(KEY_DOWN), NULL, NULL, DA_DOWN, NULL },
	{ 'k', NULL, NULL, DA_UP, NULL },
	{ 'j', NULL, NULL, DA_DOWN, NULL },
	{ UI_KEY(KEY_PPAGE), "PgUp / PgDn", "a page up / down", DA_PGUP,
	  NULL },
	{ UI_KEY(KEY_NPAGE), NULL, NULL, DA_PGDN, NULL },
	{ UI_KEY(KEY_HOME), "Home / End", "first / last row (End: follow "
	  "the log)", DA_HOME, NULL },
	{ UI_KEY(KEY_END), NULL, NULL, DA_END, NULL },
	{ 'l', "l", "log pane: next level shown (info, debug, error, warn)",
	  DA_LEVEL, NULL },
	{ 'z', "z", "zoom the pane to the whole screen, and back", DA_ZOOM,
	  NULL },
	{ '[', "[ / ]", "previous / next account", DA_ACCT_PREV, NULL },
	{ ']', NULL, NULL, DA_ACCT_NEXT, NULL },
	{ '1', "1 … 9", "account by number", DA_ACCT_N, NULL },
	{ '2', NULL, NULL, DA_ACCT_N, NULL },
	{ '3', NULL, NULL, DA_ACCT_N, NULL },
	{ '4', NULL, NULL, DA_ACCT_N, NULL },
	{ '5', NULL, NULL, DA_ACCT_N, NULL },
	{ '6', NULL, NULL, DA_ACCT_N, NULL },
	{ '7', NULL, NULL, DA_ACCT_N, NULL },
	{ '8', NULL, NULL, DA_ACCT_N, NULL },
	{ '9', NULL, NULL, DA_ACCT_N, NULL },
};

static const char *pane_names[DP_COUNT] = {
	"Folders", "Slots", "Certificates", "Log"
};

struct pane_geo {
	int	 y, h;		/* title row, rows after it */
};

struct dash {
	struct dash_model	*m;
	struct dash_ops		 ops;
	int			 cur;		/* account shown */
	enum dash_pane		 focus;
	int			 zoom;
	int			 sel[DP_COUNT];	/* selected row */
	int			 top[DP_COUNT];	/* first row shown */
	int			 log_back;	/* lines above the newest */
	int			 log_level;	/* most verbose shown */
	char			*status;	/* "stopping…" */
	struct pane_geo		 geo[DP_COUNT];
};

static void	 dash_draw(void *);
static void	 dash_key(void *, int);
static void	 dash_event(void *, struct event *);

static const struct ui_screen dash_screen_def = {
	"Dashboard", dash_draw, dash_key, dash_event, NULL,
	dash_keys, sizeof dash_keys / sizeof dash_keys[0]
};

const struct ui_screen *
dash_screen(void)
{
	return &dash_screen_def;
}

struct dash *
dash_new(const struct dash_ops *ops)
{
	struct dash	*d = xcalloc(1, sizeof *d);

	d->m = dash_model_new();
	d->ops = *ops;
	d->focus = DP_SLOTS;
	d->log_level = MC_LOG_INFO;
	return d;
}

void
dash_free(struct dash *d)
{
	if (d == NULL)
		return;
	dash_model_free(d->m);
	free(d->status);
	free(d);
}

struct dash_model *
dash_model_of(struct dash *d)
{
	return d->m;
}

int
dash_current(const struct dash *d)
{
	return d->cur;
}

void
dash_select(struct dash *d, int i)
{
	if (i < 0 || (size_t)i >= d->m->nacct || i == d->cur)
		return;
	d->cur = i;
	d->sel[DP_FOLDERS] = d->top[DP_FOLDERS] = 0;
	d->sel[DP_SLOTS] = 0;
	d->m->dirty = DASH_DIRTY_ALL;
	ui_dirty();
}

void
dash_set_status(struct dash *d, const char *s)
{
	set_str(&d->status, s);
	ui_dirty();
}

static struct dash_account *
cur_acct(struct dash *d)
{
	if (d->m->nacct == 0)
		return NULL;
	if ((size_t)d->cur >= d->m->nacct)
		d->cur = 0;
	return &d->m->acct[d->cur];
}

/* ------------------------------------------------------------ drawing */

static void
draw_bar(int y, int x, int w, uint64_t done, uint64_t total,
    enum theme_role role)
{
	int	 fill, i;

	if (w <= 0)
		return;
	fill = total == 0 ? 0 : (int)((double)w * (double)done /
	    (double)total);
	if (fill > w)
		fill = w;
	if (done > 0 && fill == 0)
		fill = 1;		/* something happened: show it */
	for (i = 0; i < w; i++)
		ui_text(y, x + i, 1, i < fill ? role : ROLE_DIM, i < fill ?
		    (ui_utf8() ? "█" : "#") : (ui_utf8() ? "░" : "."));
}

/* Row 0, over ui.c's title: the accounts, and the shown one's totals. */
static void
draw_title(struct dash *d, long long now)
{
	struct dash_account	*a;
	char			 b[32], line[160];
	size_t			 i;
	int			 x = 1, n;

	ui_fill(0, 0, COLS, ROLE_TITLE);
	x += ui_text(0, x, COLS - x, ROLE_TITLE, "mailconn ");
	for (i = 0; i < d->m->nacct && x < COLS / 2; i++) {
		a = &d->m->acct[i];
		snprintf(line, sizeof line, "%zu:%s%s", i + 1, a->name,
		    a->run == DASH_RUN_PAUSED ? " (paused)" :
		    a->run == DASH_RUN_STOPPED ? " (stopped)" : "");
		n = ui_text(0, x + 1, COLS / 2 - x, (int)i == d->cur ?
		    ROLE_SELECTED : ROLE_TITLE, line);
		x += n + 2;
	}
	if ((a = cur_acct(d)) == NULL)
		return;
	dash_fmt_bytes(b, sizeof b, (uint64_t)dash_account_rate(a, now));
	snprintf(line, sizeof line, "%llu/%llu msgs%s%s%s",
	    (unsigned long long)a->done, (unsigned long long)a->total,
	    a->run == DASH_RUN_SYNCING ? "  " : "",
	    a->run == DASH_RUN_SYNCING ? b : "",
	    a->run == DASH_RUN_SYNCING ? "/s" : "");
	n = ui_width(line);
	if (COLS - n - 1 > x)
		ui_text(0, COLS - n - 1, n, ROLE_TITLE, line);
}

/* Every listed folder synced, none running. */
static int
up_to_date(const struct dash_account *a)
{
	size_t	 i;

	if (!a->listed)
		return 0;
	for (i = 0; i < a->nfolders; i++)
		if (!a->folders[i].placeholder &&
		    a->folders[i].state != DF_DONE)
			return 0;
	return 1;
}

/* Body row 1: state, totals, rate, ETA and an overall bar. */
static void
draw_header(struct dash *d, int y, long long now)
{
	struct dash_account	*a = cur_acct(d);
	char			 r[32], e[32], line[512];
	const char		*state;
	enum theme_role		 role = ROLE_HEADER;
	long long		 eta;
	int			 n, busy, pct, stopped;

	ui_fill(y, 0, COLS, ROLE_TEXT);
	if (a == NULL) {
		ui_text(y, 1, COLS - 2, ROLE_DIM, "no account");
		return;
	}
	busy = dash_account_busy(a);
	state = dash_run_name(a->run);
	if (a->run == DASH_RUN_SYNCING && busy == 0 && up_to_date(a))
		state = "up to date";
	if (d->status != NULL) {
		state = d->status;
		role = ROLE_WARN;
	} else if (a->run == DASH_RUN_STOPPED && a->why != NULL)
		role = ROLE_ERROR;
	else if (a->run == DASH_RUN_PAUSED || a->run == DASH_RUN_PAUSING)
		role = ROLE_WARN;
	dash_fmt_bytes(r, sizeof r, (uint64_t)dash_account_rate(a, now));
	eta = dash_account_eta(a, now);
	if (eta < 0)
		snprintf(e, sizeof e, "–");
	else if (eta == 0)
		snprintf(e, sizeof e, "done");
	else
		dash_fmt_dur(e, sizeof e, eta);
	pct = a->total > 0 ? (int)(a->done * 100 / a->total) : 0;
	stopped = a->run == DASH_RUN_STOPPED && a->why != NULL &&
	    d->status == NULL;
	n = 1 + ui_text(y, 1, COLS - 2, ROLE_HEADER, a->name);
	n += 1 + ui_textf(y, n + 1, COLS - n - 2, role, "%s%s", state,
	    stopped ? ":" : "");
	if (stopped) {
		ui_text(y, n + 1, COLS - n - 2, ROLE_ERROR, a->why);
		return;
	}
	n++;				/* two spaces after the state */
	if (a->run != DASH_RUN_SYNCING)		/* nothing moves */
		snprintf(line, sizeof line, "%llu/%llu msgs (%d%%)  %d/%d "
		    "slots busy", (unsigned long long)a->done,
		    (unsigned long long)a->total, pct, busy, a->nslots);
	else if (eta == 0 || (busy == 0 && up_to_date(a)))
		snprintf(line, sizeof line, "%llu/%llu msgs (%d%%)  %s/s  "
		    "%d/%d slots busy", (unsigned long long)a->done,
		    (unsigned long long)a->total, pct, r, busy, a->nslots);
	else
		snprintf(line, sizeof line, "%llu/%llu msgs (%d%%)  %s/s  ETA "
		    "%s  %d/%d slots busy", (unsigned long long)a->done,
		    (unsigned long long)a->total, pct, r, e, busy, a->nslots);
	n += 1 + ui_text(y, n + 1, COLS - n - 2, ROLE_TEXT, line);
	if (COLS - n - 3 >= 8)
		draw_bar(y, n + 2, COLS - n - 3 > 20 ? 20 : COLS - n - 3,
		    a->done, a->total, ROLE_PROGRESS);
}

/* A pane's title row; the focused one carries the arrow. */
static void
draw_pane_title(struct dash *d, enum dash_pane p, int y, const char *extra,
    const char *cols, int colx)
{
	int	 focused = d->focus == p, n;

	ui_hline(y, 0, COLS, ROLE_BORDER);
	n = ui_textf(y, 1, COLS - 2, focused ? ROLE_SELECTED : ROLE_HEADER,
	    "%s %s", focused ? ui_glyph(G_ARROW) : " ", pane_names[p]);
	if (extra != NULL && *extra != '\0')
		n += ui_textf(y, 1 + n, COLS - 2 - n, ROLE_DIM, " %s ", extra);
	if (cols != NULL && colx > n + 2)
		ui_text(y, colx, COLS - colx, ROLE_DIM, cols);
}

/* Keep the selection inside [0, n) and on screen. */
static void
clamp_sel(struct dash *d, enum dash_pane p, int n, int rows)
{
	if (d->sel[p] >= n)
		d->sel[p] = n - 1;
	if (d->sel[p] < 0)
		d->sel[p] = 0;
	if (d->sel[p] < d->top[p])
		d->top[p] = d->sel[p];
	if (rows > 0 && d->sel[p] >= d->top[p] + rows)
		d->top[p] = d->sel[p] - rows + 1;
	if (d->top[p] > 0 && d->top[p] > n - rows)
		d->top[p] = n - rows > 0 ? n - rows : 0;
}

/* Column widths of the folders pane for the width w. */
struct fcols {
	int	 name, msgs, unseen, bar, last;
};

static void
folder_cols(int w, struct fcols *c)
{
	c->msgs = 7;
	c->unseen = 7;
	c->bar = w >= 110 ? 24 : w >= 90 ? 16 : 10;
	c->last = w >= 100 ? 20 : 13;
	c->name = w - 2 - c->msgs - c->unseen - c->bar - c->last - 4;
}

static void
draw_folder_row(const struct dash_folder *f, int y, int selected,
    const struct fcols *c, time_t wall)
{
	enum theme_role	 role = selected ? ROLE_SELECTED : ROLE_TEXT;
	char		 buf[64];
	int		 x = 1, ind = f->depth * 2;

	if (selected)
		ui_fill(y, 0, COLS, ROLE_SELECTED);
	if (ind > c->name / 2)
		ind = c->name / 2;
	ui_text(y, x + ind, c->name - ind, f->placeholder ? ROLE_DIM : role,
	    f->label);
	x += c->name + 1;
	if (f->have_counts) {
		ui_textf(y, x, c->msgs, role, "%*u", c->msgs, f->messages);
		ui_textf(y, x + c->msgs + 1, c->unseen, f->unseen > 0 &&
		    !selected ? ROLE_HEADER : role, "%*u", c->unseen, f->unseen);
	} else if (f->state == DF_RUN || f->state == DF_DONE)
		ui_textf(y, x, c->msgs, role, "%*llu", c->msgs,
		    (unsigned long long)f->total);
	x += c->msgs + c->unseen + 2;
	if (f->placeholder)
		return;
	switch (f->state) {
	case DF_RUN:
		draw_bar(y, x, c->bar, f->done, f->total, ROLE_PROGRESS);
		snprintf(buf, sizeof buf, "%llu/%llu", (unsigned long long)
		    f->done, (unsigned long long)f->total);
		ui_text(y, x + c->bar + 1, c->last, ROLE_PROGRESS, buf);
		break;
	case DF_DONE:
		draw_bar(y, x, c->bar, 1, 1, ROLE_OK);
		dash_fmt_ago(buf, sizeof buf, f->synced_at, wall);
		ui_text(y, x + c->bar + 1, c->last, role, buf);
		break;
	case DF_ERR:
		draw_bar(y, x, c->bar, f->done, f->total, ROLE_ERROR);
		ui_textf(y, x + c->bar + 1, c->last, ROLE_ERROR, "error: %s",
		    f->error != NULL ? f->error : "?");
		break;
	default:
		draw_bar(y, x, c->bar, 0, 1, ROLE_DIM);
		ui_text(y, x + c->bar + 1, c->last, ROLE_DIM, f->synced_at ?
		    "waiting" : "not yet");
		break;
	}
}

static void
draw_folders(struct dash *d, struct pane_geo *g, time_t wall)
{
	struct dash_account	*a = cur_acct(d);
	struct fcols		 c;
	char			 extra[64], cols[128];
	size_t			 i, nerr = 0, nrun = 0, n = 0;
	int			 row;

	if (a == NULL)
		return;
	if (!a->sorted)
		dash_model_sort(a);
	for (i = 0; i < a->nfolders; i++) {
		n += !a->folders[i].placeholder;
		nerr += a->folders[i].state == DF_ERR;
		nrun += a->folders[i].state == DF_RUN;
	}
	snprintf(extra, sizeof extra, "%zu%s%s", n,
	    nrun ? ", syncing" : "", nerr ? ", errors" : "");
	folder_cols(COLS, &c);
	snprintf(cols, sizeof cols, "%*s %*s  %-*s %s", c.msgs, "msgs",
	    c.unseen, "unseen", c.bar, "progress", "last sync");
	draw_pane_title(d, DP_FOLDERS, g->y, extra, cols, 1 + c.name + 1);
	clamp_sel(d, DP_FOLDERS, (int)a->nfolders, g->h);
	if (a->nfolders == 0 && g->h > 0)
		ui_text(g->y + 1, 2, COLS - 3, ROLE_DIM, a->run ==
		    DASH_RUN_SYNCING ? "listing the folders…" : "no folders "
		    "known yet");
	for (row = 0; row < g->h; row++) {
		i = (size_t)(d->top[DP_FOLDERS] + row);
		if (i >= a->nfolders)
			break;
		draw_folder_row(&a->folders[i], g->y + 1 + row,
		    d->focus == DP_FOLDERS && (int)i == d->sel[DP_FOLDERS], &c,
		    wall);
	}
}

static enum theme_role
slot_role(int st)
{
	switch (st) {
	case SLOT_FETCHING:
	case SLOT_SELECTING:
	case SLOT_RESOLVING:
	case SLOT_CONNECTING:
	case SLOT_TLS:
	case SLOT_AUTH:
		return ROLE_PROGRESS;
	case SLOT_IDLING:
		return ROLE_OK;
	case SLOT_CERT_PROMPT:
	case SLOT_BACKOFF:
		return ROLE_WARN;
	case SLOT_ERROR:
		return ROLE_ERROR;
	case SLOT_CLOSED:
		return ROLE_DIM;
	}
	return ROLE_TEXT;
}

struct scols {
	int	 role, state, folder, bytes, rate, since;
};

static void
slot_cols(int w, struct scols *c)
{
	c->role = w >= 100 ? 13 : 8;
	c->bytes = 8;
	c->rate = 10;
	c->since = 6;
	c->state = w >= 100 ? 28 : 21;
	c->folder = w - 4 - c->role - c->state - c->bytes - c->rate -
	    c->since - 6;
}

static void
draw_slot_row(struct dash *d, struct dash_slot *s, int id, int y, int sel,
    const struct scols *c, long long now)
{
	enum theme_role	 role = sel ? ROLE_SELECTED : ROLE_TEXT, sr;
	char		 b[32], st[256];
	int		 x = 1;
	size_t		 len;

	(void)d;
	if (sel)
		ui_fill(y, 0, COLS, ROLE_SELECTED);
	ui_textf(y, x, 2, role, "%d", id);
	x += 2;
	if (!s->used) {
		ui_text(y, x, COLS - x - 1, ROLE_DIM, "-");
		return;
	}
	ui_text(y, x, c->role, role, s->role != NULL ? s->role : "-");
	x += c->role + 1;
	snprintf(st, sizeof st, "%s", s->text != NULL ? s->text : "");
	len = strlen(st);
	if (s->folder != NULL && len > strlen(s->folder) + 1)
		st[len - strlen(s->folder) - 1] = '\0';
	sr = sel ? ROLE_SELECTED : slot_role(s->state);
	if (slot_busy(s->state)) {
		ui_text(y, x, 1, sr, ui_spinner());
		ui_animate();
	}
	ui_text(y, x + 2, c->state - 2, sr, st);
	x += c->state + 1;
	ui_text(y, x, c->folder, role, s->folder != NULL ? s->folder : "");
	x += c->folder + 1;
	dash_fmt_bytes(b, sizeof b, s->bytes);
	ui_textf(y, x, c->bytes, role, "%*s", c->bytes, b);
	x += c->bytes + 1;
	dash_fmt_bytes(b, sizeof b, (uint64_t)dash_rate_get(&s->rate, now));
	ui_textf(y, x, c->rate, role, "%*s/s", c->rate - 2, b);
	x += c->rate + 1;
	dash_fmt_dur(b, sizeof b, (now - s->since) / 1000);
	ui_textf(y, x, c->since, sel ? role : ROLE_DIM, "%*s", c->since, b);
}

static void
draw_slots(struct dash *d, struct pane_geo *g, long long now)
{
	struct dash_account	*a = cur_acct(d);
	struct scols		 c;
	char			 extra[600], cols[128];
	int			 i;

	if (a == NULL)
		return;
	slot_cols(COLS, &c);
	if (a->usable > 0 && a->usable < a->nslots)
		snprintf(extra, sizeof extra, "%d of %d usable: %s", a->usable,
		    a->nslots, a->pool_why != NULL ? a->pool_why : "");
	else
		snprintf(extra, sizeof extra, "%d busy of %d",
		    dash_account_busy(a), a->nslots);
	snprintf(cols, sizeof cols, "%-*s %*s %*s %*s", c.folder, "folder",
	    c.bytes, "bytes", c.rate, "rate", c.since, "since");
	draw_pane_title(d, DP_SLOTS, g->y, extra, cols, 3 + c.role + 1 +
	    c.state + 1);
	clamp_sel(d, DP_SLOTS, a->nslots, g->h);
	for (i = 0; i < g->h && d->top[DP_SLOTS] + i < a->nslots; i++) {
		int id = d->top[DP_SLOTS] + i;

		draw_slot_row(d, &a->slots[id], id + 1, g->y + 1 + i,
		    d->focus == DP_SLOTS && id == d->sel[DP_SLOTS], &c, now);
	}
}

static const char *
answer_name(int a)
{
	switch (a) {
	case TRUST_REJECT:
		return "rejected";
	case TRUST_ACCEPT_ONCE:
		return "accepted once";
	case TRUST_ACCEPT_ALWAYS:
		return "accepted always";
	}
	return "pending";
}

static void
draw_certs(struct dash *d, struct pane_geo *g)
{
	struct dash_model	*m = d->m;
	struct dash_cert	*c;
	char			 extra[64], t[16];
	struct tm		 tm;
	enum theme_role		 role;
	int			 row, sel;
	size_t			 i;

	snprintf(extra, sizeof extra, "%zu pending, %zu decided",
	    dash_model_certs_pending(m), m->ncerts -
	    dash_model_certs_pending(m));
	draw_pane_title(d, DP_CERTS, g->y, extra, NULL, 0);
	clamp_sel(d, DP_CERTS, (int)m->ncerts, g->h);
	if (m->ncerts == 0 && g->h > 0)
		ui_text(g->y + 1, 2, COLS - 3, ROLE_DIM, "no certificate "
		    "prompts so far");
	for (row = 0; row < g->h; row++) {
		i = (size_t)(d->top[DP_CERTS] + row);
		if (i >= m->ncerts)
			break;
		c = &m->certs[i];
		sel = d->focus == DP_CERTS && (int)i == d->sel[DP_CERTS];
		role = sel ? ROLE_SELECTED : c->answer == -1 ? ROLE_WARN :
		    c->answer == TRUST_REJECT ? ROLE_ERROR : ROLE_OK;
		if (sel)
			ui_fill(g->y + 1 + row, 0, COLS, ROLE_SELECTED);
		t[0] = '\0';
		if (localtime_r(c->answer == -1 ? &c->asked : &c->decided,
		    &tm) != NULL)
			strftime(t, sizeof t, "%H:%M:%S", &tm);
		ui_textf(g->y + 1 + row, 1, 58, role, "%-15s %-8s %s  "
		    "%s %s", answer_name(c->answer), t, c->account, c->proto,
		    c->hostport);
		ui_text(g->y + 1 + row, 60, COLS - 61, sel ? role : ROLE_DIM,
		    c->problem);
	}
}

static const char *
level_name(int l)
{
	switch (l) {
	case MC_LOG_ERROR:
		return "error";
	case MC_LOG_WARN:
		return "warn";
	case MC_LOG_INFO:
		return "info";
	}
	return "debug";
}

/* Indices of the log lines the filter shows, oldest first. */
static size_t
log_visible(struct dash *d, size_t *idx, size_t max)
{
	const struct dash_logline	*l;
	size_t				 i, n = 0;

	for (i = d->m->nlog; i > 0 && n < max; i--) {
		l = dash_model_log(d->m, i - 1);
		if (l->level <= d->log_level)
			idx[n++] = i - 1;
	}
	for (i = 0; i < n / 2; i++) {
		size_t t = idx[i];

		idx[i] = idx[n - 1 - i];
		idx[n - 1 - i] = t;
	}
	return n;
}

static void
draw_log(struct dash *d, struct pane_geo *g)
{
	static size_t			 idx[DASH_LOG_MAX];
	const struct dash_logline	*l;
	const char			*text, *sp;
	char				 extra[96];
	size_t				 n, first;
	int				 row, rows = g->h;
	enum theme_role			 role;

	n = log_visible(d, idx, DASH_LOG_MAX);
	if (d->log_back > (int)n - rows)
		d->log_back = (int)n - rows > 0 ? (int)n - rows : 0;
	snprintf(extra, sizeof extra, "level %s, l: change%s",
	    level_name(d->log_level), d->log_back > 0 ? ", End: follow" : "");
	draw_pane_title(d, DP_LOG, g->y, extra, NULL, 0);
	first = n > (size_t)rows + (size_t)d->log_back ? n - (size_t)rows -
	    (size_t)d->log_back : 0;
	for (row = 0; row < rows && first + (size_t)row < n; row++) {
		l = dash_model_log(d->m, idx[first + (size_t)row]);
		role = l->level == MC_LOG_ERROR ? ROLE_ERROR : l->level ==
		    MC_LOG_WARN ? ROLE_WARN : l->level == MC_LOG_DEBUG ?
		    ROLE_DIM : ROLE_TEXT;
		/* "2024-01-02T03:04:05Z INFO msg" -> "03:04:05 INFO msg" */
		text = l->text;
		if (d->focus == DP_LOG && first + (size_t)row == n - 1 -
		    (size_t)d->log_back) {
			ui_fill(g->y + 1 + row, 0, COLS, ROLE_SELECTED);
			role = ROLE_SELECTED;	/* what Enter opens */
		}
		if (strlen(text) > 20 && text[10] == 'T' && text[19] == 'Z' &&
		    (sp = strchr(text, ' ')) != NULL) {
			ui_textf(g->y + 1 + row, 1, 9, ROLE_DIM, "%.8s",
			    text + 11);
			ui_text(g->y + 1 + row, 10, COLS - 11, role, sp + 1);
		} else
			ui_text(g->y + 1 + row, 1, COLS - 2, role, text);
	}
}

/*
 * Heights: the header row, then the panes stacked.  Slots and
 * certificates take what they need, the folders and the log share the
 * rest (folders 60 %).  Zoomed: one pane takes it all.
 */
static void
layout(struct dash *d)
{
	struct dash_account	*a = cur_acct(d);
	int			 top = ui_body_top() + 1, h = ui_body_lines() - 1;
	int			 ns, nc, rest, nf, nl, i;

	memset(d->geo, 0, sizeof d->geo);
	for (i = 0; i < DP_COUNT; i++)
		d->geo[i].y = -1;
	if (d->zoom) {
		d->geo[d->focus].y = top;
		d->geo[d->focus].h = h - 1;
		return;
	}
	ns = a != NULL ? a->nslots : 1;
	nc = d->m->ncerts == 0 ? 1 : d->m->ncerts > 3 ? 3 :
	    (int)d->m->ncerts;
	rest = h - (ns + 1) - (nc + 1) - 2;
	if (rest < 4) {
		nc = 1;
		rest = h - (ns + 1) - (nc + 1) - 2;
	}
	nf = rest * 6 / 10;
	if (nf < 2)
		nf = 2;
	nl = rest - nf;
	if (nl < 1) {
		nl = 1;
		nf = rest - 1;
	}
	d->geo[DP_FOLDERS].y = top;
	d->geo[DP_FOLDERS].h = nf;
	d->geo[DP_SLOTS].y = top + nf + 1;
	d->geo[DP_SLOTS].h = ns;
	d->geo[DP_CERTS].y = d->geo[DP_SLOTS].y + ns + 1;
	d->geo[DP_CERTS].h = nc;
	d->geo[DP_LOG].y = d->geo[DP_CERTS].y + nc + 1;
	d->geo[DP_LOG].h = top + h - d->geo[DP_LOG].y - 1;
}

static void
dash_draw(void *arg)
{
	struct dash	*d = arg;
	long long	 now = mc_now_ms();
	time_t		 wall = time(NULL);

	layout(d);
	draw_title(d, now);
	draw_header(d, ui_body_top(), now);
	if (d->geo[DP_FOLDERS].y >= 0)
		draw_folders(d, &d->geo[DP_FOLDERS], wall);
	if (d->geo[DP_SLOTS].y >= 0)
		draw_slots(d, &d->geo[DP_SLOTS], now);
	if (d->geo[DP_CERTS].y >= 0)
		draw_certs(d, &d->geo[DP_CERTS]);
	if (d->geo[DP_LOG].y >= 0)
		draw_log(d, &d->geo[DP_LOG]);
	d->m->dirty = 0;
}

/* ------------------------------------------------------------ details */

struct detail {
	char	*title;
	char	*text;
	int	 scroll;
};

static void	 detail_draw(void *);
static void	 detail_key(void *, int);

static const struct ui_binding detail_keys[] = {
	{ UI_ESC, "Esc / Enter", "close", 0, "close" },
	{ UI_ENTER, NULL, NULL, 0, NULL },
	{ 'q', NULL, NULL, 0, NULL },
	{ UI_KEY(KEY_UP), "Up / Down", "scroll", 1, NULL },
	{ UI_KEY(KEY_DOWN), NULL, NULL, 2, NULL },
};

static const struct ui_screen detail_screen = {
	"Details", detail_draw, detail_key, NULL, NULL,
	detail_keys, sizeof detail_keys / sizeof detail_keys[0]
};

static void
detail_draw(void *arg)
{
	struct detail	*dt = arg;
	char		**parts, *line;
	const char	*p, *nl;
	size_t		 j;
	int		 h = ui_body_lines() - 2, w = COLS - 8, x, y = 3, row = 0;

	if (w > 100)
		w = 100;
	x = (COLS - w) / 2;
	ui_box(2, x, h, w, ROLE_BORDER, dt->title);
	for (p = dt->text; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(p, '\n');
		line = nl != NULL ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		parts = ui_wrap_split(w - 4, line, NULL);
		for (j = 0; j == 0 || parts[j] != NULL; j++) {
			if (row++ >= dt->scroll && y < 2 + h - 1)
				ui_text(y++, x + 2, w - 4, ROLE_TEXT,
				    parts[j] != NULL ? parts[j] : "");
			if (parts[j] == NULL)
				break;
		}
		ui_free_lines(parts);
		free(line);
	}
}

static void
detail_key(void *arg, int key)
{
	struct detail	*dt = arg;

	switch (ui_binding_find(detail_keys, sizeof detail_keys /
	    sizeof detail_keys[0], key)) {
	case 0:
		ui_pop_modal(dt);
		free(dt->title);
		free(dt->text);
		free(dt);
		break;
	case 1:
		if (dt->scroll > 0)
			dt->scroll--;
		break;
	case 2:
		dt->scroll++;
		break;
	}
}

static void
detail_open(const char *title, char *text)
{
	struct detail	*dt = xcalloc(1, sizeof *dt);

	dt->title = xstrdup(title);
	dt->text = text;
	sanitize_lines(dt->text);
	ui_push_modal(&detail_screen, dt);
}

static char *
folder_details(struct dash_account *a, const struct dash_folder *f)
{
	char	 ago[64];

	dash_fmt_ago(ago, sizeof ago, f->synced_at, time(NULL));
	return xasprintf("account: %s\nfolder: %s\nstate: %s\nmessages: %u "
	    "(%u unseen)\nlast complete sync: %s\nlast progress: %llu/%llu\n"
	    "%s%s", a->name, f->name, f->state == DF_RUN ? "syncing" :
	    f->state == DF_DONE ? "synced" : f->state == DF_ERR ? "error" :
	    "waiting", f->messages, f->unseen, ago, (unsigned long long)f->done,
	    (unsigned long long)f->total, f->error != NULL ? "error: " : "",
	    f->error != NULL ? f->error : "");
}

static char *
slot_details(struct dash_account *a, const struct dash_slot *s, int id)
{
	char	 b[32], r[32], since[32];
	long long now = mc_now_ms();

	dash_fmt_bytes(b, sizeof b, s->bytes);
	dash_fmt_bytes(r, sizeof r, (uint64_t)dash_rate_get(&s->rate, now));
	dash_fmt_dur(since, sizeof since, (now - s->since) / 1000);
	return xasprintf("account: %s\nslot: %d (%s)\nstate: %s\nfolder: %s\n"
	    "received: %s, now %s/s\nin this state for: %s\n%s%s", a->name, id,
	    s->role != NULL ? s->role : "-", s->text != NULL ? s->text : "-",
	    s->folder != NULL ? s->folder : "-", b, r, since, a->pool_why !=
	    NULL ? "pool: " : "", a->pool_why != NULL ? a->pool_why : "");
}

static void
dash_details(struct dash *d)
{
	struct dash_account	*a = cur_acct(d);
	const struct dash_logline *l;
	struct dash_cert	*c;
	size_t			 idx[DASH_LOG_MAX], n;
	char			 title[128];
	int			 i = d->sel[d->focus];

	if (a == NULL)
		return;
	switch (d->focus) {
	case DP_FOLDERS:
		if (i < 0 || (size_t)i >= a->nfolders)
			return;
		detail_open("Folder", folder_details(a, &a->folders[i]));
		break;
	case DP_SLOTS:
		if (i < 0 || i >= a->nslots || !a->slots[i].used)
			return;
		snprintf(title, sizeof title, "Slot %d", i + 1);
		detail_open(title, slot_details(a, &a->slots[i], i + 1));
		break;
	case DP_CERTS:
		if (i < 0 || (size_t)i >= d->m->ncerts)
			return;
		c = &d->m->certs[i];
		detail_open("Certificate", xasprintf("%s, %s (account %s)\n\n"
		    "%s", c->hostport, answer_name(c->answer), c->account,
		    c->report != NULL ? c->report : c->problem));
		break;
	case DP_LOG:
		n = log_visible(d, idx, DASH_LOG_MAX);
		if (n == 0)
			return;
		l = dash_model_log(d->m, idx[n - 1 - (size_t)d->log_back]);
		detail_open("Log line", xstrdup(l->text));
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ keys */

static int
pane_rows(struct dash *d, enum dash_pane p)
{
	struct dash_account	*a = cur_acct(d);

	switch (p) {
	case DP_FOLDERS:
		return a != NULL ? (int)a->nfolders : 0;
	case DP_SLOTS:
		return a != NULL ? a->nslots : 0;
	case DP_CERTS:
		return (int)d->m->ncerts;
	default:
		return 0;
	}
}

static void
move_sel(struct dash *d, int delta)
{
	int	 n, page = d->geo[d->focus].h > 1 ? d->geo[d->focus].h - 1 : 1;

	if (delta == 2 || delta == -2)
		delta = delta > 0 ? page : -page;
	if (d->focus == DP_LOG) {
		d->log_back -= delta;	/* up: back in time */
		if (d->log_back < 0)
			d->log_back = 0;
		return;
	}
	n = pane_rows(d, d->focus);
	d->sel[d->focus] += delta;
	if (d->sel[d->focus] >= n)
		d->sel[d->focus] = n - 1;
	if (d->sel[d->focus] < 0)
		d->sel[d->focus] = 0;
}

static void
focus_pane(struct dash *d, int dir)
{
	d->focus = (enum dash_pane)(((int)d->focus + dir + DP_COUNT) %
	    DP_COUNT);
}

static void
pane_at(struct dash *d, int y)
{
	int	 p;

	for (p = 0; p < DP_COUNT; p++) {
		if (d->geo[p].y < 0 || y < d->geo[p].y ||
		    y > d->geo[p].y + d->geo[p].h)
			continue;
		d->focus = (enum dash_pane)p;
		if (y > d->geo[p].y && p != DP_LOG)
			d->sel[p] = d->top[p] + y - d->geo[p].y - 1;
		return;
	}
}

static void
dash_mouse(struct dash *d)
{
	const MEVENT	*me = ui_mouse();

	if (me->bstate & BUTTON4_PRESSED)
		move_sel(d, -1);
	else if (me->bstate & BUTTON5_PRESSED)
		move_sel(d, 1);
	else if (me->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
		pane_at(d, me->y);
}

static void
dash_action(struct dash *d, int act, int key)
{
	switch (act) {
	case DA_NEXT:
	case DA_PREV:
		focus_pane(d, act == DA_NEXT ? 1 : -1);
		break;
	case DA_UP:
	case DA_DOWN:
		move_sel(d, act == DA_UP ? -1 : 1);
		break;
	case DA_PGUP:
	case DA_PGDN:
		move_sel(d, act == DA_PGUP ? -2 : 2);
		break;
	case DA_HOME:
		if (d->focus == DP_LOG)
			d->log_back = DASH_LOG_MAX;
		d->sel[d->focus] = 0;
		break;
	case DA_END:
		if (d->focus == DP_LOG)
			d->log_back = 0;
		d->sel[d->focus] = pane_rows(d, d->focus) - 1;
		break;
	case DA_ENTER:
		dash_details(d);
		break;
	case DA_SYNC:
		d->ops.sync_now(d->ops.arg, d->cur);
		break;
	case DA_PAUSE:
		d->ops.pause(d->ops.arg, d->cur);
		break;
	case DA_CERTS:
		d->focus = DP_CERTS;
		if (d->m->ncerts > 0)
			d->sel[DP_CERTS] = (int)d->m->ncerts - 1;
		else
			ui_notice(ROLE_DIM, "no certificate prompts so far; "
			    "pinned certificates: mailconn certs list");
		break;
	case DA_ADD:
		d->ops.add_account(d->ops.arg);
		break;
	case DA_LEVEL:
		d->log_level = d->log_level == MC_LOG_DEBUG ? MC_LOG_ERROR :
		    d->log_level + 1;
		d->log_back = 0;
		break;
	case DA_ZOOM:
		d->zoom = !d->zoom;
		break;
	case DA_ACCT_PREV:
	case DA_ACCT_NEXT:
		if (d->m->nacct > 0)
			dash_select(d, (int)(((size_t)d->cur + d->m->nacct +
			    (act == DA_ACCT_NEXT ? 1 : d->m->nacct - 1)) %
			    d->m->nacct));
		break;
	case DA_ACCT_N:
		if ((size_t)(key - '1') < d->m->nacct)
			dash_select(d, key - '1');
		break;
	case DA_QUIT:
		d->ops.quit(d->ops.arg, 0);
		break;
	}
}

static void
dash_key(void *arg, int key)
{
	struct dash	*d = arg;
	int		 act;

	if (key == UI_MOUSE) {
		dash_mouse(d);
		return;
	}
	if (key == UI_ESC && d->zoom) {
		d->zoom = 0;
		return;
	}
	act = ui_binding_find(dash_keys, sizeof dash_keys / sizeof dash_keys[0],
	    key);
	if (act >= 0)
		dash_action(d, act, key);
}

static void
dash_event(void *arg, struct event *ev)
{
	struct dash	*d = arg;

	if (ev->type == EV_TASK_DONE && ev->id == DASH_NUDGE) {
		d->ops.drain(d->ops.arg);
		return;
	}
	/* Engine events posted straight to ui_queue() work as well. */
	if (ev->type != EV_TASK_STEP && ev->type != EV_TASK_DONE)
		dash_model_event(d->m, ev, mc_now_ms(), time(NULL));
}

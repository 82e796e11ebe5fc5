/*
 * sync.c -- one folder: SELECT, UIDVALIDITY, expunges, flags, new
 * messages streamed into the Maildir in durable batches; and IDLE.
 * Contract and the crash-safety argument in sync.h.
 */
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "log.h"
#include "maildir.h"
#include "net.h"
#include "state.h"
#include "sync.h"

#define PROGRESS_MS	200

/*
 * Test hook (after isync's hidden -T switches): MAILCONN_CRASH_AT=POINT
 * kills the process with SIGKILL at that point of the first batch, so the
 * integration tests can prove recovery from each one deterministically.
 */
enum crash_point {
	CRASH_NONE, CRASH_TMP, CRASH_RENAMED, CRASH_COMMITTED, CRASH_FLAGS,
	CRASH_EXPUNGE, CRASH_STOP
};
static const char *crash_names[] = {
	"", "tmp", "renamed", "committed", "flags", "expunge", "stop"
};
static unsigned	 stop_count;	/* messages received, for CRASH_STOP */

struct sync_ctx {
	struct sync_opts	 o;
	char			*account;
	char			*root;
	struct state		*st;
	int			 qresync;	/* enabled on this session */
	int			 no_modseq;	/* test hook: act as without */
	enum crash_point	 crash;
};

/* A flag change the server reported: applied once the folder is valid. */
struct flagchg {
	uint32_t	 uid;
	unsigned	 flags;
};

/* One sync_folder() run. */
struct run {
	struct sync_ctx		*c;
	struct imap_session	*s;
	const char		*name;
	struct state_folder	 f;
	struct maildir		*md;
	struct sync_stats	*stats;

	/* receiving new messages */
	int			 fetching;
	uint32_t		 start;		/* lowest UID wanted */
	const uint32_t		*want;		/* sorted, or NULL: all >= start */
	size_t			 nwant;
	struct maildir_batch	 batch;
	struct maildir_msg	*cur;
	long long		 batch_ms;
	uint32_t		 done, total;
	long long		 progress_ms;

	/* collecting flags (SELECT QRESYNC, CHANGEDSINCE, full compare) */
	int			 collecting;
	struct flagchg		*chg;
	size_t			 nchg, capchg;

	int			 failed;	/* inside a libetpan callback */
	struct mc_err		 ferr;
};

/* What one FETCH response carried. */
struct att_info {
	uint32_t	 uid;
	unsigned	 flags;
	int		 has_flags;
	int		 has_body;
	uint64_t	 size;
};

struct sync_idle {
	pthread_mutex_t	 lock;
	mailstream	*active;	/* between setup and unsetup */
	int		 pending;
};

static int	 stopping(const struct sync_ctx *);
static void	 post_progress(struct run *, int, const char *);
static void	 report_progress(struct run *, int);
static void	 att_parse(struct mailimap_msg_att *, struct att_info *);
static void	 att_handler(struct mailimap_msg_att *, void *);
static bool	 body_handler(int, struct mailimap_msg_att_body_section *,
		     const char *, size_t, void *);
static void	 handlers_on(struct run *);
static void	 handlers_off(struct run *);
static int	 commit_batch(struct run *, int, struct mc_err *);
static int	 open_folder(struct run *, const struct imap_folder *,
		     struct mc_err *);
static int	 reconcile(struct run *, struct mc_err *);
static int	 do_select(struct run *, const char *, uint32_t *, uint32_t *,
		     uint32_t *, uint64_t *, struct mc_err *);
static int	 apply_vanished(struct run *, struct mc_err *);
static int	 apply_flags(struct run *, struct mc_err *);
static int	 fetch_flags(struct run *, uint32_t, uint64_t, struct mc_err *);
static int	 fetch_new(struct run *, uint32_t, uint32_t, struct mc_err *);
static int	 search_uids(struct run *, struct mailimap_set *, uint32_t **,
		     size_t *, struct mc_err *);
static int	 expunge_by_search(struct run *, struct mc_err *);
static int	 remove_uids(struct run *, const uint32_t *, size_t,
		     struct mc_err *);
static int	 uid_cmp(const void *, const void *);
static int	 chg_cmp(const void *, const void *);
static void	 fail_cb(struct run *, const struct mc_err *);
static struct mailimap_fetch_type *fetch_type_flags(void);

/* --- context ------------------------------------------------------------ */

int
sync_new(const struct sync_opts *o, struct sync_ctx **out, struct mc_err *err)
{
	struct sync_ctx	*c;
	char		*path;

	*out = NULL;
	c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->account = xstrdup(o->account != NULL ? o->account : "");
	c->root = xstrdup(o->root);
	c->o.account = c->account;
	c->o.root = c->root;
	if (c->o.batch_msgs == 0)
		c->o.batch_msgs = SYNC_BATCH_MSGS;
	if (c->o.batch_bytes == 0)
		c->o.batch_bytes = SYNC_BATCH_BYTES;
	/* Test hook: the path for servers without CONDSTORE (Courier). */
	c->no_modseq = getenv("MAILCONN_NO_CONDSTORE") != NULL;
	if (getenv("MAILCONN_CRASH_AT") != NULL) {
		size_t	i;

		for (i = 1; i < sizeof crash_names / sizeof *crash_names; i++)
			if (strcmp(getenv("MAILCONN_CRASH_AT"),
			    crash_names[i]) == 0)
				c->crash = (enum crash_point)i;
	}
	path = state_path_for(c->root);
	if (state_open(path, &c->st, err) == -1) {
		free(path);
		sync_free(c);
		return -1;
	}
	free(path);
	*out = c;
	return 0;
}

void
sync_free(struct sync_ctx *c)
{
	if (c == NULL)
		return;
	state_close(c->st);
	free(c->account);
	free(c->root);
	free(c);
}

static void
crash_at(const struct sync_ctx *c, enum crash_point at)
{
	/* "stop": SIGSTOP (the whole process) in the middle of a download,
	 * once, so that a test can break the server meanwhile. */
	if (c->crash == CRASH_STOP && at == CRASH_TMP) {
		if (__atomic_add_fetch(&stop_count, 1, __ATOMIC_RELAXED) == 20) {
			log_warn("sync: MAILCONN_CRASH_AT=stop: stopping myself");
			raise(SIGSTOP);
		}
		return;
	}
	if (c->crash == at) {
		log_warn("sync: MAILCONN_CRASH_AT=%s: killing myself",
		    crash_names[at]);
		raise(SIGKILL);
	}
}

static void
beat(const struct sync_ctx *c, long long v)
{
	if (c->o.heartbeat != NULL)
		__atomic_store_n(c->o.heartbeat, v, __ATOMIC_RELAXED);
}

static int
stopping(const struct sync_ctx *c)
{
	return c->o.stop != NULL && __atomic_load_n(c->o.stop,
	    __ATOMIC_RELAXED) != 0;
}

int
sync_session_init(struct sync_ctx *c, struct imap_session *s,
    struct mc_err *err)
{
	struct mailimap_capability_data	*want, *got = NULL;
	struct mailimap_capability	*cap;
	clist				*l;
	clistiter			*it;
	int				 rc;

	c->qresync = 0;
	if (c->no_modseq || !imap_has_cap(s, "QRESYNC") ||
	    !imap_has_cap(s, "ENABLE"))
		return 0;
	l = clist_new();
	cap = mailimap_capability_new(MAILIMAP_CAPABILITY_NAME, NULL,
	    xstrdup("QRESYNC"));
	clist_append(l, cap);
	want = mailimap_capability_data_new(l);
	rc = mailimap_enable(s->imap, want, &got);
	mailimap_capability_data_free(want);
	if (rc != MAILIMAP_NO_ERROR) {
		if (rc == MAILIMAP_ERROR_STREAM || rc == MAILIMAP_ERROR_FATAL) {
			imap_set_error(s, rc, "enabling QRESYNC", err);
			return -1;
		}
		log_info("sync: %s: the server refused ENABLE QRESYNC; using "
		    "CONDSTORE", c->account);
		return 0;
	}
	if (got != NULL) {
		for (it = clist_begin(got->cap_list); it != NULL;
		    it = clist_next(it)) {
			cap = clist_content(it);
			if (cap->cap_type == MAILIMAP_CAPABILITY_NAME &&
			    cap->cap_data.cap_name != NULL &&
			    strcasecmp(cap->cap_data.cap_name, "QRESYNC") == 0)
				c->qresync = 1;
		}
		mailimap_capability_data_free(got);
	}
	return 0;
}

int
sync_folder_wanted(const char *patterns, const char *name)
{
	const char	*p, *start;
	char		*pat;
	int		 wanted = 0, neg;

	if (patterns == NULL || *patterns == '\0')
		return 1;
	p = patterns;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		neg = 0;
		if (*p == '!') {
			neg = 1;
			p++;
		}
		if (*p == '"') {
			start = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			pat = xstrndup(start, (size_t)(p - start));
			if (*p == '"')
				p++;
		} else {
			start = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			pat = xstrndup(start, (size_t)(p - start));
		}
		/* INBOX is case-insensitive (RFC 3501 5.1). */
		if (fnmatch(pat, name, 0) == 0 ||
		    (strcasecmp(pat, "INBOX") == 0 &&
		    strcasecmp(name, "INBOX") == 0))
			wanted = !neg;
		free(pat);
	}
	return wanted;
}

/* --- events ------------------------------------------------------------- */

static void
post_progress(struct run *r, int status, const char *text)
{
	struct event	*ev;

	if (r->c->o.events == NULL)
		return;
	ev = event_new(EV_FOLDER_PROGRESS);
	ev->account = xstrdup(r->c->account);
	ev->name = xstrdup(r->name);
	ev->n = r->done;
	ev->total = r->total;
	ev->status = status;
	if (text != NULL)
		ev->text = xstrdup(text);
	events_post(r->c->o.events, ev);
}

/* Rate-limited: the slot's "fetching n/N" and the folder's progress. */
static void
report_progress(struct run *r, int force)
{
	long long	now = mc_now_ms();

	if (!force && now - r->progress_ms < PROGRESS_MS)
		return;
	r->progress_ms = now;
	if (r->c->o.progress != NULL)
		r->c->o.progress(r->c->o.progress_arg, r->name, r->done,
		    r->total, r->stats->bytes);
	post_progress(r, 0, NULL);
}

/* --- FETCH responses ---------------------------------------------------- */

static void
att_parse(struct mailimap_msg_att *att, struct att_info *ai)
{
	struct mailimap_msg_att_item	*item;
	struct mailimap_flag_fetch	*ff;
	clistiter			*it, *jt;

	memset(ai, 0, sizeof *ai);
	if (att == NULL || att->att_list == NULL)
		return;
	for (it = clist_begin(att->att_list); it != NULL; it = clist_next(it)) {
		item = clist_content(it);
		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			ai->has_flags = 1;
			if (item->att_data.att_dyn == NULL ||
			    item->att_data.att_dyn->att_list == NULL)
				continue;
			for (jt = clist_begin(item->att_data.att_dyn->att_list);
			    jt != NULL; jt = clist_next(jt)) {
				ff = clist_content(jt);
				if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
				    ff->fl_flag == NULL)
					continue;
				switch (ff->fl_flag->fl_type) {
				case MAILIMAP_FLAG_ANSWERED:
					ai->flags |= MDF_ANSWERED;
					break;
				case MAILIMAP_FLAG_FLAGGED:
					ai->flags |= MDF_FLAGGED;
					break;
				case MAILIMAP_FLAG_DELETED:
					ai->flags |= MDF_TRASHED;
					break;
				case MAILIMAP_FLAG_SEEN:
					ai->flags |= MDF_SEEN;
					break;
				case MAILIMAP_FLAG_DRAFT:
					ai->flags |= MDF_DRAFT;
					break;
				}
			}
		} else if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    item->att_data.att_static != NULL) {
			switch (item->att_data.att_static->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				ai->uid = item->att_data.att_static->att_data.
				    att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				ai->size = item->att_data.att_static->att_data.
				    att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_BODY_SECTION:
			case MAILIMAP_MSG_ATT_RFC822:
				ai->has_body = 1;
				break;
			}
		}
	}
}

static void
fail_cb(struct run *r, const struct mc_err *e)
{
	if (!r->failed) {
		r->failed = 1;
		r->ferr = *e;
	}
}

static int
wanted_uid(const struct run *r, uint32_t uid)
{
	if (uid == 0 || uid < r->start)
		return 0;
	if (r->want == NULL)
		return 1;
	return bsearch(&uid, r->want, r->nwant, sizeof uid, uid_cmp) != NULL;
}

/* Called by libetpan after each whole FETCH response. */
static void
att_handler(struct mailimap_msg_att *att, void *arg)
{
	struct run	*r = arg;
	struct att_info	 ai;
	struct mc_err	 e;

	att_parse(att, &ai);
	if (r->fetching && ai.has_body) {
		if (r->failed) {
			maildir_msg_abort(r->cur);
			r->cur = NULL;
			return;
		}
		if (r->cur == NULL &&
		    maildir_msg_begin(r->md, &r->cur, &e) == -1) {
			fail_cb(r, &e);
			return;
		}
		if (!wanted_uid(r, ai.uid)) {
			/* "N:*" answers the last message even below N */
			maildir_msg_abort(r->cur);
			r->cur = NULL;
			return;
		}
		if (maildir_msg_end(r->cur, &r->batch, ai.uid, ai.flags,
		    ai.size, &e) == -1) {
			r->cur = NULL;
			fail_cb(r, &e);
			return;
		}
		r->cur = NULL;
		r->done++;
		if (r->batch.n >= 2 || r->c->crash == CRASH_STOP)
			crash_at(r->c, CRASH_TMP);
		if (r->batch.n >= r->c->o.batch_msgs ||
		    r->batch.bytes >= r->c->o.batch_bytes ||
		    mc_now_ms() - r->batch_ms >= SYNC_BATCH_MS) {
			if (commit_batch(r, 0, &e) == -1)
				fail_cb(r, &e);
		}
		report_progress(r, 0);
		return;
	}
	if (r->collecting && ai.has_flags && ai.uid != 0) {
		if (r->nchg == r->capchg) {
			r->capchg = r->capchg == 0 ? 256 : r->capchg * 2;
			r->chg = xrealloc(r->chg, r->capchg * sizeof *r->chg);
		}
		r->chg[r->nchg].uid = ai.uid;
		r->chg[r->nchg].flags = ai.flags;
		r->nchg++;
	}
	/* Anything else (an unsolicited flag update while downloading) is
	 * caught by the next sync: the stored modseq predates it. */
}

/* Called by libetpan with each piece of a message body as it arrives. */
static bool
body_handler(int type, struct mailimap_msg_att_body_section *sec,
    const char *bytes, size_t len, void *arg)
{
	struct run	*r = arg;
	struct mc_err	 e;

	(void)type;
	(void)sec;
	if (!r->fetching)
		return true;
	if (r->failed)
		return false;
	if (stopping(r->c)) {
		mc_err_set(&e, MCE_CANCELLED, "The sync of %s was stopped.",
		    r->name);
		fail_cb(r, &e);
		return false;
	}
	if (r->cur == NULL && maildir_msg_begin(r->md, &r->cur, &e) == -1) {
		fail_cb(r, &e);
		return false;
	}
	if (maildir_msg_write(r->cur, bytes, len, &e) == -1) {
		fail_cb(r, &e);
		return false;
	}
	r->stats->bytes += len;
	beat(r->c, mc_now_ms());
	return true;
}

static void
no_progress(size_t cur, size_t max, void *arg)
{
	(void)cur;
	(void)max;
	(void)arg;
}

/*
 * libetpan 1.9.4 calls the msg_att handler only when a progress callback
 * is set too (mailimap_parse_response), hence the no-op one.
 */
static void
handlers_on(struct run *r)
{
	mailimap_set_progress_callback(r->s->imap, NULL, no_progress, NULL);
	mailimap_set_msg_att_handler(r->s->imap, att_handler, r);
	mailimap_set_msg_body_handler(r->s->imap, body_handler, r);
}

static void
handlers_off(struct run *r)
{
	if (r->s == NULL || r->s->imap == NULL)
		return;
	mailimap_set_progress_callback(r->s->imap, NULL, NULL, NULL);
	mailimap_set_msg_att_handler(r->s->imap, NULL, NULL);
	mailimap_set_msg_body_handler(r->s->imap, NULL, NULL);
}

/* --- batches ------------------------------------------------------------ */

/*
 * Files durable and in place, then their rows in one transaction.  final:
 * the fetch is complete; the same transaction records it.
 */
static int
commit_batch(struct run *r, int final, struct mc_err *err)
{
	struct state_msg	 m;
	size_t			 i;

	if (r->batch.n > 0 &&
	    maildir_batch_commit(r->md, &r->batch, err) == -1) {
		maildir_batch_discard(r->md, &r->batch);
		return -1;
	}
	if (r->batch.n == 0 && !final)
		return 0;
	if (r->batch.n > 0)
		crash_at(r->c, CRASH_RENAMED);
	if (state_begin(r->c->st, err) == -1)
		return -1;
	for (i = 0; i < r->batch.n; i++) {
		m.uid = r->batch.items[i].uid;
		m.flags = r->batch.items[i].flags;
		m.size = r->batch.items[i].size;
		m.filename = r->batch.items[i].final;
		if (state_msg_put(r->c->st, r->f.id, &m, err) == -1) {
			state_rollback(r->c->st);
			return -1;
		}
	}
	if (final && state_folder_put(r->c->st, &r->f, err) == -1) {
		state_rollback(r->c->st);
		return -1;
	}
	if (state_commit(r->c->st, err) == -1)
		return -1;
	if (r->batch.n > 0)
		crash_at(r->c, CRASH_COMMITTED);
	r->stats->fetched += (uint32_t)r->batch.n;
	maildir_batch_reset(&r->batch);
	r->batch_ms = mc_now_ms();
	return 0;
}

/* --- steps -------------------------------------------------------------- */

static int
open_folder(struct run *r, const struct imap_folder *folder,
    struct mc_err *err)
{
	int	rc;

	rc = state_folder_get(r->c->st, folder->name, &r->f, err);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		r->f.name = xstrdup(folder->name);
		r->f.path = maildir_folder_path(folder->name, folder->delim);
		r->f.delim = folder->delim;
		if (state_folder_put(r->c->st, &r->f, err) == -1)
			return -1;
	}
	if (maildir_open(r->c->root, r->f.path, &r->md, err) == -1)
		return -1;
	maildir_clean_tmp(r->md);
	if (r->f.dirty && reconcile(r, err) == -1)
		return -1;
	return 0;
}

/*
 * A run was killed after renaming files into place and before their rows
 * committed: adopt every file whose UID has no row.
 */
static int
reconcile(struct run *r, struct mc_err *err)
{
	struct maildir_entry	*v;
	struct state_msg	 m, row;
	size_t			 n, i;
	uint32_t		 adopted = 0;
	int			 rc;

	if (maildir_scan(r->md, &v, &n, err) == -1)
		return -1;
	if (state_begin(r->c->st, err) == -1) {
		maildir_entries_free(v, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && v[i].uid == v[i - 1].uid) {
			log_warn("sync: %s: two files carry UID %u: %s and %s",
			    r->name, v[i].uid, v[i - 1].name, v[i].name);
			continue;
		}
		rc = state_msg_get(r->c->st, r->f.id, v[i].uid, &row, err);
		if (rc == -1)
			goto fail;
		if (rc == 0) {
			state_msg_clear(&row);
			continue;
		}
		m.uid = v[i].uid;
		m.flags = v[i].flags;
		m.size = v[i].disk;
		m.filename = v[i].name;
		if (state_msg_put(r->c->st, r->f.id, &m, err) == -1)
			goto fail;
		adopted++;
	}
	r->f.dirty = 0;
	if (state_folder_put(r->c->st, &r->f, err) == -1 ||
	    state_commit(r->c->st, err) == -1)
		goto fail;
	maildir_entries_free(v, n);
	r->stats->adopted = adopted;
	if (adopted > 0)
		log_info("sync: %s/%s: adopted %u message%s an interrupted run "
		    "had written", r->c->account, r->name, adopted,
		    adopted == 1 ? "" : "s");
	return 0;
fail:
	state_rollback(r->c->st);
	maildir_entries_free(v, n);
	return -1;
}

static uint64_t
resp_modseq(mailimap *imap)
{
	struct mailimap_extension_data		*ext;
	struct mailimap_condstore_resptextcode	*rc;
	clistiter				*it;
	uint64_t				 v = 0;

	if (imap->imap_response_info == NULL ||
	    imap->imap_response_info->rsp_extension_list == NULL)
		return 0;
	for (it = clist_begin(imap->imap_response_info->rsp_extension_list);
	    it != NULL; it = clist_next(it)) {
		ext = clist_content(it);
		if (ext->ext_extension->ext_id != MAILIMAP_EXTENSION_CONDSTORE ||
		    ext->ext_type != MAILIMAP_CONDSTORE_TYPE_RESP_TEXT_CODE ||
		    (rc = ext->ext_data) == NULL)
			continue;
		if (rc->cs_type == MAILIMAP_CONDSTORE_RESPTEXTCODE_HIGHESTMODSEQ)
			v = rc->cs_data.cs_modseq_value;
		else if (rc->cs_type ==
		    MAILIMAP_CONDSTORE_RESPTEXTCODE_NOMODSEQ)
			v = 0;
	}
	return v;
}

/*
 * SELECT, with CONDSTORE where offered.  (Not libetpan's
 * mailimap_select_qresync: 1.9.4 sends "SELECT mb QRESYNC (...)" without
 * the parentheses RFC 7162 requires, and Dovecot then ignores the
 * parameter.  The changes come from UID FETCH ... (CHANGEDSINCE VANISHED)
 * instead, one round trip more.)
 */
static int
do_select(struct run *r, const char *wire, uint32_t *uidvalidity,
    uint32_t *uidnext, uint32_t *exists, uint64_t *modseq,
    struct mc_err *err)
{
	struct mailimap_selection_info	*si;
	char				 what[400];
	int				 rc;

	*modseq = 0;
	if (!r->c->no_modseq && (imap_has_cap(r->s, "CONDSTORE") ||
	    r->c->qresync))
		rc = mailimap_select_condstore(r->s->imap, wire, modseq);
	else
		rc = mailimap_select(r->s->imap, wire);
	if (rc != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof what, "opening the folder \"%s\"",
		    r->name);
		imap_set_error(r->s, rc, what, err);
		return -1;
	}
	/* NULL after a failed SELECT (TESTBED 4.4); be careful anyway. */
	si = r->s->imap->imap_selection_info;
	if (si == NULL) {
		mc_err_set(err, MCE_PROTOCOL, "The server opened the folder "
		    "\"%s\" but said nothing about it.", r->name);
		return -1;
	}
	*uidvalidity = si->sel_uidvalidity;
	*uidnext = si->sel_uidnext;
	*exists = si->sel_exists;
	if (*modseq == 0 && !r->c->no_modseq)
		*modseq = resp_modseq(r->s->imap);
	return 0;
}

struct collect_rm {
	uint32_t	*uids;
	size_t		 n, cap;
};

static int
collect_row(const struct state_msg *m, void *arg)
{
	struct collect_rm	*c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->uids = xrealloc(c->uids, c->cap * sizeof *c->uids);
	}
	c->uids[c->n++] = m->uid;
	return 0;
}

/* VANISHED (EARLIER) uid-set from the QRESYNC SELECT. */
static int
apply_vanished(struct run *r, struct mc_err *err)
{
	struct mailimap_extension_data		*ext;
	struct mailimap_qresync_vanished	*van;
	struct mailimap_set_item		*item;
	struct collect_rm			 c = { 0 };
	clistiter				*it, *jt;
	clist					*exts;
	uint32_t				 lo, hi;
	int					 rc;

	if (r->s->imap->imap_response_info == NULL)
		return 0;
	exts = r->s->imap->imap_response_info->rsp_extension_list;
	for (it = clist_begin(exts); it != NULL; it = clist_next(it)) {
		ext = clist_content(it);
		if (ext->ext_extension->ext_id != MAILIMAP_EXTENSION_QRESYNC ||
		    ext->ext_type != MAILIMAP_QRESYNC_TYPE_VANISHED ||
		    (van = ext->ext_data) == NULL ||
		    van->qr_known_uids == NULL)
			continue;
		for (jt = clist_begin(van->qr_known_uids->set_list);
		    jt != NULL; jt = clist_next(jt)) {
			item = clist_content(jt);
			lo = item->set_first;
			hi = item->set_last;
			if (lo == 0)
				lo = UINT32_MAX;
			if (hi == 0)
				hi = UINT32_MAX;
			if (lo > hi) {
				uint32_t t = lo;

				lo = hi;
				hi = t;
			}
			if (state_msg_foreach(r->c->st, r->f.id, lo, hi,
			    collect_row, &c, err) == -1) {
				free(c.uids);
				return -1;
			}
		}
	}
	rc = remove_uids(r, c.uids, c.n, err);
	free(c.uids);
	return rc;
}

/* Unlink the files and forget the rows of these UIDs (one transaction). */
static int
remove_uids(struct run *r, const uint32_t *uids, size_t n, struct mc_err *err)
{
	struct state_msg	 m;
	size_t			 i;
	int			 rc;

	if (n == 0)
		return 0;
	if (state_begin(r->c->st, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		rc = state_msg_get(r->c->st, r->f.id, uids[i], &m, err);
		if (rc == -1)
			goto fail;
		if (rc == 1)
			continue;
		if (maildir_remove(r->md, m.filename, m.uid, err) == -1) {
			state_msg_clear(&m);
			goto fail;
		}
		state_msg_clear(&m);
		crash_at(r->c, CRASH_EXPUNGE);
		if (state_msg_del(r->c->st, r->f.id, uids[i], err) == -1)
			goto fail;
		r->stats->expunged++;
	}
	/* the unlinks reach the disk before the rows go */
	if (maildir_sync_dirs(r->md, err) == -1)
		goto fail;
	return state_commit(r->c->st, err);
fail:
	state_rollback(r->c->st);
	return -1;
}

static int
chg_cmp(const void *a, const void *b)
{
	const struct flagchg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct flag_walk {
	struct flagchg	*chg;
	size_t		 n, i;
	struct flagchg	*flagged;		/* rows whose flags differ */
	char	       **names;
	size_t		 nflagged, cap;
};

static int
flag_row(const struct state_msg *m, void *arg)
{
	struct flag_walk	*w = arg;

	while (w->i < w->n && w->chg[w->i].uid < m->uid)
		w->i++;
	if (w->i == w->n)
		return 1;			/* nothing more to compare */
	if (w->chg[w->i].uid != m->uid || w->chg[w->i].flags == m->flags)
		return 0;
	if (w->nflagged == w->cap) {
		w->cap = w->cap == 0 ? 64 : w->cap * 2;
		w->flagged = xrealloc(w->flagged, w->cap * sizeof *w->flagged);
		w->names = xrealloc(w->names, w->cap * sizeof *w->names);
	}
	w->flagged[w->nflagged] = w->chg[w->i];
	w->names[w->nflagged] = xstrdup(m->filename);
	w->nflagged++;
	return 0;
}

/*
 * The server's flags in r->chg against the rows: rename what the server
 * changed, update those rows.
 */
static int
apply_flags(struct run *r, struct mc_err *err)
{
	struct flag_walk	 w = { 0 };
	struct state_msg	 m;
	struct mc_err		 e;
	size_t			 i, j;
	int			 rc = -1;

	if (r->nchg == 0)
		return 0;
	qsort(r->chg, r->nchg, sizeof *r->chg, chg_cmp);
	/* the last report of a UID wins */
	for (i = j = 0; i < r->nchg; i++) {
		if (j > 0 && r->chg[j - 1].uid == r->chg[i].uid)
			r->chg[j - 1] = r->chg[i];
		else
			r->chg[j++] = r->chg[i];
	}
	r->nchg = j;
	w.chg = r->chg;
	w.n = r->nchg;
	if (state_msg_foreach(r->c->st, r->f.id, r->chg[0].uid,
	    r->chg[r->nchg - 1].uid, flag_row, &w, err) == -1)
		goto out;
	if (w.nflagged > 0 && state_begin(r->c->st, err) == -1)
		goto out;
	for (i = 0; i < w.nflagged; i++) {
		if (maildir_set_flags(r->md, &w.names[i], w.flagged[i].uid,
		    w.flagged[i].flags, &e) == -1) {
			if (e.kind != MCE_NOTFOUND) {
				*err = e;
				state_rollback(r->c->st);
				goto out;
			}
			/* deleted locally: the row keeps it from coming back */
			log_debug("sync: %s: %s", r->name, e.msg);
		}
		crash_at(r->c, CRASH_FLAGS);
		m.uid = w.flagged[i].uid;
		m.flags = w.flagged[i].flags;
		m.size = 0;
		{
			struct state_msg old;

			if (state_msg_get(r->c->st, r->f.id, m.uid, &old,
			    err) == 0) {
				m.size = old.size;
				state_msg_clear(&old);
			}
		}
		m.filename = w.names[i];
		if (state_msg_put(r->c->st, r->f.id, &m, err) == -1) {
			state_rollback(r->c->st);
			goto out;
		}
		r->stats->flagged++;
	}
	/* the renames reach the disk before the rows saying so */
	if (w.nflagged > 0 && (maildir_sync_dirs(r->md, err) == -1 ||
	    state_commit(r->c->st, err) == -1)) {
		state_rollback(r->c->st);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < w.nflagged; i++)
		free(w.names[i]);
	free(w.names);
	free(w.flagged);
	r->nchg = 0;
	return rc;
}

static struct mailimap_fetch_type *
fetch_type_flags(void)
{
	struct mailimap_fetch_type	*ft;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags());
	return ft;
}

/*
 * Flags of 1:last changed since modseq (0: all of them).  With QRESYNC the
 * same command reports the expunged UIDs (VANISHED (EARLIER)).
 */
static int
fetch_flags(struct run *r, uint32_t last, uint64_t modseq, struct mc_err *err)
{
	struct mailimap_qresync_vanished	*van = NULL;
	struct mailimap_extension_data		*ext;
	struct mailimap_fetch_type		*ft;
	struct mailimap_set			*set;
	clist					*res = NULL;
	char					 what[400];
	int					 rc, vanished;

	if (last == 0)
		return 0;
	vanished = modseq != 0 && r->c->qresync;
	set = mailimap_set_new_interval(1, last);
	ft = fetch_type_flags();
	r->collecting = 1;
	handlers_on(r);
	if (vanished)
		rc = mailimap_uid_fetch_qresync(r->s->imap, set, ft, modseq,
		    &res, &van);
	else if (modseq != 0)
		rc = mailimap_uid_fetch_changedsince(r->s->imap, set, ft,
		    modseq, &res);
	else
		rc = mailimap_uid_fetch(r->s->imap, set, ft, &res);
	handlers_off(r);
	r->collecting = 0;
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	if (rc != MAILIMAP_NO_ERROR) {
		if (van != NULL)
			mailimap_qresync_vanished_free(van);
		snprintf(what, sizeof what, "reading the flags in \"%s\"",
		    r->name);
		imap_set_error(r->s, rc, what, err);
		return -1;
	}
	if (van != NULL) {
		/* libetpan hands out the first VANISHED: put it back with
		 * any others, where apply_vanished() reads them all. */
		ext = mailimap_extension_data_new(&mailimap_extension_qresync,
		    MAILIMAP_QRESYNC_TYPE_VANISHED, van);
		if (ext == NULL || r->s->imap->imap_response_info == NULL ||
		    clist_append(r->s->imap->imap_response_info->
		    rsp_extension_list, ext) < 0)
			fatalx("sync: out of memory");
	}
	if (vanished && apply_vanished(r, err) == -1)
		return -1;
	return apply_flags(r, err);
}

/* UID SEARCH over set, sorted.  Caller frees *out. */
static int
search_uids(struct run *r, struct mailimap_set *set, uint32_t **out,
    size_t *nout, struct mc_err *err)
{
	struct mailimap_search_key	*key;
	clist				*res = NULL;
	clistiter			*it;
	uint32_t			*v = NULL;
	size_t				 n = 0;
	char				 what[400];
	int				 rc;

	*out = NULL;
	*nout = 0;
	key = set != NULL ? mailimap_search_key_new_uid(set) :
	    mailimap_search_key_new_all();
	rc = mailimap_uid_search(r->s->imap, NULL, key, &res);
	mailimap_search_key_free(key);		/* frees set */
	if (rc != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof what, "listing the messages of \"%s\"",
		    r->name);
		imap_set_error(r->s, rc, what, err);
		return -1;
	}
	if (res != NULL) {
		v = xcalloc((size_t)clist_count(res) + 1, sizeof *v);
		for (it = clist_begin(res); it != NULL; it = clist_next(it))
			v[n++] = *(uint32_t *)clist_content(it);
		mailimap_search_result_free(res);
		qsort(v, n, sizeof *v, uid_cmp);
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Without VANISHED: rows whose UID the server no longer lists go. */
static int
expunge_by_search(struct run *r, struct mc_err *err)
{
	uint32_t	*server, *local, *gone;
	size_t		 ns, nl, ng = 0, i, j;
	int		 rc;

	if (search_uids(r, NULL, &server, &ns, err) == -1)
		return -1;
	if (state_msg_uids(r->c->st, r->f.id, &local, &nl, err) == -1) {
		free(server);
		return -1;
	}
	gone = xcalloc(nl + 1, sizeof *gone);
	for (i = j = 0; i < nl; i++) {
		while (j < ns && server[j] < local[i])
			j++;
		if (j == ns || server[j] != local[i])
			gone[ng++] = local[i];
	}
	rc = remove_uids(r, gone, ng, err);
	free(gone);
	free(server);
	free(local);
	return rc;
}

/*
 * New messages: UID FETCH first:* streamed into batches.  Messages that
 * arrived whole are committed even when the fetch fails later.
 */
static int
fetch_new(struct run *r, uint32_t first, uint32_t total, struct mc_err *err)
{
	struct mailimap_fetch_type	*ft;
	struct mailimap_set		*set;
	struct mc_err			 e;
	clist				*res = NULL;
	char				 what[400];
	int				 rc, ret = 0;
	size_t				 i;

	if (!r->f.dirty) {
		/* Before any file lands: a crash from here on is adopted. */
		if (state_folder_set_dirty(r->c->st, r->f.id, 1, 1, err) == -1)
			return -1;
		r->f.dirty = 1;
	}
	if (r->want != NULL) {
		set = mailimap_set_new_empty();
		for (i = 0; i < r->nwant; i++) {
			size_t j = i;

			while (j + 1 < r->nwant &&
			    r->want[j + 1] == r->want[j] + 1)
				j++;
			mailimap_set_add_interval(set, r->want[i], r->want[j]);
			i = j;
		}
	} else
		set = mailimap_set_new_interval(first, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new(NULL)));

	r->start = first;
	r->total = total;
	r->done = 0;
	r->fetching = 1;
	r->batch_ms = mc_now_ms();
	report_progress(r, 1);
	handlers_on(r);
	beat(r->c, mc_now_ms());
	rc = mailimap_uid_fetch(r->s->imap, set, ft, &res);
	beat(r->c, 0);
	handlers_off(r);
	r->fetching = 0;
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	/* a message cut off by an error stays incomplete: drop it */
	maildir_msg_abort(r->cur);
	r->cur = NULL;

	if (r->failed) {
		*err = r->ferr;
		ret = -1;
	} else if (rc != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof what, "downloading messages of \"%s\"",
		    r->name);
		imap_set_error(r->s, rc, what, err);
		ret = -1;
	}
	/* Whole messages are kept whatever happened to the rest. */
	if (r->batch.n > 0 && commit_batch(r, 0, &e) == -1) {
		if (ret == 0)
			*err = e;
		else
			log_warn("sync: %s: %s", r->name, e.msg);
		ret = -1;
	}
	report_progress(r, 1);
	return ret;
}

/* --- one folder --------------------------------------------------------- */

int
sync_folder(struct sync_ctx *c, struct imap_session *s,
    const struct imap_folder *folder, struct sync_stats *stats,
    struct mc_err *err)
{
	struct run	 r;
	struct sync_stats dummy;
	uint32_t	 uidvalidity, uidnext, exists, count, maxuid, first;
	uint32_t	*want = NULL, total;
	uint64_t	 modseq;
	size_t		 nwant = 0;
	char		*aside;
	int		 ret = -1;
	long long	 t0 = mc_now_ms();

	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	memset(&r, 0, sizeof r);
	r.c = c;
	r.s = s;
	r.name = folder->name;
	r.stats = stats;
	mc_err_clear(err);

	if (open_folder(&r, folder, err) == -1)
		goto out;
	if (stopping(c)) {
		mc_err_set(err, MCE_CANCELLED, "The sync was stopped.");
		goto out;
	}
	if (do_select(&r, folder->wire, &uidvalidity, &uidnext, &exists,
	    &modseq, err) == -1)
		goto out;
	stats->exists = exists;

	/* 3. UIDVALIDITY */
	if (r.f.uidvalidity != 0 && uidvalidity != r.f.uidvalidity) {
		if (maildir_move_aside(r.md, r.f.uidvalidity, &aside,
		    err) == -1)
			goto out;
		if (state_folder_reset(c->st, r.f.id, uidvalidity, err) == -1) {
			free(aside);
			goto out;
		}
		log_warn("sync: %s/%s: UIDVALIDITY changed from %u to %u; "
		    "the old copy was moved to %s and the folder is "
		    "downloaded again", c->account, r.name, r.f.uidvalidity,
		    uidvalidity, aside != NULL ? aside : "(it was empty)");
		free(aside);
		stats->uidvalidity_changed = 1;
		r.f.uidvalidity = uidvalidity;
		r.f.uidnext = 0;
		r.f.highestmodseq = 0;
		r.f.dirty = 0;
	} else if (r.f.uidvalidity == 0) {
		/* Stored before any file carries a UID of it. */
		r.f.uidvalidity = uidvalidity;
		if (state_folder_put(c->st, &r.f, err) == -1)
			goto out;
	}

	/* Nothing changed at all: no per-message work, no write. */
	if (!r.f.dirty && modseq != 0 && modseq == r.f.highestmodseq &&
	    uidvalidity == r.f.uidvalidity && uidnext == r.f.uidnext) {
		r.done = r.total = exists;
		post_progress(&r, 1, NULL);
		log_debug("sync: %s/%s: unchanged (%lld ms)", c->account,
		    r.name, mc_now_ms() - t0);
		ret = 0;
		goto out;
	}

	if (state_msg_stats(c->st, r.f.id, &count, &maxuid, err) == -1)
		goto out;

	/* 4, 5. expunges and flags of the messages we have */
	if (count > 0 && modseq != 0 && modseq == r.f.highestmodseq) {
		/* CONDSTORE: any flag change or expunge raises the modseq */
	} else if (count > 0) {
		if (fetch_flags(&r, maxuid, (r.f.highestmodseq != 0 &&
		    modseq != 0) ? r.f.highestmodseq : 0, err) == -1)
			goto out;
	}
	if (stopping(c)) {
		mc_err_set(err, MCE_CANCELLED, "The sync was stopped.");
		goto out;
	}

	/* 6. new messages */
	first = r.f.uidnext > maxuid + 1 ? r.f.uidnext : maxuid + 1;
	if (maxuid >= r.f.uidnext && count > 0) {
		/* An interrupted run: find exactly what is missing. */
		uint32_t	*srv, *have;
		size_t		 ns, nh, i, j;

		first = r.f.uidnext > 0 ? r.f.uidnext : 1;
		if (search_uids(&r, mailimap_set_new_interval(first, 0), &srv,
		    &ns, err) == -1)
			goto out;
		if (state_msg_uids(c->st, r.f.id, &have, &nh, err) == -1) {
			free(srv);
			goto out;
		}
		want = xcalloc(ns + 1, sizeof *want);
		for (i = j = 0; i < ns; i++) {
			while (j < nh && have[j] < srv[i])
				j++;
			if (srv[i] >= first && (j == nh || have[j] != srv[i]))
				want[nwant++] = srv[i];
		}
		free(srv);
		free(have);
		r.want = want;
		r.nwant = nwant;
		if (nwant > 0 && fetch_new(&r, first, (uint32_t)nwant,
		    err) == -1)
			goto out;
	} else if (exists > 0 && uidnext > first) {
		total = exists > count ? exists - count : 0;
		if (uidnext - first < total)
			total = uidnext - first;
		if (fetch_new(&r, first, total, err) == -1)
			goto out;
	}

	/* 4 again, without VANISHED: counts tell whether anything went */
	if (state_msg_stats(c->st, r.f.id, &count, &maxuid, err) == -1)
		goto out;
	if (s->imap->imap_selection_info != NULL)
		exists = s->imap->imap_selection_info->sel_exists;
	if (count != exists && count > 0 && expunge_by_search(&r, err) == -1)
		goto out;

	/* 7. done: what the next run may skip */
	r.f.uidnext = uidnext > maxuid + 1 ? uidnext : maxuid + 1;
	r.f.highestmodseq = modseq;
	r.f.dirty = 0;
	r.f.synced_at = (int64_t)time(NULL);
	if (commit_batch(&r, 1, err) == -1)
		goto out;
	if (state_msg_stats(c->st, r.f.id, &count, &maxuid, err) == -1)
		goto out;
	r.done = count;
	r.total = count;
	post_progress(&r, 1, NULL);
	log_info("sync: %s/%s: %u new, %u flag change%s, %u expunged%s, "
	    "%u local (%lld ms)", c->account, r.name, stats->fetched,
	    stats->flagged, stats->flagged == 1 ? "" : "s", stats->expunged,
	    stats->adopted ? " (after adopting)" : "", count,
	    mc_now_ms() - t0);
	ret = 0;
out:
	if (ret == -1) {
		post_progress(&r, -1, err->msg);
		if (err->kind != MCE_CANCELLED)
			log_warn("sync: %s/%s: %s", c->account, r.name,
			    err->msg);
	}
	handlers_off(&r);
	maildir_msg_abort(r.cur);
	if (r.md != NULL)
		maildir_batch_discard(r.md, &r.batch);
	maildir_batch_free(&r.batch);
	maildir_close(r.md);
	state_folder_clear(&r.f);
	free(r.chg);
	free(want);
	return ret;
}

/* --- IDLE (TESTBED 4.4) ------------------------------------------------- */

struct sync_idle *
sync_idle_new(void)
{
	struct sync_idle	*si = xcalloc(1, sizeof *si);

	pthread_mutex_init(&si->lock, NULL);
	return si;
}

void
sync_idle_free(struct sync_idle *si)
{
	if (si == NULL)
		return;
	pthread_mutex_destroy(&si->lock);
	free(si);
}

void
sync_idle_interrupt(struct sync_idle *si)
{
	pthread_mutex_lock(&si->lock);
	si->pending = 1;
	if (si->active != NULL)
		mailstream_interrupt_idle(si->active);
	pthread_mutex_unlock(&si->lock);
}

int
sync_idle(struct sync_idle *si, struct imap_session *s, int max_secs,
    struct mc_err *err)
{
	mailstream	*stream = s->imap->imap_stream;
	int		 rc, w, ret;

	mc_err_clear(err);
	pthread_mutex_lock(&si->lock);
	if (si->pending) {
		si->pending = 0;
		pthread_mutex_unlock(&si->lock);
		return 2;
	}
	if (stream == NULL || mailstream_setup_idle(stream) != 0) {
		pthread_mutex_unlock(&si->lock);
		mc_err_set(err, MCE_IO, "Cannot prepare IDLE on the "
		    "connection.");
		return -1;
	}
	si->active = stream;
	pthread_mutex_unlock(&si->lock);

	w = MAILSTREAM_IDLE_ERROR;
	rc = mailimap_idle(s->imap);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_set_error(s, rc, "starting IDLE", err);
		ret = -1;
		goto out;
	}
	/* Bytes already buffered would never wake select(). */
	if (stream->read_buffer_len > 0 || net_pending(s->conn) > 0)
		w = MAILSTREAM_IDLE_HASDATA;
	else
		w = mailstream_wait_idle(stream, max_secs);
	if (w == MAILSTREAM_IDLE_ERROR || w == MAILSTREAM_IDLE_CANCELLED) {
		mc_err_set(err, w == MAILSTREAM_IDLE_CANCELLED ?
		    MCE_CANCELLED : MCE_PROTOCOL, "The connection failed "
		    "while waiting for new mail (IDLE).");
		ret = -1;
		goto out;
	}
	rc = mailimap_idle_done(s->imap);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_set_error(s, rc, "ending IDLE", err);
		ret = -1;
		goto out;
	}
	switch (w) {
	case MAILSTREAM_IDLE_HASDATA:
		ret = 1;
		break;
	case MAILSTREAM_IDLE_INTERRUPTED:
		ret = 2;
		break;
	default:
		ret = 0;
		break;
	}
out:
	pthread_mutex_lock(&si->lock);
	si->active = NULL;
	mailstream_unsetup_idle(stream);
	if (ret == 2)
		si->pending = 0;
	pthread_mutex_unlock(&si->lock);
	return ret;
}

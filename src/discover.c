/*
 * discover.c -- SRV records, the provider table and guesses, each candidate
 * confirmed by a probe that never logs in.  Contract in discover.h.
 *
 * Probes and SRV queries run as "jobs" on detached threads.  A job's memory
 * belongs to a reference-counted pool: discover_run() holds one reference
 * and every running job one more, so discover_run() may return (time limit,
 * cancel) while jobs still block in connect() without anything dangling.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <ctype.h>
#include <netdb.h>
#include <errno.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "discover.h"
#include "events.h"
#include "imap.h"
#include "smtp.h"

#define DISC_TIME_LIMIT	15000	/* ms */
#define DISC_PROBE_TIMEOUT 5	/* s */
#define DISC_TICK_MS	50

enum job_type { JOB_SRV, JOB_PROBE };

struct job {
	struct pool		*pool;
	enum job_type		 type;
	/* inputs (owned copies) */
	char			*qname;		/* JOB_SRV */
	int			 cand;		/* JOB_PROBE: index in res */
	enum disc_proto		 proto;
	char			*host;
	int			 port;
	enum sec_mode		 sec;
	char			*ca_file;
	struct certstore	*store;
	int			 timeout;
	/* outputs, written before done is set (under the pool lock) */
	int			 done;
	int			 reported;
	struct srv_record	*srv;
	size_t			 nsrv;
	int			 srv_rc;	/* 0, or -1 failed lookup */
	char			*text;
	int			 confirmed;
	int			 cert_untrusted;
	long long		 ms;
};

struct pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 refs;
	struct job		**jobs;
	size_t			 njobs;
};

/* The four services, in the order they are asked and preferred. */
static const struct {
	const char	*label;
	enum disc_proto	 proto;
	enum sec_mode	 sec;
	int		 port;
} services[4] = {
	{ "_imaps._tcp", DISC_IMAP, SEC_TLS, 993 },
	{ "_imap._tcp", DISC_IMAP, SEC_STARTTLS, 143 },
	{ "_submissions._tcp", DISC_SMTP, SEC_TLS, 465 },
	{ "_submission._tcp", DISC_SMTP, SEC_STARTTLS, 587 },
};

static void	*job_main(void *);

static int	 busy;		/* threads running job_main (atomic) */

int
discover_busy(void)
{
	return __atomic_load_n(&busy, __ATOMIC_SEQ_CST);
}

/* ---------------------------------------------------------------- SRV */

static int
host_chars_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' &&
		    *s != '_')
			return 0;
	}
	return 1;
}

static int
parse_one_srv(ns_msg *h, ns_rr *rr, struct srv_record *rec, int *keep,
    struct mc_err *err)
{
	const unsigned char	*rd = ns_rr_rdata(*rr);
	unsigned		 rdlen = ns_rr_rdlen(*rr);
	char			 name[NS_MAXDNAME];
	int			 used;
	size_t			 len;

	*keep = 0;
	if (rdlen < 7) {
		mc_err_set(err, MCE_PROTOCOL, "DNS answer: an SRV record has "
		    "%u bytes of data, fewer than its fields need", rdlen);
		return -1;
	}
	rec->priority = (int)ns_get16(rd);
	rec->weight = (int)ns_get16(rd + 2);
	rec->port = (int)ns_get16(rd + 4);
	used = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), rd + 6,
	    name, sizeof name);
	if (used < 0 || (unsigned)used > rdlen - 6) {
		mc_err_set(err, MCE_PROTOCOL, "DNS answer: the target name of "
		    "an SRV record is malformed");
		return -1;
	}
	if (name[0] == '\0')
		strcpy(name, ".");
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[--len] = '\0';
	/* Not a host name we could use (escapes, odd bytes): skip it. */
	if (len >= sizeof rec->target || !host_chars_ok(name))
		return 0;
	memcpy(rec->target, name, len + 1);
	*keep = 1;
	return 0;
}

int
discover_parse_srv(const unsigned char *msg, size_t len,
    struct srv_record **out, size_t *n, struct mc_err *err)
{
	ns_msg			 h;
	ns_rr			 rr;
	struct srv_record	*recs = NULL;
	int			 i, count, keep;
	size_t			 nrecs = 0;

	*out = NULL;
	*n = 0;
	mc_err_clear(err);
	if (len > 65535 || ns_initparse(msg, (int)len, &h) < 0) {
		mc_err_set(err, MCE_PROTOCOL, "DNS answer: malformed message "
		    "(%zu bytes)", len);
		return -1;
	}
	count = ns_msg_count(h, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0) {
			mc_err_set(err, MCE_PROTOCOL, "DNS answer: record %d "
			    "of %d is truncated or malformed", i + 1, count);
			free(recs);
			return -1;
		}
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in)
			continue;	/* a CNAME on the way, say */
		recs = xrealloc(recs, (nrecs + 1) * sizeof *recs);
		if (parse_one_srv(&h, &rr, &recs[nrecs], &keep, err) != 0) {
			free(recs);
			return -1;
		}
		if (keep)
			nrecs++;
	}
	discover_sort_srv(recs, nrecs);
	*out = recs;
	*n = nrecs;
	return 0;
}

void
discover_sort_srv(struct srv_record *r, size_t n)
{
	struct srv_record	 t;
	size_t			 i, j;

	/* Insertion sort: stable, and n is a handful. */
	for (i = 1; i < n; i++) {
		t = r[i];
		for (j = i; j > 0; j--) {
			if (r[j - 1].priority < t.priority ||
			    (r[j - 1].priority == t.priority &&
			    r[j - 1].weight >= t.weight))
				break;
			r[j] = r[j - 1];
		}
		r[j] = t;
	}
}

int
discover_srv_not_offered(const struct srv_record *r, size_t n)
{
	return n == 1 && strcmp(r[0].target, ".") == 0;
}

/* ---------------------------------------------------------------- misc */

char *
discover_domain(const char *email)
{
	const char	*at;
	char		*d, *p;

	if (email == NULL || (at = strrchr(email, '@')) == NULL)
		return xstrdup("");
	d = xstrdup(at + 1);
	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	p = d + strlen(d);
	while (p > d && p[-1] == '.')	/* "example.com." */
		*--p = '\0';
	return d;
}

const char *
discover_origin_name(enum disc_origin o)
{
	switch (o) {
	case ORIGIN_SRV:
		return "SRV";
	case ORIGIN_PROVIDER:
		return "provider table";
	case ORIGIN_GUESS:
		return "guess";
	}
	return "?";
}

int
discover_parse_ports(const char *s, int ports[4], struct mc_err *err)
{
	static const char *const names[4] = {
		"imaps", "imap", "smtps", "submission"
	};
	char	*copy = xstrdup(s), *w, *save = NULL, *eq, *end;
	long	 v;
	int	 i, rc = 0;

	mc_err_clear(err);
	for (w = strtok_r(copy, ", ", &save); w != NULL && rc == 0;
	    w = strtok_r(NULL, ", ", &save)) {
		rc = -1;
		if ((eq = strchr(w, '=')) == NULL)
			break;
		*eq = '\0';
		v = strtol(eq + 1, &end, 10);
		if (*end != '\0' || v < 1 || v > 65535)
			break;
		for (i = 0; i < 4; i++) {
			if (strcmp(w, names[i]) == 0) {
				ports[i] = (int)v;
				rc = 0;
			}
		}
	}
	if (rc != 0)
		mc_err_set(err, MCE_USAGE, "MC_DISCOVER_PORTS: expected "
		    "imaps=N,imap=N,smtps=N,submission=N, found '%.100s'", s);
	free(copy);
	return rc;
}

/* ---------------------------------------------------------------- pool */

static struct pool *
pool_new(void)
{
	struct pool		*p = xcalloc(1, sizeof *p);
	pthread_condattr_t	 ca;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->refs = 1;
	return p;
}

static void
job_free(struct job *j)
{
	free(j->qname);
	free(j->host);
	free(j->ca_file);
	free(j->srv);
	free(j->text);
	free(j);
}

/* Drop one reference; the last one frees everything.  Lock held. */
static void
pool_unref_locked(struct pool *p)
{
	size_t	 i;

	if (--p->refs > 0) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->njobs; i++)
		job_free(p->jobs[i]);
	free(p->jobs);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct job *
pool_add(struct pool *p, enum job_type type)
{
	struct job	*j = xcalloc(1, sizeof *j);

	j->pool = p;
	j->type = type;
	pthread_mutex_lock(&p->lock);
	p->jobs = xrealloc(p->jobs, (p->njobs + 1) * sizeof *p->jobs);
	p->jobs[p->njobs++] = j;
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void
job_start(struct job *j)
{
	pthread_t	 t;
	pthread_attr_t	 attr;
	sigset_t	 all, old;
	int		 rc;

	pthread_mutex_lock(&j->pool->lock);
	j->pool->refs++;
	pthread_mutex_unlock(&j->pool->lock);
	__atomic_add_fetch(&busy, 1, __ATOMIC_SEQ_CST);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals (SIGWINCH above all) stay with the UI thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, job_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		__atomic_sub_fetch(&busy, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&j->pool->lock);
		j->text = xasprintf("cannot start a thread: %s", strerror(rc));
		j->confirmed = -1;
		j->srv_rc = -1;
		j->done = 1;
		pool_unref_locked(j->pool);	/* the job's reference */
	}
}

/* ---------------------------------------------------------------- jobs */

static void
job_srv(struct job *j)
{
	struct __res_state	 st;
	unsigned char		 buf[4096];
	struct mc_err		 err;
	int			 len;

	memset(&st, 0, sizeof st);
	if (res_ninit(&st) != 0) {
		j->srv_rc = -1;
		j->text = xstrdup("the resolver could not start");
		return;
	}
	st.retrans = 2;
	st.retry = 2;
	len = res_nquery(&st, j->qname, ns_c_in, ns_t_srv, buf, sizeof buf);
	if (len < 0) {
		j->srv_rc = st.res_h_errno == HOST_NOT_FOUND ||
		    st.res_h_errno == NO_DATA ? 0 : -1;
		j->text = xstrdup(j->srv_rc == 0 ? "no record" :
		    "DNS did not answer");
	} else if (discover_parse_srv(buf, (size_t)len, &j->srv, &j->nsrv,
	    &err) != 0) {
		j->srv_rc = -1;
		j->text = xstrdup(err.msg);
	}
	res_nclose(&st);
}

static void
job_probe_imap(struct job *j, const struct endpoint *ep,
    const struct trust_ctx *tc)
{
	struct imap_session	*s = NULL;
	struct mc_err		 err;

	if (imap_open(ep, tc, &s, &err) == 0) {
		j->confirmed = 1;
		j->text = xasprintf("greeting, %s%s, CAPABILITY%s%s",
		    s->conn->tls_version[0] != '\0' ? "TLS " : "no TLS",
		    s->conn->tls_version, s->sw != SW_UNKNOWN ? ": " : "",
		    s->sw != SW_UNKNOWN ? server_sw_name(s->sw) : "");
		imap_close(s);
	} else if (err.kind == MCE_CERT_UNTRUSTED ||
	    err.kind == MCE_CERT_CHANGED) {
		j->confirmed = 1;
		j->cert_untrusted = 1;
		j->text = xstrdup("TLS works; its certificate is not trusted "
		    "yet (the test will ask you)");
	} else {
		j->confirmed = -1;
		j->text = xstrdup(err.msg);
	}
}

static void
job_probe_smtp(struct job *j, const struct endpoint *ep,
    const struct trust_ctx *tc)
{
	struct smtp_session	*s = NULL;
	struct mc_err		 err;

	if (smtp_open(ep, tc, &s, &err) == 0) {
		j->confirmed = 1;
		j->text = xasprintf("greeting, %s%s, EHLO%s%s",
		    s->conn->tls_version[0] != '\0' ? "TLS " : "no TLS",
		    s->conn->tls_version, s->auth_list != NULL ? ", AUTH " : "",
		    s->auth_list != NULL ? s->auth_list : "");
		smtp_close(s);
	} else if (err.kind == MCE_CERT_UNTRUSTED ||
	    err.kind == MCE_CERT_CHANGED) {
		j->confirmed = 1;
		j->cert_untrusted = 1;
		j->text = xstrdup("TLS works; its certificate is not trusted "
		    "yet (the test will ask you)");
	} else {
		j->confirmed = -1;
		j->text = xstrdup(err.msg);
	}
}

static void
job_probe(struct job *j)
{
	struct endpoint		 ep;
	struct trust_ctx	 tc;

	memset(&ep, 0, sizeof ep);
	ep.host = j->host;
	ep.port = j->port;
	ep.sec = j->sec;
	ep.ca_file = j->ca_file;
	ep.timeout = j->timeout;
	memset(&tc, 0, sizeof tc);
	tc.store = j->store;		/* pins count; no prompt, ever */
	if (j->proto == DISC_IMAP)
		job_probe_imap(j, &ep, &tc);
	else
		job_probe_smtp(j, &ep, &tc);
}

static void *
job_main(void *arg)
{
	struct job	*j = arg;
	long long	 t0 = mc_now_ms();

	/* The job's fields are its own until done is set. */
	if (j->type == JOB_SRV)
		job_srv(j);
	else
		job_probe(j);
	pthread_mutex_lock(&j->pool->lock);
	j->ms = mc_now_ms() - t0;
	j->done = 1;
	pthread_cond_broadcast(&j->pool->cond);
	pool_unref_locked(j->pool);
	__atomic_sub_fetch(&busy, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* ---------------------------------------------------------------- run */

struct run {
	const struct disc_opts	*o;
	struct disc_result	*res;
	struct pool		*pool;
	long long		 deadline;
	int			 ports[4];
};

static void
step(struct run *r, int status, const char *name, long long ms,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
step(struct run *r, int status, const char *name, long long ms,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*detail = NULL;

	if (r->o->step == NULL)
		return;
	if (fmt != NULL) {
		va_start(ap, fmt);
		detail = xvasprintf(fmt, ap);
		va_end(ap);
	}
	r->o->step(r->o->arg, status, name, ms, detail);
	free(detail);
}

static int
cancelled(const struct run *r)
{
	return r->o->cancel != NULL && *r->o->cancel != 0;
}

static void
add_candidate(struct disc_result *res, enum disc_proto proto,
    const char *host, int port, enum sec_mode sec, enum disc_origin origin,
    const char *origin_text)
{
	struct disc_candidate	*c;
	size_t			 i;

	for (i = 0; i < res->n; i++) {
		c = &res->c[i];
		if (c->proto == proto && c->port == port && c->sec == sec &&
		    strcasecmp(c->host, host) == 0)
			return;		/* SRV and table agree: keep the first */
	}
	res->c = xrealloc(res->c, (res->n + 1) * sizeof *res->c);
	c = &res->c[res->n++];
	memset(c, 0, sizeof *c);
	c->proto = proto;
	c->host = xstrdup(host);
	c->port = port;
	c->sec = sec;
	c->origin = origin;
	c->origin_text = xstrdup(origin_text);
}

static int
has_candidate(const struct disc_result *res, enum disc_proto proto)
{
	size_t	 i;

	for (i = 0; i < res->n; i++) {
		if (res->c[i].proto == proto)
			return 1;
	}
	return 0;
}

/*
 * Wait until every job is done, the deadline passed or cancel.  Calls
 * report() for each job as it finishes (lock not held).
 */
static int
wait_jobs(struct run *r, void (*report)(struct run *, struct job *))
{
	struct pool	*p = r->pool;
	struct timespec	 ts;
	struct job	*j;
	size_t		 i;
	int		 pending;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		j = NULL;
		pending = 0;
		for (i = 0; i < p->njobs; i++) {
			if (!p->jobs[i]->done)
				pending++;
			else if (!p->jobs[i]->reported && j == NULL)
				j = p->jobs[i];
		}
		if (j != NULL)
			j->reported = 1;
		if (j == NULL && pending > 0 && !cancelled(r) &&
		    mc_now_ms() < r->deadline) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += DISC_TICK_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		}
		pthread_mutex_unlock(&p->lock);
		if (j != NULL) {
			report(r, j);
			continue;
		}
		if (pending == 0)
			return 0;
		if (cancelled(r) || mc_now_ms() >= r->deadline)
			return -1;
	}
}

static void
report_srv(struct run *r, struct job *j)
{
	size_t	 i;
	int	 s;
	char	*text;

	for (s = 0; s < 4; s++) {
		if (strncmp(j->qname, services[s].label,
		    strlen(services[s].label)) == 0 &&
		    j->qname[strlen(services[s].label)] == '.')
			break;
	}
	if (s == 4)
		return;
	if (j->srv_rc != 0 || j->nsrv == 0) {
		step(r, STEP_SKIP, j->qname, j->ms, "%s", j->text != NULL ?
		    j->text : "no record");
		return;
	}
	if (discover_srv_not_offered(j->srv, j->nsrv)) {
		step(r, STEP_SKIP, j->qname, j->ms, "target \".\": the domain "
		    "says this service is not offered");
		return;
	}
	for (i = 0; i < j->nsrv; i++) {
		if (strcmp(j->srv[i].target, ".") == 0 || j->srv[i].port == 0)
			continue;
		text = xasprintf("SRV %s (priority %d, weight %d)", j->qname,
		    j->srv[i].priority, j->srv[i].weight);
		add_candidate(r->res, services[s].proto, j->srv[i].target,
		    j->srv[i].port, services[s].sec, ORIGIN_SRV, text);
		free(text);
	}
	step(r, STEP_OK, j->qname, j->ms, "%s:%d%s", j->srv[0].target,
	    j->srv[0].port, j->nsrv > 1 ? " and more" : "");
}

static void
run_srv(struct run *r)
{
	struct job	*j;
	long long	 t0;
	int		 s;

	for (s = 0; s < 4; s++) {
		j = pool_add(r->pool, JOB_SRV);
		j->qname = xasprintf("%s.%s", services[s].label,
		    r->res->domain);
	}
	step(r, STEP_RUNNING, "DNS SRV", 0, "asking for %s and 3 more",
	    r->pool->jobs[0]->qname);
	t0 = mc_now_ms();
	for (s = 0; s < 4; s++)
		job_start(r->pool->jobs[s]);
	if (wait_jobs(r, report_srv) != 0) {
		if (!cancelled(r))
			step(r, STEP_WARN, "DNS SRV", mc_now_ms() - t0,
			    "no answer in time");
	} else
		step(r, STEP_OK, "DNS SRV", mc_now_ms() - t0, "%s",
		    has_candidate(r->res, DISC_IMAP) ||
		    has_candidate(r->res, DISC_SMTP) ? "records found" :
		    "no usable records (RFC 6186)");
}

static void
add_provider(struct run *r)
{
	const struct provider	*p = r->res->provider;
	char			*text;

	if (p == NULL) {
		step(r, STEP_SKIP, "provider table", 0, "%s is not a known "
		    "provider", r->res->domain);
		return;
	}
	text = xasprintf("provider table: %s", p->name);
	add_candidate(r->res, DISC_IMAP, p->imap_host, p->imap_port,
	    p->imap_sec, ORIGIN_PROVIDER, text);
	add_candidate(r->res, DISC_SMTP, p->smtp_host, p->smtp_port,
	    p->smtp_sec, ORIGIN_PROVIDER, text);
	free(text);
	step(r, STEP_OK, "provider table", 0, "%s: %s, %s", p->name,
	    p->imap_host, p->smtp_host);
}

/* Implicit TLS on every host before STARTTLS on any (RFC 8314). */
static void
add_guesses(struct run *r, enum disc_proto proto)
{
	const char	*prefixes[3];
	char		*host;
	int		 sec, i, svc;

	prefixes[0] = proto == DISC_IMAP ? "imap." : "smtp.";
	prefixes[1] = "mail.";
	prefixes[2] = "";
	for (sec = 0; sec < 2; sec++) {
		svc = (proto == DISC_IMAP ? 0 : 2) + sec;
		for (i = 0; i < 3; i++) {
			host = xasprintf("%s%s", prefixes[i], r->res->domain);
			add_candidate(r->res, proto, host, r->ports[svc],
			    services[svc].sec, ORIGIN_GUESS, "guess");
			free(host);
		}
	}
}

static void
report_probe(struct run *r, struct job *j)
{
	struct disc_candidate	*c = &r->res->c[j->cand];
	char			*name;

	c->confirmed = j->confirmed;
	c->cert_untrusted = j->cert_untrusted;
	c->confirm_text = xstrdup(j->text != NULL ? j->text : "");
	c->ms = j->ms;
	name = xasprintf("%s %s:%d", sec_mode_name(c->sec,
	    c->proto == DISC_SMTP), c->host, c->port);
	step(r, c->confirmed == 1 ? (c->cert_untrusted ? STEP_WARN : STEP_OK) :
	    STEP_FAIL, name, j->ms, "%s", c->confirm_text);
	free(name);
}

static void
run_probes(struct run *r)
{
	struct disc_candidate	*c;
	struct job		*j;
	size_t			 i, ok = 0, first = r->pool->njobs;
	long long		 t0;

	for (i = 0; i < r->res->n; i++) {
		c = &r->res->c[i];
		j = pool_add(r->pool, JOB_PROBE);
		j->cand = (int)i;
		j->proto = c->proto;
		j->host = xstrdup(c->host);
		j->port = c->port;
		j->sec = c->sec;
		j->ca_file = r->o->ca_file != NULL ? xstrdup(r->o->ca_file) :
		    NULL;
		j->store = r->o->store;
		j->timeout = r->o->probe_timeout > 0 ? r->o->probe_timeout :
		    DISC_PROBE_TIMEOUT;
	}
	if (r->pool->njobs == first)
		return;
	step(r, STEP_RUNNING, "probes", 0, "connecting to %zu candidates",
	    r->pool->njobs - first);
	t0 = mc_now_ms();
	for (i = first; i < r->pool->njobs; i++)
		job_start(r->pool->jobs[i]);
	if (wait_jobs(r, report_probe) != 0) {
		if (cancelled(r))
			return;
		r->res->timed_out = 1;
		step(r, STEP_WARN, "probes", mc_now_ms() - t0, "time limit "
		    "reached; servers that did not answer are left out");
		return;
	}
	for (i = 0; i < r->res->n; i++)
		ok += r->res->c[i].confirmed == 1;
	step(r, ok > 0 ? STEP_OK : STEP_SKIP, "probes", mc_now_ms() - t0,
	    "%zu of %zu answered", ok, r->pool->njobs - first);
}

/* Drop failed guesses; pick the best candidate per protocol. */
static void
choose(struct disc_result *res)
{
	struct disc_candidate	*c;
	size_t			 i, k = 0;
	int			 p;

	for (i = 0; i < res->n; i++) {
		c = &res->c[i];
		if (c->origin == ORIGIN_GUESS && c->confirmed != 1) {
			free(c->host);
			free(c->origin_text);
			free(c->confirm_text);
			continue;
		}
		res->c[k++] = *c;
	}
	res->n = k;
	for (p = 0; p < 2; p++) {
		res->best[p] = -1;
		for (i = 0; i < res->n && res->best[p] == -1; i++) {
			if ((int)res->c[i].proto == p && res->c[i].confirmed == 1)
				res->best[p] = (int)i;
		}
		for (i = 0; i < res->n && res->best[p] == -1; i++) {
			if ((int)res->c[i].proto == p)
				res->best[p] = (int)i;
		}
	}
}

void
discover_run(const struct disc_opts *o, struct disc_result *res)
{
	struct run	 r;
	int		 i;

	memset(res, 0, sizeof *res);
	res->best[0] = res->best[1] = -1;
	res->domain = discover_domain(o->email);
	memset(&r, 0, sizeof r);
	r.o = o;
	r.res = res;
	r.deadline = mc_now_ms() + (o->time_limit_ms > 0 ? o->time_limit_ms :
	    DISC_TIME_LIMIT);
	for (i = 0; i < 4; i++)
		r.ports[i] = o->ports[i] > 0 ? o->ports[i] : services[i].port;
	if (*res->domain == '\0')
		return;
	r.pool = pool_new();
	res->provider = provider_lookup(res->domain);
	if (!o->no_dns)
		run_srv(&r);
	add_provider(&r);		/* no network: always */
	for (i = 0; i < 2 && !cancelled(&r); i++) {
		if (!has_candidate(res, (enum disc_proto)i))
			add_guesses(&r, (enum disc_proto)i);
	}
	if (!cancelled(&r))
		run_probes(&r);
	res->cancelled = cancelled(&r);
	pthread_mutex_lock(&r.pool->lock);
	pool_unref_locked(r.pool);
	choose(res);
}

void
discover_free(struct disc_result *res)
{
	size_t	 i;

	for (i = 0; i < res->n; i++) {
		free(res->c[i].host);
		free(res->c[i].origin_text);
		free(res->c[i].confirm_text);
	}
	free(res->c);
	free(res->domain);
	memset(res, 0, sizeof *res);
	res->best[0] = res->best[1] = -1;
}

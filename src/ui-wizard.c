/*
 * ui-wizard.c -- the account wizard (issue 3): seven steps, one screen
 * each (ncdu's *_draw / *_key per screen), and the engine tasks behind them.
 *
 *   1 Who        address, name, account name (suggested), checked as typed
 *   2 Discovery  discover.c on an engine thread; Esc cancels at once
 *   3 Servers    IMAP and SMTP host/port/security, user name
 *   4 Password   masked; where it will be kept (keyring or why not)
 *   5 Test       live checklists for IMAP and SMTP; the certificate prompt
 *   6 Folders    which to sync, and the Maildir path
 *   7 Save       keyring, pins, config (in that order: the config is the
 *                commit); then a summary
 *
 * Threads: the UI thread owns struct wizard.  Each piece of network or
 * keyring work is a struct wtask run on a detached engine thread; it reads
 * only its own copies, posts EV_TASK_STEP / EV_TASK_DONE with its id, and
 * is reference counted, so the UI can walk away from it (Esc on a stalled
 * server) without waiting: events of a task the UI let go are ignored.
 *
 * Nothing is written before step 7.  "Accept always" in the certificate
 * prompt is therefore given to the trust gate as "accept once" (the test
 * goes on) and the pin is made at save time for the servers then chosen.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "discover.h"
#include "imap.h"
#include "log.h"
#include "secret.h"
#include "smtp.h"
#include "ui.h"

enum wiz_step { WS_WHO, WS_DISCOVER, WS_SERVERS, WS_PASSWORD, WS_TEST,
	WS_FOLDERS, WS_SAVE, WS_DONE, WS_COUNT };

static const char *const step_names[WS_COUNT] = {
	"Who", "Discovery", "Servers", "Password", "Test", "Folders", "Save",
	"Done"
};

enum wtask_kind { WT_KEYRING, WT_DISCOVER, WT_TEST, WT_SAVE };

/* What the person is told to do after a failure. */
enum wiz_way { WAY_NONE, WAY_PASSWORD, WAY_SERVERS, WAY_RETRY };

/* A certificate accepted "always", pinned at save time. */
struct wpin {
	char		*host;
	int		 port;
	char		*proto;
	struct cert_info *cert;
};

/* An engine task: inputs are copies, outputs go out as events. */
struct wtask {
	pthread_mutex_t	 lock;
	int		 refs;
	int		 id;
	enum wtask_kind	 kind;
	volatile int	 cancel;
	struct event_queue *q;
	struct certstore *store;
	int		 timeout;
	/* inputs */
	char		*email;
	char		*account;
	char		*imap_host;
	int		 imap_port;
	enum sec_mode	 imap_sec;
	char		*smtp_host;
	int		 smtp_port;
	enum sec_mode	 smtp_sec;
	char		*user;
	char		*password;	/* wiped when the task is freed */
	char		*password_cmd;
	int		 disc_ports[4];
	struct account	*acct;		/* WT_SAVE: the account to add */
	char		*config_path;
	struct wpin	*pins;		/* WT_TEST: out; WT_SAVE: in */
	size_t		 npins;
	/* live, for cancel (under lock) */
	struct imap_session *imap;
	struct smtp_session *smtp;
	/* the prompt wrapper's notes */
	long long	 open_started;
	long long	 prompt_ms;	/* the person's time to decide */
	enum trust_answer answer;
	int		 asked;
};

/* WT_TEST's EV_TASK_DONE data. */
struct test_result {
	enum wiz_way	 way;
	char		*what;		/* what failed, one sentence */
	char		*server;	/* the server's own words, or NULL */
	char		*advice;	/* the way on, for a person */
	struct imap_folder *folders;
	size_t		 nfolders;
	int		 sent;		/* index, -1 */
	struct wpin	*pins;
	size_t		 npins;
	int		 courier;
};

/* The checklist rows of the live test, in screen order. */
static const char *const test_rows[] = {
	"imap.resolve", "imap.connect", "imap.tls", "imap.cert",
	"imap.server", "imap.login", "imap.folders",
	"smtp.resolve", "smtp.connect", "smtp.tls", "smtp.cert", "smtp.ehlo",
	"smtp.auth",
};
#define NTEST	(sizeof test_rows / sizeof test_rows[0])
#define NIMAP	7

static const char *const test_labels[] = {
	"resolve", "connect", "TLS", "certificate", "server", "login",
	"folders", "resolve", "connect", "TLS", "certificate", "EHLO", "AUTH",
};

static const char *const imap_secs[] = { "imaps", "starttls",
	"none (loopback only)" };
static const char *const smtp_secs[] = { "smtps", "starttls",
	"none (loopback only)" };

/* Widget ids. */
enum {
	W_EMAIL = 1, W_NAME, W_ACCOUNT, W_WHO_QUIT, W_WHO_NEXT,
	W_DISC_BACK, W_DISC_SKIP, W_DISC_NEXT,
	W_IHOST, W_IPORT, W_ISEC, W_SHOST, W_SPORT, W_SSEC, W_USER,
	W_SRV_BACK, W_SRV_NEXT,
	W_PASS, W_PCMD, W_PW_BACK, W_PW_NEXT,
	W_TEST_BACK, W_TEST_WAY, W_TEST_NEXT,
	W_FLIST, W_MAILDIR, W_FOLD_BACK, W_FOLD_NEXT,
	W_SAVE_BACK, W_SAVE_GO,
	W_DONE_QUIT,
	W_Q_STAY, W_Q_QUIT,
};

enum wiz_action { WA_BACK, WA_QUIT, WA_NEXT, WA_RETRY, WA_ALL, WA_NONE };

struct wizard {
	struct config	*cfg;
	struct certstore *store;
	struct wizard_opts opts;
	enum wiz_step	 step;
	int		 rc;
	char		*saved;
	int		 next_id;

	struct ui_form	 form[WS_COUNT];
	struct ui_widget *wv[WS_COUNT][12];

	/* 1 Who */
	struct ui_widget email, name, account, who_quit, who_next;
	int		 account_touched;

	/* keyring */
	struct wtask	*keyring_task;
	int		 keyring;	/* 0 checking, 1 usable, -1 not */
	char		 keyring_why[MC_ERR_MAX];

	/* 2 Discovery */
	struct ui_widget disc_back, disc_skip, disc_next;
	struct wtask	*disc_task;
	struct ui_check	*drows;
	size_t		 ndrows;
	struct disc_result *disc;
	char		*disc_email;	/* what it ran for */

	/* 3 Servers */
	struct ui_widget ihost, iport, isec, shost, sport, ssec, user;
	struct ui_widget srv_back, srv_next;
	int		 servers_touched;
	int		 user_touched;
	char		*imap_origin, *smtp_origin;

	/* 4 Password */
	struct ui_widget pass, pcmd, pw_back, pw_next;

	/* 5 Test */
	struct ui_widget test_back, test_way, test_next;
	struct wtask	*test_task;
	struct ui_check	 trows[NTEST];
	int		 test_state;	/* 0 idle, 1 running, 2 passed, -1 failed */
	struct mc_err	 test_err;
	struct test_result *tres;

	/* 6 Folders */
	struct ui_widget flist, maildir, fold_back, fold_next;
	struct ui_list	 folders;

	/* 7 Save */
	struct ui_widget save_back, save_go, done_quit;
	struct wtask	*save_task;
	struct ui_check	*srows;
	size_t		 nsrows;
	int		 save_state;	/* 0 review, 1 running, 2 done, -1 fail */
	struct mc_err	 save_err;
	struct wpin	*pins;		/* accepted always, to pin at save */
	size_t		 npins;

	/* quit confirmation */
	struct ui_widget q_stay, q_quit;
	struct ui_widget *qwv[2];
	struct ui_form	 qform;
};

static void	 wtask_unref(struct wtask *);

static int	 wiz_busy;	/* task threads running (atomic) */
static void	 go(struct wizard *, enum wiz_step);
static void	 wiz_event(void *, struct event *);
static int	 wiz_typing(void *);

/* ================================================================ engine */

static void
wpins_free(struct wpin *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(p[i].host);
		free(p[i].proto);
		cert_info_free(p[i].cert);
	}
	free(p);
}

static struct wtask *
wtask_new(struct wizard *wz, enum wtask_kind kind)
{
	struct wtask	*t = xcalloc(1, sizeof *t);

	pthread_mutex_init(&t->lock, NULL);
	t->refs = 1;			/* the wizard's */
	t->id = ++wz->next_id;
	t->kind = kind;
	t->q = ui_queue();
	t->store = wz->store;
	t->timeout = wz->opts.timeout > 0 ? wz->opts.timeout : 15;
	return t;
}

static void
wtask_unref(struct wtask *t)
{
	int	 last;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return;
	free(t->email);
	free(t->account);
	free(t->imap_host);
	free(t->smtp_host);
	free(t->user);
	mc_free_secret(t->password);
	free(t->password_cmd);
	free(t->config_path);
	account_free(t->acct);
	wpins_free(t->pins, t->npins);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The UI lets go: cancel what can be cancelled, ignore the rest. */
static void
wtask_abandon(struct wtask **tp)
{
	struct wtask	*t = *tp;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->cancel = 1;
	if (t->imap != NULL)
		imap_cancel(t->imap);
	if (t->smtp != NULL)
		smtp_cancel(t->smtp);
	pthread_mutex_unlock(&t->lock);
	wtask_unref(t);
	*tp = NULL;
}

static void
wtask_start(struct wtask *t, void *(*fn)(void *))
{
	pthread_t	 th;
	pthread_attr_t	 attr;
	sigset_t	 all, old;
	int		 rc;

	pthread_mutex_lock(&t->lock);
	t->refs++;			/* the thread's */
	pthread_mutex_unlock(&t->lock);
	__atomic_add_fetch(&wiz_busy, 1, __ATOMIC_SEQ_CST);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* SIGWINCH and friends belong to the UI thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&th, &attr, fn, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		fatalx("wizard: cannot start a thread: %s", strerror(rc));
}

static void
tstep(struct wtask *t, int status, const char *name, long long ms,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
tstep(struct wtask *t, int status, const char *name, long long ms,
    const char *fmt, ...)
{
	struct event	*ev;
	va_list		 ap;

	if (t->cancel)
		return;
	ev = event_new(EV_TASK_STEP);
	ev->id = t->id;
	ev->status = status;
	ev->name = xstrdup(name);
	ev->n = ms < 0 ? 0 : (uint64_t)ms;
	if (fmt != NULL) {
		va_start(ap, fmt);
		ev->text = xvasprintf(fmt, ap);
		va_end(ap);
		mc_sanitize(ev->text);
	}
	events_post(t->q, ev);
}

static void
tdone(struct wtask *t, int status, const struct mc_err *err, void *data,
    void (*data_free)(void *))
{
	struct event	*ev = event_new(EV_TASK_DONE);

	ev->id = t->id;
	ev->status = status;
	if (err != NULL)
		ev->err = *err;
	ev->data = data;
	ev->data_free = data_free;
	events_post(t->q, ev);
}

static void
task_exit(struct wtask *t)
{
	wtask_unref(t);
	__atomic_sub_fetch(&wiz_busy, 1, __ATOMIC_SEQ_CST);
}

int
wizard_busy(void)
{
	return __atomic_load_n(&wiz_busy, __ATOMIC_SEQ_CST) +
	    discover_busy();
}

/* ---------------------------------------------------------------- keyring */

static void *
keyring_main(void *arg)
{
	struct wtask	*t = arg;
	struct mc_err	 err;
	int		 rc;

	mc_err_clear(&err);
	rc = secret_service_check(&err);
	tdone(t, rc, &err, NULL, NULL);
	task_exit(t);
	return NULL;
}

/* ---------------------------------------------------------------- discover */

static void
disc_step(void *arg, int status, const char *name, long long ms,
    const char *detail)
{
	tstep(arg, status, name, ms, "%s", detail != NULL ? detail : "");
}

static void
disc_result_free(void *p)
{
	discover_free(p);
	free(p);
}

static void *
discover_main(void *arg)
{
	struct wtask		*t = arg;
	struct disc_opts	 o;
	struct disc_result	*res = xcalloc(1, sizeof *res);

	memset(&o, 0, sizeof o);
	o.email = t->email;
	memcpy(o.ports, t->disc_ports, sizeof o.ports);
	o.store = t->store;
	o.cancel = &t->cancel;
	o.step = disc_step;
	o.arg = t;
	discover_run(&o, res);
	tdone(t, 0, NULL, res, disc_result_free);
	task_exit(t);
	return NULL;
}

/* ---------------------------------------------------------------- test */

static void
test_result_free(void *p)
{
	struct test_result	*r = p;

	free(r->what);
	free(r->server);
	free(r->advice);
	imap_folders_free(r->folders, r->nfolders);
	wpins_free(r->pins, r->npins);
	free(r);
}

/*
 * The trust prompt for the live test: say on the checklist that the answer
 * is awaited, ask the person through the UI, and keep "accept always" for
 * save time (the gate hears "accept once").
 */
static enum trust_answer
wiz_prompt(const struct trust_request *req, void *arg)
{
	struct wtask		*t = arg;
	enum trust_answer	 a;
	char			 tls[32], cert[32];
	struct wpin		*p;
	long long		 t0;

	if (t->cancel)
		return TRUST_REJECT;
	snprintf(tls, sizeof tls, "%s.tls", req->proto);
	snprintf(cert, sizeof cert, "%s.cert", req->proto);
	tstep(t, STEP_OK, tls, mc_now_ms() - t->open_started,
	    "handshake done");
	tstep(t, STEP_RUNNING, cert, 0, "%s: waiting for your answer",
	    req->verdict == CERT_CHANGED ? "CHANGED since pinned" :
	    "not trusted");
	t0 = mc_now_ms();
	a = events_trust_prompt(req, t->q);
	t->prompt_ms = mc_now_ms() - t0;
	t->asked = 1;
	t->answer = a;
	if (a != TRUST_ACCEPT_ALWAYS)
		return a;
	pthread_mutex_lock(&t->lock);
	t->pins = xrealloc(t->pins, (t->npins + 1) * sizeof *t->pins);
	p = &t->pins[t->npins++];
	p->host = xstrdup(req->host);
	p->port = req->port;
	p->proto = xstrdup(req->proto);
	p->cert = cert_info_dup(req->cert);
	pthread_mutex_unlock(&t->lock);
	return TRUST_ACCEPT_ONCE;
}

static void
fill_endpoint(struct wtask *t, int smtp, struct endpoint *ep)
{
	memset(ep, 0, sizeof *ep);
	ep->host = smtp ? t->smtp_host : t->imap_host;
	ep->port = smtp ? t->smtp_port : t->imap_port;
	ep->sec = smtp ? t->smtp_sec : t->imap_sec;
	ep->timeout = t->timeout;
}

/* The source address the kernel would use for addr (no packet sent). */
static void
source_addr(const struct addrinfo *ai, char *out, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof ss;
	int			 fd;

	snprintf(out, len, "this machine's address");
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)len,
		    NULL, 0, NI_NUMERICHOST);
	close(fd);
}

static int
step_resolve(struct wtask *t, const char *proto, const struct endpoint *ep,
    char *src, size_t srclen, long long *ms, struct mc_err *err)
{
	struct addrinfo	 hints, *res, *ai;
	char		 name[32], port[8], addrs[200] = "", a[NET_ADDR_MAX];
	long long	 t0 = mc_now_ms();
	int		 rc, n = 0;

	snprintf(name, sizeof name, "%s.resolve", proto);
	snprintf(port, sizeof port, "%d", ep->port);
	tstep(t, STEP_RUNNING, name, 0, "%s", ep->host);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(ep->host, port, &hints, &res)) != 0) {
		mc_err_set(err, MCE_RESOLVE, "Cannot find the address of %s: "
		    "%s.", ep->host, gai_strerror(rc));
		*ms = mc_now_ms() - t0;
		return -1;		/* the caller says so (test_fail) */
	}
	source_addr(res, src, srclen);
	for (ai = res; ai != NULL && n < 3; ai = ai->ai_next, n++) {
		getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof a, NULL, 0,
		    NI_NUMERICHOST);
		if (strstr(addrs, a) != NULL)
			continue;
		snprintf(addrs + strlen(addrs), sizeof addrs - strlen(addrs),
		    "%s%s", *addrs != '\0' ? ", " : "", a);
	}
	freeaddrinfo(res);
	tstep(t, STEP_OK, name, mc_now_ms() - t0, "%s", addrs);
	return 0;
}

/* A plain TCP connect first: tells refused from filtered, and the source. */
static int
step_connect(struct wtask *t, const char *proto, const struct endpoint *ep,
    char *src, size_t srclen, long long *ms, struct mc_err *err)
{
	struct net_probe	 probe;
	struct net_conn		*c;
	char			 name[32];
	long long		 t0 = mc_now_ms();

	snprintf(name, sizeof name, "%s.connect", proto);
	tstep(t, STEP_RUNNING, name, 0, "port %d", ep->port);
	memset(&probe, 0, sizeof probe);
	c = net_connect(ep, &probe, err);
	if (probe.local_addr[0] != '\0')
		snprintf(src, srclen, "%s", probe.local_addr);
	if (c == NULL) {
		*ms = mc_now_ms() - t0;
		return -1;		/* the caller says so (test_fail) */
	}
	tstep(t, STEP_OK, name, mc_now_ms() - t0, "%s port %d, from %s",
	    c->peer_addr, ep->port, c->local_addr);
	net_close(c);
	return 0;
}

static const char *
verdict_text(const struct wtask *t, enum cert_verdict v)
{
	switch (v) {
	case CERT_VERIFIED:
		return "verified: a trusted authority, the name matches";
	case CERT_PINNED:
		return "pinned earlier (known_certs)";
	case CERT_ACCEPTED_ONCE:
		if (t->asked && t->answer == TRUST_ACCEPT_ALWAYS)
			return "you accepted it always: pinned when you save";
		return "you accepted it for this session only";
	default:
		return "?";
	}
}

/* Rows after the connect, and the way on, from an open/login failure. */
static void
test_fail(struct wtask *t, struct test_result *r, const char *proto,
    const struct endpoint *ep, const char *src, const char *row,
    const struct mc_err *err, long long ms)
{
	char	 name[32];

	snprintf(name, sizeof name, "%s.%s", proto, row);
	tstep(t, STEP_FAIL, name, ms, "%s", err->msg);
	r->what = xstrdup(err->msg);
	if (err->server[0] != '\0') {
		r->server = xstrdup(err->server);
		mc_sanitize(r->server);
	}
	r->way = WAY_SERVERS;
	switch (err->kind) {
	case MCE_AUTH:
		r->way = WAY_PASSWORD;
		r->advice = xstrdup("Wrong user name or password? Go back to "
		    "the password and type it again.");
		break;
	case MCE_TIMEOUT:
		if (strcmp(row, "connect") == 0)
			r->advice = xasprintf("No answer from %s port %d in "
			    "%d s: port filtered? Ask IT to allowlist %s (this "
			    "machine) for %s port %d.", ep->host, ep->port,
			    t->timeout, src, ep->host, ep->port);
		else
			r->advice = xasprintf("%s:%d took the connection but "
			    "said nothing for %d s. Is it a mail server, and is "
			    "the security right (implicit TLS on 993/465, "
			    "STARTTLS on 143/587)?", ep->host, ep->port,
			    t->timeout);
		break;
	case MCE_REFUSED:
		r->advice = xasprintf("Nothing listens on %s port %d: check "
		    "the port and the security setting.", ep->host, ep->port);
		break;
	case MCE_RESOLVE:
	case MCE_UNREACHABLE:
		r->advice = xstrdup("Check the host name and the network.");
		break;
	case MCE_CERT_REJECTED:
	case MCE_CERT_CHANGED:
		r->way = WAY_RETRY;
		r->advice = xstrdup("You rejected the certificate: nothing was "
		    "sent to the server. Test again to decide anew, or go "
		    "back and change the server.");
		break;
	case MCE_STARTTLS:
	case MCE_INSECURE:
		r->advice = xstrdup("mailconn sent no password over this "
		    "connection. Use implicit TLS (imaps/smtps) or ask IT to "
		    "offer STARTTLS.");
		break;
	case MCE_TLS:
		r->advice = xstrdup("The TLS handshake failed: is the security "
		    "right (implicit TLS on 993/465, STARTTLS on 143/587)?");
		break;
	case MCE_LIMIT:
		r->way = WAY_RETRY;
		r->advice = xstrdup("The server allows no more connections: "
		    "close other mail programs, or ask IT to raise the limit.");
		break;
	default:
		r->way = WAY_RETRY;
		r->advice = xstrdup("Test again; if it keeps failing, `mailconn "
		    "check` gives IT a full report.");
		break;
	}
}

/* Which row an imap_open/smtp_open failure belongs to. */
static const char *
open_fail_row(const struct mc_err *err, int smtp)
{
	switch (err->kind) {
	case MCE_TLS:
	case MCE_STARTTLS:
	case MCE_TIMEOUT:
		return "tls";
	case MCE_CERT_REJECTED:
	case MCE_CERT_CHANGED:
	case MCE_CERT_UNTRUSTED:
		return "cert";
	default:
		return smtp ? "ehlo" : "server";
	}
}

static void
set_live(struct wtask *t, struct imap_session *i, struct smtp_session *s)
{
	pthread_mutex_lock(&t->lock);
	t->imap = i;
	t->smtp = s;
	pthread_mutex_unlock(&t->lock);
}

static void
tls_rows(struct wtask *t, const char *proto, const struct endpoint *ep,
    struct net_conn *c, long long tls_ms, enum cert_verdict v)
{
	char	 tls[32], cert[32];

	snprintf(tls, sizeof tls, "%s.tls", proto);
	snprintf(cert, sizeof cert, "%s.cert", proto);
	if (ep->sec == SEC_NONE) {
		tstep(t, STEP_WARN, tls, 0, "none: plaintext (loopback only)");
		tstep(t, STEP_SKIP, cert, 0, "no TLS, no certificate");
		return;
	}
	tstep(t, STEP_OK, tls, tls_ms, "%s%s, %s", ep->sec == SEC_STARTTLS ?
	    "STARTTLS, " : "", c->tls_version, c->cipher);
	tstep(t, STEP_OK, cert, t->prompt_ms, "%s", verdict_text(t, v));
	t->prompt_ms = 0;
}

static int
test_imap_open(struct wtask *t, struct test_result *r,
    const struct endpoint *ep, const char *src, struct imap_session **sp)
{
	struct trust_ctx	 tc;
	struct mc_err		 err;
	struct imap_session	*s;
	long long		 t0;

	mc_err_clear(&err);
	memset(&tc, 0, sizeof tc);
	tc.store = t->store;
	tc.prompt = wiz_prompt;
	tc.arg = t;
	tc.account = t->account;
	tstep(t, STEP_RUNNING, "imap.tls", 0, "%s", ep->sec == SEC_TLS ?
	    "TLS handshake" : ep->sec == SEC_STARTTLS ? "greeting, STARTTLS" :
	    "greeting");
	t0 = t->open_started = mc_now_ms();
	if (imap_open(ep, &tc, &s, &err) != 0) {
		test_fail(t, r, "imap", ep, src, open_fail_row(&err, 0), &err,
		    mc_now_ms() - t0);
		return -1;
	}
	set_live(t, s, NULL);
	tls_rows(t, "imap", ep, s->conn, s->tls_ms, s->trust);
	r->courier = s->sw == SW_COURIER;
	if (r->courier)
		tstep(t, STEP_WARN, "imap.server", s->greeting_ms, "Courier-"
		    "IMAP: not supported (see below)");
	else
		tstep(t, STEP_OK, "imap.server", s->greeting_ms, "%s%s%s%s%s",
		    server_sw_name(s->sw), s->id_version != NULL ? " " : "",
		    s->id_version != NULL ? s->id_version : "",
		    s->greeting != NULL ? ": " : "",
		    s->greeting != NULL ? s->greeting : "");
	*sp = s;
	return 0;
}

static int
test_imap_rest(struct wtask *t, struct test_result *r,
    const struct endpoint *ep, const char *src, struct imap_session *s)
{
	struct mc_err	 err;
	long long	 t0;
	int		 sent;

	mc_err_clear(&err);
	tstep(t, STEP_RUNNING, "imap.login", 0, "as %s", t->user);
	t0 = mc_now_ms();
	if (imap_login(s, t->user, t->password, &err) != 0) {
		test_fail(t, r, "imap", ep, src, "login", &err,
		    mc_now_ms() - t0);
		return -1;
	}
	tstep(t, STEP_OK, "imap.login", mc_now_ms() - t0, "as %s", t->user);
	tstep(t, STEP_RUNNING, "imap.folders", 0, "LIST");
	t0 = mc_now_ms();
	if (imap_list(s, &r->folders, &r->nfolders, &err) != 0) {
		test_fail(t, r, "imap", ep, src, "folders", &err,
		    mc_now_ms() - t0);
		return -1;
	}
	sent = r->sent = imap_find_sent(r->folders, r->nfolders);
	if (sent < 0)
		tstep(t, STEP_WARN, "imap.folders", mc_now_ms() - t0, "%zu "
		    "folders; no Sent folder found (sent mail is not kept)",
		    r->nfolders);
	else
		tstep(t, STEP_OK, "imap.folders", mc_now_ms() - t0, "%zu "
		    "folders; Sent is \"%s\"", r->nfolders,
		    r->folders[sent].name);
	return 0;
}

static int
test_imap(struct wtask *t, struct test_result *r)
{
	struct endpoint		 ep;
	struct imap_session	*s = NULL;
	char			 src[NET_ADDR_MAX] = "this machine";
	struct mc_err		 err;
	long long		 ms = 0;
	int			 rc;

	mc_err_clear(&err);
	fill_endpoint(t, 0, &ep);
	if (step_resolve(t, "imap", &ep, src, sizeof src, &ms, &err) != 0) {
		test_fail(t, r, "imap", &ep, src, "resolve", &err, ms);
		return -1;
	}
	if (t->cancel)
		return -1;
	if (step_connect(t, "imap", &ep, src, sizeof src, &ms, &err) != 0) {
		test_fail(t, r, "imap", &ep, src, "connect", &err, ms);
		return -1;
	}
	if (t->cancel || test_imap_open(t, r, &ep, src, &s) != 0)
		return -1;
	rc = t->cancel ? -1 : test_imap_rest(t, r, &ep, src, s);
	set_live(t, NULL, NULL);
	if (t->cancel)
		imap_abort(s);
	else
		imap_close(s);
	return rc;
}

static void
smtp_ehlo_row(struct wtask *t, const struct smtp_session *s)
{
	char	 size[32] = "";

	if (s->size_limit > 0)
		snprintf(size, sizeof size, ", SIZE %zu MB",
		    s->size_limit / (1024 * 1024));
	tstep(t, STEP_OK, "smtp.ehlo", 0, "AUTH %s%s%s%s",
	    s->auth_list != NULL ? s->auth_list : "(none offered)", size,
	    s->pipelining ? ", PIPELINING" : "",
	    s->eightbitmime ? ", 8BITMIME" : "");
}

static int
test_smtp(struct wtask *t, struct test_result *r)
{
	struct endpoint		 ep;
	struct smtp_session	*s = NULL;
	struct trust_ctx	 tc;
	char			 src[NET_ADDR_MAX] = "this machine";
	struct mc_err		 err;
	long long		 t0;
	int			 rc = -1;

	mc_err_clear(&err);
	fill_endpoint(t, 1, &ep);
	if (step_resolve(t, "smtp", &ep, src, sizeof src, &t0, &err) != 0) {
		test_fail(t, r, "smtp", &ep, src, "resolve", &err, t0);
		return -1;
	}
	if (t->cancel || step_connect(t, "smtp", &ep, src, sizeof src, &t0,
	    &err) != 0) {
		if (!t->cancel)
			test_fail(t, r, "smtp", &ep, src, "connect", &err, t0);
		return -1;
	}
	memset(&tc, 0, sizeof tc);
	tc.store = t->store;
	tc.prompt = wiz_prompt;
	tc.arg = t;
	tc.account = t->account;
	tstep(t, STEP_RUNNING, "smtp.tls", 0, "%s", ep.sec == SEC_TLS ?
	    "TLS handshake" : "EHLO, STARTTLS");
	t0 = t->open_started = mc_now_ms();
	if (t->cancel)
		return -1;
	if (smtp_open(&ep, &tc, &s, &err) != 0) {
		test_fail(t, r, "smtp", &ep, src, open_fail_row(&err, 1), &err,
		    mc_now_ms() - t0);
		return -1;
	}
	set_live(t, NULL, s);
	tls_rows(t, "smtp", &ep, s->conn, s->tls_ms, s->trust);
	smtp_ehlo_row(t, s);
	tstep(t, STEP_RUNNING, "smtp.auth", 0, "as %s", t->user);
	t0 = mc_now_ms();
	if (!t->cancel && smtp_login(s, t->user, t->password, &err) != 0) {
		test_fail(t, r, "smtp", &ep, src, "auth", &err,
		    mc_now_ms() - t0);
	} else if (!t->cancel) {
		tstep(t, STEP_OK, "smtp.auth", mc_now_ms() - t0, "as %s",
		    t->user);
		rc = 0;
	}
	set_live(t, NULL, NULL);
	smtp_close(s);
	return rc;
}

/* The password from the command when none was typed. */
static int
test_password(struct wtask *t, struct test_result *r)
{
	struct mc_err	 err;
	char		*pw;

	mc_err_clear(&err);
	if (t->password != NULL && *t->password != '\0')
		return 0;
	if (t->password_cmd == NULL || secret_run_command(t->password_cmd, 30,
	    &pw, &err) != 0) {
		if (t->password_cmd == NULL)
			mc_err_set(&err, MCE_SECRET, "No password to test with.");
		tstep(t, STEP_FAIL, "imap.login", 0, "%s", err.msg);
		r->way = WAY_PASSWORD;
		r->advice = xstrdup("Fix the password command, or type the "
		    "password to test with.");
		return -1;
	}
	mc_free_secret(t->password);
	t->password = pw;
	return 0;
}

static void *
test_main(void *arg)
{
	struct wtask		*t = arg;
	struct test_result	*r = xcalloc(1, sizeof *r);
	struct mc_err		 err;
	size_t			 i;
	int			 rc = -1;

	mc_err_clear(&err);
	r->sent = -1;
	if (test_password(t, r) == 0 && test_imap(t, r) == 0) {
		if (t->smtp_host == NULL) {
			for (i = NIMAP; i < NTEST; i++)
				tstep(t, STEP_SKIP, test_rows[i], 0,
				    "no SMTP server given");
			rc = 0;
		} else if (!t->cancel)
			rc = test_smtp(t, r);
	}
	if (rc != 0 && r->advice == NULL && !t->cancel) {
		r->way = WAY_RETRY;
		r->advice = xstrdup("Test again.");
	}
	pthread_mutex_lock(&t->lock);
	r->pins = t->pins;
	r->npins = t->npins;
	t->pins = NULL;
	t->npins = 0;
	pthread_mutex_unlock(&t->lock);
	tdone(t, rc, &err, r, test_result_free);
	task_exit(t);
	return NULL;
}

/* ---------------------------------------------------------------- save */

static int
save_secrets(struct wtask *t, struct mc_err *err)
{
	struct secret_key	 k;
	const char		*protos[2] = { "imap", "smtp" };
	long long		 t0;
	char			 name[32];
	int			 i;

	if (t->acct->password_command != NULL) {
		tstep(t, STEP_OK, "keyring: imap", 0, "not used: the password "
		    "comes from `%s`", t->acct->password_command);
		return 0;
	}
	for (i = 0; i < 2; i++) {
		if (i == 1 && t->acct->smtp_host == NULL)
			break;
		snprintf(name, sizeof name, "keyring: %s", protos[i]);
		secret_key_for(t->acct, protos[i], &k);
		t0 = mc_now_ms();
		if (secret_store(&k, t->password, err) != 0) {
			tstep(t, STEP_FAIL, name, mc_now_ms() - t0, "%s",
			    err->msg);
			if (i == 1) {	/* all or nothing */
				secret_key_for(t->acct, "imap", &k);
				secret_forget(&k, NULL);
			}
			return -1;
		}
		tstep(t, STEP_OK, name, mc_now_ms() - t0, "%s password for %s "
		    "on %s", protos[i], k.user, k.server);
	}
	return 0;
}

static void
forget_secrets(struct wtask *t)
{
	struct secret_key	 k;
	struct mc_err		 err;

	mc_err_clear(&err);
	if (t->acct->password_command != NULL)
		return;
	secret_key_for(t->acct, "imap", &k);
	secret_forget(&k, &err);
	if (t->acct->smtp_host != NULL) {
		secret_key_for(t->acct, "smtp", &k);
		secret_forget(&k, &err);
	}
}

static int
save_pins(struct wtask *t, struct mc_err *err)
{
	char	 name[300];
	size_t	 i;

	for (i = 0; i < t->npins; i++) {
		snprintf(name, sizeof name, "pin %s:%d", t->pins[i].host,
		    t->pins[i].port);
		if (certstore_pin(t->store, t->pins[i].host, t->pins[i].port,
		    t->pins[i].cert, err) != 0) {
			tstep(t, STEP_FAIL, name, 0, "%s", err->msg);
			return -1;
		}
		tstep(t, STEP_OK, name, 0, "%s key pinned in %s",
		    t->pins[i].proto, certstore_path(t->store));
	}
	return 0;
}

static int
save_config(struct wtask *t, struct mc_err *err)
{
	struct config	*cfg;
	long long	 t0 = mc_now_ms();

	if (config_load(t->config_path, &cfg, err) != 0) {
		tstep(t, STEP_FAIL, "config", 0, "%s", err->msg);
		return -1;
	}
	if (config_find(cfg, t->acct->name) != NULL) {
		mc_err_set(err, MCE_CONFIG, "An account named %s appeared in "
		    "%s meanwhile; nothing was changed.", t->acct->name,
		    cfg->path);
		tstep(t, STEP_FAIL, "config", 0, "%s", err->msg);
		config_free(cfg);
		return -1;
	}
	config_add(cfg, t->acct);
	t->acct = NULL;			/* the config owns it now */
	if (config_save(cfg, err) != 0) {
		tstep(t, STEP_FAIL, "config", mc_now_ms() - t0, "%s", err->msg);
		config_free(cfg);
		return -1;
	}
	tstep(t, STEP_OK, "config", mc_now_ms() - t0, "written to %s",
	    cfg->path);
	config_free(cfg);
	return 0;
}

static void *
save_main(void *arg)
{
	struct wtask	*t = arg;
	struct mc_err	 err;
	int		 rc = -1;

	mc_err_clear(&err);
	/* The config goes last: until it is written, no account exists. */
	if (save_secrets(t, &err) == 0) {
		if (save_pins(t, &err) == 0 && save_config(t, &err) == 0)
			rc = 0;
		else
			forget_secrets(t);
	}
	log_info("setup: account %s %s", t->account, rc == 0 ? "saved" :
	    "not saved");
	tdone(t, rc, &err, NULL, NULL);
	task_exit(t);
	return NULL;
}

/* ================================================================ ui */

static const struct ui_binding wiz_keys[] = {
	{ UI_ESC, "Esc", "back one step (from the first: quit)", WA_BACK,
	  "back" },
	{ UI_ENTER, "Enter", "next step (on a button: press it)", WA_NEXT,
	  "next" },
	{ UI_TAB, "Tab / Down", "next field", -1, "field" },
	{ UI_CTRL('c'), "^C", "quit: nothing is saved", WA_QUIT, "quit" },
};

static const struct ui_binding test_keys[] = {
	{ UI_ESC, "Esc", "stop the test, back to the password", WA_BACK,
	  "back" },
	{ 'r', "r", "test again", WA_RETRY, "test again" },
	{ UI_ENTER, "Enter", "press the focused button", WA_NEXT, NULL },
	{ UI_CTRL('c'), "^C", "quit: nothing is saved", WA_QUIT, "quit" },
};

static const struct ui_binding folder_keys[] = {
	{ ' ', "Space", "tick or untick the folder", -1, "tick" },
	{ 'a', "a", "tick all folders", WA_ALL, "all" },
	{ 'n', "n", "untick all folders", WA_NONE, "none" },
	{ UI_ESC, "Esc", "back to the test", WA_BACK, "back" },
	{ UI_ENTER, "Enter", "next step", WA_NEXT, "next" },
	{ UI_CTRL('c'), "^C", "quit: nothing is saved", WA_QUIT, "quit" },
};

static const struct ui_binding done_keys[] = {
	{ UI_ENTER, "Enter / q", "leave the wizard", WA_QUIT, "leave" },
	{ 'q', NULL, NULL, WA_QUIT, NULL },
	{ UI_ESC, NULL, NULL, WA_QUIT, NULL },
};

static const struct ui_binding quit_keys[] = {
	{ 'y', "y", "quit without saving", WA_QUIT, "quit" },
	{ 'n', "n / Esc", "keep going", WA_BACK, "keep going" },
	{ UI_ESC, NULL, NULL, WA_BACK, NULL },
	{ UI_CTRL('c'), "^C", "quit at once", WA_QUIT, NULL },
};

#define NKEYS(t) (sizeof t / sizeof t[0])

static void	 wiz_draw(void *);
static void	 wiz_key(void *, int);
static void	 quit_draw(void *);
static void	 quit_key(void *, int);

/* One screen per step: the same ctx, their own key tables for `?`. */
static const struct ui_screen wiz_screens[WS_COUNT] = {
	{ "Setup 1/7: who you are", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  wiz_keys, NKEYS(wiz_keys) },
	{ "Setup 2/7: discovery", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  wiz_keys, NKEYS(wiz_keys) },
	{ "Setup 3/7: servers", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  wiz_keys, NKEYS(wiz_keys) },
	{ "Setup 4/7: password", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  wiz_keys, NKEYS(wiz_keys) },
	{ "Setup 5/7: live test", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  test_keys, NKEYS(test_keys) },
	{ "Setup 6/7: folders", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  folder_keys, NKEYS(folder_keys) },
	{ "Setup 7/7: save", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  wiz_keys, NKEYS(wiz_keys) },
	{ "Setup: done", wiz_draw, wiz_key, wiz_event, wiz_typing,
	  done_keys, NKEYS(done_keys) },
};

static const struct ui_screen quit_screen = {
	"Quit setup?", quit_draw, quit_key, NULL, NULL, quit_keys,
	NKEYS(quit_keys)
};

/* ---------------------------------------------------------------- widgets */

static void
w_field(struct ui_widget *w, int id, const char *text, size_t max,
    int masked)
{
	w->type = UI_W_FIELD;
	w->id = id;
	ui_field_init(&w->field, text, max, masked);
}

static void
w_button(struct ui_widget *w, int id, const char *label)
{
	w->type = UI_W_BUTTON;
	w->id = id;
	w->label = label;
}

static void
w_choice(struct ui_widget *w, int id, const char *const *choices, int sel)
{
	w->type = UI_W_CHOICE;
	w->id = id;
	w->choices = choices;
	w->nchoices = 3;
	w->choice = sel;
}

static void
form_set(struct wizard *wz, enum wiz_step s, int n, ...)
{
	va_list	 ap;
	int	 i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		wz->wv[s][i] = va_arg(ap, struct ui_widget *);
	va_end(ap);
	wz->form[s].w = wz->wv[s];
	wz->form[s].n = (size_t)n;
	wz->form[s].focus = 0;
}

static const char *
text_of(const struct ui_widget *w)
{
	return w->field.buf;
}

/* A copy with blanks trimmed, or NULL when empty. */
static char *
trimmed(const struct ui_widget *w)
{
	char	*s = xstrdup(w->field.buf), *t = mc_trim(s), *r;

	if (*t == '\0') {
		free(s);
		return NULL;
	}
	r = xstrdup(t);
	free(s);
	return r;
}

static void
wizard_init_widgets(struct wizard *wz)
{
	const struct wizard_opts *o = &wz->opts;
	char			 port[8];

	w_field(&wz->email, W_EMAIL, o->email, 254, 0);
	w_field(&wz->name, W_NAME, o->name, 128, 0);
	w_field(&wz->account, W_ACCOUNT, o->account, 64, 0);
	wz->account_touched = o->account != NULL;
	w_button(&wz->who_quit, W_WHO_QUIT, "Quit");
	w_button(&wz->who_next, W_WHO_NEXT, "Next");
	form_set(wz, WS_WHO, 5, &wz->email, &wz->name, &wz->account,
	    &wz->who_quit, &wz->who_next);

	w_button(&wz->disc_back, W_DISC_BACK, "Back");
	w_button(&wz->disc_skip, W_DISC_SKIP, "Skip");
	w_button(&wz->disc_next, W_DISC_NEXT, "Next");
	form_set(wz, WS_DISCOVER, 3, &wz->disc_back, &wz->disc_skip,
	    &wz->disc_next);

	w_field(&wz->ihost, W_IHOST, o->imap_host, 253, 0);
	snprintf(port, sizeof port, "%d", o->imap_port > 0 ? o->imap_port :
	    sec_default_port(o->imap_sec >= 0 ? o->imap_sec : SEC_TLS, 0));
	w_field(&wz->iport, W_IPORT, port, 5, 0);
	w_choice(&wz->isec, W_ISEC, imap_secs, o->imap_sec >= 0 ?
	    o->imap_sec : SEC_TLS);
	w_field(&wz->shost, W_SHOST, o->smtp_host, 253, 0);
	snprintf(port, sizeof port, "%d", o->smtp_port > 0 ? o->smtp_port :
	    sec_default_port(o->smtp_sec >= 0 ? o->smtp_sec : SEC_TLS, 1));
	w_field(&wz->sport, W_SPORT, port, 5, 0);
	w_choice(&wz->ssec, W_SSEC, smtp_secs, o->smtp_sec >= 0 ?
	    o->smtp_sec : SEC_TLS);
	w_field(&wz->user, W_USER, o->user, 254, 0);
	wz->user_touched = o->user != NULL;
	wz->servers_touched = o->imap_host != NULL;
	w_button(&wz->srv_back, W_SRV_BACK, "Back");
	w_button(&wz->srv_next, W_SRV_NEXT, "Next");
	form_set(wz, WS_SERVERS, 9, &wz->ihost, &wz->iport, &wz->isec,
	    &wz->shost, &wz->sport, &wz->ssec, &wz->user, &wz->srv_back,
	    &wz->srv_next);

	w_field(&wz->pass, W_PASS, "", 1024, 1);
	w_field(&wz->pcmd, W_PCMD, "", 1024, 0);
	w_button(&wz->pw_back, W_PW_BACK, "Back");
	w_button(&wz->pw_next, W_PW_NEXT, "Test");
	form_set(wz, WS_PASSWORD, 4, &wz->pass, &wz->pcmd, &wz->pw_back,
	    &wz->pw_next);

	w_button(&wz->test_back, W_TEST_BACK, "Back");
	w_button(&wz->test_way, W_TEST_WAY, "Test again");
	w_button(&wz->test_next, W_TEST_NEXT, "Next");
	form_set(wz, WS_TEST, 3, &wz->test_back, &wz->test_way,
	    &wz->test_next);

	wz->flist.type = UI_W_LIST;
	wz->flist.id = W_FLIST;
	wz->flist.list = &wz->folders;
	w_field(&wz->maildir, W_MAILDIR, "", 1024, 0);
	w_button(&wz->fold_back, W_FOLD_BACK, "Back");
	w_button(&wz->fold_next, W_FOLD_NEXT, "Next");
	form_set(wz, WS_FOLDERS, 4, &wz->flist, &wz->maildir, &wz->fold_back,
	    &wz->fold_next);

	w_button(&wz->save_back, W_SAVE_BACK, "Back");
	w_button(&wz->save_go, W_SAVE_GO, "Save");
	form_set(wz, WS_SAVE, 2, &wz->save_back, &wz->save_go);
	wz->form[WS_SAVE].focus = 1;

	w_button(&wz->done_quit, W_DONE_QUIT, "Done");
	form_set(wz, WS_DONE, 1, &wz->done_quit);

	w_button(&wz->q_stay, W_Q_STAY, "Keep going");
	w_button(&wz->q_quit, W_Q_QUIT, "Quit");
	wz->qwv[0] = &wz->q_stay;
	wz->qwv[1] = &wz->q_quit;
	wz->qform.w = wz->qwv;
	wz->qform.n = 2;
}

/* ---------------------------------------------------------------- checks */

static int
email_problem(const char *s, const char **why)
{
	const char	*at = strrchr(s, '@'), *p;

	*why = NULL;
	if (*s == '\0')
		*why = "the address you read and send mail as";
	else if (at == NULL)
		*why = "an address has an @";
	else if (at == s)
		*why = "nothing before the @";
	else if (at[1] == '\0')
		*why = "no domain after the @";
	else if (strchr(at + 1, '.') == NULL &&
	    strcasecmp(at + 1, "localhost") != 0)
		*why = "the domain needs a dot (example.com)";
	for (p = s; *why == NULL && *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == ',')
			*why = "no spaces, commas or <> in an address";
	}
	return *why != NULL;
}

static int
account_problem(const struct wizard *wz, const char *s, const char **why)
{
	const char	*p;

	*why = NULL;
	if (*s == '\0')
		*why = "a short name for this account";
	for (p = s; *why == NULL && *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
		    *p != '-')
			*why = "letters, digits, '.', '_' and '-' only";
	}
	if (*why == NULL && s[0] == '.')
		*why = "may not start with a dot";
	if (*why == NULL && config_find(wz->cfg, s) != NULL)
		*why = "an account of that name exists; choose another";
	return *why != NULL;
}

/* "example" from ann@mail.example.com; made unique. */
static void
suggest_account(struct wizard *wz)
{
	char		*d = discover_domain(text_of(&wz->email)), *s, *dot;
	const char	*why;
	size_t		 n, i;
	char		 buf[80];

	s = d;
	n = 0;
	for (i = 0; d[i] != '\0'; i++)
		n += d[i] == '.';
	while (n-- > 1 && (dot = strchr(s, '.')) != NULL)
		s = dot + 1;		/* the second-level label */
	if ((dot = strchr(s, '.')) != NULL)
		*dot = '\0';
	for (i = 0; s[i] != '\0'; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			s[i] = '-';
	}
	snprintf(buf, sizeof buf, "%s", *s != '\0' ? s : "mail");
	for (i = 2; account_problem(wz, buf, &why) && i < 100; i++)
		snprintf(buf, sizeof buf, "%s-%zu", *s != '\0' ? s : "mail", i);
	ui_field_set(&wz->account.field, buf);
	free(d);
}

static enum sec_mode
sec_of(const struct ui_widget *w)
{
	return (enum sec_mode)w->choice;
}

static int
port_of(const struct ui_widget *w)
{
	char	*end;
	long	 v = strtol(text_of(w), &end, 10);

	if (*text_of(w) == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/* ---------------------------------------------------------------- tasks */

static void
start_keyring(struct wizard *wz)
{
	wz->keyring_task = wtask_new(wz, WT_KEYRING);
	wtask_start(wz->keyring_task, keyring_main);
}

static void
drows_clear(struct wizard *wz)
{
	size_t	 i;

	for (i = 0; i < wz->ndrows; i++) {
		free((char *)wz->drows[i].name);
		free(wz->drows[i].detail);
	}
	free(wz->drows);
	wz->drows = NULL;
	wz->ndrows = 0;
}

static void
start_discovery(struct wizard *wz)
{
	struct wtask	*t;

	wtask_abandon(&wz->disc_task);
	drows_clear(wz);
	if (wz->disc != NULL) {
		discover_free(wz->disc);
		free(wz->disc);
		wz->disc = NULL;
	}
	free(wz->disc_email);
	wz->disc_email = xstrdup(text_of(&wz->email));
	t = wz->disc_task = wtask_new(wz, WT_DISCOVER);
	t->email = xstrdup(text_of(&wz->email));
	memcpy(t->disc_ports, wz->opts.disc_ports, sizeof t->disc_ports);
	wtask_start(t, discover_main);
	ui_form_focus(&wz->form[WS_DISCOVER], W_DISC_SKIP);
}

static void
test_rows_reset(struct wizard *wz, int no_smtp)
{
	size_t	 i;

	for (i = 0; i < NTEST; i++) {
		wz->trows[i].name = test_labels[i];
		ui_check_set(&wz->trows[i], UI_CHECK_PENDING, 0, NULL);
		if (no_smtp && i >= NIMAP)
			ui_check_set(&wz->trows[i], STEP_SKIP, 0,
			    "no SMTP server given");
	}
}

static void
start_test(struct wizard *wz)
{
	struct wtask	*t;

	wtask_abandon(&wz->test_task);
	if (wz->tres != NULL) {
		test_result_free(wz->tres);
		wz->tres = NULL;
	}
	t = wz->test_task = wtask_new(wz, WT_TEST);
	t->account = trimmed(&wz->account);
	t->imap_host = trimmed(&wz->ihost);
	t->imap_port = port_of(&wz->iport);
	t->imap_sec = sec_of(&wz->isec);
	t->smtp_host = trimmed(&wz->shost);
	t->smtp_port = port_of(&wz->sport);
	t->smtp_sec = sec_of(&wz->ssec);
	t->user = trimmed(&wz->user);
	if (t->user == NULL)
		t->user = trimmed(&wz->email);
	t->password = xstrdup(text_of(&wz->pass));
	t->password_cmd = trimmed(&wz->pcmd);
	test_rows_reset(wz, t->smtp_host == NULL);
	wz->test_state = 1;
	mc_err_clear(&wz->test_err);
	wz->test_next.disabled = 1;
	wz->test_way.hidden = 1;
	ui_form_focus(&wz->form[WS_TEST], W_TEST_BACK);
	wtask_start(t, test_main);
}

/* The account as it will be written. */
static struct account *
build_account(struct wizard *wz)
{
	struct account	*a;
	char		*name = trimmed(&wz->account), *md;

	a = account_new(name);
	free(name);
	a->email = trimmed(&wz->email);
	a->display_name = trimmed(&wz->name);
	a->imap_host = trimmed(&wz->ihost);
	a->imap_port = port_of(&wz->iport);
	a->imap_sec = sec_of(&wz->isec);
	a->smtp_host = trimmed(&wz->shost);
	a->smtp_port = a->smtp_host != NULL ? port_of(&wz->sport) : 0;
	a->smtp_sec = sec_of(&wz->ssec);
	a->imap_user = trimmed(&wz->user);
	a->password_command = trimmed(&wz->pcmd);
	md = trimmed(&wz->maildir);
	if (md != NULL) {
		a->maildir = mc_expand_tilde(md);
		free(md);
	}
	account_defaults(a);
	return a;
}

/*
 * A folder name as a pattern that matches only itself (sync.c reads them
 * with fnmatch): glob characters escaped ("[Gmail]/Sent Mail" has one),
 * quoted when it has a blank.
 */
static char *
folder_literal(const char *name)
{
	char	*out = xmalloc(2 * strlen(name) + 3), *o = out;
	int	 blank = strpbrk(name, " \t") != NULL;

	if (blank)
		*o++ = '"';
	for (; *name != '\0'; name++) {
		if (strchr("*?[]\\", *name) != NULL)
			*o++ = '\\';
		*o++ = *name;
	}
	if (blank)
		*o++ = '"';
	*o = '\0';
	return out;
}

/* "*" when every folder is ticked, else "* !A !B" or the ticked list. */
static char *
folder_patterns(const struct ui_list *l)
{
	char	*s, *n, *q;
	size_t	 i, on = 0;
	int	 excl;

	for (i = 0; i < l->n; i++)
		on += l->items[i].checked != 0;
	if (l->n == 0 || on == l->n)
		return xstrdup("*");
	excl = on * 2 > l->n;
	s = xstrdup(excl ? "*" : "");
	for (i = 0; i < l->n; i++) {
		if ((l->items[i].checked != 0) == excl)
			continue;
		q = folder_literal(l->items[i].text);
		n = xasprintf("%s%s%s%s", s, *s != '\0' ? " " : "",
		    excl ? "!" : "", q);
		free(q);
		free(s);
		s = n;
	}
	return s;
}

static int
pin_wanted(const struct account *a, const struct wpin *p)
{
	if (strcmp(p->proto, "imap") == 0)
		return strcasecmp(p->host, a->imap_host) == 0 &&
		    p->port == a->imap_port;
	return a->smtp_host != NULL && strcasecmp(p->host, a->smtp_host) == 0 &&
	    p->port == a->smtp_port;
}

static void
srows_add(struct wizard *wz, const char *name)
{
	wz->srows = xrealloc(wz->srows, (wz->nsrows + 1) * sizeof *wz->srows);
	memset(&wz->srows[wz->nsrows], 0, sizeof *wz->srows);
	wz->srows[wz->nsrows].name = xstrdup(name);
	wz->srows[wz->nsrows].status = UI_CHECK_PENDING;
	wz->nsrows++;
}

static void
srows_clear(struct wizard *wz)
{
	size_t	 i;

	for (i = 0; i < wz->nsrows; i++) {
		free((char *)wz->srows[i].name);
		free(wz->srows[i].detail);
	}
	free(wz->srows);
	wz->srows = NULL;
	wz->nsrows = 0;
}

static void
start_save(struct wizard *wz)
{
	struct wtask	*t;
	struct wpin	*p;
	size_t		 i;
	char		 name[300];

	t = wz->save_task = wtask_new(wz, WT_SAVE);
	t->acct = build_account(wz);
	free(t->acct->folders);
	t->acct->folders = folder_patterns(&wz->folders);
	t->account = xstrdup(t->acct->name);
	t->password = xstrdup(text_of(&wz->pass));
	t->config_path = xstrdup(wz->cfg->path);
	srows_clear(wz);
	srows_add(wz, "keyring: imap");
	if (t->acct->password_command == NULL && t->acct->smtp_host != NULL)
		srows_add(wz, "keyring: smtp");
	for (i = 0; i < wz->npins; i++) {
		if (!pin_wanted(t->acct, &wz->pins[i]))
			continue;
		t->pins = xrealloc(t->pins, (t->npins + 1) * sizeof *t->pins);
		p = &t->pins[t->npins++];
		p->host = xstrdup(wz->pins[i].host);
		p->port = wz->pins[i].port;
		p->proto = xstrdup(wz->pins[i].proto);
		p->cert = cert_info_dup(wz->pins[i].cert);
		snprintf(name, sizeof name, "pin %s:%d", p->host, p->port);
		srows_add(wz, name);
	}
	srows_add(wz, "config");
	wz->save_state = 1;
	mc_err_clear(&wz->save_err);
	wz->save_go.disabled = wz->save_back.disabled = 1;
	wtask_start(t, save_main);
}

/* ---------------------------------------------------------------- events */

static void
set_port_default(struct ui_widget *port, enum sec_mode old, enum sec_mode new,
    int smtp)
{
	char	 buf[8];
	int	 p = port_of(port);

	if (p != -1 && p != sec_default_port(old, smtp))
		return;			/* the person's own port: keep it */
	snprintf(buf, sizeof buf, "%d", sec_default_port(new, smtp));
	ui_field_set(&port->field, buf);
}

static void
apply_candidate(struct wizard *wz, const struct disc_candidate *c, int smtp)
{
	char	 port[8];

	snprintf(port, sizeof port, "%d", c->port);
	ui_field_set(smtp ? &wz->shost.field : &wz->ihost.field, c->host);
	ui_field_set(smtp ? &wz->sport.field : &wz->iport.field, port);
	(smtp ? &wz->ssec : &wz->isec)->choice = c->sec;
	free(smtp ? wz->smtp_origin : wz->imap_origin);
	*(smtp ? &wz->smtp_origin : &wz->imap_origin) = xasprintf("from %s%s%s",
	    c->origin_text, c->confirm_text != NULL ? "; " : "",
	    c->confirm_text != NULL ? c->confirm_text : "");
}

static void
apply_discovery(struct wizard *wz)
{
	const struct disc_result	*r = wz->disc;

	if (wz->servers_touched || r == NULL)
		return;
	if (r->best[DISC_IMAP] >= 0)
		apply_candidate(wz, &r->c[r->best[DISC_IMAP]], 0);
	if (r->best[DISC_SMTP] >= 0 && wz->opts.smtp_host == NULL)
		apply_candidate(wz, &r->c[r->best[DISC_SMTP]], 1);
}

static struct ui_check *
drow_find(struct wizard *wz, const char *name)
{
	size_t	 i;

	for (i = 0; i < wz->ndrows; i++) {
		if (strcmp(wz->drows[i].name, name) == 0)
			return &wz->drows[i];
	}
	wz->drows = xrealloc(wz->drows, (wz->ndrows + 1) * sizeof *wz->drows);
	memset(&wz->drows[wz->ndrows], 0, sizeof *wz->drows);
	wz->drows[wz->ndrows].name = xstrdup(name);
	wz->drows[wz->ndrows].status = UI_CHECK_PENDING;
	return &wz->drows[wz->ndrows++];
}

static struct ui_check *
row_in(struct ui_check *rows, size_t n, const char *const *names,
    const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(names != NULL ? names[i] : rows[i].name, name) == 0)
			return &rows[i];
	}
	return NULL;
}

/* INBOX, then Sent, then the rest by name. */
static int
folder_rank(const struct ui_list_item *it)
{
	if (it->tag == NULL)
		return 2;
	return strcmp(it->tag, "inbox") == 0 ? 0 : 1;
}

static int
folder_cmp(const void *a, const void *b)
{
	const struct ui_list_item	*x = a, *y = b;
	int				 rx = folder_rank(x), ry = folder_rank(y);

	if (rx != ry)
		return rx - ry;
	return strcmp(x->text, y->text);
}

static void
build_folders(struct wizard *wz, const struct test_result *r)
{
	struct ui_list	 old = wz->folders;
	size_t		 i, j;

	memset(&wz->folders, 0, sizeof wz->folders);
	for (i = 0; i < r->nfolders; i++) {
		if (r->folders[i].flags & FOLDER_NOSELECT)
			continue;
		wz->folders.items = xrealloc(wz->folders.items,
		    (wz->folders.n + 1) * sizeof *wz->folders.items);
		wz->folders.items[wz->folders.n].text =
		    xstrdup(r->folders[i].name);
		wz->folders.items[wz->folders.n].tag =
		    (r->folders[i].flags & FOLDER_INBOX) ||
		    strcasecmp(r->folders[i].name, "INBOX") == 0 ?
		    xstrdup("inbox") : (int)i == r->sent ? xstrdup("sent") :
		    NULL;
		wz->folders.items[wz->folders.n].checked = 1;
		/* Keep what the person unticked on an earlier pass. */
		for (j = 0; j < old.n; j++) {
			if (strcmp(old.items[j].text, r->folders[i].name) == 0)
				wz->folders.items[wz->folders.n].checked =
				    old.items[j].checked;
		}
		wz->folders.n++;
	}
	ui_list_free(&old);
	qsort(wz->folders.items, wz->folders.n, sizeof *wz->folders.items,
	    folder_cmp);
}

static void
merge_pins(struct wizard *wz, struct test_result *r)
{
	size_t	 i, j;

	for (i = 0; i < r->npins; i++) {
		for (j = 0; j < wz->npins; j++) {
			if (wz->pins[j].port == r->pins[i].port &&
			    strcasecmp(wz->pins[j].host, r->pins[i].host) == 0)
				break;
		}
		if (j == wz->npins) {
			wz->pins = xrealloc(wz->pins, (wz->npins + 1) *
			    sizeof *wz->pins);
			wz->npins++;
		} else {
			free(wz->pins[j].host);
			free(wz->pins[j].proto);
			cert_info_free(wz->pins[j].cert);
		}
		wz->pins[j] = r->pins[i];
	}
	free(r->pins);
	r->pins = NULL;
	r->npins = 0;
}

static void
test_done(struct wizard *wz, struct event *ev)
{
	struct test_result	*r = ev->data;

	ev->data = NULL;		/* ours now */
	wz->tres = r;
	merge_pins(wz, r);
	wtask_unref(wz->test_task);
	wz->test_task = NULL;
	if (ev->status == 0) {
		wz->test_state = 2;
		wz->test_next.disabled = 0;
		build_folders(wz, r);
		ui_form_focus(&wz->form[WS_TEST], W_TEST_NEXT);
		return;
	}
	wz->test_state = -1;
	wz->test_err = ev->err;
	wz->test_way.hidden = 0;
	wz->test_way.label = r->way == WAY_PASSWORD ? "Fix the password" :
	    r->way == WAY_SERVERS ? "Change the servers" : "Test again";
	ui_form_focus(&wz->form[WS_TEST], W_TEST_WAY);
}

static void
disc_done(struct wizard *wz, struct event *ev)
{
	wz->disc = ev->data;
	ev->data = NULL;
	wtask_unref(wz->disc_task);
	wz->disc_task = NULL;
	apply_discovery(wz);
	ui_form_focus(&wz->form[WS_DISCOVER], W_DISC_NEXT);
}

static void
save_done(struct wizard *wz, struct event *ev)
{
	wtask_unref(wz->save_task);
	wz->save_task = NULL;
	if (ev->status != 0) {
		wz->save_state = -1;
		wz->save_err = ev->err;
		wz->save_go.disabled = wz->save_back.disabled = 0;
		wz->save_go.label = "Try again";
		return;
	}
	wz->save_state = 2;
	free(wz->saved);
	wz->saved = trimmed(&wz->account);
	wz->rc = 0;
	go(wz, WS_DONE);
}

static void
task_step(struct wizard *wz, struct event *ev)
{
	struct ui_check	*c = NULL;

	if (wz->disc_task != NULL && ev->id == wz->disc_task->id)
		c = drow_find(wz, ev->name);
	else if (wz->test_task != NULL && ev->id == wz->test_task->id)
		c = row_in(wz->trows, NTEST, test_rows, ev->name);
	else if (wz->save_task != NULL && ev->id == wz->save_task->id)
		c = row_in(wz->srows, wz->nsrows, NULL, ev->name);
	if (c != NULL)
		ui_check_set(c, ev->status, (long long)ev->n, ev->text);
}

static void
wiz_event(void *arg, struct event *ev)
{
	struct wizard	*wz = arg;

	if (ev->type == EV_TASK_STEP) {
		task_step(wz, ev);
		return;
	}
	if (ev->type != EV_TASK_DONE)
		return;
	if (wz->keyring_task != NULL && ev->id == wz->keyring_task->id) {
		wz->keyring = ev->status == 0 ? 1 : -1;
		snprintf(wz->keyring_why, sizeof wz->keyring_why, "%s",
		    ev->err.msg);
		wtask_unref(wz->keyring_task);
		wz->keyring_task = NULL;
	} else if (wz->disc_task != NULL && ev->id == wz->disc_task->id)
		disc_done(wz, ev);
	else if (wz->test_task != NULL && ev->id == wz->test_task->id)
		test_done(wz, ev);
	else if (wz->save_task != NULL && ev->id == wz->save_task->id)
		save_done(wz, ev);
	/* else: a task the wizard walked away from. */
}

/* ---------------------------------------------------------------- flow */

static void
go(struct wizard *wz, enum wiz_step s)
{
	wz->step = s;
	ui_set_screen(&wiz_screens[s], wz);
	if (s == WS_DONE)
		ui_set_title("mailconn setup: done");
	else
		ui_set_title("mailconn setup: step %d of 7, %s", (int)s + 1,
		    step_names[s]);
}

static void
ask_quit(struct wizard *wz)
{
	wz->qform.focus = 0;
	ui_push_modal(&quit_screen, wz);
}

static int
who_next(struct wizard *wz)
{
	const char	*why;

	if (email_problem(text_of(&wz->email), &why)) {
		ui_form_focus(&wz->form[WS_WHO], W_EMAIL);
		ui_notice(ROLE_ERROR, "Email address: %s.", why);
		return -1;
	}
	if (!wz->account_touched && *text_of(&wz->account) == '\0')
		suggest_account(wz);
	if (account_problem(wz, text_of(&wz->account), &why)) {
		ui_form_focus(&wz->form[WS_WHO], W_ACCOUNT);
		ui_notice(ROLE_ERROR, "Account name: %s.", why);
		return -1;
	}
	if (!wz->user_touched)
		ui_field_set(&wz->user.field, text_of(&wz->email));
	go(wz, WS_DISCOVER);
	/* Run again only when the address changed. */
	if (wz->disc_email == NULL || strcmp(wz->disc_email,
	    text_of(&wz->email)) != 0 || (wz->disc == NULL &&
	    wz->disc_task == NULL)) {
		if (wz->disc_email != NULL && !wz->opts.imap_host)
			wz->servers_touched = 0;
		start_discovery(wz);
	}
	return 0;
}

static int
servers_next(struct wizard *wz)
{
	char		*h = trimmed(&wz->ihost), *sh = trimmed(&wz->shost);
	const char	*bad = NULL;
	int		 focus = 0;

	if (h == NULL || strchr(h, ' ') != NULL) {
		bad = "IMAP host: a host name or address";
		focus = W_IHOST;
	} else if (port_of(&wz->iport) < 0) {
		bad = "IMAP port: a number from 1 to 65535";
		focus = W_IPORT;
	} else if (sec_of(&wz->isec) == SEC_NONE && !net_is_loopback(h)) {
		bad = "IMAP security none sends the password in clear text: "
		    "only for this machine (localhost)";
		focus = W_ISEC;
	} else if (sh != NULL && strchr(sh, ' ') != NULL) {
		bad = "SMTP host: a host name or address";
		focus = W_SHOST;
	} else if (sh != NULL && port_of(&wz->sport) < 0) {
		bad = "SMTP port: a number from 1 to 65535";
		focus = W_SPORT;
	} else if (sh != NULL && sec_of(&wz->ssec) == SEC_NONE &&
	    !net_is_loopback(sh)) {
		bad = "SMTP security none: only for this machine (localhost)";
		focus = W_SSEC;
	} else if (*text_of(&wz->user) == '\0') {
		bad = "User name: what you log in with (often the address)";
		focus = W_USER;
	}
	free(h);
	free(sh);
	if (bad != NULL) {
		ui_form_focus(&wz->form[WS_SERVERS], focus);
		ui_notice(ROLE_ERROR, "%s.", bad);
		return -1;
	}
	go(wz, WS_PASSWORD);
	ui_form_focus(&wz->form[WS_PASSWORD], W_PASS);
	return 0;
}

static int
password_next(struct wizard *wz)
{
	int	 cmd = *text_of(&wz->pcmd) != '\0';

	if (*text_of(&wz->pass) == '\0' && !cmd) {
		ui_form_focus(&wz->form[WS_PASSWORD], W_PASS);
		ui_notice(ROLE_ERROR, "Type the password (it is needed for the "
		    "test).");
		return -1;
	}
	if (wz->keyring < 0 && !cmd) {
		ui_form_focus(&wz->form[WS_PASSWORD], W_PCMD);
		ui_notice(ROLE_ERROR, "No keyring here: give a password command "
		    "(such as pass show mail/work).");
		return -1;
	}
	go(wz, WS_TEST);
	start_test(wz);
	return 0;
}

static void
folders_next(struct wizard *wz)
{
	struct account	*a;
	size_t		 i, on = 0;

	/* An empty selection would read back as "*": every folder. */
	for (i = 0; i < wz->folders.n; i++)
		on += wz->folders.items[i].checked != 0;
	if (wz->folders.n > 0 && on == 0) {
		ui_notice(ROLE_ERROR, "Tick at least one folder to sync.");
		return;
	}
	if (*text_of(&wz->maildir) == '\0') {
		a = build_account(wz);
		ui_field_set(&wz->maildir.field, a->maildir != NULL ?
		    a->maildir : "");
		account_free(a);
	}
	go(wz, WS_SAVE);
	wz->save_state = 0;
	wz->save_go.label = "Save";
	wz->save_go.disabled = wz->save_back.disabled = 0;
	ui_form_focus(&wz->form[WS_SAVE], W_SAVE_GO);
}

static void
enter_folders(struct wizard *wz)
{
	struct account	*a;

	if (*text_of(&wz->maildir) == '\0') {
		a = build_account(wz);
		ui_field_set(&wz->maildir.field, a->maildir != NULL ?
		    a->maildir : "");
		account_free(a);
	}
	go(wz, WS_FOLDERS);
}

static void
back(struct wizard *wz)
{
	switch (wz->step) {
	case WS_WHO:
		ask_quit(wz);
		break;
	case WS_DISCOVER:
		wtask_abandon(&wz->disc_task);	/* at once */
		go(wz, WS_WHO);
		break;
	case WS_SERVERS:
		go(wz, WS_DISCOVER);
		break;
	case WS_PASSWORD:
		go(wz, WS_SERVERS);
		break;
	case WS_TEST:
		wtask_abandon(&wz->test_task);
		wz->test_state = 0;
		go(wz, WS_PASSWORD);
		break;
	case WS_FOLDERS:
		go(wz, WS_TEST);
		break;
	case WS_SAVE:
		if (wz->save_state != 1)
			go(wz, WS_FOLDERS);
		break;
	case WS_DONE:
	case WS_COUNT:
		ui_quit(wz->rc);
		break;
	}
}

/* A button was pressed, or Enter on the last field. */
static void
pressed(struct wizard *wz, int id)
{
	switch (id) {
	case W_EMAIL:
	case W_NAME:
	case W_ACCOUNT:
	case W_WHO_NEXT:
		who_next(wz);
		break;
	case W_WHO_QUIT:
		ask_quit(wz);
		break;
	case W_DISC_BACK:
	case W_SRV_BACK:
	case W_PW_BACK:
	case W_TEST_BACK:
	case W_FOLD_BACK:
	case W_SAVE_BACK:
		back(wz);
		break;
	case W_DISC_SKIP:
		wtask_abandon(&wz->disc_task);
		/* FALLTHROUGH */
	case W_DISC_NEXT:
		go(wz, WS_SERVERS);
		ui_form_focus(&wz->form[WS_SERVERS], W_IHOST);
		break;
	case W_IHOST: case W_IPORT: case W_ISEC: case W_SHOST: case W_SPORT:
	case W_SSEC: case W_USER: case W_SRV_NEXT:
		servers_next(wz);
		break;
	case W_PASS:
	case W_PCMD:
	case W_PW_NEXT:
		password_next(wz);
		break;
	case W_TEST_WAY:
		if (wz->tres != NULL && wz->tres->way == WAY_PASSWORD) {
			ui_field_set(&wz->pass.field, "");
			go(wz, WS_PASSWORD);
			ui_form_focus(&wz->form[WS_PASSWORD], W_PASS);
		} else if (wz->tres != NULL && wz->tres->way == WAY_SERVERS) {
			go(wz, WS_SERVERS);
			ui_form_focus(&wz->form[WS_SERVERS], W_IHOST);
		} else
			start_test(wz);
		break;
	case W_TEST_NEXT:
		if (wz->test_state == 2)
			enter_folders(wz);
		break;
	case W_FLIST:
	case W_MAILDIR:
	case W_FOLD_NEXT:
		folders_next(wz);
		break;
	case W_SAVE_GO:
		if (wz->save_state != 1)
			start_save(wz);
		break;
	case W_DONE_QUIT:
		ui_quit(wz->rc);
		break;
	}
}

static void
changed(struct wizard *wz, int id, int old_choice)
{
	switch (id) {
	case W_ACCOUNT:
		wz->account_touched = 1;
		break;
	case W_EMAIL:
		if (!wz->account_touched)
			suggest_account(wz);
		if (!wz->user_touched)
			ui_field_set(&wz->user.field, text_of(&wz->email));
		break;
	case W_USER:
		wz->user_touched = 1;
		break;
	case W_ISEC:
		set_port_default(&wz->iport, old_choice, sec_of(&wz->isec), 0);
		/* FALLTHROUGH */
	case W_IHOST:
	case W_IPORT:
		wz->servers_touched = 1;
		free(wz->imap_origin);
		wz->imap_origin = NULL;
		break;
	case W_SSEC:
		set_port_default(&wz->sport, old_choice, sec_of(&wz->ssec), 1);
		/* FALLTHROUGH */
	case W_SHOST:
	case W_SPORT:
		wz->servers_touched = 1;
		free(wz->smtp_origin);
		wz->smtp_origin = NULL;
		break;
	}
}

static void
wiz_key(void *arg, int key)
{
	struct wizard		*wz = arg;
	struct ui_form		*f = &wz->form[wz->step];
	const struct ui_screen	*s = &wiz_screens[wz->step];
	struct ui_widget	*w = ui_form_focused(f);
	int			 which, rc, old = w != NULL ? w->choice : 0;

	/* Enter in a field means "this step is done" (Tab moves on). */
	if (key == UI_ENTER && w != NULL && w->type != UI_W_BUTTON) {
		pressed(wz, w->id);
		return;
	}
	if (key != UI_ESC && key != UI_CTRL('c')) {
		rc = ui_form_key(f, key, &which);
		if (rc == UI_FORM_PRESSED) {
			pressed(wz, which);
			return;
		}
		if (rc == UI_FORM_CHANGED) {
			changed(wz, which, old);
			return;
		}
		if (rc == UI_FORM_HANDLED)
			return;
	}
	switch (ui_binding_find(s->keys, s->nkeys, key)) {
	case WA_BACK:
		back(wz);
		break;
	case WA_QUIT:
		if (wz->step == WS_DONE)
			ui_quit(wz->rc);
		else
			ask_quit(wz);
		break;
	case WA_RETRY:
		if (wz->step == WS_TEST && wz->test_state != 1)
			start_test(wz);
		break;
	case WA_ALL:
	case WA_NONE:
		for (size_t i = 0; i < wz->folders.n; i++)
			wz->folders.items[i].checked = key == 'a';
		break;
	}
}

static int
wiz_typing(void *arg)
{
	struct wizard	*wz = arg;

	return ui_form_typing(&wz->form[wz->step]);
}

/* ---------------------------------------------------------------- quit */

static void
quit_draw(void *arg)
{
	struct wizard	*wz = arg;
	int		 w = 60, h = 8, y = (LINES - h) / 2, x = (COLS - w) / 2;

	ui_form_undraw(&wz->qform);
	ui_box(y, x, h, w, ROLE_WARN, "Quit setup?");
	ui_wrap(y + 2, x + 3, w - 6, 2, ROLE_TEXT, "Nothing has been saved: "
	    "no account, no password in the keyring, no pinned certificate.");
	x += 3;
	x += ui_draw_button(&wz->qform, &wz->q_stay, y + 5, x) + 2;
	ui_draw_button(&wz->qform, &wz->q_quit, y + 5, x);
}

static void
quit_now(struct wizard *wz)
{
	ui_pop_modal(wz);
	wz->rc = 1;
	ui_quit(1);
}

static void
quit_key(void *arg, int key)
{
	struct wizard	*wz = arg;
	int		 which, rc;

	rc = ui_form_key(&wz->qform, key, &which);
	if (rc == UI_FORM_PRESSED) {
		if (which == W_Q_QUIT)
			quit_now(wz);
		else
			ui_pop_modal(wz);
		return;
	}
	switch (ui_binding_find(quit_keys, NKEYS(quit_keys), key)) {
	case WA_QUIT:
		quit_now(wz);
		break;
	case WA_BACK:
		ui_pop_modal(wz);
		break;
	}
}

/* ---------------------------------------------------------------- draw */

#define LX	2		/* label column */
#define FX	20		/* field column */

static int
field_width(void)
{
	return COLS - FX - 2 > 58 ? 58 : COLS - FX - 2;
}

static void
draw_steps(const struct wizard *wz)
{
	int	 x = 1, i;

	for (i = 0; i < 7; i++) {
		x += ui_textf(1, x, COLS - x, i == (int)wz->step ? ROLE_SELECTED :
		    i < (int)wz->step ? ROLE_TEXT : ROLE_DIM, " %d %s ", i + 1,
		    step_names[i]);
		if (i < 6)
			x += ui_text(1, x, COLS - x, ROLE_DIM, ui_glyph(G_ARROW));
	}
	ui_hline(2, 0, COLS, ROLE_BORDER);
}

static void
labelled(const struct wizard *wz, struct ui_widget *w, int y,
    const char *label, int width)
{
	ui_text(y, LX, FX - LX - 1, ROLE_TEXT, label);
	ui_draw_field(&wz->form[wz->step], w, y, FX, width);
}

static void
hint(int y, enum theme_role role, const char *s)
{
	ui_text(y, FX, COLS - FX - 1, role, s);
}

static int
buttons(struct wizard *wz, int y, struct ui_widget *a, struct ui_widget *b,
    struct ui_widget *c)
{
	int	 x = FX;

	if (a != NULL && !a->hidden)
		x += ui_draw_button(&wz->form[wz->step], a, y, x) + 2;
	if (b != NULL && !b->hidden)
		x += ui_draw_button(&wz->form[wz->step], b, y, x) + 2;
	if (c != NULL && !c->hidden)
		x += ui_draw_button(&wz->form[wz->step], c, y, x) + 2;
	return x;
}

static int
bottom(void)
{
	return LINES - 3;
}

static void
draw_who(struct wizard *wz)
{
	const char	*why;
	int		 y = 4, fw = field_width();

	ui_text(y, LX, COLS - 4, ROLE_HEADER, "Who are you?");
	ui_text(y + 1, LX, COLS - 4, ROLE_DIM, "The address decides where "
	    "mailconn looks for your servers.");
	labelled(wz, &wz->email, y + 3, "Email address", fw);
	if (email_problem(text_of(&wz->email), &why))
		hint(y + 4, *text_of(&wz->email) == '\0' ? ROLE_DIM : ROLE_WARN,
		    why);
	else
		ui_textf(y + 4, FX, fw, ROLE_OK, "%s looks like an address",
		    ui_glyph(G_OK));
	labelled(wz, &wz->name, y + 6, "Your name", fw);
	hint(y + 7, ROLE_DIM, "shown to the people you write to (optional)");
	labelled(wz, &wz->account, y + 9, "Account name", fw);
	if (account_problem(wz, text_of(&wz->account), &why) &&
	    *text_of(&wz->account) != '\0')
		hint(y + 10, ROLE_WARN, why);
	else
		hint(y + 10, ROLE_DIM, "suggested from the address; used in "
		    "commands: mailconn sync NAME");
	buttons(wz, bottom(), &wz->who_quit, &wz->who_next, NULL);
}

static void
candidate_line(int y, const struct disc_candidate *c, const char *what)
{
	ui_textf(y, LX, 7, ROLE_HEADER, "%s", what);
	ui_textf(y, LX + 6, COLS - LX - 7, c->confirmed == 1 ?
	    (c->cert_untrusted ? ROLE_WARN : ROLE_OK) : ROLE_WARN,
	    "%s:%d %s", c->host, c->port, sec_mode_name(c->sec,
	    c->proto == DISC_SMTP));
	ui_textf(y + 1, LX + 6, COLS - LX - 7, ROLE_DIM, "%s; %s",
	    c->origin_text, c->confirmed == 1 ? c->confirm_text :
	    c->confirmed == 0 ? "not confirmed (no answer in time)" :
	    c->confirm_text);
}

/*
 * Done: the summary rows (DNS SRV, SRV records found, provider table,
 * probes), one line for the probes that failed, then the probes that
 * answered, as far as there is room (the chosen ones follow in full).
 */
static int
draw_disc_summary(struct wizard *wz, int y, int room)
{
	struct ui_check	*c, *last = NULL, sum;
	size_t		 i, nfail = 0;
	int		 pass, probe, end = y + room;
	char		*d;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < wz->ndrows && y < end; i++) {
			c = &wz->drows[i];
			/* a probe's row is "SECURITY HOST:PORT" */
			probe = strchr(c->name, ':') != NULL;
			if (c->name[0] == '_' && c->status == STEP_SKIP)
				continue;	/* "no record": in DNS SRV */
			if (pass == 0 && !probe)
				ui_draw_check_row(y++, LX, COLS - 4, 34, c);
			if (pass == 1 && probe && c->status == STEP_FAIL) {
				nfail++;
				last = c;
			}
			if (pass == 2 && probe && c->status != STEP_FAIL)
				ui_draw_check_row(y++, LX, COLS - 4, 34, c);
		}
		if (pass != 1 || nfail == 0 || y >= end)
			continue;
		memset(&sum, 0, sizeof sum);
		sum.name = "probes without an answer";
		sum.status = STEP_FAIL;
		sum.ms = last->ms;
		d = xasprintf("%zu; the last: %s", nfail, last->detail != NULL ?
		    last->detail : "?");
		sum.detail = d;
		ui_draw_check_row(y++, LX, COLS - 4, 34, &sum);
		free(d);
	}
	return y;
}

static void
draw_discover(struct wizard *wz)
{
	const struct disc_result	*r = wz->disc;
	int				 y = 4, rows, first, i, max;

	ui_textf(y, LX, COLS - 4, ROLE_HEADER, "Looking for the servers of %s",
	    strchr(wz->disc_email != NULL ? wz->disc_email : "", '@') != NULL ?
	    strchr(wz->disc_email, '@') + 1 : "?");
	if (wz->disc_task != NULL) {
		ui_textf(y + 1, LX, COLS - 4, ROLE_PROGRESS, "%s DNS SRV, "
		    "provider table, then guesses; Esc or Skip stops",
		    ui_spinner());
		ui_animate();
	}
	y += 3;
	if (r == NULL) {		/* running: the latest rows */
		max = bottom() - y - 1;
		rows = (int)wz->ndrows;
		first = rows > max ? rows - max : 0;
		for (i = first; i < rows; i++)
			ui_draw_check_row(y++, LX, COLS - 4, 34, &wz->drows[i]);
	} else {
		/* Leave room for the note and the chosen candidates. */
		max = bottom() - y - 1 - 2 * ((r->best[DISC_IMAP] >= 0) +
		    (r->best[DISC_SMTP] >= 0)) - (r->provider != NULL &&
		    r->provider->note != NULL ? 2 : 0) - 2;
		y = draw_disc_summary(wz, y, max);
	}
	y++;
	if (r != NULL) {
		if (r->provider != NULL && r->provider->note != NULL)
			y += ui_wrap(y, LX, COLS - 4, 2, ROLE_WARN,
			    r->provider->note);
		if (r->best[DISC_IMAP] >= 0) {
			candidate_line(y, &r->c[r->best[DISC_IMAP]], "IMAP");
			y += 2;
		}
		if (r->best[DISC_SMTP] >= 0) {
			candidate_line(y, &r->c[r->best[DISC_SMTP]], "SMTP");
			y += 2;
		}
		if (r->best[DISC_IMAP] < 0 && r->best[DISC_SMTP] < 0)
			ui_wrap(y, LX, COLS - 4, 2, ROLE_TEXT, "Nothing found. "
			    "That is fine: type the servers on the next page "
			    "(your provider's help pages list them).");
	}
	wz->disc_skip.hidden = wz->disc_task == NULL;
	wz->disc_next.hidden = wz->disc_task != NULL;
	buttons(wz, bottom(), &wz->disc_back, &wz->disc_skip, &wz->disc_next);
}

static void
draw_endpoint(struct wizard *wz, int y, const char *title,
    struct ui_widget *host, struct ui_widget *port, struct ui_widget *sec,
    const char *origin)
{
	int	 hw = field_width() - 14;

	ui_text(y, LX, COLS - 4, ROLE_HEADER, title);
	labelled(wz, host, y + 1, "  Host", hw);
	ui_text(y + 1, FX + hw + 2, 5, ROLE_TEXT, "Port");
	ui_draw_field(&wz->form[wz->step], port, y + 1, FX + hw + 7, 7);
	ui_text(y + 2, LX, FX - LX - 1, ROLE_TEXT, "  Security");
	ui_draw_choice(&wz->form[wz->step], sec, y + 2, FX);
	if (origin != NULL)
		hint(y + 3, ROLE_DIM, origin);
}

static void
draw_servers(struct wizard *wz)
{
	const struct provider	*p = NULL;
	int			 y = 3;

	if (wz->disc != NULL)
		p = wz->disc->provider;
	draw_endpoint(wz, y, "IMAP, to read mail", &wz->ihost, &wz->iport,
	    &wz->isec, wz->imap_origin);
	draw_endpoint(wz, y + 5, "SMTP, to send mail (empty host: none)",
	    &wz->shost, &wz->sport, &wz->ssec, wz->smtp_origin);
	labelled(wz, &wz->user, y + 10, "User name", field_width());
	hint(y + 11, ROLE_DIM, "for IMAP and SMTP; most servers want the "
	    "whole address");
	if (p != NULL && p->note != NULL)
		ui_wrap(y + 13, LX, COLS - 4, 2, ROLE_WARN, p->note);
	else
		ui_wrap(y + 13, LX, COLS - 4, 2, ROLE_DIM, "Implicit TLS "
		    "(imaps 993, smtps 465) is preferred; starttls is for "
		    "servers without it. Changing security suggests its port.");
	buttons(wz, bottom(), &wz->srv_back, &wz->srv_next, NULL);
}

static void
draw_password(struct wizard *wz)
{
	int	 y = 4, fw = field_width();
	char	*host = trimmed(&wz->ihost);

	ui_textf(y, LX, COLS - 4, ROLE_HEADER, "Password for %s on %s",
	    text_of(&wz->user), host != NULL ? host : "?");
	free(host);
	labelled(wz, &wz->pass, y + 2, "Password", fw);
	hint(y + 3, ROLE_DIM, "never shown; pasting works");
	if (wz->keyring > 0)
		ui_wrap(y + 5, LX, COLS - 4, 3, ROLE_OK, "It will be kept in "
		    "your desktop keyring (Secret Service), never in a file, "
		    "once you save on the last step.");
	else if (wz->keyring < 0) {
		ui_wrap(y + 5, LX, COLS - 4, 3, ROLE_WARN, "There is no "
		    "usable keyring here, so mailconn cannot keep the "
		    "password. Give a command that prints it instead.");
		ui_wrap(y + 7, LX, COLS - 4, 3, ROLE_DIM, wz->keyring_why);
	} else {
		ui_textf(y + 5, LX, COLS - 4, ROLE_PROGRESS, "%s checking for "
		    "a keyring...", ui_spinner());
		ui_animate();
	}
	labelled(wz, &wz->pcmd, y + 11, "Password command", fw);
	hint(y + 12, ROLE_DIM, wz->keyring < 0 ? "required here, e.g. pass "
	    "show mail/work" : "optional, instead of the keyring, e.g. pass "
	    "show mail/work");
	buttons(wz, bottom(), &wz->pw_back, &wz->pw_next, NULL);
}

static void
draw_checklist(struct wizard *wz, int y, size_t from, size_t to,
    const char *title)
{
	size_t	 i;

	ui_text(y++, LX, COLS - 4, ROLE_HEADER, title);
	for (i = from; i < to && y < bottom() - 1; i++)
		ui_draw_check_row(y++, LX + 1, COLS - LX - 2, 11,
		    &wz->trows[i]);
}

/* What failed, in the server's own words, and the way on. */
static void
draw_failure(const struct test_result *r, int y, int left)
{
	char	*said;
	int	 n = 0;

	if (r->server != NULL && left > 1) {
		said = xasprintf("The server said: %s", r->server);
		n = ui_wrap(y, LX, COLS - 4, left - 1, ROLE_TEXT, said);
		free(said);
	} else if (r->what != NULL && left > 1)
		n = ui_wrap(y, LX, COLS - 4, left - 1, ROLE_ERROR, r->what);
	if (r->advice != NULL)
		ui_wrap(y + n, LX, COLS - 4, left - n, ROLE_WARN, r->advice);
}

/* A step that has run for a while: say how long mailconn will wait. */
static void
draw_waiting(struct wizard *wz, int y)
{
	const struct ui_check	*c;
	long long		 ms;
	size_t			 i;
	int			 limit = wz->opts.timeout > 0 ? wz->opts.timeout :
				    15;

	for (i = 0; i < NTEST; i++) {
		c = &wz->trows[i];
		if (c->status != STEP_RUNNING || strstr(c->name, "cert") != NULL)
			continue;
		ms = mc_now_ms() - c->started;
		if (ms < 2000)
			return;
		ui_textf(y, LX, COLS - 4, ROLE_WARN, "No answer for %lld s; "
		    "mailconn gives up after %d s. Esc goes back.", ms / 1000,
		    limit);
		return;
	}
}

/* 1 when no SMTP row has news: its title alone says enough. */
static int
smtp_idle(const struct wizard *wz)
{
	size_t	 i;

	for (i = NIMAP; i < NTEST; i++) {
		if (wz->trows[i].status != UI_CHECK_PENDING &&
		    wz->trows[i].status != STEP_SKIP)
			return 0;
	}
	return 1;
}

static void
draw_test(struct wizard *wz)
{
	char	*ih = trimmed(&wz->ihost), *sh = trimmed(&wz->shost), *t;
	int	 y = 3, left, idle = smtp_idle(wz);

	t = xasprintf("IMAP %s:%s (%s)", ih != NULL ? ih : "?",
	    text_of(&wz->iport), imap_secs[wz->isec.choice]);
	draw_checklist(wz, y, 0, NIMAP, t);
	free(t);
	y += NIMAP + 1;
	if (sh == NULL)
		t = xstrdup("SMTP: none (no server given)");
	else
		t = xasprintf("SMTP %s:%s (%s)%s", sh, text_of(&wz->sport),
		    smtp_secs[wz->ssec.choice], idle ? (wz->test_state == -1 ?
		    ": not tested, IMAP failed first" : ": next") : "");
	if (sh == NULL || idle)
		ui_text(y++, LX, COLS - 4, ROLE_HEADER, t);
	else {
		draw_checklist(wz, y, NIMAP, NTEST, t);
		y += (int)(NTEST - NIMAP) + 1;
	}
	free(t);
	free(ih);
	free(sh);
	y++;
	left = bottom() - y - 1;
	if (wz->test_state == 1 && prompt_pending())
		ui_text(y, LX, COLS - 4, ROLE_WARN, "A certificate needs "
		    "your decision: nothing is sent until you answer.");
	else if (wz->test_state == 2 && wz->tres != NULL && wz->tres->courier)
		ui_wrap(y, LX, COLS - 4, left, ROLE_WARN, "Works, with a "
		    "warning: this is Courier-IMAP, which the requirements "
		    "mailconn checks do not support. Sync works, but `mailconn "
		    "check` reports it as failed; ask IT whether the mailbox can "
		    "move to another IMAP server. Next: the folders.");
	else if (wz->test_state == 2)
		ui_text(y, LX, COLS - 4, ROLE_OK, "All good. Next: choose the "
		    "folders.");
	else if (wz->test_state == 1)
		draw_waiting(wz, y);
	else if (wz->test_state == -1 && wz->tres != NULL)
		draw_failure(wz->tres, y, left);
	buttons(wz, bottom(), &wz->test_back, &wz->test_way, &wz->test_next);
}

static void
draw_folders(struct wizard *wz)
{
	int	 y = 3, h = bottom() - y - 6;

	ui_textf(y, LX, COLS - 4, ROLE_HEADER, "Folders to download "
	    "(%zu; all ticked by default)", wz->folders.n);
	ui_draw_list(&wz->form[WS_FOLDERS], &wz->flist, y + 1, LX, h,
	    COLS - 2 * LX);
	labelled(wz, &wz->maildir, y + h + 2, "Local Maildir", field_width());
	hint(y + h + 3, ROLE_DIM, "where the mail goes, readable by mutt, "
	    "aerc, notmuch");
	buttons(wz, bottom(), &wz->fold_back, &wz->fold_next, NULL);
}

static void
review_line(int *y, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
review_line(int *y, const char *label, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	ui_text(*y, LX, 16, ROLE_DIM, label);
	*y += ui_wrap(*y, LX + 17, COLS - LX - 19, 2, ROLE_TEXT, s);
	free(s);
}

static void
draw_review(struct wizard *wz, int *y)
{
	char	*ih = trimmed(&wz->ihost), *sh = trimmed(&wz->shost);
	char	*pc = trimmed(&wz->pcmd), *pat = folder_patterns(&wz->folders);

	review_line(y, "Account", "%s (%s)", text_of(&wz->account),
	    text_of(&wz->email));
	review_line(y, "IMAP", "%s:%s %s, user %s", ih, text_of(&wz->iport),
	    imap_secs[wz->isec.choice], text_of(&wz->user));
	if (sh != NULL)
		review_line(y, "SMTP", "%s:%s %s", sh, text_of(&wz->sport),
		    smtp_secs[wz->ssec.choice]);
	else
		review_line(y, "SMTP", "none");
	if (pc != NULL)
		review_line(y, "Password", "from `%s` (not stored)%s", pc,
		    wz->keyring < 0 ? ": there is no keyring here" : "");
	else
		review_line(y, "Password", "into the keyring");
	review_line(y, "Certificates", "%zu to pin (accepted always)",
	    wz->npins);
	review_line(y, "Folders", "%s", pat);
	review_line(y, "Maildir", "%s", text_of(&wz->maildir));
	review_line(y, "Config file", "%s", wz->cfg->path);
	free(ih);
	free(sh);
	free(pc);
	free(pat);
}

static void
draw_save(struct wizard *wz)
{
	int	 y = 3;
	size_t	 i;

	ui_text(y++, LX, COLS - 4, ROLE_HEADER, wz->save_state == 0 ?
	    "Ready to save" : "Saving");
	y++;
	draw_review(wz, &y);
	y++;
	for (i = 0; i < wz->nsrows && wz->save_state != 0 && y < bottom() - 1;
	    i++)
		ui_draw_check_row(y++, LX, COLS - LX - 2, 22, &wz->srows[i]);
	if (wz->save_state == -1)
		ui_wrap(y, LX, COLS - 4, bottom() - y - 1, ROLE_ERROR,
		    "Not saved: the account file was not written and the "
		    "passwords stored on the way were removed again "
		    "(certificates pinned on the way stay pinned); fix the "
		    "cause and try again.");
	buttons(wz, bottom(), &wz->save_back, &wz->save_go, NULL);
}

static void
draw_done(struct wizard *wz)
{
	int	 y = 4;
	size_t	 i;

	ui_textf(y, LX, COLS - 4, ROLE_OK, "%s Account %s is set up.",
	    ui_glyph(G_OK), text_of(&wz->account));
	y += 2;
	for (i = 0; i < wz->nsrows && y < bottom() - 7; i++)
		ui_draw_check_row(y++, LX, COLS - LX - 2, 22, &wz->srows[i]);
	y++;
	ui_text(y++, LX, COLS - 4, ROLE_HEADER, "What now");
	ui_textf(y++, LX, COLS - 4, ROLE_TEXT, "  mailconn sync %s      "
	    "download the mail into %s", text_of(&wz->account),
	    text_of(&wz->maildir));
	ui_textf(y++, LX, COLS - 4, ROLE_TEXT, "  mailconn check %s     "
	    "a report for IT on what the server meets", text_of(&wz->account));
	ui_text(y++, LX, COLS - 4, ROLE_TEXT, "  mailconn                "
	    "the dashboard: watch it sync");
	buttons(wz, bottom(), &wz->done_quit, NULL, NULL);
}

static void
wiz_draw(void *arg)
{
	struct wizard	*wz = arg;

	ui_form_undraw(&wz->form[wz->step]);
	draw_steps(wz);
	switch (wz->step) {
	case WS_WHO:
		draw_who(wz);
		break;
	case WS_DISCOVER:
		draw_discover(wz);
		break;
	case WS_SERVERS:
		draw_servers(wz);
		break;
	case WS_PASSWORD:
		draw_password(wz);
		break;
	case WS_TEST:
		draw_test(wz);
		break;
	case WS_FOLDERS:
		draw_folders(wz);
		break;
	case WS_SAVE:
		draw_save(wz);
		break;
	case WS_DONE:
	case WS_COUNT:
		draw_done(wz);
		break;
	}
}

/* ---------------------------------------------------------------- run */

static void
wizard_free(struct wizard *wz)
{
	size_t	 i, s;

	wtask_abandon(&wz->keyring_task);
	wtask_abandon(&wz->disc_task);
	wtask_abandon(&wz->test_task);
	wtask_abandon(&wz->save_task);
	for (s = 0; s < WS_COUNT; s++) {
		for (i = 0; i < wz->form[s].n; i++) {
			if (wz->form[s].w[i]->type == UI_W_FIELD)
				ui_field_free(&wz->form[s].w[i]->field);
		}
	}
	for (i = 0; i < NTEST; i++)
		free(wz->trows[i].detail);
	drows_clear(wz);
	srows_clear(wz);
	if (wz->disc != NULL) {
		discover_free(wz->disc);
		free(wz->disc);
	}
	if (wz->tres != NULL)
		test_result_free(wz->tres);
	wpins_free(wz->pins, wz->npins);
	ui_list_free(&wz->folders);
	free(wz->disc_email);
	free(wz->imap_origin);
	free(wz->smtp_origin);
	free(wz->saved);
}

int
wizard_run(struct config *cfg, struct certstore *store,
    const struct wizard_opts *opts, char **saved)
{
	struct wizard	 wz;
	int		 rc;

	memset(&wz, 0, sizeof wz);
	wz.cfg = cfg;
	wz.store = store;
	wz.opts = *opts;
	wz.rc = 1;
	*saved = NULL;
	wizard_init_widgets(&wz);
	test_rows_reset(&wz, 0);
	if (opts->email != NULL && opts->account == NULL)
		suggest_account(&wz);
	if (opts->email != NULL && opts->user == NULL)
		ui_field_set(&wz.user.field, opts->email);
	start_keyring(&wz);
	go(&wz, WS_WHO);
	rc = ui_run(&wiz_screens[WS_WHO], &wz);
	/*
	 * No prompt of ours is open (a prompt takes every key, so the
	 * person answered it before leaving); prompts queued for others
	 * (the dashboard's engines) are theirs to answer.
	 */
	if (rc == 0 && wz.saved != NULL) {
		*saved = wz.saved;
		wz.saved = NULL;
	} else
		rc = 1;
	wizard_free(&wz);
	return rc;
}

/*
 * send.c -- one message out over SMTP (slot 4), its copy into Sent over
 * IMAP (slot 5).  Contract in send.h.
 *
 * The protocol work is smtp.c's and imap.c's; this file decides the order,
 * what is transmitted (no Bcc), when the message is too large (before MAIL,
 * from the server's SIZE), and tells the dashboard what each slot does.
 * imap.h has no APPEND, so the copy is appended here with libetpan on the
 * session's own mailimap.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "imap.h"
#include "log.h"
#include "secret.h"
#include "send.h"
#include "slots.h"
#include "smtp.h"

#define ROLE_SMTP	"smtp"
#define ROLE_COPY	"sent copy"

/* The certificate prompt of a slot, shown as that slot's state first. */
struct send_prompt {
	const struct trust_ctx	*inner;
	struct event_queue	*q;
	const char		*account;
	int			 slot;
	const char		*role;
};

static void	 post(struct event_queue *, const char *, int, const char *,
		     enum slot_state, uint64_t, const char *, ...)
		     __attribute__((format(printf, 7, 8)));
static enum trust_answer send_prompt_fn(const struct trust_request *,
		     void *);
static const struct trust_ctx *wrap_trust(const struct trust_ctx *,
		     struct trust_ctx *, struct send_prompt *,
		     struct event_queue *, const char *, int, const char *);
static void	 human(uint64_t, char *, size_t);
static size_t	 wire_size(const char *, size_t);
static int	 send_smtp(const struct account *, const struct trust_ctx *,
		     struct event_queue *, const char *, char **, size_t,
		     const char *, size_t, struct mc_err *);
static int	 send_copy(const struct account *, const struct trust_ctx *,
		     struct event_queue *, const char *, size_t,
		     struct mc_err *);
static int	 send_append(struct imap_session *,
		     const struct imap_folder *, const char *, size_t,
		     struct mc_err *);
static int	 reply_code(const char *);

static void
post(struct event_queue *q, const char *account, int slot, const char *role,
    enum slot_state state, uint64_t sent, const char *fmt, ...)
{
	struct event	*ev;
	va_list		 ap;

	if (q == NULL)
		return;
	ev = event_new(EV_SLOT_STATE);
	ev->account = account != NULL ? xstrdup(account) : NULL;
	ev->id = slot;
	ev->status = state;
	ev->name = xstrdup(role);
	va_start(ap, fmt);
	ev->text = xvasprintf(fmt, ap);
	va_end(ap);
	ev->total = sent;
	events_post(q, ev);
}

static enum trust_answer
send_prompt_fn(const struct trust_request *req, void *arg)
{
	struct send_prompt	*w = arg;

	post(w->q, w->account, w->slot, w->role, SLOT_CERT_PROMPT, 0,
	    "cert-prompt");
	return w->inner->prompt(req, w->inner->arg);
}

/* With events and a prompt: a trust_ctx whose prompt shows on the slot. */
static const struct trust_ctx *
wrap_trust(const struct trust_ctx *tc, struct trust_ctx *out,
    struct send_prompt *w, struct event_queue *q, const char *account,
    int slot, const char *role)
{
	if (tc == NULL || tc->prompt == NULL || q == NULL)
		return tc;
	w->inner = tc;
	w->q = q;
	w->account = account;
	w->slot = slot;
	w->role = role;
	*out = *tc;
	out->prompt = send_prompt_fn;
	out->arg = w;
	return out;
}

static void
human(uint64_t n, char *buf, size_t size)
{
	if (n < 1024)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, size, "%.1f KB", n / 1024.0);
	else
		snprintf(buf, size, "%.1f MB", n / (1024.0 * 1024));
}

/*
 * The size SMTP sees (RFC 1870), computed as smtp_send() does: one final
 * line end dropped (libetpan adds CRLF.CRLF), bare LFs counted as CRLF,
 * plus the final CRLF.
 */
static size_t
wire_size(const char *msg, size_t len)
{
	size_t	i, wire;

	if (len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && msg[len - 1] == '\n')
		len -= 1;
	wire = len + 2;
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			wire++;
	}
	return wire;
}

int
send_message(const struct account *a, const struct trust_ctx *tc,
    struct event_queue *q, const char *from, char **rcpts, size_t n,
    const char *msg, size_t len, int save_copy, struct mc_err *err)
{
	static const char *const bcc[] = { "Bcc", "Resent-Bcc", NULL };
	struct mc_err	 e;
	char		*wire;
	size_t		 wlen;
	int		 rc;

	mc_err_clear(err);
	if (a->smtp_host == NULL || *a->smtp_host == '\0') {
		mc_err_set(err, MCE_CONFIG, "Account '%s' has no smtp-host to "
		    "send with; add smtp-host (and smtp-port, smtp-security) "
		    "to its section of the account file.", a->name);
		return -1;
	}
	if (len == 0) {
		mc_err_set(err, MCE_USAGE, "The message is empty; nothing was "
		    "sent.");
		return -1;
	}
	if (len > SEND_MAX_BYTES) {
		mc_err_set(err, MCE_USAGE, "The message is %zu bytes, more "
		    "than mailconn sends (%lu MB); nothing was sent.", len,
		    SEND_MAX_BYTES >> 20);
		return -1;
	}
	if (n == 0) {
		mc_err_set(err, MCE_USAGE, "The message has no recipients; "
		    "nothing was sent.");
		return -1;
	}
	if (from == NULL || *from == '\0') {
		mc_err_set(err, MCE_USAGE, "There is no sender address (the "
		    "account has no email, and none was given with -f).");
		return -1;
	}

	/* What goes out has no Bcc; the copy keeps it. */
	wire = xmalloc(len);
	memcpy(wire, msg, len);
	wlen = addr_fields_remove(wire, len, bcc);
	rc = send_smtp(a, tc, q, from, rcpts, n, wire, wlen, err);
	free(wire);
	if (rc != 0) {
		log_error("send: account %s: not sent: %s%s%s", a->name,
		    err->msg, err->server[0] != '\0' ? " Server: " : "",
		    err->server);
		return -1;
	}
	log_info("send: account %s: sent from %s to %zu recipient%s (%zu "
	    "bytes)", a->name, from, n, n == 1 ? "" : "s", wlen);
	if (!save_copy)
		return 0;

	mc_err_clear(&e);
	if (send_copy(a, tc, q, msg, len, &e) != 0) {
		mc_err_set(err, e.kind, "The message was sent, but its copy "
		    "was not saved in Sent: %s", e.msg);
		memcpy(err->server, e.server, sizeof err->server);
		log_warn("send: account %s: %s", a->name, err->msg);
		return SEND_COPY_FAILED;
	}
	return 0;
}

static int
send_smtp(const struct account *a, const struct trust_ctx *tc,
    struct event_queue *q, const char *from, char **rcpts, size_t n,
    const char *msg, size_t len, struct mc_err *err)
{
	struct endpoint		 ep;
	struct smtp_session	*s = NULL;
	struct trust_ctx	 wtc;
	struct send_prompt	 w;
	const struct trust_ctx	*use;
	const char		*user;
	char			*pw = NULL, *hp, sz[32];
	size_t			 wire;

	memset(&ep, 0, sizeof ep);
	ep.host = a->smtp_host;
	ep.port = a->smtp_port;
	ep.sec = a->smtp_sec;
	ep.ca_file = a->ca_file;
	ep.tls_min = a->tls_min;
	user = a->smtp_user != NULL ? a->smtp_user : a->imap_user != NULL ?
	    a->imap_user : a->email;
	use = wrap_trust(tc, &wtc, &w, q, a->name, SEND_SLOT_SMTP, ROLE_SMTP);

	if (user == NULL) {
		mc_err_set(err, MCE_CONFIG, "Account '%s' has no smtp-user "
		    "(nor imap-user or email).", a->name);
		goto fail;
	}
	/* The password first: without it, connecting is pointless. */
	if (secret_for_account(a, "smtp", &pw, err) != 0) {
		if (err->kind == MCE_NONE)
			err->kind = MCE_SECRET;
		goto fail;
	}
	post(q, a->name, SEND_SLOT_SMTP, ROLE_SMTP, SLOT_CONNECTING, 0,
	    "connecting");
	if (smtp_open(&ep, use, &s, err) != 0)
		goto fail;
	if (s->conn != NULL && s->conn->tls_version[0] != '\0')
		post(q, a->name, SEND_SLOT_SMTP, ROLE_SMTP, SLOT_TLS, 0,
		    "tls %s", s->conn->tls_version);
	post(q, a->name, SEND_SLOT_SMTP, ROLE_SMTP, SLOT_AUTH, 0, "auth");
	if (smtp_login(s, user, pw, err) != 0)
		goto fail;
	mc_free_secret(pw);
	pw = NULL;

	/* Refused before MAIL: not one byte of the message travels. */
	wire = wire_size(msg, len);
	if (s->size_limit > 0 && wire > s->size_limit) {
		hp = certstore_hostport(a->smtp_host, a->smtp_port);
		mc_err_set(err, MCE_USAGE, "The message is %zu bytes; %s "
		    "accepts at most %zu bytes (SIZE %zu); nothing was sent.",
		    wire, hp, s->size_limit, s->size_limit);
		free(hp);
		goto fail;
	}

	/* Big messages: the server may think a while before its reply. */
	if (s->smtp != NULL && s->smtp->stream != NULL)
		mailstream_low_set_timeout(mailstream_get_low(s->smtp->stream),
		    SEND_DATA_TIMEOUT);
	s->ep.timeout = SEND_DATA_TIMEOUT;
	human(wire, sz, sizeof sz);
	post(q, a->name, SEND_SLOT_SMTP, ROLE_SMTP, SLOT_FETCHING, 0,
	    "sending %s", sz);
	if (smtp_send(s, from, rcpts, n, msg, len, err) != 0)
		goto fail;
	smtp_close(s);
	post(q, a->name, SEND_SLOT_SMTP, ROLE_SMTP, SLOT_CLOSED, wire, "done");
	return 0;

fail:
	mc_free_secret(pw);
	if (s != NULL) {
		/* A dead or silent server: no polite QUIT to wait for. */
		if (err->kind == MCE_TIMEOUT || err->kind == MCE_PROTOCOL ||
		    err->kind == MCE_CANCELLED)
			smtp_cancel(s);
		smtp_close(s);
	}
	post(q, a->name, SEND_SLOT_SMTP, ROLE_SMTP, SLOT_ERROR, 0,
	    "error: %s", err->msg);
	return -1;
}

static int
send_copy(const struct account *a, const struct trust_ctx *tc,
    struct event_queue *q, const char *msg, size_t len, struct mc_err *err)
{
	struct endpoint		 ep;
	struct imap_session	*s = NULL;
	struct imap_folder	*f = NULL;
	struct trust_ctx	 wtc;
	struct send_prompt	 w;
	const struct trust_ctx	*use;
	const char		*user;
	char			*pw = NULL;
	size_t			 nf = 0;
	int			 i;

	memset(&ep, 0, sizeof ep);
	ep.host = a->imap_host;
	ep.port = a->imap_port;
	ep.sec = a->imap_sec;
	ep.ca_file = a->ca_file;
	ep.tls_min = a->tls_min;
	user = a->imap_user != NULL ? a->imap_user : a->email;
	use = wrap_trust(tc, &wtc, &w, q, a->name, SEND_SLOT_COPY, ROLE_COPY);

	if (a->imap_host == NULL || user == NULL) {
		mc_err_set(err, MCE_CONFIG, "Account '%s' has no imap-host or "
		    "imap-user.", a->name);
		goto fail;
	}
	if (secret_for_account(a, "imap", &pw, err) != 0) {
		if (err->kind == MCE_NONE)
			err->kind = MCE_SECRET;
		goto fail;
	}
	post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_CONNECTING, 0,
	    "connecting");
	if (imap_open(&ep, use, &s, err) != 0)
		goto fail;
	if (s->conn != NULL && s->conn->tls_version[0] != '\0')
		post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_TLS, 0,
		    "tls %s", s->conn->tls_version);
	post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_AUTH, 0, "auth");
	if (imap_login(s, user, pw, err) != 0)
		goto fail;
	mc_free_secret(pw);
	pw = NULL;
	post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_SELECTING, 0,
	    "listing folders");
	if (imap_list(s, &f, &nf, err) != 0)
		goto fail;
	if ((i = imap_find_sent(f, nf)) < 0) {
		mc_err_set(err, MCE_NOTFOUND, "%s has no Sent folder (none is "
		    "marked \\Sent, none has a usual name).", a->imap_host);
		goto fail;
	}
	post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_FETCHING, 0,
	    "appending to %s", f[i].name);
	if (send_append(s, &f[i], msg, len, err) != 0)
		goto fail;
	log_info("send: account %s: copy saved in %s", a->name, f[i].name);
	imap_folders_free(f, nf);
	imap_close(s);
	post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_CLOSED, len, "done");
	return 0;

fail:
	mc_free_secret(pw);
	imap_folders_free(f, nf);
	if (s != NULL) {
		if (err->kind == MCE_TIMEOUT || err->kind == MCE_PROTOCOL ||
		    err->kind == MCE_CANCELLED)
			imap_abort(s);
		else
			imap_close(s);
	}
	post(q, a->name, SEND_SLOT_COPY, ROLE_COPY, SLOT_ERROR, 0,
	    "error: %s", err->msg);
	return -1;
}

/*
 * APPEND folder (\Seen) {n}: the message with CRLF line ends (IMAP
 * literals are CRLF; Dovecot would store bare LFs as they are).
 */
static int
send_append(struct imap_session *s, const struct imap_folder *folder,
    const char *msg, size_t len, struct mc_err *err)
{
	struct mailimap_flag_list	*flags;
	char				*crlf, what[300];
	size_t				 i, k = 0, extra = 0;
	int				 rc;

	for (i = 0; i < len; i++)
		extra += msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r');
	crlf = xmalloc(len + extra + 1);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			crlf[k++] = '\r';
		crlf[k++] = msg[i];
	}
	crlf[k] = '\0';

	flags = mailimap_flag_list_new_empty();
	if (flags == NULL ||
	    mailimap_flag_list_add(flags, mailimap_flag_new_seen()) !=
	    MAILIMAP_NO_ERROR)
		fatalx("send: out of memory");
	if (s->imap->imap_stream != NULL)
		mailstream_low_set_timeout(mailstream_get_low(
		    s->imap->imap_stream), SEND_DATA_TIMEOUT);
	s->ep.timeout = SEND_DATA_TIMEOUT;
	rc = mailimap_append(s->imap, folder->wire, flags, NULL, crlf, k);
	mailimap_flag_list_free(flags);
	free(crlf);
	if (rc != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof what, "saving the copy in \"%s\"",
		    folder->name);
		imap_set_error(s, rc, what, err);
		return -1;
	}
	return 0;
}

/* The SMTP reply code at the start of s ("550 5.1.1 ..."), or 0. */
static int
reply_code(const char *s)
{
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && (s[3] == ' ' || s[3] == '-' ||
	    s[3] == '\0'))
		return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return 0;
}

int
send_exit_status(const struct mc_err *err)
{
	const char	*p;
	int		 code, perm = 0, temp = 0;

	switch (err->kind) {
	case MCE_NONE:
		return EX_OK;
	case MCE_USAGE:
		return EX_DATAERR;
	case MCE_CONFIG:
	case MCE_SECRET:
	case MCE_NOTFOUND:
		return EX_CONFIG;
	case MCE_AUTH:
	case MCE_CERT_UNTRUSTED:
	case MCE_CERT_REJECTED:
	case MCE_CERT_CHANGED:
	case MCE_STARTTLS:
	case MCE_INSECURE:
		return EX_NOPERM;
	case MCE_RESOLVE:
	case MCE_REFUSED:
	case MCE_TIMEOUT:
	case MCE_UNREACHABLE:
	case MCE_LIMIT:
	case MCE_CANCELLED:
	case MCE_PROTOCOL:	/* mostly "the connection was lost" */
		return EX_TEMPFAIL;
	case MCE_TLS:
		return EX_UNAVAILABLE;
	case MCE_IO:
		return EX_OSERR;
	case MCE_SERVER:
		if (err->server[0] == '<') {
			/* smtp_send: "<rcpt>: CODE text; <rcpt>: ..." */
			for (p = err->server; (p = strstr(p, ">: ")) != NULL;
			    p += 3) {
				code = reply_code(p + 3);
				perm |= code >= 500;
				temp |= code >= 400 && code < 500;
			}
			if (perm)
				return EX_NOUSER;
			if (temp)
				return EX_TEMPFAIL;
			return EX_UNAVAILABLE;
		}
		code = reply_code(err->server);
		if (code >= 400 && code < 500)
			return EX_TEMPFAIL;
		if (code == 552)	/* exceeded storage allocation */
			return EX_DATAERR;
		return EX_UNAVAILABLE;
	}
	return EX_SOFTWARE;
}

/*
 * smtp.c -- one SMTP submission session: net.c carries the bytes, libetpan
 * reads the replies.
 *
 *   smtps:    TCP -> TLS -> trust gate -> 220 -> EHLO
 *   starttls: TCP -> 220 -> EHLO (STARTTLS required) -> STARTTLS
 *             (injection refused) -> TLS -> trust gate -> EHLO again
 *   none:     loopback only.
 *
 * AUTH is done here, not by libetpan: its AUTH goes through Cyrus SASL and
 * fails without the plugins (TESTBED 4.3).  The credential lines are sent
 * with mailsmtp_send_command_private so traces mark them private.
 */

#include <sys/socket.h>

#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "smtp.h"

/* Exported by libetpan, declared only in its uninstalled private header. */
int	mailsmtp_send_command(mailsmtp *, char *);
int	mailsmtp_send_command_private(mailsmtp *, char *);
int	mailsmtp_read_response(mailsmtp *);
int	mailesmtp_parse_ehlo(mailsmtp *);

/*
 * The EHLO argument: an address literal that says nothing about this
 * machine (no host name, no LAN address), as Thunderbird's privacy option.
 */
#define EHLO_LINE	"EHLO [127.0.0.1]\r\n"
#define QUIT_TIMEOUT	5
/* libetpan formats MAIL/RCPT into 513 bytes; keep addresses well inside. */
#define ADDR_MAX	400

static void	 smtp_logger(mailsmtp *, int, const char *, size_t, void *);
static void	 peer_name(const struct endpoint *, char *, size_t);
static int	 gate(struct smtp_session *, const struct trust_ctx *,
		     struct mc_err *);
static int	 ehlo(struct smtp_session *, struct mc_err *);
static void	 parse_ehlo(struct smtp_session *, const char *);
static void	 reply_words(struct smtp_session *, char *, size_t);
static void	 smtp_fail(struct smtp_session *, int, const char *,
		     long long, struct mc_err *);
static void	 smtp_abort(struct smtp_session *);
static char	*b64(const void *, size_t);
static int	 send_private(struct smtp_session *, const char *);
static void	 wipe_write_buffer(mailstream *);
static int	 addr_ok(const char *);
static int	 is_limit_text(const char *);

static void
smtp_logger(mailsmtp *smtp, int type, const char *buf, size_t len, void *arg)
{
	struct smtp_session	*s = arg;
	char			 peer[NET_ADDR_MAX + 300];
	int			 sent, priv;

	(void)smtp;
	switch (type) {
	case MAILSTREAM_LOG_TYPE_DATA_SENT:
		sent = 1;
		priv = 0;
		break;
	case MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE:
		sent = 1;
		priv = 1;
		break;
	case MAILSTREAM_LOG_TYPE_DATA_RECEIVED:
		sent = 0;
		priv = 0;
		break;
	default:
		return;
	}
	peer_name(&s->ep, peer, sizeof peer);
	log_trace("smtp", peer, sent, priv, buf, len);
}

static void
peer_name(const struct endpoint *ep, char *buf, size_t size)
{
	if (strchr(ep->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", ep->host, ep->port);
	else
		snprintf(buf, size, "%s:%d", ep->host, ep->port);
}

static int
gate(struct smtp_session *s, const struct trust_ctx *tc, struct mc_err *err)
{
	if (trust_gate(tc, "smtp", s->conn, &s->trust, err) != 0)
		return -1;
	s->trusted = 1;
	return 0;
}

/* The reply as "CODE text", lines joined by spaces, sanitised. */
static void
reply_words(struct smtp_session *s, char *out, size_t size)
{
	const char	*r;
	size_t		 len;
	char		*p;

	out[0] = '\0';
	if (s->smtp == NULL)
		return;
	r = s->smtp->response != NULL ? s->smtp->response : "";
	if (s->smtp->response_code > 0)
		snprintf(out, size, "%d %s", s->smtp->response_code, r);
	else
		snprintf(out, size, "%s", r);
	len = strlen(out);
	while (len > 0 && isspace((unsigned char)out[len - 1]))
		out[--len] = '\0';
	for (p = out; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	mc_sanitize(out);
}

static int
is_limit_text(const char *text)
{
	return strcasestr(text, "too many") != NULL ||
	    strcasestr(text, "maximum number of connections") != NULL ||
	    strcasestr(text, "connection limit") != NULL;
}

/*
 * Fill err for a failed step.  code is the SMTP reply code, 0 when the
 * stream failed: then the cancel pipe, the socket or the time spent says
 * whether it was cancelled, timed out or lost.
 */
static void
smtp_fail(struct smtp_session *s, int code, const char *what,
    long long started, struct mc_err *err)
{
	struct pollfd	 pfd;
	struct mc_err	 ne;
	mailstream	*stream;
	char		 peer[NET_ADDR_MAX + 300], c;
	size_t		 n;
	int		 timeout, fd, kind;

	peer_name(&s->ep, peer, sizeof peer);
	timeout = s->ep.timeout > 0 ? s->ep.timeout : NET_DEFAULT_TIMEOUT;
	err->server[0] = '\0';
	if (code != 0) {
		reply_words(s, err->server, sizeof err->server);
		if (code == 421 && is_limit_text(err->server))
			mc_err_set(err, MCE_LIMIT, "%s closed the session "
			    "while %s: too many connections.", peer, what);
		else if (code == 530)
			mc_err_set(err, MCE_AUTH, "%s requires a login "
			    "(AUTH) before it accepts %s.", peer, what);
		else if (code >= 400 && code < 500)
			mc_err_set(err, MCE_SERVER, "%s refused %s for now "
			    "(temporary failure, %d); try again later.",
			    peer, what, code);
		else
			mc_err_set(err, MCE_SERVER, "%s refused %s (%d).",
			    peer, what, code);
		return;
	}

	mc_err_clear(&ne);
	if (s->conn != NULL && net_stream_error(s->conn, &ne) != 0) {
		/* net's driver knows: "No answer from H:P within N s." */
		n = strlen(ne.msg);
		while (n > 0 && ne.msg[n - 1] == '.')
			ne.msg[--n] = '\0';
		mc_err_set(err, ne.kind, "%s while %s.", ne.msg, what);
		return;
	}
	kind = MCE_PROTOCOL;
	if (s->conn != NULL && s->conn->cancel_fd[0] >= 0) {
		pfd.fd = s->conn->cancel_fd[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
			kind = MCE_CANCELLED;
	}
	stream = s->smtp != NULL ? s->smtp->stream : NULL;
	fd = stream != NULL ?
	    mailstream_low_get_fd(mailstream_get_low(stream)) : -1;
	if (kind == MCE_CANCELLED)
		;
	else if (fd >= 0) {
		/* A silent peer: no hang-up and nothing (more) to read. */
		pfd.fd = fd;
		pfd.events = POLLIN | POLLRDHUP;
		if (poll(&pfd, 1, 0) == 0)
			kind = MCE_TIMEOUT;
		else if (!(pfd.revents &
		    (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) &&
		    recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			kind = MCE_TIMEOUT;
	} else if (mc_now_ms() - started >= timeout * 1000LL - 250)
		kind = MCE_TIMEOUT;	/* libetpan already closed it */

	if (kind == MCE_CANCELLED)
		mc_err_set(err, MCE_CANCELLED, "Cancelled while %s (%s).",
		    what, peer);
	else if (kind == MCE_TIMEOUT)
		mc_err_set(err, MCE_TIMEOUT, "No answer from %s within %d "
		    "seconds while %s.", peer, timeout, what);
	else
		mc_err_set(err, MCE_PROTOCOL, "The connection to %s was lost "
		    "while %s.", peer, what);
}

/* EHLO with our neutral name; fills the session's view of the server. */
static int
ehlo(struct smtp_session *s, struct mc_err *err)
{
	long long	t = mc_now_ms();
	int		code;

	if (mailsmtp_send_command(s->smtp, EHLO_LINE) == -1)
		code = 0;
	else
		code = mailsmtp_read_response(s->smtp);
	if (code != 250) {
		smtp_fail(s, code, "the EHLO greeting", t, err);
		return -1;
	}
	mailesmtp_parse_ehlo(s->smtp);	/* libetpan's flags, for its calls */
	parse_ehlo(s, s->smtp->response);
	return 0;
}

/* The extension lines of a 250 EHLO reply (the first line is the name). */
static void
parse_ehlo(struct smtp_session *s, const char *resp)
{
	const char	*line, *end, *p, *w;
	char		 word[64], list[256];
	size_t		 n, ll = 0;

	s->starttls_offered = s->pipelining = s->eightbitmime = 0;
	s->size_limit = 0;
	s->auth_mechs = 0;
	free(s->auth_list);
	s->auth_list = NULL;
	list[0] = '\0';
	if (resp == NULL || (line = strchr(resp, '\n')) == NULL)
		return;
	for (line++; *line != '\0'; line = *end == '\0' ? end : end + 1) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		for (p = line; p < end && !isspace((unsigned char)*p) &&
		    *p != '='; p++)
			;
		n = p - line;
		if (n == 0 || n >= sizeof word)
			continue;
		memcpy(word, line, n);
		word[n] = '\0';
		if (strcasecmp(word, "STARTTLS") == 0)
			s->starttls_offered = 1;
		else if (strcasecmp(word, "PIPELINING") == 0)
			s->pipelining = 1;
		else if (strcasecmp(word, "8BITMIME") == 0)
			s->eightbitmime = 1;
		else if (strcasecmp(word, "SIZE") == 0)
			s->size_limit = strtoul(p, NULL, 10);
		else if (strcasecmp(word, "AUTH") == 0) {
			/* "AUTH PLAIN LOGIN", or the old "AUTH=PLAIN LOGIN" */
			while (p < end) {
				while (p < end && (isspace((unsigned char)*p) ||
				    *p == '='))
					p++;
				for (w = p; p < end &&
				    !isspace((unsigned char)*p); p++)
					;
				n = p - w;
				if (n == 0 || n >= sizeof word)
					continue;
				memcpy(word, w, n);
				word[n] = '\0';
				if (strcasecmp(word, "PLAIN") == 0)
					s->auth_mechs |= SMTP_AUTH_PLAIN;
				else if (strcasecmp(word, "LOGIN") == 0)
					s->auth_mechs |= SMTP_AUTH_LOGIN;
				else
					s->auth_mechs |= SMTP_AUTH_OTHER;
				if (strstr(list, word) == NULL &&
				    ll + n + 2 < sizeof list) {
					if (ll > 0)
						list[ll++] = ' ';
					memcpy(list + ll, word, n + 1);
					ll += n;
				}
			}
		}
	}
	if (ll > 0) {
		s->auth_list = xstrdup(list);
		mc_sanitize(s->auth_list);
	}
}

int
smtp_open(const struct endpoint *ep, const struct trust_ctx *tc,
    struct smtp_session **out, struct mc_err *err)
{
	struct smtp_session	*s;
	mailstream		*stream;
	char			 peer[NET_ADDR_MAX + 300];
	long long		 t;
	int			 rc, timeout;

	*out = NULL;
	mc_err_clear(err);
	if (ep->sec == SEC_NONE && !net_is_loopback(ep->host)) {
		mc_err_set(err, MCE_INSECURE, "Refusing plaintext SMTP to a "
		    "non-loopback host (%s); use smtps or starttls.",
		    ep->host);
		return -1;
	}
	peer_name(ep, peer, sizeof peer);
	timeout = ep->timeout > 0 ? ep->timeout : NET_DEFAULT_TIMEOUT;

	s = xcalloc(1, sizeof *s);
	s->ep = *ep;
	s->trust = CERT_UNTRUSTED;

	s->conn = trust_connect(ep, "smtp", tc, &s->probe, &s->connect_ms,
	    &s->tls_ms, &s->trust, err);
	if (s->conn == NULL)
		goto fail;
	if (ep->sec == SEC_TLS)
		s->trusted = 1;		/* the gate passed */

	stream = net_stream(s->conn);
	if (stream == NULL) {
		mc_err_set(err, MCE_IO, "Cannot set up the stream for %s.",
		    peer);
		goto fail;
	}
	mailstream_low_set_timeout(mailstream_get_low(stream), timeout);
	s->smtp = mailsmtp_new(0, NULL);
	if (s->smtp == NULL)
		fatalx("mailsmtp_new: out of memory");
	mailsmtp_set_timeout(s->smtp, timeout);
	if (log_debug_enabled())
		mailsmtp_set_logger(s->smtp, smtp_logger, s);

	t = mc_now_ms();
	rc = mailsmtp_connect(s->smtp, stream);
	if (rc != MAILSMTP_NO_ERROR) {
		/* libetpan closed the stream on failure. */
		if (s->smtp->stream == NULL)
			s->conn->stream = NULL;
		smtp_fail(s, rc == MAILSMTP_ERROR_STREAM ? 0 :
		    s->smtp->response_code, "waiting for the greeting", t, err);
		goto fail;
	}
	if (s->smtp->response != NULL) {
		s->greeting = xstrdup(s->smtp->response);
		s->greeting[strcspn(s->greeting, "\r\n")] = '\0';
		mc_sanitize(s->greeting);
	}
	if (ehlo(s, err) != 0)
		goto fail;

	if (ep->sec == SEC_STARTTLS) {
		s->greeting_pre_tls = 1;
		if (!s->starttls_offered) {
			mc_err_set(err, MCE_STARTTLS, "Server does not offer "
			    "STARTTLS on %s; use smtps (port 465) or ask IT "
			    "to enable STARTTLS.", peer);
			goto fail;
		}
		t = mc_now_ms();
		rc = mailesmtp_starttls(s->smtp);
		if (rc == MAILSMTP_ERROR_SSL || (s->smtp->stream != NULL &&
		    s->smtp->stream->read_buffer_len > 0)) {
			/* CVE-2020-15953: bytes after 220 would pass as
			 * if they came over TLS. */
			mc_err_set(err, MCE_STARTTLS, "Server %s sent data "
			    "right after its STARTTLS reply (possible "
			    "response injection); refusing the connection.",
			    peer);
			goto fail;
		}
		if (rc == MAILSMTP_ERROR_STREAM) {
			smtp_fail(s, 0, "starting TLS", t, err);
			goto fail;
		}
		if (rc != MAILSMTP_NO_ERROR) {
			reply_words(s, err->server, sizeof err->server);
			mc_err_set(err, MCE_STARTTLS, "Server %s refused "
			    "STARTTLS; use smtps (port 465) or ask IT to fix "
			    "STARTTLS.", peer);
			goto fail;
		}
		t = mc_now_ms();
		if (net_starttls(s->conn, ep, err) != 0)
			goto fail;
		s->tls_ms = mc_now_ms() - t;
		mailstream_low_set_timeout(mailstream_get_low(
		    s->smtp->stream), timeout);
		/* Forget what was said in the clear. */
		parse_ehlo(s, NULL);
		if (gate(s, tc, err) != 0)
			goto fail;
		if (ehlo(s, err) != 0)
			goto fail;
		s->starttls_offered = 1;	/* and used */
	} else if (ep->sec == SEC_NONE)
		s->trusted = 1;		/* loopback */

	log_debug("smtp: %s: connected (%s), SIZE %zu, AUTH %s, connect "
	    "%lld ms, tls %lld ms", peer, sec_mode_name(ep->sec, 1),
	    s->size_limit, s->auth_list != NULL ? s->auth_list : "-",
	    s->connect_ms, s->tls_ms);
	*out = s;
	return 0;

fail:
	smtp_abort(s);
	return -1;
}

static char *
b64(const void *data, size_t len)
{
	char	*out;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* One credential line, marked private for the trace, then wiped. */
static int
send_private(struct smtp_session *s, const char *line)
{
	char	*cmd;
	int	 code;

	cmd = xasprintf("%s\r\n", line);
	if (mailsmtp_send_command_private(s->smtp, cmd) == -1)
		code = 0;
	else
		code = mailsmtp_read_response(s->smtp);
	mc_free_secret(cmd);
	if (s->smtp->stream != NULL) {
		mailstream_set_privacy(s->smtp->stream, 1);
		wipe_write_buffer(s->smtp->stream);
	}
	return code;
}

static void
wipe_write_buffer(mailstream *stream)
{
	if (stream != NULL && stream->write_buffer != NULL)
		mc_wipe(stream->write_buffer, stream->buffer_max_size);
}

int
smtp_login(struct smtp_session *s, const char *user, const char *password,
    struct mc_err *err)
{
	char		 peer[NET_ADDR_MAX + 300], *raw, *enc, *line;
	size_t		 ulen, plen, rawlen;
	long long	 t = mc_now_ms();
	int		 code;

	mc_err_clear(err);
	peer_name(&s->ep, peer, sizeof peer);
	if (!s->trusted) {
		mc_err_set(err, MCE_INSECURE, "Refusing to send the password "
		    "to %s: the connection is not trusted.", peer);
		return -1;
	}
	if (s->authenticated)
		return 0;
	if (!(s->auth_mechs & (SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN))) {
		mc_err_set(err, MCE_AUTH, "Server %s offers no password "
		    "login (AUTH PLAIN or LOGIN)%s%s.", peer,
		    s->auth_list != NULL ? "; it offers " : "",
		    s->auth_list != NULL ? s->auth_list : "");
		return -1;
	}

	if (s->auth_mechs & SMTP_AUTH_PLAIN) {
		/* RFC 4616: authzid NUL authcid NUL passwd */
		ulen = strlen(user);
		plen = strlen(password);
		rawlen = ulen + plen + 2;
		raw = xmalloc(rawlen);
		raw[0] = '\0';
		memcpy(raw + 1, user, ulen);
		raw[1 + ulen] = '\0';
		memcpy(raw + 2 + ulen, password, plen);
		enc = b64(raw, rawlen);
		mc_wipe(raw, rawlen);
		free(raw);
		line = xasprintf("AUTH PLAIN %s", enc);
		mc_free_secret(enc);
		code = send_private(s, line);
		mc_free_secret(line);
	} else {
		code = send_private(s, "AUTH LOGIN");
		if (code == 334) {
			enc = b64(user, strlen(user));
			code = send_private(s, enc);
			mc_free_secret(enc);
		}
		if (code == 334) {
			enc = b64(password, strlen(password));
			code = send_private(s, enc);
			mc_free_secret(enc);
		}
	}
	if (code == 235) {
		s->authenticated = 1;
		log_info("smtp: %s: logged in as %s", peer, user);
		return 0;
	}
	if (code == 334) {
		/* A challenge we did not expect: cancel the exchange. */
		send_private(s, "*");
		mc_err_set(err, MCE_PROTOCOL, "Server %s asked for more "
		    "than AUTH %s needs.", peer,
		    (s->auth_mechs & SMTP_AUTH_PLAIN) ? "PLAIN" : "LOGIN");
		return -1;
	}
	if (code == 535) {
		reply_words(s, err->server, sizeof err->server);
		mc_err_set(err, MCE_AUTH, "The server rejected the user name "
		    "or password for %s on %s.", user, peer);
		return -1;
	}
	smtp_fail(s, code, "the login", t, err);
	if (code >= 500)
		err->kind = MCE_AUTH;
	return -1;
}

/* A mailbox for MAIL/RCPT: no line breaks or brackets, room to spare. */
static int
addr_ok(const char *a)
{
	return a != NULL && strlen(a) <= ADDR_MAX &&
	    strpbrk(a, "\r\n<>") == NULL;
}

int
smtp_send(struct smtp_session *s, const char *from, char **rcpts,
    size_t nrcpts, const char *msg, size_t len, struct mc_err *err)
{
	char		 peer[NET_ADDR_MAX + 300], words[MC_ERR_MAX];
	char		 refused[MC_ERR_MAX];
	size_t		 i, wire, nbad = 0, rl = 0;
	long long	 t;
	int		 rc;

	mc_err_clear(err);
	peer_name(&s->ep, peer, sizeof peer);
	if (!addr_ok(from)) {
		mc_err_set(err, MCE_USAGE, "The sender address is not usable "
		    "(too long, or with a line break or angle bracket).");
		return -1;
	}
	if (nrcpts == 0) {
		mc_err_set(err, MCE_USAGE, "The message has no recipients.");
		return -1;
	}
	for (i = 0; i < nrcpts; i++) {
		if (!addr_ok(rcpts[i]) || *rcpts[i] == '\0') {
			mc_err_set(err, MCE_USAGE, "The recipient address "
			    "\"%.100s\" is not usable.", rcpts[i] != NULL ?
			    rcpts[i] : "");
			return -1;
		}
	}

	/* mailsmtp_data_message always appends CRLF.CRLF: drop one EOL. */
	if (len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && msg[len - 1] == '\n')
		len -= 1;
	/* Size on the wire (RFC 1870): bare LFs become CRLF, plus the EOL. */
	wire = len + 2;
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			wire++;
	}
	if (s->size_limit > 0 && wire > s->size_limit) {
		mc_err_set(err, MCE_SERVER, "Message is %zu bytes; the server "
		    "accepts at most %zu bytes (SIZE).", wire, s->size_limit);
		return -1;
	}

	t = mc_now_ms();
	rc = mailesmtp_mail_size(s->smtp, from, 1, NULL, wire);
	if (rc != MAILSMTP_NO_ERROR) {
		if (rc == MAILSMTP_ERROR_EXCEED_STORAGE_ALLOCATION) {
			reply_words(s, err->server, sizeof err->server);
			mc_err_set(err, MCE_SERVER, "Message is %zu bytes; "
			    "%s refused it as too large.", wire, peer);
		} else
			smtp_fail(s, rc == MAILSMTP_ERROR_STREAM ? 0 :
			    s->smtp->response_code, "the sender (MAIL FROM)",
			    t, err);
		return -1;
	}
	refused[0] = '\0';
	for (i = 0; i < nrcpts; i++) {
		t = mc_now_ms();
		rc = mailesmtp_rcpt(s->smtp, rcpts[i], 0, NULL);
		if (rc == MAILSMTP_ERROR_STREAM) {
			smtp_fail(s, 0, "a recipient (RCPT TO)", t, err);
			return -1;
		}
		if (rc == MAILSMTP_NO_ERROR)
			continue;
		nbad++;
		reply_words(s, words, sizeof words);
		rl += snprintf(refused + rl, rl < sizeof refused ?
		    sizeof refused - rl : 0, "%s<%s>: %s", rl > 0 ? "; " : "",
		    rcpts[i], words);
		if (rl >= sizeof refused)
			rl = sizeof refused;
	}
	if (nbad > 0) {
		/* All or nothing: never deliver to only some of them. */
		mailsmtp_reset(s->smtp);
		mc_err_server(err, refused);
		mc_err_set(err, MCE_SERVER, "%s refused %zu of %zu "
		    "recipients; nothing was sent.", peer, nbad, nrcpts);
		return -1;
	}
	t = mc_now_ms();
	rc = mailsmtp_data(s->smtp);
	if (rc != MAILSMTP_NO_ERROR) {
		smtp_fail(s, rc == MAILSMTP_ERROR_STREAM ? 0 :
		    s->smtp->response_code, "the message (DATA)", t, err);
		return -1;
	}
	t = mc_now_ms();
	/*
	 * The message body is the person's mail, not protocol: keep it out of
	 * the trace (the final reply is logged below).
	 */
	if (log_debug_enabled()) {
		mailsmtp_set_logger(s->smtp, NULL, NULL);
		log_debug("TRACE smtp %s C: <message body, %zu bytes>", peer,
		    wire);
	}
	rc = mailsmtp_data_message(s->smtp, msg, len);
	if (log_debug_enabled())
		mailsmtp_set_logger(s->smtp, smtp_logger, s);
	if (rc != MAILSMTP_NO_ERROR) {
		smtp_fail(s, rc == MAILSMTP_ERROR_STREAM ? 0 :
		    s->smtp->response_code, "the message", t, err);
		return -1;
	}
	reply_words(s, words, sizeof words);
	log_info("smtp: %s: message of %zu bytes accepted: %s", peer, wire,
	    words);
	return 0;
}

static void
smtp_abort(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->smtp != NULL) {
		/* net_close owns the stream; no QUIT from mailsmtp_free. */
		s->smtp->stream = NULL;
		mailsmtp_free(s->smtp);
	}
	if (s->conn != NULL)
		net_close(s->conn);
	free(s->greeting);
	free(s->auth_list);
	free(s);
}

void
smtp_close(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->smtp != NULL && s->smtp->stream != NULL) {
		mailstream_low_set_timeout(mailstream_get_low(
		    s->smtp->stream), QUIT_TIMEOUT);
		mailsmtp_quit(s->smtp);		/* closes the stream */
		if (s->conn != NULL)
			s->conn->stream = NULL;
	}
	smtp_abort(s);
}

void
smtp_cancel(struct smtp_session *s)
{
	if (s != NULL && s->conn != NULL)
		net_cancel(s->conn);
}

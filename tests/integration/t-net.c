/*
 * t-net.c -- drive net.c against the test bed, print what it found.
 *
 *   t-net [options] connect HOST PORT
 *   t-net [options] handshake HOST PORT
 *   t-net [options] imap HOST PORT [--starttls]  libetpan IMAP over our driver
 *   t-net [options] smtp HOST PORT [--starttls]  libetpan SMTP over our driver
 *   t-net [options] read HOST PORT               block reading after the
 *                                                greeting (--tls, --cancel-after)
 *   t-net [options] idle-cancel HOST PORT        mailstream_wait_idle, then
 *                                                net_cancel from a thread
 *   t-net [options] inject HOST PORT             plaintext "a STARTTLS", read
 *                                                the reply line, net_starttls
 *   t-net [options] stall-connect                connect to our own listener
 *                                                whose accept queue is full
 *   t-net [options] stall-read                   our own listener that never
 *                                                accepts: read (or --tls:
 *                                                the handshake) times out
 *   t-net [options] fd-limit HOST PORT           connect with descriptors
 *                                                0..1023 all taken
 *   t-net [options] tty-prompt HOST PORT         handshake, then ask on
 *                                                /dev/tty (--changed: as if
 *                                                another key was pinned)
 *   t-net tty-available                          1 when /dev/tty opens
 *
 * options: --ca FILE, --no-system-ca, --tls-min N, --tls-max N (10..13),
 * --timeout SECONDS, --tls (implicit TLS for read/idle-cancel),
 * --cancel-after MS, --starttls, --changed, --debug (log to stderr).
 *
 * Output: "key value" lines; on failure "ERR kind: message" and exit 1.
 * Times are measured here with the monotonic clock ("ms N").
 */

#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "certstore.h"
#include "log.h"
#include "net.h"
#include "util.h"

static struct endpoint	 ep;
static int		 opt_tls, opt_starttls, opt_changed;
static int		 opt_cancel_after = -1;

static void
usage(void)
{
	fprintf(stderr, "usage: t-net [--ca F] [--no-system-ca] [--tls-min N] "
	    "[--tls-max N] [--timeout S] [--tls] [--starttls] "
	    "[--cancel-after MS] [--changed] [--debug] CMD [HOST PORT]\n");
	exit(2);
}

static int
fail(const struct mc_err *err)
{
	printf("ERR %s: %s\n", mc_errkind_name(err->kind), err->msg);
	fflush(stdout);
	return 1;
}

static void
print_probe(const struct net_probe *p)
{
	int	 i;

	for (i = 0; i < p->naddrs; i++)
		printf("addr %s\n", p->addrs[i]);
	printf("local %s\n", p->local_addr[0] != '\0' ? p->local_addr : "-");
	printf("peer %s\n", p->peer_addr[0] != '\0' ? p->peer_addr : "-");
	printf("refused %d\ntimedout %d\nunreachable %d\n", p->refused,
	    p->timedout, p->unreachable);
	printf("connect-ms %lld\n", p->connect_ms);
}

static void
print_cert(const struct net_conn *c)
{
	const struct cert_info	*ci = c->cert;
	size_t			 i;

	printf("tls %s %s\n", c->tls_version, c->cipher);
	printf("subject %s\n", ci->subject);
	printf("issuer %s\n", ci->issuer);
	printf("cn %s\n", ci->common_name != NULL ? ci->common_name : "-");
	for (i = 0; i < ci->nsans; i++)
		printf("san %s\n", ci->sans[i]);
	printf("leaf-sha256 %s\n", ci->leaf_sha256);
	printf("spki-sha256 %s\n", ci->spki_sha256);
	for (i = 0; i < ci->nchain; i++)
		printf("chain %zu %s\n", i, ci->chain[i]);
	printf("name-ok %d\ncn-only %d\nself-signed %d\n", ci->name_ok,
	    ci->name_by_cn_only, ci->self_signed);
	for (i = 0; i < ci->nproblems; i++)
		printf("problem %d %d %s\n", ci->problems[i].depth,
		    ci->problems[i].code, ci->problems[i].text);
	printf("problems %zu\n", ci->nproblems);
}

/* Connect, and for implicit TLS also handshake. */
static struct net_conn *
open_conn(int tls, struct mc_err *err)
{
	struct net_probe	 probe;
	struct net_conn		*c;

	if ((c = net_connect(&ep, &probe, err)) == NULL) {
		print_probe(&probe);
		return NULL;
	}
	if (tls && net_tls_handshake(c, &ep, err) == -1) {
		net_close(c);
		return NULL;
	}
	return c;
}

static int
cmd_connect(void)
{
	struct net_probe	 probe;
	struct net_conn		*c;
	struct mc_err		 err;

	c = net_connect(&ep, &probe, &err);
	print_probe(&probe);
	if (c == NULL)
		return fail(&err);
	printf("conn-local %s\nconn-peer %s\n", c->local_addr, c->peer_addr);
	net_close(c);
	printf("OK\n");
	return 0;
}

static int
cmd_handshake(void)
{
	struct net_conn	*c;
	struct mc_err	 err;
	long long	 t0;

	t0 = mc_now_ms();
	if ((c = open_conn(1, &err)) == NULL) {
		printf("ms %lld\n", mc_now_ms() - t0);
		return fail(&err);
	}
	print_cert(c);
	net_close(c);
	printf("OK\n");
	return 0;
}

static void
print_caps(mailimap *imap, const char *label)
{
	struct mailimap_capability_data	*cap;
	struct mailimap_capability	*cp;
	clistiter			*it;
	int				 r;

	r = mailimap_capability(imap, &cap);
	if (r != MAILIMAP_NO_ERROR) {
		printf("%s-error %d\n", label, r);
		return;
	}
	printf("%s", label);
	for (it = clist_begin(cap->cap_list); it != NULL;
	    it = clist_next(it)) {
		cp = clist_content(it);
		if (cp->cap_type == MAILIMAP_CAPABILITY_NAME)
			printf(" %s", cp->cap_data.cap_name);
		else if (cp->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE)
			printf(" AUTH=%s", cp->cap_data.cap_auth_type);
	}
	printf("\n");
	mailimap_capability_data_free(cap);
}

static int
cmd_imap(void)
{
	struct net_conn	*c;
	struct mc_err	 err;
	mailimap	*imap;
	int		 r;

	if ((c = open_conn(!opt_starttls, &err)) == NULL)
		return fail(&err);
	imap = mailimap_new(0, NULL);
	r = mailimap_connect(imap, net_stream(c));
	printf("connect %d\n", r);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		/* libetpan leaves the stream open after a failed connect. */
		if (imap->imap_stream != NULL) {
			mailstream_close(imap->imap_stream);
			imap->imap_stream = NULL;
		}
		mailimap_free(imap);
		printf("stream-closed %d\n", c->stream == NULL);
		if (net_stream_error(c, &err) == -1)
			fail(&err);
		net_close(c);
		return 1;
	}
	if (opt_starttls) {
		print_caps(imap, "caps-plain");
		if ((r = mailimap_starttls(imap)) != MAILIMAP_NO_ERROR) {
			printf("starttls-error %d\n", r);
			mailimap_free(imap);
			net_close(c);
			return 1;
		}
		if (net_starttls(c, &ep, &err) == -1) {
			mailimap_free(imap);
			net_close(c);
			return fail(&err);
		}
	}
	print_cert(c);
	print_caps(imap, "caps");
	r = mailimap_logout(imap);
	printf("logout %d\n", r);
	/* mailimap_free closes the stream; net_close must notice. */
	mailimap_free(imap);
	printf("stream-closed %d\n", c->stream == NULL && c->ssl == NULL);
	net_close(c);
	printf("OK\n");
	return 0;
}

static int
cmd_smtp(void)
{
	struct net_conn	*c;
	struct mc_err	 err;
	mailsmtp	*smtp;
	int		 r;

	if ((c = open_conn(!opt_starttls, &err)) == NULL)
		return fail(&err);
	smtp = mailsmtp_new(0, NULL);
	r = mailsmtp_connect(smtp, net_stream(c));
	printf("connect %d\n", r);
	if (r != MAILSMTP_NO_ERROR)
		goto bad;
	if ((r = mailesmtp_ehlo(smtp)) != MAILSMTP_NO_ERROR)
		goto bad;
	printf("ehlo starttls=%d auth-plain=%d\n",
	    (smtp->esmtp & MAILSMTP_ESMTP_STARTTLS) != 0,
	    (smtp->auth & MAILSMTP_AUTH_PLAIN) != 0);
	if (opt_starttls) {
		if ((r = mailesmtp_starttls(smtp)) != MAILSMTP_NO_ERROR)
			goto bad;
		if (net_starttls(c, &ep, &err) == -1) {
			mailsmtp_free(smtp);
			net_close(c);
			return fail(&err);
		}
		if ((r = mailesmtp_ehlo(smtp)) != MAILSMTP_NO_ERROR)
			goto bad;
		printf("ehlo-tls starttls=%d auth-plain=%d\n",
		    (smtp->esmtp & MAILSMTP_ESMTP_STARTTLS) != 0,
		    (smtp->auth & MAILSMTP_AUTH_PLAIN) != 0);
	}
	print_cert(c);
	printf("quit %d\n", mailsmtp_quit(smtp));
	mailsmtp_free(smtp);
	printf("stream-closed %d\n", c->stream == NULL && c->ssl == NULL);
	net_close(c);
	printf("OK\n");
	return 0;
bad:
	printf("smtp-error %d %s\n", r, mailsmtp_strerror(r));
	mailsmtp_free(smtp);
	net_close(c);
	return 1;
}

struct canceller {
	struct net_conn	*conn;
	int		 after_ms;
	long long	 at;		/* when net_cancel() was called */
};

static void *
cancel_main(void *arg)
{
	struct canceller	*cc = arg;

	usleep(cc->after_ms * 1000);
	cc->at = mc_now_ms();
	net_cancel(cc->conn);
	return NULL;
}

/* Read one line (the greeting) byte by byte; 0 or -1. */
static int
read_line(mailstream *s, char *buf, size_t len)
{
	size_t	 n = 0;
	char	 ch;

	for (;;) {
		if (mailstream_read(s, &ch, 1) != 1)
			return -1;
		if (n + 1 < len)
			buf[n++] = ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	return 0;
}

static int
cmd_read(void)
{
	struct net_conn		*c;
	struct canceller	 cc;
	struct mc_err		 err;
	pthread_t		 th;
	mailstream		*s;
	long long		 t0, t1;
	ssize_t			 n;
	char			 buf[512];

	if ((c = open_conn(opt_tls, &err)) == NULL)
		return fail(&err);
	s = net_stream(c);
	if (read_line(s, buf, sizeof buf) == 0)
		printf("greeting %.*s\n", (int)strcspn(buf, "\r\n"), buf);
	memset(&cc, 0, sizeof cc);
	cc.conn = c;
	cc.after_ms = opt_cancel_after;
	if (opt_cancel_after >= 0 &&
	    pthread_create(&th, NULL, cancel_main, &cc) != 0)
		fatalx("pthread_create");
	t0 = mc_now_ms();
	n = mailstream_read(s, buf, sizeof buf);
	t1 = mc_now_ms();
	if (opt_cancel_after >= 0)
		pthread_join(th, NULL);
	printf("read %zd\nms %lld\n", n, t1 - t0);
	if (opt_cancel_after >= 0)
		printf("cancel-latency-ms %lld\n", t1 - cc.at);
	if (net_stream_error(c, &err) == -1)
		printf("stream-error %s: %s\n", mc_errkind_name(err.kind),
		    err.msg);
	/* Cancelled for good: a second read fails at once. */
	t0 = mc_now_ms();
	n = mailstream_read(s, buf, sizeof buf);
	printf("read-again %zd ms %lld\n", n, mc_now_ms() - t0);
	net_close(c);
	printf("OK\n");
	return 0;
}

static int
cmd_idle_cancel(void)
{
	struct net_conn		*c;
	struct canceller	 cc;
	struct mc_err		 err;
	pthread_t		 th;
	mailstream		*s;
	long long		 t0, t1;
	char			 buf[512];
	int			 r;

	if ((c = open_conn(opt_tls, &err)) == NULL)
		return fail(&err);
	s = net_stream(c);
	if (read_line(s, buf, sizeof buf) == 0)
		printf("greeting %.*s\n", (int)strcspn(buf, "\r\n"), buf);
	printf("pending %d\n", net_pending(c));
	if (mailstream_setup_idle(s) != 0)
		fatalx("mailstream_setup_idle");
	/* Nothing to say yet: times out. */
	t0 = mc_now_ms();
	r = mailstream_wait_idle(s, 1);
	printf("wait-idle %d ms %lld\n", r, mc_now_ms() - t0);
	memset(&cc, 0, sizeof cc);
	cc.conn = c;
	cc.after_ms = opt_cancel_after >= 0 ? opt_cancel_after : 200;
	if (pthread_create(&th, NULL, cancel_main, &cc) != 0)
		fatalx("pthread_create");
	t0 = mc_now_ms();
	r = mailstream_wait_idle(s, 30);
	t1 = mc_now_ms();
	pthread_join(th, NULL);
	printf("wait-idle-cancel %d ms %lld latency-ms %lld\n", r, t1 - t0,
	    t1 - cc.at);
	mailstream_unsetup_idle(s);
	/* The stream stays cancelled after the ack. */
	printf("read-after %zd\n", mailstream_read(s, buf, sizeof buf));
	net_close(c);
	printf("OK\n");
	return 0;
}

static int
cmd_inject(void)
{
	struct net_conn	*c;
	struct mc_err	 err;
	mailstream	*s;
	char		 buf[512];

	if ((c = open_conn(0, &err)) == NULL)
		return fail(&err);
	s = net_stream(c);
	if (read_line(s, buf, sizeof buf) == -1) {
		printf("no greeting\n");
		net_close(c);
		return 1;
	}
	mailstream_write(s, "a STARTTLS\r\n", 12);
	mailstream_flush(s);
	if (read_line(s, buf, sizeof buf) == -1) {
		printf("no reply\n");
		net_close(c);
		return 1;
	}
	printf("reply %.*s\n", (int)strcspn(buf, "\r\n"), buf);
	printf("buffered %zu\n", s->read_buffer_len);
	if (net_starttls(c, &ep, &err) == -1) {
		net_close(c);
		return fail(&err);
	}
	print_cert(c);
	net_close(c);
	printf("OK\n");
	return 0;
}

/* A listener on 127.0.0.1 that never accepts; its port in *port. */
static int
listener(int backlog, int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatalx("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, backlog) == -1)
		fatalx("bind/listen: %s", strerror(errno));
	len = sizeof sin;
	getsockname(fd, (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * Linux drops a SYN while a listener's accept queue is full, so a
 * connection to it gets no answer at all: a firewall that drops, locally.
 */
static int
cmd_stall_connect(void)
{
	struct net_probe	 probe;
	struct net_conn		*filler, *c;
	struct mc_err		 err;
	long long		 t0;
	int			 lfd, port;

	lfd = listener(0, &port);
	ep.host = "127.0.0.1";
	ep.port = port;
	/* The one connection a backlog of 0 holds. */
	if ((filler = net_connect(&ep, NULL, &err)) == NULL)
		return fail(&err);
	t0 = mc_now_ms();
	c = net_connect(&ep, &probe, &err);
	printf("ms %lld\n", mc_now_ms() - t0);
	print_probe(&probe);
	net_close(filler);
	close(lfd);
	if (c != NULL) {
		printf("connected (the accept queue was not full)\n");
		net_close(c);
		return 1;
	}
	return fail(&err);
}

static int
cmd_stall_read(void)
{
	struct net_conn	*c;
	struct mc_err	 err;
	mailimap	*imap;
	long long	 t0;
	int		 lfd, port, r;

	lfd = listener(16, &port);
	ep.host = "127.0.0.1";
	ep.port = port;
	if ((c = net_connect(&ep, NULL, &err)) == NULL)
		return fail(&err);
	t0 = mc_now_ms();
	if (opt_tls) {
		r = net_tls_handshake(c, &ep, &err);
		printf("ms %lld\n", mc_now_ms() - t0);
		net_close(c);
		close(lfd);
		return r == -1 ? fail(&err) : 0;
	}
	imap = mailimap_new(0, NULL);
	r = mailimap_connect(imap, net_stream(c));
	printf("connect %d\nms %lld\n", r, mc_now_ms() - t0);
	if (imap->imap_stream != NULL) {
		mailstream_close(imap->imap_stream);
		imap->imap_stream = NULL;
	}
	mailimap_free(imap);
	printf("stream-closed %d\n", c->stream == NULL);
	if (net_stream_error(c, &err) == 0)
		mc_err_set(&err, MCE_NONE, "no stream error recorded");
	net_close(c);
	close(lfd);
	return fail(&err);
}

/* libetpan select()s: a socket at 1024 or above must be refused. */
static int
cmd_fd_limit(void)
{
	struct rlimit	 rl;
	struct net_conn	*c;
	struct mc_err	 err;
	int		 fd, last = -1;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1100 &&
	    rl.rlim_max >= 1100) {
		rl.rlim_cur = 1100;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1 &&
	    fd < 1023)
		last = fd;
	if (fd == -1) {
		printf("cannot fill the descriptors below 1024 (last %d)\n",
		    last);
		return 1;
	}
	printf("filled %d\n", fd);
	if ((c = net_connect(&ep, NULL, &err)) != NULL) {
		printf("connected with fd %d\n", c->fd);
		net_close(c);
		return 1;
	}
	return fail(&err);
}

static int
cmd_tty_prompt(void)
{
	struct net_conn		*c;
	struct trust_request	 req;
	struct cert_pin		 old;
	struct mc_err		 err;
	enum trust_answer	 a;

	if ((c = open_conn(1, &err)) == NULL)
		return fail(&err);
	memset(&req, 0, sizeof req);
	req.account = "test";
	req.proto = "imap";
	req.host = c->host;
	req.port = c->port;
	req.cert = c->cert;
	req.verdict = CERT_UNTRUSTED;
	if (opt_changed) {
		memset(&old, 0, sizeof old);
		old.hostport = "localhost:0";
		memset(old.spki_sha256, '0', 64);
		memset(old.leaf_sha256, '0', 64);
		old.when = 1700000000;
		old.subject = "CN=old";
		req.verdict = CERT_CHANGED;
		req.old = &old;
	}
	a = trust_tty_prompt(&req, NULL);
	printf("answer %s\n", a == TRUST_ACCEPT_ALWAYS ? "always" :
	    a == TRUST_ACCEPT_ONCE ? "once" : "reject");
	net_close(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*cmd;
	int		 i, debug = 0;

	memset(&ep, 0, sizeof ep);
	ep.sec = SEC_TLS;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
			ep.ca_file = argv[++i];
		else if (strcmp(argv[i], "--no-system-ca") == 0)
			ep.no_system_ca = 1;
		else if (strcmp(argv[i], "--tls-min") == 0 && i + 1 < argc)
			ep.tls_min = atoi(argv[++i]);
		else if (strcmp(argv[i], "--tls-max") == 0 && i + 1 < argc)
			ep.tls_max = atoi(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			ep.timeout = atoi(argv[++i]);
		else if (strcmp(argv[i], "--cancel-after") == 0 &&
		    i + 1 < argc)
			opt_cancel_after = atoi(argv[++i]);
		else if (strcmp(argv[i], "--tls") == 0)
			opt_tls = 1;
		else if (strcmp(argv[i], "--starttls") == 0)
			opt_starttls = 1;
		else if (strcmp(argv[i], "--changed") == 0)
			opt_changed = 1;
		else if (strcmp(argv[i], "--debug") == 0)
			debug = 1;
		else
			usage();
	}
	if (i >= argc)
		usage();
	cmd = argv[i++];
	if (debug && log_open("/dev/null", 1, NULL) == 0)
		log_set_stderr(1, MC_LOG_DEBUG);
	else
		log_set_stderr(1, MC_LOG_WARN);
	net_init();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(cmd, "stall-connect") == 0)
		return cmd_stall_connect();
	if (strcmp(cmd, "stall-read") == 0)
		return cmd_stall_read();
	if (strcmp(cmd, "tty-available") == 0) {
		printf("tty-available %d\n", trust_tty_available());
		return 0;
	}
	if (i + 2 != argc)
		usage();
	ep.host = argv[i];
	ep.port = atoi(argv[i + 1]);
	if (opt_starttls)
		ep.sec = SEC_STARTTLS;
	if (strcmp(cmd, "connect") == 0)
		return cmd_connect();
	if (strcmp(cmd, "handshake") == 0)
		return cmd_handshake();
	if (strcmp(cmd, "imap") == 0)
		return cmd_imap();
	if (strcmp(cmd, "smtp") == 0)
		return cmd_smtp();
	if (strcmp(cmd, "read") == 0)
		return cmd_read();
	if (strcmp(cmd, "idle-cancel") == 0)
		return cmd_idle_cancel();
	if (strcmp(cmd, "inject") == 0)
		return cmd_inject();
	if (strcmp(cmd, "fd-limit") == 0)
		return cmd_fd_limit();
	if (strcmp(cmd, "tty-prompt") == 0)
		return cmd_tty_prompt();
	usage();
	return 2;
}

/*
 * net.c -- TCP with a deadline, TLS with OpenSSL, and the libetpan driver.
 *
 * Every connection is a conn_priv: the public struct net_conn first, then
 * what only this file needs (libetpan's cancel object, the reason the last
 * stream I/O failed).  The libetpan stream gets our own mailstream_low
 * driver, for plaintext and TLS alike, so that the timeout, cancellation
 * and the fd's lifetime are handled in one place (libetpan's socket driver
 * wants a blocking fd and cannot tell us when it was closed).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "net.h"

/*
 * libetpan exports these but does not install mailstream_cancel.h.  A
 * driver's get_cancel must return one, or mailstream_wait_idle() fails.
 */
struct mailstream_cancel;
struct mailstream_cancel *mailstream_cancel_new(void);
void	 mailstream_cancel_free(struct mailstream_cancel *);
void	 mailstream_cancel_notify(struct mailstream_cancel *);
int	 mailstream_cancel_get_fd(struct mailstream_cancel *);
int	 mailstream_cancel_cancelled(struct mailstream_cancel *);

/* libetpan's socket code and mailstream_wait_idle() use select(). */
#define NET_FD_LIMIT	1024
#define NET_STREAM_BUF	8192
#define NET_MAX_ERRS	32

struct conn_priv {
	struct net_conn		 pub;	/* first: a net_conn * is a conn_priv * */
	struct mailstream_cancel *mc;	/* for mailstream_wait_idle() */
	enum mc_errkind		 io_kind; /* why the stream's last I/O failed */
	char			 io_msg[MC_ERR_MAX];
};

/* What the verify callback and the message callback saw, per SSL. */
struct tls_rec {
	struct {
		int	 depth;
		int	 code;
		X509	*x;
	}		 errs[NET_MAX_ERRS];
	int		 nerrs;
	int		 hello_version;	/* from the ServerHello, 0: none seen */
};

/* The data of one mailstream_low of ours. */
struct net_drv {
	struct conn_priv *cp;
	int		 fd;
	SSL		*ssl;		/* NULL: plaintext */
	int		 fatal;		/* no SSL_shutdown after a fatal error */
	int		 detached;	/* replaced by STARTTLS: free only */
};

static pthread_once_t	 net_once = PTHREAD_ONCE_INIT;
static int		 net_rec_idx = -1;

static void	 net_init_once(void);
static int	 wait_fd(int, short, int, long long);
static void	 addr_text(const struct sockaddr *, socklen_t, char *, size_t);
static int	 ip_literal(const char *);
static int	 set_cloexec_nonblock(int, int);
static int	 tls_handshake_fd(struct conn_priv *, int,
		     const struct endpoint *, struct mc_err *);
static const char *tls_name(int);
static struct cert_info *cert_build(SSL *, struct tls_rec *, const char *);
static void	 rec_free(struct tls_rec *);
static char	*problem_text_x509(int, int, X509 *, const struct cert_info *,
		     const char *);
static void	 fmt_day(time_t, char *, size_t);

static ssize_t	 drv_read(mailstream_low *, void *, size_t);
static ssize_t	 drv_write(mailstream_low *, const void *, size_t);
static int	 drv_close(mailstream_low *);
static int	 drv_get_fd(mailstream_low *);
static void	 drv_free(mailstream_low *);
static void	 drv_cancel(mailstream_low *);
static struct mailstream_cancel *drv_get_cancel(mailstream_low *);
static carray	*drv_cert_chain(mailstream_low *);

static mailstream_low_driver net_driver = {
	.mailstream_read = drv_read,
	.mailstream_write = drv_write,
	.mailstream_close = drv_close,
	.mailstream_get_fd = drv_get_fd,
	.mailstream_free = drv_free,
	.mailstream_cancel = drv_cancel,
	.mailstream_get_cancel = drv_get_cancel,
	.mailstream_get_certificate_chain = drv_cert_chain,
	/* NULL idle hooks: mailstream_setup_idle() makes its own pipe. */
	.mailstream_setup_idle = NULL,
	.mailstream_unsetup_idle = NULL,
	.mailstream_interrupt_idle = NULL,
};

#define PRIV(c)	((struct conn_priv *)(c))

/* --- set-up ------------------------------------------------------------- */

static void
net_init_once(void)
{
	/* libetpan send()s without MSG_NOSIGNAL, OpenSSL write()s. */
	signal(SIGPIPE, SIG_IGN);
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
	net_rec_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (net_rec_idx < 0)
		fatalx("SSL_get_ex_new_index failed");
}

void
net_init(void)
{
	pthread_once(&net_once, net_init_once);
}

int
net_is_loopback(const char *host)
{
	char		 buf[NET_ADDR_MAX];
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 len;
	char		*pct;

	if (host == NULL)
		return 0;
	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return 1;
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len >= sizeof buf)
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, buf, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return a6.s6_addr[12] == 127;
	}
	return 0;
}

/* 4 or 6 when host is an IP literal (no brackets), else 0. */
static int
ip_literal(const char *host)
{
	unsigned char	 buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, buf) == 1)
		return 6;
	return 0;
}

static void
addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outsz)
{
	if (getnameinfo(sa, len, out, outsz, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, outsz, "?");
}

static int
set_cloexec_nonblock(int fd, int nonblock)
{
	int	 fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	if (nonblock) {
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
			return -1;
	}
	return 0;
}

/*
 * Wait until fd is ready for ev, the cancel fd is readable, or the
 * deadline (mc_now_ms() clock) passed.  1 ready, 0 deadline, -1 poll
 * error, -2 cancelled.
 */
static int
wait_fd(int fd, short ev, int cancelfd, long long deadline)
{
	struct pollfd	 pfd[2];
	long long	 left;
	int		 n, nfds;

	for (;;) {
		left = deadline - mc_now_ms();
		if (left <= 0)
			return 0;
		if (left > INT_MAX)
			left = INT_MAX;
		pfd[0].fd = fd;
		pfd[0].events = ev;
		pfd[0].revents = 0;
		nfds = 1;
		if (cancelfd >= 0) {
			pfd[1].fd = cancelfd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfds = 2;
		}
		n = poll(pfd, nfds, (int)left);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			continue;	/* the loop re-checks the deadline */
		if (nfds == 2 && pfd[1].revents != 0)
			return -2;
		/* POLLERR / POLLHUP too: the next call reports why. */
		if (pfd[0].revents != 0)
			return 1;
	}
}

/* --- connect ------------------------------------------------------------ */

/* What one failed address taught us, for the final sentence. */
struct try_fail {
	char	 addr[NET_ADDR_MAX];
	int	 err;
};

struct net_conn *
net_connect(const struct endpoint *ep, struct net_probe *probe,
    struct mc_err *err)
{
	struct net_probe	 own;
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct try_fail		 refused, timedout, unreach;
	struct conn_priv	*cp;
	const char		*host;
	char			*bare = NULL, port[16], addr[NET_ADDR_MAX];
	size_t			 hlen;
	long long		 start, deadline, left, budget, w;
	int			 timeout, rc, fd, n, i, soerr, saved, cfd;
	socklen_t		 olen;

	net_init();
	if (probe == NULL)
		probe = &own;
	memset(probe, 0, sizeof *probe);
	memset(&refused, 0, sizeof refused);
	memset(&timedout, 0, sizeof timedout);
	memset(&unreach, 0, sizeof unreach);
	timeout = ep->timeout > 0 ? ep->timeout : NET_DEFAULT_TIMEOUT;
	start = mc_now_ms();
	deadline = start + (long long)timeout * 1000;

	if (ep->host == NULL || *ep->host == '\0') {
		mc_err_set(err, MCE_USAGE, "No server name was given.");
		return NULL;
	}
	if (ep->port <= 0 || ep->port > 65535) {
		mc_err_set(err, MCE_USAGE, "Port %d of %s is not a valid "
		    "port number.", ep->port, ep->host);
		return NULL;
	}
	/* "[::1]" as people write it in URLs: the address inside. */
	host = ep->host;
	hlen = strlen(host);
	if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']')
		host = bare = xstrndup(host + 1, hlen - 2);
	snprintf(port, sizeof port, "%d", ep->port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		mc_err_set(err, MCE_RESOLVE, "Cannot resolve the server name "
		    "%s: %s.", ep->host, rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
		probe->connect_ms = mc_now_ms() - start;
		free(bare);
		return NULL;
	}
	n = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (probe->naddrs < (int)(sizeof probe->addrs /
		    sizeof probe->addrs[0])) {
			addr_text(ai->ai_addr, ai->ai_addrlen,
			    probe->addrs[probe->naddrs],
			    sizeof probe->addrs[0]);
			probe->naddrs++;
		}
		n++;
	}

	fd = -1;
	for (ai = res, i = 0; ai != NULL; ai = ai->ai_next, i++) {
		left = deadline - mc_now_ms();
		if (left <= 0)
			break;
		/* Share what is left between the addresses not yet tried. */
		budget = left / (n - i);
		addr_text(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr);
		log_debug("net: connecting to %s port %d (%s), %lld ms",
		    ep->host, ep->port, addr, budget);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			if (saved == EAFNOSUPPORT || saved == EPROTONOSUPPORT) {
				probe->unreachable++;
				snprintf(unreach.addr, sizeof unreach.addr,
				    "%s", addr);
				unreach.err = saved;
				continue;
			}
			mc_err_set(err, MCE_IO, "Cannot create a socket for "
			    "%s: %s.", ep->host, strerror(saved));
			goto fail;
		}
		if (fd >= NET_FD_LIMIT) {
			mc_err_set(err, MCE_IO, "Too many open files: the "
			    "socket for %s got descriptor %d, but libetpan "
			    "needs one below %d.", ep->host, fd, NET_FD_LIMIT);
			close(fd);
			fd = -1;
			goto fail;
		}
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		saved = rc == 0 ? 0 : errno;
		/* The kernel picked the source address; IT allowlists it. */
		sslen = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
		    ((ss.ss_family == AF_INET &&
		    ((struct sockaddr_in *)&ss)->sin_port != 0) ||
		    (ss.ss_family == AF_INET6 &&
		    ((struct sockaddr_in6 *)&ss)->sin6_port != 0)))
			addr_text((struct sockaddr *)&ss, sslen,
			    probe->local_addr, sizeof probe->local_addr);
		if (rc == -1 && saved == EINPROGRESS) {
			w = wait_fd(fd, POLLOUT, -1, mc_now_ms() + budget);
			if (w == 0)
				saved = ETIMEDOUT;
			else if (w < 0)
				saved = errno;
			else {
				soerr = 0;
				olen = sizeof soerr;
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
				    &soerr, &olen) == -1)
					soerr = errno;
				saved = soerr;
			}
		}
		if (saved == 0)
			break;
		close(fd);
		fd = -1;
		log_debug("net: %s port %d (%s): %s", ep->host, ep->port,
		    addr, strerror(saved));
		if (saved == ECONNREFUSED) {
			probe->refused++;
			snprintf(refused.addr, sizeof refused.addr, "%s", addr);
		} else if (saved == ETIMEDOUT) {
			probe->timedout++;
			snprintf(timedout.addr, sizeof timedout.addr, "%s",
			    addr);
		} else {
			probe->unreachable++;
			snprintf(unreach.addr, sizeof unreach.addr, "%s", addr);
			unreach.err = saved;
		}
	}
	probe->connect_ms = mc_now_ms() - start;

	if (fd == -1) {
		const char	*src = probe->local_addr[0] != '\0' ?
				    probe->local_addr : "unknown";

		/* A timeout says the most (filtered), then a refusal. */
		if (probe->timedout > 0)
			mc_err_set(err, MCE_TIMEOUT, "No answer from %s:%d "
			    "(%s) within %d s: the port may be filtered by a "
			    "firewall; source address %s.", ep->host,
			    ep->port, timedout.addr,
			    (int)((probe->connect_ms + 500) / 1000), src);
		else if (probe->refused > 0)
			mc_err_set(err, MCE_REFUSED, "Connection refused by "
			    "%s:%d (%s): the port is closed.", ep->host,
			    ep->port, refused.addr);
		else if (probe->unreachable > 0)
			mc_err_set(err, MCE_UNREACHABLE, "Cannot reach %s:%d "
			    "(%s): %s; source address %s.", ep->host,
			    ep->port, unreach.addr, strerror(unreach.err),
			    src);
		else
			mc_err_set(err, MCE_TIMEOUT, "No answer from %s:%d "
			    "within %d s.", ep->host, ep->port, timeout);
		goto fail;
	}

	cp = xcalloc(1, sizeof *cp);
	cp->pub.fd = fd;
	cp->pub.host = xstrdup(host);
	free(bare);
	bare = NULL;
	cp->pub.port = ep->port;
	cp->pub.timeout = timeout;
	cp->pub.cancel_fd[0] = cp->pub.cancel_fd[1] = -1;
	snprintf(cp->pub.local_addr, sizeof cp->pub.local_addr, "%s",
	    probe->local_addr);
	sslen = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == 0)
		addr_text((struct sockaddr *)&ss, sslen, cp->pub.peer_addr,
		    sizeof cp->pub.peer_addr);
	snprintf(probe->peer_addr, sizeof probe->peer_addr, "%s",
	    cp->pub.peer_addr);
	freeaddrinfo(res);

	rc = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &rc, sizeof rc);
	if (pipe2(cp->pub.cancel_fd, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (cp->mc = mailstream_cancel_new()) == NULL) {
		saved = errno;
		mc_err_set(err, MCE_IO, "Cannot create a pipe: %s.",
		    strerror(saved));
		net_close(&cp->pub);
		return NULL;
	}
	cfd = mailstream_cancel_get_fd(cp->mc);
	(void)set_cloexec_nonblock(cfd, 0);
	if (cp->pub.cancel_fd[0] >= NET_FD_LIMIT ||
	    cp->pub.cancel_fd[1] >= NET_FD_LIMIT || cfd >= NET_FD_LIMIT) {
		mc_err_set(err, MCE_IO, "Too many open files: the connection "
		    "to %s needs descriptors below %d.", ep->host,
		    NET_FD_LIMIT);
		net_close(&cp->pub);
		return NULL;
	}
	log_debug("net: connected to %s port %d (%s) from %s in %lld ms",
	    ep->host, ep->port, cp->pub.peer_addr, cp->pub.local_addr,
	    probe->connect_ms);
	return &cp->pub;

fail:
	probe->connect_ms = mc_now_ms() - start;
	freeaddrinfo(res);
	free(bare);
	return NULL;
}

/* --- TLS ---------------------------------------------------------------- */

static const char *
tls_name(int v)
{
	switch (v) {
	case SSL3_VERSION:
		return "SSLv3";
	case TLS1_VERSION:
		return "TLS 1.0";
	case TLS1_1_VERSION:
		return "TLS 1.1";
	case TLS1_2_VERSION:
		return "TLS 1.2";
	case TLS1_3_VERSION:
		return "TLS 1.3";
	}
	return "an unknown TLS version";
}

static int
tls_proto(int v)
{
	switch (v) {
	case 10:
		return TLS1_VERSION;
	case 11:
		return TLS1_1_VERSION;
	case 13:
		return TLS1_3_VERSION;
	}
	return TLS1_2_VERSION;
}

/*
 * Trust stores, shared by every SSL_CTX with the same anchors: filling one
 * is paid once per process rather than once per connection.  A CA file is reloaded when its identity (inode, size, mtime)
 * changes.  OpenSSL allows an X509_STORE to be shared between threads once
 * it is no longer modified; these never are after being filled.
 */
struct store_cache {
	struct store_cache	*next;
	int			 no_system;
	char			*ca_file;	/* NULL: none */
	struct stat		 st;
	X509_STORE		*store;
};
static pthread_mutex_t	 store_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct store_cache *store_list;

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * The system's anchors, looked up on demand in the hashed directory
 * (SSL_CERT_DIR or OpenSSL's default): parsing the whole bundle instead cost
 * 35-95 ms per process, a quarter of a no-change resync.  SSL_CERT_FILE, when
 * set, is loaded as OpenSSL's default paths would; without a directory, the
 * default paths themselves.
 */
static int
load_system_cas(X509_STORE *store)
{
	const char	*file = getenv(X509_get_default_cert_file_env());
	const char	*dir = getenv(X509_get_default_cert_dir_env());
	X509_LOOKUP	*lu;
	struct stat	 st;

	if (file != NULL && *file != '\0' &&
	    X509_STORE_load_file(store, file) != 1)
		return -1;
	if (dir == NULL || *dir == '\0')
		dir = X509_get_default_cert_dir();
	if (strchr(dir, ':') == NULL &&
	    (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))) {
		if (file != NULL && *file != '\0')
			return 0;
		return X509_STORE_set_default_paths(store) == 1 ? 0 : -1;
	}
	lu = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
	if (lu == NULL || X509_LOOKUP_add_dir(lu, dir, X509_FILETYPE_PEM) != 1)
		return -1;
	return 0;
}

/* A reference to the store for ep's anchors; NULL with err (MCE_CONFIG). */
static X509_STORE *
trust_store(const struct endpoint *ep, struct mc_err *err)
{
	struct store_cache	*sc, **prev;
	struct stat		 st;
	const char		*ca, *rs;
	X509_STORE		*store;

	ca = ep->ca_file != NULL && *ep->ca_file != '\0' ? ep->ca_file : NULL;
	memset(&st, 0, sizeof st);
	if (ca != NULL && stat(ca, &st) == -1) {
		mc_err_set(err, MCE_CONFIG, "Cannot read the CA file %s: %s.",
		    ca, strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&store_mtx);
	for (prev = &store_list; (sc = *prev) != NULL; prev = &sc->next) {
		if (sc->no_system != (ep->no_system_ca != 0) ||
		    (sc->ca_file == NULL) != (ca == NULL) ||
		    (ca != NULL && strcmp(sc->ca_file, ca) != 0))
			continue;
		if (ca == NULL || same_file(&sc->st, &st)) {
			X509_STORE_up_ref(sc->store);
			pthread_mutex_unlock(&store_mtx);
			return sc->store;
		}
		/* The file changed: drop the old one (SSL_CTXs keep refs). */
		*prev = sc->next;
		X509_STORE_free(sc->store);
		free(sc->ca_file);
		free(sc);
		break;
	}
	if ((store = X509_STORE_new()) == NULL)
		fatalx("X509_STORE_new failed");
	ERR_clear_error();
	if (!ep->no_system_ca && load_system_cas(store) != 0)
		log_warn("Cannot load the system's CA certificates.");
	if (ca != NULL && X509_STORE_load_file(store, ca) != 1) {
		rs = ERR_reason_error_string(ERR_peek_last_error());
		mc_err_set(err, MCE_CONFIG, "Cannot load the CA file %s: %s.",
		    ca, rs != NULL ? rs : "no certificate in it");
		ERR_clear_error();
		X509_STORE_free(store);
		pthread_mutex_unlock(&store_mtx);
		return NULL;
	}
	ERR_clear_error();
	sc = xcalloc(1, sizeof *sc);
	sc->no_system = ep->no_system_ca != 0;
	sc->ca_file = ca != NULL ? xstrdup(ca) : NULL;
	sc->st = st;
	sc->store = store;
	sc->next = store_list;
	store_list = sc;
	X509_STORE_up_ref(store);
	pthread_mutex_unlock(&store_mtx);
	return store;
}

/* Records every verification error; never aborts the handshake. */
static int
verify_cb(int ok, X509_STORE_CTX *sctx)
{
	SSL		*ssl;
	struct tls_rec	*rec;
	X509		*x;
	int		 code, depth, i;

	if (ok)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(sctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	rec = ssl != NULL ? SSL_get_ex_data(ssl, net_rec_idx) : NULL;
	if (rec == NULL)
		return 1;
	code = X509_STORE_CTX_get_error(sctx);
	depth = X509_STORE_CTX_get_error_depth(sctx);
	for (i = 0; i < rec->nerrs; i++) {
		if (rec->errs[i].code == code && rec->errs[i].depth == depth)
			return 1;
	}
	if (rec->nerrs == NET_MAX_ERRS)
		return 1;
	x = X509_STORE_CTX_get_current_cert(sctx);
	if (x != NULL)
		X509_up_ref(x);
	rec->errs[rec->nerrs].code = code;
	rec->errs[rec->nerrs].depth = depth;
	rec->errs[rec->nerrs].x = x;
	rec->nerrs++;
	return 1;
}

/* Notes the version in the ServerHello, to say what an old server offers. */
static void
msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	const unsigned char	*p = buf;
	struct tls_rec		*rec;

	(void)version;
	(void)arg;
	if (write_p || content_type != SSL3_RT_HANDSHAKE || len < 6 ||
	    p[0] != SSL3_MT_SERVER_HELLO)
		return;
	if ((rec = SSL_get_ex_data(ssl, net_rec_idx)) != NULL)
		rec->hello_version = (p[4] << 8) | p[5];
}

static void
rec_free(struct tls_rec *rec)
{
	int	 i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->nerrs; i++)
		X509_free(rec->errs[i].x);
	free(rec);
}

/* OpenSSL's reason for a failed handshake, in words for a person. */
static void
tls_fail(struct net_conn *conn, const struct endpoint *ep,
    struct tls_rec *rec, int sslerr, int saved, struct mc_err *err)
{
	unsigned long	 e;
	int		 reason, min, max;
	const char	*rs;
	char		 hp[300];

	snprintf(hp, sizeof hp, "%s:%d", conn->host, conn->port);
	min = tls_proto(ep->tls_min);
	max = ep->tls_max != 0 ? tls_proto(ep->tls_max) : 0;
	e = ERR_peek_last_error();
	reason = ERR_GET_REASON(e);
	rs = ERR_reason_error_string(e);
	if (rs == NULL)
		rs = "unknown error";

	if (e == 0 && sslerr == SSL_ERROR_SYSCALL) {
		if (saved == 0 || saved == EPIPE)
			mc_err_set(err, MCE_TLS, "The server %s closed the "
			    "connection during the TLS handshake.", hp);
		else
			mc_err_set(err, MCE_TLS, "The TLS handshake with %s "
			    "failed: %s.", hp, strerror(saved));
	} else if (rec->hello_version != 0 && rec->hello_version < min) {
		if (rec->hello_version <= SSL3_VERSION)
			mc_err_set(err, MCE_TLS, "The server %s offers only "
			    "SSLv3, which is broken and never allowed.", hp);
		else
			mc_err_set(err, MCE_TLS, "The server %s offers only "
			    "%s, below the minimum %s; set tls-min = 1.%d for "
			    "this account if you must.", hp,
			    tls_name(rec->hello_version), tls_name(min),
			    rec->hello_version - TLS1_VERSION);
	} else if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
	    reason == SSL_R_UNSUPPORTED_PROTOCOL) {
		if (max != 0)
			mc_err_set(err, MCE_TLS, "The server %s accepts no "
			    "TLS version from %s to %s.", hp, tls_name(min),
			    tls_name(max));
		else if (min == TLS1_2_VERSION)
			mc_err_set(err, MCE_TLS, "The server %s accepts no "
			    "TLS version from %s up (protocol version alert): "
			    "it probably speaks only TLS 1.0 or 1.1; set "
			    "tls-min = 1.0 for this account if you must.", hp,
			    tls_name(min));
		else if (min > TLS1_VERSION)
			mc_err_set(err, MCE_TLS, "The server %s accepts no "
			    "TLS version from %s up (protocol version alert); "
			    "a lower tls-min for this account may work.", hp,
			    tls_name(min));
		else
			mc_err_set(err, MCE_TLS, "The server %s accepts no "
			    "TLS version we offer (%s).", hp, rs);
	} else if (reason == SSL_R_WRONG_VERSION_NUMBER ||
	    reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
	    reason == SSL_R_RECORD_LENGTH_MISMATCH) {
		mc_err_set(err, MCE_TLS, "The server %s did not answer in "
		    "TLS (%s): is port %d a STARTTLS or plaintext port?", hp,
		    rs, conn->port);
	} else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		mc_err_set(err, MCE_TLS, "The server %s closed the "
		    "connection during the TLS handshake.", hp);
	} else if (reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE ||
	    reason == SSL_R_NO_SHARED_CIPHER ||
	    reason == SSL_R_NO_CIPHERS_AVAILABLE) {
		mc_err_set(err, MCE_TLS, "The server %s and mailconn have no "
		    "TLS cipher in common (%s).", hp, rs);
	} else
		mc_err_set(err, MCE_TLS, "The TLS handshake with %s failed: "
		    "%s.", hp, rs);
	ERR_clear_error();
}

/* Handshake on fd; on success conn->ssl, ->ctx and ->cert are set. */
static int
tls_handshake_fd(struct conn_priv *cp, int fd, const struct endpoint *ep,
    struct mc_err *err)
{
	struct net_conn	*conn = &cp->pub;
	SSL_CTX		*ctx;
	SSL		*ssl;
	struct tls_rec	*rec;
	X509_STORE	*store;
	long long	 deadline;
	int		 w;
	int		 min, r, sslerr, saved, iplit;
	short		 ev;

	net_init();
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fatalx("SSL_CTX_new failed");
	min = tls_proto(ep->tls_min);
	SSL_CTX_set_min_proto_version(ctx, min);
	if (ep->tls_max != 0)
		SSL_CTX_set_max_proto_version(ctx, tls_proto(ep->tls_max));
	if (min < TLS1_2_VERSION) {
		/* Old versions need SHA-1 and small keys: level 0 only. */
		SSL_CTX_set_security_level(ctx, 0);
		log_warn("The account allows legacy %s for %s:%d: OpenSSL's "
		    "security level is lowered for this connection.",
		    tls_name(min), conn->host, conn->port);
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if ((store = trust_store(ep, err)) == NULL) {
		SSL_CTX_free(ctx);
		return -1;
	}
	SSL_CTX_set1_cert_store(ctx, store);
	X509_STORE_free(store);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);

	if ((ssl = SSL_new(ctx)) == NULL)
		fatalx("SSL_new failed");
	rec = xcalloc(1, sizeof *rec);
	SSL_set_ex_data(ssl, net_rec_idx, rec);
	SSL_set_msg_callback(ssl, msg_cb);
	iplit = ip_literal(conn->host);
	if (iplit)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), conn->host);
	else {
		SSL_set_tlsext_host_name(ssl, conn->host);
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		SSL_set1_host(ssl, conn->host);
	}
	SSL_set_fd(ssl, fd);

	deadline = mc_now_ms() + (long long)conn->timeout * 1000;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		saved = errno;
		sslerr = SSL_get_error(ssl, r);
		if (sslerr == SSL_ERROR_WANT_READ)
			ev = POLLIN;
		else if (sslerr == SSL_ERROR_WANT_WRITE)
			ev = POLLOUT;
		else {
			tls_fail(conn, ep, rec, sslerr, saved, err);
			goto fail;
		}
		w = wait_fd(fd, ev, conn->cancel_fd[0], deadline);
		if (w == 0) {
			mc_err_set(err, MCE_TIMEOUT, "No TLS answer from "
			    "%s:%d within %d s: the server accepted the "
			    "connection but did not complete the handshake.",
			    conn->host, conn->port, conn->timeout);
			goto fail;
		}
		if (w == -2) {
			mc_err_set(err, MCE_CANCELLED, "The TLS handshake "
			    "with %s:%d was cancelled.", conn->host,
			    conn->port);
			goto fail;
		}
		if (w < 0) {
			mc_err_set(err, MCE_IO, "Waiting for %s:%d failed: "
			    "%s.", conn->host, conn->port, strerror(errno));
			goto fail;
		}
	}

	conn->ssl = ssl;
	conn->ctx = ctx;
	snprintf(conn->tls_version, sizeof conn->tls_version, "%s",
	    SSL_get_version(ssl));
	snprintf(conn->cipher, sizeof conn->cipher, "%s",
	    SSL_get_cipher_name(ssl));
	cert_info_free(conn->cert);
	conn->cert = cert_build(ssl, rec, conn->host);
	SSL_set_ex_data(ssl, net_rec_idx, NULL);
	SSL_set_msg_callback(ssl, NULL);
	rec_free(rec);
	log_debug("net: %s:%d: %s %s, %zu certificate problem(s)",
	    conn->host, conn->port, conn->tls_version, conn->cipher,
	    conn->cert->nproblems);
	return 0;

fail:
	SSL_set_ex_data(ssl, net_rec_idx, NULL);
	rec_free(rec);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return -1;
}

int
net_tls_handshake(struct net_conn *conn, const struct endpoint *ep,
    struct mc_err *err)
{
	if (conn->ssl != NULL) {
		mc_err_set(err, MCE_TLS, "The connection to %s:%d already "
		    "uses TLS.", conn->host, conn->port);
		return -1;
	}
	if (conn->stream != NULL)
		return net_starttls(conn, ep, err);
	if (conn->fd < 0) {
		mc_err_set(err, MCE_IO, "The connection to %s:%d is closed.",
		    conn->host, conn->port);
		return -1;
	}
	return tls_handshake_fd(PRIV(conn), conn->fd, ep, err);
}

/* --- the certificate record --------------------------------------------- */

static char *
name_line(const X509_NAME *name)
{
	BIO	*b;
	char	*p, *s;
	long	 len;

	if (name == NULL)
		return xstrdup("");
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		fatalx("BIO_new failed");
	/* RFC 2253, but UTF-8 kept as it is rather than \XX-escaped. */
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(b, &p);
	s = xstrndup(p, len > 0 ? (size_t)len : 0);
	BIO_free(b);
	mc_sanitize(s);
	return s;
}

static char *
name_cn(const X509_NAME *name)
{
	X509_NAME_ENTRY	*e;
	unsigned char	*utf8;
	char		*s;
	int		 idx, len;

	if (name == NULL ||
	    (idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return NULL;
	e = X509_NAME_get_entry(name, idx);
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (len < 0)
		return NULL;
	s = xstrndup((char *)utf8, len);
	OPENSSL_free(utf8);
	mc_sanitize(s);
	return s;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void
cert_sans(X509 *x, struct cert_info *ci)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	const unsigned char	*d;
	char			 buf[INET6_ADDRSTRLEN], *s;
	int			 i, n, len;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	n = sk_GENERAL_NAME_num(gens);
	ci->sans = xcalloc(n > 0 ? n : 1, sizeof *ci->sans);
	for (i = 0; i < n; i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		s = NULL;
		if (gn->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			len = ASN1_STRING_length(gn->d.dNSName);
			s = xasprintf("DNS:%.*s", len, (const char *)d);
		} else if (gn->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(gn->d.iPAddress);
			len = ASN1_STRING_length(gn->d.iPAddress);
			if ((len == 4 && inet_ntop(AF_INET, d, buf,
			    sizeof buf) != NULL) || (len == 16 &&
			    inet_ntop(AF_INET6, d, buf, sizeof buf) != NULL))
				s = xasprintf("IP:%s", buf);
		}
		if (s != NULL) {
			mc_sanitize(s);
			ci->sans[ci->nsans++] = s;
		}
	}
	GENERAL_NAMES_free(gens);
}

static void
cert_add_problem(struct cert_info *ci, int depth, int code, char *text)
{
	size_t	 i;

	/* 20 and 21 say the same thing to a person: keep one. */
	for (i = 0; i < ci->nproblems; i++) {
		if (strcmp(ci->problems[i].text, text) == 0) {
			free(text);
			return;
		}
	}
	ci->problems = xrealloc(ci->problems,
	    (ci->nproblems + 1) * sizeof *ci->problems);
	ci->problems[ci->nproblems].depth = depth;
	ci->problems[ci->nproblems].code = code;
	ci->problems[ci->nproblems].text = text;
	ci->nproblems++;
}

static struct cert_info *
cert_build(SSL *ssl, struct tls_rec *rec, const char *host)
{
	struct cert_info	*ci;
	X509			*leaf;
	STACK_OF(X509)		*chain;
	unsigned char		 md[EVP_MAX_MD_SIZE], *der, *p;
	unsigned int		 mdlen;
	long			 vr;
	int			 i, n, len, flags, found;

	ci = xcalloc(1, sizeof *ci);
	if ((leaf = SSL_get1_peer_certificate(ssl)) == NULL) {
		ci->subject = xstrdup("");
		ci->issuer = xstrdup("");
		cert_add_problem(ci, 0, X509_V_ERR_UNSPECIFIED,
		    xstrdup("the server presented no certificate"));
		return ci;
	}
	ci->subject = name_line(X509_get_subject_name(leaf));
	ci->issuer = name_line(X509_get_issuer_name(leaf));
	ci->common_name = name_cn(X509_get_subject_name(leaf));
	cert_sans(leaf, ci);
	ci->not_before = asn1_time(X509_get0_notBefore(leaf));
	ci->not_after = asn1_time(X509_get0_notAfter(leaf));
	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1)
		mc_hex(md, mdlen, ci->leaf_sha256);
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), NULL);
	if (len > 0) {
		der = p = xmalloc(len);
		i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &p);
		if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) == 1)
			mc_hex(md, mdlen, ci->spki_sha256);
		free(der);
	}
	if ((chain = SSL_get_peer_cert_chain(ssl)) != NULL) {
		n = sk_X509_num(chain);
		ci->chain = xcalloc(n > 0 ? n : 1, sizeof *ci->chain);
		for (i = 0; i < n; i++)
			ci->chain[ci->nchain++] = name_line(
			    X509_get_subject_name(sk_X509_value(chain, i)));
	}
	ci->self_signed = X509_check_issued(leaf, leaf) == X509_V_OK;

	flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
	if (ip_literal(host))
		ci->name_ok = X509_check_ip_asc(leaf, host, 0) == 1;
	else {
		ci->name_ok = X509_check_host(leaf, host, 0, flags, NULL) == 1;
		ci->name_by_cn_only = ci->name_ok && X509_check_host(leaf,
		    host, 0, flags | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
		    NULL) != 1;
	}

	found = 0;
	for (i = 0; i < rec->nerrs; i++) {
		cert_add_problem(ci, rec->errs[i].depth, rec->errs[i].code,
		    problem_text_x509(rec->errs[i].code, rec->errs[i].depth,
		    rec->errs[i].x, ci, host));
		if (rec->errs[i].code == X509_V_ERR_HOSTNAME_MISMATCH ||
		    rec->errs[i].code == X509_V_ERR_IP_ADDRESS_MISMATCH)
			found = 1;
	}
	/* Belt and braces: never report "verified" when OpenSSL did not. */
	vr = SSL_get_verify_result(ssl);
	if (rec->nerrs == 0 && vr != X509_V_OK)
		cert_add_problem(ci, 0, (int)vr, cert_problem_text((int)vr,
		    ci, host));
	if (!ci->name_ok && !found)
		cert_add_problem(ci, 0, ip_literal(host) ?
		    X509_V_ERR_IP_ADDRESS_MISMATCH :
		    X509_V_ERR_HOSTNAME_MISMATCH, cert_problem_text(
		    X509_V_ERR_HOSTNAME_MISMATCH, ci, host));
	X509_free(leaf);
	return ci;
}

static void
fmt_day(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d",
	    &tm) == 0)
		snprintf(buf, len, "?");
}

/* The names a certificate is for: its SANs, else its CN. */
static char *
cert_names(const struct cert_info *ci)
{
	char		*s, *t;
	const char	*name;
	size_t		 i;

	if (ci->nsans == 0)
		return xstrdup(ci->common_name != NULL ? ci->common_name :
		    "no name at all");
	s = xstrdup("");
	for (i = 0; i < ci->nsans; i++) {
		name = ci->sans[i];
		if (strncmp(name, "DNS:", 4) == 0)
			name += 4;
		else if (strncmp(name, "IP:", 3) == 0)
			name += 3;
		t = xasprintf("%s%s%s", s, i > 0 ? ", " : "", name);
		free(s);
		s = t;
	}
	return s;
}

char *
cert_problem_text(int code, const struct cert_info *ci, const char *host)
{
	char	 day[32], *names, *s;

	switch (code) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return xstrdup("self-signed certificate");
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return xasprintf("issued by an untrusted self-signed authority "
		    "(%s)", ci->issuer != NULL ? ci->issuer : "?");
	case X509_V_ERR_CERT_HAS_EXPIRED:
		fmt_day(ci->not_after, day, sizeof day);
		return xasprintf("expired on %s (UTC)", day);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		fmt_day(ci->not_before, day, sizeof day);
		return xasprintf("not valid before %s (UTC)", day);
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		names = cert_names(ci);
		s = xasprintf("issued for %s \xe2\x80\x94 not %s", names,
		    host != NULL ? host : "this server");
		free(names);
		return s;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return xasprintf("issued by an unknown authority (%s)",
		    ci->issuer != NULL ? ci->issuer : "?");
	case X509_V_ERR_CERT_REVOKED:
		return xstrdup("revoked by its issuer");
	case X509_V_ERR_INVALID_PURPOSE:
		return xstrdup("not meant for servers (wrong key usage)");
	}
	return xstrdup(X509_verify_cert_error_string(code));
}

/* A problem with the certificate at depth (x may be NULL). */
static char *
problem_text_x509(int code, int depth, X509 *x, const struct cert_info *ci,
    const char *host)
{
	char	 day[32], *subj, *s;

	if (depth == 0 || x == NULL)
		return cert_problem_text(code, ci, host);
	subj = name_line(X509_get_subject_name(x));
	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		fmt_day(asn1_time(X509_get0_notAfter(x)), day, sizeof day);
		s = xasprintf("the authority certificate %s expired on %s "
		    "(UTC)", subj, day);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		fmt_day(asn1_time(X509_get0_notBefore(x)), day, sizeof day);
		s = xasprintf("the authority certificate %s is not valid "
		    "before %s (UTC)", subj, day);
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		s = xasprintf("issued by an untrusted self-signed authority "
		    "(%s)", subj);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		s = name_line(X509_get_issuer_name(x));
		free(subj);
		subj = s;
		s = xasprintf("issued by an unknown authority (%s)", subj);
		break;
	default:
		s = xasprintf("%s (authority certificate %s)",
		    X509_verify_cert_error_string(code), subj);
		break;
	}
	free(subj);
	return s;
}

struct cert_info *
cert_info_dup(const struct cert_info *ci)
{
	struct cert_info	*c;
	size_t			 i;

	if (ci == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	*c = *ci;
	c->subject = ci->subject != NULL ? xstrdup(ci->subject) : NULL;
	c->issuer = ci->issuer != NULL ? xstrdup(ci->issuer) : NULL;
	c->common_name = ci->common_name != NULL ?
	    xstrdup(ci->common_name) : NULL;
	c->sans = NULL;
	if (ci->nsans > 0) {
		c->sans = xcalloc(ci->nsans, sizeof *c->sans);
		for (i = 0; i < ci->nsans; i++)
			c->sans[i] = xstrdup(ci->sans[i]);
	}
	c->chain = NULL;
	if (ci->nchain > 0) {
		c->chain = xcalloc(ci->nchain, sizeof *c->chain);
		for (i = 0; i < ci->nchain; i++)
			c->chain[i] = xstrdup(ci->chain[i]);
	}
	c->problems = NULL;
	if (ci->nproblems > 0) {
		c->problems = xcalloc(ci->nproblems, sizeof *c->problems);
		for (i = 0; i < ci->nproblems; i++) {
			c->problems[i] = ci->problems[i];
			c->problems[i].text = xstrdup(ci->problems[i].text);
		}
	}
	return c;
}

void
cert_info_free(struct cert_info *ci)
{
	size_t	 i;

	if (ci == NULL)
		return;
	free(ci->subject);
	free(ci->issuer);
	free(ci->common_name);
	for (i = 0; i < ci->nsans; i++)
		free(ci->sans[i]);
	free(ci->sans);
	for (i = 0; i < ci->nchain; i++)
		free(ci->chain[i]);
	free(ci->chain);
	for (i = 0; i < ci->nproblems; i++)
		free(ci->problems[i].text);
	free(ci->problems);
	free(ci);
}

/* --- the libetpan driver ------------------------------------------------- */

static mailstream_low *
drv_new(struct conn_priv *cp, int fd, SSL *ssl)
{
	struct net_drv	*d;
	mailstream_low	*low;

	d = xcalloc(1, sizeof *d);
	d->cp = cp;
	d->fd = fd;
	d->ssl = ssl;
	if ((low = mailstream_low_new(d, &net_driver)) == NULL)
		fatalx("mailstream_low_new failed");
	mailstream_low_set_timeout(low, cp->pub.timeout);
	return low;
}

static void
drv_set_error(struct net_drv *d, enum mc_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
drv_set_error(struct net_drv *d, enum mc_errkind kind, const char *fmt, ...)
{
	va_list	 ap;

	d->cp->io_kind = kind;
	va_start(ap, fmt);
	vsnprintf(d->cp->io_msg, sizeof d->cp->io_msg, fmt, ap);
	va_end(ap);
	log_debug("net: %s", d->cp->io_msg);
}

static long long
drv_timeout_ms(mailstream_low *low)
{
	if (low->timeout != 0)
		return (long long)low->timeout * 1000;
	return (long long)mailstream_network_delay.tv_sec * 1000;
}

static int
drv_cancelled(struct net_drv *d)
{
	if (mailstream_cancel_cancelled(d->cp->mc)) {
		drv_set_error(d, MCE_CANCELLED, "The connection to %s:%d was "
		    "cancelled.", d->cp->pub.host, d->cp->pub.port);
		return 1;
	}
	return 0;
}

/* After poll said no: timeout, cancel or error.  Always -1. */
static ssize_t
drv_wait_failed(mailstream_low *low, struct net_drv *d, int w,
    const char *what)
{
	if (w == 0)
		drv_set_error(d, MCE_TIMEOUT, "No %s %s:%d within %ld s.",
		    what, d->cp->pub.host, d->cp->pub.port,
		    (long)(drv_timeout_ms(low) / 1000));
	else if (w == -2)
		drv_set_error(d, MCE_CANCELLED, "The connection to %s:%d was "
		    "cancelled.", d->cp->pub.host, d->cp->pub.port);
	else
		drv_set_error(d, MCE_IO, "Waiting for %s:%d failed: %s.",
		    d->cp->pub.host, d->cp->pub.port, strerror(errno));
	return -1;
}

/*
 * SSL_read/SSL_write failed for good: record why.  Always -1, also at EOF:
 * libetpan's body reader stops only on -1 and spins forever on 0.
 */
static ssize_t
drv_ssl_failed(struct net_drv *d, int sslerr, int saved)
{
	unsigned long	 e;
	const char	*rs;

	d->fatal = 1;
	e = ERR_peek_last_error();
	if (sslerr == SSL_ERROR_ZERO_RETURN ||
	    (sslerr == SSL_ERROR_SYSCALL && e == 0 && saved == 0) ||
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		drv_set_error(d, MCE_PROTOCOL, "The server %s:%d closed the "
		    "connection.", d->cp->pub.host, d->cp->pub.port);
		return -1;
	}
	if (sslerr == SSL_ERROR_SYSCALL && e == 0)
		drv_set_error(d, MCE_IO, "The connection to %s:%d failed: "
		    "%s.", d->cp->pub.host, d->cp->pub.port, strerror(saved));
	else {
		rs = ERR_reason_error_string(e);
		drv_set_error(d, MCE_IO, "TLS error on the connection to "
		    "%s:%d: %s.", d->cp->pub.host, d->cp->pub.port,
		    rs != NULL ? rs : "unknown error");
	}
	ERR_clear_error();
	return -1;
}

static ssize_t
drv_read(mailstream_low *low, void *buf, size_t count)
{
	struct net_drv	*d = low->data;
	long long	 deadline;
	int		 w;
	ssize_t		 n;
	int		 r, sslerr, saved;
	short		 ev;

	if (d->fd < 0)
		return -1;
	if (count > INT_MAX)
		count = INT_MAX;
	deadline = mc_now_ms() + drv_timeout_ms(low);
	for (;;) {
		if (drv_cancelled(d))
			return -1;
		if (d->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			r = SSL_read(d->ssl, buf, (int)count);
			if (r > 0)
				return r;
			saved = errno;
			sslerr = SSL_get_error(d->ssl, r);
			if (sslerr == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (sslerr == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else
				return drv_ssl_failed(d, sslerr, saved);
		} else {
			n = recv(d->fd, buf, count, 0);
			if (n > 0)
				return n;
			if (n == 0) {
				/* -1, not 0: see drv_ssl_failed(). */
				d->fatal = 1;
				drv_set_error(d, MCE_PROTOCOL, "The server "
				    "%s:%d closed the connection.",
				    d->cp->pub.host, d->cp->pub.port);
				return -1;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				drv_set_error(d, MCE_IO, "Reading from %s:%d "
				    "failed: %s.", d->cp->pub.host,
				    d->cp->pub.port, strerror(errno));
				return -1;
			}
			ev = POLLIN;
		}
		w = wait_fd(d->fd, ev, d->cp->pub.cancel_fd[0], deadline);
		if (w != 1)
			return drv_wait_failed(low, d, w, "answer from");
	}
}

static ssize_t
drv_write(mailstream_low *low, const void *buf, size_t count)
{
	struct net_drv	*d = low->data;
	long long	 deadline;
	int		 w;
	ssize_t		 n;
	int		 r, sslerr, saved;
	short		 ev;

	if (d->fd < 0)
		return -1;
	if (count == 0)
		return 0;
	if (count > INT_MAX)
		count = INT_MAX;
	deadline = mc_now_ms() + drv_timeout_ms(low);
	for (;;) {
		if (drv_cancelled(d))
			return -1;
		if (d->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			r = SSL_write(d->ssl, buf, (int)count);
			if (r > 0)
				return r;
			saved = errno;
			sslerr = SSL_get_error(d->ssl, r);
			if (sslerr == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (sslerr == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else {
				/* Never 0 from a write: the caller loops. */
				drv_ssl_failed(d, sslerr, saved);
				return -1;
			}
		} else {
			n = send(d->fd, buf, count, MSG_NOSIGNAL);
			if (n > 0)
				return n;
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				drv_set_error(d, MCE_IO, "Writing to %s:%d "
				    "failed: %s.", d->cp->pub.host,
				    d->cp->pub.port, strerror(errno));
				return -1;
			}
			ev = POLLOUT;
		}
		w = wait_fd(d->fd, ev, d->cp->pub.cancel_fd[0], deadline);
		if (w != 1)
			return drv_wait_failed(low, d, w,
			    "room to send to");
	}
}

static int
drv_close(mailstream_low *low)
{
	struct net_drv	*d = low->data;

	if (d->ssl != NULL) {
		/* One try at close_notify; the socket is non-blocking. */
		if (!d->fatal && !mailstream_cancel_cancelled(d->cp->mc)) {
			ERR_clear_error();
			SSL_shutdown(d->ssl);
			ERR_clear_error();
		}
		if (d->cp->pub.ssl == d->ssl)
			d->cp->pub.ssl = NULL;
		SSL_free(d->ssl);
		d->ssl = NULL;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	return 0;
}

static int
drv_get_fd(mailstream_low *low)
{
	struct net_drv	*d = low->data;

	return d->fd;
}

/* libetpan's mailstream_low_free() leaves free(low) to the driver. */
static void
drv_free(mailstream_low *low)
{
	struct net_drv	*d = low->data;

	/* Closed by libetpan (mailimap_free, ...): conn must not reuse it. */
	if (!d->detached && d->cp->pub.stream != NULL &&
	    d->cp->pub.stream->low == low)
		d->cp->pub.stream = NULL;
	free(d);
	free(low);
}

static void
drv_cancel(mailstream_low *low)
{
	struct net_drv	*d = low->data;

	net_cancel(&d->cp->pub);
}

static struct mailstream_cancel *
drv_get_cancel(mailstream_low *low)
{
	struct net_drv	*d = low->data;

	return d->cp->mc;
}

static carray *
drv_cert_chain(mailstream_low *low)
{
	(void)low;
	return NULL;		/* conn->cert has what anyone needs */
}

/* --- streams ------------------------------------------------------------ */

mailstream *
net_stream(struct net_conn *conn)
{
	mailstream	*s;
	mailstream_low	*low;

	if (conn->stream != NULL)
		return conn->stream;
	if (conn->fd < 0)
		return NULL;
	low = drv_new(PRIV(conn), conn->fd, conn->ssl);
	if ((s = mailstream_new(low, NET_STREAM_BUF)) == NULL)
		fatalx("mailstream_new failed");
	conn->fd = -1;
	conn->stream = s;
	return s;
}

int
net_starttls(struct net_conn *conn, const struct endpoint *ep,
    struct mc_err *err)
{
	mailstream_low	*old, *new;
	struct net_drv	*d;

	if (conn->stream == NULL) {
		if (conn->fd < 0) {
			mc_err_set(err, MCE_IO, "The connection to %s:%d is "
			    "closed.", conn->host, conn->port);
			return -1;
		}
		return tls_handshake_fd(PRIV(conn), conn->fd, ep, err);
	}
	if (conn->ssl != NULL) {
		mc_err_set(err, MCE_STARTTLS, "The connection to %s:%d "
		    "already uses TLS.", conn->host, conn->port);
		return -1;
	}
	/* Whatever came after the OK was sent in plaintext, by anyone. */
	if (conn->stream->read_buffer_len > 0) {
		mc_err_set(err, MCE_STARTTLS, "The server %s:%d sent %zu "
		    "bytes after its STARTTLS reply before TLS began "
		    "(possible injection attack); refusing to continue.",
		    conn->host, conn->port, conn->stream->read_buffer_len);
		return -1;
	}
	old = mailstream_get_low(conn->stream);
	if (old == NULL || old->driver != &net_driver) {
		mc_err_set(err, MCE_STARTTLS, "The stream of %s:%d is not "
		    "mailconn's own; cannot start TLS on it.", conn->host,
		    conn->port);
		return -1;
	}
	d = old->data;
	if (d->fd < 0) {
		mc_err_set(err, MCE_IO, "The connection to %s:%d is closed.",
		    conn->host, conn->port);
		return -1;
	}
	if (tls_handshake_fd(PRIV(conn), d->fd, ep, err) == -1)
		return -1;
	new = drv_new(PRIV(conn), d->fd, conn->ssl);
	new->privacy = old->privacy;
	/* Frees the plaintext driver's data only; the fd lives on. */
	d->detached = 1;
	d->fd = -1;
	mailstream_low_free(old);
	/* Keeps the buffers, re-attaches the stream's logger. */
	mailstream_set_low(conn->stream, new);
	conn->starttls = 1;
	return 0;
}

void
net_cancel(struct net_conn *conn)
{
	struct conn_priv	*cp = PRIV(conn);
	char			 c = 0;
	ssize_t			 n;

	if (conn == NULL)
		return;
	/* The flag first, so whoever the byte wakes sees it. */
	if (cp->mc != NULL)
		mailstream_cancel_notify(cp->mc);
	if (conn->cancel_fd[1] >= 0)
		n = write(conn->cancel_fd[1], &c, 1);
	(void)n;
}

void
net_close(struct net_conn *conn)
{
	struct conn_priv	*cp = PRIV(conn);

	if (conn == NULL)
		return;
	if (conn->stream != NULL) {
		mailstream_close(conn->stream);
		conn->stream = NULL;
	}
	if (conn->ssl != NULL) {
		SSL_free(conn->ssl);
		conn->ssl = NULL;
	}
	if (conn->fd >= 0)
		close(conn->fd);
	SSL_CTX_free(conn->ctx);
	cert_info_free(conn->cert);
	free(conn->host);
	if (conn->cancel_fd[0] >= 0)
		close(conn->cancel_fd[0]);
	if (conn->cancel_fd[1] >= 0)
		close(conn->cancel_fd[1]);
	if (cp->mc != NULL)
		mailstream_cancel_free(cp->mc);
	free(cp);
}

int
net_pending(struct net_conn *conn)
{
	int	 n = 0;

	if (conn->stream != NULL)
		n += (int)conn->stream->read_buffer_len;
	if (conn->ssl != NULL)
		n += SSL_pending(conn->ssl);
	return n;
}

int
net_stream_error(const struct net_conn *conn, struct mc_err *err)
{
	const struct conn_priv	*cp = (const struct conn_priv *)conn;

	if (conn == NULL || cp->io_kind == MCE_NONE)
		return 0;
	mc_err_set(err, cp->io_kind, "%s", cp->io_msg);
	return -1;
}

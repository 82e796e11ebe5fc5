/*
 * net.h -- every byte mailconn exchanges with a server passes through here.
 *
 * TCP with a timeout over every address getaddrinfo returns, then TLS with
 * OpenSSL (never libetpan's GnuTLS code, which verifies nothing).  The
 * handshake records the certificate and every verification error instead of
 * aborting: deciding trust is certstore.c's job, and no credential may be
 * sent before it said yes.  libetpan gets a mailstream_low_driver over our
 * SSL *, with the timeout and cancellation enforced by the driver.
 *
 * Threads: a net_conn and its stream belong to one thread; only
 * net_cancel() may be called from another.
 */
#ifndef MC_NET_H
#define MC_NET_H

#include <time.h>
#include <libetpan/libetpan.h>
#include <openssl/ssl.h>

#include "util.h"
#include "config.h"

#define NET_ADDR_MAX 64		/* an IPv6 literal with scope, as text */
#define NET_DEFAULT_TIMEOUT 20	/* seconds */

/* How to reach one server. */
struct endpoint {
	const char	*host;
	int		 port;
	enum sec_mode	 sec;
	const char	*ca_file;	/* NULL: system store only */
	int		 tls_min;	/* 10..13; 0 means 12 */
	int		 tls_max;	/* 0: no cap (check probes versions) */
	int		 timeout;	/* seconds; 0: NET_DEFAULT_TIMEOUT */
	int		 no_system_ca;	/* check: "trusted by system CAs?" */
};

struct cert_problem {
	int		 depth;
	int		 code;		/* X509_V_ERR_* */
	char		*text;		/* plain words: "expired on 2021-01-01" */
};

/* What the server presented, and what is wrong with it. */
struct cert_info {
	char		*subject;	/* one-line RFC 2253 */
	char		*issuer;
	char		*common_name;	/* CN of the subject, or NULL */
	char	       **sans;		/* "DNS:x" / "IP:1.2.3.4" */
	size_t		 nsans;
	time_t		 not_before;
	time_t		 not_after;
	char		 leaf_sha256[65];	/* hex of the DER certificate */
	char		 spki_sha256[65];	/* hex of the DER public key */
	char	       **chain;		/* subjects, leaf first */
	size_t		 nchain;
	struct cert_problem *problems;	/* empty: verified */
	size_t		 nproblems;
	int		 name_ok;	/* the host matched SAN (or CN) */
	int		 name_by_cn_only; /* matched only through the CN */
	int		 self_signed;
};

/* Why a connect failed, per address tried. */
struct net_probe {
	char		 addrs[8][NET_ADDR_MAX];	/* resolved, in order */
	int		 naddrs;
	char		 local_addr[NET_ADDR_MAX];	/* source of the last try */
	char		 peer_addr[NET_ADDR_MAX];	/* that connected */
	int		 refused, timedout, unreachable;	/* counts */
	long long	 connect_ms;
};

struct net_conn {
	int		 fd;		/* -1 once a stream owns it */
	SSL		*ssl;		/* NULL: plaintext (so far) */
	SSL_CTX		*ctx;
	char		*host;
	int		 port;
	int		 timeout;
	char		 local_addr[NET_ADDR_MAX];
	char		 peer_addr[NET_ADDR_MAX];
	char		 tls_version[16];	/* "TLSv1.3", or "" */
	char		 cipher[64];
	struct cert_info *cert;		/* set by the handshake */
	mailstream	*stream;	/* set by net_stream() */
	int		 cancel_fd[2];	/* pipe written by net_cancel() */
	int		 starttls;	/* TLS came from a STARTTLS upgrade */
};

/* Once per process: SIGPIPE ignored, OpenSSL initialised. */
void		 net_init(void);

/*
 * Resolve and connect, trying every address.  On failure err->kind is
 * MCE_RESOLVE, MCE_REFUSED, MCE_TIMEOUT or MCE_UNREACHABLE and probe (may be
 * NULL) says what happened, including the local source address.
 */
struct net_conn	*net_connect(const struct endpoint *, struct net_probe *,
		     struct mc_err *);

/*
 * TLS handshake on the connected socket: SNI, hostname or IP verification,
 * version floor.  Fills conn->cert even when verification failed; fails only
 * when no TLS session could be made (MCE_TLS, with OpenSSL's reason).
 */
int		 net_tls_handshake(struct net_conn *, const struct endpoint *,
		     struct mc_err *);

/*
 * A libetpan stream over the connection: our driver (TLS when conn->ssl is
 * set, plaintext otherwise; it enforces conn->timeout and net_cancel()).
 * The stream owns the fd and SSL from then on; conn keeps the metadata and
 * stays valid.  If libetpan closes the stream itself (mailimap_free,
 * mailsmtp_free), conn->stream and conn->ssl become NULL, so net_close()
 * afterwards is safe; after net_close() libetpan must not touch the stream.
 */
mailstream	*net_stream(struct net_conn *);
/*
 * Why the stream's last read or write failed: -1 with err set (MCE_TIMEOUT
 * "No answer from HOST:PORT within N s.", MCE_CANCELLED, MCE_PROTOCOL when
 * the server closed the connection, MCE_IO), 0 when nothing failed.  For
 * turning libetpan's bare MAILIMAP_ERROR_STREAM into a sentence.
 */
int		 net_stream_error(const struct net_conn *, struct mc_err *);

/*
 * STARTTLS, after the protocol's OK: refuse if any byte was buffered after
 * the reply (response injection), handshake on the same fd, and swap the
 * stream's low layer to our SSL driver.
 */
int		 net_starttls(struct net_conn *, const struct endpoint *,
		     struct mc_err *);

/* From any thread: make blocked reads and writes on conn fail now. */
void		 net_cancel(struct net_conn *);
/* Close the stream (if any) and free everything. */
void		 net_close(struct net_conn *);

/* Bytes the stream has buffered or SSL holds, for IDLE. */
int		 net_pending(struct net_conn *);

/* 1 when host is a loopback literal or "localhost". */
int		 net_is_loopback(const char *host);

struct cert_info *cert_info_dup(const struct cert_info *);
void		 cert_info_free(struct cert_info *);
/* Plain words for one X509_V_ERR_* code with the details of cert. */
char		*cert_problem_text(int code, const struct cert_info *,
		     const char *host);

#endif

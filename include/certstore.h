/*
 * certstore.h -- pinned certificates and the trust gate.
 *
 * A connection is trusted when verification passed, or the leaf's public
 * key (SPKI SHA-256) is pinned for host:port, or the person chose "accept
 * once" for exactly this certificate (leaf SHA-256) in this process.  Until
 * trust_gate() returned 0, nothing but the protocol's own pre-auth commands
 * (CAPABILITY, STARTTLS, EHLO, ID) may be sent on the connection.
 *
 * known_certs ($XDG_DATA_HOME/mailconn/known_certs), one pin per line:
 *   host:port SPKI-SHA256 LEAF-SHA256 YYYY-MM-DDTHH:MM:SSZ subject...
 * Lines starting with '#' and blank lines are ignored.  Written atomically,
 * mode 0600.  IPv6 hosts are written in brackets: [::1]:993.
 *
 * Threads: every function takes the store's mutex; the prompt callback is
 * called without it held.
 */
#ifndef MC_CERTSTORE_H
#define MC_CERTSTORE_H

#include <time.h>

#include "util.h"
#include "net.h"

struct cert_pin {
	char		*hostport;	/* "host:port" / "[v6]:port" */
	char		 spki_sha256[65];
	char		 leaf_sha256[65];
	time_t		 when;
	char		*subject;
};

enum cert_verdict {
	CERT_VERIFIED,		/* chain and name check passed */
	CERT_PINNED,		/* key pinned for this host:port */
	CERT_ACCEPTED_ONCE,	/* this leaf accepted in this process */
	CERT_UNTRUSTED,		/* not verified, not pinned: ask */
	CERT_CHANGED,		/* pinned, but the key differs: ask loudly */
};

struct certstore;

/* path NULL: the default.  A missing file is an empty store. */
int		 certstore_open(const char *path, struct certstore **,
		     struct mc_err *);
void		 certstore_free(struct certstore *);
const char	*certstore_path(const struct certstore *);

/*
 * Judge cert for host:port.  When a pinned key matches but the leaf was
 * renewed, the pin is updated on disk and the renewal logged.  *old (may be
 * NULL) receives a copy of the pin for CERT_CHANGED; free with
 * cert_pin_free().
 */
enum cert_verdict certstore_verdict(struct certstore *, const char *host,
		     int port, const struct cert_info *, struct cert_pin **old);

int		 certstore_pin(struct certstore *, const char *host, int port,
		     const struct cert_info *, struct mc_err *);
/* 0 removed, -1 with MCE_NOTFOUND when nothing was pinned. */
int		 certstore_forget(struct certstore *, const char *host, int port,
		     struct mc_err *);
void		 certstore_accept_once(struct certstore *, const char *host,
		     int port, const struct cert_info *);
/* Copies of every pin, in file order; free each with cert_pin_free(). */
size_t		 certstore_list(struct certstore *, struct cert_pin ***);
void		 cert_pin_free(struct cert_pin *);
/* "host:port", or "[v6]:port" for an IPv6 literal.  Caller frees. */
char		*certstore_hostport(const char *host, int port);
/* Parse "HOST:PORT" / "[V6]:PORT" (port default 993).  Caller frees *host. */
int		 certstore_parse_hostport(const char *, char **host, int *port,
		     struct mc_err *);

/* The question put to a person. */
enum trust_answer { TRUST_REJECT, TRUST_ACCEPT_ONCE, TRUST_ACCEPT_ALWAYS };

struct trust_request {
	const char		*account;	/* may be NULL */
	const char		*proto;		/* "imap" / "smtp" */
	const char		*host;
	int			 port;
	const struct cert_info	*cert;
	enum cert_verdict	 verdict;	/* UNTRUSTED or CHANGED */
	const struct cert_pin	*old;		/* the pin, for CHANGED */
};

/* Blocks until answered; called on the connecting (engine) thread. */
typedef enum trust_answer (*trust_prompt_fn)(const struct trust_request *,
		     void *arg);

struct trust_ctx {
	struct certstore	*store;
	trust_prompt_fn		 prompt;	/* NULL: no one to ask */
	void			*arg;
	const char		*account;
};

/*
 * The gate (tc may be NULL: no store, no one to ask).  0: trusted (verdict in *how, may be NULL).  -1: not trusted,
 * err is MCE_CERT_REJECTED, MCE_CERT_CHANGED or MCE_CERT_UNTRUSTED (the
 * last when there is no prompt; its message names
 * `mailconn certs trust HOST:PORT`).
 */
int		 trust_gate(const struct trust_ctx *, const char *proto,
		     const struct net_conn *, enum cert_verdict *how,
		     struct mc_err *);

/*
 * The start every IMAP and SMTP session shares: connect (timed into
 * *connect_ms) and, for implicit TLS, the handshake (*tls_ms) and the gate
 * (*how) before a byte is read.  NULL with err on failure, nothing left open.
 */
struct net_conn	*trust_connect(const struct endpoint *, const char *proto,
		     const struct trust_ctx *, struct net_probe *,
		     long long *connect_ms, long long *tls_ms,
		     enum cert_verdict *how, struct mc_err *);

/* The full report for a person, several lines, caller frees. */
char		*cert_report_text(const struct trust_request *);

/* The terminal prompt (trust-tty.c): reads /dev/tty; NULL arg. */
enum trust_answer trust_tty_prompt(const struct trust_request *, void *);
/* 1 when a terminal is there to ask. */
int		 trust_tty_available(void);

#endif

/*
 * discover.h -- find the IMAP and SMTP servers for an email address.
 *
 * Three sources, in this order of authority:
 *   1. DNS SRV records (RFC 6186 and RFC 8314): _imaps._tcp, _imap._tcp,
 *      _submissions._tcp, _submission._tcp under the address's domain.  A
 *      single record whose target is "." means "not offered here".
 *   2. The provider table (providers.c) for the big hosted services.
 *   3. Guesses, only for a protocol 1 and 2 found nothing for: imap., mail.
 *      and the domain itself (smtp., mail., domain for SMTP).
 * Every candidate is then probed: connect, TLS, greeting and CAPABILITY or
 * EHLO.  A probe never logs in and never asks about a certificate (its
 * trust_ctx has no prompt): an untrusted certificate still proves a TLS
 * server is there, and the live test asks the person later.  Implicit TLS
 * is tried before STARTTLS (RFC 8314).  A guess only survives if its probe
 * worked; SRV and table entries stay even when the probe failed (the
 * network may be down), marked unconfirmed.
 *
 * Threads: discover_run() blocks and belongs on an engine thread.  It runs
 * the probes on threads of its own and returns when they are done, when
 * opts->time_limit_ms passed, or within 50 ms of *opts->cancel becoming
 * non-zero.  Probes still running then are abandoned: they hold only their
 * own reference-counted state and never call back.  The step callback is
 * called on the discover_run() thread only.
 *
 * The parsers (discover_parse_srv, discover_sort_srv) and the provider
 * table never touch the network: tests/unit/test-discover.c.
 */
#ifndef MC_DISCOVER_H
#define MC_DISCOVER_H

#include <stddef.h>

#include "util.h"
#include "config.h"
#include "certstore.h"

#define DISC_HOST_MAX 256

enum disc_proto { DISC_IMAP, DISC_SMTP };
enum disc_origin { ORIGIN_SRV, ORIGIN_PROVIDER, ORIGIN_GUESS };

/* One SRV record (RFC 2782). */
struct srv_record {
	int		 priority;
	int		 weight;
	int		 port;
	char		 target[DISC_HOST_MAX];	/* no trailing dot; "." */
};

/*
 * Parse a DNS answer (as res_query() returns it) and keep the SRV records,
 * sorted (discover_sort_srv).  0 with *out and *n (*n may be 0; free *out),
 * -1 with err (MCE_PROTOCOL) when the message is malformed: truncated,
 * compression pointers out of bounds, RDATA shorter than its fields.
 */
int		 discover_parse_srv(const unsigned char *msg, size_t len,
		     struct srv_record **out, size_t *n, struct mc_err *);
/*
 * Order by priority (lower first), then weight (higher first), input order
 * kept among equals.  Deterministic on purpose: RFC 2782's weighted random
 * pick spreads load across clients; one person's wizard should show the
 * same answer twice.
 */
void		 discover_sort_srv(struct srv_record *, size_t);
/* 1 when the records say "decidedly not offered": one record, target ".". */
int		 discover_srv_not_offered(const struct srv_record *, size_t);

/* A hosted service with well-known settings (providers.c). */
struct provider {
	const char	*name;		/* "Gmail" */
	const char	*domains;	/* space separated */
	const char	*imap_host;
	int		 imap_port;
	enum sec_mode	 imap_sec;
	const char	*smtp_host;
	int		 smtp_port;
	enum sec_mode	 smtp_sec;
	const char	*note;		/* what a person must know, or NULL */
};

/* The table entry for domain (case-insensitive), or NULL. */
const struct provider *provider_lookup(const char *domain);
/* The whole table; *n entries. */
const struct provider *provider_table(size_t *n);

struct disc_candidate {
	enum disc_proto	 proto;
	char		*host;
	int		 port;
	enum sec_mode	 sec;
	enum disc_origin origin;
	char		*origin_text;	/* "SRV _imaps._tcp.example.com" */
	int		 confirmed;	/* 1 probe worked, -1 failed, 0 not run */
	int		 cert_untrusted; /* TLS works; certificate to decide */
	char		*confirm_text;	/* what the probe showed, or why not */
	long long	 ms;		/* probe time */
};

struct disc_result {
	char		*domain;
	const struct provider *provider;	/* NULL: not in the table */
	struct disc_candidate *c;	/* IMAP and SMTP, best first each */
	size_t		 n;
	int		 best[2];	/* index per disc_proto, -1: none */
	int		 timed_out;	/* the time limit cut probes short */
	int		 cancelled;
};

/*
 * Progress for a person: status is an enum step_status (events.h), a step
 * started (STEP_RUNNING) or ended.  name is the row: "DNS SRV", one per
 * SRV name ("_imaps._tcp.example.com"), "provider table", "probes", and
 * one per probe ("imaps imap.example.com:993").  detail may be NULL.
 */
typedef void	(*disc_step_fn)(void *arg, int status, const char *name,
		     long long ms, const char *detail);

struct disc_opts {
	const char	*email;
	int		 time_limit_ms;	/* overall; 0: 15000 */
	int		 probe_timeout;	/* seconds per probe; 0: 5 */
	/*
	 * Ports tried by guesses and checked for SRV answers: imaps, imap,
	 * smtps, submission.  0: 993, 143, 465, 587.  Changed only by
	 * MC_DISCOVER_PORTS (a test and demo hook, read by cli-ui.c).
	 */
	int		 ports[4];
	const char	*ca_file;	/* extra trust anchor for probes */
	struct certstore *store;	/* pins: a pinned probe is trusted;
					   must outlive abandoned probes */
	int		 no_dns;	/* skip SRV (tests) */
	volatile int	*cancel;	/* set non-zero from any thread */
	disc_step_fn	 step;
	void		*arg;
};

/* Blocks (engine thread).  Always fills res; free with discover_free(). */
void		 discover_run(const struct disc_opts *, struct disc_result *);
void		 discover_free(struct disc_result *);

/* Discovery threads still running, abandoned ones included (tests). */
int		 discover_busy(void);

/* The domain of an address ("" when there is no '@'); caller frees. */
char		*discover_domain(const char *email);
/* "SRV", "provider table", "guess". */
const char	*discover_origin_name(enum disc_origin);
/* Parse MC_DISCOVER_PORTS ("imaps=N,imap=N,smtps=N,submission=N"). */
int		 discover_parse_ports(const char *, int ports[4],
		     struct mc_err *);

#endif

/*
 * check.c -- `mailconn check`: one row per requirement, for IT.
 *
 * The report is built in two layers.  The judges (check_cert_rows,
 * check_versions_row, ...) turn facts into rows and never touch the
 * network; the unit tests drive them with made-up facts.  check_run()
 * gathers the facts: for each server it first lays out every row of that
 * server as "not tested", then walks the steps in order
 *
 *   reach (dns, port) -> probe session (tls, certificate, software, auth)
 *   -> TLS version probes -> login -> what needs a login (idle, sent,
 *   connections)
 *
 * and a step that fails leaves the rows after it with the reason they
 * were not tested.  So a report always has the same ids, in the same order.
 *
 * Sessions, and what they may carry:
 * - probe sessions: the system CA store only (what an ordinary client
 *   sees), trust decided by a private empty store that accepts once
 *   without asking.  They send nothing but the pre-login commands and are
 *   closed; no credential ever goes over one.
 * - login sessions: the account's ca-file and the pins in opts->store, and
 *   no prompt: an unverified, unpinned certificate stops the login there.
 */

#include <sys/types.h>
#include <sys/ioctl.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509_vfy.h>

#include "check.h"
#include "config.h"
#include "imap.h"
#include "log.h"
#include "net.h"
#include "smtp.h"
#include "util.h"
#include "version.h"

#define CHECK_WARN_DAYS	14	/* certificate validity left before WARN */
#define CHECK_WIDTH	100	/* text width when not on a terminal */
#define CHECK_MAX_CONN	20	/* upper bound for --max-connections */

/* Every row id check_run() produces, in report order. */
struct check_def {
	const char	*id;
	const char	*title;
};

static const struct check_def check_defs[] = {
	{ "imap.dns",		"IMAP host name" },
	{ "imap.port",		"IMAP port reachable" },
	{ "imap.tls",		"IMAP TLS" },
	{ "imap.tls.versions",	"IMAP TLS versions" },
	{ "imap.cert.trusted",	"IMAP certificate trusted" },
	{ "imap.cert.name",	"IMAP certificate name" },
	{ "imap.cert.validity",	"IMAP certificate validity" },
	{ "imap.software",	"IMAP server software" },
	{ "imap.login",		"IMAP login" },
	{ "imap.idle",		"IMAP IDLE" },
	{ "imap.sent",		"IMAP Sent folder" },
	{ "imap.connections",	"IMAP connections at once" },
	{ "smtp",		"SMTP server" },
	{ "smtp.dns",		"SMTP host name" },
	{ "smtp.port",		"SMTP port reachable" },
	{ "smtp.tls",		"SMTP TLS" },
	{ "smtp.tls.versions",	"SMTP TLS versions" },
	{ "smtp.cert.trusted",	"SMTP certificate trusted" },
	{ "smtp.cert.name",	"SMTP certificate name" },
	{ "smtp.cert.validity",	"SMTP certificate validity" },
	{ "smtp.auth",		"SMTP AUTH mechanisms" },
	{ "smtp.login",		"SMTP login" },
};
#define NDEFS (sizeof check_defs / sizeof check_defs[0])

/* One server being checked. */
struct check_srv {
	const struct check_opts	*opts;
	struct check_report	*rep;
	const char		*proto;		/* "imap" / "smtp" */
	const char		*PROTO;		/* "IMAP" / "SMTP" */
	int			 smtp;
	struct endpoint		 sys;		/* probe: system CAs only */
	struct endpoint		 acct;		/* login: as mailconn connects */
	const char		*user;
	const char		*password;
	const char		*password_why;
	struct certstore	*probe_store;	/* private, empty */
	struct trust_ctx	 probe_trust;
	struct trust_ctx	 login_trust;
	int			 idle_cap;	/* -1 unknown */
	char			*blocked;	/* why the rest was not tested */
};

static const char *tls_names[4] = {
	"TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0"
};
static const int tls_codes[4] = { 13, 12, 11, 10 };

static char	*row_id(const struct check_srv *, const char *);
static void	 srv_set(struct check_srv *, const char *, enum check_status,
		     const char *, const char *, ...)
		     __attribute__((format(printf, 5, 6)));
static void	 srv_block(struct check_srv *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
static int	 srv_init(struct check_srv *, const struct check_opts *,
		     struct check_report *, int);
static void	 srv_free(struct check_srv *);
static void	 srv_finish(struct check_srv *);
static void	 rows_lay_out(struct check_report *, const char *);
static int	 check_reach(struct check_srv *);
static int	 check_probe(struct check_srv *);
static void	 check_tls_row(struct check_srv *, const struct net_conn *);
static void	 check_tls_failed(struct check_srv *, const struct mc_err *);
static void	 check_versions(struct check_srv *, int);
static char	*pin_note(struct check_srv *, const struct cert_info *);
static void	 check_imap_login(struct check_srv *);
static void	 check_imap_after_login(struct check_srv *,
		     struct imap_session *);
static void	 check_sent(struct check_srv *, struct imap_session *);
static void	 check_connections(struct check_srv *, struct imap_session *);
static void	 check_smtp_login(struct check_srv *);
static int	 login_open_failed(struct check_srv *, const char *,
		     const struct mc_err *);
static int	 open_session(struct check_srv *, const struct endpoint *,
		     const struct trust_ctx *, void **, struct mc_err *);
static void	 close_session(struct check_srv *, void *);
static enum trust_answer probe_accept(const struct trust_request *, void *);
static const char *err_words(const struct mc_err *);
static char	*fmt_date(time_t);
static int	 host_is_ip(const char *);
static int	 cn_matches(const char *, const char *);
static void	 wrap(FILE *, const char *, size_t, size_t, size_t);
static char	*replace_all(const char *, const char *, const char *);

/* ---- rows ------------------------------------------------------------ */

const char *
check_status_name(enum check_status st)
{
	switch (st) {
	case CHECK_PASS:
		return "pass";
	case CHECK_WARN:
		return "warn";
	case CHECK_FAIL:
		return "fail";
	case CHECK_SKIP:
		return "skip";
	}
	return "?";
}

const char *
check_title(const char *id)
{
	size_t	i;

	for (i = 0; i < NDEFS; i++) {
		if (strcmp(check_defs[i].id, id) == 0)
			return check_defs[i].title;
	}
	return id;
}

struct check_row *
check_row_find(const struct check_report *rep, const char *id)
{
	size_t	i;

	for (i = 0; i < rep->nrows; i++) {
		if (strcmp(rep->rows[i].id, id) == 0)
			return &rep->rows[i];
	}
	return NULL;
}

static void
row_setv(struct check_report *rep, const char *id, enum check_status st,
    const char *advice, const char *fmt, va_list ap)
{
	struct check_row	*row;

	if ((row = check_row_find(rep, id)) == NULL) {
		rep->rows = xrealloc(rep->rows,
		    (rep->nrows + 1) * sizeof *rep->rows);
		row = &rep->rows[rep->nrows++];
		memset(row, 0, sizeof *row);
		row->id = xstrdup(id);
		row->title = xstrdup(check_title(id));
	}
	free(row->finding);
	free(row->advice);
	row->status = st;
	row->finding = fmt != NULL ? xvasprintf(fmt, ap) : NULL;
	row->advice = advice != NULL ? xstrdup(advice) : NULL;
}

void
check_row_set(struct check_report *rep, const char *id, enum check_status st,
    const char *advice, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	row_setv(rep, id, st, advice, fmt, ap);
	va_end(ap);
}

/* Every row of one prefix ("imap." / "smtp."), SKIP without a finding. */
static void
rows_lay_out(struct check_report *rep, const char *prefix)
{
	size_t	i;

	for (i = 0; i < NDEFS; i++) {
		if (strncmp(check_defs[i].id, prefix, strlen(prefix)) != 0)
			continue;
		check_row_set(rep, check_defs[i].id, CHECK_SKIP, NULL, NULL);
	}
}

void
check_summary(const struct check_report *rep, int counts[4])
{
	size_t	i;

	memset(counts, 0, 4 * sizeof counts[0]);
	for (i = 0; i < rep->nrows; i++)
		counts[rep->rows[i].status]++;
}

int
check_exit_code(const struct check_report *rep)
{
	int	counts[4];

	check_summary(rep, counts);
	return counts[CHECK_FAIL] > 0 ? 1 : 0;
}

void
check_report_free(struct check_report *rep)
{
	size_t	i;

	for (i = 0; i < rep->nrows; i++) {
		free(rep->rows[i].id);
		free(rep->rows[i].title);
		free(rep->rows[i].finding);
		free(rep->rows[i].advice);
	}
	free(rep->rows);
	free(rep->account);
	free(rep->imap);
	free(rep->smtp);
	memset(rep, 0, sizeof *rep);
}

static char *
replace_all(const char *s, const char *what, const char *with)
{
	const char	*p;
	char		*out;
	size_t		 n = 0, wl = strlen(what), rl = strlen(with), len;

	for (p = s; (p = strstr(p, what)) != NULL; p += wl)
		n++;
	len = strlen(s) + n * rl + 1;
	out = xmalloc(len);
	out[0] = '\0';
	while ((p = strstr(s, what)) != NULL) {
		strncat(out, s, (size_t)(p - s));
		strcat(out, with);
		s = p + wl;
	}
	strcat(out, s);
	return out;
}

/*
 * Belt and braces: nothing here ever formats a password, but a server may
 * echo what it got.  Secrets under 4 characters are not searched for: they
 * would garble every sentence and are no secret anyway.
 */
void
check_redact(struct check_report *rep, const char *secret)
{
	size_t	 i;
	char	*s;

	if (secret == NULL || strlen(secret) < 4)
		return;
	for (i = 0; i < rep->nrows; i++) {
		if (rep->rows[i].finding != NULL &&
		    strstr(rep->rows[i].finding, secret) != NULL) {
			s = replace_all(rep->rows[i].finding, secret,
			    "<redacted>");
			free(rep->rows[i].finding);
			rep->rows[i].finding = s;
		}
		if (rep->rows[i].advice != NULL &&
		    strstr(rep->rows[i].advice, secret) != NULL) {
			s = replace_all(rep->rows[i].advice, secret,
			    "<redacted>");
			free(rep->rows[i].advice);
			rep->rows[i].advice = s;
		}
	}
}

/* ---- small helpers --------------------------------------------------- */

static char *
fmt_date(time_t t)
{
	struct tm	tm;
	char		buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
	return xstrdup(buf);
}

static int
host_is_ip(const char *host)
{
	const char	*p;

	if (strchr(host, ':') != NULL)
		return 1;
	for (p = host; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return 0;
	}
	return 1;
}

/* RFC 6125 matching of one name: exact, or "*." on the leftmost label. */
static int
cn_matches(const char *cn, const char *host)
{
	const char	*dot;

	if (cn == NULL)
		return 0;
	if (strcasecmp(cn, host) == 0)
		return 1;
	if (strncmp(cn, "*.", 2) == 0 && (dot = strchr(host, '.')) != NULL &&
	    dot != host)
		return strcasecmp(cn + 1, dot) == 0;
	return 0;
}

/* The server's own words when it said something, else our sentence. */
static const char *
err_words(const struct mc_err *err)
{
	return err->server[0] != '\0' ? err->server : err->msg;
}

/* ---- judges ---------------------------------------------------------- */

/* X509 errors that are about names or dates, judged by their own rows. */
static int
problem_is_chain(int code)
{
	switch (code) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return 0;
	}
	return 1;
}

static void
cert_trusted_row(struct check_report *rep, const char *proto,
    const struct cert_info *ci, const char *pin_note_, const char *ca_file)
{
	const char	*iss;
	char		*id, *why = NULL, *tmp, *extra;
	size_t		 i;
	int		 n = 0;

	id = xasprintf("%s.cert.trusted", proto);
	for (i = 0; i < ci->nproblems; i++) {
		if (!problem_is_chain(ci->problems[i].code))
			continue;
		tmp = xasprintf("%s%s%s", why == NULL ? "" : why,
		    why == NULL ? "" : "; ", ci->problems[i].text);
		free(why);
		why = tmp;
		n++;
	}
	if (n == 0 && ci->self_signed)
		why = xstrdup("self-signed certificate");
	if (why == NULL) {
		check_row_set(rep, id, CHECK_PASS, NULL,
		    "issued by %s, trusted by the system CA store.",
		    ci->issuer != NULL ? ci->issuer : "?");
	} else {
		/* How mailconn itself gets past it, if it does. */
		extra = xasprintf("%s%s%s%s%s", pin_note_ != NULL ? " " : "",
		    pin_note_ != NULL ? pin_note_ : "",
		    ca_file != NULL ? " The account's ca-file " : "",
		    ca_file != NULL ? ca_file : "", ca_file != NULL ?
		    " is not used for this row: it shows what ordinary "
		    "clients see." : "");
		iss = ci->issuer != NULL && strstr(why, ci->issuer) == NULL ?
		    ci->issuer : NULL;
		check_row_set(rep, id, CHECK_FAIL,
		    "Install a certificate issued by a public CA (for example "
		    "Let's Encrypt) with the full chain.  Until then every "
		    "client must accept it by hand (mailconn: `mailconn certs "
		    "trust HOST:PORT`).",
		    "not trusted by the system CA store: %s%s%s%s.%s", why,
		    iss != NULL ? " (issuer: " : "", iss != NULL ? iss : "",
		    iss != NULL ? ")" : "", extra);
		free(extra);
	}
	free(why);
	free(id);
}

static char *
cert_names(const struct cert_info *ci)
{
	char	*s = NULL, *tmp;
	size_t	 i;

	for (i = 0; i < ci->nsans; i++) {
		tmp = xasprintf("%s%s%s", s == NULL ? "" : s,
		    s == NULL ? "" : ", ", ci->sans[i]);
		free(s);
		s = tmp;
	}
	if (s == NULL)
		s = xasprintf("no subjectAltName, CN %s",
		    ci->common_name != NULL ? ci->common_name : "(none)");
	return s;
}

static void
cert_name_row(struct check_report *rep, const char *proto, const char *host,
    const struct cert_info *ci)
{
	char	*id, *names;

	id = xasprintf("%s.cert.name", proto);
	names = cert_names(ci);
	if (!ci->name_ok) {
		check_row_set(rep, id, CHECK_FAIL,
		    "Install a certificate whose subjectAltName lists the host "
		    "name clients use (and put it in the CN too).",
		    "issued for %s, not for %s.", names, host);
	} else if (ci->name_by_cn_only) {
		check_row_set(rep, id, CHECK_WARN,
		    "Reissue the certificate with the host name as a "
		    "subjectAltName DNS entry: current clients ignore the CN.",
		    "%s matches only through the CN (%s); the certificate has "
		    "no matching subjectAltName.", host,
		    ci->common_name != NULL ? ci->common_name : "?");
	} else if (!host_is_ip(host) && !cn_matches(ci->common_name, host)) {
		check_row_set(rep, id, CHECK_WARN,
		    "Reissue the certificate with the server's FQDN as the CN "
		    "as well: the requirements ask for it in the CN.",
		    "the subjectAltName covers %s (%s), but the CN is %s.",
		    host, names, ci->common_name != NULL ?
		    ci->common_name : "empty");
	} else {
		check_row_set(rep, id, CHECK_PASS, NULL,
		    "covers %s (CN %s; %s).", host,
		    ci->common_name != NULL ? ci->common_name : "none", names);
	}
	free(names);
	free(id);
}

static void
cert_validity_row(struct check_report *rep, const char *proto,
    const struct cert_info *ci, time_t now)
{
	char		*id, *from, *until;
	long long	 days;

	id = xasprintf("%s.cert.validity", proto);
	from = fmt_date(ci->not_before);
	until = fmt_date(ci->not_after);
	days = ((long long)ci->not_after - (long long)now) / 86400;
	if (now > ci->not_after) {
		check_row_set(rep, id, CHECK_FAIL,
		    "Renew the certificate now, and automate renewal.",
		    "expired on %s (valid from %s).", until, from);
	} else if (now < ci->not_before) {
		check_row_set(rep, id, CHECK_FAIL,
		    "Check the server's clock, or install a certificate that "
		    "is valid now.",
		    "not valid before %s (valid until %s).", from, until);
	} else if (days < CHECK_WARN_DAYS) {
		check_row_set(rep, id, CHECK_WARN,
		    "Renew the certificate before it expires.",
		    "expires on %s, in %lld day%s (valid from %s).", until,
		    days, days == 1 ? "" : "s", from);
	} else {
		check_row_set(rep, id, CHECK_PASS, NULL,
		    "valid from %s until %s (%lld days left).", from, until,
		    days);
	}
	free(from);
	free(until);
	free(id);
}

void
check_cert_rows(struct check_report *rep, const char *proto,
    const char *host, const struct cert_info *ci, time_t now,
    const char *pin_note_, const char *ca_file)
{
	cert_trusted_row(rep, proto, ci, pin_note_, ca_file);
	cert_name_row(rep, proto, host, ci);
	cert_validity_row(rep, proto, ci, now);
}

/*
 * The requirements ask for TLS 1.0-1.2: a server must accept 1.2 (which
 * mailconn needs by default, and the oldest version still safe).  1.0 and
 * 1.1 still accepted is a WARN: deprecated (RFC 8996), though allowed.
 */
void
check_versions_row(struct check_report *rep, const char *proto,
    const int acc[4])
{
	char		 yes[64] = "", no[64] = "", unk[64] = "", *id;
	const char	*tail;
	int		 i, any, old;

	for (i = 0; i < 4; i++) {
		char *l = acc[i] == 1 ? yes : acc[i] == 0 ? no : unk;
		if (*l != '\0')
			strcat(l, ", ");
		strcat(l, tls_names[i]);
	}
	id = xasprintf("%s.tls.versions", proto);
	tail = "SSLv3 is never used (RFC 7568)";
	any = acc[0] == 1 || acc[1] == 1 || acc[2] == 1 || acc[3] == 1;
	old = acc[2] == 1 || acc[3] == 1;
	if (!any && acc[1] == 0) {
		check_row_set(rep, id, CHECK_FAIL,
		    "Enable TLS 1.2 and 1.3 on the server.",
		    "no TLS version accepted; refused: %s%s%s.", no,
		    *unk != '\0' ? "; could not test: " : "", unk);
	} else if (!any) {
		check_row_set(rep, id, CHECK_SKIP, NULL,
		    "could not test %s%s%s.", unk,
		    *no != '\0' ? "; refused: " : "", no);
	} else if (acc[1] == 1) {
		check_row_set(rep, id, old ? CHECK_WARN : CHECK_PASS,
		    old ? "Disable TLS 1.0 and 1.1 when no old client needs "
		    "them (Dovecot: ssl_min_protocol = TLSv1.2)." : NULL,
		    "%saccepts %s%s%s%s%s; %s.", old ? "deprecated protocol "
		    "versions enabled: " : "", yes,
		    *no != '\0' ? "; refuses " : "", no,
		    *unk != '\0' ? "; could not test " : "", unk, tail);
	} else if (acc[1] == -1) {
		check_row_set(rep, id, CHECK_WARN,
		    "Make sure the server accepts TLS 1.2.",
		    "accepts %s; TLS 1.2 could not be tested%s%s.", yes,
		    *no != '\0' ? "; refuses " : "", no);
	} else if (!old) {
		check_row_set(rep, id, CHECK_FAIL,
		    "Also enable TLS 1.2 (Dovecot: ssl_min_protocol = "
		    "TLSv1.2): the requirements list TLS 1.0-1.2, and clients "
		    "limited to them cannot connect.",
		    "accepts %s only; refuses %s; %s.", yes, no, tail);
	} else {
		check_row_set(rep, id, CHECK_WARN,
		    "Enable TLS 1.2 (and 1.3) and disable TLS 1.0/1.1.  Until "
		    "then mailconn needs `tls-min = 1.0` for this account.",
		    "accepts %s but not TLS 1.2; only deprecated versions "
		    "reach it; %s.", yes, tail);
	}
	free(id);
}

void
check_software_row(struct check_report *rep, enum server_sw sw,
    const char *greeting, const char *id_name)
{
	char	 g[120];

	snprintf(g, sizeof g, "%s", greeting != NULL ? greeting : "");
	if (sw == SW_COURIER) {
		check_row_set(rep, "imap.software", CHECK_FAIL,
		    "Serve this mailbox from another IMAP server (Dovecot, "
		    "Cyrus, Exchange, ...).  mailconn itself can still sync "
		    "it.",
		    "Courier-IMAP is not supported: replies sent to the inbox "
		    "cannot be logged (greeting: \"%s\").", g);
	} else if (sw == SW_UNKNOWN) {
		check_row_set(rep, "imap.software", CHECK_PASS, NULL,
		    "not identified%s%s%s, and it does not present itself as "
		    "Courier-IMAP (greeting: \"%s\").",
		    id_name != NULL ? " (ID name \"" : "",
		    id_name != NULL ? id_name : "",
		    id_name != NULL ? "\")" : "", g);
	} else {
		check_row_set(rep, "imap.software", CHECK_PASS, NULL,
		    "%s (greeting: \"%s\").", server_sw_name(sw), g);
	}
}

void
check_connections_row(struct check_report *rep, int wanted, int got,
    const char *why)
{
	char	*advice;

	if (got >= wanted) {
		check_row_set(rep, "imap.connections", CHECK_PASS, NULL,
		    "the server accepted %d of %d authenticated connections "
		    "at once.", got, wanted);
		return;
	}
	advice = xasprintf("Allow at least %d simultaneous IMAP connections "
	    "per user and per client address (Dovecot: "
	    "mail_max_userip_connections in protocol imap {}; Courier: "
	    "MAXPERIP; Exchange: MaxConcurrentConnections / "
	    "ImapMaxConnectionsPerUser).", wanted);
	check_row_set(rep, "imap.connections", CHECK_FAIL, advice,
	    "the server accepted %d of %d authenticated connections at once; "
	    "connection %d got: \"%s\".", got, wanted, got + 1,
	    why != NULL ? why : "an error");
	free(advice);
}

void
check_auth_row(struct check_report *rep, int mechs, const char *list)
{
	const char	*l = list != NULL && *list != '\0' ? list : NULL;

	if (mechs & (SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN)) {
		check_row_set(rep, "smtp.auth", CHECK_PASS, NULL,
		    "offers %s after TLS (PLAIN or LOGIN is needed).",
		    l != NULL ? l : (mechs & SMTP_AUTH_PLAIN) ? "PLAIN" :
		    "LOGIN");
	} else if (mechs != 0 || l != NULL) {
		check_row_set(rep, "smtp.auth", CHECK_FAIL,
		    "Offer AUTH PLAIN or LOGIN over TLS on this port.",
		    "offers only %s; PLAIN or LOGIN is needed.",
		    l != NULL ? l : "other mechanisms");
	} else {
		check_row_set(rep, "smtp.auth", CHECK_FAIL,
		    "Enable SMTP AUTH (PLAIN or LOGIN) over TLS on this port: "
		    "clients must log in to send.",
		    "the server offers no AUTH mechanism after TLS.");
	}
}

/* ---- gathering the facts --------------------------------------------- */

static char *
row_id(const struct check_srv *s, const char *leaf)
{
	return xasprintf("%s.%s", s->proto, leaf);
}

static void
srv_set(struct check_srv *s, const char *leaf, enum check_status st,
    const char *advice, const char *fmt, ...)
{
	va_list	 ap;
	char	*id;

	id = row_id(s, leaf);
	va_start(ap, fmt);
	row_setv(s->rep, id, st, advice, fmt, ap);
	va_end(ap);
	free(id);
}

static void
srv_block(struct check_srv *s, const char *fmt, ...)
{
	va_list	ap;

	free(s->blocked);
	va_start(ap, fmt);
	s->blocked = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Rows nobody reached say why. */
static void
srv_finish(struct check_srv *s)
{
	struct check_report	*rep = s->rep;
	size_t			 i, n = strlen(s->proto);

	for (i = 0; i < rep->nrows; i++) {
		if (strncmp(rep->rows[i].id, s->proto, n) != 0 ||
		    rep->rows[i].id[n] != '.' || rep->rows[i].finding != NULL)
			continue;
		rep->rows[i].finding = xstrdup(s->blocked != NULL ?
		    s->blocked : "not tested.");
	}
}

/* The probe sessions' trust: accept, for that session only. */
static enum trust_answer
probe_accept(const struct trust_request *req, void *arg)
{
	(void)req;
	(void)arg;
	return TRUST_ACCEPT_ONCE;
}

static int
srv_init(struct check_srv *s, const struct check_opts *o,
    struct check_report *rep, int smtp)
{
	const struct account	*a = o->account;
	struct mc_err		 err;

	memset(s, 0, sizeof *s);
	s->opts = o;
	s->rep = rep;
	s->smtp = smtp;
	s->proto = smtp ? "smtp" : "imap";
	s->PROTO = smtp ? "SMTP" : "IMAP";
	s->idle_cap = -1;
	s->acct.host = smtp ? a->smtp_host : a->imap_host;
	s->acct.port = smtp ? a->smtp_port : a->imap_port;
	s->acct.sec = smtp ? a->smtp_sec : a->imap_sec;
	s->acct.ca_file = a->ca_file;
	s->acct.tls_min = a->tls_min;
	s->acct.timeout = o->timeout;
	s->sys = s->acct;
	s->sys.ca_file = NULL;
	s->sys.no_system_ca = 0;
	s->user = smtp ? a->smtp_user : a->imap_user;
	s->password = smtp ? o->smtp_password : o->password;
	s->password_why = smtp ? o->smtp_password_why : o->password_why;

	/* /dev/null: an empty store that is never written (nothing pins). */
	if (certstore_open("/dev/null", &s->probe_store, &err) == -1) {
		srv_block(s, "not tested: %s", err.msg);
		return -1;
	}
	s->probe_trust.store = s->probe_store;
	s->probe_trust.prompt = probe_accept;
	s->probe_trust.account = a->name;
	s->login_trust.store = o->store;
	s->login_trust.prompt = NULL;
	s->login_trust.account = a->name;
	return 0;
}

static void
srv_free(struct check_srv *s)
{
	if (s->probe_store != NULL)
		certstore_free(s->probe_store);
	free(s->blocked);
}

static int
open_session(struct check_srv *s, const struct endpoint *ep,
    const struct trust_ctx *tc, void **out, struct mc_err *err)
{
	struct imap_session	*is = NULL;
	struct smtp_session	*ss = NULL;
	int			 rc;

	if (s->smtp) {
		rc = smtp_open(ep, tc, &ss, err);
		*out = ss;
	} else {
		rc = imap_open(ep, tc, &is, err);
		*out = is;
	}
	return rc;
}

static void
close_session(struct check_srv *s, void *sess)
{
	if (sess == NULL)
		return;
	if (s->smtp)
		smtp_close(sess);
	else
		imap_close(sess);
}

static struct net_conn *
session_conn(struct check_srv *s, void *sess)
{
	if (s->smtp)
		return ((struct smtp_session *)sess)->conn;
	return ((struct imap_session *)sess)->conn;
}

/* dns and port: a bare TCP connection, which gives the addresses. */
static int
check_reach(struct check_srv *s)
{
	struct net_probe	 probe;
	struct net_conn		*c;
	struct mc_err		 err;
	char			*addrs = NULL, *tmp;
	int			 i, others, to;

	memset(&probe, 0, sizeof probe);
	mc_err_clear(&err);
	c = net_connect(&s->sys, &probe, &err);
	if (c == NULL && err.kind == MCE_RESOLVE) {
		srv_set(s, "dns", CHECK_FAIL,
		    "Publish an A (and AAAA) record for the host, or give the "
		    "host name the server really has.",
		    "%s does not resolve: %s", s->sys.host, err.msg);
		srv_block(s, "not tested: the host name does not resolve.");
		return -1;
	}
	for (i = 0; i < probe.naddrs && i < 8; i++) {
		tmp = xasprintf("%s%s%s", addrs == NULL ? "" : addrs,
		    addrs == NULL ? "" : ", ", probe.addrs[i]);
		free(addrs);
		addrs = tmp;
	}
	if (host_is_ip(s->sys.host))
		srv_set(s, "dns", CHECK_PASS, NULL, "%s is an address: no "
		    "name to resolve.", s->sys.host);
	else
		srv_set(s, "dns", CHECK_PASS, NULL, "%s resolves to %s.",
		    s->sys.host, addrs != NULL ? addrs : "an address");
	free(addrs);

	to = s->sys.timeout > 0 ? s->sys.timeout : NET_DEFAULT_TIMEOUT;
	if (c != NULL) {
		others = probe.refused + probe.timedout + probe.unreachable;
		srv_set(s, "port", others > 0 ? CHECK_WARN : CHECK_PASS,
		    others > 0 ? "Make the server listen on every address "
		    "its name resolves to, or remove the addresses it does "
		    "not serve from DNS." : NULL,
		    "%s port %d accepts connections (%lld ms)%s; this machine "
		    "connects from %s (the address to allowlist, unless NAT "
		    "changes it).", c->peer_addr, s->sys.port,
		    probe.connect_ms, others > 0 ? ", but other addresses of "
		    "the name did not answer" : "", c->local_addr);
		net_close(c);
		return 0;
	}
	switch (err.kind) {
	case MCE_REFUSED:
		srv_set(s, "port", CHECK_FAIL,
		    s->smtp ? "Run the SMTP submission service on this port "
		    "(465 with implicit TLS, or 587 with STARTTLS), or open it "
		    "in the firewall." : "Run the IMAP service on this port "
		    "(993 with implicit TLS, or 143 with STARTTLS), or open it "
		    "in the firewall.",
		    "%s refused the connection on port %d (closed: nothing "
		    "listens there, or a firewall rejects it); local source "
		    "address %s.", probe.peer_addr[0] != '\0' ?
		    probe.peer_addr : s->sys.host, s->sys.port,
		    probe.local_addr[0] != '\0' ? probe.local_addr : "unknown");
		srv_block(s, "not tested: the port is closed.");
		break;
	case MCE_TIMEOUT:
		srv_set(s, "port", CHECK_FAIL,
		    "Allow TCP connections to this port from the connecting "
		    "address (see the finding) in the firewall.",
		    "no answer from %s port %d within %d s (filtered: a "
		    "firewall drops the packets); local source address %s.",
		    s->sys.host, s->sys.port, to,
		    probe.local_addr[0] != '\0' ? probe.local_addr : "unknown");
		srv_block(s, "not tested: the port does not answer.");
		break;
	default:
		srv_set(s, "port", CHECK_FAIL,
		    "Check the network path from this machine to the server.",
		    "%s", err.msg);
		srv_block(s, "not tested: the server cannot be reached.");
		break;
	}
	return -1;
}

static void
check_tls_row(struct check_srv *s, const struct net_conn *c)
{
	const char	*how;

	if (c->ssl == NULL || c->tls_version[0] == '\0') {
		srv_set(s, "tls", CHECK_FAIL,
		    s->smtp ? "Offer implicit TLS on port 465 or STARTTLS on "
		    "587." : "Offer implicit TLS on port 993 or STARTTLS on "
		    "143.",
		    "the connection is not encrypted (security none): "
		    "passwords would cross the network in clear text.");
		return;
	}
	how = s->sys.sec == SEC_STARTTLS ? "STARTTLS upgrade" :
	    "implicit TLS";
	if (strcmp(c->tls_version, "TLSv1") == 0 ||
	    strcmp(c->tls_version, "TLSv1.1") == 0) {
		srv_set(s, "tls", CHECK_WARN,
		    "Enable TLS 1.2 or later on the server.",
		    "%s with %s (%s): a deprecated protocol version.",
		    c->tls_version, c->cipher, how);
		return;
	}
	srv_set(s, "tls", CHECK_PASS, NULL, "%s with %s (%s).",
	    c->tls_version, c->cipher, how);
}

static void
check_tls_failed(struct check_srv *s, const struct mc_err *err)
{
	switch (err->kind) {
	case MCE_TLS:
		srv_set(s, "tls", CHECK_FAIL,
		    "Enable TLS (1.2 or later) on this port with a "
		    "certificate for the host name.",
		    "%s", err->msg);
		break;
	case MCE_STARTTLS:
		srv_set(s, "tls", CHECK_FAIL,
		    s->smtp ? "Offer STARTTLS on this port, or implicit TLS "
		    "on 465." : "Offer STARTTLS on this port, or implicit "
		    "TLS on 993.", "%s", err->msg);
		break;
	case MCE_TIMEOUT:
		srv_set(s, "tls", CHECK_FAIL,
		    "Check the service on this port: it accepts connections "
		    "but does not answer.",
		    "%s", err->msg);
		break;
	default:
		srv_set(s, "tls", CHECK_FAIL,
		    s->smtp ? "Check that an SMTP submission server answers "
		    "on this port." : "Check that an IMAP server answers on "
		    "this port.", "%s", err->msg);
		break;
	}
	srv_block(s, "not tested: no %s session (see %s TLS).", s->PROTO,
	    s->PROTO);
}

/* A note for the trusted row when mailconn has a pin for this server. */
static char *
pin_note(struct check_srv *s, const struct cert_info *ci)
{
	struct cert_pin	**pins;
	char		 *hp, *note = NULL, *when;
	size_t		  n, i;

	if (s->opts->store == NULL)
		return NULL;
	hp = certstore_hostport(s->sys.host, s->sys.port);
	n = certstore_list(s->opts->store, &pins);
	for (i = 0; i < n; i++) {
		if (note == NULL && strcmp(pins[i]->hostport, hp) == 0) {
			when = fmt_date(pins[i]->when);
			if (strcmp(pins[i]->spki_sha256, ci->spki_sha256) == 0)
				note = xasprintf("mailconn has this key pinned "
				    "for %s since %s, so mailconn itself will "
				    "log in.", hp, when);
			else
				note = xasprintf("mailconn has a DIFFERENT key "
				    "pinned for %s (since %s).", hp, when);
			free(when);
		}
		cert_pin_free(pins[i]);
	}
	free(pins);
	free(hp);
	return note;
}

/*
 * The probe session: tls, the certificate rows, software or auth.  0 done,
 * 1 the TLS handshake failed, -1 any other failure.
 */
static int
check_probe(struct check_srv *s)
{
	struct mc_err		 err;
	struct net_conn		*c;
	struct imap_session	*is;
	struct smtp_session	*ss;
	void			*sess = NULL;
	char			*note;

	mc_err_clear(&err);
	if (open_session(s, &s->sys, &s->probe_trust, &sess, &err) == -1) {
		check_tls_failed(s, &err);
		/* A failed handshake: the versions tell why.  Else: no use. */
		return err.kind == MCE_TLS ? 1 : -1;
	}
	c = session_conn(s, sess);
	check_tls_row(s, c);
	if (c->cert != NULL) {
		note = pin_note(s, c->cert);
		check_cert_rows(s->rep, s->proto, s->sys.host, c->cert,
		    time(NULL), note, s->acct.ca_file);
		free(note);
	} else {
		srv_set(s, "cert.trusted", CHECK_SKIP, NULL,
		    "not tested: no certificate (no TLS).");
		srv_set(s, "cert.name", CHECK_SKIP, NULL,
		    "not tested: no certificate (no TLS).");
		srv_set(s, "cert.validity", CHECK_SKIP, NULL,
		    "not tested: no certificate (no TLS).");
	}
	if (s->smtp) {
		ss = sess;
		check_auth_row(s->rep, ss->auth_mechs, ss->auth_list);
	} else {
		is = sess;
		check_software_row(s->rep, is->sw, is->greeting, is->id_name);
		s->idle_cap = imap_has_cap(is, "IDLE");
	}
	close_session(s, sess);
	return 0;
}

/*
 * Which TLS versions the server accepts: one handshake per version.  After
 * a failed first handshake (failed 1), no version at all means the port
 * does not speak TLS, which the tls row already says.
 */
static void
check_versions(struct check_srv *s, int failed)
{
	struct endpoint	 ep;
	struct mc_err	 err;
	void		*sess;
	int		 acc[4], i;

	if (s->sys.sec == SEC_NONE) {
		srv_set(s, "tls.versions", CHECK_SKIP, NULL,
		    "not tested: the connection is not encrypted.");
		return;
	}
	for (i = 0; i < 4; i++) {
		ep = s->sys;
		ep.tls_min = ep.tls_max = tls_codes[i];
		sess = NULL;
		mc_err_clear(&err);
		if (open_session(s, &ep, &s->probe_trust, &sess, &err) == 0) {
			acc[i] = 1;
			close_session(s, sess);
		} else
			acc[i] = err.kind == MCE_TLS ? 0 : -1;
		log_debug("check: %s %s: %s", s->proto, tls_names[i],
		    acc[i] == 1 ? "accepted" : acc[i] == 0 ? "refused" :
		    err.msg);
	}
	if (failed && acc[0] != 1 && acc[1] != 1 && acc[2] != 1 &&
	    acc[3] != 1) {
		srv_set(s, "tls.versions", CHECK_SKIP, NULL,
		    "not tested: no TLS handshake succeeded on this port (see "
		    "%s TLS).", s->PROTO);
		return;
	}
	check_versions_row(s->rep, s->proto, acc);
}

/* The password is missing or login is off: the login row says why. */
static int
login_possible(struct check_srv *s)
{
	if (s->opts->no_login) {
		srv_set(s, "login", CHECK_SKIP, NULL,
		    "not requested (--no-login).");
		srv_block(s, "not tested: needs a login (--no-login).");
		return 0;
	}
	if (s->password == NULL) {
		srv_set(s, "login", CHECK_WARN,
		    "Give mailconn the password (`mailconn password set "
		    "ACCOUNT`) and run the check again.",
		    "not tested: no password available: %s",
		    s->password_why != NULL ? s->password_why : "none given.");
		srv_block(s, "not tested: needs a login (no password).");
		return 0;
	}
	return 1;
}

/* Opening the login session failed: say why, without a credential sent. */
static int
login_open_failed(struct check_srv *s, const char *hp,
    const struct mc_err *err)
{
	switch (err->kind) {
	case MCE_CERT_UNTRUSTED:
	case MCE_CERT_REJECTED:
		srv_set(s, "login", CHECK_SKIP,
		    "Install a certificate trusted by the system CAs, or, if "
		    "this certificate is the right one, pin it with "
		    "`mailconn certs trust HOST:PORT`.",
		    "not attempted: the certificate of %s is not trusted "
		    "(neither verified nor pinned); credentials are never "
		    "sent over an untrusted connection.", hp);
		break;
	case MCE_CERT_CHANGED:
		srv_set(s, "login", CHECK_FAIL,
		    "If the server really has a new key, run `mailconn certs "
		    "forget HOST:PORT` and `mailconn certs trust HOST:PORT`; "
		    "otherwise find out who is in between.",
		    "not attempted: CERTIFICATE CHANGED: %s presents a key "
		    "that differs from the pinned one.", hp);
		break;
	default:
		srv_set(s, "login", CHECK_FAIL,
		    "Check the server on this port.", "no session: %s",
		    err->msg);
		break;
	}
	srv_block(s, "not tested: needs a login.");
	return -1;
}

static void
check_imap_login(struct check_srv *s)
{
	struct imap_session	*is = NULL;
	struct mc_err		 err;
	char			*hp;

	if (!login_possible(s))
		goto nologin;
	hp = certstore_hostport(s->acct.host, s->acct.port);
	mc_err_clear(&err);
	if (imap_open(&s->acct, &s->login_trust, &is, &err) == -1) {
		login_open_failed(s, hp, &err);
		free(hp);
		goto nologin;
	}
	free(hp);
	if (imap_login(is, s->user, s->password, &err) == -1) {
		srv_set(s, "login", CHECK_FAIL, err.kind == MCE_INSECURE ?
		    "Allow LOGIN over TLS (do not advertise LOGINDISABLED "
		    "once TLS is up)." :
		    "Check the user name and password; if they are right, "
		    "check the server's authentication log for this user.",
		    "the server refused the login of %s: %s", s->user,
		    err_words(&err));
		srv_block(s, "not tested: the login failed.");
		imap_close(is);
		goto nologin;
	}
	srv_set(s, "login", CHECK_PASS, NULL,
	    "logged in as %s over a %s connection.", s->user,
	    is->trust == CERT_PINNED ? "pinned" :
	    is->trust == CERT_VERIFIED ? "verified" : "trusted");
	check_imap_after_login(s, is);
	return;

nologin:
	/* IDLE can still be read from the capabilities before login. */
	if (s->idle_cap == 1)
		srv_set(s, "idle", CHECK_PASS, NULL,
		    "IDLE is announced (capabilities before login).");
}

static void
check_imap_after_login(struct check_srv *s, struct imap_session *is)
{
	if (imap_has_cap(is, "IDLE"))
		srv_set(s, "idle", CHECK_PASS, NULL,
		    "IDLE is supported: new mail arrives without polling.");
	else
		srv_set(s, "idle", CHECK_WARN,
		    "Enable the IDLE extension (RFC 2177).",
		    "no IDLE: new mail is only seen by polling "
		    "(poll-interval).");
	check_sent(s, is);
	/* check_connections closes is. */
	check_connections(s, is);
}

static void
check_sent(struct check_srv *s, struct imap_session *is)
{
	struct imap_folder	*f = NULL;
	struct mc_err		 err;
	size_t			 n = 0;
	int			 i;

	mc_err_clear(&err);
	if (imap_list(is, &f, &n, &err) == -1) {
		srv_set(s, "sent", CHECK_FAIL,
		    "Check that LIST works for this user.",
		    "LIST failed: %s", err_words(&err));
		return;
	}
	if ((i = imap_find_sent(f, n)) == -1) {
		srv_set(s, "sent", CHECK_FAIL,
		    "Create a Sent folder and mark it \\Sent (RFC 6154; "
		    "Dovecot: mailbox Sent { special_use = \\Sent  auto = "
		    "subscribe } in the inbox namespace).",
		    "no Sent folder among %zu folders (none marked \\Sent, "
		    "none with a usual name): sent replies cannot be found.",
		    n);
	} else {
		srv_set(s, "sent", CHECK_PASS, NULL, "\"%s\" (%s).",
		    f[i].name, (f[i].flags & FOLDER_SENT) ?
		    "marked \\Sent by the server, RFC 6154" :
		    "found by its name; no folder is marked \\Sent");
	}
	imap_folders_free(f, n);
}

/*
 * max-connections authenticated sessions at once (the first is the login
 * session), stopping where the server does.
 */
static void
check_connections(struct check_srv *s, struct imap_session *first)
{
	struct imap_session	**open_;
	struct mc_err		  err;
	char			 *why = NULL;
	int			  want, got, i;

	want = s->opts->max_connections > 0 ? s->opts->max_connections : 5;
	if (want > CHECK_MAX_CONN)
		want = CHECK_MAX_CONN;
	open_ = xcalloc((size_t)want, sizeof *open_);
	open_[0] = first;
	for (got = 1; got < want; got++) {
		mc_err_clear(&err);
		if (imap_open(&s->acct, &s->login_trust, &open_[got],
		    &err) == -1) {
			why = xstrdup(err_words(&err));
			break;
		}
		if (imap_login(open_[got], s->user, s->password,
		    &err) == -1) {
			why = xstrdup(err_words(&err));
			imap_close(open_[got]);
			open_[got] = NULL;
			break;
		}
	}
	for (i = 0; i < want; i++)
		imap_close(open_[i]);
	free(open_);
	check_connections_row(s->rep, want, got, why);
	free(why);
}

static void
check_smtp_login(struct check_srv *s)
{
	struct smtp_session	*ss = NULL;
	struct mc_err		 err;
	char			*hp;

	if (!login_possible(s))
		return;
	hp = certstore_hostport(s->acct.host, s->acct.port);
	mc_err_clear(&err);
	if (smtp_open(&s->acct, &s->login_trust, &ss, &err) == -1) {
		login_open_failed(s, hp, &err);
		free(hp);
		return;
	}
	free(hp);
	if (smtp_login(ss, s->user, s->password, &err) == -1) {
		srv_set(s, "login", CHECK_FAIL, err.kind == MCE_INSECURE ?
		    "Offer AUTH PLAIN or LOGIN over TLS." :
		    "Check the user name and password; if they are right, "
		    "check the server's authentication log for this user.",
		    "the server refused the login of %s: %s", s->user,
		    err_words(&err));
	} else {
		srv_set(s, "login", CHECK_PASS, NULL,
		    "authenticated as %s over a %s connection.", s->user,
		    ss->trust == CERT_PINNED ? "pinned" :
		    ss->trust == CERT_VERIFIED ? "verified" : "trusted");
	}
	smtp_close(ss);
}

static void
check_server(const struct check_opts *o, struct check_report *rep, int smtp)
{
	struct check_srv	s;
	int			rc;

	rows_lay_out(rep, smtp ? "smtp." : "imap.");
	if (srv_init(&s, o, rep, smtp) == 0 && check_reach(&s) == 0) {
		if ((rc = check_probe(&s)) != -1)
			check_versions(&s, rc == 1);
		if (s.blocked == NULL) {
			if (smtp)
				check_smtp_login(&s);
			else
				check_imap_login(&s);
		}
	}
	srv_finish(&s);
	srv_free(&s);
}

static char *
describe(const char *host, int port, enum sec_mode sec, int smtp,
    const char *user)
{
	char	*hp, *s;

	hp = certstore_hostport(host, port);
	s = xasprintf("%s (%s)%s%s", hp, sec_mode_name(sec, smtp),
	    user != NULL ? ", user " : "", user != NULL ? user : "");
	free(hp);
	return s;
}

void
check_run(const struct check_opts *o, struct check_report *rep)
{
	const struct account	*a = o->account;

	memset(rep, 0, sizeof *rep);
	rep->generated = time(NULL);
	rep->account = o->adhoc || a->name == NULL ? NULL : xstrdup(a->name);
	rep->imap = describe(a->imap_host, a->imap_port, a->imap_sec, 0,
	    a->imap_user);
	log_info("check: %s", rep->imap);
	check_server(o, rep, 0);
	if (a->smtp_host != NULL) {
		rep->smtp = describe(a->smtp_host, a->smtp_port, a->smtp_sec,
		    1, a->smtp_user);
		log_info("check: %s", rep->smtp);
		check_server(o, rep, 1);
	} else {
		check_row_set(rep, "smtp", CHECK_SKIP,
		    "Give the SMTP server (--smtp HOST[:PORT], or smtp-host "
		    "in the account) to check sending too.",
		    "not checked: no SMTP server given.");
	}
	check_redact(rep, o->password);
	check_redact(rep, o->smtp_password);
}

/* ---- text ------------------------------------------------------------ */

/*
 * Word-wrap s to width, the first line starting at column first (already
 * printed up to there), the others indented by indent.
 */
static void
wrap(FILE *fp, const char *s, size_t indent, size_t first, size_t width)
{
	size_t		 col = first, wl;
	const char	*w;
	int		 start = 1;

	if (width < indent + 20)
		width = indent + 20;
	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		for (w = s; *w != '\0' && *w != ' '; w++)
			;
		wl = (size_t)(w - s);
		if (!start && col + 1 + wl > width) {
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
			start = 1;
		}
		if (!start) {
			fputc(' ', fp);
			col++;
		}
		fwrite(s, 1, wl, fp);
		col += wl;
		start = 0;
		s = w;
	}
	fputc('\n', fp);
}

static size_t
text_width(FILE *fp)
{
	struct winsize	ws;
	int		fd = fileno(fp);

	if (fd != -1 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= 60)
		return ws.ws_col - 1;
	return CHECK_WIDTH;
}

void
check_print_text(const struct check_report *rep, FILE *fp, int colour)
{
	static const char *word[] = { "PASS", "WARN", "FAIL", "SKIP" };
	static const char *sgr[] = { "\033[32m", "\033[33m", "\033[1;31m",
	    "\033[2m" };
	const struct check_row	*r;
	struct tm		 tm;
	char			 stamp[32];
	size_t			 i, tw = 0, width = text_width(fp);
	int			 c[4];

	gmtime_r(&rep->generated, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(fp, "mailconn %s check report, %s\n", MC_VERSION, stamp);
	if (rep->account != NULL)
		fprintf(fp, "  account  %s\n", rep->account);
	if (rep->imap != NULL)
		fprintf(fp, "  IMAP     %s\n", rep->imap);
	fprintf(fp, "  SMTP     %s\n\n", rep->smtp != NULL ? rep->smtp :
	    "not given");

	for (i = 0; i < rep->nrows; i++) {
		if (strlen(rep->rows[i].title) > tw)
			tw = strlen(rep->rows[i].title);
	}
	for (i = 0; i < rep->nrows; i++) {
		r = &rep->rows[i];
		fprintf(fp, "%s%s%s  %-*s  ", colour ? sgr[r->status] : "",
		    word[r->status], colour ? "\033[0m" : "", (int)tw,
		    r->title);
		wrap(fp, r->finding != NULL ? r->finding : "", tw + 8, tw + 8,
		    width);
		if (r->advice != NULL && r->status != CHECK_PASS) {
			fprintf(fp, "%*s", (int)(tw + 8), "");
			fputs("advice: ", fp);
			wrap(fp, r->advice, tw + 8, tw + 16, width);
		}
	}
	check_summary(rep, c);
	fprintf(fp, "\n%d pass, %d warn, %d fail, %d skip: %s\n",
	    c[CHECK_PASS], c[CHECK_WARN], c[CHECK_FAIL], c[CHECK_SKIP],
	    c[CHECK_FAIL] > 0 ? "the server does NOT meet every requirement "
	    "(see FAIL)." : c[CHECK_WARN] + c[CHECK_SKIP] > 0 ?
	    "no requirement failed (see WARN and SKIP)." :
	    "every requirement is met.");
}

/* ---- JSON ------------------------------------------------------------ */

/* Length of a valid UTF-8 sequence at s, 0 when invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t		n, i;
	unsigned int	cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *
check_json_string(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 n;

	/* Worst case: every byte becomes \u00XX or \ufffd (6 bytes). */
	out = o = xmalloc(strlen(s) * 6 + 3);
	*o++ = '"';
	while (*p != '\0') {
		switch (*p) {
		case '"':
			o += sprintf(o, "\\\"");
			p++;
			continue;
		case '\\':
			o += sprintf(o, "\\\\");
			p++;
			continue;
		case '\n':
			o += sprintf(o, "\\n");
			p++;
			continue;
		case '\r':
			o += sprintf(o, "\\r");
			p++;
			continue;
		case '\t':
			o += sprintf(o, "\\t");
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\u%04x", *p);
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			o += sprintf(o, "\\ufffd");
			p++;
		} else {
			memcpy(o, p, n);
			o += n;
			p += n;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void
json_str(FILE *fp, const char *s)
{
	char	*q;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	q = check_json_string(s);
	fputs(q, fp);
	free(q);
}

static void
json_server(FILE *fp, const char *host, int port, enum sec_mode sec,
    int smtp, const char *user)
{
	fputs("{\"host\": ", fp);
	json_str(fp, host);
	fprintf(fp, ", \"port\": %d, \"security\": ", port);
	json_str(fp, sec_mode_name(sec, smtp));
	fputs(", \"user\": ", fp);
	json_str(fp, user);
	fputs("}", fp);
}

void
check_print_json(const struct check_report *rep, const struct check_opts *o,
    FILE *fp)
{
	const struct account	*a = o->account;
	const struct check_row	*r;
	struct tm		 tm;
	char			 stamp[32];
	size_t			 i;
	int			 c[4];

	gmtime_r(&rep->generated, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(fp, "{\n  \"version\": 1,\n  \"mailconn\": \"%s\",\n"
	    "  \"account\": ", MC_VERSION);
	json_str(fp, o->adhoc ? NULL : a->name);
	fprintf(fp, ",\n  \"generated\": \"%s\",\n  \"imap\": ", stamp);
	json_server(fp, a->imap_host, a->imap_port, a->imap_sec, 0,
	    a->imap_user);
	fputs(",\n  \"smtp\": ", fp);
	if (a->smtp_host != NULL)
		json_server(fp, a->smtp_host, a->smtp_port, a->smtp_sec, 1,
		    a->smtp_user);
	else
		fputs("null", fp);
	fputs(",\n  \"rows\": [", fp);
	for (i = 0; i < rep->nrows; i++) {
		r = &rep->rows[i];
		fprintf(fp, "%s\n    {\"id\": ", i == 0 ? "" : ",");
		json_str(fp, r->id);
		fputs(", \"title\": ", fp);
		json_str(fp, r->title);
		fprintf(fp, ", \"status\": \"%s\", \"finding\": ",
		    check_status_name(r->status));
		json_str(fp, r->finding != NULL ? r->finding : "");
		fputs(", \"advice\": ", fp);
		json_str(fp, r->status == CHECK_PASS ? NULL : r->advice);
		fputs("}", fp);
	}
	check_summary(rep, c);
	fprintf(fp, "\n  ],\n  \"summary\": {\"pass\": %d, \"warn\": %d, "
	    "\"fail\": %d, \"skip\": %d}\n}\n", c[CHECK_PASS], c[CHECK_WARN],
	    c[CHECK_FAIL], c[CHECK_SKIP]);
}

/*
 * check.h -- `mailconn check`: the report for IT.
 *
 * One row per requirement: PASS / WARN / FAIL, the finding, and what to
 * change on the server.  Text (colour on a terminal unless NO_COLOR) or JSON
 * (schema in man/mailconn.1).  Never prints a secret.
 *
 * Row ids are stable (scripts read the JSON): every id check_run() can
 * produce is in the table in check.c and in mailconn(1).  For each server
 * checked, every one of its rows is present, SKIP with the reason when a
 * step before it failed.
 *
 * Trust: the certificate rows judge what an ordinary client sees (system CA
 * store, no ca-file, no pins).  The login rows connect as mailconn does
 * (the account's ca-file, pins from opts->store) and never with a prompt: a
 * certificate that is neither verified nor pinned means the login is not
 * attempted.  The probe sessions used for TLS, certificate, software and
 * AUTH rows accept the certificate for themselves only (a private, empty
 * store) and never carry a credential.
 */
#ifndef MC_CHECK_H
#define MC_CHECK_H

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "certstore.h"
#include "imap.h"

enum check_status { CHECK_PASS, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

struct check_row {
	char		*id;		/* stable key: "imap.tls.versions" */
	char		*title;		/* "IMAP TLS versions" */
	enum check_status status;
	char		*finding;
	char		*advice;	/* what to change; NULL when PASS */
};

struct check_report {
	struct check_row *rows;
	size_t		 nrows;
	/* Added for the header; filled by check_run(), freed with the rest. */
	time_t		 generated;
	char		*account;	/* NULL: ad hoc (--imap) */
	char		*imap;		/* "localhost:993 (imaps), user ann" */
	char		*smtp;		/* NULL: no SMTP server */
};

struct check_opts {
	const struct account *account;	/* host/port/security/user/ca/tls */
	const char	*password;	/* NULL: skip the login rows (WARN) */
	int		 max_connections; /* default 5 */
	int		 timeout;
	/* Added. */
	const char	*smtp_password;	/* NULL: SMTP login row WARN */
	const char	*password_why;	/* why password is NULL, for the row */
	const char	*smtp_password_why;
	int		 no_login;	/* --no-login: login rows SKIP */
	int		 adhoc;		/* account made from --imap: no name */
	struct certstore *store;	/* pins for the login rows; NULL: none */
};

/* Run every check (never prompts; the system CA store decides). */
void	 check_run(const struct check_opts *, struct check_report *);
void	 check_report_free(struct check_report *);
/* 0 all pass/warn/skip, 1 any FAIL. */
int	 check_exit_code(const struct check_report *);
void	 check_print_text(const struct check_report *, FILE *, int colour);
void	 check_print_json(const struct check_report *,
	     const struct check_opts *, FILE *);

/*
 * Added: the pure parts, exposed for tests/unit/test-check.c.
 */
/* "pass" / "warn" / "fail" / "skip". */
const char *check_status_name(enum check_status);
/* Title of a known row id; the id itself otherwise. */
const char *check_title(const char *id);
/*
 * Set the row with this id (appended when absent; the title comes from the
 * table).  advice may be NULL.  The finding is formatted.
 */
void	 check_row_set(struct check_report *, const char *id,
	     enum check_status, const char *advice, const char *fmt, ...)
	     __attribute__((format(printf, 5, 6)));
struct check_row *check_row_find(const struct check_report *, const char *id);
/* counts[CHECK_PASS..CHECK_SKIP]. */
void	 check_summary(const struct check_report *, int counts[4]);
/* s as a quoted JSON string; invalid UTF-8 becomes U+FFFD.  Caller frees. */
char	*check_json_string(const char *s);
/* Replace every occurrence of secret in the findings and advice. */
void	 check_redact(struct check_report *, const char *secret);

/*
 * Judges.  proto is "imap" or "smtp" (the row id prefix).
 * Certificate rows: trusted (chain, by the system CAs), name (SAN covers
 * host; CN-only WARN), validity (expired FAIL, < 14 days WARN) at time now.
 * pin_note (may be NULL) is appended to the trusted row ("pinned on ...").
 */
void	 check_cert_rows(struct check_report *, const char *proto,
	     const char *host, const struct cert_info *, time_t now,
	     const char *pin_note, const char *ca_file);
/* accepted[i] for TLS 1.3, 1.2, 1.1, 1.0: 1 yes, 0 refused, -1 unknown. */
void	 check_versions_row(struct check_report *, const char *proto,
	     const int accepted[4]);
/* imap.software from the detection result and the greeting (may be NULL). */
void	 check_software_row(struct check_report *, enum server_sw,
	     const char *greeting, const char *id_name);
/* imap.connections: got of wanted opened; why: what the next one got. */
void	 check_connections_row(struct check_report *, int wanted, int got,
	     const char *why);
/* smtp.auth from SMTP_AUTH_* bits and the announced list (may be NULL). */
void	 check_auth_row(struct check_report *, int mechs, const char *list);

#endif

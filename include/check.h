/*
 * check.h -- `mailconn check`: the report for IT.
 *
 * One row per requirement: PASS / WARN / FAIL, the finding, and what to
 * change on the server.  Text (colour on a terminal unless NO_COLOR) or JSON
 * (schema in man/mailconn.1).  Never prints a secret.
 */
#ifndef MC_CHECK_H
#define MC_CHECK_H

#include <stdio.h>

#include "config.h"
#include "certstore.h"

enum check_status { CHECK_PASS, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

struct check_row {
	char		*id;		/* stable key: "imap.tls.version" */
	char		*title;		/* "IMAP TLS version" */
	enum check_status status;
	char		*finding;
	char		*advice;	/* what to change; NULL when PASS */
};

struct check_report {
	struct check_row *rows;
	size_t		 nrows;
};

struct check_opts {
	const struct account *account;	/* host/port/security/user/ca/tls */
	const char	*password;	/* NULL: skip the login rows (WARN) */
	int		 max_connections; /* default 5 */
	int		 timeout;
};

/* Run every check (never prompts; the system CA store decides). */
void	 check_run(const struct check_opts *, struct check_report *);
void	 check_report_free(struct check_report *);
/* 0 all pass/warn/skip, 1 any FAIL. */
int	 check_exit_code(const struct check_report *);
void	 check_print_text(const struct check_report *, FILE *, int colour);
void	 check_print_json(const struct check_report *,
	     const struct check_opts *, FILE *);

#endif

/*
 * smtp.h -- one SMTP submission session over net.c, parsed by libetpan.
 *
 * smtps (implicit TLS, 465) or submission with STARTTLS (587).  AUTH PLAIN
 * and LOGIN are implemented here (libetpan's need Cyrus SASL plugins), sent
 * as private lines so traces redact them, and only on a trusted session.
 */
#ifndef MC_SMTP_H
#define MC_SMTP_H

#include <stddef.h>

#include "util.h"
#include "net.h"
#include "certstore.h"

#define SMTP_AUTH_PLAIN	0x01
#define SMTP_AUTH_LOGIN	0x02
#define SMTP_AUTH_OTHER	0x04

struct smtp_session {
	mailsmtp	*smtp;
	struct net_conn	*conn;
	struct endpoint	 ep;
	char		*greeting;	/* sanitised 220 text */
	int		 greeting_pre_tls; /* it came before STARTTLS: a hint only */
	int		 starttls_offered;
	int		 pipelining, eightbitmime;
	size_t		 size_limit;	/* SIZE; 0: none announced */
	int		 auth_mechs;	/* SMTP_AUTH_* */
	char		*auth_list;	/* "PLAIN LOGIN" as announced */
	enum cert_verdict trust;
	int		 trusted;
	int		 authenticated;
	long long	 connect_ms, tls_ms;
	struct net_probe probe;
};

int	 smtp_open(const struct endpoint *, const struct trust_ctx *,
	     struct smtp_session **, struct mc_err *);
/* AUTH PLAIN, else LOGIN.  MCE_AUTH with the server's words when refused. */
int	 smtp_login(struct smtp_session *, const char *user,
	     const char *password, struct mc_err *);
/*
 * MAIL FROM / RCPT TO each / DATA.  A message larger than SIZE is refused
 * before MAIL with the limit in err.  msg is the raw message (LF or CRLF).
 */
int	 smtp_send(struct smtp_session *, const char *from, char **rcpts,
	     size_t nrcpts, const char *msg, size_t len, struct mc_err *);
void	 smtp_close(struct smtp_session *);
void	 smtp_cancel(struct smtp_session *);

#endif

/*
 * send.h -- send one message over an account's SMTP server and keep a copy
 * in its Sent folder: the engine of `mailconn send`, usable from any
 * thread (the dashboard may run it on a temporary slot).
 *
 * Slots (DESIGN.md, "Connection slots"): the SMTP session is slot 4
 * (name "smtp"), the IMAP session that saves the copy is slot 5 (name
 * "sent copy"); both are temporary and closed when done.  With an event
 * queue every change posts EV_SLOT_STATE (status: enum slot_state of
 * slots.h; text: "connecting", "cert-prompt", "tls TLSv1.3", "auth",
 * "sending 2.1 KB", "appending to Sent", "done", "error: ..."; total:
 * bytes sent).  slots.h has no "sending" state: sending and appending
 * are posted as SLOT_FETCHING (the transfer state), "done" as SLOT_CLOSED.
 *
 * What is transmitted: the message as given, except that Bcc and
 * Resent-Bcc fields are removed (always, as Postfix and msmtp do: a Bcc
 * field that reached the other recipients would disclose the blind
 * copies).  The copy in Sent is the message as given, Bcc included, so
 * the sender can see whom they blind-copied; it is stored with \Seen and
 * CRLF line ends.  Nothing else is added or rewritten.
 *
 * Order: the SMTP password (secret_for_account "smtp"), connect, trust
 * gate (tc: the caller's prompt, or none), AUTH, the SIZE check (before
 * MAIL, so nothing is transferred), MAIL/RCPT/DATA; then, only after the
 * server accepted the message, the copy: IMAP password, connect, LOGIN,
 * LIST, the Sent folder (imap_find_sent: \Sent, else a usual name),
 * APPEND.  The Sent folder is never created.
 */
#ifndef MC_SEND_H
#define MC_SEND_H

#include <stddef.h>

#include "certstore.h"
#include "config.h"
#include "events.h"
#include "util.h"

#define SEND_SLOT_SMTP		4
#define SEND_SLOT_COPY		5
/* The largest message send_message() takes (a sane cap, not a server's). */
#define SEND_MAX_BYTES		(100UL * 1024 * 1024)
/* Seconds to wait for each read/write once the message is on its way (the
 * final reply to DATA may take a while on a big message; RFC 5321 4.5.3.2
 * allows 10 minutes, which would hang a dead server far too long). */
#define SEND_DATA_TIMEOUT	120

/* send_message() results besides 0 and -1. */
#define SEND_COPY_FAILED	1

/*
 * Send msg (len bytes, LF or CRLF) from the envelope sender from to the n
 * envelope recipients (bare addresses, user@example.com).  events may be
 * NULL; tc may be NULL (no trust prompt).
 *
 * Returns 0: accepted by the server (and copied to Sent when save_copy).
 * SEND_COPY_FAILED: accepted by the server, but the copy could not be
 * saved; err says why (a warning: the message WAS sent).  -1: not sent, or
 * not known to be sent (the connection broke after the data went out);
 * err says why.  Kinds besides those of smtp.h and net.h:
 *   MCE_USAGE   the message or an address is unusable (empty message,
 *               larger than SEND_MAX_BYTES or the server's SIZE, no
 *               recipients, a bad address); nothing was sent
 *   MCE_CONFIG  the account has no smtp-host
 *   MCE_SECRET  no SMTP password (the keyring, or password-command)
 * A recipient the server refused: MCE_SERVER with err->server listing
 * each "<rcpt>: CODE text"; nothing was sent (all or nothing).
 */
int	 send_message(const struct account *, const struct trust_ctx *,
	     struct event_queue *, const char *from, char **rcpts, size_t n,
	     const char *msg, size_t len, int save_copy, struct mc_err *);

/*
 * The sendmail exit status (sysexits.h) for a send_message() error:
 *   EX_DATAERR 65      bad message, too large, no recipients
 *   EX_NOUSER 67       a recipient refused for good (5xx)
 *   EX_UNAVAILABLE 69  the server refused for good otherwise, TLS failed
 *   EX_SOFTWARE 70     should not happen
 *   EX_OSERR 71        a local system error
 *   EX_TEMPFAIL 75     4xx, timeouts, refused/unreachable, DNS, limits,
 *                      the connection lost: try again later
 *   EX_NOPERM 77       authentication failed, certificate not trusted,
 *                      STARTTLS missing, insecure
 *   EX_CONFIG 78       no smtp-host, no password stored
 */
int	 send_exit_status(const struct mc_err *);

#endif

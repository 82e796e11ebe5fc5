/*
 * cli-send.h -- `mailconn send`: a sendmail-compatible front for send.c, so
 * that neomutt's  set sendmail="mailconn send -a ACCOUNT"  and git
 * send-email's  sendemail.sendmailcmd = mailconn send  work.
 *
 *   mailconn send [-a ACCOUNT] [-t] [-f FROM] [-i] [--no-save-copy] [-v]
 *                 [--] [RCPT ...]
 *
 * The message is read from stdin to its end (at most SEND_MAX_BYTES) and
 * sent unchanged but for Bcc/Resent-Bcc (send.h).  A line holding only
 * "." is never special (as if -i were always given: a mail client that
 * does not pass -i must not lose the rest of a message).
 *
 *   -a ACCOUNT      the account (also --account).  Without it: the only
 *                   account; with several, the one whose email is the
 *                   envelope sender (-f) or the From: address; else an
 *                   error listing them (EX_USAGE).
 *   -t              recipients also from To, Cc and Bcc (or, when the
 *                   message has Resent-To/-Cc/-Bcc, from those), added to
 *                   those on the command line (as Postfix and msmtp do).
 *   -f FROM, -r FROM  the envelope sender; default: the account's email.
 *   --no-save-copy  do not append a copy to the Sent folder.
 *   -v              say on stderr what was done.
 *   RCPT            an address or an address list ("Ann <a@x>, b@y").
 *
 * Accepted and ignored, because mail clients pass them: -i, -oi and every
 * other -oX (-oem, -oep, -odb, -odi, -odq, ...), -O OPT=VAL, -F NAME
 * (mailconn adds no From: field), -B 8BITMIME|7BIT, -N DSN, -R RET,
 * -V ENVID (no DSN requests are made), -U, -m, -n, -bm (the only mode;
 * any other -bX is an error), -h N.  "--" ends the options.
 *
 * Exit statuses are sendmail's (sysexits.h): 0 sent (also when only the
 * copy in Sent failed: a warning says so on stderr), EX_USAGE 64 (bad
 * command line, several accounts and no -a), EX_DATAERR 65 (empty, too
 * large, unreadable headers, no recipients), EX_NOUSER 67 (a recipient
 * argument is no address, or the server refused a recipient), EX_IOERR 74
 * (reading stdin failed), EX_CONFIG 78 (no such account, bad account file,
 * no password) and the rest as send_exit_status() (send.h) says.
 *
 * A certificate is asked about on the terminal only when stderr is one: a
 * mail client captures stderr, and a prompt would fight its screen.  Then
 * an untrusted certificate fails (EX_NOPERM) naming `mailconn certs trust`.
 */
#ifndef MC_CLI_SEND_H
#define MC_CLI_SEND_H

#include "cli.h"

#define CLI_SEND_USAGE \
	"send [-a ACCOUNT] [-t] [-f FROM] [-i] [--no-save-copy] [-v] " \
	"[--] [RCPT ...]"
#define CLI_SEND_HELP \
	"send a message read on stdin (sendmail-compatible)"

int	 cli_send(struct cli *, int, char **);

#endif

/*
 * secret.h -- passwords: libsecret (schema org.mailconn.Password) or an
 * account's password-command.
 *
 * A secret never reaches disk, a log, argv or the environment; every buffer
 * that held one is wiped (mc_free_secret) after use.
 */
#ifndef MC_SECRET_H
#define MC_SECRET_H

#include "util.h"
#include "config.h"

struct secret_key {
	const char	*account;
	const char	*protocol;	/* "imap" | "smtp" */
	const char	*server;	/* host name */
	const char	*user;
};

/* 0 stored.  -1: MCE_SECRET, message names the cause and the fix. */
int	 secret_store(const struct secret_key *, const char *password,
	     struct mc_err *);
/*
 * 0 found (*out, free with mc_free_secret), 1 not found, -1 error: no Secret
 * Service (the fix: start gnome-keyring or set password-command), or the
 * keyring is locked and could not be unlocked.
 */
int	 secret_lookup(const struct secret_key *, char **out, struct mc_err *);
/* 0 removed, 1 nothing stored, -1 error. */
int	 secret_forget(const struct secret_key *, struct mc_err *);
/* 0 when a Secret Service answers and its default collection is usable. */
int	 secret_service_check(struct mc_err *);

/*
 * Run cmd with /bin/sh -c, stdin from /dev/null; the secret is the first line
 * of stdout.  Killed after timeout seconds.  Nonzero exit is an error.
 */
int	 secret_run_command(const char *cmd, int timeout, char **out,
	     struct mc_err *);

/*
 * The password an account uses for protocol: its password-command if set,
 * else the keyring.  0 found, -1 error (MCE_SECRET; "not found" names
 * `mailconn password set ACCOUNT`).
 */
int	 secret_for_account(const struct account *, const char *protocol,
	     char **out, struct mc_err *);
/* The keyring keys of an account (imap, and smtp when configured). */
void	 secret_key_for(const struct account *, const char *protocol,
	     struct secret_key *);

/*
 * Read a password: from the terminal with echo off (prompt on /dev/tty), or
 * the first line of stdin when stdin is not a terminal.
 */
int	 secret_read_password(const char *prompt, char **out, struct mc_err *);

#endif

/*
 * cli-util.c -- what the command families share: errors, usage, loading
 * the account file and the pin store, host:port and number parsing, the
 * trust context of a CLI connection.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "certstore.h"
#include "cli.h"
#include "config.h"
#include "secret.h"
#include "util.h"

void
cli_error(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("mailconn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	const struct cli_command	*c;
	va_list				 ap;

	fflush(stdout);
	fputs("mailconn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if ((c = cli_find_command(cmd)) != NULL)
		fprintf(stderr, "usage: mailconn %s\n", c->usage);
	return CLI_EXIT_USAGE;
}

const struct cli_command *
cli_find_command(const char *name)
{
	const struct cli_command	*c;

	for (c = cli_commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

int
cli_load_config(struct cli *cli, struct config **out)
{
	struct mc_err	err;

	mc_err_clear(&err);
	if (config_load(cli->config_path, out, &err) == -1) {
		cli_error("%s", err.msg);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
cli_load_account(struct cli *cli, const char *name, int validate,
    struct config **cfg, struct account **acct)
{
	struct mc_err	err;

	if (cli_load_config(cli, cfg) == -1)
		return -1;
	if ((*acct = config_find(*cfg, name)) == NULL) {
		cli_error("no account '%s' in %s (see `mailconn accounts "
		    "list`).", name, (*cfg)->path);
		goto fail;
	}
	mc_err_clear(&err);
	if (validate && account_validate(*acct, &err) == -1) {
		cli_error("%s: %s", (*cfg)->path, err.msg);
		goto fail;
	}
	return 0;

fail:
	config_free(*cfg);
	*cfg = NULL;
	*acct = NULL;
	return -1;
}

int
cli_open_certstore(struct certstore **out)
{
	struct mc_err	err;

	mc_err_clear(&err);
	if (certstore_open(NULL, out, &err) == -1) {
		cli_error("%s", err.msg);
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * A person at a terminal decides about an untrusted certificate; without
 * one (cron), the gate fails with an error naming `mailconn certs trust`.
 */
void
cli_trust_ctx(struct trust_ctx *tc, struct certstore *store,
    const char *account)
{
	memset(tc, 0, sizeof *tc);
	tc->store = store;
	tc->prompt = trust_tty_available() ? trust_tty_prompt : NULL;
	tc->arg = NULL;
	tc->account = account;
}

int
cli_parse_int(const char *s, int min, int max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
cli_parse_hostport(const char *s, char **host, int *port, struct mc_err *err)
{
	const char	*end, *colon;

	*host = NULL;
	*port = 0;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end == s + 1) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST[:PORT]: "
			    "the IPv6 address has no closing ']'.", s);
			return -1;
		}
		if (end[1] != '\0' && (end[1] != ':' ||
		    cli_parse_int(end + 2, 1, 65535, port) == -1)) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST[:PORT] "
			    "(PORT from 1 to 65535).", s);
			return -1;
		}
		*host = xstrndup(s + 1, (size_t)(end - s - 1));
		return 0;
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		/* Several colons: a bare IPv6 literal, no port. */
		*host = xstrdup(s);
		return 0;
	}
	if (colon == s || *s == '\0' || (colon != NULL &&
	    cli_parse_int(colon + 1, 1, 65535, port) == -1)) {
		mc_err_set(err, MCE_USAGE, "'%s' is not HOST[:PORT] (PORT from "
		    "1 to 65535).", s);
		return -1;
	}
	*host = colon != NULL ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
	return 0;
}

/* Read one answer from /dev/tty (the question goes there too). */
int
cli_ask_yes(const char *question)
{
	char	 buf[64];
	FILE	*tty;
	int	 yes;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return 0;
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	if (fgets(buf, sizeof buf, tty) == NULL) {
		fclose(tty);
		return 0;
	}
	fclose(tty);
	mc_trim(buf);
	yes = strcasecmp(buf, "y") == 0 || strcasecmp(buf, "yes") == 0;
	return yes;
}

int
cli_forget_secret(const struct secret_key *sk, int has_command)
{
	struct mc_err	 err;
	const char	*what;
	int		 rc;

	what = strcmp(sk->protocol, "smtp") == 0 ? "SMTP" : "IMAP";
	mc_err_clear(&err);
	rc = secret_forget(sk, &err);
	if (rc == 0)
		printf("Forgot the %s password of %s at %s in the keyring.\n",
		    what, sk->user, sk->server);
	else if (rc == 1)
		printf("No %s password of %s at %s was in the keyring.\n",
		    what, sk->user, sk->server);
	else if (has_command)
		printf("The %s password comes from password-command; the "
		    "keyring could not be asked: %s\n", what, err.msg);
	else {
		cli_error("could not forget the %s password: %s", what,
		    err.msg);
		return -1;
	}
	return 0;
}

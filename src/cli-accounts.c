/*
 * cli-accounts.c -- `mailconn accounts list | remove NAME`.
 *
 * remove takes the [account NAME] section out of the file (rewritten
 * atomically by config.c), then forgets the account's passwords in the
 * keyring.  Mail on disk and pinned certificates stay: mail is the
 * person's, and a pin belongs to a host:port that other accounts may share.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "secret.h"
#include "util.h"

/* A keyring key that outlives the account it came from. */
struct key_copy {
	char	*account, *server, *user;
	const char *protocol;
};

static int	 accounts_list(struct cli *, int);
static int	 accounts_remove(struct cli *, int, char **);
static char	*server_text(const char *, int, enum sec_mode, int);
static void	 key_copy(const struct account *, const char *,
		     struct key_copy *);
static void	 key_free(struct key_copy *);
static int	 forget_one(struct key_copy *, int);

int
cli_accounts(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("accounts", "which one: list or remove?");
	if (strcmp(argv[1], "list") == 0)
		return accounts_list(cli, argc - 1);
	if (strcmp(argv[1], "remove") == 0)
		return accounts_remove(cli, argc - 1, argv + 1);
	return cli_usage("accounts", "unknown accounts command '%s'.",
	    argv[1]);
}

static char *
server_text(const char *host, int port, enum sec_mode sec, int smtp)
{
	if (host == NULL)
		return xstrdup("-");
	return xasprintf("%s:%d %s", host, port, sec_mode_name(sec, smtp));
}

static int
accounts_list(struct cli *cli, int argc)
{
	struct config	*cfg;
	struct account	*a;
	char		*imap, *smtp;
	size_t		 wn = 4, we = 5, wi = 4, l;

	if (argc > 1)
		return cli_usage("accounts", "accounts list takes no "
		    "arguments.");
	if (cli_load_config(cli, &cfg) == -1)
		return CLI_EXIT_USAGE;
	if (cfg->accounts == NULL) {
		printf("No accounts in %s.\n", cfg->path);
		config_free(cfg);
		return CLI_EXIT_OK;
	}
	for (a = cfg->accounts; a != NULL; a = a->next) {
		if (strlen(a->name) > wn)
			wn = strlen(a->name);
		if (a->email != NULL && strlen(a->email) > we)
			we = strlen(a->email);
		imap = server_text(a->imap_host, a->imap_port, a->imap_sec, 0);
		if ((l = strlen(imap)) > wi)
			wi = l;
		free(imap);
	}
	printf("%-*s  %-*s  %-*s  %s\n", (int)wn, "NAME", (int)we, "EMAIL",
	    (int)wi, "IMAP", "SMTP");
	for (a = cfg->accounts; a != NULL; a = a->next) {
		imap = server_text(a->imap_host, a->imap_port, a->imap_sec, 0);
		smtp = server_text(a->smtp_host, a->smtp_port, a->smtp_sec, 1);
		printf("%-*s  %-*s  %-*s  %s\n", (int)wn, a->name, (int)we,
		    a->email != NULL ? a->email : "-", (int)wi, imap, smtp);
		free(imap);
		free(smtp);
	}
	config_free(cfg);
	return CLI_EXIT_OK;
}

static void
key_copy(const struct account *a, const char *protocol, struct key_copy *k)
{
	struct secret_key	sk;

	memset(&sk, 0, sizeof sk);
	secret_key_for(a, protocol, &sk);
	k->account = sk.account != NULL ? xstrdup(sk.account) : NULL;
	k->server = sk.server != NULL ? xstrdup(sk.server) : NULL;
	k->user = sk.user != NULL ? xstrdup(sk.user) : NULL;
	k->protocol = protocol;
}

static void
key_free(struct key_copy *k)
{
	free(k->account);
	free(k->server);
	free(k->user);
}

static int
forget_one(struct key_copy *k, int has_command)
{
	struct secret_key	sk;

	sk.account = k->account;
	sk.protocol = k->protocol;
	sk.server = k->server;
	sk.user = k->user;
	return cli_forget_secret(&sk, has_command);
}

static int
accounts_remove(struct cli *cli, int argc, char **argv)
{
	struct config	*cfg;
	struct account	*a;
	struct key_copy	 keys[2];
	struct mc_err	 err;
	char		*maildir;
	int		 nkeys = 0, i, has_command, rc = CLI_EXIT_OK;

	if (argc != 2)
		return cli_usage("accounts", "accounts remove takes one NAME.");
	if (cli_load_account(cli, argv[1], 0, &cfg, &a) == -1)
		return CLI_EXIT_USAGE;
	key_copy(a, "imap", &keys[nkeys++]);
	if (a->smtp_host != NULL)
		key_copy(a, "smtp", &keys[nkeys++]);
	has_command = a->password_command != NULL;
	maildir = a->maildir != NULL ? xstrdup(a->maildir) : NULL;

	mc_err_clear(&err);
	if (config_remove(cfg, argv[1], &err) == -1 ||
	    config_save(cfg, &err) == -1) {
		cli_error("%s", err.msg);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	printf("Removed account '%s' from %s.\n", argv[1], cfg->path);
	for (i = 0; i < nkeys; i++) {
		if (forget_one(&keys[i], has_command) == -1)
			rc = CLI_EXIT_FAIL;
	}
	if (maildir != NULL && access(maildir, F_OK) == 0)
		printf("Its mail in %s was left in place.\n", maildir);

out:
	for (i = 0; i < nkeys; i++)
		key_free(&keys[i]);
	free(maildir);
	config_free(cfg);
	return rc;
}

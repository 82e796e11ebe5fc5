/*
 * t-secret -- drive secret.c against a real Secret Service
 * (tests/integration/test-secret.sh).
 *
 *   t-secret store  ACCOUNT PROTO SERVER USER   password: first line of stdin
 *                                               (or prompted on a terminal)
 *   t-secret lookup ACCOUNT PROTO SERVER USER
 *   t-secret lookup-again ACCOUNT PROTO SERVER USER
 *                                               lookup, then wait for a line
 *                                               on stdin, then lookup again
 *                                               in the same process
 *   t-secret forget ACCOUNT PROTO SERVER USER
 *   t-secret check
 *   t-secret account ACCOUNT PROTO SERVER USER [PASSWORD-COMMAND]
 *                                               secret_for_account
 *   t-secret read                               secret_read_password; prints
 *                                               the length and the hex
 *
 * Prints one line on stdout: "stored", "found PASSWORD", "not found",
 * "removed", "nothing stored", "ok", "read N HEX" or
 * "error KIND: MESSAGE".  Exit: 0 success, 1 not found / nothing stored,
 * 2 error, 64 usage.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "secret.h"
#include "util.h"

static int
usage(void)
{
	fprintf(stderr, "usage: t-secret store|lookup|lookup-again|forget|account "
	    "ACCOUNT PROTO SERVER USER [COMMAND] | check | read\n");
	return 64;
}

static int
fail(const struct mc_err *err)
{
	printf("error %s: %s\n", mc_errkind_name(err->kind), err->msg);
	return 2;
}

static int
lookup(const struct secret_key *k)
{
	struct mc_err	 err;
	char		*pw;
	int		 rc;

	mc_err_clear(&err);
	rc = secret_lookup(k, &pw, &err);
	if (rc == -1)
		return fail(&err);
	if (rc == 1) {
		printf("not found\n");
		return 1;
	}
	printf("found %s\n", pw);
	mc_free_secret(pw);
	return 0;
}

int
main(int argc, char **argv)
{
	struct secret_key	 k;
	struct account		 a;
	struct mc_err		 err;
	const char		*op;
	char			*pw = NULL, *prompt, line[16];
	size_t			 i;
	int			 rc;

	if (argc < 2)
		return usage();
	op = argv[1];
	mc_err_clear(&err);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(op, "check") == 0) {
		if (argc != 2)
			return usage();
		if (secret_service_check(&err) == -1)
			return fail(&err);
		printf("ok\n");
		return 0;
	}
	if (strcmp(op, "read") == 0) {
		if (secret_read_password("Password: ", &pw, &err) == -1)
			return fail(&err);
		printf("read %zu ", strlen(pw));
		for (i = 0; pw[i] != '\0'; i++)
			printf("%02x", (unsigned char)pw[i]);
		printf("\n");
		mc_free_secret(pw);
		return 0;
	}
	if (argc < 6)
		return usage();
	k.account = argv[2];
	k.protocol = argv[3];
	k.server = argv[4];
	k.user = argv[5];

	if (strcmp(op, "store") == 0 && argc == 6) {
		prompt = xasprintf("Password for %s (%s %s@%s): ", k.account,
		    k.protocol, k.user, k.server);
		rc = secret_read_password(prompt, &pw, &err);
		free(prompt);
		if (rc == -1)
			return fail(&err);
		rc = secret_store(&k, pw, &err);
		mc_free_secret(pw);
		if (rc == -1)
			return fail(&err);
		printf("stored\n");
		return 0;
	}
	if (strcmp(op, "lookup") == 0 && argc == 6)
		return lookup(&k);
	if (strcmp(op, "lookup-again") == 0 && argc == 6) {
		rc = lookup(&k);
		if (fgets(line, sizeof line, stdin) == NULL)
			return rc;
		return lookup(&k);
	}
	if (strcmp(op, "forget") == 0 && argc == 6) {
		rc = secret_forget(&k, &err);
		if (rc == -1)
			return fail(&err);
		printf(rc == 0 ? "removed\n" : "nothing stored\n");
		return rc;
	}
	if (strcmp(op, "account") == 0 && (argc == 6 || argc == 7)) {
		memset(&a, 0, sizeof a);
		a.name = argv[2];
		if (strcmp(argv[3], "smtp") == 0) {
			a.smtp_host = argv[4];
			a.smtp_user = argv[5];
		} else {
			a.imap_host = argv[4];
			a.imap_user = argv[5];
		}
		a.password_command = argc == 7 ? argv[6] : NULL;
		if (secret_for_account(&a, argv[3], &pw, &err) == -1)
			return fail(&err);
		printf("found %s\n", pw);
		mc_free_secret(pw);
		return 0;
	}
	return usage();
}

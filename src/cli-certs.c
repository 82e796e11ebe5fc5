/*
 * cli-certs.c -- `mailconn certs list | trust | forget`: the pins in
 * known_certs.
 *
 * `certs trust HOST:PORT` is the deliberate act of pinning: it connects,
 * shows the full certificate report, and pins the key.  On a terminal it
 * asks y/N first; without one (scripts, cron set-up) running the command
 * is the decision.  A certificate the system CAs verify is not pinned: a
 * pin would turn its next routine key change into a CERTIFICATE CHANGED.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certstore.h"
#include "cli.h"
#include "imap.h"
#include "net.h"
#include "smtp.h"
#include "util.h"

struct capture {
	struct cert_info	*cert;
};

static int	 certs_list(int, char **);
static int	 certs_trust(int, char **);
static int	 certs_forget(int, char **);
static enum trust_answer capture_cert(const struct trust_request *, void *);
static int	 fetch_cert(const struct endpoint *, int,
		     struct cert_info **, struct mc_err *);
static void	 print_pinned(const struct certstore *, const char *,
		     const struct cert_info *);

int
cli_certs(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc < 2)
		return cli_usage("certs", "which one: list, trust or forget?");
	if (strcmp(argv[1], "list") == 0)
		return certs_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "trust") == 0)
		return certs_trust(argc - 1, argv + 1);
	if (strcmp(argv[1], "forget") == 0)
		return certs_forget(argc - 1, argv + 1);
	return cli_usage("certs", "unknown certs command '%s'.", argv[1]);
}

static int
certs_list(int argc, char **argv)
{
	struct certstore	 *store;
	struct cert_pin		**pins;
	struct tm		  tm;
	char			  date[16];
	size_t			  n, i, w = 9;

	(void)argv;
	if (argc > 1)
		return cli_usage("certs", "certs list takes no arguments.");
	if (cli_open_certstore(&store) == -1)
		return CLI_EXIT_USAGE;
	n = certstore_list(store, &pins);
	if (n == 0)
		printf("No pinned certificates (%s).\n", certstore_path(store));
	for (i = 0; i < n; i++) {
		if (strlen(pins[i]->hostport) > w)
			w = strlen(pins[i]->hostport);
	}
	if (n > 0)
		printf("%-*s  %-10s  %-16s  %s\n", (int)w, "HOST:PORT",
		    "PINNED", "KEY SHA-256", "SUBJECT");
	for (i = 0; i < n; i++) {
		gmtime_r(&pins[i]->when, &tm);
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
		printf("%-*s  %-10s  %.16s  %s\n", (int)w, pins[i]->hostport,
		    date, pins[i]->spki_sha256,
		    pins[i]->subject != NULL ? pins[i]->subject : "");
		cert_pin_free(pins[i]);
	}
	free(pins);
	certstore_free(store);
	return CLI_EXIT_OK;
}

/* The trust callback of the fetch: keep a copy, let nothing through. */
static enum trust_answer
capture_cert(const struct trust_request *req, void *arg)
{
	struct capture	*cap = arg;

	if (cap->cert == NULL && req->cert != NULL)
		cap->cert = cert_info_dup(req->cert);
	return TRUST_REJECT;
}

/*
 * Connect the way the protocol does (STARTTLS needs it) and take the
 * certificate.  No credential is ever sent: the session is closed at once,
 * and an unverified one never even passes the gate.
 */
static int
fetch_cert(const struct endpoint *ep, int smtp, struct cert_info **out,
    struct mc_err *err)
{
	struct certstore	*scratch;
	struct trust_ctx	 tc;
	struct capture		 cap;
	struct imap_session	*is = NULL;
	struct smtp_session	*ss = NULL;
	struct net_conn		*c;
	int			 rc;

	*out = NULL;
	if (certstore_open("/dev/null", &scratch, err) == -1)
		return -1;
	memset(&cap, 0, sizeof cap);
	memset(&tc, 0, sizeof tc);
	tc.store = scratch;
	tc.prompt = capture_cert;
	tc.arg = &cap;
	rc = smtp ? smtp_open(ep, &tc, &ss, err) : imap_open(ep, &tc, &is, err);
	if (rc == 0) {
		c = smtp ? ss->conn : is->conn;
		if (c->cert != NULL)
			*out = cert_info_dup(c->cert);
		if (smtp)
			smtp_close(ss);
		else
			imap_close(is);
	} else if (cap.cert != NULL) {
		*out = cap.cert;
		cap.cert = NULL;
	}
	certstore_free(scratch);
	if (*out == NULL) {
		if (rc == 0)
			mc_err_set(err, MCE_TLS, "%s:%d presented no "
			    "certificate.", ep->host, ep->port);
		return -1;
	}
	return 0;
}

static void
print_pinned(const struct certstore *store, const char *hp,
    const struct cert_info *ci)
{
	printf("Pinned %s: key SHA-256 %s (%s), in %s.\n", hp, ci->spki_sha256,
	    ci->subject != NULL ? ci->subject : "no subject",
	    certstore_path(store));
}

static int
certs_trust(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "imap",	no_argument,	NULL, 'i' },
		{ "smtp",	no_argument,	NULL, 's' },
		{ "starttls",	no_argument,	NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct trust_request	 req;
	struct endpoint		 ep;
	struct certstore	*store = NULL;
	struct cert_info	*ci = NULL;
	struct cert_pin		*old = NULL;
	struct mc_err		 err;
	char			*host = NULL, *hp = NULL, *text, *q;
	int			 ch, port, smtp = -1, starttls = 0, rc;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			smtp = 0;
			break;
		case 's':
			smtp = 1;
			break;
		case 't':
			starttls = 1;
			break;
		default:
			return cli_usage("certs", "unknown option '%s'.",
			    argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("certs", "certs trust takes one HOST[:PORT].");
	mc_err_clear(&err);
	if (cli_parse_hostport(argv[optind], &host, &port, &err) == -1)
		return cli_usage("certs", "%s", err.msg);
	/* The protocol from the port when not given; 993 by default. */
	if (smtp == -1)
		smtp = port == 465 || port == 587 || port == 25;
	if (port == 0)
		port = smtp ? (starttls ? 587 : 465) : (starttls ? 143 : 993);
	if (!starttls)
		starttls = port == (smtp ? 587 : 143) || (smtp && port == 25);

	memset(&ep, 0, sizeof ep);
	ep.host = host;
	ep.port = port;
	ep.sec = starttls ? SEC_STARTTLS : SEC_TLS;
	hp = certstore_hostport(host, port);
	if (cli_open_certstore(&store) == -1) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (fetch_cert(&ep, smtp, &ci, &err) == -1) {
		cli_error("%s", err.msg);
		rc = CLI_EXIT_FAIL;
		goto out;
	}

	memset(&req, 0, sizeof req);
	req.proto = smtp ? "smtp" : "imap";
	req.host = host;
	req.port = port;
	req.cert = ci;
	req.verdict = certstore_verdict(store, host, port, ci, &old);
	req.old = old;
	rc = CLI_EXIT_OK;
	switch (req.verdict) {
	case CERT_VERIFIED:
	case CERT_ACCEPTED_ONCE:
		printf("%s presents a certificate the system CA store "
		    "trusts (%s): nothing to pin.\n", hp,
		    ci->subject != NULL ? ci->subject : "no subject");
		goto out;
	case CERT_PINNED:
		printf("%s is already pinned: key SHA-256 %s.\n", hp,
		    ci->spki_sha256);
		goto out;
	case CERT_UNTRUSTED:
	case CERT_CHANGED:
		break;
	}
	text = cert_report_text(&req);
	fputs(text, stdout);
	if (*text != '\0' && text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	free(text);
	fputc('\n', stdout);
	fflush(stdout);
	if (trust_tty_available()) {
		q = req.verdict == CERT_CHANGED ? xasprintf("Replace the "
		    "pin of %s with this NEW key?", hp) : xasprintf("Pin this "
		    "certificate's key for %s?", hp);
		if (!cli_ask_yes(q)) {
			free(q);
			printf("Not pinned.\n");
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		free(q);
	} else if (req.verdict == CERT_CHANGED)
		printf("CERTIFICATE CHANGED: the pin of %s is replaced, as "
		    "asked.\n", hp);
	if (certstore_pin(store, host, port, ci, &err) == -1) {
		cli_error("%s", err.msg);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	print_pinned(store, hp, ci);

out:
	if (old != NULL)
		cert_pin_free(old);
	if (ci != NULL)
		cert_info_free(ci);
	if (store != NULL)
		certstore_free(store);
	free(hp);
	free(host);
	return rc;
}

static int
certs_forget(int argc, char **argv)
{
	struct certstore	*store;
	struct mc_err		 err;
	char			*host, *hp;
	int			 port, rc = CLI_EXIT_OK;

	if (argc != 2)
		return cli_usage("certs", "certs forget takes one HOST[:PORT].");
	mc_err_clear(&err);
	if (cli_parse_hostport(argv[1], &host, &port, &err) == -1)
		return cli_usage("certs", "%s", err.msg);
	if (port == 0)
		port = 993;
	if (cli_open_certstore(&store) == -1) {
		free(host);
		return CLI_EXIT_USAGE;
	}
	hp = certstore_hostport(host, port);
	if (certstore_forget(store, host, port, &err) == -1) {
		if (err.kind == MCE_NOTFOUND)
			cli_error("nothing is pinned for %s (see `mailconn "
			    "certs list`).", hp);
		else
			cli_error("%s", err.msg);
		rc = CLI_EXIT_FAIL;
	} else
		printf("Forgot the pin of %s.\n", hp);
	free(hp);
	free(host);
	certstore_free(store);
	return rc;
}

/*
 * t-proto.c -- drive imap.c and smtp.c against the test bed, print findings.
 *
 *   t-proto [options] imap-open  HOST PORT imaps|starttls|none
 *   t-proto [options] imap-login HOST PORT SEC USER        (password: stdin)
 *   t-proto [options] imap-list  HOST PORT SEC USER        (password: stdin)
 *   t-proto [options] imap-status HOST PORT SEC USER FOLDER (password: stdin)
 *   t-proto [options] imap-multi HOST PORT SEC USER N [open-first]
 *       (N sessions logged in at once)
 *   t-proto [options] smtp-open  HOST PORT smtps|starttls|none
 *   t-proto [options] smtp-send  HOST PORT SEC USER FROM RCPT...
 *       (password: first line of stdin; message: --msg FILE)
 *
 * options: --ca FILE, --trust once|always|reject|none (the scripted answer
 * of the certificate prompt; none: no prompt at all, the default),
 * --store FILE (known_certs), --timeout SECONDS, --debug LOGFILE (traces),
 * --auth login (SMTP: pretend the server offered only AUTH LOGIN),
 * --msg FILE, --no-login (smtp-send without AUTH).
 *
 * Output: one finding per line ("OPEN ...", "CAP ...", "FOLDER ...", "SENT
 * ..."), and on failure "ERR kind: message" plus "SERVER: words", exit 1.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certstore.h"
#include "config.h"
#include "imap.h"
#include "log.h"
#include "net.h"
#include "smtp.h"
#include "util.h"

static const char	*opt_ca, *opt_store, *opt_debug, *opt_msg;
static const char	*opt_trust = "none", *opt_auth;
static int		 opt_timeout, opt_nologin;
static int		 prompts;

static void
usage(void)
{
	fprintf(stderr, "usage: t-proto [--ca F] [--trust once|always|reject|"
	    "none] [--store F] [--timeout S] [--debug LOG] [--auth login] "
	    "[--msg F] [--no-login] CMD HOST PORT SEC ...\n");
	exit(2);
}

static int
fail(const struct mc_err *err)
{
	printf("ERR %s: %s\n", mc_errkind_name(err->kind), err->msg);
	if (err->server[0] != '\0')
		printf("SERVER: %s\n", err->server);
	fflush(stdout);
	return 1;
}

static const char *
verdict_name(enum cert_verdict v)
{
	switch (v) {
	case CERT_VERIFIED:
		return "verified";
	case CERT_PINNED:
		return "pinned";
	case CERT_ACCEPTED_ONCE:
		return "accepted-once";
	case CERT_UNTRUSTED:
		return "untrusted";
	case CERT_CHANGED:
		return "changed";
	}
	return "?";
}

/* The scripted person at the certificate prompt. */
static enum trust_answer
scripted_prompt(const struct trust_request *req, void *arg)
{
	size_t	i;

	(void)arg;
	prompts++;
	printf("PROMPT %s %s:%d verdict=%s", req->proto, req->host, req->port,
	    verdict_name(req->verdict));
	for (i = 0; req->cert != NULL && i < req->cert->nproblems; i++)
		printf(" problem=%d", req->cert->problems[i].code);
	printf("\n");
	fflush(stdout);
	if (strcmp(opt_trust, "always") == 0)
		return TRUST_ACCEPT_ALWAYS;
	if (strcmp(opt_trust, "once") == 0)
		return TRUST_ACCEPT_ONCE;
	return TRUST_REJECT;
}

static char *
read_password(void)
{
	char	buf[1024];
	size_t	len;

	if (fgets(buf, sizeof buf, stdin) == NULL)
		buf[0] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	return xstrdup(buf);
}

static void
make_endpoint(struct endpoint *ep, char **argv)
{
	memset(ep, 0, sizeof *ep);
	ep->host = argv[0];
	ep->port = atoi(argv[1]);
	if (strcmp(argv[2], "imaps") == 0 || strcmp(argv[2], "smtps") == 0 ||
	    strcmp(argv[2], "tls") == 0)
		ep->sec = SEC_TLS;
	else if (strcmp(argv[2], "starttls") == 0)
		ep->sec = SEC_STARTTLS;
	else if (strcmp(argv[2], "none") == 0)
		ep->sec = SEC_NONE;
	else
		usage();
	ep->ca_file = opt_ca;
	ep->timeout = opt_timeout;
}

static void
print_imap(const struct imap_session *s)
{
	size_t	i;

	printf("OPEN trusted=%d trust=%s server=%s preauth=%d "
	    "greeting_pre_tls=%d connect_ms=%lld tls_ms=%lld "
	    "greeting_ms=%lld\n", s->trusted, verdict_name(s->trust),
	    server_sw_name(s->sw), s->preauth, s->greeting_pre_tls,
	    s->connect_ms, s->tls_ms, s->greeting_ms);
	printf("GREETING %s\n", s->greeting != NULL ? s->greeting : "");
	printf("CAP");
	for (i = 0; i < s->ncaps; i++)
		printf(" %s", s->caps[i]);
	printf("\n");
	if (s->id_name != NULL)
		printf("ID name=%s version=%s\n", s->id_name,
		    s->id_version != NULL ? s->id_version : "");
	fflush(stdout);
}

/*
 * N sessions logged in at once (connection limits); all closed at the end.
 * With "open-first" every session is opened before any logs in, so a
 * server's limit hits LOGIN instead of the greeting.
 */
static int
imap_multi(const struct endpoint *ep, int argc, char **argv,
    const struct trust_ctx *tc)
{
	struct imap_session	**ss;
	struct mc_err		  err;
	char			 *pw;
	int			  i, n, bad = 0, first;

	if (argc < 5)
		usage();
	n = atoi(argv[4]);
	first = argc > 5 && strcmp(argv[5], "open-first") == 0;
	ss = xcalloc(n > 0 ? n : 1, sizeof *ss);
	pw = read_password();
	for (i = 0; i < n; i++) {
		if (first && imap_open(ep, tc, &ss[i], &err) != 0) {
			printf("OPEN %d ", i + 1);
			fail(&err);
			bad = 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (first && ss[i] == NULL)
			continue;
		if ((!first && imap_open(ep, tc, &ss[i], &err) != 0) ||
		    imap_login(ss[i], argv[3], pw, &err) != 0) {
			printf("SESSION %d ", i + 1);
			fail(&err);
			imap_close(ss[i]);
			ss[i] = NULL;
			bad = 1;
		} else
			printf("SESSION %d ok\n", i + 1);
	}
	mc_free_secret(pw);
	for (i = 0; i < n; i++)
		imap_close(ss[i]);
	free(ss);
	return bad;
}

static int
cmd_imap(const char *cmd, int argc, char **argv, const struct trust_ctx *tc)
{
	struct imap_session	*s;
	struct imap_folder	*f;
	struct imap_status	 st;
	struct endpoint		 ep;
	struct mc_err		 err;
	char			*pw;
	size_t			 n, i;
	long long		 t;
	int			 rc, sent;

	if (argc < 3)
		usage();
	make_endpoint(&ep, argv);
	if (strcmp(cmd, "imap-multi") == 0)
		return imap_multi(&ep, argc, argv, tc);
	t = mc_now_ms();
	rc = imap_open(&ep, tc, &s, &err);
	if (rc != 0) {
		printf("ELAPSED_MS %lld\n", mc_now_ms() - t);
		printf("PROMPTS %d\n", prompts);
		return fail(&err);
	}
	print_imap(s);
	printf("PROMPTS %d\n", prompts);
	if (strcmp(cmd, "imap-open") == 0) {
		imap_close(s);
		return 0;
	}
	if (argc < 4)
		usage();
	pw = read_password();
	rc = imap_login(s, argv[3], pw, &err);
	mc_free_secret(pw);
	if (rc != 0) {
		imap_close(s);
		return fail(&err);
	}
	printf("LOGIN ok server=%s\n", server_sw_name(s->sw));
	print_imap(s);
	if (strcmp(cmd, "imap-list") == 0) {
		if (imap_list(s, &f, &n, &err) != 0) {
			imap_close(s);
			return fail(&err);
		}
		for (i = 0; i < n; i++)
			printf("FOLDER name=%s wire=%s delim=%c flags=%d\n",
			    f[i].name, f[i].wire, f[i].delim ? f[i].delim :
			    '-', f[i].flags);
		sent = imap_find_sent(f, n);
		printf("SENT %s flagged=%d\n", sent >= 0 ? f[sent].name :
		    "(none)", sent >= 0 && (f[sent].flags & FOLDER_SENT));
		imap_folders_free(f, n);
	} else if (strcmp(cmd, "imap-status") == 0) {
		if (argc < 5)
			usage();
		if (imap_status(s, argv[4], &st, &err) != 0) {
			imap_close(s);
			return fail(&err);
		}
		printf("STATUS messages=%u unseen=%u uidnext=%u "
		    "uidvalidity=%u highestmodseq=%llu\n", st.messages,
		    st.unseen, st.uidnext, st.uidvalidity,
		    (unsigned long long)st.highestmodseq);
		if (imap_select(s, argv[4], &st, &err) != 0) {
			imap_close(s);
			return fail(&err);
		}
		printf("SELECT messages=%u uidnext=%u uidvalidity=%u "
		    "highestmodseq=%llu\n", st.messages, st.uidnext,
		    st.uidvalidity, (unsigned long long)st.highestmodseq);
	}
	imap_close(s);
	return 0;
}

static int
cmd_smtp(const char *cmd, int argc, char **argv, const struct trust_ctx *tc)
{
	struct smtp_session	*s;
	struct endpoint		 ep;
	struct mc_err		 err;
	char			*pw, *msg;
	size_t			 len;
	long long		 t;
	int			 rc;

	if (argc < 3)
		usage();
	make_endpoint(&ep, argv);
	t = mc_now_ms();
	rc = smtp_open(&ep, tc, &s, &err);
	printf("PROMPTS %d\n", prompts);
	if (rc != 0) {
		printf("ELAPSED_MS %lld\n", mc_now_ms() - t);
		return fail(&err);
	}
	printf("OPEN trusted=%d trust=%s size=%zu auth=%s starttls=%d "
	    "pipelining=%d 8bitmime=%d greeting_pre_tls=%d connect_ms=%lld "
	    "tls_ms=%lld\n", s->trusted, verdict_name(s->trust),
	    s->size_limit, s->auth_list != NULL ? s->auth_list : "-",
	    s->starttls_offered, s->pipelining, s->eightbitmime,
	    s->greeting_pre_tls, s->connect_ms, s->tls_ms);
	printf("GREETING %s\n", s->greeting != NULL ? s->greeting : "");
	fflush(stdout);
	if (strcmp(cmd, "smtp-open") == 0) {
		smtp_close(s);
		return 0;
	}
	if (argc < 6 || opt_msg == NULL)
		usage();
	pw = read_password();
	if (!opt_nologin) {
		if (opt_auth != NULL && strcmp(opt_auth, "login") == 0)
			s->auth_mechs &= ~SMTP_AUTH_PLAIN;
		rc = smtp_login(s, argv[3], pw, &err);
		mc_free_secret(pw);
		if (rc != 0) {
			smtp_close(s);
			return fail(&err);
		}
		printf("LOGIN ok\n");
	} else
		mc_free_secret(pw);
	if ((msg = mc_read_file(opt_msg, &len, &err)) == NULL) {
		smtp_close(s);
		return fail(&err);
	}
	rc = smtp_send(s, argv[4], argv + 5, argc - 5, msg, len, &err);
	free(msg);
	if (rc != 0) {
		smtp_close(s);
		return fail(&err);
	}
	printf("SENT ok\n");
	smtp_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	struct certstore	*store = NULL;
	struct trust_ctx	 tc;
	struct mc_err		 err;
	const char		*cmd;
	int			 rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (argv++, argc--; argc > 0 && strncmp(argv[0], "--", 2) == 0;
	    argv++, argc--) {
		if (argc < 2 && strcmp(argv[0], "--no-login") != 0)
			usage();
		if (strcmp(argv[0], "--ca") == 0)
			opt_ca = *++argv, argc--;
		else if (strcmp(argv[0], "--trust") == 0)
			opt_trust = *++argv, argc--;
		else if (strcmp(argv[0], "--store") == 0)
			opt_store = *++argv, argc--;
		else if (strcmp(argv[0], "--timeout") == 0)
			opt_timeout = atoi(*++argv), argc--;
		else if (strcmp(argv[0], "--debug") == 0)
			opt_debug = *++argv, argc--;
		else if (strcmp(argv[0], "--auth") == 0)
			opt_auth = *++argv, argc--;
		else if (strcmp(argv[0], "--msg") == 0)
			opt_msg = *++argv, argc--;
		else if (strcmp(argv[0], "--no-login") == 0)
			opt_nologin = 1;
		else
			usage();
	}
	if (argc < 1)
		usage();
	cmd = argv[0];
	net_init();
	if (opt_debug != NULL && log_open(opt_debug, 1, &err) != 0)
		return fail(&err);
	if (certstore_open(opt_store, &store, &err) != 0)
		return fail(&err);
	memset(&tc, 0, sizeof tc);
	tc.store = store;
	tc.prompt = strcmp(opt_trust, "none") == 0 ? NULL : scripted_prompt;
	tc.account = "t-proto";

	if (strncmp(cmd, "imap-", 5) == 0)
		rc = cmd_imap(cmd, argc - 1, argv + 1, &tc);
	else if (strncmp(cmd, "smtp-", 5) == 0)
		rc = cmd_smtp(cmd, argc - 1, argv + 1, &tc);
	else
		usage();
	certstore_free(store);
	if (opt_debug != NULL)
		log_close();
	return rc;
}

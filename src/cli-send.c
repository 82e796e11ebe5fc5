/*
 * cli-send.c -- `mailconn send`, sendmail-compatible.  The options, what is
 * ignored and the exit statuses are in cli-send.h; the sending in send.c.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "certstore.h"
#include "cli-send.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "send.h"
#include "util.h"

struct send_opts {
	const char	*account;
	const char	*from;
	int		 extract;	/* -t */
	int		 save_copy;
	int		 verbose;
	char	       **rcpts;	/* arguments, not yet parsed */
	size_t		 nrcpts;
};

static int	 usage_error(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
static int	 parse_args(int, char **, struct send_opts *);
static int	 read_message(char **, size_t *);
static char	*account_names(const struct config *);
static const char *header_from(const char *, size_t);
static int	 pick_account(struct config *, const struct send_opts *,
		     const char *, size_t, struct account **);
static int	 check_account(const struct config *,
		     const struct account *);
static int	 envelope_from(const struct send_opts *,
		     const struct account *, char **);
static int	 recipients(const struct send_opts *, const char *, size_t,
		     struct addr_list *);

static int
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("mailconn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: mailconn %s\n", CLI_SEND_USAGE);
	return EX_USAGE;
}

/*
 * sendmail's command line: options may be glued to their value (-fFROM,
 * -oi), and come before or after recipients until "--".  0, or EX_USAGE
 * (printed).
 */
static int
parse_args(int argc, char **argv, struct send_opts *o)
{
	const char	*arg, *val;
	int		 i, only_rcpts = 0;
	char		 c;

	o->rcpts = xcalloc((size_t)argc + 1, sizeof *o->rcpts);
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (only_rcpts || arg[0] != '-' || arg[1] == '\0') {
			o->rcpts[o->nrcpts++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_rcpts = 1;
			continue;
		}
		if (strcmp(arg, "--no-save-copy") == 0) {
			o->save_copy = 0;
			continue;
		}
		if (strncmp(arg, "--account", 9) == 0 &&
		    (arg[9] == '=' || arg[9] == '\0')) {
			if (arg[9] == '=')
				o->account = arg + 10;
			else if (i + 1 < argc)
				o->account = argv[++i];
			else
				return usage_error("%s needs an account name.",
				    arg);
			continue;
		}
		if (arg[1] == '-')
			return usage_error("unknown option '%s'.", arg);

		c = arg[1];
		switch (c) {
		case 't':
		case 'i':
		case 'v':
		case 'U':
		case 'm':
		case 'n':
			/* flags; "-ti" style bundles are not sendmail's */
			if (arg[2] != '\0')
				return usage_error("unknown option '%s'.", arg);
			if (c == 't')
				o->extract = 1;
			else if (c == 'v')
				o->verbose = 1;
			continue;
		case 'a':
		case 'f':
		case 'r':
		case 'F':
		case 'o':
		case 'O':
		case 'B':
		case 'N':
		case 'R':
		case 'V':
		case 'b':
		case 'h':
			break;
		default:
			return usage_error("unknown option '%s'.", arg);
		}
		/* An option with a value, glued or in the next argument. */
		if (arg[2] != '\0')
			val = arg + 2;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage_error("option '%s' needs a value.", arg);
		switch (c) {
		case 'a':
			o->account = val;
			break;
		case 'f':
		case 'r':
			o->from = val;
			break;
		case 'b':
			if (strcmp(val, "m") != 0)
				return usage_error("only -bm (a message on "
				    "stdin) is supported, not -b%s.", val);
			break;
		default:
			/* -o, -O, -F, -B, -N, -R, -V, -h: ignored */
			break;
		}
	}
	return 0;
}

/* All of stdin, at most SEND_MAX_BYTES.  0, or an exit status (printed). */
static int
read_message(char **out, size_t *outlen)
{
	char	*buf = NULL;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	*out = NULL;
	*outlen = 0;
	for (;;) {
		if (size - len < 65536) {
			size = size == 0 ? 262144 : size * 2;
			if (size > SEND_MAX_BYTES + 65536)
				size = SEND_MAX_BYTES + 65536;
			buf = xrealloc(buf, size);
		}
		n = read(STDIN_FILENO, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cli_error("cannot read the message on standard input: "
			    "%s; nothing was sent.", strerror(errno));
			free(buf);
			return EX_IOERR;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SEND_MAX_BYTES) {
			cli_error("the message on standard input is larger "
			    "than %lu MB, the most mailconn sends; nothing was "
			    "sent.", SEND_MAX_BYTES >> 20);
			free(buf);
			return EX_DATAERR;
		}
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* "a, b, c"; caller frees. */
static char *
account_names(const struct config *cfg)
{
	const struct account	*a;
	char			*s = xstrdup(""), *t;

	for (a = cfg->accounts; a != NULL; a = a->next) {
		t = xasprintf("%s%s%s", s, *s != '\0' ? ", " : "", a->name);
		free(s);
		s = t;
	}
	return s;
}

/* The first mailbox of the From: field, or NULL (static buffer). */
static const char *
header_from(const char *msg, size_t len)
{
	static const char *const from[] = { "From", NULL };
	static char		 buf[512];
	struct addr_list	 l;
	struct mc_err		 err;

	memset(&l, 0, sizeof l);
	if (addr_fields_parse(msg, len, from, &l, &err) <= 0 || l.n == 0) {
		addr_list_free(&l);
		return NULL;
	}
	snprintf(buf, sizeof buf, "%s", l.v[0].mailbox);
	addr_list_free(&l);
	return buf;
}

/* 0 with *out, or an exit status (printed). */
static int
pick_account(struct config *cfg, const struct send_opts *o, const char *msg,
    size_t len, struct account **out)
{
	struct account	*a, *match = NULL;
	struct addr_list l;
	struct mc_err	 err;
	const char	*want = NULL;
	char		*names;
	int		 n = 0, nmatch = 0;

	*out = NULL;
	if (o->account != NULL) {
		if ((*out = config_find(cfg, o->account)) != NULL)
			return 0;
		names = account_names(cfg);
		cli_error("no account '%s' in %s%s%s.", o->account, cfg->path,
		    *names != '\0' ? "; there are: " : " (it has none)",
		    names);
		free(names);
		return EX_CONFIG;
	}
	for (a = cfg->accounts; a != NULL; a = a->next)
		n++;
	if (n == 0) {
		cli_error("no account in %s; set one up with `mailconn setup`.",
		    cfg->path);
		return EX_CONFIG;
	}
	if (n == 1) {
		*out = cfg->accounts;
		return 0;
	}

	/* Several: the one the message is from, if exactly one is. */
	memset(&l, 0, sizeof l);
	if (o->from != NULL && addr_parse(o->from, &l, &err) == 0 &&
	    l.n == 1)
		want = l.v[0].mailbox;
	else if (msg != NULL)
		want = header_from(msg, len);
	for (a = cfg->accounts; want != NULL && a != NULL; a = a->next) {
		if (a->email != NULL && strcasecmp(a->email, want) == 0) {
			match = a;
			nmatch++;
		}
	}
	if (nmatch == 1) {
		addr_list_free(&l);
		*out = match;
		return 0;
	}
	names = account_names(cfg);
	if (nmatch > 1)
		cli_error("%s has several accounts (%s), and %d of them send "
		    "as %s; choose one with -a ACCOUNT.", cfg->path, names,
		    nmatch, want);
	else
		cli_error("%s has several accounts (%s); choose one with -a "
		    "ACCOUNT.", cfg->path, names);
	addr_list_free(&l);
	free(names);
	return EX_USAGE;
}

/* 0, or EX_CONFIG (printed). */
static int
check_account(const struct config *cfg, const struct account *a)
{
	struct mc_err	err;

	mc_err_clear(&err);
	if (account_validate(a, &err) == -1) {
		cli_error("%s: %s", cfg->path, err.msg);
		return EX_CONFIG;
	}
	if (a->smtp_host == NULL || *a->smtp_host == '\0') {
		cli_error("account '%s' has no smtp-host to send with; add "
		    "smtp-host (and smtp-port, smtp-security) to its section "
		    "in %s.", a->name, cfg->path);
		return EX_CONFIG;
	}
	return 0;
}

/* 0 with *out (caller frees), or an exit status (printed). */
static int
envelope_from(const struct send_opts *o, const struct account *a,
    char **out)
{
	struct addr_list	l;
	struct mc_err		err;

	*out = NULL;
	if (o->from == NULL) {
		if (a->email == NULL || strchr(a->email, '@') == NULL) {
			cli_error("account '%s' has no email to send from; "
			    "set email in the account file or give -f FROM.",
			    a->name);
			return EX_CONFIG;
		}
		*out = xstrdup(a->email);
		return 0;
	}
	memset(&l, 0, sizeof l);
	mc_err_clear(&err);
	if (addr_parse(o->from, &l, &err) != 0 || l.n != 1) {
		if (err.msg[0] == '\0')
			mc_err_set(&err, MCE_USAGE, "it must be one address.");
		cli_error("the sender -f '%s' is not usable: %s", o->from,
		    err.msg);
		addr_list_free(&l);
		return EX_USAGE;
	}
	*out = xstrdup(l.v[0].mailbox);
	addr_list_free(&l);
	return 0;
}

/* 0 with the deduplicated list, or an exit status (printed). */
static int
recipients(const struct send_opts *o, const char *msg, size_t len,
    struct addr_list *l)
{
	static const char *const resent[] = { "Resent-To", "Resent-Cc",
	    "Resent-Bcc", NULL };
	static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
	struct mc_err	err;
	size_t		i;
	int		n;

	for (i = 0; i < o->nrcpts; i++) {
		mc_err_clear(&err);
		if (addr_parse(o->rcpts[i], l, &err) != 0) {
			cli_error("the recipient '%s' is not usable: %s",
			    o->rcpts[i], err.msg);
			return EX_NOUSER;
		}
	}
	if (o->extract) {
		mc_err_clear(&err);
		/* sendmail -t: a resent message goes to its Resent- list. */
		n = addr_fields_parse(msg, len, resent, l, &err);
		if (n == 0)
			n = addr_fields_parse(msg, len, plain, l, &err);
		if (n < 0) {
			cli_error("%s Nothing was sent.", err.msg);
			return EX_DATAERR;
		}
	}
	addr_list_dedup(l);
	if (l->n == 0) {
		if (o->extract)
			cli_error("the message names no recipient in To, Cc or "
			    "Bcc, and none was given; nothing was sent.");
		else
			cli_error("no recipients: give them as arguments, or "
			    "use -t to take them from To, Cc and Bcc; nothing "
			    "was sent.");
		return EX_DATAERR;
	}
	return 0;
}

int
cli_send(struct cli *cli, int argc, char **argv)
{
	struct send_opts	 o;
	struct config		*cfg = NULL;
	struct account		*a = NULL;
	struct certstore	*store = NULL;
	struct trust_ctx	 tc;
	struct addr_list	 rl;
	struct mc_err		 err;
	char			*msg = NULL, *from = NULL, **rv = NULL;
	size_t			 len = 0, i;
	int			 rc;

	memset(&o, 0, sizeof o);
	memset(&rl, 0, sizeof rl);
	o.save_copy = 1;
	if (parse_args(argc, argv, &o) != 0) {
		free(o.rcpts);
		return EX_USAGE;
	}

	if (cli_load_config(cli, &cfg) == -1) {
		rc = EX_CONFIG;
		goto out;
	}
	/*
	 * An account named or alone is checked before the message is read
	 * (a person typing it learns of a typo first); among several, the
	 * message's From: may decide.
	 */
	if (o.account != NULL || cfg->accounts == NULL ||
	    cfg->accounts->next == NULL) {
		if ((rc = pick_account(cfg, &o, NULL, 0, &a)) != 0 ||
		    (rc = check_account(cfg, a)) != 0)
			goto out;
	}
	if ((rc = read_message(&msg, &len)) != 0)
		goto out;
	if (a == NULL && ((rc = pick_account(cfg, &o, msg, len, &a)) != 0 ||
	    (rc = check_account(cfg, a)) != 0))
		goto out;
	if (len == 0) {
		cli_error("the message on standard input is empty; nothing was "
		    "sent.");
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = envelope_from(&o, a, &from)) != 0)
		goto out;
	if ((rc = recipients(&o, msg, len, &rl)) != 0)
		goto out;

	mc_err_clear(&err);
	if (certstore_open(NULL, &store, &err) == -1) {
		cli_error("%s", err.msg);
		rc = err.kind == MCE_IO ? EX_OSERR : EX_CONFIG;
		goto out;
	}
	memset(&tc, 0, sizeof tc);
	tc.store = store;
	tc.account = a->name;
	/* Ask only a person who sees stderr (a mail client captures it). */
	if (isatty(STDERR_FILENO) && trust_tty_available())
		tc.prompt = trust_tty_prompt;

	rv = xcalloc(rl.n, sizeof *rv);
	for (i = 0; i < rl.n; i++)
		rv[i] = rl.v[i].mailbox;
	mc_err_clear(&err);
	rc = send_message(a, &tc, NULL, from, rv, rl.n, msg, len, o.save_copy,
	    &err);
	if (rc == 0) {
		if (o.verbose)
			fprintf(stderr, "mailconn: sent from %s to %zu "
			    "recipient%s through %s%s.\n", from, rl.n,
			    rl.n == 1 ? "" : "s", a->smtp_host, o.save_copy ?
			    "; a copy is in Sent" : "");
		rc = EX_OK;
	} else if (rc == SEND_COPY_FAILED) {
		cli_error("warning: %s%s%s", err.msg, err.server[0] != '\0' ?
		    " The server said: " : "", err.server);
		rc = EX_OK;
	} else {
		cli_error("%s%s%s", err.msg, err.server[0] != '\0' ?
		    " The server said: " : "", err.server);
		rc = send_exit_status(&err);
	}

out:
	free(rv);
	addr_list_free(&rl);
	certstore_free(store);
	free(from);
	if (msg != NULL) {
		mc_wipe(msg, len);	/* a message is private, too */
		free(msg);
	}
	config_free(cfg);
	free(o.rcpts);
	return rc;
}

/*
 * config.c -- accounts.conf: [account NAME] sections, kebab-case keys.
 *
 * The format, kept deliberately small:
 *   - a line is blank, a comment, a section or "key = value";
 *   - a comment is a whole line whose first non-blank character is '#' or
 *     ';'.  There are no trailing comments: '#' is an ordinary character in
 *     a value (a password-command may need it);
 *   - a value is everything after the first '=', without the blanks around
 *     it; quotes are not special;
 *   - sections are "[account NAME]" (NAME of [A-Za-z0-9._-], since it names
 *     directories) and "[ui]" (key theme);
 *   - an unknown key, a bad or empty value, a key given twice, a key before
 *     any section, a repeated section are errors naming FILE:LINE.
 *
 * config_load fills in the defaults (account_defaults) but does not demand
 * the required keys: account_validate does, when an account is used, so
 * one half-written account does not lock the person out of the others.
 *
 * config_save writes a canonical file: a header, [ui] when a theme is set,
 * then each account with its keys in the order of the key table below.  A
 * key is written only when it says something the defaults do not: ports
 * equal to the default of their security, tls-min 1.2, max-connections 5,
 * poll-interval 300, folders "*", the default maildir, imap-user equal to
 * email and smtp-user equal to the IMAP user are left out.  imap-security
 * is always written (and smtp-security with smtp-host), because a reader
 * should not have to know the default.  Comments are not kept.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "util.h"

#define DEFAULT_TLS_MIN		12
#define DEFAULT_MAX_CONN	5
#define DEFAULT_POLL		300
#define MIN_POLL		10
#define MAX_POLL		86400
#define DEFAULT_FOLDERS		"*"

enum key_type {
	KEY_STRING,	/* free text */
	KEY_HOST,	/* no blanks */
	KEY_PATH,	/* free text, "~/" expanded */
	KEY_PORT,
	KEY_SEC_IMAP,
	KEY_SEC_SMTP,
	KEY_TLS,
	KEY_MAXCONN,
	KEY_POLL,
};

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 off;
};

/* The order of this table is the order config_save writes. */
static const struct key keys[] = {
	{ "email", KEY_STRING, offsetof(struct account, email) },
	{ "name", KEY_STRING, offsetof(struct account, display_name) },
	{ "imap-host", KEY_HOST, offsetof(struct account, imap_host) },
	{ "imap-port", KEY_PORT, offsetof(struct account, imap_port) },
	{ "imap-security", KEY_SEC_IMAP, offsetof(struct account, imap_sec) },
	{ "imap-user", KEY_STRING, offsetof(struct account, imap_user) },
	{ "smtp-host", KEY_HOST, offsetof(struct account, smtp_host) },
	{ "smtp-port", KEY_PORT, offsetof(struct account, smtp_port) },
	{ "smtp-security", KEY_SEC_SMTP, offsetof(struct account, smtp_sec) },
	{ "smtp-user", KEY_STRING, offsetof(struct account, smtp_user) },
	{ "password-command", KEY_STRING,
	    offsetof(struct account, password_command) },
	{ "ca-file", KEY_PATH, offsetof(struct account, ca_file) },
	{ "tls-min", KEY_TLS, offsetof(struct account, tls_min) },
	{ "maildir", KEY_PATH, offsetof(struct account, maildir) },
	{ "folders", KEY_STRING, offsetof(struct account, folders) },
	{ "max-connections", KEY_MAXCONN,
	    offsetof(struct account, max_connections) },
	{ "poll-interval", KEY_POLL, offsetof(struct account, poll_interval) },
};
#define NKEYS	(sizeof keys / sizeof keys[0])

/* What the parser remembers while it reads one file. */
struct parse {
	const char	*path;
	int		 line;
	struct config	*cfg;
	struct account	*acct;		/* current [account], or NULL */
	int		 in_ui;		/* current section is [ui] */
	int		 ui_line;	/* where [ui] was, 0 if not yet */
	int		 theme_line;
	int		 seen[NKEYS];	/* line of each key in this section */
	char		**names;	/* accounts so far, with their lines */
	int		*name_lines;
	size_t		 nnames;
	struct mc_err	*err;
};

static int	 name_ok(const char *);
static int	 is_loopback(const char *);
static int	 parse_number(const char *, long, long, int *);
static int	 parse_line(struct parse *, char *);
static int	 parse_section(struct parse *, char *);
static int	 parse_pair(struct parse *, char *);
static int	 set_key(struct parse *, const struct key *, const char *);
static const char *comment_hint(const char *);
static int	 value_ok(const char *);

#define ACCT_STR(a, k)	((char **)((char *)(a) + (k)->off))
#define ACCT_INT(a, k)	((int *)((char *)(a) + (k)->off))
#define ACCT_SEC(a, k)	((enum sec_mode *)((char *)(a) + (k)->off))

/* --- security modes ---------------------------------------------------- */

const char *
sec_mode_name(enum sec_mode mode, int smtp)
{
	switch (mode) {
	case SEC_TLS:
		return smtp ? "smtps" : "imaps";
	case SEC_STARTTLS:
		return "starttls";
	case SEC_NONE:
		return "none";
	}
	return "?";
}

/* Accepts imaps, smtps and tls (implicit TLS), starttls, none. */
int
sec_mode_parse(const char *s, enum sec_mode *mode)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "imaps") == 0 || strcasecmp(s, "smtps") == 0 ||
	    strcasecmp(s, "tls") == 0)
		*mode = SEC_TLS;
	else if (strcasecmp(s, "starttls") == 0)
		*mode = SEC_STARTTLS;
	else if (strcasecmp(s, "none") == 0)
		*mode = SEC_NONE;
	else
		return -1;
	return 0;
}

/* 993/143 for IMAP; 465/587 for SMTP (submission, RFC 8314 / 6409). */
int
sec_default_port(enum sec_mode mode, int smtp)
{
	if (smtp)
		return mode == SEC_TLS ? 465 : 587;
	return mode == SEC_TLS ? 993 : 143;
}

/* --- accounts ---------------------------------------------------------- */

struct account *
account_new(const char *name)
{
	struct account	*a;

	a = xcalloc(1, sizeof *a);
	a->name = xstrdup(name != NULL ? name : "");
	a->imap_sec = SEC_TLS;
	a->smtp_sec = SEC_TLS;
	return a;
}

void
account_free(struct account *a)
{
	size_t	i;

	if (a == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == KEY_STRING || keys[i].type == KEY_HOST ||
		    keys[i].type == KEY_PATH)
			free(*ACCT_STR(a, &keys[i]));
	}
	free(a->name);
	free(a);
}

/* Only fields still unset (NULL or 0) are filled. */
void
account_defaults(struct account *a)
{
	if (a->imap_port == 0)
		a->imap_port = sec_default_port(a->imap_sec, 0);
	if (a->smtp_port == 0)
		a->smtp_port = sec_default_port(a->smtp_sec, 1);
	if (a->imap_user == NULL && a->email != NULL)
		a->imap_user = xstrdup(a->email);
	if (a->smtp_user == NULL && a->imap_user != NULL)
		a->smtp_user = xstrdup(a->imap_user);
	if (a->tls_min == 0)
		a->tls_min = DEFAULT_TLS_MIN;
	if (a->maildir == NULL && name_ok(a->name)) {
		char	*leaf = xasprintf("mail/%s", a->name);

		a->maildir = mc_xdg_path(MC_XDG_DATA, leaf);
		free(leaf);
	}
	if (a->folders == NULL)
		a->folders = xstrdup(DEFAULT_FOLDERS);
	if (a->max_connections == 0)
		a->max_connections = DEFAULT_MAX_CONN;
	if (a->poll_interval == 0)
		a->poll_interval = DEFAULT_POLL;
}

/* localhost, 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z): nothing leaves. */
static int
is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	char		 buf[64];
	size_t		 len;

	if (host == NULL)
		return 0;
	len = strlen(host);
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' &&
	    len - 2 < sizeof buf) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return 0;
}

/*
 * Works on an account with or without account_defaults applied: an unset
 * value is judged by the default it will get.
 */
int
account_validate(const struct account *a, struct mc_err *err)
{
	const char	*user;

	if (a == NULL || !name_ok(a->name)) {
		mc_err_set(err, MCE_CONFIG, "The account name '%s' may contain "
		    "only letters, digits, '.', '_' and '-'.",
		    a != NULL && a->name != NULL ? a->name : "");
		return -1;
	}
	if (a->imap_host == NULL || *a->imap_host == '\0') {
		mc_err_set(err, MCE_CONFIG, "Account '%s' has no imap-host.",
		    a->name);
		return -1;
	}
	user = a->imap_user != NULL ? a->imap_user : a->email;
	if (user == NULL || *user == '\0') {
		mc_err_set(err, MCE_CONFIG, "Account '%s' has neither "
		    "imap-user nor email to log in with.", a->name);
		return -1;
	}
	if (a->email != NULL && strchr(a->email, '@') == NULL) {
		mc_err_set(err, MCE_CONFIG, "Account '%s': email '%s' is not "
		    "an address (no '@').", a->name, a->email);
		return -1;
	}
	if (a->imap_port < 0 || a->imap_port > 65535 ||
	    a->smtp_port < 0 || a->smtp_port > 65535) {
		mc_err_set(err, MCE_CONFIG, "Account '%s': ports must be "
		    "from 1 to 65535.", a->name);
		return -1;
	}
	if (a->tls_min != 0 && (a->tls_min < 10 || a->tls_min > 13)) {
		mc_err_set(err, MCE_CONFIG, "Account '%s': tls-min must be "
		    "1.0, 1.1, 1.2 or 1.3.", a->name);
		return -1;
	}
	if (a->max_connections < 0 || a->max_connections > 5) {
		mc_err_set(err, MCE_CONFIG, "Account '%s': max-connections "
		    "must be from 1 to 5.", a->name);
		return -1;
	}
	if (a->poll_interval != 0 && (a->poll_interval < MIN_POLL ||
	    a->poll_interval > MAX_POLL)) {
		mc_err_set(err, MCE_CONFIG, "Account '%s': poll-interval must "
		    "be from %d to %d seconds.", a->name, MIN_POLL, MAX_POLL);
		return -1;
	}
	if (a->imap_sec == SEC_NONE && !is_loopback(a->imap_host)) {
		mc_err_set(err, MCE_INSECURE, "Account '%s': imap-security = "
		    "none would send the password in clear text; it is "
		    "allowed only for a server on this machine (localhost, "
		    "127.0.0.0/8, ::1), not %s.", a->name, a->imap_host);
		return -1;
	}
	if (a->smtp_host != NULL && a->smtp_sec == SEC_NONE &&
	    !is_loopback(a->smtp_host)) {
		mc_err_set(err, MCE_INSECURE, "Account '%s': smtp-security = "
		    "none would send the password in clear text; it is "
		    "allowed only for a server on this machine (localhost, "
		    "127.0.0.0/8, ::1), not %s.", a->name, a->smtp_host);
		return -1;
	}
	return 0;
}

/* --- the config -------------------------------------------------------- */

char *
config_default_path(void)
{
	return mc_xdg_path(MC_XDG_CONFIG, "accounts.conf");
}

void
config_free(struct config *cfg)
{
	struct account	*a, *next;

	if (cfg == NULL)
		return;
	for (a = cfg->accounts; a != NULL; a = next) {
		next = a->next;
		account_free(a);
	}
	free(cfg->path);
	free(cfg->theme);
	free(cfg);
}

struct account *
config_find(struct config *cfg, const char *name)
{
	struct account	*a;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (a = cfg->accounts; a != NULL; a = a->next) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

/* An account of the same name is replaced where it stood. */
void
config_add(struct config *cfg, struct account *a)
{
	struct account	**pp;

	for (pp = &cfg->accounts; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, a->name) == 0) {
			a->next = (*pp)->next;
			account_free(*pp);
			*pp = a;
			return;
		}
	}
	a->next = NULL;
	*pp = a;
}

int
config_remove(struct config *cfg, const char *name, struct mc_err *err)
{
	struct account	**pp, *a;

	for (pp = &cfg->accounts; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			a = *pp;
			*pp = a->next;
			account_free(a);
			return 0;
		}
	}
	mc_err_set(err, MCE_NOTFOUND, "There is no account '%s' in %s.", name,
	    cfg->path != NULL ? cfg->path : "the configuration");
	return -1;
}

/* --- parsing ----------------------------------------------------------- */

/* Account and theme names end up in paths: no '/', no "..", no blanks. */
static int
name_ok(const char *s)
{
	const char	*p;

	if (s == NULL || *s == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0 || strlen(s) > 64)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
		    *p != '-')
			return 0;
	}
	return 1;
}

/* Decimal digits only, within [min, max]. */
static int
parse_number(const char *s, long min, long max, int *out)
{
	const char	*p;
	long		 v = 0;

	if (*s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (int)v;
	return 0;
}

/* Someone wrote a trailing comment: say why the value looks wrong. */
static const char *
comment_hint(const char *value)
{
	if (strchr(value, '#') != NULL || strchr(value, ';') != NULL)
		return " (comments must be on a line of their own)";
	return "";
}

static const char *
section_name(struct parse *ps)
{
	static _Thread_local char	buf[96];

	if (ps->in_ui)
		return "[ui]";
	snprintf(buf, sizeof buf, "[account %s]", ps->acct->name);
	return buf;
}

static int
set_key(struct parse *ps, const struct key *k, const char *v)
{
	enum sec_mode	 mode;
	int		 n;
	char		**sp;

	switch (k->type) {
	case KEY_HOST:
		if (strpbrk(v, " \t") != NULL) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: %s must be a "
			    "host name without blanks, not '%s'%s.", ps->path,
			    ps->line, k->name, v, comment_hint(v));
			return -1;
		}
		/* FALLTHROUGH */
	case KEY_STRING:
	case KEY_PATH:
		sp = ACCT_STR(ps->acct, k);
		*sp = k->type == KEY_PATH ? mc_expand_tilde(v) : xstrdup(v);
		return 0;
	case KEY_PORT:
		if (parse_number(v, 1, 65535, ACCT_INT(ps->acct, k)) == -1) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: %s must be a "
			    "number from 1 to 65535, not '%s'%s.", ps->path,
			    ps->line, k->name, v, comment_hint(v));
			return -1;
		}
		return 0;
	case KEY_SEC_IMAP:
	case KEY_SEC_SMTP:
		n = k->type == KEY_SEC_SMTP;
		if (sec_mode_parse(v, &mode) == -1 ||
		    (mode == SEC_TLS && strcasecmp(v, n ? "smtps" : "imaps"))) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: %s must be "
			    "%s, starttls or none, not '%s'%s.", ps->path,
			    ps->line, k->name, n ? "smtps" : "imaps", v,
			    comment_hint(v));
			return -1;
		}
		*ACCT_SEC(ps->acct, k) = mode;
		return 0;
	case KEY_TLS:
		if (strcmp(v, "1.0") == 0 || strcmp(v, "1.1") == 0 ||
		    strcmp(v, "1.2") == 0 || strcmp(v, "1.3") == 0) {
			*ACCT_INT(ps->acct, k) = 10 + (v[2] - '0');
			return 0;
		}
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: tls-min must be 1.0, "
		    "1.1, 1.2 or 1.3, not '%s'%s.", ps->path, ps->line, v,
		    strncasecmp(v, "ssl", 3) == 0 ? " (SSL 3.0 is broken and "
		    "not supported)" : comment_hint(v));
		return -1;
	case KEY_MAXCONN:
		if (parse_number(v, 1, 5, ACCT_INT(ps->acct, k)) == -1) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: max-connections "
			    "must be a number from 1 to 5, not '%s'%s.",
			    ps->path, ps->line, v, comment_hint(v));
			return -1;
		}
		return 0;
	case KEY_POLL:
		if (parse_number(v, MIN_POLL, MAX_POLL,
		    ACCT_INT(ps->acct, k)) == -1) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: poll-interval "
			    "must be a number of seconds from %d to %d, not "
			    "'%s'%s.", ps->path, ps->line, MIN_POLL, MAX_POLL,
			    v, comment_hint(v));
			return -1;
		}
		return 0;
	}
	return -1;
}

static int
parse_pair(struct parse *ps, char *line)
{
	char		*eq, *key, *value;
	size_t		 i;

	if ((eq = strchr(line, '=')) == NULL) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: expected 'key = value' "
		    "or a [section], not '%s'.", ps->path, ps->line, line);
		return -1;
	}
	*eq = '\0';
	key = mc_trim(line);
	value = mc_trim(eq + 1);
	if (*key == '\0') {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: a key is missing "
		    "before '='.", ps->path, ps->line);
		return -1;
	}
	if (ps->acct == NULL && !ps->in_ui) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: key '%s' is outside "
		    "any section; put it under [account NAME].", ps->path,
		    ps->line, key);
		return -1;
	}
	if (ps->in_ui) {
		if (strcmp(key, "theme") != 0) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: unknown key "
			    "'%s' in [ui].", ps->path, ps->line, key);
			return -1;
		}
		if (ps->theme_line != 0) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: duplicate key "
			    "'theme' in [ui] (first at line %d).", ps->path,
			    ps->line, ps->theme_line);
			return -1;
		}
		if (!name_ok(value)) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: theme must be a "
			    "name of letters, digits, '.', '_' and '-', not "
			    "'%s'.", ps->path, ps->line, value);
			return -1;
		}
		ps->theme_line = ps->line;
		ps->cfg->theme = xstrdup(value);
		return 0;
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, key) == 0)
			break;
	}
	if (i == NKEYS) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: unknown key '%s' in %s.",
		    ps->path, ps->line, key, section_name(ps));
		return -1;
	}
	if (ps->seen[i] != 0) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: duplicate key '%s' in "
		    "%s (first at line %d).", ps->path, ps->line, key,
		    section_name(ps), ps->seen[i]);
		return -1;
	}
	if (*value == '\0') {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: %s has no value; give "
		    "one or remove the line.", ps->path, ps->line, key);
		return -1;
	}
	if (!value_ok(value)) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: the value of %s "
		    "contains a control character.", ps->path, ps->line, key);
		return -1;
	}
	ps->seen[i] = ps->line;
	return set_key(ps, &keys[i], value);
}

static int
parse_section(struct parse *ps, char *line)
{
	char		*inner, *name;
	size_t		 len = strlen(line), i;
	struct account	*a;

	if (line[len - 1] != ']') {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: missing ']' at the end "
		    "of '%s'.", ps->path, ps->line, line);
		return -1;
	}
	line[len - 1] = '\0';
	inner = mc_trim(line + 1);
	memset(ps->seen, 0, sizeof ps->seen);
	ps->acct = NULL;
	ps->in_ui = 0;

	if (strcmp(inner, "ui") == 0) {
		if (ps->ui_line != 0) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: duplicate [ui] "
			    "(first at line %d).", ps->path, ps->line,
			    ps->ui_line);
			return -1;
		}
		ps->ui_line = ps->line;
		ps->in_ui = 1;
		return 0;
	}
	if (strncmp(inner, "account", 7) != 0 ||
	    (inner[7] != ' ' && inner[7] != '\t')) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: unknown section '[%s]'; "
		    "expected [account NAME] or [ui].", ps->path, ps->line,
		    inner);
		return -1;
	}
	name = mc_trim(inner + 7);
	if (!name_ok(name)) {
		mc_err_set(ps->err, MCE_CONFIG, "%s:%d: account name '%s' must "
		    "be 1 to 64 letters, digits, '.', '_' or '-' (it names "
		    "directories).", ps->path, ps->line, name);
		return -1;
	}
	for (i = 0; i < ps->nnames; i++) {
		if (strcmp(ps->names[i], name) == 0) {
			mc_err_set(ps->err, MCE_CONFIG, "%s:%d: duplicate "
			    "[account %s] (first at line %d).", ps->path,
			    ps->line, name, ps->name_lines[i]);
			return -1;
		}
	}
	ps->names = xrealloc(ps->names, (ps->nnames + 1) * sizeof *ps->names);
	ps->name_lines = xrealloc(ps->name_lines,
	    (ps->nnames + 1) * sizeof *ps->name_lines);
	ps->names[ps->nnames] = xstrdup(name);
	ps->name_lines[ps->nnames++] = ps->line;

	a = account_new(name);
	config_add(ps->cfg, a);
	ps->acct = a;
	return 0;
}

static int
parse_line(struct parse *ps, char *line)
{
	line = mc_trim(line);
	if (*line == '\0' || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return parse_section(ps, line);
	return parse_pair(ps, line);
}

int
config_load(const char *path, struct config **cfgp, struct mc_err *err)
{
	struct parse	 ps;
	struct config	*cfg;
	struct account	*a;
	struct mc_err	 rerr;
	char		*text, *line, *next;
	size_t		 len, i;
	int		 rc = 0;

	*cfgp = NULL;
	cfg = xcalloc(1, sizeof *cfg);
	cfg->path = path != NULL ? xstrdup(path) : config_default_path();
	if ((text = mc_read_file(cfg->path, &len, &rerr)) == NULL) {
		if (rerr.kind == MCE_NOTFOUND) {
			mc_err_clear(err);
			*cfgp = cfg;
			return 0;
		}
		if (err != NULL)
			*err = rerr;
		config_free(cfg);
		return -1;
	}

	memset(&ps, 0, sizeof ps);
	ps.path = cfg->path;
	ps.cfg = cfg;
	ps.err = err;
	line = text;
	/* A UTF-8 byte order mark from a Windows editor. */
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (rc == 0 && line != NULL && line < text + len) {
		ps.line++;
		if ((next = memchr(line, '\n', (size_t)(text + len - line))) !=
		    NULL)
			*next++ = '\0';
		if (next != NULL ? strlen(line) != (size_t)(next - line - 1) :
		    strlen(line) != (size_t)(text + len - line)) {
			mc_err_set(err, MCE_CONFIG, "%s:%d: the line contains "
			    "a NUL byte; is this a text file?", ps.path,
			    ps.line);
			rc = -1;
			break;
		}
		rc = parse_line(&ps, line);
		line = next;
	}
	for (i = 0; i < ps.nnames; i++)
		free(ps.names[i]);
	free(ps.names);
	free(ps.name_lines);
	free(text);
	if (rc == -1) {
		config_free(cfg);
		return -1;
	}
	for (a = cfg->accounts; a != NULL; a = a->next)
		account_defaults(a);
	*cfgp = cfg;
	return 0;
}

/* --- saving ------------------------------------------------------------ */

/*
 * A value that reads back the same and cannot break the file: no control
 * characters but tab, no blank at either end.
 */
static int
value_ok(const char *v)
{
	const unsigned char	*p;
	size_t			 len = strlen(v);

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	}
	if (len > 0 && (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' ||
	    v[len - 1] == '\t'))
		return 0;
	return 1;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Does key k of account a say something the defaults do not? */
static int
worth_writing(const struct account *a, const struct key *k)
{
	const char	*s, *user;
	char		*def, *leaf;
	int		 v, keep;

	switch (k->type) {
	case KEY_STRING:
	case KEY_HOST:
	case KEY_PATH:
		s = *ACCT_STR((struct account *)a, k);
		if (s == NULL || *s == '\0')
			return 0;
		if (strcmp(k->name, "imap-user") == 0)
			return !same(s, a->email);
		if (strcmp(k->name, "smtp-user") == 0) {
			user = a->imap_user != NULL ? a->imap_user : a->email;
			return !same(s, user);
		}
		if (strcmp(k->name, "folders") == 0)
			return strcmp(s, DEFAULT_FOLDERS) != 0;
		if (strcmp(k->name, "maildir") == 0 && name_ok(a->name)) {
			leaf = xasprintf("mail/%s", a->name);
			def = mc_xdg_path(MC_XDG_DATA, leaf);
			keep = strcmp(s, def) != 0;
			free(def);
			free(leaf);
			return keep;
		}
		return 1;
	case KEY_PORT:
		v = *ACCT_INT((struct account *)a, k);
		if (k->off == offsetof(struct account, imap_port))
			return v != 0 && v != sec_default_port(a->imap_sec, 0);
		return v != 0 && v != sec_default_port(a->smtp_sec, 1);
	case KEY_SEC_IMAP:
		return 1;
	case KEY_SEC_SMTP:
		return a->smtp_host != NULL || a->smtp_sec != SEC_TLS;
	case KEY_TLS:
		v = a->tls_min;
		return v != 0 && v != DEFAULT_TLS_MIN;
	case KEY_MAXCONN:
		v = a->max_connections;
		return v != 0 && v != DEFAULT_MAX_CONN;
	case KEY_POLL:
		v = a->poll_interval;
		return v != 0 && v != DEFAULT_POLL;
	}
	return 0;
}

static char *
format_value(const struct account *a, const struct key *k)
{
	int	v;

	switch (k->type) {
	case KEY_STRING:
	case KEY_HOST:
	case KEY_PATH:
		return xstrdup(*ACCT_STR((struct account *)a, k));
	case KEY_SEC_IMAP:
		return xstrdup(sec_mode_name(a->imap_sec, 0));
	case KEY_SEC_SMTP:
		return xstrdup(sec_mode_name(a->smtp_sec, 1));
	case KEY_TLS:
		return xasprintf("1.%d", a->tls_min - 10);
	default:
		v = *ACCT_INT((struct account *)a, k);
		return xasprintf("%d", v);
	}
}

/* Append one account to *out; -1 (err) when it cannot be written. */
static int
write_account(const struct account *a, char **out, struct mc_err *err)
{
	char	*v, *tmp;
	size_t	 i;

	if (!name_ok(a->name)) {
		mc_err_set(err, MCE_CONFIG, "Cannot save the account name '%s': "
		    "only letters, digits, '.', '_' and '-' are allowed.",
		    a->name);
		return -1;
	}
	tmp = xasprintf("%s\n[account %s]\n", *out, a->name);
	free(*out);
	*out = tmp;
	for (i = 0; i < NKEYS; i++) {
		if (!worth_writing(a, &keys[i]))
			continue;
		v = format_value(a, &keys[i]);
		if (!value_ok(v)) {
			mc_err_set(err, MCE_CONFIG, "Cannot save account '%s': "
			    "%s contains a control character or a line break, "
			    "or starts or ends with a blank.", a->name,
			    keys[i].name);
			free(v);
			return -1;
		}
		tmp = xasprintf("%s%-16s = %s\n", *out, keys[i].name, v);
		free(v);
		free(*out);
		*out = tmp;
	}
	return 0;
}

int
config_save(const struct config *cfg, struct mc_err *err)
{
	const struct account	*a;
	char			*out, *path, *dir, *slash, *tmp;
	int			 rc;

	path = cfg->path != NULL ? xstrdup(cfg->path) : config_default_path();
	out = xstrdup("# mailconn accounts \xe2\x80\x94 written by mailconn; "
	    "no secrets are stored here\n"
	    "# See mailconn.conf(5).  mailconn rewrites this file: "
	    "comments are not kept.\n");
	if (cfg->theme != NULL) {
		if (!name_ok(cfg->theme)) {
			mc_err_set(err, MCE_CONFIG, "Cannot save the theme "
			    "name '%s'.", cfg->theme);
			rc = -1;
			goto out;
		}
		tmp = xasprintf("%s\n[ui]\ntheme = %s\n", out, cfg->theme);
		free(out);
		out = tmp;
	}
	for (a = cfg->accounts; a != NULL; a = a->next) {
		if ((rc = write_account(a, &out, err)) == -1)
			goto out;
	}

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mc_mkdir_p(dir, 0700, err) == -1) {
			free(dir);
			rc = -1;
			goto out;
		}
	}
	free(dir);
	rc = mc_write_atomic(path, out, strlen(out), 0600, err);
out:
	free(out);
	free(path);
	return rc;
}

/*
 * certstore.c -- pinned certificates (known_certs) and the trust gate.
 *
 * The store is the file plus an in-memory copy.  Another mailconn (say
 * `mailconn certs trust` in a second terminal) may change the file while we
 * run, so every call first re-reads it when its identity (inode, size,
 * mtime) changed since we last read or wrote it.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certstore.h"
#include "log.h"

struct once_entry {
	char		*hostport;
	char		 leaf_sha256[65];
};

struct certstore {
	pthread_mutex_t	 mtx;
	char		*path;
	struct cert_pin **pins;
	size_t		 npins;
	struct once_entry *once;
	size_t		 nonce;
	/* What the file was when we last read or wrote it. */
	int		 have_stat;
	struct stat	 st;
};

static int	 store_parse(const char *, const char *, struct cert_pin ***,
		     size_t *, struct mc_err *);
static int	 store_load(struct certstore *, struct mc_err *);
static void	 store_refresh(struct certstore *);
static int	 store_save(struct certstore *, struct mc_err *);
static void	 pins_free(struct cert_pin **, size_t);
static struct cert_pin *pin_dup(const struct cert_pin *);
static ssize_t	 pin_find(struct certstore *, const char *);
static void	 fmt_fp(const char *, char *, size_t);
static void	 fmt_time(time_t, char *, size_t);

/* --- host:port ----------------------------------------------------------- */

char *
certstore_hostport(const char *host, int port)
{
	char	*s, *p;

	if (strchr(host, ':') != NULL && host[0] != '[')
		s = xasprintf("[%s]:%d", host, port);
	else
		s = xasprintf("%s:%d", host, port);
	/* DNS names are case-insensitive; one spelling per pin. */
	for (p = s; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	return s;
}

static int
parse_port(const char *s, int *port)
{
	char	*end;
	long	 v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* An IPv6 literal, with an optional %scope. */
static int
is_ipv6(const char *s)
{
	unsigned char	 a6[16];
	char		*copy, *pct;
	int		 ok;

	copy = xstrdup(s);
	if ((pct = strchr(copy, '%')) != NULL) {
		if (pct[1] == '\0') {
			free(copy);
			return 0;
		}
		*pct = '\0';
	}
	ok = inet_pton(AF_INET6, copy, a6) == 1;
	free(copy);
	return ok;
}

int
certstore_parse_hostport(const char *s, char **host, int *port,
    struct mc_err *err)
{
	const char	*close, *colon;
	char		*h;
	int		 p = 993;

	*host = NULL;
	if (s == NULL || *s == '\0') {
		mc_err_set(err, MCE_USAGE, "No server was given; expected "
		    "HOST:PORT.");
		return -1;
	}
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL || close == s + 1) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST:PORT: "
			    "the IPv6 address has no closing ']'.", s);
			return -1;
		}
		h = xstrndup(s + 1, close - s - 1);
		if (!is_ipv6(h)) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST:PORT: "
			    "'%s' is not an IPv6 address.", s, h);
			free(h);
			return -1;
		}
		if (close[1] == ':') {
			if (parse_port(close + 2, &p) == -1) {
				mc_err_set(err, MCE_USAGE, "'%s' is not "
				    "HOST:PORT: the port must be a number "
				    "from 1 to 65535.", s);
				free(h);
				return -1;
			}
		} else if (close[1] != '\0') {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST:PORT: "
			    "unexpected text after ']'.", s);
			free(h);
			return -1;
		}
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		/* Two colons and no brackets: a bare IPv6 address. */
		if (!is_ipv6(s)) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST:PORT "
			    "(write an IPv6 address in brackets: "
			    "[::1]:993).", s);
			return -1;
		}
		h = xstrdup(s);
	} else if (colon != NULL) {
		if (colon == s) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST:PORT: "
			    "the host is missing.", s);
			return -1;
		}
		if (parse_port(colon + 1, &p) == -1) {
			mc_err_set(err, MCE_USAGE, "'%s' is not HOST:PORT: "
			    "the port must be a number from 1 to 65535.", s);
			return -1;
		}
		h = xstrndup(s, colon - s);
	} else
		h = xstrdup(s);
	if (strpbrk(h, " \t\r\n/@") != NULL) {
		mc_err_set(err, MCE_USAGE, "'%s' is not a server name.", h);
		free(h);
		return -1;
	}
	*host = h;
	*port = p;
	return 0;
}

/* --- pins ---------------------------------------------------------------- */

void
cert_pin_free(struct cert_pin *pin)
{
	if (pin == NULL)
		return;
	free(pin->hostport);
	free(pin->subject);
	free(pin);
}

static struct cert_pin *
pin_dup(const struct cert_pin *pin)
{
	struct cert_pin	*p;

	p = xcalloc(1, sizeof *p);
	*p = *pin;
	p->hostport = xstrdup(pin->hostport);
	p->subject = xstrdup(pin->subject != NULL ? pin->subject : "");
	return p;
}

static void
pins_free(struct cert_pin **pins, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		cert_pin_free(pins[i]);
	free(pins);
}

static ssize_t
pin_find(struct certstore *cs, const char *hostport)
{
	size_t	 i;

	for (i = 0; i < cs->npins; i++) {
		if (strcmp(cs->pins[i]->hostport, hostport) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* 64 hex digits, normalised to lower case in place. */
static int
is_sha256_hex(char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return 0;
		s[i] = tolower((unsigned char)s[i]);
	}
	return i == 64;
}

/* Next white-space separated field of *p, NUL-terminated in place. */
static char *
next_field(char **p)
{
	char	*s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	start = s;
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return start;
}

static int
store_parse(const char *path, const char *text, struct cert_pin ***pinsp,
    size_t *npinsp, struct mc_err *err)
{
	struct cert_pin	**pins = NULL, *pin;
	size_t		  npins = 0, i;
	char		 *copy, *line, *next, *p, *hp, *spki, *leaf, *when;
	char		 *host, *norm;
	struct tm	  tm;
	const char	 *end;
	int		  lineno, port;
	struct mc_err	  perr;

	copy = xstrdup(text);
	for (line = copy, lineno = 1; line != NULL; line = next, lineno++) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else if (*line == '\0')
			break;
		mc_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		p = line;
		hp = next_field(&p);
		spki = next_field(&p);
		leaf = next_field(&p);
		when = next_field(&p);
		if (when == NULL) {
			mc_err_set(err, MCE_CONFIG, "%s:%d: expected \"host:port "
			    "KEY-SHA256 CERT-SHA256 YYYY-MM-DDTHH:MM:SSZ "
			    "subject\".", path, lineno);
			goto fail;
		}
		if (certstore_parse_hostport(hp, &host, &port, &perr) == -1 ||
		    (hp[0] == '[' ? strstr(hp, "]:") == NULL :
		    strchr(hp, ':') == NULL)) {
			if (host == NULL)
				mc_err_set(err, MCE_CONFIG, "%s:%d: %s", path,
				    lineno, perr.msg);
			else
				mc_err_set(err, MCE_CONFIG, "%s:%d: '%s' has "
				    "no port.", path, lineno, hp);
			free(host);
			goto fail;
		}
		if (!is_sha256_hex(spki)) {
			mc_err_set(err, MCE_CONFIG, "%s:%d: the key fingerprint "
			    "'%s' is not 64 hex digits.", path, lineno, spki);
			free(host);
			goto fail;
		}
		if (!is_sha256_hex(leaf)) {
			mc_err_set(err, MCE_CONFIG, "%s:%d: the certificate "
			    "fingerprint '%s' is not 64 hex digits.", path,
			    lineno, leaf);
			free(host);
			goto fail;
		}
		memset(&tm, 0, sizeof tm);
		end = strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (end == NULL || *end != '\0' || strlen(when) != 20) {
			mc_err_set(err, MCE_CONFIG, "%s:%d: '%s' is not a time "
			    "like 2024-01-31T12:00:00Z.", path, lineno, when);
			free(host);
			goto fail;
		}
		norm = certstore_hostport(host, port);
		free(host);
		for (i = 0; i < npins; i++) {
			if (strcmp(pins[i]->hostport, norm) == 0) {
				mc_err_set(err, MCE_CONFIG, "%s:%d: %s is "
				    "pinned twice.", path, lineno, norm);
				free(norm);
				goto fail;
			}
		}
		pin = xcalloc(1, sizeof *pin);
		pin->hostport = norm;
		memcpy(pin->spki_sha256, spki, 65);
		memcpy(pin->leaf_sha256, leaf, 65);
		pin->when = timegm(&tm);
		while (*p == ' ' || *p == '\t')
			p++;
		pin->subject = xstrdup(p);
		pins = xrealloc(pins, (npins + 1) * sizeof *pins);
		pins[npins++] = pin;
	}
	free(copy);
	*pinsp = pins;
	*npinsp = npins;
	return 0;

fail:
	free(copy);
	pins_free(pins, npins);
	return -1;
}

static int
store_load(struct certstore *cs, struct mc_err *err)
{
	struct cert_pin	**pins;
	struct mc_err	  rerr;
	struct stat	  st;
	size_t		  npins;
	char		 *text;

	if (stat(cs->path, &st) == -1) {
		if (errno != ENOENT) {
			mc_err_set(err, MCE_IO, "Cannot read %s: %s.",
			    cs->path, strerror(errno));
			return -1;
		}
		pins_free(cs->pins, cs->npins);
		cs->pins = NULL;
		cs->npins = 0;
		cs->have_stat = 0;
		return 0;
	}
	if ((text = mc_read_file(cs->path, NULL, &rerr)) == NULL) {
		if (rerr.kind == MCE_NOTFOUND) {
			pins_free(cs->pins, cs->npins);
			cs->pins = NULL;
			cs->npins = 0;
			cs->have_stat = 0;
			return 0;
		}
		*err = rerr;
		return -1;
	}
	if (store_parse(cs->path, text, &pins, &npins, err) == -1) {
		free(text);
		return -1;
	}
	free(text);
	pins_free(cs->pins, cs->npins);
	cs->pins = pins;
	cs->npins = npins;
	cs->st = st;
	cs->have_stat = 1;
	return 0;
}

/* Re-read the file if someone else changed it; keep what we have if bad. */
static void
store_refresh(struct certstore *cs)
{
	struct stat	 st;
	struct mc_err	 err;
	int		 exists;

	exists = stat(cs->path, &st) == 0;
	if (!exists && !cs->have_stat)
		return;
	if (exists && cs->have_stat && st.st_ino == cs->st.st_ino &&
	    st.st_dev == cs->st.st_dev && st.st_size == cs->st.st_size &&
	    st.st_mtim.tv_sec == cs->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cs->st.st_mtim.tv_nsec)
		return;
	if (store_load(cs, &err) == -1)
		log_warn("%s (keeping the pins read before)", err.msg);
}

static int
store_save(struct certstore *cs, struct mc_err *err)
{
	char		*buf, *line, *dir, *slash, when[32];
	size_t		 len, i;
	struct stat	 st;

	buf = xstrdup("# mailconn pinned certificates: host:port "
	    "KEY-SHA256 CERT-SHA256 pinned-at subject\n");
	len = strlen(buf);
	for (i = 0; i < cs->npins; i++) {
		fmt_time(cs->pins[i]->when, when, sizeof when);
		line = xasprintf("%s %s %s %s %s\n", cs->pins[i]->hostport,
		    cs->pins[i]->spki_sha256, cs->pins[i]->leaf_sha256, when,
		    cs->pins[i]->subject);
		buf = xrealloc(buf, len + strlen(line) + 1);
		memcpy(buf + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	dir = xstrdup(cs->path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mc_mkdir_p(dir, 0700, err) == -1) {
			free(dir);
			free(buf);
			return -1;
		}
	}
	free(dir);
	if (mc_write_atomic(cs->path, buf, len, 0600, err) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	if (stat(cs->path, &st) == 0) {
		cs->st = st;
		cs->have_stat = 1;
	}
	return 0;
}

/* --- the store ----------------------------------------------------------- */

int
certstore_open(const char *path, struct certstore **out,
    struct mc_err *err)
{
	struct certstore	*cs;

	*out = NULL;
	cs = xcalloc(1, sizeof *cs);
	pthread_mutex_init(&cs->mtx, NULL);
	cs->path = path != NULL ? xstrdup(path) :
	    mc_xdg_path(MC_XDG_DATA, "known_certs");
	if (cs->path == NULL) {
		mc_err_set(err, MCE_IO, "Cannot find the data directory: "
		    "neither $XDG_DATA_HOME nor $HOME is set.");
		certstore_free(cs);
		return -1;
	}
	if (store_load(cs, err) == -1) {
		certstore_free(cs);
		return -1;
	}
	*out = cs;
	return 0;
}

void
certstore_free(struct certstore *cs)
{
	size_t	 i;

	if (cs == NULL)
		return;
	pins_free(cs->pins, cs->npins);
	for (i = 0; i < cs->nonce; i++)
		free(cs->once[i].hostport);
	free(cs->once);
	free(cs->path);
	pthread_mutex_destroy(&cs->mtx);
	free(cs);
}

const char *
certstore_path(const struct certstore *cs)
{
	return cs->path;
}

static int
once_has(struct certstore *cs, const char *hostport, const char *leaf)
{
	size_t	 i;

	for (i = 0; i < cs->nonce; i++) {
		if (strcmp(cs->once[i].hostport, hostport) == 0 &&
		    strcmp(cs->once[i].leaf_sha256, leaf) == 0)
			return 1;
	}
	return 0;
}

enum cert_verdict
certstore_verdict(struct certstore *cs, const char *host, int port,
    const struct cert_info *ci, struct cert_pin **old)
{
	struct cert_pin		*pin;
	struct mc_err		 err;
	enum cert_verdict	 v;
	ssize_t			 idx;
	char			*hp;

	if (old != NULL)
		*old = NULL;
	if (ci->nproblems == 0)
		return CERT_VERIFIED;
	if (cs == NULL)
		return CERT_UNTRUSTED;
	hp = certstore_hostport(host, port);
	pthread_mutex_lock(&cs->mtx);
	store_refresh(cs);
	idx = pin_find(cs, hp);
	pin = idx >= 0 ? cs->pins[idx] : NULL;
	if (pin != NULL && strcmp(pin->spki_sha256, ci->spki_sha256) == 0) {
		v = CERT_PINNED;
		if (strcmp(pin->leaf_sha256, ci->leaf_sha256) != 0) {
			/* Renewed with the same key: follow it. */
			memcpy(pin->leaf_sha256, ci->leaf_sha256, 65);
			free(pin->subject);
			pin->subject = xstrdup(ci->subject != NULL ?
			    ci->subject : "");
			mc_sanitize(pin->subject);
			pin->when = time(NULL);
			if (store_save(cs, &err) == -1)
				log_warn("certificate for %s renewed, same "
				    "key, but the pin could not be updated: %s",
				    hp, err.msg);
			else
				log_info("certificate for %s renewed, same "
				    "key; pin updated", hp);
		}
	} else if (once_has(cs, hp, ci->leaf_sha256))
		v = CERT_ACCEPTED_ONCE;
	else if (pin != NULL) {
		v = CERT_CHANGED;
		if (old != NULL)
			*old = pin_dup(pin);
	} else
		v = CERT_UNTRUSTED;
	pthread_mutex_unlock(&cs->mtx);
	free(hp);
	return v;
}

int
certstore_pin(struct certstore *cs, const char *host, int port,
    const struct cert_info *ci, struct mc_err *err)
{
	struct cert_pin	*pin, *prev = NULL;
	ssize_t		 idx;
	char		*hp;
	int		 rc;

	if (strlen(ci->spki_sha256) != 64 || strlen(ci->leaf_sha256) != 64) {
		mc_err_set(err, MCE_USAGE, "The certificate of %s:%d has no "
		    "fingerprint to pin.", host, port);
		return -1;
	}
	hp = certstore_hostport(host, port);
	pin = xcalloc(1, sizeof *pin);
	pin->hostport = hp;
	memcpy(pin->spki_sha256, ci->spki_sha256, 65);
	memcpy(pin->leaf_sha256, ci->leaf_sha256, 65);
	pin->when = time(NULL);
	pin->subject = xstrdup(ci->subject != NULL ? ci->subject : "");
	mc_sanitize(pin->subject);

	pthread_mutex_lock(&cs->mtx);
	store_refresh(cs);
	if ((idx = pin_find(cs, hp)) >= 0) {
		prev = cs->pins[idx];
		cs->pins[idx] = pin;
	} else {
		cs->pins = xrealloc(cs->pins, (cs->npins + 1) *
		    sizeof *cs->pins);
		cs->pins[cs->npins++] = pin;
	}
	rc = store_save(cs, err);
	if (rc == -1) {
		/* Keep memory as the file is. */
		if (prev != NULL)
			cs->pins[idx] = prev;
		else
			cs->npins--;
		cert_pin_free(pin);
	} else {
		cert_pin_free(prev);
		log_info("pinned the certificate key of %s (%s)",
		    pin->hostport, pin->subject);
	}
	pthread_mutex_unlock(&cs->mtx);
	return rc;
}

int
certstore_forget(struct certstore *cs, const char *host, int port,
    struct mc_err *err)
{
	struct cert_pin	*pin;
	ssize_t		 idx;
	size_t		 i;
	char		*hp;
	int		 rc;

	hp = certstore_hostport(host, port);
	pthread_mutex_lock(&cs->mtx);
	store_refresh(cs);
	if ((idx = pin_find(cs, hp)) < 0) {
		pthread_mutex_unlock(&cs->mtx);
		mc_err_set(err, MCE_NOTFOUND, "No certificate is pinned for "
		    "%s.", hp);
		free(hp);
		return -1;
	}
	pin = cs->pins[idx];
	for (i = (size_t)idx; i + 1 < cs->npins; i++)
		cs->pins[i] = cs->pins[i + 1];
	cs->npins--;
	rc = store_save(cs, err);
	if (rc == -1) {
		for (i = cs->npins; i > (size_t)idx; i--)
			cs->pins[i] = cs->pins[i - 1];
		cs->pins[idx] = pin;
		cs->npins++;
	} else {
		cert_pin_free(pin);
		log_info("forgot the pinned certificate of %s", hp);
	}
	/* Forgetting also forgets "accept once" for it. */
	for (i = 0; rc == 0 && i < cs->nonce; i++) {
		if (strcmp(cs->once[i].hostport, hp) == 0) {
			free(cs->once[i].hostport);
			cs->once[i] = cs->once[--cs->nonce];
			i--;
		}
	}
	pthread_mutex_unlock(&cs->mtx);
	free(hp);
	return rc;
}

void
certstore_accept_once(struct certstore *cs, const char *host, int port,
    const struct cert_info *ci)
{
	char	*hp;

	hp = certstore_hostport(host, port);
	pthread_mutex_lock(&cs->mtx);
	if (once_has(cs, hp, ci->leaf_sha256)) {
		pthread_mutex_unlock(&cs->mtx);
		free(hp);
		return;
	}
	cs->once = xrealloc(cs->once, (cs->nonce + 1) * sizeof *cs->once);
	cs->once[cs->nonce].hostport = hp;
	memcpy(cs->once[cs->nonce].leaf_sha256, ci->leaf_sha256, 65);
	cs->nonce++;
	pthread_mutex_unlock(&cs->mtx);
}

size_t
certstore_list(struct certstore *cs, struct cert_pin ***out)
{
	size_t	 i, n;

	pthread_mutex_lock(&cs->mtx);
	store_refresh(cs);
	n = cs->npins;
	*out = xcalloc(n > 0 ? n : 1, sizeof **out);
	for (i = 0; i < n; i++)
		(*out)[i] = pin_dup(cs->pins[i]);
	pthread_mutex_unlock(&cs->mtx);
	return n;
}

/* --- the gate ------------------------------------------------------------ */

/* "AB:CD:..." from lower-case hex. */
static void
fmt_fp(const char *hex, char *out, size_t outsz)
{
	size_t	 i, o = 0;

	for (i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2) {
		if (o + 3 >= outsz)
			break;
		if (i > 0)
			out[o++] = ':';
		out[o++] = toupper((unsigned char)hex[i]);
		out[o++] = toupper((unsigned char)hex[i + 1]);
	}
	out[o] = '\0';
}

static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

static void
fmt_when(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

/* The problems joined by "; ", for one-line messages. */
static char *
problems_line(const struct cert_info *ci)
{
	char	*s, *t;
	size_t	 i;

	if (ci->nproblems == 0)
		return xstrdup("no problem found");
	s = xstrdup(ci->problems[0].text);
	for (i = 1; i < ci->nproblems; i++) {
		t = xasprintf("%s; %s", s, ci->problems[i].text);
		free(s);
		s = t;
	}
	return s;
}

/* The `certs trust` flags that reach the same service again. */
static const char *
trust_flags_proto(const char *proto)
{
	return proto != NULL && strcmp(proto, "smtp") == 0 ? " --smtp" : "";
}

int
trust_gate(const struct trust_ctx *tc, const char *proto,
    const struct net_conn *conn, enum cert_verdict *how, struct mc_err *err)
{
	struct trust_request	 req;
	struct cert_pin		*old = NULL;
	struct mc_err		 perr;
	enum cert_verdict	 v;
	enum trust_answer	 ans;
	char			*hp, *probs, oldfp[100], newfp[100], when[32];
	int			 rc = -1;

	if (conn == NULL || conn->cert == NULL) {
		mc_err_set(err, MCE_INSECURE, "There is no TLS session with "
		    "%s:%d whose certificate could be checked.",
		    conn != NULL ? conn->host : "the server",
		    conn != NULL ? conn->port : 0);
		return -1;
	}
	v = certstore_verdict(tc != NULL ? tc->store : NULL, conn->host,
	    conn->port, conn->cert, &old);
	if (v == CERT_VERIFIED || v == CERT_PINNED ||
	    v == CERT_ACCEPTED_ONCE) {
		if (how != NULL)
			*how = v;
		return 0;
	}

	hp = certstore_hostport(conn->host, conn->port);
	probs = problems_line(conn->cert);
	if (tc != NULL && tc->prompt != NULL) {
		memset(&req, 0, sizeof req);
		req.account = tc->account;
		req.proto = proto;
		req.host = conn->host;
		req.port = conn->port;
		req.cert = conn->cert;
		req.verdict = v;
		req.old = old;
		/* No lock held here: the person may take minutes. */
		ans = tc->prompt(&req, tc->arg);
		switch (ans) {
		case TRUST_ACCEPT_ALWAYS:
			if (tc->store != NULL && certstore_pin(tc->store,
			    conn->host, conn->port, conn->cert, &perr) == 0) {
				if (how != NULL)
					*how = CERT_PINNED;
				rc = 0;
				break;
			}
			log_warn("Cannot pin the certificate of %s: %s; "
			    "accepting it for this session only.", hp,
			    tc->store != NULL ? perr.msg : "no store");
			/* FALLTHROUGH */
		case TRUST_ACCEPT_ONCE:
			if (tc->store != NULL)
				certstore_accept_once(tc->store, conn->host,
				    conn->port, conn->cert);
			if (how != NULL)
				*how = CERT_ACCEPTED_ONCE;
			rc = 0;
			break;
		case TRUST_REJECT:
		default:
			if (v == CERT_CHANGED)
				mc_err_set(err, MCE_CERT_CHANGED, "The "
				    "CHANGED certificate of %s was rejected.",
				    hp);
			else
				mc_err_set(err, MCE_CERT_REJECTED, "The "
				    "certificate of %s was rejected (%s).", hp,
				    probs);
			break;
		}
		if (rc == 0)
			log_info("certificate of %s accepted %s (%s)", hp,
			    how != NULL && *how == CERT_PINNED ? "always" :
			    "once", probs);
	} else if (v == CERT_CHANGED) {
		fmt_fp(old->spki_sha256, oldfp, sizeof oldfp);
		fmt_fp(conn->cert->spki_sha256, newfp, sizeof newfp);
		fmt_when(old->when, when, sizeof when);
		mc_err_set(err, MCE_CERT_CHANGED, "CERTIFICATE CHANGED for %s "
		    "since pinned on %s: key %s was pinned, the server now "
		    "shows key %s. If you expected this, run: mailconn certs "
		    "forget %s, then: mailconn certs trust %s%s%s", hp, when,
		    oldfp, newfp, hp, hp, trust_flags_proto(proto),
		    conn->starttls ? " --starttls" : "");
	} else
		mc_err_set(err, MCE_CERT_UNTRUSTED, "The certificate of %s is "
		    "not trusted (%s); to trust it, run: mailconn certs trust "
		    "%s%s%s", hp, probs, hp, trust_flags_proto(proto),
		    conn->starttls ? " --starttls" : "");
	cert_pin_free(old);
	free(probs);
	free(hp);
	return rc;
}

struct net_conn *
trust_connect(const struct endpoint *ep, const char *proto,
    const struct trust_ctx *tc, struct net_probe *probe, long long *connect_ms,
    long long *tls_ms, enum cert_verdict *how, struct mc_err *err)
{
	struct net_conn	*conn;
	long long	 t = mc_now_ms();

	conn = net_connect(ep, probe, err);
	*connect_ms = mc_now_ms() - t;
	if (conn == NULL || ep->sec != SEC_TLS)
		return conn;
	t = mc_now_ms();
	if (net_tls_handshake(conn, ep, err) != 0) {
		net_close(conn);
		return NULL;
	}
	*tls_ms = mc_now_ms() - t;
	/* Nothing has been read or sent yet: judge the certificate first. */
	if (trust_gate(tc, proto, conn, how, err) != 0) {
		net_close(conn);
		return NULL;
	}
	return conn;
}

/* --- the report ---------------------------------------------------------- */

static void
cat(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cat(char **buf, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *t;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	t = xasprintf("%s%s", *buf, s);
	free(s);
	free(*buf);
	*buf = t;
}

char *
cert_report_text(const struct trust_request *req)
{
	const struct cert_info	*ci = req->cert;
	char			*s, *hp, *what, fp[100], t1[32], t2[32];
	size_t			 i;

	hp = certstore_hostport(req->host, req->port);
	/* " (imap, account work)" */
	if (req->proto != NULL && req->account != NULL)
		what = xasprintf(" (%s, account %s)", req->proto,
		    req->account);
	else if (req->proto != NULL || req->account != NULL)
		what = xasprintf(" (%s)", req->proto != NULL ? req->proto :
		    req->account);
	else
		what = xstrdup("");
	s = xstrdup("");
	if (req->verdict == CERT_CHANGED && req->old != NULL) {
		fmt_when(req->old->when, t1, sizeof t1);
		cat(&s, "WARNING: CERTIFICATE CHANGED since pinned on %s\n",
		    t1);
		cat(&s, "The server %s%s now shows a different key than the "
		    "one you accepted.\nSomeone may be intercepting the "
		    "connection, or the server got a new key.\n", hp, what);
		fmt_fp(req->old->spki_sha256, fp, sizeof fp);
		cat(&s, "  Pinned key SHA-256:  %s\n", fp);
		fmt_fp(ci->spki_sha256, fp, sizeof fp);
		cat(&s, "  Key now SHA-256:     %s\n", fp);
		if (req->old->subject != NULL && *req->old->subject != '\0')
			cat(&s, "  Pinned subject:      %s\n",
			    req->old->subject);
	} else
		cat(&s, "The certificate of %s%s is not trusted.\n", hp,
		    what);
	if (ci->nproblems > 0) {
		cat(&s, "What is wrong:\n");
		for (i = 0; i < ci->nproblems; i++)
			cat(&s, "  - %s\n", ci->problems[i].text);
	}
	if (ci->name_by_cn_only)
		cat(&s, "  (the name matched only the Common Name; the "
		    "certificate lists no matching subjectAltName)\n");
	cat(&s, "Subject:      %s\n", ci->subject != NULL ? ci->subject : "");
	cat(&s, "Issuer:       %s\n", ci->issuer != NULL ? ci->issuer : "");
	if (ci->self_signed)
		cat(&s, "              (self-signed: issued by itself)\n");
	cat(&s, "Names:        ");
	if (ci->nsans == 0)
		cat(&s, "none (Common Name: %s)\n", ci->common_name != NULL ?
		    ci->common_name : "none");
	for (i = 0; i < ci->nsans; i++)
		cat(&s, "%s%s", ci->sans[i], i + 1 < ci->nsans ? ", " : "\n");
	fmt_when(ci->not_before, t1, sizeof t1);
	fmt_when(ci->not_after, t2, sizeof t2);
	cat(&s, "Valid:        %s to %s\n", t1, t2);
	fmt_fp(ci->leaf_sha256, fp, sizeof fp);
	cat(&s, "SHA-256:      %s\n", fp);
	fmt_fp(ci->spki_sha256, fp, sizeof fp);
	cat(&s, "Key SHA-256:  %s\n", fp);
	if (ci->nchain > 0) {
		cat(&s, "Chain sent by the server:\n");
		for (i = 0; i < ci->nchain; i++)
			cat(&s, "  %zu %s\n", i, ci->chain[i]);
	}
	free(what);
	free(hp);
	return s;
}

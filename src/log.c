/*
 * log.c -- the log file and redacted protocol traces.
 *
 * A line is "2026-11-28T02:40:00Z LEVEL message" in UTC.  One mutex guards
 * everything, so lines from engine threads never interleave.  Messages are
 * stripped of control characters: a server cannot forge log lines or send
 * escape sequences to whoever reads the log on a terminal.
 *
 * Redaction (log_redact) looks at every client line, whether or not
 * libetpan marked it private:
 *   TAG LOGIN ...                   -> TAG LOGIN <redacted>
 *   TAG AUTHENTICATE MECH [ir]      -> TAG AUTHENTICATE MECH <redacted>
 *   AUTH MECH [ir]                  -> AUTH MECH <redacted>     (SMTP)
 * and after AUTHENTICATE, AUTH, or a LOGIN line ending in a literal
 * ("{5}") or without arguments, every client line is SASL data (or the rest of the LOGIN) and
 * becomes "<redacted>" until the server sends a line that is not a
 * continuation ("+ " in IMAP, "334 " in SMTP) nor untagged ("* ").
 * A private line of any other shape, and a client line that is a single
 * base64 token other than a known bare command (DONE, QUIT, DATA, ...),
 * are redacted whole: it costs a little trace detail and cannot leak.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_TRACE_MAX	1024	/* bytes of one trace line kept */
#define LOG_SASL_SLOTS	4	/* connections traced per thread */

static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;
static int		 log_fd = -1;
static int		 log_debug;
static int		 log_stderr;
static enum mc_log_level log_stderr_level = MC_LOG_WARN;
static log_sink_fn	 log_sink;
static void		*log_sink_arg;

/*
 * SASL state per connection.  Each connection slot runs on its own thread
 * and one thread may hold an IMAP and an SMTP session at once, so the
 * state is kept per thread and per "proto peer".
 */
struct sasl_slot {
	char	key[128];
	int	state;
};
static _Thread_local struct sasl_slot	sasl_slots[LOG_SASL_SLOTS];
static _Thread_local unsigned		sasl_next;

static const char *level_name(enum mc_log_level);
static void	 emit(enum mc_log_level, const char *, const char *);
static int	*sasl_state_for(const char *, const char *);
static int	 is_auth_command(const char *, size_t);

static const char *
level_name(enum mc_log_level level)
{
	switch (level) {
	case MC_LOG_ERROR:
		return "ERROR";
	case MC_LOG_WARN:
		return "WARN";
	case MC_LOG_INFO:
		return "INFO";
	case MC_LOG_DEBUG:
		return "DEBUG";
	}
	return "?";
}

int
log_open(const char *path, int debug, struct mc_err *err)
{
	char	*def = NULL, *dir, *slash;
	int	 fd, saved;

	if (path == NULL)
		path = def = mc_xdg_path(MC_XDG_STATE, "mailconn.log");
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mc_mkdir_p(dir, 0700, err) == -1) {
			free(dir);
			free(def);
			return -1;
		}
	}
	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	/* An old file with a wider mode is narrowed: traces are private. */
	if (fd == -1 || fchmod(fd, 0600) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		mc_err_set(err, MCE_IO, "Cannot open the log file %s: %s.",
		    path, strerror(saved));
		free(def);
		return -1;
	}
	free(def);

	pthread_mutex_lock(&log_mtx);
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	log_debug = debug;
	pthread_mutex_unlock(&log_mtx);
	return 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_mtx);
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	log_debug = 0;
	pthread_mutex_unlock(&log_mtx);
}

int
log_debug_enabled(void)
{
	int	debug;

	pthread_mutex_lock(&log_mtx);
	debug = log_debug;
	pthread_mutex_unlock(&log_mtx);
	return debug;
}

void
log_set_stderr(int enabled, enum mc_log_level level)
{
	pthread_mutex_lock(&log_mtx);
	log_stderr = enabled;
	log_stderr_level = level;
	pthread_mutex_unlock(&log_mtx);
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&log_mtx);
	log_sink = fn;
	log_sink_arg = arg;
	pthread_mutex_unlock(&log_mtx);
}

/*
 * Write one line (already sanitised) everywhere it goes.  label is the
 * level word in the file ("TRACE" for traces).  Called with the mutex held.
 * The file gets "TIME LABEL msg"; stderr, meant for a person at the
 * command line, gets "mailconn: msg" (with "error:"/"warning:" in front
 * of msg where it applies); the sink gets the file's line without '\n'.
 */
static void
emit(enum mc_log_level level, const char *label, const char *msg)
{
	char		 stamp[32], *line;
	const char	*prefix;
	struct tm	 tm;
	time_t		 now;
	int		 n;

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	line = xasprintf("%s %s %s\n", stamp, label, msg);
	n = (int)strlen(line);
	if (log_fd != -1 && write(log_fd, line, (size_t)n) == -1) {
		/* Nowhere to report it; the line is lost. */
	}
	if (log_stderr && level <= log_stderr_level) {
		prefix = level == MC_LOG_ERROR ? "error: " :
		    level == MC_LOG_WARN ? "warning: " : "";
		fprintf(stderr, "mailconn: %s%s\n", prefix, msg);
	}
	if (log_sink != NULL) {
		line[n - 1] = '\0';
		log_sink(level, line, log_sink_arg);
	}
	free(line);
}

void
log_msg(enum mc_log_level level, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	pthread_mutex_lock(&log_mtx);
	if (level == MC_LOG_DEBUG && !log_debug) {
		pthread_mutex_unlock(&log_mtx);
		return;
	}
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	mc_sanitize(msg);
	emit(level, level_name(level), msg);
	pthread_mutex_unlock(&log_mtx);
	free(msg);
}

/* --- protocol traces --------------------------------------------------- */

static int *
sasl_state_for(const char *proto, const char *peer)
{
	char		 key[sizeof sasl_slots[0].key];
	unsigned	 i;

	snprintf(key, sizeof key, "%s %s", proto, peer);
	for (i = 0; i < LOG_SASL_SLOTS; i++) {
		if (strcmp(sasl_slots[i].key, key) == 0)
			return &sasl_slots[i].state;
	}
	i = sasl_next++ % LOG_SASL_SLOTS;
	memcpy(sasl_slots[i].key, key, sizeof key);
	sasl_slots[i].state = 0;
	return &sasl_slots[i].state;
}

void
log_trace(const char *proto, const char *peer, int sent, int private_,
    const char *buf, size_t len)
{
	char		 out[LOG_TRACE_MAX], *msg;
	const char	*p, *end, *nl;
	int		*state;

	if (!log_debug_enabled() || buf == NULL)
		return;
	if (proto == NULL)
		proto = "?";
	if (peer == NULL)
		peer = "?";
	state = sasl_state_for(proto, peer);
	p = buf;
	end = buf + len;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		log_redact(p, (size_t)(nl - p), sent, private_, state,
		    out, sizeof out);
		/* A command cut between two writes: the rest of it comes
		 * in the next chunk and must not be shown either. */
		if (sent && nl == end && is_auth_command(p, (size_t)(nl - p)))
			*state = 1;
		msg = xasprintf("%s %s %s %s", proto, peer, sent ? "C:" : "S:",
		    out);
		mc_sanitize(msg);
		pthread_mutex_lock(&log_mtx);
		emit(MC_LOG_DEBUG, "TRACE", msg);
		pthread_mutex_unlock(&log_mtx);
		free(msg);
		if (nl == end)
			break;
		p = nl + 1;
	}
}

/* Word i (0-based) of line: start and length, or 0 when there is none. */
static int
word_at(const char *line, size_t len, int i, size_t *start, size_t *wlen)
{
	size_t	p = 0, s;

	for (;;) {
		while (p < len && line[p] == ' ')
			p++;
		if (p == len)
			return 0;
		s = p;
		while (p < len && line[p] != ' ')
			p++;
		if (i-- == 0) {
			*start = s;
			*wlen = p - s;
			return 1;
		}
	}
}

static int
word_is(const char *line, size_t len, int i, const char *word)
{
	size_t	s, n;

	if (!word_at(line, len, i, &s, &n))
		return 0;
	return n == strlen(word) && strncasecmp(line + s, word, n) == 0;
}

/* A line that is one base64 token (SASL data) and not a bare command. */
static int
looks_like_sasl(const char *line, size_t len)
{
	static const char	*bare[] = {
		"DONE", "QUIT", "DATA", "NOOP", "RSET", "STARTTLS", "HELP",
		"LOGOUT", "CAPABILITY", "IDLE", NULL,
	};
	size_t			 i;
	unsigned char		 c;

	if (len < 4)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '='))
			return 0;
	}
	for (i = 0; bare[i] != NULL; i++) {
		if (len == strlen(bare[i]) &&
		    strncasecmp(line, bare[i], len) == 0)
			return 0;
	}
	return 1;
}

/* Copy n bytes of src into out (NULs and control characters -> '?'). */
static void
copy_clean(char *out, size_t outsz, const char *src, size_t n)
{
	size_t	i;

	if (outsz == 0)
		return;
	if (n > outsz - 1)
		n = outsz - 1;
	for (i = 0; i < n; i++)
		out[i] = src[i] == '\0' ? '?' : src[i];
	out[n] = '\0';
	mc_sanitize(out);
}

/* Keep the first `keep` words; anything after them becomes <redacted>. */
static void
keep_words(const char *line, size_t len, int keep, char *out, size_t outsz)
{
	size_t	s, n, used;

	if (!word_at(line, len, keep - 1, &s, &n)) {
		copy_clean(out, outsz, line, len);
		return;
	}
	copy_clean(out, outsz, line, s + n);
	if (word_at(line, len, keep, &s, &n)) {
		used = strlen(out);
		if (used < outsz)
			snprintf(out + used, outsz - used, " <redacted>");
	}
}

/* AUTH (SMTP), TAG LOGIN or TAG AUTHENTICATE (IMAP). */
static int
is_auth_command(const char *line, size_t len)
{
	return word_is(line, len, 0, "AUTH") ||
	    word_is(line, len, 1, "LOGIN") ||
	    word_is(line, len, 1, "AUTHENTICATE");
}

static int
is_continuation(const char *line, size_t len)
{
	if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' '))
		return 1;
	if (len >= 3 && memcmp(line, "334", 3) == 0 &&
	    (len == 3 || line[3] == ' ' || line[3] == '-'))
		return 1;
	return 0;
}

void
log_redact(const char *line, size_t len, int sent, int private_,
    int *sasl_state, char *out, size_t outsz)
{
	size_t	s, n;
	int	dummy = 0;

	if (outsz == 0)
		return;
	if (sasl_state == NULL)
		sasl_state = &dummy;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;

	if (!sent) {
		/* Untagged lines may come in between; they end nothing. */
		if (!is_continuation(line, len) &&
		    !(len >= 2 && line[0] == '*' && line[1] == ' '))
			*sasl_state = 0;
		copy_clean(out, outsz, line, len);
		return;
	}

	if (*sasl_state) {
		snprintf(out, outsz, "<redacted>");
		return;
	}
	if (word_is(line, len, 0, "AUTH")) {
		/* SMTP: AUTH MECH [initial-response] */
		keep_words(line, len, 2, out, outsz);
		*sasl_state = 1;
	} else if (word_is(line, len, 1, "LOGIN")) {
		/* IMAP: after a literal, the rest follows as its own line. */
		keep_words(line, len, 2, out, outsz);
		if (!word_at(line, len, 2, &s, &n) ||
		    (len > 0 && line[len - 1] == '}'))
			*sasl_state = 1;
	} else if (word_is(line, len, 1, "AUTHENTICATE")) {
		keep_words(line, len, 3, out, outsz);
		*sasl_state = 1;
	} else if (private_ || looks_like_sasl(line, len))
		snprintf(out, outsz, "<redacted>");
	else
		copy_clean(out, outsz, line, len);
}

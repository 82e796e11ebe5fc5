/*
 * util.c -- allocation, errors, files and paths shared by every module.
 *
 * Nothing here depends on another mailconn module, so every other file
 * (and every unit test) can link against it alone.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void	 utf8_cut_partial(char *);
static size_t	 utf8_seq_len(const unsigned char *);
static const char *home_dir(void);
static int	 write_all(int, const void *, size_t);
static char	*dir_of(const char *);

/* --- errors ------------------------------------------------------------ */

void
mc_err_clear(struct mc_err *err)
{
	if (err == NULL)
		return;
	err->kind = MCE_NONE;
	err->msg[0] = '\0';
	err->server[0] = '\0';
}

/*
 * Sets kind and msg; server is left alone so that a caller may record the
 * server's words first and the sentence about them after.
 */
void
mc_err_set(struct mc_err *err, enum mc_errkind kind, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	/* vsnprintf may have cut a multi-byte character in half. */
	utf8_cut_partial(err->msg);
}

/*
 * The server's own words: trailing CR/LF dropped, truncated to fit (never
 * in the middle of a UTF-8 character), control characters replaced.
 */
void
mc_err_server(struct mc_err *err, const char *text)
{
	size_t	len;

	if (err == NULL)
		return;
	if (text == NULL)
		text = "";
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == '\n'))
		len--;
	if (len > sizeof err->server - 1)
		len = sizeof err->server - 1;
	memcpy(err->server, text, len);
	err->server[len] = '\0';
	utf8_cut_partial(err->server);
	mc_sanitize(err->server);
}

const char *
mc_errkind_name(enum mc_errkind kind)
{
	static const char *names[] = {
		[MCE_NONE] = "none",
		[MCE_USAGE] = "usage",
		[MCE_CONFIG] = "config",
		[MCE_IO] = "io",
		[MCE_RESOLVE] = "resolve",
		[MCE_REFUSED] = "refused",
		[MCE_TIMEOUT] = "timeout",
		[MCE_UNREACHABLE] = "unreachable",
		[MCE_TLS] = "tls",
		[MCE_CERT_UNTRUSTED] = "cert-untrusted",
		[MCE_CERT_REJECTED] = "cert-rejected",
		[MCE_CERT_CHANGED] = "cert-changed",
		[MCE_STARTTLS] = "starttls",
		[MCE_INSECURE] = "insecure",
		[MCE_PROTOCOL] = "protocol",
		[MCE_AUTH] = "auth",
		[MCE_LIMIT] = "limit",
		[MCE_SECRET] = "secret",
		[MCE_CANCELLED] = "cancelled",
		[MCE_NOTFOUND] = "not-found",
		[MCE_SERVER] = "server",
	};

	if ((unsigned)kind >= sizeof names / sizeof names[0] ||
	    names[kind] == NULL)
		return "unknown";
	return names[kind];
}

/* --- allocation -------------------------------------------------------- */

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("mailconn: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatalx("out of memory allocating %zu * %zu bytes", n, size);
	return p;
}

void *
xrealloc(void *old, size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = realloc(old, size)) == NULL)
		fatalx("out of memory reallocating %zu bytes", size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if (s == NULL)
		fatalx("xstrdup(NULL)");
	if ((p = strdup(s)) == NULL)
		fatalx("out of memory copying a string");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if (s == NULL)
		fatalx("xstrndup(NULL)");
	if ((p = strndup(s, n)) == NULL)
		fatalx("out of memory copying a string");
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char	*p;

	if (vasprintf(&p, fmt, ap) == -1)
		fatalx("out of memory formatting a string");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

/* --- secrets ----------------------------------------------------------- */

void
mc_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
mc_free_secret(char *s)
{
	if (s == NULL)
		return;
	mc_wipe(s, strlen(s));
	free(s);
}

/* --- files ------------------------------------------------------------- */

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Directory part of path ("." when there is none).  Caller frees. */
static char *
dir_of(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/*
 * The temporary file is created 0600 by mkostemp and then fchmod'ed to
 * mode, so the umask can narrow nothing and widen nothing: the file has
 * exactly mode from its first byte to the rename.
 */
int
mc_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct mc_err *err)
{
	char		*tmp, *dir;
	const char	*step;
	int		 fd, dfd, saved;

	tmp = xasprintf("%s.tmpXXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		mc_err_set(err, MCE_IO, "Cannot create a temporary file for "
		    "%s: %s.", path, strerror(saved));
		free(tmp);
		return -1;
	}
	step = NULL;
	if (fchmod(fd, mode) == -1)
		step = "set the mode of";
	else if (write_all(fd, data, len) == -1)
		step = "write";
	else if (fsync(fd) == -1)
		step = "fsync";
	if (step != NULL) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		saved = errno;
		step = "close";
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		saved = errno;
		step = "rename into place";
		goto fail;
	}
	free(tmp);

	/* Make the rename itself durable. */
	dir = dir_of(path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 || (fsync(dfd) == -1 && errno != EINVAL)) {
		saved = errno;
		mc_err_set(err, MCE_IO, "Wrote %s but could not fsync its "
		    "directory %s: %s.", path, dir, strerror(saved));
		if (dfd != -1)
			close(dfd);
		free(dir);
		return -1;
	}
	close(dfd);
	free(dir);
	return 0;

fail:
	unlink(tmp);
	mc_err_set(err, MCE_IO, "Cannot %s the temporary file %s for %s: %s.",
	    step, tmp, path, strerror(saved));
	free(tmp);
	return -1;
}

/* The whole file, NUL-terminated (so text may be used as a string). */
char *
mc_read_file(const char *path, size_t *lenp, struct mc_err *err)
{
	char	*buf;
	size_t	 len, cap;
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		mc_err_set(err, saved == ENOENT ? MCE_NOTFOUND : MCE_IO,
		    "Cannot open %s: %s.", path, strerror(saved));
		return NULL;
	}
	cap = 4096;
	buf = xmalloc(cap);
	len = 0;
	for (;;) {
		if (cap - len < 2) {
			if (cap > SIZE_MAX / 2)
				fatalx("%s: file too large", path);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			free(buf);
			mc_err_set(err, MCE_IO,
			    "Cannot read %s: %s.", path, strerror(saved));
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* Every missing component is created with mode; existing ones are kept. */
int
mc_mkdir_p(const char *path, mode_t mode, struct mc_err *err)
{
	char		*copy, *p;
	struct stat	 sb;
	int		 saved;
	char		 c;

	if (path == NULL || *path == '\0') {
		mc_err_set(err, MCE_IO, "Cannot create a directory with an "
		    "empty name.");
		return -1;
	}
	copy = xstrdup(path);
	p = copy;
	for (;;) {
		while (*p == '/')
			p++;
		while (*p != '\0' && *p != '/')
			p++;
		/* copy[0..p) is the next prefix to create. */
		c = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1) {
			saved = errno;
			if (saved != EEXIST ||
			    stat(copy, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
				if (saved == EEXIST)
					saved = ENOTDIR;
				mc_err_set(err, MCE_IO, "Cannot create the "
				    "directory %s: %s.", copy,
				    strerror(saved));
				free(copy);
				return -1;
			}
		}
		*p = c;
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
	}
	free(copy);
	return 0;
}

/* --- paths ------------------------------------------------------------- */

/* $HOME when absolute, else the password database. */
static const char *
home_dir(void)
{
	const char	*home;
	struct passwd	*pw;

	home = getenv("HOME");
	if (home != NULL && home[0] == '/')
		return home;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL &&
	    pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return NULL;
}

/*
 * The XDG Base Directory spec says a relative $XDG_*_HOME is invalid and
 * must be ignored, so only absolute values are used.
 */
char *
mc_xdg_path(enum mc_xdg kind, const char *leaf)
{
	const char	*var, *def, *base, *home;
	char		*root, *path;

	switch (kind) {
	case MC_XDG_CONFIG:
		var = "XDG_CONFIG_HOME";
		def = ".config";
		break;
	case MC_XDG_DATA:
		var = "XDG_DATA_HOME";
		def = ".local/share";
		break;
	case MC_XDG_STATE:
		var = "XDG_STATE_HOME";
		def = ".local/state";
		break;
	default:
		fatalx("mc_xdg_path: bad kind %d", (int)kind);
	}
	base = getenv(var);
	if (base != NULL && base[0] == '/')
		root = xstrdup(base);
	else {
		if ((home = home_dir()) == NULL)
			fatalx("cannot find the home directory: set HOME");
		root = xasprintf("%s/%s", home, def);
	}
	/* Avoid "//" when the base ends in '/'. */
	while (strlen(root) > 1 && root[strlen(root) - 1] == '/')
		root[strlen(root) - 1] = '\0';
	if (leaf == NULL || *leaf == '\0')
		path = xasprintf("%s/mailconn", root);
	else
		path = xasprintf("%s/mailconn/%s", root, leaf);
	free(root);
	return path;
}

char *
mc_expand_tilde(const char *path)
{
	const char	*home;

	if (path == NULL)
		return NULL;
	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return xstrdup(path);
	if ((home = home_dir()) == NULL)
		return xstrdup(path);
	if (strcmp(home, "/") == 0 && path[1] == '/')
		home = "";
	return xasprintf("%s%s", home, path + 1);
}

/* --- strings ----------------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence at p, or 0.  Rejects overlong forms,
 * surrogates and code points above U+10FFFF (RFC 3629).
 */
static size_t
utf8_seq_len(const unsigned char *p)
{
	unsigned char	c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0;
		return ((p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) ?
		    3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;
		return ((p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
		    (p[3] & 0xc0) == 0x80) ? 4 : 0;
	}
	return 0;
}

/* Drop an incomplete UTF-8 sequence at the very end of s. */
static void
utf8_cut_partial(char *s)
{
	size_t	len = strlen(s), i, need;

	i = len;
	while (i > 0 && len - i < 4 &&
	    ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return;
	i--;	/* lead byte */
	need = utf8_seq_len((const unsigned char *)s + i);
	if (need == 0 || i + need > len)
		s[i] = '\0';
}

/*
 * Terminals obey C0 controls, DEL, and the C1 controls U+0080-U+009F
 * (CSI is U+009B), so a server must not be able to send any of them to the
 * screen.  Bytes that are not valid UTF-8 become '?' too.  A C1 control
 * (two bytes) becomes one '?', so the string can only shrink.
 */
void
mc_sanitize(char *s)
{
	unsigned char	*r, *w;
	size_t		 n;

	if (s == NULL)
		return;
	r = w = (unsigned char *)s;
	while (*r != '\0') {
		if (*r < 0x20 || *r == 0x7f) {
			*w++ = '?';
			r++;
		} else if (*r < 0x80)
			*w++ = *r++;
		else if ((n = utf8_seq_len(r)) == 0) {
			*w++ = '?';
			r++;
		} else if (n == 2 && r[0] == 0xc2 && r[1] <= 0x9f) {
			*w++ = '?';
			r += 2;
		} else {
			while (n-- > 0)
				*w++ = *r++;
		}
	}
	*w = '\0';
}

char *
mc_trim(char *s)
{
	char	*start, *end;

	if (s == NULL)
		return NULL;
	start = s;
	while (*start == ' ' || (*start >= '\t' && *start <= '\r'))
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' ||
	    (end[-1] >= '\t' && end[-1] <= '\r')))
		end--;
	*end = '\0';
	if (start != s)
		memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

long long
mc_now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatalx("clock_gettime: %s", strerror(errno));
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mc_hex(const unsigned char *in, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/*
 * util.h -- allocation, errors, files and paths shared by every module.
 *
 * Error convention (after tmux's "char **cause"): a function that can fail
 * returns -1 (or NULL) and fills a caller-owned struct mc_err.  The kind says
 * what class of failure it was (so the wizard and `check` can give advice);
 * msg is a full sentence for a person; server holds the server's own words,
 * stripped of control characters, when the server said something.
 */
#ifndef MC_UTIL_H
#define MC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define MC_ERR_MAX 512

enum mc_errkind {
	MCE_NONE = 0,
	MCE_USAGE,		/* bad command line */
	MCE_CONFIG,		/* config file problem (msg has file:line) */
	MCE_IO,			/* local file / system call */
	MCE_RESOLVE,		/* DNS lookup failed */
	MCE_REFUSED,		/* TCP RST: port closed */
	MCE_TIMEOUT,		/* no answer in time: filtered, or stalled server */
	MCE_UNREACHABLE,	/* no route, network down */
	MCE_TLS,		/* handshake failed, protocol version, ... */
	MCE_CERT_UNTRUSTED,	/* untrusted and no way to ask (no terminal) */
	MCE_CERT_REJECTED,	/* the person said reject */
	MCE_CERT_CHANGED,	/* pinned key differs and not accepted */
	MCE_STARTTLS,		/* STARTTLS missing, refused, injected, PREAUTH */
	MCE_INSECURE,		/* would send credentials on an unsafe channel */
	MCE_PROTOCOL,		/* unexpected / unparsable server response */
	MCE_AUTH,		/* credentials rejected */
	MCE_LIMIT,		/* too many connections */
	MCE_SECRET,		/* keyring / password-command problem */
	MCE_CANCELLED,		/* cancelled from another thread */
	MCE_NOTFOUND,		/* the named thing does not exist */
	MCE_SERVER,		/* server refused an operation (NO/BAD/5xx) */
};

struct mc_err {
	enum mc_errkind	kind;
	char		msg[MC_ERR_MAX];	/* for a person, one sentence */
	char		server[MC_ERR_MAX];	/* server's words, sanitised */
};

void	 mc_err_clear(struct mc_err *);
void	 mc_err_set(struct mc_err *, enum mc_errkind, const char *, ...)
	     __attribute__((format(printf, 3, 4)));
void	 mc_err_server(struct mc_err *, const char *);
const char *mc_errkind_name(enum mc_errkind);

/* Allocators never return NULL; they abort on exhaustion. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list);
void	 fatalx(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Wipe memory that held a secret; the compiler may not elide it. */
void	 mc_wipe(void *, size_t);
/* Wipe and free a NUL-terminated secret (NULL is fine). */
void	 mc_free_secret(char *);

/* Write path atomically: tmp file in the same dir, fsync, rename, fsync dir. */
int	 mc_write_atomic(const char *, const void *, size_t, mode_t,
	     struct mc_err *);
/* Read a whole file; returns NULL with err (MCE_NOTFOUND when missing). */
char	*mc_read_file(const char *, size_t *, struct mc_err *);
int	 mc_mkdir_p(const char *, mode_t, struct mc_err *);

/*
 * $XDG_<KIND>_HOME/mailconn/<leaf>, with the XDG defaults under $HOME
 * (config: .config, data: .local/share, state: .local/state).  Caller frees.
 */
enum mc_xdg { MC_XDG_CONFIG, MC_XDG_DATA, MC_XDG_STATE };
char	*mc_xdg_path(enum mc_xdg, const char *leaf);
/* "~/x" -> "$HOME/x"; anything else copied.  Caller frees. */
char	*mc_expand_tilde(const char *);
/* Replace control characters (and DEL) in place by '?', keep UTF-8. */
void	 mc_sanitize(char *);
/* Trim leading and trailing ASCII white space in place; returns s. */
char	*mc_trim(char *);
/* Monotonic clock in milliseconds. */
long long mc_now_ms(void);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void	 mc_hex(const unsigned char *, size_t, char *);

#endif

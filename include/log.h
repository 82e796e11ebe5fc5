/*
 * log.h -- the log file and redacted protocol traces.
 *
 * One log per process, $XDG_STATE_HOME/mailconn/mailconn.log unless given.
 * Every function is thread-safe.  A protocol trace (only with --debug) goes
 * through log_trace(), which never writes the arguments of LOGIN,
 * AUTHENTICATE or AUTH, nor a SASL continuation line.
 */
#ifndef MC_LOG_H
#define MC_LOG_H

#include <stddef.h>

struct mc_err;

enum mc_log_level { MC_LOG_ERROR, MC_LOG_WARN, MC_LOG_INFO, MC_LOG_DEBUG };

/* path NULL: the default.  debug: also keep MC_LOG_DEBUG lines and traces. */
int	 log_open(const char *path, int debug, struct mc_err *);
void	 log_close(void);
int	 log_debug_enabled(void);
/* Also copy lines at or above level to stderr (the CLI uses WARN). */
void	 log_set_stderr(int enabled, enum mc_log_level level);
void	 log_msg(enum mc_log_level, const char *, ...)
	     __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(MC_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(MC_LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(MC_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(MC_LOG_DEBUG, __VA_ARGS__)

/*
 * Another consumer of log lines (the dashboard's log pane).  Called on the
 * logging thread with the log mutex held: copy the line, do not block.
 */
typedef void (*log_sink_fn)(enum mc_log_level, const char *line, void *arg);
void	 log_set_sink(log_sink_fn, void *);

/*
 * A protocol trace line.  proto "imap"/"smtp", peer "host:port", sent 1 for
 * client->server, private 1 when libetpan marked the data private (LOGIN).
 * Redacts even when private is 0, by looking at the command.
 */
void	 log_trace(const char *proto, const char *peer, int sent, int private_,
	     const char *buf, size_t len);
/*
 * The redaction itself, exposed for tests: copies one protocol line into out
 * with credentials replaced by "<redacted>".  *sasl_state carries "the next
 * client line is a SASL response" between calls (start with 0).
 */
void	 log_redact(const char *line, size_t len, int sent, int private_,
	     int *sasl_state, char *out, size_t outsz);

#endif

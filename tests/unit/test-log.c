/*
 * test-log.c -- log file format and mode, stderr copy, sink, and the
 * redaction of credentials in protocol traces.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "util.h"

static char	tmpdir[] = "/tmp/mc-log-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	(void)state;
	log_close();
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* --- redaction --------------------------------------------------------- */

struct step {
	int		 sent;
	int		 private_;
	const char	*line;
	const char	*want;
};

/* Run a conversation through log_redact with one state, as a trace would. */
static void
run_steps(const struct step *steps, size_t n)
{
	char	out[256];
	int	state = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		log_redact(steps[i].line, strlen(steps[i].line), steps[i].sent,
		    steps[i].private_, &state, out, sizeof out);
		if (strcmp(out, steps[i].want) != 0)
			fail_msg("step %zu: \"%s\" gave \"%s\", want \"%s\"",
			    i, steps[i].line, out, steps[i].want);
	}
}

static void
test_redact_login_quoted(void **state)
{
	static const struct step steps[] = {
		{ 1, 0, "a001 CAPABILITY\r\n", "a001 CAPABILITY" },
		{ 0, 0, "* CAPABILITY IMAP4rev1 AUTH=PLAIN",
		    "* CAPABILITY IMAP4rev1 AUTH=PLAIN" },
		{ 0, 0, "a001 OK done", "a001 OK done" },
		{ 1, 0, "a002 LOGIN \"ann@example.com\" \"pa ss\\\"w\"\r\n",
		    "a002 LOGIN <redacted>" },
		{ 0, 0, "* CAPABILITY IMAP4rev1 IDLE",
		    "* CAPABILITY IMAP4rev1 IDLE" },
		{ 0, 0, "a002 OK [CAPABILITY IMAP4rev1] Logged in",
		    "a002 OK [CAPABILITY IMAP4rev1] Logged in" },
		{ 1, 0, "a003 SELECT INBOX", "a003 SELECT INBOX" },
		/* Lower case and libetpan's private flag. */
		{ 1, 0, "x1 login ann secret", "x1 login <redacted>" },
		{ 0, 0, "x1 NO [AUTHENTICATIONFAILED] bad",
		    "x1 NO [AUTHENTICATIONFAILED] bad" },
		{ 1, 1, "a004 LOGIN ann secret", "a004 LOGIN <redacted>" },
		{ 0, 0, "a004 OK", "a004 OK" },
		{ 1, 0, "a005 LOGOUT", "a005 LOGOUT" },
	};

	(void)state;
	run_steps(steps, sizeof steps / sizeof steps[0]);
}

static void
test_redact_login_literal(void **state)
{
	static const struct step steps[] = {
		{ 1, 0, "a002 LOGIN {15}", "a002 LOGIN <redacted>" },
		{ 0, 0, "+ OK", "+ OK" },
		{ 1, 0, "ann@example.com {6}", "<redacted>" },
		{ 0, 0, "+ OK", "+ OK" },
		{ 1, 0, "se cr3t", "<redacted>" },
		{ 0, 0, "a002 OK Logged in", "a002 OK Logged in" },
		{ 1, 0, "a003 LIST \"\" \"*\"", "a003 LIST \"\" \"*\"" },
		/* LITERAL+: no continuation, all lines in a row. */
		{ 1, 0, "a004 LOGIN {3+}", "a004 LOGIN <redacted>" },
		{ 1, 0, "ann {6+}", "<redacted>" },
		{ 1, 0, "secret", "<redacted>" },
		{ 0, 0, "a004 OK", "a004 OK" },
		{ 1, 0, "a005 NOOP", "a005 NOOP" },
	};

	(void)state;
	run_steps(steps, sizeof steps / sizeof steps[0]);
}

static void
test_redact_authenticate(void **state)
{
	static const struct step steps[] = {
		/* SASL-IR: mechanism kept, initial response not. */
		{ 1, 0, "a002 AUTHENTICATE PLAIN AGFubgBzZWNyZXQ=\r\n",
		    "a002 AUTHENTICATE PLAIN <redacted>" },
		{ 0, 0, "a002 OK Logged in", "a002 OK Logged in" },
		/* Without SASL-IR: the data follows a "+ " continuation. */
		{ 1, 0, "a003 authenticate plain", "a003 authenticate plain" },
		{ 0, 0, "+ ", "+ " },
		{ 1, 0, "AGFubgBzZWNyZXQ=", "<redacted>" },
		{ 0, 0, "a003 NO [AUTHENTICATIONFAILED] Authentication failed.",
		    "a003 NO [AUTHENTICATIONFAILED] Authentication failed." },
		/* Multi-step LOGIN mechanism; the client's "*" cancel. */
		{ 1, 0, "a004 AUTHENTICATE LOGIN", "a004 AUTHENTICATE LOGIN" },
		{ 0, 0, "+ VXNlcm5hbWU6", "+ VXNlcm5hbWU6" },
		{ 1, 0, "YW5u", "<redacted>" },
		{ 0, 0, "+ UGFzc3dvcmQ6", "+ UGFzc3dvcmQ6" },
		{ 1, 0, "*", "<redacted>" },
		{ 0, 0, "a004 BAD cancelled", "a004 BAD cancelled" },
		{ 1, 0, "a005 SELECT INBOX", "a005 SELECT INBOX" },
	};

	(void)state;
	run_steps(steps, sizeof steps / sizeof steps[0]);
}

static void
test_redact_smtp(void **state)
{
	static const struct step steps[] = {
		{ 1, 0, "EHLO localhost", "EHLO localhost" },
		{ 0, 0, "250-AUTH PLAIN LOGIN", "250-AUTH PLAIN LOGIN" },
		{ 0, 0, "250 HELP", "250 HELP" },
		{ 1, 0, "AUTH PLAIN AGFubgBzZWNyZXQ=\r\n",
		    "AUTH PLAIN <redacted>" },
		{ 0, 0, "535 5.7.8 Authentication credentials invalid",
		    "535 5.7.8 Authentication credentials invalid" },
		/* The multi-step AUTH LOGIN exchange. */
		{ 1, 0, "AUTH LOGIN", "AUTH LOGIN" },
		{ 0, 0, "334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6" },
		{ 1, 0, "dXNlcg==", "<redacted>" },
		{ 0, 0, "334 UGFzc3dvcmQ6", "334 UGFzc3dvcmQ6" },
		{ 1, 0, "cGFzcw==", "<redacted>" },
		{ 0, 0, "235 ok", "235 ok" },
		{ 1, 0, "MAIL FROM:<ann@example.com>",
		    "MAIL FROM:<ann@example.com>" },
		{ 0, 0, "250 OK", "250 OK" },
		/* AUTH LOGIN with the user name as initial response. */
		{ 1, 0, "auth login dXNlcg==", "auth login <redacted>" },
		{ 0, 0, "334 UGFzc3dvcmQ6", "334 UGFzc3dvcmQ6" },
		{ 1, 0, "cGFzcw==", "<redacted>" },
		{ 0, 0, "235 2.7.0 Authentication successful",
		    "235 2.7.0 Authentication successful" },
		/* Responses the base64 check alone would not catch. */
		{ 1, 0, "AUTH PLAIN", "AUTH PLAIN" },
		{ 0, 0, "334 ", "334 " },
		{ 1, 0, "=", "<redacted>" },
		{ 0, 0, "535 no", "535 no" },
		{ 1, 0, "AUTH LOGIN", "AUTH LOGIN" },
		{ 0, 0, "334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6" },
		{ 1, 0, "*", "<redacted>" },
		{ 0, 0, "501 cancelled", "501 cancelled" },
		{ 1, 0, "DATA", "DATA" },
		{ 1, 0, "QUIT", "QUIT" },
	};

	(void)state;
	run_steps(steps, sizeof steps / sizeof steps[0]);
}

static void
test_redact_untouched(void **state)
{
	static const struct step steps[] = {
		{ 1, 0, "a001 UID FETCH 1:* (FLAGS RFC822.SIZE)",
		    "a001 UID FETCH 1:* (FLAGS RFC822.SIZE)" },
		{ 1, 0, "a002 IDLE", "a002 IDLE" },
		{ 0, 0, "+ idling", "+ idling" },
		{ 1, 0, "DONE", "DONE" },
		{ 0, 0, "a002 OK Idle completed", "a002 OK Idle completed" },
		{ 1, 0, "STARTTLS", "STARTTLS" },
		{ 1, 0, "RCPT TO:<bob@example.com>",
		    "RCPT TO:<bob@example.com>" },
		{ 1, 0, "a003 ID (\"name\" \"mailconn\")",
		    "a003 ID (\"name\" \"mailconn\")" },
		{ 1, 0, "a004 SELECT \"Entw&APw-rfe\"",
		    "a004 SELECT \"Entw&APw-rfe\"" },
		/* A stray base64 token is treated as SASL data anyway. */
		{ 1, 0, "c2VjcmV0", "<redacted>" },
		/* Any other private line is redacted whole. */
		{ 1, 1, "hunter2 hunter2", "<redacted>" },
		/* Server lines are never redacted, only cleaned. */
		{ 0, 0, "* OK \x1b[2J\x07ready\r\n", "* OK ?[2J?ready" },
		{ 0, 0, "a005 NO LOGIN failed", "a005 NO LOGIN failed" },
	};

	(void)state;
	run_steps(steps, sizeof steps / sizeof steps[0]);
}

/* The SASL state itself, step by step. */
static void
test_redact_state(void **state)
{
	char	out[64];
	int	st = 0;

	(void)state;
#define R(sent, line)	log_redact(line, strlen(line), sent, 0, &st, out, \
			    sizeof out)
	R(1, "a1 SELECT INBOX");
	assert_int_equal(st, 0);
	R(1, "a2 AUTHENTICATE PLAIN");
	assert_int_equal(st, 1);
	R(0, "+ ");
	assert_int_equal(st, 1);
	R(0, "* OK still here");
	assert_int_equal(st, 1);
	R(1, "x y z");
	assert_string_equal(out, "<redacted>");
	R(0, "a2 OK");
	assert_int_equal(st, 0);
	R(1, "a3 LOGIN ann \"pw\"");
	assert_int_equal(st, 0);
	R(1, "a4 LOGIN {3}");
	assert_int_equal(st, 1);
	R(0, "a4 NO");
	assert_int_equal(st, 0);
	R(1, "AUTH LOGIN");
	assert_int_equal(st, 1);
	R(0, "334 VXNlcm5hbWU6");
	assert_int_equal(st, 1);
	R(0, "235 ok");
	assert_int_equal(st, 0);
	/* Server lines never set it. */
	R(0, "a5 AUTHENTICATE PLAIN");
	assert_int_equal(st, 0);
#undef R
}

static void
test_redact_edges(void **state)
{
	char	out[16];
	char	line[] = "a1 SELECT INBOX and more";
	char	nul[] = { 'a', '\0', 'b' };

	(void)state;
	/* Truncated to the buffer, always terminated. */
	log_redact(line, strlen(line), 1, 0, NULL, out, sizeof out);
	assert_string_equal(out, "a1 SELECT INBOX");
	log_redact("a1 LOGIN ann secret", 19, 1, 0, NULL, out, 12);
	assert_null(strstr(out, "secret"));
	assert_null(strstr(out, "ann"));
	/* Embedded NUL bytes are shown, not a string end. */
	log_redact(nul, sizeof nul, 0, 0, NULL, out, sizeof out);
	assert_string_equal(out, "a?b");
	/* Only the given length counts. */
	log_redact("a1 LOGIN ann secret", 8, 1, 0, NULL, out, sizeof out);
	assert_string_equal(out, "a1 LOGIN");
	log_redact("", 0, 1, 0, NULL, out, sizeof out);
	assert_string_equal(out, "");
}

/* --- the log file ------------------------------------------------------ */

static char *
read_all(const char *path)
{
	struct mc_err	 err;
	char		*s;

	s = mc_read_file(path, NULL, &err);
	if (s == NULL)
		fail_msg("%s", err.msg);
	return s;
}

static void
test_file_line_and_mode(void **state)
{
	struct mc_err	 err;
	struct stat	 sb;
	char		*path, *dir, *text;
	regex_t		 re;
	mode_t		 old;

	(void)state;
	dir = xasprintf("%s/state/mailconn", tmpdir);
	path = xasprintf("%s/mailconn.log", dir);
	old = umask(0);
	assert_int_equal(log_open(path, 0, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	log_info("hello %d", 42);
	log_debug("not without debug");
	log_trace("imap", "localhost:993", 1, 0, "a1 NOOP\r\n",
	    strlen("a1 NOOP\r\n"));
	log_warn("line\none\x1b[0m");
	log_close();

	text = read_all(path);
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}Z INFO hello 42\n"
	    "[0-9T:Z-]{20} WARN line\\?one\\?\\[0m\n$",
	    REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, text, 0, NULL, 0) != 0)
		fail_msg("unexpected log content:\n%s", text);
	regfree(&re);
	free(text);
	free(path);
	free(dir);
}

static void
test_file_mode_narrowed(void **state)
{
	struct mc_err	 err;
	struct stat	 sb;
	char		*path, *text;
	int		 fd;

	(void)state;
	path = xasprintf("%s/wide.log", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd != -1);
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	assert_int_equal(log_open(path, 0, &err), 0);
	log_error("new");
	log_close();
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	text = read_all(path);
	/* Appended, not truncated. */
	assert_int_equal(strncmp(text, "old\n", 4), 0);
	assert_non_null(strstr(text, " ERROR new\n"));
	free(text);
	free(path);
}

static void
test_open_default_and_failure(void **state)
{
	struct mc_err	 err;
	struct stat	 sb;
	char		*state_home, *path, *bad;

	(void)state;
	state_home = xasprintf("%s/xdgstate", tmpdir);
	setenv("XDG_STATE_HOME", state_home, 1);
	assert_int_equal(log_open(NULL, 1, &err), 0);
	assert_int_equal(log_debug_enabled(), 1);
	log_close();
	assert_int_equal(log_debug_enabled(), 0);
	path = xasprintf("%s/mailconn/mailconn.log", state_home);
	assert_int_equal(stat(path, &sb), 0);
	unsetenv("XDG_STATE_HOME");

	/* A directory in the way: a clear error. */
	bad = xasprintf("%s/mailconn", state_home);
	mc_err_clear(&err);
	assert_int_equal(log_open(bad, 0, &err), -1);
	assert_int_equal(err.kind, MCE_IO);
	assert_non_null(strstr(err.msg, bad));
	free(bad);
	free(path);
	free(state_home);
}

static void
test_trace_redacted_in_file(void **state)
{
	struct mc_err	 err;
	char		*path, *text;
	const char	*chunk =
	    "a002 LOGIN ann@example.com s3cr3t-pw\r\na003 SELECT INBOX\r\n";

	(void)state;
	path = xasprintf("%s/trace.log", tmpdir);
	assert_int_equal(log_open(path, 1, &err), 0);
	log_debug("debug %s", "kept");
	log_trace("imap", "localhost:993", 1, 0, chunk, strlen(chunk));
	log_trace("imap", "localhost:993", 0, 0, "a002 OK\r\n* 3 EXISTS",
	    strlen("a002 OK\r\n* 3 EXISTS"));
	/* SMTP AUTH LOGIN on another connection of the same thread. */
	log_trace("smtp", "localhost:465", 1, 0, "AUTH LOGIN\r\n",
	    strlen("AUTH LOGIN\r\n"));
	log_trace("smtp", "localhost:465", 0, 0, "334 VXNlcm5hbWU6\r\n",
	    strlen("334 VXNlcm5hbWU6\r\n"));
	/* The IMAP server's tagged line must not end the SMTP exchange. */
	log_trace("imap", "localhost:993", 0, 0, "a004 OK\r\n",
	    strlen("a004 OK\r\n"));
	log_trace("smtp", "localhost:465", 1, 0, "=\r\n", 3);
	log_trace("smtp", "localhost:465", 0, 0, "334 UGFzc3dvcmQ6\r\n",
	    strlen("334 UGFzc3dvcmQ6\r\n"));
	log_trace("smtp", "localhost:465", 1, 1, "czNjcjN0LXB3\r\n",
	    strlen("czNjcjN0LXB3\r\n"));
	log_trace("smtp", "localhost:465", 0, 0, "235 ok\r\n",
	    strlen("235 ok\r\n"));
	log_trace("smtp", "localhost:465", 1, 0, "QUIT\r\n",
	    strlen("QUIT\r\n"));
	/* A LOGIN cut in two writes, at either place. */
	log_trace("imap", "h:993", 1, 0, "a010 LOGIN ", 11);
	log_trace("imap", "h:993", 1, 0, "ann pass word\r\n", 15);
	log_trace("imap", "h:993", 0, 0, "a010 OK\r\n", 9);
	log_trace("imap", "h:993", 1, 0, "a011 LOGIN ann ", 15);
	log_trace("imap", "h:993", 1, 0, "pass word\r\n", 11);
	log_trace("imap", "h:993", 0, 0, "a011 OK\r\n", 9);
	log_trace("imap", "h:993", 1, 0, "a012 NOOP\r\n", 11);
	log_close();

	text = read_all(path);
	assert_null(strstr(text, "s3cr3t"));
	assert_null(strstr(text, "czNjcjN0"));
	assert_null(strstr(text, "C: =\n"));
	assert_null(strstr(text, "ann@"));
	assert_null(strstr(text, "pass word"));
	assert_non_null(strstr(text, " TRACE imap h:993 C: a010 LOGIN\n"));
	assert_non_null(strstr(text, " TRACE imap h:993 C: a011 LOGIN "
	    "<redacted>\n"));
	assert_non_null(strstr(text, " TRACE imap h:993 C: a012 NOOP\n"));
	assert_non_null(strstr(text, " DEBUG debug kept\n"));
	assert_non_null(strstr(text,
	    " TRACE imap localhost:993 C: a002 LOGIN <redacted>\n"));
	assert_non_null(strstr(text,
	    " TRACE imap localhost:993 C: a003 SELECT INBOX\n"));
	assert_non_null(strstr(text,
	    " TRACE imap localhost:993 S: a002 OK\n"));
	assert_non_null(strstr(text,
	    " TRACE imap localhost:993 S: * 3 EXISTS\n"));
	assert_non_null(strstr(text,
	    " TRACE smtp localhost:465 C: AUTH LOGIN\n"));
	assert_non_null(strstr(text,
	    " TRACE smtp localhost:465 C: QUIT\n"));
	free(text);
	free(path);
}

static void
test_stderr_before_open(void **state)
{
	char	*path, *text;
	int	 fd, saved;

	(void)state;
	path = xasprintf("%s/stderr.txt", tmpdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1 && saved != -1);
	dup2(fd, 2);
	close(fd);

	log_info("nowhere");		/* no file, stderr off */
	log_set_stderr(1, MC_LOG_WARN);
	log_info("below the level");
	log_warn("careful");
	log_error("broken %s", "thing");
	log_set_stderr(0, MC_LOG_WARN);
	log_error("silent again");

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = read_all(path);
	assert_string_equal(text,
	    "mailconn: warning: careful\nmailconn: error: broken thing\n");
	free(text);
	free(path);
}

struct sink_rec {
	int	count;
	int	last_level;
	char	last[256];
};

static void
sink(enum mc_log_level level, const char *line, void *arg)
{
	struct sink_rec	*r = arg;

	r->count++;
	r->last_level = (int)level;
	snprintf(r->last, sizeof r->last, "%s", line);
}

static void
test_sink(void **state)
{
	struct sink_rec	r = { 0, -1, "" };

	(void)state;
	log_set_sink(sink, &r);
	log_warn("to the pane %d", 7);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.last_level, MC_LOG_WARN);
	assert_non_null(strstr(r.last, "Z WARN to the pane 7"));
	assert_null(strchr(r.last, '\n'));
	log_debug("dropped without debug");
	assert_int_equal(r.count, 1);
	log_set_sink(NULL, NULL);
	log_warn("no sink");
	assert_int_equal(r.count, 1);
}

#define NTHREADS	4
#define NLINES		250

static void *
writer(void *arg)
{
	int	i, id = (int)(long)arg;

	for (i = 0; i < NLINES; i++)
		log_info("thread %d line %d %s", id, i,
		    "padding padding padding padding padding padding");
	return NULL;
}

static void
test_threads(void **state)
{
	struct mc_err	 err;
	pthread_t	 t[NTHREADS];
	char		*path, *text, *line, *save;
	regex_t		 re;
	long		 i;
	int		 n = 0;

	(void)state;
	path = xasprintf("%s/threads.log", tmpdir);
	assert_int_equal(log_open(path, 0, &err), 0);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer,
		    (void *)i), 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	log_close();

	assert_int_equal(regcomp(&re, "^[0-9T:Z-]{20} INFO thread [0-3] "
	    "line [0-9]+ (padding ?){6}$", REG_EXTENDED | REG_NOSUB), 0);
	text = read_all(path);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (regexec(&re, line, 0, NULL, 0) != 0)
			fail_msg("mangled line: %s", line);
		n++;
	}
	assert_int_equal(n, NTHREADS * NLINES);
	regfree(&re);
	free(text);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_login_quoted),
		cmocka_unit_test(test_redact_login_literal),
		cmocka_unit_test(test_redact_authenticate),
		cmocka_unit_test(test_redact_smtp),
		cmocka_unit_test(test_redact_untouched),
		cmocka_unit_test(test_redact_state),
		cmocka_unit_test(test_redact_edges),
		cmocka_unit_test(test_file_line_and_mode),
		cmocka_unit_test(test_file_mode_narrowed),
		cmocka_unit_test(test_open_default_and_failure),
		cmocka_unit_test(test_trace_redacted_in_file),
		cmocka_unit_test(test_stderr_before_open),
		cmocka_unit_test(test_sink),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

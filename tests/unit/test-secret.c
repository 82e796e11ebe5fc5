/*
 * test-secret.c -- the parts of secret.c that need no keyring: the
 * password-command runner, reading a password from a non-terminal stdin,
 * and the account -> keyring key mapping.  The keyring itself is tested for
 * real in tests/integration/test-secret.sh.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "secret.h"
#include "util.h"

/* Bound for "returned promptly"; the commands involved sleep 5 s. */
#define PROMPT_MS	3000

static char *
run_ok(const char *cmd)
{
	struct mc_err	 err;
	char		*out = NULL;

	mc_err_clear(&err);
	if (secret_run_command(cmd, 5, &out, &err) != 0)
		fail_msg("%s: %s", cmd, err.msg);
	assert_non_null(out);
	return out;
}

static void
run_fails(const char *cmd, int timeout, const char *needle, long long *ms)
{
	struct mc_err	 err;
	char		*out = (char *)"untouched";
	long long	 t0;

	mc_err_clear(&err);
	t0 = mc_now_ms();
	assert_int_equal(secret_run_command(cmd, timeout, &out, &err), -1);
	if (ms != NULL)
		*ms = mc_now_ms() - t0;
	assert_null(out);
	assert_int_equal(err.kind, MCE_SECRET);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", cmd, err.msg,
		    needle);
}

/* State letter of a process, 0 when it is gone. */
static char
proc_state(pid_t pid)
{
	char	 path[64], buf[512], *p;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	return p[2];
}

static pid_t
read_pid(const char *path)
{
	FILE	*f;
	int	 pid = 0;

	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	return pid;
}

static void
test_first_line_only(void **state)
{
	char	*pw;

	(void)state;
	pw = run_ok("printf 'first-secret\\nsecond line\\n'");
	assert_string_equal(pw, "first-secret");
	mc_free_secret(pw);

	/* No trailing newline at all. */
	pw = run_ok("printf 'no-newline'");
	assert_string_equal(pw, "no-newline");
	mc_free_secret(pw);

	/* Inner spaces are part of a password. */
	pw = run_ok("echo ' spaced  pass '");
	assert_string_equal(pw, " spaced  pass ");
	mc_free_secret(pw);
}

static void
test_crlf(void **state)
{
	char	*pw;

	(void)state;
	pw = run_ok("printf 'crlf-pass\\r\\nnext\\r\\n'");
	assert_string_equal(pw, "crlf-pass");
	mc_free_secret(pw);
}

static void
test_exit_status(void **state)
{
	(void)state;
	run_fails("echo 'vault is sealed' >&2; echo more >&2; exit 3", 5,
	    "exit status 3: vault is sealed", NULL);
	/* Only the first line of stderr. */
	run_fails("echo 'vault is sealed' >&2; echo more-stuff >&2; exit 3", 5,
	    "sealed", NULL);
	run_fails("exit 7", 5, "exit status 7: (nothing on stderr)", NULL);
	/* A nonzero exit is an error even when stdout had a line. */
	run_fails("echo looks-like-a-password; exit 1", 5, "exit status 1",
	    NULL);
	run_fails("no-such-command-mailconn-test", 5, "exit status 127", NULL);
	run_fails("kill -TERM $$", 5, "killed by signal 15", NULL);
}

static void
test_stderr_sanitised(void **state)
{
	struct mc_err	 err;
	char		*out;

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(secret_run_command("printf 'bad\\033[31mred\\n' >&2;"
	    " exit 2", 5, &out, &err), -1);
	assert_null(strchr(err.msg, '\033'));
	assert_non_null(strstr(err.msg, "bad?[31mred"));
}

static void
test_timeout(void **state)
{
	char		 path[] = "/tmp/mc-test-secret.XXXXXX", *cmd;
	long long	 ms;
	pid_t		 grandchild;
	int		 fd;

	(void)state;
	run_fails("sleep 5", 1, "timed out after 1 s", &ms);
	assert_true(ms < PROMPT_MS);
	assert_true(ms >= 900);

	/* The whole process group dies, not only the shell. */
	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	cmd = xasprintf("sleep 5 & echo $! >%s; wait", path);
	run_fails(cmd, 1, "timed out after 1 s", &ms);
	assert_true(ms < PROMPT_MS);
	grandchild = read_pid(path);
	/* Gone, or a zombie waiting for a parent that does not reap. */
	{
		char	 st = proc_state(grandchild);

		if (st != 0 && st != 'Z')
			fail_msg("sleep %d survived the timeout (state %c)",
			    (int)grandchild, st);
	}
	free(cmd);
	unlink(path);
}

static void
test_empty_output(void **state)
{
	long long	 ms;

	(void)state;
	run_fails("true", 5, "printed no password", NULL);
	run_fails("echo", 5, "printed no password", NULL);
	run_fails("printf '\\r\\nsecond\\n'", 5, "printed no password", NULL);
	/* stdin is /dev/null: cat ends at once instead of hanging. */
	run_fails("cat", 5, "printed no password", &ms);
	assert_true(ms < PROMPT_MS);
}

static void
test_long_line(void **state)
{
	(void)state;
	run_fails("head -c 20000 /dev/zero | tr '\\0' x", 5,
	    "longer than", NULL);
}

/* The command exits but leaves a child holding stdout open. */
static void
test_grandchild_holds_pipe(void **state)
{
	char		 path[] = "/tmp/mc-test-secret.XXXXXX", *cmd, *pw;
	long long	 t0, ms;
	pid_t		 pid;
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	cmd = xasprintf("echo held-pass; sleep 5 & echo $! >%s", path);
	t0 = mc_now_ms();
	pw = run_ok(cmd);
	ms = mc_now_ms() - t0;
	assert_string_equal(pw, "held-pass");
	assert_true(ms < PROMPT_MS);
	pid = read_pid(path);
	kill(pid, SIGKILL);
	mc_free_secret(pw);
	free(cmd);
	unlink(path);
}

static void
test_empty_command(void **state)
{
	struct mc_err	 err;
	char		*out;

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(secret_run_command("", 5, &out, &err), -1);
	assert_int_equal(err.kind, MCE_CONFIG);
}

/* Feed text to secret_read_password through a pipe on fd 0. */
static int
read_from(const char *text, char **out, struct mc_err *err, char *rest,
    size_t restsz)
{
	int	 p[2], saved, rc;
	ssize_t	 n;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	saved = dup(0);
	assert_true(saved != -1);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	rc = secret_read_password("never shown: ", out, err);
	if (rest != NULL) {
		n = read(0, rest, restsz - 1);
		rest[n > 0 ? n : 0] = '\0';
	}
	dup2(saved, 0);
	close(saved);
	return rc;
}

static void
test_read_password_stdin(void **state)
{
	struct mc_err	 err;
	char		*pw, rest[64];

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(read_from("hunter2\r\nnext line\n", &pw, &err, rest,
	    sizeof rest), 0);
	assert_string_equal(pw, "hunter2");
	/* Only the first line was consumed. */
	assert_string_equal(rest, "next line\n");
	mc_free_secret(pw);

	assert_int_equal(read_from("no newline at end", &pw, &err, NULL, 0), 0);
	assert_string_equal(pw, "no newline at end");
	mc_free_secret(pw);

	pw = (char *)"untouched";
	assert_int_equal(read_from("\n", &pw, &err, NULL, 0), -1);
	assert_null(pw);
	assert_string_equal(err.msg, "empty password");
	assert_int_equal(read_from("", &pw, &err, NULL, 0), -1);
	assert_string_equal(err.msg, "empty password");
	assert_int_equal(read_from("\r\n", &pw, &err, NULL, 0), -1);
	assert_string_equal(err.msg, "empty password");
}

static void
test_read_password_long(void **state)
{
	struct mc_err	 err;
	char		*pw, *big;

	(void)state;
	/* Longer than the first buffers: the line grows (and wipes) a few times. */
	big = xmalloc(5001);
	memset(big, 'p', 5000);
	big[5000] = '\0';
	mc_err_clear(&err);
	assert_int_equal(read_from(big, &pw, &err, NULL, 0), 0);
	assert_int_equal(strlen(pw), 5000);
	mc_free_secret(pw);
	free(big);
}

static void
test_key_for(void **state)
{
	struct account		 a;
	struct secret_key	 k;

	(void)state;
	memset(&a, 0, sizeof a);
	a.name = (char *)"work";
	a.email = (char *)"ann@example.com";
	a.imap_host = (char *)"imap.example.com";
	a.smtp_host = (char *)"smtp.example.com";
	a.imap_user = (char *)"ann";

	secret_key_for(&a, "imap", &k);
	assert_string_equal(k.account, "work");
	assert_string_equal(k.protocol, "imap");
	assert_string_equal(k.server, "imap.example.com");
	assert_string_equal(k.user, "ann");

	/* smtp-user defaults to the IMAP user. */
	secret_key_for(&a, "smtp", &k);
	assert_string_equal(k.protocol, "smtp");
	assert_string_equal(k.server, "smtp.example.com");
	assert_string_equal(k.user, "ann");

	a.smtp_user = (char *)"ann-smtp";
	secret_key_for(&a, "smtp", &k);
	assert_string_equal(k.user, "ann-smtp");

	a.imap_user = NULL;
	secret_key_for(&a, "imap", &k);
	assert_string_equal(k.user, "ann@example.com");
}

static void
test_for_account_command(void **state)
{
	struct account	 a;
	struct mc_err	 err;
	char		*pw;

	(void)state;
	memset(&a, 0, sizeof a);
	a.name = (char *)"work";
	a.imap_host = (char *)"imap.example.com";
	a.imap_user = (char *)"ann";
	a.password_command = (char *)"echo from-command";
	mc_err_clear(&err);
	assert_int_equal(secret_for_account(&a, "imap", &pw, &err), 0);
	assert_string_equal(pw, "from-command");
	mc_free_secret(pw);
	/* The same command serves SMTP. */
	assert_int_equal(secret_for_account(&a, "smtp", &pw, &err), 0);
	assert_string_equal(pw, "from-command");
	mc_free_secret(pw);

	a.password_command = (char *)"echo 'gpg: decryption failed' >&2; exit 2";
	assert_int_equal(secret_for_account(&a, "imap", &pw, &err), -1);
	assert_null(pw);
	assert_int_equal(err.kind, MCE_SECRET);
	assert_non_null(strstr(err.msg, "account work: password-command "
	    "failed with exit status 2: gpg: decryption failed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_line_only),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_stderr_sanitised),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_empty_output),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_empty_command),
		cmocka_unit_test(test_read_password_stdin),
		cmocka_unit_test(test_read_password_long),
		cmocka_unit_test(test_key_for),
		cmocka_unit_test(test_for_account_command),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}

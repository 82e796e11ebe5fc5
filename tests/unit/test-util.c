/*
 * test-util.c -- errors, allocation, files, paths and string helpers.
 */

#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static char	tmpdir[] = "/tmp/mc-util-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

static void
test_err_set(void **state)
{
	struct mc_err	err;

	(void)state;
	mc_err_clear(&err);
	assert_int_equal(err.kind, MCE_NONE);
	assert_string_equal(err.msg, "");
	mc_err_set(&err, MCE_IO, "Cannot open %s: %s.", "x", "gone");
	assert_int_equal(err.kind, MCE_IO);
	assert_string_equal(err.msg, "Cannot open x: gone.");
	/* NULL err is allowed everywhere. */
	mc_err_set(NULL, MCE_IO, "x");
	mc_err_server(NULL, "x");
	mc_err_clear(NULL);
}

static void
test_err_truncates_utf8(void **state)
{
	struct mc_err	 err;
	char		 big[MC_ERR_MAX * 2];
	size_t		 i;

	(void)state;
	/* 'ü' is two bytes; an odd prefix puts one across the limit. */
	big[0] = 'x';
	for (i = 1; i + 2 < sizeof big; i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xbc;
	}
	big[i] = '\0';
	mc_err_set(&err, MCE_IO, "%s", big);
	assert_true(strlen(err.msg) < MC_ERR_MAX);
	/* The last character is complete. */
	assert_int_equal((unsigned char)err.msg[strlen(err.msg) - 1], 0xbc);

	mc_err_server(&err, big);
	assert_true(strlen(err.server) < MC_ERR_MAX);
	assert_int_equal((unsigned char)err.server[strlen(err.server) - 1],
	    0xbc);
	assert_null(strchr(err.server, '?'));
}

static void
test_err_server_sanitises(void **state)
{
	struct mc_err	err;

	(void)state;
	mc_err_clear(&err);
	mc_err_server(&err, "NO \x1b[31mred\x1b[0m\tbad\r\n");
	assert_string_equal(err.server, "NO ?[31mred?[0m?bad");
	/* Server words survive a later mc_err_set. */
	mc_err_set(&err, MCE_SERVER, "The server refused.");
	assert_string_equal(err.server, "NO ?[31mred?[0m?bad");
	mc_err_server(&err, NULL);
	assert_string_equal(err.server, "");
}

static void
test_errkind_name(void **state)
{
	(void)state;
	assert_string_equal(mc_errkind_name(MCE_NONE), "none");
	assert_string_equal(mc_errkind_name(MCE_CERT_CHANGED),
	    "cert-changed");
	assert_string_equal(mc_errkind_name(MCE_SERVER), "server");
	assert_string_equal(mc_errkind_name((enum mc_errkind)999), "unknown");
}

static void
test_alloc(void **state)
{
	char	*s;
	int	*v;

	(void)state;
	s = xasprintf("%d-%s", 42, "x");
	assert_string_equal(s, "42-x");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	v = xcalloc(4, sizeof *v);
	assert_int_equal(v[3], 0);
	v = xrealloc(v, 100 * sizeof *v);
	v[99] = 1;
	free(v);
	free(xmalloc(0));
}

static void
test_wipe(void **state)
{
	char	buf[8] = "secret!";
	char	zero[8] = { 0 };

	(void)state;
	mc_wipe(buf, sizeof buf);
	assert_memory_equal(buf, zero, sizeof buf);
	mc_free_secret(xstrdup("hunter2"));
	mc_free_secret(NULL);
	mc_wipe(NULL, 0);
}

static void
test_write_atomic(void **state)
{
	struct mc_err	 err;
	struct stat	 sb;
	char		*path, *data;
	size_t		 len;
	mode_t		 old;

	(void)state;
	path = xasprintf("%s/file", tmpdir);
	/* A wide umask cannot take bits away, nor can a narrow one add. */
	old = umask(077);
	assert_int_equal(mc_write_atomic(path, "hello\n", 6, 0644, &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	umask(0);
	assert_int_equal(mc_write_atomic(path, "bye", 3, 0600, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	data = mc_read_file(path, &len, &err);
	assert_non_null(data);
	assert_int_equal(len, 3);
	assert_string_equal(data, "bye");
	free(data);
	free(path);

	/* Empty content is fine. */
	path = xasprintf("%s/empty", tmpdir);
	assert_int_equal(mc_write_atomic(path, "", 0, 0600, &err), 0);
	data = mc_read_file(path, &len, &err);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	free(path);
}

static void
test_write_atomic_fails(void **state)
{
	struct mc_err	 err;
	char		*path, *cmd;
	FILE		*p;
	char		 line[256];

	(void)state;
	path = xasprintf("%s/nodir/file", tmpdir);
	mc_err_clear(&err);
	assert_int_equal(mc_write_atomic(path, "x", 1, 0600, &err), -1);
	assert_int_equal(err.kind, MCE_IO);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, strerror(ENOENT)));
	free(path);

	/* Renaming over a directory fails; the tmp file must be gone. */
	path = xasprintf("%s/adir", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(mc_write_atomic(path, "x", 1, 0600, &err), -1);
	assert_non_null(strstr(err.msg, "rename"));
	cmd = xasprintf("ls '%s' | grep -c tmp", tmpdir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof line, p));
	pclose(p);
	assert_string_equal(line, "0\n");
	free(cmd);
	free(path);
}

static void
test_read_file_missing(void **state)
{
	struct mc_err	 err;
	char		*path;

	(void)state;
	path = xasprintf("%s/missing", tmpdir);
	assert_null(mc_read_file(path, NULL, &err));
	assert_int_equal(err.kind, MCE_NOTFOUND);
	assert_non_null(strstr(err.msg, path));
	free(path);
	assert_null(mc_read_file(tmpdir, NULL, &err));
	assert_int_equal(err.kind, MCE_IO);
}

static void
test_read_file_large(void **state)
{
	struct mc_err	 err;
	char		*path, *big, *back;
	size_t		 len, n = 100000, i;

	(void)state;
	path = xasprintf("%s/big", tmpdir);
	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(mc_write_atomic(path, big, n, 0600, &err), 0);
	back = mc_read_file(path, &len, &err);
	assert_non_null(back);
	assert_int_equal(len, n);
	assert_memory_equal(back, big, n);
	assert_int_equal(back[n], '\0');
	free(back);
	free(big);
	free(path);
}

static void
test_mkdir_p(void **state)
{
	struct mc_err	 err;
	struct stat	 sb;
	char		*path, *file;

	(void)state;
	path = xasprintf("%s/a/b//c/", tmpdir);
	assert_int_equal(mc_mkdir_p(path, 0700, &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 077, 0);
	/* Again: existing directories are fine. */
	assert_int_equal(mc_mkdir_p(path, 0700, &err), 0);
	free(path);

	file = xasprintf("%s/plain", tmpdir);
	assert_int_equal(mc_write_atomic(file, "x", 1, 0600, &err), 0);
	path = xasprintf("%s/sub", file);
	assert_int_equal(mc_mkdir_p(path, 0700, &err), -1);
	assert_int_equal(err.kind, MCE_IO);
	assert_non_null(strstr(err.msg, file));
	assert_int_equal(mc_mkdir_p(file, 0700, &err), -1);
	assert_int_equal(mc_mkdir_p("", 0700, &err), -1);
	free(path);
	free(file);
}

static void
test_xdg_path(void **state)
{
	char	*p;

	(void)state;
	setenv("HOME", "/home/ann", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_STATE_HOME");
	p = mc_xdg_path(MC_XDG_CONFIG, "accounts.conf");
	assert_string_equal(p, "/home/ann/.config/mailconn/accounts.conf");
	free(p);
	p = mc_xdg_path(MC_XDG_DATA, "known_certs");
	assert_string_equal(p, "/home/ann/.local/share/mailconn/known_certs");
	free(p);
	p = mc_xdg_path(MC_XDG_STATE, NULL);
	assert_string_equal(p, "/home/ann/.local/state/mailconn");
	free(p);

	setenv("XDG_CONFIG_HOME", "/x/conf/", 1);
	p = mc_xdg_path(MC_XDG_CONFIG, "accounts.conf");
	assert_string_equal(p, "/x/conf/mailconn/accounts.conf");
	free(p);
	/* Relative values are invalid per the spec and ignored. */
	setenv("XDG_STATE_HOME", "rel/state", 1);
	p = mc_xdg_path(MC_XDG_STATE, "mailconn.log");
	assert_string_equal(p, "/home/ann/.local/state/mailconn/mailconn.log");
	free(p);
	setenv("XDG_DATA_HOME", "", 1);
	p = mc_xdg_path(MC_XDG_DATA, "mail/work");
	assert_string_equal(p, "/home/ann/.local/share/mailconn/mail/work");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_DATA_HOME");
}

static void
test_expand_tilde(void **state)
{
	char	*p;

	(void)state;
	setenv("HOME", "/home/ann", 1);
	p = mc_expand_tilde("~/Mail/work");
	assert_string_equal(p, "/home/ann/Mail/work");
	free(p);
	p = mc_expand_tilde("~");
	assert_string_equal(p, "/home/ann");
	free(p);
	p = mc_expand_tilde("~bob/x");
	assert_string_equal(p, "~bob/x");
	free(p);
	p = mc_expand_tilde("/abs/~/x");
	assert_string_equal(p, "/abs/~/x");
	free(p);
	assert_null(mc_expand_tilde(NULL));
}

static void
test_sanitize(void **state)
{
	char	s[64];

	(void)state;
	strcpy(s, "a\x1b[2Jb\x7f\x01\tc");
	mc_sanitize(s);
	assert_string_equal(s, "a?[2Jb???c");
	/* Valid UTF-8 stays. */
	strcpy(s, "Entw\xc3\xbcrfe \xe6\x97\xa5 \xf0\x9f\x93\xa7");
	mc_sanitize(s);
	assert_string_equal(s, "Entw\xc3\xbcrfe \xe6\x97\xa5 \xf0\x9f\x93\xa7");
	/* C1 controls (CSI U+009B, U+0080, U+009F) become one '?'. */
	strcpy(s, "x\xc2\x9b" "31my\xc2\x80\xc2\x9fz\xc2\xa0");
	mc_sanitize(s);
	assert_string_equal(s, "x?31my??z\xc2\xa0");
	/* Invalid bytes: lone continuation, truncated, overlong, surrogate. */
	strcpy(s, "\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xff");
	mc_sanitize(s);
	assert_string_equal(s, "?|?|??|???|?");
	mc_sanitize(NULL);
}

static void
test_trim(void **state)
{
	char	s[32];

	(void)state;
	strcpy(s, " \t a b \r\n");
	assert_ptr_equal(mc_trim(s), s);
	assert_string_equal(s, "a b");
	strcpy(s, "   ");
	assert_string_equal(mc_trim(s), "");
	strcpy(s, "x");
	assert_string_equal(mc_trim(s), "x");
}

static void
test_now_hex(void **state)
{
	long long		a, b;
	char			out[9];
	const unsigned char	in[] = { 0x00, 0xab, 0x10, 0xff };

	(void)state;
	a = mc_now_ms();
	b = mc_now_ms();
	assert_true(a > 0);
	assert_true(b >= a);
	mc_hex(in, sizeof in, out);
	assert_string_equal(out, "00ab10ff");
	mc_hex(in, 0, out);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set),
		cmocka_unit_test(test_err_truncates_utf8),
		cmocka_unit_test(test_err_server_sanitises),
		cmocka_unit_test(test_errkind_name),
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_fails),
		cmocka_unit_test(test_read_file_missing),
		cmocka_unit_test(test_read_file_large),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_xdg_path),
		cmocka_unit_test(test_expand_tilde),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_now_hex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test-theme.c -- the theme parser, the search path, the shipped themes and
 * colour downgrading.  No terminal needed: theme.c never touches curses.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "theme.h"

static char	tmpdir[] = "/tmp/mc-theme-XXXXXX";

static int
setup(void **state)
{
	char	*d;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	d = xasprintf("%s/mailconn/themes", tmpdir);
	if (mc_mkdir_p(d, 0700, NULL) != 0)
		return -1;
	free(d);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int
parse(const char *text, struct theme *t, struct mc_err *err)
{
	return theme_parse(text, strlen(text), "t.theme", t, err);
}

/* The source tree's themes/: the test runs from the top or from build/. */
static char *
themes_dir(void)
{
	char	 exe[PATH_MAX], *slash, *d;
	ssize_t	 n;

	if (access("themes/default.theme", R_OK) == 0)
		return xstrdup("themes");
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	d = xasprintf("%s/../../themes", exe);
	assert_int_equal(access(d, R_OK), 0);
	return d;
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_parse_good(void **state)
{
	struct theme	 t;
	struct mc_err	 err;

	(void)state;
	assert_int_equal(parse(
	    "# a comment\n"
	    "\n"
	    "title = bright-white on blue bold   # trailing comment\n"
	    "  OK=green\n"
	    "error = 196 on 16 bold underline\n"
	    "dim = Color244 dim\n"
	    "key = brightyellow\n"
	    "status = on grey reverse\n"
	    "text = normal\n", &t, &err), 0);
	assert_int_equal(t.role[ROLE_TITLE].fg, 15);
	assert_int_equal(t.role[ROLE_TITLE].bg, 4);
	assert_int_equal(t.role[ROLE_TITLE].attrs, THEME_BOLD);
	assert_int_equal(t.role[ROLE_OK].fg, 2);
	assert_int_equal(t.role[ROLE_OK].bg, THEME_COLOR_DEFAULT);
	assert_int_equal(t.role[ROLE_ERROR].fg, 196);
	assert_int_equal(t.role[ROLE_ERROR].bg, 16);
	assert_int_equal(t.role[ROLE_ERROR].attrs,
	    THEME_BOLD | THEME_UNDERLINE);
	assert_int_equal(t.role[ROLE_DIM].fg, 244);
	assert_int_equal(t.role[ROLE_DIM].attrs, THEME_DIM);
	assert_int_equal(t.role[ROLE_KEY].fg, 11);
	assert_int_equal(t.role[ROLE_STATUS].fg, THEME_COLOR_DEFAULT);
	assert_int_equal(t.role[ROLE_STATUS].bg, 8);
	assert_int_equal(t.role[ROLE_STATUS].attrs, THEME_REVERSE);
	theme_clear(&t);
}

static void
test_unset_roles_look_like_text(void **state)
{
	struct theme	 t;
	struct mc_err	 err;

	(void)state;
	assert_int_equal(parse("text = white on black\nok = green\n", &t,
	    &err), 0);
	assert_int_equal(t.role[ROLE_WARN].fg, 7);
	assert_int_equal(t.role[ROLE_WARN].bg, 0);
	assert_false(t.role[ROLE_WARN].set);
	assert_true(t.role[ROLE_OK].set);
	assert_int_equal(t.role[ROLE_OK].fg, 2);
	theme_clear(&t);
	assert_int_equal(parse("", &t, &err), 0);
	assert_int_equal(t.role[ROLE_TITLE].fg, THEME_COLOR_DEFAULT);
	assert_int_equal(t.role[ROLE_TITLE].attrs, 0);
	theme_clear(&t);
}

static void
expect_error(const char *text, const char *where, const char *words)
{
	struct theme	 t;
	struct mc_err	 err;

	assert_int_equal(parse(text, &t, &err), -1);
	assert_int_equal(err.kind, MCE_CONFIG);
	if (strstr(err.msg, where) == NULL || strstr(err.msg, words) == NULL)
		fail_msg("error '%s' lacks '%s' or '%s'", err.msg, where,
		    words);
	assert_null(t.name);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_error("title = red\n\ntitel = blue\n", "t.theme:3:",
	    "unknown role 'titel'");
	expect_error("ok green\n", "t.theme:1:", "expected ROLE = COLOURS");
	expect_error("ok = green\nwarn = purple\n", "t.theme:2:",
	    "'purple' is not a colour");
	expect_error("ok = 256\n", "t.theme:1:", "'256' is not a colour");
	expect_error("ok = -1\n", "t.theme:1:", "'-1' is not a colour");
	expect_error("ok = red green\n", "t.theme:1:",
	    "two foreground colours");
	expect_error("ok = red on\n", "t.theme:1:", "'on' must be followed");
	expect_error("ok = red on bold\n", "t.theme:1:",
	    "'bold' is not a colour");
	expect_error("ok = red on blue on green\n", "t.theme:1:",
	    "two background colours");
	expect_error("ok = \n", "t.theme:1:", "no colour or attribute");
	expect_error("ok = red\n# x\nok = blue\n", "t.theme:3:",
	    "already set on line 1");
	expect_error("ok = blinking\n", "t.theme:1:", "nor an attribute");
}

static void
test_nul_byte(void **state)
{
	struct theme	 t;
	struct mc_err	 err;

	(void)state;
	assert_int_equal(theme_parse("ok = red\0x", 10, "n.theme", &t, &err),
	    -1);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void
test_color_words(void **state)
{
	(void)state;
	assert_int_equal(theme_color_parse("default"), -1);
	assert_int_equal(theme_color_parse("Black"), 0);
	assert_int_equal(theme_color_parse("white"), 7);
	assert_int_equal(theme_color_parse("bright-black"), 8);
	assert_int_equal(theme_color_parse("gray"), 8);
	assert_int_equal(theme_color_parse("brightcyan"), 14);
	assert_int_equal(theme_color_parse("bright-white"), 15);
	assert_int_equal(theme_color_parse("0"), 0);
	assert_int_equal(theme_color_parse("255"), 255);
	assert_int_equal(theme_color_parse("colour17"), 17);
	assert_int_equal(theme_color_parse("12x"), -2);
	assert_int_equal(theme_color_parse("bright-"), -2);
	assert_int_equal(theme_color_parse(""), -2);
}

static void
test_builtins(void **state)
{
	struct theme	 t;
	int		 i;

	(void)state;
	theme_builtin("default", &t);
	assert_string_equal(t.name, "default");
	for (i = 0; i < ROLE_COUNT; i++)
		assert_true(t.role[i].set);
	theme_clear(&t);
	theme_builtin("mono", &t);
	assert_string_equal(t.name, "mono");
	for (i = 0; i < ROLE_COUNT; i++) {
		assert_int_equal(t.role[i].fg, THEME_COLOR_DEFAULT);
		assert_int_equal(t.role[i].bg, THEME_COLOR_DEFAULT);
	}
	/* Mono must still tell selected and focused things apart. */
	assert_true(t.role[ROLE_SELECTED].attrs & THEME_REVERSE);
	assert_true(t.role[ROLE_FOCUS].attrs & THEME_REVERSE);
	theme_clear(&t);
}

static void
same_as_builtin(const char *dir, const char *name)
{
	struct theme	 file, built;
	struct mc_err	 err;
	char		*path = xasprintf("%s/%s.theme", dir, name);
	int		 i;

	assert_int_equal(theme_load(path, &file, &err), 0);
	theme_builtin(name, &built);
	for (i = 0; i < ROLE_COUNT; i++) {
		if (file.role[i].fg != built.role[i].fg ||
		    file.role[i].bg != built.role[i].bg ||
		    file.role[i].attrs != built.role[i].attrs)
			fail_msg("%s: role %s differs from the built-in theme",
			    path, theme_role_name(i));
	}
	theme_clear(&file);
	theme_clear(&built);
	free(path);
}

static void
test_shipped_themes(void **state)
{
	static const char *const wanted[] = {
		"default", "dark", "light", "high-contrast", "mono"
	};
	struct theme	 t;
	struct mc_err	 err;
	char		*dir = themes_dir(), *path;
	DIR		*d;
	struct dirent	*de;
	size_t		 i, n = 0;
	int		 r;

	(void)state;
	for (i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
		path = xasprintf("%s/%s.theme", dir, wanted[i]);
		if (theme_load(path, &t, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		/* Every shipped theme sets every role: nothing by accident. */
		for (r = 0; r < ROLE_COUNT; r++) {
			if (!t.role[r].set)
				fail_msg("%s leaves out '%s'", path,
				    theme_role_name(r));
		}
		assert_string_equal(t.name, wanted[i]);
		theme_clear(&t);
		free(path);
	}
	/* And any other file there parses too. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".theme") == NULL)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (theme_load(path, &t, &err) != 0)
			fail_msg("%s: %s", path, err.msg);
		theme_clear(&t);
		free(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
	same_as_builtin(dir, "default");
	same_as_builtin(dir, "mono");
	free(dir);
}

static void
test_search_path(void **state)
{
	struct theme	 t;
	struct mc_err	 err;
	char		*path, *found, **names;
	size_t		 i;
	int		 seen = 0;

	(void)state;
	path = xasprintf("%s/mailconn/themes/mine.theme", tmpdir);
	write_file(path, "title = red\n");
	found = theme_find("mine", &err);
	assert_non_null(found);
	assert_string_equal(found, path);
	free(found);
	assert_int_equal(theme_load("mine", &t, &err), 0);
	assert_string_equal(t.name, "mine");
	assert_string_equal(t.path, path);
	assert_int_equal(t.role[ROLE_TITLE].fg, 1);
	theme_clear(&t);
	names = theme_list();
	for (i = 0; names[i] != NULL; i++)
		seen |= strcmp(names[i], "mine") == 0 ? 1 :
		    strcmp(names[i], "mono") == 0 ? 2 : 0;
	assert_int_equal(seen, 3);
	theme_list_free(names);
	free(path);

	assert_null(theme_find("no-such-theme", &err));
	assert_int_equal(err.kind, MCE_NOTFOUND);
	assert_non_null(strstr(err.msg, "no theme named 'no-such-theme'"));
	assert_null(theme_find("a b", &err));
	assert_null(theme_find(".hidden", &err));
	/* Built-in names need no file. */
	assert_int_equal(theme_load("mono", &t, &err), 0);
	theme_clear(&t);
}

static void
test_broken_file_falls_back(void **state)
{
	struct theme	 t;
	struct mc_err	 err;
	char		*path, *where;

	(void)state;
	path = xasprintf("%s/mailconn/themes/broken.theme", tmpdir);
	write_file(path, "# fine\ntitle = red\nerror = reddish\n");
	assert_int_equal(theme_load("broken", &t, &err), -1);
	where = xasprintf("%s:3:", path);
	assert_non_null(strstr(err.msg, where));
	/* The caller still has a usable theme: the default. */
	assert_string_equal(t.name, "default");
	assert_true(t.role[ROLE_ERROR].set);
	theme_clear(&t);
	assert_int_equal(theme_load("missing-one", &t, &err), -1);
	assert_int_equal(err.kind, MCE_NOTFOUND);
	assert_string_equal(t.name, "default");
	theme_clear(&t);
	free(where);
	free(path);
}

static void
test_downgrade(void **state)
{
	int	 bold;

	(void)state;
	assert_int_equal(theme_downgrade(-1, 8, &bold), -1);
	assert_int_equal(theme_downgrade(200, 256, &bold), 200);
	assert_int_equal(bold, 0);
	assert_int_equal(theme_downgrade(3, 8, &bold), 3);
	/* Bright colours on 8: the base colour, bold. */
	assert_int_equal(theme_downgrade(9, 8, &bold), 1);
	assert_int_equal(bold, 1);
	assert_int_equal(theme_downgrade(14, 16, &bold), 14);
	assert_int_equal(bold, 0);
	/* The colour cube: 196 is pure red, 21 pure blue, 46 green. */
	assert_int_equal(theme_downgrade(196, 16, NULL), 9);
	assert_int_equal(theme_downgrade(21, 16, NULL), 12);
	assert_int_equal(theme_downgrade(46, 16, NULL), 10);
	assert_int_equal(theme_downgrade(18, 16, NULL), 4);	/* dark blue */
	assert_int_equal(theme_downgrade(221, 16, NULL), 11);	/* gold */
	assert_int_equal(theme_downgrade(110, 16, NULL), 14);	/* steel */
	assert_int_equal(theme_downgrade(16, 16, NULL), 0);
	assert_int_equal(theme_downgrade(231, 16, NULL), 15);
	/* Greys. */
	assert_int_equal(theme_downgrade(232, 16, NULL), 0);
	assert_int_equal(theme_downgrade(244, 16, NULL), 8);
	assert_int_equal(theme_downgrade(252, 16, NULL), 7);
	assert_int_equal(theme_downgrade(255, 16, NULL), 15);
	assert_int_equal(theme_downgrade(196, 8, &bold), 1);
	assert_int_equal(bold, 1);
	/* A terminal with fewer than 8 colours gets none. */
	assert_int_equal(theme_downgrade(5, 4, NULL), -1);
}

static void
test_no_color(void **state)
{
	(void)state;
	unsetenv("NO_COLOR");
	assert_false(theme_want_mono());
	setenv("NO_COLOR", "", 1);
	assert_false(theme_want_mono());	/* empty means unset */
	setenv("NO_COLOR", "1", 1);
	assert_true(theme_want_mono());
	unsetenv("NO_COLOR");
}

static void
test_role_names(void **state)
{
	enum theme_role	 r;
	int		 i;

	(void)state;
	for (i = 0; i < ROLE_COUNT; i++) {
		assert_int_equal(theme_role_parse(theme_role_name(i), &r), 0);
		assert_int_equal((int)r, i);
		assert_non_null(theme_role_help(i));
	}
	assert_int_equal(theme_role_parse("nope", &r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_unset_roles_look_like_text),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_color_words),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_shipped_themes),
		cmocka_unit_test(test_search_path),
		cmocka_unit_test(test_broken_file_falls_back),
		cmocka_unit_test(test_downgrade),
		cmocka_unit_test(test_no_color),
		cmocka_unit_test(test_role_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

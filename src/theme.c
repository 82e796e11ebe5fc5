/*
 * theme.c -- theme files: find, parse, map colours down.  Pure: no curses.
 * The format and the search path are documented in theme.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "theme.h"

#ifndef MC_DATADIR
#define MC_DATADIR "/usr/local/share/mailconn"
#endif

struct role_info {
	const char	*name;
	const char	*help;
};

#define THEME_ROLE_INFO(e, n, h) { n, h },
static const struct role_info role_info[ROLE_COUNT] = {
	THEME_ROLES(THEME_ROLE_INFO)
};
#undef THEME_ROLE_INFO

static const char *const color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow",
	"bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

static const struct {
	const char	*name;
	unsigned	 flag;
} attr_names[] = {
	{ "bold", THEME_BOLD },
	{ "dim", THEME_DIM },
	{ "underline", THEME_UNDERLINE },
	{ "reverse", THEME_REVERSE },
	{ "italic", THEME_ITALIC },
	{ "normal", 0 },
};

/*
 * The two themes compiled in.  themes/default.theme and themes/mono.theme
 * say the same (test-theme.c checks), so a person can copy and edit them.
 */
static const char builtin_default[] =
	"title    = bright-white on blue bold\n"
	"header   = cyan bold\n"
	"text     = default\n"
	"dim      = bright-black\n"
	"ok       = green bold\n"
	"warn     = yellow bold\n"
	"error    = red bold\n"
	"progress = cyan bold\n"
	"selected = black on cyan bold\n"
	"border   = blue\n"
	"input    = black on white\n"
	"focus    = black on bright-cyan\n"
	"key      = yellow bold\n"
	"button   = black on white\n"
	"status   = white on blue\n";

static const char builtin_mono[] =
	"title    = reverse bold\n"
	"header   = bold underline\n"
	"text     = normal\n"
	"dim      = dim\n"
	"ok       = bold\n"
	"warn     = bold\n"
	"error    = bold reverse\n"
	"progress = bold\n"
	"selected = reverse bold\n"
	"border   = normal\n"
	"input    = underline\n"
	"focus    = reverse\n"
	"key      = bold\n"
	"button   = underline\n"
	"status   = reverse\n";

static int	 parse_line(char *, const char *, int, struct theme *,
		     int *, struct mc_err *);
static int	 parse_value(char *, const char *, int, const char *,
		     struct theme_style *, struct mc_err *);
static int	 valid_name(const char *);
static char	*exe_themes_dir(void);
static void	 list_dir(const char *, char ***, size_t *);

const char *
theme_role_name(enum theme_role r)
{
	return r < ROLE_COUNT ? role_info[r].name : "?";
}

const char *
theme_role_help(enum theme_role r)
{
	return r < ROLE_COUNT ? role_info[r].help : "?";
}

int
theme_role_parse(const char *s, enum theme_role *out)
{
	int	 i;

	for (i = 0; i < ROLE_COUNT; i++) {
		if (strcasecmp(s, role_info[i].name) == 0) {
			*out = (enum theme_role)i;
			return 0;
		}
	}
	return -1;
}

int
theme_color_parse(const char *s)
{
	char	*end;
	long	 n;
	int	 i;

	if (strcasecmp(s, "default") == 0)
		return THEME_COLOR_DEFAULT;
	if (strcasecmp(s, "grey") == 0 || strcasecmp(s, "gray") == 0)
		return 8;
	for (i = 0; i < 16; i++) {
		if (strcasecmp(s, color_names[i]) == 0)
			return i;
		/* "brightred" as well as "bright-red" */
		if (i >= 8 && strncasecmp(s, "bright", 6) == 0 &&
		    strcasecmp(s + 6, color_names[i] + 7) == 0)
			return i;
	}
	if (strncasecmp(s, "color", 5) == 0 || strncasecmp(s, "colour", 6) == 0)
		s += s[5] == 'r' || s[5] == 'R' ? 6 : 5;
	if (!isdigit((unsigned char)*s))
		return -2;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || n < 0 || n > 255)
		return -2;
	return (int)n;
}

void
theme_clear(struct theme *t)
{
	free(t->name);
	free(t->path);
	memset(t, 0, sizeof *t);
}

void
theme_builtin(const char *name, struct theme *t)
{
	struct mc_err	 err;
	int		 mono = name != NULL && strcmp(name, "mono") == 0;
	const char	*text = mono ? builtin_mono : builtin_default;

	if (theme_parse(text, strlen(text), "(built in)", t, &err) != 0)
		fatalx("theme: built-in theme: %s", err.msg);
	free(t->name);
	t->name = xstrdup(mono ? "mono" : "default");
}

/* Roles the file left out look like "text". */
static void
theme_fill(struct theme *t)
{
	int	 i;

	if (!t->role[ROLE_TEXT].set) {
		t->role[ROLE_TEXT].fg = t->role[ROLE_TEXT].bg =
		    THEME_COLOR_DEFAULT;
		t->role[ROLE_TEXT].attrs = 0;
	}
	for (i = 0; i < ROLE_COUNT; i++) {
		if (!t->role[i].set && i != ROLE_TEXT) {
			t->role[i] = t->role[ROLE_TEXT];
			t->role[i].set = 0;
		}
	}
}

int
theme_parse(const char *text, size_t len, const char *file, struct theme *t,
    struct mc_err *err)
{
	char	*copy, *line, *next;
	int	 lineno = 0, seen[ROLE_COUNT] = { 0 };

	memset(t, 0, sizeof *t);
	mc_err_clear(err);
	copy = xstrndup(text, len);
	if (strlen(copy) != len) {
		mc_err_set(err, MCE_CONFIG, "%s: contains a NUL byte, "
		    "not a theme file", file);
		free(copy);
		return -1;
	}
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (parse_line(line, file, lineno, t, seen, err) != 0) {
			free(copy);
			theme_clear(t);
			return -1;
		}
	}
	free(copy);
	theme_fill(t);
	return 0;
}

static int
parse_line(char *line, const char *file, int lineno, struct theme *t,
    int *seen, struct mc_err *err)
{
	char		*eq, *key, *hash;
	enum theme_role	 r;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	line = mc_trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		mc_err_set(err, MCE_CONFIG, "%s:%d: expected ROLE = COLOURS, "
		    "found '%.60s'", file, lineno, line);
		return -1;
	}
	*eq = '\0';
	key = mc_trim(line);
	if (theme_role_parse(key, &r) != 0) {
		mc_err_set(err, MCE_CONFIG, "%s:%d: unknown role '%.40s' "
		    "(roles: title, header, text, dim, ok, warn, error, "
		    "progress, selected, border, input, focus, key, button, "
		    "status)", file, lineno, key);
		return -1;
	}
	if (seen[r]) {
		mc_err_set(err, MCE_CONFIG, "%s:%d: role '%s' is already set "
		    "on line %d", file, lineno, theme_role_name(r), seen[r]);
		return -1;
	}
	seen[r] = lineno;
	return parse_value(eq + 1, file, lineno, theme_role_name(r),
	    &t->role[r], err);
}

static int
attr_parse(const char *w, unsigned *flag)
{
	size_t	 i;

	for (i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
		if (strcasecmp(w, attr_names[i].name) == 0) {
			*flag = attr_names[i].flag;
			return 0;
		}
	}
	return -1;
}

static int
parse_value(char *val, const char *file, int lineno, const char *role,
    struct theme_style *st, struct mc_err *err)
{
	char		*w, *save = NULL;
	int		 c, have_fg = 0, have_bg = 0, words = 0, want_bg = 0;
	unsigned	 flag;

	st->fg = st->bg = THEME_COLOR_DEFAULT;
	st->attrs = 0;
	for (w = strtok_r(val, " \t\r", &save); w != NULL;
	    w = strtok_r(NULL, " \t\r", &save)) {
		words++;
		if (!want_bg && strcasecmp(w, "on") == 0) {
			if (have_bg)
				goto twice;
			want_bg = 1;
			continue;
		}
		if ((c = theme_color_parse(w)) != -2) {
			if (want_bg) {
				st->bg = (short)c;
				have_bg = 1;
				want_bg = 0;
			} else if (have_fg) {
				mc_err_set(err, MCE_CONFIG, "%s:%d: '%s' has "
				    "two foreground colours (write 'FG on BG' "
				    "for a background)", file, lineno, role);
				return -1;
			} else {
				st->fg = (short)c;
				have_fg = 1;
			}
			continue;
		}
		if (!want_bg && attr_parse(w, &flag) == 0) {
			st->attrs |= flag;
			continue;
		}
		mc_err_set(err, MCE_CONFIG, "%s:%d: '%.40s' is not a colour "
		    "(a name such as red or bright-blue, or 0-255)%s", file,
		    lineno, w, want_bg ? "" : " nor an attribute (bold, dim, "
		    "underline, reverse, italic, normal)");
		return -1;
	}
	if (want_bg) {
		mc_err_set(err, MCE_CONFIG, "%s:%d: 'on' must be followed by a "
		    "background colour", file, lineno);
		return -1;
	}
	if (words == 0) {
		mc_err_set(err, MCE_CONFIG, "%s:%d: no colour or attribute for "
		    "'%s' (write 'normal' for the terminal's own)", file,
		    lineno, role);
		return -1;
	}
	st->set = 1;
	return 0;
twice:
	mc_err_set(err, MCE_CONFIG, "%s:%d: '%s' has two background colours",
	    file, lineno, role);
	return -1;
}

static int
valid_name(const char *name)
{
	const char	*p;

	if (*name == '\0' || strlen(name) > 64)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return 0;
	}
	return name[0] != '.';
}

/* The themes/ directory beside the build directory of the running binary. */
static char *
exe_themes_dir(void)
{
	char	 exe[PATH_MAX], *slash;
	ssize_t	 n;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	/* build/mailconn -> the tree's themes/ (no "..": shown to people) */
	return xasprintf("%.*s/themes", (int)(slash - exe), exe);
}

/* The search directories, in order; NULL entries are skipped. */
static void
search_dirs(char *dirs[3])
{
	dirs[0] = mc_xdg_path(MC_XDG_CONFIG, "themes");
	dirs[1] = xstrdup(MC_DATADIR "/themes");
	dirs[2] = exe_themes_dir();
}

char *
theme_find(const char *name, struct mc_err *err)
{
	char	*dirs[3], *path = NULL;
	int	 i;

	mc_err_clear(err);
	if (strchr(name, '/') != NULL) {
		if (access(name, R_OK) == 0)
			return xstrdup(name);
		mc_err_set(err, MCE_NOTFOUND, "cannot read the theme file %s: "
		    "%s", name, strerror(errno));
		return NULL;
	}
	if (!valid_name(name)) {
		mc_err_set(err, MCE_NOTFOUND, "'%.64s' is not a theme name "
		    "(letters, digits, '-', '_')", name);
		return NULL;
	}
	search_dirs(dirs);
	for (i = 0; i < 3 && path == NULL; i++) {
		if (dirs[i] == NULL)
			continue;
		path = xasprintf("%s/%s.theme", dirs[i], name);
		if (access(path, R_OK) != 0) {
			free(path);
			path = NULL;
		}
	}
	if (path == NULL)
		mc_err_set(err, MCE_NOTFOUND, "no theme named '%s' (looked "
		    "for %s.theme in %s, %s and %s)", name, name,
		    dirs[0] != NULL ? dirs[0] : "-", dirs[1],
		    dirs[2] != NULL ? dirs[2] : "-");
	for (i = 0; i < 3; i++)
		free(dirs[i]);
	return path;
}

int
theme_load(const char *name, struct theme *t, struct mc_err *err)
{
	char	*path, *text, *base, *dot;
	size_t	 len;

	if ((path = theme_find(name, err)) == NULL) {
		/* The compiled-in ones need no file. */
		if (strcmp(name, "default") == 0 || strcmp(name, "mono") == 0) {
			theme_builtin(name, t);
			mc_err_clear(err);
			return 0;
		}
		theme_builtin("default", t);
		return -1;
	}
	if ((text = mc_read_file(path, &len, err)) == NULL) {
		free(path);
		theme_builtin("default", t);
		return -1;
	}
	if (theme_parse(text, len, path, t, err) != 0) {
		free(text);
		free(path);
		theme_builtin("default", t);
		return -1;
	}
	free(text);
	base = strrchr(path, '/');
	t->name = xstrdup(base != NULL ? base + 1 : path);
	if ((dot = strrchr(t->name, '.')) != NULL && strcmp(dot, ".theme") == 0)
		*dot = '\0';
	t->path = path;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_add(char ***names, size_t *n, const char *name)
{
	size_t	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*names)[i], name) == 0)
			return;
	}
	*names = xrealloc(*names, (*n + 2) * sizeof **names);
	(*names)[(*n)++] = xstrdup(name);
	(*names)[*n] = NULL;
}

static void
list_dir(const char *dir, char ***names, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	char		*name;
	size_t		 len;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 6 || strcmp(de->d_name + len - 6, ".theme") != 0)
			continue;
		name = xstrndup(de->d_name, len - 6);
		if (valid_name(name))
			list_add(names, n, name);
		free(name);
	}
	closedir(d);
}

char **
theme_list(void)
{
	char	**names = NULL, *dirs[3];
	size_t	  n = 0;
	int	  i;

	list_add(&names, &n, "default");
	list_add(&names, &n, "mono");
	search_dirs(dirs);
	for (i = 0; i < 3; i++) {
		list_dir(dirs[i], &names, &n);
		free(dirs[i]);
	}
	qsort(names, n, sizeof *names, cmp_str);
	return names;
}

void
theme_list_free(char **names)
{
	size_t	 i;

	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/* The 16-colour index closest to xterm colour c (16-255). */
static int
nearest16(int c)
{
	static const int grey16[] = { 0, 8, 7, 15 };
	int	 r, g, b, m, v, idx;

	if (c >= 232) {			/* grey ramp: 8, 18, ..., 238 */
		v = 8 + 10 * (c - 232);
		return grey16[v < 48 ? 0 : v < 160 ? 1 : v < 224 ? 2 : 3];
	}
	c -= 16;
	r = c / 36;
	g = (c / 6) % 6;
	b = c % 6;
	m = r > g ? r : g;
	m = m > b ? m : b;
	if (m == 0)
		return 0;
	if (r == g && g == b)
		return grey16[m <= 2 ? 1 : m <= 4 ? 2 : 3];
	/* Components near the strongest one are "on". */
	v = m >= 3 ? m - 1 : m;
	idx = (r >= v ? 1 : 0) | (g >= v ? 2 : 0) | (b >= v ? 4 : 0);
	return m >= 4 ? idx + 8 : idx;
}

int
theme_downgrade(int c, int ncolors, int *bold)
{
	if (bold != NULL)
		*bold = 0;
	if (c < 0 || c < ncolors)
		return c;
	if (c >= 16)
		c = nearest16(c);
	if (c >= 8 && ncolors < 16) {
		if (bold != NULL)
			*bold = 1;	/* bright = bold on 8-colour terminals */
		c -= 8;
	}
	if (c >= ncolors)		/* fewer than 8: give up on colour */
		return THEME_COLOR_DEFAULT;
	return c;
}

int
theme_want_mono(void)
{
	const char	*s = getenv("NO_COLOR");

	return s != NULL && *s != '\0';
}

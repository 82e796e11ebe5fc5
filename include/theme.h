/*
 * theme.h -- colour roles and the theme files that map them to colours.
 *
 * The UI never names a colour: it draws with a role (title, ok, error...),
 * and a theme says what each role looks like.  This module is pure: it reads
 * and parses files but never touches the terminal, so it is tested without
 * one (tests/unit/test-theme.c).  ui.c turns a struct theme into colour
 * pairs.
 *
 * File format (themes/NAME.theme, documented in mailconn.conf(5)):
 *
 *   # comment
 *   ROLE = [FG] [on BG] [ATTRIBUTE ...]
 *
 *   ROLE       one of the names in THEME_ROLES below
 *   FG, BG     default | black | red | green | yellow | blue | magenta |
 *              cyan | white | bright-black (also grey, gray) | bright-red |
 *              ... | bright-white | a number 0-255 (xterm palette)
 *   ATTRIBUTE  bold | dim | underline | reverse | italic | normal
 *
 * Words are case-insensitive.  A role may be set once per file.  A role the
 * file leaves out looks like "text".  Any other line is an error naming
 * file:line, and the caller falls back to the built-in default theme.
 *
 * Where a theme NAME is looked for, first hit wins:
 *   1. NAME contains '/': that file itself.
 *   2. $XDG_CONFIG_HOME/mailconn/themes/NAME.theme (the person's own)
 *   3. MC_DATADIR/themes/NAME.theme (installed by `make install`)
 *   4. DIR/../themes/NAME.theme, DIR being where the running binary is:
 *      build/mailconn finds the source tree's themes/ without installing.
 * The names "default" and "mono" are also compiled in, so mailconn starts
 * with no theme files at all.
 *
 * Colours beyond what the terminal has are mapped down (theme_downgrade):
 * 256 -> 16 -> 8.  NO_COLOR or a terminal without colours means "mono"
 * whatever was asked (ui.c decides that; theme_want_mono() helps).
 */
#ifndef MC_THEME_H
#define MC_THEME_H

#include <stddef.h>

#include "util.h"

/* X(ENUM, "file name", "what it colours") -- ncdu's UI_COLORS idea. */
#define THEME_ROLES(X)							\
	X(TITLE,    "title",    "title bar at the top")			\
	X(HEADER,   "header",   "headings inside a screen")		\
	X(TEXT,     "text",     "ordinary text")			\
	X(DIM,      "dim",      "hints and secondary text")		\
	X(OK,       "ok",       "success marks")			\
	X(WARN,     "warn",     "warnings")				\
	X(ERROR,    "error",    "failures and error messages")		\
	X(PROGRESS, "progress", "spinners and running steps")		\
	X(SELECTED, "selected", "the highlighted row or button")	\
	X(BORDER,   "border",   "frames and separators")		\
	X(INPUT,    "input",    "text fields")				\
	X(FOCUS,    "focus",    "the text field being edited")		\
	X(KEY,      "key",      "key names in the key bar and help")	\
	X(BUTTON,   "button",   "buttons not focused")			\
	X(STATUS,   "status",   "the key bar at the bottom")

#define THEME_ROLE_ENUM(e, n, h) ROLE_##e,
enum theme_role {
	THEME_ROLES(THEME_ROLE_ENUM)
	ROLE_COUNT
};
#undef THEME_ROLE_ENUM

#define THEME_BOLD	0x01
#define THEME_DIM	0x02
#define THEME_UNDERLINE	0x04
#define THEME_REVERSE	0x08
#define THEME_ITALIC	0x10

#define THEME_COLOR_DEFAULT (-1)	/* the terminal's own colour */

struct theme_style {
	short		 fg;		/* -1 default, 0-255 */
	short		 bg;
	unsigned	 attrs;		/* THEME_* */
	int		 set;		/* given by the file (or built in) */
};

struct theme {
	char		*name;		/* "default", or the file's base name */
	char		*path;		/* file it came from; NULL: built in */
	struct theme_style role[ROLE_COUNT];
};

const char	*theme_role_name(enum theme_role);
const char	*theme_role_help(enum theme_role);
/* 0 and *out on success, -1 for an unknown name. */
int		 theme_role_parse(const char *, enum theme_role *);
/* A colour word or number -> -1..255; -2 when not a colour. */
int		 theme_color_parse(const char *);

/* "default" or "mono" (anything else gives default).  Free with theme_clear. */
void		 theme_builtin(const char *name, struct theme *);
/*
 * Parse a theme file's text.  file names it in errors ("file:line: ...",
 * MCE_CONFIG).  On error *t is left cleared (theme_clear()ed).
 */
int		 theme_parse(const char *text, size_t len, const char *file,
		     struct theme *, struct mc_err *);
/* The path of theme NAME (see above), or NULL with MCE_NOTFOUND. */
char		*theme_find(const char *name, struct mc_err *);
/* Find and parse.  On failure *t holds the built-in default and err why. */
int		 theme_load(const char *name, struct theme *, struct mc_err *);
void		 theme_clear(struct theme *);
/* Names of the themes found in the search path, sorted, NULL-terminated. */
char	       **theme_list(void);
void		 theme_list_free(char **);

/* Map colour c (0-255) into a palette of ncolors (8, 16, 88, 256...). */
int		 theme_downgrade(int c, int ncolors, int *bold);
/* 1 when NO_COLOR is set to a non-empty value (https://no-color.org). */
int		 theme_want_mono(void);

#endif

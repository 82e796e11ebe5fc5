/*
 * ui.c -- the terminal loop, colour roles, text drawing, the help overlay.
 * Widgets are in the second half.  Contract in ui.h.
 *
 * One loop (tmux's server_client_loop in miniature): poll() on the terminal
 * and the engine's wake pipe; keys and events only mark the screen dirty;
 * one redraw at the end of the turn.  A spinner asks for the next frame by
 * calling ui_animate() while drawing, which bounds the poll timeout.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "ui.h"

#define UI_SPIN_MS	100
#define UI_MAX_MODALS	8
#define UI_KEYS_PER_TURN 512
/* Codes for the bracketed-paste markers (define_key). */
#define UI_PASTE_BEGIN	(KEY_MAX + 1)
#define UI_PASTE_END	(KEY_MAX + 2)

struct ui_layer {
	const struct ui_screen	*s;
	void			*ctx;
};

static struct {
	int			 started;
	struct ui_layer		 root;
	struct ui_layer		 modal[UI_MAX_MODALS];
	int			 nmodal;
	int			 dirty;
	int			 animating;
	int			 quit;
	int			 rc;
	struct event_queue	*q;
	struct theme		 theme;
	int			 mono;
	attr_t			 attr[ROLE_COUNT];
	short			 pair[ROLE_COUNT];
	char			 title[256];
	char			 notice[1024];
	enum theme_role		 notice_role;
	int			 cy, cx;
	int			 help;
	int			 spin;
	long long		 last_spin;
	MEVENT			 mouse;
	int			 in_paste;
	int			 utf8;
} ui;

static const char *const spin_utf8[] = {
	"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"
};
static const char *const spin_ascii[] = { "|", "/", "-", "\\" };

static const char *const glyph_utf8[] = {
	"✓", "✗", "!", "–", "·", "•", "[✓]", "[ ]", "(•)", "( )", "…", "→"
};
static const char *const glyph_ascii[] = {
	"+", "x", "!", "-", ".", "*", "[x]", "[ ]", "(*)", "( )", "~", ">"
};

/* Keys every screen has; shown in the help under the screen's own. */
static const struct ui_binding ui_global_keys[] = {
	{ UI_TAB, "Tab / Shift-Tab", "next / previous field or button", 0, NULL },
	{ UI_KEY(KEY_DOWN), "Up / Down", "move between fields, rows", 0, NULL },
	{ UI_ENTER, "Enter", "press the focused button", 0, NULL },
	{ ' ', "Space", "tick a box, pick an option", 0, 0 },
	{ UI_KEY(KEY_LEFT), "Left / Right", "move in a field; pick an option",
	  0, 0 },
	{ UI_CTRL('u'), "^U  ^K  ^W", "clear a field before / after the "
	  "cursor, a word", 0, NULL },
	{ UI_MOUSE, "mouse", "click a field, button, option or box", 0, NULL },
	{ UI_F1, "F1 / ?", "this help (? outside text fields)", 0, NULL },
	{ UI_CTRL('l'), "^L", "redraw the screen", 0, NULL },
};

static void	 draw_all(void);
static void	 handle_key(int);
static void	 read_keys(void);
static void	 drain_events(void);

/* ------------------------------------------------------------ setup */

static void
setup_colours(void)
{
	struct theme_style	*st;
	int			 r, fg, bg, bold;

	if (!ui.mono && has_colors()) {
		start_color();
		if (COLORS < 8 || COLOR_PAIRS <= ROLE_COUNT)
			ui.mono = 1;
		else if (use_default_colors() == ERR)
			assume_default_colors(COLOR_WHITE, COLOR_BLACK);
	} else
		ui.mono = 1;
	if (ui.mono && strcmp(ui.theme.name, "mono") != 0) {
		theme_clear(&ui.theme);
		theme_builtin("mono", &ui.theme);
	}
	for (r = 0; r < ROLE_COUNT; r++) {
		st = &ui.theme.role[r];
		ui.attr[r] = A_NORMAL;
		ui.pair[r] = 0;
		if (st->attrs & THEME_BOLD)
			ui.attr[r] |= A_BOLD;
		if (st->attrs & THEME_DIM)
			ui.attr[r] |= A_DIM;
		if (st->attrs & THEME_UNDERLINE)
			ui.attr[r] |= A_UNDERLINE;
		if (st->attrs & THEME_REVERSE)
			ui.attr[r] |= A_REVERSE;
		if (st->attrs & THEME_ITALIC)
			ui.attr[r] |= A_ITALIC;
		if (ui.mono)
			continue;
		fg = theme_downgrade(st->fg, COLORS, &bold);
		bg = theme_downgrade(st->bg, COLORS, NULL);
		if (bold)
			ui.attr[r] |= A_BOLD;
		init_pair((short)(r + 1), (short)fg, (short)bg);
		ui.pair[r] = (short)(r + 1);
	}
}

/* Enable bracketed paste (tmux and xterm send markers around a paste). */
static void
setup_paste(void)
{
	define_key("\033[200~", UI_PASTE_BEGIN);
	define_key("\033[201~", UI_PASTE_END);
	putp("\033[?2004h");
	fflush(stdout);
}

int
ui_init(const struct ui_opts *o, struct mc_err *err)
{
	struct mc_err	 terr;
	const char	*cs;

	mc_err_clear(err);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		mc_err_set(err, MCE_USAGE, "the account wizard needs a "
		    "terminal (stdin and stdout are not one)");
		return -1;
	}
	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	ui.utf8 = cs != NULL && strcmp(cs, "UTF-8") == 0;
	if (theme_load(o != NULL && o->theme != NULL ? o->theme : "default",
	    &ui.theme, &terr) != 0) {
		ui.notice_role = ROLE_ERROR;
		snprintf(ui.notice, sizeof ui.notice, "Using the default "
		    "theme: %s", terr.msg);
	}
	ui.mono = theme_want_mono();
	set_escdelay(25);
	if (newterm(NULL, stdout, stdin) == NULL) {
		mc_err_set(err, MCE_USAGE, "cannot use the terminal '%s'",
		    getenv("TERM") != NULL ? getenv("TERM") : "(unset)");
		theme_clear(&ui.theme);
		return -1;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	setup_colours();
	bkgdset(ui.attr[ROLE_TEXT] | COLOR_PAIR(ui.pair[ROLE_TEXT]) | ' ');
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED |
	    BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	setup_paste();
	ui.q = events_new();
	ui.started = 1;
	ui.dirty = 1;
	return 0;
}

void
ui_end(void)
{
	if (!ui.started)
		return;
	putp("\033[?2004l");
	endwin();
	/*
	 * The queue outlives the terminal: engine threads that were
	 * abandoned (a stalled server) may still post.  Shut down, their
	 * events are dropped and their prompts answered "reject".
	 */
	events_shutdown(ui.q);
	theme_clear(&ui.theme);
	ui.started = 0;
}

struct event_queue *
ui_queue(void)
{
	return ui.q;
}

const struct theme *
ui_theme(void)
{
	return &ui.theme;
}

int
ui_utf8(void)
{
	return ui.utf8;
}

/* ------------------------------------------------------------ state */

void
ui_quit(int rc)
{
	ui.quit = 1;
	ui.rc = rc;
}

void
ui_dirty(void)
{
	ui.dirty = 1;
}

void
ui_animate(void)
{
	ui.animating = 1;
}

const char *
ui_spinner(void)
{
	if (ui.utf8)
		return spin_utf8[ui.spin % 10];
	return spin_ascii[ui.spin % 4];
}

void
ui_set_screen(const struct ui_screen *s, void *ctx)
{
	ui.root.s = s;
	ui.root.ctx = ctx;
	ui.dirty = 1;
}

void
ui_push_modal(const struct ui_screen *s, void *ctx)
{
	if (ui.nmodal == UI_MAX_MODALS)
		fatalx("ui: too many modals");
	ui.modal[ui.nmodal].s = s;
	ui.modal[ui.nmodal].ctx = ctx;
	ui.nmodal++;
	ui.dirty = 1;
}

void
ui_pop_modal(void *ctx)
{
	int	 i;

	for (i = ui.nmodal - 1; i >= 0; i--) {
		if (ui.modal[i].ctx == ctx) {
			memmove(&ui.modal[i], &ui.modal[i + 1],
			    (size_t)(ui.nmodal - i - 1) * sizeof ui.modal[0]);
			ui.nmodal--;
			break;
		}
	}
	ui.dirty = 1;
}

int
ui_modal_open(void)
{
	return ui.nmodal > 0;
}

void
ui_set_title(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(ui.title, sizeof ui.title, fmt, ap);
	va_end(ap);
	ui.dirty = 1;
}

void
ui_notice(enum theme_role role, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(ui.notice, sizeof ui.notice, fmt, ap);
	va_end(ap);
	mc_sanitize(ui.notice);
	ui.notice_role = role;
	ui.dirty = 1;
}

void
ui_cursor(int y, int x)
{
	ui.cy = y;
	ui.cx = x;
}

const MEVENT *
ui_mouse(void)
{
	return &ui.mouse;
}

int
ui_binding_find(const struct ui_binding *b, size_t n, int key)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (b[i].key == key)
			return b[i].action;
	}
	return -1;
}

int
ui_body_top(void)
{
	return 1;
}

int
ui_body_lines(void)
{
	return LINES - 3;
}

static struct ui_layer *
top_layer(void)
{
	return ui.nmodal > 0 ? &ui.modal[ui.nmodal - 1] : &ui.root;
}

/* ------------------------------------------------------------ loop */

int
ui_run(const struct ui_screen *s, void *ctx)
{
	struct ui_layer	 outer = ui.root;
	struct pollfd	 pfd[2];
	long long	 now;
	int		 timeout, rc;
	char		 title[sizeof ui.title];

	memcpy(title, ui.title, sizeof title);

	ui_set_screen(s, ctx);
	ui.quit = 0;
	ui.help = 0;
	while (!ui.quit) {
		if (ui.dirty)
			draw_all();
		timeout = -1;
		if (ui.animating) {
			timeout = (int)(UI_SPIN_MS - (mc_now_ms() -
			    ui.last_spin));
			if (timeout < 0)
				timeout = 0;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = events_wake_fd(ui.q);
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			fatalx("ui: poll: %s", strerror(errno));
		now = mc_now_ms();
		if (ui.animating && now - ui.last_spin >= UI_SPIN_MS) {
			ui.spin++;
			ui.last_spin = now;
			ui.dirty = 1;
		}
		if (pfd[1].revents & POLLIN)
			drain_events();
		/* Always: after EINTR (SIGWINCH) curses has KEY_RESIZE. */
		read_keys();
	}
	/* Nested (the dashboard runs the wizard): the outer loop goes on. */
	rc = ui.rc;
	ui.root = outer;
	memcpy(ui.title, title, sizeof title);
	ui.quit = 0;
	ui.help = 0;
	ui.dirty = 1;
	return rc;
}

static void
drain_events(void)
{
	struct event	*ev;

	while ((ev = events_next(ui.q)) != NULL) {
		if (ev->type == EV_CERT_PROMPT)
			prompt_open(ev->data);
		else if (ui.root.s != NULL && ui.root.s->event != NULL)
			ui.root.s->event(ui.root.ctx, ev);
		event_free(ev);
		ui.dirty = 1;
	}
}

static int
normalise_key(int rc, wint_t wc)
{
	if (rc == KEY_CODE_YES) {
		switch (wc) {
		case KEY_ENTER:
			return ui.in_paste ? ('\n' | UI_PASTE) : UI_ENTER;
		case KEY_BACKSPACE:
			return UI_KEY(KEY_BACKSPACE);
		default:
			return UI_KEY((int)wc);
		}
	}
	if (ui.in_paste)
		return (int)wc | UI_PASTE;
	if (wc == '\r' || wc == '\n')
		return UI_ENTER;
	if (wc == 127 || wc == 8)
		return UI_KEY(KEY_BACKSPACE);
	return (int)wc;
}

static void
read_keys(void)
{
	wint_t	 wc;
	int	 rc, n, key;

	for (n = 0; n < UI_KEYS_PER_TURN && !ui.quit; n++) {
		rc = wget_wch(stdscr, &wc);
		if (rc == ERR)
			break;
		if (rc == KEY_CODE_YES && wc == UI_PASTE_BEGIN) {
			ui.in_paste = 1;
			continue;
		}
		if (rc == KEY_CODE_YES && wc == UI_PASTE_END) {
			ui.in_paste = 0;
			continue;
		}
		if (rc == KEY_CODE_YES && wc == KEY_MOUSE &&
		    getmouse(&ui.mouse) != OK)
			continue;
		key = normalise_key(rc, wc);
		handle_key(key);
	}
}

static int
too_small(void)
{
	return COLS < UI_MIN_COLS || LINES < UI_MIN_LINES;
}

static void
handle_key(int key)
{
	struct ui_layer	*top = top_layer();
	int		 typing;

	ui.dirty = 1;
	if (key == UI_RESIZE)
		return;
	if (key == UI_CTRL('l')) {
		clearok(curscr, TRUE);
		return;
	}
	if (too_small()) {
		if (key == UI_CTRL('c'))
			ui_quit(130);
		return;
	}
	if (key != UI_MOUSE)
		ui.notice[0] = '\0';
	if (ui.help) {
		if (key != UI_MOUSE)
			ui.help = 0;
		return;
	}
	typing = top->s->typing != NULL && top->s->typing(top->ctx);
	if (key == UI_F1 || (key == '?' && !typing)) {
		ui.help = 1;
		return;
	}
	if (top->s->key != NULL)
		top->s->key(top->ctx, key);
}

/* ------------------------------------------------------------ drawing */

static void
draw_too_small(void)
{
	char	 buf[128];
	int	 y = LINES / 2, w;

	snprintf(buf, sizeof buf, "terminal too small (need %dx%d, have "
	    "%dx%d)", UI_MIN_COLS, UI_MIN_LINES, COLS, LINES);
	w = ui_width(buf);
	ui_text(y > 0 ? y - 1 : 0, COLS > w ? (COLS - w) / 2 : 0, COLS,
	    ROLE_WARN, buf);
	if (LINES > 2)
		ui_text(y + 1, 0, COLS, ROLE_DIM, "enlarge the window, or "
		    "Ctrl-C to quit");
}

static int
draw_key_name(int y, int x, int maxx, const struct ui_binding *b)
{
	int	 n;

	if (x >= maxx - 2)
		return x;
	n = ui_text(y, x, maxx - x, ROLE_KEY, b->name);
	x += n + 1;
	if (x < maxx) {
		n = ui_text(y, x, maxx - x, ROLE_STATUS, b->bar);
		x += n + 2;
	}
	return x;
}

static void
draw_key_bar(void)
{
	static const struct ui_binding help = { UI_F1, "F1", "help", 0, "help" };
	const struct ui_screen	*s = top_layer()->s;
	size_t			 i;
	int			 x = 1, y = LINES - 1;

	ui_fill(y, 0, COLS, ROLE_STATUS);
	for (i = 0; i < s->nkeys; i++) {
		if (s->keys[i].bar != NULL && s->keys[i].name != NULL)
			x = draw_key_name(y, x, COLS, &s->keys[i]);
	}
	draw_key_name(y, x, COLS, &help);
}

static int
help_rows(const struct ui_binding *b, size_t n, int y, int x, int w,
    int maxy)
{
	size_t	 i;

	for (i = 0; i < n && y < maxy; i++) {
		if (b[i].name == NULL)
			continue;
		ui_fill(y, x, w, ROLE_TEXT);
		ui_text(y, x + 1, 17, ROLE_KEY, b[i].name);
		ui_text(y, x + 19, w - 20, ROLE_TEXT, b[i].help);
		y++;
	}
	return y;
}

static size_t
named(const struct ui_binding *b, size_t n)
{
	size_t	 i, k = 0;

	for (i = 0; i < n; i++)
		k += b[i].name != NULL;
	return k;
}

static void
draw_help(void)
{
	const struct ui_screen	*s = top_layer()->s;
	int			 w, h, y, x, maxy;
	size_t			 nglobal;

	nglobal = sizeof ui_global_keys / sizeof ui_global_keys[0];
	w = COLS - 8 < 76 ? COLS - 8 : 76;
	h = (int)(named(s->keys, s->nkeys) + nglobal) + 7;
	if (h > LINES - 2)
		h = LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	maxy = y + h - 1;
	ui_box(y, x, h, w, ROLE_BORDER, "keys");
	y++;
	ui_fill(y, x + 1, w - 2, ROLE_TEXT);
	ui_textf(y++, x + 2, w - 4, ROLE_HEADER, "%s", s->name);
	y = help_rows(s->keys, s->nkeys, y, x + 1, w - 2, maxy);
	if (y < maxy) {
		ui_fill(y, x + 1, w - 2, ROLE_TEXT);
		ui_text(y++, x + 2, w - 4, ROLE_HEADER, "Everywhere");
	}
	y = help_rows(ui_global_keys, nglobal, y, x + 1, w - 2, maxy);
	if (y < maxy)
		ui_textf(y++, x + 2, w - 4, ROLE_DIM, "theme: %s%s  (any key "
		    "closes this help)", ui.theme.name, ui.theme.path != NULL ?
		    "" : ", built in");
	if (y < maxy && ui.theme.path != NULL)
		ui_textf(y++, x + 2, w - 4, ROLE_DIM, "  from %s",
		    ui.theme.path);
	while (y < maxy)
		ui_fill(y++, x + 1, w - 2, ROLE_TEXT);
}

/* The notice line; a long one grows upwards, three lines at most. */
static void
draw_notice(void)
{
	int	 n = ui_wrap_lines(COLS - 2, ui.notice), i;

	if (n > 3)
		n = 3;
	for (i = 0; i < n; i++)
		ui_fill(LINES - 1 - n + i, 0, COLS, ui.notice_role);
	ui_wrap(LINES - 1 - n, 1, COLS - 2, n, ui.notice_role, ui.notice);
}

static void
draw_all(void)
{
	int	 i;

	ui.animating = 0;
	ui.cy = ui.cx = -1;
	erase();
	if (too_small()) {
		draw_too_small();
		curs_set(0);
		refresh();
		ui.dirty = 0;
		return;
	}
	ui_fill(0, 0, COLS, ROLE_TITLE);
	ui_text(0, 1, COLS - 2, ROLE_TITLE, ui.title);
	if (ui.root.s != NULL && ui.root.s->draw != NULL)
		ui.root.s->draw(ui.root.ctx);
	for (i = 0; i < ui.nmodal; i++) {
		ui.cy = ui.cx = -1;	/* the top one owns the cursor */
		ui.modal[i].s->draw(ui.modal[i].ctx);
	}
	if (ui.help)
		draw_help();
	if (ui.notice[0] != '\0')
		draw_notice();
	draw_key_bar();
	if (ui.cy >= 0 && !ui.help) {
		curs_set(1);
		move(ui.cy, ui.cx);
	} else
		curs_set(0);
	refresh();
	ui.dirty = 0;
}

const char *
ui_glyph(enum ui_glyph g)
{
	return ui.utf8 ? glyph_utf8[g] : glyph_ascii[g];
}

void
ui_role(enum theme_role r)
{
	attr_set(ui.attr[r], ui.pair[r], NULL);
}

/* Decode one UTF-8 sequence; invalid bytes give U+FFFD, 1 byte. */
static size_t
utf8_next(const char *s, wchar_t *out)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;
	wchar_t			 c;

	if (p[0] < 0x80) {
		*out = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		*out = 0xfffd;
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*out = 0xfffd;
			return 1;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*out = c;
	return n;
}

static int
wc_width(wchar_t c)
{
	int	 w;

	if (c < 32 || c == 127)
		return 1;		/* drawn as '?' */
	w = wcwidth(c);
	return w < 0 ? 1 : w;
}

int
ui_width(const char *s)
{
	wchar_t	 c;
	int	 w = 0;

	while (*s != '\0') {
		s += utf8_next(s, &c);
		w += wc_width(c);
	}
	return w;
}

/* Put one character at the cursor; control characters show as '?'. */
static void
put_wc(wchar_t c)
{
	wchar_t	 buf[2];

	if (c < 32 || c == 127 || wcwidth(c) < 0)
		c = '?';
	buf[0] = c;
	buf[1] = 0;
	addnwstr(buf, 1);
}

int
ui_text(int y, int x, int w, enum theme_role role, const char *s)
{
	const char	*p;
	wchar_t		 c;
	int		 used = 0, cw, room;

	if (s == NULL || w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	ui_role(role);
	move(y, x);
	/* Too long: keep one column for the ellipsis. */
	room = ui_width(s) <= w ? w : w - 1;
	for (p = s; *p != '\0'; ) {
		p += utf8_next(p, &c);
		cw = wc_width(c);
		if (used + cw > room) {
			addstr(ui_glyph(G_ELLIPSIS));
			used++;
			break;
		}
		put_wc(c);
		used += cw;
	}
	return used;
}

int
ui_textf(int y, int x, int w, enum theme_role role, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	n = ui_text(y, x, w, role, s);
	free(s);
	return n;
}

void
ui_fill(int y, int x, int w, enum theme_role role)
{
	if (y < 0 || y >= LINES || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	ui_role(role);
	mvhline(y, x, ' ', w);
}

void
ui_hline(int y, int x, int w, enum theme_role role)
{
	if (y < 0 || y >= LINES || w <= 0)
		return;
	ui_role(role);
	mvhline(y, x, ACS_HLINE, w);
}

void
ui_box(int y, int x, int h, int w, enum theme_role role, const char *title)
{
	int	 i;

	for (i = 1; i < h - 1; i++)
		ui_fill(y + i, x + 1, w - 2, ROLE_TEXT);
	ui_role(role);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	if (title != NULL && *title != '\0') {
		ui_text(y, x + 2, 1, role, " ");
		i = ui_text(y, x + 3, w - 6, ROLE_HEADER, title);
		ui_text(y, x + 3 + i, 1, role, " ");
	}
}

/*
 * Word wrap: the byte length of the next line of s that fits in w columns
 * (breaking at the last space, or mid-word when there is none), and *skip
 * the bytes to step over after it.
 */
static size_t
wrap_line(const char *s, int w, size_t *skip)
{
	const char	*p = s, *brk = NULL;
	wchar_t		 c;
	int		 used = 0;
	size_t		 n;

	while (*p != '\0' && *p != '\n') {
		n = utf8_next(p, &c);
		if (used + wc_width(c) > w)
			break;
		if (c == ' ')
			brk = p;
		used += wc_width(c);
		p += n;
	}
	if (*p == '\0' || *p == '\n') {
		*skip = (size_t)(p - s) + (*p == '\n');
		return (size_t)(p - s);
	}
	if (*p == ' ')
		brk = p;
	if (brk == NULL || brk == s) {
		*skip = (size_t)(p - s);
		return (size_t)(p - s);
	}
	*skip = (size_t)(brk - s) + 1;
	return (size_t)(brk - s);
}

int
ui_wrap(int y, int x, int w, int maxlines, enum theme_role role,
    const char *s)
{
	char	*line;
	size_t	 len, skip;
	int	 n = 0;

	if (s == NULL || w <= 0)
		return 0;
	while (*s != '\0' && n < maxlines) {
		len = wrap_line(s, w, &skip);
		line = xstrndup(s, len);
		len = (size_t)ui_text(y + n, x, w, role, line);
		if (n == maxlines - 1 && s[skip] != '\0' && (int)len < w)
			ui_text(y + n, x + (int)len, 1, role,
			    ui_glyph(G_ELLIPSIS));
		free(line);
		s += skip == 0 ? 1 : skip;
		n++;
	}
	return n;
}

int
ui_wrap_lines(int w, const char *s)
{
	size_t	 skip;
	int	 n = 0;

	if (s == NULL || w <= 0)
		return 0;
	while (*s != '\0') {
		wrap_line(s, w, &skip);
		s += skip == 0 ? 1 : skip;
		n++;
	}
	return n;
}

char **
ui_wrap_split(int w, const char *s, size_t *np)
{
	char	**lines = xcalloc(1, sizeof *lines);
	size_t	  n = 0, len, skip;

	while (s != NULL && w > 0 && *s != '\0') {
		len = wrap_line(s, w, &skip);
		lines = xrealloc(lines, (n + 2) * sizeof *lines);
		lines[n++] = xstrndup(s, len);
		lines[n] = NULL;
		s += skip == 0 ? 1 : skip;
	}
	if (np != NULL)
		*np = n;
	return lines;
}

void
ui_free_lines(char **lines)
{
	size_t	 i;

	for (i = 0; lines != NULL && lines[i] != NULL; i++)
		free(lines[i]);
	free(lines);
}

/* ------------------------------------------------------------ fields */

void
ui_field_init(struct ui_field *f, const char *text, size_t max, int masked)
{
	memset(f, 0, sizeof *f);
	f->max = max > 0 ? max : 1024;
	f->masked = masked;
	f->cap = 64;
	f->buf = xcalloc(1, f->cap);
	ui_field_set(f, text != NULL ? text : "");
}

/* Grow; a masked field never leaves a copy of the old buffer behind. */
static void
field_reserve(struct ui_field *f, size_t need)
{
	char	*nb;
	size_t	 cap = f->cap;

	if (need < f->cap)
		return;
	while (cap <= need)
		cap *= 2;
	nb = xcalloc(1, cap);
	memcpy(nb, f->buf, f->len + 1);
	mc_wipe(f->buf, f->cap);
	free(f->buf);
	f->buf = nb;
	f->cap = cap;
}

void
ui_field_set(struct ui_field *f, const char *text)
{
	size_t	 len = strlen(text);

	if (len > f->max)
		len = f->max;
	field_reserve(f, len + 1);
	mc_wipe(f->buf, f->cap);
	memcpy(f->buf, text, len);
	f->buf[len] = '\0';
	f->len = f->cur = len;
	f->scroll = 0;
}

void
ui_field_free(struct ui_field *f)
{
	if (f->buf != NULL) {
		mc_wipe(f->buf, f->cap);
		free(f->buf);
	}
	memset(f, 0, sizeof *f);
}

static size_t
field_prev(const struct ui_field *f, size_t at)
{
	if (at == 0)
		return 0;
	at--;
	while (at > 0 && ((unsigned char)f->buf[at] & 0xc0) == 0x80)
		at--;
	return at;
}

static size_t
field_next(const struct ui_field *f, size_t at)
{
	if (at >= f->len)
		return f->len;
	at++;
	while (at < f->len && ((unsigned char)f->buf[at] & 0xc0) == 0x80)
		at++;
	return at;
}

static void
field_delete(struct ui_field *f, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(f->buf + from, f->buf + to, f->len - to + 1);
	f->len -= to - from;
	mc_wipe(f->buf + f->len + 1, to - from);
	f->cur = from;
}

/* UTF-8 encode code point c. */
static size_t
utf8_put(unsigned c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c >= 0xd800 && c <= 0xdfff)
		return 0;
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c > 0x10ffff)
		return 0;
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int
field_insert(struct ui_field *f, unsigned c)
{
	char	 enc[4];
	size_t	 n = utf8_put(c, enc);

	if (n == 0 || f->len + n > f->max)
		return 0;
	field_reserve(f, f->len + n + 1);
	memmove(f->buf + f->cur + n, f->buf + f->cur, f->len - f->cur + 1);
	memcpy(f->buf + f->cur, enc, n);
	f->len += n;
	f->cur += n;
	mc_wipe(enc, sizeof enc);
	return 1;
}

static int
field_word_back(struct ui_field *f)
{
	size_t	 at = f->cur;

	while (at > 0 && f->buf[at - 1] == ' ')
		at--;
	while (at > 0 && f->buf[at - 1] != ' ')
		at--;
	if (at == f->cur)
		return 0;
	field_delete(f, at, f->cur);
	return 1;
}

int
ui_field_key(struct ui_field *f, int key)
{
	int	 c = key & ~UI_PASTE;

	if ((key & UI_PASTE) && (c == '\n' || c == '\r' || c == '\t'))
		return 0;		/* a pasted line end is not Enter */
	if (!(c & 0x200000) && c >= 32 && c != 127)
		return field_insert(f, (unsigned)c);
	switch (key) {
	case UI_KEY(KEY_BACKSPACE):
		if (f->cur == 0)
			return 0;
		field_delete(f, field_prev(f, f->cur), f->cur);
		return 1;
	case UI_KEY(KEY_DC):
	case UI_CTRL('d'):
		if (f->cur == f->len)
			return 0;
		field_delete(f, f->cur, field_next(f, f->cur));
		return 1;
	case UI_KEY(KEY_LEFT):
	case UI_CTRL('b'):
		f->cur = field_prev(f, f->cur);
		return 0;
	case UI_KEY(KEY_RIGHT):
	case UI_CTRL('f'):
		f->cur = field_next(f, f->cur);
		return 0;
	case UI_KEY(KEY_HOME):
	case UI_CTRL('a'):
		f->cur = 0;
		return 0;
	case UI_KEY(KEY_END):
	case UI_CTRL('e'):
		f->cur = f->len;
		return 0;
	case UI_CTRL('u'):
		if (f->cur == 0)
			return 0;
		field_delete(f, 0, f->cur);
		return 1;
	case UI_CTRL('k'):
		if (f->cur == f->len)
			return 0;
		f->len = f->cur;
		mc_wipe(f->buf + f->cur, f->cap - f->cur);
		return 1;
	case UI_CTRL('w'):
		return field_word_back(f);
	}
	return -1;
}

/* ------------------------------------------------------------ forms */

static int
focusable(const struct ui_widget *w)
{
	return !w->hidden && !w->disabled;
}

struct ui_widget *
ui_form_focused(const struct ui_form *f)
{
	if (f->focus < 0 || (size_t)f->focus >= f->n)
		return NULL;
	return f->w[f->focus];
}

int
ui_form_typing(const struct ui_form *f)
{
	struct ui_widget	*w = ui_form_focused(f);

	return w != NULL && w->type == UI_W_FIELD;
}

void
ui_form_focus(struct ui_form *f, int id)
{
	size_t	 i;

	for (i = 0; i < f->n; i++) {
		if (f->w[i]->id == id) {
			f->focus = (int)i;
			ui.dirty = 1;
			return;
		}
	}
}

void
ui_form_undraw(struct ui_form *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		f->w[i]->h = 0;
}

static void
form_move(struct ui_form *f, int dir)
{
	int	 i, n = (int)f->n;

	for (i = 1; i <= n; i++) {
		int	 at = ((f->focus + dir * i) % n + n) % n;

		if (focusable(f->w[at])) {
			f->focus = at;
			return;
		}
	}
}

/* 1 when no field, choice or list follows w in focus order. */
static int
form_last_input(const struct ui_form *f)
{
	size_t	 i;

	for (i = (size_t)f->focus + 1; i < f->n; i++) {
		if (focusable(f->w[i]) && f->w[i]->type != UI_W_BUTTON &&
		    f->w[i]->type != UI_W_CHECK)
			return 0;
	}
	return 1;
}

static int
list_key(struct ui_list *l, int key)
{
	int	 n = (int)l->n;

	if (n == 0)
		return -1;
	switch (key) {
	case UI_KEY(KEY_UP):
		if (l->cur == 0)
			return -1;
		l->cur--;
		return 0;
	case UI_KEY(KEY_DOWN):
		if (l->cur >= n - 1)
			return -1;
		l->cur++;
		return 0;
	case UI_KEY(KEY_PPAGE):
		l->cur = l->cur > 10 ? l->cur - 10 : 0;
		return 0;
	case UI_KEY(KEY_NPAGE):
		l->cur = l->cur + 10 < n ? l->cur + 10 : n - 1;
		return 0;
	case UI_KEY(KEY_HOME):
		l->cur = 0;
		return 0;
	case UI_KEY(KEY_END):
		l->cur = n - 1;
		return 0;
	case ' ':
		l->items[l->cur].checked = !l->items[l->cur].checked;
		return 1;
	}
	return -1;
}

/* A click: which widget, and what it does there. */
static int
form_mouse(struct ui_form *f, int *which)
{
	const MEVENT		*m = &ui.mouse;
	struct ui_widget	*w;
	size_t			 i;
	int			 k, row;

	if (!(m->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return UI_FORM_IGNORED;
	for (i = 0; i < f->n; i++) {
		w = f->w[i];
		if (w->h == 0 || !focusable(w) || m->y < w->y ||
		    m->y >= w->y + w->h || m->x < w->x || m->x >= w->x + w->w)
			continue;
		f->focus = (int)i;
		*which = w->id;
		switch (w->type) {
		case UI_W_BUTTON:
			return UI_FORM_PRESSED;
		case UI_W_CHECK:
			w->checked = !w->checked;
			return UI_FORM_CHANGED;
		case UI_W_CHOICE:
			for (k = w->nchoices - 1; k > 0; k--) {
				if (m->x >= w->cx[k])
					break;
			}
			if (k == w->choice)
				return UI_FORM_HANDLED;
			w->choice = k;
			return UI_FORM_CHANGED;
		case UI_W_LIST:
			row = w->list->top + (m->y - w->y);
			if (row < 0 || (size_t)row >= w->list->n)
				return UI_FORM_HANDLED;
			w->list->cur = row;
			if (m->x < w->x + 4) {
				w->list->items[row].checked =
				    !w->list->items[row].checked;
				return UI_FORM_CHANGED;
			}
			return UI_FORM_HANDLED;
		case UI_W_FIELD:
			w->field.cur = w->field.len;
			return UI_FORM_HANDLED;
		}
	}
	return UI_FORM_IGNORED;
}

static int
form_widget_key(struct ui_form *f, struct ui_widget *w, int key)
{
	int	 rc;

	switch (w->type) {
	case UI_W_FIELD:
		rc = ui_field_key(&w->field, key);
		return rc < 0 ? UI_FORM_IGNORED : rc > 0 ? UI_FORM_CHANGED :
		    UI_FORM_HANDLED;
	case UI_W_CHOICE:
		if (key == UI_KEY(KEY_LEFT) && w->choice > 0)
			w->choice--;
		else if (key == UI_KEY(KEY_RIGHT) &&
		    w->choice < w->nchoices - 1)
			w->choice++;
		else if (key == ' ')
			w->choice = (w->choice + 1) % w->nchoices;
		else
			return UI_FORM_IGNORED;
		return UI_FORM_CHANGED;
	case UI_W_CHECK:
		if (key != ' ')
			return UI_FORM_IGNORED;
		w->checked = !w->checked;
		return UI_FORM_CHANGED;
	case UI_W_LIST:
		rc = list_key(w->list, key);
		return rc < 0 ? UI_FORM_IGNORED : rc > 0 ? UI_FORM_CHANGED :
		    UI_FORM_HANDLED;
	case UI_W_BUTTON:
		break;
	}
	(void)f;
	return UI_FORM_IGNORED;
}

int
ui_form_key(struct ui_form *f, int key, int *which)
{
	struct ui_widget	*w;
	int			 rc;

	*which = -1;
	if (key == UI_MOUSE)
		return form_mouse(f, which);
	if ((w = ui_form_focused(f)) == NULL || !focusable(w)) {
		form_move(f, 1);
		if ((w = ui_form_focused(f)) == NULL)
			return UI_FORM_IGNORED;
	}
	*which = w->id;
	if ((rc = form_widget_key(f, w, key)) != UI_FORM_IGNORED)
		return rc;
	switch (key) {
	case UI_TAB:
	case UI_KEY(KEY_DOWN):
		form_move(f, 1);
		return UI_FORM_HANDLED;
	case UI_BTAB:
	case UI_KEY(KEY_UP):
		form_move(f, -1);
		return UI_FORM_HANDLED;
	case UI_ENTER:
		if (w->type == UI_W_BUTTON || form_last_input(f))
			return UI_FORM_PRESSED;
		form_move(f, 1);
		return UI_FORM_HANDLED;
	case ' ':
		if (w->type == UI_W_BUTTON)
			return UI_FORM_PRESSED;
		break;
	}
	return UI_FORM_IGNORED;
}

/* ------------------------------------------------------------ widgets */

static int
is_focused(const struct ui_form *f, const struct ui_widget *w)
{
	return ui_form_focused(f) == w;
}

static void
place(struct ui_widget *w, int y, int x, int h, int width)
{
	w->y = y;
	w->x = x;
	w->h = h;
	w->w = width;
}

void
ui_draw_field(const struct ui_form *form, struct ui_widget *w, int y, int x,
    int width)
{
	struct ui_field	*f = &w->field;
	int		 focused = is_focused(form, w);
	enum theme_role	 role = focused ? ROLE_FOCUS : ROLE_INPUT;
	const char	*p;
	wchar_t		 c;
	int		 col = 0, curcol = 0, cw;

	place(w, y, x, 1, width);
	ui_fill(y, x, width, w->disabled ? ROLE_DIM : role);
	for (p = f->buf; *p != '\0' && (size_t)(p - f->buf) < f->cur; ) {
		p += utf8_next(p, &c);
		curcol += f->masked ? 1 : wc_width(c);
	}
	if (curcol < f->scroll)
		f->scroll = curcol;
	if (curcol > f->scroll + width - 1)
		f->scroll = curcol - width + 1;
	ui_role(w->disabled ? ROLE_DIM : role);
	for (p = f->buf; *p != '\0'; ) {
		p += utf8_next(p, &c);
		cw = f->masked ? 1 : wc_width(c);
		if (col >= f->scroll && col + cw <= f->scroll + width) {
			move(y, x + col - f->scroll);
			if (f->masked)
				addstr(ui_glyph(G_BULLET));
			else
				put_wc(c);
		}
		col += cw;
	}
	if (focused)
		ui_cursor(y, x + curcol - f->scroll);
}

int
ui_draw_button(const struct ui_form *form, struct ui_widget *w, int y, int x)
{
	enum theme_role	 role;
	int		 n;

	role = w->disabled ? ROLE_DIM : is_focused(form, w) ? ROLE_SELECTED :
	    ROLE_BUTTON;
	n = ui_textf(y, x, COLS - x, role, "[ %s ]", w->label);
	place(w, y, x, 1, n);
	return n;
}

void
ui_draw_choice(const struct ui_form *form, struct ui_widget *w, int y, int x)
{
	int	 i, at = x, focused = is_focused(form, w);

	for (i = 0; i < w->nchoices && i < 8; i++) {
		w->cx[i] = at;
		at += ui_textf(y, at, COLS - at, focused && i == w->choice ?
		    ROLE_SELECTED : i == w->choice ? ROLE_TEXT : ROLE_DIM,
		    "%s %s", ui_glyph(i == w->choice ? G_RADIO_ON :
		    G_RADIO_OFF), w->choices[i]);
		at += 2;
	}
	place(w, y, x, 1, at - x);
}

void
ui_draw_check(const struct ui_form *form, struct ui_widget *w, int y, int x)
{
	int	 n;

	n = ui_textf(y, x, COLS - x, is_focused(form, w) ? ROLE_SELECTED :
	    ROLE_TEXT, "%s %s", ui_glyph(w->checked ? G_CHECKED :
	    G_UNCHECKED), w->label);
	place(w, y, x, 1, n);
}

void
ui_draw_list(const struct ui_form *form, struct ui_widget *w, int y, int x,
    int h, int width)
{
	struct ui_list		*l = w->list;
	struct ui_list_item	*it;
	int			 i, row, focused = is_focused(form, w), n;
	enum theme_role		 role;

	place(w, y, x, h, width);
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + h)
		l->top = l->cur - h + 1;
	for (i = 0; i < h; i++) {
		row = l->top + i;
		if (row < 0 || (size_t)row >= l->n)
			break;
		it = &l->items[row];
		role = row == l->cur && focused ? ROLE_SELECTED : ROLE_TEXT;
		ui_fill(y + i, x, width, role);
		n = ui_textf(y + i, x, width, role, "%s %s", ui_glyph(
		    it->checked ? G_CHECKED : G_UNCHECKED), it->text);
		if (it->tag != NULL && n + 3 < width)
			ui_textf(y + i, x + n + 2, width - n - 2, row == l->cur &&
			    focused ? ROLE_SELECTED : ROLE_OK, "(%s)", it->tag);
	}
	if (l->top > 0)
		ui_text(y, x + width - 1, 1, ROLE_DIM, "^");
	if ((size_t)(l->top + h) < l->n)
		ui_text(y + h - 1, x + width - 1, 1, ROLE_DIM, "v");
}

void
ui_list_free(struct ui_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->items[i].text);
		free(l->items[i].tag);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------ checklist */

void
ui_check_set(struct ui_check *c, int status, long long ms,
    const char *detail)
{
	if (status == STEP_RUNNING && c->status != STEP_RUNNING)
		c->started = mc_now_ms();
	c->status = status;
	c->ms = ms;
	free(c->detail);
	c->detail = detail != NULL ? xstrdup(detail) : NULL;
	if (c->detail != NULL)
		mc_sanitize(c->detail);
}

static void
format_ms(char *buf, size_t len, long long ms)
{
	if (ms < 1000)
		snprintf(buf, len, "%lld ms", ms);
	else
		snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
}

void
ui_draw_check_row(int y, int x, int w, int namew, const struct ui_check *c)
{
	enum theme_role	 role;
	const char	*mark;
	char		 t[32] = "";

	switch (c->status) {
	case STEP_RUNNING:
		role = ROLE_PROGRESS;
		mark = ui_spinner();
		format_ms(t, sizeof t, mc_now_ms() - c->started);
		ui_animate();
		break;
	case STEP_OK:
		role = ROLE_OK;
		mark = ui_glyph(G_OK);
		break;
	case STEP_WARN:
		role = ROLE_WARN;
		mark = ui_glyph(G_WARN);
		break;
	case STEP_FAIL:
		role = ROLE_ERROR;
		mark = ui_glyph(G_FAIL);
		break;
	case STEP_SKIP:
		role = ROLE_DIM;
		mark = ui_glyph(G_SKIP);
		break;
	default:
		role = ROLE_DIM;
		mark = ui_glyph(G_PENDING);
		break;
	}
	if (c->status != STEP_RUNNING && c->status != UI_CHECK_PENDING &&
	    c->status != STEP_SKIP)
		format_ms(t, sizeof t, c->ms);
	ui_text(y, x, 1, role, mark);
	ui_text(y, x + 2, namew, c->status == UI_CHECK_PENDING ? ROLE_DIM :
	    ROLE_TEXT, c->name);
	ui_text(y, x + 2 + namew + 1, 8, ROLE_DIM, t);
	if (c->detail != NULL)
		ui_text(y, x + 2 + namew + 10, w - namew - 12,
		    c->status == STEP_FAIL ? ROLE_ERROR : c->status ==
		    STEP_WARN ? ROLE_WARN : ROLE_TEXT, c->detail);
}

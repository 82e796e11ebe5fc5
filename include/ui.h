/*
 * ui.h -- the terminal: one loop, dirty flags, colour roles, key tables and
 * a small widget set.  Blocks per file, as tmux.h does.
 *
 * Threads: everything here runs on the UI thread only.  Engine threads
 * reach the UI through events.h (the queue from ui_queue()); the loop
 * drains it, gives each event to the current screen (and EV_CERT_PROMPT to
 * ui-prompt.c), and redraws once per turn if anything marked itself dirty.
 *
 * Screen layout (80x24 and up; smaller shows "terminal too small"):
 *   row 0            title bar (ui.c, from ui_set_title())
 *   rows 1..LINES-3  the screen's own (ui_body_*() give the area)
 *   row LINES-2      notice line (ui_notice()), cleared by the next key;
 *                    a long one grows upwards over the body (3 lines)
 *   row LINES-1      key bar: the bindings of the screen with a `bar` label
 *
 * Keys are ints: a character is its code point; a curses KEY_x is
 * UI_KEY(KEY_x); characters inside a bracketed paste carry UI_PASTE, so a
 * pasted newline never presses a button.  Enter is always UI_ENTER.
 */
#ifndef MC_UI_H
#define MC_UI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stddef.h>

#include "theme.h"
#include "events.h"

#define UI_KEY(k)	(0x200000 | (k))
#define UI_PASTE	0x400000
#define UI_CTRL(c)	((c) & 0x1f)
#define UI_ESC		27
#define UI_TAB		'\t'
#define UI_ENTER	UI_KEY(KEY_ENTER)
#define UI_BTAB		UI_KEY(KEY_BTAB)
#define UI_MOUSE	UI_KEY(KEY_MOUSE)
#define UI_RESIZE	UI_KEY(KEY_RESIZE)
#define UI_F1		UI_KEY(KEY_F(1))

#define UI_MIN_COLS	80
#define UI_MIN_LINES	24

/* ------------------------------------------------------------ ui.c */

/* A key binding: dispatch and the `?` help share this table. */
struct ui_binding {
	int		 key;
	const char	*name;		/* "Esc"; NULL: alias of the row above */
	const char	*help;
	int		 action;	/* the screen's own enum */
	const char	*bar;		/* short label for the key bar, or NULL */
};

/* A screen (ncdu's *_draw / *_key, as a table like tmux's window_mode). */
struct ui_screen {
	const char	*name;		/* heading of its help */
	void		(*draw)(void *);
	void		(*key)(void *, int key);
	/*
	 * An engine event (not EV_CERT_PROMPT); the loop frees it after.
	 * To keep ev->data, take it and set ev->data to NULL.
	 */
	void		(*event)(void *, struct event *);
	/* 1 while a text field has the focus: `?` is then a character. */
	int		(*typing)(void *);
	const struct ui_binding *keys;
	size_t		 nkeys;
};

struct ui_opts {
	const char	*theme;		/* NULL: "default" */
};

/*
 * Start curses: locale, colours (mono when NO_COLOR or no colours), the
 * theme, mouse, bracketed paste, Esc delay 25 ms.  A theme that fails to
 * load leaves the default in place and its error on the notice line.
 * -1 with err when there is no usable terminal.
 */
int		 ui_init(const struct ui_opts *, struct mc_err *);
void		 ui_end(void);
/* The queue engine threads post to (created by ui_init). */
struct event_queue *ui_queue(void);
/* The theme in use (name, path). */
const struct theme *ui_theme(void);

/*
 * Run until ui_quit(); returns its code.  May nest (a screen's key handler
 * runs another loop, as the dashboard runs the wizard): the inner one's
 * ui_quit() ends only it, and the outer screen is back afterwards.
 */
int		 ui_run(const struct ui_screen *, void *);
void		 ui_quit(int);
/* Replace the screen (the old one is not told). */
void		 ui_set_screen(const struct ui_screen *, void *);
/* Modals stack on top: they get the keys and draw last. */
void		 ui_push_modal(const struct ui_screen *, void *);
void		 ui_pop_modal(void *);
int		 ui_modal_open(void);

/* Mark the screen dirty: redrawn once at the end of this loop turn. */
void		 ui_dirty(void);
/* Called from a draw: something spins, draw again in a moment. */
void		 ui_animate(void);
const char	*ui_spinner(void);
void		 ui_set_title(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));
void		 ui_notice(enum theme_role, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* Put the cursor here after drawing (a focused text field). */
void		 ui_cursor(int y, int x);
/* The last mouse event, for a screen's key() on UI_MOUSE. */
const MEVENT	*ui_mouse(void);
/* Action of key in the table, or -1. */
int		 ui_binding_find(const struct ui_binding *, size_t, int key);
/* 1 when the terminal shows UTF-8 (else ASCII glyphs). */
int		 ui_utf8(void);

/* Body area: rows 1..LINES-3, all columns. */
int		 ui_body_top(void);
int		 ui_body_lines(void);

/* ------------------------------------------------------------ drawing */

enum ui_glyph { G_OK, G_FAIL, G_WARN, G_SKIP, G_PENDING, G_BULLET,
	G_CHECKED, G_UNCHECKED, G_RADIO_ON, G_RADIO_OFF, G_ELLIPSIS,
	G_ARROW };
const char	*ui_glyph(enum ui_glyph);
void		 ui_role(enum theme_role);
/* Columns a UTF-8 string takes; invalid bytes count 1. */
int		 ui_width(const char *);
/* Print at most w columns of s (… when cut); returns columns used. */
int		 ui_text(int y, int x, int w, enum theme_role, const char *s);
int		 ui_textf(int y, int x, int w, enum theme_role, const char *,
		     ...) __attribute__((format(printf, 5, 6)));
/* Word-wrapped into w columns, at most maxlines; returns lines used. */
int		 ui_wrap(int y, int x, int w, int maxlines, enum theme_role,
		     const char *s);
/* Lines ui_wrap() would take. */
int		 ui_wrap_lines(int w, const char *s);
/* The lines ui_wrap() would draw, NULL-terminated; free with ui_free_lines. */
char	       **ui_wrap_split(int w, const char *s, size_t *n);
void		 ui_free_lines(char **);
void		 ui_fill(int y, int x, int w, enum theme_role);
void		 ui_hline(int y, int x, int w, enum theme_role);
void		 ui_box(int y, int x, int h, int w, enum theme_role,
		     const char *title);

/* ------------------------------------------------------------ widgets */

/* A one-line UTF-8 text field. */
struct ui_field {
	char		*buf;		/* NUL-terminated UTF-8 */
	size_t		 len;		/* bytes */
	size_t		 cap;
	size_t		 cur;		/* cursor, byte offset */
	size_t		 max;		/* byte limit */
	int		 masked;	/* a password: dots; wiped when freed */
	int		 scroll;	/* first column shown */
};

void		 ui_field_init(struct ui_field *, const char *, size_t max,
		     int masked);
void		 ui_field_set(struct ui_field *, const char *);
void		 ui_field_free(struct ui_field *);
/* 1 text changed, 0 cursor moved / nothing, -1 not a field key. */
int		 ui_field_key(struct ui_field *, int key);

enum ui_wtype { UI_W_FIELD, UI_W_BUTTON, UI_W_CHOICE, UI_W_CHECK,
	UI_W_LIST };

struct ui_list_item {
	char		*text;
	char		*tag;		/* "inbox", "sent", or NULL */
	int		 checked;
};

struct ui_list {
	struct ui_list_item *items;
	size_t		 n;
	int		 cur;
	int		 top;		/* first row shown */
};

struct ui_widget {
	enum ui_wtype	 type;
	int		 id;
	const char	*label;		/* shown on buttons and checks */
	int		 disabled;
	int		 hidden;
	/* Where it was drawn last (for the mouse); h 0: not drawn. */
	int		 y, x, w, h;
	struct ui_field	 field;			/* FIELD */
	const char *const *choices;		/* CHOICE */
	int		 nchoices;
	int		 choice;
	int		 cx[8];			/* CHOICE: x of each option */
	int		 checked;		/* CHECK */
	struct ui_list	*list;			/* LIST */
};

struct ui_form {
	struct ui_widget **w;		/* in focus order */
	size_t		 n;
	int		 focus;
};

enum ui_form_result {
	UI_FORM_IGNORED,	/* not the form's key */
	UI_FORM_HANDLED,	/* focus moved, cursor moved */
	UI_FORM_CHANGED,	/* *which's value changed */
	UI_FORM_PRESSED,	/* *which (a button) pressed, or Enter on the
				   last field */
};

int		 ui_form_key(struct ui_form *, int key, int *which);
void		 ui_form_focus(struct ui_form *, int id);
struct ui_widget *ui_form_focused(const struct ui_form *);
int		 ui_form_typing(const struct ui_form *);
/* Forget where widgets were drawn (call at the start of a draw). */
void		 ui_form_undraw(struct ui_form *);

/* Draw widgets; they remember their place for mouse clicks. */
void		 ui_draw_field(const struct ui_form *, struct ui_widget *,
		     int y, int x, int w);
int		 ui_draw_button(const struct ui_form *, struct ui_widget *,
		     int y, int x);
void		 ui_draw_choice(const struct ui_form *, struct ui_widget *,
		     int y, int x);
void		 ui_draw_check(const struct ui_form *, struct ui_widget *,
		     int y, int x);
void		 ui_draw_list(const struct ui_form *, struct ui_widget *,
		     int y, int x, int h, int w);
void		 ui_list_free(struct ui_list *);

/* One row of a live checklist. */
enum ui_check_state { UI_CHECK_PENDING = -1 };	/* else enum step_status */
struct ui_check {
	const char	*name;
	int		 status;	/* UI_CHECK_PENDING or STEP_* */
	long long	 ms;
	long long	 started;	/* mc_now_ms() when it began running */
	char		*detail;
};
void		 ui_check_set(struct ui_check *, int status, long long ms,
		     const char *detail);
void		 ui_draw_check_row(int y, int x, int w, int namew,
		     const struct ui_check *);

/* ------------------------------------------------------------ ui-prompt.c */

/*
 * The certificate prompt: a modal for each EV_CERT_PROMPT, queued when one
 * is already open.  The answer goes to trust_wait_answer().  For a CHANGED
 * certificate the default is Reject and accepting needs a confirmation.
 */
void		 prompt_open(struct trust_wait *);
/* Screens may ask whether a prompt is up (to word their status). */
int		 prompt_pending(void);
/* Answer every queued prompt "reject" (quitting). */
void		 prompt_reject_all(void);

/* ------------------------------------------------------------ ui-wizard.c */

/*
 * The account wizard: who, discovery, servers, password, live test,
 * folders, save (issue 3).  Network and keyring work runs on engine
 * threads that report through EV_TASK_STEP / EV_TASK_DONE; quitting before
 * the last step writes nothing (no config, no keyring item, no pin).
 */
struct wizard_opts {
	const char	*email;		/* prefill; NULL: empty */
	const char	*name;
	const char	*account;
	const char	*imap_host;	/* set: discovery does not override */
	int		 imap_port;	/* 0: the security's default */
	int		 imap_sec;	/* enum sec_mode, -1: not given */
	const char	*smtp_host;
	int		 smtp_port;
	int		 smtp_sec;
	const char	*user;
	int		 disc_ports[4];	/* discover_opts.ports */
	int		 timeout;	/* seconds per connection; 0: 15 */
};

/*
 * Run it on the started UI.  0: an account was saved (*saved gets its
 * name, caller frees); 1: the person quit and nothing was saved.
 * store must stay valid for the life of the process (abandoned engine
 * threads may still consult it).
 */
int		 wizard_run(struct config *, struct certstore *,
		     const struct wizard_opts *, char **saved);
/*
 * Engine threads of the wizard (and its discovery) still running: those
 * it walked away from.  0 means the store may be freed.
 */
int		 wizard_busy(void);

#endif

/*
 * ui-prompt.c -- the certificate prompt: a modal per EV_CERT_PROMPT.
 *
 * The engine thread that asked is blocked in events_trust_prompt() and has
 * sent nothing to the server; it wakes when trust_wait_answer() is called.
 * Prompts queue: one is shown at a time, the rest wait their turn.
 *
 * The safe answer is the easy one: Reject has the focus, Esc and ^C mean
 * Reject.  A CERTIFICATE CHANGED prompt asks once more before accepting:
 * the person must type "accept" (SSH makes you edit known_hosts; this is
 * the same deliberate step, inside the program).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ui.h"

enum prompt_action { PA_REJECT, PA_ONCE, PA_ALWAYS, PA_UP, PA_DOWN,
	PA_PGUP, PA_PGDN };

enum { PB_REJECT, PB_ONCE, PB_ALWAYS, PF_CONFIRM };

struct prompt_line {
	enum theme_role	 role;
	const char	*label;		/* NULL: the text spans the width */
	char		*text;
};

struct prompt {
	struct trust_wait	*w;
	const struct trust_request *req;
	struct prompt_line	*lines;
	size_t			 nlines;
	int			 scroll;
	int			 maxscroll;
	struct ui_widget	 b_reject, b_once, b_always, f_confirm;
	struct ui_widget	*wv[3], *cwv[1];
	struct ui_form		 form, cform;
	int			 confirming;	/* CHANGED: typing "accept" */
	enum trust_answer	 confirm_answer;
	struct prompt		*next;
};

static const struct ui_binding prompt_keys[] = {
	{ 'r', "r / Esc", "reject: nothing is sent, the connection closes",
	  PA_REJECT, "reject" },
	{ UI_ESC, NULL, NULL, PA_REJECT, NULL },
	{ UI_CTRL('c'), NULL, NULL, PA_REJECT, NULL },
	{ 'o', "o", "accept once: trusted until mailconn exits", PA_ONCE,
	  "accept once" },
	{ 'a', "a", "accept always: pin this key for the server", PA_ALWAYS,
	  "accept always" },
	{ UI_KEY(KEY_UP), "Up / Down", "scroll the details", PA_UP, NULL },
	{ UI_KEY(KEY_DOWN), NULL, NULL, PA_DOWN, NULL },
	{ UI_KEY(KEY_PPAGE), "PgUp / PgDn", "scroll a page", PA_PGUP, NULL },
	{ UI_KEY(KEY_NPAGE), NULL, NULL, PA_PGDN, NULL },
};

static const struct ui_binding confirm_keys[] = {
	{ UI_ENTER, "Enter", "accept, once \"accept\" is typed", -1,
	  "confirm" },
	{ UI_ESC, "Esc", "back to the choices (Reject is safe)", PA_REJECT,
	  "back" },
};

static struct prompt	*queue;

static void	 prompt_draw(void *);
static void	 prompt_key(void *, int);
static int	 prompt_typing(void *);

static const struct ui_screen prompt_screen = {
	"Certificate prompt", prompt_draw, prompt_key, NULL, prompt_typing,
	prompt_keys, sizeof prompt_keys / sizeof prompt_keys[0]
};

static const struct ui_screen confirm_screen = {
	"Certificate prompt: confirm a CHANGED certificate", prompt_draw,
	prompt_key, NULL, prompt_typing,
	confirm_keys, sizeof confirm_keys / sizeof confirm_keys[0]
};

/* ------------------------------------------------------------ content */

static void
add_line(struct prompt *p, enum theme_role role, const char *label,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add_line(struct prompt *p, enum theme_role role, const char *label,
    const char *fmt, ...)
{
	struct prompt_line	*l;
	va_list			 ap;
	char			*c;

	p->lines = xrealloc(p->lines, (p->nlines + 1) * sizeof *p->lines);
	l = &p->lines[p->nlines++];
	l->role = role;
	l->label = label;
	va_start(ap, fmt);
	l->text = xvasprintf(fmt, ap);
	va_end(ap);
	/* Certificate text is the server's: no control bytes but our \n. */
	for (c = l->text; *c != '\0'; c++) {
		if (((unsigned char)*c < 32 && *c != '\n') || *c == 127)
			*c = '?';
	}
}

/* 64 hex digits as "ab12 cd34 ..." in two rows of eight groups. */
static char *
fingerprint(const char *hex)
{
	char	 out[100];
	size_t	 i, o = 0, len = strlen(hex);

	for (i = 0; i < len && o + 3 < sizeof out; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = i == 32 ? '\n' : ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
	return xstrdup(out);
}

static void
day(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		strftime(buf, len, "%Y-%m-%d", &tm);
}

static void
build_changed(struct prompt *p)
{
	const struct trust_request	*r = p->req;
	char				 when[32], *fp;

	add_line(p, ROLE_ERROR, NULL, "CERTIFICATE CHANGED for %s %s:%d",
	    r->proto, r->host, r->port);
	day(r->old != NULL ? r->old->when : 0, when, sizeof when);
	add_line(p, ROLE_WARN, NULL, "You pinned this server's key on %s. "
	    "It now shows a different key: someone may be intercepting the "
	    "connection, or the server got a new key. Ask IT which one before "
	    "you accept.", when);
	if (r->old != NULL) {
		fp = fingerprint(r->old->spki_sha256);
		add_line(p, ROLE_TEXT, "Pinned key", "%s", fp);
		free(fp);
	}
	fp = fingerprint(r->cert->spki_sha256);
	add_line(p, ROLE_WARN, "Key now", "%s", fp);
	free(fp);
}

static void
build_lines(struct prompt *p)
{
	const struct trust_request	*r = p->req;
	const struct cert_info		*ci = r->cert;
	char				 a[32], b[32], *fp, *names;
	size_t				 i;

	if (r->verdict == CERT_CHANGED)
		build_changed(p);
	else
		add_line(p, ROLE_WARN, NULL, "The certificate of %s %s:%d is "
		    "not trusted.", r->proto, r->host, r->port);
	for (i = 0; i < ci->nproblems; i++)
		add_line(p, ROLE_ERROR, i == 0 ? "What is wrong" : "",
		    "%s", ci->problems[i].text);
	if (ci->name_by_cn_only)
		add_line(p, ROLE_WARN, "", "the name matched only the Common "
		    "Name; no subjectAltName lists it");
	add_line(p, ROLE_TEXT, NULL, "%s", "");
	add_line(p, ROLE_TEXT, "Subject", "%s", ci->subject != NULL ?
	    ci->subject : "");
	add_line(p, ROLE_TEXT, "Issuer", "%s%s", ci->issuer != NULL ?
	    ci->issuer : "", ci->self_signed ? " (itself: self-signed)" : "");
	names = xstrdup("");
	for (i = 0; i < ci->nsans; i++) {
		fp = xasprintf("%s%s%s", names, i > 0 ? ", " : "",
		    ci->sans[i]);
		free(names);
		names = fp;
	}
	add_line(p, ROLE_TEXT, "Names", "%s", ci->nsans > 0 ? names :
	    "none listed (subjectAltName missing)");
	free(names);
	day(ci->not_before, a, sizeof a);
	day(ci->not_after, b, sizeof b);
	add_line(p, ci->not_after != 0 && ci->not_after < time(NULL) ?
	    ROLE_ERROR : ROLE_TEXT, "Valid", "%s to %s (UTC)", a, b);
	fp = fingerprint(ci->leaf_sha256);
	add_line(p, ROLE_TEXT, "SHA-256 cert", "%s", fp);
	free(fp);
	fp = fingerprint(ci->spki_sha256);
	add_line(p, ROLE_TEXT, "SHA-256 key", "%s", fp);
	free(fp);
	for (i = 0; i < ci->nchain; i++)
		add_line(p, ROLE_DIM, i == 0 ? "Chain" : "", "%zu. %s", i + 1,
		    ci->chain[i]);
}

/* ------------------------------------------------------------ queue */

static void
prompt_init(struct prompt *p)
{
	p->b_reject.type = p->b_once.type = p->b_always.type = UI_W_BUTTON;
	p->b_reject.id = PB_REJECT;
	p->b_reject.label = "Reject";
	p->b_once.id = PB_ONCE;
	p->b_once.label = "Accept once";
	p->b_always.id = PB_ALWAYS;
	p->b_always.label = "Accept always";
	p->wv[0] = &p->b_reject;
	p->wv[1] = &p->b_once;
	p->wv[2] = &p->b_always;
	p->form.w = p->wv;
	p->form.n = 3;
	p->form.focus = 0;		/* Reject: the safe default */
	p->f_confirm.type = UI_W_FIELD;
	p->f_confirm.id = PF_CONFIRM;
	ui_field_init(&p->f_confirm.field, "", 32, 0);
	p->cwv[0] = &p->f_confirm;
	p->cform.w = p->cwv;
	p->cform.n = 1;
	build_lines(p);
}

void
prompt_open(struct trust_wait *w)
{
	struct prompt	*p = xcalloc(1, sizeof *p), **pp;

	p->w = w;
	p->req = trust_wait_request(w);
	prompt_init(p);
	for (pp = &queue; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = p;
	if (queue == p)
		ui_push_modal(&prompt_screen, p);
}

int
prompt_pending(void)
{
	return queue != NULL;
}

static void
prompt_free(struct prompt *p)
{
	size_t	 i;

	for (i = 0; i < p->nlines; i++)
		free(p->lines[i].text);
	free(p->lines);
	ui_field_free(&p->f_confirm.field);
	free(p);
}

/* Answer the prompt on top and show the next one. */
static void
prompt_answer(struct prompt *p, enum trust_answer a)
{
	trust_wait_answer(p->w, a);
	ui_pop_modal(p);
	queue = p->next;
	prompt_free(p);
	if (queue != NULL)
		ui_push_modal(&prompt_screen, queue);
	ui_dirty();
}

void
prompt_reject_all(void)
{
	while (queue != NULL)
		prompt_answer(queue, TRUST_REJECT);
}

/* ------------------------------------------------------------ draw */

static int
draw_line(const struct prompt_line *l, int y, int x, int w, int last,
    int *skip)
{
	char	**parts;
	size_t	  n, i;
	int	  lw = l->label != NULL ? 14 : 0, used = 0;

	parts = ui_wrap_split(w - lw, l->text, &n);
	if (n == 0) {			/* a blank line */
		if (*skip > 0)
			(*skip)--;
		else
			used = 1;
		ui_free_lines(parts);
		return used;
	}
	for (i = 0; i < n; i++) {
		if (*skip > 0) {
			(*skip)--;
			continue;
		}
		if (y + used > last)
			break;
		if (i == 0 && l->label != NULL)
			ui_text(y + used, x, lw - 1, ROLE_DIM, l->label);
		ui_text(y + used, x + lw, w - lw, l->role, parts[i]);
		used++;
	}
	ui_free_lines(parts);
	return used;
}

static int
content_height(const struct prompt *p, int w)
{
	size_t	 i;
	int	 h = 0, n;

	for (i = 0; i < p->nlines; i++) {
		n = ui_wrap_lines(w - (p->lines[i].label != NULL ? 14 : 0),
		    p->lines[i].text);
		h += n > 0 ? n : 1;
	}
	return h;
}

static void
draw_buttons(struct prompt *p, int y, int x, int w)
{
	int	 at = x;

	ui_form_undraw(&p->form);
	if (p->confirming) {
		ui_text(y - 1, x, w, ROLE_WARN, "Accepting a CHANGED "
		    "certificate: type accept and press Enter (Esc: back)");
		ui_draw_field(&p->cform, &p->f_confirm, y, x, 12);
		return;
	}
	at += ui_draw_button(&p->form, &p->b_reject, y, at) + 2;
	at += ui_draw_button(&p->form, &p->b_once, y, at) + 2;
	at += ui_draw_button(&p->form, &p->b_always, y, at) + 2;
	if (queue != NULL && queue->next != NULL)
		ui_text(y, at + 1, x + w - at - 1, ROLE_DIM, "(more waiting)");
}

static void
prompt_draw(void *arg)
{
	struct prompt	*p = arg;
	int		 y0 = 1, x0 = 0, h = LINES - 3, w = COLS;
	int		 ix = x0 + 2, iw = w - 4, y, last, skip, total;
	size_t		 i;
	char		 title[300];

	snprintf(title, sizeof title, "Certificate: %s %s:%d", p->req->proto,
	    p->req->host, p->req->port);
	ui_box(y0, x0, h, w, p->req->verdict == CERT_CHANGED ? ROLE_ERROR :
	    ROLE_WARN, title);
	last = y0 + h - 5;		/* rows for content */
	total = content_height(p, iw);
	p->maxscroll = total - (last - (y0 + 1) + 1);
	if (p->maxscroll < 0)
		p->maxscroll = 0;
	if (p->scroll > p->maxscroll)
		p->scroll = p->maxscroll;
	y = y0 + 1;
	skip = p->scroll;
	for (i = 0; i < p->nlines && y <= last; i++)
		y += draw_line(&p->lines[i], y, ix, iw, last, &skip);
	if (p->maxscroll > 0)
		ui_textf(last + 1, ix + iw - 24, 24, ROLE_DIM,
		    "Up/Down: more (%d/%d)", p->scroll, p->maxscroll);
	ui_text(y0 + h - 3, ix, iw, ROLE_DIM, "Nothing has been sent to this "
	    "server yet. Reject unless you know this certificate.");
	draw_buttons(p, y0 + h - 2, ix, iw);
}

/* ------------------------------------------------------------ keys */

static void
choose(struct prompt *p, enum trust_answer a)
{
	if (a == TRUST_REJECT || p->req->verdict != CERT_CHANGED) {
		prompt_answer(p, a);
		return;
	}
	/* CHANGED: one more, deliberate step. */
	p->confirming = 1;
	p->confirm_answer = a;
	ui_field_set(&p->f_confirm.field, "");
	ui_pop_modal(p);
	ui_push_modal(&confirm_screen, p);
}

static void
confirm_key(struct prompt *p, int key)
{
	int	 which;

	if (key == UI_ESC || key == UI_CTRL('c')) {
		p->confirming = 0;
		ui_pop_modal(p);
		ui_push_modal(&prompt_screen, p);
		p->form.focus = 0;
		return;
	}
	if (key == UI_ENTER) {
		if (strcasecmp(p->f_confirm.field.buf, "accept") == 0)
			prompt_answer(p, p->confirm_answer);
		else
			ui_notice(ROLE_WARN, "Type the word accept to trust the "
			    "changed certificate, or Esc to go back.");
		return;
	}
	ui_form_key(&p->cform, key, &which);
}

static void
prompt_key(void *arg, int key)
{
	struct prompt	*p = arg;
	int		 which, rc, action, page = LINES - 10;

	if (p->confirming) {
		confirm_key(p, key);
		return;
	}
	action = ui_binding_find(prompt_keys, sizeof prompt_keys /
	    sizeof prompt_keys[0], key);
	if (action < PA_UP) {
		rc = ui_form_key(&p->form, key, &which);
		if (rc == UI_FORM_PRESSED) {
			choose(p, which == PB_ONCE ? TRUST_ACCEPT_ONCE :
			    which == PB_ALWAYS ? TRUST_ACCEPT_ALWAYS :
			    TRUST_REJECT);
			return;
		}
		if (rc != UI_FORM_IGNORED)
			return;
	}
	switch (action) {
	case PA_REJECT:
		choose(p, TRUST_REJECT);
		break;
	case PA_ONCE:
		choose(p, TRUST_ACCEPT_ONCE);
		break;
	case PA_ALWAYS:
		choose(p, TRUST_ACCEPT_ALWAYS);
		break;
	case PA_UP:
		p->scroll = p->scroll > 0 ? p->scroll - 1 : 0;
		break;
	case PA_DOWN:
		p->scroll = p->scroll < p->maxscroll ? p->scroll + 1 :
		    p->maxscroll;
		break;
	case PA_PGUP:
		p->scroll = p->scroll > page ? p->scroll - page : 0;
		break;
	case PA_PGDN:
		p->scroll = p->scroll + page < p->maxscroll ? p->scroll +
		    page : p->maxscroll;
		break;
	}
}

static int
prompt_typing(void *arg)
{
	struct prompt	*p = arg;

	return p->confirming;
}

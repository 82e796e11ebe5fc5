/*
 * addr.c -- header fields and RFC 5322 address lists.  Contract in addr.h.
 *
 * The address parser works in two passes: a lexer turns the unfolded text
 * into tokens (atoms, quoted strings, domain literals, comments, special
 * characters), each remembering whether white space or a comment came
 * before it; the parser then walks the tokens.  Quoted strings, comments
 * and literals being single tokens, the parser never has to care about
 * commas or brackets inside them.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

enum tok_type { T_END, T_ATOM, T_QSTR, T_DLIT, T_COMMENT, T_SPECIAL };

struct tok {
	enum tok_type	 type;
	char		 c;		/* T_SPECIAL */
	char		*text;	/* ATOM/QSTR/COMMENT: value; DLIT: raw */
	int		 ws;	/* white space or a comment before it */
	size_t		 off;	/* byte offset in the input */
};

struct parser {
	const char	*src;
	struct tok	*t;
	size_t		 nt, i;
	struct addr_list *out;
	struct mc_err	*err;
};

static int	 is_atext(unsigned char);
static int	 lex(const char *, struct tok **, size_t *, struct mc_err *);
static void	 toks_free(struct tok *, size_t);
static void	 perr(struct parser *, size_t, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
static const struct tok *peek(struct parser *);
static size_t	 skip_comments(struct parser *, size_t);
static int	 is_special(const struct tok *, char);
static char	*phrase(struct parser *, size_t, size_t);
static char	*comment_in(struct parser *, size_t, size_t);
static int	 addr_spec(struct parser *, size_t, size_t, const char *,
		     int);
static int	 address(struct parser *, int);
static char	*local_part(const char *);
static void	 near(const char *, size_t, char *, size_t);
static size_t	 line_end(const char *, size_t, size_t);
static int	 is_mbox_from(const char *, size_t);
static int	 line_count(const char *, size_t);
static int	 field_next(const char *, size_t, size_t *,
		     struct addr_field *, int);
static int	 name_in(const struct addr_field *, const char *const *);

/* RFC 5322 atext, plus UTF-8 (RFC 6532). */
static int
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (isalnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static void
toks_free(struct tok *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(t[i].text);
	free(t);
}

/* "..." of at most 40 bytes of s from off, for messages. */
static void
near(const char *s, size_t off, char *buf, size_t size)
{
	size_t	n = strlen(s + off);

	if (n > 40)
		n = 40;
	/* Do not cut a UTF-8 character. */
	while (n > 0 && s[off + n] != '\0' &&
	    ((unsigned char)s[off + n] & 0xC0) == 0x80)
		n--;
	snprintf(buf, size, "%.*s%s", (int)n, s + off,
	    s[off + n] != '\0' ? "..." : "");
	mc_sanitize(buf);
}

static int
lex(const char *s, struct tok **out, size_t *nout, struct mc_err *err)
{
	struct tok	*t = NULL;
	size_t		 n = 0, size = 0, p = 0, start, k;
	char		*buf, where[64];
	int		 ws = 0, depth;
	unsigned char	 c;

	buf = xmalloc(strlen(s) + 3);
	for (;;) {
		c = (unsigned char)s[p];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			ws = 1;
			p++;
			continue;
		}
		if (n == size) {
			size = size == 0 ? 16 : size * 2;
			t = xrealloc(t, size * sizeof *t);
		}
		memset(&t[n], 0, sizeof t[n]);
		t[n].ws = ws;
		t[n].off = p;
		ws = 0;
		if (c == '\0') {
			t[n++].type = T_END;
			break;
		}
		start = p;
		k = 0;
		if (c == '"' || c == '(') {
			/* Quoted string or (nested) comment; \ quotes. */
			depth = 1;
			for (p++; s[p] != '\0'; p++) {
				if (s[p] == '\\' && s[p + 1] != '\0') {
					p++;
					buf[k++] = s[p];
					continue;
				}
				if (s[p] == '\r' || s[p] == '\n')
					continue;
				if (c == '"' && s[p] == '"')
					break;
				if (c == '(' && s[p] == '(')
					depth++;
				if (c == '(' && s[p] == ')' && --depth == 0)
					break;
				buf[k++] = s[p];
			}
			if (s[p] == '\0') {
				near(s, start, where, sizeof where);
				mc_err_set(err, MCE_USAGE, "%s is not closed "
				    "at \"%s\".", c == '"' ? "A quoted string" :
				    "A comment", where);
				goto fail;
			}
			p++;
			buf[k] = '\0';
			t[n].type = c == '"' ? T_QSTR : T_COMMENT;
			t[n].text = xstrdup(buf);
			if (c == '(')
				ws = 1;	/* separates, as space does */
		} else if (c == '[') {
			buf[k++] = '[';
			for (p++; s[p] != '\0' && s[p] != ']'; p++) {
				if (s[p] == '[')
					break;
				if (s[p] == '\\' && s[p + 1] != '\0') {
					buf[k++] = s[p++];
					buf[k++] = s[p];
					continue;
				}
				if (s[p] != ' ' && s[p] != '\t' &&
				    s[p] != '\r' && s[p] != '\n')
					buf[k++] = s[p];
			}
			if (s[p] != ']') {
				near(s, start, where, sizeof where);
				mc_err_set(err, MCE_USAGE, "A domain literal "
				    "is not closed with ']' at \"%s\".",
				    where);
				goto fail;
			}
			p++;
			buf[k++] = ']';
			buf[k] = '\0';
			t[n].type = T_DLIT;
			t[n].text = xstrdup(buf);
		} else if (is_atext(c)) {
			while (is_atext((unsigned char)s[p]))
				buf[k++] = s[p++];
			buf[k] = '\0';
			t[n].type = T_ATOM;
			t[n].text = xstrdup(buf);
		} else if (c != '\0' && strchr("<>:;@,.", c) != NULL) {
			t[n].type = T_SPECIAL;
			t[n].c = (char)c;
			p++;
		} else {
			near(s, p, where, sizeof where);
			if (c < 0x20 || c == 0x7f)
				mc_err_set(err, MCE_USAGE, "A control "
				    "character is in the address list at "
				    "\"%s\".", where);
			else
				mc_err_set(err, MCE_USAGE, "Unexpected '%c' at "
				    "\"%s\"%s.", c, where, c == ')' ?
				    " (no comment to close)" : "");
			goto fail;
		}
		n++;
	}
	free(buf);
	*out = t;
	*nout = n;
	return 0;

fail:
	free(buf);
	toks_free(t, n);
	return -1;
}

static void
perr(struct parser *ps, size_t ti, const char *fmt, ...)
{
	char	why[256], where[64];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (ps->t[ti].type == T_END)
		mc_err_set(ps->err, MCE_USAGE, "%s at the end of \"%.80s\".",
		    why, ps->src);
	else {
		near(ps->src, ps->t[ti].off, where, sizeof where);
		mc_err_set(ps->err, MCE_USAGE, "%s at \"%s\".", why, where);
	}
}

/* Index of the first token from i that is not a comment. */
static size_t
skip_comments(struct parser *ps, size_t i)
{
	while (ps->t[i].type == T_COMMENT)
		i++;
	return i;
}

static const struct tok *
peek(struct parser *ps)
{
	ps->i = skip_comments(ps, ps->i);
	return &ps->t[ps->i];
}

static int
is_special(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->c == c;
}

/*
 * The display name made of tokens [a, b): words joined by one space, dots
 * (obs-phrase) kept where they stood.  Lenient: an '@' or literal in an
 * unquoted name (broken senders write them) is kept as text.  NULL: empty.
 */
static char *
phrase(struct parser *ps, size_t a, size_t b)
{
	char	*out;
	size_t	 i, len = 0, cap = 1;

	for (i = a; i < b; i++) {
		if (ps->t[i].text != NULL)
			cap += strlen(ps->t[i].text);
		cap += 2;
	}
	out = xmalloc(cap);
	out[0] = '\0';
	for (i = a; i < b; i++) {
		const struct tok *t = &ps->t[i];

		if (t->type == T_COMMENT)
			continue;
		if (t->ws && len > 0)
			out[len++] = ' ';
		if (t->type == T_SPECIAL)
			out[len++] = t->c;
		else {
			memcpy(out + len, t->text, strlen(t->text));
			len += strlen(t->text);
		}
		out[len] = '\0';
	}
	if (len == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The first non-empty comment among tokens [a, b), trimmed; or NULL. */
static char *
comment_in(struct parser *ps, size_t a, size_t b)
{
	char	*c;
	size_t	 i;

	for (i = a; i < b; i++) {
		if (ps->t[i].type != T_COMMENT)
			continue;
		c = mc_trim(xstrdup(ps->t[i].text));
		if (*c != '\0')
			return c;
		free(c);
	}
	return NULL;
}

/* A local part as SMTP wants it: bare if a dot-atom, else quoted. */
static char *
local_part(const char *v)
{
	const char	*p;
	char		*out, *q;
	int		 bare = *v != '\0';

	for (p = v; *p != '\0'; p++) {
		if (!is_atext((unsigned char)*p) && *p != '.')
			bare = 0;
	}
	if (bare)
		return xstrdup(v);
	out = q = xmalloc(2 * strlen(v) + 3);
	*q++ = '"';
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			*q++ = '\\';
		*q++ = *p;
	}
	*q++ = '"';
	*q = '\0';
	return out;
}

/*
 * The addr-spec in tokens [a, b): local-part "@" domain.  The name goes
 * with it (copied); without one, a comment in [ca, b) stands in for it.
 */
static int
addr_spec(struct parser *ps, size_t a, size_t b, const char *name, int ca)
{
	struct tok	*t;
	char		*local, *domain, *mailbox, *cname = NULL;
	size_t		 i, ll = 0, dl = 0, cap = 3, at;
	int		 words = 0, want_word, want_label;

	for (i = a; i < b; i++)
		cap += ps->t[i].text != NULL ? strlen(ps->t[i].text) + 1 : 1;
	local = xmalloc(cap);
	domain = xmalloc(cap);

	/*
	 * local-part: words separated by dots (obs: "a . b"; "a..b" and a
	 * trailing dot pass as written, as real servers take them).
	 */
	i = skip_comments(ps, a);
	want_word = 1;
	for (; i < b; i = skip_comments(ps, i + 1)) {
		t = &ps->t[i];
		if (want_word && (t->type == T_ATOM || t->type == T_QSTR)) {
			memcpy(local + ll, t->text, strlen(t->text));
			ll += strlen(t->text);
			words++;
			want_word = 0;
		} else if (words > 0 && is_special(t, '.')) {
			local[ll++] = '.';
			want_word = 1;
		} else
			break;
	}
	local[ll] = '\0';
	at = i;
	if (words == 0) {
		perr(ps, at, "Expected an address (user@example.com)");
		goto fail;
	}
	if (at >= b || !is_special(&ps->t[at], '@')) {
		if (at >= b)
			mc_err_set(ps->err, MCE_USAGE, "\"%.100s\" has no "
			    "domain; write it as user@example.com.", local);
		else
			perr(ps, at, "Expected '@' after \"%.100s\"",
			    local);
		goto fail;
	}

	/* domain: a literal, or labels separated by dots */
	i = skip_comments(ps, at + 1);
	if (i < b && ps->t[i].type == T_DLIT) {
		dl = strlen(ps->t[i].text);
		memcpy(domain, ps->t[i].text, dl);
		i = skip_comments(ps, i + 1);
	} else {
		want_label = 1;
		for (; i < b; i = skip_comments(ps, i + 1)) {
			t = &ps->t[i];
			if (want_label && t->type == T_ATOM) {
				memcpy(domain + dl, t->text, strlen(t->text));
				dl += strlen(t->text);
				want_label = 0;
			} else if (!want_label && is_special(t, '.')) {
				domain[dl++] = '.';
				want_label = 1;
			} else
				break;
		}
		if (dl == 0) {
			perr(ps, i, "Expected a domain after '@'");
			goto fail;
		}
		if (want_label) {
			perr(ps, i, "Expected a domain label after '.'");
			goto fail;
		}
	}
	domain[dl] = '\0';
	if (i < b) {
		perr(ps, i, "Unexpected text after the address");
		goto fail;
	}

	if (name == NULL && ca >= 0)
		cname = comment_in(ps, (size_t)ca, b);
	mailbox = local_part(local);
	free(local);
	local = xasprintf("%s@%s", mailbox, domain);
	addr_list_add(ps->out, local, name != NULL ? name : cname);
	free(mailbox);
	free(cname);
	free(local);
	free(domain);
	return 0;

fail:
	free(local);
	free(domain);
	return -1;
}

/*
 * One address at ps->i: a mailbox, or (unless in_group) a group with its
 * members.  Stops before the ',' (or ';' in a group) that ends it.
 */
static int
address(struct parser *ps, int in_group)
{
	const struct tok	*t;
	char			*name;
	size_t			 a = ps->i, k, sa, sb;
	int			 rc;

	/* The first '<', ':', ',', ';' or the end decides what this is. */
	for (k = a; ; k++) {
		t = &ps->t[k];
		if (t->type == T_END || (t->type == T_SPECIAL &&
		    strchr("<:,;>", t->c) != NULL))
			break;
	}
	if (is_special(t, '>')) {
		perr(ps, k, "Unexpected '>' (no '<' before it)");
		return -1;
	}
	if (is_special(t, '<')) {
		name = phrase(ps, a, k);
		if (name == NULL)
			name = comment_in(ps, a, k);
		/* obs-route "<@a,@b:user@c>": the route is ignored */
		sa = skip_comments(ps, k + 1);
		if (is_special(&ps->t[sa], '@')) {
			while (ps->t[sa].type != T_END &&
			    !is_special(&ps->t[sa], ':') &&
			    !is_special(&ps->t[sa], '>'))
				sa++;
			if (!is_special(&ps->t[sa], ':')) {
				perr(ps, sa, "Expected ':' after the route");
				free(name);
				return -1;
			}
			sa++;
		}
		for (sb = sa; ps->t[sb].type != T_END &&
		    !is_special(&ps->t[sb], '>') &&
		    !is_special(&ps->t[sb], '<'); sb++)
			;
		if (!is_special(&ps->t[sb], '>')) {
			perr(ps, sb, "Expected '>' to close the address");
			free(name);
			return -1;
		}
		/* "<a@b> (Name)": the comment names an unnamed address. */
		if (name == NULL)
			name = comment_in(ps, sb + 1,
			    skip_comments(ps, sb + 1));
		rc = addr_spec(ps, sa, sb, name, -1);
		free(name);
		if (rc != 0)
			return -1;
		ps->i = sb + 1;
		return 0;
	}
	if (is_special(t, ':')) {
		if (in_group) {
			perr(ps, k, "A group cannot contain a group");
			return -1;
		}
		ps->i = k + 1;
		for (;;) {
			t = peek(ps);
			if (t->type == T_END)	/* lenient: ';' missing */
				return 0;
			if (is_special(t, ';')) {
				ps->i++;
				return 0;
			}
			if (is_special(t, ',')) {
				ps->i++;
				continue;
			}
			if (address(ps, 1) != 0)
				return -1;
			t = peek(ps);
			if (t->type != T_END && !is_special(t, ',') &&
			    !is_special(t, ';')) {
				perr(ps, ps->i, "Expected ',' or ';' after "
				    "an address in the group");
				return -1;
			}
		}
	}
	/* A bare addr-spec, maybe with a comment for a name. */
	if (addr_spec(ps, a, k, NULL, (int)a) != 0)
		return -1;
	ps->i = k;
	return 0;
}

int
addr_parse(const char *text, struct addr_list *list, struct mc_err *err)
{
	struct parser		 ps;
	const struct tok	*t;
	size_t			 n0 = list->n, i;

	memset(&ps, 0, sizeof ps);
	ps.src = text;
	ps.out = list;
	ps.err = err;
	if (lex(text, &ps.t, &ps.nt, err) != 0)
		return -1;
	for (;;) {
		t = peek(&ps);
		if (t->type == T_END)
			break;
		if (is_special(t, ',')) {	/* obs: empty element */
			ps.i++;
			continue;
		}
		if (address(&ps, 0) != 0)
			goto fail;
		t = peek(&ps);
		if (t->type != T_END && !is_special(t, ',')) {
			perr(&ps, ps.i, "Expected ',' between addresses");
			goto fail;
		}
	}
	toks_free(ps.t, ps.nt);
	return 0;

fail:
	toks_free(ps.t, ps.nt);
	for (i = n0; i < list->n; i++) {
		free(list->v[i].mailbox);
		free(list->v[i].name);
	}
	list->n = n0;
	return -1;
}

void
addr_list_add(struct addr_list *list, const char *mailbox, const char *name)
{
	if (list->n == list->size) {
		list->size = list->size == 0 ? 8 : list->size * 2;
		list->v = xrealloc(list->v, list->size * sizeof *list->v);
	}
	list->v[list->n].mailbox = xstrdup(mailbox);
	list->v[list->n].name = name != NULL ? xstrdup(name) : NULL;
	list->n++;
}

size_t
addr_list_dedup(struct addr_list *list)
{
	size_t	i, j, k = 0, gone = 0;

	for (i = 0; i < list->n; i++) {
		for (j = 0; j < k; j++) {
			if (strcasecmp(list->v[j].mailbox,
			    list->v[i].mailbox) == 0)
				break;
		}
		if (j < k) {
			free(list->v[i].mailbox);
			free(list->v[i].name);
			gone++;
			continue;
		}
		list->v[k++] = list->v[i];
	}
	list->n = k;
	return gone;
}

void
addr_list_free(struct addr_list *list)
{
	size_t	i;

	for (i = 0; i < list->n; i++) {
		free(list->v[i].mailbox);
		free(list->v[i].name);
	}
	free(list->v);
	memset(list, 0, sizeof *list);
}

/* --- header fields ----------------------------------------------------- */

/* Offset after the line end of the line starting at p (or len). */
static size_t
line_end(const char *msg, size_t len, size_t p)
{
	const char	*nl;

	nl = memchr(msg + p, '\n', len - p);
	return nl != NULL ? (size_t)(nl - msg) + 1 : len;
}

/* An mbox separator ("From addr date"), not an obsolete "From : x". */
static int
is_mbox_from(const char *msg, size_t len)
{
	size_t	p = 4;

	if (len < 5 || memcmp(msg, "From ", 5) != 0)
		return 0;
	while (p < len && (msg[p] == ' ' || msg[p] == '\t'))
		p++;
	return p < len && msg[p] != ':';
}

static int
line_count(const char *msg, size_t upto)
{
	size_t	i;
	int	n = 1;

	for (i = 0; i < upto; i++)
		n += msg[i] == '\n';
	return n;
}

int
addr_field_next(const char *msg, size_t len, size_t *pos,
    struct addr_field *f)
{
	return field_next(msg, len, pos, f, *pos == 0);
}

/* first: at the start of the message, where an mbox line may stand. */
static int
field_next(const char *msg, size_t len, size_t *pos, struct addr_field *f,
    int first)
{
	size_t	p = *pos, e, n, v;

	if (first && is_mbox_from(msg, len))
		p = line_end(msg, len, 0);
	if (p >= len)
		return 0;
	/* ftext: printable US-ASCII except ':' */
	for (n = p; n < len && (unsigned char)msg[n] > 32 &&
	    (unsigned char)msg[n] < 127 && msg[n] != ':'; n++)
		;
	if (n == p)
		return 0;	/* empty line, continuation or junk: body */
	for (v = n; v < len && (msg[v] == ' ' || msg[v] == '\t'); v++)
		;
	if (v >= len || msg[v] != ':')
		return 0;	/* not a field: the body starts here */
	f->name = msg + p;
	f->namelen = n - p;
	f->value = msg + v + 1;
	f->start = p;
	f->line = line_count(msg, p);
	e = line_end(msg, len, p);
	while (e < len && (msg[e] == ' ' || msg[e] == '\t'))
		e = line_end(msg, len, e);
	f->end = e;
	/* The value ends before the field's last line end. */
	n = e;
	if (n > v + 1 && msg[n - 1] == '\n')
		n--;
	if (n > v + 1 && msg[n - 1] == '\r')
		n--;
	f->valuelen = n - (v + 1);
	*pos = e;
	return 1;
}

int
addr_field_is(const struct addr_field *f, const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}

char *
addr_unfold(const char *value, size_t len)
{
	char	*out;
	size_t	 i, k = 0;

	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (value[i] != '\r' && value[i] != '\n')
			out[k++] = value[i];
	}
	out[k] = '\0';
	return out;
}

static int
name_in(const struct addr_field *f, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (addr_field_is(f, *names))
			return 1;
	}
	return 0;
}

int
addr_fields_parse(const char *msg, size_t len, const char *const *names,
    struct addr_list *list, struct mc_err *err)
{
	struct addr_field	f;
	struct mc_err		e;
	size_t			pos = 0, n0 = list->n, i;
	char			*v;
	int			count = 0;

	while (addr_field_next(msg, len, &pos, &f)) {
		if (!name_in(&f, names))
			continue;
		count++;
		v = addr_unfold(f.value, f.valuelen);
		mc_err_clear(&e);
		if (addr_parse(v, list, &e) != 0) {
			free(v);
			mc_err_set(err, MCE_USAGE, "The %.*s: field (line %d) "
			    "has a bad address: %s", (int)f.namelen, f.name,
			    f.line, e.msg);
			for (i = n0; i < list->n; i++) {
				free(list->v[i].mailbox);
				free(list->v[i].name);
			}
			list->n = n0;
			return -1;
		}
		free(v);
	}
	return count;
}

size_t
addr_fields_remove(char *msg, size_t len, const char *const *names)
{
	struct addr_field	f;
	size_t			pos = 0, gone;
	int			first = 1;

	/* Not addr_field_next: pos is 0 again after removing a first field. */
	for (; field_next(msg, len, &pos, &f, first); first = 0) {
		if (!name_in(&f, names))
			continue;
		gone = f.end - f.start;
		memmove(msg + f.start, msg + f.end, len - f.end);
		len -= gone;
		pos = f.start;
	}
	return len;
}

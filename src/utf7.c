/*
 * utf7.c -- IMAP modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8.
 *
 * Printable US-ASCII (0x20-0x7e) stands for itself, except '&', which is
 * "&-".  Everything else is UTF-16 in modified base64 (',' for '/', no
 * '=' padding) between '&' and '-'.
 *
 * The decoder takes only what an encoder following the RFC can produce:
 * bytes outside 0x20-0x7e, bad base64 characters, a run without its '-',
 * a run that encodes printable ASCII (say "&AGE-" for "a"), padding of six
 * bits or more or padding that is not zero, unpaired surrogates and U+0000
 * are all errors.  Two runs in a row ("&AOQ-&APY-") are accepted: the RFC
 * does not forbid them, and the result is unambiguous.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf7.h"
#include "util.h"

struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static void
buf_add(struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

static char *
buf_fail(struct buf *b)
{
	free(b->s);
	return NULL;
}

static char *
buf_done(struct buf *b)
{
	if (b->s == NULL)
		return xstrdup("");
	return b->s;
}

static int
b64_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80)
		buf_add(b, (char)cp);
	else if (cp < 0x800) {
		buf_add(b, (char)(0xc0 | cp >> 6));
		buf_add(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_add(b, (char)(0xe0 | cp >> 12));
		buf_add(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_add(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_add(b, (char)(0xf0 | cp >> 18));
		buf_add(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_add(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_add(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * Decode the base64 run starting at *pp (just after '&') up to its '-'.
 * Returns 0 and moves *pp past the '-', or -1.
 */
static int
decode_run(const char **pp, struct buf *out)
{
	const char	*p = *pp;
	uint32_t	 bits = 0, high = 0, unit;
	int		 nbits = 0, v;

	for (; *p != '-'; p++) {
		if ((v = b64_value(*p)) == -1)
			return -1;	/* bad character or end of string */
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return -1;	/* high surrogate alone */
			put_utf8(out, 0x10000 + ((high - 0xd800) << 10) +
			    (unit - 0xdc00));
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff)
			high = unit;
		else if (unit >= 0xdc00 && unit <= 0xdfff)
			return -1;	/* low surrogate alone */
		else if (unit == 0 || (unit >= 0x20 && unit <= 0x7e))
			return -1;	/* NUL, or ASCII that stands alone */
		else
			put_utf8(out, unit);
	}
	/* Empty run ("&-" is handled by the caller), dangling surrogate,
	 * a whole useless base64 character, or non-zero padding. */
	if (p == *pp || high != 0 || nbits >= 6 || bits != 0)
		return -1;
	*pp = p + 1;
	return 0;
}

char *
utf7_to_utf8(const char *in)
{
	struct buf	 out = { NULL, 0, 0 };
	const char	*p;

	if (in == NULL)
		return NULL;
	for (p = in; *p != '\0';) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return buf_fail(&out);
		if (*p != '&') {
			buf_add(&out, *p++);
			continue;
		}
		p++;
		if (*p == '-') {
			buf_add(&out, '&');
			p++;
		} else if (decode_run(&p, &out) == -1)
			return buf_fail(&out);
	}
	return buf_done(&out);
}

/* Next code point of strict UTF-8 at *pp, or -1 (and *pp unchanged). */
static int32_t
next_utf8(const char **pp)
{
	const unsigned char	*p = (const unsigned char *)*pp;
	uint32_t		 cp, min;
	int			 n, i;

	if (p[0] < 0x80) {
		*pp += 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 1;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 2;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 3;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;	/* also stops at the NUL */
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pp += n + 1;
	return (int32_t)cp;
}

static void
put_unit(struct buf *b, uint32_t unit, uint32_t *bits, int *nbits)
{
	*bits = (*bits << 16) | unit;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		buf_add(b, b64[(*bits >> *nbits) & 0x3f]);
	}
	*bits &= (1u << *nbits) - 1;
}

static void
close_run(struct buf *b, uint32_t *bits, int *nbits)
{
	if (*nbits > 0)
		buf_add(b, b64[(*bits << (6 - *nbits)) & 0x3f]);
	buf_add(b, '-');
	*bits = 0;
	*nbits = 0;
}

char *
utf8_to_utf7(const char *in)
{
	struct buf	 out = { NULL, 0, 0 };
	const char	*p;
	int32_t		 cp;
	uint32_t	 bits = 0, c;
	int		 nbits = 0, inrun = 0;

	if (in == NULL)
		return NULL;
	for (p = in; *p != '\0';) {
		if ((cp = next_utf8(&p)) == -1)
			return buf_fail(&out);
		if (cp >= 0x20 && cp <= 0x7e) {
			if (inrun) {
				close_run(&out, &bits, &nbits);
				inrun = 0;
			}
			buf_add(&out, (char)cp);
			if (cp == '&')
				buf_add(&out, '-');
			continue;
		}
		if (!inrun) {
			buf_add(&out, '&');
			inrun = 1;
		}
		if (cp >= 0x10000) {
			c = (uint32_t)cp - 0x10000;
			put_unit(&out, 0xd800 + (c >> 10), &bits, &nbits);
			put_unit(&out, 0xdc00 + (c & 0x3ff), &bits, &nbits);
		} else
			put_unit(&out, (uint32_t)cp, &bits, &nbits);
	}
	if (inrun)
		close_run(&out, &bits, &nbits);
	return buf_done(&out);
}

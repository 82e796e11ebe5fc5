/*
 * test-utf7.c -- IMAP modified UTF-7 both ways, and every invalid form.
 * Expected encodings were computed independently (UTF-16BE + base64).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "utf7.h"
#include "util.h"

struct pair {
	const char	*utf8;
	const char	*utf7;
};

static const struct pair pairs[] = {
	{ "", "" },
	{ "INBOX", "INBOX" },
	{ "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
	{ "&", "&-" },
	{ "a&b&&", "a&-b&-&-" },
	{ "Gel\xc3\xb6schte Elemente", "Gel&APY-schte Elemente" },
	{ "\xc3\x84&\xc3\x96", "&AMQ-&-&ANY-" },
	/* RFC 3501's own example: ~peter/mail/日本語/台北 */
	{ "~peter/mail/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/"
	    "\xe5\x8f\xb0\xe5\x8c\x97",
	    "~peter/mail/&ZeVnLIqe-/&U,BTFw-" },
	/* 送信済みメール */
	{ "\xe9\x80\x81\xe4\xbf\xa1\xe6\xb8\x88\xe3\x81\xbf\xe3\x83\xa1"
	    "\xe3\x83\xbc\xe3\x83\xab", "&kAFP4W4IMH8w4TD8MOs-" },
	/* Отправленные, Корзина */
	{ "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5"
	    "\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5",
	    "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-" },
	{ "\xd0\x9a\xd0\xbe\xd1\x80\xd0\xb7\xd0\xb8\xd0\xbd\xd0\xb0",
	    "&BBoEPgRABDcEOAQ9BDA-" },
	/* U+1F4E7 E-MAIL SYMBOL: a surrogate pair. */
	{ "\xf0\x9f\x93\xa7", "&2D3c5w-" },
	{ "Inbox \xf0\x9f\x93\xa7 Post", "Inbox &2D3c5w- Post" },
	/* A control character is not printable: it is encoded. */
	{ "a\tb", "a&AAk-b" },
};

static void
test_pairs(void **state)
{
	char	*s;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		s = utf8_to_utf7(pairs[i].utf8);
		if (s == NULL || strcmp(s, pairs[i].utf7) != 0)
			fail_msg("encode #%zu: got %s, want %s", i,
			    s ? s : "NULL", pairs[i].utf7);
		free(s);
		s = utf7_to_utf8(pairs[i].utf7);
		if (s == NULL || strcmp(s, pairs[i].utf8) != 0)
			fail_msg("decode #%zu (%s): got %s", i,
			    pairs[i].utf7, s ? s : "NULL");
		free(s);
	}
}

static void
test_adjacent_runs_accepted(void **state)
{
	char	*s;

	(void)state;
	/* Not what we write, but unambiguous and not forbidden. */
	s = utf7_to_utf8("&AMQ-&ANY-");
	assert_non_null(s);
	assert_string_equal(s, "\xc3\x84\xc3\x96");
	free(s);
}

static void
test_invalid_utf7(void **state)
{
	static const char *bad[] = {
		"&",			/* unterminated, empty */
		"&APw",			/* unterminated */
		"Entw&APwrfe",		/* unterminated: runs to the end */
		"&AGE-",		/* 'a' encoded */
		"&ACY-",		/* '&' encoded instead of "&-" */
		"&ACA-",		/* ' ' encoded */
		"&AH4-",		/* '~' encoded */
		"&AAA-",		/* U+0000 */
		"&APx-",		/* non-zero padding bits */
		"&APwA-",		/* a useless extra base64 character */
		"&AP-",			/* too short for one unit */
		"&AP!-",		/* not base64 */
		"&AP/-",		/* '/' is ',' in modified base64 */
		"&APw=-",		/* no '=' padding */
		"&2D0-",		/* high surrogate alone */
		"&3Oc-",		/* low surrogate alone */
		"&2D0A5A-",		/* high surrogate, then not a low one */
		"&3OfYPQ-",		/* low then high: wrong order */
		"Entw\xc3\xbc" "rfe",	/* raw 8-bit */
		"a\tb",			/* control character */
		"a\x7f",		/* DEL */
	};
	char	*s;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if ((s = utf7_to_utf8(bad[i])) != NULL)
			fail_msg("accepted #%zu \"%s\" as \"%s\"", i, bad[i],
			    s);
	}
	assert_null(utf7_to_utf8(NULL));
}

static void
test_invalid_utf8(void **state)
{
	static const char *bad[] = {
		"\xc3",			/* truncated */
		"ab\xc3z",		/* truncated in the middle */
		"\xc0\xaf",		/* overlong '/' */
		"\xe0\x80\xaf",		/* overlong */
		"\xed\xa0\x80",		/* UTF-16 surrogate in UTF-8 */
		"\xf4\x90\x80\x80",	/* above U+10FFFF */
		"\xff",
		"\x80",			/* lone continuation byte */
	};
	char	*s;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if ((s = utf8_to_utf7(bad[i])) != NULL)
			fail_msg("accepted #%zu as \"%s\"", i, s);
	}
	assert_null(utf8_to_utf7(NULL));
}

/* Append the UTF-8 of cp to s. */
static size_t
put(char *s, uint32_t cp)
{
	if (cp < 0x80) {
		s[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12);
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	s[0] = (char)(0xf0 | cp >> 18);
	s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	s[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Random names from every length class of code point: encoding is pure
 * printable ASCII, decoding gives the name back, and re-encoding the
 * decoded text gives the same bytes (one canonical form).
 */
static void
test_round_trip_random(void **state)
{
	char		 name[256], *u7, *u8, *again;
	const char	*p;
	uint32_t	 cp;
	unsigned	 seed = 12345;
	int		 i, j, n;
	size_t		 len;

	(void)state;
	for (i = 0; i < 2000; i++) {
		len = 0;
		n = (int)(rand_r(&seed) % 12) + 1;
		for (j = 0; j < n; j++) {
			switch (rand_r(&seed) % 5) {
			case 0:
				cp = 0x20 + rand_r(&seed) % 0x5f;
				break;
			case 1:
				cp = 0x80 + rand_r(&seed) % 0x780;
				break;
			case 2:
				cp = 0x800 + rand_r(&seed) % 0xd000;
				break;
			case 3:
				cp = 0xe000 + rand_r(&seed) % 0x2000;
				break;
			default:
				cp = 0x10000 + rand_r(&seed) % 0x100000;
				break;
			}
			len += put(name + len, cp);
		}
		name[len] = '\0';
		u7 = utf8_to_utf7(name);
		assert_non_null(u7);
		for (p = u7; *p != '\0'; p++)
			assert_true(*p >= 0x20 && *p <= 0x7e);
		u8 = utf7_to_utf8(u7);
		if (u8 == NULL || strcmp(u8, name) != 0)
			fail_msg("round trip of %s failed", u7);
		again = utf8_to_utf7(u8);
		assert_string_equal(again, u7);
		free(again);
		free(u8);
		free(u7);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_adjacent_runs_accepted),
		cmocka_unit_test(test_invalid_utf7),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_round_trip_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

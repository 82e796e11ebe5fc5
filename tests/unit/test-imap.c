/*
 * test-imap.c -- the pure parts of imap.c: which server software a greeting,
 * CAPABILITY list and ID name point to, and which folder is Sent.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap.h"

/* Captured from Courier-IMAP 5.0.13 (TESTBED 7). */
#define COURIER_GREETING "Courier-IMAP ready. Copyright 1998-2019 Double " \
	"Precision, Inc.  See COPYING for distribution information."

static void
test_detect_dovecot(void **state)
{
	char	*caps[] = { "IMAP4REV1", "SASL-IR", "ID", "STARTTLS" };

	(void)state;
	assert_int_equal(imap_detect_server("Dovecot (Debian) ready.", caps,
	    4, NULL), SW_DOVECOT);
	/* ID alone is enough, and it outranks a greeting. */
	assert_int_equal(imap_detect_server("ready", NULL, 0, "Dovecot"),
	    SW_DOVECOT);
	assert_int_equal(imap_detect_server("Courier-IMAP ready.", NULL, 0,
	    "Dovecot"), SW_DOVECOT);
	assert_string_equal(server_sw_name(SW_DOVECOT), "Dovecot");
}

static void
test_detect_courier(void **state)
{
	char	*caps[] = { "IMAP4REV1", "UIDPLUS", "CHILDREN", "NAMESPACE",
	    "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "SORT", "QUOTA",
	    "IDLE", "ID", "STARTTLS", "ENABLE", "UTF8=ACCEPT" };

	(void)state;
	assert_int_equal(imap_detect_server(COURIER_GREETING, caps, 13,
	    NULL), SW_COURIER);
	/* After login: ID from the real server. */
	assert_int_equal(imap_detect_server(NULL, caps, 13, "Courier-IMAP"),
	    SW_COURIER);
	/* The capability list alone does not make it Courier. */
	assert_int_equal(imap_detect_server(NULL, caps, 13, NULL),
	    SW_UNKNOWN);
	assert_string_equal(server_sw_name(SW_COURIER), "Courier-IMAP");
}

static void
test_detect_cyrus(void **state)
{
	(void)state;
	assert_int_equal(imap_detect_server("mail.example.com Cyrus IMAP "
	    "v2.4.17-Invoca-RPM-2.4.17-15.el7 server ready", NULL, 0, NULL),
	    SW_CYRUS);
	assert_int_equal(imap_detect_server("ready", NULL, 0, "Cyrus IMAPD"),
	    SW_CYRUS);
}

static void
test_detect_exchange(void **state)
{
	(void)state;
	assert_int_equal(imap_detect_server("The Microsoft Exchange IMAP4 "
	    "service is ready. [TQBOADIAUAA=]", NULL, 0, NULL), SW_EXCHANGE);
	assert_string_equal(server_sw_name(SW_EXCHANGE),
	    "Microsoft Exchange");
}

static void
test_detect_gmail(void **state)
{
	char	*caps[] = { "IMAP4REV1", "UNSELECT", "IDLE", "NAMESPACE",
	    "QUOTA", "ID", "XLIST", "CHILDREN", "X-GM-EXT-1" };

	(void)state;
	assert_int_equal(imap_detect_server("Gimap ready for requests from "
	    "192.0.2.1 x12mb3456", NULL, 0, NULL), SW_GMAIL);
	assert_int_equal(imap_detect_server("ready", caps, 9, NULL),
	    SW_GMAIL);
	assert_int_equal(imap_detect_server(NULL, NULL, 0, "GImap"),
	    SW_GMAIL);
}

static void
test_detect_unknown(void **state)
{
	char	*caps[] = { "IMAP4REV1", "IDLE" };

	(void)state;
	assert_int_equal(imap_detect_server(NULL, NULL, 0, NULL),
	    SW_UNKNOWN);
	assert_int_equal(imap_detect_server("IMAP server ready", caps, 2,
	    "hMailServer"), SW_UNKNOWN);
	assert_string_equal(server_sw_name(SW_UNKNOWN), "unknown");
}

static void
test_sent_by_flag(void **state)
{
	/* A folder named Sent exists, but the \Sent flag says otherwise. */
	struct imap_folder f[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "Sent", "Sent", '/', 0 },
		{ "Outbox copies", "Outbox copies", '/', FOLDER_SENT },
		{ "Trash", "Trash", '/', FOLDER_TRASH },
	};

	(void)state;
	assert_int_equal(imap_find_sent(f, 4), 2);
	/* A \Sent folder that cannot be selected is skipped. */
	f[2].flags |= FOLDER_NOSELECT;
	assert_int_equal(imap_find_sent(f, 4), 1);
}

static void
test_sent_by_name(void **state)
{
	/* Every name the brief lists, as the only candidate. */
	static const char *names[] = {
		"Sent", "Sent Items", "Sent Messages", "Sent Mail",
		"Gesendet", "Gesendete Elemente", "Envoyés",
		"Éléments envoyés", "Enviados", "Inviata", "Posta inviata",
		"Verzonden", "Skickat", "Wysłane", "Отправленные",
	};
	struct imap_folder	f[3];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		memset(f, 0, sizeof f);
		f[0] = (struct imap_folder){ "INBOX", "INBOX", '.',
		    FOLDER_INBOX };
		f[1] = (struct imap_folder){ "Drafts", "Drafts", '.', 0 };
		f[2] = (struct imap_folder){ (char *)names[i],
		    (char *)names[i], '.', 0 };
		assert_int_equal(imap_find_sent(f, 3), 2);
	}
}

static void
test_sent_name_forms(void **state)
{
	struct imap_folder gmail[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "[Gmail]", "[Gmail]", '/', FOLDER_NOSELECT },
		{ "[Gmail]/Sent Mail", "[Gmail]/Sent Mail", '/', 0 },
	};
	struct imap_folder courier[] = {
		{ "INBOX", "INBOX", '.', FOLDER_INBOX },
		{ "INBOX.Trash", "INBOX.Trash", '.', 0 },
		{ "INBOX.Sent", "INBOX.Sent", '.', 0 },
	};
	struct imap_folder upper[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "SENT ITEMS", "SENT ITEMS", '/', 0 },
	};
	struct imap_folder accents[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "ÉLÉMENTS ENVOYÉS", "&AMk-L&AMk-MENTS ENVOY&AMk-S", '/', 0 },
	};
	struct imap_folder cyrillic[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "ОТПРАВЛЕННЫЕ", "x", '/', 0 },
	};
	struct imap_folder polish[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "WYSŁANE", "x", '/', 0 },
	};
	struct imap_folder deeper[] = {
		{ "Archive/2020/Sent", "Archive/2020/Sent", '/', 0 },
		{ "Sent", "Sent", '/', 0 },
	};
	struct imap_folder none[] = {
		{ "INBOX", "INBOX", '/', FOLDER_INBOX },
		{ "Sentinel", "Sentinel", '/', 0 },
		{ "Presents", "Presents", '/', 0 },
		{ "Sent", "Sent", '/', FOLDER_NOSELECT },
	};

	(void)state;
	assert_int_equal(imap_find_sent(gmail, 3), 2);
	assert_int_equal(imap_find_sent(courier, 3), 2);
	assert_int_equal(imap_find_sent(upper, 2), 1);
	assert_int_equal(imap_find_sent(accents, 2), 1);
	assert_int_equal(imap_find_sent(cyrillic, 2), 1);
	assert_int_equal(imap_find_sent(polish, 2), 1);
	assert_int_equal(imap_find_sent(deeper, 2), 1);
	assert_int_equal(imap_find_sent(none, 4), -1);
	assert_int_equal(imap_find_sent(NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_dovecot),
		cmocka_unit_test(test_detect_courier),
		cmocka_unit_test(test_detect_cyrus),
		cmocka_unit_test(test_detect_exchange),
		cmocka_unit_test(test_detect_gmail),
		cmocka_unit_test(test_detect_unknown),
		cmocka_unit_test(test_sent_by_flag),
		cmocka_unit_test(test_sent_by_name),
		cmocka_unit_test(test_sent_name_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

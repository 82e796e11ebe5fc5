/*
 * providers.c -- well-known settings of hosted mail services.
 *
 * This is the "provider table shipped as a data file" of the wizard, kept as
 * a const C table: the repository's top-level layout is fixed (no data/
 * directory, and themes/ holds only themes), a table in the binary cannot
 * go missing or stale against the code that reads it, and adding a provider
 * is still a one-line edit.  Order does not matter; domains are unique.
 *
 * Sources: each provider's own help pages for IMAP/SMTP clients.
 */
#include <string.h>
#include <strings.h>

#include "discover.h"

static const struct provider providers[] = {
	{ "Gmail", "gmail.com googlemail.com",
	  "imap.gmail.com", 993, SEC_TLS, "smtp.gmail.com", 465, SEC_TLS,
	  "Google accepts an app password here (Google Account > Security > "
	  "2-Step Verification > App passwords), not your normal password." },
	{ "Outlook.com", "outlook.com hotmail.com hotmail.co.uk hotmail.de "
	  "hotmail.fr hotmail.it hotmail.es live.com live.co.uk live.de "
	  "live.fr msn.com outlook.de outlook.fr",
	  "outlook.office365.com", 993, SEC_TLS,
	  "smtp-mail.outlook.com", 587, SEC_STARTTLS,
	  "Microsoft has turned off password logins for most accounts; if "
	  "the login fails, ask for an app password or use OAuth2 elsewhere." },
	{ "Office 365", "office365.com onmicrosoft.com",
	  "outlook.office365.com", 993, SEC_TLS,
	  "smtp.office365.com", 587, SEC_STARTTLS,
	  "Your administrator must allow IMAP and SMTP AUTH for the mailbox." },
	{ "Yahoo", "yahoo.com ymail.com rocketmail.com yahoo.co.uk yahoo.de "
	  "yahoo.fr yahoo.es yahoo.it yahoo.ca yahoo.com.au",
	  "imap.mail.yahoo.com", 993, SEC_TLS,
	  "smtp.mail.yahoo.com", 465, SEC_TLS,
	  "Yahoo needs an app password (Account security > Generate app "
	  "password)." },
	{ "AOL", "aol.com aim.com",
	  "imap.aol.com", 993, SEC_TLS, "smtp.aol.com", 465, SEC_TLS,
	  "AOL needs an app password (Account security)." },
	{ "iCloud", "icloud.com me.com mac.com",
	  "imap.mail.me.com", 993, SEC_TLS, "smtp.mail.me.com", 587,
	  SEC_STARTTLS,
	  "iCloud needs an app-specific password (appleid.apple.com > "
	  "Sign-In and Security)." },
	{ "Fastmail", "fastmail.com fastmail.fm fastmail.net fastmail.org "
	  "fastmail.us messagingengine.com",
	  "imap.fastmail.com", 993, SEC_TLS, "smtp.fastmail.com", 465, SEC_TLS,
	  "Fastmail needs an app password (Settings > Privacy & Security)." },
	{ "GMX", "gmx.de gmx.net gmx.at gmx.ch",
	  "imap.gmx.net", 993, SEC_TLS, "mail.gmx.net", 465, SEC_TLS,
	  "Turn on IMAP first: Settings > POP3 & IMAP > allow access." },
	{ "GMX (international)", "gmx.com gmx.co.uk gmx.fr gmx.es",
	  "imap.gmx.com", 993, SEC_TLS, "mail.gmx.com", 465, SEC_TLS,
	  "Turn on IMAP first: Settings > POP3 & IMAP > allow access." },
	{ "WEB.DE", "web.de",
	  "imap.web.de", 993, SEC_TLS, "smtp.web.de", 587, SEC_STARTTLS,
	  "Turn on IMAP first: Settings > POP3/IMAP > allow access." },
	{ "mailbox.org", "mailbox.org",
	  "imap.mailbox.org", 993, SEC_TLS, "smtp.mailbox.org", 465, SEC_TLS,
	  NULL },
	{ "Posteo", "posteo.de posteo.net",
	  "posteo.de", 993, SEC_TLS, "posteo.de", 465, SEC_TLS, NULL },
	{ "Zoho", "zoho.com zohomail.com",
	  "imap.zoho.com", 993, SEC_TLS, "smtp.zoho.com", 465, SEC_TLS,
	  "Turn on IMAP access in Zoho Mail settings; with two-factor "
	  "sign-in, use an app-specific password." },
	{ "Zoho (EU)", "zoho.eu zohomail.eu",
	  "imap.zoho.eu", 993, SEC_TLS, "smtp.zoho.eu", 465, SEC_TLS,
	  "Turn on IMAP access in Zoho Mail settings; with two-factor "
	  "sign-in, use an app-specific password." },
	{ "Yandex", "yandex.com yandex.ru ya.ru yandex.ua yandex.by yandex.kz",
	  "imap.yandex.com", 993, SEC_TLS, "smtp.yandex.com", 465, SEC_TLS,
	  "Allow IMAP in Yandex Mail settings and use an app password." },
	{ "Proton Mail", "proton.me protonmail.com protonmail.ch pm.me",
	  "127.0.0.1", 1143, SEC_STARTTLS, "127.0.0.1", 1025, SEC_STARTTLS,
	  "Only through Proton Mail Bridge running on this computer; use the "
	  "password the Bridge shows, and accept its own certificate." },
};

static int
domain_in(const char *list, const char *domain)
{
	size_t		 dlen = strlen(domain), wlen;
	const char	*p = list;

	while (*p != '\0') {
		wlen = strcspn(p, " ");
		if (wlen == dlen && strncasecmp(p, domain, dlen) == 0)
			return 1;
		p += wlen;
		p += strspn(p, " ");
	}
	return 0;
}

const struct provider *
provider_lookup(const char *domain)
{
	size_t	 i;

	if (domain == NULL || *domain == '\0')
		return NULL;
	for (i = 0; i < sizeof providers / sizeof providers[0]; i++) {
		if (domain_in(providers[i].domains, domain))
			return &providers[i];
	}
	return NULL;
}

const struct provider *
provider_table(size_t *n)
{
	*n = sizeof providers / sizeof providers[0];
	return providers;
}

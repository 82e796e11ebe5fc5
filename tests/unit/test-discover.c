/*
 * test-discover.c -- SRV answers parsed from crafted DNS messages (good,
 * compressed, odd and malformed), their ordering, the provider table, and
 * discover_run()'s time limit and cancel against a local socket that never
 * speaks.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "discover.h"
#include "events.h"
#include "net.h"

/* A DNS message under construction. */
struct msg {
	unsigned char	 b[2048];
	size_t		 n;
	size_t		 rdlen_at;	/* where the current RR's RDLENGTH is */
};

static void
put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct msg *m, unsigned long v)
{
	put16(m, (unsigned)(v >> 16));
	put16(m, (unsigned)(v & 0xffff));
}

/* "a.b.c" as labels; "" is the root. */
static void
put_name(struct msg *m, const char *name)
{
	const char	*p = name, *dot;
	size_t		 len;

	while (*p != '\0') {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		put8(m, (unsigned)len);
		memcpy(m->b + m->n, p, len);
		m->n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
}

static void
put_ptr(struct msg *m, unsigned off)
{
	put16(m, 0xc000 | off);
}

/* Header + question; the question name starts at offset 12. */
static void
begin(struct msg *m, const char *qname, unsigned ancount)
{
	memset(m, 0, sizeof *m);
	put16(m, 0x1234);	/* id */
	put16(m, 0x8180);	/* response, RD, RA, NOERROR */
	put16(m, 1);		/* QDCOUNT */
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, 33);		/* SRV */
	put16(m, 1);		/* IN */
}

/* An RR owned by the question name (pointer to offset 12). */
static void
rr_begin(struct msg *m, unsigned type)
{
	put_ptr(m, 12);
	put16(m, type);
	put16(m, 1);
	put32(m, 300);
	m->rdlen_at = m->n;
	put16(m, 0);
}

static void
rr_end(struct msg *m)
{
	size_t	 len = m->n - m->rdlen_at - 2;

	m->b[m->rdlen_at] = (unsigned char)(len >> 8);
	m->b[m->rdlen_at + 1] = (unsigned char)(len & 0xff);
}

static void
srv(struct msg *m, unsigned prio, unsigned weight, unsigned port,
    const char *target)
{
	rr_begin(m, 33);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	put_name(m, target);
	rr_end(m);
}

static struct srv_record *
parse_ok(const struct msg *m, size_t *n)
{
	struct srv_record	*r;
	struct mc_err		 err;

	if (discover_parse_srv(m->b, m->n, &r, n, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	return r;
}

static void
parse_bad(const unsigned char *b, size_t len)
{
	struct srv_record	*r = (void *)1;
	struct mc_err		 err;
	size_t			 n = 99;

	assert_int_equal(discover_parse_srv(b, len, &r, &n, &err), -1);
	assert_int_equal(err.kind, MCE_PROTOCOL);
	assert_non_null(strstr(err.msg, "DNS answer"));
	assert_null(r);
	assert_int_equal(n, 0);
}

static void
test_srv_one(void **state)
{
	struct msg		 m;
	struct srv_record	*r;
	size_t			 n;

	(void)state;
	begin(&m, "_imaps._tcp.example.com", 1);
	srv(&m, 0, 1, 993, "mail.example.com");
	r = parse_ok(&m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].priority, 0);
	assert_int_equal(r[0].weight, 1);
	assert_int_equal(r[0].port, 993);
	assert_string_equal(r[0].target, "mail.example.com");
	assert_false(discover_srv_not_offered(r, n));
	free(r);
}

static void
test_srv_order(void **state)
{
	struct msg		 m;
	struct srv_record	*r;
	size_t			 n;

	(void)state;
	begin(&m, "_imap._tcp.example.com", 5);
	srv(&m, 10, 5, 143, "d.example.com");
	srv(&m, 0, 10, 143, "b.example.com");
	srv(&m, 10, 60, 143, "c.example.com");
	srv(&m, 0, 20, 143, "a.example.com");
	srv(&m, 0, 10, 143, "b2.example.com");	/* equal: stays after b */
	r = parse_ok(&m, &n);
	assert_int_equal(n, 5);
	assert_string_equal(r[0].target, "a.example.com");
	assert_string_equal(r[1].target, "b.example.com");
	assert_string_equal(r[2].target, "b2.example.com");
	assert_string_equal(r[3].target, "c.example.com");
	assert_string_equal(r[4].target, "d.example.com");
	free(r);
}

static void
test_srv_not_offered(void **state)
{
	struct msg		 m;
	struct srv_record	*r;
	size_t			 n;

	(void)state;
	begin(&m, "_imap._tcp.example.com", 1);
	srv(&m, 0, 0, 0, "");		/* target "." (the root) */
	r = parse_ok(&m, &n);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].target, ".");
	assert_true(discover_srv_not_offered(r, n));
	free(r);

	/* "." among real records is not "not offered". */
	begin(&m, "_imap._tcp.example.com", 2);
	srv(&m, 0, 0, 0, "");
	srv(&m, 1, 0, 143, "imap.example.com");
	r = parse_ok(&m, &n);
	assert_int_equal(n, 2);
	assert_false(discover_srv_not_offered(r, n));
	free(r);
}

static void
test_srv_compressed_and_mixed(void **state)
{
	struct msg		 m;
	struct srv_record	*r;
	size_t			 n, name_at;

	(void)state;
	begin(&m, "_submission._tcp.example.org", 3);
	/* A CNAME first: skipped. */
	rr_begin(&m, 5);
	name_at = m.n;
	put8(&m, 4);
	memcpy(m.b + m.n, "smtp", 4);
	m.n += 4;
	put_ptr(&m, 12 + 1 + 11 + 1 + 4);	/* -> "example.org" */
	rr_end(&m);
	/* SRV whose target is a pointer to the CNAME's name. */
	rr_begin(&m, 33);
	put16(&m, 5);
	put16(&m, 0);
	put16(&m, 587);
	put_ptr(&m, (unsigned)name_at);
	rr_end(&m);
	/* And one with a label then a pointer. */
	rr_begin(&m, 33);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 2587);
	put8(&m, 3);
	memcpy(m.b + m.n, "alt", 3);
	m.n += 3;
	put_ptr(&m, 12 + 1 + 11 + 1 + 4);
	rr_end(&m);
	r = parse_ok(&m, &n);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].target, "alt.example.org");
	assert_int_equal(r[0].port, 2587);
	assert_string_equal(r[1].target, "smtp.example.org");
	assert_int_equal(r[1].port, 587);
	free(r);
}

static void
test_srv_no_answers(void **state)
{
	struct msg		 m;
	struct srv_record	*r;
	size_t			 n;

	(void)state;
	begin(&m, "_imaps._tcp.example.com", 0);
	r = parse_ok(&m, &n);
	assert_int_equal(n, 0);
	free(r);
}

/* A hand-written answer, as bytes on the wire. */
static void
test_srv_raw_bytes(void **state)
{
	static const unsigned char ans[] = {
		0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00,
		/* _imaps._tcp.fastmail.com SRV IN */
		0x06, '_', 'i', 'm', 'a', 'p', 's', 0x04, '_', 't', 'c', 'p',
		0x08, 'f', 'a', 's', 't', 'm', 'a', 'i', 'l', 0x03, 'c', 'o',
		'm', 0x00, 0x00, 0x21, 0x00, 0x01,
		/* answer: ptr to 12, SRV, IN, ttl 3600, rdlen 25 */
		0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
		0x00, 0x19,
		0x00, 0x00, 0x00, 0x01, 0x03, 0xe1,
		0x04, 'i', 'm', 'a', 'p', 0x08, 'f', 'a', 's', 't', 'm', 'a',
		'i', 'l', 0x03, 'c', 'o', 'm', 0x00,
	};
	struct srv_record	*r;
	struct mc_err		 err;
	size_t			 n;

	(void)state;
	assert_int_equal(discover_parse_srv(ans, sizeof ans, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].target, "imap.fastmail.com");
	assert_int_equal(r[0].port, 993);
	free(r);
	/* Every truncation of it is malformed, never a crash. */
	for (n = 0; n < sizeof ans; n++)
		parse_bad(ans, n);
}

static void
test_srv_malformed(void **state)
{
	struct msg	 m;
	size_t		 at;

	(void)state;
	/* Fewer answers than ANCOUNT says. */
	begin(&m, "_imaps._tcp.example.com", 2);
	srv(&m, 0, 0, 993, "imap.example.com");
	parse_bad(m.b, m.n);

	/* RDATA too short for priority, weight, port and a name. */
	begin(&m, "_imaps._tcp.example.com", 1);
	rr_begin(&m, 33);
	put16(&m, 0);
	put16(&m, 0);
	put8(&m, 3);
	rr_end(&m);
	parse_bad(m.b, m.n);

	/* RDLENGTH claims more than the message holds. */
	begin(&m, "_imaps._tcp.example.com", 1);
	srv(&m, 0, 0, 993, "imap.example.com");
	m.b[m.rdlen_at] = 0x01;
	parse_bad(m.b, m.n);

	/* A compression pointer to itself (a loop). */
	begin(&m, "_imaps._tcp.example.com", 1);
	rr_begin(&m, 33);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 993);
	put_ptr(&m, (unsigned)m.n);
	rr_end(&m);
	parse_bad(m.b, m.n);

	/* A pointer beyond the end. */
	begin(&m, "_imaps._tcp.example.com", 1);
	rr_begin(&m, 33);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 993);
	put_ptr(&m, 1500);
	rr_end(&m);
	parse_bad(m.b, m.n);

	/* The target runs past RDLENGTH into the next bytes. */
	begin(&m, "_imaps._tcp.example.com", 1);
	srv(&m, 0, 0, 993, "imap.example.com");
	at = m.rdlen_at;
	m.b[at] = 0;
	m.b[at + 1] = 9;	/* 6 + 3: cuts the name after "ima" */
	parse_bad(m.b, m.rdlen_at + 2 + 9);

	/* Too short for a header. */
	parse_bad((const unsigned char *)"\x12\x34\x81", 3);
}

static void
test_srv_odd_target_skipped(void **state)
{
	struct msg		 m;
	struct srv_record	*r;
	size_t			 n;

	(void)state;
	begin(&m, "_imaps._tcp.example.com", 2);
	srv(&m, 0, 0, 993, "bad host.example.com");	/* a space: skip */
	srv(&m, 1, 0, 993, "imap.example.com");
	r = parse_ok(&m, &n);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].target, "imap.example.com");
	free(r);
}

static void
test_sort_direct(void **state)
{
	struct srv_record	 r[4];

	(void)state;
	memset(r, 0, sizeof r);
	r[0].priority = 2; strcpy(r[0].target, "x");
	r[1].priority = 1; r[1].weight = 0; strcpy(r[1].target, "y");
	r[2].priority = 1; r[2].weight = 0; strcpy(r[2].target, "z");
	r[3].priority = 1; r[3].weight = 7; strcpy(r[3].target, "w");
	discover_sort_srv(r, 4);
	assert_string_equal(r[0].target, "w");
	assert_string_equal(r[1].target, "y");
	assert_string_equal(r[2].target, "z");
	assert_string_equal(r[3].target, "x");
	discover_sort_srv(r, 0);
}

static void
expect_provider(const char *domain, const char *name, const char *imap,
    int imap_port, enum sec_mode imap_sec, const char *smtp, int smtp_port,
    enum sec_mode smtp_sec)
{
	const struct provider	*p = provider_lookup(domain);

	if (p == NULL)
		fail_msg("no provider for %s", domain);
	assert_string_equal(p->name, name);
	assert_string_equal(p->imap_host, imap);
	assert_int_equal(p->imap_port, imap_port);
	assert_int_equal(p->imap_sec, imap_sec);
	assert_string_equal(p->smtp_host, smtp);
	assert_int_equal(p->smtp_port, smtp_port);
	assert_int_equal(p->smtp_sec, smtp_sec);
}

static void
test_providers(void **state)
{
	(void)state;
	expect_provider("gmail.com", "Gmail", "imap.gmail.com", 993, SEC_TLS,
	    "smtp.gmail.com", 465, SEC_TLS);
	expect_provider("GoogleMail.COM", "Gmail", "imap.gmail.com", 993,
	    SEC_TLS, "smtp.gmail.com", 465, SEC_TLS);
	expect_provider("outlook.com", "Outlook.com", "outlook.office365.com",
	    993, SEC_TLS, "smtp-mail.outlook.com", 587, SEC_STARTTLS);
	expect_provider("hotmail.com", "Outlook.com", "outlook.office365.com",
	    993, SEC_TLS, "smtp-mail.outlook.com", 587, SEC_STARTTLS);
	expect_provider("live.com", "Outlook.com", "outlook.office365.com",
	    993, SEC_TLS, "smtp-mail.outlook.com", 587, SEC_STARTTLS);
	expect_provider("office365.com", "Office 365", "outlook.office365.com",
	    993, SEC_TLS, "smtp.office365.com", 587, SEC_STARTTLS);
	expect_provider("yahoo.com", "Yahoo", "imap.mail.yahoo.com", 993,
	    SEC_TLS, "smtp.mail.yahoo.com", 465, SEC_TLS);
	expect_provider("icloud.com", "iCloud", "imap.mail.me.com", 993,
	    SEC_TLS, "smtp.mail.me.com", 587, SEC_STARTTLS);
	expect_provider("me.com", "iCloud", "imap.mail.me.com", 993, SEC_TLS,
	    "smtp.mail.me.com", 587, SEC_STARTTLS);
	expect_provider("mac.com", "iCloud", "imap.mail.me.com", 993, SEC_TLS,
	    "smtp.mail.me.com", 587, SEC_STARTTLS);
	expect_provider("fastmail.com", "Fastmail", "imap.fastmail.com", 993,
	    SEC_TLS, "smtp.fastmail.com", 465, SEC_TLS);
	expect_provider("gmx.de", "GMX", "imap.gmx.net", 993, SEC_TLS,
	    "mail.gmx.net", 465, SEC_TLS);
	expect_provider("gmx.net", "GMX", "imap.gmx.net", 993, SEC_TLS,
	    "mail.gmx.net", 465, SEC_TLS);
	expect_provider("gmx.com", "GMX (international)", "imap.gmx.com", 993,
	    SEC_TLS, "mail.gmx.com", 465, SEC_TLS);
	expect_provider("mailbox.org", "mailbox.org", "imap.mailbox.org", 993,
	    SEC_TLS, "smtp.mailbox.org", 465, SEC_TLS);
	expect_provider("zoho.com", "Zoho", "imap.zoho.com", 993, SEC_TLS,
	    "smtp.zoho.com", 465, SEC_TLS);
	expect_provider("yandex.ru", "Yandex", "imap.yandex.com", 993, SEC_TLS,
	    "smtp.yandex.com", 465, SEC_TLS);
	/* Not prefixes, suffixes or sub-domains of a listed one. */
	assert_null(provider_lookup("example.com"));
	assert_null(provider_lookup("gmail.co"));
	assert_null(provider_lookup("gmail.com.evil.test"));
	assert_null(provider_lookup("mail.gmail.com"));
	assert_null(provider_lookup("ail.com"));
	assert_null(provider_lookup(""));
	assert_null(provider_lookup(NULL));
}

static void
test_provider_table_sane(void **state)
{
	const struct provider	*t;
	size_t			 n, i, j;
	char			*copy, *w, *save;

	(void)state;
	t = provider_table(&n);
	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		assert_non_null(t[i].name);
		assert_true(strlen(t[i].imap_host) > 0);
		assert_true(strlen(t[i].smtp_host) > 0);
		assert_true(t[i].imap_port > 0 && t[i].imap_port < 65536);
		assert_true(t[i].smtp_port > 0 && t[i].smtp_port < 65536);
		assert_true(t[i].imap_sec != SEC_NONE);
		assert_true(t[i].smtp_sec != SEC_NONE);
		/* Each domain maps back to this entry: no duplicates. */
		copy = xstrdup(t[i].domains);
		for (w = strtok_r(copy, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save)) {
			if (provider_lookup(w) != &t[i])
				fail_msg("%s is listed twice", w);
			for (j = 0; w[j] != '\0'; j++)
				assert_true(w[j] >= 'a' && w[j] <= 'z' ?
				    1 : strchr("0123456789.-", w[j]) != NULL);
		}
		free(copy);
	}
}

static void
test_domain_and_ports(void **state)
{
	struct mc_err	 err;
	int		 ports[4] = { 0, 0, 0, 0 };
	char		*d;

	(void)state;
	d = discover_domain("Ann.Example@Mail.Example.COM.");
	assert_string_equal(d, "mail.example.com");
	free(d);
	d = discover_domain("no-at-sign");
	assert_string_equal(d, "");
	free(d);
	assert_int_equal(discover_parse_ports("imaps=27001,smtps=27005",
	    ports, &err), 0);
	assert_int_equal(ports[0], 27001);
	assert_int_equal(ports[1], 0);
	assert_int_equal(ports[2], 27005);
	assert_int_equal(discover_parse_ports("imap=1 submission=2", ports,
	    &err), 0);
	assert_int_equal(ports[1], 1);
	assert_int_equal(ports[3], 2);
	assert_int_equal(discover_parse_ports("imaps=0", ports, &err), -1);
	assert_int_equal(discover_parse_ports("pop3=110", ports, &err), -1);
	assert_int_equal(discover_parse_ports("imaps", ports, &err), -1);
	assert_non_null(strstr(err.msg, "MC_DISCOVER_PORTS"));
	assert_string_equal(discover_origin_name(ORIGIN_SRV), "SRV");
}

/* A step callback that counts calls: it must run on the caller's thread. */
struct steps {
	pthread_t	 thread;
	int		 n;
	int		 wrong_thread;
};

static void
count_step(void *arg, int status, const char *name, long long ms,
    const char *detail)
{
	struct steps	*s = arg;

	(void)status;
	(void)ms;
	(void)detail;
	assert_non_null(name);
	if (!pthread_equal(pthread_self(), s->thread))
		s->wrong_thread = 1;
	s->n++;
}

/* A listener that accepts nothing and says nothing: probes hang. */
static int
silent_listener(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * Let the probes discover_run() walked away from end: close what they
 * connected to the silent listener (their handshake or greeting read then
 * fails) until none runs; their memory is freed as they go.
 */
static void
drain_abandoned(int lfd)
{
	long long	 end = mc_now_ms() + 10000;
	int		 c;

	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	while (discover_busy() > 0 && mc_now_ms() < end) {
		while ((c = accept(lfd, NULL, NULL)) >= 0)
			close(c);
		poll(NULL, 0, 10);
	}
	assert_int_equal(discover_busy(), 0);
	close(lfd);
}

static void
test_run_time_limit(void **state)
{
	struct disc_opts	 o;
	struct disc_result	 res;
	struct steps		 s = { pthread_self(), 0, 0 };
	long long		 t0;
	int			 fd, port;

	(void)state;
	net_init();
	fd = silent_listener(&port);
	memset(&o, 0, sizeof o);
	o.email = "ann@localhost";
	o.no_dns = 1;
	o.time_limit_ms = 400;
	o.probe_timeout = 10;
	o.ports[0] = o.ports[1] = o.ports[2] = o.ports[3] = port;
	o.step = count_step;
	o.arg = &s;
	t0 = mc_now_ms();
	discover_run(&o, &res);
	/* Returned at the limit, not after the 10 s probe timeout. */
	assert_true(mc_now_ms() - t0 < 1500);
	assert_true(res.timed_out);
	assert_false(res.cancelled);
	/* Unconfirmed guesses are dropped: nothing found is fine. */
	assert_int_equal(res.best[DISC_IMAP], -1);
	assert_int_equal(res.best[DISC_SMTP], -1);
	assert_true(s.n > 0);
	assert_false(s.wrong_thread);
	/* Hanging probes were left behind, and they do end. */
	assert_true(discover_busy() > 0);
	discover_free(&res);
	drain_abandoned(fd);
}

struct canceller {
	volatile int	*flag;
	int		 after_ms;
};

static void *
cancel_later(void *arg)
{
	struct canceller	*c = arg;

	usleep((useconds_t)c->after_ms * 1000);
	*c->flag = 1;
	return NULL;
}

static void
test_run_cancel(void **state)
{
	struct disc_opts	 o;
	struct disc_result	 res;
	volatile int		 cancel = 0;
	struct canceller	 c = { &cancel, 150 };
	pthread_t		 t;
	long long		 t0, took;
	int			 fd, port;

	(void)state;
	net_init();
	fd = silent_listener(&port);
	memset(&o, 0, sizeof o);
	o.email = "ann@localhost";
	o.no_dns = 1;
	o.time_limit_ms = 20000;
	o.probe_timeout = 20;
	o.ports[0] = o.ports[1] = o.ports[2] = o.ports[3] = port;
	o.cancel = &cancel;
	t0 = mc_now_ms();
	assert_int_equal(pthread_create(&t, NULL, cancel_later, &c), 0);
	discover_run(&o, &res);
	took = mc_now_ms() - t0;
	pthread_join(t, NULL);
	/* Within a tick of the cancel, though the probes still hang. */
	assert_true(took >= 150);
	assert_true(took < 600);
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	discover_free(&res);
	drain_abandoned(fd);
}

static void
test_run_provider_survives(void **state)
{
	struct disc_opts	 o;
	struct disc_result	 res;
	volatile int		 cancel = 1;	/* no probe at all */

	(void)state;
	memset(&o, 0, sizeof o);
	o.email = "ann@GMail.com";
	o.no_dns = 1;
	o.cancel = &cancel;
	discover_run(&o, &res);
	assert_true(res.cancelled);
	assert_non_null(res.provider);
	assert_string_equal(res.provider->name, "Gmail");
	/* Unconfirmed but authoritative: still the best there is. */
	assert_true(res.best[DISC_IMAP] >= 0);
	assert_string_equal(res.c[res.best[DISC_IMAP]].host, "imap.gmail.com");
	assert_int_equal(res.c[res.best[DISC_IMAP]].origin, ORIGIN_PROVIDER);
	assert_int_equal(res.c[res.best[DISC_IMAP]].confirmed, 0);
	assert_string_equal(res.c[res.best[DISC_SMTP]].host, "smtp.gmail.com");
	assert_int_equal(res.c[res.best[DISC_SMTP]].port, 465);
	discover_free(&res);
}

static void
test_run_no_domain(void **state)
{
	struct disc_opts	 o;
	struct disc_result	 res;

	(void)state;
	memset(&o, 0, sizeof o);
	o.email = "nobody";
	discover_run(&o, &res);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.best[0], -1);
	discover_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_one),
		cmocka_unit_test(test_srv_order),
		cmocka_unit_test(test_srv_not_offered),
		cmocka_unit_test(test_srv_compressed_and_mixed),
		cmocka_unit_test(test_srv_no_answers),
		cmocka_unit_test(test_srv_raw_bytes),
		cmocka_unit_test(test_srv_malformed),
		cmocka_unit_test(test_srv_odd_target_skipped),
		cmocka_unit_test(test_sort_direct),
		cmocka_unit_test(test_providers),
		cmocka_unit_test(test_provider_table_sane),
		cmocka_unit_test(test_domain_and_ports),
		cmocka_unit_test(test_run_no_domain),
		cmocka_unit_test(test_run_time_limit),
		cmocka_unit_test(test_run_cancel),
		cmocka_unit_test(test_run_provider_survives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

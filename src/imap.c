/*
 * imap.c -- one IMAP session: net.c carries the bytes, libetpan parses them.
 *
 * The order of things in imap_open() is the security argument:
 *   imaps:    TCP -> TLS handshake -> trust gate -> greeting -> CAPABILITY
 *   starttls: TCP -> greeting (PREAUTH refused) -> CAPABILITY (STARTTLS
 *             required) -> STARTTLS (injection refused) -> TLS -> trust
 *             gate -> CAPABILITY again, everything said before forgotten
 *   none:     loopback only.
 * Only then ID (RFC 2971), and LOGIN only on a trusted session.
 *
 * libetpan traps handled here (TESTBED 4): mailimap_connect returns 1/2 on
 * success; a failed connect leaves imap_stream open, so it is detached
 * before mailimap_free (net_close closes it); imap_selection_info is NULL
 * after a failed SELECT; mailimap_compress is never called.
 */

#include <sys/socket.h>

#include <ctype.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "imap.h"
#include "log.h"
#include "utf7.h"
#include "version.h"

static void	 imap_logger(mailimap *, int, const char *, size_t, void *);
static void	 peer_name(const struct endpoint *, char *, size_t);
static int	 gate(struct imap_session *, const struct trust_ctx *,
		     struct mc_err *);
static int	 refresh_caps(struct imap_session *, struct mc_err *);
static void	 caps_free(struct imap_session *);
static char	*etpan_str(const char *);
static int	 ask_id(struct imap_session *, struct mc_err *);
static void	 last_reply(struct imap_session *, char *, size_t);
static int	 bye_text(struct imap_session *, char *, size_t);
static int	 is_limit_text(const char *);
static enum mc_errkind stream_failure(struct net_conn *, mailstream *);
static void	 session_free(struct imap_session *);
static void	 wipe_write_buffer(mailstream *);
static int	 folder_flags(const struct mailimap_mbx_list_flags *);
static int	 login_plain(struct imap_session *, const char *, const char *,
		     struct mc_err *);
static uint32_t	 fold_cp(uint32_t);
static int	 utf8_caseeq(const char *, const char *);
static const char *last_component(const struct imap_folder *);

/* How long LOGOUT may take when closing: it is only a courtesy. */
#define LOGOUT_TIMEOUT 5

/* Trace lines for --debug; LOGIN arrives marked private (type 7). */
static void
imap_logger(mailimap *imap, int type, const char *buf, size_t len, void *arg)
{
	struct imap_session	*s = arg;
	char			 peer[NET_ADDR_MAX + 300];
	int			 sent, priv;

	(void)imap;
	switch (type) {
	case MAILSTREAM_LOG_TYPE_DATA_SENT:
		sent = 1;
		priv = 0;
		break;
	case MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE:
		sent = 1;
		priv = 1;
		break;
	case MAILSTREAM_LOG_TYPE_DATA_RECEIVED:
		sent = 0;
		priv = 0;
		break;
	default:
		return;
	}
	peer_name(&s->ep, peer, sizeof peer);
	log_trace("imap", peer, sent, priv, buf, len);
}

static void
peer_name(const struct endpoint *ep, char *buf, size_t size)
{
	if (strchr(ep->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", ep->host, ep->port);
	else
		snprintf(buf, size, "%s:%d", ep->host, ep->port);
}

static int
gate(struct imap_session *s, const struct trust_ctx *tc, struct mc_err *err)
{
	if (trust_gate(tc, "imap", s->conn, &s->trust, err) != 0)
		return -1;
	s->trusted = 1;
	return 0;
}

static void
caps_free(struct imap_session *s)
{
	size_t	i;

	for (i = 0; i < s->ncaps; i++)
		free(s->caps[i]);
	free(s->caps);
	s->caps = NULL;
	s->ncaps = 0;
}

/* Ask CAPABILITY and replace the list; earlier lists are forgotten. */
static int
refresh_caps(struct imap_session *s, struct mc_err *err)
{
	struct mailimap_capability_data	*cd = NULL;
	struct mailimap_capability	*cap;
	clistiter			*it;
	char				*name, *p;
	int				 rc;

	rc = mailimap_capability(s->imap, &cd);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_set_error(s, rc, "asking for the server's capabilities",
		    err);
		return -1;
	}
	caps_free(s);
	if (cd == NULL || cd->cap_list == NULL)
		goto out;
	s->caps = xcalloc(clist_count(cd->cap_list) + 1, sizeof *s->caps);
	for (it = clist_begin(cd->cap_list); it != NULL; it = clist_next(it)) {
		cap = clist_content(it);
		if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE) {
			if (cap->cap_data.cap_auth_type == NULL)
				continue;
			name = xasprintf("AUTH=%s", cap->cap_data.cap_auth_type);
		} else {
			if (cap->cap_data.cap_name == NULL)
				continue;
			name = xstrdup(cap->cap_data.cap_name);
		}
		for (p = name; *p != '\0'; p++)
			*p = toupper((unsigned char)*p);
		mc_sanitize(name);
		s->caps[s->ncaps++] = name;
	}
out:
	if (cd != NULL)
		mailimap_capability_data_free(cd);
	return 0;
}

/*
 * A string libetpan's mailimap_string_free can free: it only releases
 * strings registered in its mmap_string table (a strdup'ed one leaks, which
 * is why mailimap_id_basic leaks 28 bytes a call).
 */
static char *
etpan_str(const char *text)
{
	MMAPString	*m;

	if ((m = mmap_string_new(text)) == NULL || mmap_string_ref(m) != 0)
		fatalx("mmap_string_new: out of memory");
	return m->str;
}

/*
 * ID (RFC 2971): say who we are, record who they are.  A NO is normal
 * (Courier refuses ID before login although it advertises it); only a dead
 * connection is an error.
 */
static int
ask_id(struct imap_session *s, struct mc_err *err)
{
	struct mailimap_id_params_list	*ours, *theirs = NULL;
	struct mailimap_id_param	*param;
	clistiter			*it;
	char				**dst;
	int				 rc;

	if (!imap_has_cap(s, "ID"))
		return 0;
	ours = mailimap_id_params_list_new_empty();
	if (ours == NULL ||
	    mailimap_id_params_list_add_name_value(ours, etpan_str("name"),
	    etpan_str("mailconn")) != 0 ||
	    mailimap_id_params_list_add_name_value(ours,
	    etpan_str("version"), etpan_str(MC_VERSION)) != 0)
		fatalx("mailimap_id_params: out of memory");
	rc = mailimap_id(s->imap, ours, &theirs);
	mailimap_id_params_list_free(ours);
	if (rc == MAILIMAP_ERROR_STREAM || rc == MAILIMAP_ERROR_FATAL) {
		imap_set_error(s, rc, "sending ID", err);
		return -1;
	}
	if (rc != MAILIMAP_NO_ERROR) {
		log_debug("imap: %s:%d: ID refused (%d), ignored", s->ep.host,
		    s->ep.port, rc);
		return 0;
	}
	for (it = theirs != NULL && theirs->idpa_list != NULL ?
	    clist_begin(theirs->idpa_list) : NULL; it != NULL;
	    it = clist_next(it)) {
		param = clist_content(it);
		if (param->idpa_name == NULL || param->idpa_value == NULL)
			continue;
		if (strcasecmp(param->idpa_name, "name") == 0)
			dst = &s->id_name;
		else if (strcasecmp(param->idpa_name, "version") == 0)
			dst = &s->id_version;
		else
			continue;
		free(*dst);
		*dst = xstrdup(param->idpa_value);
		mc_sanitize(*dst);
	}
	if (theirs != NULL)
		mailimap_id_params_list_free(theirs);
	return 0;
}

int
imap_open(const struct endpoint *ep, const struct trust_ctx *tc,
    struct imap_session **out, struct mc_err *err)
{
	struct imap_session	*s;
	mailstream		*stream;
	char			 peer[NET_ADDR_MAX + 300];
	long long		 t;
	int			 rc, timeout;

	*out = NULL;
	mc_err_clear(err);
	if (ep->sec == SEC_NONE && !net_is_loopback(ep->host)) {
		mc_err_set(err, MCE_INSECURE, "Refusing plaintext IMAP to a "
		    "non-loopback host (%s); use imaps or starttls.",
		    ep->host);
		return -1;
	}
	peer_name(ep, peer, sizeof peer);
	timeout = ep->timeout > 0 ? ep->timeout : NET_DEFAULT_TIMEOUT;

	s = xcalloc(1, sizeof *s);
	s->ep = *ep;
	s->trust = CERT_UNTRUSTED;
	s->sw = SW_UNKNOWN;

	s->conn = trust_connect(ep, "imap", tc, &s->probe, &s->connect_ms,
	    &s->tls_ms, &s->trust, err);
	if (s->conn == NULL)
		goto fail;
	if (ep->sec == SEC_TLS)
		s->trusted = 1;		/* the gate passed */

	stream = net_stream(s->conn);
	if (stream == NULL) {
		mc_err_set(err, MCE_IO, "Cannot set up the stream for %s.",
		    peer);
		goto fail;
	}
	mailstream_low_set_timeout(mailstream_get_low(stream), timeout);
	s->imap = mailimap_new(0, NULL);
	if (s->imap == NULL)
		fatalx("mailimap_new: out of memory");
	mailimap_set_timeout(s->imap, timeout);
	if (log_debug_enabled())
		mailimap_set_logger(s->imap, imap_logger, s);

	t = mc_now_ms();
	rc = mailimap_connect(s->imap, stream);
	s->greeting_ms = mc_now_ms() - t;
	if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		if (rc == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION) {
			last_reply(s, err->server, sizeof err->server);
			mc_err_set(err, is_limit_text(err->server) ?
			    MCE_LIMIT : MCE_SERVER, "%s refused the "
			    "connection with BYE in its greeting.", peer);
		} else
			imap_set_error(s, rc, "waiting for the greeting", err);
		goto fail;
	}
	if (s->imap->imap_response != NULL) {
		s->greeting = xstrdup(s->imap->imap_response);
		mc_sanitize(s->greeting);
	}
	s->preauth = (rc == MAILIMAP_NO_ERROR_AUTHENTICATED);

	if (ep->sec == SEC_STARTTLS) {
		s->greeting_pre_tls = 1;
		if (s->preauth) {
			mc_err_set(err, MCE_STARTTLS, "Server greeted with "
			    "PREAUTH on an unencrypted connection; refusing "
			    "(possible STARTTLS stripping).");
			goto fail;
		}
		if (refresh_caps(s, err) != 0)
			goto fail;
		if (!imap_has_cap(s, "STARTTLS")) {
			mc_err_set(err, MCE_STARTTLS, "Server does not offer "
			    "STARTTLS on %s; use imaps (port 993) or ask IT "
			    "to enable STARTTLS.", peer);
			goto fail;
		}
		rc = mailimap_starttls(s->imap);
		if (s->imap->imap_stream != NULL &&
		    s->imap->imap_stream->read_buffer_len > 0) {
			/* CVE-2020-15953: bytes after the OK would be
			 * read as if they came over TLS. */
			mc_err_set(err, MCE_STARTTLS, "Server %s sent data "
			    "right after its STARTTLS reply (possible "
			    "response injection); refusing the connection.",
			    peer);
			goto fail;
		}
		if (rc == MAILIMAP_ERROR_STARTTLS ||
		    rc == MAILIMAP_ERROR_PROTOCOL) {
			last_reply(s, err->server, sizeof err->server);
			mc_err_set(err, MCE_STARTTLS, "Server %s refused "
			    "STARTTLS; use imaps (port 993) or ask IT to fix "
			    "STARTTLS.", peer);
			goto fail;
		}
		if (rc != MAILIMAP_NO_ERROR) {
			imap_set_error(s, rc, "starting TLS", err);
			goto fail;
		}
		t = mc_now_ms();
		if (net_starttls(s->conn, ep, err) != 0)
			goto fail;
		s->tls_ms = mc_now_ms() - t;
		mailstream_low_set_timeout(mailstream_get_low(
		    s->imap->imap_stream), timeout);
		caps_free(s);
		if (gate(s, tc, err) != 0)
			goto fail;
	} else if (ep->sec == SEC_NONE) {
		/* Loopback: nobody between us and the server. */
		s->trusted = 1;
	}

	if (refresh_caps(s, err) != 0)
		goto fail;
	if (s->preauth)
		s->authenticated = 1;
	if (ask_id(s, err) != 0)
		goto fail;
	s->sw = imap_detect_server(s->greeting, s->caps, s->ncaps,
	    s->id_name);
	log_debug("imap: %s: connected (%s%s), server %s, connect %lld ms, "
	    "tls %lld ms, greeting %lld ms", peer,
	    sec_mode_name(ep->sec, 0), s->preauth ? ", PREAUTH" : "",
	    server_sw_name(s->sw), s->connect_ms, s->tls_ms, s->greeting_ms);
	*out = s;
	return 0;

fail:
	imap_abort(s);
	return -1;
}

int
imap_has_cap(const struct imap_session *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->ncaps; i++) {
		if (strcasecmp(s->caps[i], name) == 0)
			return 1;
	}
	return 0;
}

/*
 * The stream's write buffer still holds the last command after the flush;
 * after LOGIN that is the password.
 */
static void
wipe_write_buffer(mailstream *stream)
{
	if (stream != NULL && stream->write_buffer != NULL)
		mc_wipe(stream->write_buffer, stream->buffer_max_size);
}

/*
 * AUTHENTICATE PLAIN with an initial response (RFC 4959), for a server that
 * disabled LOGIN on a TLS connection.  libetpan's own AUTHENTICATE needs the
 * Cyrus SASL plugins, so the line is built here and sent marked private.
 */
static int
login_plain(struct imap_session *s, const char *user, const char *password,
    struct mc_err *err)
{
	size_t	 ulen = strlen(user), plen = strlen(password);
	size_t	 rawlen = ulen + plen + 2, b64len = 4 * ((rawlen + 2) / 3) + 1;
	char	*raw, *b64, *cmd, peer[NET_ADDR_MAX + 300];
	int	 rc;

	raw = xmalloc(rawlen);
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, password, plen);
	b64 = xmalloc(b64len);
	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)raw, rawlen);
	cmd = xasprintf("AUTHENTICATE PLAIN %s", b64);
	mc_wipe(raw, rawlen);
	free(raw);
	mc_free_secret(b64);

	mailstream_set_privacy(s->imap->imap_stream, 0);
	rc = mailimap_custom_command(s->imap, cmd);
	if (s->imap->imap_stream != NULL) {
		mailstream_set_privacy(s->imap->imap_stream, 1);
		wipe_write_buffer(s->imap->imap_stream);
	}
	mc_free_secret(cmd);
	if (rc == MAILIMAP_NO_ERROR) {
		/* custom_command leaves the state alone. */
		s->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		return 0;
	}
	if (rc == MAILIMAP_ERROR_CUSTOM_COMMAND) {
		last_reply(s, err->server, sizeof err->server);
		peer_name(&s->ep, peer, sizeof peer);
		mc_err_set(err, MCE_AUTH, "The server rejected the user name "
		    "or password for %s on %s.", user, peer);
		return -1;
	}
	imap_set_error(s, rc, "logging in", err);
	return -1;
}

int
imap_login(struct imap_session *s, const char *user, const char *password,
    struct mc_err *err)
{
	char	peer[NET_ADDR_MAX + 300];
	int	rc, tls;

	mc_err_clear(err);
	peer_name(&s->ep, peer, sizeof peer);
	if (!s->trusted) {
		mc_err_set(err, MCE_INSECURE, "Refusing to send the password "
		    "to %s: the connection is not trusted.", peer);
		return -1;
	}
	if (s->authenticated)
		return 0;
	tls = (s->conn != NULL && s->conn->ssl != NULL);
	if (imap_has_cap(s, "LOGINDISABLED")) {
		if (!tls || !imap_has_cap(s, "AUTH=PLAIN") ||
		    !imap_has_cap(s, "SASL-IR")) {
			mc_err_set(err, MCE_INSECURE, "Server says "
			    "LOGINDISABLED: %s does not accept a password on "
			    "this connection%s.", peer, tls ? "" :
			    " (it is not encrypted; use imaps or starttls)");
			return -1;
		}
		if (login_plain(s, user, password, err) != 0)
			return -1;
	} else {
		rc = mailimap_login(s->imap, user, password);
		if (s->imap->imap_stream != NULL)
			wipe_write_buffer(s->imap->imap_stream);
		if (rc == MAILIMAP_ERROR_LOGIN) {
			last_reply(s, err->server, sizeof err->server);
			if (strstr(err->server, "[PRIVACYREQUIRED]") != NULL)
				mc_err_set(err, MCE_INSECURE, "Server %s "
				    "refuses a password on this connection "
				    "(PRIVACYREQUIRED).", peer);
			else if (strstr(err->server, "[UNAVAILABLE]") != NULL)
				mc_err_set(err, MCE_SERVER, "Server %s "
				    "cannot log anyone in right now "
				    "(UNAVAILABLE); try again later.", peer);
			else if (is_limit_text(err->server))
				mc_err_set(err, MCE_LIMIT, "Server %s refused "
				    "the login: too many connections.", peer);
			else
				mc_err_set(err, MCE_AUTH, "The server "
				    "rejected the user name or password for %s "
				    "on %s.", user, peer);
			return -1;
		}
		if (rc != MAILIMAP_NO_ERROR) {
			imap_set_error(s, rc, "logging in", err);
			return -1;
		}
	}
	s->authenticated = 1;
	/* Courier does not put CAPABILITY in its OK; ask everyone. */
	if (refresh_caps(s, err) != 0)
		return -1;
	if (s->id_name == NULL && ask_id(s, err) != 0)
		return -1;
	s->sw = imap_detect_server(s->greeting, s->caps, s->ncaps,
	    s->id_name);
	log_info("imap: %s: logged in as %s", peer, user);
	return 0;
}

/* \Sent etc. arrive without the backslash from libetpan's parser. */
static int
folder_flags(const struct mailimap_mbx_list_flags *f)
{
	static const struct {
		const char	*name;
		int		 flag;
	} map[] = {
		{ "Noselect", FOLDER_NOSELECT },
		{ "NonExistent", FOLDER_NOSELECT },
		{ "Sent", FOLDER_SENT },
		{ "Drafts", FOLDER_DRAFTS },
		{ "Trash", FOLDER_TRASH },
		{ "Junk", FOLDER_JUNK },
		{ "Spam", FOLDER_JUNK },
		{ "Archive", FOLDER_ARCHIVE },
	};
	struct mailimap_mbx_list_oflag	*of;
	clistiter			*it;
	const char			*name;
	size_t				 i;
	int				 flags = 0;

	if (f == NULL)
		return 0;
	if (f->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    f->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		flags |= FOLDER_NOSELECT;
	if (f->mbf_oflags == NULL)
		return flags;
	for (it = clist_begin(f->mbf_oflags); it != NULL;
	    it = clist_next(it)) {
		of = clist_content(it);
		if (of->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT ||
		    of->of_flag_ext == NULL)
			continue;
		name = of->of_flag_ext;
		if (*name == '\\')
			name++;
		for (i = 0; i < sizeof map / sizeof map[0]; i++) {
			if (strcasecmp(name, map[i].name) == 0)
				flags |= map[i].flag;
		}
	}
	return flags;
}

int
imap_list(struct imap_session *s, struct imap_folder **out, size_t *nout,
    struct mc_err *err)
{
	struct mailimap_mailbox_list	*mb;
	struct imap_folder		*f;
	clist				*list = NULL;
	clistiter			*it;
	size_t				 n = 0;
	int				 rc;

	*out = NULL;
	*nout = 0;
	mc_err_clear(err);
	/*
	 * RFC 6154 3: RETURN (SPECIAL-USE) needs LIST-EXTENDED.  libetpan has
	 * no call for it, but a custom command leaves the parsed LIST lines
	 * in imap_response_info.  Servers with SPECIAL-USE also put the
	 * attributes in a plain LIST, so that is the fallback.
	 */
	rc = -1;
	if (imap_has_cap(s, "SPECIAL-USE") &&
	    imap_has_cap(s, "LIST-EXTENDED")) {
		rc = mailimap_custom_command(s->imap,
		    "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
		if (rc == MAILIMAP_NO_ERROR &&
		    s->imap->imap_response_info != NULL) {
			list = s->imap->imap_response_info->rsp_mailbox_list;
			s->imap->imap_response_info->rsp_mailbox_list = NULL;
		} else if (rc != MAILIMAP_ERROR_CUSTOM_COMMAND &&
		    rc != MAILIMAP_ERROR_PROTOCOL && rc != MAILIMAP_NO_ERROR) {
			imap_set_error(s, rc, "listing the folders", err);
			return -1;
		}
	}
	if (list == NULL) {
		rc = mailimap_list(s->imap, "", "*", &list);
		if (rc != MAILIMAP_NO_ERROR) {
			imap_set_error(s, rc, "listing the folders", err);
			if (list != NULL)
				mailimap_list_result_free(list);
			return -1;
		}
	}
	if (list == NULL)
		return 0;

	f = xcalloc(clist_count(list) + 1, sizeof *f);
	for (it = clist_begin(list); it != NULL; it = clist_next(it)) {
		mb = clist_content(it);
		if (mb->mb_name == NULL)
			continue;
		f[n].wire = xstrdup(mb->mb_name);
		f[n].name = utf7_to_utf8(mb->mb_name);
		if (f[n].name == NULL)	/* not valid mUTF-7: show as is */
			f[n].name = xstrdup(mb->mb_name);
		mc_sanitize(f[n].name);
		f[n].delim = mb->mb_delimiter;
		f[n].flags = folder_flags(mb->mb_flag);
		if (strcasecmp(mb->mb_name, "INBOX") == 0)
			f[n].flags |= FOLDER_INBOX;
		n++;
	}
	mailimap_list_result_free(list);
	*out = f;
	*nout = n;
	return 0;
}

void
imap_folders_free(struct imap_folder *f, size_t n)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].wire);
	}
	free(f);
}

/* Simple case folding: ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic. */
static uint32_t
fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return (c % 2 == 0) ? c + 1 : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c % 2 == 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

/* Next code point of a UTF-8 string; invalid bytes stand for themselves. */
static uint32_t
next_cp(const unsigned char **pp)
{
	const unsigned char	*p = *pp;
	uint32_t		 c = *p;
	int			 n, i;

	if (c < 0x80)
		n = 0;
	else if ((c & 0xE0) == 0xC0)
		n = 1, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		n = 2, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		n = 3, c &= 0x07;
	else {
		*pp = p + 1;
		return 0xFFFD;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*pp = p + 1;
			return 0xFFFD;
		}
		c = (c << 6) | (p[i] & 0x3F);
	}
	*pp = p + n + 1;
	return c;
}

static int
utf8_caseeq(const char *a, const char *b)
{
	const unsigned char	*p = (const unsigned char *)a;
	const unsigned char	*q = (const unsigned char *)b;

	while (*p != '\0' && *q != '\0') {
		if (fold_cp(next_cp(&p)) != fold_cp(next_cp(&q)))
			return 0;
	}
	return *p == '\0' && *q == '\0';
}

static const char *
last_component(const struct imap_folder *f)
{
	const char	*p;

	if (f->delim == '\0' || (p = strrchr(f->name, f->delim)) == NULL)
		return f->name;
	return p + 1;
}

int
imap_find_sent(const struct imap_folder *f, size_t n)
{
	/* Common names of the Sent folder, best first. */
	static const char *names[] = {
		"Sent", "Sent Items", "Sent Messages", "Sent Mail",
		"Sent Elements", "Gesendet", "Gesendete Elemente",
		"Gesendete Objekte", "Envoyés", "Éléments envoyés",
		"Messages envoyés", "Enviados", "Elementos enviados",
		"Itens enviados", "Inviata", "Posta inviata",
		"Inviati", "Verzonden", "Verzonden items", "Skickat",
		"Skickade objekt", "Sendt", "Sendte elementer", "Lähetetyt",
		"Wysłane", "Elementy wysłane", "Odeslané",
		"Отправленные", "Надіслані", "Gönderilmiş Öğeler",
		"[Gmail]/Sent Mail", "[Google Mail]/Sent Mail",
	};
	const size_t	nnames = sizeof names / sizeof names[0];
	size_t		i, j, best_rank = nnames, best_depth = 0, depth;
	const char	*p;
	int		best = -1;

	for (i = 0; i < n; i++) {
		if ((f[i].flags & FOLDER_SENT) &&
		    !(f[i].flags & FOLDER_NOSELECT))
			return (int)i;
	}
	for (i = 0; i < n; i++) {
		if (f[i].flags & FOLDER_NOSELECT)
			continue;
		depth = 0;
		if (f[i].delim != '\0') {
			for (p = f[i].name; *p != '\0'; p++)
				depth += (*p == f[i].delim);
		}
		for (j = 0; j < nnames; j++) {
			if (!utf8_caseeq(last_component(&f[i]), names[j]) &&
			    !utf8_caseeq(f[i].name, names[j]))
				continue;
			if (best == -1 || j < best_rank ||
			    (j == best_rank && depth < best_depth)) {
				best = (int)i;
				best_rank = j;
				best_depth = depth;
			}
			break;
		}
	}
	return best;
}

int
imap_status(struct imap_session *s, const char *folder,
    struct imap_status *st, struct mc_err *err)
{
	struct mailimap_status_att_list		*al;
	struct mailimap_mailbox_data_status	*data = NULL;
	struct mailimap_status_info		*info;
	struct mailimap_condstore_status_info	*cs;
	clistiter				*it;
	char					*wire, what[300];
	int					 rc;

	mc_err_clear(err);
	memset(st, 0, sizeof *st);
	if ((wire = utf8_to_utf7(folder)) == NULL) {
		mc_err_set(err, MCE_USAGE, "The folder name \"%s\" is not "
		    "valid UTF-8.", folder);
		return -1;
	}
	al = mailimap_status_att_list_new_empty();
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_MESSAGES);
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_UNSEEN);
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_UIDNEXT);
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_UIDVALIDITY);
	if (imap_has_cap(s, "CONDSTORE"))
		mailimap_status_att_list_add(al,
		    MAILIMAP_STATUS_ATT_HIGHESTMODSEQ);
	rc = mailimap_status(s->imap, wire, al, &data);
	mailimap_status_att_list_free(al);
	free(wire);
	if (rc != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof what, "asking for the status of the "
		    "folder \"%s\"", folder);
		imap_set_error(s, rc, what, err);
		return -1;
	}
	if (data != NULL && data->st_info_list != NULL) {
		for (it = clist_begin(data->st_info_list); it != NULL;
		    it = clist_next(it)) {
			info = clist_content(it);
			switch (info->st_att) {
			case MAILIMAP_STATUS_ATT_MESSAGES:
				st->messages = info->st_value;
				break;
			case MAILIMAP_STATUS_ATT_UNSEEN:
				st->unseen = info->st_value;
				break;
			case MAILIMAP_STATUS_ATT_UIDNEXT:
				st->uidnext = info->st_value;
				break;
			case MAILIMAP_STATUS_ATT_UIDVALIDITY:
				st->uidvalidity = info->st_value;
				break;
			case MAILIMAP_STATUS_ATT_EXTENSION:
				if (info->st_ext_data == NULL ||
				    info->st_ext_data->ext_extension !=
				    &mailimap_extension_condstore ||
				    info->st_ext_data->ext_type !=
				    MAILIMAP_CONDSTORE_TYPE_STATUS_INFO)
					break;
				cs = info->st_ext_data->ext_data;
				if (cs != NULL)
					st->highestmodseq =
					    cs->cs_highestmodseq_value;
				break;
			}
		}
	}
	if (data != NULL)
		mailimap_mailbox_data_status_free(data);
	return 0;
}

/*
 * SELECT (with CONDSTORE where offered).  Fills messages, uidnext,
 * uidvalidity and highestmodseq; SELECT does not count unseen messages, so
 * unseen stays 0 (use imap_status for it).
 */
int
imap_select(struct imap_session *s, const char *folder,
    struct imap_status *st, struct mc_err *err)
{
	struct mailimap_selection_info	*si;
	uint64_t			 modseq = 0;
	char				*wire, what[300];
	int				 rc;

	mc_err_clear(err);
	if (st != NULL)
		memset(st, 0, sizeof *st);
	if ((wire = utf8_to_utf7(folder)) == NULL) {
		mc_err_set(err, MCE_USAGE, "The folder name \"%s\" is not "
		    "valid UTF-8.", folder);
		return -1;
	}
	if (imap_has_cap(s, "CONDSTORE"))
		rc = mailimap_select_condstore(s->imap, wire, &modseq);
	else
		rc = mailimap_select(s->imap, wire);
	free(wire);
	if (rc != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof what, "opening the folder \"%s\"",
		    folder);
		imap_set_error(s, rc, what, err);
		return -1;
	}
	/* NULL after a failed SELECT; be as careful after a good one. */
	si = s->imap->imap_selection_info;
	if (si == NULL) {
		mc_err_set(err, MCE_PROTOCOL, "The server opened the folder "
		    "\"%s\" but sent no information about it.", folder);
		return -1;
	}
	if (st != NULL) {
		st->messages = si->sel_exists;
		st->uidnext = si->sel_uidnext;
		st->uidvalidity = si->sel_uidvalidity;
		st->highestmodseq = modseq;
	}
	return 0;
}

static void
session_free(struct imap_session *s)
{
	caps_free(s);
	free(s->greeting);
	free(s->id_name);
	free(s->id_version);
	free(s);
}

void
imap_close(struct imap_session *s)
{
	if (s == NULL)
		return;
	if (s->imap != NULL && s->imap->imap_stream != NULL) {
		mailstream_low_set_timeout(mailstream_get_low(
		    s->imap->imap_stream), LOGOUT_TIMEOUT);
		/* Closes and forgets the stream, whatever the reply. */
		mailimap_logout(s->imap);
		if (s->conn != NULL)
			s->conn->stream = NULL;
	}
	imap_abort(s);
}

void
imap_abort(struct imap_session *s)
{
	if (s == NULL)
		return;
	if (s->imap != NULL) {
		/*
		 * Detach the stream so that mailimap_free does not try
		 * LOGOUT on it; net_close owns and closes it.
		 */
		s->imap->imap_stream = NULL;
		mailimap_free(s->imap);
		s->imap = NULL;
	}
	if (s->conn != NULL) {
		net_close(s->conn);
		s->conn = NULL;
	}
	session_free(s);
}

void
imap_cancel(struct imap_session *s)
{
	if (s != NULL && s->conn != NULL)
		net_cancel(s->conn);
}

/*
 * The text of the last tagged (or BYE) reply with its response code, e.g.
 * "[AUTHENTICATIONFAILED] Authentication failed.", sanitised.
 */
static void
last_reply(struct imap_session *s, char *out, size_t size)
{
	const char	*buf, *end, *line, *p, *q;
	size_t		 len;

	out[0] = '\0';
	if (s->imap == NULL)
		return;
	if (s->imap->imap_stream_buffer != NULL &&
	    s->imap->imap_stream_buffer->len > 0) {
		buf = s->imap->imap_stream_buffer->str;
		end = buf + s->imap->imap_stream_buffer->len;
		while (end > buf && (end[-1] == '\r' || end[-1] == '\n'))
			end--;
		line = end;
		while (line > buf && line[-1] != '\n')
			line--;
		p = line;
		while (p < end && *p != ' ')		/* tag or "*" */
			p++;
		while (p < end && *p == ' ')
			p++;
		for (q = p; q < end && isalpha((unsigned char)*q); q++)
			;
		if (q < end && *q == ' ' && q - p >= 2 && q - p <= 7)
			p = q + 1;			/* OK/NO/BAD/BYE */
		len = end - p;
		if (len > 0 && p > line) {
			if (len >= size)
				len = size - 1;
			memcpy(out, p, len);
			out[len] = '\0';
		}
	}
	if (out[0] == '\0' && s->imap->imap_response != NULL)
		snprintf(out, size, "%s", s->imap->imap_response);
	mc_sanitize(out);
}

/* The text of an untagged BYE in what was read for the last command. */
static int
bye_text(struct imap_session *s, char *out, size_t size)
{
	const char	*buf, *end, *p, *q;
	size_t		 len;

	if (s->imap == NULL || s->imap->imap_stream_buffer == NULL)
		return 0;
	buf = s->imap->imap_stream_buffer->str;
	end = buf + s->imap->imap_stream_buffer->len;
	for (p = buf; p < end; p = q + 1) {
		if ((q = memchr(p, '\n', end - p)) == NULL)
			q = end;
		if (q - p > 6 && strncasecmp(p, "* BYE ", 6) == 0) {
			len = q - p - 6;
			while (len > 0 && (p[6 + len - 1] == '\r'))
				len--;
			if (len >= size)
				len = size - 1;
			memcpy(out, p + 6, len);
			out[len] = '\0';
			mc_sanitize(out);
			return 1;
		}
	}
	return 0;
}

static int
is_limit_text(const char *text)
{
	return strcasestr(text, "too many") != NULL ||
	    strcasestr(text, "[LIMIT]") != NULL ||
	    strcasestr(text, "maximum number of connections") != NULL ||
	    strcasestr(text, "connection limit") != NULL;
}

/*
 * After a stream error that net.c did not explain: cancelled from another
 * thread, the server went quiet, or the connection is gone.  The socket
 * tells which: a closed peer reads as EOF or hang-up, a silent
 * one has nothing to read.
 */
static enum mc_errkind
stream_failure(struct net_conn *conn, mailstream *stream)
{
	struct pollfd	pfd;
	char		c;
	int		fd;

	if (conn != NULL && conn->cancel_fd[0] >= 0) {
		pfd.fd = conn->cancel_fd[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
			return MCE_CANCELLED;
	}
	if (stream == NULL ||
	    (fd = mailstream_low_get_fd(mailstream_get_low(stream))) < 0)
		return MCE_PROTOCOL;
	pfd.fd = fd;
	pfd.events = POLLIN | POLLRDHUP;
	if (poll(&pfd, 1, 0) < 0)
		return MCE_PROTOCOL;
	if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))
		return MCE_PROTOCOL;
	if ((pfd.revents & POLLIN) &&
	    recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		return MCE_PROTOCOL;
	return MCE_TIMEOUT;
}

void
imap_set_error(struct imap_session *s, int rc, const char *what,
    struct mc_err *err)
{
	struct mc_err	ne;
	char		peer[NET_ADDR_MAX + 300];
	size_t		n;
	int		timeout;

	if (err == NULL)
		return;
	peer_name(&s->ep, peer, sizeof peer);
	timeout = s->ep.timeout > 0 ? s->ep.timeout : NET_DEFAULT_TIMEOUT;
	err->server[0] = '\0';
	switch (rc) {
	case MAILIMAP_NO_ERROR:
	case MAILIMAP_NO_ERROR_AUTHENTICATED:
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED:
		mc_err_clear(err);
		return;
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
		/* An untagged BYE, then EOF: the BYE says why. */
		if (bye_text(s, err->server, sizeof err->server)) {
			if (is_limit_text(err->server))
				mc_err_set(err, MCE_LIMIT, "%s closed the "
				    "connection while %s: too many "
				    "connections.", peer, what);
			else
				mc_err_set(err, MCE_PROTOCOL, "%s closed the "
				    "connection (BYE) while %s.", peer, what);
			return;
		}
		/* A reply cut short by EOF fails to parse: ask net first. */
		mc_err_clear(&ne);
		if (s->conn != NULL && net_stream_error(s->conn, &ne) != 0) {
			/* net's driver knows: "No answer from H:P within N s." */
			n = strlen(ne.msg);
			while (n > 0 && ne.msg[n - 1] == '.')
				ne.msg[--n] = '\0';
			mc_err_set(err, ne.kind, "%s while %s.", ne.msg, what);
			return;
		}
		if (rc == MAILIMAP_ERROR_PARSE) {
			mc_err_set(err, MCE_PROTOCOL, "Could not understand "
			    "the reply of %s while %s.", peer, what);
			return;
		}
		switch (stream_failure(s->conn, s->imap != NULL ?
		    s->imap->imap_stream : NULL)) {
		case MCE_CANCELLED:
			mc_err_set(err, MCE_CANCELLED, "Cancelled while %s "
			    "(%s).", what, peer);
			break;
		case MCE_TIMEOUT:
			mc_err_set(err, MCE_TIMEOUT, "No answer from %s "
			    "within %d seconds while %s.", peer, timeout,
			    what);
			break;
		default:
			mc_err_set(err, MCE_PROTOCOL, "The connection to %s "
			    "was lost while %s.", peer, what);
			break;
		}
		return;
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		last_reply(s, err->server, sizeof err->server);
		if (is_limit_text(err->server))
			mc_err_set(err, MCE_LIMIT, "%s closed the connection "
			    "while %s: too many connections.", peer, what);
		else
			mc_err_set(err, MCE_PROTOCOL, "%s closed the "
			    "connection (BYE) while %s.", peer, what);
		return;
	case MAILIMAP_ERROR_PROTOCOL:
		last_reply(s, err->server, sizeof err->server);
		mc_err_set(err, MCE_PROTOCOL, "%s answered BAD (or out of "
		    "order) while %s.", peer, what);
		return;
	case MAILIMAP_ERROR_BAD_STATE:
		mc_err_set(err, MCE_PROTOCOL, "Cannot do this in the current "
		    "state of the session with %s (%s).", peer, what);
		return;
	case MAILIMAP_ERROR_MEMORY:
		fatalx("imap: out of memory while %s", what);
	case MAILIMAP_ERROR_LOGIN:
		last_reply(s, err->server, sizeof err->server);
		mc_err_set(err, MCE_AUTH, "The server rejected the user name "
		    "or password on %s.", peer);
		return;
	default:
		last_reply(s, err->server, sizeof err->server);
		mc_err_set(err, is_limit_text(err->server) ? MCE_LIMIT :
		    MCE_SERVER, "%s refused the request while %s.", peer,
		    what);
		return;
	}
}

enum server_sw
imap_detect_server(const char *greeting, char **caps, size_t ncaps,
    const char *id_name)
{
	static const struct {
		const char	*word;
		enum server_sw	 sw;
	} words[] = {
		{ "Dovecot", SW_DOVECOT },
		{ "Courier", SW_COURIER },
		{ "Cyrus", SW_CYRUS },
		{ "Microsoft Exchange", SW_EXCHANGE },
		{ "Exchange", SW_EXCHANGE },
		{ "Gimap", SW_GMAIL },
		{ "Gmail", SW_GMAIL },
	};
	size_t	i;

	/* ID is said after TLS, so it outranks the rest. */
	if (id_name != NULL) {
		for (i = 0; i < sizeof words / sizeof words[0]; i++) {
			if (strcasestr(id_name, words[i].word) != NULL)
				return words[i].sw;
		}
	}
	for (i = 0; caps != NULL && i < ncaps; i++) {
		if (strcasecmp(caps[i], "X-GM-EXT-1") == 0)
			return SW_GMAIL;
	}
	if (greeting != NULL) {
		for (i = 0; i < sizeof words / sizeof words[0]; i++) {
			if (strcasestr(greeting, words[i].word) != NULL)
				return words[i].sw;
		}
	}
	return SW_UNKNOWN;
}

const char *
server_sw_name(enum server_sw sw)
{
	switch (sw) {
	case SW_DOVECOT:
		return "Dovecot";
	case SW_COURIER:
		return "Courier-IMAP";
	case SW_CYRUS:
		return "Cyrus IMAP";
	case SW_EXCHANGE:
		return "Microsoft Exchange";
	case SW_GMAIL:
		return "Gmail";
	case SW_UNKNOWN:
		break;
	}
	return "unknown";
}

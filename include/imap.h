/*
 * imap.h -- one IMAP session over net.c, parsed by libetpan.
 *
 * imap_open() connects, does implicit TLS or STARTTLS, passes the trust gate,
 * and asks CAPABILITY (again after TLS: nothing said before it is kept).
 * imap_login() refuses to run on a session that did not pass the gate.
 * Every call blocks; a session belongs to one thread; imap_cancel() may be
 * called from any thread.
 */
#ifndef MC_IMAP_H
#define MC_IMAP_H

#include <stdint.h>

#include "util.h"
#include "net.h"
#include "certstore.h"

enum server_sw {
	SW_UNKNOWN, SW_DOVECOT, SW_COURIER, SW_CYRUS, SW_EXCHANGE, SW_GMAIL,
};

/* Folder flags from LIST (SPECIAL-USE, RFC 6154) and name guesses. */
#define FOLDER_NOSELECT	0x01
#define FOLDER_SENT	0x02
#define FOLDER_DRAFTS	0x04
#define FOLDER_TRASH	0x08
#define FOLDER_JUNK	0x10
#define FOLDER_ARCHIVE	0x20
#define FOLDER_INBOX	0x40

struct imap_folder {
	char		*name;		/* UTF-8 */
	char		*wire;		/* modified UTF-7, as the server has it */
	char		 delim;		/* 0: flat */
	int		 flags;		/* FOLDER_* */
};

struct imap_status {
	uint32_t	 messages;
	uint32_t	 unseen;
	uint32_t	 uidnext;
	uint32_t	 uidvalidity;
	uint64_t	 highestmodseq;	/* 0: no CONDSTORE */
};

struct imap_session {
	mailimap	*imap;
	struct net_conn	*conn;
	struct endpoint	 ep;		/* copy; strings owned by the caller */
	char		*greeting;	/* sanitised text of the greeting */
	int		 greeting_pre_tls; /* it came before STARTTLS: a hint only */
	char	       **caps;		/* current CAPABILITY list, upper case */
	size_t		 ncaps;
	enum server_sw	 sw;
	char		*id_name;	/* from ID, or NULL */
	char		*id_version;
	enum cert_verdict trust;	/* how the gate let it through */
	int		 trusted;	/* gate passed (or loopback plaintext) */
	int		 authenticated;
	int		 preauth;
	long long	 connect_ms, tls_ms, greeting_ms;
	struct net_probe probe;
};

/* Open, secure, trust, CAPABILITY, pre-login ID.  *out NULL on failure. */
int		 imap_open(const struct endpoint *, const struct trust_ctx *,
		     struct imap_session **out, struct mc_err *);
/*
 * LOGIN (or AUTHENTICATE PLAIN when LOGIN is unavailable).  MCE_AUTH with the
 * server's words when refused; MCE_INSECURE when the session is untrusted or
 * the server says LOGINDISABLED.  Asks CAPABILITY again afterwards.
 */
int		 imap_login(struct imap_session *, const char *user,
		     const char *password, struct mc_err *);
int		 imap_has_cap(const struct imap_session *, const char *);
/* LIST "" "*" (with RETURN (SPECIAL-USE) where offered); marks Sent etc. */
int		 imap_list(struct imap_session *, struct imap_folder **,
		     size_t *, struct mc_err *);
void		 imap_folders_free(struct imap_folder *, size_t);
/* Index of the Sent folder: \Sent, else a common name; -1 when none. */
int		 imap_find_sent(const struct imap_folder *, size_t);
int		 imap_status(struct imap_session *, const char *utf8_folder,
		     struct imap_status *, struct mc_err *);
int		 imap_select(struct imap_session *, const char *utf8_folder,
		     struct imap_status *, struct mc_err *);
/* LOGOUT (best effort), close, free.  NULL is fine. */
void		 imap_close(struct imap_session *);
/* Close without LOGOUT (after a stream error). */
void		 imap_abort(struct imap_session *);
/* From any thread: unblock the session's current call. */
void		 imap_cancel(struct imap_session *);

/* From the greeting, capabilities and ID name (any may be NULL). */
enum server_sw	 imap_detect_server(const char *greeting, char **caps,
		     size_t ncaps, const char *id_name);
const char	*server_sw_name(enum server_sw);
/* Map a libetpan MAILIMAP_ERROR_* to our kinds, filling err. */
void		 imap_set_error(struct imap_session *, int rc, const char *what,
		     struct mc_err *);

#endif

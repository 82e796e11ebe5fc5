/*
 * config.h -- accounts.conf: [account NAME] sections, kebab-case keys.
 *
 * No secret is ever stored here.  Parse errors and unknown keys are errors
 * naming file:line.  Saving rewrites the file atomically (mode 0600).
 */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include "util.h"

enum sec_mode {
	SEC_TLS,	/* implicit TLS: "imaps" / "smtps" */
	SEC_STARTTLS,	/* "starttls" */
	SEC_NONE,	/* "none": plaintext, loopback only */
};

struct account {
	char		*name;
	char		*email;
	char		*display_name;	/* key "name" */

	char		*imap_host;
	int		 imap_port;	/* default 993 / 143 by security */
	enum sec_mode	 imap_sec;	/* default imaps */
	char		*imap_user;	/* default: email */

	char		*smtp_host;	/* NULL: no SMTP configured */
	int		 smtp_port;	/* default 465 / 587 by security */
	enum sec_mode	 smtp_sec;	/* default smtps */
	char		*smtp_user;	/* default: imap user */

	char		*password_command; /* NULL: the keyring */
	char		*ca_file;	/* extra trust anchor, tilde-expanded */
	int		 tls_min;	/* 10, 11, 12 (default), 13 */
	char		*maildir;	/* default $XDG_DATA_HOME/mailconn/mail/NAME */
	char		*folders;	/* pattern list, default "*" */
	int		 max_connections; /* 1..5, default 5 */
	int		 poll_interval;	/* seconds, default 300 */

	struct account	*next;
};

struct config {
	char		*path;		/* file it came from / goes to */
	char		*theme;		/* [ui] theme = NAME, or NULL */
	struct account	*accounts;	/* in file order */
};

/* path NULL: the default path.  A missing file is an empty config. */
int		 config_load(const char *path, struct config **, struct mc_err *);
int		 config_save(const struct config *, struct mc_err *);
void		 config_free(struct config *);
char		*config_default_path(void);

struct account	*config_find(struct config *, const char *name);
/* Takes ownership of a (replaces an account of the same name). */
void		 config_add(struct config *, struct account *);
/* 0 removed, -1 not found (err MCE_NOTFOUND). */
int		 config_remove(struct config *, const char *, struct mc_err *);

struct account	*account_new(const char *name);
void		 account_free(struct account *);
/* Fill defaults (ports from security, users from email, maildir). */
void		 account_defaults(struct account *);
/* Check required keys and value ranges; err names the account. */
int		 account_validate(const struct account *, struct mc_err *);

const char	*sec_mode_name(enum sec_mode, int smtp); /* imaps/smtps/... */
int		 sec_mode_parse(const char *, enum sec_mode *);
int		 sec_default_port(enum sec_mode, int smtp);

#endif

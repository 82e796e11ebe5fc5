/*
 * secret.c -- passwords from the Secret Service (libsecret) or from an
 * account's password-command.
 *
 * Threads: every function here blocks, on D-Bus (and on an unlock prompt
 * the keyring may show to the person) or on a child process.  Call them from
 * an engine thread or the command line, NEVER from the UI thread.  libsecret's
 * *_sync calls each run a private main context, so engine threads may call
 * them at the same time.
 *
 * The trap (TESTBED.md section 5): a lookup answers NULL without an error
 * both for "nothing stored" and for "the keyring is locked": libsecret tries
 * to unlock a locked match, and when that fails (no display to prompt on,
 * or the person dismissed the prompt) it answers NULL.  So a NULL is checked
 * against the state of the default collection before it is called "not
 * found"; a locked collection gets one unlock attempt of our own (a second
 * prompt on a desktop when the first was dismissed; headless it fails at
 * once).
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libsecret/secret.h>

#include "config.h"
#include "secret.h"
#include "util.h"

extern char **environ;

/* Seconds a password-command may take before it is killed. */
#define SECRET_CMD_TIMEOUT	20
/* Bytes of a password-command's stdout kept (the first line is the secret). */
#define SECRET_CMD_OUT_MAX	8192
/* Bytes of its stderr kept for the error message. */
#define SECRET_CMD_ERR_MAX	2048
/* The Secret Service's well-known bus name. */
#define SECRET_BUS_NAME		"org.freedesktop.secrets"
/* Longest password secret_read_password accepts. */
#define SECRET_LINE_MAX		65536

/* Items get the attribute xdg:schema=org.mailconn.Password as well. */
static const SecretSchema secret_schema = {
	.name = "org.mailconn.Password",
	.flags = SECRET_SCHEMA_NONE,
	.attributes = {
		{ "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "protocol", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
};

/* Why the Secret Service could not do it; each has its own advice. */
enum secret_why {
	SW_NOSERVICE,		/* no bus, or nobody owns org.freedesktop.secrets */
	SW_NOCOLLECTION,	/* no default collection (no login keyring) */
	SW_LOCKED,		/* default collection locked, unlock failed */
	SW_OTHER,
};

/* What secret_default_state found. */
enum secret_state {
	SS_FAIL = -1,		/* err set; *why says which */
	SS_UNLOCKED = 0,	/* the default collection is usable */
	SS_NOW_UNLOCKED = 2,	/* it was locked and the unlock worked: retry */
};

static enum secret_why	 secret_classify(const GError *);
static int		 secret_fail(struct mc_err *, enum secret_why,
			     const char *, const char *, const char *);
static int		 secret_fail_gerror(struct mc_err *, GError *,
			     const char *, const char *);
static int		 secret_key_check(const struct secret_key *,
			     struct mc_err *);
static GHashTable	*secret_attributes(const struct secret_key *);
static GDBusConnection	*secret_bus(const char *, struct mc_err *);
static int		 secret_service_present(GDBusConnection *);
static int		 secret_reset(GDBusConnection *, GError *, int *);
static enum secret_state secret_default_state(const char *, enum secret_why *,
			     struct mc_err *);
static const char	*secret_first_line(char *, size_t);
static int		 secret_read_drain(int *, char *, size_t *, size_t);
static void		 secret_tty_write(int, const char *);
static int		 secret_read_line(int, char **, struct mc_err *);
static void		 secret_tty_signal(int);

/* --- errors -------------------------------------------------------------- */

static enum secret_why
secret_classify(const GError *e)
{
	if (e->domain == G_IO_ERROR) {
		/* A call that timed out reached somebody. */
		if (e->code == G_IO_ERROR_TIMED_OUT ||
		    e->code == G_IO_ERROR_CANCELLED)
			return SW_OTHER;
		/* Autolaunch without $DISPLAY, nothing at the address, closed. */
		return SW_NOSERVICE;
	}
	if (e->domain == G_DBUS_ERROR) {
		switch (e->code) {
		case G_DBUS_ERROR_SERVICE_UNKNOWN:
		case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
		case G_DBUS_ERROR_NO_SERVER:
		case G_DBUS_ERROR_DISCONNECTED:
		case G_DBUS_ERROR_FILE_NOT_FOUND:
		case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
		case G_DBUS_ERROR_SPAWN_FORK_FAILED:
		case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
		case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
		case G_DBUS_ERROR_SPAWN_FAILED:
		case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
		case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
		case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
		case G_DBUS_ERROR_SPAWN_FILE_INVALID:
		case G_DBUS_ERROR_SPAWN_NO_MEMORY:
			return SW_NOSERVICE;
		case G_DBUS_ERROR_UNKNOWN_METHOD:
		case G_DBUS_ERROR_UNKNOWN_OBJECT:
		case G_DBUS_ERROR_UNKNOWN_INTERFACE:
			/* gnome-keyring without a login keyring: "Object does
			 * not exist at path .../collection/login". */
			return SW_NOCOLLECTION;
		default:
			return SW_OTHER;
		}
	}
	if (e->domain == SECRET_ERROR) {
		if (e->code == SECRET_ERROR_IS_LOCKED)
			return SW_LOCKED;
		if (e->code == SECRET_ERROR_NO_SUCH_OBJECT)
			return SW_NOCOLLECTION;
	}
	return SW_OTHER;
}

/*
 * Fill err with the sentence for why.  detail is the library's own words (or
 * NULL), account names the account (NULL: none known), what says what failed
 * ("store the password for account work") for SW_OTHER.  Returns -1.
 */
static int
secret_fail(struct mc_err *err, enum secret_why why, const char *detail,
    const char *account, const char *what)
{
	char	 acct[160];

	if (account != NULL)
		snprintf(acct, sizeof acct, "account %s", account);
	else
		snprintf(acct, sizeof acct, "the account");

	switch (why) {
	case SW_NOSERVICE:
		mc_err_set(err, MCE_SECRET, "no Secret Service is running (%s); "
		    "start gnome-keyring (or another Secret Service) or set "
		    "password-command = COMMAND (a command that prints the "
		    "password) for %s in accounts.conf",
		    detail != NULL ? detail : "no answer on the session bus",
		    acct);
		break;
	case SW_NOCOLLECTION:
		mc_err_set(err, MCE_SECRET, "the Secret Service has no default "
		    "keyring (%s); log in to the desktop session once to create "
		    "the login keyring (without a desktop: start "
		    "`gnome-keyring-daemon --unlock`, which reads the new "
		    "keyring's password on stdin), or set password-command = "
		    "COMMAND for %s in accounts.conf",
		    detail != NULL ? detail : "no collection has the alias "
		    "\"default\"", acct);
		break;
	case SW_LOCKED:
		mc_err_set(err, MCE_SECRET, "the keyring is locked; unlock it "
		    "(e.g. log in to the desktop session, or `secret-tool "
		    "lookup %s %s` to trigger the unlock prompt) and retry%s%s%s",
		    account != NULL ? "account" : "xdg:schema",
		    account != NULL ? account : secret_schema.name,
		    detail != NULL ? " (unlocking failed: " : "",
		    detail != NULL ? detail : "", detail != NULL ? ")" : "");
		break;
	case SW_OTHER:
		mc_err_set(err, MCE_SECRET, "the Secret Service could not %s: %s",
		    what, detail != NULL ? detail : "no reason given");
		break;
	}
	return -1;
}

/* secret_fail for a GError, which it frees. */
static int
secret_fail_gerror(struct mc_err *err, GError *e, const char *account,
    const char *what)
{
	enum secret_why	 why;

	why = secret_classify(e);
	g_dbus_error_strip_remote_error(e);
	secret_fail(err, why, e->message, account, what);
	g_error_free(e);
	return -1;
}

static int
secret_key_check(const struct secret_key *k, struct mc_err *err)
{
	if (k->account == NULL || *k->account == '\0' ||
	    k->protocol == NULL || *k->protocol == '\0' ||
	    k->server == NULL || *k->server == '\0' ||
	    k->user == NULL || *k->user == '\0') {
		mc_err_set(err, MCE_USAGE, "a keyring entry needs an account, "
		    "a protocol, a server and a user; account %s has %s missing",
		    k->account != NULL ? k->account : "(none)",
		    k->protocol == NULL || *k->protocol == '\0' ? "the protocol" :
		    k->server == NULL || *k->server == '\0' ? "the server" :
		    k->user == NULL || *k->user == '\0' ? "the user" :
		    "the name");
		return -1;
	}
	return 0;
}

/* Borrowed strings: the table must not outlive k. */
static GHashTable *
secret_attributes(const struct secret_key *k)
{
	GHashTable	*h;

	h = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(h, (char *)"account", (char *)k->account);
	g_hash_table_insert(h, (char *)"protocol", (char *)k->protocol);
	g_hash_table_insert(h, (char *)"server", (char *)k->server);
	g_hash_table_insert(h, (char *)"user", (char *)k->user);
	return h;
}

/*
 * The shared session bus connection, which libsecret uses too; the caller
 * holds the reference while it calls libsecret, so that libsecret gets this
 * very connection.  GLib makes the shared connection raise SIGTERM in the
 * whole process when the bus goes away (exit-on-close, delivered if anybody
 * runs the connection's main context); a mail client must outlive its
 * keyring's bus, so that is turned off here.  A closed connection stays
 * closed for the life of the process (GLib keeps it as the singleton), so
 * after the session bus itself restarted mailconn must be restarted too.
 */
static GDBusConnection *
secret_bus(const char *account, struct mc_err *err)
{
	GDBusConnection	*c;
	GError		*e = NULL;

	c = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &e);
	if (c == NULL) {
		secret_fail_gerror(err, e, account, "connect");
		return NULL;
	}
	g_dbus_connection_set_exit_on_close(c, FALSE);
	if (g_dbus_connection_is_closed(c)) {
		/* Let libsecret drop its proxy on the dead connection. */
		secret_service_disconnect();
		g_object_unref(c);
		secret_fail(err, SW_NOSERVICE, "the session bus went away; "
		    "restart mailconn to reach a new one", account, NULL);
		return NULL;
	}
	return c;
}

/*
 * Is there a Secret Service on this bus: a name owner now, or a service
 * file the bus can start it from?
 */
static int
secret_service_present(GDBusConnection *bus)
{
	GVariant	*r;
	GVariantIter	*it;
	const char	*name;
	gboolean	 owned = FALSE;
	int		 found = 0;

	r = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus",
	    "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
	    g_variant_new("(s)", SECRET_BUS_NAME),
	    G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	if (r != NULL) {
		g_variant_get(r, "(b)", &owned);
		g_variant_unref(r);
		if (owned)
			return 1;
	}
	r = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus",
	    "/org/freedesktop/DBus", "org.freedesktop.DBus",
	    "ListActivatableNames", NULL, G_VARIANT_TYPE("(as)"),
	    G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	if (r == NULL)
		return 0;
	g_variant_get(r, "(as)", &it);
	while (!found && g_variant_iter_next(it, "&s", &name))
		found = strcmp(name, SECRET_BUS_NAME) == 0;
	g_variant_iter_free(it);
	g_variant_unref(r);
	return found;
}

/*
 * libsecret caches one SecretService per process, bound to the unique bus
 * name of the daemon it first met, and nothing here runs the main context
 * that would tell it the daemon went away: after gnome-keyring restarts,
 * every call fails with "The name :1.1 was not provided by any .service
 * files".  So when a call says "no service" but there is one on the bus,
 * drop the cache and try once more.  (Not when there is none: dropping a
 * service whose calls failed leaks a little inside GIO.)  Returns 1 (e
 * freed) when the caller should retry.
 */
static int
secret_reset(GDBusConnection *bus, GError *e, int *done)
{
	if (*done || secret_classify(e) != SW_NOSERVICE ||
	    !secret_service_present(bus))
		return 0;
	*done = 1;
	g_error_free(e);
	secret_service_disconnect();
	return 1;
}

/*
 * Is the default collection there and unlocked?  A locked one is unlocked
 * if the Secret Service can (on a desktop it prompts the person; headless
 * the prompt fails at once).  A service object of our own, not libsecret's
 * shared one: the shared one's cached "Locked" property goes stale, since
 * nobody runs the main context that would deliver its PropertiesChanged.
 * Opened without SECRET_SERVICE_LOAD_COLLECTIONS: with it, libsecret 0.20.5
 * crashes (NULL "Collections" property) when nobody owns the bus name, and
 * secret_collection_for_alias_sync makes a fresh proxy of the one we need.
 */
static enum secret_state
secret_default_state(const char *account, enum secret_why *why,
    struct mc_err *err)
{
	SecretService		*svc;
	SecretCollection	*coll;
	GError			*e = NULL;
	GList			*objs, *unlocked = NULL;
	enum secret_state	 st;
	int			 n;

	svc = secret_service_open_sync(SECRET_TYPE_SERVICE, NULL,
	    SECRET_SERVICE_NONE, NULL, &e);
	if (svc == NULL) {
		*why = secret_classify(e);
		secret_fail_gerror(err, e, account, "list its keyrings");
		return SS_FAIL;
	}
	coll = secret_collection_for_alias_sync(svc, SECRET_COLLECTION_DEFAULT,
	    SECRET_COLLECTION_NONE, NULL, &e);
	if (coll == NULL) {
		g_object_unref(svc);
		if (e != NULL) {
			*why = secret_classify(e);
			secret_fail_gerror(err, e, account,
			    "find its default keyring");
		} else {
			*why = SW_NOCOLLECTION;
			secret_fail(err, SW_NOCOLLECTION, NULL, account, NULL);
		}
		return SS_FAIL;
	}
	if (!secret_collection_get_locked(coll)) {
		st = SS_UNLOCKED;
		goto out;
	}

	objs = g_list_append(NULL, coll);
	n = secret_service_unlock_sync(svc, objs, NULL, &unlocked, &e);
	g_list_free(objs);
	g_list_free_full(unlocked, g_object_unref);
	if (n > 0) {
		g_clear_error(&e);
		st = SS_NOW_UNLOCKED;
		goto out;
	}
	*why = SW_LOCKED;
	if (e != NULL) {
		g_dbus_error_strip_remote_error(e);
		secret_fail(err, SW_LOCKED, e->message, account, NULL);
		g_error_free(e);
	} else
		secret_fail(err, SW_LOCKED, NULL, account, NULL);
	st = SS_FAIL;
out:
	g_object_unref(coll);
	g_object_unref(svc);
	return st;
}

/* --- the keyring --------------------------------------------------------- */

int
secret_store(const struct secret_key *k, const char *password,
    struct mc_err *err)
{
	GDBusConnection	*bus;
	GHashTable	*attrs;
	GError		*e;
	char		*label, *what;
	int		 ok, rc, reset = 0;

	if (secret_key_check(k, err) == -1)
		return -1;
	if (password == NULL || *password == '\0') {
		mc_err_set(err, MCE_USAGE, "empty password; nothing was stored "
		    "for account %s", k->account);
		return -1;
	}
	if ((bus = secret_bus(k->account, err)) == NULL)
		return -1;
	attrs = secret_attributes(k);
	label = xasprintf("mailconn: %s (%s %s@%s)", k->account, k->protocol,
	    k->user, k->server);
	what = xasprintf("store the password for account %s", k->account);

	/*
	 * libsecret itself unlocks a locked collection (prompting on a
	 * desktop) and retries once; IS_LOCKED here means that failed, and a
	 * second prompt of ours would only annoy.
	 */
	do {
		e = NULL;
		ok = secret_password_storev_sync(&secret_schema, attrs,
		    SECRET_COLLECTION_DEFAULT, label, password, NULL, &e);
	} while (!ok && e != NULL && secret_reset(bus, e, &reset));
	if (ok)
		rc = 0;
	else if (e == NULL)
		rc = secret_fail(err, SW_OTHER, NULL, k->account, what);
	else if (secret_classify(e) == SW_LOCKED) {
		g_error_free(e);
		rc = secret_fail(err, SW_LOCKED, NULL, k->account, NULL);
	} else
		rc = secret_fail_gerror(err, e, k->account, what);
	free(what);
	free(label);
	g_hash_table_unref(attrs);
	g_object_unref(bus);
	return rc;
}

int
secret_lookup(const struct secret_key *k, char **out, struct mc_err *err)
{
	GDBusConnection	*bus;
	GHashTable	*attrs;
	GError		*e;
	enum secret_why	 why;
	enum secret_state st;
	char		*pw, *what;
	int		 rc, unlocked = 0, reset = 0;

	*out = NULL;
	if (secret_key_check(k, err) == -1)
		return -1;
	if ((bus = secret_bus(k->account, err)) == NULL)
		return -1;
	attrs = secret_attributes(k);
	what = xasprintf("look up the password of account %s", k->account);

	rc = -1;
	for (;;) {
		e = NULL;
		pw = secret_password_lookupv_sync(&secret_schema, attrs, NULL,
		    &e);
		if (pw != NULL) {
			*out = xstrdup(pw);
			secret_password_free(pw);
			rc = 0;
			break;
		}
		if (e != NULL && secret_classify(e) != SW_LOCKED) {
			if (secret_reset(bus, e, &reset))
				continue;
			secret_fail_gerror(err, e, k->account, what);
			break;
		}
		g_clear_error(&e);
		/* NULL: not there, or hidden in a locked keyring. */
		st = secret_default_state(k->account, &why, err);
		if (st == SS_FAIL)
			break;
		if (st == SS_NOW_UNLOCKED && !unlocked) {
			unlocked = 1;
			continue;
		}
		rc = 1;
		break;
	}
	free(what);
	g_hash_table_unref(attrs);
	g_object_unref(bus);
	return rc;
}

int
secret_forget(const struct secret_key *k, struct mc_err *err)
{
	GDBusConnection	*bus;
	GHashTable	*attrs;
	GError		*e;
	enum secret_why	 why;
	enum secret_state st;
	char		*what;
	int		 rc, unlocked = 0, reset = 0;

	if (secret_key_check(k, err) == -1)
		return -1;
	if ((bus = secret_bus(k->account, err)) == NULL)
		return -1;
	attrs = secret_attributes(k);
	what = xasprintf("remove the password of account %s", k->account);

	rc = -1;
	for (;;) {
		e = NULL;
		if (secret_password_clearv_sync(&secret_schema, attrs, NULL,
		    &e)) {
			rc = 0;
			break;
		}
		if (e != NULL && secret_classify(e) != SW_LOCKED) {
			if (secret_reset(bus, e, &reset))
				continue;
			secret_fail_gerror(err, e, k->account, what);
			break;
		}
		g_clear_error(&e);
		/* FALSE: nothing there, or hidden in a locked keyring. */
		st = secret_default_state(k->account, &why, err);
		if (st == SS_FAIL) {
			/* No keyring at all: truly nothing is stored. */
			if (why == SW_NOCOLLECTION) {
				mc_err_clear(err);
				rc = 1;
			}
			break;
		}
		if (st == SS_NOW_UNLOCKED && !unlocked) {
			unlocked = 1;
			continue;
		}
		rc = 1;
		break;
	}
	free(what);
	g_hash_table_unref(attrs);
	g_object_unref(bus);
	return rc;
}

int
secret_service_check(struct mc_err *err)
{
	GDBusConnection	*bus;
	enum secret_why	 why;
	int		 rc;

	if ((bus = secret_bus(NULL, err)) == NULL)
		return -1;
	rc = secret_default_state(NULL, &why, err) == SS_FAIL ? -1 : 0;
	g_object_unref(bus);
	return rc;
}

/* --- password-command ---------------------------------------------------- */

/* NUL-terminate buf at the end of its first line (without CR/LF). */
static const char *
secret_first_line(char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && buf[i] != '\n'; i++)
		;
	if (i > 0 && buf[i - 1] == '\r')
		i--;
	buf[i] = '\0';
	return buf;
}

/*
 * Read once from *fd into buf (up to max; beyond that read and wiped).
 * 1 read something, 0 EOF or error (*fd closed, -1), -1 nothing now.
 */
static int
secret_read_drain(int *fd, char *buf, size_t *len, size_t max)
{
	char	 scratch[512];
	ssize_t	 n;

	if (*len < max)
		n = read(*fd, buf + *len, max - *len);
	else
		n = read(*fd, scratch, sizeof scratch);
	if (n > 0) {
		if (*len < max)
			*len += n;
		else
			mc_wipe(scratch, sizeof scratch);
		return 1;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return -1;
	close(*fd);
	*fd = -1;
	return 0;
}

int
secret_run_command(const char *cmd, int timeout, char **out,
    struct mc_err *err)
{
	static const char *const argv[] = { "sh", "-c", NULL, NULL };
	char		*av[4];
	char		*obuf, ebuf[SECRET_CMD_ERR_MAX + 1];
	size_t		 olen = 0, elen = 0;
	int		 opipe[2], epipe[2], nullfd, status = 0, reaped = 0;
	int		 fds[2], nfds, i, wait_ms, saved, timed_out = 0, rc;
	struct pollfd	 pfd[2];
	long long	 deadline, left;
	sigset_t	 all;
	pid_t		 pid, w;

	*out = NULL;
	if (cmd == NULL || *cmd == '\0') {
		mc_err_set(err, MCE_CONFIG, "password-command is empty");
		return -1;
	}
	if (timeout < 1)
		timeout = 1;

	if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		mc_err_set(err, MCE_IO, "cannot open /dev/null: %s",
		    strerror(errno));
		return -1;
	}
	if (pipe2(opipe, O_CLOEXEC) == -1) {
		saved = errno;
		close(nullfd);
		mc_err_set(err, MCE_IO, "cannot run password-command: pipe: %s",
		    strerror(saved));
		return -1;
	}
	if (pipe2(epipe, O_CLOEXEC) == -1) {
		saved = errno;
		close(nullfd);
		close(opipe[0]);
		close(opipe[1]);
		mc_err_set(err, MCE_IO, "cannot run password-command: pipe: %s",
		    strerror(saved));
		return -1;
	}
	memcpy(av, argv, sizeof av);
	av[2] = (char *)cmd;
	sigfillset(&all);

	pid = fork();
	if (pid == -1) {
		saved = errno;
		close(nullfd);
		close(opipe[0]);
		close(opipe[1]);
		close(epipe[0]);
		close(epipe[1]);
		mc_err_set(err, MCE_IO, "cannot run password-command: fork: %s",
		    strerror(saved));
		return -1;
	}
	if (pid == 0) {
		/* Child of a threaded process: async-signal-safe calls only. */
		setpgid(0, 0);	/* its own group, so a timeout kills it all */
		if (dup2(nullfd, 0) == -1 || dup2(opipe[1], 1) == -1 ||
		    dup2(epipe[1], 2) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		execve("/bin/sh", av, environ);
		_exit(127);
	}
	setpgid(pid, pid);	/* either of us may win the race */
	close(nullfd);
	close(opipe[1]);
	close(epipe[1]);

	obuf = xmalloc(SECRET_CMD_OUT_MAX + 1);
	fds[0] = opipe[0];
	fds[1] = epipe[0];
	deadline = mc_now_ms() + (long long)timeout * 1000;
	for (;;) {
		if ((left = deadline - mc_now_ms()) <= 0) {
			timed_out = 1;
			break;
		}
		nfds = 0;
		for (i = 0; i < 2; i++) {
			if (fds[i] == -1)
				continue;
			pfd[nfds].fd = fds[i];
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			nfds++;
		}
		/*
		 * Wake now and then to reap: a grandchild may hold the pipes
		 * open after the command itself exited.
		 */
		wait_ms = left < 50 ? (int)left : 50;
		if (poll(pfd, nfds, wait_ms) > 0) {
			for (i = 0; i < nfds; i++) {
				if (pfd[i].revents == 0)
					continue;
				if (pfd[i].fd == fds[0])
					secret_read_drain(&fds[0], obuf, &olen,
					    SECRET_CMD_OUT_MAX);
				else
					secret_read_drain(&fds[1], ebuf, &elen,
					    SECRET_CMD_ERR_MAX);
			}
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w == -1 && errno != EINTR)) {
			reaped = 1;
			break;
		}
	}

	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	} else {
		/* Exited: what it wrote is in the pipes; take it, do not wait. */
		for (i = 0; i < 2; i++) {
			if (fds[i] == -1)
				continue;
			fcntl(fds[i], F_SETFL, O_NONBLOCK);
			/* (The deadline stops a grandchild that writes on.) */
			while (fds[i] != -1 && secret_read_drain(&fds[i],
			    i == 0 ? obuf : ebuf, i == 0 ? &olen : &elen,
			    i == 0 ? SECRET_CMD_OUT_MAX : SECRET_CMD_ERR_MAX) == 1 &&
			    mc_now_ms() < deadline)
				;
		}
	}
	for (i = 0; i < 2; i++) {
		if (fds[i] != -1)
			close(fds[i]);
	}
	while (!reaped) {
		w = waitpid(pid, &status, 0);
		if (w == pid || (w == -1 && errno != EINTR))
			reaped = 1;
	}
	ebuf[elen] = '\0';
	secret_first_line(ebuf, elen);
	mc_sanitize(ebuf);

	rc = -1;
	if (timed_out)
		mc_err_set(err, MCE_SECRET, "password-command timed out after "
		    "%d s and was killed", timeout);
	else if (WIFSIGNALED(status))
		mc_err_set(err, MCE_SECRET, "password-command was killed by "
		    "signal %d (%s)%s%s", WTERMSIG(status),
		    strsignal(WTERMSIG(status)), *ebuf != '\0' ? ": " : "", ebuf);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		mc_err_set(err, MCE_SECRET, "password-command failed with exit "
		    "status %d: %s", WEXITSTATUS(status),
		    *ebuf != '\0' ? ebuf : "(nothing on stderr)");
	else if (memchr(obuf, '\n', olen) == NULL && olen == SECRET_CMD_OUT_MAX)
		mc_err_set(err, MCE_SECRET, "password-command printed a first "
		    "line longer than %d bytes", SECRET_CMD_OUT_MAX);
	else if (*secret_first_line(obuf, olen) == '\0')
		mc_err_set(err, MCE_SECRET, "password-command printed no "
		    "password (its first line of output is empty)");
	else {
		*out = xstrdup(obuf);
		rc = 0;
	}
	mc_wipe(obuf, SECRET_CMD_OUT_MAX + 1);
	free(obuf);
	return rc;
}

/* --- accounts ------------------------------------------------------------ */

void
secret_key_for(const struct account *a, const char *protocol,
    struct secret_key *k)
{
	int	 smtp;

	smtp = protocol != NULL && strcmp(protocol, "smtp") == 0;
	k->account = a->name;
	k->protocol = smtp ? "smtp" : "imap";
	if (smtp) {
		k->server = a->smtp_host;
		k->user = a->smtp_user != NULL ? a->smtp_user :
		    a->imap_user != NULL ? a->imap_user : a->email;
	} else {
		k->server = a->imap_host;
		k->user = a->imap_user != NULL ? a->imap_user : a->email;
	}
}

int
secret_for_account(const struct account *a, const char *protocol,
    char **out, struct mc_err *err)
{
	struct secret_key	 k;
	struct mc_err		 e;
	int			 rc;

	*out = NULL;
	if (a->password_command != NULL) {
		mc_err_clear(&e);
		if (secret_run_command(a->password_command, SECRET_CMD_TIMEOUT,
		    out, &e) == 0)
			return 0;
		mc_err_set(err, e.kind, "account %s: %s", a->name, e.msg);
		return -1;
	}
	secret_key_for(a, protocol, &k);
	if (strcmp(k.protocol, "smtp") == 0 && k.server == NULL) {
		mc_err_set(err, MCE_CONFIG, "account %s has no smtp-host, so it "
		    "has no SMTP password", a->name);
		return -1;
	}
	rc = secret_lookup(&k, out, err);
	if (rc == 1) {
		mc_err_set(err, MCE_SECRET, "no password stored for account %s "
		    "(%s); run: mailconn password set %s", a->name, k.protocol,
		    a->name);
		return -1;
	}
	return rc;
}

/* --- reading a password -------------------------------------------------- */

/* The terminal state to put back, also from a signal handler. */
static volatile sig_atomic_t	 secret_tty_active;
static int			 secret_tty_fd = -1;
static struct termios		 secret_tty_saved;

static const int secret_tty_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
#define SECRET_NSIGNALS	\
	(sizeof secret_tty_signals / sizeof secret_tty_signals[0])

/* Echo back on, then die of the signal as if we had not caught it. */
static void
secret_tty_signal(int sig)
{
	if (secret_tty_active)
		tcsetattr(secret_tty_fd, TCSANOW, &secret_tty_saved);
	/* SA_RESETHAND made it SIG_DFL; delivered when we return. */
	raise(sig);
}

/* The prompt is a courtesy: a failed write is not an error. */
static void
secret_tty_write(int fd, const char *s)
{
	ssize_t	 n;

	n = write(fd, s, strlen(s));
	(void)n;
}

/*
 * One line from fd, byte by byte (nothing read past the newline stays in a
 * stdio buffer).  *out without CR/LF.  0, or -1 with err.
 */
static int
secret_read_line(int fd, char **out, struct mc_err *err)
{
	char	*buf, *nbuf, c;
	size_t	 len = 0, cap = 128;
	ssize_t	 n;

	buf = xmalloc(cap);
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			mc_err_set(err, MCE_IO, "cannot read the password: %s",
			    strerror(errno));
			mc_wipe(buf, cap);
			free(buf);
			return -1;
		}
		if (n == 0 || c == '\n')
			break;
		if (len + 1 >= cap) {
			if (cap >= SECRET_LINE_MAX) {
				mc_err_set(err, MCE_USAGE, "the password is "
				    "longer than %d bytes", SECRET_LINE_MAX);
				mc_wipe(buf, cap);
				free(buf);
				return -1;
			}
			/* Grow by hand, so the old copy can be wiped. */
			nbuf = xmalloc(cap * 2);
			memcpy(nbuf, buf, len);
			mc_wipe(buf, cap);
			free(buf);
			buf = nbuf;
			cap *= 2;
		}
		buf[len++] = c;
	}
	c = 0;
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		len--;
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int
secret_read_password(const char *prompt, char **out, struct mc_err *err)
{
	struct sigaction	 sa, old[SECRET_NSIGNALS];
	struct termios		 t;
	char			*pw = NULL;
	size_t			 i;
	int			 fd, opened = 0, rc, installed[SECRET_NSIGNALS];

	*out = NULL;
	if (!isatty(STDIN_FILENO)) {
		if (secret_read_line(STDIN_FILENO, &pw, err) == -1)
			return -1;
		goto done;
	}

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) != -1)
		opened = 1;
	else
		fd = STDIN_FILENO;
	if (tcgetattr(fd, &secret_tty_saved) == -1) {
		mc_err_set(err, MCE_IO, "cannot read the terminal settings: %s",
		    strerror(errno));
		if (opened)
			close(fd);
		return -1;
	}
	secret_tty_fd = fd;

	/* Put the terminal back whatever kills us while echo is off. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = secret_tty_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < SECRET_NSIGNALS; i++) {
		installed[i] = 0;
		if (sigaction(secret_tty_signals[i], NULL, &old[i]) == -1 ||
		    old[i].sa_handler == SIG_IGN)
			continue;	/* ignored stays ignored */
		if (sigaction(secret_tty_signals[i], &sa, NULL) == 0)
			installed[i] = 1;
	}

	t = secret_tty_saved;
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL);
	t.c_lflag |= ICANON;
	secret_tty_active = 1;
	/* Echo off before the prompt: nothing typed after it is shown. */
	if (tcsetattr(fd, TCSAFLUSH, &t) == -1) {
		mc_err_set(err, MCE_IO, "cannot turn off echo on the "
		    "terminal: %s", strerror(errno));
		rc = -1;
	} else {
		if (prompt != NULL)
			secret_tty_write(fd, prompt);
		rc = secret_read_line(fd, &pw, err);
		secret_tty_write(fd, "\n");
	}
	tcsetattr(fd, TCSANOW, &secret_tty_saved);
	secret_tty_active = 0;
	for (i = 0; i < SECRET_NSIGNALS; i++) {
		if (installed[i])
			sigaction(secret_tty_signals[i], &old[i], NULL);
	}
	secret_tty_fd = -1;
	if (opened)
		close(fd);
	if (rc == -1)
		return -1;

done:
	if (*pw == '\0') {
		free(pw);
		mc_err_set(err, MCE_USAGE, "empty password");
		return -1;
	}
	*out = pw;
	return 0;
}

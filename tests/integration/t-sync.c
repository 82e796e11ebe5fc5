/*
 * t-sync.c -- drive the sync engine against the test bed and check what it
 * wrote.
 *
 *   t-sync compare SERVER_MAILDIR LOCAL_ROOT [FOLDER...]
 *       The server's Maildir++ (Dovecot's files, folder names in modified
 *       UTF-7) against mailconn's plain-directory Maildir: per folder the
 *       multiset of (SHA-256 of the file, flags) must be equal, every local
 *       file must carry a ",U=" that no other file of the folder has, and
 *       tmp/ must be empty.  Without FOLDER: every folder of either side.
 *       Prints "FOLDER name server=N local=M ok|DIFF ..." lines, then
 *       "TOTAL ok" or "TOTAL bad" (exit 1).
 *   t-sync events ACCOUNT [--once] [--stop-when-idle] [--wake]
 *       Run the slot pool of ACCOUNT (from $XDG_CONFIG_HOME) with an event
 *       queue and print every event, one per line:
 *         SLOT id duty state text      FOLDER name n/total run|done|error
 *         POOL n/total text            LIST count
 *         TOTALS n/total               STOPPED
 *       --stop-when-idle: once every persistent slot idles, call
 *       slots_stop() from this (the "UI") thread and expect a clean stop.
 *       Exit status 0 when slots_wait() says everything synced.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "certstore.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "maildir.h"
#include "net.h"
#include "slots.h"
#include "utf7.h"
#include "util.h"

struct item {
	char		 hash[65];
	unsigned	 flags;
	uint32_t	 uid;
};

struct folder {
	char		*name;
	struct item	*srv, *loc;
	size_t		 nsrv, nloc;
	int		 tmp_files;
	int		 dup_uids;
	int		 no_uid;
};

static struct folder	*folders;
static size_t		 nfolders;

static void
usage(void)
{
	fprintf(stderr, "usage: t-sync compare SERVER_MAILDIR LOCAL_ROOT "
	    "[FOLDER...]\n       t-sync events ACCOUNT [--once] "
	    "[--stop-when-idle]\n");
	exit(2);
}

static struct folder *
folder_get(const char *name)
{
	size_t	i;

	for (i = 0; i < nfolders; i++)
		if (strcmp(folders[i].name, name) == 0)
			return &folders[i];
	folders = xrealloc(folders, (nfolders + 1) * sizeof *folders);
	memset(&folders[nfolders], 0, sizeof *folders);
	folders[nfolders].name = xstrdup(name);
	return &folders[nfolders++];
}

static int
hash_file(const char *path, char out[65])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	struct mc_err	 err;
	size_t		 len;
	char		*data;

	if ((data = mc_read_file(path, &len, &err)) == NULL)
		return -1;
	SHA256((unsigned char *)data, len, md);
	mc_hex(md, sizeof md, out);
	free(data);
	return 0;
}

static void
add_item(struct item **v, size_t *n, const char *path, const char *base)
{
	struct item	*it;

	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	it = &(*v)[*n];
	if (hash_file(path, it->hash) == -1) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	it->flags = maildir_flags_from_name(base);
	it->uid = maildir_uid_from_name(base);
	(*n)++;
}

/* cur/ and new/ of one Maildir directory. */
static void
read_maildir(const char *dir, struct item **v, size_t *n, int *tmp_files)
{
	static const char	*subs[] = { "cur", "new" };
	DIR			*d;
	struct dirent		*de;
	char			*p, *f;
	int			 i;

	for (i = 0; i < 2; i++) {
		p = xasprintf("%s/%s", dir, subs[i]);
		if ((d = opendir(p)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				f = xasprintf("%s/%s", p, de->d_name);
				add_item(v, n, f, de->d_name);
				free(f);
			}
			closedir(d);
		}
		free(p);
	}
	if (tmp_files != NULL) {
		p = xasprintf("%s/tmp", dir);
		if ((d = opendir(p)) != NULL) {
			while ((de = readdir(d)) != NULL)
				if (de->d_name[0] != '.')
					(*tmp_files)++;
			closedir(d);
		}
		free(p);
	}
}

/* Dovecot's Maildir++: INBOX at the root, ".A.B" is "A/B" (mUTF-7). */
static void
read_server(const char *root)
{
	struct folder	*f;
	DIR		*d;
	struct dirent	*de;
	char		*p, *name, *q, *utf8;

	f = folder_get("INBOX");
	read_maildir(root, &f->srv, &f->nsrv, NULL);
	if ((d = opendir(root)) == NULL) {
		fprintf(stderr, "cannot open %s: %s\n", root, strerror(errno));
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s/cur", root, de->d_name);
		if (access(p, F_OK) != 0) {
			free(p);
			continue;
		}
		free(p);
		name = xstrdup(de->d_name + 1);
		for (q = name; *q != '\0'; q++)
			if (*q == '.')
				*q = '/';
		if ((utf8 = utf7_to_utf8(name)) == NULL) {
			fprintf(stderr, "bad folder name %s\n", name);
			exit(1);
		}
		f = folder_get(utf8);
		p = xasprintf("%s/%s", root, de->d_name);
		read_maildir(p, &f->srv, &f->nsrv, NULL);
		free(p);
		free(utf8);
		free(name);
	}
	closedir(d);
}

/* mailconn's layout: every directory with a cur/ is a folder. */
static void
read_local(const char *root, const char *rel)
{
	struct folder	*f;
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;
	char		*dir, *p, *sub;

	dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	p = xasprintf("%s/cur", dir);
	if (*rel && stat(p, &sb) == 0) {
		f = folder_get(rel);
		read_maildir(dir, &f->loc, &f->nloc, &f->tmp_files);
	}
	free(p);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "cur") == 0 ||
		    strcmp(de->d_name, "new") == 0 ||
		    strcmp(de->d_name, "tmp") == 0 ||
		    strstr(de->d_name, ".uidvalidity-") != NULL)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			sub = *rel ? xasprintf("%s/%s", rel, de->d_name) :
			    xstrdup(de->d_name);
			read_local(root, sub);
			free(sub);
		}
		free(p);
	}
	closedir(d);
	free(dir);
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->hash, y->hash);

	return c != 0 ? c : (int)x->flags - (int)y->flags;
}

static int
uid_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
wanted(const char *name, int argc, char **argv)
{
	int	i;

	if (argc == 0)
		return 1;
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int
cmd_compare(int argc, char **argv)
{
	struct folder	*f;
	size_t		 i, j, diff;
	int		 bad = 0;

	if (argc < 2)
		usage();
	read_server(argv[0]);
	read_local(argv[1], "");
	for (i = 0; i < nfolders; i++) {
		f = &folders[i];
		if (!wanted(f->name, argc - 2, argv + 2))
			continue;
		if (f->nsrv > 0)
			qsort(f->srv, f->nsrv, sizeof *f->srv, item_cmp);
		if (f->nloc > 0)
			qsort(f->loc, f->nloc, sizeof *f->loc, item_cmp);
		diff = 0;
		if (f->nsrv != f->nloc)
			diff = 1;
		for (j = 0; !diff && j < f->nsrv; j++)
			if (item_cmp(&f->srv[j], &f->loc[j]) != 0)
				diff = 1;
		/* bodies alone, to tell a flag difference from a loss */
		if (f->nloc > 0)
			qsort(f->loc, f->nloc, sizeof *f->loc, uid_cmp);
		for (j = 0; j < f->nloc; j++) {
			if (f->loc[j].uid == 0)
				f->no_uid++;
			else if (j > 0 && f->loc[j].uid == f->loc[j - 1].uid)
				f->dup_uids++;
		}
		printf("FOLDER %s server=%zu local=%zu tmp=%d dup_uids=%d "
		    "no_uid=%d %s\n", f->name, f->nsrv, f->nloc, f->tmp_files,
		    f->dup_uids, f->no_uid, diff || f->tmp_files ||
		    f->dup_uids || f->no_uid ? "DIFF" : "ok");
		if (diff || f->tmp_files || f->dup_uids || f->no_uid)
			bad = 1;
	}
	printf("TOTAL %s\n", bad ? "bad" : "ok");
	return bad;
}

/* --- events ------------------------------------------------------------- */

/*
 * The pool settled: slots 1 and 2 in IMAP IDLE, slot 3 (if any) waiting
 * for its next poll, the rest closed.
 */
static int
pool_settled(const int *state, int n)
{
	int	i;

	for (i = 1; i <= n && i <= SLOTS_MAX; i++) {
		if (i <= 2 && i <= n && state[i] != SLOT_IDLING)
			return 0;
		if (i == 3 && state[i] != SLOT_IDLE)
			return 0;
		if (i > 3 && state[i] != SLOT_CLOSED)
			return 0;
	}
	return 1;
}

static int
cmd_events(int argc, char **argv)
{
	struct config		*cfg;
	struct account		*a;
	struct certstore	*store;
	struct event_queue	*q;
	struct slots		*pool;
	struct slots_opts	 o;
	struct event		*ev;
	struct mc_err		 err;
	struct pollfd		 pfd;
	const char		*st;
	int			 i, once = 0, stop_idle = 0, stopped = 0;
	int			 state[SLOTS_MAX + 1], rc, asked = 0;
	long long		 t0 = mc_now_ms();

	if (argc < 1)
		usage();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "--stop-when-idle") == 0)
			stop_idle = 1;
		else
			usage();
	}
	for (i = 0; i <= SLOTS_MAX; i++)
		state[i] = SLOT_CLOSED;
	if (config_load(NULL, &cfg, &err) == -1 ||
	    (a = config_find(cfg, argv[0])) == NULL) {
		fprintf(stderr, "no account %s\n", argv[0]);
		return 2;
	}
	if (certstore_open(NULL, &store, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	q = events_new();
	memset(&o, 0, sizeof o);
	o.account = a;
	o.trust.store = store;
	o.trust.account = a->name;
	o.events = q;
	o.once = once;
	if (slots_start(&o, &pool, &err) == -1) {
		printf("START-ERR %s\n", err.msg);
		return 1;
	}
	pfd.fd = events_wake_fd(q);
	pfd.events = POLLIN;
	while (!stopped) {
		if (poll(&pfd, 1, 30000) == 0) {
			printf("TIMEOUT\n");
			slots_stop(pool);
		}
		while ((ev = events_next(q)) != NULL) {
			switch (ev->type) {
			case EV_SLOT_STATE:
				if (ev->id >= 1 && ev->id <= SLOTS_MAX)
					state[ev->id] = ev->status;
				printf("SLOT %d %s %s %s\n", ev->id, ev->name,
				    slot_state_name(ev->status), ev->text);
				break;
			case EV_FOLDER_PROGRESS:
				st = ev->status == 0 ? "run" : ev->status == 1 ?
				    "done" : "error";
				printf("FOLDER %s %llu/%llu %s%s%s\n", ev->name,
				    (unsigned long long)ev->n,
				    (unsigned long long)ev->total, st,
				    ev->text ? " " : "", ev->text ? ev->text :
				    "");
				break;
			case EV_POOL:
				printf("POOL %llu/%llu %s\n",
				    (unsigned long long)ev->n,
				    (unsigned long long)ev->total, ev->text);
				break;
			case EV_FOLDER_LIST: {
				char	**v = ev->data;
				int	  n = 0;

				while (v != NULL && v[n] != NULL)
					n++;
				printf("LIST %d\n", n);
				break;
			}
			case EV_TOTALS:
				printf("TOTALS %llu/%llu\n",
				    (unsigned long long)ev->n,
				    (unsigned long long)ev->total);
				break;
			case EV_ENGINE_STOPPED:
				printf("STOPPED %lld ms\n", mc_now_ms() - t0);
				stopped = 1;
				break;
			default:
				break;
			}
			event_free(ev);
		}
		fflush(stdout);
		if (stop_idle && !asked && pool_settled(state,
		    a->max_connections)) {
			printf("STOPPING %lld ms\n", mc_now_ms() - t0);
			fflush(stdout);
			asked = 1;
			slots_stop(pool);
		}
	}
	rc = slots_wait(pool, &err);
	if (rc == -1 && !(asked && err.kind == MCE_CANCELLED))
		printf("WAIT-ERR %s: %s\n", mc_errkind_name(err.kind),
		    err.msg);
	else
		rc = 0;
	slots_free(pool);
	events_free(q);
	certstore_free(store);
	config_free(cfg);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct mc_err	err;

	if (argc < 2)
		usage();
	net_init();
	if (getenv("T_SYNC_LOG") != NULL)
		log_open(getenv("T_SYNC_LOG"), 1, &err);
	if (strcmp(argv[1], "compare") == 0)
		return cmd_compare(argc - 2, argv + 2);
	if (strcmp(argv[1], "events") == 0)
		return cmd_events(argc - 2, argv + 2);
	usage();
	return 2;
}

/*
 * maildir.c -- Maildir folders: layout, names, batched durable delivery,
 * flag renames, expunges, moving a folder aside.  Contract in maildir.h.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"

#define MSG_BUFSZ	(64 * 1024)
#define TMP_MAX_AGE	(36 * 60 * 60)	/* the Maildir spec's tmp/ rule */

enum { SUB_CUR, SUB_NEW, SUB_TMP, NSUB };
static const char *subdirs[NSUB] = { "cur", "new", "tmp" };

struct maildir {
	char			*path;
	int			 fd[NSUB];
	/* uid -> file, built on the first stale name (see lookup_name) */
	struct maildir_entry	*idx;
	size_t			 nidx;
	int			 idx_valid;
	int			 changed[NSUB];	/* renames/unlinks not synced */
};

struct maildir_msg {
	struct maildir	*md;
	int		 fd;
	char		*tmpname;
	int		 cr;		/* last byte fed was a held-back CR */
	uint64_t	 disk;
	size_t		 len;
	char		 buf[MSG_BUFSZ];
};

static pthread_once_t	 host_once = PTHREAD_ONCE_INIT;
static char		 host_name[256];
static unsigned long	 delivery_count;

static void	 host_init(void);
static char	*unique_name(void);
static int	 open_subdirs(struct maildir *, struct mc_err *);
static void	 close_subdirs(struct maildir *);
static int	 flush_msg(struct maildir_msg *, struct mc_err *);
static int	 write_full(int, const char *, size_t);
static int	 name_sub(const char *, const char **);
static char	*info_for(const char *, unsigned);
static int	 entry_cmp(const void *, const void *);
static int	 build_index(struct maildir *, struct mc_err *);
static struct maildir_entry *index_find(struct maildir *, uint32_t);
static int	 scan_sub(struct maildir *, int, struct maildir_entry **,
		     size_t *, size_t *);
static int	 has_messages(struct maildir *);
static int	 fsync_path(const char *);
static int	 stale_ours(const char *);

/* --- names -------------------------------------------------------------- */

/* The host part of unique names: '/' and ':' are escaped as the spec says. */
static void
host_init(void)
{
	char	 raw[200];
	size_t	 i, o;

	if (gethostname(raw, sizeof raw) == -1 || raw[0] == '\0')
		strcpy(raw, "localhost");
	raw[sizeof raw - 1] = '\0';
	for (i = o = 0; raw[i] != '\0' && o + 5 < sizeof host_name; i++) {
		if (raw[i] == '/') {
			memcpy(host_name + o, "\\057", 4);
			o += 4;
		} else if (raw[i] == ':') {
			memcpy(host_name + o, "\\072", 4);
			o += 4;
		} else if (raw[i] == ',' || (unsigned char)raw[i] < 0x20)
			host_name[o++] = '_';
		else
			host_name[o++] = raw[i];
	}
	host_name[o] = '\0';
}

/* <sec>.M<usec>P<pid>Q<n>.<host>: unique per process by the counter. */
static char *
unique_name(void)
{
	struct timeval	 tv;
	unsigned long	 q;

	pthread_once(&host_once, host_init);
	gettimeofday(&tv, NULL);
	q = __atomic_add_fetch(&delivery_count, 1, __ATOMIC_RELAXED);
	return xasprintf("%lld.M%ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), q, host_name);
}

char *
maildir_escape_component(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out;
	size_t			 i, o;
	int			 special;

	if (*s == '\0')
		return xstrdup("%00");	/* no real name holds a NUL */
	special = strcmp(s, "cur") == 0 || strcmp(s, "new") == 0 ||
	    strcmp(s, "tmp") == 0;
	out = xmalloc(strlen(s) * 3 + 1);
	for (i = o = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' || c == '/' || c < 0x20 || c == 0x7f ||
		    (i == 0 && (c == '.' || special))) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

char *
maildir_folder_path(const char *name, char delim)
{
	char		*out, *part, *esc;
	const char	*p, *end;
	size_t		 len, cap;

	cap = strlen(name) * 3 + 8;
	out = xmalloc(cap);
	len = 0;
	p = name;
	for (;;) {
		end = delim != '\0' ? strchr(p, delim) : NULL;
		if (end == NULL)
			end = p + strlen(p);
		part = xstrndup(p, (size_t)(end - p));
		if (p == name && strcasecmp(part, "INBOX") == 0)
			esc = xstrdup("INBOX");
		else
			esc = maildir_escape_component(part);
		free(part);
		if (len + strlen(esc) + 2 > cap) {
			cap = (len + strlen(esc) + 2) * 2;
			out = xrealloc(out, cap);
		}
		if (len > 0)
			out[len++] = '/';
		memcpy(out + len, esc, strlen(esc));
		len += strlen(esc);
		free(esc);
		if (*end == '\0')
			break;
		p = end + 1;
	}
	out[len] = '\0';
	return out;
}

unsigned
maildir_flags_from_name(const char *name)
{
	const char	*info;
	unsigned	 f = 0;

	if ((info = strrchr(name, ':')) == NULL || strncmp(info, ":2,", 3))
		return 0;
	for (info += 3; *info != '\0'; info++) {
		switch (*info) {
		case 'D': f |= MDF_DRAFT; break;
		case 'F': f |= MDF_FLAGGED; break;
		case 'R': f |= MDF_ANSWERED; break;
		case 'S': f |= MDF_SEEN; break;
		case 'T': f |= MDF_TRASHED; break;
		}
	}
	return f;
}

void
maildir_flags_letters(unsigned f, char out[8])
{
	char	*o = out;

	if (f & MDF_DRAFT)
		*o++ = 'D';
	if (f & MDF_FLAGGED)
		*o++ = 'F';
	if (f & MDF_ANSWERED)
		*o++ = 'R';
	if (f & MDF_SEEN)
		*o++ = 'S';
	if (f & MDF_TRASHED)
		*o++ = 'T';
	*o = '\0';
}

uint32_t
maildir_uid_from_name(const char *name)
{
	const char		*p;
	unsigned long long	 v;

	/* The last ",U=" before the info part. */
	p = NULL;
	for (const char *q = name; (q = strstr(q, ",U=")) != NULL; q++)
		p = q;
	if (p == NULL)
		return 0;
	p += 3;
	if (!isdigit((unsigned char)*p))
		return 0;
	v = 0;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	if (*p != '\0' && *p != ':' && *p != ',')
		return 0;
	return (uint32_t)v;
}

/*
 * The info part for a message whose current name is cur: letters mailconn
 * manages come from flags, others (P, keywords) are kept; ASCII order.
 */
static char *
info_for(const char *cur, unsigned flags)
{
	const char	*old;
	char		 letters[128], mine[8];
	size_t		 n = 0, i, j;

	maildir_flags_letters(flags, mine);
	for (i = 0; mine[i] != '\0'; i++)
		letters[n++] = mine[i];
	if ((old = strrchr(cur, ':')) != NULL && strncmp(old, ":2,", 3) == 0) {
		for (old += 3; *old != '\0' && n < sizeof letters - 1; old++) {
			if (strchr("DFRST", *old) != NULL ||
			    !isalpha((unsigned char)*old))
				continue;
			if (memchr(letters, *old, n) == NULL)
				letters[n++] = *old;
		}
	}
	/* insertion sort: a handful of letters */
	for (i = 1; i < n; i++) {
		char c = letters[i];

		for (j = i; j > 0 && letters[j - 1] > c; j--)
			letters[j] = letters[j - 1];
		letters[j] = c;
	}
	letters[n] = '\0';
	return xstrdup(letters);
}

/* "cur/x" -> SUB_CUR and *base "x"; -1 when the prefix is neither. */
static int
name_sub(const char *name, const char **base)
{
	if (strncmp(name, "cur/", 4) == 0) {
		*base = name + 4;
		return SUB_CUR;
	}
	if (strncmp(name, "new/", 4) == 0) {
		*base = name + 4;
		return SUB_NEW;
	}
	return -1;
}

/* --- folders ------------------------------------------------------------ */

static int
open_subdirs(struct maildir *md, struct mc_err *err)
{
	char	*p;
	int	 i;

	for (i = 0; i < NSUB; i++) {
		p = xasprintf("%s/%s", md->path, subdirs[i]);
		if (mc_mkdir_p(p, 0700, err) == -1) {
			free(p);
			return -1;
		}
		md->fd[i] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (md->fd[i] == -1) {
			mc_err_set(err, MCE_IO, "Cannot open the Maildir "
			    "directory %s: %s.", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

static void
close_subdirs(struct maildir *md)
{
	int	i;

	for (i = 0; i < NSUB; i++) {
		if (md->fd[i] != -1)
			close(md->fd[i]);
		md->fd[i] = -1;
	}
}

int
maildir_open(const char *root, const char *relpath, struct maildir **out,
    struct mc_err *err)
{
	struct maildir	*md;
	int		 i;

	*out = NULL;
	md = xcalloc(1, sizeof *md);
	md->path = xasprintf("%s/%s", root, relpath);
	for (i = 0; i < NSUB; i++)
		md->fd[i] = -1;
	if (open_subdirs(md, err) == -1) {
		maildir_close(md);
		return -1;
	}
	*out = md;
	return 0;
}

void
maildir_close(struct maildir *md)
{
	if (md == NULL)
		return;
	close_subdirs(md);
	maildir_entries_free(md->idx, md->nidx);
	free(md->path);
	free(md);
}

const char *
maildir_path(const struct maildir *md)
{
	return md->path;
}

/* 1 when name is "<sec>.M<usec>P<pid>Q<n>.<host>" of another process here. */
static int
stale_ours(const char *name)
{
	long	pid = 0;
	int	off = -1;

	if (sscanf(name, "%*u.M%*uP%ldQ%*u.%n", &pid, &off) != 1 || off < 0)
		return 0;
	return pid != (long)getpid() && strcmp(name + off, host_name) == 0;
}

int
maildir_clean_tmp(struct maildir *md)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	time_t		 now = time(NULL);
	int		 fd, n = 0;

	pthread_once(&host_once, host_init);
	if ((fd = dup(md->fd[SUB_TMP])) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(md->fd[SUB_TMP], de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if (sb.st_mtime + TMP_MAX_AGE < now || stale_ours(de->d_name)) {
			if (unlinkat(md->fd[SUB_TMP], de->d_name, 0) == 0)
				n++;
		}
	}
	closedir(d);
	if (n > 0)
		log_info("%s: removed %d unfinished file%s from tmp/",
		    md->path, n, n == 1 ? "" : "s");
	return n;
}

/* --- delivery ----------------------------------------------------------- */

int
maildir_msg_begin(struct maildir *md, struct maildir_msg **out,
    struct mc_err *err)
{
	struct maildir_msg	*m;
	int			 tries;

	*out = NULL;
	m = xmalloc(sizeof *m);
	m->md = md;
	m->cr = 0;
	m->disk = 0;
	m->len = 0;
	for (tries = 0; tries < 10; tries++) {
		m->tmpname = unique_name();
		m->fd = openat(md->fd[SUB_TMP], m->tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (m->fd != -1)
			break;
		free(m->tmpname);
		m->tmpname = NULL;
		if (errno != EEXIST)
			break;
	}
	if (m->fd == -1) {
		mc_err_set(err, MCE_IO, "Cannot create a file in %s/tmp: %s.",
		    md->path, strerror(errno));
		free(m);
		return -1;
	}
	/* libetpan's select() cannot watch descriptors >= 1024. */
	if (m->fd >= 1024)
		log_warn("maildir: file descriptor %d is high", m->fd);
	*out = m;
	return 0;
}

static int
write_full(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
flush_msg(struct maildir_msg *m, struct mc_err *err)
{
	if (m->len == 0)
		return 0;
	if (write_full(m->fd, m->buf, m->len) == -1) {
		mc_err_set(err, MCE_IO, "Cannot write %s/tmp/%s: %s.",
		    m->md->path, m->tmpname, strerror(errno));
		return -1;
	}
	m->disk += m->len;
	m->len = 0;
	return 0;
}

/* CRLF -> LF, across chunk boundaries; a lone CR is kept. */
int
maildir_msg_write(struct maildir_msg *m, const char *p, size_t n,
    struct mc_err *err)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (m->len + 2 > sizeof m->buf && flush_msg(m, err) == -1)
			return -1;
		if (m->cr) {
			m->cr = 0;
			if (p[i] != '\n')
				m->buf[m->len++] = '\r';
		}
		if (p[i] == '\r')
			m->cr = 1;
		else
			m->buf[m->len++] = p[i];
	}
	return 0;
}

void
maildir_msg_abort(struct maildir_msg *m)
{
	if (m == NULL)
		return;
	close(m->fd);
	unlinkat(m->md->fd[SUB_TMP], m->tmpname, 0);
	free(m->tmpname);
	free(m);
}

int
maildir_msg_end(struct maildir_msg *m, struct maildir_batch *b, uint32_t uid,
    unsigned flags, uint64_t size, struct mc_err *err)
{
	struct maildir_item	*it;

	if (m->cr) {
		m->buf[m->len++] = '\r';
		m->cr = 0;
	}
	if (flush_msg(m, err) == -1) {
		maildir_msg_abort(m);
		return -1;
	}
	/* Start writeback now; the commit's fdatasync then finds it done. */
	sync_file_range(m->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (close(m->fd) == -1) {
		mc_err_set(err, MCE_IO, "Cannot close %s/tmp/%s: %s.",
		    m->md->path, m->tmpname, strerror(errno));
		m->fd = -1;
		unlinkat(m->md->fd[SUB_TMP], m->tmpname, 0);
		free(m->tmpname);
		free(m);
		return -1;
	}
	if (b->n == b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		b->items = xrealloc(b->items, b->cap * sizeof *b->items);
	}
	it = &b->items[b->n++];
	it->tmpname = m->tmpname;
	it->final = NULL;
	it->uid = uid;
	it->flags = flags & MDF_ALL;
	it->size = size;
	it->disk = m->disk;
	b->bytes += m->disk;
	free(m);
	return 0;
}

int
maildir_batch_commit(struct maildir *md, struct maildir_batch *b,
    struct mc_err *err)
{
	struct maildir_item	*it;
	char			 letters[8], *base;
	int			 fd, sub, used[NSUB] = { 0 };
	size_t			 i;

	/* 1. Every file's data on stable storage. */
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->final != NULL)
			continue;
		fd = openat(md->fd[SUB_TMP], it->tmpname, O_RDONLY | O_CLOEXEC);
		if (fd == -1 || fdatasync(fd) == -1) {
			mc_err_set(err, MCE_IO, "Cannot sync %s/tmp/%s to "
			    "disk: %s.", md->path, it->tmpname,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
	}
	/* 2. Into place: new/ when unseen and unflagged, else cur/. */
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->final != NULL)
			continue;
		if (it->flags == 0) {
			sub = SUB_NEW;
			base = xasprintf("%s,U=%u", it->tmpname, it->uid);
		} else {
			sub = SUB_CUR;
			maildir_flags_letters(it->flags, letters);
			base = xasprintf("%s,U=%u:2,%s", it->tmpname, it->uid,
			    letters);
		}
		if (renameat(md->fd[SUB_TMP], it->tmpname, md->fd[sub],
		    base) == -1) {
			mc_err_set(err, MCE_IO, "Cannot move %s/tmp/%s into "
			    "%s/: %s.", md->path, it->tmpname, subdirs[sub],
			    strerror(errno));
			free(base);
			return -1;
		}
		used[sub] = 1;
		it->final = xasprintf("%s/%s", subdirs[sub], base);
		free(base);
	}
	/* 3. The renames themselves durable: once per directory. */
	for (sub = 0; sub < NSUB; sub++) {
		if (used[sub] && fsync(md->fd[sub]) == -1) {
			mc_err_set(err, MCE_IO, "Cannot sync the directory "
			    "%s/%s: %s.", md->path, subdirs[sub],
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
maildir_batch_discard(struct maildir *md, struct maildir_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		if (b->items[i].final == NULL)
			unlinkat(md->fd[SUB_TMP], b->items[i].tmpname, 0);
	}
	maildir_batch_reset(b);
}

void
maildir_batch_reset(struct maildir_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		free(b->items[i].tmpname);
		free(b->items[i].final);
	}
	b->n = 0;
	b->bytes = 0;
}

void
maildir_batch_free(struct maildir_batch *b)
{
	maildir_batch_reset(b);
	free(b->items);
	b->items = NULL;
	b->cap = 0;
}

/* --- flags, expunges, scans --------------------------------------------- */

static int
entry_cmp(const void *a, const void *b)
{
	const struct maildir_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
scan_sub(struct maildir *md, int sub, struct maildir_entry **v, size_t *n,
    size_t *cap)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	uint32_t	 uid;
	int		 fd;

	if ((fd = dup(md->fd[sub])) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((uid = maildir_uid_from_name(de->d_name)) == 0)
			continue;
		if (*n == *cap) {
			*cap = *cap == 0 ? 256 : *cap * 2;
			*v = xrealloc(*v, *cap * sizeof **v);
		}
		(*v)[*n].name = xasprintf("%s/%s", subdirs[sub], de->d_name);
		(*v)[*n].uid = uid;
		(*v)[*n].flags = maildir_flags_from_name(de->d_name);
		(*v)[*n].disk = 0;
		if (fstatat(md->fd[sub], de->d_name, &sb, 0) == 0)
			(*v)[*n].disk = (uint64_t)sb.st_size;
		(*n)++;
	}
	closedir(d);
	return 0;
}

int
maildir_scan(struct maildir *md, struct maildir_entry **out, size_t *nout,
    struct mc_err *err)
{
	struct maildir_entry	*v = NULL;
	size_t			 n = 0, cap = 0;

	*out = NULL;
	*nout = 0;
	if (scan_sub(md, SUB_CUR, &v, &n, &cap) == -1 ||
	    scan_sub(md, SUB_NEW, &v, &n, &cap) == -1) {
		mc_err_set(err, MCE_IO, "Cannot read the Maildir %s: %s.",
		    md->path, strerror(errno));
		maildir_entries_free(v, n);
		return -1;
	}
	if (n > 0)
		qsort(v, n, sizeof *v, entry_cmp);
	*out = v;
	*nout = n;
	return 0;
}

void
maildir_entries_free(struct maildir_entry *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static int
build_index(struct maildir *md, struct mc_err *err)
{
	maildir_entries_free(md->idx, md->nidx);
	md->idx = NULL;
	md->nidx = 0;
	md->idx_valid = 0;
	if (maildir_scan(md, &md->idx, &md->nidx, err) == -1)
		return -1;
	md->idx_valid = 1;
	return 0;
}

static struct maildir_entry *
index_find(struct maildir *md, uint32_t uid)
{
	struct maildir_entry	key;

	key.uid = uid;
	if (md->nidx == 0)
		return NULL;
	return bsearch(&key, md->idx, md->nidx, sizeof key, entry_cmp);
}

char *
maildir_find_uid(struct maildir *md, uint32_t uid)
{
	struct maildir_entry	*e;
	struct mc_err		 err;

	if (build_index(md, &err) == -1)
		return NULL;
	if ((e = index_find(md, uid)) == NULL)
		return NULL;
	return xstrdup(e->name);
}

/*
 * A stale name (a mail client renamed the file): look the uid up in the
 * folder index, building it once per open folder rather than per miss.
 */
static char *
lookup_name(struct maildir *md, uint32_t uid, int rebuild)
{
	struct maildir_entry	*e;
	struct mc_err		 err;

	if ((!md->idx_valid || rebuild) && build_index(md, &err) == -1)
		return NULL;
	if ((e = index_find(md, uid)) == NULL)
		return NULL;
	return xstrdup(e->name);
}

int
maildir_set_flags(struct maildir *md, char **name, uint32_t uid,
    unsigned flags, struct mc_err *err)
{
	const char		*base;
	char			*info, *core, *to, *found;
	struct maildir_entry	*e;
	int			 sub, attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		if ((sub = name_sub(*name, &base)) == -1) {
			mc_err_set(err, MCE_IO, "Bad message file name %s.",
			    *name);
			return -1;
		}
		info = info_for(base, flags);
		core = xstrdup(base);
		if (strrchr(core, ':') != NULL &&
		    strncmp(strrchr(core, ':'), ":2,", 3) == 0)
			*strrchr(core, ':') = '\0';
		if (sub == SUB_NEW && *info == '\0') {
			/* unseen and unflagged: new/ is the right place */
			free(core);
			free(info);
			if (faccessat(md->fd[SUB_NEW], base, F_OK, 0) == 0)
				return 0;
		} else {
			to = xasprintf("%s:2,%s", core, info);
			free(core);
			free(info);
			if (sub == SUB_CUR && strcmp(to, base) == 0 &&
			    faccessat(md->fd[SUB_CUR], base, F_OK, 0) == 0) {
				free(to);
				return 0;
			}
			if (renameat(md->fd[sub], base, md->fd[SUB_CUR],
			    to) == 0) {
				md->changed[sub] = md->changed[SUB_CUR] = 1;
				if (md->idx_valid &&
				    (e = index_find(md, uid)) != NULL) {
					free(e->name);
					e->name = xasprintf("cur/%s", to);
				}
				free(*name);
				*name = xasprintf("cur/%s", to);
				free(to);
				return 0;
			}
			free(to);
			if (errno != ENOENT) {
				mc_err_set(err, MCE_IO, "Cannot rename %s/%s: "
				    "%s.", md->path, *name, strerror(errno));
				return -1;
			}
		}
		/* gone: find it by uid (rebuilding the index the 2nd time) */
		if ((found = lookup_name(md, uid, attempt > 0)) == NULL)
			break;
		free(*name);
		*name = found;
	}
	mc_err_set(err, MCE_NOTFOUND, "The message with UID %u is no longer "
	    "in %s.", uid, md->path);
	return -1;
}

int
maildir_remove(struct maildir *md, const char *name, uint32_t uid,
    struct mc_err *err)
{
	const char	*base;
	char		*cur;
	int		 sub, attempt;

	cur = xstrdup(name);
	for (attempt = 0; attempt < 3; attempt++) {
		if ((sub = name_sub(cur, &base)) == -1)
			break;
		if (unlinkat(md->fd[sub], base, 0) == 0) {
			md->changed[sub] = 1;
			free(cur);
			return 0;
		}
		if (errno != ENOENT) {
			mc_err_set(err, MCE_IO, "Cannot remove %s/%s: %s.",
			    md->path, cur, strerror(errno));
			free(cur);
			return -1;
		}
		free(cur);
		if ((cur = lookup_name(md, uid, attempt > 0)) == NULL)
			return 0;
	}
	free(cur);
	return 0;
}

int
maildir_sync_dirs(struct maildir *md, struct mc_err *err)
{
	int	sub;

	for (sub = 0; sub < NSUB; sub++) {
		if (!md->changed[sub])
			continue;
		if (fsync(md->fd[sub]) == -1) {
			mc_err_set(err, MCE_IO, "Cannot sync the directory "
			    "%s/%s: %s.", md->path, subdirs[sub],
			    strerror(errno));
			return -1;
		}
		md->changed[sub] = 0;
	}
	return 0;
}

/* --- UIDVALIDITY -------------------------------------------------------- */

static int
has_messages(struct maildir *md)
{
	DIR		*d;
	struct dirent	*de;
	int		 sub, fd, found = 0;

	for (sub = SUB_CUR; sub <= SUB_NEW && !found; sub++) {
		if ((fd = dup(md->fd[sub])) == -1)
			return 1;
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
			return 1;
		}
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] != '.') {
				found = 1;
				break;
			}
		}
		closedir(d);
	}
	return found;
}

static int
fsync_path(const char *path)
{
	int	fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
maildir_move_aside(struct maildir *md, uint32_t old_uidvalidity,
    char **aside, struct mc_err *err)
{
	char		*dest, *from, *to, stamp[32], *slash, *parent;
	struct tm	 tm;
	time_t		 now;
	int		 i, n;

	if (aside != NULL)
		*aside = NULL;
	if (!has_messages(md))
		return 0;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	dest = xasprintf("%s.uidvalidity-%u-%s", md->path, old_uidvalidity,
	    stamp);
	for (n = 2; mkdir(dest, 0700) == -1; n++) {
		if (errno != EEXIST || n > 100) {
			mc_err_set(err, MCE_IO, "Cannot create %s to keep the "
			    "old copy of the folder: %s.", dest,
			    strerror(errno));
			free(dest);
			return -1;
		}
		free(dest);
		dest = xasprintf("%s.uidvalidity-%u-%s-%d", md->path,
		    old_uidvalidity, stamp, n);
	}
	close_subdirs(md);
	for (i = 0; i < NSUB; i++) {
		from = xasprintf("%s/%s", md->path, subdirs[i]);
		to = xasprintf("%s/%s", dest, subdirs[i]);
		if (rename(from, to) == -1 && errno != ENOENT) {
			mc_err_set(err, MCE_IO, "Cannot move %s to %s: %s.",
			    from, to, strerror(errno));
			free(from);
			free(to);
			free(dest);
			open_subdirs(md, NULL);
			return -1;
		}
		free(from);
		free(to);
	}
	if (open_subdirs(md, err) == -1) {
		free(dest);
		return -1;
	}
	maildir_entries_free(md->idx, md->nidx);
	md->idx = NULL;
	md->nidx = 0;
	md->idx_valid = 0;
	/* Make the move durable before the state forgets the old rows. */
	parent = xstrdup(md->path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	if (fsync_path(dest) == -1 || fsync_path(md->path) == -1 ||
	    fsync_path(parent) == -1) {
		mc_err_set(err, MCE_IO, "Cannot sync %s to disk: %s.", dest,
		    strerror(errno));
		free(parent);
		free(dest);
		return -1;
	}
	free(parent);
	if (aside != NULL)
		*aside = dest;
	else
		free(dest);
	return 0;
}

/* --- the account lock --------------------------------------------------- */

int
maildir_lock_root(const char *root, struct mc_err *err)
{
	char	*dir, *path, buf[32];
	ssize_t	 n;
	int	 fd;

	dir = xasprintf("%s/%s", root, MAILDIR_STATE_DIR);
	if (mc_mkdir_p(dir, 0700, err) == -1) {
		free(dir);
		return -1;
	}
	path = xasprintf("%s/lock", dir);
	free(dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		mc_err_set(err, MCE_IO, "Cannot open the lock file %s: %s.",
		    path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		mc_trim(buf);
		mc_err_set(err, MCE_IO, "Another mailconn%s%s%s is already "
		    "syncing into %s (lock %s).", *buf ? " (pid " : "", buf,
		    *buf ? ")" : "", root, path);
		close(fd);
		free(path);
		return -1;
	}
	snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 &&
	    pwrite(fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf))
		log_warn("maildir: cannot write the pid into %s", path);
	free(path);
	return fd;
}

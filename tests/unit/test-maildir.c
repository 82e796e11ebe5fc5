/*
 * test-maildir.c -- layout, names, delivery, flag renames, expunges,
 * reconciliation scans, moving aside, the root lock.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "maildir.h"
#include "util.h"

static char	root[] = "/tmp/mc-maildir-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", root);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int
count_files(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *
slurp(const char *path)
{
	struct mc_err	 err;
	char		*s = mc_read_file(path, NULL, &err);

	assert_non_null(s);
	return s;
}

static void
test_folder_path(void **state)
{
	char	*p;

	(void)state;
	p = maildir_folder_path("INBOX", '.');
	assert_string_equal(p, "INBOX");
	free(p);
	p = maildir_folder_path("inbox.Sub", '.');
	assert_string_equal(p, "INBOX/Sub");
	free(p);
	p = maildir_folder_path("Work.Projects.2024", '.');
	assert_string_equal(p, "Work/Projects/2024");
	free(p);
	p = maildir_folder_path("Entwürfe/Ärger", '/');
	assert_string_equal(p, "Entwürfe/Ärger");
	free(p);
	/* a '/' inside a name whose delimiter is '.' stays one component */
	p = maildir_folder_path("a/b.c", '.');
	assert_string_equal(p, "a%2Fb/c");
	free(p);
	/* names that would clash with Maildir directories or hide */
	p = maildir_folder_path("Work.cur", '.');
	assert_string_equal(p, "Work/%63ur");
	free(p);
	p = maildir_folder_path(".hidden", '/');
	assert_string_equal(p, "%2Ehidden");
	free(p);
	p = maildir_folder_path("100%", 0);
	assert_string_equal(p, "100%25");
	free(p);
	p = maildir_folder_path("a..b", '.');
	assert_string_equal(p, "a/%00/b");
	free(p);
	/* flat: the delimiter is just a character */
	p = maildir_folder_path("a.b", 0);
	assert_string_equal(p, "a.b");
	free(p);
}

static void
test_names(void **state)
{
	char	l[8];

	(void)state;
	assert_int_equal(maildir_uid_from_name("1.M2P3Q4.h,U=42:2,S"), 42);
	assert_int_equal(maildir_uid_from_name("1.M2P3Q4.h,U=42"), 42);
	assert_int_equal(maildir_uid_from_name("1.M2P3Q4.h,U=7,S=100:2,"), 7);
	assert_int_equal(maildir_uid_from_name("1.M2P3Q4.h:2,S"), 0);
	assert_int_equal(maildir_uid_from_name("1.h,U=x:2,S"), 0);
	assert_int_equal(maildir_uid_from_name("1.h,U=99999999999:2,"), 0);
	assert_int_equal(maildir_flags_from_name("x:2,DFRST"), MDF_ALL);
	assert_int_equal(maildir_flags_from_name("x:2,PS"), MDF_SEEN);
	assert_int_equal(maildir_flags_from_name("x,U=1"), 0);
	maildir_flags_letters(MDF_SEEN | MDF_FLAGGED | MDF_TRASHED, l);
	assert_string_equal(l, "FST");
	maildir_flags_letters(0, l);
	assert_string_equal(l, "");
}

static struct maildir *
open_folder(const char *rel)
{
	struct maildir	*md;
	struct mc_err	 err;

	assert_int_equal(maildir_open(root, rel, &md, &err), 0);
	return md;
}

static void
deliver(struct maildir *md, struct maildir_batch *b, uint32_t uid,
    unsigned flags, const char *body)
{
	struct maildir_msg	*m;
	struct mc_err		 err;
	size_t			 i, len = strlen(body);

	assert_int_equal(maildir_msg_begin(md, &m, &err), 0);
	/* byte by byte: CRLF split across calls must still become LF */
	for (i = 0; i < len; i++)
		assert_int_equal(maildir_msg_write(m, body + i, 1, &err), 0);
	assert_int_equal(maildir_msg_end(m, b, uid, flags, len, &err), 0);
}

static void
test_deliver(void **state)
{
	struct maildir		*md;
	struct maildir_batch	 b = { 0 };
	struct mc_err		 err;
	char			*p, *s;

	(void)state;
	md = open_folder("Work/Projects");
	deliver(md, &b, 1, 0, "Subject: a\r\n\r\nbody\r\nbare\rcr\r\n");
	deliver(md, &b, 2, MDF_SEEN | MDF_ANSWERED, "Subject: b\r\n\r\nx\r");
	assert_int_equal(b.n, 2);
	p = xasprintf("%s/tmp", maildir_path(md));
	assert_int_equal(count_files(p), 2);
	free(p);

	assert_int_equal(maildir_batch_commit(md, &b, &err), 0);
	assert_true(strncmp(b.items[0].final, "new/", 4) == 0);
	assert_non_null(strstr(b.items[0].final, ",U=1"));
	assert_null(strchr(b.items[0].final, ':'));
	assert_true(strncmp(b.items[1].final, "cur/", 4) == 0);
	assert_non_null(strstr(b.items[1].final, ",U=2:2,RS"));

	p = xasprintf("%s/%s", maildir_path(md), b.items[0].final);
	s = slurp(p);
	assert_string_equal(s, "Subject: a\n\nbody\nbare\rcr\n");
	assert_int_equal(b.items[0].disk, strlen(s));
	free(s);
	free(p);
	p = xasprintf("%s/%s", maildir_path(md), b.items[1].final);
	s = slurp(p);
	assert_string_equal(s, "Subject: b\n\nx\r");	/* trailing CR kept */
	free(s);
	free(p);
	p = xasprintf("%s/tmp", maildir_path(md));
	assert_int_equal(count_files(p), 0);
	free(p);
	maildir_batch_free(&b);
	maildir_close(md);
}

static void
test_discard_and_clean(void **state)
{
	struct maildir		*md;
	struct maildir_batch	 b = { 0 };
	char			*p, *stale;
	int			 fd;

	(void)state;
	md = open_folder("Junk");
	deliver(md, &b, 5, 0, "x");
	maildir_batch_discard(md, &b);
	p = xasprintf("%s/tmp", maildir_path(md));
	assert_int_equal(count_files(p), 0);

	/* one of ours from a dead process, one foreign fresh file */
	{
		char	host[256];

		gethostname(host, sizeof host);
		stale = xasprintf("%s/1700000000.M1P999999Q1.%s", p, host);
	}
	fd = open(stale, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	free(stale);
	stale = xasprintf("%s/1700000000.R123.other", p);
	fd = open(stale, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	free(stale);
	assert_int_equal(maildir_clean_tmp(md), 1);
	assert_int_equal(count_files(p), 1);
	free(p);
	maildir_batch_free(&b);
	maildir_close(md);
}

static void
test_flags_and_remove(void **state)
{
	struct maildir		*md;
	struct maildir_batch	 b = { 0 };
	struct mc_err		 err;
	char			*name, *p, *q, *renamed;

	(void)state;
	md = open_folder("Flags");
	deliver(md, &b, 10, 0, "ten");
	deliver(md, &b, 11, MDF_SEEN, "eleven");
	assert_int_equal(maildir_batch_commit(md, &b, &err), 0);

	/* new/ -> cur/ when a flag appears */
	name = xstrdup(b.items[0].final);
	assert_int_equal(maildir_set_flags(md, &name, 10, MDF_FLAGGED, &err),
	    0);
	assert_true(strncmp(name, "cur/", 4) == 0);
	assert_non_null(strstr(name, ",U=10:2,F"));
	/* unchanged: a no-op */
	p = xstrdup(name);
	assert_int_equal(maildir_set_flags(md, &name, 10, MDF_FLAGGED, &err),
	    0);
	assert_string_equal(p, name);
	free(p);
	free(name);

	/* a mail client renamed it and added P and a keyword: both kept */
	p = xasprintf("%s/%s", maildir_path(md), b.items[1].final);
	q = xstrdup(p);
	*strrchr(q, ':') = '\0';
	renamed = xasprintf("%s:2,PSa", q);
	assert_int_equal(rename(p, renamed), 0);
	name = xstrdup(b.items[1].final);	/* stale */
	assert_int_equal(maildir_set_flags(md, &name, 11,
	    MDF_SEEN | MDF_ANSWERED, &err), 0);
	assert_non_null(strstr(name, ",U=11:2,PRSa"));
	free(p);
	free(q);
	free(renamed);

	/* remove by stale name: found by uid */
	assert_int_equal(maildir_remove(md, b.items[1].final, 11, &err), 0);
	assert_null(maildir_find_uid(md, 11));
	/* already gone: fine */
	assert_int_equal(maildir_remove(md, name, 11, &err), 0);
	free(name);

	/* a uid that is nowhere */
	name = xstrdup("cur/nothing,U=99:2,");
	assert_int_equal(maildir_set_flags(md, &name, 99, MDF_SEEN, &err),
	    -1);
	assert_int_equal(err.kind, MCE_NOTFOUND);
	free(name);
	maildir_batch_free(&b);
	maildir_close(md);
}

static void
test_scan(void **state)
{
	struct maildir		*md;
	struct maildir_batch	 b = { 0 };
	struct maildir_entry	*v;
	struct mc_err		 err;
	size_t			 n;
	char			*p;
	int			 fd;

	(void)state;
	md = open_folder("Scan");
	deliver(md, &b, 30, MDF_SEEN, "a");
	deliver(md, &b, 3, 0, "bb");
	assert_int_equal(maildir_batch_commit(md, &b, &err), 0);
	/* a file delivered by someone else: no U=, not ours to adopt */
	p = xasprintf("%s/cur/123.foreign:2,S", maildir_path(md));
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	free(p);
	assert_int_equal(maildir_scan(md, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].uid, 3);
	assert_int_equal(v[0].flags, 0);
	assert_int_equal(v[0].disk, 2);
	assert_true(strncmp(v[0].name, "new/", 4) == 0);
	assert_int_equal(v[1].uid, 30);
	assert_int_equal(v[1].flags, MDF_SEEN);
	maildir_entries_free(v, n);
	maildir_batch_free(&b);
	maildir_close(md);
}

static void
test_move_aside(void **state)
{
	struct maildir		*md, *child;
	struct maildir_batch	 b = { 0 };
	struct mc_err		 err;
	char			*aside, *p;

	(void)state;
	md = open_folder("Aside");
	child = open_folder("Aside/Child");
	/* empty: nothing moved */
	assert_int_equal(maildir_move_aside(md, 7, &aside, &err), 0);
	assert_null(aside);

	deliver(md, &b, 1, MDF_SEEN, "one");
	deliver(md, &b, 2, 0, "two");
	assert_int_equal(maildir_batch_commit(md, &b, &err), 0);
	maildir_batch_reset(&b);
	deliver(child, &b, 1, 0, "child");
	assert_int_equal(maildir_batch_commit(child, &b, &err), 0);

	assert_int_equal(maildir_move_aside(md, 7, &aside, &err), 0);
	assert_non_null(aside);
	assert_non_null(strstr(aside, "/Aside.uidvalidity-7-"));
	p = xasprintf("%s/cur", aside);
	assert_int_equal(count_files(p), 1);
	free(p);
	p = xasprintf("%s/new", aside);
	assert_int_equal(count_files(p), 1);
	free(p);
	/* the folder is empty and usable, its child untouched */
	p = xasprintf("%s/cur", maildir_path(md));
	assert_int_equal(count_files(p), 0);
	free(p);
	p = xasprintf("%s/new", maildir_path(child));
	assert_int_equal(count_files(p), 1);
	free(p);
	maildir_batch_reset(&b);
	deliver(md, &b, 1, 0, "again");
	assert_int_equal(maildir_batch_commit(md, &b, &err), 0);
	free(aside);
	maildir_batch_free(&b);
	maildir_close(child);
	maildir_close(md);
}

static void
test_lock(void **state)
{
	struct mc_err	err;
	int		fd, fd2;

	(void)state;
	fd = maildir_lock_root(root, &err);
	assert_true(fd >= 0);
	fd2 = maildir_lock_root(root, &err);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(err.msg, "Another mailconn"));
	close(fd);
	fd2 = maildir_lock_root(root, &err);
	assert_true(fd2 >= 0);
	close(fd2);
}

static void
test_big_message(void **state)
{
	struct maildir		*md;
	struct maildir_batch	 b = { 0 };
	struct maildir_msg	*m;
	struct mc_err		 err;
	struct stat		 sb;
	char			*chunk, *p;
	size_t			 i;

	(void)state;
	md = open_folder("Big");
	chunk = xmalloc(65536);
	for (i = 0; i < 65536; i += 2) {
		chunk[i] = 'x';
		chunk[i + 1] = i % 128 == 126 ? '\n' : 'y';
	}
	assert_int_equal(maildir_msg_begin(md, &m, &err), 0);
	for (i = 0; i < 50 * 16; i++)		/* 50 MB */
		assert_int_equal(maildir_msg_write(m, chunk, 65536, &err), 0);
	assert_int_equal(maildir_msg_end(m, &b, 1, MDF_SEEN, 50 << 20, &err),
	    0);
	assert_int_equal(maildir_batch_commit(md, &b, &err), 0);
	p = xasprintf("%s/%s", maildir_path(md), b.items[0].final);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_size, 50 << 20);
	free(p);
	free(chunk);
	maildir_batch_free(&b);
	maildir_close(md);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_path),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_deliver),
		cmocka_unit_test(test_discard_and_clean),
		cmocka_unit_test(test_flags_and_remove),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_move_aside),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_big_message),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

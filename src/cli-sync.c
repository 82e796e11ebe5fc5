/*
 * cli-sync.c -- `mailconn sync`: the engine without a UI.  Contract in
 * cli-sync.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-sync.h"
#include "events.h"
#include "log.h"
#include "slots.h"

static int	 sig_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int	saved = errno;
	char	c = (char)sig;

	if (write(sig_pipe[1], &c, 1) == -1) {
		/* nothing to do: the pipe is full, a stop is pending */
	}
	errno = saved;
}

/* One line per folder on a terminal: rewritten while it runs. */
static void
show(const struct event *ev, int tty, int *open_line)
{
	switch (ev->type) {
	case EV_FOLDER_PROGRESS:
		if (!tty)
			break;
		if (ev->status == 0)
			fprintf(stderr, "\r\033[K%s/%s: %llu/%llu", ev->account,
			    ev->name, (unsigned long long)ev->n,
			    (unsigned long long)ev->total);
		else if (ev->status == 1)
			fprintf(stderr, "\r\033[K%s/%s: %llu message%s\n",
			    ev->account, ev->name, (unsigned long long)ev->n,
			    ev->n == 1 ? "" : "s");
		else
			fprintf(stderr, "\r\033[K%s/%s: %s\n", ev->account,
			    ev->name, ev->text != NULL ? ev->text : "failed");
		*open_line = ev->status == 0;
		break;
	case EV_POOL:
		if (!tty)
			break;
		fprintf(stderr, "%s%s: %llu of %llu connections: %s\n",
		    *open_line ? "\n" : "", ev->account,
		    (unsigned long long)ev->n, (unsigned long long)ev->total,
		    ev->text != NULL ? ev->text : "");
		*open_line = 0;
		break;
	default:
		break;
	}
	fflush(stderr);
}

int
cli_sync(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once",	no_argument,	NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		*cfg = NULL;
	struct account		*a, *only = NULL;
	struct certstore	*store = NULL;
	struct event_queue	*q;
	struct slots		*pools[64];
	const char		*names[64];
	struct slots_opts	 o;
	struct sigaction	 sa, old_int, old_term;
	struct pollfd		 pfd[2];
	struct event		*ev;
	struct mc_err		 err;
	int			 ch, once = 0, tty, npools = 0, stopped = 0;
	int			 i, rc = CLI_EXIT_OK, open_line = 0, stopping = 0;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			once = 1;
			break;
		default:
			return cli_usage("sync", "unknown option '%s'.",
			    argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		return cli_usage("sync", "one account at most.");
	if (argc == 1) {
		if (cli_load_account(cli, argv[0], 1, &cfg, &only) == -1)
			return CLI_EXIT_USAGE;
	} else {
		if (cli_load_config(cli, &cfg) == -1)
			return CLI_EXIT_USAGE;
		if (cfg->accounts == NULL) {
			cli_error("no account in %s; set one up with `mailconn "
			    "setup`.", cfg->path);
			config_free(cfg);
			return CLI_EXIT_USAGE;
		}
		for (a = cfg->accounts; a != NULL; a = a->next) {
			mc_err_clear(&err);
			if (account_validate(a, &err) == -1) {
				cli_error("%s: %s", cfg->path, err.msg);
				config_free(cfg);
				return CLI_EXIT_USAGE;
			}
		}
	}
	if (cli_open_certstore(&store) == -1) {
		config_free(cfg);
		return CLI_EXIT_FAIL;
	}
	tty = isatty(STDERR_FILENO);
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatalx("sync: pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	q = events_new();
	for (a = cfg->accounts; a != NULL; a = a->next) {
		if (only != NULL && a != only)
			continue;
		if (npools == (int)(sizeof pools / sizeof pools[0]))
			break;
		memset(&o, 0, sizeof o);
		o.account = a;
		cli_trust_ctx(&o.trust, store, a->name);
		o.events = q;
		o.once = once;
		mc_err_clear(&err);
		if (slots_start(&o, &pools[npools], &err) == -1) {
			cli_error("%s: %s", a->name, err.msg);
			rc = CLI_EXIT_FAIL;
			continue;
		}
		names[npools++] = a->name;
	}

	/* Until every pool stopped: by itself (--once, fatal) or a signal. */
	pfd[0].fd = sig_pipe[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = events_wake_fd(q);
	pfd[1].events = POLLIN;
	while (stopped < npools) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatalx("sync: poll: %s", strerror(errno));
		}
		if (pfd[0].revents & POLLIN) {
			char	buf[16];

			while (read(sig_pipe[0], buf, sizeof buf) > 0)
				;
			if (!stopping) {
				log_info("sync: signal: stopping");
				stopping = 1;
				for (i = 0; i < npools; i++)
					slots_stop(pools[i]);
			}
		}
		while ((ev = events_next(q)) != NULL) {
			if (ev->type == EV_ENGINE_STOPPED)
				stopped++;
			show(ev, tty, &open_line);
			event_free(ev);
		}
	}
	if (open_line)
		fputc('\n', stderr);
	for (i = 0; i < npools; i++) {
		mc_err_clear(&err);
		/* Stopped by a signal: quiet, but a --once pass that did not
		 * finish is still a failure. */
		if (slots_wait(pools[i], &err) == -1 &&
		    !(stopping && err.kind == MCE_CANCELLED && !once)) {
			cli_error("%s: %s", names[i], err.msg);
			rc = CLI_EXIT_FAIL;
		}
		slots_free(pools[i]);
	}
	events_shutdown(q);
	while ((ev = events_next(q)) != NULL)
		event_free(ev);
	events_free(q);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	certstore_free(store);
	config_free(cfg);
	return rc;
}

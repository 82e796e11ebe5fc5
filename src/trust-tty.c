/*
 * trust-tty.c -- the certificate question on the controlling terminal.
 *
 * For the command line (sync from a terminal, certs trust): the report and
 * the question go to /dev/tty, not stdout, so they reach the person even
 * when output is piped.  The dashboard asks through its own modal instead.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "certstore.h"

static void
tty_puts(int fd, const char *s)
{
	size_t	 len = strlen(s);
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

/* One line without its newline; -1 on EOF or error (nothing typed). */
static int
tty_gets(int fd, char *buf, size_t len)
{
	size_t	 n = 0;
	ssize_t	 r;
	char	 c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return n > 0 ? 0 : -1;
		if (c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

int
trust_tty_available(void)
{
	int	 fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return 0;
	close(fd);
	return 1;
}

enum trust_answer
trust_tty_prompt(const struct trust_request *req, void *arg)
{
	enum trust_answer	 ans;
	char			*report, line[64];
	int			 fd;

	(void)arg;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return TRUST_REJECT;
	report = cert_report_text(req);
	tty_puts(fd, "\n");
	tty_puts(fd, report);
	free(report);

	for (;;) {
		tty_puts(fd, "[r]eject, accept [o]nce, accept [a]lways? [r] ");
		if (tty_gets(fd, line, sizeof line) == -1) {
			tty_puts(fd, "\n");
			ans = TRUST_REJECT;
			break;
		}
		mc_trim(line);
		if (line[0] == '\0' || strcasecmp(line, "r") == 0 ||
		    strcasecmp(line, "reject") == 0) {
			ans = TRUST_REJECT;
			break;
		}
		if (strcasecmp(line, "o") == 0 ||
		    strcasecmp(line, "once") == 0) {
			ans = TRUST_ACCEPT_ONCE;
			break;
		}
		if (strcasecmp(line, "a") == 0 ||
		    strcasecmp(line, "always") == 0) {
			ans = TRUST_ACCEPT_ALWAYS;
			break;
		}
		tty_puts(fd, "Please answer r, o or a.\n");
	}

	/* A changed key: one deliberate extra step, as ssh makes you take. */
	if (ans != TRUST_REJECT && req->verdict == CERT_CHANGED) {
		tty_puts(fd, "The key CHANGED. Type yes to accept it anyway: ");
		if (tty_gets(fd, line, sizeof line) == -1 ||
		    strcmp(mc_trim(line), "yes") != 0) {
			tty_puts(fd, "Not accepted.\n");
			ans = TRUST_REJECT;
		}
	}
	if (ans == TRUST_REJECT)
		tty_puts(fd, "Rejected.\n");
	close(fd);
	return ans;
}

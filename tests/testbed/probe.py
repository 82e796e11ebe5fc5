#!/usr/bin/python3
"""probe.py -- small network probes for testbed.sh and the test scripts.

Python rather than bash + openssl s_client because one process can poll
several ports every 50 ms without forking a TLS client per attempt.

  probe.py freebase [--span N]          print a port base whose N ports are
                                        free on 127.0.0.1 and ::1
  probe.py checkbase BASE [--span N]   exit 1 (naming them) if any of the
                                        N ports from BASE is taken
  probe.py wait --deadline S SPEC...    wait until every SPEC greets; SPEC is
                                        imap:PORT imaps:PORT smtp:PORT
                                        smtps:PORT (host 127.0.0.1).  Exit 1
                                        naming the ports that never greeted.
  probe.py fingerprint PORT             SHA-256 (lowercase hex) of the leaf
                                        certificate PORT presents (implicit
                                        TLS, no verification)
  probe.py wait-fingerprint PORT FP --deadline S
                                        poll until PORT presents FP

"Ready" means the greeting arrived, not that connect() succeeded: Dovecot's
master listens before any login process exists (TESTBED trap D1).
"""

import hashlib
import random
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"
POLL = 0.05


def client_ctx():
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE
	return ctx


def greeting(kind, port, timeout=1.0):
	"""Return the first line the server sends, or None."""
	try:
		s = socket.create_connection((HOST, port), timeout)
	except OSError:
		return None
	try:
		s.settimeout(timeout)
		if kind in ("imaps", "smtps"):
			s = client_ctx().wrap_socket(s, server_hostname="localhost")
		buf = b""
		while b"\n" not in buf:
			d = s.recv(4096)
			if not d:
				return None
			buf += d
		return buf.split(b"\n", 1)[0].decode("utf-8", "replace")
	except (OSError, ssl.SSLError):
		return None
	finally:
		s.close()


def greeted(kind, line):
	if line is None:
		return False
	if kind.startswith("imap"):
		return line.startswith("* OK")
	return line.startswith("220")


def cmd_wait(args):
	deadline = 10.0
	specs = []
	i = 0
	while i < len(args):
		if args[i] == "--deadline":
			deadline = float(args[i + 1])
			i += 2
			continue
		kind, port = args[i].split(":")
		specs.append((kind, int(port)))
		i += 1
	end = time.monotonic() + deadline
	pending = list(specs)
	while pending:
		pending = [(k, p) for (k, p) in pending
		    if not greeted(k, greeting(k, p))]
		if not pending:
			break
		if time.monotonic() > end:
			sys.stderr.write("probe: no greeting within %gs from %s\n" %
			    (deadline, " ".join("%s:%d" % kp for kp in pending)))
			return 1
		time.sleep(POLL)
	return 0


def fingerprint(port, timeout=2.0):
	try:
		s = socket.create_connection((HOST, port), timeout)
	except OSError:
		return None
	try:
		s.settimeout(timeout)
		t = client_ctx().wrap_socket(s, server_hostname="localhost")
		der = t.getpeercert(binary_form=True)
		t.close()
		return hashlib.sha256(der).hexdigest()
	except (OSError, ssl.SSLError):
		s.close()
		return None


def cmd_fingerprint(args):
	fp = fingerprint(int(args[0]))
	if fp is None:
		sys.stderr.write("probe: no TLS certificate from port %s\n" % args[0])
		return 1
	print(fp)
	return 0


def cmd_wait_fingerprint(args):
	port, want = int(args[0]), args[1].lower().replace(":", "")
	deadline = 10.0
	if len(args) > 3 and args[2] == "--deadline":
		deadline = float(args[3])
	end = time.monotonic() + deadline
	while True:
		got = fingerprint(port)
		if got == want:
			return 0
		if time.monotonic() > end:
			sys.stderr.write("probe: port %d still presents %s, not %s\n" %
			    (port, got, want))
			return 1
		time.sleep(POLL)


def bindable(port):
	for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
		s = socket.socket(fam, socket.SOCK_STREAM)
		# As the servers do: TIME_WAIT leftovers of our own probes must
		# not count as "in use", a listener still does.
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		try:
			s.bind((addr, port))
		except OSError:
			return False
		finally:
			s.close()
	return True


def cmd_freebase(args):
	span = 10
	if args[:1] == ["--span"]:
		span = int(args[1])
	# Below the ephemeral range (32768+), so the port-0 fake servers and
	# outgoing connections cannot take our ports between the test and use.
	rnd = random.SystemRandom()
	for _ in range(200):
		base = rnd.randrange(20000, 32700 - span, 10)
		if all(bindable(base + i) for i in range(span)):
			print(base)
			return 0
	sys.stderr.write("probe: no free port range found\n")
	return 1


def cmd_checkbase(args):
	base, span = int(args[0]), 10
	if args[1:2] == ["--span"]:
		span = int(args[2])
	busy = [base + i for i in range(span) if not bindable(base + i)]
	if busy:
		sys.stderr.write("probe: ports in use: %s\n" %
		    " ".join(map(str, busy)))
		return 1
	return 0


def main(argv):
	if len(argv) < 2:
		sys.stderr.write(__doc__)
		return 2
	cmds = {
		"wait": cmd_wait,
		"fingerprint": cmd_fingerprint,
		"wait-fingerprint": cmd_wait_fingerprint,
		"freebase": cmd_freebase,
		"checkbase": cmd_checkbase,
	}
	fn = cmds.get(argv[1])
	if fn is None:
		sys.stderr.write(__doc__)
		return 2
	return fn(argv[2:])


if __name__ == "__main__":
	sys.exit(main(sys.argv))

#!/usr/bin/python3
"""filtered.py PORTFILE -- a local port that behaves like a filtered one.

Listens on 127.0.0.1 with the smallest backlog, never accepts, and fills
the accept queue itself: the kernel then drops further SYNs, so a client's
connect() times out exactly as behind a firewall that drops packets (not a
refusal).  Writes the port to PORTFILE (via a rename) and waits to be
killed.  stdlib only; run with /usr/bin/python3.
"""
import os
import socket
import sys
import time

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.bind(("127.0.0.1", 0))
lsock.listen(0)
port = lsock.getsockname()[1]
held = []
for _ in range(3):
	c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	c.setblocking(False)
	try:
		c.connect(("127.0.0.1", port))
	except BlockingIOError:
		pass
	held.append(c)
# The queue is full once the handshakes above completed; check by trying.
probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
probe.settimeout(0.2)
deadline = time.time() + 5
while time.time() < deadline:
	try:
		probe.connect(("127.0.0.1", port))
	except socket.timeout:
		break
	except OSError:
		pass
	held.append(probe)
	probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	probe.settimeout(0.2)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
	f.write(str(port))
os.rename(tmp, sys.argv[1])
while True:
	time.sleep(60)

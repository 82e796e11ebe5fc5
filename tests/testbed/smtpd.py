#!/usr/bin/python3
"""smtpd.py -- the test bed's real SMTP server (aiosmtpd, TESTBED 3.1).

  smtpd.py --cert C --key K --submission PORT --smtps PORT --spool DIR
           --users FILE [--log FILE]

Two listeners, each on 127.0.0.1 and ::1:
  submission  STARTTLS; require_starttls, auth_required, auth_require_tls:
              no AUTH is offered and no MAIL accepted before TLS.
  smtps       implicit TLS; auth_required.  auth_require_tls is False there
              because aiosmtpd 1.4.3 does not count implicit TLS as TLS and
              would otherwise never offer AUTH (the session IS encrypted).
AUTH PLAIN and LOGIN; only the login/password pairs in --users (lines
"login<TAB>password") succeed.  SIZE 10485760 is announced and enforced.

Each accepted message becomes SPOOL/NNNN.json (mail_from, rcpt_tos,
mail_options, rcpt_options, auth login, tls, port, size) and SPOOL/NNNN.eml
(the bytes as received), both written to a temporary name and renamed, the
.eml last: a test that polls for NNNN.eml never sees half a message and
always finds its .json.

Deliberate recipient failures, so send paths can be tested on a real server:
  reject*@...    550 5.1.1 at RCPT (permanent)
  tempfail*@...  451 4.3.0 at RCPT (temporary)

--log gets one line per connection event (auth ok/failed with the login,
never the password).  Prints READY once both listeners accept, then runs
until SIGTERM/SIGINT.
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SIZE_LIMIT = 10 * 1024 * 1024


class Spool:
	def __init__(self, path, logpath):
		self.path = path
		self.lock = threading.Lock()
		self.n = 0
		self.logf = open(logpath, "a") if logpath else None
		os.makedirs(path, exist_ok=True)
		# A restart into the same DIR continues the numbering.
		for name in os.listdir(path):
			stem = name.split(".")[0]
			if stem.isdigit():
				self.n = max(self.n, int(stem))

	def log(self, msg):
		if self.logf:
			with self.lock:
				self.logf.write("%.3f %s\n" % (time.time(), msg))
				self.logf.flush()

	def next_id(self):
		with self.lock:
			self.n += 1
			return "%04d" % self.n

	def put(self, name, data):
		tmp = os.path.join(self.path, ".tmp-" + name)
		with open(tmp, "wb") as f:
			f.write(data)
		os.rename(tmp, os.path.join(self.path, name))


def is_tls(server, session):
	if getattr(session, "ssl", None):
		return True
	t = getattr(server, "transport", None)
	return bool(t and t.get_extra_info("ssl_object"))


class Handler:
	def __init__(self, spool, port):
		self.spool = spool
		self.port = port

	async def handle_RCPT(self, server, session, envelope, address,
	    rcpt_options):
		local = address.split("@", 1)[0].lower()
		if local.startswith("reject"):
			return "550 5.1.1 <%s>: recipient rejected (test bed)" % address
		if local.startswith("tempfail"):
			return "451 4.3.0 <%s>: try again later (test bed)" % address
		envelope.rcpt_tos.append(address)
		envelope.rcpt_options.extend(rcpt_options)
		return "250 OK"

	async def handle_DATA(self, server, session, envelope):
		sid = self.spool.next_id()
		data = envelope.original_content or b""
		meta = {
			"id": sid,
			"mail_from": envelope.mail_from,
			"mail_options": envelope.mail_options,
			"rcpt_tos": envelope.rcpt_tos,
			"rcpt_options": envelope.rcpt_options,
			"auth": session.auth_data if isinstance(session.auth_data,
			    str) else None,
			"tls": is_tls(server, session),
			"port": self.port,
			"size": len(data),
			"peer": list(session.peer)[:2] if session.peer else None,
		}
		self.spool.put(sid + ".json",
		    (json.dumps(meta, indent=1) + "\n").encode())
		self.spool.put(sid + ".eml", data)
		self.spool.log("port %d queued %s from %s to %s" % (self.port, sid,
		    envelope.mail_from, ",".join(envelope.rcpt_tos)))
		return "250 OK queued as %s" % sid


def make_authenticator(users, spool):
	def authenticate(server, session, envelope, mechanism, auth_data):
		if not isinstance(auth_data, LoginPassword):
			return AuthResult(success=False, handled=False)
		login = auth_data.login.decode("utf-8", "replace")
		pw = auth_data.password.decode("utf-8", "replace")
		ok = users.get(login) == pw
		spool.log("auth %s %s %s tls=%s" % (mechanism,
		    "ok" if ok else "failed", login, is_tls(server, session)))
		if not ok:
			return AuthResult(success=False, handled=False)
		return AuthResult(success=True, auth_data=login)
	return authenticate


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--cert", required=True)
	ap.add_argument("--key", required=True)
	ap.add_argument("--submission", type=int, required=True)
	ap.add_argument("--smtps", type=int, required=True)
	ap.add_argument("--spool", required=True)
	ap.add_argument("--users", required=True)
	ap.add_argument("--log")
	ap.add_argument("--hosts", default="127.0.0.1,::1")
	a = ap.parse_args()

	users = {}
	with open(a.users, encoding="utf-8") as f:
		for line in f:
			line = line.rstrip("\n")
			if "\t" in line:
				u, p = line.split("\t", 1)
				users[u] = p

	ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
	ctx.load_cert_chain(a.cert, a.key)
	spool = Spool(a.spool, a.log)
	auth = make_authenticator(users, spool)
	common = dict(server_hostname="localhost", auth_required=True,
	    authenticator=auth, data_size_limit=SIZE_LIMIT, ready_timeout=10)

	controllers = []
	for host in a.hosts.split(","):
		controllers.append(Controller(Handler(spool, a.submission),
		    hostname=host, port=a.submission, tls_context=ctx,
		    require_starttls=True, auth_require_tls=True, **common))
		controllers.append(Controller(Handler(spool, a.smtps),
		    hostname=host, port=a.smtps, ssl_context=ctx,
		    auth_require_tls=False, **common))

	stop = threading.Event()
	signal.signal(signal.SIGTERM, lambda *_: stop.set())
	signal.signal(signal.SIGINT, lambda *_: stop.set())
	try:
		for c in controllers:
			c.start()
	except Exception as e:
		sys.stderr.write("smtpd: cannot start: %s\n" % e)
		for c in controllers:
			try:
				c.stop()
			except Exception:
				pass
		return 1
	print("READY", flush=True)
	while not stop.wait(3600):
		pass
	for c in controllers:
		try:
			c.stop()
		except Exception:
			pass
	return 0


if __name__ == "__main__":
	sys.exit(main())

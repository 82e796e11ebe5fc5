#!/usr/bin/python3
"""fakeserver.py -- IMAP and SMTP servers that misbehave on purpose.

  fakeserver.py SCENARIO --portfile F --log L [--cert C --key K]

Only for what the real servers of the test bed cannot be made to do:
Dovecot on loopback never refuses plaintext login (TESTBED D4), never
injects bytes after STARTTLS, never stalls, and is not Courier.

Listens on 127.0.0.1 on a free port, writes the port number to F (written to
F.tmp and renamed, so a reader never sees half a number), serves any number
of connections (a thread each) until killed.  L gets every line a client
sent, raw, prefixed with the connection number: "3> a1 LOGIN ann pw".
IMAP literals are logged as their own "3> " line.  Events the server itself
notes use "#": "3# connect", "3# tls ok TLSv1.3", "3# tls failed: ...",
"3# close".  A test asserts on L that no LOGIN/AUTH/password ever arrived.

--cert/--key: the certificate for implicit TLS and for STARTTLS upgrades.

Scenarios (IMAP)
  imap-no-starttls      plaintext; capabilities never include STARTTLS
                        (STARTTLS gets BAD).  LOGIN would be accepted: a client
                        that sends it has leaked the password.
  imap-starttls-no      STARTTLS advertised, answered "NO"; LOGIN accepted.
  imap-starttls-inject  STARTTLS answered with "TAG OK Begin TLS\\r\\n* CAPABILITY
                        IMAP4rev1 AUTH=PLAIN\\r\\n" in ONE segment (response
                        injection, CVE-2020-15953 style); if the client still
                        handshakes (needs --cert), serves it over TLS.
  imap-preauth-plain    "* PREAUTH" greeting on plaintext: authenticated without
                        any credential; STARTTLS then gets BAD (RFC 3501 allows
                        it only before authentication).
  imap-logindisabled    plaintext greeting "IMAP4rev1 STARTTLS LOGINDISABLED";
                        LOGIN/AUTHENTICATE before TLS: "NO [PRIVACYREQUIRED]".
                        STARTTLS works (needs --cert); after it LOGINDISABLED
                        is gone, AUTH=PLAIN appears and LOGIN succeeds.
  imap-courier          implicit TLS; Courier-IMAP 5.0.13 as captured in
                        TESTBED 7: greeting, CAPABILITY lists, pre-login ID
                        refused, "OK LOGIN Ok." with no CAPABILITY code,
                        NAMESPACE "INBOX.", LIST/SELECT/ID/LOGOUT texts.  Any
                        user; any password except one starting "wrong".
  imap-limit3           implicit TLS; at most 3 authenticated connections at
                        once (all users together).  The 4th is refused with an
                        untagged "* BYE Too many connections (limit 3)" and the
                        connection is closed: instead of the greeting when 3
                        are logged in at connect time, else as the answer to
                        LOGIN (no tagged reply).  BYE rather than
                        "NO [LIMIT]" because real Dovecot already does the
                        latter (testbed.sh set-max-conn).  Logs
                        "N# auth ok active=K" / "N# limit active=3".
  imap-stall            accepts TCP, never sends a byte (logs what arrives).
  imap-stall-tls        completes the TLS handshake (needs --cert), then
                        silence.
  imap-drop             "* OK" greeting without capabilities; the first
                        command gets half a response ("* CAPABILITY IMAP4rev1
                        AUTH=PL", no CRLF) and the connection is closed.
                        Implicit TLS when --cert is given, else plaintext.
Scenarios (SMTP)
  smtp-no-starttls      EHLO without STARTTLS but with AUTH PLAIN LOGIN offered
                        in plaintext; AUTH, MAIL, RCPT, DATA all succeed.
  smtp-starttls-inject  STARTTLS answered with "220 go\\r\\n250-x\\r\\n" in ONE
                        segment; if the client still handshakes (needs --cert),
                        serves it over TLS like smtp-no-starttls.
  smtp-stall            accepts TCP, never sends a byte.

Post-login IMAP (every scenario that lets a client in) serves a tiny
in-memory store shared by all connections: INBOX (3 messages), Sent (1),
Drafts, Trash, Archive (1), or the Courier names INBOX.Sent etc.  Enough for
LIST, LSUB, STATUS, SELECT/EXAMINE, FETCH (UID FLAGS RFC822.SIZE INTERNALDATE
ENVELOPE BODY[...] BODY.PEEK[...] RFC822* BODYSTRUCTURE), SEARCH (ALL, SEEN,
UNSEEN, UID set, set), STORE, EXPUNGE, APPEND, IDLE, NOOP, CLOSE, LOGOUT.
No CONDSTORE/QRESYNC/MOVE/COMPRESS is advertised.

stdlib only, /usr/bin/python3.
"""

import argparse
import base64
import email.utils
import os
import platform
import re
import socket
import ssl
import sys
import threading
import traceback


# ---- infrastructure --------------------------------------------------------

class Log:
	def __init__(self, path):
		self.f = open(path, "ab", buffering=0)
		self.lock = threading.Lock()

	def line(self, n, mark, data):
		if isinstance(data, str):
			data = data.encode("utf-8", "replace")
		with self.lock:
			self.f.write(b"%d%s %s\n" % (n, mark, data))


class Closed(Exception):
	"""The client went away (or we hung up on purpose)."""


class Conn:
	"""One client connection: line reading with logging, TLS upgrades."""

	def __init__(self, srv, sock, n):
		self.srv = srv
		self.sock = sock
		self.n = n
		self.buf = b""
		self.tls = False

	def event(self, text):
		self.srv.log.line(self.n, b"#", text)

	def send(self, data):
		if isinstance(data, str):
			data = data.encode("utf-8")
		try:
			self.sock.sendall(data)
		except OSError as e:
			raise Closed(str(e))

	def _fill(self):
		try:
			d = self.sock.recv(65536)
		except (OSError, ssl.SSLError) as e:
			raise Closed(str(e))
		if not d:
			raise Closed("eof")
		self.buf += d

	def readline(self):
		"""A line without its CRLF; logged."""
		while b"\n" not in self.buf:
			if len(self.buf) > 1 << 20:
				raise Closed("line too long")
			self._fill()
		line, self.buf = self.buf.split(b"\n", 1)
		line = line.rstrip(b"\r")
		self.srv.log.line(self.n, b">", line)
		return line

	def read_exact(self, count):
		while len(self.buf) < count:
			self._fill()
		data, self.buf = self.buf[:count], self.buf[count:]
		self.srv.log.line(self.n, b">", data)
		return data

	def start_tls(self):
		"""Server-side handshake on the current socket.  True on success."""
		if self.srv.ctx is None:
			self.event("tls impossible: no --cert/--key")
			return False
		if self.buf:
			# A client that pipelines after STARTTLS is itself injectable.
			self.event("discarding %d plaintext bytes sent before the "
			    "handshake" % len(self.buf))
			self.buf = b""
		try:
			self.sock.settimeout(10)
			self.sock = self.srv.ctx.wrap_socket(self.sock, server_side=True)
			self.sock.settimeout(None)
		except (OSError, ssl.SSLError) as e:
			self.event("tls failed: %s" % e)
			return False
		self.tls = True
		self.event("tls ok %s" % self.sock.version())
		return True

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass


class Server:
	def __init__(self, scenario, log, ctx):
		self.scenario = scenario
		self.log = log
		self.ctx = ctx
		self.lock = threading.Lock()
		self.nconn = 0
		self.active_auth = 0		# imap-limit3
		self.store = None		# lazily, per scenario

	def serve(self, lsock):
		while True:
			sock, _ = lsock.accept()
			with self.lock:
				self.nconn += 1
				n = self.nconn
			t = threading.Thread(target=self.run, args=(sock, n), daemon=True)
			t.start()

	def run(self, sock, n):
		c = Conn(self, sock, n)
		c.event("connect")
		try:
			SCENARIOS[self.scenario](c)
		except Closed as e:
			c.event("close (%s)" % e)
		except Exception as e:		# a bug here must not kill the server
			c.event("error %r" % e)
			traceback.print_exc()
		else:
			c.event("close")
		finally:
			c.close()


# ---- IMAP parsing ----------------------------------------------------------

LITERAL = re.compile(rb"\{(\d+)(\+?)\}$")


def read_imap_command(c):
	"""Read one command with its literals; return a token list."""
	pieces = []
	line = c.readline()
	while True:
		m = LITERAL.search(line)
		if not m:
			pieces.append((False, line))
			break
		pieces.append((False, line[:m.start()]))
		if not m.group(2):
			c.send("+ Ready for literal data\r\n")
		pieces.append((True, c.read_exact(int(m.group(1)))))
		line = c.readline()
	return tokenize(pieces)


def tokenize(pieces):
	"""IMAP arguments to nested lists of str.  Brackets stay in the atom:
	BODY.PEEK[HEADER.FIELDS (FROM)]<0.10> is one token."""
	root = []
	stack = [root]
	for is_lit, data in pieces:
		if is_lit:
			stack[-1].append(data.decode("utf-8", "surrogateescape"))
			continue
		s = data.decode("utf-8", "surrogateescape")
		i = 0
		while i < len(s):
			ch = s[i]
			if ch == " ":
				i += 1
			elif ch == "(":
				new = []
				stack[-1].append(new)
				stack.append(new)
				i += 1
			elif ch == ")":
				if len(stack) > 1:
					stack.pop()
				i += 1
			elif ch == '"':
				i += 1
				out = []
				while i < len(s) and s[i] != '"':
					if s[i] == "\\" and i + 1 < len(s):
						i += 1
					out.append(s[i])
					i += 1
				i += 1
				stack[-1].append("".join(out))
			else:
				j = i
				depth = 0
				while j < len(s):
					if s[j] == "[":
						depth += 1
					elif s[j] == "]":
						depth -= 1
					elif depth == 0 and s[j] in " ()":
						break
					j += 1
				stack[-1].append(s[i:j])
				i = j
	return root


def quote(s):
	if s is None:
		return "NIL"
	if any(ch in s for ch in "\r\n") or any(ord(ch) > 126 for ch in s):
		b = s.encode("utf-8", "surrogateescape")
		return "{%d}\r\n%s" % (len(b), s)
	return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def parse_set(spec, maxval):
	"""IMAP sequence set to a set of ints ('*' = maxval)."""
	out = set()
	for part in spec.split(","):
		if ":" in part:
			a, b = part.split(":", 1)
			a = maxval if a == "*" else int(a)
			b = maxval if b == "*" else int(b)
			lo, hi = min(a, b), max(a, b)
			out.update(range(lo, hi + 1))
		elif part == "*":
			out.add(maxval)
		else:
			out.add(int(part))
	return out


def is_set(tok):
	return isinstance(tok, str) and re.fullmatch(r"[0-9*:,]+", tok)


# ---- the little message store ----------------------------------------------

def make_msg(i, folder, subject, seen):
	body = ("From: Alice Martin <alice@example.org>\r\n"
	    "To: ann@example.test\r\n"
	    "Subject: %s\r\n"
	    "Date: Mon, 01 Jan 2024 %02d:00:00 +0000\r\n"
	    "Message-ID: <fake.%s.%d@example.test>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "Fake server message %d in %s.\r\n" % (subject, i, folder, i, i, folder))
	return {"flags": {"\\Seen"} if seen else set(),
	    "date": "01-Jan-2024 %02d:00:00 +0000" % i,
	    "data": body.encode()}


class Folder:
	def __init__(self, name, attrs, msgs):
		self.name = name
		self.attrs = attrs
		self.uidvalidity = 1700000000
		self.msgs = []
		self.uidnext = 1
		for m in msgs:
			self.add(m)

	def add(self, m):
		m["uid"] = self.uidnext
		self.uidnext += 1
		self.msgs.append(m)
		return m["uid"]


def new_store(courier):
	if courier:
		names = [("INBOX", "\\Unmarked \\HasNoChildren"),
		    ("INBOX.Sent", "\\HasNoChildren"),
		    ("INBOX.Drafts", "\\HasNoChildren"),
		    ("INBOX.Trash", "\\HasNoChildren"),
		    ("INBOX.Archive", "\\HasNoChildren")]
	else:
		names = [("INBOX", "\\HasNoChildren"),
		    ("Sent", "\\HasNoChildren \\Sent"),
		    ("Drafts", "\\HasNoChildren \\Drafts"),
		    ("Trash", "\\HasNoChildren \\Trash"),
		    ("Archive", "\\HasNoChildren")]
	counts = {"INBOX": 3, "Sent": 1, "Archive": 1}
	store = {}
	for name, attrs in names:
		short = name.split(".")[-1] if courier else name
		msgs = [make_msg(i, short, "Fake %s message %d" % (short, i), i == 1)
		    for i in range(1, counts.get(short, 0) + 1)]
		store[name] = Folder(name, attrs, msgs)
	return store


def header_block(data):
	return data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


def header_fields(data, names, negate=False):
	names = {n.upper() for n in names}
	out, keep = [], False
	for line in header_block(data).split(b"\r\n")[:-2]:
		if line[:1] in (b" ", b"\t"):
			if keep:
				out.append(line)
			continue
		name = line.split(b":", 1)[0].decode("ascii", "replace").upper()
		keep = (name in names) != negate
		if keep:
			out.append(line)
	return b"\r\n".join(out) + (b"\r\n" if out else b"") + b"\r\n"


def envelope(data):
	msg = email.message_from_bytes(header_block(data))

	def addrs(field):
		vals = msg.get_all(field)
		if not vals:
			return "NIL"
		out = []
		for name, addr in email.utils.getaddresses(vals):
			local, _, host = addr.partition("@")
			out.append("(%s NIL %s %s)" % (quote(name) if name else "NIL",
			    quote(local), quote(host)))
		return "(" + "".join(out) + ")"
	frm = addrs("From")
	return "(%s %s %s %s %s %s %s %s %s %s)" % (
	    quote(msg.get("Date")), quote(msg.get("Subject")), frm,
	    addrs("Sender") if msg.get("Sender") else frm,
	    addrs("Reply-To") if msg.get("Reply-To") else frm,
	    addrs("To"), addrs("Cc"), addrs("Bcc"),
	    quote(msg.get("In-Reply-To")), quote(msg.get("Message-ID")))


def body_structure(data, ext):
	text = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
	s = '("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "7BIT" %d %d' % (
	    len(text), text.count(b"\n"))
	return s + (" NIL NIL NIL NIL)" if ext else ")")


# ---- IMAP session ----------------------------------------------------------

GENERIC_AUTH_CAPS = ("IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UIDPLUS "
    "SPECIAL-USE CHILDREN UNSELECT")

COURIER_GREETING = ("* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE "
    "THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE AUTH=PLAIN ID "
    "ENABLE UTF8=ACCEPT] Courier-IMAP ready. Copyright 1998-2019 Double "
    "Precision, Inc.  See COPYING for distribution information.")
COURIER_TLS_CAPS = ("IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT "
    "THREAD=REFERENCES SORT QUOTA IDLE AUTH=PLAIN ID ENABLE UTF8=ACCEPT")
COURIER_AUTH_CAPS = ("IMAP4rev1 UIDPLUS CHILDREN NAMESPACE "
    "THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION "
    "ID ENABLE UTF8=ACCEPT")


class Imap:
	"""A deliberately small IMAP server; `p` (a dict) sets the misbehaviour.

	p keys: caps_plain, caps_tls, caps_auth (capability strings);
	starttls: None (not offered: BAD) | "ok" | "no" | "inject";
	login_plain_refused: LOGIN before TLS gets NO [PRIVACYREQUIRED];
	courier: Courier texts; limit: max authenticated connections (0: none);
	login_caps_code: LOGIN OK carries [CAPABILITY ...].
	"""

	def __init__(self, c, p):
		self.c = c
		self.p = p
		self.auth = False
		self.counted = False
		self.sel = None
		self.readonly = False
		srv = c.srv
		with srv.lock:
			if srv.store is None:
				srv.store = new_store(p.get("courier", False))
		self.store = srv.store
		self.sep = "." if p.get("courier") else "/"

	def caps(self):
		if self.auth:
			return self.p["caps_auth"]
		return self.p["caps_tls"] if self.c.tls else self.p["caps_plain"]

	def ok(self, tag, text):
		self.c.send("%s OK %s\r\n" % (tag, text))

	def run(self, greeting):
		self.c.send(greeting + "\r\n")
		try:
			while True:
				toks = read_imap_command(self.c)
				if len(toks) < 2 or not isinstance(toks[1], str):
					self.c.send("* BAD Invalid command\r\n")
					continue
				tag, cmd, args = toks[0], toks[1].upper(), toks[2:]
				if not self.dispatch(tag, cmd, args):
					return
		finally:
			self.release()

	def release(self):
		if self.counted:
			with self.c.srv.lock:
				self.c.srv.active_auth -= 1
			self.counted = False

	# Returns False when the connection must end.
	def dispatch(self, tag, cmd, args):
		c, p = self.c, self.p
		if cmd == "CAPABILITY":
			c.send("* CAPABILITY %s\r\n" % self.caps())
			self.ok(tag, "Pre-login capabilities listed, post-login capabilities have more."
			    if not self.auth and not p.get("courier") else "CAPABILITY completed")
			return True
		if cmd == "NOOP" or cmd == "CHECK":
			self.ok(tag, "NOOP completed")
			return True
		if cmd == "LOGOUT":
			self.release()		# before the OK: the slot is free now
			c.send("* BYE %s\r\n" % ("Courier-IMAP server shutting down"
			    if p.get("courier") else "Logging out"))
			self.ok(tag, "LOGOUT completed")
			return False
		if cmd == "ID":
			return self.cmd_id(tag)
		if cmd == "STARTTLS":
			return self.cmd_starttls(tag)
		if cmd == "LOGIN":
			if len(args) < 2:
				c.send("%s BAD Missing arguments\r\n" % tag)
				return True
			return self.login(tag, args[0], args[1])
		if cmd == "AUTHENTICATE":
			return self.cmd_authenticate(tag, args)
		if cmd == "ENABLE":
			c.send("* ENABLED\r\n")
			self.ok(tag, "ENABLE completed")
			return True
		if not self.auth:
			c.send("%s NO Not authenticated\r\n" % tag)
			return True
		return self.mailbox_cmd(tag, cmd, args)

	def cmd_id(self, tag):
		c = self.c
		if self.p.get("courier"):
			if not self.auth:
				c.send("%s NO Error in IMAP command received by server.\r\n" % tag)
				return True
			c.send('* ID ("name" "Courier-IMAP" "version" "1.0.16 (Courier-IMAP '
			    '5.0.13)" "os" "Linux" "os-version" "%s" "vendor" "Double '
			    'Precision, Inc.")\r\n' % platform.release())
		else:
			c.send('* ID ("name" "mailconn-fakeserver" "scenario" "%s")\r\n'
			    % c.srv.scenario)
		self.ok(tag, "ID completed")
		return True

	def cmd_starttls(self, tag):
		c, mode = self.c, self.p.get("starttls")
		if mode is None or c.tls or self.auth:
			c.send("%s BAD STARTTLS not available here\r\n" % tag)
			return True
		if mode == "no":
			c.send("%s NO STARTTLS is not available right now\r\n" % tag)
			return True
		if mode == "inject":
			# One send() call: the injected line arrives in the same
			# segment as the OK, before any TLS.
			c.send("%s OK Begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"
			    % tag)
		else:
			c.send("%s OK Begin TLS negotiation now\r\n" % tag)
		if not c.start_tls():
			raise Closed("no TLS after STARTTLS")
		return True

	def cmd_authenticate(self, tag, args):
		c = self.c
		if not args or args[0].upper() != "PLAIN":
			c.send("%s NO Unsupported authentication mechanism\r\n" % tag)
			return True
		if self.p.get("login_plain_refused") and not c.tls:
			c.send("%s NO [PRIVACYREQUIRED] Plaintext authentication "
			    "disallowed on non-secure connections\r\n" % tag)
			return True
		if len(args) > 1:
			resp = args[1]
		else:
			c.send("+ \r\n")
			resp = c.readline().decode("ascii", "replace")
		if resp == "*":
			c.send("%s BAD Authentication aborted\r\n" % tag)
			return True
		try:
			parts = base64.b64decode(resp).split(b"\0")
			user, pw = parts[1].decode(), parts[2].decode()
		except Exception:
			c.send("%s BAD Invalid base64 data\r\n" % tag)
			return True
		return self.login(tag, user, pw)

	def login(self, tag, user, pw):
		c, p = self.c, self.p
		if self.auth:
			c.send("%s BAD Already logged in\r\n" % tag)
			return True
		if p.get("login_plain_refused") and not c.tls:
			c.send("%s NO [PRIVACYREQUIRED] Plaintext authentication "
			    "disallowed on non-secure connections\r\n" % tag)
			return True
		if p.get("courier") and (not pw or pw.startswith("wrong")):
			c.send("%s NO Login failed.\r\n" % tag)
			return True
		limit = p.get("limit", 0)
		if limit:
			srv = c.srv
			with srv.lock:
				full = srv.active_auth >= limit
				if not full:
					srv.active_auth += 1
					self.counted = True
				active = srv.active_auth
			if full:
				c.event("limit active=%d" % active)
				c.send("* BYE Too many connections (limit %d)\r\n" % limit)
				return False
			c.event("auth ok active=%d" % active)
		self.auth = True
		if p.get("courier"):
			self.ok(tag, "LOGIN Ok.")
		else:
			self.ok(tag, "[CAPABILITY %s] Logged in" % self.caps())
		return True

	# -- authenticated state --
	def folder(self, name):
		if name.upper() == "INBOX":
			name = "INBOX"
		return self.store.get(name)

	def mailbox_cmd(self, tag, cmd, args):
		c = self.c
		if cmd == "NAMESPACE":
			if self.p.get("courier"):
				c.send('* NAMESPACE (("INBOX." ".")) NIL (("#shared." ".")'
				    '("shared." "."))\r\n')
			else:
				c.send('* NAMESPACE (("" "/")) NIL NIL\r\n')
			self.ok(tag, "NAMESPACE completed")
		elif cmd in ("LIST", "LSUB"):
			self.cmd_list(tag, cmd, args)
		elif cmd == "STATUS":
			self.cmd_status(tag, args)
		elif cmd in ("SELECT", "EXAMINE"):
			self.cmd_select(tag, cmd, args)
		elif cmd == "APPEND":
			self.cmd_append(tag, args)
		elif cmd == "IDLE":
			c.send("+ idling\r\n")
			while c.readline().upper() != b"DONE":
				pass
			self.ok(tag, "IDLE terminated")
		elif cmd in ("CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "RENAME"):
			self.ok(tag, "%s completed" % cmd)
		elif self.sel is None:
			c.send("%s BAD No mailbox selected\r\n" % tag)
		elif cmd in ("CLOSE", "UNSELECT"):
			if cmd == "CLOSE" and not self.readonly:
				self.expunge(send=False)
			self.sel = None
			self.ok(tag, "%s completed" % cmd)
		elif cmd == "EXPUNGE":
			self.expunge(send=True)
			self.ok(tag, "EXPUNGE completed")
		elif cmd == "UID" and args:
			sub = args[0].upper()
			self.msg_cmd(tag, sub, args[1:], True)
		elif cmd in ("FETCH", "STORE", "SEARCH", "COPY"):
			self.msg_cmd(tag, cmd, args, False)
		else:
			c.send("%s BAD Unknown command\r\n" % tag)
		return True

	def cmd_list(self, tag, cmd, args):
		c = self.c
		pattern = args[1] if len(args) > 1 and isinstance(args[1], str) else "*"
		if pattern == "":
			c.send('* %s (\\Noselect) "%s" ""\r\n' % (cmd, self.sep))
		else:
			for f in self.store.values():
				c.send('* %s (%s) "%s" %s\r\n' % (cmd, f.attrs, self.sep,
				    quote(f.name)))
		self.ok(tag, "%s completed" % cmd)

	def cmd_status(self, tag, args):
		c = self.c
		f = self.folder(args[0]) if args else None
		if f is None:
			c.send("%s NO Mailbox doesn't exist\r\n" % tag)
			return
		items = args[1] if len(args) > 1 and isinstance(args[1], list) else []
		vals = {"MESSAGES": len(f.msgs), "UIDNEXT": f.uidnext,
		    "UIDVALIDITY": f.uidvalidity, "RECENT": 0,
		    "UNSEEN": sum(1 for m in f.msgs if "\\Seen" not in m["flags"])}
		out = ["%s %d" % (i.upper(), vals[i.upper()]) for i in items
		    if i.upper() in vals]
		c.send("* STATUS %s (%s)\r\n" % (quote(f.name), " ".join(out)))
		self.ok(tag, "STATUS completed")

	def cmd_select(self, tag, cmd, args):
		c = self.c
		f = self.folder(args[0]) if args else None
		if f is None:
			self.sel = None
			c.send("%s NO Mailbox doesn't exist\r\n" % tag)
			return
		self.sel = f
		self.readonly = cmd == "EXAMINE"
		unseen = [i + 1 for i, m in enumerate(f.msgs)
		    if "\\Seen" not in m["flags"]]
		c.send("* FLAGS (\\Draft \\Answered \\Flagged \\Deleted \\Seen "
		    "\\Recent)\r\n")
		c.send("* OK [PERMANENTFLAGS (\\* \\Draft \\Answered \\Flagged "
		    "\\Deleted \\Seen)] Limited\r\n")
		c.send("* %d EXISTS\r\n* 0 RECENT\r\n" % len(f.msgs))
		if unseen:
			c.send("* OK [UNSEEN %d] First unseen\r\n" % unseen[0])
		c.send("* OK [UIDVALIDITY %d] Ok\r\n" % f.uidvalidity)
		c.send("* OK [UIDNEXT %d] Ok\r\n" % f.uidnext)
		if self.p.get("courier"):
			c.send('* OK [MYRIGHTS "acdilrsw"] ACL\r\n')
			self.ok(tag, "[%s] Ok" % ("READ-ONLY" if self.readonly
			    else "READ-WRITE"))
		else:
			self.ok(tag, "[%s] %s completed" % ("READ-ONLY" if self.readonly
			    else "READ-WRITE", cmd))

	def cmd_append(self, tag, args):
		c = self.c
		f = self.folder(args[0]) if args else None
		if f is None or len(args) < 2:
			c.send("%s NO [TRYCREATE] Mailbox doesn't exist\r\n" % tag)
			return
		flags = set(args[1]) if isinstance(args[1], list) else set()
		data = args[-1].encode("utf-8", "surrogateescape")
		with c.srv.lock:
			uid = f.add({"flags": flags, "date": "01-Jan-2024 00:00:00 +0000",
			    "data": data})
		self.ok(tag, "[APPENDUID %d %d] APPEND completed" % (f.uidvalidity, uid))

	def expunge(self, send):
		f = self.sel
		with self.c.srv.lock:
			i = 0
			while i < len(f.msgs):
				if "\\Deleted" in f.msgs[i]["flags"]:
					del f.msgs[i]
					if send:
						self.c.send("* %d EXPUNGE\r\n" % (i + 1))
				else:
					i += 1

	def select_msgs(self, spec, uid):
		f = self.sel
		if not f.msgs:
			return []
		if uid:
			want = parse_set(spec, f.msgs[-1]["uid"])
			return [(i + 1, m) for i, m in enumerate(f.msgs) if m["uid"] in want]
		want = parse_set(spec, len(f.msgs))
		return [(i + 1, m) for i, m in enumerate(f.msgs) if i + 1 in want]

	def msg_cmd(self, tag, cmd, args, uid):
		c = self.c
		name = ("UID " if uid else "") + cmd
		if cmd == "SEARCH":
			res = self.search(args, uid)
			c.send("* SEARCH%s\r\n" % "".join(" %d" % r for r in res))
			self.ok(tag, "%s completed" % name)
			return
		if not args or not is_set(args[0]):
			c.send("%s BAD Invalid sequence set\r\n" % tag)
			return
		msgs = self.select_msgs(args[0], uid)
		if cmd == "FETCH":
			items = args[1] if len(args) > 1 else "FLAGS"
			for seq, m in msgs:
				self.fetch_one(seq, m, items, uid)
		elif cmd == "STORE":
			self.store_flags(msgs, args[1:], uid)
		elif cmd == "COPY":
			dst = self.folder(args[1]) if len(args) > 1 else None
			if dst is None:
				c.send("%s NO [TRYCREATE] Mailbox doesn't exist\r\n" % tag)
				return
			with c.srv.lock:
				for _, m in msgs:
					dst.add({"flags": set(m["flags"]), "date": m["date"],
					    "data": m["data"]})
		else:
			c.send("%s BAD Unknown command\r\n" % tag)
			return
		self.ok(tag, "%s completed" % name)

	def search(self, args, uid):
		f = self.sel
		res = list(enumerate(f.msgs, 1))
		i = 0
		while i < len(args):
			a = args[i].upper() if isinstance(args[i], str) else ""
			if a == "UID" and i + 1 < len(args):
				want = parse_set(args[i + 1], f.msgs[-1]["uid"] if f.msgs else 0)
				res = [(s, m) for s, m in res if m["uid"] in want]
				i += 1
			elif a == "SEEN":
				res = [(s, m) for s, m in res if "\\Seen" in m["flags"]]
			elif a == "UNSEEN":
				res = [(s, m) for s, m in res if "\\Seen" not in m["flags"]]
			elif is_set(args[i]):
				want = parse_set(args[i], len(f.msgs))
				res = [(s, m) for s, m in res if s in want]
			i += 1
		return [m["uid"] if uid else s for s, m in res]

	def store_flags(self, msgs, args, uid):
		if len(args) < 2:
			return
		op = args[0].upper()
		flags = set(args[1]) if isinstance(args[1], list) else {args[1]}
		with self.c.srv.lock:
			for seq, m in msgs:
				if op.startswith("+"):
					m["flags"] |= flags
				elif op.startswith("-"):
					m["flags"] -= flags
				else:
					m["flags"] = set(flags)
		if not op.endswith(".SILENT"):
			for seq, m in msgs:
				self.c.send("* %d FETCH (%sFLAGS (%s))\r\n" % (seq,
				    "UID %d " % m["uid"] if uid else "",
				    " ".join(sorted(m["flags"]))))

	def fetch_one(self, seq, m, items, uid):
		if isinstance(items, str):
			items = {"ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE",
			    "ENVELOPE"], "FAST": ["FLAGS", "INTERNALDATE",
			    "RFC822.SIZE"], "FULL": ["FLAGS", "INTERNALDATE",
			    "RFC822.SIZE", "ENVELOPE", "BODY"]}.get(items.upper(), [items])
		items = [i for i in items if isinstance(i, str)]
		if uid and "UID" not in [i.upper() for i in items]:
			items = ["UID"] + items
		out = []
		data = m["data"]
		for it in items:
			u = it.upper()
			if u == "UID":
				out.append("UID %d" % m["uid"])
			elif u == "FLAGS":
				out.append("FLAGS (%s)" % " ".join(sorted(m["flags"])))
			elif u == "RFC822.SIZE":
				out.append("RFC822.SIZE %d" % len(data))
			elif u == "INTERNALDATE":
				out.append('INTERNALDATE "%s"' % m["date"])
			elif u == "ENVELOPE":
				out.append("ENVELOPE " + envelope(data))
			elif u == "BODYSTRUCTURE":
				out.append("BODYSTRUCTURE " + body_structure(data, True))
			elif u == "BODY":
				out.append("BODY " + body_structure(data, False))
			elif u in ("RFC822", "RFC822.HEADER", "RFC822.TEXT"):
				part = {"RFC822": data, "RFC822.HEADER": header_block(data),
				    "RFC822.TEXT": data.split(b"\r\n\r\n", 1)[-1]}[u]
				out.append(b"%s {%d}\r\n" % (u.encode(), len(part)) + part)
				if u != "RFC822.HEADER":
					m["flags"].add("\\Seen")
			elif u.startswith("BODY[") or u.startswith("BODY.PEEK["):
				out.append(self.section(m, it))
		parts = [p if isinstance(p, bytes) else p.encode() for p in out]
		self.c.send(b"* %d FETCH (" % seq + b" ".join(parts) + b")\r\n")

	def section(self, m, item):
		data = m["data"]
		mt = re.match(r"BODY(\.PEEK)?\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$",
		    item, re.I)
		if not mt:
			return b"NIL"
		peek, sec, off, cnt = mt.groups()
		su = sec.upper()
		if su == "":
			part = data
		elif su == "HEADER":
			part = header_block(data)
		elif su in ("TEXT", "1"):
			part = data.split(b"\r\n\r\n", 1)[-1]
		elif su.startswith("HEADER.FIELDS"):
			names = re.findall(r"[^\s()]+", sec[sec.index("(") + 1:]) \
			    if "(" in sec else []
			part = header_fields(data, names, su.startswith("HEADER.FIELDS.NOT"))
		else:
			part = b""
		label = "BODY[%s]" % sec
		if off is not None:
			o = int(off)
			part = part[o:o + int(cnt)] if cnt is not None else part[o:]
			label += "<%d>" % o
		if not peek:
			m["flags"].add("\\Seen")
		return b"%s {%d}\r\n" % (label.encode(), len(part)) + part


# ---- IMAP scenarios ---------------------------------------------------------

def greet_caps(caps, text="Fake IMAP ready."):
	return "* OK [CAPABILITY %s] %s" % (caps, text)


def imap_no_starttls(c):
	p = dict(caps_plain="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_tls="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_auth=GENERIC_AUTH_CAPS, starttls=None)
	Imap(c, p).run(greet_caps(p["caps_plain"], "Fake IMAP ready, no TLS."))


def imap_starttls_no(c):
	p = dict(caps_plain="IMAP4rev1 LITERAL+ ID STARTTLS AUTH=PLAIN",
	    caps_tls="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_auth=GENERIC_AUTH_CAPS, starttls="no")
	Imap(c, p).run(greet_caps(p["caps_plain"]))


def imap_starttls_inject(c):
	p = dict(caps_plain="IMAP4rev1 LITERAL+ ID STARTTLS AUTH=PLAIN",
	    caps_tls="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_auth=GENERIC_AUTH_CAPS, starttls="inject")
	Imap(c, p).run(greet_caps(p["caps_plain"]))


def imap_preauth_plain(c):
	p = dict(caps_plain="IMAP4rev1", caps_tls="IMAP4rev1",
	    caps_auth=GENERIC_AUTH_CAPS, starttls=None)
	s = Imap(c, p)
	s.auth = True
	s.run("* PREAUTH [CAPABILITY %s] Fake IMAP: logged in without "
	    "credentials" % GENERIC_AUTH_CAPS)


def imap_logindisabled(c):
	p = dict(caps_plain="IMAP4rev1 LITERAL+ ID STARTTLS LOGINDISABLED",
	    caps_tls="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_auth=GENERIC_AUTH_CAPS, starttls="ok", login_plain_refused=True)
	Imap(c, p).run(greet_caps(p["caps_plain"]))


def need_implicit_tls(c):
	if not c.start_tls():
		raise Closed("TLS handshake failed")


def imap_courier(c):
	need_implicit_tls(c)
	p = dict(caps_plain=COURIER_TLS_CAPS, caps_tls=COURIER_TLS_CAPS,
	    caps_auth=COURIER_AUTH_CAPS, starttls=None, courier=True)
	Imap(c, p).run(COURIER_GREETING)


def imap_limit3(c):
	need_implicit_tls(c)
	p = dict(caps_plain="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_tls="IMAP4rev1 LITERAL+ ID AUTH=PLAIN",
	    caps_auth=GENERIC_AUTH_CAPS, starttls=None, limit=3)
	with c.srv.lock:
		active = c.srv.active_auth
	if active >= 3:
		c.event("limit active=%d" % active)
		c.send("* BYE Too many connections (limit 3)\r\n")
		return
	Imap(c, p).run(greet_caps(p["caps_tls"]))


def silent(c):
	"""Log whatever arrives; answer nothing, ever."""
	while True:
		c.readline()


def imap_stall(c):
	silent(c)


def imap_stall_tls(c):
	need_implicit_tls(c)
	silent(c)


def imap_drop(c):
	if c.srv.ctx is not None:
		need_implicit_tls(c)
	c.send("* OK Fake IMAP ready.\r\n")
	c.readline()
	c.send("* CAPABILITY IMAP4rev1 AUTH=PL")
	raise Closed("dropped mid-response on purpose")


# ---- SMTP scenarios ---------------------------------------------------------

def smtp_session(c, starttls):
	"""starttls: None (not offered) or "inject"."""
	c.send("220 localhost ESMTP Fake SMTP ready\r\n")
	while True:
		line = c.readline()
		verb = line.split(b" ", 1)[0].upper()
		if verb == b"EHLO":
			ext = ["localhost", "PIPELINING", "SIZE 10485760", "8BITMIME"]
			if starttls and not c.tls:
				ext.append("STARTTLS")
			ext.append("AUTH PLAIN LOGIN")
			c.send("".join("250%s%s\r\n" % ("-" if i < len(ext) - 1 else " ",
			    e) for i, e in enumerate(ext)))
		elif verb == b"HELO":
			c.send("250 localhost\r\n")
		elif verb == b"STARTTLS":
			if not starttls or c.tls:
				c.send("502 5.5.1 STARTTLS not available\r\n")
				continue
			# One segment: the 250-x line is the injection.
			c.send("220 go\r\n250-x\r\n")
			if not c.start_tls():
				raise Closed("no TLS after STARTTLS")
		elif verb == b"AUTH":
			words = line.split()
			mech = words[1].upper() if len(words) > 1 else b""
			if mech == b"PLAIN":
				if len(words) < 3:
					c.send("334 \r\n")
					c.readline()
			elif mech == b"LOGIN":
				if len(words) < 3:
					c.send("334 VXNlcm5hbWU6\r\n")
					c.readline()
				c.send("334 UGFzc3dvcmQ6\r\n")
				c.readline()
			else:
				c.send("504 5.5.4 Unrecognized authentication type\r\n")
				continue
			c.send("235 2.7.0 Authentication successful\r\n")
		elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
			c.send("250 2.0.0 OK\r\n")
		elif verb == b"DATA":
			c.send("354 End data with <CR><LF>.<CR><LF>\r\n")
			while c.readline() != b".":
				pass
			c.send("250 2.0.0 OK queued\r\n")
		elif verb == b"QUIT":
			c.send("221 2.0.0 Bye\r\n")
			return
		else:
			c.send("500 5.5.2 Error: command not recognized\r\n")


def smtp_no_starttls(c):
	smtp_session(c, None)


def smtp_starttls_inject(c):
	smtp_session(c, "inject")


def smtp_stall(c):
	silent(c)


SCENARIOS = {
	"imap-no-starttls": imap_no_starttls,
	"imap-starttls-no": imap_starttls_no,
	"imap-starttls-inject": imap_starttls_inject,
	"imap-preauth-plain": imap_preauth_plain,
	"imap-logindisabled": imap_logindisabled,
	"imap-courier": imap_courier,
	"imap-limit3": imap_limit3,
	"imap-stall": imap_stall,
	"imap-stall-tls": imap_stall_tls,
	"imap-drop": imap_drop,
	"smtp-no-starttls": smtp_no_starttls,
	"smtp-starttls-inject": smtp_starttls_inject,
	"smtp-stall": smtp_stall,
}
NEEDS_CERT = {"imap-logindisabled", "imap-courier", "imap-limit3",
    "imap-stall-tls"}


def main():
	ap = argparse.ArgumentParser(usage="%(prog)s SCENARIO --portfile F "
	    "--log L [--cert C --key K]")
	ap.add_argument("scenario", choices=sorted(SCENARIOS))
	ap.add_argument("--portfile", required=True)
	ap.add_argument("--log", required=True)
	ap.add_argument("--cert")
	ap.add_argument("--key")
	a = ap.parse_args()
	ctx = None
	if a.cert:
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(a.cert, a.key or a.cert)
	elif a.scenario in NEEDS_CERT:
		ap.error("%s needs --cert and --key" % a.scenario)

	lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	lsock.bind(("127.0.0.1", 0))
	lsock.listen(64)
	srv = Server(a.scenario, Log(a.log), ctx)
	tmp = a.portfile + ".tmp"
	with open(tmp, "w") as f:
		f.write("%d\n" % lsock.getsockname()[1])
	os.rename(tmp, a.portfile)
	try:
		srv.serve(lsock)
	except KeyboardInterrupt:
		pass
	return 0


if __name__ == "__main__":
	sys.exit(main())

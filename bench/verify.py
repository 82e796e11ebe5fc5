#!/usr/bin/python3
"""verify.py -- compare a local Maildir tree with the server's, by content.

  verify.py server MAILDIR OUT.json
      Hash the server side: MAILDIR is a Dovecot Maildir++ root (INBOX in
      MAILDIR/cur, folder "Work/Projects" in MAILDIR/.Work.Projects, names
      in modified UTF-7).  Writes folder -> list of SHA-256 of every message
      file (cur/ and new/) to OUT.json.
  verify.py check [--mbsync] SERVER.json ROOT [LABEL]
      Hash the client side: ROOT holds one Maildir per folder in plain
      nested directories (mbsync's "SubFolders Verbatim", mailconn's
      layout: ROOT/INBOX, ROOT/Work/Projects); hidden directories (.mailconn,
      mbsync's state files) are skipped.  Compares, per folder, the number
      of messages and the multiset of SHA-256 of the files with the server's.
      Prints one "ok" line, or every difference; exits 0 when equal, 1 when
      not.  --mbsync: drop the "X-TUID: ..." line mbsync adds to the header
      of every message it stores (its transaction id, used to find the
      message again after an interrupted run) before hashing; nothing else
      is normalised.

Both sides store messages with LF line ends (Dovecot's files as written by
fill-bench.py; clients convert the CRLF of IMAP back to LF), so a message
downloaded intact hashes like the server file.  Flags are not compared
(the file name's info part is not hashed).  A server folder without
messages may be absent locally.
"""

import base64
import collections
import hashlib
import json
import os
import sys


def mutf7_decode(s):
	out, i = [], 0
	while i < len(s):
		c = s[i]
		if c != "&":
			out.append(c)
			i += 1
			continue
		j = s.index("-", i)
		if j == i + 1:
			out.append("&")
		else:
			b = s[i + 1:j].replace(",", "/")
			b += "=" * (-len(b) % 4)
			out.append(base64.b64decode(b).decode("utf-16-be"))
		i = j + 1
	return "".join(out)


def strip_tuid(data):
	"""The message without the one X-TUID header line mbsync inserts."""
	end = data.find(b"\n\n")
	head = data if end < 0 else data[:end + 1]
	if head.startswith(b"X-TUID: "):
		i = 0
	else:
		i = head.find(b"\nX-TUID: ")
		if i < 0:
			return data
		i += 1
	j = data.index(b"\n", i) + 1
	return data[:i] + data[j:]


def hash_dir(d, tuid=False):
	"""SHA-256 hex of every file in d/cur and d/new, and the byte total."""
	hashes, total = [], 0
	for sub in ("cur", "new"):
		p = os.path.join(d, sub)
		try:
			names = os.listdir(p)
		except FileNotFoundError:
			continue
		for n in names:
			fp = os.path.join(p, n)
			with open(fp, "rb") as f:
				data = f.read()
			if tuid:
				data = strip_tuid(data)
			total += len(data)
			hashes.append(hashlib.sha256(data).hexdigest())
	return hashes, total


def server_folders(maildir):
	folders = {"INBOX": maildir}
	for n in os.listdir(maildir):
		d = os.path.join(maildir, n)
		if n.startswith(".") and n not in (".", "..") and \
		    os.path.isdir(os.path.join(d, "cur")):
			folders["/".join(mutf7_decode(p) for p in
			    n[1:].split("."))] = d
	return folders


def local_folders(root):
	folders = {}
	for dirpath, dirnames, _ in os.walk(root):
		dirnames[:] = sorted(x for x in dirnames if not x.startswith(".")
		    and not (x in ("cur", "new", "tmp") and
		    os.path.isdir(os.path.join(dirpath, "cur"))))
		if os.path.isdir(os.path.join(dirpath, "cur")) and dirpath != root:
			folders[os.path.relpath(dirpath, root)] = dirpath
	return folders


def cmd_server(maildir, out):
	res = {}
	for name, d in sorted(server_folders(maildir).items()):
		h, total = hash_dir(d)
		res[name] = {"hashes": sorted(h), "bytes": total}
	with open(out + ".tmp", "w") as f:
		json.dump(res, f)
	os.rename(out + ".tmp", out)
	n = sum(len(v["hashes"]) for v in res.values())
	b = sum(v["bytes"] for v in res.values())
	print("server: %d folders, %d messages, %.1f MB" % (len(res), n, b / 1e6))
	return 0


def cmd_check(server_json, root, label, tuid):
	with open(server_json) as f:
		server = json.load(f)
	local = local_folders(root)
	problems = []
	n = b = 0
	for name in sorted(set(server) | set(local)):
		want = collections.Counter(server.get(name, {}).get("hashes", []))
		if name in local:
			h, total = hash_dir(local[name], tuid)
			have = collections.Counter(h)
			b += total
		else:
			have = collections.Counter()
			if want:
				problems.append("%s: folder missing locally (server "
				    "has %d messages)" % (name, sum(want.values())))
				continue
		if name not in server and have:
			problems.append("%s: folder not on the server, %d "
			    "messages locally" % (name, sum(have.values())))
			continue
		n += sum(have.values())
		if have == want:
			continue
		missing = want - have
		extra = have - want
		problems.append("%s: server %d messages, local %d; %d server "
		    "bodies missing or different, %d local bodies not on the "
		    "server (duplicates or altered)" % (name, sum(want.values()),
		    sum(have.values()), sum(missing.values()),
		    sum(extra.values())))
	if problems:
		for p in problems:
			print("VERIFY FAILED %s: %s" % (label, p))
		return 1
	print("verify ok %s: %d folders, %d messages, %.1f MB equal to the "
	    "server" % (label, len([x for x in server if server[x]["hashes"]]),
	    n, b / 1e6))
	return 0


def main(argv):
	if len(argv) == 4 and argv[1] == "server":
		return cmd_server(argv[2], argv[3])
	tuid = len(argv) > 2 and argv[1] == "check" and argv[2] == "--mbsync"
	if tuid:
		argv = argv[:2] + argv[3:]
	if len(argv) in (4, 5) and argv[1] == "check":
		return cmd_check(argv[2], argv[3],
		    argv[4] if len(argv) == 5 else argv[3], tuid)
	sys.stderr.write(__doc__)
	return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv))

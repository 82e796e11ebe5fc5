#!/usr/bin/python3
"""fill-bench.py -- the benchmark's deterministic mailbox, written straight
into a server Maildir (Dovecot's Maildir++ layout, as tests/testbed/fill.py).

  fill-bench.py --maildir DIR --count N [--seed S] [--wipe]

N messages over the ten folders of FOLDERS (INBOX, Sent, Drafts, Trash,
Junk, Archive, Work, Work/Projects, Lists, Receipts), split by their weights.
Sizes: about 99 % log-uniform in 2-20 KB (plain text), about 1 %
multipart/mixed with a base64 attachment log-uniform in 0.1-2 MB (random
bytes from the seeded generator).  Every message ends in a newline and has
no CR: Dovecot serves it with CRLF, a client that stores LF (both mbsync
and mailconn do) writes the same bytes as the server file, so the two can
be compared by hash.

Same arguments, same bytes (random.Random seeded per message).  Prints a
JSON summary (messages and bytes per folder) on stdout.  --wipe removes
DIR first (the whole Maildir of that user, Dovecot's indexes included):
run it only while no IMAP session of that user is open.

The on-disk helpers (modified UTF-7 folder names, chown to the Maildir's
owner when run as root) come from tests/testbed/fill.py.
"""

import argparse
import base64
import json
import math
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "testbed"))
import fill  # noqa: E402  (tests/testbed/fill.py)

# folder, weight (per mille of the messages)
FOLDERS = [
	("INBOX", 300),
	("Sent", 150),
	("Drafts", 10),
	("Trash", 30),
	("Junk", 20),
	("Archive", 200),
	("Work", 80),
	("Work/Projects", 70),
	("Lists", 100),
	("Receipts", 40),
]
TEXT_MIN, TEXT_MAX = 2 * 1024, 20 * 1024
ATT_MIN, ATT_MAX = 100 * 1024, 2 * 1024 * 1024
ATT_RATE = 0.01
DATE_BASE = 1704067200		# 2024-01-01 00:00:00 UTC


def split_counts(total):
	"""Messages per folder: largest remainder, so they sum to total."""
	exact = [(total * w / 1000.0, i) for i, (_, w) in enumerate(FOLDERS)]
	counts = [int(x) for x, _ in exact]
	rest = total - sum(counts)
	for _, i in sorted(exact, key=lambda t: -(t[0] - int(t[0])))[:rest]:
		counts[i] += 1
	return counts


def log_uniform(rng, lo, hi):
	return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


class TextPool:
	"""A seeded block of word lines; bodies are slices of it (fast)."""

	def __init__(self, seed, size=4 * 1024 * 1024):
		rng = random.Random("pool/%s" % seed)
		words = rng.choices(fill.WORDS, k=size // 6)
		lines = [" ".join(words[i:i + 11]) for i in range(0, len(words), 11)]
		self.data = ("\n".join(lines) + "\n").encode()

	def take(self, rng, n):
		"""n bytes (n small vs the pool) starting at a line, ending in LF."""
		if n <= 0:
			return b""
		start = rng.randrange(len(self.data) - n - 200)
		start = self.data.index(b"\n", start) + 1
		chunk = self.data[start:start + n]
		return chunk[:-1] + b"\n"


def message(rng, pool, seed, folder, index, when, to):
	sender = fill.NAMES[rng.randrange(len(fill.NAMES))]
	subj = " ".join(rng.choice(fill.WORDS) for _ in range(rng.randint(2, 6)))
	subj = "%s #%d" % (subj.capitalize(), index)
	mid = "<bench.%s.%d.%s@example.test>" % (seed, index,
	    folder.replace("/", ".").lower())
	hdr = [
		"Return-Path: <%s@example.org>" % fill.local_part(sender),
		"From: %s" % fill.addr(sender),
		"To: %s" % to,
		"Subject: %s" % fill.rfc2047(subj),
		"Date: %s" % fill.rfc822_date(when),
		"Message-ID: %s" % mid,
		"MIME-Version: 1.0",
	]
	if rng.random() < ATT_RATE:
		att_size = log_uniform(rng, ATT_MIN, ATT_MAX)
		raw = rng.randbytes(att_size * 3 // 4)
		b64 = base64.encodebytes(raw)	# 76-column lines, LF
		bnd = "mcbench-%d" % index
		hdr.append('Content-Type: multipart/mixed; boundary="%s"' % bnd)
		head = ("\n".join(hdr) + "\n\n"
		    "This is a multi-part message in MIME format.\n\n"
		    "--%s\nContent-Type: text/plain; charset=utf-8\n\n" % bnd)
		tail1 = ("\n--%s\nContent-Type: application/octet-stream\n"
		    'Content-Disposition: attachment; filename="scan-%d.bin"\n'
		    "Content-Transfer-Encoding: base64\n\n" % (bnd, index))
		return (head.encode() + pool.take(rng, rng.randint(200, 2000)) +
		    tail1.encode() + b64 + ("\n--%s--\n" % bnd).encode()), True
	hdr.append("Content-Type: text/plain; charset=utf-8")
	hdr.append("Content-Transfer-Encoding: 8bit")
	head = ("\n".join(hdr) + "\n\n").encode()
	size = log_uniform(rng, TEXT_MIN, TEXT_MAX)
	return head + pool.take(rng, max(size - len(head), 100)), False


def fill_user(maildir, count, seed, to):
	owner = fill.Owner(maildir)
	pool = TextPool(seed)
	summary = {}
	for (folder, _), n in zip(FOLDERS, split_counts(count)):
		d = fill.ensure_folder(maildir, folder, owner)
		existing = {f.split(",", 1)[0]: f
		    for f in os.listdir(os.path.join(d, "cur"))}
		nbytes = natt = 0
		for index in range(1, n + 1):
			rng = random.Random("bench/%s/%s/%d" % (seed, folder, index))
			when = DATE_BASE + index * 600
			data, att = message(rng, pool, seed, folder, index, when, to)
			flags = set()
			if rng.random() < 0.7:
				flags.add("S")
			if rng.random() < 0.03:
				flags.add("F")
			if rng.random() < 0.05:
				flags.add("R")
			fill.write_message(d, owner, "b" + str(seed), index, data,
			    when, flags, existing)
			nbytes += len(data)
			natt += att
		summary[folder] = {"messages": n, "bytes": nbytes,
		    "attachments": natt}
	return summary


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--maildir", required=True)
	ap.add_argument("--count", type=int, required=True)
	ap.add_argument("--seed", default="1")
	ap.add_argument("--to", default="ann@example.test")
	ap.add_argument("--wipe", action="store_true")
	a = ap.parse_args()
	if a.wipe and os.path.isdir(a.maildir):
		shutil.rmtree(a.maildir)
	s = fill_user(a.maildir, a.count, a.seed, a.to)
	json.dump({"seed": a.seed, "count": a.count, "folders": s}, sys.stdout,
	    indent=1, sort_keys=True)
	sys.stdout.write("\n")
	return 0


if __name__ == "__main__":
	sys.exit(main())

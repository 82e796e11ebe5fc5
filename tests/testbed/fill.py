#!/usr/bin/python3
"""fill.py -- write deterministic messages straight into a server Maildir.

Writing the files directly is ~100x faster than doveadm or IMAP APPEND
(TESTBED 2.4: 10k messages in 0.7 s).  Dovecot picks them up on the next
scan; UIDs follow file-name order, which here is message order.

  fill.py --maildir DIR --folder NAME --count N [--seed S] [--size B|MIN-MAX]
          [--start I] [--seen-every K] [--flagged-every K] [--date EPOCH]
  fill.py --maildir DIR --sample        the standard sample mailbox

DIR is the Maildir root (INBOX lives in DIR/cur).  NAME is the folder as an
IMAP client sees it with separator '/': "INBOX", "Work/Projects", "Reçus".
On disk Dovecot's Maildir++ layout wants ".Work.Projects" and modified UTF-7
(".Re&AOc-us"); this script does that mapping.

Same arguments, same bytes: content comes from random.Random(seed, index),
dates from --date + index hours, file names from seed and index, so a second
run with the same arguments rewrites the same files instead of adding more.
Messages are numbered --start .. --start+N-1 (default 1).  --seen-every K
marks every K-th message \\Seen (K=1: all, 0: none); --flagged-every alike.
--size B makes every message exactly B bytes (LF line ends on disk) when B
is larger than its header; MIN-MAX picks each size from that range.

Run as root, files and new directories get the uid/gid of DIR's owner (or of
its parent when DIR does not exist yet), so Dovecot running as that user can
rename them and write its index files.
"""

import argparse
import base64
import json
import os
import random
import sys
import time

NAMES = ["Alice Martin", "Bruno Keller", "Chloé Dubois", "Dmitri Volkov",
    "Eva Nowak", "Farid Haddad", "Grete Olsen", "Hiro Tanaka",
    "Ines Duarte", "Jonas Berg"]
WORDS = ("meeting report budget draft review invoice schedule server "
    "mailbox release quarterly update notes agenda project deadline "
    "contract backup network printer office lunch travel support ticket "
    "archive folder policy account password certificate renewal").split()
DATE_BASE = 1704067200		# 2024-01-01 00:00:00 UTC
SAMPLE_USER = "ann@example.test"


def mutf7(name):
	"""RFC 3501 modified UTF-7, as Dovecot stores folder names on disk."""
	out, run = [], []

	def flush():
		if run:
			b = "".join(run).encode("utf-16-be")
			enc = base64.b64encode(b).decode().rstrip("=")
			out.append("&" + enc.replace("/", ",") + "-")
			run.clear()
	for ch in name:
		if 0x20 <= ord(ch) <= 0x7e:
			flush()
			out.append("&-" if ch == "&" else ch)
		else:
			run.append(ch)
	flush()
	return "".join(out)


def folder_dir(maildir, folder):
	if folder.upper() == "INBOX":
		return maildir
	parts = [mutf7(p) for p in folder.split("/")]
	return os.path.join(maildir, "." + ".".join(parts))


class Owner:
	def __init__(self, maildir):
		probe = maildir
		while not os.path.exists(probe):
			probe = os.path.dirname(probe) or "/"
		st = os.stat(probe)
		self.uid, self.gid = st.st_uid, st.st_gid
		self.active = os.geteuid() == 0

	def chown(self, path):
		if self.active:
			os.chown(path, self.uid, self.gid)


def makedirs(path, owner):
	if os.path.isdir(path):
		return
	makedirs(os.path.dirname(path), owner)
	os.mkdir(path, 0o700)
	owner.chown(path)


def ensure_folder(maildir, folder, owner):
	d = folder_dir(maildir, folder)
	makedirs(maildir, owner)
	for sub in ("cur", "new", "tmp"):
		makedirs(os.path.join(d, sub), owner)
	if d != maildir:
		mf = os.path.join(d, "maildirfolder")
		if not os.path.exists(mf):
			open(mf, "w").close()
			owner.chown(mf)
	return d


def rfc2047(s):
	if all(ord(c) < 128 for c in s):
		return s
	return "=?UTF-8?B?%s?=" % base64.b64encode(s.encode()).decode()


def local_part(name):
	return name.split()[0].lower().replace("é", "e")


def addr(name):
	return "%s <%s@example.org>" % (rfc2047(name), local_part(name))


def rfc822_date(t):
	return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def make_message(rng, seed, folder, index, size, when, to, kind="plain"):
	sender = NAMES[rng.randrange(len(NAMES))]
	subj = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5)))
	subj = "%s #%d" % (subj.capitalize(), index)
	if kind == "utf8":
		subj = "Réunion über Пример #%d" % index
	hdr = [
		"Return-Path: <%s@example.org>" % local_part(sender),
		"From: %s" % addr(sender),
		"To: %s" % to,
		"Subject: %s" % rfc2047(subj),
		"Date: %s" % rfc822_date(when),
		"Message-ID: <%s.%d.%s@example.test>" % (seed, index,
		    mutf7(folder).replace("/", ".").replace("&", "").lower()),
		"MIME-Version: 1.0",
	]
	body_lines = ["Hello,", "",
	    "This is test message %d in %s (seed %s)." % (index, folder, seed), ""]
	if kind == "multipart":
		att = bytes(rng.randrange(256) for _ in range(300))
		b64 = base64.b64encode(att).decode()
		hdr.append('Content-Type: multipart/mixed; boundary="mc-%d"' % index)
		body_lines = ["This is a multi-part message in MIME format.", "",
		    "--mc-%d" % index,
		    "Content-Type: text/plain; charset=utf-8", "",
		    "See the attachment, message %d." % index, "",
		    "--mc-%d" % index,
		    "Content-Type: application/octet-stream",
		    'Content-Disposition: attachment; filename="data-%d.bin"' % index,
		    "Content-Transfer-Encoding: base64", ""]
		body_lines += [b64[i:i + 76] for i in range(0, len(b64), 76)]
		body_lines += ["", "--mc-%d--" % index, ""]
	else:
		hdr.append("Content-Type: text/plain; charset=utf-8")
		hdr.append("Content-Transfer-Encoding: 8bit")
	text = "\n".join(hdr) + "\n\n" + "\n".join(body_lines)
	data = text.encode()
	# Pad with word lines to reach the requested size exactly.
	if kind == "plain" and size and len(data) < size:
		need = size - len(data)
		words = rng.choices(WORDS, k=need // 6 + 10)
		lines = [" ".join(words[i:i + 10]) for i in range(0, len(words), 10)]
		pad = ("\n".join(lines)).encode()[:need]
		# Exactly `need` bytes, ending in a newline.
		data += pad[:-1] + b"\n"
	return data


def write_message(d, owner, seed, index, data, when, flags, existing):
	base = "%d.M%dP%s.mctestbed" % (when, index, seed)
	name = "%s,S=%d:2,%s" % (base, len(data), "".join(sorted(flags)))
	tmp = os.path.join(d, "tmp", name)
	with open(tmp, "wb") as f:
		f.write(data)
	os.utime(tmp, (when, when))
	owner.chown(tmp)
	# Drop an older copy of the same message (other flags) so reruns
	# rewrite instead of duplicating.
	old = existing.get(base)
	if old and old != name:
		try:
			os.unlink(os.path.join(d, "cur", old))
		except FileNotFoundError:
			pass
	os.rename(tmp, os.path.join(d, "cur", name))


def parse_size(s):
	if not s:
		return (0, 0)
	if "-" in s:
		a, b = s.split("-", 1)
		return (int(a), int(b))
	return (int(s), int(s))


def fill(maildir, folder, count, seed="1", size="", start=1, seen_every=2,
    flagged_every=0, date=DATE_BASE, to=SAMPLE_USER, kinds=None,
    answered=()):
	owner = Owner(maildir)
	d = ensure_folder(maildir, folder, owner)
	lo, hi = parse_size(size)
	existing = {n.split(",", 1)[0]: n for n in os.listdir(os.path.join(d, "cur"))}
	unseen = 0
	for index in range(start, start + count):
		rng = random.Random("%s/%s/%d" % (seed, folder, index))
		sz = rng.randint(lo, hi) if hi else 0
		when = date + index * 3600
		kind = (kinds or {}).get(index, "plain")
		data = make_message(rng, seed, folder, index, sz, when, to, kind)
		flags = set()
		if seen_every and index % seen_every == 0:
			flags.add("S")
		else:
			unseen += 1
		if flagged_every and index % flagged_every == 0:
			flags.add("F")
		if index in answered:
			flags.add("R")
		write_message(d, owner, seed, index, data, when, flags, existing)
	return unseen


# The standard sample mailbox of MC_USER.  Changing it changes what tests
# may assert: testbed.sh writes the resulting counts to sample.json.
SAMPLE = [
	# folder, count, seen_every, flagged_every
	("INBOX", 20, 2, 7),
	("Sent", 3, 1, 0),
	("Drafts", 1, 1, 0),
	("Trash", 0, 1, 0),
	("Junk", 2, 0, 0),
	("Work", 2, 1, 0),
	("Work/Projects", 4, 2, 0),
	("Reçus", 2, 1, 0),
	("Пример", 1, 0, 0),
]


def sample(maildir):
	manifest = {}
	for folder, count, seen, flagged in SAMPLE:
		kinds = {5: "multipart", 6: "utf8"} if folder == "INBOX" else None
		unseen = fill(maildir, folder, count, seed="sample", size="600-3000",
		    seen_every=seen, flagged_every=flagged, kinds=kinds,
		    answered=(4,) if folder == "INBOX" else ())
		manifest[folder] = {"messages": count, "unseen": unseen}
	return manifest


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--maildir", required=True)
	ap.add_argument("--folder", default="INBOX")
	ap.add_argument("--count", type=int, default=0)
	ap.add_argument("--seed", default="1")
	ap.add_argument("--size", default="")
	ap.add_argument("--start", type=int, default=1)
	ap.add_argument("--seen-every", type=int, default=2)
	ap.add_argument("--flagged-every", type=int, default=0)
	ap.add_argument("--date", type=int, default=DATE_BASE)
	ap.add_argument("--to", default=SAMPLE_USER)
	ap.add_argument("--sample", action="store_true")
	a = ap.parse_args()
	if a.sample:
		json.dump(sample(a.maildir), sys.stdout, ensure_ascii=False,
		    indent=1, sort_keys=True)
		sys.stdout.write("\n")
		return 0
	fill(a.maildir, a.folder, a.count, a.seed, a.size, a.start,
	    a.seen_every, a.flagged_every, a.date, a.to)
	return 0


if __name__ == "__main__":
	sys.exit(main())

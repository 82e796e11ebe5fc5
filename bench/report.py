#!/usr/bin/python3
"""report.py -- the benchmark's table and target verdicts.

  report.py RESULTS.tsv HEADER.txt SERVER-SMALL.json SERVER-BIG.json

RESULTS.tsv (bench/run.sh): tool, phase (initial|resync), size (messages),
run, wall seconds, peak RSS KB, exit status, verify (ok|FAIL), CPU seconds
(user+sys), RssAnon and RssFile KB at exit, per line.
The server manifests (verify.py server) give each size's message count and
bytes.  Prints the table and one MET/MISSED line per target of issue 4:

  initial sync wall        mailconn <= 0.40 x mbsync   (each size)
  no-change resync wall    mailconn <= 0.50 x mbsync   (each size)
  resync flat in size      mailconn's resync at the big size at most 20 %
                           slower than at the small size (big/small <= 1.20;
                           a big resync that comes out faster is noise, not
                           growth)
  peak RSS                 mailconn <= 1.25 x mbsync   (each size; the
                           largest of all its runs at that size)
  peak RSS flat in size    mailconn's peak at the big size at most 20 %
                           above its peak at the small size (<= 1.20)

Medians and peaks use only runs that exited 0 and verified; a row whose runs
all failed shows "failed" and its targets n/a.
"""

import json
import statistics
import sys


def load_results(path):
	rows = []
	with open(path) as f:
		for line in f:
			p = line.rstrip("\n").split("\t")
			if len(p) < 11:
				continue
			tool, phase, size, run, wall, rss, rc, ver, cpu, anon, fil = p[:11]
			rows.append({"tool": tool, "phase": phase, "size": int(size),
			    "run": int(run), "wall": float(wall), "rss": int(rss),
			    "rc": int(rc), "ok": ver == "ok" and rc == "0",
			    "cpu": float(cpu), "anon": int(anon), "file": int(fil)})
	return rows


def manifest(path):
	with open(path) as f:
		m = json.load(f)
	n = sum(len(v["hashes"]) for v in m.values())
	b = sum(v["bytes"] for v in m.values())
	return n, b


def fmt_s(x):
	if x is None:
		return "-"
	return "%.3f s" % x if x < 10 else "%.1f s" % x


def fmt_mb(kb):
	return "-" if kb is None else "%.1f MB" % (kb / 1024.0)


def main(argv):
	if len(argv) != 5:
		sys.stderr.write(__doc__)
		return 2
	rows = load_results(argv[1])
	with open(argv[2]) as f:
		header = f.read().rstrip("\n")
	small_n, small_b = manifest(argv[3])
	big_n, big_b = manifest(argv[4])
	sizes = [(small_n, small_b), (big_n, big_b)]
	tools = [t for t in ("mbsync", "mbsync-nofsync", "mailconn")
	    if any(r["tool"] == t for r in rows)]

	stat = {}	# (tool, phase, size) -> dict
	for tool in tools:
		for phase in ("initial", "resync"):
			for n, b in sizes:
				rs = [r for r in rows if r["tool"] == tool and
				    r["phase"] == phase and r["size"] == n]
				if not rs:
					continue
				good = [r for r in rs if r["ok"]]
				st = {"runs": len(rs), "good": len(good), "bytes": b,
				    "wall": None, "rss": None, "cpu": None,
				    "walls": [r["wall"] for r in good]}
				if good:
					st["wall"] = statistics.median(r["wall"] for r in good)
					st["cpu"] = statistics.median(r["cpu"] for r in good)
					top = max(good, key=lambda r: r["rss"])
					st["rss"] = top["rss"]
					st["split"] = (top["anon"], top["file"])
				stat[(tool, phase, n)] = st

	def peak(tool, n):
		v = [stat[k]["rss"] for k in stat if k[0] == tool and k[2] == n and
		    stat[k]["rss"] is not None]
		# A tool's peak at a size counts only if all its runs there verified.
		if any(stat[k]["good"] < stat[k]["runs"] for k in stat
		    if k[0] == tool and k[2] == n):
			return None
		return max(v) if v else None

	def wall(tool, phase, n):
		st = stat.get((tool, phase, n))
		if st is None or st["good"] < st["runs"]:
			return None
		return st["wall"]

	out = [header, ""]
	out.append("%-14s %-8s %8s %4s %11s %8s %8s %7s %9s  %s" % ("tool",
	    "phase", "messages", "runs", "wall median", "msgs/s", "MB/s", "CPU s",
	    "peak RSS", "verified (wall of each run)"))
	for phase in ("initial", "resync"):
		for n, b in sizes:
			for tool in tools:
				st = stat.get((tool, phase, n))
				if st is None:
					continue
				w = st["wall"]
				mps = "%.0f" % (n / w) if w else "-"
				# A no-change resync moves no message bodies.
				mbs = "%.2f" % (b / 1e6 / w) if w and phase == "initial" \
				    else "-"
				runs = " ".join("%.2f" % x for x in st["walls"])
				cpu = "%.2f" % st["cpu"] if st["cpu"] is not None else "-"
				out.append("%-14s %-8s %8d %4d %11s %8s %8s %7s %9s  %d/%d (%s)"
				    % (tool, phase, n, st["runs"], fmt_s(w) if w else
				    "failed", mps, mbs, cpu, fmt_mb(st["rss"]), st["good"],
				    st["runs"], runs))
	out.append("")
	out.append("Targets (issue 4), mailconn against mbsync:")
	out.append("%-46s %-34s %-12s %s" % ("target", "value", "limit",
	    "result"))

	def verdict(ratio, lo, hi):
		if ratio is None:
			return "n/a"
		return "MET" if lo <= ratio <= hi else "MISSED"

	def line(name, a, b, fa, fb, lo, hi, limit):
		if a is None or b is None or b == 0:
			out.append("%-46s %-34s %-12s %s" % (name, "n/a (missing or "
			    "failed runs)", limit, "n/a"))
			return
		r = a / b
		out.append("%-46s %-34s %-12s %s" % (name, "%s / %s = %.2f" % (
		    fa(a), fb(b), r), limit, verdict(r, lo, hi)))

	for n, _ in reversed(sizes):
		line("initial sync wall, %d msgs" % n,
		    wall("mailconn", "initial", n), wall("mbsync", "initial", n),
		    fmt_s, fmt_s, 0, 0.40, "<= 0.40x")
	for n, _ in reversed(sizes):
		line("no-change resync wall, %d msgs" % n,
		    wall("mailconn", "resync", n), wall("mbsync", "resync", n),
		    fmt_s, fmt_s, 0, 0.50, "<= 0.50x")
	line("resync flat: mailconn %d vs %d msgs" % (big_n, small_n),
	    wall("mailconn", "resync", big_n), wall("mailconn", "resync", small_n),
	    fmt_s, fmt_s, 0, 1.20, "<= 1.20")
	for n, _ in reversed(sizes):
		line("peak RSS, %d msgs" % n, peak("mailconn", n),
		    peak("mbsync", n), fmt_mb, fmt_mb, 0, 1.25, "<= 1.25x")
	line("peak RSS flat: mailconn %d vs %d msgs" % (big_n, small_n),
	    peak("mailconn", big_n), peak("mailconn", small_n), fmt_mb, fmt_mb,
	    0, 1.20, "<= 1.20")
	ref = []
	a, b = wall("mbsync", "resync", big_n), wall("mbsync", "resync", small_n)
	if a and b:
		ref.append("resync %d/%d msgs = %.2f" % (big_n, small_n, a / b))
	a, b = peak("mbsync", big_n), peak("mbsync", small_n)
	if a and b:
		ref.append("peak RSS %d/%d msgs = %.2f" % (big_n, small_n, a / b))
	a, b = wall("mbsync", "initial", big_n), wall("mbsync-nofsync",
	    "initial", big_n)
	if a and b:
		ref.append("initial %d msgs with FSync yes / FSync no = %.2f"
		    % (big_n, a / b))
	if ref:
		out.append("(mbsync for reference: %s)" % "; ".join(ref))
	out.append("")
	out.append("What the peaks are made of (run with the largest peak; resident "
	    "at exit: anonymous = heap and stacks, file = binary and libraries):")
	for tool in tools:
		for n, _ in sizes:
			best = None
			for phase in ("initial", "resync"):
				st = stat.get((tool, phase, n))
				if st and st["rss"] is not None and (best is None or
				    st["rss"] > best["rss"]):
					best = st
			if best:
				out.append("  %-14s %8d msgs: peak %s; at exit %s anonymous, "
				    "%s file" % (tool, n, fmt_mb(best["rss"]),
				    fmt_mb(best["split"][0]), fmt_mb(best["split"][1])))
	print("\n".join(out))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))

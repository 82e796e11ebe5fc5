#!/bin/bash
# bench/run.sh -- `make bench`: mailconn sync --once against mbsync, side by
# side, on the test bed's Dovecot.  What is measured and why: bench/README.md.
#
# Environment (all optional):
#   MAILCONN        the binary (make passes build/mailconn)
#   BENCH_RUNS      runs per tool, phase and size (default 3)
#   BENCH_SCALE     multiplies the mailbox sizes (default 1: 20,000 and
#                   2,000 messages; 0.1 for a quick run)
#   BENCH_TOOLS     "mbsync mailconn" (default); one of them alone for a
#                   partial run (no ratios then); add mbsync-nofsync for a
#                   reference row of mbsync with FSync no (not durable,
#                   never part of a ratio)
#   BENCH_TB        an existing test bed directory to use instead of
#                   starting one; its MC_USER/MC_USER2 mail is REPLACED by
#                   the benchmark's (kept between runs, refilled only when
#                   the size or generator changes)
#   BENCH_KEEP      1: leave the bed this script started running (its path
#                   is printed; pass it as BENCH_TB next time)
#   BENCH_TIMEOUT   seconds one sync may take before it is killed (1800)
#   BENCH_OUT       where the report, the raw results, the logs and the
#                   clients' Maildirs go (default build/bench; an earlier
#                   run's content is removed at the end)
#   BENCH_KEEP_MAILDIRS  1: keep the synced copies (BENCH_OUT/maildirs)
#   MC_PORT_BASE    port base of the bed this script starts (default 29000)
#
# Exit status: 0 when every run of every tool finished and verified against
# the server (a missed target is reported, not an error), 1 when a run
# failed or a result differs from the server, 2 on a set-up error.
set -eu

if [ $# -gt 0 ]; then
	sed -n '2,/^set -eu/s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
MAILCONN=${MAILCONN:-$ROOT/build/mailconn}
RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-1}
TOOLS=${BENCH_TOOLS:-mbsync mailconn}
TIMEOUT=${BENCH_TIMEOUT:-1800}
export MC_PORT_BASE=${MC_PORT_BASE:-29000}
TESTBED=$ROOT/tests/testbed/testbed.sh

die() { echo "bench: $*" >&2; exit 2; }
note() { echo "bench: $*" >&2; }

case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number" ;; esac
for t in $TOOLS; do
	case $t in mbsync|mailconn|mbsync-nofsync) ;;
	*) die "BENCH_TOOLS: unknown tool '$t'" ;; esac
done
BIG=$("$PY" -c "import sys; print(max(10, round(20000 * float(sys.argv[1]))))" "$SCALE") ||
    die "BENCH_SCALE must be a number"
SMALL=$("$PY" -c "import sys; print(max(10, round(2000 * float(sys.argv[1]))))" "$SCALE")
command -v mbsync >/dev/null || die "mbsync (Debian package isync) is not installed"
command -v secret-tool >/dev/null || die "secret-tool (libsecret-tools) is not installed"
case " $TOOLS " in *" mailconn "*)
	[ -x "$MAILCONN" ] || die "no mailconn binary at $MAILCONN (make build/mailconn)" ;;
esac

# ---- the bed -----------------------------------------------------------------
OWN_BED=0
if [ -n "${BENCH_TB:-}" ]; then
	TB=$BENCH_TB
	[ -f "$TB/env" ] || die "BENCH_TB=$TB has no env file (not a running test bed)"
else
	TB=$(mktemp -d /tmp/mcb.XXXXXX)	# short: Dovecot socket paths (TESTBED D3)
	chmod 711 "$TB"
	OWN_BED=1
fi
cleanup() {
	if [ "$OWN_BED" = 1 ]; then
		if [ "${BENCH_KEEP:-}" = 1 ]; then
			note "test bed left running: BENCH_TB=$TB (stop: $TESTBED stop $TB)"
		else
			TESTBED_QUIET=1 "$TESTBED" stop "$TB" || true
			rm -rf "$TB"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ $OWN_BED = 1 ]; then
	note "starting the test bed in $TB (ports from $MC_PORT_BASE)"
	TESTBED_QUIET=1 "$TESTBED" start "$TB" || die "the test bed did not start"
fi
# shellcheck disable=SC1091
. "$TB/env"
R=${BENCH_OUT:-$ROOT/build/bench}
case $R in /*) ;; *) R=$PWD/$R ;; esac
# Nothing is deleted before or between the timed runs, only after the last:
# on an ext4 without a journal (this VM's root), creating files right after
# thousands were deleted is slow (the inode allocator skips every inode
# freed in the last 60-360 s: ext4 recently_deleted(), measured: a 20,000
# message initial sync took 5.2 s of system time instead of 2.4 s after an
# rm -rf of the previous copy).  An earlier run's output is moved aside now
# and deleted at the end, each run syncs into a directory of its own.
OLD_R=
if [ -e "$R" ]; then
	OLD_R=$R.old.$$
	mv "$R" "$OLD_R"
fi
mkdir -p "$R/logs" "$R/maildirs"
RESULTS=$R/results.tsv
: > "$RESULTS"

# ---- the mailboxes -----------------------------------------------------------
# MC_USER gets the big mailbox, MC_USER2 the small one.  A marker next to
# each Maildir records what was written, so a reused bed is not refilled.
GEN_ID=$(sha256sum "$HERE/fill-bench.py" | cut -c1-16)
fill_user() {	# USER MAILDIR COUNT SEED
	local user=$1 md=$2 count=$3 seed=$4 marker want
	marker=$(dirname "$md")/bench-fill.json
	want="$GEN_ID $count $seed"
	if [ -f "$marker" ] && [ "$(head -n1 "$marker")" = "$want" ] &&
	    [ -d "$md" ]; then
		note "$user: mailbox of $count messages already there"
		return 0
	fi
	note "$user: writing $count messages into $md"
	rm -f "$marker"
	{ echo "$want"; "$PY" "$HERE/fill-bench.py" --maildir "$md" \
	    --count "$count" --seed "$seed" --to "$user" --wipe; } \
	    > "$marker.tmp" || die "fill-bench.py failed"
	mv "$marker.tmp" "$marker"
}
fill_user "$MC_USER" "$MAIL_ROOT" "$BIG" big
fill_user "$MC_USER2" "$MAIL_ROOT2" "$SMALL" small

# Let Dovecot index the new files (uidlist, index, cache of the sizes)
# before anything is timed, so neither tool pays for it, and read every
# file once so both start with the server's mail in the page cache.
for u in "$MC_USER" "$MC_USER2"; do
	doveadm -c "$DOVECOT_CONF" mailbox status -u "$u" \
	    'messages uidnext vsize' '*' > "$R/status-${u%%@*}.txt" ||
	    die "doveadm mailbox status failed for $u"
done
"$PY" "$HERE/verify.py" server "$MAIL_ROOT" "$R/server-$BIG.json" >&2
"$PY" "$HERE/verify.py" server "$MAIL_ROOT2" "$R/server-$SMALL.json" >&2

dir_of() { echo "$R/maildirs/$1-$2-r$3"; }	# TOOL SIZE RUN

# ---- clients: mbsync ---------------------------------------------------------
# mbsync reads its password from the bed's keyring, like mailconn, through
# secret-tool (the PassCmd child is not counted in mbsync's peak RSS).
printf '%s' "$MC_PASS" | secret-tool store --label="mbsync bench $MC_USER" \
    service mailconn-bench-mbsync user "$MC_USER" ||
    die "cannot store mbsync's password in the bed's keyring"
printf '%s' "$MC_PASS2" | secret-tool store --label="mbsync bench $MC_USER2" \
    service mailconn-bench-mbsync user "$MC_USER2" ||
    die "cannot store mbsync's password in the bed's keyring"

# A channel b<size>r<n> per mailbox size and run n, each into a directory
# of its own (dir_of).
mbsyncrc() {	# TOOL FSYNC: the config of mbsync (or mbsync-nofsync)
	local tool=$1 fsync=$2 size u d n c
	echo "# Generated by bench/run.sh.  FSync yes is mbsync's default;"
	echo "# written out because durability must equal mailconn's."
	echo "FSync $fsync"
	for size in "$BIG" "$SMALL"; do
		if [ "$size" = "$BIG" ]; then u=$MC_USER; else u=$MC_USER2; fi
		cat <<-EOF

		IMAPAccount b$size
		Host localhost
		Port $IMAPS_PORT
		User $u
		PassCmd "secret-tool lookup service mailconn-bench-mbsync user $u"
		SSLType IMAPS
		CertificateFile $MC_CA

		IMAPStore b$size-far
		Account b$size
		EOF
		for ((n = 1; n <= RUNS; n++)); do
			c=b${size}r$n
			d=$(dir_of "$tool" "$size" "$n")
			cat <<-EOF

			MaildirStore $c-near
			Path $d/
			Inbox $d/INBOX
			SubFolders Verbatim

			Channel $c
			Far :b$size-far:
			Near :$c-near:
			Patterns *
			Create Near
			Sync Pull
			SyncState *
			EOF
		done
	done
}
mbsyncrc mbsync yes > "$R/mbsyncrc"
mbsyncrc mbsync-nofsync no > "$R/mbsyncrc-nofsync"

# ---- clients: mailconn -------------------------------------------------------
export XDG_CONFIG_HOME=$R/home/config XDG_DATA_HOME=$R/home/data
export XDG_STATE_HOME=$R/home/state XDG_CACHE_HOME=$R/home/cache
mkdir -p "$XDG_CONFIG_HOME/mailconn" "$XDG_DATA_HOME" "$XDG_STATE_HOME" \
    "$XDG_CACHE_HOME"
chmod 700 "$R/home" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" \
    "$XDG_CACHE_HOME"
# An account b<size>r<n> per mailbox size and run, like mbsync's channels.
{
	for size in "$BIG" "$SMALL"; do
		if [ "$size" = "$BIG" ]; then u=$MC_USER; else u=$MC_USER2; fi
		for ((n = 1; n <= RUNS; n++)); do
			cat <<-EOF
			[account b${size}r$n]
			email = $u
			imap-host = localhost
			imap-port = $IMAPS_PORT
			imap-security = imaps
			imap-user = $u
			ca-file = $MC_CA
			maildir = $(dir_of mailconn "$size" "$n")

			EOF
		done
	done
} > "$XDG_CONFIG_HOME/mailconn/accounts.conf"
chmod 600 "$XDG_CONFIG_HOME/mailconn/accounts.conf"
case " $TOOLS " in *" mailconn "*)
	: > "$R/logs/password.log"
	for size in "$BIG" "$SMALL"; do
		if [ "$size" = "$BIG" ]; then pw=$MC_PASS; else pw=$MC_PASS2; fi
		for ((n = 1; n <= RUNS; n++)); do
			printf '%s\n' "$pw" | "$MAILCONN" password set \
			    "b${size}r$n" >> "$R/logs/password.log" 2>&1 ||
			    die "mailconn password set failed: $(cat "$R/logs/password.log")"
		done
	done
	unset pw
	;;
esac

# ---- runs --------------------------------------------------------------------
FAILED=0
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# A resync comes long after the last change in real life.  mbsync sleeps
# 1 s ("Maildir notice: sleeping due to recent directory modification")
# when a Maildir directory changed within the last second, which a resync
# right after the initial run would measure: wait (untimed, for both tools)
# until every directory of the copy is at least 2 s old.
settle() {	# DIR
	"$PY" - "$1" <<-'EOF'
	import os, sys, time
	newest = 0.0
	for dirpath, _, _ in os.walk(sys.argv[1]):
	    newest = max(newest, os.stat(dirpath).st_mtime)
	wait = newest + 2.0 - time.time()
	if wait > 0:
	    time.sleep(wait)
	EOF
}

one_run() {	# TOOL PHASE SIZE N
	local tool=$1 phase=$2 size=$3 n=$4 d m log vlog rc=0 v=ok r=$4
	# Resyncs run on the copy of the last initial run.
	[ "$phase" = initial ] || r=$RUNS
	d=$(dir_of "$tool" "$size" "$r")
	log=$R/logs/$tool-$size-$phase-$n.log
	m=$R/logs/$tool-$size-$phase-$n.measure
	[ "$phase" = resync ] || mkdir -p "$d"	# mbsync wants its Path to exist
	[ "$phase" = initial ] || settle "$d"
	sync				# no earlier writeback in this run's time
	rm -f "$m"
	case $tool in
	mbsync|mbsync-nofsync)
		"$PY" "$HERE/measure.py" -o "$m" -t "$TIMEOUT" mbsync -c \
		    "$R/mbsyncrc$([ "$tool" = mbsync ] || echo -nofsync)" \
		    "b${size}r$r" >"$log" 2>&1 </dev/null || rc=$?
		;;
	mailconn)
		"$PY" "$HERE/measure.py" -o "$m" -t "$TIMEOUT" \
		    "$MAILCONN" sync --once "b${size}r$r" >"$log" 2>&1 </dev/null ||
		    rc=$?
		;;
	esac
	vlog=$R/logs/$tool-$size-$phase-$n.verify
	local vopt=()
	[ "$tool" = mailconn ] || vopt=(--mbsync)	# mbsync's X-TUID line
	if [ $rc -ne 0 ]; then
		v=FAIL
		echo "bench: $tool $phase $size run $n exited with status $rc" \
		    "(log: $log):" >&2
		tail -n 5 "$log" | sed 's/^/    | /' >&2
	elif ! "$PY" "$HERE/verify.py" check "${vopt[@]}" \
	    "$R/server-$size.json" "$d" "$tool $phase $size #$n" > "$vlog" 2>&1; then
		v=FAIL
		head -n 20 "$vlog" >&2
	fi
	[ $v = ok ] || FAILED=1
	# tool phase size run wall rss rc verify cpu anon file
	local wall rss cpu anon file
	[ -f "$m" ] || : > "$m"		# measure.py itself failed: nan
	wall=$(sed -n 's/.*wall_s=\([^ ]*\).*/\1/p' "$m")
	rss=$(sed -n 's/.*maxrss_kb=\([^ ]*\).*/\1/p' "$m")
	anon=$(sed -n 's/.*anon_kb=\([^ ]*\).*/\1/p' "$m")
	file=$(sed -n 's/.*file_kb=\([^ ]*\).*/\1/p' "$m")
	cpu=$(sed -n 's/.*user_s=\([^ ]*\) sys_s=\([^ ]*\).*/\1 \2/p' "$m" |
	    awk '{ printf "%.3f", $1 + $2 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" \
	    "$phase" "$size" "$n" "${wall:-nan}" "${rss:-0}" "$rc" "$v" \
	    "${cpu:-nan}" "${anon:-0}" "${file:-0}" >> "$RESULTS"
	note "$(printf '%-14s %-7s %6s #%d  %8.3f s  (cpu %.2f s)  %7d KB  %s' \
	    "$tool" "$phase" "$size" "$n" "${wall:-0}" "${cpu:-0}" "${rss:-0}" \
	    "$([ $v = ok ] && echo verified || echo FAILED)")"
}

order() {	# N: tools in alternating order, so neither always goes first
	local t list="" rev=""
	for t in $TOOLS; do list="$list $t"; rev="$t $rev"; done
	if [ $(( $1 % 2 )) = 1 ]; then echo $list; else echo $rev; fi
}

for size in "$SMALL" "$BIG"; do
	for ((n = 1; n <= RUNS; n++)); do
		for tool in $(order $n); do
			one_run "$tool" initial "$size" "$n"
		done
	done
	for ((n = 1; n <= RUNS; n++)); do
		for tool in $(order $n); do
			one_run "$tool" resync "$size" "$n"
		done
	done
done

# ---- report ------------------------------------------------------------------
{
	echo "$("$MAILCONN" --version 2>/dev/null | head -n1 || echo "mailconn ?")," \
	    "$(mbsync --version 2>/dev/null | head -n1)," \
	    "Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1)"
	echo "$(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1))," \
	    "kernel $(uname -r), local Maildirs on $(df -T "$R" | awk 'NR==2 { print $2 }')"
	echo "runs per tool, phase and size: $RUNS; scale $SCALE;" \
	    "load average before the runs $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$R/header.txt"
"$PY" "$HERE/report.py" "$RESULTS" "$R/header.txt" \
    "$R/server-$SMALL.json" "$R/server-$BIG.json" | tee "$R/report.txt"
note "results: $RESULTS, report: $R/report.txt, logs: $R/logs"
# Only now, with every timing taken: the copies, and an earlier run's output.
if [ "${BENCH_KEEP_MAILDIRS:-}" = 1 ]; then
	note "the synced copies are kept in $R/maildirs"
else
	rm -rf "$R/maildirs"
fi
[ -z "$OLD_R" ] || rm -rf "$OLD_R"
if [ $FAILED = 1 ]; then
	note "VERIFICATION FAILED (see above and $R/logs/*.verify)"
	exit 1
fi
exit 0

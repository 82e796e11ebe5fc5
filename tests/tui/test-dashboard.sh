# test-dashboard.sh -- plain `mailconn`: the dashboard over the real sync
# engine against the bed's Dovecot (issue 5).
#
# Two accounts: "big" (bob, CA-signed IMAPS, about 20,000 messages that take
# a few seconds to sync) and "selfie" (ann's INBOX and Sent on the
# self-signed instance).  The test sees:
#   - selfie's certificate raising the modal while big keeps syncing (the
#     title row, above the modal, counts on; files land in big's Maildir);
#   - key-press-to-draw latency while every slot is busy, measured (not
#     asserted): Tab moves the focus arrow to the next pane; a tmux
#     control-mode client times key to redraw ($SHOTS/dash-latency.txt);
#   - `p` pausing mid-sync ("paused" once every slot closed; the Maildir
#     still) and resuming (new connections; the sync completes);
#   - a resize to 120x40 and back;
#   - over the whole run (every capture is parsed): the header with totals,
#     rate and ETA, a folder's progress bar partly filled, and INBOX, Sent,
#     the folder slot and the extra slots moving through their states;
#   - `q` stopping cleanly: exit 0, Dovecot logs "Logged out" for the
#     quit's connections, and `mailconn sync --once big` afterwards changes
#     no file; every message is on disk once.
# Waiting is polling the screen against deadlines, never a fixed sleep.
#
# Standalone (without tests/tui/run.sh): `bash tests/tui/test-dashboard.sh`
# starts its own bed (MC_PORT_BASE, default 30000) and stops it after.

if [ -z "${T_DIR:-}" ]; then
	# not under run.sh: our own bed and harness
	_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	_bed=${MC_BED:-$(mktemp -d /tmp/mc-dash.XXXXXX)}
	if [ ! -f "$_bed/env" ]; then
		MC_PORT_BASE=${MC_PORT_BASE:-30000} TESTBED_QUIET=1 \
		    "$_root/tests/testbed/testbed.sh" start "$_bed" || exit 1
		trap '"$_root/tests/testbed/testbed.sh" stop "$_bed";
		    [ -n "${MC_KEEP:-}" ] || rm -rf "$_bed"' EXIT
	fi
	set -a
	. "$_bed/env"
	set +a
	export MAILCONN=${MAILCONN:-$_root/build/mailconn}
	export T_DIR=$_bed/t-dashboard T_NAME=dashboard SHOTS=${SHOTS:-}
	rm -rf "$T_DIR"
	mkdir -p "$T_DIR"
	cd "$_root" || exit 1
	. tests/tui/lib.sh
	. "${BASH_SOURCE[0]}"
	tui_stop
	exit "$T_FAILS"
fi

PY3=/usr/bin/python3
BIG=big
SELF=selfie
STATES=$T_DIR/states
SPIN='[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏|/\\-]'	# ui.c's spinner frames
: > "$STATES"

# ---- the mailbox: bulk for bob, written once per bed ------------------------
# folder:count; 2-6 KB each, every other one \Seen.
DASH_FOLDERS="INBOX:5000 Sent:3500 Dash/Archive:3000 Dash/Lists/dev:3000
Dash/Lists/ops:3000 Dash/Old:2500"

server_count() {	# FOLDER -> messages on the server (bob)
	doveadm -c "$DOVECOT_CONF" mailbox status -u "$MC_USER2" messages \
	    "$1" 2>/dev/null | sed -n 's/^messages=//p'
}

local_count() {		# ROOT FOLDER-DIR -> files in cur/ + new/
	find "$1/$2/cur" "$1/$2/new" -type f 2>/dev/null | wc -l
}

fill_bob() {
	local f name n
	for f in $DASH_FOLDERS; do
		name=${f%%:*}
		n=${f##*:}
		[ "$(server_count "$name")" = "$n" ] && continue
		"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$name" \
		    --count "$n" --seed dash --size 2000-6000 --start 1001 \
		    --to "$MC_USER2" || return 1
	done
}

# ---- screen helpers ---------------------------------------------------------

# Slot rows "1 INBOX  ⠋ fetching 10/200 INBOX": "1 INBOX fetching".
slot_states() {
	awk '/^ [1-5] [A-Za-z+]+ / {
		st = $3
		if (st !~ /^[a-z]/) st = $4	# a spinner before it
		print $1, $2, st
	}'
}

# One capture into $SCREEN, slot states noted (for "moving through").
# What mid-sync looks like, noted whenever a capture shows it (the sync is
# quick on a warm machine: every poll counts, not one moment).
NL=$'\n'
RE_HEADER="$NL $BIG syncing +[0-9]+/[0-9]+ msgs \([0-9]+%\) +[0-9.]+ [KMG]?B/s +ETA "
RE_BAR="$NL[^$NL]* █+░+ [0-9]+/[0-9]+"	# a folder row, not the header
RE_ALLBUSY=" 5/5 slots busy"
SEEN_HEADER= SEEN_BAR= SHOT_MID=

look() {
	SCREEN=$(tmx capture-pane -p -t mc)
	printf '%s\n' "$SCREEN" | slot_states >> "$STATES"
	[[ $SCREEN =~ $RE_HEADER ]] && SEEN_HEADER=$SCREEN
	[[ $SCREEN =~ $RE_BAR ]] && SEEN_BAR=$SCREEN
	if [ -z "$SHOT_MID" ] && [[ $SCREEN =~ $RE_ALLBUSY ]] &&
	    [[ $SCREEN =~ $RE_BAR ]]; then
		SHOT_MID=$SCREEN
	fi
	return 0
}

# dash_wait REGEX [SECONDS]: tui_wait, noting slot states on the way.
dash_wait() {
	local end
	tick
	end=$(( NOW + ${2:-10} * 1000 ))
	while [ "$NOW" -lt "$end" ]; do
		look
		if printf '%s\n' "$SCREEN" | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.02
		tick
	done
	fail "timed out after ${2:-10}s waiting for /$1/; the screen:"
	printf '%s\n' "$SCREEN" | sed 's/^/    | /' >&2
	return 1
}

seen() {	# ID ROLE STATE-REGEX: was that slot seen in such a state?
	grep -Eq "^$1 $2 ($3)\$" "$STATES"
}

# lat_samples N: N times Tab, each timed from the key to the first
# redraw that carries the moved focus arrow, through a tmux control-mode
# client (no process per key or capture, so the figure is the program's,
# plus tmux's relay: well under a millisecond at rest).  Prints the
# milliseconds, one line.
lat_samples() {
	"$PY3" - "$T_SOCK" "$1" <<'PY'
import os, select, subprocess, sys, time
sock, n = sys.argv[1], int(sys.argv[2])
p = subprocess.Popen(["tmux", "-S", sock, "-f", "/dev/null", "-C", "attach",
    "-t", "mc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
fd, buf = p.stdout.fileno(), b""
def lines(deadline):
    global buf
    while True:
        i = buf.find(b"\n")
        if i >= 0:
            line, buf = buf[:i], buf[i + 1:]
            yield line
            continue
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return
        d = os.read(fd, 65536)
        if not d:
            return
        buf += d
def drain(secs):
    for _ in lines(time.monotonic() + secs):
        pass
ARROW = "\u2192".encode()    # the focus arrow, raw UTF-8 in %output
drain(0.2)
out = []
for _ in range(n):
    drain(0.0)
    t0 = time.monotonic()
    p.stdin.write(b"send-keys -t mc Tab\n")
    for line in lines(t0 + 3):
        if line.startswith(b"%output") and ARROW in line:
            out.append((time.monotonic() - t0) * 1000)
            break
    else:
        break
    drain(0.03)
p.stdin.write(b"detach-client\n")
try:
    p.wait(2)
except subprocess.TimeoutExpired:
    p.kill()
print(" ".join("%.1f" % v for v in out))
PY
}

lat_summary() {		# LABEL MS...: "n=10 min median max"
	local label=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v label="$label" 'NF { v[++n] = $1 }
	END { if (n == 0) { print label ": no samples"; exit }
	    printf "%s: n=%d min=%.1f median=%.1f max=%.1f ms\n", label, n,
	    v[1], v[int((n + 1) / 2)], v[n] }'
}

# ---- set up -----------------------------------------------------------------

tui_fresh_xdg
fill_bob || { fail "could not fill bob's mailbox"; return; }
mkdir -p "$XDG_CONFIG_HOME/mailconn"
cat > "$XDG_CONFIG_HOME/mailconn/accounts.conf" <<EOF
[account $BIG]
email = $MC_USER2
imap-host = localhost
imap-port = $IMAPS_PORT
imap-security = imaps
imap-user = $MC_USER2
ca-file = $MC_CA
maildir = $T_DIR/mail/$BIG

[account $SELF]
email = $MC_USER
imap-host = localhost
imap-port = $IMAPS_SELF_PORT
imap-security = imaps
imap-user = $MC_USER
maildir = $T_DIR/mail/$SELF
folders = INBOX Sent
EOF
kr_clear $BIG
kr_clear $SELF
printf '%s\n' "$MC_PASS2" | "$MAILCONN" password set $BIG >/dev/null ||
    fail "password set $BIG"
printf '%s\n' "$MC_PASS" | "$MAILCONN" password set $SELF >/dev/null ||
    fail "password set $SELF"
ROOT_BIG=$T_DIR/mail/$BIG
DLOG_MARK=$(( $(wc -c < "$DOVECOT_LOG") + 1 ))
SELF_LOG=${DOVECOT_LOG%/main/dovecot.log}/self/dovecot.log

# Every message file of big, sorted (names carry the flags); with "tmp",
# the files still being written too.
files_big() {
	local also=()
	[ "${1:-}" = tmp ] && also=(-o -path '*/tmp/*')
	(cd "$ROOT_BIG" 2>/dev/null && find . -path ./.mailconn -prune -o \
	    -type f \( -path '*/cur/*' -o -path '*/new/*' "${also[@]}" \) \
	    -print | sort)
}

# ---- the prompt while the first account syncs -------------------------------

tui_start
dash_wait "Certificate: imap localhost:$IMAPS_SELF_PORT" 15 || return
# Behind the modal big goes on: the title row (above the modal) counts at
# least 100 more messages, and message files land in big's Maildir.
title_done() { printf '%s\n' "$SCREEN" | sed -n '1s/.* \([0-9]*\)\/[0-9]* msgs.*/\1/p'; }
look
d0=$(title_done)
n0=$(files_big tmp | wc -l)
tick
end=$(( NOW + 10000 ))
while look; d1=$(title_done); [ "${d1:-0}" -lt $(( ${d0:-0} + 100 )) ]; do
	tick
	[ "$NOW" -lt "$end" ] || break
	sleep 0.05
done
n1=$(files_big tmp | wc -l)
printf '%s\n' "$SCREEN" | grep -q "Certificate: imap localhost:$IMAPS_SELF_PORT" ||
    fail "the prompt went away by itself"
[ "${d1:-0}" -ge $(( ${d0:-0} + 100 )) ] &&
    pass "big's totals move behind the modal: ${d0:-?} -> $d1 messages" ||
    fail "the title's totals did not move while the prompt was up (${d0:-?} -> ${d1:-?})"
[ "$n1" -gt "$n0" ] && pass "big kept syncing under the prompt ($n0 -> $n1 files)" ||
    fail "big's Maildir did not grow under the prompt ($n0 -> $n1)"
tui_shot dash-1-prompt
tui_keys o
dash_wait "accepted once .* $SELF +imap localhost:$IMAPS_SELF_PORT" 10 ||
    return

# ---- mid-sync: latency first (while every slot is busy), then pause

look
busy_before=$(printf '%s\n' "$SCREEN" | grep -oE '[0-9]/[0-9] slots busy')
LAT_BUSY=$(lat_samples 12)	# 4n Tabs: the focus ends where it began
look
busy_after=$(printf '%s\n' "$SCREEN" | grep -oE '[0-9]/[0-9] slots busy')
lat_busy=$(lat_summary "Tab -> redraw, $busy_before before, $busy_after after" $LAT_BUSY)
echo "    $lat_busy"
[ -n "$LAT_BUSY" ] || fail "no latency sample while syncing"
[ -z "$SHOTS" ] || [ -z "$SHOT_MID" ] ||
    printf '%s\n' "$SHOT_MID" > "$SHOTS/dash-2-midsync.txt"

# ---- pause and resume -------------------------------------------------------

tui_keys p
dash_wait "^ $BIG paused" 10 || return
dash_wait '^ 1 INBOX +closed' 5 || return
look
printf '%s\n' "$SCREEN" | grep -Eq "^ [1-5] [A-Za-z+]+ +$SPIN " &&
    fail "a slot is still busy while paused"
# "paused" (not "pausing…") shows once the pool's last thread ended: from
# here on nothing may write into the Maildir.
paused_files=$(files_big tmp)
tui_shot dash-4-paused
pass "p: $BIG paused, every slot closed"
look
[ "$(files_big tmp)" = "$paused_files" ] || fail "files changed while paused"
tui_keys p
dash_wait "^ $BIG syncing" 10 || return
dash_wait '^ 1 INBOX +(. )?(resolving|connecting|tls|auth|selecting|fetching|idling)' 10 ||
    return
pass "p again: $BIG syncing"

# ---- the rest of the sync: panes, resize, completion ------------------------

tmx resize-window -t mc -x 120 -y 40
dash_wait '^─.*Folders.* msgs  unseen  progress {10,}' 5 && pass "resized to 120x40 and back" ||
    fail "no relayout at 120x40"
tui_shot dash-3-midsync-120x40
tmx resize-window -t mc -x 80 -y 24
dash_wait '^─.*Folders.* msgs  unseen  progress   last sync' 5 || return
[ "$(tmx display -p -t mc '#{window_width}x#{window_height}')" = 80x24 ] ||
    fail "the window is not 80x24 again"
dash_wait "^ $BIG up to date +[0-9]+/[0-9]+ msgs \(100%\)" 40 || return
[ -n "$SEEN_HEADER" ] && pass "header seen with totals, rate and ETA" ||
    fail "no capture showed the header with totals, rate and ETA"
[ -n "$SEEN_BAR" ] && pass "a folder's progress bar seen filling" ||
    fail "no capture showed a partly filled progress bar"
n_inbox=$(printf '%s\n' $DASH_FOLDERS | sed -n 's/^INBOX://p')
dash_wait "^ INBOX +$n_inbox +$(( n_inbox / 2 )) █+ " 5 &&
    pass "INBOX: $n_inbox messages, $(( n_inbox / 2 )) unseen, full bar" || true

# at rest: latency for comparison, and the second account's view
LAT_REST=$(lat_samples 12)
lat_rest=$(lat_summary "Tab -> redraw, at rest" $LAT_REST)
echo "    $lat_rest"
{ echo "$lat_busy"; echo "  samples: $LAT_BUSY"; echo "$lat_rest";
    echo "  samples: $LAT_REST"; } > "$T_DIR/latency.txt"
[ -z "$SHOTS" ] || { mkdir -p "$SHOTS"; cp "$T_DIR/latency.txt" "$SHOTS/dash-latency.txt"; }
tui_shot dash-5-rest
tui_keys ']'
dash_wait "^ $SELF (syncing|up to date)" 5 && pass "] shows the second account" ||
    true
tui_keys 1
dash_wait "^ $BIG up to date" 5 || return

# ---- what the slots went through --------------------------------------------

seen 1 INBOX fetching && seen 1 INBOX idling &&
    pass "slot 1 INBOX: fetching ... idling" ||
    fail "slot 1 INBOX states: $(grep '^1 ' "$STATES" | sort -u | tr '\n' ' ')"
seen 2 Sent fetching && seen 2 Sent idling &&
    pass "slot 2 Sent: fetching ... idling" ||
    fail "slot 2 Sent states: $(grep '^2 ' "$STATES" | sort -u | tr '\n' ' ')"
seen 3 folders fetching && seen 3 folders 'idle|synced|selecting' &&
    pass "slot 3 folders: fetching, then the next folder or idle" ||
    fail "slot 3 states: $(grep '^3 ' "$STATES" | sort -u | tr '\n' ' ')"
seen '[45]' extra fetching && seen '[45]' extra closed &&
    pass "slots 4-5 (extra): fetching, then closed" ||
    fail "extra slots: $(grep '^[45] ' "$STATES" | sort -u | tr '\n' ' ')"
seen '[1-5]' '[A-Za-z+]+' 'resolving|connecting|tls|auth|selecting' &&
    pass "a slot seen connecting or selecting" ||
    fail "no slot seen before fetching: $(sort -u "$STATES" | tr '\n' ' ')"

# ---- quit: a clean stop ------------------------------------------------------

tui_keys q
rc=$(tui_exit 15)
[ "$rc" = 0 ] && pass "q: exit 0" || fail "q: exit status $rc"
tui_wait '^EXIT=0' 5 || true
# The last three disconnects are the quit's: INBOX, Sent, folders.  Dovecot
# may write them a moment after mailconn ended: poll.
tick
end=$(( NOW + 5000 ))
while :; do
	bob_log=$(tail -c +"$DLOG_MARK" "$DOVECOT_LOG" | grep "imap($MC_USER2)")
	last3=$(printf '%s\n' "$bob_log" | grep 'Disconnected' | tail -3 |
	    grep -c 'Logged out')
	tick
	[ "$last3" = 3 ] || [ "$NOW" -gt "$end" ] && break
	sleep 0.05
done
n_out=$(printf '%s\n' "$bob_log" | grep -c 'Logged out')
n_bad=$(printf '%s\n' "$bob_log" | grep 'Disconnected' | grep -vc 'Logged out')
[ "$last3" = 3 ] && pass "Dovecot: the quit's 3 connections Logged out ($n_out in all, $n_bad other disconnects)" ||
    { fail "Dovecot did not log 3 clean logouts at the quit"; printf '%s\n' "$bob_log" | tail -8 | sed 's/^/    | /' >&2; }
[ "$n_bad" = 0 ] || echo "    note: $n_bad disconnect(s) without LOGOUT (the pause interrupted fetches)"
if [ -f "$SELF_LOG" ] && tail -1 "$SELF_LOG" >/dev/null; then
	self_bad=$(grep "imap($MC_USER)" "$SELF_LOG" | grep 'Disconnected' |
	    tail -2 | grep -vc 'Logged out')
	[ "$self_bad" = 0 ] && pass "Dovecot (self-signed): $SELF logged out too" ||
	    fail "$SELF's connections did not log out cleanly"
fi

# state committed: a sync afterwards finds nothing to do
before=$(files_big)
"$MAILCONN" sync --once $BIG > "$T_DIR/sync.out" 2>&1
src=$?
[ "$src" = 0 ] && pass "sync --once afterwards: exit 0" ||
    { fail "sync --once: exit $src"; sed 's/^/    | /' "$T_DIR/sync.out" >&2; }
[ "$(files_big)" = "$before" ] && pass "sync --once afterwards changed no file" ||
    fail "sync --once changed files: $(diff <(echo "$before") <(files_big) | head -5)"
total=0
for f in $DASH_FOLDERS; do total=$(( total + ${f##*:} )); done
nfiles=$(printf '%s\n' "$before" | grep -c .)
[ "$nfiles" = "$total" ] && pass "$total messages on disk, no duplicate" ||
    fail "$nfiles files on disk, the server has $total"
kr_clear $BIG
kr_clear $SELF
# About 23,000 message files: gone unless something failed (then kept to look at)
[ "$T_FAILS" != 0 ] || rm -rf "$T_DIR/mail"

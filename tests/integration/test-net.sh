#!/bin/bash
# test-net.sh -- net.c against the real test bed: certificate verification
# for every bed certificate, IPv6, connect errors (refused, filtered),
# timeouts, cancellation from another thread, STARTTLS over libetpan for IMAP
# and SMTP, response injection, legacy TLS, and the fd < 1024 guard.
#
# Uses the bed named by $TB (its env file) when MC_CA is not already set;
# with neither, starts its own bed in a temporary directory and stops it at
# the end.  Runs build/itests/t-net ($ITESTS/t-net when set).
#
# Fakes only where a real server cannot misbehave on purpose: a listener
# whose accept queue is full (a firewall that drops, locally), a listener
# that never accepts (a stalled server), a 20-line STARTTLS injector, and
# `openssl s_server -tls1` (a TLS 1.0-only server).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T=${ITESTS:-$ROOT/build/itests}/t-net
PY=/usr/bin/python3

now_ms() { date +%s%3N; }
T_START=$(now_ms)

# ---- tiny assert helpers ---------------------------------------------------
PASS=0
FAILS=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAILS=$((FAILS + 1)); echo "not ok - $1"; shift; for l; do echo "#   $l"; done; }
expect_eq() {	# DESC GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
expect_has() {	# DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "got:" "$2" "want it to contain: $3" ;;
	esac
}
expect_lacks() {	# DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) not_ok "$1" "got:" "$2" "want it NOT to contain: $3" ;;
	*) ok "$1" ;;
	esac
}
expect_range() {	# DESC GOT MIN MAX
	if [ -n "$2" ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1 ($2)"
	else
		not_ok "$1" "got:  '$2'" "want: $3..$4"
	fi
}
field() {	# OUTPUT KEY: the rest of the first "KEY rest" line
	printf '%s\n' "$1" | sed -n "s/^$2 //p" | head -n 1
}

[ -x "$T" ] || { echo "test-net: $T is not built" >&2; exit 1; }
for tool in openssl tmux setsid sha256sum "$PY"; do
	command -v "$tool" >/dev/null ||
		{ echo "test-net: $tool is missing (make deps-test)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/mc-nt.XXXXXX)
OWN_BED=
SS_PID=
FAKE_PID=
cleanup() {
	[ -n "$SS_PID" ] && kill "$SS_PID" 2>/dev/null && wait "$SS_PID" 2>/dev/null
	exec 7>&- 2>/dev/null
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	[ -S "$W/tmux.sock" ] && tmux -S "$W/tmux.sock" kill-server 2>/dev/null
	[ -n "$OWN_BED" ] && TESTBED_QUIET=1 "$ROOT/tests/testbed/testbed.sh" stop "$OWN_BED" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${MC_CA:-}" ]; then
	if [ -n "${TB:-}" ] && [ -f "$TB/env" ]; then
		. "$TB/env"
	else
		OWN_BED=$W/bed
		mkdir -p "$OWN_BED"
		TESTBED_QUIET=1 "$ROOT/tests/testbed/testbed.sh" start "$OWN_BED" ||
			{ echo "test-net: cannot start the test bed" >&2; exit 1; }
		. "$OWN_BED/env"
	fi
fi
H=${MC_HOST:-localhost}

# A free port on 127.0.0.1 (the bind is released before it is used, which
# is racy in theory; nothing else here picks ports at random).
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Wait until something listens on 127.0.0.1:PORT (deadline 5 s).
wait_port() {
	local end=$(( $(now_ms) + 5000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		"$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---- certificates: every bed certificate, in plain words --------------------
out=$("$T" --ca "$MC_CA" handshake "$H" "$IMAPS_PORT" 2>&1)
expect_eq "good cert + test CA: verified" "$(field "$out" problems)" 0
expect_eq "good cert: name matches via SAN" "$(field "$out" name-ok)$(field "$out" cn-only)" 10
expect_has "good cert: SANs recorded" "$out" "san IP:::1"
expect_has "good cert: chain recorded" "$out" "chain 0 CN=localhost"
# Fingerprints are those openssl computes from the PEM.
want_leaf=$(openssl x509 -in "$MC_CERTS/good.crt" -outform DER | sha256sum | cut -d' ' -f1)
want_spki=$(openssl x509 -in "$MC_CERTS/good.crt" -pubkey -noout |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
expect_eq "leaf SHA-256 = openssl's" "$(field "$out" leaf-sha256)" "$want_leaf"
expect_eq "SPKI SHA-256 = openssl's" "$(field "$out" spki-sha256)" "$want_spki"
case $(field "$out" tls) in
TLSv1.3*|TLSv1.2*) ok "TLS 1.2 or newer negotiated" ;;
*) not_ok "TLS 1.2 or newer negotiated" "$out" ;;
esac

out=$("$T" handshake "$H" "$IMAPS_PORT" 2>&1)
expect_has "system store only: unknown authority" "$out" \
    "problem 0 20 issued by an unknown authority (CN=mailconn test CA)"
expect_eq "system store only: 20 and 21 are one problem" "$(field "$out" problems)" 1

out=$("$T" --no-system-ca --ca "$MC_CA" handshake "$H" "$IMAPS_PORT" 2>&1)
expect_eq "test CA alone (no system store) verifies" "$(field "$out" problems)" 0

out=$("$T" --ca "$MC_CA" handshake "$H" "$IMAPS_SELF_PORT" 2>&1)
expect_has "self-signed: in plain words" "$out" "problem 0 18 self-signed certificate"
expect_eq "self-signed: flagged, only problem" "$(field "$out" self-signed) $(field "$out" problems)" "1 1"

out=$("$T" --ca "$MC_CA" handshake "$H" "$IMAPS_EXPIRED_PORT" 2>&1)
expect_has "expired: date in plain words" "$out" "problem 0 10 expired on 2021-01-01 (UTC)"
expect_eq "expired: the only problem" "$(field "$out" problems)" 1

out=$("$T" --ca "$MC_CA" handshake "$H" "$IMAPS_WRONGHOST_PORT" 2>&1)
expect_has "wrong host: names both" "$out" "problem 0 62 issued for wrong.example.test — not localhost"
expect_eq "wrong host: name-ok 0, the only problem" "$(field "$out" name-ok) $(field "$out" problems)" "0 1"

# IP literals: no SNI, verified against IP SANs.
out=$("$T" --ca "$MC_CA" handshake 127.0.0.1 "$IMAPS_PORT" 2>&1)
expect_eq "127.0.0.1 verifies against IP SAN" "$(field "$out" problems)" 0
out=$("$T" --ca "$MC_CA" handshake ::1 "$IMAPS_PORT" 2>&1)
expect_eq "IPv6 ::1 verifies against IP SAN" "$(field "$out" problems)" 0
out=$("$T" --ca "$MC_CA" handshake ::1 "$IMAPS_WRONGHOST_PORT" 2>&1)
expect_has "IPv6 ::1 vs wrong-host cert: IP mismatch in words" "$out" \
    "issued for wrong.example.test — not ::1"
out=$("$T" connect ::1 "$IMAPS_PORT" 2>&1)
expect_eq "IPv6 ::1: peer and source address" \
    "$(field "$out" conn-peer)/$(field "$out" conn-local)" "::1/::1"

# ---- connect errors ----------------------------------------------------------
# A port that was free a moment ago: closed.
CLOSED=$(free_port)
t0=$(now_ms)
out=$("$T" --timeout 10 connect "$H" "$CLOSED" 2>&1)
el=$(( $(now_ms) - t0 ))
expect_has "closed port: MCE_REFUSED in words" "$out" \
    "ERR refused: Connection refused by $H:$CLOSED (127.0.0.1): the port is closed."
expect_range "closed port: fails at once, ms" "$el" 0 1000
expect_eq "closed port: counted as refused" "$(field "$out" refused)" 1

out=$("$T" connect no-such-host.invalid 993 2>&1)
expect_has "unknown name: MCE_RESOLVE naming it" "$out" \
    "ERR resolve: Cannot resolve the server name no-such-host.invalid"

out=$("$T" --timeout 2 stall-connect 2>&1)
expect_has "filtered port: MCE_TIMEOUT with advice" "$out" \
    "the port may be filtered by a firewall; source address 127.0.0.1."
expect_range "filtered port: timeout after 2 s, ms" "$(field "$out" ms)" 1900 3000
expect_eq "filtered port: counted, source recorded" \
    "$(field "$out" timedout) $(field "$out" local)" "1 127.0.0.1"

out=$("$T" fd-limit "$H" "$IMAPS_PORT" 2>&1)
expect_has "socket fd >= 1024 is refused clearly" "$out" \
    "ERR io: Too many open files: the socket for $H got descriptor 1024, but libetpan needs one below 1024."

# ---- timeouts and cancel -----------------------------------------------------
out=$("$T" --timeout 2 stall-read 2>&1)
expect_has "stalled server: greeting read times out" "$out" \
    "ERR timeout: No answer from 127.0.0.1:"
expect_range "stalled server: within the 2 s configured, ms" "$(field "$out" ms)" 1900 3000
expect_eq "stalled server: libetpan closed the stream, net saw it" \
    "$(field "$out" stream-closed)" 1

out=$("$T" --timeout 2 --tls stall-read 2>&1)
expect_has "stalled TLS handshake: MCE_TIMEOUT" "$out" "ERR timeout: No TLS answer from"
expect_range "stalled TLS handshake: within 2 s, ms" "$(field "$out" ms)" 1900 3000

# Dovecot says nothing after its greeting: our driver's read timeout.
out=$("$T" --ca "$MC_CA" --tls --timeout 2 read "$H" "$IMAPS_PORT" 2>&1)
expect_has "quiet Dovecot: greeting read over our TLS driver" "$out" "greeting * OK"
expect_range "quiet Dovecot: read times out at 2 s, ms" "$(field "$out" ms)" 1900 3000
expect_has "quiet Dovecot: the reason is kept for the caller" "$out" \
    "stream-error timeout: No answer from $H:$IMAPS_PORT within 2 s."

for mode in tls plain; do
	if [ $mode = tls ]; then
		out=$("$T" --ca "$MC_CA" --tls --timeout 30 --cancel-after 300 read "$H" "$IMAPS_PORT" 2>&1)
	else
		out=$("$T" --timeout 30 --cancel-after 300 read "$H" "$IMAP_PORT" 2>&1)
	fi
	expect_eq "cancel ($mode): blocked read fails" "$(field "$out" read)" -1
	expect_range "cancel ($mode): read unblocked < 1 s after net_cancel, ms" \
	    "$(field "$out" cancel-latency-ms)" 0 999
	expect_has "cancel ($mode): said as cancelled" "$out" "stream-error cancelled:"
	ra=$(field "$out" read-again)
	expect_eq "cancel ($mode): stays cancelled" "${ra%% *}" -1
	expect_range "cancel ($mode): a later read fails at once, ms" "${ra##* }" 0 100
done

out=$("$T" --ca "$MC_CA" --tls idle-cancel "$H" "$IMAPS_PORT" 2>&1)
expect_has "IDLE wait: times out when the server is quiet" "$out" "wait-idle 3 "
w=$(field "$out" wait-idle-cancel)
expect_eq "IDLE wait: net_cancel gives MAILSTREAM_IDLE_CANCELLED" "${w%% *}" 4
expect_range "IDLE wait: cancelled < 1 s after net_cancel, ms" "${w##* }" 0 999
expect_eq "IDLE wait: stream stays cancelled" "$(field "$out" read-after)" -1

# ---- libetpan over our driver: implicit TLS and STARTTLS ---------------------
out=$("$T" --ca "$MC_CA" imap "$H" "$IMAPS_PORT" 2>&1)
expect_has "IMAPS: libetpan greeting over our driver" "$out" "connect 2"
expect_has "IMAPS: CAPABILITY over TLS" "$out" "caps IMAP4rev1"
expect_has "IMAPS: LOGOUT" "$out" "logout 0"
expect_eq "IMAPS: mailimap_free closed the stream, conn noticed" "$(field "$out" stream-closed)" 1

out=$("$T" --ca "$MC_CA" --starttls imap "$H" "$IMAP_PORT" 2>&1)
expect_has "IMAP STARTTLS: advertised before" "$out" "caps-plain IMAP4rev1"
expect_has "IMAP STARTTLS: verified after the swap" "$out" "problems 0"
caps=$(field "$out" caps)
expect_lacks "IMAP STARTTLS: CAPABILITY after TLS has no STARTTLS" "$caps" STARTTLS
expect_has "IMAP STARTTLS: ends cleanly" "$out" "OK"

out=$("$T" --starttls imap "$H" "$IMAP_SELF_PORT" 2>&1)
expect_has "IMAP STARTTLS, self-signed: recorded, not aborted" "$out" "problem 0 18 self-signed certificate"

out=$("$T" --ca "$MC_CA" --starttls smtp "$H" "$SUBMISSION_PORT" 2>&1)
expect_has "SMTP STARTTLS: no AUTH before TLS" "$out" "ehlo starttls=1 auth-plain=0"
expect_has "SMTP STARTTLS: AUTH after TLS" "$out" "ehlo-tls starttls=0 auth-plain=1"
expect_has "SMTP STARTTLS: verified" "$out" "problems 0"
expect_has "SMTP STARTTLS: QUIT" "$out" "quit 0"

out=$("$T" --ca "$MC_CA" smtp "$H" "$SMTPS_PORT" 2>&1)
expect_has "SMTPS: EHLO over implicit TLS" "$out" "ehlo starttls=0 auth-plain=1"

out=$("$T" --ca "$MC_CA" handshake "$H" "$IMAP_PORT" 2>&1)
expect_has "TLS to a plaintext port: said so" "$out" \
    "did not answer in TLS (wrong version number): is port $IMAP_PORT a STARTTLS or plaintext port?"

# ---- STARTTLS response injection ---------------------------------------------
# The reply and an injected line in one segment: those bytes were sent
# before TLS by anyone on the path, and must not survive into the session.
cat > "$W/inject.py" <<'EOF'
import socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(l.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = l.accept()
c.sendall(b"* OK fake ready\r\n")
f = c.makefile("rb")
line = f.readline()
if line.upper().endswith(b"STARTTLS\r\n"):
	tag = line.split(b" ")[0]
	c.sendall(tag + b" OK Begin TLS\r\n* CAPABILITY IMAP4rev1 INJECTED\r\n")
f.read()
EOF
"$PY" "$W/inject.py" "$W/inject.port" & FAKE_PID=$!
end=$(( $(now_ms) + 5000 ))
while [ ! -s "$W/inject.port" ] && [ "$(now_ms)" -lt "$end" ]; do sleep 0.02; done
out=$("$T" --timeout 5 inject 127.0.0.1 "$(cat "$W/inject.port" 2>/dev/null)" 2>&1)
expect_has "injection: STARTTLS reply read" "$out" "reply a OK Begin TLS"
# "* CAPABILITY IMAP4rev1 INJECTED\r\n" is 33 bytes.
expect_has "injection: refused with the byte count" "$out" \
    "ERR starttls: The server 127.0.0.1:$(cat "$W/inject.port" 2>/dev/null) sent 33 bytes after its STARTTLS reply before TLS began (possible injection attack); refusing to continue."
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=

# ---- legacy TLS: a TLS 1.0-only server ---------------------------------------
SSP=$(free_port)
mkfifo "$W/ss.in"
openssl s_server -accept "127.0.0.1:$SSP" -cert "$MC_CERTS/good.crt" \
    -key "$MC_CERTS/good.key" -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -quiet \
    < "$W/ss.in" > "$W/ss.log" 2>&1 & SS_PID=$!
exec 7> "$W/ss.in"	# hold s_server's stdin open
if wait_port "$SSP"; then
	out=$("$T" --ca "$MC_CA" handshake "$H" "$SSP" 2>&1)
	expect_has "TLS 1.0-only server: refused by default, with advice" "$out" \
	    "set tls-min = 1.0 for this account if you must."
	expect_has "TLS 1.0-only server: MCE_TLS" "$out" "ERR tls:"
	out=$("$T" --ca "$MC_CA" --tls-min 10 handshake "$H" "$SSP" 2>&1)
	expect_eq "tls-min 1.0: TLS 1.0 session" "$(field "$out" tls | cut -d' ' -f1)" TLSv1
	expect_eq "tls-min 1.0: certificate still verified" "$(field "$out" problems)" 0
	expect_has "tls-min 1.0: warns about legacy TLS" "$out" "allows legacy TLS 1.0"
else
	not_ok "openssl s_server -tls1 did not start" "$(cat "$W/ss.log")"
fi
kill "$SS_PID" 2>/dev/null; wait "$SS_PID" 2>/dev/null; SS_PID=
exec 7>&-

out=$("$T" --ca "$MC_CA" --tls-max 12 handshake "$H" "$IMAPS_PORT" 2>&1)
expect_eq "tls-max 1.2 caps the version (for check's probes)" \
    "$(field "$out" tls | cut -d' ' -f1)" TLSv1.2

# ---- the terminal prompt (trust-tty.c), driven through tmux ------------------
out=$(setsid "$T" tty-available < /dev/null 2>&1)
expect_eq "no controlling terminal: trust_tty_available says 0" "$out" "tty-available 0"
TMUX_SOCK=$W/tmux.sock
tmx() { tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }
# Poll the pane (or a file) for a pattern, deadline 10 s (TESTBED 6).
wait_screen() {	# PATTERN
	local end=$(( $(now_ms) + 10000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		tmx capture-pane -p -J -t S 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.02
	done
	return 1
}
wait_file() {	# FILE PATTERN
	local end=$(( $(now_ms) + 10000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}
# prompt DESC OPTS -- STEP...: each STEP is "screen:TEXT" (wait for it) or
# "keys:TEXT" (type it and Enter) or "eof" (^D); sets $answer and $screen.
prompt() {
	local desc=$1 opts=$2 step
	shift 3
	rm -f "$W/tty.out"
	tmx kill-server 2>/dev/null
	tmx new-session -d -s S -x 140 -y 50 \
	    "'$T' $opts tty-prompt '$H' '$IMAPS_SELF_PORT' > '$W/tty.out' 2>&1; sleep 30"
	for step; do
		case $step in
		screen:*)
			wait_screen "${step#screen:}" ||
			    not_ok "$desc: screen shows '${step#screen:}'" "$(tmx capture-pane -p -t S)" ;;
		keys:*) tmx send-keys -t S -l "${step#keys:}"; tmx send-keys -t S Enter ;;
		eof) tmx send-keys -t S C-d ;;
		esac
	done
	wait_file "$W/tty.out" "answer "
	answer=$(field "$(cat "$W/tty.out")" answer)
	screen=$(tmx capture-pane -p -J -t S -S -100)
	tmx kill-server 2>/dev/null
}
ASK='[r]eject, accept [o]nce, accept [a]lways? [r]'
prompt "untrusted, always" "" -- "screen:$ASK" "keys:a"
expect_eq "tty prompt: 'a' accepts always" "$answer" always
expect_has "tty prompt: report names the problem" "$screen" "  - self-signed certificate"
expect_has "tty prompt: report shows the key fingerprint" "$screen" "Key SHA-256:  "
prompt "untrusted, default" "" -- "screen:$ASK" "keys:"
expect_eq "tty prompt: Enter alone rejects" "$answer" reject
prompt "untrusted, nonsense then once" "" -- "screen:$ASK" "keys:x" \
    "screen:Please answer r, o or a." "keys:o"
expect_eq "tty prompt: asks again after nonsense, then 'o' is once" "$answer" once
prompt "untrusted, EOF" "" -- "screen:$ASK" "eof"
expect_eq "tty prompt: EOF rejects" "$answer" reject
prompt "changed, always without yes" "--changed" -- \
    "screen:WARNING: CERTIFICATE CHANGED since pinned on 2023-11-14 22:13 UTC" \
    "screen:$ASK" "keys:a" "screen:Type yes to accept it anyway" "keys:y"
expect_eq "CHANGED: 'a' then anything but yes rejects" "$answer" reject
expect_has "CHANGED: old key shown" "$screen" "Pinned key SHA-256:  00:00:00"
prompt "changed, once with yes" "--changed" -- "screen:$ASK" "keys:o" \
    "screen:Type yes to accept it anyway" "keys:yes"
expect_eq "CHANGED: 'o' then typing yes accepts once" "$answer" once

echo "# test-net: $PASS passed, $FAILS failed, $(( $(now_ms) - T_START )) ms"
[ "$FAILS" -eq 0 ]

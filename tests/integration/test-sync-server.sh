#!/bin/bash
# test-sync-server.sh -- the sync against a server that misbehaves for real:
# Dovecot restarted in the middle of a download (slots back off, reconnect,
# the sync completes with nothing lost), Dovecot allowing 2 connections per
# user (the pool shrinks, says so, and still completes), and a self-signed
# certificate with no terminal to ask (an error naming `mailconn certs
# trust`, no LOGIN sent).
#
# Works in $MC_USER2's mailbox, in folders under mcs-srv/ of its own.

T=${ITESTS:-$MC_ROOT/build/itests}/t-sync
[ -x "$T" ] || fail "$T is not built (make build/itests/t-sync)"
[ -x "$MAILCONN" ] || fail "$MAILCONN is not built"
fresh_home sync-server
P=mcs-srv
FOLDERS=("$P/A" "$P/B" "$P/C")
LOG=$XDG_STATE_HOME/mailconn/mailconn.log
DV=$TB/dv/main
rm -rf "$TEST_DIR/restart" "$TEST_DIR/limit" "$TEST_DIR/self"
dove mailbox delete -u "$MC_USER2" -r -s "$P" >/dev/null 2>&1 || true
for f in "${FOLDERS[@]}"; do
	"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$f" --count 300 \
	    --seed srv --size 4000-40000
done
(umask 077 && printf '%s\n' "$MC_PASS2" > "$TEST_DIR/pw")
acct() {	# NAME MAILDIR [KEY=VALUE...]
	local n=$1 d=$2
	shift 2
	write_account "$n" email="$MC_USER2" imap-host=localhost \
	    imap-port="$IMAPS_PORT" ca-file="$MC_CA" maildir="$d" \
	    folders="$P/*" password-command="cat $TEST_DIR/pw" "$@"
}
local_count() {	# DIR [tmp]: messages in cur/ and new/ (and tmp/)
	if [ -n "${2:-}" ]; then
		find "$1" -type f -path '*/[cnt][ue][rwp]/*' 2>/dev/null | wc -l
	else
		find "$1" -path '*/cur/*' -o -path '*/new/*' 2>/dev/null | wc -l
	fi
}

# ---- Dovecot restarted in the middle of the download ------------------------
# The download outruns a shell on loopback, so the sync stops itself
# (SIGSTOP, MAILCONN_CRASH_AT=stop, sync.h) after 20 messages; meanwhile
# Dovecot goes down.  Let go, the slots find the connections dead mid-
# message and the server refusing, back off, and finish once it is back.
master_pid() {
	awk '$1 == "dovecot-main" { p = $2 } END { print p }' "$TB/pids"
}
proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }
acct sync-restart "$TEST_DIR/restart"
MAILCONN_CRASH_AT=stop "$MAILCONN" sync --once sync-restart </dev/null \
    >/dev/null 2>"$TEST_DIR/restart.err" &
SPID=$!
_lib_register_pid mailconn-sync "$SPID"
wait_for sh -c "[ \"\$(awk '{ print \$3 }' /proc/$SPID/stat)\" = T ]" \
    --deadline 30 || fail "the sync did not stop itself mid-download"
mid=$(local_count "$TEST_DIR/restart" tmp)
old=$(master_pid)
# (Dovecot's imap processes would finish a running FETCH after the master's
# SIGTERM; the kick drops them at once, as a crash would.)
dove kick "$MC_USER2" >/dev/null
kill -TERM "$old"
wait_for sh -c "! kill -0 $old 2>/dev/null" --deadline 10 ||
    fail "Dovecot did not stop"
kill -CONT "$SPID"
backoff() { grep -q "slot [0-9] (sync-restart, [^)]*): backoff [0-9]*s" "$LOG"; }
wait_for backoff --deadline 20 || fail "no slot backed off while Dovecot was down"
# Started as testbed.sh does, and recorded there so that its stop finds it.
dovecot -F -c "$DV/dovecot.conf" </dev/null >>"$DV/stderr.log" 2>&1 &
new=$!
st=$(awk '{ print $22 }' "/proc/$new/stat")
echo "dovecot-main $new $st" >> "$TB/pids"
"$PY3" "$PROBE" wait --deadline 10 "imaps:$IMAPS_PORT" "imap:$IMAP_PORT" ||
    fail "Dovecot did not come back"
wait_for sh -c "! kill -0 $SPID 2>/dev/null" --deadline 90 ||
    fail "mailconn did not finish after the restart"
wait "$SPID" && rc=0 || rc=$?
assert_eq "$rc" 0 "sync --once across a Dovecot restart ($(cat "$TEST_DIR/restart.err"))"
[ "$mid" -lt 600 ] || fail "the restart came too late to interrupt ($mid)"
expect_rc 0 "$T" compare "$MAIL_ROOT2" "$TEST_DIR/restart" "${FOLDERS[@]}"
assert_contains "$OUT" "TOTAL ok" "complete after the restart"
assert_match "$(grep 'sync-restart' "$LOG")" "closed the connection|connection .* was lost" \
    "a download was cut off"
grep 'sync-restart' "$LOG" | sed -n '/: backoff [0-9]*s/,$p' |
    grep -q 'slot [0-9] (sync-restart, [^)]*): connected' ||
    fail "no reconnect after the backoff"

# ---- two connections allowed ------------------------------------------------
"$TESTBED" set-max-conn "$TB" 2
defer "$TESTBED" set-max-conn "$TB" 20
# (login processes from before the reload may still serve a moment)
limited() {
	"$PY3" - <<-'EOF'
	import imaplib, os, ssl, sys
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	ms = []
	for i in range(3):
	    m = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAPS_PORT"]),
	        ssl_context=ctx)
	    m._encoding = "utf-8"
	    try:
	        m.login(os.environ["MC_USER2"], os.environ["MC_PASS2"])
	    except imaplib.IMAP4.error as e:
	        sys.exit(0 if i == 2 and b"[LIMIT]" in str(e).encode() else 1)
	    ms.append(m)
	sys.exit(1)
	EOF
}
wait_for limited --deadline 15 || fail "Dovecot does not limit to 2 connections"
acct sync-limit "$TEST_DIR/limit"
EXPECT_TIMEOUT=90 expect_rc 0 "$T" events sync-limit --once
ev=$OUT
assert_match "$ev" "POOL [1-4]/5 the server refused slot [2-5]: .*too many connections" \
    "the pool shrinks and says why"
assert_contains "$ev" "[LIMIT] Maximum number of connections" \
    "the server's words are in the reason"
assert_match "$ev" "SLOT [2-5] [^ ]+ error error: too many connections" \
    "the refused slot shows the error"
for f in "${FOLDERS[@]}"; do
	assert_match "$ev" "FOLDER $f 300/300 done" "$f synced by the rest"
done
expect_rc 0 "$T" compare "$MAIL_ROOT2" "$TEST_DIR/limit" "${FOLDERS[@]}"
assert_contains "$OUT" "TOTAL ok" "complete with 2 connections"
"$TESTBED" set-max-conn "$TB" 20

# ---- an untrusted certificate and no terminal --------------------------------
SELFLOG=$TB/dv/self/dovecot.log
before=$(wc -l < "$SELFLOG")
write_account sync-self email="$MC_USER2" imap-host=localhost \
    imap-port="$IMAPS_SELF_PORT" maildir="$TEST_DIR/self" folders="$P/*" \
    password-command="cat $TEST_DIR/pw"
expect_rc 1 "$MAILCONN" sync --once sync-self
assert_contains "$ERR" "mailconn certs trust" "the error says how to trust it"
[ "$(local_count "$TEST_DIR/self")" = 0 ] || fail "mail arrived over an untrusted connection"
if tail -n +"$((before + 1))" "$SELFLOG" | grep -q "Login: user=<$MC_USER2>"; then
	fail "a LOGIN reached the self-signed server"
fi

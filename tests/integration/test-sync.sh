#!/bin/bash
# test-sync.sh -- `mailconn sync` against the real Dovecot of the test bed:
# the initial sync of the sample mailbox (nested and non-ASCII folder names)
# equals the server byte for byte, a second run changes nothing, neomutt
# reads the result, the event stream of a pool shows slot states and folder
# progress and stops cleanly, and IDLE brings new mail within 2 s.
#
# The sample mailbox of $MC_USER is only read.  What the test changes lives
# in $MC_USER2's mailbox (INBOX, which no other test reads).

T=${ITESTS:-$MC_ROOT/build/itests}/t-sync
[ -x "$T" ] || fail "$T is not built (make build/itests/t-sync)"
[ -x "$MAILCONN" ] || fail "$MAILCONN is not built"
fresh_home sync
ROOT=$TEST_DIR/mail
rm -rf "$ROOT" "$TEST_DIR/mail2" "$TEST_DIR/bob"

imap_py() {	# PORT USER PASS SCRIPT-ON-STDIN: imaplib session as `m`
	"$PY3" - "$@" <<-EOF
	import imaplib, os, ssl, sys, time, glob
	port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	m = imaplib.IMAP4_SSL("localhost", port, ssl_context=ctx)
	m._encoding = "utf-8"
	m.login(user, pw)
	$(cat)
	m.logout()
	EOF
}

# A listing of every file name and the state's rows: "changes nothing".
snapshot() {
	(cd "$1" && find . -path ./.mailconn -prune -o -type f -print | sort)
	sqlite3 "$1/.mailconn/state.db" \
	    "select f.name, m.uid, m.flags, m.filename from messages m join folders f on f.id = m.folder order by 1, 2"
}

# ---- the initial sync of the sample mailbox ------------------------------

bed_account sync-ann maildir="$ROOT"
# (the keyring of the bed holds the password, as for a person)
expect_rc 0 "$MAILCONN" password set sync-ann <<<"$MC_PASS"

EXPECT_TIMEOUT=60 expect_rc 0 "$MAILCONN" sync --once sync-ann
assert_eq "$ERR" "" "no progress lines when stderr is not a terminal"
expect_rc 0 "$T" compare "$MAIL_ROOT" "$ROOT"
assert_contains "$OUT" "TOTAL ok" "local copy equals the server"
for f in INBOX Sent Drafts Junk Work Work/Projects Reçus Пример Trash; do
	assert_match "$OUT" "FOLDER $f server=[0-9]+ local=[0-9]+ .* ok" \
	    "folder $f compared"
done
n=$(printf '%s\n' "$OUT" | sed -n 's/^FOLDER INBOX server=\([0-9]*\).*/\1/p')
assert_eq "$n" "$("$PY3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["INBOX"]["messages"])' "$SAMPLE_MANIFEST")" \
    "INBOX count from sample.json"
# plain directories, UTF-8 names, nested
[ -d "$ROOT/Work/Projects/cur" ] || fail "Work/Projects is not $ROOT/Work/Projects"
[ -d "$ROOT/Reçus/new" ] || fail "Reçus is not stored under its UTF-8 name"
[ -d "$ROOT/Пример/cur" ] || fail "Пример is not stored under its UTF-8 name"
# flags: sample INBOX #4 is \Answered and \Seen, #7 \Flagged (seen-every 2,
# flagged-every 7): the file names say so, unseen mail is in new/
ls "$ROOT/INBOX/cur" | grep -q ',U=4:2,RS$' || fail "INBOX 4 is not R+S"
ls "$ROOT/INBOX/new" | grep -q ',U=1$' || fail "unseen INBOX 1 not in new/"
ls "$ROOT/INBOX/"{cur,new} | grep -q ',U=7:2,F$' || fail "INBOX 7 not flagged"
assert_file_contains "$XDG_STATE_HOME/mailconn/mailconn.log" \
    "sync: sync-ann/Work/Projects:" "the log names each folder"

# ---- a second run changes nothing ----------------------------------------
before=$(snapshot "$ROOT")
expect_rc 0 "$MAILCONN" sync --once sync-ann
assert_eq "$(snapshot "$ROOT")" "$before" "a run after a complete one"

# ---- neomutt reads it ------------------------------------------------------
# Index of INBOX in a private tmux: the status line we set counts messages,
# new ones and flagged ones as neomutt parsed them from the Maildir.
want_new=$(ls "$ROOT/INBOX/new" | wc -l)
want_flag=$(ls "$ROOT/INBOX/"{cur,new} | grep -c ':2,[A-Z]*F' || true)
TM="tmux -S $TEST_DIR/tmux.sock -f /dev/null"
defer $TM kill-server
$TM new-session -d -s nm -x 120 -y 40 -e LANG=C.UTF-8 \
    "neomutt -n -F /dev/null -R -e 'set folder=$ROOT spoolfile=$ROOT/INBOX record=/dev/null postponed=$ROOT/Drafts mbox=$ROOT/INBOX' -e 'set status_format=\"NMSTATUS msgs=%m new=%n flagged=%F\"' -f $ROOT/INBOX; sleep 30"
screen() { $TM capture-pane -p -t nm; }
wait_for sh -c "$TM capture-pane -p -t nm | grep -q NMSTATUS" ||
    fail "neomutt did not show the index: $(screen)"
assert_contains "$(screen)" "NMSTATUS msgs=$n new=$want_new flagged=$want_flag" \
    "neomutt's count of INBOX"
assert_contains "$(screen)" "#5" "neomutt lists the multipart sample #5"
$TM kill-server 2>/dev/null || true

# ---- the event stream of a pool, and a clean stop from another thread ------
# A --once pass over folders synced before: one connection does it all.
expect_rc 0 "$T" events sync-ann --once
ev=$OUT
for s in "SLOT 1 all resolving" "SLOT 1 all connecting" "SLOT 1 all auth" \
    "SLOT 1 all selecting selecting INBOX" "SLOT 1 all closed" "LIST 9" \
    "FOLDER INBOX $n/$n done" "FOLDER Work/Projects 4/4 done" \
    "FOLDER Пример 1/1 done" "STOPPED"; do
	assert_contains "$ev" "$s" "events of a --once resync"
done
assert_not_contains "$ev" "SLOT 2" "a resync opens one connection"
# states come in order: resolving < connecting < auth < selecting < closed
order=$(printf '%s\n' "$ev" | awk '$1 == "SLOT" && $2 == 1 { print $4 }' |
    uniq | tr '\n' ' ')
assert_match "$order" "^resolving connecting auth idle selecting idle (selecting idle )*closed $" \
    "slot 1 state order"

write_account sync-ev email="$MC_USER" imap-host=localhost \
    imap-port="$IMAPS_PORT" ca-file="$MC_CA" maildir="$TEST_DIR/mail2" \
    password-command="cat $TEST_DIR/pw"
(umask 077 && printf '%s\n' "$MC_PASS" > "$TEST_DIR/pw")
expect_rc 0 "$T" events sync-ev --stop-when-idle
ev=$OUT
for s in "SLOT 1 INBOX idling" "SLOT 2 Sent idling" "SLOT 3 folders idle" \
    "SLOT 4 extra" "TOTALS" "STOPPING" \
    "SLOT 1 INBOX closed" "SLOT 2 Sent closed" "SLOT 3 folders closed" \
    "STOPPED"; do
	assert_contains "$ev" "$s" "events of a pool stopped while idling"
done
# Sent's size depends on what earlier tests sent through the shared bed.
assert_match "$ev" "FOLDER Sent [0-9]+/[0-9]+ done" "Sent synced"
assert_not_contains "$ev" "WAIT-ERR" "clean stop"
# the stop is quick: IDLE ends with DONE, then LOGOUT
t_stop=$(printf '%s\n' "$ev" | sed -n 's/^STOPPING \([0-9]*\) ms/\1/p')
t_end=$(printf '%s\n' "$ev" | sed -n 's/^STOPPED \([0-9]*\) ms/\1/p')
[ $((t_end - t_stop)) -lt 2000 ] || fail "stop took $((t_end - t_stop)) ms"
expect_rc 0 "$T" compare "$MAIL_ROOT" "$TEST_DIR/mail2"
assert_contains "$OUT" "TOTAL ok" "the pool's copy equals the server"

# ---- IDLE: new mail within 2 s ---------------------------------------------
BROOT=$TEST_DIR/bob
dove mailbox delete -u "$MC_USER2" -r -s mcs-poll >/dev/null 2>&1 || true
"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder mcs-poll/P --count 1 \
    --seed poll
write_account sync-bob email="$MC_USER2" imap-host=localhost \
    imap-port="$IMAPS_PORT" ca-file="$MC_CA" maildir="$BROOT" \
    folders="INBOX mcs-poll/*" poll-interval=10
expect_rc 0 "$MAILCONN" password set sync-bob <<<"$MC_PASS2"
"$MAILCONN" sync sync-bob </dev/null >"$TEST_DIR/daemon.out" \
    2>"$TEST_DIR/daemon.err" &
DPID=$!
_lib_register_pid mailconn-sync "$DPID"
idling() { grep -q 'slot 1 (sync-bob, [^)]*): idling INBOX' \
    "$XDG_STATE_HOME/mailconn/mailconn.log"; }
wait_for idling --deadline 20 || fail "no slot idles on bob's INBOX"
out=$(imap_py "$IMAPS_PORT" "$MC_USER2" "$MC_PASS2" <<-EOF
	subj = "idle %d" % os.getpid()
	t0 = time.time()
	m.append("INBOX", None, None, ("Subject: %s\r\n\r\nhello\r\n" % subj).encode())
	found = None
	while time.time() - t0 < 5 and not found:
	    for f in glob.glob("$BROOT/INBOX/new/*") + glob.glob("$BROOT/INBOX/cur/*"):
	        if subj.encode() in open(f, "rb").read():
	            found = f
	    time.sleep(0.02)
	print("IDLE %.3f" % (time.time() - t0) if found else "IDLE missing")
	EOF
)
assert_match "$out" "^IDLE [01]\.[0-9]+$" "new mail in the Maildir within 2 s"
# The other folders are polled (poll-interval 10 s), and a folder created
# on the server meanwhile is found by the LIST of the next poll.
[ "$(ls "$BROOT/mcs-poll/P/"{cur,new} | grep -c ,U=)" = 1 ] ||
    fail "mcs-poll/P not synced"
# Through IMAP, not files behind Dovecot's back: its mailbox list index may
# not notice a directory made in the same second as its last look.
imap_py "$IMAPS_PORT" "$MC_USER2" "$MC_PASS2" <<-'EOF'
	m.append("mcs-poll/P", None, None, b"Subject: poll P\r\n\r\nhello\r\n")
	m.create("mcs-poll/Q")
	m.append("mcs-poll/Q", None, None, b"Subject: poll Q\r\n\r\nhello\r\n")
	EOF
polled() { [ "$(ls "$BROOT/mcs-poll/P/"{cur,new} 2>/dev/null | grep -c ,U=)" = 2 ] &&
    [ "$(ls "$BROOT/mcs-poll/Q/"{cur,new} 2>/dev/null | grep -c ,U=)" = 1 ]; }
wait_for polled --deadline 25 || fail "the poll did not bring the new mail"
# SIGTERM: a clean stop, exit 0
kill -TERM "$DPID"
wait_for sh -c "! kill -0 $DPID 2>/dev/null" --deadline 10 ||
    fail "mailconn sync did not stop on SIGTERM"
wait "$DPID" && rc=0 || rc=$?
assert_eq "$rc" 0 "exit status after SIGTERM"
assert_file_contains "$XDG_STATE_HOME/mailconn/mailconn.log" \
    "slot 1 (sync-bob, INBOX): closed" "slot closed after SIGTERM"
assert_file_not_contains "$XDG_STATE_HOME/mailconn/mailconn.log" \
    "slot 2 (sync-bob, Sent): connecting" "no connection without a folder"

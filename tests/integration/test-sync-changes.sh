#!/bin/bash
# test-sync-changes.sh -- server-side changes reach the Maildir: flags,
# expunges, new mail, a UIDVALIDITY change (old copy kept aside, folder
# downloaded again); local flag changes are left alone; and a run killed at
# each step of a batch (MAILCONN_CRASH_AT, sync.h) is completed by the next
# one with nothing lost and nothing duplicated.
#
# Works in $MC_USER2's mailbox, in folders under mcs-chg/ of its own.

T=${ITESTS:-$MC_ROOT/build/itests}/t-sync
[ -x "$T" ] || fail "$T is not built (make build/itests/t-sync)"
[ -x "$MAILCONN" ] || fail "$MAILCONN is not built"
fresh_home sync-changes
ROOT=$TEST_DIR/mail
P=mcs-chg
F1="$P/Flags"
F2="$P/Ünï Sub/Deep"
LOG=$XDG_STATE_HOME/mailconn/mailconn.log
rm -rf "$ROOT"
dove mailbox delete -u "$MC_USER2" -r -s "$P" >/dev/null 2>&1 || true
rm -rf "$MAIL_ROOT2/.$P".*

imap_py() {	# SCRIPT-ON-STDIN: imaplib session of MC_USER2 as `m`
	"$PY3" - <<-EOF
	import imaplib, os, ssl
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	m = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAPS_PORT"]),
	    ssl_context=ctx)
	m._encoding = "utf-8"
	m.login(os.environ["MC_USER2"], os.environ["MC_PASS2"])
	def sel(name):
	    typ, _ = m.select('"%s"' % name)
	    assert typ == "OK", name
	$(cat)
	m.logout()
	EOF
}

compare() {	# what: the local copy equals the server, flags included
	expect_rc 0 "$T" compare "$MAIL_ROOT2" "$ROOT" "$F1" "$F2"
	assert_contains "$OUT" "TOTAL ok" "$1"
}

sync_once() {
	EXPECT_TIMEOUT=60 expect_rc 0 "$MAILCONN" sync --once sync-chg
}

file_of() {	# FOLDER-DIR UID: the file of UID, relative to the folder
	(cd "$ROOT/$1" && printf '%s\n' cur/* new/* |
	    grep -E ",U=$2(:|\$)" | head -1)
}

"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$F1" --count 30 \
    --seed chg --seen-every 3 --size 500-3000
"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$F2" --count 10 \
    --seed chg --size 500-3000
write_account sync-chg email="$MC_USER2" imap-host=localhost \
    imap-port="$IMAPS_PORT" ca-file="$MC_CA" maildir="$ROOT" \
    folders="$P/*"
expect_rc 0 "$MAILCONN" password set sync-chg <<<"$MC_PASS2"

sync_once
compare "initial sync"
[ -d "$ROOT/$P/Ünï Sub/Deep/cur" ] || fail "nested UTF-8 folder missing"

# ---- flags and expunges on the server ----------------------------------------
imap_py <<-'EOF'
	sel("mcs-chg/Flags")
	m.uid("STORE", "1,2", "+FLAGS", "(\\Flagged)")
	m.uid("STORE", "3", "+FLAGS", "(\\Seen \\Answered)")
	m.uid("STORE", "6", "-FLAGS", "(\\Seen)")
	m.uid("STORE", "7", "+FLAGS", "(\\Draft)")
	m.uid("STORE", "5,8", "+FLAGS", "(\\Deleted)")
	m.expunge()
	m.uid("STORE", "9", "+FLAGS", "(\\Deleted)")	# deleted, not expunged
	EOF
sync_once
compare "flags and expunges mirrored"
[ -z "$(file_of "$F1" 5)" ] || fail "expunged UID 5 still there"
assert_match "$(file_of "$F1" 9)" ':2,[A-Z]*T' "\\Deleted is T"
assert_match "$(file_of "$F1" 3)" ':2,RS$' "3 is answered and seen"
assert_match "$(file_of "$F1" 1)" '^cur/.*:2,F$' "1 flagged, moved to cur"
assert_file_contains "$LOG" "sync: sync-chg/$F1: 0 new, 6 flag changes, 2 expunged" \
    "the log counts the changes"

# The same without CONDSTORE/QRESYNC (as with Courier): every flag
# compared, expunges found by UID SEARCH.
imap_py <<-'EOF'
	sel("mcs-chg/Flags")
	m.uid("STORE", "1", "-FLAGS", "(\\Flagged)")
	m.uid("STORE", "4", "+FLAGS", "(\\Flagged \\Seen)")
	m.uid("STORE", "12", "+FLAGS", "(\\Deleted)")
	m.expunge()
	EOF
MAILCONN_NO_CONDSTORE=1 expect_rc 0 "$MAILCONN" --debug sync --once sync-chg
compare "flags and expunges mirrored without CONDSTORE"
assert_file_contains "$LOG" "sync: sync-chg/$F1: 0 new, 2 flag changes, 2 expunged" \
    "without CONDSTORE"
assert_file_contains "$LOG" "UID SEARCH ALL" "expunges found by UID SEARCH"
assert_file_not_contains "$LOG" "sync: sync-chg/$F2: 0 new, 0 flag changes, 1" \
    "nothing invented in the other folder"

# A flag a mail client set locally stays (a download mirror only acts on
# server changes), and a run without server changes touches nothing.
f10=$(file_of "$F1" 10)
mv "$ROOT/$F1/$f10" "$ROOT/$F1/${f10%%:2,*}:2,FS"
sync_once
assert_eq "$(file_of "$F1" 10)" "${f10%%:2,*}:2,FS" "local flag kept"
mv "$ROOT/$F1/${f10%%:2,*}:2,FS" "$ROOT/$F1/$f10"

# ---- new mail, and runs killed at each step of a batch ---------------------
start=31
for point in tmp renamed committed; do
	"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$F1" --count 20 \
	    --start $start --seed chg --size 500-3000
	start=$((start + 20))
	EXPECT_TIMEOUT=60 MAILCONN_CRASH_AT=$point \
	    expect_rc 137 "$MAILCONN" sync --once sync-chg
	assert_file_contains "$LOG" "MAILCONN_CRASH_AT=$point" "crash at $point"
	sync_once
	compare "after a crash at $point"
done
assert_file_contains "$LOG" "sync: sync-chg/$F1: adopted" \
    "files renamed before the crash were adopted, not fetched twice"

for point in flags expunge; do
	imap_py <<-'EOF'
		sel("mcs-chg/Flags")
		typ, data = m.uid("SEARCH", "UNDELETED UNFLAGGED UNANSWERED")
		uids = data[0].split()
		m.uid("STORE", uids[0], "+FLAGS", "(\\Flagged)")
		m.uid("STORE", uids[1], "+FLAGS", "(\\Answered)")
		m.uid("STORE", uids[2], "+FLAGS", "(\\Deleted)")
		m.expunge()
		EOF
	EXPECT_TIMEOUT=60 MAILCONN_CRASH_AT=$point \
	    expect_rc 137 "$MAILCONN" sync --once sync-chg
	sync_once
	compare "after a crash while applying $point"
done

# ---- UIDVALIDITY changes: old copy aside, new download ----------------------
old=$(sqlite3 "$ROOT/.mailconn/state.db" \
    "select uidvalidity from folders where name = '$F1'")
n_before=$(ls "$ROOT/$F1/cur" "$ROOT/$F1/new" | grep -c ',U=' || true)
dove mailbox update -u "$MC_USER2" --uid-validity 4242 "$F1"
sync_once
compare "re-downloaded after the UIDVALIDITY change"
aside=$(ls -d "$ROOT/$P/Flags.uidvalidity-$old-"* 2>/dev/null | head -1)
[ -n "$aside" ] || fail "no Flags.uidvalidity-$old-DATE kept aside"
assert_eq "$(ls "$aside/cur" "$aside/new" | grep -c ',U=')" "$n_before" \
    "every old file kept aside"
assert_file_contains "$LOG" "UIDVALIDITY changed from $old to 4242" \
    "the log says so"
assert_eq "$(sqlite3 "$ROOT/.mailconn/state.db" \
    "select uidvalidity from folders where name = '$F1'")" 4242 "state"

# ---- a 50 MB message: streamed to disk, memory stays small -------------------
F3="$P/Big"
"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$F3" --count 1 --seed big \
    --size 52428800
EXPECT_TIMEOUT=90 expect_rc 0 /usr/bin/time -f "MAXRSS %M" \
    "$MAILCONN" sync --once sync-chg
rss=$(printf '%s\n' "$ERR" | sed -n 's/^MAXRSS //p')
# (AddressSanitizer's shadow memory and quarantine make RSS meaningless)
if ! ldd "$MAILCONN" | grep -q libasan; then
	[ -n "$rss" ] && [ "$rss" -lt 40000 ] ||
	    fail "peak RSS ${rss:-?} KB while fetching a 50 MB message"
fi
expect_rc 0 "$T" compare "$MAIL_ROOT2" "$ROOT" "$F3"
assert_match "$OUT" "FOLDER $F3 server=1 local=1 .* ok" "the 50 MB message"

#!/bin/bash
# test-sync-kill.sh -- `mailconn sync --once` killed with SIGKILL at random
# moments (until 20 runs were killed while running), while the server keeps changing (new mail, flag
# changes, expunges between the runs); then one run to the end.  Nothing
# may be lost and nothing duplicated: every server message once, byte for
# byte with its flags, one file per UID, tmp/ empty; and one more run
# changes nothing.
#
# Works in $MC_USER2's mailbox, in folders under mcs-kill/ of its own.

T=${ITESTS:-$MC_ROOT/build/itests}/t-sync
[ -x "$T" ] || fail "$T is not built (make build/itests/t-sync)"
[ -x "$MAILCONN" ] || fail "$MAILCONN is not built"
fresh_home sync-kill
ROOT=$TEST_DIR/mail
P=mcs-kill
FOLDERS=("$P/A" "$P/Bé" "$P/C/Sub")
LOG=$XDG_STATE_HOME/mailconn/mailconn.log
KILLS=${SYNC_KILLS:-20}
rm -rf "$ROOT"
dove mailbox delete -u "$MC_USER2" -r -s "$P" >/dev/null 2>&1 || true

for f in "${FOLDERS[@]}"; do
	"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "$f" --count 300 \
	    --seed kill --size 2000-20000
done
write_account sync-kill email="$MC_USER2" imap-host=localhost \
    imap-port="$IMAPS_PORT" ca-file="$MC_CA" maildir="$ROOT" \
    folders="$P/*" password-command="cat $TEST_DIR/pw"
(umask 077 && printf '%s\n' "$MC_PASS2" > "$TEST_DIR/pw")

# Server-side churn between runs: a few flags, an expunge, new mail.
churn() {	# RUN
	"$PY3" - "$1" <<-'EOF'
	import base64, imaplib, os, ssl, sys, random
	def mutf7(s):	# RFC 3501 5.1.3
	    out, run = "", ""
	    for ch in s + "\0":
	        if ch != "\0" and not (0x20 <= ord(ch) <= 0x7e):
	            run += ch
	            continue
	        if run:
	            b = base64.b64encode(run.encode("utf-16-be")).decode()
	            out += "&" + b.rstrip("=").replace("/", ",") + "-"
	            run = ""
	        if ch != "\0":
	            out += "&-" if ch == "&" else ch
	    return out
	rnd = random.Random(int(sys.argv[1]))
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	m = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAPS_PORT"]),
	    ssl_context=ctx)
	m._encoding = "utf-8"
	m.login(os.environ["MC_USER2"], os.environ["MC_PASS2"])
	for f in ("mcs-kill/A", "mcs-kill/Bé", "mcs-kill/C/Sub"):
	    assert m.select('"%s"' % mutf7(f))[0] == "OK", f
	    uids = m.uid("SEARCH", "ALL")[1][0].split()
	    for u in rnd.sample(uids, min(3, len(uids))):
	        op = rnd.choice(["+FLAGS", "-FLAGS"])
	        fl = rnd.choice(["\\Seen", "\\Flagged", "\\Answered"])
	        m.uid("STORE", u, op, "(%s)" % fl)
	    if uids and rnd.random() < 0.5:
	        m.uid("STORE", rnd.choice(uids), "+FLAGS", "(\\Deleted)")
	        m.expunge()
	m.logout()
	EOF
	"$PY3" "$FILL" --maildir "$MAIL_ROOT2" --folder "${FOLDERS[$(($1 % 3))]}" \
	    --count 40 --start $((300 + $1 * 40)) --seed kill --size 2000-20000
}

RANDOM=4242	# reproducible delays
killed=0
for ((run = 1; killed < KILLS && run <= 3 * KILLS; run++)); do
	# Mostly 20..250 ms (a run here takes 0.2 s with nothing to fetch),
	# every third 0.25..1.25 s so that batches commit in between: the kill
	# lands while connecting, listing, downloading or committing.
	if [ $((run % 3)) = 0 ]; then
		delay_ms=$((250 + RANDOM % 1000))
	else
		delay_ms=$((20 + RANDOM % 230))
	fi
	"$MAILCONN" sync --once sync-kill </dev/null >/dev/null \
	    2>"$TEST_DIR/run$run.err" &
	pid=$!
	sleep "$(awk -v m=$delay_ms 'BEGIN { printf "%.3f", m / 1000 }')"
	if kill -KILL "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null || true
	churn "$run"
done
echo "killed $killed of $((run - 1)) runs" | tee "$TEST_DIR/kills"
[ "$killed" -ge "$KILLS" ] ||
    fail "only $killed of $((run - 1)) runs were still running when killed"

EXPECT_TIMEOUT=120 expect_rc 0 "$MAILCONN" sync --once sync-kill
expect_rc 0 "$T" compare "$MAIL_ROOT2" "$ROOT" "${FOLDERS[@]}"
assert_contains "$OUT" "TOTAL ok" "no loss, no duplicate after $killed kills"
for f in "${FOLDERS[@]}"; do
	assert_match "$OUT" "FOLDER $f server=([0-9]+) local=\\1 tmp=0 dup_uids=0 no_uid=0 ok" \
	    "$f"
done
# the killed runs left work behind that the later ones cleaned up
grep -q "unfinished file" "$LOG" ||
    fail "no run ever found files of a killed one in tmp/ (kills too late?)"

listing() { (cd "$ROOT" && find . -path ./.mailconn -prune -o -type f -print | sort); }
before=$(listing)
expect_rc 0 "$MAILCONN" sync --once sync-kill
assert_eq "$(listing)" "$before" "a run after a complete one changes nothing"

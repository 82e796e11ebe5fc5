#!/bin/bash
# test-proto.sh -- imap.c and smtp.c (through build/itests/t-proto) against
# the real Dovecot and aiosmtpd of the test bed, and against the fake servers
# for what a real server will not do on loopback.
#
# Sourced by run.sh with lib.sh and the bed's env (set -eu).  What it holds
# to: credentials only on a trusted channel (the fake's log and Dovecot's log
# prove nothing arrived otherwise), one specific error per failure, real
# delivery through SMTP, and traces that never show a secret.

T=${ITESTS:-$MC_ROOT/build/itests}/t-proto
[ -x "$T" ] || fail "$T is not built (make build/itests/t-proto)"
fresh_home proto
H=localhost
FAKEPW="fake-secret-pw-$$"
DVDIR=${DOVECOT_LOG%/main/dovecot.log}

# ---- helpers ---------------------------------------------------------------

# Lines a Dovecot log got since it had $2 lines.
log_since() { tail -n +"$(( $2 + 1 ))" "$1"; }
nlines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# Nothing that looks like a credential in the fake's log.
assert_fake_saw_no_login() {
	assert_file_not_contains "$FAKE_LOG" "$FAKEPW" "$1: password"
	if grep -qiE '^[0-9]+> ([^ ]+ )?(LOGIN|AUTHENTICATE|AUTH)( |$)' \
	    "$FAKE_LOG"; then
		cat "$FAKE_LOG" >&2
		fail "$1: the fake saw a LOGIN/AUTH line"
	fi
}

# The ERR line of the last expect_rc.
err_line() { printf '%s\n' "$OUT" | grep '^ERR ' || true; }

# ms of the last run, from t-proto's ELAPSED_MS line.
elapsed() { printf '%s\n' "$OUT" | sed -n 's/^ELAPSED_MS //p'; }

b64() { printf '%s' "$1" | base64 -w0; }

# ---- Dovecot: the three ways in ----------------------------------------------

expect_rc 0 "$T" --ca "$MC_CA" imap-login $H "$IMAPS_PORT" imaps "$MC_USER" \
    <<<"$MC_PASS"
assert_contains "$OUT" "LOGIN ok server=Dovecot" "imaps login"
assert_contains "$OUT" "trust=verified" "imaps: verified by the test CA"
assert_contains "$OUT" "ID name=Dovecot" "imaps: ID answered"
assert_contains "$(printf '%s\n' "$OUT" | grep '^CAP' | tail -1)" "CONDSTORE" \
    "post-login CAPABILITY asked"

expect_rc 0 "$T" --ca "$MC_CA" imap-login $H "$IMAP_PORT" starttls \
    "$MC_USER" <<<"$MC_PASS"
assert_contains "$OUT" "LOGIN ok server=Dovecot" "starttls login"
assert_contains "$OUT" "greeting_pre_tls=1" "starttls: greeting marked pre-TLS"
# Before TLS Dovecot lists STARTTLS; the list kept must be the one after.
assert_not_contains "$(printf '%s\n' "$OUT" | grep '^CAP')" "STARTTLS" \
    "starttls: pre-TLS capabilities forgotten"

expect_rc 0 "$T" imap-login $H "$IMAP_PORT" none "$MC_USER" <<<"$MC_PASS"
assert_contains "$OUT" "LOGIN ok" "plaintext to loopback (TESTBED D4)"

expect_rc 1 "$T" imap-open 192.0.2.1 143 none
assert_contains "$(err_line)" "ERR insecure: Refusing plaintext IMAP to a non-loopback host" \
    "plaintext elsewhere refused"
[ "$(elapsed)" -lt 500 ] || fail "plaintext refusal should not connect at all"

# ---- Dovecot: wrong password -------------------------------------------------

# Over ::1 (the certificate covers it): Dovecot's auth penalty is per client
# IP and would slow the next 127.0.0.1 login of every test by 4 s (D2).
expect_rc 1 "$T" --ca "$MC_CA" imap-login ::1 "$IMAPS_PORT" imaps "$MC_USER" \
    <<<"wrong-$MC_PASS"
assert_contains "$(err_line)" "ERR auth: The server rejected the user name or password" \
    "wrong password"
assert_contains "$OUT" "SERVER: [AUTHENTICATIONFAILED] Authentication failed." \
    "Dovecot's own words"

# ---- Dovecot: untrusted certificates, nobody to ask --------------------------

check_untrusted() {	# NAME PORT PROBLEM-WORDS
	local log=$DVDIR/$1/dovecot.log n
	[ -f "$log" ] || fail "no Dovecot log for the $1 instance ($log)"
	n=$(nlines "$log")
	expect_rc 1 "$T" --ca "$MC_CA" imap-login $H "$2" imaps "$MC_USER" \
	    <<<"$MC_PASS"
	assert_contains "$(err_line)" "ERR cert-untrusted:" "$1: untrusted"
	assert_contains "$OUT" "$3" "$1: the problem named"
	assert_contains "$OUT" "mailconn certs trust localhost:$2" \
	    "$1: says how to trust it"
	assert_contains "$OUT" "PROMPTS 0" "$1: no prompt without a prompter"
	# Dovecot notes the disconnect of a connection that never logged in
	# ("no auth attempts", or "disconnected before auth was ready").
	wait_for sh -c "tail -n +$((n + 1)) '$log' | grep -q 'Disconnected.*user=<>'" ||
	    fail "$1: Dovecot did not log the disconnect"
	if log_since "$log" "$n" | grep -qE 'Login: user=|auth failed|method='; then
		log_since "$log" "$n" >&2
		fail "$1: Dovecot saw a login attempt on an untrusted connection"
	fi
}
check_untrusted self "$IMAPS_SELF_PORT" "self-signed"
check_untrusted expired "$IMAPS_EXPIRED_PORT" "expired"
check_untrusted wronghost "$IMAPS_WRONGHOST_PORT" "wrong.example.test"

# The prompt decides: reject, accept once, accept always (pinned after).
expect_rc 1 "$T" --ca "$MC_CA" --trust reject imap-login $H \
    "$IMAPS_WRONGHOST_PORT" imaps "$MC_USER" <<<"$MC_PASS"
assert_contains "$OUT" "PROMPT imap localhost:$IMAPS_WRONGHOST_PORT verdict=untrusted problem=62" \
    "wrong host: prompt with X509_V_ERR_HOSTNAME_MISMATCH"
assert_contains "$(err_line)" "ERR cert-rejected:" "rejected at the prompt"
expect_rc 0 "$T" --ca "$MC_CA" --trust once imap-login $H "$IMAPS_SELF_PORT" \
    imaps "$MC_USER" <<<"$MC_PASS"
assert_contains "$OUT" "trust=accepted-once" "self-signed accepted once"
assert_contains "$OUT" "LOGIN ok" "login after accept-once"
expect_rc 0 "$T" --ca "$MC_CA" --trust always imap-open $H "$IMAPS_SELF_PORT" imaps
expect_rc 0 "$T" --ca "$MC_CA" imap-open $H "$IMAPS_SELF_PORT" imaps
assert_contains "$OUT" "trust=pinned" "pinned after accept-always"
assert_contains "$OUT" "PROMPTS 0" "no prompt once pinned"

# ---- Dovecot: LIST, Sent, UTF-7, STATUS/SELECT --------------------------------

expect_rc 0 "$T" --ca "$MC_CA" imap-list $H "$IMAPS_PORT" imaps "$MC_USER" \
    <<<"$MC_PASS"
assert_contains "$OUT" "SENT Sent flagged=1" "Sent found by \\Sent"
assert_match "$OUT" "FOLDER name=INBOX wire=INBOX delim=/ flags=64" "INBOX flagged"
assert_match "$OUT" "FOLDER name=Drafts wire=Drafts delim=/ flags=4" "\\Drafts"
# Every folder of the bed's manifest, by its UTF-8 name.
while IFS= read -r name; do
	assert_contains "$OUT" "FOLDER name=$name wire=" "folder '$name' listed"
done < <("$PY3" -c 'import json,sys
for k in json.load(open(sys.argv[1])): print(k)' "$SAMPLE_MANIFEST")
assert_contains "$OUT" "FOLDER name=Пример wire=&BB8EQAQ4BDwENQRA- " \
    "modified UTF-7 decoded, wire name kept"
assert_contains "$OUT" "FOLDER name=Reçus wire=Re&AOc-us " "Latin-1 folder"

expect_rc 0 "$T" --ca "$MC_CA" imap-status $H "$IMAPS_PORT" imaps "$MC_USER" \
    INBOX <<<"$MC_PASS"
dv=$(dove mailbox status -u "$MC_USER" \
    "messages unseen uidnext uidvalidity highestmodseq" INBOX)
for k in messages unseen uidnext uidvalidity highestmodseq; do
	v=$(printf '%s\n' "$dv" | grep -o "$k=[0-9]*")
	assert_contains "$(printf '%s\n' "$OUT" | grep '^STATUS')" "$v" \
	    "STATUS $k as doveadm says"
done
v=$(printf '%s\n' "$dv" | grep -o "messages=[0-9]*")
assert_contains "$(printf '%s\n' "$OUT" | grep '^SELECT')" "$v" "SELECT EXISTS"

# ---- fakes: what Dovecot will not do ----------------------------------------

start_fake imap-no-starttls none
expect_rc 1 "$T" imap-login $H "$FAKE_PORT" starttls u <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR starttls: Server does not offer STARTTLS on localhost:$FAKE_PORT; use imaps (port 993)" \
    "imap-no-starttls"
assert_fake_saw_no_login imap-no-starttls

start_fake imap-starttls-no
expect_rc 1 "$T" --ca "$MC_CA" imap-login $H "$FAKE_PORT" starttls u \
    <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR starttls: Server localhost:$FAKE_PORT refused STARTTLS" \
    "imap-starttls-no"
assert_contains "$OUT" "SERVER: " "imap-starttls-no: the server's words"
assert_fake_saw_no_login imap-starttls-no

start_fake imap-starttls-inject
expect_rc 1 "$T" --ca "$MC_CA" imap-login $H "$FAKE_PORT" starttls u \
    <<<"$FAKEPW"
assert_contains "$(err_line)" "possible response injection" "imap-starttls-inject"
assert_file_not_contains "$FAKE_LOG" "tls ok" "imap-starttls-inject: no handshake"
assert_fake_saw_no_login imap-starttls-inject

start_fake imap-preauth-plain
expect_rc 1 "$T" --ca "$MC_CA" imap-login $H "$FAKE_PORT" starttls u \
    <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR starttls: Server greeted with PREAUTH on an unencrypted connection" \
    "imap-preauth-plain"
assert_fake_saw_no_login imap-preauth-plain

start_fake imap-logindisabled
expect_rc 1 "$T" imap-login $H "$FAKE_PORT" none u <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR insecure: Server says LOGINDISABLED" \
    "imap-logindisabled in plaintext"
assert_fake_saw_no_login imap-logindisabled
# Over STARTTLS the same server lets us in, and only after the handshake.
: > "$FAKE_LOG"
expect_rc 0 "$T" --ca "$MC_CA" imap-login $H "$FAKE_PORT" starttls u \
    <<<"$FAKEPW"
assert_contains "$OUT" "LOGIN ok" "imap-logindisabled after STARTTLS"
tls_at=$(grep -n '# tls ok' "$FAKE_LOG" | head -1 | cut -d: -f1)
login_at=$(grep -n '> [^ ]* LOGIN ' "$FAKE_LOG" | head -1 | cut -d: -f1)
[ -n "$tls_at" ] && [ -n "$login_at" ] && [ "$tls_at" -lt "$login_at" ] ||
    { cat "$FAKE_LOG" >&2; fail "LOGIN must come after the TLS handshake"; }

start_fake imap-courier
expect_rc 0 "$T" --ca "$MC_CA" imap-list $H "$FAKE_PORT" imaps u <<<"$FAKEPW"
assert_contains "$(printf '%s\n' "$OUT" | grep '^OPEN' | head -1)" \
    "server=Courier-IMAP" "Courier from its greeting"
assert_contains "$OUT" "LOGIN ok server=Courier-IMAP" "Courier after login"
assert_contains "$OUT" "ID name=Courier-IMAP" "Courier's post-login ID"
assert_contains "$OUT" "SENT INBOX.Sent flagged=0" "Courier's Sent by name"
# Courier's OK to LOGIN has no CAPABILITY code: we must ask.
grep -A1 '> [0-9]* LOGIN u ' "$FAKE_LOG" | tail -1 | grep -q ' CAPABILITY$' ||
    { cat "$FAKE_LOG" >&2; fail "CAPABILITY not asked after Courier's LOGIN"; }

start_fake imap-limit3
expect_rc 1 "$T" --ca "$MC_CA" imap-multi $H "$FAKE_PORT" imaps u 4 \
    <<<"$FAKEPW"
assert_contains "$OUT" "SESSION 3 ok" "three sessions fit"
assert_contains "$OUT" "SESSION 4 ERR limit:" "the fourth is a limit error"
assert_contains "$OUT" "SERVER: Too many connections" "the server's words"
# All four greeted first: the BYE answers the fourth LOGIN instead.
expect_rc 1 "$T" --ca "$MC_CA" imap-multi $H "$FAKE_PORT" imaps u 4 open-first \
    <<<"$FAKEPW"
assert_contains "$OUT" "SESSION 3 ok" "open-first: three sessions fit"
assert_contains "$OUT" "SESSION 4 ERR limit:" "open-first: BYE at LOGIN is a limit"

# A 1 s timeout must fire after 1 s, give or take scheduling.
in_window() { [ "$1" -ge 950 ] && [ "$1" -le 2500 ]; }
start_fake imap-stall none
expect_rc 1 "$T" --timeout 1 imap-login $H "$FAKE_PORT" starttls u <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR timeout: No answer from localhost:$FAKE_PORT within 1 s while waiting for the greeting." \
    "imap-stall"
in_window "$(elapsed)" ||
    fail "imap-stall: the 1 s timeout fired after $(elapsed) ms"
assert_fake_saw_no_login imap-stall

start_fake imap-stall-tls
expect_rc 1 "$T" --ca "$MC_CA" --timeout 1 imap-login $H "$FAKE_PORT" imaps u \
    <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR timeout:" "imap-stall-tls"
in_window "$(elapsed)" ||
    fail "imap-stall-tls: the 1 s timeout fired after $(elapsed) ms"

start_fake imap-drop
expect_rc 1 "$T" --ca "$MC_CA" imap-login $H "$FAKE_PORT" imaps u <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR protocol: The server localhost:$FAKE_PORT closed the connection while" \
    "imap-drop"
assert_fake_saw_no_login imap-drop

start_fake smtp-no-starttls none
printf 'Subject: x\n\nx\n' > "$TEST_DIR/small.eml"
expect_rc 1 "$T" --msg "$TEST_DIR/small.eml" smtp-send $H "$FAKE_PORT" starttls \
    u a@example.test b@example.test <<<"$FAKEPW"
assert_contains "$(err_line)" "ERR starttls: Server does not offer STARTTLS on localhost:$FAKE_PORT; use smtps (port 465)" \
    "smtp-no-starttls"
assert_fake_saw_no_login smtp-no-starttls
assert_file_not_contains "$FAKE_LOG" "MAIL FROM" "smtp-no-starttls: nothing sent"

start_fake smtp-starttls-inject
expect_rc 1 "$T" --ca "$MC_CA" --msg "$TEST_DIR/small.eml" smtp-send $H \
    "$FAKE_PORT" starttls u a@example.test b@example.test <<<"$FAKEPW"
assert_contains "$(err_line)" "possible response injection" "smtp-starttls-inject"
assert_file_not_contains "$FAKE_LOG" "tls ok" "smtp-starttls-inject: no handshake"
assert_fake_saw_no_login smtp-starttls-inject

start_fake smtp-stall none
expect_rc 1 "$T" --timeout 1 smtp-open $H "$FAKE_PORT" starttls
assert_contains "$(err_line)" "ERR timeout:" "smtp-stall"
in_window "$(elapsed)" ||
    fail "smtp-stall: the 1 s timeout fired after $(elapsed) ms"

# ---- SMTP: real delivery through aiosmtpd --------------------------------------

# LF line ends, a dot line, a final newline: what arrives must be exactly
# this with CRLF, no extra empty line (mailsmtp_data_message trap).
printf 'From: Ann <%s>\nTo: bob@example.test\nSubject: proto %s\n\nhello\n.dot line\nbye\n' \
    "$MC_USER" "$$" > "$TEST_DIR/msg.eml"

check_spool() {	# WHAT PORT RCPT...
	local what=$1 port=$2 id
	shift 2
	id=$(cd "$SMTP_SPOOL" && ls -- *.json | sort | tail -n 1)
	id=${id%.json}
	[ -f "$SMTP_SPOOL/$id.eml" ] || fail "$what: no $id.eml in the spool"
	"$PY3" - "$SMTP_SPOOL/$id.json" "$SMTP_SPOOL/$id.eml" \
	    "$TEST_DIR/msg.eml" "$MC_USER" "$port" "$@" <<-'EOF' ||
	import json, sys
	meta = json.load(open(sys.argv[1]))
	got = open(sys.argv[2], "rb").read()
	want = open(sys.argv[3], "rb").read().replace(b"\n", b"\r\n")
	user, port, rcpts = sys.argv[4], int(sys.argv[5]), sys.argv[6:]
	bad = []
	if meta["mail_from"] != user: bad.append("mail_from %r" % meta["mail_from"])
	if meta["rcpt_tos"] != rcpts: bad.append("rcpt_tos %r" % meta["rcpt_tos"])
	if meta["auth"] != user: bad.append("auth %r" % meta["auth"])
	if meta["tls"] is not True: bad.append("not over TLS")
	if meta["port"] != port: bad.append("port %r" % meta["port"])
	if not any(o.startswith("SIZE=") for o in meta["mail_options"]):
	    bad.append("no SIZE= on MAIL FROM")
	if got != want: bad.append("body %r != %r" % (got[-40:], want[-40:]))
	if bad:
	    print("; ".join(bad)); sys.exit(1)
	EOF
	    fail "$what: the delivered message is not right"
}

trace=$TEST_DIR/trace.log
n0=$(spool_count)
expect_rc 0 "$T" --ca "$MC_CA" --debug "$trace" --msg "$TEST_DIR/msg.eml" \
    smtp-send $H "$SUBMISSION_PORT" starttls "$MC_USER" "$MC_USER" \
    bob@example.test carol@example.test <<<"$MC_PASS"
assert_contains "$OUT" "SENT ok" "submission + STARTTLS + AUTH PLAIN"
limit=$(printf '%s\n' "$OUT" | sed -n 's/^OPEN .* size=\([0-9]*\) .*/\1/p')
[ "${limit:-0}" -gt 1000 ] || fail "SIZE not read from EHLO (got '$limit')"
assert_eq "$(spool_count)" "$((n0 + 1))" "one message delivered"
check_spool "submission/PLAIN" "$SUBMISSION_PORT" bob@example.test \
    carol@example.test

expect_rc 0 "$T" --ca "$MC_CA" --debug "$trace" --auth login \
    --msg "$TEST_DIR/msg.eml" smtp-send $H "$SMTPS_PORT" smtps "$MC_USER" \
    "$MC_USER" bob@example.test <<<"$MC_PASS"
assert_contains "$OUT" "SENT ok" "smtps + AUTH LOGIN"
assert_eq "$(spool_count)" "$((n0 + 2))" "second message delivered"
check_spool "smtps/LOGIN" "$SMTPS_PORT" bob@example.test

expect_rc 1 "$T" --ca "$MC_CA" --msg "$TEST_DIR/msg.eml" smtp-send $H \
    "$SMTPS_PORT" smtps "$MC_USER" "$MC_USER" bob@example.test \
    <<<"wrong-$MC_PASS"
assert_contains "$(err_line)" "ERR auth: The server rejected the user name or password" \
    "SMTP wrong password"
assert_contains "$OUT" "SERVER: 535" "aiosmtpd's words"

# Larger than SIZE: refused before MAIL FROM, nothing delivered.
"$PY3" -c 'import sys
sys.stdout.write("Subject: big\n\n" + ("x" * 75 + "\n") * (int(sys.argv[1]) // 76 + 10))' \
    "$limit" > "$TEST_DIR/big.eml"
big=$TEST_DIR/big-trace.log
expect_rc 1 "$T" --ca "$MC_CA" --debug "$big" --msg "$TEST_DIR/big.eml" \
    smtp-send $H "$SUBMISSION_PORT" starttls "$MC_USER" "$MC_USER" \
    bob@example.test <<<"$MC_PASS"
assert_match "$(err_line)" "ERR server: Message is [0-9]+ bytes; the server accepts at most $limit bytes \(SIZE\)\." \
    "oversized message"
assert_file_not_contains "$big" "MAIL FROM" "oversized: refused before MAIL"
assert_eq "$(spool_count)" "$((n0 + 2))" "oversized: nothing delivered"

# ---- traces: --debug never shows a credential ----------------------------------

expect_rc 0 "$T" --ca "$MC_CA" --debug "$trace" imap-login $H "$IMAP_PORT" \
    starttls "$MC_USER" <<<"$MC_PASS"
assert_file_contains "$trace" "LOGIN <redacted>" "IMAP LOGIN redacted"
assert_file_contains "$trace" "AUTH PLAIN <redacted>" "SMTP AUTH PLAIN redacted"
assert_file_contains "$trace" "C: AUTH LOGIN" "AUTH LOGIN traced"
assert_file_contains "$trace" "C: MAIL FROM:<$MC_USER> SIZE=" "the rest is traced"
assert_file_contains "$trace" "<message body, " "the body is summarised"
assert_file_not_contains "$trace" "Subject: proto" "message headers are not traced"
assert_file_not_contains "$trace" ".dot line" "message body is not traced"
assert_file_not_contains "$trace" "${MC_PASS% *}" "password (first word)"
assert_file_not_contains "$trace" "$MC_PASS" "password"
assert_file_not_contains "$trace" "$(b64 "$MC_PASS")" "base64 password (LOGIN)"
assert_file_not_contains "$trace" "$(printf '\0%s\0%s' "$MC_USER" "$MC_PASS" | base64 -w0)" \
    "base64 of \\0user\\0pass (PLAIN)"
assert_file_not_contains "$trace" "$(b64 "$MC_USER")" "base64 user (LOGIN)"

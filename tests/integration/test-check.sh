#!/bin/bash
# test-check.sh -- `mailconn check` against the test bed's real Dovecot and
# SMTP server, and the fake servers for what they cannot do (Courier, a
# connection limit, a stall).
#
# "Trusted by the system CAs": the bed's certificates come from its own
# test CA.  OpenSSL's default verify paths honour SSL_CERT_FILE, so
# `env SSL_CERT_FILE=$MC_CA mailconn check` makes the test CA the system
# store for that run; without it the same server fails the trust row.
#
# Run by run.sh (bed env and lib.sh loaded), or by hand after
# `. DIR/env` of a running bed: bash tests/integration/test-check.sh

if ! declare -F expect_rc >/dev/null 2>&1; then
	set -eu
	: "${TB:?start the test bed and source its env first}"
	TEST_NAME=${TEST_NAME:-check}
	. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
	trap _lib_cleanup EXIT
fi
MAILCONN=${MAILCONN:-$MC_ROOT/build/mailconn}
[ -x "$MAILCONN" ] || fail "$MAILCONN is not built"

forget_later() {	# the keyring outlives the test: clean up by name
	defer sh -c '"$0" --config "$1" password forget "$2" >/dev/null 2>&1' \
	    "$MAILCONN" "$XDG_CONFIG_HOME/mailconn/accounts.conf" "$1"
}

ALL_OUT=$TEST_DIR/all-output	# everything mailconn printed, for the end
: > "$ALL_OUT"
# Keep what mailconn printed; a sanitizer report fails the test even where
# the expected exit status (1) would hide it (make check-asan).
keep() {
	printf '%s\n%s\n' "$OUT" "$ERR" >> "$ALL_OUT"
	case $ERR in
	*Sanitizer*|*"runtime error:"*) fail "sanitizer report: $ERR" ;;
	esac
}

# check with the test CA as the system store; stdin passes through.
check_ca() {
	local t0=$(date +%s%N)
	expect_rc "$1" env SSL_CERT_FILE="$MC_CA" "$MAILCONN" check "${@:2}"
	keep
	[ -z "${CHECK_TIMES:-}" ] ||
	    echo "check ${*:2}: $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
}

# Assertions on the JSON report in $OUT: ID=STATUS[~NEEDLE] ...
json_rows() {
	printf '%s' "$OUT" > "$TEST_DIR/report.json"
	"$PY3" - "$TEST_DIR/report.json" "$@" <<-'EOF' || fail "JSON report: see above"
	import json, sys
	rep = json.load(open(sys.argv[1]))
	rows = {r["id"]: r for r in rep["rows"]}
	bad = 0
	for spec in sys.argv[2:]:
	    idst, _, needle = spec.partition("~")
	    rid, st = idst.split("=")
	    r = rows.get(rid)
	    if r is None or r["status"] != st or needle not in r["finding"]:
	        print("  want %s=%s containing %r, got %r" % (rid, st, needle, r),
	              file=sys.stderr)
	        bad = 1
	    if r is not None and r["status"] in ("fail", "warn") and not r["advice"]:
	        print("  %s: %s without advice" % (rid, r["status"]), file=sys.stderr)
	        bad = 1
	sys.exit(bad)
	EOF
}

IMAP_IDS="imap.dns imap.port imap.tls imap.tls.versions imap.cert.trusted
imap.cert.name imap.cert.validity imap.software imap.login imap.idle imap.sent
imap.connections"
SMTP_IDS="smtp.dns smtp.port smtp.tls smtp.tls.versions smtp.cert.trusted
smtp.cert.name smtp.cert.validity smtp.auth smtp.login"

# ---- the good server, through an account: every row PASS -----------------
fresh_home check
ACC=chk-good
bed_account "$ACC" smtp-port="$SMTPS_PORT" smtp-security=smtps
forget_later "$ACC"
expect_rc 0 "$MAILCONN" password set "$ACC" <<<"$MC_PASS"

check_ca 0 "$ACC"
assert_eq "$(grep -c '^PASS' <<<"$OUT")" 21 "PASS rows"
assert_not_contains "$OUT" "FAIL"
assert_not_contains "$OUT" "WARN"
assert_not_contains "$OUT" "SKIP"
assert_contains "$OUT" "account  $ACC"
assert_contains "$OUT" "21 pass, 0 warn, 0 fail, 0 skip: every requirement is met."
assert_contains "$OUT" "TLSv1.3"
assert_contains "$OUT" "Dovecot"
assert_contains "$OUT" "5 of 5 authenticated connections"
assert_contains "$OUT" 'connects from 127.0.0.1'
# Not a terminal: no colour.
assert_not_contains "$OUT" $'\033'

check_ca 0 --json "$ACC"
printf '%s' "$OUT" | "$PY3" -m json.tool >/dev/null || fail "--json is not JSON"
printf '%s' "$OUT" > "$TEST_DIR/good.json"
"$PY3" - "$TEST_DIR/good.json" "$ACC" $IMAP_IDS $SMTP_IDS <<-'EOF' ||
	import json, sys
	rep = json.load(open(sys.argv[1]))
	assert rep["version"] == 1, rep["version"]
	assert rep["account"] == sys.argv[2], rep["account"]
	assert rep["imap"]["security"] == "imaps" and rep["smtp"]["security"] == "smtps"
	assert rep["generated"].endswith("Z") and "T" in rep["generated"]
	ids = [r["id"] for r in rep["rows"]]
	assert ids == sys.argv[3:], ids
	for r in rep["rows"]:
	    assert r["status"] == "pass", r
	    assert r["advice"] is None and r["finding"] and r["title"], r
	assert rep["summary"] == {"pass": 21, "warn": 0, "fail": 0, "skip": 0}, rep["summary"]
	EOF
	fail "the good server's JSON report"

# The same server as ordinary clients see it (the real system store): the
# trust rows fail, yet mailconn logs in, because the account's ca-file is
# how mailconn itself connects.
expect_rc 1 env -u SSL_CERT_FILE "$MAILCONN" check --json "$ACC"; keep
json_rows imap.cert.trusted=fail~"not trusted by the system CA store" \
    imap.cert.trusted=fail~"ca-file" smtp.cert.trusted=fail \
    imap.login=pass~verified smtp.login=pass imap.connections=pass

# ---- without a password: the login rows WARN, the check still runs --------
fresh_home check-nopw
bed_account chk-nopw smtp-host= smtp-port= smtp-security= smtp-user=
expect_rc 0 env SSL_CERT_FILE="$MC_CA" "$MAILCONN" check --json chk-nopw; keep
json_rows imap.login=warn~"no password available" imap.tls=pass \
    imap.sent=skip imap.connections=skip smtp=skip

# ---- password-command serves IMAP and SMTP ----------------------------------
printf '%s\n' "$MC_PASS" > "$TEST_DIR/pw"
chmod 600 "$TEST_DIR/pw"
bed_account chk-cmd password-command="cat $TEST_DIR/pw"
expect_rc 0 env SSL_CERT_FILE="$MC_CA" "$MAILCONN" check --json chk-cmd; keep
json_rows imap.login=pass smtp.login=pass imap.connections=pass

# ---- ad hoc, STARTTLS on both, the password on stdin ----------------------
fresh_home check-adhoc
check_ca 0 --imap "localhost:$IMAP_PORT" --imap-security starttls \
    --smtp "localhost:$SUBMISSION_PORT" --smtp-security starttls \
    --user "$MC_USER" <<<"$MC_PASS"
assert_eq "$(grep -c '^PASS' <<<"$OUT")" 21 "PASS rows (STARTTLS)"
assert_contains "$OUT" "STARTTLS upgrade"

# A wrong password is a FAIL in the server's words.
check_ca 1 --json --imap "localhost:$IMAPS_PORT" --user "$MC_USER" \
    --max-connections 2 <<<"not-the-password"
json_rows imap.login=fail~"refused the login" imap.connections=skip

# ---- bad certificates: their own FAIL, and no login attempted -------------
check_ca 1 --json --imap "localhost:$IMAPS_SELF_PORT" --user "$MC_USER" <<<"$MC_PASS"
json_rows imap.cert.trusted=fail~"self-signed" imap.cert.name=pass \
    imap.cert.validity=pass imap.login=skip~"not attempted" \
    imap.tls=pass imap.software=pass
check_ca 1 --json --imap "localhost:$IMAPS_EXPIRED_PORT" --user "$MC_USER" <<<"$MC_PASS"
json_rows imap.cert.validity=fail~"expired on 2021-01-01" \
    imap.cert.trusted=pass imap.cert.name=pass imap.login=skip~"not attempted"
check_ca 1 --json --imap "localhost:$IMAPS_WRONGHOST_PORT" --user "$MC_USER" <<<"$MC_PASS"
json_rows imap.cert.name=fail~"wrong.example.test" imap.cert.trusted=pass \
    imap.cert.validity=pass imap.login=skip~"not attempted"

# The probe sessions accept any certificate for themselves; prove that not
# even they, nor anything else, sends a credential to an untrusted server.
start_fake imap-limit3 self
check_ca 1 --json --imap "localhost:$FAKE_PORT" --user "$MC_USER" <<<"$MC_PASS"
json_rows imap.cert.trusted=fail imap.login=skip~"not attempted" \
    imap.tls.versions=pass
assert_file_contains "$FAKE_LOG" "# tls ok" "the fake saw the probes"
assert_file_not_contains "$FAKE_LOG" "LOGIN" "LOGIN sent to an untrusted server"
assert_file_not_contains "$FAKE_LOG" "AUTHENTICATE" "AUTHENTICATE sent to an untrusted server"
assert_file_not_contains "$FAKE_LOG" "$MC_PASS" "the password reached an untrusted server"

# ---- unreachable: refused, and a server that stalls -----------------------
CLOSED=$("$PY3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check_ca 1 --json --no-login --imap "localhost:$CLOSED"
json_rows imap.dns=pass~127.0.0.1 imap.port=fail~refused \
    imap.port=fail~"local source address 127.0.0.1" imap.tls=skip~closed \
    imap.login=skip

start_fake imap-stall none
T0=$(date +%s%N)
check_ca 1 --json --no-login --timeout 2 --imap "localhost:$FAKE_PORT"
T1=$(date +%s%N)
json_rows imap.port=pass imap.tls=fail imap.tls.versions=skip imap.software=skip
[ $(( (T1 - T0) / 1000000 )) -lt 8000 ] ||
	fail "a stalled server took $(( (T1 - T0) / 1000000 )) ms with --timeout 2"

# ---- what Dovecot will not do: Courier, a limit of 3 connections ----------
start_fake imap-courier
check_ca 1 --imap "localhost:$FAKE_PORT" --user "$MC_USER" <<<"fake-password"
assert_match "$OUT" "FAIL  IMAP server software +Courier-IMAP is not supported: replies sent to the inbox"
check_ca 1 --json --imap "localhost:$FAKE_PORT" --user "$MC_USER" <<<"fake-password"
json_rows imap.software=fail~"Courier-IMAP is not supported" imap.login=pass \
    imap.sent=pass~"INBOX.Sent"

start_fake imap-limit3
check_ca 1 --json --imap "localhost:$FAKE_PORT" --user "$MC_USER" <<<"fake-password"
json_rows imap.connections=fail~"accepted 3 of 5 authenticated connections" \
    imap.connections=fail~"connection 4 got" \
    imap.connections=fail~"Too many connections" imap.login=pass
assert_file_contains "$FAKE_LOG" "limit active=3"
# --max-connections 3 is within its limit.
check_ca 0 --json --max-connections 3 --imap "localhost:$FAKE_PORT" \
    --user "$MC_USER" <<<"fake-password"
json_rows imap.connections=pass~"3 of 3"

# ---- usage and config errors: exit 2 ---------------------------------------
expect_rc 2 "$MAILCONN" check; keep
assert_contains "$ERR" "usage: mailconn check"
expect_rc 2 "$MAILCONN" check no-such-account; keep
assert_contains "$ERR" "no account 'no-such-account'"
expect_rc 2 "$MAILCONN" check --imap localhost --user x --max-connections 99; keep
expect_rc 2 "$MAILCONN" check "$ACC" --imap localhost; keep
expect_rc 2 "$MAILCONN" check --imap mail.example.com --imap-security none --no-login; keep
assert_contains "$ERR" "only for a server on this machine"

# ---- never a password: not on the screen, not in the log -----------------
fresh_home check-debug
bed_account chk-debug smtp-port="$SMTPS_PORT" smtp-security=smtps
forget_later chk-debug
expect_rc 0 "$MAILCONN" password set chk-debug <<<"$MC_PASS"
expect_rc 0 env SSL_CERT_FILE="$MC_CA" "$MAILCONN" --debug check chk-debug; keep
LOG=$XDG_STATE_HOME/mailconn/mailconn.log
assert_file_contains "$LOG" "LOGIN" "the --debug log has the protocol traces"
assert_file_contains "$LOG" "<redacted>" "the --debug log redacts"
assert_file_not_contains "$LOG" "$MC_PASS" "the password in the log"
assert_file_not_contains "$ALL_OUT" "$MC_PASS" "the password in mailconn's output"

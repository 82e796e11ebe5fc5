#!/bin/bash
# test-cli.sh -- the command line: global options and exit codes, accounts
# list/remove on a real file, config errors with file:line, passwords in
# the bed's real gnome-keyring, certs trust/list/forget against the
# self-signed Dovecot, and `check` logging in through that pin.
#
# Run by run.sh (bed env and lib.sh loaded), or by hand after
# `. DIR/env` of a running bed: bash tests/integration/test-cli.sh
#
# `certs trust` asks y/N when there is a terminal: every call runs under
# `setsid` with stdin from /dev/null, so it has none even when the suite
# is started from one.

if ! declare -F expect_rc >/dev/null 2>&1; then
	set -eu
	: "${TB:?start the test bed and source its env first}"
	TEST_NAME=${TEST_NAME:-cli}
	. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
	trap _lib_cleanup EXIT
fi
MAILCONN=${MAILCONN:-$MC_ROOT/build/mailconn}
[ -x "$MAILCONN" ] || fail "$MAILCONN is not built"
command -v secret-tool >/dev/null || fail "secret-tool is missing (make deps-test)"

# A sanitizer report fails the test even where the expected exit status
# would hide it (make check-asan).
no_sanitizer() {
	case $ERR in
	*Sanitizer*|*"runtime error:"*) fail "sanitizer report: $ERR" ;;
	esac
}
mc() { expect_rc "$1" "$MAILCONN" "${@:2}"; no_sanitizer; }
# Without a controlling terminal (setsid) and with stdin from /dev/null.
notty() { expect_rc "$1" setsid -w "$MAILCONN" "${@:2}" </dev/null; no_sanitizer; }
# secret-tool lookup ACCOUNT PROTOCOL [USER]: the stored password, or rc 1.
lookup() {
	secret-tool lookup account "$1" protocol "$2" server localhost \
	    user "${3:-$MC_USER}"
}
forget_later() {	# the keyring outlives the test: clean up by name
	defer sh -c '"$0" --config "$1" password forget "$2" >/dev/null 2>&1' \
	    "$MAILCONN" "$XDG_CONFIG_HOME/mailconn/accounts.conf" "$1"
}

VERSION=$(sed -n 's/^#define MC_VERSION "\(.*\)"/\1/p' "$MC_ROOT/include/version.h")

# ---- global options, commands, exit codes --------------------------------
fresh_home cli
CONF=$XDG_CONFIG_HOME/mailconn/accounts.conf
mc 0 --version
assert_eq "$OUT" "mailconn $VERSION"
mc 0 --help
assert_contains "$OUT" "usage: mailconn [--config FILE] [--debug] [--theme NAME] [COMMAND [ARGS]]"
for c in check certs accounts password dashboard setup sync send; do
	assert_contains "$OUT" "  $c "
done
mc 0 help certs
assert_contains "$OUT" "certs list | trust HOST[:PORT]"
mc 0 check --help
assert_contains "$OUT" "usage: mailconn check ACCOUNT"
mc 2 frobnicate
assert_contains "$ERR" "mailconn: unknown command 'frobnicate'."
mc 2 --bogus accounts list
assert_contains "$ERR" "unknown or incomplete option '--bogus'"
# Without a terminal the screens say so; without an account, so do the rest.
notty 2
assert_contains "$ERR" "mailconn: the dashboard needs a terminal"
notty 2 setup
assert_contains "$ERR" "mailconn: the account wizard needs a terminal"
mc 2 sync --once
assert_contains "$ERR" "no account in $CONF; set one up with \`mailconn setup\`."
mc 78 send nobody@example.test <<<"hello"
assert_contains "$ERR" "no account in $CONF"
for c in ERR OUT; do
	case ${!c} in *"not implemented"*) fail "$c says not implemented" ;; esac
done

# ---- accounts list / remove -------------------------------------------------
mc 0 accounts list
assert_eq "$OUT" "No accounts in $CONF."
bed_account cli-one
write_account cli-two email=bob@example.test imap-host=imap.example.net \
    smtp-host=smtp.example.net smtp-security=starttls
forget_later cli-one
mc 0 accounts list
assert_match "$OUT" "^NAME +EMAIL +IMAP +SMTP"
assert_match "$OUT" "cli-one +$MC_USER +localhost:$IMAPS_PORT imaps +localhost:$SUBMISSION_PORT starttls"
assert_match "$OUT" "cli-two +bob@example.test +imap.example.net:993 imaps +smtp.example.net:587 starttls"

mc 0 password set cli-one <<<"$MC_PASS"
assert_eq "$(lookup cli-one imap)" "$MC_PASS" "IMAP password in the keyring"
assert_eq "$(lookup cli-one smtp)" "$MC_PASS" "SMTP password in the keyring"
mc 0 accounts remove cli-one
assert_contains "$OUT" "Removed account 'cli-one' from $CONF."
assert_contains "$OUT" "Forgot the IMAP password of $MC_USER at localhost"
assert_contains "$OUT" "Forgot the SMTP password of $MC_USER at localhost"
assert_file_not_contains "$CONF" "[account cli-one]"
assert_file_contains "$CONF" "[account cli-two]"
assert_match "$(cat "$CONF")" "imap-host += imap.example.net"
lookup cli-one imap >/dev/null && fail "the IMAP password survived accounts remove"
lookup cli-one smtp >/dev/null && fail "the SMTP password survived accounts remove"
mc 0 accounts list
assert_not_contains "$OUT" "cli-one"
assert_contains "$OUT" "cli-two"
mc 2 accounts remove cli-one
assert_contains "$ERR" "no account 'cli-one'"
mc 2 accounts
mc 2 accounts frob

# ---- config errors name file:line, exit 2 -----------------------------------
fresh_home cli-bad
CONF=$XDG_CONFIG_HOME/mailconn/accounts.conf
printf '%s\n' '# a comment' '[account work]' 'email = ann@example.com' \
    'imap-hots = imap.example.com' > "$CONF"
mc 2 accounts list
assert_contains "$ERR" "$CONF:4"
assert_contains "$ERR" "unknown key 'imap-hots'"
mc 2 check work
assert_contains "$ERR" "$CONF:4"
cp "$CONF" "$TEST_DIR/other.conf"
mc 2 --config "$TEST_DIR/other.conf" accounts list
assert_contains "$ERR" "$TEST_DIR/other.conf:4"
# --config is the file every command uses.
rm "$CONF"
bed_account cli-cfg
mv "$CONF" "$TEST_DIR/good.conf"
mc 0 --config "$TEST_DIR/good.conf" accounts list
assert_contains "$OUT" "cli-cfg"
# A section that parses but cannot be used: validated when used.
printf '%s\n' '[account half]' 'email = half@example.com' > "$CONF"
mc 2 check half
assert_contains "$ERR" "no imap-host"

# ---- password set / forget in the real keyring ------------------------------
fresh_home cli-pw
bed_account cli-pw
forget_later cli-pw
mc 0 password set cli-pw <<<"$MC_PASS"
assert_contains "$OUT" "Stored the IMAP password of $MC_USER at localhost in the keyring."
assert_contains "$OUT" "Stored the SMTP password of $MC_USER at localhost in the keyring."
assert_eq "$(lookup cli-pw imap)" "$MC_PASS" "IMAP password"
assert_eq "$(lookup cli-pw smtp)" "$MC_PASS" "SMTP password"
assert_not_contains "$OUT$ERR" "$MC_PASS" "password echoed"
if grep -rqF -- "$MC_PASS" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"; then
	fail "the password landed in a file under the XDG directories"
fi
# --smtp: only the SMTP password.
mc 0 password set cli-pw --smtp <<<"smtp-only-pw"
assert_not_contains "$OUT" "IMAP"
assert_eq "$(lookup cli-pw smtp)" "smtp-only-pw" "SMTP password after --smtp"
assert_eq "$(lookup cli-pw imap)" "$MC_PASS" "IMAP password after --smtp"
# A different SMTP user: `set` stores IMAP only and says how to set SMTP.
bed_account cli-pw2 smtp-user=other@example.test
forget_later cli-pw2
mc 0 password set cli-pw2 <<<"$MC_PASS"
assert_contains "$OUT" "Stored the IMAP password"
assert_not_contains "$OUT" "Stored the SMTP password"
assert_contains "$OUT" "mailconn password set cli-pw2 --smtp"
mc 0 password forget cli-pw
assert_contains "$OUT" "Forgot the IMAP password of $MC_USER at localhost in the keyring."
assert_contains "$OUT" "Forgot the SMTP password of $MC_USER at localhost in the keyring."
lookup cli-pw imap >/dev/null && fail "IMAP password still there after forget"
lookup cli-pw smtp >/dev/null && fail "SMTP password still there after forget"
mc 0 password forget cli-pw
assert_contains "$OUT" "No IMAP password of $MC_USER at localhost was in the keyring."
mc 1 password set cli-pw </dev/null
lookup cli-pw imap >/dev/null && fail "an empty stdin stored a password"
mc 2 password set no-such <<<"x"
assert_contains "$ERR" "no account 'no-such'"
mc 2 password set cli-pw --imap --smtp <<<"x"
mc 2 password

# ---- certs: trust (pin), list, check logs in through the pin, forget -------
fresh_home cli-certs
KNOWN=$XDG_DATA_HOME/mailconn/known_certs
mc 0 certs list
assert_contains "$OUT" "No pinned certificates"
HP=localhost:$IMAPS_SELF_PORT
notty 0 certs trust "$HP"
assert_contains "$OUT" "Pinned $HP: key SHA-256"
assert_contains "$OUT" "self-signed"
assert_file_contains "$KNOWN" "$HP "
assert_file_contains "$KNOWN" "$(cert_fp self)"
assert_eq "$(stat -c %a "$KNOWN")" 600 "known_certs mode"
mc 0 certs list
assert_match "$OUT" "^HOST:PORT +PINNED +KEY SHA-256 +SUBJECT"
assert_match "$OUT" "$HP +[0-9]{4}-[0-9]{2}-[0-9]{2} +[0-9a-f]{16} +CN=localhost"
notty 0 certs trust "$HP"
assert_contains "$OUT" "already pinned"
# STARTTLS: the same key on the plaintext port, after the upgrade.
notty 0 certs trust "localhost:$IMAP_SELF_PORT" --starttls
assert_contains "$OUT" "Pinned localhost:$IMAP_SELF_PORT"

# check through the pin: the trust row still fails (ordinary clients do
# not trust it), but mailconn logs in, because it is pinned.
bed_account cli-self imap-port="$IMAPS_SELF_PORT" ca-file= smtp-host= \
    smtp-port= smtp-security= smtp-user=
forget_later cli-self
mc 0 password set cli-self <<<"$MC_PASS"
notty 1 check --json cli-self
printf '%s' "$OUT" > "$TEST_DIR/pinned.json"
"$PY3" - "$TEST_DIR/pinned.json" <<-'EOF' || fail "check through the pin"
	import json, sys
	rows = {r["id"]: r for r in json.load(open(sys.argv[1]))["rows"]}
	assert rows["imap.cert.trusted"]["status"] == "fail", rows["imap.cert.trusted"]
	assert "pinned" in rows["imap.cert.trusted"]["finding"], rows["imap.cert.trusted"]
	assert rows["imap.login"]["status"] == "pass", rows["imap.login"]
	assert "pinned" in rows["imap.login"]["finding"], rows["imap.login"]
	assert rows["imap.connections"]["status"] == "pass", rows["imap.connections"]
	assert rows["imap.sent"]["status"] == "pass", rows["imap.sent"]
	EOF

mc 0 certs forget "$HP"
assert_contains "$OUT" "Forgot the pin of $HP."
assert_file_not_contains "$KNOWN" "$HP "
assert_file_contains "$KNOWN" "localhost:$IMAP_SELF_PORT "
mc 0 certs list
assert_not_contains "$OUT" "$HP "
mc 1 certs forget "$HP"
assert_contains "$ERR" "nothing is pinned for $HP"
# Unpinned again: check (no terminal) does not log in, and names the fix.
notty 1 check cli-self
assert_contains "$OUT" "not attempted"
assert_contains "$OUT" "mailconn certs trust"

# A certificate the (test) system store trusts is not pinned.
expect_rc 0 env SSL_CERT_FILE="$MC_CA" setsid -w "$MAILCONN" certs trust \
    "localhost:$IMAPS_PORT" </dev/null
no_sanitizer
assert_contains "$OUT" "nothing to pin"
assert_file_not_contains "$KNOWN" "localhost:$IMAPS_PORT "
# Errors.
CLOSED=$("$PY3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
notty 1 certs trust "localhost:$CLOSED"
assert_contains "$ERR" "mailconn: "
mc 2 certs trust localhost:notaport
mc 2 certs trust
mc 2 certs frob

# ---- certs trust on a terminal asks y/N first (tmux is the terminal) -------
fresh_home cli-tty
KNOWN=$XDG_DATA_HOME/mailconn/known_certs
# One tmux server per question: reusing a socket races with the old
# server's exit ("server exited unexpectedly").
screen() { tmux -S "$TMUX_SOCK" capture-pane -p -t T; }
screen_has() { screen | grep -qF -- "$1"; }
ask_trust() {	# ANSWER: run certs trust in tmux, answer, wait for the exit
	TMUX_SOCK=$TEST_DIR/tmux-$1.sock
	rm -f "$TMUX_SOCK"
	tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s T -x 150 -y 50 \
	    -e XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
	    -e XDG_DATA_HOME="$XDG_DATA_HOME" \
	    -e XDG_STATE_HOME="$XDG_STATE_HOME" \
	    "'$MAILCONN' certs trust localhost:$IMAPS_SELF_PORT; echo EXIT=\$?; sleep 60"
	defer tmux -S "$TMUX_SOCK" kill-server
	wait_for screen_has "[y/N]" || fail "no y/N question on the terminal"
	tmux -S "$TMUX_SOCK" send-keys -t T -l "$1"
	tmux -S "$TMUX_SOCK" send-keys -t T Enter
	wait_for screen_has "EXIT=" || fail "certs trust did not finish"
}
ask_trust n
assert_contains "$(screen)" "Not pinned."
assert_contains "$(screen)" "EXIT=1"
[ ! -s "$KNOWN" ] || fail "answering n pinned anyway"
ask_trust y
assert_contains "$(screen)" "Pinned localhost:$IMAPS_SELF_PORT"
assert_contains "$(screen)" "EXIT=0"
assert_file_contains "$KNOWN" "localhost:$IMAPS_SELF_PORT "

# test-send.sh -- `mailconn send` through the test bed's real SMTP server
# (aiosmtpd, STARTTLS submission and implicit TLS) with the copy appended to
# the real Dovecot's Sent, and neomutt using mailconn as its sendmail.
#
# Sourced by run.sh (set -eu, lib.sh loaded, the bed's env exported).
# The SMTP server writes each accepted message to $SMTP_SPOOL/NNNN.json (the
# envelope) + NNNN.eml (the bytes); Sent is $MAIL_ROOT/.Sent (Maildir++).
# Every message carries a token unique to this run so that the spool and
# Sent files of one case are found whatever else the bed holds.

fresh_home send
ACC=sendtest
RUN=$$-$(date +%s%N)

# --- helpers ----------------------------------------------------------------

sent_count() {
	local n=0 f
	for f in "$MAIL_ROOT"/.Sent/cur/* "$MAIL_ROOT"/.Sent/new/*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# The spool .eml holding TOKEN (exactly one), or fail.
spool_eml() {
	local hits
	hits=$(grep -lF -- "$1" "$SMTP_SPOOL"/*.eml 2>/dev/null || true)
	[ -n "$hits" ] || fail "no message with $1 in the SMTP spool"
	[ "$(printf '%s\n' "$hits" | wc -l)" = 1 ] ||
	    fail "several messages with $1 in the spool: $hits"
	echo "$hits"
}

spool_has() { grep -qlF -- "$1" "$SMTP_SPOOL"/*.eml 2>/dev/null; }

# json FILE EXPR: a Python expression over the envelope j.
json() {
	"$PY3" -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(" ".join(v) if isinstance(v, list) else v)' "$1" "$2"
}

# The Sent file holding TOKEN, or fail.
sent_file() {
	local hits
	hits=$(grep -lF -- "$1" "$MAIL_ROOT"/.Sent/cur/* "$MAIL_ROOT"/.Sent/new/* \
	    2>/dev/null || true)
	[ -n "$hits" ] || fail "no copy with $1 in Sent"
	[ "$(printf '%s\n' "$hits" | wc -l)" = 1 ] ||
	    fail "several copies with $1 in Sent: $hits"
	echo "$hits"
}

set_password() {	# ACCOUNT PASSWORD [smtp]: both passwords, or SMTP's only
	if "$MAILCONN" help password >/dev/null 2>&1; then
		printf '%s\n' "$2" | "$MAILCONN" password set "$1" \
		    ${3:+--$3} >/dev/null ||
		    fail "mailconn password set $1 failed"
	else
		local p
		for p in ${3:-imap smtp}; do
			printf '%s' "$2" | secret-tool store --label="mailconn $1" \
			    xdg:schema org.mailconn.Password account "$1" \
			    protocol "$p" server localhost user "$MC_USER" ||
			    fail "secret-tool store for $1 failed"
		done
	fi
	defer forget_password "$1"
}

forget_password() {
	"$MAILCONN" password forget "$1" >/dev/null 2>&1 ||
	    secret-tool clear account "$1" >/dev/null 2>&1 || true
}

[ -d "$MAIL_ROOT/.Sent" ] || fail "the bed has no Sent folder ($MAIL_ROOT/.Sent)"
# An unknown option is a usage error (EX_USAGE), before anything is read.
expect_rc 64 "$MAILCONN" send --bogus </dev/null

bed_account "$ACC"
set_password "$ACC" "$MC_PASS"

# --- 1. explicit recipients, sendmail's flags, CRLF message -----------------
tok=tok1-$RUN
msg=$TEST_DIR/m1.eml
printf 'From: Ann <%s>\r\nTo: Bob <bob@example.test>\r\nSubject: %s\r\n' \
    "$MC_USER" "$tok" > "$msg"
printf 'Message-ID: <%s@example.test>\r\n\r\nfirst line\r\n.\r\n' "$tok" >> "$msg"
printf '.leading dot\r\n..two dots\r\nlast line\r\n' >> "$msg"
sent0=$(sent_count)
spool0=$(spool_count)
expect_rc 0 "$MAILCONN" send -a "$ACC" -oi -oem -odb -F "Ann Example" -i -- \
    bob@example.test "Carol Example <carol@example.test>" < "$msg"
assert_eq "$ERR" "" "stderr of a good send"
eml=$(spool_eml "$tok")
assert_eq "$(json "${eml%.eml}.json" 'j["mail_from"]')" "$MC_USER" "MAIL FROM"
assert_eq "$(json "${eml%.eml}.json" 'j["rcpt_tos"]')" \
    "bob@example.test carol@example.test" "RCPT TO"
assert_eq "$(json "${eml%.eml}.json" 'j["auth"]')" "$MC_USER" "AUTH login"
assert_eq "$(json "${eml%.eml}.json" 'j["tls"]')" "True" "sent over TLS"
cmp -s "$msg" "$eml" || {
	diff <(od -c "$msg") <(od -c "$eml") | head -20 >&2
	fail "the transmitted message differs from the input (lone '.' lines, dot-stuffing or the final CRLF)"
}
assert_eq "$(spool_count)" "$((spool0 + 1))" "messages in the spool"
assert_eq "$(sent_count)" "$((sent0 + 1))" "messages in Sent"
copy=$(sent_file "$tok")
assert_match "${copy##*/}" ':2,[A-Z]*S[A-Z]*$' "the copy in Sent is \\Seen"
cmp -s <(tr -d '\r' < "$msg") <(tr -d '\r' < "$copy") ||
    fail "the copy in Sent differs from the message"

# --- 2. -f sets the envelope sender; LF line ends ---------------------------
tok=tok2-$RUN
printf 'Subject: %s\n\nbody\n' "$tok" > "$TEST_DIR/m2.eml"
expect_rc 0 "$MAILCONN" send -a "$ACC" --no-save-copy \
    -f "Other <other@example.test>" dave@example.test < "$TEST_DIR/m2.eml"
eml=$(spool_eml "$tok")
assert_eq "$(json "${eml%.eml}.json" 'j["mail_from"]')" "other@example.test" \
    "MAIL FROM with -f"
# LF in, CRLF on the wire, nothing added or lost.
cmp -s <(sed 's/$/\r/' "$TEST_DIR/m2.eml") "$eml" ||
    fail "an LF message did not arrive as the same message with CRLF"

# --- 3. -t: To, Cc (folded, a group), Bcc; Bcc not transmitted --------------
tok=tok3-$RUN
msg=$TEST_DIR/m3.eml
cat > "$msg" <<EOF
From: Ann <$MC_USER>
To: "Bob, the builder" <bob@example.test>
Subject: $tok
Cc: Team: carol@example.test,
 Dave (the one) <dave@example.test>;, erin@example.test
Bcc: Secret Agent <secret-$tok@example.test>,
	hidden@example.test
X-Tail: kept

To: body-not-a-recipient@example.test
Bcc: body-line-kept@example.test
EOF
sent0=$(sent_count)
expect_rc 0 "$MAILCONN" send -a "$ACC" -t extra@example.test < "$msg"
eml=$(spool_eml "$tok")
assert_eq "$(json "${eml%.eml}.json" 'sorted(j["rcpt_tos"])')" \
    "bob@example.test carol@example.test dave@example.test erin@example.test extra@example.test hidden@example.test secret-$tok@example.test" \
    "envelope recipients with -t"
assert_file_not_contains "$eml" "secret-$tok" "transmitted message (Bcc)"
assert_file_not_contains "$eml" "hidden@example.test" "transmitted message (Bcc)"
assert_file_contains "$eml" "Bcc: body-line-kept@example.test" "the body"
cmp -s <(grep -v -e '^Bcc: Secret' -e '^	hidden' "$msg" | sed 's/$/\r/') "$eml" ||
    fail "the transmitted message is not the input minus its Bcc field"
assert_eq "$(sent_count)" "$((sent0 + 1))" "messages in Sent after -t"
# The sender's own copy keeps the Bcc: they see whom they blind-copied.
assert_file_contains "$(sent_file "$tok")" "secret-$tok@example.test" \
    "the copy in Sent (Bcc kept)"

# --- 4. --no-save-copy --------------------------------------------------------
tok=tok4-$RUN
sent0=$(sent_count)
expect_rc 0 "$MAILCONN" send -a "$ACC" --no-save-copy bob@example.test < <(printf 'Subject: %s\n\nno copy\n' "$tok")
spool_eml "$tok" >/dev/null
assert_eq "$(sent_count)" "$sent0" "messages in Sent with --no-save-copy"

# --- 4b. the copy fails after a good send: a warning, exit 0 ----------------
bed_account sendnocopy
set_password sendnocopy "$MC_PASS" smtp		# no IMAP password
tok=tok4b-$RUN
sent0=$(sent_count)
expect_rc 0 "$MAILCONN" send -a sendnocopy bob@example.test \
    < <(printf 'Subject: %s\n\ncopy fails\n' "$tok")
spool_eml "$tok" >/dev/null
assert_contains "$ERR" "warning: The message was sent, but its copy was not saved in Sent" \
    "the warning"
assert_contains "$ERR" "mailconn password set sendnocopy" "why the copy failed"
assert_eq "$(sent_count)" "$sent0" "messages in Sent after a failed copy"

# --- 4c. -t on a resent message: the Resent- fields name the recipients -----
tok=tok4c-$RUN
expect_rc 0 "$MAILCONN" send -a "$ACC" -t --no-save-copy < <(printf \
    'To: bob@example.test\nResent-To: carol@example.test\nResent-Bcc: dave@example.test\nSubject: %s\n\nx\n' \
    "$tok")
eml=$(spool_eml "$tok")
assert_eq "$(json "${eml%.eml}.json" 'sorted(j["rcpt_tos"])')" \
    "carol@example.test dave@example.test" "recipients of a resent message"
assert_file_not_contains "$eml" "Resent-Bcc" "transmitted message (Resent-Bcc)"

# --- 5. what is refused before anything is sent ------------------------------
spool0=$(spool_count)
expect_rc 65 "$MAILCONN" send -a "$ACC" < <(printf 'Subject: none\n\nx\n')
assert_contains "$ERR" "no recipients" "no recipients"
expect_rc 65 "$MAILCONN" send -a "$ACC" -t < <(printf 'Subject: none\n\nx\n')
assert_contains "$ERR" "no recipient in To, Cc or Bcc" "-t without recipients"
expect_rc 65 "$MAILCONN" send -a "$ACC" -t < <(printf 'To: "unclosed <a@example.test>\n\nx\n')
assert_contains "$ERR" "To: field (line 1)" "a bad To: field"
expect_rc 65 "$MAILCONN" send -a "$ACC" bob@example.test < /dev/null
assert_contains "$ERR" "empty" "an empty message"
expect_rc 67 "$MAILCONN" send -a "$ACC" root < <(printf 'x\n')
assert_contains "$ERR" "has no domain" "a recipient without a domain"
expect_rc 64 "$MAILCONN" send -a "$ACC" -bs < <(printf 'x\n')
expect_rc 64 "$MAILCONN" send -a "$ACC" --bogus bob@example.test < <(printf 'x\n')
assert_contains "$ERR" "usage: mailconn send" "usage on a bad option"
expect_rc 65 "$MAILCONN" send -a "$ACC" bob@example.test < <(head -c $((100 * 1024 * 1024 + 1)) /dev/zero)
assert_contains "$ERR" "larger than 100 MB" "a message over mailconn's cap"
expect_rc 78 "$MAILCONN" send -a no-such-account bob@example.test < <(printf 'x\n')
assert_contains "$ERR" "no-such-account" "unknown account named"
assert_contains "$ERR" "$ACC" "the existing accounts listed"
bed_account sendnosmtp smtp-host= smtp-port= smtp-security= smtp-user=
expect_rc 78 "$MAILCONN" send -a sendnosmtp bob@example.test < <(printf 'x\n')
assert_contains "$ERR" "no smtp-host" "an account without SMTP"
assert_eq "$(spool_count)" "$spool0" "spool after the refused cases"

# --- 6. the server refuses recipients: all or nothing ------------------------
tok=tok6-$RUN
expect_rc 67 "$MAILCONN" send -a "$ACC" bob@example.test reject@example.test < <(printf 'Subject: %s\n\nx\n' "$tok")
assert_contains "$ERR" "550" "the server's words for a refused recipient"
expect_rc 75 "$MAILCONN" send -a "$ACC" tempfail@example.test < <(printf 'Subject: %s\n\nx\n' "$tok")
assert_contains "$ERR" "451" "the server's words for a temporary refusal"
spool_has "$tok" && fail "a message with a refused recipient was delivered"

# --- 7. larger than the server's SIZE: refused before MAIL ------------------
limit=$(sed -n 's/^SIZE_LIMIT = \(.*\)$/\1/p' "$MC_ROOT/tests/testbed/smtpd.py")
limit=$((limit))
[ "$limit" -gt 0 ] || fail "cannot read the bed's SIZE limit"
tok=tok7-$RUN
{
	printf 'Subject: %s\r\n\r\n' "$tok"
	yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' |
	    head -c "$((limit + 1000))"
} > "$TEST_DIR/big.eml"
spool0=$(spool_count)
log=$XDG_STATE_HOME/mailconn/mailconn.log
mkdir -p "${log%/*}"
: > "$log"
expect_rc 65 "$MAILCONN" --debug send -a "$ACC" bob@example.test < "$TEST_DIR/big.eml"
assert_contains "$ERR" "$limit" "the server's limit in the error"
assert_contains "$ERR" "nothing was sent" "what happened"
assert_file_contains "$log" "SIZE $limit" "the trace (EHLO seen)"
assert_file_not_contains "$log" "MAIL FROM" "the trace (refused before MAIL)"
assert_file_not_contains "$log" "DATA" "the trace (refused before DATA)"
assert_eq "$(spool_count)" "$spool0" "spool after an oversized message"

# --- 8. wrong password; untrusted certificate; no password in the logs -------
bed_account sendwrong smtp-port="$SMTPS_PORT" smtp-security=smtps
set_password sendwrong "not the password"
expect_rc 77 "$MAILCONN" send -a sendwrong bob@example.test < <(printf 'Subject: x\n\nx\n')
assert_contains "$ERR" "rejected the user name or password" "wrong password"
assert_contains "$ERR" "535" "the server's words"
bed_account sendnoca smtp-port="$SMTPS_PORT" smtp-security=smtps ca-file=
set_password sendnoca "$MC_PASS"
expect_rc 77 "$MAILCONN" send -a sendnoca bob@example.test < <(printf 'Subject: x\n\nx\n')
assert_contains "$ERR" "mailconn certs trust" "untrusted certificate, no terminal"
# The --debug run of 7 logged in: neither the password nor AUTH PLAIN's
# base64 of it may be in its trace.
assert_file_contains "$log" "AUTH PLAIN" "the trace of 7"
assert_file_not_contains "$log" "$MC_PASS" "the log"
assert_file_not_contains "$log" "$("$PY3" -c 'import base64, sys
print(base64.b64encode(("\0%s\0%s" % (sys.argv[1], sys.argv[2])).encode()).decode())' \
    "$MC_USER" "$MC_PASS")" "the log (AUTH PLAIN)"
assert_file_not_contains "$SMTP_LOG" "$MC_PASS" "the SMTP server's log"

# --- 9. several accounts: -a, or the account that sends as From -------------
bed_account sendother email=bob@example.test smtp-user=bob@example.test \
    imap-user=bob@example.test
tok=tok9-$RUN
expect_rc 64 "$MAILCONN" send bob@example.test < <(printf 'From: Ann <%s>\nSubject: %s\n\nx\n' "$MC_USER" "$tok")
assert_contains "$ERR" "several accounts" "several accounts, no -a"
assert_contains "$ERR" "-a ACCOUNT" "the way out"
# Only "sendother" sends as bob: -f picks it (and its missing password says so).
expect_rc 78 "$MAILCONN" send -f bob@example.test carol@example.test < <(printf 'Subject: %s\n\nx\n' "$tok")
assert_contains "$ERR" "mailconn password set sendother" "picked by -f"
spool_has "$tok" && fail "sent although no account could be chosen"

# --- 10. neomutt with mailconn as its sendmail -------------------------------
command -v neomutt >/dev/null || fail "neomutt is not installed (make deps-test)"
case $MAILCONN in *[[:space:]]*) fail "MAILCONN has white space: $MAILCONN" ;; esac
tok=tok10-$RUN
rc=$TEST_DIR/neomuttrc
cat > "$rc" <<EOF
set from = "Ann Example <$MC_USER>"
set sendmail = "$MAILCONN send -a $ACC"
set use_envelope_from = yes
set record = ""
set copy = no
set charset = "utf-8"
set send_charset = "utf-8"
EOF
printf 'Hello from neomutt, %s.\n' "$tok" > "$TEST_DIR/neo-body"
sent0=$(sent_count)
expect_rc 0 env TERM=dumb neomutt -n -F "$rc" -s "neomutt $tok" \
    -c carol@example.test bob@example.test < "$TEST_DIR/neo-body"
eml=$(spool_eml "$tok")
assert_eq "$(json "${eml%.eml}.json" 'j["mail_from"]')" "$MC_USER" "neomutt's MAIL FROM"
assert_eq "$(json "${eml%.eml}.json" 'sorted(j["rcpt_tos"])')" \
    "bob@example.test carol@example.test" "neomutt's RCPT TO"
assert_file_contains "$eml" "Subject: neomutt $tok" "neomutt's message"
assert_file_contains "$eml" "Hello from neomutt, $tok." "neomutt's message"
assert_eq "$(sent_count)" "$((sent0 + 1))" "Sent after neomutt"

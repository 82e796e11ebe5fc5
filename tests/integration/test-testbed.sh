# test-testbed.sh -- the test bed itself: if these fail, every other
# integration test's verdict is meaningless.  Sourced by run.sh (set -eu,
# lib.sh, the bed's env).

# -- every Dovecot port greets, on 127.0.0.1 and ::1 ---------------------------
specs=""
for kp in imaps:$IMAPS_PORT imap:$IMAP_PORT imaps:$IMAPS_SELF_PORT \
    imap:$IMAP_SELF_PORT imaps:$IMAPS_EXPIRED_PORT \
    imaps:$IMAPS_WRONGHOST_PORT; do
	specs="$specs $kp@127.0.0.1 $kp@::1"
done
out=$(greetings $specs)
for spec in $specs; do
	line=$(grep -F "$spec " <<<"$out")
	assert_contains "$line" "* OK [CAPABILITY IMAP4rev1" "greeting of $spec"
	assert_contains "$line" "Dovecot (Debian) ready." "greeting of $spec"
done
# The STARTTLS port offers STARTTLS; implicit TLS ports need not.
assert_contains "$(greeting imap "$IMAP_PORT")" " STARTTLS " "IMAP_PORT caps"

# -- the four certificates present the expected problems -----------------------
s_client() {	# PORT [extra s_client args]
	local p=$1
	shift
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$p" \
	    -verify_return_error -CAfile "$MC_CA" -verify_hostname localhost \
	    "$@" 2>&1 || true
}
out=$(s_client "$IMAPS_PORT")
assert_contains "$out" "Verify return code: 0 (ok)" "good certificate"
out=$(s_client "$IMAP_PORT" -starttls imap)
assert_contains "$out" "Verify return code: 0 (ok)" "good certificate via STARTTLS"
out=$(s_client "$IMAPS_SELF_PORT")
assert_contains "$out" "verify error:num=18:self-signed certificate" "self-signed"
out=$(s_client "$IMAP_SELF_PORT" -starttls imap)
assert_contains "$out" "verify error:num=18:self-signed certificate" "self-signed STARTTLS"
out=$(s_client "$IMAPS_EXPIRED_PORT")
assert_contains "$out" "verify error:num=10:certificate has expired" "expired"
out=$(s_client "$IMAPS_WRONGHOST_PORT")
assert_contains "$out" "verify error:num=62:hostname mismatch" "wrong host"
# The good certificate also covers both IP literals.
out=$(echo | timeout 10 openssl s_client -connect "[::1]:$IMAPS_PORT" \
    -verify_return_error -CAfile "$MC_CA" -verify_ip ::1 2>&1 || true)
assert_contains "$out" "Verify return code: 0 (ok)" "good certificate for ::1"
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$IMAPS_PORT" \
    -verify_return_error -CAfile "$MC_CA" -verify_ip 127.0.0.1 2>&1 || true)
assert_contains "$out" "Verify return code: 0 (ok)" "good certificate for 127.0.0.1"

# -- IMAP login, the sample mailbox, fill.py -----------------------------------
imap_py() {	# PORT USER PASS SCRIPT-ON-STDIN: imaplib session as `m`
	"$PY3" - "$@" <<-EOF
	import imaplib, os, ssl, sys
	port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	m = imaplib.IMAP4_SSL("localhost", port, ssl_context=ctx)
	m._encoding = "utf-8"
	m.login(user, pw)
	$(cat)
	m.logout()
	EOF
}
out=$(imap_py "$IMAPS_PORT" "$MC_USER" "$MC_PASS" <<-'EOF'
	for l in m.list()[1]: print(l.decode())
	print("INBOX", m.select("INBOX")[1][0].decode())
	print(m.capability()[1][0].decode())
	EOF
)
# (\Marked/\UnMarked come and go with new mail: match loosely.)
assert_match "$out" '\(\\HasNoChildren[^)]* \\Sent\) "/" Sent' "LIST: Sent with \\Sent"
assert_match "$out" '\([^)]*\\Junk\) "/" Junk' "LIST: Junk with \\Junk"
assert_contains "$out" '"/" Work/Projects' "LIST: nested folder"
assert_contains "$out" '"/" Re&AOc-us' "LIST: Reçus in modified UTF-7"
assert_contains "$out" '"/" &BB8EQAQ4BDwENQRA-' "LIST: Пример in modified UTF-7"
assert_contains "$out" "INBOX 20" "INBOX has the 20 sample messages"
assert_contains "$out" "QRESYNC" "post-login capabilities"
assert_not_contains "$out" "COMPRESS" "no COMPRESS (libetpan has no zlib)"
# The second user (UTF-8 password) logs in too; a wrong password does not.
out=$(imap_py "$IMAPS_PORT" "$MC_USER2" "$MC_PASS2" <<<'print("bob", m.select("INBOX")[0])')
assert_contains "$out" "bob OK" "second user"
expect_rc 1 imap_py "$IMAPS_PORT" "$MC_USER" "wrong-password" <<<'pass'
assert_contains "$ERR" "AUTHENTICATIONFAILED" "wrong password refused"

manifest=$("$PY3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["INBOX"]["messages"], d["INBOX"]["unseen"])' "$SAMPLE_MANIFEST")
st=$(dove -f flow mailbox status -u "$MC_USER" "messages unseen" INBOX)
assert_eq "$st" "INBOX messages=${manifest% *} unseen=${manifest#* }" \
    "doveadm INBOX status vs sample.json"
count() {
	dove -f flow mailbox status -u "$MC_USER" messages "$1" |
	    sed -n 's/.*messages=\([0-9]*\).*/\1/p'
}
before=$(count Work/Projects)
"$PY3" "$FILL" --maildir "$MAIL_ROOT" --folder Work/Projects --count 5 \
    --seed "tb$$" --size 2048 --start 100
assert_eq "$(count Work/Projects)" $((before + 5)) "fill.py added 5 messages"
sz=$(dove fetch -u "$MC_USER" size.physical mailbox Work/Projects all |
    sed -n 's/^size.physical: //p' | tail -n 5 | sort -u)
assert_eq "$sz" 2048 "fill.py --size makes exact sizes"

# -- SMTP: submission (STARTTLS) and smtps ---------------------------------
smtp_py() {	# SCRIPT-ON-STDIN with smtplib, ssl, os, ctx
	"$PY3" - <<-EOF
	import json, os, smtplib, ssl, sys
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	U, P = os.environ["MC_USER"], os.environ["MC_PASS"]
	$(cat)
	EOF
}
n0=$(spool_count)
out=$(smtp_py <<-'EOF'
	s = smtplib.SMTP("localhost", int(os.environ["SUBMISSION_PORT"]), timeout=10)
	s.ehlo()
	print("pre-tls:", sorted(s.esmtp_features))
	print("mail-before-tls:", s.docmd("MAIL FROM:<%s>" % U))
	s.starttls(context=ctx)
	s.ehlo()
	print("post-tls:", sorted(s.esmtp_features), s.esmtp_features.get("auth"))
	print("size:", s.esmtp_features.get("size"))
	try:
	    s.login(U, "wrong")
	except smtplib.SMTPAuthenticationError as e:
	    print("wrong:", e.smtp_code)
	s.login(U, P)
	s.sendmail(U, ["rcpt@example.test"], "Subject: tb\r\n\r\nhello from test-testbed\r\n")
	try:
	    s.sendmail(U, ["reject-me@example.test"], "Subject: x\r\n\r\nx\r\n")
	except smtplib.SMTPRecipientsRefused as e:
	    print("reject:", list(e.recipients.values())[0][0])
	s.quit()
	s = smtplib.SMTP_SSL("localhost", int(os.environ["SMTPS_PORT"]), context=ctx, timeout=10)
	s.ehlo()
	print("smtps:", s.esmtp_features.get("auth"))
	s.login(U, P)
	s.sendmail(U, ["rcpt2@example.test"], "Subject: tb2\r\n\r\nover smtps\r\n")
	s.quit()
	EOF
)
assert_contains "$out" "'starttls'" "submission offers STARTTLS"
assert_not_contains "$(grep '^pre-tls' <<<"$out")" "auth" "no AUTH before STARTTLS"
assert_contains "$out" "mail-before-tls: (530" "MAIL refused before TLS"
assert_contains "$(grep '^post-tls' <<<"$out")" "PLAIN" "AUTH PLAIN after STARTTLS"
assert_contains "$(grep '^post-tls' <<<"$out")" "LOGIN" "AUTH LOGIN after STARTTLS"
assert_contains "$out" "size: 10485760" "SIZE announced"
assert_contains "$out" "wrong: 535" "wrong SMTP password refused"
assert_contains "$out" "reject: 550" "reject* recipient refused"
assert_contains "$out" "smtps:  LOGIN PLAIN" "smtps offers AUTH"
# sendmail returned after the 250, which smtpd.py sends after the rename.
assert_eq "$(spool_count)" $((n0 + 2)) "two messages spooled"
last=$(ls "$SMTP_SPOOL" | grep '\.json$' | sort | tail -n 2)
j1=$SMTP_SPOOL/$(head -n1 <<<"$last")
j2=$SMTP_SPOOL/$(tail -n1 <<<"$last")
assert_file_contains "$j1" "\"auth\": \"$MC_USER\"" "spool json: auth login"
assert_file_contains "$j1" '"tls": true' "spool json: tls (STARTTLS)"
assert_file_contains "$j1" "rcpt@example.test" "spool json: rcpt"
assert_file_contains "$j2" '"tls": true' "spool json: tls (smtps)"
assert_file_contains "${j1%.json}.eml" "hello from test-testbed" "spool eml"
assert_file_not_contains "$SMTP_LOG" "$MC_PASS" "smtpd log has no password"

# -- the keyring -----------------------------------------------------------
printf '%s' "tb-secret" | secret-tool store --label=tb service mc-testbed user t
assert_eq "$(secret-tool lookup service mc-testbed user t)" tb-secret "keyring round trip"
secret-tool clear service mc-testbed user t

# -- fake servers log what a client sent ----------------------------------------
start_fake imap-no-starttls none
out=$("$PY3" - "$FAKE_PORT" <<-'EOF'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
	f = s.makefile("rwb")
	print(f.readline().decode().strip())
	f.write(b"a1 CAPABILITY\r\na2 STARTTLS\r\na3 LOGOUT\r\n"); f.flush()
	print(f.read().decode())
	EOF
)
assert_not_contains "$(head -n1 <<<"$out")" STARTTLS "imap-no-starttls greeting"
assert_contains "$out" "a2 BAD" "imap-no-starttls refuses STARTTLS"
wait_for grep -qx "1# close" "$FAKE_LOG" --deadline 5
assert_file_contains "$FAKE_LOG" "1> a1 CAPABILITY" "fake log: client line"
assert_file_contains "$FAKE_LOG" "1> a3 LOGOUT" "fake log: last line"

# STARTTLS response injection arrives in ONE segment.
start_fake imap-starttls-inject
out=$("$PY3" - "$FAKE_PORT" <<-'EOF'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
	s.recv(4096)
	s.sendall(b"t1 STARTTLS\r\n")
	print(repr(s.recv(4096)))
	EOF
)
assert_contains "$out" 'OK Begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n' "injection in one read"

# LOGINDISABLED before TLS, LOGIN after a real STARTTLS.
start_fake imap-logindisabled
out=$("$PY3" - "$FAKE_PORT" <<-'EOF'
	import imaplib, os, ssl, sys
	m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
	print("caps1", m.capabilities)
	try:
	    m.login("ann", "pw-before-tls")
	except imaplib.IMAP4.error as e:
	    print("refused", e)
	m.starttls(ssl.create_default_context(cafile=os.environ["MC_CA"]))
	print("caps2", m.capabilities)
	print("login", m.login("ann", "pw")[0])
	print("select", m.select("INBOX"))
	print("fetch", m.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])")[0])
	m.logout()
	EOF
)
assert_contains "$out" "LOGINDISABLED" "caps before TLS"
assert_contains "$out" "PRIVACYREQUIRED" "LOGIN refused before TLS"
assert_not_contains "$(grep '^caps2' <<<"$out")" LOGINDISABLED "caps after TLS"
assert_contains "$out" "login OK" "LOGIN after STARTTLS"
assert_contains "$out" "select ('OK', [b'3'])" "fake INBOX"
assert_contains "$out" "fetch OK" "fake FETCH"

# Courier's LOGIN carries no CAPABILITY code; ID refused before login.
start_fake imap-courier
out=$("$PY3" - "$FAKE_PORT" <<-'EOF'
	import socket, ssl, sys, os
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5), server_hostname="localhost")
	f = s.makefile("rwb")
	print(f.readline().decode().strip())
	for cmd in (b"a1 ID NIL", b"a2 LOGIN ann x", b"a3 LOGOUT"):
	    f.write(cmd + b"\r\n"); f.flush()
	    while True:
	        l = f.readline().decode().strip()
	        print(l)
	        if l.startswith(cmd[:2].decode() + " "):
	            break
	EOF
)
assert_contains "$out" "Courier-IMAP ready." "courier greeting"
assert_contains "$out" "a1 NO Error in IMAP command received by server." "courier pre-login ID"
assert_contains "$out" "a2 OK LOGIN Ok." "courier LOGIN"
assert_contains "$out" "Courier-IMAP server shutting down" "courier LOGOUT"

# imap-limit3: the 4th simultaneous login is refused with BYE.
start_fake imap-limit3
out=$("$PY3" - "$FAKE_PORT" <<-'EOF'
	import imaplib, os, ssl, sys
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	ms = []
	for i in range(4):
	    try:
	        m = imaplib.IMAP4_SSL("localhost", int(sys.argv[1]), ssl_context=ctx)
	        print(i, m.login("ann", "pw")[0])
	        ms.append(m)
	    except imaplib.IMAP4.error as e:
	        print(i, "refused", e)
	ms[0].logout()
	m = imaplib.IMAP4_SSL("localhost", int(sys.argv[1]), ssl_context=ctx)
	print("again", m.login("ann", "pw")[0])
	EOF
)
assert_contains "$out" "2 OK" "3rd login"
assert_contains "$out" "3 refused" "4th connection refused"
assert_contains "$out" "Too many connections" "BYE text"
assert_contains "$out" "again OK" "a slot frees after LOGOUT"

# The stall/drop scenarios hold or cut the line as promised.
start_fake imap-drop none
out=$("$PY3" - "$FAKE_PORT" <<-'EOF'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
	f = s.makefile("rwb")
	print(f.readline().decode().strip())
	f.write(b"a1 CAPABILITY\r\n"); f.flush()
	print(repr(f.read()))
	EOF
)
assert_contains "$out" "b'* CAPABILITY IMAP4rev1 AUTH=PL'" "imap-drop cuts the reply"
start_fake imap-stall
expect_rc 0 "$PY3" - "$FAKE_PORT" <<-'EOF'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
	s.settimeout(0.3)
	try:
	    s.recv(1)
	    sys.exit("imap-stall sent something")
	except socket.timeout:
	    pass
	EOF

# -- swap-self-cert changes the presented fingerprint ------------------------
fp_self=$(cert_fp self)
fp_self2=$(cert_fp self2)
assert_ne "$fp_self" "$fp_self2" "self and self2 differ"
assert_eq "$(port_fp "$IMAPS_SELF_PORT")" "$fp_self" "self instance presents self"
defer "$TESTBED" swap-self-cert "$TB" self	# quick when already back
"$TESTBED" swap-self-cert "$TB" self2
assert_eq "$(port_fp "$IMAPS_SELF_PORT")" "$fp_self2" "after swap: self2"
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$IMAP_SELF_PORT" \
    -starttls imap 2>/dev/null | openssl x509 -outform DER | sha256sum)
assert_eq "${out%% *}" "$fp_self2" "STARTTLS port of the self instance too"
"$TESTBED" swap-self-cert "$TB" self
assert_eq "$(port_fp "$IMAPS_SELF_PORT")" "$fp_self" "swapped back"

# -- set-max-conn: Dovecot refuses the (N+1)th session with NO [LIMIT] ----------
defer "$TESTBED" set-max-conn "$TB" 20	# a no-op unless we failed below
"$TESTBED" set-max-conn "$TB" 2
out=$("$PY3" - <<-'EOF'
	import imaplib, os, ssl
	ctx = ssl.create_default_context(cafile=os.environ["MC_CA"])
	ms = []
	for i in range(3):
	    m = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAPS_PORT"]), ssl_context=ctx)
	    try:
	        print(i, m.login(os.environ["MC_USER"], os.environ["MC_PASS"])[0])
	        ms.append(m)
	    except imaplib.IMAP4.error as e:
	        print(i, "refused", e)
	EOF
)
assert_contains "$out" "1 OK" "2nd session allowed"
assert_contains "$out" "2 refused" "3rd session refused"
assert_contains "$out" "[LIMIT]" "with NO [LIMIT]"
"$TESTBED" set-max-conn "$TB" 20

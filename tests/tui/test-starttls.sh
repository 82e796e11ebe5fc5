# test-starttls.sh -- a server that strips STARTTLS (fakeserver.py
# imap-no-starttls, which would accept a plaintext LOGIN): the TLS row says
# why, the way on says no password was sent, and the fake's log proves it.

tui_fresh_xdg
fake_start imap-no-starttls || return
wiz_prefilled tui-strip "$MC_PASS" --imap 127.0.0.1:$FAKE_PORT \
    --imap-security starttls || return
tui_wait 'TLS +[0-9.]+ m?s +.*STARTTLS' 15 || return
tui_wait '✗ TLS' || return
tui_wait 'mailconn sent no password' || return
tui_wait '· login' || return
tui_shot 5f-test-starttls-stripped
pass "stripped STARTTLS: the TLS row fails and says why"
if grep -Eiq 'LOGIN|AUTHENTICATE|s3cret' "$FAKE_LOG"; then
	fail "something secret reached the server:"
	sed 's/^/    | /' "$FAKE_LOG" >&2
else
	pass "the fake's log has no LOGIN, AUTHENTICATE or password"
fi
assert_file_has "$FAKE_LOG" 'CAPABILITY' "the client did talk to the fake"
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null
fake_stop

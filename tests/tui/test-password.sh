# test-password.sh -- a wrong password: the login row fails with the
# server's own words, the way on leads back to an empty password field,
# and the right password then passes (the certificate accepted once is
# not asked about again in the same run).  No SMTP server here.

tui_fresh_xdg
ACC=tui-pw
wiz_prefilled $ACC "wrong-$MC_PASS" --imap localhost:$IMAPS_SELF_PORT || return
tui_wait 'Certificate: imap' 15 || return
tui_keys o
tui_wait '✗ login +[0-9.]+ m?s ' 15 || return
tui_wait 'The server said: .*(AUTHENTICATIONFAILED|failed)' || return
tui_wait 'Wrong user name or password' || return
tui_wait '\[ Fix the password \]' || return
tui_shot 5e-test-wrong-password
pass "wrong password: the server's words and the way on"
tui_keys Enter
tui_wait 'Password for' || return
tui_screen | grep -q 'Password +•' && fail "the wrong password is still there"
tui_type "$MC_PASS"
tui_keys Enter
tui_wait 'All good|Certificate:|✗' 15 || return
if tui_screen | grep -q 'All good'; then
	pass "fixed password passes, no second prompt"
else
	fail "after the fix: $(tui_screen | grep -E 'Certificate:|✗' | head -1)"
fi
tui_wait 'certificate +[0-9]+ ms +you accepted it for this session only' || return
tui_wait 'SMTP: none' || return
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null

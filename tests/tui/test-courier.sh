# test-courier.sh -- a Courier-IMAP server (fakeserver.py imap-courier, as
# captured from the real one): the test passes with the warning from the
# requirements table on the server row.

tui_fresh_xdg
fake_start imap-courier --cert "$MC_CERTS/self.crt" --key "$MC_CERTS/self.key" || return
wiz_prefilled tui-courier "$MC_PASS" --imap 127.0.0.1:$FAKE_PORT || return
tui_wait 'Certificate: imap 127.0.0.1' 15 || return
tui_keys o
tui_wait 'Works, with a|✗' 15 || return
tui_wait '! server +[0-9]+ ms +Courier-IMAP: not supported' || return
tui_wait_joined 'this is Courier-IMAP, which the requirements mailconn checks do not support' || return
tui_shot 5h-test-courier
pass "Courier: the warning, and the test still passes"
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null
fake_stop

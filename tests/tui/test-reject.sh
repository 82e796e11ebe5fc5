# test-reject.sh -- reject the self-signed certificate: the checklist says
# so and that nothing was sent; quitting then saves nothing at all (no
# config, no pin, no keyring item) and says so.

tui_fresh_xdg
ACC=tui-reject
kr_clear $ACC
wiz_prefilled $ACC "$MC_PASS" --imap localhost:$IMAPS_SELF_PORT || return
tui_wait 'Certificate: imap localhost' 15 || return
tui_keys r
tui_wait 'certificate +[0-9.]+ m?s +The certificate of localhost:[0-9]+ was rejected' 10 || return
tui_wait 'You rejected the certificate: nothing was' || return
tui_wait '· login' || return
tui_shot 5d-test-rejected
pass "reject: the certificate row fails, the login never ran"
tui_keys C-c
tui_wait 'Quit setup\?' || return
tui_wait 'Nothing has been saved' || return
tui_shot 8-quit
tui_keys y
rc=$(tui_exit)
[ "$rc" = 1 ] && pass "quit exits 1" || fail "exit status $rc"
tui_wait 'setup cancelled; nothing was saved' || return
assert_no_file "$XDG_CONFIG_HOME/mailconn/accounts.conf" "no config written"
assert_no_file "$XDG_DATA_HOME/mailconn/known_certs" "no pin written"
if [ -n "$(kr_lookup $ACC imap)" ]; then fail "a keyring item exists"
else pass "no keyring item"; fi

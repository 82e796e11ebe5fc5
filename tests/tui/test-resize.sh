# test-resize.sh -- resizing at any moment: too small says so, growing
# again keeps what was typed, and 80x24 (the minimum) shows every field,
# the buttons and the key bar; also with the certificate prompt open.

tui_fresh_xdg
tui_start setup
tui_wait 'Email address' || return
tui_type "$MC_USER"
tmx resize-window -t mc -x 60 -y 20
tui_wait 'terminal too small \(need 80x24, have 60x20\)' || return
tui_shot too-small
pass "60x20: terminal too small"
tmx resize-window -t mc -x 120 -y 40
tui_wait "Email address +$MC_USER" || return
pass "120x40: back, the address kept"
tui_keys Enter
tui_wait 'Nothing found' 20 || return
tui_keys Enter
tui_wait 'IMAP, to read mail' || return
tui_type localhost
tui_keys Tab C-u
tui_type "$IMAPS_SELF_PORT"
tmx resize-window -t mc -x 80 -y 24
tui_wait "Host +localhost +Port +$IMAPS_SELF_PORT" || return
for want in 'Security +\(•\) imaps' 'SMTP, to send mail' 'User name' \
    '\[ Back \] +\[ Next \]' 'F1 help$'; do
	tui_wait "$want" || return
done
[ "$(tui_screen | wc -l)" -le 24 ] || fail "more than 24 lines"
tmx capture-pane -p -t mc -S 23 -E 23 | grep -q 'F1 help' ||
    fail "80x24: the key bar is not on the last line"
pass "80x24 servers: every field, the buttons and the key bar"
tui_keys Tab Tab C-u
tui_keys Enter
tui_wait 'Password for' || return
tui_type "$MC_PASS"
tui_keys Enter
tui_wait 'Certificate: imap' 15 || return
tmx resize-window -t mc -x 100 -y 30
tui_wait '│ \[ Reject \]  \[ Accept once \]  \[ Accept always \] {40,}│' || return
tmx resize-window -t mc -x 80 -y 24
tui_wait '│ \[ Reject \]  \[ Accept once \]  \[ Accept always \] {20,}│' || return
tui_wait 'SHA-256 key' || return
pass "the prompt follows the resize"
tui_keys o
tui_wait 'All good|✗' 15 || return
tui_screen | grep -q 'All good' && pass "the test went on after the answer" ||
    fail "$(tui_screen | grep '✗')"
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null

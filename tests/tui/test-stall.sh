# test-stall.sh -- a server that accepts and never speaks (fakeserver.py
# imap-stall): the spinner keeps turning and the time keeps counting; Esc
# goes back to the password within a second, and quitting does not wait
# for the stuck connection.

tui_fresh_xdg
fake_start imap-stall || return
wiz_prefilled tui-stall "$MC_PASS" --imap 127.0.0.1:$FAKE_PORT || return
tui_wait '✓ connect' 10 || return
tui_wait 'TLS +[0-9.]+ s +TLS handshake' 10 || return
tui_moves 'TLS +[0-9.]+ s +TLS handshake' 2 || return
m1="$MOVED_FROM -> $MOVED_TO"
tui_moves 'TLS +[0-9.]+ s +TLS handshake' 2 || return
pass "the spinner keeps turning: $m1, then $MOVED_FROM -> $MOVED_TO"
tui_wait 'No answer for [0-9]+ s; mailconn gives up after 15 s' 5 || return
tui_shot 5g-test-stalled
tick; t0=$NOW
tui_keys Escape
tui_wait 'Password for' 2 || return
tick
took=$(( NOW - t0 ))
if [ $took -lt 1000 ]; then pass "Esc returned in ${took} ms"
else fail "Esc took ${took} ms"; fi
tick; t0=$NOW
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
rc=$(tui_exit 5)
tick
[ "$rc" = 1 ] && [ $(( NOW - t0 )) -lt 3000 ] &&
    pass "quit with a stuck connection behind: $(( NOW - t0 )) ms" ||
    fail "quit took $(( NOW - t0 )) ms, status $rc"
if grep -Eiq 'LOGIN|s3cret' "$FAKE_LOG"; then fail "credentials reached the stalled server"; fi
fake_stop

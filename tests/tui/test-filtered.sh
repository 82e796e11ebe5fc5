# test-filtered.sh -- a port that drops the connection attempt (a full
# accept queue, see filtered.py: as behind a firewall): the connect row
# fails on the time limit, and the way on names the address IT must
# allowlist; a refused port is told apart (nothing listens).

tui_fresh_xdg
pf=$T_DIR/filtered.port
/usr/bin/python3 "$MC_ROOT/tests/tui/filtered.py" "$pf" &
FAKE_PIDS="${FAKE_PIDS:-} $!"
tick; end=$(( NOW + 5000 ))
while [ ! -s "$pf" ] && [ "$NOW" -lt "$end" ]; do sleep 0.02; tick; done
[ -s "$pf" ] || { fail "filtered.py did not start"; return; }
P=$(cat "$pf")

wiz_prefilled tui-filt "$MC_PASS" --imap 127.0.0.1:$P --timeout 2 || return
tui_wait '⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏' 5 || return
tui_wait '✗ connect' 10 || return
tui_wait_joined "port filtered\? Ask IT to allowlist 127.0.0.1 \(this machine\) for 127.0.0.1 port $P" || return
tui_shot 5k-test-filtered
pass "connect timeout: filtered, and the source address to allowlist"

# Refused is another story: nothing listens there.
tui_keys Escape
tui_wait 'Password for' || return
tui_keys Escape
tui_wait 'IMAP, to read mail' || return
tui_keys Tab C-u
tui_type 1
tui_keys Enter
tui_wait 'Password for' || return
tui_type x
tui_keys Enter
tui_wait '✗ connect' 10 || return
tui_wait 'Nothing listens on 127.0.0.1 port 1' || return
pass "refused: nothing listens, told apart from filtered"
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_exit >/dev/null

# test-dashboard-wizard.sh -- plain `mailconn` with no account: the wizard
# first, and its last step opens the dashboard on the account it saved
# (same terminal session), which syncs at once with no second prompt (the
# pin).  Then `a` opens the wizard from the dashboard; quitting it comes
# back to the dashboard, whose engine went on meanwhile; `q` exits 0.
#
# Standalone: `bash tests/tui/test-dashboard-wizard.sh` (own bed, as
# test-dashboard.sh does).

if [ -z "${T_DIR:-}" ]; then
	_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	_bed=${MC_BED:-$(mktemp -d /tmp/mc-dash.XXXXXX)}
	if [ ! -f "$_bed/env" ]; then
		MC_PORT_BASE=${MC_PORT_BASE:-30000} TESTBED_QUIET=1 \
		    "$_root/tests/testbed/testbed.sh" start "$_bed" || exit 1
		trap '"$_root/tests/testbed/testbed.sh" stop "$_bed";
		    [ -n "${MC_KEEP:-}" ] || rm -rf "$_bed"' EXIT
	fi
	set -a
	. "$_bed/env"
	set +a
	export MAILCONN=${MAILCONN:-$_root/build/mailconn}
	export T_DIR=$_bed/t-dashboard-wizard T_NAME=dashboard-wizard
	export SHOTS=${SHOTS:-}
	rm -rf "$T_DIR"
	mkdir -p "$T_DIR"
	cd "$_root" || exit 1
	. tests/tui/lib.sh
	. "${BASH_SOURCE[0]}"
	tui_stop
	exit "$T_FAILS"
fi

tui_fresh_xdg
ACC=tui-first
kr_clear $ACC
CONF=$XDG_CONFIG_HOME/mailconn/accounts.conf

tui_start			# plain `mailconn`, no account file
tui_wait 'Email address' || return
pass "no account: the wizard comes first"
tui_type "$MC_USER"
tui_keys Tab Tab C-u
tui_type "$ACC"
tui_keys Enter
tui_wait 'Looking for the servers' || return
tui_wait '\[ (Next|Skip) \]' 20 || return
tui_keys Enter
tui_wait 'IMAP, to read mail' || return
tui_keys C-u
tui_type localhost
tui_keys Tab C-u
tui_type "$IMAPS_SELF_PORT"
tui_keys Tab Tab C-u
tui_type localhost
tui_keys Tab C-u
tui_type "$SMTPS_PORT"
tui_keys Tab Tab
tui_wait "User name +$MC_USER" || return
tui_keys Enter
tui_wait 'Password for' || return
tui_type "$MC_PASS"
tui_keys Enter
tui_wait 'Certificate: imap localhost' 15 || return
tui_keys a
tui_wait 'Certificate: smtp localhost' 15 || return
tui_keys a
tui_wait 'All good' 15 || return
tui_keys Enter
tui_wait 'Folders to download' || return
tui_keys Enter
tui_wait 'Ready to save' || return
tui_keys Enter
tui_wait 'is set up' 15 || return
tui_keys Enter

# The dashboard, on the new account, syncing with the pin: no prompt.
tui_wait "^ mailconn +1:$ACC" 10 || return
tui_wait "^ $ACC (syncing|up to date)" 10 || return
pass "the wizard's last step opens the dashboard on $ACC"
tui_wait "^ $ACC up to date" 40 || return
tui_screen | grep -q 'Certificate:' && fail "a prompt despite the pin"
tui_wait 'INBOX +[0-9]+ +[0-9]+ █+' 5 && pass "INBOX counted" || true
tui_wait "0 pending, 0 decided" 2 && pass "no certificate prompt in the dashboard" ||
    true
tui_shot dash-6-after-wizard

# `a`: the wizard again; quitting it comes back, the engine untouched.
tui_keys a
tui_wait 'Email address' || return
tui_keys C-c
tui_wait 'Quit setup' || return
tui_keys y
tui_wait 'no account added' 5 || return
tui_wait "^ $ACC up to date" 5 || return
tui_wait '^ 1 INBOX +idling' 5 && pass "a, then quitting the wizard: back on the dashboard, still idling" ||
    true
grep -c "^\[account " "$CONF" | grep -qx 1 && pass "one account in the file" ||
    fail "the account file changed: $(cat "$CONF")"

tui_keys q
rc=$(tui_exit 15)
[ "$rc" = 0 ] && pass "q: exit 0" || fail "q: exit status $rc"
kr_clear $ACC

# lib.sh -- drive mailconn's terminal UI through tmux (TESTBED.md section 6).
# Sourced by tests/tui/test-*.sh after the bed's env file.
#
# Each test gets a private tmux server (-S socket, -f /dev/null) that runs
# mailconn in an 80x24 window with TERM=tmux-256color and UTF-8.  Waiting
# is always polling capture-pane against a deadline (never a fixed sleep);
# on a timeout the screen is dumped and the test fails.

T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_DIR=${T_DIR:?run through tests/tui/run.sh}
T_SOCK=$T_DIR/tmux-0.sock
T_STARTS=0
T_FAILS=0
SHOTS=${SHOTS:-}
export LC_ALL=C.UTF-8		# grep counts characters, not bytes

tmx() { tmux -S "$T_SOCK" -f /dev/null "$@"; }

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
# Milliseconds into $NOW without a subshell (polls run often).
tick() { NOW=$(( ${EPOCHREALTIME/./} / 1000 )); }

fail() {
	echo "FAIL $T_NAME: $*" >&2
	T_FAILS=$((T_FAILS + 1))
}

pass() { echo "ok   $T_NAME: $*"; }

# Per-test config/data/state dirs, so runs do not see each other.
tui_fresh_xdg() {
	export XDG_CONFIG_HOME=$T_DIR/config XDG_DATA_HOME=$T_DIR/data \
	    XDG_STATE_HOME=$T_DIR/state
	rm -rf "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
	mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
}

# tui_start [-x COLS] [-y LINES] ARGS...: mailconn ARGS in session "mc".
# The exit status lands on the screen as EXIT=N and in $T_DIR/exit.
tui_start() {
	local cols=80 lines=24 q a
	while :; do
		case $1 in
		-x) cols=$2; shift 2 ;;
		-y) lines=$2; shift 2 ;;
		*) break ;;
		esac
	done
	q=""
	for a in "$@"; do
		q="$q '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
	done
	rm -f "$T_DIR/exit"
	cat > "$T_DIR/run.sh" <<EOS
#!/bin/sh
export HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' \
    XDG_DATA_HOME='$XDG_DATA_HOME' XDG_STATE_HOME='$XDG_STATE_HOME' \
    XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' \
    DBUS_SESSION_BUS_ADDRESS='$DBUS_SESSION_BUS_ADDRESS' \
    LANG=C.UTF-8 TERM=tmux-256color
unset DISPLAY NO_COLOR
${T_ENV:-}
$MAILCONN $q
echo \$? > '$T_DIR/exit'
echo "EXIT=\$(cat '$T_DIR/exit')"
sleep 600
EOS
	chmod +x "$T_DIR/run.sh"
	# A fresh server each time: a new session on a socket whose server is
	# still going away fails with "server exited unexpectedly".
	tmx kill-server 2>/dev/null || true
	T_STARTS=$((T_STARTS + 1))
	T_SOCK=$T_DIR/tmux-$T_STARTS.sock
	tmx new-session -d -s mc -x "$cols" -y "$lines" "$T_DIR/run.sh"
}

tui_screen() { tmx capture-pane -p -t mc; }
tui_screen_sgr() { tmx capture-pane -p -e -t mc; }

# tui_wait REGEX [SECONDS]: until the screen matches (grep -E).
tui_wait() {
	local re=$1 end
	tick
	end=$(( NOW + ${2:-10} * 1000 ))
	while [ "$NOW" -lt "$end" ]; do
		if tmx capture-pane -p -t mc | grep -Eq -- "$re"; then
			return 0
		fi
		sleep 0.02
		tick
	done
	fail "timed out after ${2:-10}s waiting for /$re/; the screen:"
	tui_screen | sed 's/^/    | /' >&2
	return 1
}

# tui_wait_joined REGEX [SECONDS]: like tui_wait, on the screen's lines
# joined into one (for wrapped text: a line break took a blank with it,
# joined with one blank, runs of blanks squeezed).
tui_wait_joined() {
	local re=$1 end
	tick
	end=$(( NOW + ${2:-10} * 1000 ))
	while [ "$NOW" -lt "$end" ]; do
		if tmx capture-pane -p -t mc | sed 's/^ *//' | tr '\n' ' ' | tr -s ' ' |
		    grep -Eq -- "$re"; then
			return 0
		fi
		sleep 0.02
		tick
	done
	fail "timed out after ${2:-10}s waiting for /$re/ (lines joined):"
	tui_screen | sed 's/^/    | /' >&2
	return 1
}

# tui_gone REGEX [SECONDS]: until the screen no longer matches.
tui_gone() {
	local re=$1 end
	tick
	end=$(( NOW + ${2:-10} * 1000 ))
	while [ "$NOW" -lt "$end" ]; do
		if ! tmx capture-pane -p -t mc | grep -Eq -- "$re"; then
			return 0
		fi
		sleep 0.02
		tick
	done
	fail "timed out waiting for /$re/ to go; the screen:"
	tui_screen | sed 's/^/    | /' >&2
	return 1
}

tui_keys() { tmx send-keys -t mc "$@"; }
tui_type() { tmx send-keys -t mc -l -- "$1"; }

# tui_exit [SECONDS]: wait for mailconn to end; prints its exit status.
tui_exit() {
	local end
	tick
	end=$(( NOW + ${1:-10} * 1000 ))
	while [ "$NOW" -lt "$end" ]; do
		if [ -s "$T_DIR/exit" ]; then
			cat "$T_DIR/exit"
			return 0
		fi
		sleep 0.02
		tick
	done
	fail "mailconn did not exit; the screen:"
	tui_screen | sed 's/^/    | /' >&2
	echo timeout
	return 1
}

# tui_shot NAME: keep the screen as text for the report.
tui_shot() {
	[ -n "$SHOTS" ] || return 0
	mkdir -p "$SHOTS"
	tui_screen > "$SHOTS/$1.txt"
}

tui_stop() { tmx kill-server 2>/dev/null || true; }

# The wizard up to the password step, servers typed by hand.
# wiz_to_password EMAIL HOST IMAP_PORT IMAP_SEC SMTP_PORT SMTP_SEC USER
wiz_to_password() {
	tui_wait 'Email address' || return 1
	tui_type "$1"
	tui_keys Tab Tab
	tui_keys C-u
	tui_type "${ACCOUNT:-work}"
	tui_keys Enter
	tui_wait 'Looking for the servers' || return 1
	tui_wait '\[ Next \]' 20 || return 1
	tui_keys Enter
	tui_wait 'IMAP, to read mail' || return 1
	tui_keys C-u; tui_type "$2"; tui_keys Tab C-u; tui_type "$3"; tui_keys Tab
	wiz_choose "$4"
	tui_keys Tab C-u; tui_type "$2"; tui_keys Tab C-u; tui_type "$5"; tui_keys Tab
	wiz_choose "$6"
	tui_keys Tab C-u; tui_type "$7"
	tui_keys Enter
	tui_wait 'Password for' || return 1
}

# On a security choice: imaps/smtps = first, starttls = second, none = third.
wiz_choose() {
	tui_keys Left Left
	case $1 in
	starttls) tui_keys Right ;;
	none) tui_keys Right Right ;;
	esac
}

# fake_start SCENARIO [ARGS]: a fakeserver.py on 127.0.0.1; sets FAKE_PORT,
# FAKE_LOG (every line a client sent), FAKE_PID.
fake_start() {
	local sc=$1 pf end
	shift
	pf=$T_DIR/fake-$sc.port
	FAKE_LOG=$T_DIR/fake-$sc.log
	rm -f "$pf" "$FAKE_LOG"
	/usr/bin/python3 "$FAKE" "$sc" --portfile "$pf" --log "$FAKE_LOG" \
	    "$@" 2>"$T_DIR/fake-$sc.err" &
	FAKE_PID=$!
	FAKE_PIDS="${FAKE_PIDS:-} $FAKE_PID"
	tick
	end=$(( NOW + 5000 ))
	while [ ! -s "$pf" ]; do
		tick
		if [ "$NOW" -gt "$end" ]; then
			fail "fake server $sc did not start"
			cat "$T_DIR/fake-$sc.err" >&2
			return 1
		fi
		sleep 0.02
	done
	FAKE_PORT=$(cat "$pf")
}

# fake_stop: every fake this test started.
fake_stop() {
	local p
	for p in ${FAKE_PIDS:-}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	FAKE_PIDS=
	FAKE_PID=
}

# The keyring of the bed, as the tests see it.
kr_lookup() { secret-tool lookup account "$1" protocol "$2" 2>/dev/null; }
kr_clear() {
	secret-tool clear account "$1" protocol imap 2>/dev/null
	secret-tool clear account "$1" protocol smtp 2>/dev/null
	return 0
}

# assert_file_has FILE REGEX WHAT / assert_no_file FILE WHAT
assert_file_has() {
	if grep -Eq -- "$2" "$1" 2>/dev/null; then pass "$3"; else
		fail "$3: /$2/ not in $1"; [ -f "$1" ] && sed 's/^/    | /' "$1" >&2
	fi
}
assert_no_file() {
	if [ -e "$1" ]; then fail "$2: $1 exists"; sed 's/^/    | /' "$1" >&2
	else pass "$2"; fi
}

# wiz_prefilled ACCOUNT PASSWORD ARGS...: start the wizard pre-filled by
# ARGS (--imap ... ) and walk it to the live test with PASSWORD.
wiz_prefilled() {
	local acc=$1 pw=$2
	shift 2
	tui_start setup --email "$MC_USER" --account "$acc" "$@"
	tui_wait 'Email address' || return 1
	tui_keys Enter
	# Step 1 has a [ Next ] too: wait for step 2 itself, then its button.
	tui_wait 'step 2 of 7' || return 1
	tui_wait '\[ (Skip|Next) \]' || return 1
	tui_keys Enter
	tui_wait 'IMAP, to read mail' || return 1
	tui_keys Enter
	tui_wait 'Password for' || return 1
	tui_type "$pw"
	tui_keys Enter
	tui_wait 'step 5 of 7' || return 1
}

# tui_moves REGEX [SECONDS]: the first screen line matching REGEX changes
# (a spinner turning, a clock counting); sets MOVED_FROM and MOVED_TO.
tui_moves() {
	local cur end
	MOVED_FROM=$(tui_screen | grep -E -- "$1" | head -1)
	tick
	end=$(( NOW + ${2:-5} * 1000 ))
	while [ "$NOW" -lt "$end" ]; do
		cur=$(tmx capture-pane -p -t mc | grep -E -- "$1" | head -1)
		if [ -n "$cur" ] && [ "$cur" != "$MOVED_FROM" ]; then
			MOVED_TO=$cur
			return 0
		fi
		sleep 0.02
		tick
	done
	fail "the line /$1/ did not change in ${2:-5}s: $MOVED_FROM"
	return 1
}

# tui_click ROW COL: a left click there, press then release (xterm X10
# mouse reports, which TERM=tmux-256color's kmous announces), 0-based.
tui_click() {
	local x y
	x="\\0$(printf %o $((33 + $2)))"
	y="\\0$(printf %o $((33 + $1)))"
	tmx send-keys -t mc -l -- "$(printf '\033[M %b%b\033[M#%b%b' \
	    "$x" "$y" "$x" "$y")"
}

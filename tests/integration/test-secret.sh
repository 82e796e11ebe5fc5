#!/bin/sh
# test-secret.sh -- secret.c against real gnome-keyrings on private buses:
# unlocked, locked, without a login keyring, no Secret Service at all, a bus
# address that leads nowhere, and no bus; plus reading a password from a
# real terminal (tmux) with echo off, also when interrupted.
#
# Self-contained: starts its own keyrings with tests/testbed/keyring.sh in a
# temporary directory, so it does not touch the test bed's keyring.  Runs
# build/itests/t-secret ($ITESTS/t-secret when set).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KEYRING=$ROOT/tests/testbed/keyring.sh
T=${ITESTS:-$ROOT/build/itests}/t-secret

now_ms() { date +%s%3N; }
T_START=$(now_ms)

# ---- tiny assert helpers ---------------------------------------------------
PASS=0
FAILS=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAILS=$((FAILS + 1)); echo "not ok - $1"; shift; for l; do echo "#   $l"; done; }
expect_eq() {	# DESC GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
expect_has() {	# DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "got:  $2" "want it to contain: $3" ;;
	esac
}
expect_lacks() {	# DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) not_ok "$1" "got:  $2" "want it NOT to contain: $3" ;;
	*) ok "$1" ;;
	esac
}

[ -x "$T" ] || { echo "test-secret: $T is not built" >&2; exit 1; }
for tool in dbus-daemon gnome-keyring-daemon secret-tool; do
	command -v "$tool" >/dev/null ||
		{ echo "test-secret: $tool is missing (make deps-test)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/mc-sec.XXXXXX)
TMUX_SOCK=$W/tmux.sock
cleanup() {
	for d in "$W"/k-*; do
		[ -d "$d" ] && "$KEYRING" stop "$d" >/dev/null 2>&1
	done
	[ -S "$TMUX_SOCK" ] && env -u TMUX tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The test's own XDG dirs (run.sh gives fresh ones; else ours).
: "${XDG_CONFIG_HOME:=$W/xdg/config}"
: "${XDG_DATA_HOME:=$W/xdg/data}"
: "${XDG_STATE_HOME:=$W/xdg/state}"
export XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME"

# A password with spaces, quotes, shell and UTF-8 characters, and a token
# that is unique to this run (for the "never on disk" check).
TOKEN="mcsec$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
PW="$TOKEN p@ss \"w0rd\" 'ü' \$HOME &;|"
PW2="${TOKEN}-second"
PW_SMTP="${TOKEN}-smtp"

# start MODE NAME: a keyring in $W/k-NAME; its env file is the result.
start() {
	"$KEYRING" "$1" "$W/k-$2" >/dev/null ||
		{ not_ok "keyring.sh $1 $2"; return 1; }
	echo "$W/k-$2/keyring.env"
}
# in ENVFILE CMD...: run CMD with that keyring's environment.
in_env() {
	(. "$1"; shift; "$@")
}
# ts ENVFILE ARGS...: t-secret's output line and exit code ("OUT|rc").
ts() {
	_e=$1
	shift
	_o=$(in_env "$_e" "$T" "$@" </dev/null 2>&1)
	echo "$_o|rc=$?"
}
ts_store() {	# ENVFILE PASSWORD ACCOUNT PROTO SERVER USER
	_e=$1 _p=$2
	shift 2
	_o=$(printf '%s\n' "$_p" | in_env "$_e" "$T" store "$@" 2>&1)
	echo "$_o|rc=$?"
}

# ---- 1. an unlocked keyring ------------------------------------------------
t0=$(now_ms)
E=$(start start good) || exit 1
echo "# keyring up in $(($(now_ms) - t0)) ms"

expect_eq "store into the keyring" \
    "$(ts_store "$E" "$PW" work imap imap.example.com ann)" "stored|rc=0"
expect_eq "secret-tool finds it by the schema's attributes" \
    "$(in_env "$E" secret-tool lookup account work protocol imap \
        server imap.example.com user ann)" "$PW"
expect_eq "secret-tool finds it by xdg:schema" \
    "$(in_env "$E" secret-tool lookup xdg:schema org.mailconn.Password \
        account work)" "$PW"
items=$(in_env "$E" secret-tool search --all account work 2>&1)
expect_has "item label" "$items" "label = mailconn: work (imap ann@imap.example.com)"
expect_has "item schema" "$items" "schema = org.mailconn.Password"
expect_eq "t-secret lookup finds it" \
    "$(ts "$E" lookup work imap imap.example.com ann)" "found $PW|rc=0"
expect_eq "check: the Secret Service is usable" "$(ts "$E" check)" "ok|rc=0"
expect_eq "secret_for_account reads the keyring" \
    "$(ts "$E" account work imap imap.example.com ann)" "found $PW|rc=0"
expect_eq "another user is not found" \
    "$(ts "$E" lookup work imap imap.example.com bob)" "not found|rc=1"

# smtp is a separate entry; storing again replaces, never duplicates.
r=$(ts "$E" account work smtp smtp.example.com ann)
expect_has "no smtp password yet: says how to fix" "$r" \
    "error secret: no password stored for account work (smtp); run: mailconn password set work|rc=2"
expect_eq "store smtp" \
    "$(ts_store "$E" "$PW_SMTP" work smtp smtp.example.com ann)" "stored|rc=0"
expect_eq "store imap again (replace)" \
    "$(ts_store "$E" "$PW2" work imap imap.example.com ann)" "stored|rc=0"
expect_eq "lookup imap gives the new password" \
    "$(ts "$E" lookup work imap imap.example.com ann)" "found $PW2|rc=0"
expect_eq "lookup smtp gives its own" \
    "$(ts "$E" account work smtp smtp.example.com ann)" "found $PW_SMTP|rc=0"
n=$(in_env "$E" secret-tool search --all account work protocol imap 2>&1 |
    grep -c '^label = ')
expect_eq "one imap item after two stores" "$n" 1

expect_eq "forget" "$(ts "$E" forget work imap imap.example.com ann)" "removed|rc=0"
expect_eq "lookup after forget: not found" \
    "$(ts "$E" lookup work imap imap.example.com ann)" "not found|rc=1"
in_env "$E" secret-tool lookup account work protocol imap >/dev/null 2>&1
expect_eq "secret-tool agrees it is gone" "$?" 1
expect_eq "forget again: nothing stored" \
    "$(ts "$E" forget work imap imap.example.com ann)" "nothing stored|rc=1"
expect_eq "the smtp entry survived" \
    "$(ts "$E" lookup work smtp smtp.example.com ann)" "found $PW_SMTP|rc=0"
expect_has "secret_for_account, not found, names the fix" \
    "$(ts "$E" account work imap imap.example.com ann)" \
    "error secret: no password stored for account work (imap); run: mailconn password set work|rc=2"
expect_eq "password-command wins over the keyring" \
    "$(ts "$E" account work smtp smtp.example.com ann "printf '%s\n' cmd-pw")" \
    "found cmd-pw|rc=0"
r=$(ts "$E" account work imap h u "echo 'no such entry' >&2; exit 4")
expect_has "password-command failure names account, status, stderr" "$r" \
    "error secret: account work: password-command failed with exit status 4: no such entry|rc=2"
r=$(ts_store "$E" "" work imap imap.example.com ann)
expect_eq "empty password is refused" "$r" "error usage: empty password|rc=2"
r=$(ts "$E" lookup work imap "" ann)
expect_has "an incomplete key is a usage error" "$r" "error usage:"

# gnome-keyring restarts under a running process (new unique bus name):
# libsecret's cached service is stale, secret.c must recover.  Output goes
# through a FIFO: it holds the password, which must not land in a file.
mkfifo "$W/again.in" "$W/again.out"
in_env "$E" "$T" lookup-again work smtp smtp.example.com ann \
    <"$W/again.in" >"$W/again.out" 2>&1 &
AGAIN=$!
exec 8>"$W/again.in" 9<"$W/again.out"
IFS= read -r first <&9
expect_eq "lookup before the keyring restarts" "$first" "found $PW_SMTP"
t0=$(now_ms)
"$KEYRING" restart-keyring "$W/k-good" >/dev/null ||
	not_ok "keyring.sh restart-keyring"
echo "# keyring restarted in $(($(now_ms) - t0)) ms"
echo go >&8
IFS= read -r second <&9
exec 8>&- 9<&-
wait "$AGAIN"
rc=$?
expect_eq "same process, after the keyring restarted" "$second|rc=$rc" \
    "found $PW_SMTP|rc=0"
"$KEYRING" stop "$W/k-good"

# ---- 2. a locked keyring ---------------------------------------------------
# An item is stored while unlocked, then the daemon restarts with the wrong
# password: lookup must say "locked", never "not found".
E=$(start start locked) || exit 1
expect_eq "store before locking" \
    "$(ts_store "$E" "$PW" work imap imap.example.com ann)" "stored|rc=0"
"$KEYRING" stop "$W/k-locked"
t0=$(now_ms)
E=$(start start-locked locked) || exit 1
echo "# locked keyring up in $(($(now_ms) - t0)) ms"
LOCKED="error secret: the keyring is locked; unlock it (e.g. log in to the desktop session, or \`secret-tool lookup account work\` to trigger the unlock prompt) and retry|rc=2"
t0=$(now_ms)
r=$(ts "$E" lookup work imap imap.example.com ann)
echo "# locked lookup took $(($(now_ms) - t0)) ms"
expect_eq "lookup in a locked keyring: locked, not 'not found'" "$r" "$LOCKED"
expect_eq "store into a locked keyring: locked" \
    "$(ts_store "$E" "$PW2" work imap imap.example.com ann)" "$LOCKED"
expect_eq "forget in a locked keyring: locked" \
    "$(ts "$E" forget work imap imap.example.com ann)" "$LOCKED"
expect_has "check: locked" "$(ts "$E" check)" \
    "error secret: the keyring is locked; unlock it"
r=$(ts "$E" account work imap imap.example.com ann)
expect_has "secret_for_account: locked" "$r" "the keyring is locked"
expect_lacks "secret_for_account: not 'not stored'" "$r" "no password stored"
"$KEYRING" stop "$W/k-locked"

# ---- 3. a keyring daemon without any keyring -------------------------------
E=$(start start-nokeyring nokeyring) || exit 1
r=$(ts_store "$E" "$PW" work imap imap.example.com ann)
expect_has "store without a login keyring" "$r" \
    "error secret: the Secret Service has no default keyring ("
expect_has "... says how to create one or use password-command" "$r" \
    "set password-command = COMMAND for account work in accounts.conf|rc=2"
expect_has "lookup without a login keyring" \
    "$(ts "$E" lookup work imap imap.example.com ann)" \
    "error secret: the Secret Service has no default keyring"
expect_eq "forget without a login keyring: nothing stored" \
    "$(ts "$E" forget work imap imap.example.com ann)" "nothing stored|rc=1"
expect_has "check without a login keyring" "$(ts "$E" check)" \
    "no default keyring"
"$KEYRING" stop "$W/k-nokeyring"

# ---- 4. a bus without a Secret Service -------------------------------------
E=$(start start-noservice noservice) || exit 1
NOSVC="error secret: no Secret Service is running (The name org.freedesktop.secrets was not provided by any .service files); start gnome-keyring (or another Secret Service) or set password-command = COMMAND (a command that prints the password) for account work in accounts.conf|rc=2"
expect_eq "lookup without a Secret Service" \
    "$(ts "$E" lookup work imap imap.example.com ann)" "$NOSVC"
expect_eq "store without a Secret Service" \
    "$(ts_store "$E" "$PW" work imap imap.example.com ann)" "$NOSVC"
expect_eq "forget without a Secret Service" \
    "$(ts "$E" forget work imap imap.example.com ann)" "$NOSVC"
expect_has "check without a Secret Service" "$(ts "$E" check)" \
    "error secret: no Secret Service is running ("
expect_eq "password-command needs no Secret Service" \
    "$(ts "$E" account work imap imap.example.com ann "echo via-command")" \
    "found via-command|rc=0"
"$KEYRING" stop "$W/k-noservice"

# ---- 5. a bus address that leads nowhere, and no bus at all -----------------
cat >"$W/nowhere.env" <<EOF
export DBUS_SESSION_BUS_ADDRESS='unix:path=$W/no-such-bus.sock'
unset DISPLAY
EOF
r=$(ts "$W/nowhere.env" lookup work imap imap.example.com ann)
expect_eq "bus address to nothing" "$r" \
    "error secret: no Secret Service is running (Could not connect: No such file or directory); start gnome-keyring (or another Secret Service) or set password-command = COMMAND (a command that prints the password) for account work in accounts.conf|rc=2"
mkdir -m 700 "$W/empty-run"
cat >"$W/nobus.env" <<EOF
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
export XDG_RUNTIME_DIR='$W/empty-run'
EOF
r=$(ts "$W/nobus.env" lookup work imap imap.example.com ann)
expect_has "no session bus, no DISPLAY" "$r" \
    "error secret: no Secret Service is running (Cannot autolaunch D-Bus without X11 \$DISPLAY); start gnome-keyring"
r=$(ts_store "$W/nobus.env" "$PW" work imap imap.example.com ann)
expect_has "store with no session bus names password-command" "$r" \
    "or set password-command = COMMAND"

# ---- 6. a password typed on a terminal (tmux) -------------------------------
if command -v tmux >/dev/null; then
	tm() { env -u TMUX tmux -S "$TMUX_SOCK" "$@"; }
	screen() { tm capture-pane -p -t mc 2>/dev/null; }
	# wait_screen TEXT: until the pane shows TEXT (10 s).
	wait_screen() {
		_end=$(($(now_ms) + 10000))
		while :; do
			case $(screen) in *"$1"*) return 0 ;; esac
			[ "$(now_ms)" -lt "$_end" ] || return 1
			sleep 0.02
		done
	}
	TTYPW="${TOKEN}-tty"
	tm -f /dev/null new-session -d -s mc -x 150 -y 30 \
	    "env PS1='P> ' ENV= sh -i"
	tm set-option -t mc status off >/dev/null
	wait_screen 'P>' || not_ok "tmux shell prompt" "$(screen)"
	tm send-keys -t mc "clear; $T read; echo rc=\$?" Enter
	if wait_screen 'Password:'; then
		tm send-keys -t mc -l "$TTYPW"
		tm send-keys -t mc Enter
		hex=$(printf '%s' "$TTYPW" | od -An -tx1 | tr -d ' \n')
		if wait_screen "rc="; then
			s=$(screen)
			expect_has "password read from the terminal" "$s" \
			    "read ${#TTYPW} $hex"
			expect_lacks "the typed password was not echoed" "$s" "$TTYPW"
			expect_has "read exits 0" "$s" "rc=0"
		else
			not_ok "t-secret read finished" "$(screen)"
		fi
	else
		not_ok "t-secret read shows its prompt" "$(screen)"
	fi
	# Interrupted at the prompt: echo must come back, and it dies of SIGINT.
	tm send-keys -t mc "clear; $T read" Enter
	if wait_screen 'Password:'; then
		tm send-keys -t mc -l "half"
		tm send-keys -t mc C-c
		tm send-keys -t mc "echo rc=\$?; stty -a >'$W/stty.txt'; echo STTY-DONE" Enter
		if wait_screen "STTY-DONE"; then
			expect_has "interrupted read dies of SIGINT" "$(screen)" "rc=130"
			expect_eq "echo is on again after SIGINT" \
			    "$(tr ' ;' '\n\n' <"$W/stty.txt" | grep -x -e echo -e -echo)" echo
		else
			not_ok "shell back after Ctrl-C" "$(screen)"
		fi
	else
		not_ok "t-secret read shows its prompt (2)" "$(screen)"
	fi
	tm kill-server 2>/dev/null
else
	echo "# tmux missing: terminal tests skipped"
fi

# ---- 7. the password never landed on disk ----------------------------------
# The keyrings' own files are encrypted; logs, state and config must not
# hold it either.
hits=$(grep -rlF "$TOKEN" "$W" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" \
    "$XDG_STATE_HOME" 2>/dev/null)
expect_eq "the password is in no file (keyrings, logs, XDG dirs)" "$hits" ""
# And the check itself can see a file that does hold it.
printf '%s\n' "$TOKEN" >"$XDG_STATE_HOME/canary"
hits=$(grep -rlF "$TOKEN" "$XDG_STATE_HOME" 2>/dev/null)
expect_eq "the on-disk check finds a planted copy" "$hits" "$XDG_STATE_HOME/canary"
rm -f "$XDG_STATE_HOME/canary"

# ---- 8. nothing left running -----------------------------------------------
# Any live process naming our directory, or a keyring/bus/prompter daemon
# whose environment points into it (zombies do not count: PID 1 here does
# not reap).
live=$(ps -eo pid=,stat=,args= | awk -v w="$W/" \
    '$2 !~ /^Z/ && index($0, w) && !/awk/ { print $1 }')
for p in $(ps -eo pid=,stat=,comm= | awk '$2 !~ /^Z/ &&
    ($3 == "gnome-keyring-d" || $3 == "dbus-daemon" || $3 == "gcr-prompter") {
    print $1 }'); do
	grep -qsF "$W/k-" "/proc/$p/environ" && live="$live $p"
done
expect_eq "no keyring or bus process is left" "$live" ""

echo "# test-secret: $PASS passed, $FAILS failed in $(($(now_ms) - T_START)) ms"
[ "$FAILS" -eq 0 ]

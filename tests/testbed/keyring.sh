#!/bin/sh
# keyring.sh -- a private D-Bus session bus with gnome-keyring, for tests.
#
#   keyring.sh start DIR            bus + gnome-keyring, login keyring unlocked
#                                   (created on the first start in DIR)
#   keyring.sh start-locked DIR     bus + gnome-keyring whose login keyring
#                                   exists but is locked (wrong password)
#   keyring.sh start-nokeyring DIR  bus + gnome-keyring with no keyring at all
#                                   (no default collection; it cannot prompt)
#   keyring.sh start-noservice DIR  a bus with no Secret Service at all
#   keyring.sh restart-keyring DIR  replace the running gnome-keyring by a new
#                                   one (same bus, new unique name; unlocked)
#   keyring.sh stop DIR             stop what start* started in DIR
#
# start* print `export` lines (DBUS_SESSION_BUS_ADDRESS, HOME,
# XDG_RUNTIME_DIR, KEYRING_PID, BUS_PID) on stdout and write them to
# DIR/keyring.env; use `eval "$(keyring.sh start DIR)"`.  The daemons run
# with HOME=DIR/home, XDG_RUNTIME_DIR=DIR/run and no DISPLAY (see TESTBED.md
# section 5).  Their output goes to DIR/bus.log and DIR/keyring.log.
#
# PID 1 on the test machines does not reap orphans, and start returns while
# the daemons run on, so a stopped daemon may stay behind as a zombie: stop
# treats "gone or zombie" as stopped.
#
# The keyring password is a fixed test value, not anybody's credential.
set -eu

PW_GOOD='mailconn-test-keyring'
PW_WRONG='not-the-keyring-password'
DEADLINE_MS=10000

usage() {
	echo "usage: keyring.sh start|start-locked|start-nokeyring|start-noservice|restart-keyring|stop DIR" >&2
	exit 2
}

# Fail, stopping whatever this run had started.
die() {
	echo "keyring.sh: $*" >&2
	[ -z "$KEYRING_PID" ] || stop_pid "$KEYRING_PID" gnome-keyring-daemon
	[ -z "$BUS_PID" ] || stop_pid "$BUS_PID" "$DIR/bus.sock"
	exit 1
}

now_ms() {
	date +%s%3N
}

# "gone or zombie": the process has exited.
exited() {
	[ -r "/proc/$1/stat" ] || return 0
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# Is PID a live process whose command line contains WORD (guards against a
# recycled PID)?
is_ours() {
	exited "$1" && return 1
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# stop_pid PID WORD: TERM, wait up to 5 s, then KILL.
stop_pid() {
	[ -n "$1" ] || return 0
	is_ours "$1" "$2" || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	t_end=$(($(now_ms) + 5000))
	while ! exited "$1"; do
		if [ "$(now_ms)" -ge "$t_end" ]; then
			echo "keyring.sh: $2 ($1) ignored TERM, killing" >&2
			kill -KILL "$1" 2>/dev/null || true
			t_end=$(($(now_ms) + 5000))
		fi
		sleep 0.02
	done
}

# Live descendants of PID (services the bus activated, their babysitters).
descendants() {
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		exited "$p" && continue
		echo "$p"
		descendants "$p"
	done
}

# The environment every daemon runs in.
daemon_env() {
	env -u DISPLAY -u WAYLAND_DISPLAY -u XDG_DATA_HOME \
	    -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_STATE_HOME \
	    -u GNOME_KEYRING_CONTROL \
	    HOME="$DIR/home" XDG_RUNTIME_DIR="$DIR/run" \
	    ${BUS_ADDR:+DBUS_SESSION_BUS_ADDRESS="$BUS_ADDR"} "$@"
}

# The same, replacing the (sub)shell, so that $! of `daemon_exec ... &` is
# the daemon's own PID.
daemon_exec() {
	exec env -u DISPLAY -u WAYLAND_DISPLAY -u XDG_DATA_HOME \
	    -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_STATE_HOME \
	    -u GNOME_KEYRING_CONTROL \
	    HOME="$DIR/home" XDG_RUNTIME_DIR="$DIR/run" \
	    DBUS_SESSION_BUS_ADDRESS="$BUS_ADDR" "$@"
}

has_owner() {
	daemon_env dbus-send --session --print-reply --reply-timeout=2000 \
	    --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.NameHasOwner \
	    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

prepare() {
	mkdir -p "$DIR/home" "$DIR/run"
	chmod 700 "$DIR/run"
	[ -e "$DIR/keyring.env" ] && stop
	rm -f "$DIR/bus.sock" "$DIR/keyring.env"
	: >"$DIR/bus.log"
	: >"$DIR/keyring.log"
}

# start_bus [CONFIG]: a session bus (default config: D-Bus activation of
# gnome-keyring and gcr-prompter works as on a desktop), or CONFIG.
start_bus() {
	if [ $# -gt 0 ]; then
		cfg="--config-file=$1"
	else
		cfg=--session
	fi
	daemon_env dbus-daemon "$cfg" --fork --nopidfile \
	    --address="unix:path=$DIR/bus.sock" \
	    --print-address=3 --print-pid=4 \
	    3>"$DIR/bus.addr" 4>"$DIR/bus.pid" \
	    </dev/null >/dev/null 2>>"$DIR/bus.log" ||
		die "dbus-daemon failed: $(cat "$DIR/bus.log")"
	BUS_ADDR=$(head -n 1 "$DIR/bus.addr")
	BUS_PID=$(head -n 1 "$DIR/bus.pid")
	rm -f "$DIR/bus.addr" "$DIR/bus.pid"
	[ -n "$BUS_ADDR" ] && [ -n "$BUS_PID" ] ||
		die "dbus-daemon printed no address/pid: $(cat "$DIR/bus.log")"
}

# start_keyring PASSWORD|-: gnome-keyring in the foreground, our child;
# "-" starts it without --unlock.  Sets KEYRING_PID; waits until it owns
# org.freedesktop.secrets.
start_keyring() {
	if [ "$1" = - ]; then
		daemon_exec gnome-keyring-daemon --foreground \
		    --components=secrets </dev/null \
		    >>"$DIR/keyring.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	else
		printf '%s' "$1" | daemon_exec gnome-keyring-daemon \
		    --foreground --unlock --components=secrets \
		    >>"$DIR/keyring.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	fi
	KEYRING_PID=$!
	t_end=$(($(now_ms) + DEADLINE_MS))
	while ! has_owner; do
		exited "$KEYRING_PID" &&
			die "gnome-keyring-daemon exited: $(cat "$DIR/keyring.log")"
		[ "$(now_ms)" -lt "$t_end" ] ||
			die "gnome-keyring not on the bus after ${DEADLINE_MS} ms"
		sleep 0.02
	done
}

# Our own child: kill and reap it, then wait until the bus let go of the name.
stop_own_keyring() {
	kill -TERM "$KEYRING_PID"
	wait "$KEYRING_PID" || true
	t_end=$(($(now_ms) + DEADLINE_MS))
	while has_owner; do
		[ "$(now_ms)" -lt "$t_end" ] ||
			die "org.freedesktop.secrets still owned after stop"
		sleep 0.02
	done
}

write_env() {
	{
		echo "export DBUS_SESSION_BUS_ADDRESS='$BUS_ADDR'"
		echo "export HOME='$DIR/home'"
		echo "export XDG_RUNTIME_DIR='$DIR/run'"
		echo "export KEYRING_PID='$KEYRING_PID'"
		echo "export BUS_PID='$BUS_PID'"
		echo "unset DISPLAY"
	} >"$DIR/keyring.env.tmp"
	mv "$DIR/keyring.env.tmp" "$DIR/keyring.env"
	cat "$DIR/keyring.env"
}

# A bus that knows no services: nothing can be activated.
noservice_config() {
	cat >"$DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=$DIR/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
	echo "$DIR/bus.conf"
}

stop() {
	[ -r "$DIR/keyring.env" ] || return 0
	KEYRING_PID=$(sed -n "s/^export KEYRING_PID='\(.*\)'$/\1/p" "$DIR/keyring.env")
	BUS_PID=$(sed -n "s/^export BUS_PID='\(.*\)'$/\1/p" "$DIR/keyring.env")
	stop_pid "$KEYRING_PID" gnome-keyring-daemon
	if is_ours "$BUS_PID" "$DIR/bus.sock"; then
		kids=$(descendants "$BUS_PID")
		stop_pid "$BUS_PID" "$DIR/bus.sock"
		for k in $kids; do
			stop_pid "$k" /
		done
	fi
	rm -f "$DIR/keyring.env" "$DIR/bus.sock"
}

[ $# -eq 2 ] || usage
case $2 in
/*)	DIR=$2 ;;
*)	DIR=$(pwd)/$2 ;;
esac
BUS_ADDR=
BUS_PID=
KEYRING_PID=

case $1 in
start)
	prepare
	start_bus
	start_keyring "$PW_GOOD"
	write_env
	;;
start-locked)
	prepare
	start_bus
	# Create the login keyring once (unless a previous start did), then
	# restart the daemon with the wrong password: it stays locked.
	if [ ! -e "$DIR/home/.local/share/keyrings/login.keyring" ]; then
		start_keyring "$PW_GOOD"
		stop_own_keyring
	fi
	start_keyring "$PW_WRONG"
	write_env
	;;
start-nokeyring)
	prepare
	rm -rf "$DIR/home/.local/share/keyrings"
	start_bus
	start_keyring -
	write_env
	;;
start-noservice)
	prepare
	start_bus "$(noservice_config)"
	write_env
	;;
restart-keyring)
	[ -r "$DIR/keyring.env" ] || die "nothing runs in $DIR"
	BUS_ADDR=$(sed -n "s/^export DBUS_SESSION_BUS_ADDRESS='\(.*\)'$/\1/p" "$DIR/keyring.env")
	BUS_PID=$(sed -n "s/^export BUS_PID='\(.*\)'$/\1/p" "$DIR/keyring.env")
	old=$(sed -n "s/^export KEYRING_PID='\(.*\)'$/\1/p" "$DIR/keyring.env")
	stop_pid "$old" gnome-keyring-daemon
	t_end=$(($(now_ms) + DEADLINE_MS))
	while has_owner; do
		[ "$(now_ms)" -lt "$t_end" ] ||
			die "org.freedesktop.secrets still owned after stop"
		sleep 0.02
	done
	start_keyring "$PW_GOOD"
	write_env
	;;
stop)
	stop
	;;
*)
	usage
	;;
esac

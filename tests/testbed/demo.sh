#!/bin/bash
# demo.sh -- `make demo`: mailconn against real local servers.
#
# Starts the test bed (Dovecot with a sample mailbox behind a self-signed
# certificate, SMTP with STARTTLS, and a private gnome-keyring when the
# desktop session has no Secret Service), writes a "demo" account in a
# private XDG directory under the bed, stores its password with
# `mailconn password set demo` (on stdin), then runs `mailconn check demo`.
# On a terminal it continues interactively: `certs trust` shows the
# self-signed certificate and asks whether to pin it, `check` runs again,
# and whatever later commands exist (sync --once, the dashboard) follow.
# Everything is stopped and removed on exit; a password stored in the
# desktop keyring is forgotten again.
#
# MAILCONN: the binary (default build/mailconn).  Commands the binary does
# not have yet are skipped with a note, so the demo works at every stage.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MAILCONN=${MAILCONN:-$ROOT/build/mailconn}
[ -x "$MAILCONN" ] || { echo "demo: $MAILCONN is not built (make)" >&2; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
interactive() { [ -t 0 ] && [ -t 1 ]; }

# A command exists when `help CMD` knows it and does not call it a later one.
has_cmd() {
	local h
	h=$("$MAILCONN" help "$1" 2>&1) || return 1
	case $h in *"not in this version"*) return 1 ;; esac
	[ $# -lt 2 ] || case $h in *"$2"*) ;; *) return 1 ;; esac
}

# Does the caller's session offer a Secret Service (running or activatable)?
desktop_keyring() {
	[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
	dbus-send --session --print-reply --reply-timeout=2000 \
	    --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.ListActivatableNames 2>/dev/null |
	    grep -q '"org.freedesktop.secrets"' && return 0
	dbus-send --session --print-reply --reply-timeout=2000 \
	    --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets \
	    2>/dev/null | grep -q 'boolean true'
}

USE_DESKTOP=0
if desktop_keyring; then
	USE_DESKTOP=1
	SAVED_BUS=$DBUS_SESSION_BUS_ADDRESS
	SAVED_HOME=$HOME
	SAVED_RUNTIME=${XDG_RUNTIME_DIR:-}
fi

TB=$(mktemp -d /tmp/mc-demo-XXXXXX)
PASSWORD_STORED=0
cleanup() {
	set +e
	if [ "$USE_DESKTOP" = 1 ] && [ "$PASSWORD_STORED" = 1 ]; then
		"$MAILCONN" password forget demo >/dev/null 2>&1
	fi
	step "stopping the demo servers"
	"$HERE/testbed.sh" stop "$TB"
	rm -rf "$TB"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "starting the test servers in $TB"
"$HERE/testbed.sh" start "$TB"
. "$TB/env"
if [ "$USE_DESKTOP" = 1 ]; then
	export DBUS_SESSION_BUS_ADDRESS=$SAVED_BUS HOME=$SAVED_HOME
	[ -z "$SAVED_RUNTIME" ] || export XDG_RUNTIME_DIR=$SAVED_RUNTIME
	note "password storage: your desktop keyring (the demo entry is removed on exit)"
else
	note "password storage: a private gnome-keyring (no Secret Service in this session)"
fi
note "IMAP  localhost:$IMAPS_SELF_PORT  implicit TLS, SELF-SIGNED certificate"
note "SMTP  localhost:$SUBMISSION_PORT  STARTTLS, signed by the test CA"
note "user  $MC_USER"

D=$TB/demo
mkdir -p "$D/config/mailconn" "$D/data" "$D/state" "$D/cache"
export XDG_CONFIG_HOME=$D/config XDG_DATA_HOME=$D/data
export XDG_STATE_HOME=$D/state XDG_CACHE_HOME=$D/cache
cat > "$XDG_CONFIG_HOME/mailconn/accounts.conf" <<EOF
# The demo account: written by tests/testbed/demo.sh, removed on exit.
[account demo]
email         = $MC_USER
name          = Ann Example
imap-host     = localhost
imap-port     = $IMAPS_SELF_PORT
imap-security = imaps
imap-user     = $MC_USER
smtp-host     = localhost
smtp-port     = $SUBMISSION_PORT
smtp-security = starttls
smtp-user     = $MC_USER
# The test CA signs the SMTP certificate; the IMAP one is self-signed on
# purpose, so mailconn has to ask about it.
ca-file       = $MC_CA
EOF
chmod 600 "$XDG_CONFIG_HOME/mailconn/accounts.conf"
step "account file $XDG_CONFIG_HOME/mailconn/accounts.conf"
sed -n '/^\[/,$p' "$XDG_CONFIG_HOME/mailconn/accounts.conf" | sed 's/^/   /'

if has_cmd password; then
	step "mailconn password set demo   (the password goes in on stdin)"
	if printf '%s\n' "$MC_PASS" | "$MAILCONN" password set demo; then
		PASSWORD_STORED=1
	else
		note "(password set failed; check will skip the login rows)"
	fi
fi

if has_cmd check; then
	step "mailconn check demo   (the certificate is self-signed: expect a FAIL row)"
	"$MAILCONN" check demo || note "(check exit status $?: see the rows above)"
fi

if ! interactive; then
	step "no terminal: skipping the interactive part (certs trust, dashboard)"
	exit 0
fi

if has_cmd certs trust; then
	step "mailconn certs trust localhost:$IMAPS_SELF_PORT   (look, then answer)"
	"$MAILCONN" certs trust "localhost:$IMAPS_SELF_PORT" ||
	    note "(not pinned)"
	if has_cmd check; then
		step "mailconn check demo   (again, with the pin)"
		"$MAILCONN" check demo || note "(check exit status $?)"
	fi
fi
if has_cmd accounts "accounts test"; then
	step "mailconn accounts test demo"
	"$MAILCONN" accounts test demo || true
fi
if has_cmd sync; then
	step "mailconn sync --once demo"
	"$MAILCONN" sync --once demo || note "(sync exit status $?)"
	note "mail is in $XDG_DATA_HOME/mailconn/mail/demo"
fi

step "the servers keep running until you press Enter"
note "in another terminal, to use them:"
note "  . $TB/env; export XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_STATE_HOME=$XDG_STATE_HOME"
[ "$USE_DESKTOP" = 0 ] || note "  export DBUS_SESSION_BUS_ADDRESS='$DBUS_SESSION_BUS_ADDRESS' HOME='$HOME'"
note "  $MAILCONN check demo"
read -r _ || true

#!/bin/bash
# demo.sh -- `make demo`: mailconn against real local servers.
#
# Starts the test bed (Dovecot with a sample mailbox behind a self-signed
# certificate, SMTP with STARTTLS, and a private gnome-keyring when the
# desktop session has no Secret Service), with private XDG directories under
# the bed.  On a terminal: the account wizard, pre-filled for the demo
# servers (the live checklist, the certificate prompts), then the dashboard
# syncing the demo mailbox.  Without a terminal: the same account written
# directly, `mailconn check demo`, `certs trust` and `sync --once demo`.
# Everything is stopped and removed on exit; a password stored in the
# desktop keyring is forgotten again.
#
# MAILCONN: the binary (default build/mailconn).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MAILCONN=${MAILCONN:-$ROOT/build/mailconn}
[ -x "$MAILCONN" ] || { echo "demo: $MAILCONN is not built (make)" >&2; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
interactive() { [ -t 0 ] && [ -t 1 ]; }

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

if interactive; then
	step "mailconn setup   (the wizard, pre-filled for the demo servers)"
	note "the IMAP certificate is self-signed and the SMTP one comes from a"
	note "test CA your system does not know: the wizard asks about both."
	note "the password is:  $MC_PASS"
	note "press Enter to start"
	read -r _ || true
	if "$MAILCONN" setup --email "$MC_USER" --name "Ann Example" \
	    --account demo --imap "localhost:$IMAPS_SELF_PORT" \
	    --smtp "localhost:$SUBMISSION_PORT" --smtp-security starttls; then
		PASSWORD_STORED=1
		step "mailconn   (the dashboard, syncing the demo mailbox; q quits)"
		"$MAILCONN" || note "(dashboard exit status $?)"
		note "mail is in $XDG_DATA_HOME/mailconn/mail/demo"
		step "mailconn check demo   (the report for IT)"
		"$MAILCONN" check demo || note "(check exit status $?: see the rows above)"
	else
		note "(setup ended without saving)"
	fi
	exit 0
fi

cat > "$XDG_CONFIG_HOME/mailconn/accounts.conf" <<EOF
# The demo account: written by tests/testbed/demo.sh, removed on exit.
[account demo]
email         = $MC_USER
name          = Ann Example
imap-host     = localhost
imap-port     = $IMAPS_SELF_PORT
imap-security = imaps
smtp-host     = localhost
smtp-port     = $SUBMISSION_PORT
smtp-security = starttls
ca-file       = $MC_CA
EOF
chmod 600 "$XDG_CONFIG_HOME/mailconn/accounts.conf"
step "no terminal: account file $XDG_CONFIG_HOME/mailconn/accounts.conf"
sed -n '/^\[/,$p' "$XDG_CONFIG_HOME/mailconn/accounts.conf" | sed 's/^/   /'

step "mailconn password set demo   (the password goes in on stdin)"
printf '%s\n' "$MC_PASS" | "$MAILCONN" password set demo && PASSWORD_STORED=1

step "mailconn check demo   (the certificate is self-signed: expect FAIL rows)"
"$MAILCONN" check demo || note "(check exit status $?: see the rows above)"

step "mailconn certs trust localhost:$IMAPS_SELF_PORT   (no terminal: running it is the decision)"
"$MAILCONN" certs trust "localhost:$IMAPS_SELF_PORT" </dev/null

step "mailconn sync --once demo"
"$MAILCONN" sync --once demo || note "(sync exit status $?)"
M=$XDG_DATA_HOME/mailconn/mail/demo
note "mail is in $M: $(find "$M" -path "$M/.mailconn" -prune -o -type f \
    \( -path '*/cur/*' -o -path '*/new/*' \) -print | wc -l) messages"

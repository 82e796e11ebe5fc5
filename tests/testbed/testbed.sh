#!/bin/bash
# testbed.sh -- the real servers mailconn's integration tests talk to.
#
#   testbed.sh start DIR           start everything under DIR, write DIR/env
#   testbed.sh stop DIR            stop everything DIR/pids names (idempotent)
#   testbed.sh env DIR             print DIR/env
#   testbed.sh swap-self-cert DIR self2|self
#                                  switch the self-signed instance to another
#                                  key (CERTIFICATE CHANGED tests); returns
#                                  once a new TLS connection presents it
#   testbed.sh set-max-conn DIR N  mail_max_userip_connections for every
#                                  Dovecot instance (default 20), restarted
#
# What runs (facts and traps: /work/shared/TESTBED.md):
#   four Dovecot 2.3 masters sharing one users file and one Maildir tree:
#     main       IMAPS_PORT (implicit TLS) + IMAP_PORT (STARTTLS), good cert
#     self       IMAPS_SELF_PORT + IMAP_SELF_PORT (STARTTLS), self-signed
#     expired    IMAPS_EXPIRED_PORT, expired CA-signed cert
#     wronghost  IMAPS_WRONGHOST_PORT, CA-signed for wrong.example.test
#   (Dovecot 2.3 cannot pick a certificate per port, hence one master each.)
#   aiosmtpd (smtpd.py): SUBMISSION_PORT (STARTTLS) + SMTPS_PORT, good cert
#   a private D-Bus + unlocked gnome-keyring (keyring.sh, or the fallback here)
#
# Ports: base+0 IMAPS_PORT, +1 IMAP_PORT, +2 IMAPS_SELF_PORT, +3
# IMAPS_EXPIRED_PORT, +4 IMAPS_WRONGHOST_PORT, +5 SMTPS_PORT, +6
# SUBMISSION_PORT, +7 IMAP_SELF_PORT, +8..9 spare.  The base is MC_PORT_BASE;
# without it the base DIR used last time if still free, else a random free
# one below the ephemeral range.  Every listener is on 127.0.0.1 and ::1.
# DIR/env lists every variable (see write_env).  Certificates
# and the sample mailbox are made once per DIR; a restart into the same DIR
# keeps them (and whatever the tests did to the mail).
#
# Root mode for Dovecot: the master runs as root, login processes as dovenull
# and internal ones as dovecot (the Debian package's users), mail as nobody
# (the users file).  Picked over running everything as nobody via setpriv so
# that tests can run `doveadm -c $DOVECOT_CONF ...` as root (TESTBED D6) and
# read/write MAIL_ROOT without changing uid.  Consequences: DIR must be
# traversable by nobody (chmod 711), the mail homes are owned by nobody, and
# fill.py chowns what it writes.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
PROBE=$HERE/probe.py
FILL=$HERE/fill.py
KEYRING_SH=$HERE/keyring.sh
KEYRING_PASSWORD=mc-testbed-keyring	# unlocks the bed's own login keyring

MC_USER=ann@example.test
MC_PASS='s3cret pass"word'		# space and quote: exercises IMAP quoting
MC_USER2=bob@example.test
MC_PASS2='bøb-pässwörd'			# UTF-8
MAIL_UID=$(id -u nobody)
MAIL_GID=$(id -g nobody)
START_DEADLINE=30			# seconds, for all greetings together (a deadline, not a wait)
STOP_DEADLINE=5				# Dovecot takes up to 2.4 s (TESTBED 2.2)

die() { echo "testbed: $*" >&2; exit 1; }
note() { [ -n "${TESTBED_QUIET:-}" ] || echo "testbed: $*" >&2; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $(( t / 1000 )); }

# POSIX single quoting, so DIR/env can be sourced by sh and bash alike.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
export_line() { printf 'export %s=' "$1"; sq "$2"; echo; }	# NAME VALUE

# ---- process bookkeeping ---------------------------------------------------
# DIR/pids: "NAME PID STARTTIME" per line.  The start time (field 22 of
# /proc/PID/stat) guards against signalling a recycled PID long after the bed
# stopped.  PID 1 here does not reap orphans, so an exited daemon can linger
# as a zombie that `kill -0` still finds: zombies count as gone.
proc_starttime() {	# PID -> $STARTTIME (no subshell: forks are slow on a busy box)
	local line rest
	STARTTIME=0
	{ read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${line##*) }
	set -- $rest
	STARTTIME=${20}
}

proc_alive() {	# PID [STARTTIME]
	local line rest want=${2:-}
	{ read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${line##*) }
	set -- $rest
	[ "$1" != Z ] && [ "$1" != X ] || return 1
	[ -z "$want" ] || [ "$want" = 0 ] || [ "${20}" = "$want" ]
}

record_pid() {	# NAME PID
	proc_starttime "$2" || true
	echo "$1 $2 $STARTTIME" >> "$TB/pids"
}

# ---- certificates (TESTBED 1) ----------------------------------------------
gen_certs() {
	local c=$TB/certs k p pids=""
	[ -f "$c/.done" ] && return 0
	rm -rf "$c"
	mkdir -p "$c/ca-db/new"
	# RSA-2048 like most mail servers; generated in parallel (2 cores).
	for k in ca good self self2 expired wronghost; do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$c/$k.key" 2>/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || die "openssl genpkey failed"; done

	local san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
	openssl req -x509 -new -key "$c/ca.key" -subj "/CN=mailconn test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -days 3650 -out "$c/ca.crt" 2>/dev/null

	printf '%s\n' "basicConstraints=CA:FALSE" "$san" \
	    "extendedKeyUsage=serverAuth" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" > "$c/good.ext"
	printf '%s\n' "basicConstraints=CA:FALSE" \
	    "subjectAltName=DNS:wrong.example.test" \
	    "extendedKeyUsage=serverAuth" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    > "$c/wronghost.ext"
	for k in good wronghost; do
		local cn=localhost
		[ $k = wronghost ] && cn=wrong.example.test
		openssl req -new -key "$c/$k.key" -subj "/CN=$cn" \
		    -out "$c/$k.csr" 2>/dev/null
		openssl x509 -req -in "$c/$k.csr" -CA "$c/ca.crt" \
		    -CAkey "$c/ca.key" -CAserial "$c/ca.srl" -CAcreateserial \
		    -days 825 -extfile "$c/$k.ext" -out "$c/$k.crt" 2>/dev/null
	done

	# Two self-signed certificates for the same names with different keys:
	# swapping them is what a pinned client must call CERTIFICATE CHANGED.
	for k in self self2; do
		openssl req -x509 -new -key "$c/$k.key" -subj /CN=localhost \
		    -addext "$san" -addext extendedKeyUsage=serverAuth \
		    -days 825 -out "$c/$k.crt" 2>/dev/null
	done

	# Expired: req/x509 in OpenSSL 3.0 cannot back-date; `openssl ca` can.
	: > "$c/ca-db/index.txt"
	echo 1000 > "$c/ca-db/serial"
	cat > "$c/ca.cnf" <<-EOF
	[ ca ]
	default_ca = tb
	[ tb ]
	database = $c/ca-db/index.txt
	serial = $c/ca-db/serial
	new_certs_dir = $c/ca-db/new
	certificate = $c/ca.crt
	private_key = $c/ca.key
	default_md = sha256
	policy = pol
	copy_extensions = copy
	unique_subject = no
	x509_extensions = ext
	[ pol ]
	commonName = supplied
	[ ext ]
	basicConstraints = CA:FALSE
	extendedKeyUsage = serverAuth
	EOF
	openssl req -new -key "$c/expired.key" -subj /CN=localhost \
	    -addext "$san" -out "$c/expired.csr" 2>/dev/null
	openssl ca -batch -config "$c/ca.cnf" -notext \
	    -startdate 20200101000000Z -enddate 20210101000000Z \
	    -in "$c/expired.csr" -out "$c/expired.crt" 2>/dev/null \
	    || die "openssl ca (expired certificate) failed"

	chmod 755 "$c"
	chmod 644 "$c"/*.key "$c"/*.crt	# readable by any Dovecot uid
	touch "$c/.done"
}

# ---- Dovecot (TESTBED 2) ---------------------------------------------------
write_users() {
	local d=$TB/dv
	mkdir -p "$d"
	# user:{PLAIN}password:uid:gid::home::  (passwd-file; no ':' in values)
	{
		printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$MC_USER" "$MC_PASS" \
		    "$MAIL_UID" "$MAIL_GID" "$TB/mail/ann"
		printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$MC_USER2" "$MC_PASS2" \
		    "$MAIL_UID" "$MAIL_GID" "$TB/mail/bob"
	} > "$d/users"
	chmod 644 "$d/users"
}

write_dovecot_conf() {	# NAME CERT IMAP_PORT IMAPS_PORT (0 = no listener)
	local n=$1 cert=$2 pimap=$3 pimaps=$4 d=$TB/dv/$1
	mkdir -p "$d"
	cat > "$d/dovecot.conf" <<-EOF
	# Generated by tests/testbed/testbed.sh: Dovecot instance "$n".
	# Started as "dovecot -F -c $d/dovecot.conf"; no /etc file is read.
	instance_name = mc-$n-$PORT_BASE
	base_dir = $d/run
	state_dir = $d/state
	log_path = $d/dovecot.log
	info_log_path = $d/dovecot.log
	debug_log_path = $d/dovecot.log
	protocols = imap
	listen = 127.0.0.1, ::1
	hostname = localhost
	ssl = yes
	ssl_cert = <$TB/certs/$cert.crt
	ssl_key = <$TB/certs/$cert.key
	disable_plaintext_auth = yes
	auth_mechanisms = plain login
	# Failed logins answer fast (TESTBED D2; the anvil penalty remains).
	auth_failure_delay = 0
	auth_verbose = yes
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $TB/dv/users
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%u $TB/dv/users
	}
	mail_location = maildir:~/Maildir
	# Test data is disposable: no fsync makes APPEND-heavy tests fast.
	mail_fsync = never
	# No mail_plugins: libetpan has no zlib, so never offer COMPRESS.
	namespace inbox {
	  inbox = yes
	  separator = /
	  mailbox Sent {
	    special_use = \\Sent
	    auto = subscribe
	  }
	  mailbox Drafts {
	    special_use = \\Drafts
	    auto = subscribe
	  }
	  mailbox Trash {
	    special_use = \\Trash
	    auto = subscribe
	  }
	  mailbox Junk {
	    special_use = \\Junk
	    auto = subscribe
	  }
	}
	protocol imap {
	  mail_max_userip_connections = 20
	}
	# Both listeners are named so the built-in defaults (143, 993) are
	# overridden; port 0 disables one.
	service imap-login {
	  inet_listener imap {
	    port = $pimap
	  }
	  inet_listener imaps {
	    port = $pimaps
	    ssl = yes
	  }
	}
	EOF
}

# Sample mailbox of MC_USER (TESTBED 2.4: plain files, no doveadm).
make_mail() {
	local m=$TB/mail
	if [ ! -f "$m/sample.json" ]; then
		rm -rf "$m"
		mkdir -p "$m/ann" "$m/bob"
		chown "$MAIL_UID:$MAIL_GID" "$m" "$m/ann" "$m/bob"
		"$PY" "$FILL" --maildir "$m/ann/Maildir" --sample \
		    > "$m/sample.json.tmp"
		mv "$m/sample.json.tmp" "$m/sample.json"
	fi
}

start_dovecot() {	# NAME
	local d=$TB/dv/$1
	mkdir -p "$d/run" "$d/state"
	dovecot -F -c "$d/dovecot.conf" </dev/null >>"$d/stderr.log" 2>&1 &
	record_pid "dovecot-$1" $!
}

master_pid() {	# NAME -> pid of a running Dovecot master
	local name pid st
	while read -r name pid st; do
		if [ "$name" = "dovecot-$1" ] && proc_alive "$pid" "$st"; then
			echo "$pid"
			return 0
		fi
	done < "$TB/pids"
	return 1
}

# ---- SMTP (TESTBED 3.1) ----------------------------------------------------
start_smtpd() {
	local s=$TB/smtp
	mkdir -p "$s/spool"
	printf '%s\t%s\n' "$MC_USER" "$MC_PASS" > "$s/users"
	chmod 600 "$s/users"
	"$PY" "$HERE/smtpd.py" --cert "$TB/certs/good.crt" \
	    --key "$TB/certs/good.key" --submission "$SUBMISSION_PORT" \
	    --smtps "$SMTPS_PORT" --spool "$s/spool" --users "$s/users" \
	    --log "$s/smtpd.log" </dev/null >"$s/stdout" 2>"$s/stderr" &
	record_pid smtpd $!
}

# ---- keyring (TESTBED 5) ---------------------------------------------------
# keyring.sh (the secret helper's) is preferred; the fallback below does the
# same: private dbus-daemon in the foreground (no --fork: we keep its PID),
# gnome-keyring-daemon --foreground --unlock, ready when org.freedesktop.secrets
# has an owner.  Both write export lines to DIR/keyring.env.
KR_JOB=
start_keyring() {
	local k=$TB/keyring
	mkdir -p "$k"
	if [ -x "$KEYRING_SH" ]; then
		# In the background (it waits for the keyring itself, ~0.3 s
		# idle, seconds on a busy machine) while Dovecot starts.  To a
		# file, not $(...): a daemon holding the pipe would hang us.
		"$KEYRING_SH" start "$k" > "$TB/keyring.env.tmp" \
		    2> "$TB/keyring.err" &
		KR_JOB=$!
		return 0
	fi
	mkdir -p "$k/home" "$k/run"
	chmod 700 "$k/run"
	rm -f "$k/bus.sock" "$k/bus.addr"
	dbus-daemon --session --nofork --nopidfile \
	    --address="unix:path=$k/bus.sock" --print-address=1 \
	    </dev/null >"$k/bus.addr" 2>"$k/dbus.log" &
	record_pid dbus $!
	local t0 addr
	t0=$(now_ms)
	until [ -s "$k/bus.addr" ]; do
		[ $(( $(now_ms) - t0 )) -lt 5000 ] || die "dbus-daemon did not start"
		sleep 0.01
	done
	addr=$(head -n1 "$k/bus.addr")
	printf '%s' "$KEYRING_PASSWORD" | env -u DISPLAY -u WAYLAND_DISPLAY \
	    HOME="$k/home" XDG_RUNTIME_DIR="$k/run" \
	    DBUS_SESSION_BUS_ADDRESS="$addr" \
	    gnome-keyring-daemon --foreground --unlock --components=secrets \
	    >"$k/keyring.log" 2>&1 &
	local kp=$!
	record_pid keyring $kp
	{
		export_line DBUS_SESSION_BUS_ADDRESS "$addr"
		export_line HOME "$k/home"
		export_line XDG_RUNTIME_DIR "$k/run"
		export_line KEYRING_PID "$kp"
		echo "unset DISPLAY"
	} > "$TB/keyring.env"
}

wait_keyring() {
	local t0 addr v kp
	if [ -n "$KR_JOB" ]; then
		local rc=0
		wait "$KR_JOB" || rc=$?
		KR_JOB=
		[ $rc -eq 0 ] || die "keyring.sh start failed: $(cat "$TB/keyring.err")"
		mv "$TB/keyring.env.tmp" "$TB/keyring.env"
		# Recorded too, as a safety net for stop; keyring.sh stop goes
		# first (it also stops the services the bus activated).
		for v in KEYRING_PID:keyring BUS_PID:bus; do
			kp=$(sed -n "s/^export ${v%%:*}=[\"']*\([0-9]*\).*/\1/p" \
			    "$TB/keyring.env")
			[ -z "$kp" ] || record_pid "${v##*:}" "$kp"
		done
		return 0
	fi
	t0=$(now_ms)
	addr=$(head -n1 "$TB/keyring/bus.addr")
	until DBUS_SESSION_BUS_ADDRESS=$addr dbus-send --session \
	    --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.NameHasOwner \
	    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
	do
		[ $(( $(now_ms) - t0 )) -lt 5000 ] ||
		    die "gnome-keyring did not register org.freedesktop.secrets"
		sleep 0.05
	done
}

# ---- ports and env -----------------------------------------------------------
pick_ports() {
	if [ -n "${MC_PORT_BASE:-}" ]; then
		PORT_BASE=$MC_PORT_BASE
		"$PY" "$PROBE" checkbase "$PORT_BASE" ||
		    die "ports $PORT_BASE..$((PORT_BASE + 9)) are not free (MC_PORT_BASE)"
	elif [ -f "$TB/portbase" ] &&
	    "$PY" "$PROBE" checkbase "$(cat "$TB/portbase")" 2>/dev/null; then
		PORT_BASE=$(cat "$TB/portbase")
	else
		PORT_BASE=$("$PY" "$PROBE" freebase) || die "no free ports"
	fi
	echo "$PORT_BASE" > "$TB/portbase"
	IMAPS_PORT=$PORT_BASE
	IMAP_PORT=$((PORT_BASE + 1))
	IMAPS_SELF_PORT=$((PORT_BASE + 2))
	IMAPS_EXPIRED_PORT=$((PORT_BASE + 3))
	IMAPS_WRONGHOST_PORT=$((PORT_BASE + 4))
	SMTPS_PORT=$((PORT_BASE + 5))
	SUBMISSION_PORT=$((PORT_BASE + 6))
	IMAP_SELF_PORT=$((PORT_BASE + 7))
}

write_env() {
	local f=$TB/env.tmp v
	{
		echo "# mailconn test bed $TB -- source this file"
		for v in TB PORT_BASE IMAPS_PORT IMAP_PORT IMAPS_SELF_PORT \
		    IMAP_SELF_PORT IMAPS_EXPIRED_PORT IMAPS_WRONGHOST_PORT \
		    SMTPS_PORT SUBMISSION_PORT MC_USER MC_PASS MC_USER2 MC_PASS2; do
			export_line "$v" "${!v}"
		done
		export_line MC_HOST localhost
		export_line MC_CA "$TB/certs/ca.crt"
		export_line MC_CERTS "$TB/certs"
		export_line SMTP_SPOOL "$TB/smtp/spool"
		export_line SMTP_LOG "$TB/smtp/smtpd.log"
		export_line DOVECOT_CONF "$TB/dv/main/dovecot.conf"
		export_line DOVECOT_LOG "$TB/dv/main/dovecot.log"
		export_line MAIL_ROOT "$TB/mail/ann/Maildir"
		export_line MAIL_ROOT2 "$TB/mail/bob/Maildir"
		export_line SAMPLE_MANIFEST "$TB/mail/sample.json"
		export_line FAKE "$ROOT/tests/fake/fakeserver.py"
		export_line TESTBED "$HERE/testbed.sh"
		export_line FILL "$FILL"
		export_line PROBE "$PROBE"
		grep -E '^(export|unset) ' "$TB/keyring.env"
	} > "$f"
	mv "$f" "$TB/env"
}

# ---- commands --------------------------------------------------------------
cmd_start() {
	local t0 name pid st
	t0=$(now_ms)
	mkdir -p "$TB"
	TB=$(cd "$TB" && pwd)
	# Dovecot's UNIX sockets live under DIR/dv/NAME/run (TESTBED D3).
	[ ${#TB} -le 60 ] || die "DIR too long for Dovecot's sockets: $TB"
	if [ -f "$TB/pids" ]; then
		while read -r name pid st; do
			! proc_alive "$pid" "$st" ||
			    die "already running ($name $pid); stop it first"
		done < "$TB/pids"
		rm -f "$TB/pids"
	fi
	: > "$TB/pids"
	chmod 711 "$TB"		# the mail uid must traverse to its home
	# Undo a half-done start (set -e exit) so nothing is left running.
	trap 'rc=$?; if [ $rc -ne 0 ]; then
		echo "testbed: start failed, stopping what was started" >&2
		[ -z "$KR_JOB" ] || wait "$KR_JOB"
		cmd_stop >/dev/null 2>&1 || true; fi' EXIT

	pick_ports
	gen_certs
	write_users
	write_dovecot_conf main good "$IMAP_PORT" "$IMAPS_PORT"
	write_dovecot_conf self self "$IMAP_SELF_PORT" "$IMAPS_SELF_PORT"
	write_dovecot_conf expired expired 0 "$IMAPS_EXPIRED_PORT"
	write_dovecot_conf wronghost wronghost 0 "$IMAPS_WRONGHOST_PORT"
	make_mail
	note "certificates and mail ready after $(( $(now_ms) - t0 )) ms"

	for name in main self expired wronghost; do
		start_dovecot "$name"
	done
	start_smtpd
	start_keyring
	note "servers launched after $(( $(now_ms) - t0 )) ms"

	if ! "$PY" "$PROBE" wait --deadline "$START_DEADLINE" \
	    "imap:$IMAP_PORT" "imaps:$IMAPS_PORT" "imaps:$IMAPS_SELF_PORT" \
	    "imap:$IMAP_SELF_PORT" "imaps:$IMAPS_EXPIRED_PORT" \
	    "imaps:$IMAPS_WRONGHOST_PORT" "smtp:$SUBMISSION_PORT" \
	    "smtps:$SMTPS_PORT"; then
		for name in main self expired wronghost; do
			tail -n 5 "$TB/dv/$name/dovecot.log" \
			    "$TB/dv/$name/stderr.log" 2>/dev/null >&2 || true
		done
		tail -n 20 "$TB/smtp/stderr" >&2 2>/dev/null || true
		die "servers did not greet"
	fi
	note "all greetings after $(( $(now_ms) - t0 )) ms"
	# The ports may greet a moment before smtpd.py prints READY.
	until grep -qx READY "$TB/smtp/stdout"; do
		if [ $(( $(now_ms) - t0 )) -ge $((START_DEADLINE * 1000)) ]; then
			tail -n 20 "$TB/smtp/stderr" >&2 2>/dev/null || true
			die "smtpd did not print READY"
		fi
		sleep 0.05
	done
	wait_keyring
	note "keyring ready after $(( $(now_ms) - t0 )) ms"
	write_env
	trap - EXIT
	note "ready in $(( $(now_ms) - t0 )) ms (ports $PORT_BASE..$((PORT_BASE + 9)), env in $TB/env)"
}

cmd_stop() {
	local name pid st t0 live left
	[ -d "$TB" ] && [ -f "$TB/pids" ] || return 0
	t0=$(now_ms)
	live=""
	# TERM everything but the keyring first: Dovecot takes the longest,
	# and keyring.sh stop must find the bus's children still attached.
	while read -r name pid st; do
		proc_alive "$pid" "$st" || continue
		case $name in
		keyring|bus) [ -x "$KEYRING_SH" ] ||
		    kill -TERM "$pid" 2>/dev/null || true ;;
		*) kill -TERM "$pid" 2>/dev/null || true ;;
		esac
		live="$live $pid:$st"
	done < "$TB/pids"
	if [ -x "$KEYRING_SH" ] && [ -d "$TB/keyring" ]; then
		"$KEYRING_SH" stop "$TB/keyring" >/dev/null 2>&1 || true
		# Whatever keyring.sh did not stop gets the TERM now.
		while read -r name pid st; do
			case $name in keyring|bus) ;; *) continue;; esac
			! proc_alive "$pid" "$st" || kill -TERM "$pid" 2>/dev/null || true
		done < "$TB/pids"
	fi
	# Wait for each with one deadline, then KILL what is left.
	while :; do
		left=""
		for p in $live; do
			! proc_alive "${p%%:*}" "${p##*:}" || left="$left $p"
		done
		live=$left
		[ -n "$live" ] || break
		if [ $(( $(now_ms) - t0 )) -ge $((STOP_DEADLINE * 1000)) ]; then
			echo "testbed: KILL after ${STOP_DEADLINE}s:$live" >&2
			for p in $live; do
				kill -KILL "${p%%:*}" 2>/dev/null || true
			done
			STOP_DEADLINE=$((STOP_DEADLINE + 2))
		fi
		sleep 0.05
	done
	mv -f "$TB/pids" "$TB/pids.stopped" 2>/dev/null || true
	note "stopped in $(( $(now_ms) - t0 )) ms"
}

load_env() {
	[ -f "$TB/env" ] || die "no test bed in $TB (no env file)"
	# shellcheck disable=SC1091
	. "$TB/env"
}

cmd_swap_self_cert() {	# self2|self
	local which=$1 conf=$TB/dv/self/dovecot.conf pid fp
	case $which in self|self2) ;; *) die "swap-self-cert: self or self2";; esac
	load_env
	pid=$(master_pid self) || die "the self-signed Dovecot is not running"
	if ! grep -qx "ssl_cert = <$TB/certs/$which.crt" "$conf"; then
		sed -i -e "s|^ssl_cert = <.*|ssl_cert = <$TB/certs/$which.crt|" \
		    -e "s|^ssl_key = <.*|ssl_key = <$TB/certs/$which.key|" "$conf"
		kill -HUP "$pid"
	fi
	fp=$(openssl x509 -in "$TB/certs/$which.crt" -outform DER |
	    sha256sum | cut -d' ' -f1)
	"$PY" "$PROBE" wait-fingerprint "$IMAPS_SELF_PORT" "$fp" --deadline 10 ||
	    die "port $IMAPS_SELF_PORT does not present $which after HUP"
}

# Dovecot logs nothing when a reload is done, but it replaces its service
# processes: the "config" child (or "log" child) present before the HUP exits
# once the new settings are in force.  Then wait for fresh greetings.
# A restart, not a HUP: after a reload, login processes started before it
# may keep serving with the old limit for a while (a test saw 4 logins of one
# user pass a limit of 2), so the limit would hold only sometimes.
cmd_set_max_conn() {	# N
	local n=$1 name pid conf stopping="" t0 p
	case $n in ''|*[!0-9]*) die "set-max-conn: N must be a number";; esac
	load_env
	for name in main self expired wronghost; do
		conf=$TB/dv/$name/dovecot.conf
		grep -q "^ *mail_max_userip_connections = $n\$" "$conf" && continue
		sed -i "s/^\( *mail_max_userip_connections = \).*/\1$n/" "$conf"
		pid=$(master_pid "$name") || die "Dovecot $name is not running"
		kill -TERM "$pid"
		stopping="$stopping $pid:$name"
	done
	[ -n "$stopping" ] || return 0
	t0=$(now_ms)
	for p in $stopping; do
		while proc_alive "${p%%:*}"; do
			[ $(( $(now_ms) - t0 )) -lt 10000 ] ||
			    die "Dovecot ${p#*:} did not stop"
			sleep 0.02
		done
		start_dovecot "${p#*:}"
	done
	"$PY" "$PROBE" wait --deadline 10 "imap:$IMAP_PORT" \
	    "imaps:$IMAPS_PORT" "imaps:$IMAPS_SELF_PORT" \
	    "imaps:$IMAPS_EXPIRED_PORT" "imaps:$IMAPS_WRONGHOST_PORT"
}

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
TB=$2
case $TB in /*) ;; *) TB=$PWD/$TB;; esac
TB=${TB%/}
shift 2
case $cmd in
start)		cmd_start ;;
stop)		cmd_stop ;;
env)		load_env; cat "$TB/env" ;;
swap-self-cert)	[ $# -eq 1 ] || usage; cmd_swap_self_cert "$1" ;;
set-max-conn)	[ $# -eq 1 ] || usage; cmd_set_max_conn "$1" ;;
*)		usage ;;
esac

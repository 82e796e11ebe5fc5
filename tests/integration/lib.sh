# lib.sh -- helpers for tests/integration/test-*.sh.  Sourced by run.sh into
# a fresh bash (set -eu) per test, after the test bed's env file, so every
# variable of DIR/env (TB, ports, MC_USER, ...) is set.  TEST_NAME is the
# test's name; TEST_DIR=$TB/t/$TEST_NAME is its scratch directory.
#
# Assertions print "FAIL: what ..." plus the test line and exit the test.
# Cleanup: fake servers started here are stopped when the test ends, and
# commands given to `defer` run then (in reverse order).  Do not set your
# own EXIT trap: use defer.
#
#   fail MSG
#   assert_eq ACTUAL EXPECTED WHAT
#   assert_ne ACTUAL UNEXPECTED WHAT
#   assert_contains HAYSTACK NEEDLE WHAT      (fixed string)
#   assert_not_contains HAYSTACK NEEDLE WHAT
#   assert_match STRING ERE WHAT
#   assert_file_contains FILE NEEDLE WHAT     (fixed string, grep -F)
#   assert_file_not_contains FILE NEEDLE WHAT
#   expect_rc N CMD...        run CMD (stdin passes through), stdout in $OUT,
#                             stderr in $ERR, exit status in $RC; fail unless
#                             RC is N.  A program (not a shell function) is
#                             killed after $EXPECT_TIMEOUT s (default 60).
#   wait_for CMD... [--deadline SECS]   poll CMD every 50 ms until it
#                             succeeds; return 1 (naming CMD) at the deadline
#                             (default 10 s).
#   fresh_home NAME           new empty XDG_CONFIG_HOME, XDG_DATA_HOME,
#                             XDG_STATE_HOME, XDG_CACHE_HOME under
#                             $TB/t/NAME, exported
#   start_fake SCENARIO [CERT]  start tests/fake/fakeserver.py; CERT is good
#                             (default), self, self2, expired, wronghost or
#                             none (no TLS).  Sets FAKE_PORT, FAKE_LOG,
#                             FAKE_PID.  Stopped at the end of the test.
#   write_account NAME KEY=VALUE...   append an [account NAME] section to
#                             $XDG_CONFIG_HOME/mailconn/accounts.conf
#   bed_account NAME [KEY=VALUE...]   write_account with defaults for the
#                             main Dovecot (imaps) + submission (starttls),
#                             MC_USER and ca-file=$MC_CA; KEY=VALUE replaces
#                             a default, KEY= drops it
#   defer CMD...              run CMD when the test ends
#   greeting KIND PORT [HOST] print the first line a server sends; KIND is
#                             imap, imaps, smtp or smtps (no verification)
#   greetings SPEC...         "SPEC LINE" per SPEC=KIND:PORT[@HOST], one run
#   cert_fp NAME              SHA-256 (lowercase hex) of $MC_CERTS/NAME.crt
#   port_fp PORT              SHA-256 of the leaf PORT presents (implicit TLS)
#   spool_count               number of messages in $SMTP_SPOOL
#   dove ARGS...              doveadm -c $DOVECOT_CONF ARGS...

: "${TB:?lib.sh needs the test bed env (TB unset)}"
MC_ROOT=${MC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PY3=/usr/bin/python3
TEST_NAME=${TEST_NAME:-adhoc}
TEST_DIR=$TB/t/$TEST_NAME
mkdir -p "$TEST_DIR"
_EXPECT_N=0
_FAKE_N=0

_lib_where() {
	# The first caller outside lib.sh: the test's own line.
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		case ${BASH_SOURCE[$i]} in
		*/lib.sh) ;;
		*) echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
		   return ;;
		esac
	done
	echo "?"
}

_lib_show() {	# LABEL TEXT: indented, at most 60 lines
	[ -n "$2" ] || return 0
	echo "  $1:"
	printf '%s\n' "$2" | head -n 60 | sed 's/^/    | /'
}

fail() {
	echo "FAIL: $* (at $(_lib_where))" >&2
	exit 1
}

assert_eq() {
	[ "$1" = "$2" ] && return 0
	fail "${3:-values differ}: expected '$2', got '$1'"
}

assert_ne() {
	[ "$1" != "$2" ] && return 0
	fail "${3:-values equal}: did not expect '$2'"
}

assert_contains() {
	case $1 in *"$2"*) return 0 ;; esac
	_lib_show "in" "$1" >&2
	fail "${3:-text}: does not contain '$2'"
}

assert_not_contains() {
	case $1 in *"$2"*) ;; *) return 0 ;; esac
	_lib_show "in" "$1" >&2
	fail "${3:-text}: contains '$2'"
}

assert_match() {
	[[ $1 =~ $2 ]] && return 0
	_lib_show "in" "$1" >&2
	fail "${3:-text}: does not match /$2/"
}

assert_file_contains() {
	[ -f "$1" ] || fail "${3:-file}: $1 does not exist"
	grep -qF -- "$2" "$1" && return 0
	_lib_show "$1" "$(cat "$1")" >&2
	fail "${3:-file}: $1 does not contain '$2'"
}

assert_file_not_contains() {
	[ -f "$1" ] || return 0
	grep -qF -- "$2" "$1" || return 0
	_lib_show "$1" "$(grep -nF -- "$2" "$1")" >&2
	fail "${3:-file}: $1 contains '$2'"
}

expect_rc() {
	local want=$1 had_e=0 o e
	shift
	[ $# -gt 0 ] || fail "expect_rc: no command"
	_EXPECT_N=$((_EXPECT_N + 1))
	o=$TEST_DIR/cmd$_EXPECT_N.out
	e=$TEST_DIR/cmd$_EXPECT_N.err
	case $- in *e*) had_e=1 ;; esac
	set +e
	if [ "$(type -t "$1")" = file ]; then
		timeout -k 5 "${EXPECT_TIMEOUT:-60}" "$@" >"$o" 2>"$e"
	else
		"$@" >"$o" 2>"$e"
	fi
	RC=$?
	[ $had_e = 0 ] || set -e
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	[ "$RC" = "$want" ] && return 0
	{
		echo "  command: $*"
		[ "$RC" != 124 ] || [ "$(type -t "$1")" != file ] ||
		    echo "  (killed after ${EXPECT_TIMEOUT:-60} s)"
		_lib_show stdout "$OUT"
		_lib_show stderr "$ERR"
	} >&2
	fail "expected exit status $want, got $RC"
}

_lib_ms() { echo $(( $(date +%s%N) / 1000000 )); }

wait_for() {
	local deadline=10 t_end
	if [ $# -ge 2 ] && [ "${*: -2:1}" = --deadline ]; then
		deadline=${*: -1}
		set -- "${@:1:$#-2}"
	elif [ "${1:-}" = --deadline ]; then
		deadline=$2
		shift 2
	fi
	[ $# -gt 0 ] || fail "wait_for: no command"
	t_end=$(( $(_lib_ms) + $(awk -v d="$deadline" 'BEGIN { printf "%d", d * 1000 }') ))
	while :; do
		if "$@" >"$TEST_DIR/wait.out" 2>&1; then
			return 0
		fi
		if [ "$(_lib_ms)" -ge "$t_end" ]; then
			echo "timed out after ${deadline}s waiting for: $* (at $(_lib_where))" >&2
			_lib_show "last output" "$(cat "$TEST_DIR/wait.out")" >&2
			return 1
		fi
		sleep 0.05
	done
}

fresh_home() {
	local d=$TB/t/${1:?fresh_home NAME}
	rm -rf "$d/config" "$d/data" "$d/state" "$d/cache"
	mkdir -p "$d/config/mailconn" "$d/data" "$d/state" "$d/cache"
	chmod 700 "$d/config" "$d/data" "$d/state" "$d/cache"
	export XDG_CONFIG_HOME=$d/config XDG_DATA_HOME=$d/data
	export XDG_STATE_HOME=$d/state XDG_CACHE_HOME=$d/cache
}

# ---- cleanup ---------------------------------------------------------------

_lib_starttime() {
	local line rest
	{ read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${line##*) }
	set -- $rest
	echo "${20}"
}

_lib_alive() {	# PID STARTTIME; zombies count as gone (PID 1 does not reap)
	local line rest want=$2
	{ read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${line##*) }
	set -- $rest
	[ "$1" != Z ] && [ "$1" != X ] && [ "${20}" = "$want" ]
}

_lib_register_pid() {	# NAME PID -- also in $TB/pids: testbed.sh stop's net
	local st
	st=$(_lib_starttime "$2") || return 0
	echo "$1 $2 $st" >> "$TEST_DIR/pids"
	echo "$1 $2 $st" >> "$TB/pids"
}

# Stop every process a pid file lists: TERM, up to 3 s, then KILL.
_lib_kill_pidfile() {
	local f=$1 name pid st live="" left t_end p
	[ -f "$f" ] || return 0
	while read -r name pid st; do
		_lib_alive "$pid" "$st" || continue
		kill -TERM "$pid" 2>/dev/null || true
		live="$live $pid:$st"
	done < "$f"
	t_end=$(( $(_lib_ms) + 3000 ))
	while [ -n "$live" ]; do
		left=""
		for p in $live; do
			! _lib_alive "${p%%:*}" "${p##*:}" || left="$left $p"
		done
		live=$left
		[ -n "$live" ] || break
		if [ "$(_lib_ms)" -ge "$t_end" ]; then
			for p in $live; do kill -KILL "${p%%:*}" 2>/dev/null || true; done
			t_end=$(( $(_lib_ms) + 3000 ))
		fi
		sleep 0.05
	done
	rm -f "$f"
}

_LIB_DEFERRED=()
defer() {
	local q
	printf -v q '%q ' "$@"
	_LIB_DEFERRED+=("$q")
}

_lib_cleanup() {
	local rc=$? i
	set +e
	for ((i = ${#_LIB_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${_LIB_DEFERRED[$i]}"
	done
	_LIB_DEFERRED=()
	_lib_kill_pidfile "$TEST_DIR/pids"
	return $rc
}

# ---- servers ---------------------------------------------------------------

start_fake() {
	local sc=${1:?start_fake SCENARIO [CERT]} cert=${2:-good} base pf t_end
	local certargs=()
	_FAKE_N=$((_FAKE_N + 1))
	base=$TEST_DIR/fake$_FAKE_N-$sc
	pf=$base.port
	rm -f "$pf"
	FAKE_LOG=$base.log
	: > "$FAKE_LOG"
	[ "$cert" = none ] ||
	    certargs=(--cert "$MC_CERTS/$cert.crt" --key "$MC_CERTS/$cert.key")
	"$PY3" "$FAKE" "$sc" --portfile "$pf" --log "$FAKE_LOG" \
	    "${certargs[@]}" </dev/null >"$base.stderr" 2>&1 &
	FAKE_PID=$!
	_lib_register_pid "fake-$sc" "$FAKE_PID"
	t_end=$(( $(_lib_ms) + 5000 ))
	until [ -s "$pf" ]; do
		if ! kill -0 "$FAKE_PID" 2>/dev/null ||
		    [ "$(_lib_ms)" -ge "$t_end" ]; then
			_lib_show stderr "$(cat "$base.stderr")" >&2
			fail "fake server $sc did not start"
		fi
		sleep 0.02
	done
	FAKE_PORT=$(cat "$pf")
	export FAKE_PORT FAKE_LOG FAKE_PID
}

write_account() {
	local name=${1:?write_account NAME KEY=VALUE...} kv f
	shift
	f=${XDG_CONFIG_HOME:?call fresh_home first}/mailconn/accounts.conf
	mkdir -p "${f%/*}"
	{
		[ ! -s "$f" ] || echo
		echo "[account $name]"
		for kv in "$@"; do
			case $kv in *=*) ;; *) fail "write_account: '$kv' is not KEY=VALUE" ;; esac
			printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
		done
	} >> "$f"
	chmod 600 "$f"
}

bed_account() {
	local name=${1:?bed_account NAME [KEY=VALUE...]} kv k i
	shift
	local keys=(email imap-host imap-port imap-security imap-user \
	    smtp-host smtp-port smtp-security smtp-user ca-file)
	local vals=("$MC_USER" localhost "$IMAPS_PORT" imaps "$MC_USER" \
	    localhost "$SUBMISSION_PORT" starttls "$MC_USER" "$MC_CA")
	for kv in "$@"; do
		k=${kv%%=*}
		for ((i = 0; i < ${#keys[@]}; i++)); do
			[ "${keys[$i]}" = "$k" ] && break
		done
		keys[$i]=$k
		vals[$i]=${kv#*=}
	done
	local args=()
	for ((i = 0; i < ${#keys[@]}; i++)); do
		[ -z "${vals[$i]}" ] || args+=("${keys[$i]}=${vals[$i]}")
	done
	write_account "$name" "${args[@]}"
}

# greeting KIND PORT [HOST]; greetings SPEC... prints "SPEC LINE" for each
# SPEC = KIND:PORT[@HOST] in one python run (each start costs ~0.1 s here).
greeting() {
	greetings "$1:$2@${3:-127.0.0.1}" | cut -d' ' -f2-
}

greetings() {
	"$PY3" - "$@" <<-'EOF'
	import socket, ssl, sys
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE
	for spec in sys.argv[1:]:
	    kind, rest = spec.split(":", 1)
	    port, _, host = rest.partition("@")
	    try:
	        s = socket.create_connection((host or "127.0.0.1", int(port)), 5)
	        s.settimeout(5)
	        if kind in ("imaps", "smtps"):
	            s = ctx.wrap_socket(s)
	        buf = b""
	        while b"\n" not in buf:
	            d = s.recv(4096)
	            if not d:
	                break
	            buf += d
	        s.close()
	        line = buf.split(b"\r\n")[0].decode("utf-8", "replace")
	    except (OSError, ssl.SSLError) as e:
	        line = "ERROR %s" % e
	    print(spec, line, flush=True)
	EOF
}

cert_fp() {
	openssl x509 -in "$MC_CERTS/$1.crt" -outform DER | sha256sum | cut -d' ' -f1
}

port_fp() {
	"$PY3" "$PROBE" fingerprint "$1"
}

spool_count() {
	local n=0 f
	for f in "$SMTP_SPOOL"/*.eml; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

dove() {
	doveadm -c "$DOVECOT_CONF" "$@"
}

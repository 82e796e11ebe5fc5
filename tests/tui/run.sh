#!/bin/bash
# run.sh -- the terminal UI tests: mailconn driven through tmux against the
# real test bed (TESTBED.md section 6).
#
# Starts tests/testbed/testbed.sh in a fresh `mktemp -d /tmp/mc-tui.XXXXXX`
# (on MC_PORT_BASE, else a free port range) and stops it on exit, whatever happens;
# then runs every tests/tui/test-*.sh (or those named in $TESTS, space or
# comma separated, with or without "test-" and ".sh") one after another,
# each in a fresh bash with the bed's env, lib.sh's helpers and its own
# directory T_DIR (XDG dirs, tmux socket, fake servers).  Each test file
# exits with the number of failed checks.  Prints "ok NAME (1.2s)" or
# "FAIL NAME", then a summary; exit status 1 if any test failed.
#
#   MAILCONN   the binary (the Makefile's tui-test target sets it)
#   MC_BED=DIR use a bed already started with `testbed.sh start DIR`
#   SHOTS=DIR  keep capture-pane text screenshots there (the wizard steps
#              and the certificate prompt)
#   MC_KEEP=1  keep the bed directory even after a clean run
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TESTBED=$ROOT/tests/testbed/testbed.sh
export MAILCONN=${MAILCONN:-$ROOT/build/mailconn}
export MC_ROOT=$ROOT
# MC_PORT_BASE, when set, picks the ports; else the bed finds a free range.
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { awk -v m="$1" 'BEGIN { printf "%.1fs", m / 1000 }'; }

command -v tmux >/dev/null || { echo "tui: tmux is not installed" >&2; exit 1; }
[ -x "$MAILCONN" ] || { echo "tui: no binary at $MAILCONN" >&2; exit 1; }

failed=()
passed=0
CUR=
if [ -n "${MC_BED:-}" ]; then
	BED=$MC_BED
	[ -f "$BED/env" ] || { echo "tui: no test bed in $BED" >&2; exit 1; }
else
	BED=$(mktemp -d /tmp/mc-tui.XXXXXX)
fi

cleanup() {
	[ -z "$CUR" ] || kill -TERM "$CUR" 2>/dev/null
	for s in "$BED"/t-*/tmux-*.sock; do
		[ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null
	done
	[ -z "${MC_BED:-}" ] || return 0
	"$TESTBED" stop "$BED" || true
	if [ ${#failed[@]} -eq 0 ] && [ -z "${MC_KEEP:-}" ]; then
		rm -rf "$BED"
	else
		echo "test bed files kept in $BED"
	fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

if [ -z "${MC_BED:-}" ]; then
	t0=$(ms)
	if ! TESTBED_QUIET=1 "$TESTBED" start "$BED"; then
		echo "tui: the test bed did not start" >&2
		failed+=(testbed)
		exit 1
	fi
	echo "test bed up in $(secs $(( $(ms) - t0 ))) ($BED)"
fi

wanted() {
	local name=$1 w
	[ -n "${TESTS:-}" ] || return 0
	for w in ${TESTS//,/ }; do
		w=${w%.sh}
		w=${w#test-}
		[ "$w" = "$name" ] && return 0
	done
	return 1
}

start_all=$(ms)
for t in "$HERE"/test-*.sh; do
	name=$(basename "$t" .sh)
	name=${name#test-}
	wanted "$name" || continue
	tdir=$BED/t-$name
	rm -rf "$tdir"
	mkdir -p "$tdir"
	t0=$(ms)
	(
		set -a
		. "$BED/env"
		set +a
		export T_DIR=$tdir T_NAME=$name SHOTS=${SHOTS:-}
		cd "$ROOT"
		exec timeout -k 5 "$TEST_TIMEOUT" bash -c \
		    'bash -n "$2" || exit 99; . "$1/lib.sh"; . "$2"; fake_stop; tui_stop; exit $T_FAILS' \
		    tui "$HERE" "$t" </dev/null
	) >"$tdir/out" 2>&1 &
	CUR=$!
	wait "$CUR"
	rc=$?
	CUR=
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $name ($(secs $(( $(ms) - t0 ))))"
		grep '^ok ' "$tdir/out" | sed 's/^/    /'
	else
		failed+=("$name")
		echo "FAIL $name ($(secs $(( $(ms) - t0 ))), status $rc)"
		sed 's/^/    /' "$tdir/out"
	fi
done

echo "tui: $passed passed, ${#failed[@]} failed in" \
    "$(secs $(( $(ms) - start_all )))${failed[*]:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]

#!/bin/bash
# run.sh -- the integration tests against the real test bed.
#
# Starts tests/testbed/testbed.sh in a fresh `mktemp -d /tmp/mc-XXXXXX` (and
# stops it on exit, whatever happens), sources its env, then runs every
# tests/integration/test-*.sh -- or only those named in $TESTS ("testbed",
# "test-testbed" or "test-testbed.sh"; space or comma separated) -- one after
# another (the machines have 2 cores), from the top of the repository, stdin
# from /dev/null, with a time limit of $TEST_TIMEOUT seconds (default 300):
#   - a test file WITHOUT the executable bit is sourced into a fresh bash
#     with `set -eu` and lib.sh loaded ($0 and BASH_SOURCE name the file);
#   - an executable one is a standalone program (its own shebang, set
#     options and helpers) and is simply run; exit status 0 means pass.
# Both see the bed's env, TEST_NAME, MC_ROOT, MAILCONN and ITESTS.  Prints
# "ok NAME (1.2s)" or "FAIL NAME (1.2s)" with the test's output, then a
# summary.  Exit status 1 if any test failed.
#
# Built by the Makefile, not here: $MAILCONN (the binary, default
# build/mailconn) and $ITESTS (the C test programs, default build/itests) are
# exported to the tests.  MC_PORT_BASE picks the ports (else a free range).
# The bed directory is removed after a clean run and kept (its path printed)
# after a failure, or always with MC_KEEP=1.
#
# MC_BED=DIR uses a bed already started with `testbed.sh start DIR` instead
# (quick reruns while developing); run.sh then neither starts nor stops it.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TESTBED=$ROOT/tests/testbed/testbed.sh
export MAILCONN=${MAILCONN:-$ROOT/build/mailconn}
export ITESTS=${ITESTS:-$ROOT/build/itests}
export MC_ROOT=$ROOT
TEST_TIMEOUT=${TEST_TIMEOUT:-300}

ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { awk -v m="$1" 'BEGIN { printf "%.1fs", m / 1000 }'; }

failed=()
passed=0
CUR=
if [ -n "${MC_BED:-}" ]; then
	BED=$MC_BED
	[ -f "$BED/env" ] || { echo "run.sh: no test bed in $BED" >&2; exit 1; }
else
	BED=$(mktemp -d /tmp/mc-XXXXXX)
fi

cleanup() {
	[ -z "$CUR" ] || kill -TERM "$CUR" 2>/dev/null
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

# ---- which tests -----------------------------------------------------------
tests=()
if [ -n "${TESTS:-}" ]; then
	for w in ${TESTS//,/ }; do
		w=${w%.sh}
		w=${w#test-}
		tests+=("$HERE/test-$w.sh")
	done
else
	for f in "$HERE"/test-*.sh; do
		[ -e "$f" ] && tests+=("$f")
	done
fi
if [ ${#tests[@]} -eq 0 ]; then
	echo "run.sh: no tests/integration/test-*.sh to run" >&2
	exit 1
fi

# ---- the bed -----------------------------------------------------------------
t0=$(ms)
if [ -n "${MC_BED:-}" ]; then
	echo "using the running test bed in $BED"
elif ! TESTBED_QUIET=1 "$TESTBED" start "$BED" 2>"$BED/start.log"; then
	cat "$BED/start.log" >&2
	failed+=(testbed)
	echo "FAIL test bed did not start" >&2
	exit 1
else
	echo "test bed up in $(secs $(( $(ms) - t0 ))) ($BED)"
fi
# shellcheck disable=SC1091
. "$BED/env"

# ---- the tests -------------------------------------------------------------
for f in "${tests[@]}"; do
	name=$(basename "$f" .sh)
	log=$TB/t/$name.log
	mkdir -p "$TB/t"
	t0=$(ms)
	if [ ! -f "$f" ]; then
		echo "FAIL $name (no such test: $f)"
		failed+=("$name")
		continue
	fi
	# Background + wait, so an interrupt can stop the test; `timeout`
	# signals the test's whole process group (fake servers included).
	if [ -x "$f" ]; then
		(cd "$ROOT" && TEST_NAME=$name exec timeout -k 5 "$TEST_TIMEOUT" \
		    "$f") >"$log" 2>&1 </dev/null &
	else
		(cd "$ROOT" && TEST_NAME=$name exec timeout -k 5 "$TEST_TIMEOUT" \
		    bash -c 'set -eu
			. "$1/lib.sh"
			trap _lib_cleanup EXIT
			. "$0"' "$f" "$HERE") >"$log" 2>&1 </dev/null &
	fi
	CUR=$!
	wait "$CUR"
	rc=$?
	CUR=
	# A test that replaced the EXIT trap still gets its fakes stopped.
	(TEST_NAME=$name; . "$HERE/lib.sh"; _lib_kill_pidfile "$TEST_DIR/pids") \
	    2>/dev/null
	dt=$(secs $(( $(ms) - t0 )))
	if [ $rc -eq 0 ]; then
		echo "ok   $name ($dt)"
		passed=$((passed + 1))
	else
		why=""
		[ $rc -ne 124 ] || why=", timed out after ${TEST_TIMEOUT}s"
		echo "FAIL $name ($dt$why)"
		sed 's/^/    /' "$log"
		failed+=("$name")
	fi
done

echo "integration: $passed passed, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]

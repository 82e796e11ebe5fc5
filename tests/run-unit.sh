#!/bin/sh
# Run each cmocka unit-test binary; fail if any fails.
failed=0
for t in "$@"; do
	if ! "$t"; then
		echo "FAIL: $t" >&2
		failed=1
	fi
done
exit $failed

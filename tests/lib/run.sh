#!/bin/sh
# run.sh DIR TEST... - run the library's TAP test programs from DIR as one
# TAP stream: each program is a subtest (its output indented), and the run
# ends with the plain line "P passed, F failed" summed over every test
# case.  FUZZ_CMD, if set, runs last as one more case.  Exits 1 on any
# failure.  Stray diod servers die with their test (PR_SET_PDEATHSIG).
set -eu

dir=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

n=$#
[ -n "${FUZZ_CMD:-}" ] && n=$((n + 1))
echo "TAP version 13"
echo "1..$n"
i=0 pass=0 fail=0 bad=0
for t in "$@"; do
	i=$((i + 1))
	rc=0
	"$dir/$t" >"$tmp/out" 2>&1 || rc=$?
	sed 's/^/    /' "$tmp/out"
	p=$(grep -c '^ok ' "$tmp/out" || true)
	f=$(grep -c '^not ok ' "$tmp/out" || true)
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "ok $i $t"
	else
		echo "not ok $i $t"
		[ "$f" -eq 0 ] && fail=$((fail + 1)) # crashed outside a case
		bad=1
	fi
done
if [ -n "${FUZZ_CMD:-}" ]; then
	i=$((i + 1))
	if sh -c "$FUZZ_CMD" >"$tmp/fuzz" 2>&1; then
		tail -n 3 "$tmp/fuzz" | sed 's/^/# /'
		echo "ok $i fuzz_parse"
		pass=$((pass + 1))
	else
		tail -n 40 "$tmp/fuzz" | sed 's/^/# /'
		echo "not ok $i fuzz_parse"
		fail=$((fail + 1))
		bad=1
	fi
fi
echo "$pass passed, $fail failed"
exit "$bad"

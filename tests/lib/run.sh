#!/bin/bash
# run.sh DIR TEST... - run the library's TAP test programs from DIR, each
# as a TAP stream of its own, lib.TEST, in $TAP_DIR (a scratch folder if
# unset; tests/tap-lib.sh), then the parser's fuzz stream, lib.fuzz, of
# two cases: the seed corpus replayed under ASan and UBSan ($REPLAY_CMD),
# and libFuzzer for a while ($FUZZ_CMD; a skip, with its reason, when
# clang is missing).  tests/tap-judge judges them all and prints
# "N passed, N failed, N skipped"; exit status 0 only if all passed.
# Stray diod servers die with their test (PR_SET_PDEATHSIG).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
TAP_DIR=${TAP_DIR:-$tmp}
# shellcheck source=tests/tap-lib.sh
. "$here/tap-lib.sh"

names=
for t in "$@"; do
	names="$names lib.$t"
done
# shellcheck disable=SC2086 # a list of names
tap_expect $names lib.fuzz
for t in "$@"; do
	tap_record "lib.$t" "$dir/$t" || true
done

# fuzz_case N WHAT COMMAND: one case of lib.fuzz; the end of the output
# as diagnostics.
fuzz_case() {
	if sh -c "$3" >"$tmp/fuzz" 2>&1; then
		echo "ok $1 - $2"
		tail -n 3 "$tmp/fuzz" | sed 's/^/# /'
	else
		echo "not ok $1 - $2"
		tail -n 40 "$tmp/fuzz" | sed 's/^/# /'
	fi
}
{
	echo "1..2"
	fuzz_case 1 "the seed corpus replays cleanly" "${REPLAY_CMD:?}"
	if [ -n "${FUZZ_CMD:-}" ]; then
		fuzz_case 2 "libFuzzer finds nothing in the reply parser" "$FUZZ_CMD"
	else
		echo "ok 2 - libFuzzer finds nothing in the reply parser # SKIP ${FUZZ_SKIP:-no fuzzer}"
	fi
} >"$TAP_DIR/lib.fuzz.tap"
echo 0 >"$TAP_DIR/lib.fuzz.rc"

# shellcheck disable=SC2086 # a list of names
"$here/tap-judge" "$TAP_DIR" $names lib.fuzz

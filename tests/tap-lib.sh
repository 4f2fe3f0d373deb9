# shellcheck shell=bash
# tap-lib.sh - record TAP streams for tests/tap-judge; source it.
#
# A stream NAME lives in $TAP_DIR: NAME.tap is what its suite printed on
# standard output, NAME.rc its exit status, NAME.log its standard error.
# tap_expect writes NAME into $TAP_DIR/expected before the suite runs, so
# that the judge fails a stream that never appears.

# tap_expect NAME... - these streams must be recorded.
tap_expect() {
	local n
	for n in "$@"; do
		echo "$n" >>"$TAP_DIR/expected"
	done
}

# tap_record NAME COMMAND... - run COMMAND, which prints TAP, as stream
# NAME; returns its exit status.
tap_record() {
	local n=$1 rc=0
	shift
	tap_expect "$n"
	"$@" >"$TAP_DIR/$n.tap" 2>"$TAP_DIR/$n.log" || rc=$?
	echo "$rc" >"$TAP_DIR/$n.rc"
	return "$rc"
}

# tap_counted NAME N COMMAND... - run COMMAND, which prints "ok - ..."
# lines (tests/tap-number), as stream NAME of N cases.
tap_counted() {
	local n=$1 count=$2 rc=0
	shift 2
	tap_record "$n" "$@" || rc=$?
	mv "$TAP_DIR/$n.tap" "$TAP_DIR/$n.out"
	"$(dirname "${BASH_SOURCE[0]}")/tap-number" "$count" \
		<"$TAP_DIR/$n.out" >"$TAP_DIR/$n.tap"
	return "$rc"
}

# tap_build NAME WHAT COMMAND... - one case, WHAT, for a command that
# passes or fails as a whole (a build); a failure shows the tail of its
# output as the case's diagnostics.  Returns the command's exit status.
tap_build() {
	local n=$1 what=$2 rc=0
	shift 2
	tap_expect "$n"
	"$@" >"$TAP_DIR/$n.log" 2>&1 || rc=$?
	tap_build_result "$n" "$what" "$rc"
	return "$rc"
}

# tap_build_result NAME WHAT STATUS - record the case of a build that ran
# elsewhere (in the background) with its output in NAME.log.
tap_build_result() {
	local n=$1 what=$2 rc=$3
	{
		echo "1..1"
		if [ "$rc" = 0 ]; then
			echo "ok 1 - $what"
		else
			echo "not ok 1 - $what"
			echo "# exited with status $rc; the end of $TAP_DIR/$n.log:"
			tail -n 30 "$TAP_DIR/$n.log" | sed 's/^/#   /'
		fi
	} >"$TAP_DIR/$n.tap"
	echo 0 >"$TAP_DIR/$n.rc"
}

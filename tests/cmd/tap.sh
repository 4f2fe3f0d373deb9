# shellcheck shell=sh
# tap.sh - TAP helpers for the shell tests of vio9p(1); source it.
#
# A test is a shell function that checks with expect_* and returns; the
# helpers note a failure in $tap_bad with '#' diagnostics and the test
# goes on to show every difference.  Any other command that fails ends
# the test as failed (it runs in a subshell under set -e).  tap_run runs one test and
# prints "ok N name" or "not ok N name"; tap_done prints the plan and the
# plain line "P passed, F failed" and returns non-zero on any failure.
# Needs $TAP_TMP, a scratch directory.

tap_n=0
tap_pass=0
tap_fail=0
tap_nskip=0
tap_bad=0

tap_start() {
	echo "TAP version 13"
}

# tap_plan N - declare up front that N cases follow: a run that ends
# with fewer fails (tests/tap-judge), and tap_done prints no plan of its
# own.
tap_planned=
tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

# tap_diag TEXT... - '#' lines
tap_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

tap_failed() {
	tap_bad=1
	tap_diag "$@"
}

# run CMD... - run a command; stdout in $TAP_TMP/out, stderr in
# $TAP_TMP/err, exit status in $rc.
run() {
	rc=0
	"$@" >"$TAP_TMP/out" 2>"$TAP_TMP/err" || rc=$?
}

expect_rc() {
	[ "$rc" -eq "$1" ] || tap_failed "exit status $rc, want $1" \
		"stderr: $(cat "$TAP_TMP/err")"
}

# expect_out TEXT - stdout is exactly TEXT (one trailing newline added)
expect_out() {
	printf '%s\n' "$1" >"$TAP_TMP/want"
	[ -z "$1" ] && : >"$TAP_TMP/want"
	cmp -s "$TAP_TMP/want" "$TAP_TMP/out" ||
		tap_failed "stdout differs:" "$(diff "$TAP_TMP/want" "$TAP_TMP/out")"
}

# expect_err TEXT - stderr is exactly TEXT ("" for nothing at all)
expect_err() {
	printf '%s\n' "$1" >"$TAP_TMP/want"
	[ -z "$1" ] && : >"$TAP_TMP/want"
	cmp -s "$TAP_TMP/want" "$TAP_TMP/err" ||
		tap_failed "stderr differs:" "$(diff "$TAP_TMP/want" "$TAP_TMP/err")"
}

# expect_eq GOT WANT WHAT
expect_eq() {
	[ "$1" = "$2" ] || tap_failed "$3: got '$1', want '$2'"
}

# expect_true WHAT CMD... - CMD succeeds
expect_true() {
	what=$1
	shift
	"$@" || tap_failed "$what"
}

# tap_run NAME - run the function NAME as one test case, in a subshell
# with set -e: a failing setup command fails the case, not the run.
tap_run() {
	tap_n=$((tap_n + 1))
	tap_bad=0
	set +e
	(
		set -e
		"$1"
		exit "$tap_bad"
	)
	st=$?
	set -e
	if [ "$st" -eq 77 ]; then
		echo "ok $tap_n $1 # SKIP $(cat "$TAP_TMP/skip")"
		tap_nskip=$((tap_nskip + 1))
	elif [ "$st" -eq 0 ]; then
		echo "ok $tap_n $1"
		tap_pass=$((tap_pass + 1))
	else
		echo "not ok $tap_n $1"
		tap_fail=$((tap_fail + 1))
	fi
}

# tap_skip REASON - inside a test: end it as skipped
tap_skip() {
	printf '%s\n' "$1" >"$TAP_TMP/skip"
	exit 77
}

tap_done() {
	[ -n "$tap_planned" ] || echo "1..$tap_n"
	echo "$tap_pass passed, $tap_fail failed"
	[ $((tap_pass + tap_nskip)) -eq "$tap_n" ] && [ "$tap_n" -gt 0 ] &&
		[ "${tap_planned:-$tap_n}" -eq "$tap_n" ]
}

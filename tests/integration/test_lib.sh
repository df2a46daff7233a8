#!/bin/sh
# SPDX-License-Identifier: ISC
# The checks of lib.sh can fail: each is fed its failing cases (a file
# that is missing or cannot be read, an empty string to look for, a value
# that differs) and must count one failure that says why, and its passing
# case, one pass.  A check that cannot fail proves nothing.
. "$(dirname "$0")/lib.sh"

t_tmpdir

# check WANT NAME WHY CHECK ARGS...: run CHECK ARGS in a subshell with
# fresh counts; it must pass once (WANT pass) or fail once (WANT fail),
# and when it fails, its line must hold WHY.
check() {
	_want=$1 _name=$2 _why=$3
	shift 3
	_counts=$(
		T_PASS=0
		T_FAIL=0
		"$@" >"$T_DIR/said" 2>&1
		echo "$T_PASS $T_FAIL"
	)
	case $_want in
	pass)	_wc="1 0" ;;
	fail)	_wc="0 1" ;;
	esac
	if [ "$_counts" != "$_wc" ]; then
		t_fail "$_name" "passes and failures '$_counts', want '$_wc': \
$(cat "$T_DIR/said")"
	elif [ "$_want" = fail ] && ! grep -F -q -e "FAIL - x: " \
	    "$T_DIR/said"; then
		t_fail "$_name" "no FAIL line: $(cat "$T_DIR/said")"
	elif [ "$_want" = fail ] && ! grep -F -q -e "$_why" "$T_DIR/said"; then
		t_fail "$_name" "'$_why' not said: $(cat "$T_DIR/said")"
	else
		t_pass "$_name"
	fi
}

F=$T_DIR/file
printf 'alpha beta\ngamma\n' >"$F"
MISSING=$T_DIR/missing
DIR=$T_DIR/dir
mkdir "$DIR"

check pass "assert_eq: equal" "" assert_eq x abc abc
check fail "assert_eq: differ" "got 'abc', want 'abd'" assert_eq x abc abd
check fail "assert_eq: got nothing" "want 'abc'" assert_eq x "" abc
check fail "assert_eq: want nothing" "empty want" assert_eq x "" ""
check fail "assert_eq: want nothing, got something" "empty want" \
    assert_eq x abc ""

check pass "assert_between: inside" "" assert_between x 5 3 8
check pass "assert_between: at the ends" "" assert_between x 3 3 3
check fail "assert_between: below" "got '2', want 3 to 8" \
    assert_between x 2 3 8
check fail "assert_between: above" "got '9', want 3 to 8" \
    assert_between x 9 3 8
check fail "assert_between: nothing" "got '', want 3 to 8" \
    assert_between x "" 3 8

check pass "assert_empty: empty" "" assert_empty x ""
check fail "assert_empty: not empty" "got 'abc'" assert_empty x abc

check pass "assert_contains: there" "" assert_contains x "$F" "a be"
check fail "assert_contains: not there" "'delta' not in file" \
    assert_contains x "$F" delta
check fail "assert_contains: missing file" "no file $MISSING" \
    assert_contains x "$MISSING" alpha
check fail "assert_contains: a directory" "cannot search $DIR" \
    assert_contains x "$DIR" alpha
check fail "assert_contains: empty string" "empty string" \
    assert_contains x "$F" ""

check pass "assert_not_contains: not there" "" \
    assert_not_contains x "$F" delta
check fail "assert_not_contains: there" "'gamma' found in file" \
    assert_not_contains x "$F" gamma
check fail "assert_not_contains: missing file" "no file $MISSING" \
    assert_not_contains x "$MISSING" delta
check fail "assert_not_contains: a directory" "cannot search $DIR" \
    assert_not_contains x "$DIR" delta
check fail "assert_not_contains: empty string" "empty string" \
    assert_not_contains x "$F" ""

check pass "assert_line: whole line" "" assert_line x "$F" gamma
check fail "assert_line: part of a line" "no line 'alpha'" \
    assert_line x "$F" alpha
check fail "assert_line: missing file" "no file $MISSING" \
    assert_line x "$MISSING" gamma
check fail "assert_line: a directory" "cannot search $DIR" \
    assert_line x "$DIR" gamma
check fail "assert_line: empty line" "empty line" assert_line x "$F" ""

check pass "assert_matches: matches" "" assert_matches x "$F" '^GAM+A$'
check fail "assert_matches: no match" "/^beta/ not in file" \
    assert_matches x "$F" '^beta'
check fail "assert_matches: missing file" "no file $MISSING" \
    assert_matches x "$MISSING" alpha
check fail "assert_matches: a directory" "cannot search $DIR" \
    assert_matches x "$DIR" alpha
check fail "assert_matches: bad pattern" "cannot search $F" \
    assert_matches x "$F" 'a(b'
check fail "assert_matches: empty pattern" "empty pattern" \
    assert_matches x "$F" ""

check pass "assert_not_matches: no match" "" \
    assert_not_matches x "$F" '^beta'
check fail "assert_not_matches: matches" "found in file: alpha beta" \
    assert_not_matches x "$F" 'ph.*TA'
check fail "assert_not_matches: missing file" "no file $MISSING" \
    assert_not_matches x "$MISSING" '^beta'
check fail "assert_not_matches: a directory" "cannot search $DIR" \
    assert_not_matches x "$DIR" '^beta'
check fail "assert_not_matches: bad pattern" "cannot search $F" \
    assert_not_matches x "$F" 'a(b'
check fail "assert_not_matches: empty pattern" "empty pattern" \
    assert_not_matches x "$F" ""

cp "$F" "$T_DIR/copy"
printf 'alpha beta\ngamma!\n' >"$T_DIR/other"
check pass "assert_same: identical" "" assert_same x "$F" "$T_DIR/copy"
check fail "assert_same: differ" "differ" assert_same x "$F" "$T_DIR/other"
check fail "assert_same: got missing" "no readable file $MISSING" \
    assert_same x "$MISSING" "$F"
check fail "assert_same: want missing" "no readable file $MISSING" \
    assert_same x "$F" "$MISSING"
check fail "assert_same: both missing" "no readable file $MISSING" \
    assert_same x "$MISSING" "$MISSING"
check fail "assert_same: a directory" "no readable file $DIR" \
    assert_same x "$DIR" "$DIR"

# assert_run reads what run_postie leaves: rc, out and err in $T_DIR.
check fail "assert_run: not run" "no file $T_DIR/rc" assert_run x 0
echo 75 >"$T_DIR/rc"
echo "queued as X" >"$T_DIR/out"
echo "postie: connection refused" >"$T_DIR/err"
check pass "assert_run: status" "" assert_run x 75
check pass "assert_run: status and stdout" "" assert_run x 75 "queued as"
check pass "assert_run: status and stderr" "" assert_run x 75 "refused"
check fail "assert_run: other status" "exit 75, want 0" assert_run x 0
check fail "assert_run: not printed" "'timed out' not printed" \
    assert_run x 75 "timed out"
check fail "assert_run: empty status" "empty exit status" assert_run x ""
check fail "assert_run: empty string" "empty string" assert_run x 75 ""

# t_done's status: 1 when anything failed, else 0.
assert_eq "t_done: status 1 after a failure" \
    "$( (T_PASS=1; T_FAIL=1; t_done >/dev/null); echo $?)" 1
assert_eq "t_done: status 0 when all passed" \
    "$( (T_PASS=1; T_FAIL=0; t_done >/dev/null); echo $?)" 0


# t_samples: all trials at scale 1, a fifth at scale 5, never none.
assert_eq "t_samples: scale 1" "$(TEST_TIME_SCALE=1 t_samples 120)" 120
assert_eq "t_samples: unset" "$(unset TEST_TIME_SCALE; t_samples 120)" 120
assert_eq "t_samples: scale 5" "$(TEST_TIME_SCALE=5 t_samples 120)" 24
assert_eq "t_samples: at least one" "$(TEST_TIME_SCALE=5 t_samples 3)" 1

# t_kill signals this shell's children only: not a process started by
# another (as a reused number would be), and not one that has ended.
sleep 30 &
_mine=$!
_other=$(sh -c 'sleep 30 >/dev/null 2>&1 & echo $!')
assert_eq "t_kill: not another's process" \
    "$(t_kill "$_other" && echo sent || echo spared)" spared
assert_eq "t_kill: that process still runs" \
    "$(kill -0 "$_other" 2>/dev/null && echo yes)" yes
kill "$_other" 2>/dev/null
assert_eq "t_kill: this shell's child" \
    "$(t_kill "$_mine" && echo sent || echo spared)" sent
wait "$_mine"
assert_eq "t_kill: it got TERM" "$?" 143
assert_eq "t_kill: once reaped, never again" \
    "$(t_kill -KILL "$_mine" && echo sent || echo spared)" spared

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# The licence: LICENSE is the ISC licence, and every source file, script,
# build file and manual page says so in an SPDX line near its top (the
# first line, or the second after a #! line).
. "$(dirname "$0")/lib.sh"

top=$(cd "$TESTS_SRCDIR/.." && pwd)
t_tmpdir

assert_matches "LICENSE is the ISC licence" "$top/LICENSE" \
    "^Permission to use, copy, modify, and distribute this software"

# spdx_missing FILE...: the files without the SPDX line in their first
# three lines, one a line.
spdx_missing() {
	for _f in "$@"; do
		head -n 3 "$_f" | grep -q 'SPDX-License-Identifier: ISC' ||
		    echo "${_f#"$top"/}"
	done
}

# The check can fail: a file without the line.
printf '/* no licence here */\nint x;\n' >"$T_DIR/bare.c"
assert_eq "a file without the line is found" \
    "$(spdx_missing "$T_DIR/bare.c")" "${T_DIR#"$top"/}/bare.c"

n=0
list=$T_DIR/files
: >"$list"
for d in cmd src tests/unit tests/integration tests/system tests/fuzz \
    tests/valgrind bench m4 man systemd completion; do
	[ -d "$top/$d" ] || continue
	find "$top/$d" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \
	    -o -name '*.sh' -o -name '*.py' -o -name '*.m4' -o -name '*.in' \
	    -o -name '*.[158]' -o -name '*.bash' -o -name '*.timer' \) \
	    >>"$list"
done
find "$top/scripts" -maxdepth 1 -type f >>"$list"
for f in configure.ac Makefile.am; do
	[ -f "$top/$f" ] && echo "$top/$f" >>"$list"
done
n=$(wc -l <"$list")
# shellcheck disable=SC2046
missing=$(spdx_missing $(cat "$list"))
assert_empty "every one of $n source files has its SPDX line" "$missing"
t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# The built binary, read with readelf: the hardening configure added
# (HARDENING: pie relro bindnow stack-protector fortify) is in it, and
# only the functions the C library lacks (FROM_LIBBSD) come from libbsd.
# The checks are first run on a binary built here without hardening,
# where each must fail.
. "$(dirname "$0")/lib.sh"

t_tmpdir
command -v readelf >/dev/null 2>&1 ||
    t_hard_error "readelf (binutils) is not installed"
[ -n "${POSTIE_BINARY:-}" ] && [ -f "$POSTIE_BINARY" ] ||
    t_hard_error "POSTIE_BINARY='${POSTIE_BINARY:-}' is not a file"
[ "${HARDENING+set}" = set ] && [ "${FROM_LIBBSD+set}" = set ] ||
    t_hard_error "HARDENING and FROM_LIBBSD are not set (run by make check)"

# has PROPERTY FILE: FILE shows PROPERTY.
has() {
	case $1 in
	pie)	readelf -hW "$2" | grep -Eq '^ *Type: *DYN' &&
		    readelf -dW "$2" | grep -Eq '\(FLAGS_1\).* PIE' ;;
	relro)	readelf -lW "$2" | grep -q GNU_RELRO ;;
	bindnow) readelf -dW "$2" |
		    grep -Eq '\(BIND_NOW\)|\(FLAGS\).* BIND_NOW|\(FLAGS_1\).* NOW' ;;
	stack-protector)
		imports "$2" | grep -q '^__stack_chk_fail$' ;;
	fortify) imports "$2" | grep -Eq '^__[a-z0-9_]+_chk$' ;;
	*)	return 2 ;;
	esac
}

# imports FILE: the names FILE takes from shared libraries, one a line.
imports() {
	readelf --dyn-syms -W "$1" | awk '$7 == "UND" { print $8 }' |
	    sed 's/@.*//'
}

# The checks can fail: a binary without any of it.
cat >"$T_DIR/plain.c" <<'EOF'
#include <stdio.h>
#include <string.h>
int
main(int argc, char **argv)
{
	char buf[16];

	strcpy(buf, argc > 1 ? argv[1] : "x");
	puts(buf);
	return 0;
}
EOF
if ${CC:-cc} -O2 -U_FORTIFY_SOURCE -fno-stack-protector -fno-pie -no-pie \
    -Wl,-z,norelro -Wl,-z,lazy -o "$T_DIR/plain" "$T_DIR/plain.c" \
    >"$T_DIR/cc.log" 2>&1; then
	for p in pie relro bindnow stack-protector fortify; do
		if has "$p" "$T_DIR/plain"; then
			t_fail "$p: seen in a binary built without it" \
			    "the check cannot fail"
		else
			t_pass "$p: not seen in a binary built without it"
		fi
	done
else
	t_fail "a binary without hardening" "${CC:-cc}: $(head -n 3 \
	    "$T_DIR/cc.log")"
fi

echo "# configure added: ${HARDENING:-nothing}"
for p in $HARDENING; do
	if has "$p" "$POSTIE_BINARY"; then
		t_pass "$p: in postie"
	else
		t_fail "$p" "not in $POSTIE_BINARY"
	fi
done

# Each name bound to libbsd (name@LIBBSD_x.y) is one the C library
# lacks; without any, libbsd is not even loaded.
echo "# from libbsd: ${FROM_LIBBSD:-nothing}"
bsd=$(readelf --dyn-syms -W "$POSTIE_BINARY" |
    awk '$7 == "UND" && $8 ~ /@LIBBSD_/ { sub(/@.*/, "", $8); print $8 }' |
    sort -u | tr '\n' ' ')
extra=
for f in $bsd; do
	case " $FROM_LIBBSD " in
	*" $f "*) ;;
	*) extra="$extra $f" ;;
	esac
done
assert_empty "only what the C library lacks is bound to libbsd" "$extra"
if [ -z "$FROM_LIBBSD" ]; then
	if readelf -dW "$POSTIE_BINARY" | grep -q 'NEEDED.*libbsd'; then
		t_fail "no libbsd" "postie needs libbsd for nothing but links it"
	else
		t_pass "no libbsd"
	fi
else
	case $bsd in
	'') t_fail "libbsd" "nothing bound to it, want some of: $FROM_LIBBSD" ;;
	*) t_pass "libbsd for: $bsd" ;;
	esac
fi
t_done

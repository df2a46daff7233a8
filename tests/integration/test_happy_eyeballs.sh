#!/bin/sh
# SPDX-License-Identifier: ISC
# Happy Eyeballs (RFC 8305) on loopback.  A private /etc/hosts, mounted in
# a mount namespace of the test's own, gives he.test two addresses, ::1
# first, then 127.0.0.1.  On [::1]:PORT a listener whose accept backlog
# is full drops every SYN (proxy.py blackhole); on 127.0.0.1:PORT is the
# test server.  The -v trace must show ::1 tried first, 127.0.0.1 about
# 250 ms later, the IPv4 connection winning and the IPv6 attempt closed;
# with ::1 refusing at once, 127.0.0.1 tried at once; inet_protocols
# keeping to one family.  When this machine has no ::1, the test runs in
# a network namespace of its own, where the loopback interface has it.
# No other address is used.
. "$(dirname "$0")/lib.sh"

if [ -z "${HE_INSIDE:-}" ]; then
	t_need_postie
	# -r (a user namespace) lets a user other than root mount there.
	if [ "$(id -u)" -eq 0 ]; then _ns=-m; else _ns="-r -m"; fi
	if ! ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then
		_ns="$_ns -n"
	fi
	# shellcheck disable=SC2086
	if ! unshare $_ns true 2>/dev/null; then
		echo "SKIP - unshare $_ns is not permitted here: the test" \
		    "needs a mount namespace of its own for a private" \
		    "/etc/hosts"
		exit 77
	fi
	HE_INSIDE=$_ns
	export HE_INSIDE
	# shellcheck disable=SC2086
	exec unshare $_ns sh "$0"
fi

t_tmpdir
case $HE_INSIDE in
*-n*)
	ip link set lo up ||
	    t_hard_error "cannot bring lo up in the network namespace"
	;;
esac
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128' ||
    t_hard_error "no ::1 on lo: $(ip -6 addr show dev lo 2>&1)"

printf '127.0.0.1 localhost\n::1 he.test\n127.0.0.1 he.test\n' \
    >"$T_DIR/hosts"
if ! mount --bind "$T_DIR/hosts" /etc/hosts 2>"$T_DIR/mount.err"; then
	echo "SKIP - cannot mount a private /etc/hosts in the namespace:" \
	    "$(cat "$T_DIR/mount.err")"
	exit 77
fi
getent ahosts he.test >"$T_DIR/getent" 2>&1
assert_matches "the private hosts file is in place" "$T_DIR/getent" \
    "^::1 +STREAM he\.test"

printf 'Subject: eyeballs\n\nbody\n' >"$T_DIR/in.eml"

# blackhole_start: [::1]:$SRV_PORT drops SYNs.
blackhole_start() {
	rm -f "$T_DIR/bh.port"
	"$PYTHON3" "$TESTS_SRCDIR/integration/proxy.py" blackhole \
	    "$T_DIR/bh.port" "$SRV_PORT" >"$T_DIR/bh.log" 2>&1 &
	BH_PID=$!
	SRV_PIDS="$SRV_PIDS $BH_PID"
	_i=0
	while [ ! -s "$T_DIR/bh.port" ]; do
		kill -0 "$BH_PID" 2>/dev/null || t_hard_error \
		    "proxy.py blackhole failed: $(cat "$T_DIR/bh.log")"
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || t_hard_error "proxy.py blackhole: not " \
		    "ready after 10 s"
		sleep 0.05
	done
}

# attempts: the addresses tried, in order, from the -v trace.
attempts() {
	sed -n 's/^--- trying \([^ ]*\) (+[0-9]* ms)$/\1/p' "$T_DIR/err" |
	    tr '\n' ' ' | sed 's/ $//'
}

# offset N: the time offset in ms of the Nth attempt.
offset() {
	sed -n 's/^--- trying [^ ]* (+\([0-9]*\) ms)$/\1/p' "$T_DIR/err" |
	    sed -n "${1}p"
}

send() {
	_name=$1 _exit=$2
	shift 2
	write_config "host he.test" "tls off" "$@"
	run_postie_within 30 -v -i rcpt@example.org <"$T_DIR/in.eml"
	assert_run "$_name: exit $_exit" "$_exit"
}

server_start
blackhole_start

send "::1 black-holes" 0
assert_eq "::1 black-holes: delivered" "$(srv_nmessages)" 1
assert_eq "::1 black-holes: ::1 first, then 127.0.0.1, nothing else" \
    "$(attempts)" "[::1]:$SRV_PORT 127.0.0.1:$SRV_PORT"
_d=$(($(offset 2) - $(offset 1)))
assert_between "::1 black-holes: 127.0.0.1 about 250 ms later" "$_d" 245 1000
assert_matches "::1 black-holes: IPv4 connected" "$T_DIR/err" \
    "^--- connected to 127\.0\.0\.1:$SRV_PORT \(\+[0-9]+ ms\)$"
assert_matches "::1 black-holes: the IPv6 attempt closed" "$T_DIR/err" \
    "^--- closing the attempt to \[::1\]:$SRV_PORT "
assert_not_matches "::1 black-holes: ::1 never connected" "$T_DIR/err" \
    "^--- connected to \[::1\]"

send "inet_protocols ipv4" 0 "inet_protocols ipv4"
assert_eq "inet_protocols ipv4: delivered" "$(srv_nmessages)" 2
assert_eq "inet_protocols ipv4: only 127.0.0.1" "$(attempts)" \
    "127.0.0.1:$SRV_PORT"

# The timeout bounds the whole connect.
send "inet_protocols ipv6" 75 "inet_protocols ipv6" "timeout 2"
assert_eq "inet_protocols ipv6: only ::1" "$(attempts)" "[::1]:$SRV_PORT"
assert_contains "inet_protocols ipv6: timed out" "$T_DIR/err" \
    "postie: connect to he.test:$SRV_PORT failed: timed out after 2 s"
assert_eq "inet_protocols ipv6: not delivered" "$(srv_nmessages)" 2

# ::1 refuses: the next address is tried at once.
t_kill "$BH_PID"
wait "$BH_PID" 2>/dev/null
send "::1 refuses" 0
assert_eq "::1 refuses: delivered" "$(srv_nmessages)" 3
assert_eq "::1 refuses: ::1 first, then 127.0.0.1" "$(attempts)" \
    "[::1]:$SRV_PORT 127.0.0.1:$SRV_PORT"
assert_contains "::1 refuses: the refusal traced" "$T_DIR/err" \
    "--- [::1]:$SRV_PORT failed: Connection refused"
_d=$(($(offset 2) - $(offset 1)))
assert_between "::1 refuses: 127.0.0.1 tried at once" "$_d" 0 200

t_done

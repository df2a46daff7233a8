#!/bin/sh
# SPDX-License-Identifier: ISC
# Name lookups have a deadline.  In namespaces of the test's own (mount,
# UTS, network), resolv.conf names a resolver on 127.0.0.1:53 that takes
# every query and answers none (dnssink.py; with timeout:30 attempts:5,
# getaddrinfo alone would wait minutes), /etc/hosts knows only
# localhost, and nsswitch.conf asks files, then DNS.  The smarthost's
# name: postie gives up at its timeout, exit 75, the error naming the
# host; queued with the queue on.  This host's own canonical name, looked
# up for a host name without a dot: given up after 5 s, the name used as
# it is in EHLO, and the message delivered.
. "$(dirname "$0")/lib.sh"

if [ -z "${RS_INSIDE:-}" ]; then
	t_need_postie
	# -r (a user namespace) lets a user other than root do this.
	if [ "$(id -u)" -eq 0 ]; then _ns="-m -u -n"; else _ns="-r -m -u -n"; fi
	# shellcheck disable=SC2086
	if ! unshare $_ns true 2>/dev/null; then
		echo "SKIP - unshare $_ns is not permitted here: the test" \
		    "needs namespaces of its own for a private resolver"
		exit 77
	fi
	RS_INSIDE=yes
	export RS_INSIDE
	# shellcheck disable=SC2086
	exec unshare $_ns sh "$0"
fi

t_tmpdir
ip link set lo up ||
    t_hard_error "cannot bring lo up in the network namespace"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$T_DIR/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:5\n' \
    >"$T_DIR/resolv.conf"
printf 'hosts: files dns\n' >"$T_DIR/nsswitch.conf"
for _f in hosts resolv.conf nsswitch.conf; do
	if ! mount --bind "$T_DIR/$_f" "/etc/$_f" 2>"$T_DIR/mount.err"; then
		echo "SKIP - cannot mount a private /etc/$_f in the" \
		    "namespace: $(cat "$T_DIR/mount.err")"
		exit 77
	fi
done

# The resolver that never answers.
"$PYTHON3" "$TESTS_SRCDIR/integration/dnssink.py" "$T_DIR/dns.ready" \
    "$T_DIR/dns.log" >"$T_DIR/dns.out" 2>&1 &
SRV_PIDS="$SRV_PIDS $!"
trap 'server_stop_all; rm -rf "$T_DIR"' EXIT
_i=0
while [ ! -s "$T_DIR/dns.ready" ]; do
	_i=$((_i + 1))
	[ "$_i" -le 200 ] || t_hard_error "dnssink.py: not ready after 10 s:" \
	    "$(cat "$T_DIR/dns.out")"
	sleep 0.05
done

printf 'Subject: resolve\n\nbody\n' >"$T_DIR/in.eml"
hostname stall.example ||
    t_hard_error "cannot set the host name in the UTS namespace"

# 0. The base: one send to a server by address (valgrind makes it long).
server_start
write_config "tls off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "by address: delivered" 0
T_BASE=$T_ELAPSED

# 1. The smarthost's name gets no answer: given up at the timeout (3 s),
# not after the resolver's minutes.
write_config "tls off" "host smtp.stall.test" "timeout 3"
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "no answer: exit 75" 75 \
    "cannot resolve smtp.stall.test: no answer within 3 s"
assert_between "no answer: given up at the timeout" \
    "$T_ELAPSED" 2 $((T_BASE + 3 + 5))
assert_line "no answer: the resolver was asked" "$T_DIR/dns.log" \
    "smtp.stall.test"
assert_eq "no answer: nothing delivered" "$(srv_nmessages)" 1

# 2. The same with the queue on: kept for a retry, exit 0.
write_config "tls off" "host smtp.stall.test" "timeout 3" "queue on"
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "no answer, queue on: queued" 0 "queued as"
assert_contains "no answer, queue on: says why" "$T_DIR/err" \
    "no answer within 3 s"
assert_eq "no answer, queue on: one queued" "$(nqueued)" 1

# 3. A host name without a dot: its canonical name gets no answer; after
# 5 s the name is used as it is, and the message goes.
hostname stallhost ||
    t_hard_error "cannot set the host name in the UTS namespace"
: >"$T_DIR/dns.log"
write_config "tls off"
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "own name unresolved: delivered" 0
assert_between "own name unresolved: given up after 5 s" \
    "$T_ELAPSED" 4 $((T_BASE + 5 + 5))
assert_line "own name unresolved: the resolver was asked" \
    "$T_DIR/dns.log" "stallhost"
assert_matches "own name unresolved: EHLO with the name as it is" \
    "$SRV_TRANSCRIPT" "^C: EHLO stallhost$"
assert_eq "own name unresolved: delivered once" "$(srv_nmessages)" 2

t_done

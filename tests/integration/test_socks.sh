#!/bin/sh
# SPDX-License-Identifier: ISC
# proxy_host and proxy_port: SOCKS5 (RFC 1928) to a proxy in the test
# (proxy.py socks5), CONNECT by name so that the proxy resolves it (the
# name, other.example, resolves nowhere else), STARTTLS over the proxied
# connection verified against that name; a refused CONNECT is temporary
# (75 with the queue off, kept in the queue with it on); a proxy that
# wants authentication, one that is down, and a server that is no SOCKS5
# proxy.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

printf 'Subject: socks\n\nbody\n' >"$T_DIR/in.eml"

# socks_start ARGS...: proxy.py socks5 with ARGS; sets PROXY_PORT and
# PROXY_LOG (its CONNECT requests).
PROXY_N=0
socks_start() {
	PROXY_N=$((PROXY_N + 1))
	PROXY_LOG=$T_DIR/proxy$PROXY_N.log
	: >"$PROXY_LOG"
	"$PYTHON3" "$TESTS_SRCDIR/integration/proxy.py" socks5 \
	    "$T_DIR/proxy$PROXY_N.port" "$PROXY_LOG" "$@" \
	    >"$T_DIR/proxy$PROXY_N.out" 2>&1 &
	SRV_PIDS="$SRV_PIDS $!"
	_i=0
	while [ ! -s "$T_DIR/proxy$PROXY_N.port" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || t_hard_error "proxy.py socks5 did not " \
		    "start: $(cat "$T_DIR/proxy$PROXY_N.out")"
		sleep 0.05
	done
	PROXY_PORT=$(cat "$T_DIR/proxy$PROXY_N.port")
}

# send NAME EXIT [CONFIG LINE...]: the smarthost other.example through
# the proxy, with the lines added; -v.
send() {
	_name=$1 _exit=$2
	shift 2
	write_config "host other.example" "proxy_host 127.0.0.1" \
	    "proxy_port $PROXY_PORT" "$@"
	run_postie_within 30 -v -i rcpt@example.org <"$T_DIR/in.eml"
	assert_run "$_name: exit $_exit" "$_exit"
}

# The server's certificate is for other.example.
server_start_tls wrongname --starttls
socks_start --map "other.example=127.0.0.1"
send "through the proxy" 0
assert_eq "through the proxy: delivered" "$(srv_nmessages)" 1
assert_line "through the proxy: CONNECT by name" "$PROXY_LOG" \
    "CONNECT 3 other.example $SRV_PORT"
assert_contains "through the proxy: -v shows the CONNECT" "$T_DIR/err" \
    "--- SOCKS5 CONNECT other.example:$SRV_PORT"
assert_contains "through the proxy: -v shows the proxy's address" \
    "$T_DIR/err" "--- connected to 127.0.0.1:$PROXY_PORT"
assert_contains "through the proxy: STARTTLS verified other.example" \
    "$T_DIR/err" "TLSv1."

# The proxy cannot reach the name: its reply is the error.
send "unknown to the proxy" 75 "host nowhere.example"
_p="postie: SOCKS5 proxy 127.0.0.1:$PROXY_PORT: refused to connect to"
assert_contains "unknown to the proxy: says so" "$T_DIR/err" \
    "$_p nowhere.example:$SRV_PORT: host unreachable (reply 4)"

# A refused CONNECT: 75 with the queue off ...
socks_start --refuse 5
send "CONNECT refused" 75
_p="postie: SOCKS5 proxy 127.0.0.1:$PROXY_PORT: refused to connect to"
assert_contains "CONNECT refused: names proxy and host" "$T_DIR/err" \
    "$_p other.example:$SRV_PORT: connection refused (reply 5)"
no_more() {
	assert_eq "$1: not delivered" "$(srv_nmessages)" 1
}
no_more "CONNECT refused"

# ... kept for later with it on (policy: a temporary failure).
send "CONNECT refused, queue on" 0 "queue on" "queue_flush off"
assert_eq "CONNECT refused, queue on: kept in the queue" "$(nqueued)" 1
assert_contains "CONNECT refused, queue on: says why" "$T_DIR/err" \
    "refused to connect to other.example:$SRV_PORT"
no_more "CONNECT refused, queue on"

# A proxy that wants a password: postie offers none.
socks_start --auth-only
send "proxy wants authentication" 69
assert_contains "proxy wants authentication: says so" "$T_DIR/err" \
    "the proxy requires authentication, and postie offers none"
assert_empty "proxy wants authentication: no CONNECT sent" \
    "$(cat "$PROXY_LOG")"

# A proxy that is down.
_up=$SRV_PORT _rec=$SRV_RECORD
server_down
PROXY_PORT=$SRV_PORT
SRV_PORT=$_up SRV_RECORD=$_rec
send "proxy down" 75
_p="postie: SOCKS5 proxy: connect to 127.0.0.1:$PROXY_PORT failed:"
assert_contains "proxy down: says so" "$T_DIR/err" \
    "$_p Connection refused"

# An SMTP server where the proxy should be: its greeting is no reply.
PROXY_PORT=$SRV_PORT
send "not a proxy" 76
assert_contains "not a proxy: says so" "$T_DIR/err" \
    "not a SOCKS5 proxy: it answered version 50"
no_more "not a proxy"

t_done

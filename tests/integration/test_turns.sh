#!/bin/sh
# SPDX-License-Identifier: ISC
# Round trips at the RFC floor, counted by turns.py as bench/RESULTS.md
# counts them: STARTTLS + AUTH PLAIN in 6 without CHUNKING and 5 with it,
# implicit TLS in 4 and 3.  BDAT sends the exact CRLF bytes, undotted.
# AUTH failure with the envelope pipelined: with DATA nothing of the
# message is sent even after 354; with BDAT a refusal is the AUTH error
# and an acceptance a delivery with a warning.  A server that stalls
# after QUIT does not hold postie.  chunking off sends DATA.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='s3cret-Pa55w0rd'
printf 'Subject: turns\n\n.a line that starts with a dot\nand one without a newline' \
    >"$T_DIR/in.eml"
# What the server must receive as the body: CRLF line ends, the dot as
# written, a CRLF added at the end.
printf '.a line that starts with a dot\r\nand one without a newline\r\n' \
    >"$T_DIR/want.body"

# start MODE [ARGS...]: turns.py over MODE (starttls or implicit) with
# AUTH PLAIN for $USER, and the config to match.
start() {
	_mode=$1
	shift
	if [ "$_mode" = implicit ]; then
		turns_start --cert "$T_CERTS/good.pem" --key "$T_CERTS/good.key" \
		    --implicit-tls --auth "$USER:$PASS" "$@"
		_tls="tls_starttls off"
	else
		turns_start --cert "$T_CERTS/good.pem" --key "$T_CERTS/good.key" \
		    --starttls --auth "$USER:$PASS" "$@"
		_tls="tls_starttls on"
	fi
}

# send [CONFIG-LINE...]: one message to rcpt@example.org, then the
# server's stats line in $T_DIR/stats (the server is stopped first, so
# that the line is complete).
send() {
	write_config "$_tls" "auth plain" "user $USER" "password $PASS" "$@"
	run_postie_within 20 rcpt@example.org <"$T_DIR/in.eml"
	_i=0
	while [ ! -s "$SRV_STATS" ] && [ "$_i" -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	server_stop
	cp "$SRV_STATS" "$T_DIR/stats"
}

# stat KEY: a value of the stats line.
stat() {
	sed -n "s/.*\\<$1=\\([^ ]*\\).*/\\1/p" "$T_DIR/stats"
}

# turns NAME WANT: the session took WANT round trips.
turns() {
	assert_eq "$1: $2 round trips ($(stat at))" "$(stat waits)" "$2"
}

# received NAME: the server holds the message with CRLF line ends only
# (postie adds header fields) and the body exactly as wanted.
received() {
	if [ ! -f "$SRV_RECORD/1.eml" ]; then
		t_fail "$1: message received" "nothing in $SRV_RECORD"
		return
	fi
	"$PYTHON3" -c 'import sys
m = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(m.split(b"\r\n\r\n", 1)[1])
rest = m.replace(b"\r\n", b"")
sys.exit(b"\r" in rest or b"\n" in rest)' \
	    "$SRV_RECORD/1.eml" >"$T_DIR/got.body"
	_rc=$?
	if [ "$_rc" -ne 0 ]; then
		t_fail "$1: message received byte for byte" "a bare LF or CR"
	elif cmp -s "$T_DIR/got.body" "$T_DIR/want.body"; then
		t_pass "$1: message received byte for byte"
	else
		t_fail "$1: message received byte for byte" \
		    "$(od -c "$T_DIR/got.body" | head -3)"
	fi
}

start starttls
send
assert_run "STARTTLS, DATA: delivered" 0
turns "STARTTLS, DATA" 6
assert_eq "STARTTLS, DATA: sent with DATA" "$(stat data)" 1
assert_eq "STARTTLS, DATA: AUTH ok" "$(stat auth)" ok
received "STARTTLS, DATA"

start starttls --chunking
send
assert_run "STARTTLS, BDAT: delivered" 0
turns "STARTTLS, BDAT" 5
assert_eq "STARTTLS, BDAT: one BDAT" "$(stat bdat)" 1
assert_eq "STARTTLS, BDAT: no DATA" "$(stat data)" 0
received "STARTTLS, BDAT"

start implicit
send
assert_run "implicit TLS, DATA: delivered" 0
turns "implicit TLS, DATA" 4
received "implicit TLS, DATA"

start implicit --chunking
send
assert_run "implicit TLS, BDAT: delivered" 0
turns "implicit TLS, BDAT" 3
received "implicit TLS, BDAT"

# The account can turn CHUNKING off.
start implicit --chunking
send "chunking off"
assert_run "chunking off: delivered" 0
assert_eq "chunking off: DATA, not BDAT" "$(stat data) $(stat bdat)" "1 0"
turns "chunking off" 4

# AUTH fails, the relay refuses the envelope: the AUTH error (77).
PASS_GOOD=$PASS
start implicit --chunking
PASS=wrong-password
send
assert_run "BDAT, AUTH refused: the AUTH error" 77 \
    "at AUTH PLAIN: 535 5.7.8 authentication failed"
assert_eq "BDAT, AUTH refused: nothing delivered" "$(stat msgs)" 0

# AUTH fails but the relay takes mail by address: BDAT LAST got 250, so
# the message is delivered, once, with a warning.
PASS=$PASS_GOOD
start implicit --chunking --relay
PASS=wrong-password
send
assert_run "BDAT, AUTH failed, accepted: delivered" 0 \
    "postie: warning: 127.0.0.1:$SRV_PORT: at AUTH PLAIN: 535 5.7.8"
assert_contains "BDAT, AUTH failed, accepted: the warning says so" \
    "$T_DIR/err" "the server accepted the message"
assert_eq "BDAT, AUTH failed, accepted: one message" "$(stat msgs)" 1
received "BDAT, AUTH failed, accepted"

# Same relay with DATA: 354 comes, nothing of the message is sent.
PASS=$PASS_GOOD
start implicit --relay
PASS=wrong-password
send
assert_run "DATA, AUTH failed, 354 anyway: the AUTH error" 77 \
    "at AUTH PLAIN: 535 5.7.8 authentication failed"
assert_eq "DATA, AUTH failed, 354 anyway: nothing delivered" \
    "$(stat msgs)" 0
PASS=$PASS_GOOD

# After the final 250 the 221 is not worth waiting for: a server that
# stays silent after QUIT (three times the timeout) does not hold
# postie.  "At once": within 3 s, well under the timeout (both scaled
# by t_secs, since valgrind makes a run take seconds).
_to=$(t_secs 10)
for chunking in "" --chunking; do
	start implicit $chunking --quit-stall $((_to * 3))
	write_config "$_tls" "auth plain" "user $USER" "password $PASS" \
	    "timeout $_to"
	_q0=$(date +%s%N)
	run_postie_within 20 rcpt@example.org <"$T_DIR/in.eml"
	_ms=$((($(date +%s%N) - _q0) / 1000000))
	assert_run "QUIT unanswered${chunking:+, BDAT}: delivered" 0
	if [ "$_ms" -lt "$(t_secs 3000)" ]; then
		t_pass "QUIT unanswered${chunking:+, BDAT}: done in ${_ms} ms"
	else
		t_fail "QUIT unanswered${chunking:+, BDAT}: done at once" \
		    "took ${_ms} ms, timeout ${_to} s"
	fi
	server_stop
done

t_done

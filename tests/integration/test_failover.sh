#!/bin/sh
# SPDX-License-Identifier: ISC
# Failover (postie(1), "Failover"; postie.conf(5) fallback): when the
# first account fails at connection or account level, or temporarily
# before DATA, the fallback account sends the message with the first
# account's headers and its own from as the envelope sender; when both
# fail the message stays queued under the first account; a recipient
# deferred with 4xx stays queued for the first; after the final dot
# nothing goes to the fallback.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

QDIR=$POSTIE_QUEUE_DIR

# conf P1 P2 LINE...: account test at port P1 (each LINE added) with
# fallback second, at port P2.
conf() {
	CONFIG=$HOME/.config/postie/config
	mkdir -p "$HOME/.config/postie"
	{
		echo "defaults"
		echo "syslog off"
		echo "logfile $T_DIR/postie.log"
		echo "queue on"
		echo "bounce off"
		echo "timeout 10"
		echo "tls off"
		echo
		echo "account second"
		echo "host 127.0.0.1"
		echo "port $2"
		echo "from second@example.org"
		echo
		echo "account test"
		echo "host 127.0.0.1"
		echo "port $1"
		echo "from sender@example.org"
		echo "fallback second"
		shift 2
		for _l in "$@"; do
			echo "$_l"
		done
	} >"$CONFIG"
	chmod 600 "$CONFIG"
}

printf 'From: sender@example.org\nSubject: failover\n\nbody\n' \
    >"$T_DIR/in.eml"

# --- The first account's server is down: the second sends it.
server_down
P1=$SRV_PORT
server_start
P2=$SRV_PORT
conf "$P1" "$P2"
run_postie -a test -v -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "down: exit 0" 0
assert_eq "down: the fallback's server got it" "$(srv_nmessages)" 1
assert_eq "down: the fallback's from is the envelope sender" \
    "$(srv_envelope 1)" "second@example.org rcpt@example.org"
assert_contains "down: the headers are the first account's" \
    "$SRV_RECORD/1.eml" "From: sender@example.org"
assert_contains "down: -v says it tries the fallback" "$T_DIR/err" \
    "account test failed"
assert_contains "down: -v names it" "$T_DIR/err" \
    "sent through fallback account second"
assert_eq "down: nothing queued" "$(nqueued)" 0
assert_matches "down: the log record names the account that sent it" \
    "$T_DIR/postie.log" \
    "host=127\.0\.0\.1 port=$P2 .* account=second fallback_for=test exitcode=EX_OK"
assert_matches "down: the first account's record is as ever" \
    "$T_DIR/postie.log" "host=127\.0\.0\.1 port=$P1 .* exitcode=EX_TEMPFAIL error="
assert_not_matches "down: the first account's record names no fallback" \
    "$T_DIR/postie.log" "port=$P1 .*fallback_for"

# --- The first account's server refuses AUTH: the second sends it.
server_start --auth "alice:right" --auth-cleartext
P1=$SRV_PORT
A1_RECORD=$SRV_RECORD
server_start
P2=$SRV_PORT
conf "$P1" "$P2" "auth plain" "user alice" "password wrong" \
    "allow_cleartext_auth on"
run_postie -a test -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "auth refused: exit 0" 0
assert_eq "auth refused: the fallback's server got it" "$(srv_nmessages)" 1
assert_eq "auth refused: the first's got nothing" \
    "$(ls "$A1_RECORD" 2>/dev/null | grep -c '\.json$')" 0

# --- Both down: kept under the first account, tried again at a flush.
server_down
P1=$SRV_PORT
server_down
P2=$SRV_PORT
conf "$P1" "$P2"
run_postie -a test -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "both down: exit 0 (queued)" 0 "queued as"
assert_eq "both down: queued" "$(nqueued)" 1
ID=$(qids)
assert_eq "both down: under the first account" "$(env_get "$ID" account)" \
    test
assert_contains "both down: the reason names the fallback's" \
    "$QDIR/$ID.env" "fallback second:"
run_postie -q
assert_eq "both down, flush: still queued" "$(qids)" "$ID"
assert_eq "both down, flush: still under the first account" \
    "$(env_get "$ID" account)" test
server_start
P2=$SRV_PORT
conf "$P1" "$P2"
run_postie -q
assert_run "fallback back, flush: exit 0" 0
assert_eq "fallback back, flush: the fallback sent it" "$(srv_nmessages)" 1
assert_eq "fallback back, flush: queue empty" "$(nqueued)" 0

# --- A recipient deferred with 4xx stays queued for the first account.
server_start --reply-at "rcpt:later@=451 4.2.1 try later"
P1=$SRV_PORT
A1_RECORD=$SRV_RECORD
server_start
P2=$SRV_PORT
conf "$P1" "$P2"
run_postie -a test -i good@example.org later@example.org <"$T_DIR/in.eml"
assert_run "4xx recipient: exit 0" 0
assert_eq "4xx recipient: the first delivered the other" \
    "$(ls "$A1_RECORD" | grep -c '\.json$')" 1
assert_eq "4xx recipient: the fallback got nothing" "$(srv_nmessages)" 0
ID=$(qids)
assert_eq "4xx recipient: it waits under the first account" \
    "$(env_get "$ID" account) $(env_get "$ID" rcpt)" \
    "test later@example.org"
rm -f "$QDIR"/*.env "$QDIR"/*.msg

# --- After the final dot: never the fallback.
for fault in "554 5.6.0 rejected" "451 4.3.0 later" lost; do
	case $fault in
	lost)	server_start --close-after-dot ;;
	*)	server_start --reply-at "dot=$fault" ;;
	esac
	P1=$SRV_PORT
	server_start
	P2=$SRV_PORT
	conf "$P1" "$P2"
	run_postie -a test -i rcpt@example.org <"$T_DIR/in.eml"
	assert_eq "dot $fault: the fallback got nothing" "$(srv_nmessages)" 0
	case $fault in
	5*)	assert_eq "dot $fault: in failed/" "$(nfailed)" 1 ;;
	*)	assert_eq "dot $fault: queued for the first" \
		    "$(env_get "$(qids)" account)" test ;;
	esac
	rm -f "$QDIR"/*.env "$QDIR"/*.msg
done

# --- An unknown fallback account is said, and the message kept.
server_down
conf "$SRV_PORT" 1 "fallback nosuch"
run_postie -a test -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "unknown fallback: exit 0 (queued)" 0 "fallback nosuch: no such account"
assert_eq "unknown fallback: queued" "$(nqueued)" 1
run_postie --config-check
assert_contains "unknown fallback: --config-check names it" "$T_DIR/out" \
    "problem: fallback nosuch: no such account"

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# Servers that refuse, stall, hang up or talk nonsense: each failure
# gives its sysexits code and a message naming what went wrong.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='s3cret-Pa55w0rd'
printf 'Subject: faults\n\nbody\n' >"$T_DIR/in.eml"

# fault NAME EXIT ERE SERVER-ARGS...: a cleartext server with
# SERVER-ARGS (left running); postie sending to rcpt@example.org, with
# timeout $TIMEOUT when set, exits EXIT and says ERE (when not empty).
fault() {
	_name=$1 _exit=$2 _ere=$3
	shift 3
	server_start "$@"
	write_config "tls off" ${TIMEOUT:+"timeout $TIMEOUT"}
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
	assert_run "$_name: exit $_exit" "$_exit"
	[ -n "$_ere" ] && assert_matches "$_name: says /$_ere/" \
	    "$T_DIR/err" "$_ere"
	return 0
}

# Wrong password: the server's 535 reply is passed on.
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "auth plain" "user $USER" "password wrong-$PASS"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "wrong password: exit 77" 77
assert_matches "wrong password: the server's 535 text" "$T_DIR/err" \
    "535.*Authentication credentials invalid"
# AUTH PLAIN led the pipelined envelope (RFC 4954 4): nothing of the
# message follows its failure.
assert_matches "wrong password: AUTH led the envelope" "$SRV_TRANSCRIPT" \
    "^C: MAIL"
assert_not_matches "wrong password: nothing of the message sent" \
    "$SRV_TRANSCRIPT" "^C: Subject: faults"
assert_eq "wrong password: nothing delivered" "$(srv_nmessages)" 0
assert_not_contains "wrong password: password not printed" "$T_DIR/err" \
    "wrong-$PASS"
server_stop

# Stalls: with timeout 2, postie gives up in a bounded time: 10 s more
# than one send to a server that answers takes (the base: seconds, or
# more under valgrind on a loaded machine).
fault "base: a server that answers" 0 ""
T_BASE=$T_ELAPSED
server_stop
TIMEOUT=2
for stage in greeting ehlo dot; do
	fault "stall at $stage" 75 "time" --stall-at "$stage"
	assert_between "stall at $stage: gave up within 10 s of the base" \
	    "$T_ELAPSED" 0 $((T_BASE + 9))
	server_stop
done
TIMEOUT=

fault "closed after the final dot" 75 "final dot" --close-after-dot
assert_matches "closed after the final dot: the data was sent" \
    "$SRV_TRANSCRIPT" "^\* closing after the final dot"
server_stop

# One of two recipients refused: the other gets the message, exit 67.
server_start --reply-at "rcpt:bad=550 5.1.1 no such user"
write_config "tls off"
run_postie_within 30 -i good@example.org bad@example.org <"$T_DIR/in.eml"
assert_run "one recipient refused: exit 67" 67
assert_contains "one recipient refused: names it" "$T_DIR/err" \
    "bad@example.org"
assert_contains "one recipient refused: the server's text" "$T_DIR/err" \
    "no such user"
assert_not_contains "one recipient refused: only the refused one named" \
    "$T_DIR/err" "good@example.org"
assert_eq "one recipient refused: the other got it" "$(srv_envelope 1)" \
    "sender@example.org good@example.org"
server_stop

fault "the only recipient refused" 67 "rcpt@example.org" \
    --reply-at "rcpt=550 5.1.1 no such user"
assert_eq "the only recipient refused: nothing delivered" \
    "$(srv_nmessages)" 0
server_stop

fault "451 at MAIL" 75 "451" --reply-at "mail=451 4.3.0 try again later"
server_stop

# Reply lines past RFC 5321's 512 octets, as real servers send them: a
# 451 is "try later" (75) whatever its length, not a malformed reply (76);
# a line past 2048 bytes is cut and still read by its code.
long=$(printf '%600s' '' | tr ' ' x)
fault "451 of 600 bytes at RCPT" 75 "at RCPT TO .*: 451 4\.3\.0 xxxxxxxxxx" \
    --reply-at "rcpt=451 4.3.0 $long"
assert_not_contains "451 of 600 bytes at RCPT: not malformed" "$T_DIR/err" \
    "malformed"
assert_eq "451 of 600 bytes at RCPT: nothing delivered" "$(srv_nmessages)" 0
server_stop
long=$(printf '%3000s' '' | tr ' ' x)
fault "451 of 3000 bytes at MAIL" 75 "at MAIL FROM: 451 4\.3\.0 xxxxxxxxxx" \
    --reply-at "mail=451 4.3.0 $long"
assert_not_contains "451 of 3000 bytes at MAIL: not malformed" \
    "$T_DIR/err" "malformed"
server_stop

fault "554 at the end of DATA" 69 "554" \
    --reply-at "dot=554 5.7.1 message refused as spam"
assert_eq "554 at the end of DATA: nothing delivered" "$(srv_nmessages)" 0
server_stop

fault "552 at the end of DATA" 65 "552" \
    --reply-at "dot=552 5.3.4 message too big"
server_stop

fault "over the server's SIZE" 65 "exceeds the server's limit of 10" --size 10
assert_eq "over the server's SIZE: nothing delivered" "$(srv_nmessages)" 0
server_stop

fault "421 greeting" 75 "421" \
    --reply-at "greeting=421 4.3.2 service not available"
server_stop

fault "malformed greeting" 76 "malformed" --malformed-greeting
server_stop

# A port nobody listens on (server_down).
server_down
write_config "tls off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "connection refused: exit 75" 75
assert_matches "connection refused: says refused" "$T_DIR/err" "refused"

t_done

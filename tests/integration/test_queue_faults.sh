#!/bin/sh
# SPDX-License-Identifier: ISC
# Never lose a message: a fault-injecting server at each stage of the
# session, with the queue on.  A temporary fault (connection closed, a
# name that does not resolve, a 4xx reply, a stall past the timeout)
# queues the message and exits 0; once the server is healed, postie -q
# delivers it exactly once.  A permanent refusal exits with its code and
# the message is where the manual says (delivered to the recipients that
# took it, in failed/, or left to the caller); a server that breaks the
# protocol keeps a queued message until it is fixed.  The faults already
# covered with the queue on by test_queue.sh (server down, 421 greeting,
# 451 MAIL, 452 RCPT, 451 DATA and end of DATA, lost after the final dot,
# one recipient refused for now) are not repeated here.
# Failure notices are off (bounce off): test_notices.sh tests them.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

QDIR=$POSTIE_QUEUE_DIR
ID_ERE='[0-9]{8}T[0-9]{6}-[0-9a-f]{8}'
USER=alice
PASS='s3cret-Pa55w0rd'

# mkmsg TAG [BIG]: $T_DIR/in-TAG.eml, told apart by its Message-ID; with
# BIG, a body of about 10 MB, so that the sender is still writing it when
# a server closes the connection mid-DATA.
mkmsg() {
	{
		printf 'From: sender@example.org\n'
		printf 'Subject: fault %s\n' "$1"
		printf 'Message-ID: <%s@faults.example.org>\n\n' "$1"
		printf 'body of %s\n' "$1"
		if [ -n "${2:-}" ]; then
			awk 'BEGIN { s = sprintf("%900s", ""); gsub(/ /, "x", s)
			    for (i = 0; i < 11000; i++) print s }'
		fi
	} >"$T_DIR/in-$1.eml"
}

# delivered TAG: how many of the last server's messages are TAG's.
delivered() {
	grep -l -F -e "Message-ID: <$1@faults.example.org>" \
	    "$SRV_RECORD"/*.eml 2>/dev/null | grep -c .
}

# srv KIND ARGS...: a server for an account of KIND (plain: no TLS;
# tls: STARTTLS; auth: STARTTLS and AUTH), with ARGS.
srv() {
	_k=$1
	shift
	case $_k in
	plain)	server_start "$@" ;;
	tls)	server_start_tls good --starttls "$@" ;;
	auth)	server_start_tls good --starttls --auth "$USER:$PASS" "$@" ;;
	esac
}

# config KIND LINE...: write_config for an account of KIND, queue on.
config() {
	_k=$1
	shift
	case $_k in
	plain)	write_config "tls off" "queue on" "bounce off" "$@" ;;
	tls)	write_config "queue on" "bounce off" "$@" ;;
	auth)	write_config "queue on" "bounce off" "auth plain" "user $USER" \
		    "password $PASS" "$@" ;;
	esac
}

# heal KIND: a healthy server (on a new port) and the config pointing at
# it: messages already queued go out with the account as it is now.
heal() {
	srv "$1"
	config "$1"
}

# go_down: SRV_PORT becomes a port where nothing listens.
go_down() {
	server_down
}

# --- Temporary faults: queued (exit 0), listed with the error; after the
# server is healed, postie -q delivers the message once.
#
# Each row: NAME|KIND|SERVER ARGS|CONFIG LINE|STDERR ERE.  An empty
# server means none (the name does not resolve); "stall" rows run with
# timeout 2.
i=0
while IFS='|' read -r name kind args cline ere <&3; do
	[ -n "$name" ] || continue
	i=$((i + 1))
	tag=t$i
	case $name in
	*mid-DATA*)	mkmsg "$tag" big ;;
	*)		mkmsg "$tag" ;;
	esac
	rm -rf "$QDIR"
	if [ -n "$args" ]; then
		eval "srv $kind $args"
	else
		go_down
	fi
	set --
	[ -n "$cline" ] && set -- "$cline"
	case $name in
	stall*)	set -- "$@" "timeout 2" ;;
	esac
	config "$kind" "$@"
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-$tag.eml"
	assert_run "$name: exit 0" 0
	assert_matches "$name: says queued, and why" "$T_DIR/err" \
	    "^postie: queued as $ID_ERE \(1 recipient\): .*$ere"
	assert_eq "$name: one line on stderr (and a refused recipient's)" \
	    "$(grep -v -c '^postie: recipient <.*> rejected: ' "$T_DIR/err")" 1
	assert_eq "$name: one message queued" "$(nqueued)" 1
	assert_eq "$name: nothing failed" "$(nfailed)" 0
	assert_eq "$name: nothing accepted" "$(srv_nmessages)" 0
	ID=$(qids)
	assert_eq "$name: queued for the recipient" "$(env_get "$ID" rcpt)" \
	    rcpt@example.org
	run_postie_within 10 -bp
	assert_matches "$name: mailq gives the error" "$T_DIR/out" \
	    "^    last error: .*$ere"
	server_stop
	heal "$kind"
	run_postie_within 30 -q
	assert_run "$name: healed, flush exit 0" 0
	assert_eq "$name: healed, delivered exactly once" \
	    "$(srv_nmessages) $(delivered "$tag")" "1 1"
	assert_eq "$name: healed, to the recipient" "$(srv_envelope 1)" \
	    "sender@example.org rcpt@example.org"
	assert_eq "$name: healed, queue empty" "$(nqueued)$(nfailed)" 00
	server_stop
done 3<<EOF
closed before greeting|plain|--close-at greeting||at greeting: connection
closed after EHLO|plain|--close-at ehlo||at EHLO: connection (closed|lost)
closed during the TLS handshake|tls|--close-at tls||TLS handshake.*(closed|lost)
closed after AUTH LOGIN|auth|--close-at auth|auth login|MAIL FROM: connection (closed|lost)
closed after AUTH PLAIN, which led the flight|auth|--close-at auth||end of DATA: connection (closed|lost)
closed mid-DATA|plain|--close-at data||at DATA: connection (lost|closed)
name that does not resolve|plain||host nonexistent.invalid|cannot resolve
452 at MAIL|plain|--reply-at 'mail=452 4.3.1 no room'||MAIL FROM: 452 4\.3\.1
451 at RCPT|plain|--reply-at 'rcpt=451 4.3.0 later'||RCPT TO.*: 451 4\.3\.0
452 at the end of DATA|plain|--reply-at 'dot=452 4.3.1 no room'||DATA: 452 4\.3
stall at greeting|plain|--stall-at greeting||at greeting: timed out
stall at EHLO|plain|--stall-at ehlo||at EHLO: timed out
stall at STARTTLS|tls|--stall-at starttls||at STARTTLS: timed out
stall in the TLS handshake|tls|--stall-at tls||TLS handshake timed out
stall at AUTH|auth|--stall-at auth||at AUTH PLAIN: timed out
stall at MAIL|plain|--stall-at mail||at MAIL FROM: timed out
stall at RCPT|plain|--stall-at rcpt||at RCPT TO.*timed out
stall at DATA|plain|--stall-at data||at DATA: timed out
stall at the end of DATA|plain|--stall-at dot||final dot \\(timed out
EOF

# The faults happened where they were meant to (the last servers of the
# rows above are gone, but their transcripts stay).
assert_eq "mid-DATA: the server closed after a part of the message" \
    "$(cat "$T_DIR"/server*/transcript | grep -c '^\* closing mid-DATA')" 1
assert_eq "during TLS: the server closed having read the ClientHello" \
    "$(cat "$T_DIR"/server*/transcript |
    grep -c '^\* closing during the TLS handshake')" 1

# --- One of two recipients refused for good (550): the other gets the
# message, exit 67.  Sent now, the refused recipient is reported and the
# caller has the message; from the queue, it goes to failed/ alone.
mkmsg one
rm -rf "$QDIR"
srv plain --reply-at "rcpt:bad=550 5.1.1 no such user"
config plain
run_postie_within 30 -i good@example.org bad@example.org <"$T_DIR/in-one.eml"
assert_run "550 to one of two: exit 67" 67
assert_matches "550 to one of two: names it and the reply" "$T_DIR/err" \
    "bad@example.org.*550 5\.1\.1 no such user"
assert_eq "550 to one of two: the other got it, once" \
    "$(srv_envelope 1) $(delivered one)" "sender@example.org good@example.org 1"
assert_eq "550 to one of two: the refused one kept in failed/, alone" \
    "$(nqueued) $(qids failed | grep -c .) $(env_get "$(qids failed)" rcpt failed)" \
    "0 1 bad@example.org"
assert_contains "550 to one of two: says where it is kept" "$T_DIR/err" \
    "kept in $QDIR/failed as $(qids failed)"
server_stop
heal plain
run_postie_within 30 -q
assert_run "550 to one of two: healed, flush exit 0" 0
assert_eq "550 to one of two: healed, nothing sent again" "$(srv_nmessages)" 0
server_stop

rm -rf "$QDIR"
go_down
config plain
run_postie_within 30 -i good@example.org bad@example.org <"$T_DIR/in-one.eml"
assert_run "550 to one of two, queued: exit 0" 0
ID=$(qids)
srv plain --reply-at "rcpt:bad=550 5.1.1 no such user"
config plain
run_postie_within 30 -q
assert_run "550 to one of two at flush: exit 67" 67
assert_matches "550 to one of two at flush: says failed, and why" \
    "$T_DIR/err" \
    "^postie: $ID: 1 recipient refused, moved to failed/ as $ID_ERE: .*550 5"
assert_eq "550 to one of two at flush: the other got it, once" \
    "$(srv_envelope 1) $(delivered one)" "sender@example.org good@example.org 1"
assert_eq "550 to one of two at flush: queue empty" "$(nqueued)" 0
assert_eq "550 to one of two at flush: failed/ has the refused one" \
    "$(qids failed | grep -c .) $(env_get "$(qids failed)" rcpt failed)" \
    "1 bad@example.org"
server_stop
heal plain
run_postie_within 30 -q
assert_eq "550 to one of two at flush: healed, nothing sent again" \
    "$(srv_nmessages)" 0
run_postie_within 10 --requeue "$(qids failed)"
run_postie_within 30 -q
assert_run "550 to one of two, requeued: flush exit 0" 0
assert_eq "550 to one of two, requeued: to the refused one only, once" \
    "$(srv_envelope 1) $(srv_nmessages)" "sender@example.org bad@example.org 1"
assert_eq "550 to one of two, requeued: queue empty" "$(nqueued)$(nfailed)" 00
server_stop

# --- 552 and 554 at the end of DATA: refused for good (65 and 69).  Sent
# now or from the queue, the message goes to failed/.  Requeued and flushed to a healed
# server, each is delivered once.
#
# Each row: CODE|EXIT|IN FAILED/ WHEN SENT NOW (1 or 0).
while IFS='|' read -r code ex kept <&3; do
	case $code in
	552)	reply="552 5.3.4 message too big" ;;
	*)	reply="554 5.7.1 refused as spam" ;;
	esac
	tag=c$code
	mkmsg "$tag"
	rm -rf "$QDIR"
	srv plain --reply-at "dot=$reply"
	config plain
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-$tag.eml"
	assert_run "$code at the end of DATA: exit $ex" "$ex" "$reply"
	assert_eq "$code at the end of DATA: nothing accepted" \
	    "$(srv_nmessages)" 0
	assert_eq "$code at the end of DATA: not queued" "$(nqueued)" 0
	assert_eq "$code at the end of DATA: in failed/ $kept" "$(nfailed)" \
	    "$kept"
	if [ "$kept" = 1 ]; then
		assert_contains "$code at the end of DATA: says where" \
		    "$T_DIR/err" "kept in $QDIR/failed as $(qids failed)"
	else
		assert_not_contains "$code at the end of DATA: says no queue" \
		    "$T_DIR/err" "queued"
	fi
	server_stop

	rm -rf "$QDIR"
	go_down
	config plain
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-$tag.eml"
	ID=$(qids)
	srv plain --reply-at "dot=$reply"
	config plain
	run_postie_within 30 -q
	assert_run "$code at flush: exit $ex" "$ex" \
	    "$ID: failed for good, moved to failed/"
	assert_contains "$code at flush: says why" "$T_DIR/err" "$reply"
	assert_eq "$code at flush: moved to failed/" \
	    "$(nqueued) $(qids failed)" "0 $ID"
	run_postie_within 10 -bp
	assert_matches "$code at flush: mailq gives the reason" "$T_DIR/out" \
	    "^    failed: .*$reply"
	server_stop
	heal plain
	run_postie_within 30 -q
	assert_eq "$code at flush: healed, failed/ is not flushed" \
	    "$(srv_nmessages) $(nfailed)" "0 1"
	run_postie_within 10 --requeue "$ID"
	run_postie_within 30 -q
	assert_run "$code, requeued: flush exit 0" 0
	assert_eq "$code, requeued: delivered exactly once" \
	    "$(srv_nmessages) $(delivered "$tag")" "1 1"
	assert_eq "$code, requeued: queue empty" "$(nqueued)$(nfailed)" 00
	server_stop
done 3<<EOF
552|65|1
554|69|1
EOF

# --- A malformed reply: the server broke the protocol (76).  Not the
# message's fault: sent now or queued, the message is held in the queue
# (a send exits 0 and says what must be fixed; a flush exits 76) until the
# server is fixed, then goes out once.
mkmsg bad
rm -rf "$QDIR"
srv plain --malformed-greeting
config plain
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-bad.eml"
assert_run "malformed reply: exit 0" 0 "malformed reply"
assert_eq "malformed reply: held in the queue, not failed" \
    "$(nqueued)$(nfailed)" 10
assert_contains "malformed reply: says where it is held" "$T_DIR/err" \
    "held in the queue as $(qids)"
server_stop
heal plain
run_postie_within 30 -q
assert_eq "malformed reply, sent now, healed: delivered once" \
    "$(srv_nmessages) $(delivered bad) $(nqueued)" "1 1 0"
server_stop

rm -rf "$QDIR"
go_down
config plain
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-bad.eml"
ID=$(qids)
srv plain --malformed-greeting
config plain
run_postie_within 30 -q
assert_run "malformed reply at flush: exit 76" 76
assert_matches "malformed reply at flush: kept, and says why" "$T_DIR/err" \
    "$ID: kept in the queue: .*malformed reply"
assert_eq "malformed reply at flush: still queued" "$(qids)" "$ID"
assert_eq "malformed reply at flush: nothing failed" "$(nfailed)" 0
server_stop
heal plain
run_postie_within 30 -q
assert_run "malformed reply, healed: flush exit 0" 0
assert_eq "malformed reply, healed: delivered exactly once" \
    "$(srv_nmessages) $(delivered bad)" "1 1"
assert_eq "malformed reply, healed: queue empty" "$(nqueued)$(nfailed)" 00
server_stop

# --- Refused credentials (77): not the message's fault.  Sent now, the
# message is held in the queue and the error says so; once the password
# is fixed, the next flush delivers it once.
mkmsg pw
rm -rf "$QDIR"
srv auth
config auth
sed -i "s/^password .*/password wrong-$PASS/" "$CONFIG"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-pw.eml"
assert_run "wrong password: exit 0" 0 "535"
assert_eq "wrong password: held in the queue, not failed" \
    "$(nqueued)$(nfailed)" 10
assert_contains "wrong password: says where it is held" "$T_DIR/err" \
    "held in the queue as $(qids)"
assert_not_contains "wrong password: password not printed" "$T_DIR/err" \
    "$PASS"
run_postie_within 30 -q
assert_run "wrong password, still wrong: flush exit 77" 77
assert_eq "wrong password, still wrong: still held" "$(nqueued)" 1
config auth
run_postie_within 30 -q
assert_run "wrong password, fixed: flush exit 0" 0
assert_eq "wrong password, fixed: delivered once" \
    "$(srv_nmessages) $(delivered pw)" "1 1"
assert_eq "wrong password, fixed: queue empty" \
    "$(nqueued)$(nfailed)" 00
server_stop

t_done

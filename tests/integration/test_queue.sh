#!/bin/sh
# SPDX-License-Identifier: ISC
# The queue end to end: a temporary failure keeps the message (exit 0,
# one line saying so), mailq lists it, postie -q delivers it byte for
# byte with the account's current settings, retries back off, permanent
# failures and old messages go to failed/, --requeue brings them back,
# leftovers of a killed process are never sent, and concurrent senders
# and flushes deliver each message exactly once.  Failure notices are
# off here (bounce off): test_notices.sh tests them.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

QDIR=$POSTIE_QUEUE_DIR
ID_ERE='[0-9]{8}T[0-9]{6}-[0-9a-f]{8}'

# mkmsg TAG: $T_DIR/in-TAG.eml (LF line ends, lines that need dot
# stuffing) and want-TAG.eml, what a server must receive: CRLF line ends,
# nothing else changed (the input has all the header fields postie would
# add).
mkmsg() {
	{
		printf 'From: Sender <sender@example.org>\n'
		printf 'To: rcpt@example.org\n'
		printf 'Subject: queue test %s\n' "$1"
		printf 'Date: Mon, 02 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <%s@queue.example.org>\n' "$1"
		printf '\n'
		printf 'body of %s\n.\n..\n.x\nlast line\n' "$1"
	} >"$T_DIR/in-$1.eml"
	sed 's/$/\r/' "$T_DIR/in-$1.eml" >"$T_DIR/want-$1.eml"
}

# srv_find TAG: the last server's recorded messages with TAG's
# Message-ID, one path a line.
srv_find() {
	grep -l -F -e "Message-ID: <$1@queue.example.org>" \
	    "$SRV_RECORD"/*.eml 2>/dev/null
}

# env_set ID KEY VALUE: change a value in place (as the format allows:
# one "key value" line each).
env_set() {
	sed "s/^$2 .*/$2 $3/" "$QDIR/$1.env" >"$T_DIR/env.tmp" &&
	    cat "$T_DIR/env.tmp" >"$QDIR/$1.env"
}

# stderr_lines: how many lines the last run printed on stderr.
stderr_lines() {
	wc -l <"$T_DIR/err" | tr -d ' '
}

# go_down: SRV_PORT becomes a port where nothing listens (that of a
# server that has exited): connections are refused.
go_down() {
	server_down
}

# queue_one TAG [RCPT]: with the smarthost down, send TAG's message to
# RCPT (rcpt@example.org); ID is the id it was queued as.
queue_one() {
	go_down
	write_config "tls off" "queue on" "bounce off"
	run_postie_within 30 -i "${2:-rcpt@example.org}" <"$T_DIR/in-$1.eml"
	ID=$(sed -n 's/.*queued as \([0-9T]*-[0-9a-f]*\).*/\1/p' \
	    "$T_DIR/err")
}

# healthy: a server that accepts everything; the config points at it.
healthy() {
	server_start
	write_config "tls off" "queue on" "bounce off"
}

# yes_if CMD...: "yes" when CMD succeeds, else "no".
yes_if() {
	if "$@"; then echo yes; else echo no; fi
}

# near WANT GOT: GOT is WANT give or take 5 (seconds).
near() {
	[ "$2" -ge $(($1 - 5)) ] && [ "$2" -le $(($1 + 5)) ]
}

for t in down flush due1 due2 due3 requeue old fresh lifetime acct auth \
    kill tmp dot partial; do
	mkmsg "$t"
done

# --- Smarthost down: queued, exit 0, one line on stderr.
queue_one down
assert_run "down: exit 0" 0
assert_eq "down: one line on stderr" "$(stderr_lines)" 1
assert_matches "down: says queued and the id" "$T_DIR/err" \
    "^postie: queued as $ID_ERE"
assert_contains "down: says why" "$T_DIR/err" "Connection refused"
assert_contains "down: says how to flush" "$T_DIR/err" "postie -q"
assert_eq "down: one message in the queue" "$(nqueued)" 1
assert_eq "down: the id printed is the one queued" "$(qids)" "$ID"
assert_eq "down: queue directory mode 700" "$(stat -c %a "$QDIR")" 700
assert_eq "down: failed/ mode 700" "$(stat -c %a "$QDIR/failed")" 700
assert_eq "down: message file mode 600" \
    "$(stat -c %a "$QDIR/$ID.msg" 2>&1)" 600
assert_eq "down: envelope file mode 600" \
    "$(stat -c %a "$QDIR/$ID.env" 2>&1)" 600
assert_eq "down: no temporary file left" \
    "$(ls -a "$QDIR" | grep -c '^tmp\.')" 0
assert_eq "down: no attempt counted at queue time" \
    "$(env_get "$ID" attempts)" 0

# mailq and -bp list it.
SIZE=$(wc -c <"$QDIR/$ID.msg" | tr -d ' ')
mkdir -p "$T_DIR/bin"
ln -s "$POSTIE" "$T_DIR/bin/mailq"
run_postie_within 10 -bp
assert_run "mailq: exit 0" 0
cp "$T_DIR/out" "$T_DIR/bp.out"
assert_matches "mailq: counts it" "$T_DIR/out" "^Queue $QDIR: 1 message$"
LINE="$ID  age 0m  $SIZE bytes  account default"
LINE="$LINE  from <sender@example.org>  attempts 0"
assert_line "mailq: id, age, size, sender, attempts" "$T_DIR/out" "$LINE"
assert_line "mailq: recipients" "$T_DIR/out" "    to <rcpt@example.org>"
assert_matches "mailq: last error" "$T_DIR/out" \
    "^    last error: .*Connection refused"
assert_matches "mailq: no failed message" "$T_DIR/out" \
    "^Failed $QDIR/failed: 0 messages$"
"$T_DIR/bin/mailq" >"$T_DIR/mailq.out" 2>&1
assert_eq "mailq: the mailq name prints what -bp prints" \
    "$(yes_if cmp -s "$T_DIR/mailq.out" "$T_DIR/bp.out")" yes

# --- Flushes while the server is still down: kept, attempts counted,
# the next try backs off (5 min, doubling, at most 4 h).
run_postie_within 30 -q
assert_run "down flush: exit 0" 0
assert_empty "down flush: quiet (nothing needs attention)" \
    "$(cat "$T_DIR/out" "$T_DIR/err")"
assert_eq "down flush: still queued" "$(qids)" "$ID"
assert_eq "down flush: attempts 1" "$(env_get "$ID" attempts)" 1
assert_eq "down flush: next try in 5 min" "$(yes_if near 300 \
    $(($(env_get "$ID" next_try) - $(date +%s))))" yes
run_postie_within 30 -q -v
assert_run "down flush -v: exit 0" 0
assert_matches "down flush -v: says kept" "$T_DIR/err" \
    "$ID: kept in the queue: .*refused"
assert_matches "down flush -v: summary" "$T_DIR/out" \
    "0 delivered, 1 kept for a later try, 0 failed for good"
assert_eq "down flush: attempts 2" "$(env_get "$ID" attempts)" 2
assert_eq "down flush: next try in 10 min" "$(yes_if near 600 \
    $(($(env_get "$ID" next_try) - $(date +%s))))" yes
run_postie_within 10 -bp
assert_matches "down flush: mailq shows attempts and next try" \
    "$T_DIR/out" "attempts 2  next try in (9|10)m$"
env_set "$ID" attempts 9
run_postie_within 30 -q
assert_eq "down flush: backoff stops at 4 h" "$(yes_if near 14400 \
    $(($(env_get "$ID" next_try) - $(date +%s))))" yes
assert_eq "down flush: attempts 10" "$(env_get "$ID" attempts)" 10

# --- After a successful send, only due messages are flushed.
healthy
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-due1.eml"
assert_run "send, queue not due: exit 0" 0
assert_eq "send, queue not due: only the new message delivered" \
    "$(srv_nmessages)" 1
assert_eq "send, queue not due: the old one stays queued" "$(qids)" "$ID"
assert_eq "send, queue not due: its attempts untouched" \
    "$(env_get "$ID" attempts)" 10
env_set "$ID" next_try $(($(date +%s) - 1))
write_config "tls off" "queue on" "bounce off" "queue_flush off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-due3.eml"
assert_run "send, queue_flush off: exit 0" 0
assert_eq "send, queue_flush off: only the new message delivered" \
    "$(srv_nmessages)" 2
assert_eq "send, queue_flush off: the due one stays queued" "$(qids)" "$ID"
write_config "tls off" "queue on" "bounce off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-due2.eml"
assert_run "send, queue due: exit 0" 0
assert_eq "send, queue due: the queued one delivered too" \
    "$(srv_nmessages)" 4
assert_eq "send, queue due: queue empty" "$(nqueued)" 0
assert_same "send, queue due: delivered byte for byte" \
    "$(srv_find down)" "$T_DIR/want-down.eml"
assert_eq "send, queue due: once" "$(srv_find down | grep -c .)" 1
server_stop

# --- postie -q with the server up: delivered byte for byte, queue empty.
queue_one flush
assert_run "flush: queued" 0
cp "$QDIR/$ID.msg" "$T_DIR/queued.msg"
healthy
run_postie_within 30 -q
assert_run "flush: exit 0" 0
assert_empty "flush: quiet" "$(cat "$T_DIR/out" "$T_DIR/err")"
assert_eq "flush: one message delivered" "$(srv_nmessages)" 1
assert_same "flush: byte for byte" "$SRV_RECORD/1.eml" \
    "$T_DIR/want-flush.eml"
assert_eq "flush: envelope" "$(srv_envelope 1)" \
    "sender@example.org rcpt@example.org"
assert_eq "flush: queue empty" "$(ls "$QDIR")" failed
run_postie_within 30 -q -v
assert_matches "flush -v on an empty queue: summary" "$T_DIR/out" \
    "0 delivered, 0 kept for a later try, 0 failed for good"
assert_eq "flush again: nothing sent twice" "$(srv_nmessages)" 1
server_stop

# --- Temporary refusals at each stage: queued, and delivered once later.
for spec in "greeting=421 4.3.2 closing" "mail=451 4.3.0 mail later" \
    "rcpt=452 4.2.2 mailbox full" "data=451 4.3.0 data later" \
    "dot=451 4.3.0 dot later"; do
	stage=${spec%%=*}
	reply=${spec#*=}
	rm -rf "$QDIR"
	server_start --reply-at "$spec"
	write_config "tls off" "queue on" "bounce off"
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-flush.eml"
	assert_run "$reply at $stage: exit 0" 0
	assert_contains "$reply at $stage: says the reply" "$T_DIR/err" \
	    "$reply"
	assert_matches "$reply at $stage: says queued" "$T_DIR/err" \
	    "queued as $ID_ERE"
	assert_eq "$reply at $stage: queued" "$(nqueued)" 1
	assert_eq "$reply at $stage: nothing accepted" "$(srv_nmessages)" 0
	server_stop
	healthy
	run_postie_within 30 -q
	assert_eq "$reply at $stage: flushed once" "$(srv_nmessages)" 1
	assert_eq "$reply at $stage: queue empty" "$(nqueued)" 0
	server_stop
done

# Lost after the final dot: the message may have been taken, but is kept
# (the one duplicate accepted).
rm -rf "$QDIR"
server_start --close-after-dot
write_config "tls off" "queue on" "bounce off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-dot.eml"
assert_run "lost after the dot: exit 0" 0
assert_contains "lost after the dot: says so" "$T_DIR/err" "final dot"
assert_eq "lost after the dot: queued" "$(nqueued)" 1
server_stop
healthy
run_postie_within 30 -q
assert_eq "lost after the dot: flushed once" "$(srv_find dot | grep -c .)" 1
server_stop

# One recipient refused for now while another accepted: that one alone
# is queued.
rm -rf "$QDIR"
server_start --reply-at "rcpt:later=451 4.2.1 try later"
write_config "tls off" "queue on" "bounce off"
run_postie_within 30 -i now@example.org later@example.org \
    <"$T_DIR/in-partial.eml"
assert_run "one recipient later: exit 0" 0
assert_matches "one recipient later: says 1 recipient queued" \
    "$T_DIR/err" "queued as $ID_ERE \(1 recipient\)"
assert_eq "one recipient later: the other got it" "$(srv_envelope 1)" \
    "sender@example.org now@example.org"
ID=$(qids)
assert_eq "one recipient later: queued for that one" \
    "$(env_get "$ID" rcpt)" later@example.org
server_stop
healthy
run_postie_within 30 -q
assert_eq "one recipient later: flushed to that one" "$(srv_envelope 1)" \
    "sender@example.org later@example.org"
assert_eq "one recipient later: queue empty" "$(nqueued)" 0
server_stop

# --- queue off: the caller keeps the message (exit 75).
rm -rf "$QDIR"
go_down
write_config "tls off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-flush.eml"
assert_run "queue off: exit 75" 75 "refused"
assert_not_contains "queue off: does not say queued" "$T_DIR/err" "queued"
assert_eq "queue off: nothing queued" "$(nqueued)" 0

# --- A permanent refusal at flush: moved to failed/, listed, requeued.
rm -rf "$QDIR"
queue_one requeue
server_start --reply-at "rcpt=550 5.1.1 no such user"
write_config "tls off" "queue on" "bounce off"
run_postie_within 30 -q
assert_run "550 at flush: exit 67" 67
assert_eq "550 at flush: one line on stderr" "$(stderr_lines)" 1
assert_matches "550 at flush: names the message and the reply" \
    "$T_DIR/err" "$ID: failed for good, moved to failed/: .*550 5.1.1 no such"
assert_contains "550 at flush: says how to requeue" "$T_DIR/err" \
    "postie --requeue $ID"
assert_eq "550 at flush: queue empty" "$(nqueued)" 0
assert_eq "550 at flush: in failed/" "$(qids failed)" "$ID"
assert_eq "550 at flush: failed file modes 600" \
    "$(stat -c %a "$QDIR/failed/$ID.msg" "$QDIR/failed/$ID.env" |
    sort -u)" 600
assert_eq "550 at flush: nothing accepted" "$(srv_nmessages)" 0
run_postie_within 10 -bp
assert_matches "550 at flush: mailq counts it as failed" "$T_DIR/out" \
    "^Failed $QDIR/failed: 1 message$"
assert_matches "550 at flush: mailq lists it" "$T_DIR/out" \
    "^$ID  age 0m  [0-9]+ bytes  account default  from <sender@example.org>"
assert_matches "550 at flush: mailq gives the reason" "$T_DIR/out" \
    "^    failed: .*550 5.1.1 no such user"
run_postie_within 30 -q
assert_run "550 at flush: a second flush has nothing to do" 0
server_stop

run_postie_within 10 --requeue 20000101T000000-00000000
assert_run "requeue of an unknown id: exit 66" 66
run_postie_within 10 --requeue ../x
assert_run "requeue of a bad id: exit 64" 64
run_postie_within 10 --requeue "$ID"
assert_run "requeue: exit 0" 0 "$ID: back in the queue"
assert_eq "requeue: back in the queue" "$(qids)" "$ID"
assert_eq "requeue: not in failed/" "$(nfailed)" 0
assert_eq "requeue: attempts reset" "$(env_get "$ID" attempts)" 0
healthy
run_postie_within 30 -qI"$ID"
assert_run "requeue: -qIID exit 0" 0
assert_same "requeue: delivered byte for byte" "$SRV_RECORD/1.eml" \
    "$T_DIR/want-requeue.eml"
assert_eq "requeue: queue and failed/ empty" "$(nqueued)$(nfailed)" 00
server_stop

# --- queue_lifetime: a message that fails for now once older than that
# goes to failed/; an old message that can be delivered is delivered.
rm -rf "$QDIR"
queue_one old
env_set "$ID" created $(($(date +%s) - 6 * 86400))
run_postie_within 10 -bp
assert_matches "lifetime: mailq shows the age" "$T_DIR/out" \
    "^$ID  age 6d00h  "
run_postie_within 30 -q
assert_run "lifetime: exit 69" 69 "queue_lifetime"
assert_eq "lifetime: moved to failed/" "$(qids failed)" "$ID"
assert_matches "lifetime: the reason keeps the last error" \
    "$QDIR/failed/$ID.env" "^last_error .*queue_lifetime.*refused"
queue_one fresh
env_set "$ID" created $(($(date +%s) - 6 * 86400))
healthy
run_postie_within 30 -q
assert_run "lifetime, server up: exit 0" 0
assert_same "lifetime, server up: still delivered" "$SRV_RECORD/1.eml" \
    "$T_DIR/want-fresh.eml"
server_stop
rm -rf "$QDIR"
queue_one lifetime
write_config "tls off" "queue on" "bounce off" "queue_lifetime 2h"
env_set "$ID" created $(($(date +%s) - 3600))
run_postie_within 30 -q
assert_run "queue_lifetime 2h, 1 h old: exit 0" 0
assert_eq "queue_lifetime 2h, 1 h old: kept" "$(qids)" "$ID"
env_set "$ID" created $(($(date +%s) - 3 * 3600))
run_postie_within 30 -q
assert_run "queue_lifetime 2h, 3 h old: exit 69" 69
assert_eq "queue_lifetime 2h, 3 h old: failed" "$(qids failed)" "$ID"

# --- The account removed from the config: kept with a clear error;
# back in the config (at a new port), the message goes out.
rm -rf "$QDIR"
go_down
write_config "tls off" "queue on" "bounce off"
run_postie_within 30 -a test -i rcpt@example.org <"$T_DIR/in-acct.eml"
assert_run "account removed: queued" 0
ID=$(qids)
cat >"$CONFIG" <<EOF
account other
host 127.0.0.1
port $SRV_PORT
from other@example.org
tls off
queue on
account default : other
EOF
run_postie_within 30 -q
assert_run "account removed: exit 78" 78
assert_contains "account removed: says so" "$T_DIR/err" \
    "$ID: kept in the queue: account test no longer exists in"
assert_eq "account removed: still queued" "$(qids)" "$ID"
run_postie_within 10 -bp
assert_contains "account removed: mailq says why" "$T_DIR/out" \
    "last error: account test no longer exists in"
healthy
run_postie_within 30 -q
assert_run "account back: exit 0" 0
assert_eq "account back: delivered" "$(srv_find acct | grep -c .)" 1
assert_eq "account back: queue empty" "$(nqueued)" 0
server_stop

# --- New port and password: the backlog uses the config as it is at
# flush time.  A refused password keeps the message (it is the account
# that is wrong, not the message).
rm -rf "$QDIR"
go_down
write_config "queue on" "auth on" "user alice" "password old-pw"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-auth.eml"
assert_run "new password: queued" 0
ID=$(qids)
server_start_tls good --starttls --auth "alice:new-pw"
write_config "queue on" "auth on" "user alice" "password old-pw"
run_postie_within 30 -q
assert_run "old password: exit 77" 77 "535"
assert_matches "old password: kept, and says so" "$T_DIR/err" \
    "$ID: kept in the queue: .*535"
assert_eq "old password: still queued" "$(qids)" "$ID"
assert_not_contains "old password: not printed" "$T_DIR/err" "old-pw"
write_config "queue on" "auth on" "user alice" "password new-pw"
run_postie_within 30 -q
assert_run "new password: exit 0" 0
assert_same "new password: delivered byte for byte" "$SRV_RECORD/1.eml" \
    "$T_DIR/want-auth.eml"
assert_eq "new password: authenticated" "$("$PYTHON3" -c 'import json, sys
print(json.load(open(sys.argv[1]))["auth_user"])' "$SRV_RECORD/1.json" \
    2>/dev/null)" alice
assert_eq "new password: queue empty" "$(nqueued)" 0
server_stop

# --- Leftovers of a process killed while writing are never sent and do
# not get in the way; old ones are swept.
rm -rf "$QDIR"
queue_one tmp
REAL=$ID
cp "$QDIR/$REAL.env" "$T_DIR/real.env"
# Killed while writing the message, while writing the envelope, between
# the two renames, and the same long ago.
F1=20260101T000001-0000aaaa F2=20260101T000002-0000bbbb
F3=20260101T000003-0000cccc F4=20260101T000004-0000dddd
F5=20260101T000005-0000eeee
printf 'Subject: half\n\nhalf a mess' >"$QDIR/tmp.$F1.msg"
cp "$QDIR/$REAL.msg" "$QDIR/$F2.msg"
head -c 40 "$T_DIR/real.env" >"$QDIR/tmp.$F2.env"
cp "$QDIR/$REAL.msg" "$QDIR/$F3.msg"
cp "$T_DIR/real.env" "$QDIR/tmp.$F3.env"
cp "$QDIR/$REAL.msg" "$QDIR/tmp.$F4.msg"
cp "$QDIR/$REAL.msg" "$QDIR/$F5.msg"
touch -d '2 hours ago' "$QDIR/tmp.$F4.msg" "$QDIR/$F5.msg"
run_postie_within 10 -bp
assert_run "leftovers: mailq exit 0" 0
assert_matches "leftovers: mailq lists the real one only" "$T_DIR/out" \
    "^Queue $QDIR: 1 message$"
assert_not_matches "leftovers: mailq shows none of them" "$T_DIR/out" \
    "0000(aaaa|bbbb|cccc|dddd|eeee)"
assert_eq "leftovers: old ones swept" \
    "$(ls "$QDIR" | grep -c -e "$F4" -e "$F5")" 0
assert_eq "leftovers: recent ones kept for now" \
    "$(ls "$QDIR" | grep -c -e "$F1" -e "$F2" -e "$F3")" 5
healthy
run_postie_within 30 -q
assert_run "leftovers: flush exit 0" 0
assert_eq "leftovers: only the real message sent" "$(srv_nmessages)" 1
assert_same "leftovers: the real one, byte for byte" "$SRV_RECORD/1.eml" \
    "$T_DIR/want-tmp.eml"
assert_eq "leftovers: queue empty" "$(nqueued)" 0
server_stop

# --- 20 senders at once with the server down: 20 messages queued, none
# lost; then 3 flushes at once: each delivered exactly once.
rm -rf "$QDIR"
go_down
write_config "tls off" "queue on" "bounce off"
pids=
i=1
while [ "$i" -le 20 ]; do
	mkmsg "c$i"
	timeout -k 2 30 "$POSTIE" -i "r$i@example.org" \
	    <"$T_DIR/in-c$i.eml" >"$T_DIR/c$i.out" 2>"$T_DIR/c$i.err" &
	pids="$pids $!"
	i=$((i + 1))
done
nok=0
for p in $pids; do
	wait "$p" && nok=$((nok + 1))
done
assert_eq "20 senders: all exit 0" "$nok" 20
assert_eq "20 senders: 20 queued" "$(nqueued)" 20
assert_eq "20 senders: 20 distinct ids reported" \
    "$(cat "$T_DIR"/c*.err | grep -E -o "queued as $ID_ERE" | sort -u |
    grep -c .)" 20
assert_eq "20 senders: the ids reported are those queued" \
    "$(cat "$T_DIR"/c*.err | sed -n 's/.*queued as \([^ ]*\) .*/\1/p' |
    sort)" "$(qids | sort)"
healthy
pids=
for f in 1 2 3; do
	timeout -k 2 60 "$POSTIE" -q -v >"$T_DIR/f$f.out" 2>"$T_DIR/f$f.err" &
	pids="$pids $!"
done
nok=0
for p in $pids; do
	wait "$p" && nok=$((nok + 1))
done
assert_eq "3 flushes: all exit 0" "$nok" 3
assert_eq "3 flushes: 20 messages accepted" "$(srv_nmessages)" 20
once=0
i=1
while [ "$i" -le 20 ]; do
	[ "$(srv_find "c$i" | grep -c .)" -eq 1 ] && once=$((once + 1))
	i=$((i + 1))
done
assert_eq "3 flushes: each message exactly once" "$once" 20
assert_eq "3 flushes: their counts add up to 20" \
    "$(cat "$T_DIR"/f[123].out | sed -n 's/.*: \([0-9]*\) delivered,.*/\1/p' |
    awk '{ s += $1 } END { print s }')" 20
assert_eq "3 flushes: queue empty" "$(nqueued)" 0
server_stop

# --- A flush killed (kill -9) while the server stalls: the message stays
# queued, a flush beside it leaves it alone, and once the killer's lock is
# gone with it a later flush delivers it.
rm -rf "$QDIR"
queue_one kill
server_start --stall-at rcpt
write_config "tls off" "queue on" "bounce off"
"$POSTIE" -q >"$T_DIR/k.out" 2>"$T_DIR/k.err" &
KPID=$!
i=0
while ! grep -q '^\* stalling at rcpt' "$SRV_TRANSCRIPT" &&
    [ "$i" -lt $(($(t_secs 10) * 20)) ]; do
	sleep 0.05
	i=$((i + 1))
done
assert_matches "killed flush: the flush is in the session" \
    "$SRV_TRANSCRIPT" "^\* stalling at rcpt"
run_postie_within 30 -q -v
assert_run "killed flush: a flush beside it exits 0" 0
assert_matches "killed flush: the flush beside it leaves it alone" \
    "$T_DIR/out" "0 delivered, 0 kept .*, 0 failed for good, 1 skipped"
assert_eq "killed flush: one session only" \
    "$(grep -c '^\* connect' "$SRV_TRANSCRIPT")" 1
assert_eq "killed flush: killed in the session" \
    "$(yes_if t_kill -KILL "$KPID")" yes
wait "$KPID" 2>/dev/null
assert_eq "killed flush: still queued" "$(qids)" "$ID"
assert_eq "killed flush: attempts untouched" "$(env_get "$ID" attempts)" 0
server_stop
healthy
run_postie_within 30 -q
assert_run "after the kill: flush exit 0" 0
assert_eq "after the kill: delivered once" "$(srv_nmessages)" 1
assert_same "after the kill: byte for byte" "$SRV_RECORD/1.eml" \
    "$T_DIR/want-kill.eml"
assert_eq "after the kill: queue empty" "$(nqueued)" 0
server_stop

t_done

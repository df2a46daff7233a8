#!/bin/sh
# SPDX-License-Identifier: ISC
# The queue under kill -9 and under load: senders killed at random points
# while queueing and flushes killed at random points while delivering
# lose no message that was reported queued, deliver nothing twice (but
# for a kill after the final dot, before the removal: the one duplicate
# postie(1) documents), nothing partial and nothing from a temporary
# file; 20 senders and 2 flushes at once against a slow server deliver
# every message exactly once.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

QDIR=$POSTIE_QUEUE_DIR
ID_ERE='[0-9]{8}T[0-9]{6}-[0-9a-f]{8}'

# A body of some 60 kB, so that a kill can fall while it is written.
i=0
while [ "$i" -lt 1000 ]; do
	printf 'line %d of the body, with some text to make it longer\n' "$i"
	[ $((i % 97)) -eq 0 ] && printf '.\n..\n.dot stuffed\n'
	i=$((i + 1))
done >"$T_DIR/body"

# mkmsg TAG: $T_DIR/in-TAG.eml (LF line ends) and want-TAG.eml, what a
# server must receive (CRLF line ends, nothing else changed: the input
# has all the header fields postie would add).
mkmsg() {
	{
		printf 'From: Sender <sender@example.org>\n'
		printf 'To: rcpt@example.org\n'
		printf 'Subject: crash test %s\n' "$1"
		printf 'Date: Mon, 02 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <%s@crash.example.org>\n' "$1"
		printf '\n'
		printf 'body of %s\n' "$1"
		cat "$T_DIR/body"
		printf 'end of %s\n' "$1"
	} >"$T_DIR/in-$1.eml"
	sed 's/$/\r/' "$T_DIR/in-$1.eml" >"$T_DIR/want-$1.eml"
}

# srv_tags: the tag of each message the last server accepted, one a line
# (a tag twice when it was delivered twice).
srv_tags() {
	cat "$SRV_RECORD"/*.eml 2>/dev/null |
	    sed -n 's/^Message-ID: <\(.*\)@crash\.example\.org>\r$/\1/p'
}

# srv_dups: the tags accepted more than once, one a line.
srv_dups() {
	srv_tags | sort | uniq -d
}

# srv_extra: how many deliveries beyond the first of each tag.
srv_extra() {
	echo $(($(srv_tags | grep -c .) - $(srv_tags | sort -u | grep -c .)))
}

# srv_garbled: the recorded messages that are not byte for byte one that
# was sent, one a line.
srv_garbled() {
	for _f in "$SRV_RECORD"/*.eml; do
		[ -f "$_f" ] || continue
		_t=$(sed -n \
		    's/^Message-ID: <\(.*\)@crash\.example\.org>\r$/\1/p' "$_f")
		if [ -z "$_t" ] || ! cmp -s "$_f" "$T_DIR/want-$_t.eml"; then
			basename "$_f"
		fi
	done
}

# yes_if CMD...: "yes" when CMD succeeds, else "no".
yes_if() {
	if "$@"; then echo yes; else echo no; fi
}

# rand N: a random number from 0 to N - 1.
rand() {
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

# secs MS: MS milliseconds as seconds for sleep(1) (computed before the
# process to kill starts: a command substitution takes milliseconds).
secs() {
	printf '%d.%03d\n' $(($1 / 1000)) $(($1 % 1000))
}

# go_down: SRV_PORT becomes a port where nothing listens.
go_down() {
	server_down
}

# leftovers: the queue's files that are not a complete message (a
# temporary file, a message without its envelope), one a line.
leftovers() {
	ls "$QDIR" | while read -r _f; do
		case $_f in
		failed) ;;
		tmp.*) echo "$_f" ;;
		*.msg) [ -f "$QDIR/${_f%.msg}.env" ] || echo "$_f" ;;
		*.env) [ -f "$QDIR/${_f%.env}.msg" ] || echo "$_f" ;;
		*) echo "$_f" ;;
		esac
	done
}

# --- a. Senders killed at random points while queueing (server down).
# NA_ALL of them (t_samples: fewer under valgrind, where each takes
# seconds, but as many as it takes, up to NA_ALL, to have a sender killed
# and one that said queued).
NA_ALL=120
NA=$(t_samples "$NA_ALL")
go_down
write_config "tls off" "queue on"
said=0
killed=0
# One send first, not killed, to learn how long a send takes here (much
# longer under valgrind), so that the kills fall all along it.
mkmsg a0
t0=$(date +%s%N)
"$POSTIE" -i rcpt@example.org <"$T_DIR/in-a0.eml" >/dev/null 2>"$T_DIR/a0.err"
span=$((($(date +%s%N) - t0) / 1000000 * 13 / 10 + 1))
echo "# one send took about $((span * 10 / 13)) ms; kills within $span ms"
if grep -q -E "queued as $ID_ERE" "$T_DIR/a0.err"; then
	echo a0 >>"$T_DIR/a-said"
	sed -n 's/.*queued as \([^ ]*\) .*/\1/p' "$T_DIR/a0.err" >>"$T_DIR/a-ids"
	said=$((said + 1))
fi
said0=$said
i=1
while [ "$i" -le "$NA" ] || { [ "$i" -le "$NA_ALL" ] &&
    { [ "$killed" -eq 0 ] || [ "$said" -eq "$said0" ]; }; }; do
	mkmsg "a$i"
	delay=$(secs "$(rand "$span")")
	"$POSTIE" -i rcpt@example.org <"$T_DIR/in-a$i.eml" \
	    >/dev/null 2>"$T_DIR/a$i.err" &
	pid=$!
	sleep "$delay"
	t_kill -KILL "$pid"
	{ wait "$pid"; } 2>/dev/null
	[ $? -eq 137 ] && killed=$((killed + 1))
	# What the sender said: the message is the queue's (whatever the
	# exit status, once the line is out).
	if grep -q -E "queued as $ID_ERE" "$T_DIR/a$i.err"; then
		echo "a$i" >>"$T_DIR/a-said"
		sed -n 's/.*queued as \([^ ]*\) .*/\1/p' "$T_DIR/a$i.err" \
		    >>"$T_DIR/a-ids"
		said=$((said + 1))
	fi
	i=$((i + 1))
done
touch "$T_DIR/a-said" "$T_DIR/a-ids"
echo "# queueing: $((i - 1)) senders, $killed killed, $said said queued"
assert_eq "queueing: some senders killed (else the test proves little)" \
    "$(yes_if [ "$killed" -gt 0 ])" yes
assert_eq "queueing: some killed senders had said queued" \
    "$(yes_if [ "$((said - said0))" -gt 0 ])" yes
qids | sort >"$T_DIR/a-queued"
sort "$T_DIR/a-said" >"$T_DIR/a-said.sorted"
assert_empty "queueing: every id said queued is in the queue" \
    "$(sort "$T_DIR/a-ids" | comm -23 - "$T_DIR/a-queued" |
    tr '\n' ' ')"
NQ=$(nqueued)
run_postie_within 30 -bp
assert_run "queueing: mailq exit 0" 0
assert_matches "queueing: mailq counts the complete messages" \
    "$T_DIR/out" "^Queue $QDIR: $NQ messages?$"
assert_not_matches "queueing: mailq finds nothing unreadable" \
    "$T_DIR/out" "unreadable"
assert_not_matches "queueing: mailq lists no temporary file" \
    "$T_DIR/out" "^tmp\."

server_start
write_config "tls off" "queue on"
run_postie_within 60 -q
assert_run "queueing: flush exit 0" 0
run_postie_within 60 -q
assert_run "queueing: second flush exit 0" 0
assert_eq "queueing: every complete message delivered" "$(srv_nmessages)" \
    "$NQ"
assert_empty "queueing: each said queued delivered" \
    "$(srv_tags | sort -u | comm -13 - "$T_DIR/a-said.sorted" |
    tr '\n' ' ')"
assert_empty "queueing: nothing delivered twice" \
    "$(srv_dups | tr '\n' ' ')"
assert_empty "queueing: nothing partial or garbled delivered" \
    "$(srv_garbled | tr '\n' ' ')"
echo "# queueing: $(leftovers | grep -c .) incomplete file(s) left"
assert_eq "queueing: no complete message left" "$(nqueued)" 0
assert_eq "queueing: nothing else left but incomplete leftovers" \
    "$(ls "$QDIR" | grep -v -x failed | grep -c .)" \
    "$(leftovers | grep -c .)"
assert_eq "queueing: no envelope without its message" \
    "$(leftovers | grep -v '^tmp\.' | grep -c '\.env$')" 0
assert_eq "queueing: nothing failed" "$(ls "$QDIR/failed" | grep -c .)" 0
run_postie_within 30 -bp
assert_run "queueing: mailq after the flush exit 0" 0
assert_matches "queueing: mailq after the flush lists nothing" \
    "$T_DIR/out" "^Queue $QDIR: 0 messages$"
assert_matches "queueing: mailq after the flush, nothing failed" \
    "$T_DIR/out" "^Failed $QDIR/failed: 0 messages$"
server_stop

# --- b. Flushes killed at random points while delivering to a slow
# server.  A kill after the server took the final dot and before the
# message left the queue sends it again with the next flush (postie(1),
# QUEUE: the one case of a duplicate): so each message is delivered at
# least once, and the duplicates are at most one per kill.  Each flush
# is killed within 400 ms (t_secs: longer under valgrind).
NB=40
rm -rf "$QDIR"
go_down
write_config "tls off" "queue on"
i=1
nok=0
while [ "$i" -le "$NB" ]; do
	mkmsg "b$i"
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-b$i.eml"
	grep -q -E "queued as $ID_ERE" "$T_DIR/err" && nok=$((nok + 1))
	i=$((i + 1))
done
assert_eq "flushing: $NB messages queued" "$nok$(nqueued)" "$NB$NB"
server_start --delay 0.02
write_config "tls off" "queue on"
kills=0
k=0
NK=$(t_samples 60)
while [ "$k" -lt "$NK" ] && [ "$(nqueued)" -gt 0 ]; do
	delay=$(secs "$(rand "$(t_secs 400)")")
	"$POSTIE" -q >/dev/null 2>"$T_DIR/b-flush.err" &
	pid=$!
	sleep "$delay"
	t_kill -KILL "$pid"
	{ wait "$pid"; } 2>/dev/null
	[ $? -eq 137 ] && kills=$((kills + 1))
	k=$((k + 1))
done
BEFORE=$(srv_nmessages)
run_postie_within 60 -q
assert_run "flushing: final flush exit 0" 0
echo "# flushing: $k flushes, $kills killed, $BEFORE accepted before" \
    "the final flush, $(srv_extra) duplicate(s)"
assert_eq "flushing: some flushes killed (else the test proves little)" \
    "$(yes_if [ "$kills" -gt 0 ])" yes
assert_eq "flushing: every message delivered" \
    "$(srv_tags | sort -u | grep -c .)" "$NB"
assert_eq "flushing: at most one duplicate per kill" \
    "$(yes_if [ "$(srv_extra)" -le "$kills" ])" yes
assert_empty "flushing: nothing partial or garbled delivered" \
    "$(srv_garbled | tr '\n' ' ')"
assert_eq "flushing: queue empty" "$(nqueued)" 0
assert_eq "flushing: nothing failed" "$(ls "$QDIR/failed" | grep -c .)" 0
run_postie_within 30 -bp
assert_run "flushing: mailq exit 0" 0
assert_matches "flushing: mailq lists nothing" "$T_DIR/out" \
    "^Queue $QDIR: 0 messages$"
server_stop

# --- c. 20 senders and 2 flushes at once against a slow server, with a
# few messages queued before: the flushes and the flush after each send
# compete for those; every message delivered exactly once.
rm -rf "$QDIR"
go_down
write_config "tls off" "queue on"
for t in p1 p2 p3 p4 p5; do
	mkmsg "$t"
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-$t.eml"
done
assert_eq "concurrency: 5 queued before" "$(nqueued)" 5
server_start --delay 0.1
write_config "tls off" "queue on"
pids=
i=1
while [ "$i" -le 20 ]; do
	mkmsg "c$i"
	i=$((i + 1))
done
i=1
while [ "$i" -le 20 ]; do
	timeout -k 2 60 "$POSTIE" -i "r$i@example.org" \
	    <"$T_DIR/in-c$i.eml" >"$T_DIR/c$i.out" 2>"$T_DIR/c$i.err" &
	pids="$pids $!"
	if [ "$i" -eq 1 ] || [ "$i" -eq 10 ]; then
		timeout -k 2 60 "$POSTIE" -q >"$T_DIR/q$i.out" \
		    2>"$T_DIR/q$i.err" &
		pids="$pids $!"
	fi
	i=$((i + 1))
done
nok=0
for p in $pids; do
	wait "$p" && nok=$((nok + 1))
done
assert_eq "concurrency: all 22 exit 0" "$nok" 22
assert_eq "concurrency: no sender queued" \
    "$(cat "$T_DIR"/c*.err | grep -c queued)" 0
assert_eq "concurrency: 25 messages accepted" "$(srv_nmessages)" 25
assert_eq "concurrency: each message delivered" \
    "$(srv_tags | sort -u | grep -c .)" 25
assert_empty "concurrency: nothing delivered twice" \
    "$(srv_dups | tr '\n' ' ')"
assert_empty "concurrency: delivered byte for byte" \
    "$(srv_garbled | tr '\n' ' ')"
assert_eq "concurrency: queue empty" "$(ls "$QDIR")" failed
server_stop

t_done

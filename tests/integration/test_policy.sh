#!/bin/sh
# SPDX-License-Identifier: ISC
# The delivery policy (postie(1), QUEUE, "Delivery policy"), the same on both
# paths: each fault once on a direct send and once at a flush of a
# message already queued.  An account or connection fault keeps the
# message in the queue (exit 0 on a send, the fault's code at a flush),
# a temporary one queues it, the message's own failure puts the refused
# recipients in failed/; after healing exactly one delivery follows.
# With the queue off, the fault's own code.  Then: queued mail goes out
# through the config it came through; a config that cannot be read keeps
# the message held until it is fixed.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

QDIR=$POSTIE_QUEUE_DIR
ID_ERE='[0-9]{8}T[0-9]{6}-[0-9a-f]{8}'
USER=alice
PASS='s3cret-Pa55w0rd'
LONG=$(head -c 600 /dev/zero | tr '\0' x)

mkmsg() {
	printf 'From: sender@example.org\nSubject: policy %s\n' "$1" \
	    >"$T_DIR/in-$1.eml"
	printf 'Message-ID: <%s@policy.example.org>\n\nbody %s\n' "$1" "$1" \
	    >>"$T_DIR/in-$1.eml"
}

# delivered TAG: how many of the last server's messages are TAG's.
delivered() {
	grep -l -F -e "Message-ID: <$1@policy.example.org>" \
	    "$SRV_RECORD"/*.eml 2>/dev/null | grep -c .
}

go_down() {
	server_down
}

# fault NAME: start the server of fault NAME and write its config (queue
# line from $QLINE).
fault() {
	case $1 in
	nostarttls)
		server_start_tls good --starttls --no-starttls-offer
		write_config "$QLINE" ;;
	greeting554)
		server_start --reply-at "greeting=554 5.3.2 no service here"
		write_config "tls off" "$QLINE" ;;
	implicit2plain)
		server_start
		write_config "tls_starttls off" "$QLINE" ;;
	expired)
		server_start_tls expired --starttls
		write_config "$QLINE" ;;
	auth535)
		server_start_tls good --starttls --auth "$USER:$PASS"
		write_config "auth plain" "user $USER" "password wrong" \
		    "$QLINE" ;;
	mixed)
		server_start --reply-at "rcpt:bad=550 5.1.1 no such user" \
		    --reply-at "rcpt:later=450 4.2.1 try later"
		write_config "tls off" "$QLINE" ;;
	long451)
		server_start --reply-at "rcpt=451 4.3.0 $LONG"
		write_config "tls off" "$QLINE" ;;
	esac
}

# heal NAME: a healthy server and a good config for the account.
heal() {
	case $1 in
	greeting554|mixed|long451)
		server_start
		write_config "tls off" "queue on" ;;
	auth535)
		server_start_tls good --starttls --auth "$USER:$PASS"
		write_config "auth plain" "user $USER" "password $PASS" \
		    "queue on" ;;
	implicit2plain)
		server_start_tls good --implicit-tls
		write_config "tls_starttls off" "queue on" ;;
	*)
		server_start_tls good --starttls
		write_config "queue on" ;;
	esac
}

rcpts_of() {
	case $1 in
	mixed)	echo "good@example.org bad@example.org later@example.org" ;;
	*)	echo "rcpt@example.org" ;;
	esac
}

# Each row: NAME|QUEUE-OFF EXIT|FLUSH EXIT|KEPT|FAILED|STDERR ERE.  KEPT
# and FAILED: messages in the queue and in failed/ after the attempt.
i=0
while IFS='|' read -r name offex flushex nq nf ere <&3; do
	[ -n "$name" ] || continue
	i=$((i + 1))
	# shellcheck disable=SC2046
	set -- $(rcpts_of "$name")

	# Queue off: the fault's own code, nothing kept.
	tag=off$i
	mkmsg "$tag"
	rm -rf "$QDIR"
	QLINE="queue off"
	fault "$name"
	run_postie_within 30 -i "$@" <"$T_DIR/in-$tag.eml"
	assert_run "$name, queue off: exit $offex" "$offex"
	assert_matches "$name, queue off: says why" "$T_DIR/err" "$ere"
	assert_eq "$name, queue off: nothing kept" "$(nqueued)$(nfailed)" 00
	server_stop

	# Sent now, queue on.
	tag=now$i
	mkmsg "$tag"
	rm -rf "$QDIR"
	QLINE="queue on"
	fault "$name"
	run_postie_within 30 -i "$@" <"$T_DIR/in-$tag.eml"
	if [ "$nf" = 0 ]; then
		assert_run "$name, sent now: exit 0" 0
	else
		assert_run "$name, sent now: exit $offex" "$offex"
	fi
	assert_matches "$name, sent now: says why" "$T_DIR/err" "$ere"
	assert_eq "$name, sent now: kept $nq, failed $nf" \
	    "$(nqueued) $(nfailed)" "$nq $nf"
	if [ "$name" != mixed ]; then
		assert_eq "$name, sent now: nothing accepted" \
		    "$(srv_nmessages)" 0
	fi
	# mailq gives each kept recipient's own error.
	mq=$ere
	[ "$name" = mixed ] && mq='later@example.org>: 450 4\.2\.1'
	if [ "$nq" = 1 ]; then
		run_postie_within 10 -bp
		assert_matches "$name, sent now: mailq gives the error" \
		    "$T_DIR/out" "last error: .*$mq"
	fi
	server_stop
	heal "$name"
	run_postie_within 30 -q
	assert_run "$name, sent now: healed, flush exit 0" 0
	if [ "$name" = mixed ]; then
		assert_eq "$name, sent now: healed, the deferred one once" \
		    "$(srv_envelope 1) $(srv_nmessages)" \
		    "sender@example.org later@example.org 1"
		assert_eq "$name, sent now: failed/ has the refused one" \
		    "$(env_get "$(qids failed)" rcpt failed)" bad@example.org
	else
		assert_eq "$name, sent now: healed, delivered once" \
		    "$(srv_nmessages) $(delivered "$tag")" "1 1"
	fi
	assert_eq "$name, sent now: healed, queue empty" "$(nqueued)" 0
	server_stop

	# Already queued (server down), then flushed against the fault.
	tag=q$i
	mkmsg "$tag"
	rm -rf "$QDIR"
	go_down
	write_config "tls off" "queue on"
	run_postie_within 30 -i "$@" <"$T_DIR/in-$tag.eml"
	assert_eq "$name, flush: queued first" "$(nqueued)" 1
	QLINE="queue on"
	fault "$name"
	run_postie_within 30 -q
	assert_run "$name, flush: exit $flushex" "$flushex"
	assert_eq "$name, flush: kept $nq, failed $nf" \
	    "$(nqueued) $(nfailed)" "$nq $nf"
	if [ "$nq" = 1 ]; then
		run_postie_within 10 -bp
		assert_matches "$name, flush: mailq gives the error" \
		    "$T_DIR/out" "last error: .*$mq"
	fi
	server_stop
	heal "$name"
	run_postie_within 30 -q
	assert_run "$name, flush: healed, flush exit 0" 0
	if [ "$name" = mixed ]; then
		assert_eq "$name, flush: healed, the deferred one once" \
		    "$(srv_envelope 1) $(srv_nmessages)" \
		    "sender@example.org later@example.org 1"
	else
		assert_eq "$name, flush: healed, delivered once" \
		    "$(srv_nmessages) $(delivered "$tag")" "1 1"
	fi
	assert_eq "$name, flush: healed, queue empty" "$(nqueued)" 0
	server_stop
done 3<<EOF
nostarttls|69|69|1|0|does not offer STARTTLS
greeting554|69|69|1|0|greeting: 554 5\.3\.2 no service here
implicit2plain|69|69|1|0|TLS
expired|77|77|1|0|certificate
auth535|77|77|1|0|535
mixed|67|67|1|1|550 5\.1\.1 no such user
long451|75|0|1|0|451 4\.3\.0 xxx
EOF

# The "held" words on a direct send with an account fault.
mkmsg held
rm -rf "$QDIR"
QLINE="queue on"
fault greeting554
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-held.eml"
assert_matches "account fault: one line saying what to fix" "$T_DIR/err" \
    "^postie: 127\.0\.0\.1:$SRV_PORT: at greeting: 554 .*; held in the queue as $ID_ERE .*until this is fixed"
assert_eq "account fault: one line" "$(grep -c . "$T_DIR/err")" 1
run_postie_within 10 -bp
assert_contains "account fault: mailq marks the account" "$T_DIR/out" \
    "held: the account or its config needs fixing"
server_stop

# --- Queue ownership: a message keeps the config it came through.
rm -rf "$QDIR"
mkdir -p "$T_DIR/a" "$T_DIR/b"
go_down
PORT_A=$SRV_PORT
cat >"$T_DIR/a/main.conf" <<EOC
defaults
syslog off
queue on
timeout 10
account default
host 127.0.0.1
port $PORT_A
from a-sender@example.org
tls off
EOC
chmod 600 "$T_DIR/a/main.conf"
mkmsg ownA
run_postie_within 30 -C "$T_DIR/a/main.conf" -i rcpt@example.org \
    <"$T_DIR/in-ownA.eml"
assert_run "ownership: A queued" 0
ID=$(qids)
assert_eq "ownership: the record names A's config" "$(env_get "$ID" config)" \
    "$T_DIR/a/main.conf"
server_start
SRV_B_RECORD=$SRV_RECORD
cat >"$T_DIR/b/test.conf" <<EOC
defaults
syslog off
queue on
timeout 10
account default
host 127.0.0.1
port $SRV_PORT
from b-sender@example.org
tls off
EOC
chmod 600 "$T_DIR/b/test.conf"
mkmsg ownB
(cd "$T_DIR/b" && run_postie_within 30 -C test.conf -i rcpt@example.org \
    <"$T_DIR/in-ownB.eml")
assert_run "ownership: B sent" 0
run_postie_within 30 -C "$T_DIR/b/test.conf" -q
assert_run "ownership: B's flush exit 0" 0
assert_eq "ownership: B's server got only B's mail" \
    "$(srv_nmessages) $(delivered ownB) $(delivered ownA)" "1 1 0"
run_postie_within 30 -q
assert_eq "ownership: a plain -q sends A's through A (still down)" \
    "$(srv_nmessages) $(nqueued)" "1 1"
run_postie_within 10 -bp
assert_contains "ownership: mailq shows the config" "$T_DIR/out" \
    "config $T_DIR/a/main.conf"
server_stop
server_start
sed "s/^port .*/port $SRV_PORT/" "$T_DIR/a/main.conf" >"$T_DIR/a/new" &&
    mv "$T_DIR/a/new" "$T_DIR/a/main.conf"
run_postie_within 30 -C "$T_DIR/a/main.conf" -q
assert_run "ownership: A's flush exit 0" 0
assert_eq "ownership: A's message went through A, once" \
    "$(srv_nmessages) $(delivered ownA) $(srv_envelope 1)" \
    "1 1 a-sender@example.org rcpt@example.org"
assert_eq "ownership: queue empty" "$(nqueued)$(nfailed)" 00
server_stop

# --- A config that cannot be read: the message is read and held.
rm -rf "$QDIR"
server_start
write_config "tls off" "queue on"
cp "$CONFIG" "$T_DIR/good.conf"
printf 'defaults\nthis is not a key\n' >"$CONFIG"
mkmsg broken
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in-broken.eml"
assert_run "broken config: exit 0, the message is kept" 0
assert_matches "broken config: names file and line, says held" \
    "$T_DIR/err" "config:2: .*held in the queue as $ID_ERE until this is fixed"
assert_eq "broken config: held in the queue" "$(nqueued) $(nfailed)" "1 0"
run_postie_within 30 -q
assert_run "broken config: flush says it is still held" 78
assert_eq "broken config: still held" "$(nqueued) $(srv_nmessages)" "1 0"
cp "$T_DIR/good.conf" "$CONFIG"
run_postie_within 30 -q
assert_run "broken config: fixed, flush exit 0" 0
assert_eq "broken config: fixed, delivered once" \
    "$(srv_nmessages) $(delivered broken) $(srv_envelope 1)" \
    "1 1 sender@example.org rcpt@example.org"
assert_eq "broken config: queue empty" "$(nqueued)$(nfailed)" 00

rm -rf "$QDIR"
mv "$CONFIG" "$T_DIR/away.conf"
mkmsg noconf
printf 'To: rcpt@example.org\n' | cat - "$T_DIR/in-noconf.eml" |
    run_postie_within 30 -t
assert_run "no config: exit 0" 0
assert_eq "no config: held" "$(nqueued)" 1
mv "$T_DIR/away.conf" "$CONFIG"
run_postie_within 30 -q
assert_eq "no config: delivered once the config is there" \
    "$(delivered noconf) $(nqueued)" "1 0"
server_stop

# --- The queue's disk is full: the real reason is said, and the caller
# keeps the message (75).  A 64 KiB tmpfs in a private mount namespace.
rm -rf "$QDIR"
mkdir -p "$QDIR"
go_down
write_config "tls off" "queue on"
{
	printf 'Subject: big\n\n'
	head -c 300000 /dev/zero | tr '\0' x | fold -w 70
} >"$T_DIR/in-big.eml"
if unshare -rm true 2>/dev/null; then
	unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1" &&
	    "$2" -i rcpt@example.org <"$3" >"$4/out" 2>"$4/err"
	    echo $? >"$4/rc"' sh "$QDIR" "$POSTIE" "$T_DIR/in-big.eml" "$T_DIR"
	assert_run "disk full: exit 75" 75
	assert_contains "disk full: says the real reason" "$T_DIR/err" \
	    "No space left on device"
	assert_matches "disk full: and why it was to be queued" "$T_DIR/err" \
	    "^postie: connect to 127\.0\.0\.1:[0-9]+ failed: Connection refused; .*could not be"
else
	t_fail "disk full" "unshare -rm is not available"
fi

# --- A bare name (cron's MAILTO=root) with neither maildomain nor
# aliases: qualified with this host's name and sent, not refused.
rm -rf "$QDIR"
server_start
write_config "tls off" "queue on"
mkmsg root
run_postie_within 30 -i root <"$T_DIR/in-root.eml"
assert_run "bare root: exit 0" 0
assert_eq "bare root: sent to root@ this host" \
    "$(srv_envelope 1 | grep -c -E ' root@[^ @]+$')" 1
server_stop

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# A queue flush sends the messages of one account over one connection:
# one greeting, TLS handshake and AUTH for all of them; a message refused
# for good goes to failed/ while the others go out on the same
# connection; a server that cannot be reached or greets with 421 costs
# one connection attempt, not one per message; a connection the server
# ends midway is replaced while it makes progress.
# Failure notices are off (bounce off): test_notices.sh tests them.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

QDIR=$POSTIE_QUEUE_DIR

# mkmsg TAG: $T_DIR/in-TAG.eml and want-TAG.eml (what a server must
# receive: CRLF line ends, nothing else changed).
mkmsg() {
	{
		printf 'From: Sender <sender@example.org>\n'
		printf 'To: rcpt@example.org\n'
		printf 'Subject: flush test %s\n' "$1"
		printf 'Date: Mon, 02 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <%s@flush.example.org>\n' "$1"
		printf '\n'
		printf 'body of %s\n.\nlast line\n' "$1"
	} >"$T_DIR/in-$1.eml"
	sed 's/$/\r/' "$T_DIR/in-$1.eml" >"$T_DIR/want-$1.eml"
}

# srv_find TAG: the last server's recorded message with TAG's Message-ID.
srv_find() {
	grep -l -F -e "Message-ID: <$1@flush.example.org>" \
	    "$SRV_RECORD"/*.eml 2>/dev/null
}

# nconnects: connections the last server accepted.
nconnects() { grep -c '^\* connect' "$SRV_TRANSCRIPT"; }

# ncmd VERB: how many VERB commands the last server received.
ncmd() { grep -c "^C: $1" "$SRV_TRANSCRIPT"; }

# go_down CONFIG-LINES...: the smarthost is down (a port where nothing
# listens), the config says so.
go_down() {
	rm -rf "$QDIR"
	server_down
	write_config "$@"
}

# queue TAG RCPT [ARGS...]: send TAG's message to RCPT while the
# smarthost is down; it must be queued.
queue() {
	_tag=$1
	_rcpt=$2
	shift 2
	mkmsg "$_tag"
	run_postie_within 30 "$@" -i "$_rcpt" <"$T_DIR/in-$_tag.eml"
	grep -q 'queued as' "$T_DIR/err" ||
	    t_fail "queue $_tag" "not queued: $(cat "$T_DIR/err")"
}

# up ARGS...: start a server with ARGS; the config points at it.
up() {
	server_start "$@"
	write_config "tls off" "queue on" "bounce off"
}

# --- Five messages, one connection, each byte for byte, one log line
# each.
go_down "tls off" "queue on" "bounce off"
for t in m1 m2 m3 m4 m5; do
	queue "$t" "$t@example.org"
done
assert_eq "five: queued" "$(nqueued)" 5
up
nlog=$(wc -l <"$T_DIR/postie.log")
run_postie_within 60 -q
assert_run "five: exit 0" 0
assert_empty "five: quiet" "$(cat "$T_DIR/out" "$T_DIR/err")"
assert_eq "five: all delivered" "$(srv_nmessages)" 5
assert_eq "five: over one connection" "$(nconnects)" 1
assert_eq "five: one EHLO" "$(ncmd EHLO)" 1
assert_eq "five: five transactions" "$(ncmd MAIL)" 5
assert_eq "five: no RSET after successful messages" "$(ncmd RSET)" 0
assert_eq "five: one QUIT" "$(ncmd QUIT)" 1
ok=0
for t in m1 m2 m3 m4 m5; do
	cmp -s "$(srv_find "$t")" "$T_DIR/want-$t.eml" && ok=$((ok + 1))
done
assert_eq "five: each byte for byte" "$ok" 5
assert_eq "five: queue empty" "$(nqueued)" 0
assert_eq "five: one log line each" \
    "$(($(wc -l <"$T_DIR/postie.log") - nlog))" 5
server_stop

# --- A recipient refused with 550 in the middle: that message alone goes
# to failed/, RSET, and the others go out on the same connection.
go_down "tls off" "queue on" "bounce off"
queue a a@example.org
queue b bad@example.org
queue c c@example.org
up --reply-at "rcpt:bad=550 5.1.1 no such user"
run_postie_within 60 -q
assert_run "550 in the middle: exit 67" 67
assert_matches "550 in the middle: says failed for good" "$T_DIR/err" \
    "failed for good, moved to failed/: .*550 5.1.1 no such user"
assert_eq "550 in the middle: one line on stderr" \
    "$(wc -l <"$T_DIR/err" | tr -d ' ')" 1
assert_eq "550 in the middle: one connection" "$(nconnects)" 1
assert_eq "550 in the middle: the others delivered" \
    "$(srv_find a | grep -c .)$(srv_find c | grep -c .)" 11
assert_eq "550 in the middle: not the refused one" "$(srv_nmessages)" 2
assert_eq "550 in the middle: the transaction reset" "$(ncmd RSET)" 1
assert_eq "550 in the middle: queue empty" "$(nqueued)" 0
F=$(qids failed)
assert_eq "550 in the middle: the refused one in failed/" \
    "$(env_get "$F" rcpt failed)" bad@example.org
server_stop

# --- A server that greets with 421: one connection, every message kept
# with its error.
go_down "tls off" "queue on" "bounce off"
for t in d1 d2 d3; do
	queue "$t" "$t@example.org"
done
up --reply-at "greeting=421 4.3.2 busy"
run_postie_within 60 -q -v
assert_run "421 greeting: exit 0" 0
assert_eq "421 greeting: one connection attempt" "$(nconnects)" 1
assert_eq "421 greeting: each kept with the server's words" \
    "$(grep -c 'kept in the queue: .*421 4.3.2 busy' "$T_DIR/err")" 3
assert_matches "421 greeting: summary" "$T_DIR/out" \
    "0 delivered, 3 kept for a later try, 0 failed for good"
ok=0
for id in $(qids); do
	[ "$(env_get "$id" attempts)" = 1 ] && ok=$((ok + 1))
done
assert_eq "421 greeting: an attempt counted for each" "$ok" 3
server_stop

# Nothing listening: each message says the connection was refused.
write_config "tls off" "queue on" "bounce off"
run_postie_within 60 -q -v
assert_eq "down: each kept, connection refused" \
    "$(grep -c 'kept in the queue: .*refused' "$T_DIR/err")" 3

# --- The server ends the connection after two messages (421 to MAIL):
# that message is kept, a new connection takes the rest.
go_down "tls off" "queue on" "bounce off"
for t in r1 r2 r3 r4 r5; do
	queue "$t" "$t@example.org"
done
up --max-messages 2
run_postie_within 60 -q -v
assert_run "closed after two: exit 0" 0
assert_eq "closed after two: four delivered" "$(srv_nmessages)" 4
assert_eq "closed after two: two connections" "$(nconnects)" 2
assert_eq "closed after two: one kept" "$(nqueued)" 1
assert_matches "closed after two: kept with the 421" "$T_DIR/err" \
    "kept in the queue: .*at MAIL FROM: 421 4.7.0 enough"
run_postie_within 60 -q
assert_eq "closed after two: the next flush delivers it" \
    "$(srv_nmessages)$(nqueued)" 50
server_stop

# --- Connections lost at their first message twice in a row: the
# account's other messages wait for the next flush.
go_down "tls off" "queue on" "bounce off"
for t in l1 l2 l3; do
	queue "$t" "$t@example.org"
done
up --close-after-dot
run_postie_within 60 -q -v
assert_run "lost twice: exit 0" 0
assert_eq "lost twice: two connections" "$(nconnects)" 2
assert_eq "lost twice: all kept" "$(nqueued)" 3
assert_eq "lost twice: two tried" \
    "$(grep -v 'not tried' "$T_DIR/err" |
    grep -c 'kept in the queue: .*final dot')" 2
assert_matches "lost twice: the third not tried" "$T_DIR/err" \
    "kept in the queue: not tried: the server ended two connections"
server_stop

# --- Two accounts queued in turn: one connection each, each account's
# messages together.
go_down "tls off" "queue on" "bounce off"
queue x1 x1@example.org -a test
queue y1 y1@example.org
queue x2 x2@example.org -a test
queue y2 y2@example.org
assert_eq "two accounts: both named" \
    "$(for id in $(qids); do env_get "$id" account; done | sort -u |
    tr '\n' ' ')" "default test "
up
run_postie_within 60 -q
assert_run "two accounts: exit 0" 0
assert_eq "two accounts: all delivered" "$(srv_nmessages)" 4
assert_eq "two accounts: one connection each" "$(nconnects)" 2
assert_eq "two accounts: each account's messages together" \
    "$(grep '^C: RCPT' "$SRV_TRANSCRIPT" | sed 's/.*<\(.\).*/\1/' |
    uniq | grep -c .)" 2
server_stop

# --- STARTTLS and AUTH once for all the messages.
go_down "queue on" "bounce off" "auth on" "user alice" "password pw"
for t in t1 t2 t3; do
	queue "$t" "$t@example.org"
done
server_start_tls good --starttls --auth "alice:pw"
write_config "queue on" "bounce off" "auth on" "user alice" "password pw"
run_postie_within 60 -q
assert_run "TLS and AUTH: exit 0" 0
assert_eq "TLS and AUTH: all delivered" "$(srv_nmessages)" 3
assert_eq "TLS and AUTH: one connection" "$(nconnects)" 1
assert_eq "TLS and AUTH: one handshake" \
    "$(grep -c '^\* tls started' "$SRV_TRANSCRIPT")" 1
assert_eq "TLS and AUTH: one AUTH" "$(ncmd AUTH)" 1
assert_eq "TLS and AUTH: queue empty" "$(nqueued)" 0
server_stop

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# A queue that monitoring can read and an operator can manage (postie(1),
# QUEUE, "Monitoring" and "Managing the queue"): postie --health for each
# outcome (OK, WARNING, CRITICAL, UNKNOWN), its exit status and perfdata;
# mailq --json, every line parsed and matched against the queue's files;
# --hold keeps a message from a flush against a live server, --release
# lets it go once; --delete removes both files of a queued or a failed
# message, and --delete failed all of failed/.  As root, the health check
# also reads every drop queue, and changes nothing anywhere.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

QDIR=$POSTIE_QUEUE_DIR
ID_ERE='[0-9]{8}T[0-9]{6}-[0-9a-f]{8}'
PERF0='queued=0 held=0 failed=0 account=0 unreadable=0 oldest=0s;3600;86400;0'
ln -s "$POSTIE" "$T_DIR/mailq"

printf 'From: sender@example.org\nSubject: ops\n\nbody\n' >"$T_DIR/in.eml"

# go_down CONFIG-LINES...: the smarthost is down (nothing listens on the
# port the config names).
go_down() {
	server_down
	write_config "tls off" "queue on" "$@"
}

# queue_one RCPT...: send while the smarthost is down; the message must
# be queued; its id in QID.
queue_one() {
	run_postie_within 30 -i "$@" <"$T_DIR/in.eml"
	QID=$(sed -n 's/.*queued as \([0-9T]*-[0-9a-f]*\).*/\1/p' \
	    "$T_DIR/err" | head -n 1)
	[ -n "$QID" ] || t_fail "queue_one $*" "not queued: $(cat \
	    "$T_DIR/err")"
}

# set_age ID SECONDS: the message was created SECONDS ago.
set_age() {
	sed -i "s/^created .*/created $(($(date +%s) - $2))/" \
	    "$QDIR/$1.env"
}

# json_check NAME PY: the last run's stdout, each line parsed with
# Python's json module into the list L (and D, the objects by id),
# passes the Python expression PY; each line must parse.
json_check() {
	if "$PYTHON3" -c 'import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
D = {m["id"]: m for m in L}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T_DIR/out" "$2" \
	    >"$T_DIR/py.err" 2>&1; then
		t_pass "$1"
	else
		t_fail "$1" "not true: $2: $(sed -n 1,3p "$T_DIR/py.err") \
$(sed -n 1,3p "$T_DIR/out")"
	fi
}

# json_check itself fails on a false claim and on a line that is not JSON.
printf '{"id": "x"}\n' >"$T_DIR/out"
json_check "json_check: a true claim passes" "L == [{'id': 'x'}]"
for _claim in "L == []" "D['x']['state'] == 'queued'"; do
	case $(json_check self "$_claim") in
	"FAIL - self"*) t_pass "json_check: fails on $_claim" ;;
	*) t_fail "json_check: fails on $_claim" "it passed" ;;
	esac
done
printf '{"id": "x"}\nnot json\n' >"$T_DIR/out"
case $(json_check self "True") in
"FAIL - self"*) t_pass "json_check: fails on a line that is not JSON" ;;
*) t_fail "json_check: fails on a line that is not JSON" "it passed" ;;
esac

# --- An empty queue (none at all): OK, and nothing created.
run_postie --health
assert_run "empty: OK, exit 0" 0
assert_line "empty: the line" "$T_DIR/out" "POSTIE OK - 0 queued, 0 failed | $PERF0"
"$T_DIR/mailq" --json >"$T_DIR/out" 2>"$T_DIR/err"
assert_eq "empty: mailq --json exit 0" "$?" 0
assert_empty "empty: mailq --json prints nothing" "$(cat "$T_DIR/out")"
assert_eq "empty: no queue created" "$(test -e "$QDIR" && echo made ||
    echo none)" none

# --- A message queued for a temporary failure: OK while young.
go_down
queue_one rcpt@example.org
run_postie --health
assert_run "young temporary: OK, exit 0" 0
assert_matches "young temporary: the line" "$T_DIR/out" \
    '^POSTIE OK - 1 queued, 0 failed, oldest [0-9]+s \| queued=1 held=0 failed=0 account=0 unreadable=0 oldest=[0-9]+s;3600;86400;0$'

# Older than --warn-age, then than --crit-age.  The age is 7200 s plus
# the time the test has taken since (up to 99 s: valgrind on a loaded
# machine took 14).
set_age "$QID" 7200
run_postie --health
assert_run "2h old: WARNING, exit 1" 1
assert_matches "2h old: the line" "$T_DIR/out" \
    '^POSTIE WARNING - 1 queued, 0 failed, oldest 2h(00m)? \(over 1h\) \| queued=1 held=0 failed=0 account=0 unreadable=0 oldest=72[0-9][0-9]s;3600;86400;0$'
run_postie --health --warn-age 3h
assert_run "2h old, --warn-age 3h: OK" 0
run_postie --health --crit-age=90m
assert_run "2h old, --crit-age 90m: CRITICAL, exit 2" 2
assert_matches "2h old, --crit-age 90m: the thresholds in the perfdata" \
    "$T_DIR/out" '^POSTIE CRITICAL - .*\(over 1h30m\) \| .* oldest=72[0-9][0-9]s;3600;5400;0$'
run_postie --health --warn-age 10m --crit-age 30m
assert_run "2h old, both given: CRITICAL" 2
assert_matches "2h old, both given: perfdata" "$T_DIR/out" \
    'oldest=72[0-9][0-9]s;600;1800;0$'
set_age "$QID" $((2 * 86400))
run_postie --health
assert_run "2 days old: CRITICAL, exit 2" 2
assert_matches "2 days old: the line" "$T_DIR/out" \
    '^POSTIE CRITICAL - 1 queued, 0 failed, oldest 2d \(over 1d\) \| '
run_postie --health --warn-age 2h --crit-age 1h
assert_run "thresholds the wrong way round: UNKNOWN, exit 3" 3
assert_line "thresholds the wrong way round: the line" "$T_DIR/out" \
    "POSTIE UNKNOWN - --warn-age (7200s) is longer than --crit-age (3600s)"
run_postie --health --warn-age 1x
assert_run "a bad age: usage error" 64 "option --warn-age: bad value '1x'"

# --- A failed message: WARNING.
rm -rf "$QDIR"
server_start --reply-at "rcpt:bad=550 5.1.1 no such user"
write_config "tls off" "queue on"
run_postie_within 30 -i bad@example.org <"$T_DIR/in.eml"
assert_run "550: exit 67, kept in failed/" 67
assert_eq "550: one failed" "$(nqueued) $(nfailed)" "0 1"
server_stop
run_postie --health
assert_run "failed: WARNING, exit 1" 1
assert_line "failed: the line" "$T_DIR/out" \
    "POSTIE WARNING - 0 queued, 1 failed | queued=0 held=0 failed=1 account=0 unreadable=0 oldest=0s;3600;86400;0"

# --- An account fault: CRITICAL.  The server refuses the password.
rm -rf "$QDIR"
server_start --auth alice:right --auth-cleartext
write_config "tls off" "queue on" "auth plain" "user alice" \
    "password wrong" "allow_cleartext_auth on"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "wrong password: kept, exit 0" 0 "held in the queue"
server_stop
run_postie --health
assert_run "wrong password: CRITICAL, exit 2" 2
assert_matches "wrong password: the line names the message and why" \
    "$T_DIR/out" "^POSTIE CRITICAL - 1 queued, 0 failed, oldest [0-9]+s; 1 kept for its account or config, $(qids): .*535"
assert_matches "wrong password: perfdata" "$T_DIR/out" \
    '\| queued=1 held=0 failed=0 account=1 unreadable=0 oldest=[0-9]+s;3600;86400;0$'

# A record that cannot be read: UNKNOWN, unless something is critical.
rm -rf "$QDIR"
go_down
queue_one rcpt@example.org
printf 'not a record\n' >"$QDIR/$QID.env"
run_postie --health
assert_run "damaged record: UNKNOWN, exit 3" 3
assert_matches "damaged record: says so" "$T_DIR/out" \
    '^POSTIE UNKNOWN - 0 queued, 0 failed; 1 cannot be read \| .*unreadable=1 '
run_postie -bp --json
assert_run "damaged record: mailq --json exit 0" 0
json_check "damaged record: a line with its error" \
    "L == [{'id': '$QID', 'state': 'queued', 'error': 'queue: $QID.env is damaged'}]"

# --- mailq --json: a message kept for two recipients, each with its own
# error; a raw one held for its config; a failed one.
rm -rf "$QDIR"
server_start --reply-at "rcpt:busy=450 4.2.1 mailbox busy" \
    --reply-at "rcpt:bad=550 5.1.1 no such user" \
    --reply-at "dot=451 4.3.0 try later"
write_config "tls off" "queue on"
run_postie_within 30 -i ok@example.org busy@example.org bad@example.org \
    <"$T_DIR/in.eml"
assert_run "mixed: 550 for one, exit 67" 67
server_stop
assert_eq "mixed: one queued, one failed" "$(nqueued) $(nfailed)" "1 1"
KEPT=$(qids)
FAILED=$(qids failed)
assert_eq "mixed: the busy one has its own error in the record" \
    "$(env_get "$KEPT" rcpt_error)" \
    "at RCPT TO <busy@example.org>: 450 4.2.1 mailbox busy"
cp "$CONFIG" "$T_DIR/good.conf"
printf 'defaults\nthis is not a key\n' >"$CONFIG"
run_postie_within 30 -i -f sender@example.org raw@example.org \
    <"$T_DIR/in.eml"
assert_run "broken config: kept, exit 0" 0 "held in the queue"
RAW=$(qids | grep -v -x -e "$KEPT")
assert_eq "broken config: the record is raw" "$(env_get "$RAW" raw)" 1

"$T_DIR/mailq" --json >"$T_DIR/out" 2>"$T_DIR/err"
echo $? >"$T_DIR/rc"
cp "$T_DIR/out" "$T_DIR/mailq.json"
assert_run "mailq --json: exit 0" 0
assert_eq "mailq --json: one line a message" "$(grep -c . "$T_DIR/out")" 3
json_check "mailq --json: the ids of the queue, then of failed/" \
    "[m['id'] for m in L] == sorted(['$KEPT', '$RAW']) + ['$FAILED']"
json_check "mailq --json: every field, of the right type" \
    "all(set(m) == {'id', 'state', 'config', 'account', 'created', 'next_try', 'attempts', 'size', 'sender', 'recipients', 'last_error', 'fault', 'raw'} and isinstance(m['created'], int) and isinstance(m['size'], int) and m['size'] > 0 and isinstance(m['raw'], bool) for m in L)"
json_check "mailq --json: the kept message" \
    "D['$KEPT']['state'] == 'queued' and D['$KEPT']['fault'] == 'temporary' and D['$KEPT']['raw'] is False and D['$KEPT']['account'] == 'default' and D['$KEPT']['config'] is None and D['$KEPT']['sender'] == 'sender@example.org' and D['$KEPT']['attempts'] == 0 and isinstance(D['$KEPT']['next_try'], int)"
json_check "mailq --json: its recipients, each with its own error" \
    "[(r['address'], r['state']) for r in D['$KEPT']['recipients']] == [('ok@example.org', 'queued'), ('busy@example.org', 'queued')] and '451 4.3.0 try later' in D['$KEPT']['recipients'][0]['last_error'] and D['$KEPT']['recipients'][0]['last_error'] == D['$KEPT']['last_error'] and D['$KEPT']['recipients'][1]['last_error'] == 'at RCPT TO <busy@example.org>: 450 4.2.1 mailbox busy'"
json_check "mailq --json: the raw message, held for its config" \
    "D['$RAW']['raw'] is True and D['$RAW']['state'] == 'queued' and D['$RAW']['fault'] == 'account' and D['$RAW']['account'] is None and D['$RAW']['sender'] == 'sender@example.org' and [r['address'] for r in D['$RAW']['recipients']] == ['raw@example.org'] and 'unknown key' in D['$RAW']['last_error']"
json_check "mailq --json: the failed message" \
    "D['$FAILED']['state'] == 'failed' and D['$FAILED']['next_try'] is None and D['$FAILED']['fault'] is None and [(r['address'], r['state']) for r in D['$FAILED']['recipients']] == [('bad@example.org', 'failed')] and '550 5.1.1 no such user' in D['$FAILED']['last_error']"
run_postie -bp --json
assert_same "postie -bp --json: the same lines" "$T_DIR/out" \
    "$T_DIR/mailq.json"
run_postie --health
assert_run "mixed queue: CRITICAL (the raw one's config)" 2
assert_matches "mixed queue: perfdata" "$T_DIR/out" \
    '\| queued=2 held=0 failed=1 account=1 unreadable=0 '
cp "$T_DIR/good.conf" "$CONFIG"

# --- Hold and release: a held message is not sent by a flush against a
# live server, even by id; released, the next flush sends it once.
rm -rf "$QDIR"
go_down
queue_one held@example.org
run_postie --hold "$QID"
assert_run "hold: exit 0" 0 "$QID: put on hold"
assert_eq "hold: in the record" "$(env_get "$QID" held)" 1
run_postie -bp
assert_contains "hold: mailq says so" "$T_DIR/out" \
    "on hold: no flush sends it until 'postie --release $QID'"
run_postie -bp --json
json_check "hold: mailq --json says held" \
    "[(m['id'], m['state'], [r['state'] for r in m['recipients']]) for m in L] == [('$QID', 'held', ['held'])]"
run_postie --health
assert_run "hold: OK, however old" 0
assert_matches "hold: counted" "$T_DIR/out" \
    '^POSTIE OK - 1 queued, 0 failed, 1 on hold \| queued=1 held=1 '
server_start
write_config "tls off" "queue on"
run_postie_within 30 -q
assert_run "hold: flush exit 0" 0
run_postie_within 30 -qI "$QID"
assert_run "hold: flush of its id exit 0" 0
assert_eq "hold: nothing sent, still queued" \
    "$(srv_nmessages) $(nqueued)" "0 1"
run_postie --release "$QID"
assert_run "release: exit 0" 0 "$QID: released"
assert_empty "release: not held in the record" "$(env_get "$QID" held)"
run_postie_within 30 -q
assert_run "release: flush exit 0" 0
assert_eq "release: sent once, queue empty" "$(srv_nmessages) $(nqueued)" \
    "1 0"
assert_eq "release: to its recipient" "$(srv_envelope 1)" \
    "sender@example.org held@example.org"
run_postie_within 30 -q
assert_eq "release: a second flush sends nothing more" "$(srv_nmessages)" 1
run_postie --hold "$QID"
assert_run "hold: a message no longer there: exit 66" 66 \
    "no message $QID"
run_postie --release 20260101T000000-00000000
assert_run "release: no such message: exit 66" 66
server_stop

# --- Delete: a queued message, a failed one, all of failed/.
rm -rf "$QDIR"
go_down
queue_one del@example.org
DEL=$QID
run_postie --delete "$DEL"
assert_run "delete: exit 0" 0
assert_line "delete: said" "$T_DIR/out" "$DEL: deleted from the queue"
assert_eq "delete: both files gone" \
    "$(ls "$QDIR" | grep -c -e "^$DEL\.")" 0
run_postie --delete "$DEL"
assert_run "delete again: exit 66" 66 "no message $DEL in $QDIR or its failed/"
server_start --reply-at "rcpt:bad=550 5.1.1 no such user"
write_config "tls off" "queue on"
for _n in 1 2 3; do
	run_postie_within 30 -i bad@example.org <"$T_DIR/in.eml"
done
server_stop
assert_eq "delete: three failed" "$(nfailed)" 3
F1=$(qids failed | head -n 1)
run_postie --delete "$F1"
assert_run "delete failed/ID: exit 0" 0
assert_line "delete failed/ID: said" "$T_DIR/out" "$F1: deleted from failed/"
assert_eq "delete failed/ID: both files gone" \
    "$(ls "$QDIR/failed" | grep -c -e "^$F1\.")" 0
qids failed >"$T_DIR/left"
run_postie --delete failed
assert_run "delete failed: exit 0" 0
assert_eq "delete failed: one line each" "$(grep -c 'deleted from failed/$' \
    "$T_DIR/out")" 2
for _id in $(cat "$T_DIR/left"); do
	assert_line "delete failed: $_id said" "$T_DIR/out" \
	    "$_id: deleted from failed/"
done
assert_empty "delete failed: failed/ is empty" "$(ls -A "$QDIR/failed")"
run_postie --delete failed
assert_run "delete failed, none: exit 0" 0 "no failed message to delete"
run_postie --delete ../x
assert_run "delete: a bad id: exit 64" 64 "bad message id"

# --- As root: the health check covers every drop queue, read only.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "# not root (or no setpriv): the drop spool part is not run"
	t_done
	exit
fi
rm -rf "$QDIR"
D=$(mktemp -d /tmp/postie-ops.XXXXXX) || exit 99
trap 'server_stop_all; rm -rf "$T_DIR" "$D"' EXIT
chmod 755 "$D"
cp "$POSTIE" "$D/postie"
chmod 755 "$D/postie"
mkdir -m 755 "$D/www"
DROP=$D/drop
mkdir -m 1733 "$DROP"
printf 'account default\nhost 127.0.0.1\nfrom www@example.org\n' \
    >"$D/system.conf"
chmod 600 "$D/system.conf"
chmod 644 "$T_DIR/in.eml"
cp "$T_DIR/in.eml" "$D/in.eml"

# as_nobody ARGS...: postie as uid 65534, whose home is root's.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env -i PATH=/usr/bin:/bin HOME="$D/www" POSTIE_DROP_DIR="$DROP" \
	    "$D/postie" "$@" <"$D/in.eml" >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
}

as_nobody -C "$D/system.conf" -i rcpt@example.org
assert_run "drop: nobody's message kept" 0 "held in the queue"
as_nobody --health
assert_run "drop: nobody's own check: CRITICAL" 2
assert_matches "drop: nobody's own check counts it" "$T_DIR/out" \
    '\| queued=1 held=0 failed=0 account=1 '
listing() {
	find "$QDIR" "$DROP" -exec stat -c '%n %u %a %s %Y' {} + 2>/dev/null |
	    sort
}
listing >"$T_DIR/before"
POSTIE_DROP_DIR=$DROP run_postie --health
assert_run "drop: root's check: CRITICAL" 2
assert_matches "drop: root's check counts nobody's message" "$T_DIR/out" \
    '\| queued=1 held=0 failed=0 account=1 '
listing >"$T_DIR/after"
assert_same "drop: root's check changed nothing" "$T_DIR/after" \
    "$T_DIR/before"
assert_eq "drop: root's check made no queue of root's" \
    "$(test -e "$QDIR" && echo made || echo none)" none
chown 65534 "$DROP"
POSTIE_DROP_DIR=$DROP run_postie --health
assert_run "drop: a spool that is not root's: UNKNOWN" 3
assert_matches "drop: says why" "$T_DIR/out" \
    "^POSTIE UNKNOWN - drop spool $DROP is not root's$"

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# The metrics file (postie.conf(5), metrics_file; postie(1), QUEUE,
# "Monitoring"): after a send and after a flush it is rewritten in the
# Prometheus text format, parsed here by python3-prometheus-client's own
# parser; the values after a delivered message, a queued one, a failed
# attempt at flush and a message moved to failed/; mode 0644, no address
# in it; the per-account times kept in the queue's metrics.state; a
# metrics file that cannot be written never changes a send's outcome.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

PROM=$T_DIR/textfile/postie.prom
mkdir -p "$T_DIR/textfile"
printf 'From: sender@example.org\nTo: rcpt@example.org\nSubject: secret topic\n\nbody\n' \
    >"$T_DIR/in.eml"

"$PYTHON3" -c 'import prometheus_client.parser' 2>/dev/null ||
    t_hard_error "python3-prometheus-client is not importable by $PYTHON3 (Debian: apt install python3-prometheus-client)"

# config: write_config with the queue on, no TLS, and the metrics file
# in defaults.  Failure notices off: a refused message's notice would be
# a second message (test_notices.sh tests them).
config() {
	write_config "tls off" "queue on" "bounce off"
	sed -i "/^defaults\$/a metrics_file $PROM" "$CONFIG"
}

# prom_check NAME PY: the metrics file, parsed by prometheus_client's
# text parser, passes the Python expression PY, where v(NAME) is the
# value of NAME{config="default",account="default"} (None when absent)
# and V maps (name, config, account) to every sample's value.
prom_check() {
	if "$PYTHON3" -c 'import sys
from prometheus_client.parser import text_string_to_metric_families
V = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        V[(s.name, s.labels.get("config"), s.labels.get("account"))] = s.value
def v(name, config="default", account="default"):
    return V.get((name, config, account))
now = int(sys.argv[3])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$PROM" "$2" "$(date +%s)" \
	    >"$T_DIR/py.err" 2>&1; then
		t_pass "$1"
	else
		t_fail "$1" "not true: $2: $(sed -n 1,3p "$T_DIR/py.err") \
$(grep -v '^#' "$PROM" 2>/dev/null | head -n 8)"
	fi
}

# prom_check itself fails on a false claim, a missing sample and a file
# that is not in the format.
printf '# TYPE x gauge\nx{config="default",account="default"} 2\n' >"$PROM"
prom_check "prom_check: a true claim passes" "v('x') == 2"
for _claim in "v('x') == 3" "v('y') == 2"; do
	case $(prom_check self "$_claim") in
	"FAIL - self"*) t_pass "prom_check: fails on $_claim" ;;
	*) t_fail "prom_check: fails on $_claim" "it passed" ;;
	esac
done
printf 'x{config="a" 2\n' >"$PROM"
case $(prom_check self "True") in
"FAIL - self"*) t_pass "prom_check: fails on a file not in the format" ;;
*) t_fail "prom_check: fails on a file not in the format" "it passed" ;;
esac
rm -f "$PROM"

# --- A message delivered.
server_start
config
t0=$(date +%s)
run_postie_within 30 -t <"$T_DIR/in.eml"
assert_run "delivered: exit 0" 0
assert_eq "delivered: the server has it" "$(srv_nmessages)" 1
if [ -f "$PROM" ]; then
	t_pass "delivered: the metrics file is written"
else
	t_fail "delivered: the metrics file is written" "no $PROM"
fi
assert_eq "the metrics file: mode 0644" "$(stat -c %a "$PROM")" 644
prom_check "delivered: nothing queued or failed" \
    "v('postie_queued_messages') == 0 and v('postie_failed_messages') == 0 and v('postie_held_messages') == 0 and v('postie_oldest_message_age_seconds') == 0"
prom_check "delivered: last success now, no failure" \
    "$t0 <= v('postie_last_success_timestamp_seconds') <= now and v('postie_last_failure_timestamp_seconds') == 0"
prom_check "delivered: written now, nothing unreadable" \
    "$t0 <= V[('postie_metrics_timestamp_seconds', None, None)] <= now and V[('postie_unreadable_records', None, None)] == 0"
assert_not_matches "the metrics file: no address" "$PROM" '@'
assert_not_matches "the metrics file: no subject" "$PROM" 'secret topic'
if [ -f "$POSTIE_QUEUE_DIR/metrics.state" ]; then
	assert_eq "metrics.state: in the queue, mode 0600" \
	    "$(stat -c %a "$POSTIE_QUEUE_DIR/metrics.state")" 600
else
	t_fail "metrics.state: in the queue, mode 0600" "no file"
fi
ok1=$("$PYTHON3" -c 'import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        if s.name == "postie_last_success_timestamp_seconds":
            print(int(s.value))' "$PROM")
sleep 1

# --- The smarthost down: the message is queued.
server_down
config
t1=$(date +%s)
run_postie_within 30 -t <"$T_DIR/in.eml"
assert_run "down: queued, exit 0" 0
assert_eq "down: one message queued" "$(nqueued)" 1
prom_check "down: one queued, none failed" \
    "v('postie_queued_messages') == 1 and v('postie_failed_messages') == 0"
prom_check "down: the oldest message's age" \
    "0 <= v('postie_oldest_message_age_seconds') <= now - $t1 + 1"
prom_check "down: last failure now, last success kept" \
    "$t1 <= v('postie_last_failure_timestamp_seconds') <= now and v('postie_last_success_timestamp_seconds') == $ok1"

# The oldest message's age follows its creation time.
QID=$(qids | head -n 1)
tc=$(($(date +%s) - 3600))
sed -i "s/^created .*/created $tc/" "$POSTIE_QUEUE_DIR/$QID.env"
sleep 1

# --- A flush that fails again: the failure time moves on.
t2=$(date +%s)
run_postie_within 30 -q
prom_check "flush, still down: queued, age from the record" \
    "v('postie_queued_messages') == 1 and $t2 - $tc <= v('postie_oldest_message_age_seconds') <= now - $tc"
prom_check "flush, still down: last failure now" \
    "$t2 <= v('postie_last_failure_timestamp_seconds') <= now and v('postie_last_success_timestamp_seconds') == $ok1"

# --- A hold: counted as held, not in the age.
run_postie --hold "$QID"
run_postie_within 30 -q
prom_check "held: counted, no age" \
    "v('postie_queued_messages') == 1 and v('postie_held_messages') == 1 and v('postie_oldest_message_age_seconds') == 0"
run_postie --release "$QID"
sleep 1

# --- A flush refused for good: the message goes to failed/.
server_start --reply-at "rcpt=550 5.1.1 no such user"
config
t3=$(date +%s)
run_postie_within 30 -q
assert_eq "refused: in failed/" "$(nfailed)" 1
prom_check "refused: none queued, one failed" \
    "v('postie_queued_messages') == 0 and v('postie_failed_messages') == 1 and v('postie_oldest_message_age_seconds') == 0"
prom_check "refused: last failure now" \
    "$t3 <= v('postie_last_failure_timestamp_seconds') <= now"
sleep 1

# --- Queued while down, then delivered by a flush: a success.
server_down
config
run_postie_within 30 -t <"$T_DIR/in.eml"
assert_eq "again: queued" "$(nqueued)" 1
server_start
config
t4=$(date +%s)
run_postie_within 30 -q
assert_eq "flushed: delivered" "$(srv_nmessages)" 1
prom_check "flushed: none queued, last success now" \
    "v('postie_queued_messages') == 0 and $t4 <= v('postie_last_success_timestamp_seconds') <= now and v('postie_failed_messages') == 1"

# --- Through -C: the config label is the file's path.
cp "$CONFIG" "$T_DIR/other.conf"
chmod 600 "$T_DIR/other.conf"
run_postie_within 30 -C "$T_DIR/other.conf" -t <"$T_DIR/in.eml"
assert_run "-C: delivered" 0
prom_check "-C: labelled with the config's path" \
    "v('postie_last_success_timestamp_seconds', '$T_DIR/other.conf') >= $t4 and v('postie_queued_messages', '$T_DIR/other.conf') == 0"

# --- An SMTP session on standard input (-bs) rewrites it too: the
# message queued while the smarthost is down is counted (under the
# account its sender chose: the first, test).
server_down
config
cat >"$T_DIR/bs.script" <<EOS
< 220
> EHLO client.example.org
< 250
> MAIL FROM:<sender@example.org>
< 250
> RCPT TO:<rcpt@example.org>
< 250
> DATA
< 354
> Subject: over -bs
>
> body
> .
< 250
> QUIT
< 221
EOS
t5=$(date +%s)
if "$PYTHON3" "$TESTS_SRCDIR/integration/bsclient.py" "$T_DIR/bs.script" \
    -- "$POSTIE" -bs >"$T_DIR/out" 2>"$T_DIR/err"; then
	t_pass "-bs: the session held"
else
	t_fail "-bs: the session held" "$(sed -n 1,5p "$T_DIR/err")"
fi
prom_check "-bs: the file rewritten, the message counted as queued" \
    "V[('postie_metrics_timestamp_seconds', None, None)] >= $t5 and v('postie_queued_messages', account='test') == 1"
server_start
config

# --- A metrics file that cannot be written changes nothing.
PROM=$T_DIR/missing/dir/postie.prom
config
run_postie_within 30 -t <"$T_DIR/in.eml"
assert_run "unwritable metrics file: still delivered, exit 0" 0
assert_empty "unwritable metrics file: nothing on stderr" "$(cat "$T_DIR/err")"

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# passwordeval against the test server: a helper that does not answer is
# killed at the account's timeout and the message is kept (queued, or
# exit 75 without a queue); the first line is the answer, whatever the
# helper does after it; a caller that ignores SIGCHLD; a helper that asks
# on the terminal while postie runs there.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='eval-Pa55w0rd'
printf 'Subject: passwordeval\n\nbody\n' >"$T_DIR/in.eml"

server_start_tls good --starttls --auth "$USER:$PASS"

# The account the job uses and where it is defined, as messages name it.
eval_who() {
	echo "passwordeval of account default ($CONFIG:$(grep -n \
	    '^account default' "$CONFIG" | cut -d: -f1))"
}

# 0. A helper that answers: the time of one send, the base of the bounds
# below (valgrind makes it long).  The margins over it and the helpers'
# sleeps are scaled alike (t_secs): under valgrind on a loaded machine a
# send varies by seconds, and a bound stays well short of the sleep it
# tells apart.
write_config "auth plain" "user $USER" "passwordeval echo $PASS"
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "working helper: exit 0" 0
T_BASE=$T_ELAPSED
NSENT=1

# 1. A helper that hangs, queue off: killed after the 3 s timeout, exit
# 75 (try later: an agent may be waiting for its passphrase), the line
# naming the account and file:line; no AUTH sent.
write_config "timeout 3" "auth plain" "user $USER" \
    "passwordeval \"sleep $(t_secs 30); echo $PASS\""
NLOGIN=$(grep -c -E '^C: (AUTH|MAIL)' "$SRV_TRANSCRIPT")
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "hanging helper: exit 75" 75 \
    "$(eval_who) did not answer within 3 s"
assert_between "hanging helper: ends after the timeout, not the helper" \
    "$T_ELAPSED" 3 $((T_BASE + $(t_secs 5)))
assert_eq "hanging helper: one line on stderr" \
    "$(grep -c . "$T_DIR/err")" 1
assert_eq "hanging helper: no AUTH" \
    "$(grep -c -E '^C: (AUTH|MAIL)' "$SRV_TRANSCRIPT")" "$NLOGIN"
assert_eq "hanging helper: nothing delivered" "$(srv_nmessages)" $NSENT

# 2. The same with the queue on: the message is queued for a retry (exit
# 0, the note says why), not lost and not in failed/.
write_config "timeout 3" "queue on" "auth plain" "user $USER" \
    "passwordeval \"sleep $(t_secs 30); echo $PASS\""
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "hanging helper, queue on: exit 0" 0 \
    "$(eval_who) did not answer within 3 s; 'postie -q' retries it"
assert_matches "hanging helper, queue on: queued" "$T_DIR/err" \
    "^postie: queued as [^ ]+ \(1 recipient\)"
assert_between "hanging helper, queue on: ends after the timeout" \
    "$T_ELAPSED" 3 $((T_BASE + $(t_secs 5)))
assert_eq "hanging helper, queue on: one message queued" "$(nqueued)" 1
assert_eq "hanging helper, queue on: none failed" "$(nfailed)" 0
# Fixed, the queued message goes out.
write_config "timeout 3" "queue on" "auth plain" "user $USER" \
    "passwordeval echo $PASS"
run_postie_within 60 -q
assert_run "queue run with a working helper: exit 0" 0
NSENT=$((NSENT + 1))
assert_eq "queue run: delivered" "$(srv_nmessages)" $NSENT
assert_eq "queue run: queue empty" "$(nqueued)" 0

# 3. The first line is the answer: a helper that goes on after it is not
# waited for.
write_config "timeout 30" "auth plain" "user $USER" \
    "passwordeval \"echo $PASS; sleep $(t_secs 20)\""
run_postie_within 60 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "first line, helper goes on: exit 0" 0
assert_between "first line, helper goes on: not waited for" \
    "$T_ELAPSED" 0 $((T_BASE + $(t_secs 2)))
NSENT=$((NSENT + 1))
assert_eq "first line, helper goes on: delivered" "$(srv_nmessages)" $NSENT

# 4. Run by a parent that ignores SIGCHLD (children inherit that): the
# helper's status is still seen.
write_config "auth plain" "user $USER" "passwordeval echo $PASS"
ignoring_sigchld() {
	timeout -k 2 60 "$PYTHON3" -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$POSTIE" "$@" <"$T_DIR/in.eml" \
	    >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
}
ignoring_sigchld -i rcpt@example.org
assert_run "SIGCHLD ignored by the caller: exit 0" 0
NSENT=$((NSENT + 1))
assert_eq "SIGCHLD ignored by the caller: delivered" "$(srv_nmessages)" \
    $NSENT
write_config "auth plain" "user $USER" "passwordeval \"echo $PASS; exit 3\""
ignoring_sigchld -i rcpt@example.org
assert_run "SIGCHLD ignored, helper fails: exit 78" 78 \
    "$(eval_who) failed: exit status 3"

# 5. On a terminal, a helper that asks there (as keepassxc-cli does) gets
# it, although it runs in a process group of its own.
ASK="printf 'vault passphrase: ' >/dev/tty; head -n 1 </dev/tty"
write_config "auth plain" "user $USER" "passwordeval \"$ASK\""
"$PYTHON3" "$TESTS_SRCDIR/integration/ptyrun.py" --timeout 60 \
    --stdin "$T_DIR/in.eml" --stdout "$T_DIR/out" --stderr "$T_DIR/err" \
    --tty-log "$T_DIR/tty" --prompt "vault passphrase: " --answer "$PASS" \
    -- "$POSTIE" -i rcpt@example.org 2>"$T_DIR/ptyrun.err"
echo $? >"$T_DIR/rc"
cat "$T_DIR/ptyrun.err" >>"$T_DIR/err"
assert_run "helper asking on the terminal: exit 0" 0
assert_contains "helper asking on the terminal: asked there" "$T_DIR/tty" \
    "vault passphrase: "
NSENT=$((NSENT + 1))
assert_eq "helper asking on the terminal: delivered" "$(srv_nmessages)" \
    $NSENT

server_stop
t_done

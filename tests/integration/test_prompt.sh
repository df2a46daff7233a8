#!/bin/sh
# SPDX-License-Identifier: ISC
# The password asked on the controlling terminal when neither the config
# nor ~/.netrc gives one: postie runs on a pty of its own (ptyrun.py) with
# the message on stdin and stderr in a file; the password typed there is
# used, not echoed and never printed or logged.  Without a terminal the
# "no password" error comes at once.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='tty-Pa55w0rd-typed'
PROMPT="password for $USER@127.0.0.1 (account default): "
printf 'Subject: prompt\n\nhello\n' >"$T_DIR/in.eml"

# on_tty NAME ANSWER: postie -v on a terminal, ANSWER typed at the
# prompt; the run's files as run_postie leaves them, the terminal's
# output in $T_DIR/tty.
on_tty() {
	"$PYTHON3" "$TESTS_SRCDIR/integration/ptyrun.py" --timeout "$(t_secs 20)" \
	    --stdin "$T_DIR/in.eml" --stdout "$T_DIR/out" \
	    --stderr "$T_DIR/err" --tty-log "$T_DIR/tty" \
	    --prompt "$PROMPT" --answer "$2" -- \
	    "$POSTIE" -v -i rcpt@example.org 2>"$T_DIR/ptyrun.err"
	echo $? >"$T_DIR/rc"
	if [ -s "$T_DIR/ptyrun.err" ]; then
		cat "$T_DIR/ptyrun.err" >>"$T_DIR/err"
	fi
}

# not_shown NAME SECRET: SECRET is not on the terminal, in stdout,
# stderr or the log.
not_shown() {
	_where=
	for _f in tty out err postie.log; do
		[ -f "$T_DIR/$_f" ] && grep -F -q -e "$2" "$T_DIR/$_f" &&
		    _where="$_where $_f"
	done
	if [ -z "$_where" ]; then
		t_pass "$1"
	else
		t_fail "$1" "found in$_where"
	fi
}

server_start_tls good --starttls --auth "$USER:$PASS" \
    --auth-mechs "PLAIN SCRAM-SHA-256"
write_config "auth on" "user $USER"

# 1. The right password typed at the prompt.
on_tty right "$PASS"
assert_run "typed password: exit 0" 0
assert_contains "typed password: prompt on the terminal" "$T_DIR/tty" \
    "$PROMPT"
assert_not_contains "typed password: prompt not on stderr" "$T_DIR/err" \
    "$PROMPT"
assert_eq "typed password: message delivered" "$(srv_nmessages)" 1
assert_eq "typed password: envelope" "$(srv_envelope 1)" \
    "sender@example.org rcpt@example.org"
assert_matches "typed password: AUTH sent" "$SRV_TRANSCRIPT" \
    "^C: AUTH SCRAM-SHA-256 "
not_shown "typed password: not echoed, printed or logged" "$PASS"

# 2. A wrong password typed: the server refuses it.
on_tty wrong "wrong-$PASS"
assert_run "wrong typed password: exit 77" 77 "535"
assert_contains "wrong typed password: prompt on the terminal" \
    "$T_DIR/tty" "$PROMPT"
assert_eq "wrong typed password: nothing delivered" "$(srv_nmessages)" 1
not_shown "wrong typed password: not echoed, printed or logged" \
    "wrong-$PASS"

# 3. Nothing typed: no password, nothing sent.
on_tty empty ""
assert_run "empty password: exit 78" 78 \
    "account default: no password entered"
assert_eq "empty password: no AUTH sent" \
    "$(grep -c '^C: AUTH ' "$SRV_TRANSCRIPT")" 2

# 4. No terminal (a new session, stdin a file): the error, naming the
# account, instead of waiting for input (a wait would end in timeout's
# kill and its exit status, not 78).
setsid -w timeout -k 2 "$(t_secs 10)" "$POSTIE" -v -i rcpt@example.org \
    <"$T_DIR/in.eml" >"$T_DIR/out" 2>"$T_DIR/err"
echo $? >"$T_DIR/rc"
assert_run "no terminal: exit 78" 78 \
    "account default: no password for $USER@127.0.0.1"
assert_not_contains "no terminal: no prompt" "$T_DIR/err" "$PROMPT"
assert_eq "no terminal: nothing delivered" "$(srv_nmessages)" 1
server_stop

t_done

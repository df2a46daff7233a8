#!/bin/sh
# SPDX-License-Identifier: ISC
# What reaches syslog(3), all at the account's facility (LOG_MAIL by
# default) and nothing at all with syslog off: the submission record
# (LOG_INFO on success, LOG_ERR on failure), the error line of a failed
# run and the queue's notes; none of it with the password.  postie runs in a mount namespace of its own
# whose /dev/log is a socket of this test, so the system logger (if any)
# sees nothing: unshare -m as root, else in a user namespace of its own
# (unshare -rm), where postie is root of nothing but that namespace.  As
# root the cases run twice: here, then by this test run again as uid
# 65534, the way any other user runs it.  Exits 77 (skipped) when the
# namespaces cannot be made; the run as uid 65534 that root starts must
# not be skipped.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

if ! syslog_ns; then
	echo "SKIP - '$NS' cannot make the namespaces for a private /dev/log"
	exit 77
fi

t_certs
USER=alice
PASS='Sys-l0g-S3cret'
printf 'Subject: syslog\nTo: r@example.org\n\nbody\n' >"$T_DIR/in.eml"

syslog_start

server_start_tls good --starttls --auth "$USER:$PASS"

# 1. A submission that succeeds: one record, mail.info (<22>), tagged
# postie[PID], with the facts of the session.
write_config "syslog on" "auth plain" "user $USER" "password $PASS"
syslog_mark
run_logged -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "success: exit 0" 0
syslog_new >"$T_DIR/got"
assert_eq "success: one record" "$(wc -l <"$T_DIR/got")" 1
assert_matches "success: mail.info, tagged postie[PID]" "$T_DIR/got" \
    '^<22>.*postie\[[0-9]+\]: '
assert_matches "success: host and port" "$T_DIR/got" \
    "host=127\\.0\\.0\\.1 port=$SRV_PORT "
assert_matches "success: tls, mechanism, user" "$T_DIR/got" \
    "tls=on auth=PLAIN user=$USER "
assert_matches "success: envelope" "$T_DIR/got" \
    'from=sender@example\.org recipients=rcpt@example\.org '
assert_matches "success: the server's reply and the exit code" \
    "$T_DIR/got" 'smtpstatus=250 .*exitcode=EX_OK'

# 2. Refused credentials: the record at mail.err (<19>) with the reply,
# and the error line of the run, the same as on stderr.
write_config "syslog on" "auth plain" "user $USER" "password wrong-$PASS"
syslog_mark
run_logged -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "bad password: exit 77" 77 "535"
syslog_new >"$T_DIR/got"
assert_matches "bad password: record at mail.err with the exit code" \
    "$T_DIR/got" '^<19>.*postie\[[0-9]+\]: host=.*exitcode=EX_NOPERM'
sed -n 's/^postie: //p' "$T_DIR/err" >"$T_DIR/errline"
assert_eq "bad password: the stderr line is logged as such" \
    "$(grep -c -F -e "postie[" "$T_DIR/got" | tr -d ' ')" 2
assert_contains "bad password: same words as stderr" "$T_DIR/got" \
    "$(head -n 1 "$T_DIR/errline")"

# 3. A facility of the account's choice, for the record and the error
# line alike.  LOG_LOCAL3 | LOG_ERR = 19 * 8 + 3.
write_config "syslog LOG_LOCAL3" "auth plain" "user $USER" \
    "password wrong-$PASS"
syslog_mark
run_logged -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "LOG_LOCAL3: exit 77" 77
syslog_new >"$T_DIR/got"
assert_matches "LOG_LOCAL3: the record at local3.err" "$T_DIR/got" \
    '^<155>.*exitcode=EX_NOPERM'
assert_matches "LOG_LOCAL3: the error line at local3.err" "$T_DIR/got" \
    '^<155>.*postie\[[0-9]+\]: [^ ]*: at AUTH PLAIN: 535'
assert_eq "LOG_LOCAL3: two lines, both at local3" \
    "$(wc -l <"$T_DIR/got") $(grep -c -E '^<15[2-9]>' "$T_DIR/got")" "2 2"

# 4. syslog off: nothing reaches syslog, neither the record nor the
# error line nor a note of the queue; stderr still has the line.
# off_case NAME RC STRING ARGS...: run_logged ARGS with in.eml; exit RC,
# STRING on stdout or stderr, and no line logged.
off_case() {
	_oname=$1 _orc=$2 _ostr=$3
	shift 3
	syslog_mark
	run_logged "$@" <"$T_DIR/in.eml"
	assert_run "syslog off, $_oname: exit $_orc" "$_orc" "$_ostr"
	syslog_new >"$T_DIR/got"
	assert_empty "syslog off, $_oname: nothing logged" "$(cat "$T_DIR/got")"
}
write_config "syslog off" "auth plain" "user $USER" "password wrong-$PASS"
off_case "bad password" 77 "postie: " -i rcpt@example.org
assert_contains "syslog off, bad password: the error line on stderr" \
    "$T_DIR/err" "535"
server_stop
write_config "syslog off" "auth plain" "user $USER" "password $PASS"
off_case "server down, queue off" 75 "postie: " -i rcpt@example.org
write_config "syslog off" "queue on" "auth plain" "user $USER" \
    "password $PASS"
off_case "server down, queued" 0 "queued as" -i rcpt@example.org
off_case "queue flush, server down" 0 "kept in the queue" -q -v
assert_eq "syslog off, queue flush: still queued" "$(nqueued)" 1
rm -rf "$POSTIE_QUEUE_DIR"

# 5. The server is down: the message is queued, and the note saying so
# and why goes to syslog (mail.notice, <21>).
write_config "syslog on" "queue on" "auth plain" "user $USER" \
    "password $PASS"
syslog_mark
run_logged -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "queued: exit 0" 0 "queued"
syslog_new >"$T_DIR/got"
assert_matches "queued: the note at mail.notice" "$T_DIR/got" \
    '^<21>.*postie\[[0-9]+\]: .*queued'
assert_matches "queued: the record of the failed attempt" "$T_DIR/got" \
    'exitcode=EX_TEMPFAIL'

# 5b. --hold, --release and --delete of that message: each logged at
# mail.notice with the id and the uid that asked (0 in the user
# namespace of a run as uid 65534).
QID=$(qids | head -n 1)
for _act in hold release delete; do
	syslog_mark
	run_logged --$_act "$QID"
	assert_run "--$_act: exit 0" 0 "$QID: "
	syslog_new >"$T_DIR/got"
	assert_matches "--$_act: logged at mail.notice, with the uid" \
	    "$T_DIR/got" "^<21>.*postie\[[0-9]+\]: $QID: .* by uid [0-9]+\$"
done
assert_eq "--delete: the message is gone" "$(nqueued)" 0

# 6. The password is in no line logged by any run.
assert_not_contains "no password in syslog" "$SYSLOG" "$PASS"

# As root: all of the above again as uid 65534, in a directory of its own
# under /tmp ($TMPDIR may lie under one that uid 65534 cannot enter); its
# lines are shown and counted here.
if [ "$(id -u)" -eq 0 ]; then
	U_DIR=$(mktemp -d /tmp/postie-syslog.XXXXXX) ||
	    t_hard_error "cannot make a directory in /tmp"
	trap 'syslog_stop; server_stop_all
	    rm -rf "$T_DIR" "$U_DIR"' EXIT
	chmod 755 "$U_DIR"
	chown 65534:65534 "$U_DIR"
	as_nobody() {
		(cd "$U_DIR" &&
		    setpriv --reuid=65534 --regid=65534 --clear-groups "$@")
	}
	if ! as_nobody test -x "$POSTIE" -a \
	    -r "$TESTS_SRCDIR/integration/lib.sh"; then
		t_fail "uid 65534: runs the test" \
		    "cannot run $POSTIE or read $TESTS_SRCDIR"
	else
		as_nobody env TMPDIR="$U_DIR" \
		    sh "$TESTS_SRCDIR/integration/test_syslog.sh" \
		    >"$T_DIR/nobody.out" 2>&1
		echo $? >"$T_DIR/nobody.rc"
		sed -e 's/^\(ok\|FAIL\|ERROR\|SKIP\) - /\1 - uid 65534: /' \
		    -e 's/^[0-9]* passed, [0-9]* failed$/# uid 65534: &/' \
		    "$T_DIR/nobody.out"
		set -- $(awk '/^[0-9]+ passed, [0-9]+ failed$/ { print $1, $3 }' \
		    "$T_DIR/nobody.out")
		T_PASS=$((T_PASS + ${1:-0}))
		T_FAIL=$((T_FAIL + ${2:-0}))
		assert_eq "uid 65534: ran to the end and passed" \
		    "$(cat "$T_DIR/nobody.rc")" 0
	fi
	rm -rf "$U_DIR"
fi

t_done

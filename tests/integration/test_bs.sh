#!/bin/sh
# SPDX-License-Identifier: ISC
# postie -bs against the recording test server, driven by bsclient.py
# as PHP's mailers drive it (a command, then its reply): the exact
# command lines of Laravel (-bs -i) and Symfony (-bs, HELO), the queue
# on (queued, then delivered by the same process, once) and off
# (relayed live, the smarthost's refusal passed back), two messages in
# one session, pipelining, the server down (250, queued, delivered by a
# later flush), a config that cannot be read (held, then sent once it is
# fixed), the DSN parameters passed on, the end of the
# input in DATA (nothing kept) and after a message (delivered), a PHP
# client that drives the pipes as Symfony's ProcessStream does, and the
# loopback-only rule under systemd-socket-activate.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs
command -v systemd-socket-activate >/dev/null 2>&1 ||
    t_hard_error "systemd-socket-activate is not installed (systemd, " \
    "see scripts/deps)"

BSC=$TESTS_SRCDIR/integration/bsclient.py
S=$T_DIR/script

# bs NAME RC [ARGS...]: run the dialogue in $S against postie ARGS (after
# -- ) or bsclient ARGS; its transcript in $T_DIR/out, postie's stderr in
# $T_DIR/err.  Checks bsclient's exit status (0: every step held).
bs() {
	_name=$1
	shift
	"$PYTHON3" "$BSC" --stderr "$T_DIR/err" "$S" "$@" >"$T_DIR/out" \
	    2>"$T_DIR/bserr"
	_rc=$?
	if [ "$_rc" -eq 0 ]; then
		t_pass "$_name"
	else
		t_fail "$_name" "$(cat "$T_DIR/bserr") $(sed -n 1,3p \
		    "$T_DIR/err")"
	fi
}

# The client itself fails when it should: a wrong code, words missing,
# a silent peer (the timeout, not a hang), output where it should end.
bsclient_fails() {
	_name=$1
	shift
	if timeout 30 "$PYTHON3" "$BSC" --timeout 1 "$S" "$@" \
	    >"$T_DIR/out" 2>"$T_DIR/bserr"; then
		t_fail "$_name" "bsclient passed: $(cat "$T_DIR/out")"
	else
		t_pass "$_name"
	fi
}
printf '< 250\n' >"$S"
bsclient_fails "bsclient: a wrong code fails" -- "$POSTIE" -bs
printf '< 220 no such words\n' >"$S"
bsclient_fails "bsclient: missing words fail" -- "$POSTIE" -bs
printf '< 220\n' >"$S"
bsclient_fails "bsclient: a silent peer fails" -- sleep 20
printf '< 220\neof\n' >"$S"
bsclient_fails "bsclient: more output than expected fails" -- printf \
    '220 a\r\n221 b\r\n'
assert_contains "bsclient says why" "$T_DIR/bserr" "more output"

# A message's dialogue, one command and its reply at a time.
msg_script() {
	cat <<EOF
> MAIL FROM:<$1>
< 250
> RCPT TO:<$2>
< 250
> DATA
< 354
> Subject: $3
> To: <$2>
>
> first line
> ..a line that starts with a dot
> .
EOF
}

# 1. Laravel: -bs -i, EHLO, the queue on.
server_start_tls good --starttls
write_config "maildomain host.example.org" "queue on"
{
	echo "< 220 ESMTP postie"
	echo "> EHLO [127.0.0.1]"
	echo "< 250 SMTPUTF8"
	msg_script app@example.org user@example.net laravel
	echo "< 250 queued as"
	echo "> QUIT"
	echo "< 221"
	echo "eof"
} >"$S"
bs "Laravel's -bs -i: the dialogue" --exit 0 -- "$POSTIE" -bs -i
assert_contains "EHLO offers PIPELINING" "$T_DIR/out" "S: 250-PIPELINING"
assert_contains "EHLO offers SIZE" "$T_DIR/out" "S: 250-SIZE 67108864"
assert_eq "delivered by the same process" "$(srv_nmessages)" 1
assert_eq "envelope" "$(srv_envelope 1)" "app@example.org user@example.net"
assert_contains "dot-unstuffed once" "$SRV_RECORD/1.eml" \
    ".a line that starts with a dot"
assert_not_contains "not unstuffed twice" "$SRV_RECORD/1.eml" \
    "..a line that starts with a dot"
assert_contains "prepared as a send: Date added" "$SRV_RECORD/1.eml" \
    "Date: "
assert_contains "prepared as a send: From added" "$SRV_RECORD/1.eml" \
    "From: app@example.org"
assert_eq "queue empty after delivery" "$(nqueued)" 0
assert_empty "nothing on stderr" "$(cat "$T_DIR/err")"

# 2. Symfony: -bs, HELO, two messages in one session, both once, over
# one connection after QUIT.
server_stop
server_start_tls good --starttls
write_config "maildomain host.example.org" "queue on"
{
	echo "< 220"
	echo "> HELO [127.0.0.1]"
	echo "< 250"
	msg_script app@example.org one@example.net first
	echo "< 250 queued as"
	msg_script "" two@example.net second
	echo "< 250 queued as"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "Symfony's -bs: two messages" --exit 0 -- "$POSTIE" -bs
assert_eq "two messages delivered" "$(srv_nmessages)" 2
assert_eq "first envelope" "$(srv_envelope 1)" \
    "app@example.org one@example.net"
assert_eq "second: the null sender" "$(srv_envelope 2)" "<> two@example.net"
assert_eq "over one connection" "$(grep -c "^\* connect" "$SRV_TRANSCRIPT")" 1
assert_eq "queue empty" "$(nqueued)" 0

# 3. A pipelining client: MAIL, RCPT, RCPT, DATA in one write.
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250"
	# printf, not echo: a shell's echo may read the backslashes.
	printf '%s\n' 'raw MAIL FROM:<app@example.org>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<bad address>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n'
	echo "< 250"
	echo "< 250"
	echo "< 553"
	echo "< 250"
	echo "< 354"
	printf '%s\n' 'raw Subject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n'
	echo "< 250 queued as"
	echo "< 221"
} >"$S"
bs "pipelined group answered at once" --exit 0 -- "$POSTIE" -bs
assert_eq "pipelined message delivered" "$(srv_envelope 3)" \
    "app@example.org a@example.net b@example.net"

# 4. Silent with a message queued: delivered before QUIT, once.
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250"
	msg_script app@example.org idle@example.net idle
	echo "< 250 queued as"
	echo "await $SRV_RECORD/4.json"
	echo "> NOOP"
	echo "< 250"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "a silent client's message goes before QUIT" --exit 0 -- "$POSTIE" -bs
assert_eq "idle message once" "$(srv_nmessages)" 4

# 5. The end of the input: after a message, it is delivered; in DATA,
# nothing is acknowledged and nothing kept.
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250"
	msg_script app@example.org eof@example.net eof
	echo "< 250 queued as"
	echo "> MAIL FROM:<app@example.org>"
	echo "< 250"
	echo "> RCPT TO:<cut@example.net>"
	echo "< 250"
	echo "> DATA"
	echo "< 354"
	echo "> Subject: cut off"
	echo "close"
	echo "eof"
} >"$S"
bs "EOF without QUIT" --exit 0 -- "$POSTIE" -bs
assert_eq "the acknowledged message delivered" "$(srv_envelope 5)" \
    "app@example.org eof@example.net"
assert_eq "the cut one not" "$(srv_nmessages)" 5
assert_eq "nothing left in the queue" "$(nqueued)" 0
assert_eq "nothing in failed/" "$(nfailed)" 0

# 6. Errors answered, the session goes on.
{
	echo "< 220"
	echo "> FROB"
	echo "< 500 command not recognized"
	echo "> MAIL FROM:<a@example.org>"
	echo "< 503 send HELO or EHLO first"
	echo "> EHLO c"
	echo "< 250"
	echo "> DATA"
	echo "< 503"
	echo "> VRFY root"
	echo "< 252"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "bad commands: 500, 503, and on" --exit 0 -- "$POSTIE" -bs

# 7. The queue off: relayed live; the smarthost's refusal is the reply.
server_stop
server_start_tls good --starttls --reply-at "rcpt:refused=550 5.1.1 no such user"
write_config "maildomain host.example.org"
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250"
	msg_script app@example.org live@example.net live
	echo "< 250 accepted by 127.0.0.1"
	echo "await $SRV_RECORD/1.json"
	msg_script app@example.org refused@example.net refused
	echo "< 550 5.1.1"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "queue off: relayed, refusal passed back" --exit 0 -- "$POSTIE" -bs
assert_contains "the smarthost's words" "$T_DIR/out" "no such user"
assert_eq "relayed once" "$(srv_nmessages)" 1
assert_eq "queue off: nothing queued" "$(nqueued)" 0
assert_eq "queue off: nothing failed" "$(nfailed)" 0

# 8. The server down: 250, queued (mailq shows it), a later flush sends.
server_stop
write_config "maildomain host.example.org" "queue on"
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250"
	msg_script app@example.org later@example.net later
	echo "< 250 queued as"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "server down: 250 all the same" --exit 0 -- "$POSTIE" -bs
assert_eq "kept in the queue" "$(nqueued)" 1
run_postie -bp
assert_run "mailq" 0 "later@example.net"
server_start_tls good --starttls
write_config "maildomain host.example.org" "queue on"
run_postie -q
assert_run "a later flush" 0
assert_eq "delivered by the flush" "$(srv_envelope 1)" \
    "app@example.org later@example.net"
assert_eq "queue empty after the flush" "$(nqueued)" 0

# 9. A config that cannot be read: the message is held, not lost.
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250"
	msg_script app@example.org held@example.net held
	echo "< 250 held in the queue as"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "config missing: held" --exit 0 -- "$POSTIE" -C "$T_DIR/nonexistent" -bs
assert_eq "held in the queue" "$(nqueued)" 1
run_postie -bp
assert_run "mailq shows the held message" 0 "held@example.net"
run_postie -C "$T_DIR/nonexistent" -q
run_postie -q
assert_eq "the default config's flush leaves it" "$(nqueued)" 1
# The config is fixed: the held message is prepared from the command
# line the session recorded for it, and sent.
cp "$CONFIG" "$T_DIR/nonexistent"
run_postie -q
assert_run "the flush after the fix" 0
assert_eq "the held message sent once fixed" "$(srv_envelope 2)" \
    "app@example.org held@example.net"
assert_contains "with its header edits" "$SRV_RECORD/2.eml" \
    "Message-ID: "
assert_eq "nothing held any more" "$(nqueued)" 0

# DSN parameters are kept: RET, ENVID, NOTIFY reach the smarthost.
server_stop
server_start_tls good --starttls --dsn
write_config "maildomain host.example.org" "queue on"
{
	echo "< 220"
	echo "> EHLO c"
	echo "< 250 SMTPUTF8"
	echo "> MAIL FROM:<app@example.org> RET=HDRS ENVID=id+2B42 BODY=8BITMIME"
	echo "< 250"
	echo "> RCPT TO:<dsn@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;dsn@example.net"
	echo "< 250"
	echo "> DATA"
	echo "< 354"
	echo "> Subject: dsn"
	echo ">"
	echo "> x"
	echo "> ."
	echo "< 250 queued as"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "DSN parameters" --exit 0 -- "$POSTIE" -bs
assert_matches "RET and ENVID passed on" "$SRV_TRANSCRIPT" \
    "^C: MAIL FROM:<app@example.org> .*RET=HDRS ENVID=id\\+2B42"
assert_matches "BODY passed on" "$SRV_TRANSCRIPT" \
    "^C: MAIL FROM:<app@example.org> .*BODY=8BITMIME"
assert_contains "NOTIFY passed on" "$SRV_TRANSCRIPT" \
    "C: RCPT TO:<dsn@example.net> NOTIFY=FAILURE,DELAY"

# 10. PHP, as Symfony's ProcessStream and SmtpTransport drive it: three
# pipes, stderr read once right after the start (anything there is an
# error) and never again, a reply read with fgets after each command.
command -v php >/dev/null 2>&1 ||
    t_hard_error "php (php-cli) is not installed (scripts/deps)"
server_stop
server_start_tls good --starttls
write_config "maildomain host.example.org" "queue on"
cat >"$T_DIR/symfony.php" <<'PHP'
<?php
$p = proc_open($argv[1] . ' -bs', [['pipe', 'r'], ['pipe', 'w'],
    ['pipe', 'w']], $pipes);
stream_set_blocking($pipes[2], false);
if ($err = stream_get_contents($pipes[2]))
	exit("stderr at start: $err\n");
function reply($out, $want) {
	$r = '';
	do {
		$line = fgets($out);
		if ($line === false)
			exit("no reply, want $want\n");
		$r .= $line;
	} while (strlen($line) > 3 && $line[3] === '-');
	if (substr($r, 0, 3) !== $want)
		exit("want $want, got $r");
}
function cmd($in, $out, $c, $want) {
	fwrite($in, $c);
	fflush($in);
	reply($out, $want);
}
reply($pipes[1], '220');
cmd($pipes[0], $pipes[1], "HELO [127.0.0.1]\r\n", '250');
cmd($pipes[0], $pipes[1], "MAIL FROM:<php@example.org>\r\n", '250');
cmd($pipes[0], $pipes[1], "RCPT TO:<symfony@example.net>\r\n", '250');
cmd($pipes[0], $pipes[1], "DATA\r\n", '354');
$m = "Subject: symfony\r\nTo: symfony@example.net\r\n\r\n.dot\r\nbody\r\n";
fwrite($pipes[0], str_replace("\r\n.", "\r\n..", $m));
cmd($pipes[0], $pipes[1], "\r\n.\r\n", '250');
cmd($pipes[0], $pipes[1], "QUIT\r\n", '221');
fclose($pipes[0]);
fclose($pipes[1]);
echo "exit ", proc_close($p), "\n";
PHP
timeout 60 php "$T_DIR/symfony.php" "$POSTIE" >"$T_DIR/out" 2>&1
assert_eq "PHP proc_open client" "$(cat "$T_DIR/out")" "exit 0"
assert_eq "PHP client's message" "$(srv_envelope 1)" \
    "php@example.org symfony@example.net"
assert_contains "PHP client's dot line" "$SRV_RECORD/1.eml" ".dot"

# 11. A person at a terminal, whose Enter is LF: the dot line ends DATA.
cat >"$T_DIR/terminal.py" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-bs"])
out = b""
def drain(secs):
    global out
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            out += data
for line in ["EHLO c", "MAIL FROM:<app@example.org>",
             "RCPT TO:<tty@example.net>", "DATA", "Subject: typed", "",
             "..typed dot", ".", "QUIT"]:
    os.write(fd, line.encode() + b"\n")
    drain(0.2)
end = time.monotonic() + 20
while time.monotonic() < end:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        drain(0.2)
        sys.stdout.write(out.decode("utf-8", "replace"))
        sys.exit(os.waitstatus_to_exitcode(status))
    drain(0.1)
os.kill(pid, 9)
sys.exit(124)
PY
"$PYTHON3" "$T_DIR/terminal.py" "$POSTIE" >"$T_DIR/out" 2>&1
assert_eq "a terminal's session ends" "$?" 0
assert_contains "a terminal's message queued" "$T_DIR/out" "queued as"
assert_contains "a terminal's QUIT" "$T_DIR/out" "221 2.0.0"
assert_eq "a terminal's message delivered" "$(srv_envelope 2)" \
    "app@example.org tty@example.net"

# 12. Socket activation: a loopback peer is served, another refused.
# sa_wait: until systemd-socket-activate says it listens (5 s at most).
sa_wait() {
	_i=0
	until grep -q "Listening on" "$T_DIR/sa.log" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le 100 ] ||
		    t_hard_error "systemd-socket-activate: $(cat "$T_DIR/sa.log")"
		sleep 0.05
	done
}
port=$("$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
systemd-socket-activate --inetd -a -l "127.0.0.1:$port" \
    "$POSTIE" -bs >"$T_DIR/sa.log" 2>&1 &
sa=$!
sa_wait
{
	echo "< 220 ESMTP postie"
	echo "> EHLO c"
	echo "< 250"
	echo "> QUIT"
	echo "< 221"
} >"$S"
bs "socket activation on 127.0.0.1" --connect "127.0.0.1:$port"
t_kill "$sa"
wait "$sa" 2>/dev/null
# The peer off the loopback lives in a network namespace of the test's
# own, on a veth interface (192.0.2.2, TEST-NET-1): never the host's
# network.
command -v ip >/dev/null || t_hard_error "ip (iproute2) is not installed"
unshare -rn true 2>/dev/null ||
    t_hard_error "unshare -rn: no network namespace for the refusal test"
{
	echo "< 421 4.7.0"
	echo "eof"
} >"$S"
unshare -rn sh -c '
	ip link set lo up && ip link add v0 type veth peer name v1 &&
	    ip addr add 192.0.2.2/24 dev v0 && ip link set v0 up &&
	    ip link set v1 up || exit 98
	systemd-socket-activate --inetd -a -l "192.0.2.2:$2" "$1" -bs \
	    >"$3/sa.log" 2>&1 &
	sa=$!
	i=0
	until grep -q "Listening on" "$3/sa.log" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 100 ] || exit 97
		sleep 0.05
	done
	"$4" "$5" --stderr "$3/err" "$6" --connect "192.0.2.2:$2" \
	    >"$3/out" 2>"$3/bserr"
	rc=$?
	kill "$sa" 2>/dev/null
	wait "$sa" 2>/dev/null
	exit "$rc"
' sh "$POSTIE" "$port" "$T_DIR" "$PYTHON3" "$BSC" "$S"
_rc=$?
[ "$_rc" -ne 98 ] || t_hard_error "cannot make a veth interface"
[ "$_rc" -ne 97 ] ||
    t_hard_error "systemd-socket-activate: $(cat "$T_DIR/sa.log")"
assert_eq "a peer off the loopback is refused" "$_rc" 0
assert_contains "the refusal says why" "$T_DIR/sa.log" \
    "is not on the loopback interface"

t_done

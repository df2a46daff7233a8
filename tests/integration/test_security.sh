#!/bin/sh
# SPDX-License-Identifier: ISC
# Hardening against a hostile network, server and input: no core dumps,
# config and aliases file permissions, passwordeval's environment, CR, LF
# and controls kept out of the SMTP dialogue, hostile server replies
# refused with their text escaped.  Every account here has a password,
# and no output of any run (stdout, stderr, -v transcript, log file) may
# show it.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='Xk7-hush-Pa55w0rd'
CRED="user $USER"
CRED_PW="password $PASS"
OUTPUTS=$T_DIR/outputs
# Sections run many postie processes against one server (slow under
# valgrind); servers are stopped when the test ends.
mkdir -p "$OUTPUTS"
RUNS=0

printf 'Subject: security\n\nbody\n' >"$T_DIR/in.eml"

# sec_run ARGS...: run_postie_within 30 with in.eml, keeping a copy of
# stdout and stderr for the final check for the password.
sec_run() {
	run_postie_within 30 "$@" <"$T_DIR/in.eml"
	RUNS=$((RUNS + 1))
	cp "$T_DIR/out" "$OUTPUTS/$RUNS.out"
	cp "$T_DIR/err" "$OUTPUTS/$RUNS.err"
}

# no_client_line NAME ERE: the client sent no line matching ERE in the
# last server's session.
no_client_line() {
	t_grep "$1" "$SRV_TRANSCRIPT" -E -e "^C: ($2)"
	case $? in
	0)	t_fail "$1" "sent: $(grep -E -m 1 -e "^C: ($2)" \
		    "$SRV_TRANSCRIPT")" ;;
	1)	t_pass "$1" ;;
	esac
}

# no_control NAME FILE: FILE holds no ESC, BEL or CR (escaped instead).
no_control() {
	if [ ! -f "$2" ]; then
		t_fail "$1" "no file $2"
	elif LC_ALL=C grep -q "$(printf '[\033\007\r]')" "$2"; then
		t_fail "$1" "raw control character in $(basename "$2")"
	else
		t_pass "$1"
	fi
}

# --- 1. Core dumps off and the process not dumpable, seen from outside
# while postie waits on a server that never greets.  As root, postie
# runs as nobody so that the owner of /proc/PID tells: a non-dumpable
# process's /proc entries belong to root.
server_start --stall-at greeting
# The config in a directory of its own under /tmp, open to all: $T_DIR
# lies under $TMPDIR, which may be inside a directory nobody cannot enter.
PUB=$(mktemp -d /tmp/postie-security.XXXXXX) ||
    t_hard_error "cannot make a directory in /tmp"
trap 'server_stop_all; rm -rf "$T_DIR" "$PUB"' EXIT
chmod 755 "$PUB"
cat >"$PUB/config" <<EOF
defaults
syslog off
queue off
timeout 30
account default
host 127.0.0.1
port $SRV_PORT
from sender@example.org
tls off
EOF
chmod 644 "$PUB/config"
if [ "$(id -u)" -eq 0 ]; then
	set -- setpriv --reuid=65534 --regid=65534 --clear-groups
else
	set --
fi
(cd "$PUB" && HOME=$PUB TMPDIR=/tmp exec "$@" "$POSTIE" -C "$PUB/config" \
    -i r@example.org) <"$T_DIR/in.eml" >"$T_DIR/stall.out" \
    2>"$T_DIR/stall.err" &
pid=$!

# alive PID: PID runs (it is neither gone nor a zombie not yet waited for).
alive() {
	case $(sed -n 's/^State:[	 ]*\([A-Z]\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null) in
	''|Z|X)	return 1 ;;
	esac
}
_i=0
while ! grep -q '^\* connect' "$SRV_TRANSCRIPT" && alive "$pid" &&
    [ "$_i" -lt $(($(t_secs 10) * 20)) ]; do
	_i=$((_i + 1))
	sleep 0.05
done
if ! alive "$pid"; then
	wait "$pid"
	t_fail "stalled: postie waits on the server" "postie exited $? at \
once: $(sed -n 1,3p "$T_DIR/stall.err")"
else
	assert_contains "stalled: postie waits on the server" \
	    "$SRV_TRANSCRIPT" "* connect"
	core=$(sed -n \
	    's/^Max core file size *\([0-9a-z]*\) *\([0-9a-z]*\).*/\1 \2/p' \
	    "/proc/$pid/limits")
	assert_eq "core dumps: RLIMIT_CORE soft and hard 0" "$core" "0 0"
	assert_eq "not dumpable: /proc/PID owned by root" \
	    "$(stat -c %u "/proc/$pid/status")" 0
	assert_eq "not dumpable: running as another user than root" \
	    "$(sed -n 's/^Uid:[	 ]*\([0-9]*\).*/\1/p' \
	    "/proc/$pid/status")" "$(id -u | sed 's/^0$/65534/')"
	t_kill "$pid"
	wait "$pid" 2>/dev/null
fi
server_stop
rm -rf "$PUB"
set --

# --- 2. Config file permissions.  A config that is refused is not read;
# the message is not lost either: it is held in the queue (exit 0) until
# the config is fixed (postie(1), QUEUE, "Delivery policy"), and nothing is sent.
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "$CRED" "$CRED_PW"
for mode in 640 604 660 620; do
	chmod "$mode" "$CONFIG"
	sec_run -i r@example.org
	assert_run "config with password, mode $mode: refused" 0 "chmod"
	assert_contains "config with password, mode $mode: held" \
	    "$T_DIR/err" "held in the queue"
done
assert_eq "refused configs: nothing sent" "$(srv_nmessages)" 0
rm -rf "$POSTIE_QUEUE_DIR"
chmod 600 "$CONFIG"
sec_run -i r@example.org
assert_run "config with password, mode 600: accepted" 0
write_config "tls_certcheck on"
chmod 602 "$CONFIG"
sec_run -i r@example.org
assert_run "config writable by others: refused" 0 "writable by"

# As root: a config or aliases file owned by another user, reached
# through a symbolic link or not, or writable by group, is refused.  As
# another user the same group-writable file is accepted.
printf 'bob: b@example.org\n' >"$T_DIR/aliases"
chmod 644 "$T_DIR/aliases"
server_stop
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "$CRED" "$CRED_PW" "aliases $T_DIR/aliases"
cp "$CONFIG" "$T_DIR/config.other"
ln -s "$T_DIR/config.other" "$T_DIR/config.link"
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$T_DIR/config.other"
	sec_run -C "$T_DIR/config.other" -i r@example.org
	assert_run "root: config owned by another user: refused" 0 \
	    "owned by uid 65534"
	sec_run -C "$T_DIR/config.link" -i r@example.org
	assert_run "root: symlink to a config of another user: refused" 0 \
	    "owned by uid 65534"
	write_config "aliases $T_DIR/aliases"
	chmod 660 "$CONFIG"
	sec_run -i r@example.org
	assert_run "root: config writable by group: refused" 0 \
	    "writable by group"
	write_config "$CRED" "$CRED_PW" "aliases $T_DIR/aliases"
	chown 65534 "$T_DIR/aliases"
	sec_run -i bob
	assert_run "root: aliases owned by another user: refused" 78 \
	    "owned by uid 65534"
	chown 0 "$T_DIR/aliases"
	cp "$T_DIR/aliases" "$T_DIR/aliases.other"
	chown 65534 "$T_DIR/aliases.other"
	ln -s "$T_DIR/aliases.other" "$T_DIR/aliases.link"
	write_config "$CRED" "$CRED_PW" "aliases $T_DIR/aliases.link"
	sec_run -i bob
	assert_run "root: symlink to aliases of another user: refused" 78 \
	    "owned by uid 65534"
	write_config "$CRED" "$CRED_PW" "aliases $T_DIR/aliases"
	chmod 664 "$T_DIR/aliases"
	sec_run -i bob
	assert_run "root: aliases writable by group: refused" 78 \
	    "writable by group"
	chmod 644 "$T_DIR/aliases"
	sec_run -i bob
	assert_run "root: aliases of root, mode 644: accepted" 0
	assert_eq "root: alias expanded" "$(srv_envelope "$(srv_nmessages)")" \
	    "sender@example.org b@example.org"
else
	write_config "aliases $T_DIR/aliases"
	chmod 660 "$CONFIG"
	chmod 664 "$T_DIR/aliases"
	sec_run -i bob
	assert_run "user: config and aliases writable by group: accepted" 0
	chmod 644 "$T_DIR/aliases"
fi

# --- 3. passwordeval: the caller's environment as it is (as msmtp gives
# it: pass needs PASSWORD_STORE_DIR and GNUPGHOME, secret-tool
# DBUS_SESSION_BUS_ADDRESS, pinentry DISPLAY or GPG_TTY; the helper is
# the user's own command, run as the user, so a variable of the caller is
# no secret from it), postie's own secrets not added (the password is in
# no child's argv or environment; postie keeps none in its environment),
# stderr passed through.
cat >"$T_DIR/eval.sh" <<EOF
#!/bin/sh
env >"$T_DIR/eval.env"
echo "eval-stderr-marker" >&2
printf '%s\n' '$PASS'
EOF
chmod 700 "$T_DIR/eval.sh"
server_stop
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "$CRED" "passwordeval $T_DIR/eval.sh"
POSTIE_TEST_TOKEN=caller-token GNUPGHOME=$T_DIR/gnupg sec_run -i r@example.org
assert_run "passwordeval: exit 0" 0
assert_contains "passwordeval: stderr passed through" "$T_DIR/err" \
    "eval-stderr-marker"
assert_eq "passwordeval: it ran" "$(test -s "$T_DIR/eval.env" && echo yes)" \
    yes
assert_line "passwordeval: caller's variables passed" "$T_DIR/eval.env" \
    "POSTIE_TEST_TOKEN=caller-token"
assert_line "passwordeval: GNUPGHOME passed" "$T_DIR/eval.env" \
    "GNUPGHOME=$T_DIR/gnupg"
assert_contains "passwordeval: PATH passed" "$T_DIR/eval.env" "PATH="
assert_not_contains "passwordeval: no password in its environment" \
    "$T_DIR/eval.env" "$PASS"
server_stop

# While postie waits after AUTH, neither it nor any child holds the
# password in its argv or environment.
server_start_tls good --starttls --auth "$USER:$PASS" --stall-at mail
write_config "$CRED" "$CRED_PW"
"$POSTIE" -i r@example.org <"$T_DIR/in.eml" >"$T_DIR/stall.out" \
    2>"$T_DIR/stall.err" &
pid=$!
_i=0
while ! grep -q '^\* stalling at mail' "$SRV_TRANSCRIPT" &&
    [ "$_i" -lt $(($(t_secs 10) * 20)) ]; do
	_i=$((_i + 1))
	sleep 0.05
done
found=
for _p in $pid $(grep -l "^PPid:[	 ]*$pid\$" /proc/[0-9]*/status \
    2>/dev/null | cut -d/ -f3); do
	for _f in cmdline environ; do
		tr '\0' '\n' <"/proc/$_p/$_f" 2>/dev/null |
		    grep -F -q -e "$PASS" && found="$found $_p/$_f"
	done
done
assert_empty "after AUTH: password in no argv or environment" "$found"
assert_contains "after AUTH: postie was waiting on MAIL" \
    "$SRV_TRANSCRIPT" "C: MAIL FROM:<sender@example.org>"
t_kill "$pid"
wait "$pid" 2>/dev/null
cp "$T_DIR/stall.err" "$OUTPUTS/stall.err"
server_stop

# --- 4. CR, LF and controls from arguments, config and aliases never
# reach the dialogue; addresses with <, >, space or controls are refused.
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "$CRED" "$CRED_PW"
inj=$(printf '\r\nRCPT TO:<evil@example.org>')
sec_run -f "s@example.org$inj" r@example.org
assert_run "-f with CR LF: refused" 64 "CR or LF"
sec_run -F "Name${inj}" r@example.org
assert_run "-F with CR LF: refused" 64 "CR or LF"
sec_run -F "$(printf 'Name\nBcc: evil@example.org')" r@example.org
assert_run "-F with LF: refused" 64 "CR or LF"
sec_run "r@example.org$inj"
assert_run "recipient with CR LF: refused" 64 "CR or LF"
sec_run "$(printf 'r@example.org\nevil@example.org')"
assert_run "recipient with LF: refused" 64 "CR or LF"
for bad in 'a<b@example.org' 'a>b@example.org' 'a b@example.org' \
    "$(printf 'a\tb@example.org')" "$(printf 'a\001b@example.org')" \
    "$(printf 'a\177b@example.org')"; do
	show=$(printf '%s' "$bad" | cat -vt)
	sec_run -f "$bad" r@example.org
	assert_run "-f '$show': refused" 64 "bad address"
	sec_run "$bad"
	assert_run "recipient '$show': refused" 64 "bad address"
done
write_config "$CRED" "$CRED_PW" \
    "$(printf 'from s@example.org\rRCPT TO:<evil@example.org>')"
sec_run r@example.org
assert_run "config from with CR: refused" 78 "bad address"
write_config "$CRED" "$CRED_PW" "from s@exa mple.org"
sec_run r@example.org
assert_run "config from with a space: refused" 78 "bad address"
write_config "$CRED" "$CRED_PW" "aliases $T_DIR/aliases.cr"
printf 'bob: b@example.org\rRCPT TO:<evil@example.org>\n' \
    >"$T_DIR/aliases.cr"
sec_run bob
assert_run "alias target with CR: refused" 78 "aliases.cr:1"
printf 'bob: "b\r\nRCPT TO:<evil@example.org>"@example.org\n' \
    >"$T_DIR/aliases.cr"
sec_run bob
assert_run "alias target with CR LF in quotes: refused" 78 "aliases.cr:1"
printf 'bob: <b@exa mple.org>\n' >"$T_DIR/aliases.cr"
sec_run bob
assert_run "alias target with a space: refused" 78 "aliases.cr:1"
no_client_line "injection: no injected command sent" \
    "RCPT TO:<evil@example.org>|Bcc: evil"
no_client_line "injection: no envelope sent at all" "MAIL FROM"
assert_not_matches "injection: no CR inside a line sent" \
    "$SRV_TRANSCRIPT" "$(printf '^C: .*\r')"
server_stop

# A bare CR in a header field is a space, never a line end on the wire:
# a program that strips only LF from a subject cannot add a field, and
# postie's own Date and Message-ID stay in the header section.
server_start
write_config "tls off"
{
	printf 'To: a@example.org\n'
	printf 'Subject: hello\rBcc: hidden@example.org\r\rInjected\n'
	printf '\nbody\n'
} >"$T_DIR/cr.eml"
run_postie_within 30 -t <"$T_DIR/cr.eml"
assert_run "bare CR in Subject: sent" 0
assert_eq "bare CR in Subject: no hidden recipient" "$(srv_envelope 1)" \
    "sender@example.org a@example.org"
# What arrived, every line end (CR LF, or a CR alone) made an LF.
sed 's/\r$//; s/\r/\n/g' "$SRV_RECORD/1.eml" >"$T_DIR/cr.got"
sed -n '1,/^$/p' "$T_DIR/cr.got" >"$T_DIR/cr.head"
assert_line "bare CR in Subject: one Subject line" "$T_DIR/cr.head" \
    "Subject: hello Bcc: hidden@example.org  Injected"
assert_not_matches "bare CR in Subject: no Bcc: line arrived" \
    "$T_DIR/cr.got" "^Bcc:"
assert_matches "bare CR in Subject: Date in the header" "$T_DIR/cr.head" \
    "^Date: "
assert_matches "bare CR in Subject: Message-ID in the header" \
    "$T_DIR/cr.head" "^Message-ID: "
server_stop

# --- 5. Hostile replies: EX_PROTOCOL (or the reply's own meaning), the
# text escaped on stderr, in the -v transcript and in the log.
# Long lines are taken (cut past 2048 bytes); the whole reply is bounded.
long=$(printf '%3000s' '' | tr ' ' x)
server_start --reply-at "ehlo=250 $long"
write_config "tls off"
sec_run -v r@example.org
assert_run "reply line of 3000 bytes: cut, the message goes" 0
assert_matches "reply line of 3000 bytes: its start in the -v transcript" \
    "$T_DIR/err" "<-- 250 x{2000}"
assert_eq "reply line of 3000 bytes: delivered" "$(srv_nmessages)" 1
server_stop
huge=$(printf '%70000s' '' | tr ' ' x)
server_start --reply-at "greeting=220 $huge"
write_config "tls off" "$CRED" "$CRED_PW"
sec_run -v r@example.org
assert_run "reply of 70 KiB on one line: refused" 76 \
    "malformed reply: longer than 65536 bytes"
server_stop
many=$(_i=0; while [ "$_i" -lt 7000 ]; do
	printf '220-line %d\r\n' "$_i"
	_i=$((_i + 1))
done; printf '220 end')
server_start --reply-at "greeting=$many"
write_config "tls off" "$CRED" "$CRED_PW"
sec_run -v r@example.org
assert_run "reply of 7000 lines (over 64 KiB): refused" 76 \
    "malformed reply: longer than 65536 bytes"
server_stop
server_start --reply-at \
    "greeting=$(printf '220-ok\r\n221 \033[31m%%n%%s%%x\007 evil')"
write_config "tls off" "$CRED" "$CRED_PW"
sec_run -v r@example.org
assert_run "control characters and %n: refused" 76 \
    'malformed reply: 221 \x1b[31m%n%s%x\x07 evil'
no_control "control characters: escaped on stderr" "$T_DIR/err"
assert_contains "control characters: escaped in -v transcript" \
    "$T_DIR/err" '<-- 221 \x1b[31m%n%s%x\x07 evil'
server_stop
server_start_tls good --starttls --auth "$USER:$PASS" --reply-at \
    "rcpt=$(printf '550 5.1.1 \033]0;title\007%%n%%s unknown')"
write_config "$CRED" "$CRED_PW"
sec_run -v r@example.org
assert_run "hostile 550 at RCPT: refused as it says" 67 \
    '550 5.1.1 \x1b]0;title\x07%n%s unknown'
no_control "hostile 550: stderr escaped" "$T_DIR/err"
assert_contains "hostile 550: log escaped" "$T_DIR/postie.log" \
    '\x1b]0;title\x07%n%s unknown'
no_control "hostile replies: log escaped" "$T_DIR/postie.log"
server_stop

# --- 6. The password appears in no output of any run of this file.
cp "$T_DIR/postie.log" "$OUTPUTS/postie.log" 2>/dev/null
b64=$(printf '\0%s\0%s' "$USER" "$PASS" | base64)
leaks=$(grep -F -l -e "$PASS" -e "$b64" \
    -e "$(printf '%s' "$PASS" | base64)" "$OUTPUTS"/* 2>/dev/null |
    xargs -r -n1 basename | tr '\n' ' ')
assert_empty "no output shows the password ($(ls "$OUTPUTS" | wc -l) files)" \
    "$leaks"

t_done

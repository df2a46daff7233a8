#!/bin/sh
# SPDX-License-Identifier: ISC
# BDAT (RFC 3030) against a real Postfix run as a private instance:
# postfix -c with its own main.cf, master.cf, queue and data directories
# in the test's directory, listening on 127.0.0.1 at a free port only,
# delivering to a mailbox file of its own (virtual(8) as nobody).  A
# small message goes as one BDAT LAST, a large one in several chunks;
# Postfix's log and the mailbox show what it received.  AUTH PLAIN
# leading the flight, when AUTH fails: refused, and accepted by address;
# AUTH PLAIN and LOGIN that succeed, against Cyrus SASL's sasldb.
# Postfix's master must be started by root.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

if ! command -v postfix >/dev/null 2>&1 ||
    [ ! -x /usr/lib/postfix/sbin/master ]; then
	echo "SKIP: Postfix is not installed (scripts/deps installs it)"
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: Postfix's master must be started by root"
	exit 77
fi
id postfix >/dev/null 2>&1 && getent group postdrop >/dev/null ||
    t_hard_error "Postfix is installed but its postfix user or postdrop \
group is missing"

PF=$T_DIR/postfix
mkdir -p "$PF/conf" "$PF/queue" "$PF/data" "$PF/mail"
chmod 755 "$T_DIR" "$PF"
chown postfix "$PF/data"
chown nobody "$PF/mail"
# free_port: a port of 127.0.0.1 nothing listens on.
free_port() {
	"$PYTHON3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
SRV_PORT=$(free_port)
PORT_AUTH=$(free_port)
PORT_ADDR=$(free_port)
PORT_SASL=$(free_port)

# A user of Postfix's own (Cyrus SASL, sasldb in the test's directory)
# for the port where AUTH succeeds.
SASL_USER=postie-$$
SASL_PASS=Pf-$$-secret
mkdir -p "$PF/conf/sasl"
command -v saslpasswd2 >/dev/null 2>&1 ||
    t_hard_error "saslpasswd2 is missing (sasl2-bin; scripts/deps \
installs it)"
printf '%s' "$SASL_PASS" | saslpasswd2 -c -p -f "$PF/conf/sasl/sasldb2" \
    -u mx.test "$SASL_USER" ||
    t_hard_error "saslpasswd2 could not make $PF/conf/sasl/sasldb2"
chown postfix "$PF/conf/sasl/sasldb2"
chmod 600 "$PF/conf/sasl/sasldb2"
printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" \
    "sasldb_path: $PF/conf/sasl/sasldb2" "mech_list: PLAIN LOGIN" \
    >"$PF/conf/sasl/smtpd.conf"
chmod 755 "$PF/conf/sasl"
chmod 644 "$PF/conf/sasl/smtpd.conf"

cat >"$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test
mydomain = test
myorigin = mx.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = example.org
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = static:box
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
maillog_file_prefixes = $T_DIR
maillog_file = $PF/maillog
biff = no
# As Postfix >= 3.9 does by default: a client that pipelines where RFC
# 2920 does not allow it is disconnected.
smtpd_forbid_unauth_pipelining = yes
EOF
cat >"$PF/conf/master.cf" <<EOF
127.0.0.1:$SRV_PORT inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
127.0.0.1:$PORT_AUTH inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$PORT_ADDR inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
127.0.0.1:$PORT_SASL inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_local_domain=mx.test
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
EOF

pf_stop() {
	postfix -c "$PF/conf" stop >/dev/null 2>&1
}
trap 'pf_stop; rm -rf "$T_DIR"' EXIT
postfix -c "$PF/conf" start >"$T_DIR/pf.out" 2>&1 ||
    t_hard_error "postfix -c $PF/conf start failed: $(cat "$T_DIR/pf.out" \
    "$PF/maillog" 2>/dev/null | tail -5)"
_i=0
until "$PYTHON3" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
    "$SRV_PORT" 2>/dev/null; do
	_i=$((_i + 1))
	[ "$_i" -le 100 ] || t_hard_error "Postfix does not listen on \
127.0.0.1:$SRV_PORT: $(tail -5 "$PF/maillog" 2>/dev/null)"
	sleep 0.1
done
write_config "tls off"

# delivered N: wait (15 s at most) until Postfix has delivered N messages.
delivered() {
	_i=0
	while [ "$(grep -c 'status=sent (delivered to mailbox)' \
	    "$PF/maillog" 2>/dev/null)" -lt "$1" ] && [ "$_i" -lt 150 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# A small message: one BDAT LAST, the dot line as written.
printf 'Subject: postfix small\n\n.a line that starts with a dot\nbody\n' \
    >"$T_DIR/small.eml"
run_postie_within 30 -v rcpt@example.org <"$T_DIR/small.eml"
assert_run "small: delivered" 0
assert_matches "small: one BDAT LAST" "$T_DIR/err" "^--> BDAT [0-9]+ LAST$"
assert_not_matches "small: no DATA" "$T_DIR/err" "^--> DATA$"
delivered 1
assert_matches "small: Postfix took one BDAT" "$PF/maillog" \
    "disconnect from .* mail=1 rcpt=1 bdat=1 quit=1"
assert_matches "small: in the mailbox, the dot as written" \
    "$PF/mail/box" "^\\.a line that starts with a dot$"

# A large message (about 1 MiB): several chunks, none waiting.
"$PYTHON3" -c 'import sys
out = sys.stdout
out.write("Subject: postfix large\n\n")
for i in range(16000):
    out.write("line %05d %s\n" % (i, "x" * 52))
out.write("last line\n")' >"$T_DIR/large.eml"
run_postie_within 30 -v rcpt@example.org <"$T_DIR/large.eml"
assert_run "large: delivered" 0
assert_matches "large: chunks before the last" "$T_DIR/err" \
    "^--> BDAT [0-9]+$"
delivered 2
assert_matches "large: Postfix took several BDATs" "$PF/maillog" \
    "disconnect from .* bdat=[2-9] quit=1"
assert_eq "large: every line in the mailbox" \
    "$(grep -c '^line [0-9]\{5\} x\{52\}$' "$PF/mail/box")" 16000
assert_matches "large: the last line too" "$PF/mail/box" "^last line$"

# AUTH PLAIN leads the flight.  First with a user Postfix does not know
# (AUTH fails): the failure's path, and that Postfix, which forbids
# pipelining where RFC 2920 does not allow it, takes AUTH PLAIN with
# MAIL, RCPT, BDAT and QUIT in one flight.
auth_send() {
	write_config "tls off" "port $1" "auth plain" "user nobody-$$" \
	    "password not-$$" "allow_cleartext_auth on"
	run_postie_within 30 -v rcpt@example.org <"$T_DIR/small.eml"
}

# Where mail needs AUTH: the AUTH error, and nothing delivered.
auth_send "$PORT_AUTH"
# 535 from the sasldb (no such user: 77); 454 (try later: 75) where
# Cyrus SASL cannot check at all.
if grep -q '^<-- 535' "$T_DIR/err"; then
	_code=535 _ex=77
else
	_code=454 _ex=75
fi
assert_run "AUTH refused: the AUTH error" "$_ex" "at AUTH PLAIN: $_code"
assert_not_contains "AUTH refused: no recipient blamed" "$T_DIR/err" \
    "recipient <rcpt@example.org> rejected"
assert_eq "AUTH refused: MAIL went before the reply to AUTH" \
    "$(grep -e '^--> MAIL FROM' -e "^<-- $_code" "$T_DIR/err" |
    cut -c1-3 | tr '\n' ' ')" "--> <-- "
assert_matches "AUTH refused: Postfix refused BDAT, not the pipelining" \
    "$PF/maillog" "auth=0/1 mail=1 rcpt=0/1 bdat=0/1 quit=1"

# Where the client's address is enough: BDAT LAST got 250, so the
# message is delivered, once, with a warning.
auth_send "$PORT_ADDR"
assert_run "AUTH failed, accepted: delivered" 0 \
    "but the server accepted the message"
delivered 3
assert_eq "AUTH failed, accepted: delivered once, nothing else" \
    "$(grep -c '^Subject: postfix' "$PF/mail/box")" 3
# AUTH that succeeds: PLAIN leads MAIL, RCPT, BDAT LAST and QUIT in one
# flight, and Postfix, which forbids unauthorised pipelining, takes it;
# LOGIN, whose challenges need answers, goes before the envelope.
n=3
for mech in plain login; do
	write_config "tls off" "port $PORT_SASL" "auth $mech" \
	    "user $SASL_USER" "password $SASL_PASS" "allow_cleartext_auth on"
	run_postie_within 30 -v rcpt@example.org <"$T_DIR/small.eml"
	assert_run "AUTH $mech accepted: delivered" 0
	n=$((n + 1))
	delivered $n
	assert_eq "AUTH $mech accepted: in the mailbox" \
	    "$(grep -c '^Subject: postfix' "$PF/mail/box")" $n
	assert_not_contains "AUTH $mech accepted: password not shown" \
	    "$T_DIR/err" "$SASL_PASS"
	# The order of MAIL sent and 235 received.
	_order=$(grep -e '^--> MAIL FROM' -e '^<-- 235' "$T_DIR/err" |
	    cut -c1-3 | tr '\n' ' ')
	if [ "$mech" = plain ]; then
		assert_eq "AUTH plain: MAIL went before the 235" "$_order" \
		    "--> <-- "
		assert_matches "AUTH plain: BDAT LAST in the same flight" \
		    "$T_DIR/err" "^--> BDAT [0-9]+ LAST$"
	else
		assert_eq "AUTH login: MAIL after the 235" "$_order" \
		    "<-- --> "
	fi
done
assert_matches "AUTH accepted: Postfix took AUTH, MAIL, RCPT, BDAT" \
    "$PF/maillog" "auth=1 mail=1 rcpt=1 bdat=1 quit=1"
assert_not_matches "no pipelining error in Postfix's log" "$PF/maillog" \
    "protocol synchronization|improper command pipelining"

t_done

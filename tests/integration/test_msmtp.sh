#!/bin/sh
# SPDX-License-Identifier: ISC
# Coming from msmtp: a realistic ~/.msmtprc used unchanged with -C sends
# through the test server; msmtp keys postie does not implement are
# ignored with a warning when harmless and refused, naming the key, when
# they change delivery or security; --config-check prints each account
# (secrets hidden) and every problem, exiting 0 or 78.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=joe.smith
PASS='plain text #password'
server_start_tls good --starttls --auth "$USER:$PASS"

RC=$HOME/.msmtprc
# msmtprc NAME EXTRA...: a ~/.msmtprc as msmtp users write them, with
# EXTRA lines at the end of the "work" account.
msmtprc() {
	{
		cat <<EOF
# Set default values for all following accounts.
defaults
auth           on
tls            on
tls_starttls   on
tls_trust_file $T_CERTS/ca.pem
logfile        ~/.msmtp.log
logfile_time_format %Y-%m-%d %H:%M:%S
syslog         off

# The provider
account        work
host           127.0.0.1
port           $SRV_PORT
from           joe@example.org
user           $USER
password       "$PASS"
EOF
		for _l in "$@"; do
			echo "$_l"
		done
		cat <<EOF

# Another mailbox
account        home
host           smtp.home.example
port           465
tls_starttls   off
from           joe@home.example
user           joe
passwordeval   "gpg --no-tty -q -d ~/.msmtp-password.gpg"

# Set a default account
account default : work
EOF
	} >"$RC"
	chmod 600 "$RC"
}

msg() {
	printf 'From: Joe <joe@example.org>\nTo: ann@example.org\n'
	printf 'Bcc: audit@example.org\nSubject: from msmtprc\n\nhello\n'
}

# 1. The file as it is: a message goes out.
msmtprc
msg | run_postie_within 30 -C "$RC" -t
assert_run "msmtprc unchanged: exit 0" 0
assert_eq "msmtprc unchanged: envelope" "$(srv_envelope 1)" \
    "joe@example.org ann@example.org audit@example.org"
assert_contains "msmtprc unchanged: logfile written" "$HOME/.msmtp.log" \
    "ann@example.org"

# 2. --config-check: every account, the password hidden, exit 0.
run_postie -C "$RC" --config-check
assert_run "config-check: exit 0" 0 "0 problems found"
assert_line "config-check: account work" "$T_DIR/out" "account work"
assert_line "config-check: account home" "$T_DIR/out" "account home"
assert_line "config-check: account default" "$T_DIR/out" "account default"
assert_line "config-check: effective port" "$T_DIR/out" "port 465"
assert_line "config-check: password hidden" "$T_DIR/out" "password [hidden]"
assert_not_contains "config-check: no password" "$T_DIR/out" "$PASS"
assert_line "config-check: passwordeval not run" "$T_DIR/out" \
    'passwordeval "gpg --no-tty -q -d ~/.msmtp-password.gpg"'

# 3. A harmless msmtp key: a warning naming it, the mail still goes out.
msmtprc "ntlmdomain EXAMPLE"
run_postie -C "$RC" --config-check
assert_run "harmless key: config-check exit 0" 0
assert_contains "harmless key: warning names it" "$T_DIR/out" \
    "warning: $RC:18: ignoring key 'ntlmdomain'"
msg | run_postie_within 30 -C "$RC" -t -v
assert_run "harmless key: sent" 0
assert_contains "harmless key: warning under -v" "$T_DIR/err" \
    "ignoring key 'ntlmdomain'"
assert_eq "harmless key: delivered" "$(srv_nmessages)" 2

# 4. Keys that change delivery or security: refused, naming the key and
# what to do, nothing sent.
for kv in "tls_priorities NORMAL:-VERS-TLS1.2" "protocol lmtp" \
    "tls_force_sslv3 on"; do
	k=${kv%% *}
	msmtprc "$kv"
	rm -rf "$POSTIE_QUEUE_DIR"
	msg | run_postie -C "$RC" -t
	# Refused, and the message held until the config is fixed.
	assert_run "$k: refused" 0 "$RC:18:"
	assert_contains "$k: names the key" "$T_DIR/err" "$k"
	assert_contains "$k: the message is held" "$T_DIR/err" \
	    "held in the queue as $(qids)"
	run_postie -C "$RC" --config-check
	assert_run "$k: config-check exit 78" 78 "$k"
done
msmtprc "tls_priorities NORMAL:-VERS-TLS1.2"
msg | run_postie -C "$RC" -t
assert_contains "unsupported key: says what to do" "$T_DIR/err" \
    "remove it only if the account works without it"
assert_eq "refused keys: nothing sent" "$(srv_nmessages)" 2

# msmtp's connection keys and eval are read as msmtp reads them.
msmtprc "proxy_host proxy.example.org" "proxy_port 9050" \
    "socket /run/smtp.sock" "tls_host_override mx.example" \
    "tls_crl_file /etc/crl.pem" "eval echo maildomain eval.example"
run_postie -C "$RC" --config-check -a work
for l in "proxy_host proxy.example.org" "proxy_port 9050" \
    "socket /run/smtp.sock" "tls_host_override mx.example" \
    "tls_crl_file /etc/crl.pem" "maildomain eval.example"; do
	assert_line "msmtp key read: $l" "$T_DIR/out" "$l"
done
assert_contains "config-check: a missing tls_crl_file is a problem" \
    "$T_DIR/out" "problem: tls_crl_file /etc/crl.pem: No such file"

# 5. Problems found beyond the syntax: each printed, exit 78.
msmtprc "aliases $T_DIR/no-such-aliases" "tls_cert_file $T_DIR/no.pem" \
    "tls_key_file $T_DIR/no.key"
run_postie -C "$RC" --config-check
assert_run "problems: exit 78 (work and default)" 78 \
    "6 problems found"
assert_contains "problems: aliases" "$T_DIR/out" \
    "problem: $T_DIR/no-such-aliases"
assert_contains "problems: tls_cert_file" "$T_DIR/out" \
    "problem: tls_cert_file $T_DIR/no.pem"
msmtprc "tls_cert_file $T_CERTS/good.pem"
run_postie -C "$RC" --config-check -a work
assert_run "account check: exit 78" 78 "problem: "
assert_not_contains "-a: only that account" "$T_DIR/out" "account home"
run_postie -C "$RC" --config-check -a nosuch
assert_run "unknown account: exit 78" 78 "problem: no account nosuch"
run_postie -C "$T_DIR/missing" --config-check
assert_run "missing config: exit 78" 78 "missing"
printf 'account a\nhost h\nfrobnicate on\n' >"$T_DIR/bad.conf"
run_postie -C "$T_DIR/bad.conf" --config-check
assert_run "unknown key: exit 78" 78 "bad.conf:3: unknown key 'frobnicate'"

t_done

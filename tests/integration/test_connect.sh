#!/bin/sh
# SPDX-License-Identifier: ISC
# msmtp's connection keys: socket (a Unix socket instead of host and
# port, TLS still verified against host), tls_host_override (the name the
# certificate is verified against) and tls_crl_file (a certificate that
# its CA revoked is refused; one whose issuer has no CRL in the file too).
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

printf 'Subject: connect\n\nbody\n' >"$T_DIR/in.eml"

# no_transaction NAME: the client sent no MAIL, RCPT nor DATA.
no_transaction() {
	assert_not_matches "$1: no MAIL, RCPT or DATA sent" \
	    "$SRV_TRANSCRIPT" "^C: (MAIL|RCPT|DATA)"
}

# send NAME EXIT [CONFIG LINE...]: write_config with the lines, send with
# -v, and check the exit status.
send() {
	_name=$1 _exit=$2
	shift 2
	write_config "$@"
	run_postie_within 30 -v -i rcpt@example.org <"$T_DIR/in.eml"
	assert_run "$_name: exit $_exit" "$_exit"
}

# --- socket: a forwarder from a Unix socket to the test server.
SOCK=$T_DIR/smtp.sock
server_start_tls good --starttls
"$PYTHON3" "$TESTS_SRCDIR/integration/proxy.py" unix "$SOCK" "$SRV_PORT" \
    >"$T_DIR/unix.log" 2>&1 &
SRV_PIDS="$SRV_PIDS $!"
_i=0
while [ ! -S "$SOCK" ]; do
	_i=$((_i + 1))
	[ "$_i" -le 200 ] ||
	    t_hard_error "proxy.py unix did not start: $(cat "$T_DIR/unix.log")"
	sleep 0.05
done

# host and port name an address that cannot be reached: the socket wins.
send "socket" 0 "host 192.0.2.1" "port 9" "socket $SOCK" "tls off"
assert_eq "socket: delivered" "$(srv_nmessages)" 1
assert_contains "socket: -v names the socket" "$T_DIR/err" \
    "--- connected to socket $SOCK"
assert_not_contains "socket: no TCP attempt" "$T_DIR/err" "192.0.2.1:9"

# STARTTLS over the socket, verified against host.
send "socket, STARTTLS" 0 "host localhost" "socket $SOCK"
assert_eq "socket, STARTTLS: delivered" "$(srv_nmessages)" 2
assert_contains "socket, STARTTLS: TLS shown" "$T_DIR/err" "TLSv1."

# Without host, the socket's path is the name, which no certificate has.
sed '/^host /d' "$CONFIG" >"$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "socket without host: the path is verified" 77 "mismatch"

send "socket missing" 75 "socket $T_DIR/none.sock" "tls off"
assert_matches "socket missing: says so" "$T_DIR/err" \
    "connect to socket .*none\.sock failed: No such file or directory"
server_stop_all

# --- tls_host_override: a certificate for other.example at 127.0.0.1.
server_start_tls wrongname --starttls
send "no tls_host_override" 77
assert_matches "no tls_host_override: mismatch" "$T_DIR/err" \
    "mismatch.*expected 127\.0\.0\.1"
no_transaction "no tls_host_override"
send "tls_host_override" 0 "tls_host_override other.example"
assert_eq "tls_host_override: delivered" "$(srv_nmessages)" 1
send "tls_host_override, another name" 77 "tls_host_override wrong.example"
assert_matches "tls_host_override, another name: that name expected" \
    "$T_DIR/err" "mismatch.*expected wrong\.example"
server_stop

# --- tls_crl_file: the test CA revokes a certificate, with openssl ca.
(
	cd "$T_CERTS" || exit 1
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out revoked.key &&
	"$OPENSSL" req -new -key revoked.key -subj /CN=localhost \
	    -out revoked.csr &&
	"$OPENSSL" ca -batch -config ca.cnf -notext -days 30 \
	    -in revoked.csr -out revoked.pem &&
	"$OPENSSL" ca -config ca.cnf -revoke revoked.pem &&
	"$OPENSSL" ca -config ca.cnf -gencrl -crldays 30 -out crl.pem &&
	"$OPENSSL" ca -config ca.cnf -gencrl -crldays 30 \
	    -cert other-ca.pem -keyfile other-ca.key -out other-crl.pem
) >"$T_DIR/crl.log" 2>&1 ||
    t_hard_error "making the CRL failed: $(tail -5 "$T_DIR/crl.log")"

server_start_tls revoked --starttls
send "revoked, no tls_crl_file" 0
assert_eq "revoked, no tls_crl_file: delivered" "$(srv_nmessages)" 1
send "revoked, tls_crl_file" 77 "tls_crl_file $T_CERTS/crl.pem"
assert_matches "revoked, tls_crl_file: says revoked" "$T_DIR/err" \
    "certificate verification failed: certificate revoked"
assert_eq "revoked, tls_crl_file: not delivered" "$(srv_nmessages)" 1
server_stop

server_start_tls good --starttls
send "good, tls_crl_file" 0 "tls_crl_file $T_CERTS/crl.pem"
assert_eq "good, tls_crl_file: delivered" "$(srv_nmessages)" 1
send "good, CRL of another CA" 77 "tls_crl_file $T_CERTS/other-crl.pem"
assert_contains "good, CRL of another CA: no CRL for the chain" \
    "$T_DIR/err" "no CRL for a certificate of the chain in tls_crl_file"
send "tls_crl_file missing" 78 "tls_crl_file $T_DIR/none.pem"
assert_contains "tls_crl_file missing: names it" "$T_DIR/err" \
    "cannot read tls_crl_file $T_DIR/none.pem"
assert_eq "tls_crl_file failures: nothing more delivered" \
    "$(srv_nmessages)" 1
server_stop

t_done

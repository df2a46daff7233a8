#!/bin/sh
# SPDX-License-Identifier: ISC
# TLS and the protections around it: certificate verification (CA, host
# name, dates), fingerprint pinning, a server that does not offer
# STARTTLS, a STARTTLS reply other than 220, STARTTLS response injection,
# AUTH refused over cleartext.
# In each failure nothing of the mail transaction may reach the server.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='s3cret-Pa55w0rd'
printf 'Subject: tls\n\nbody\n' >"$T_DIR/in.eml"

# no_transaction NAME: the client sent no MAIL, RCPT, DATA nor AUTH.
no_transaction() {
	assert_not_matches "$1: no MAIL, RCPT, DATA or AUTH sent" \
	    "$SRV_TRANSCRIPT" "^C: (MAIL|RCPT|DATA|AUTH)"
}

# cert_case NAME CERT EXIT ERE [CONFIG LINE...]: a STARTTLS server with
# certificate CERT; postie exits EXIT saying ERE.
cert_case() {
	_name=$1 _cert=$2 _exit=$3 _ere=$4
	shift 4
	server_start_tls "$_cert" --starttls --auth "$USER:$PASS"
	write_config "auth plain" "user $USER" "password $PASS" "$@"
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
	assert_run "$_name: exit $_exit" "$_exit"
	[ -n "$_ere" ] && assert_matches "$_name: says /$_ere/" \
	    "$T_DIR/err" "$_ere"
	server_stop
}

cert_case "good certificate" good 0 ""
assert_eq "good certificate: delivered" "$(srv_nmessages)" 1

cert_case "good certificate, host by name" good 0 "" "host localhost"
assert_eq "good certificate, host by name: delivered" "$(srv_nmessages)" 1

cert_case "untrusted CA" untrusted 77 \
    "unknown ca|unable to get local issuer"
no_transaction "untrusted CA"

cert_case "wrong host name" wrongname 77 "mismatch"
no_transaction "wrong host name"

cert_case "wrong host name, host by name" wrongname 77 "mismatch" \
    "host localhost"
no_transaction "wrong host name, host by name"

cert_case "expired" expired 77 "expired"
no_transaction "expired"

cert_case "not yet valid" notyet 77 "not yet valid"
no_transaction "not yet valid"

cert_case "self-signed" selfsigned 77 "self.signed|certificate"
no_transaction "self-signed"

cert_case "trust file of another CA" good 77 \
    "unknown ca|unable to get local issuer" \
    "tls_trust_file $T_CERTS/other-ca.pem"
no_transaction "trust file of another CA"

# A pin overrides the CA: it matches although the trust file is unrelated.
cert_case "fingerprint match" good 0 "" \
    "tls_trust_file $T_CERTS/other-ca.pem" \
    "tls_fingerprint $(cat "$T_CERTS/good.sha256")"
assert_eq "fingerprint match: delivered" "$(srv_nmessages)" 1

other=$("$OPENSSL" x509 -in "$T_CERTS/selfsigned.pem" -noout -fingerprint \
    -sha256 | sed 's/^[^=]*=//')
cert_case "fingerprint mismatch" good 77 "fingerprint" \
    "tls_trust_file $T_CERTS/other-ca.pem" "tls_fingerprint $other"
no_transaction "fingerprint mismatch"

# A pin that does not match fails even when the CA would vouch for the
# certificate.
cert_case "fingerprint of another certificate, trusted CA" good 77 \
    "fingerprint" "tls_fingerprint $other"

cert_case "certcheck off" selfsigned 0 "tls_certcheck" "tls_certcheck off"
assert_eq "certcheck off: delivered" "$(srv_nmessages)" 1

# The server does not offer STARTTLS (but offers AUTH in the clear).
server_start --no-starttls-offer --auth "$USER:$PASS" --auth-cleartext
write_config "auth plain" "user $USER" "password $PASS"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "no STARTTLS offered: exit 69" 69 "STARTTLS"
no_transaction "no STARTTLS offered"
assert_not_matches "no STARTTLS offered: STARTTLS not tried" \
    "$SRV_TRANSCRIPT" "^C: STARTTLS"
assert_eq "no STARTTLS offered: nothing delivered" "$(srv_nmessages)" 0
server_stop

# The STARTTLS reply comes with a second reply in the same packet: that
# is a plaintext injection (CVE-2011-0411 class); postie must not go on.
server_start_tls good --starttls-inject --auth "$USER:$PASS"
write_config "auth plain" "user $USER" "password $PASS"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "STARTTLS injection: exit 76" 76
assert_matches "STARTTLS injection: says injection" "$T_DIR/err" \
    "injection"
no_transaction "STARTTLS injection"
server_stop

# STARTTLS offered but answered with something other than 220: no
# downgrade to cleartext; 4xx is "try later" (75), 5xx is 69.
for spec in "75|454 4.7.0 TLS not available due to temporary reason" \
    "69|502 5.5.1 not implemented"; do
	want=${spec%%|*}
	reply=${spec#*|}
	n="STARTTLS answered ${reply%% *}"
	server_start_tls good --starttls --auth "$USER:$PASS" \
	    --reply-at "starttls=$reply"
	write_config "auth plain" "user $USER" "password $PASS"
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
	assert_run "$n: exit $want" "$want" "at STARTTLS: $reply"
	assert_matches "$n: STARTTLS was sent" "$SRV_TRANSCRIPT" "^C: STARTTLS"
	no_transaction "$n"
	assert_not_contains "$n: password not printed" "$T_DIR/err" "$PASS"
	assert_eq "$n: nothing delivered" "$(srv_nmessages)" 0
	server_stop
done

# tls off with AUTH: refused unless allow_cleartext_auth.
server_start --auth "$USER:$PASS" --auth-cleartext
write_config "tls off" "auth plain" "user $USER" "password $PASS"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "cleartext AUTH refused: exit 77" 77
assert_matches "cleartext AUTH refused: says cleartext" "$T_DIR/err" \
    "cleartext"
no_transaction "cleartext AUTH refused"
assert_not_contains "cleartext AUTH refused: password not printed" \
    "$T_DIR/err" "$PASS"

write_config "tls off" "auth plain" "user $USER" "password $PASS" \
    "allow_cleartext_auth on"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/in.eml"
assert_run "allow_cleartext_auth on: exit 0" 0
assert_eq "allow_cleartext_auth on: delivered" "$(srv_nmessages)" 1
server_stop

t_done

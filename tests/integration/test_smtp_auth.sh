#!/bin/sh
# SPDX-License-Identifier: ISC
# AUTH mechanisms against the test server: CRAM-MD5, SCRAM-SHA-1,
# SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, XOAUTH2 and OAUTHBEARER with a
# token from passwordeval, EXTERNAL with a client certificate; success and
# failure for each, a wrong SCRAM server signature, the OAuth error
# challenge, "auth on" choosing in order, the password from ~/.netrc, and
# no secret in anything postie prints or logs.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='s3cret-Pa55w0rd'
TOKEN='ya29.test-Access-Token_0123456789'
printf 'Subject: auth\n\nhello\n' >"$T_DIR/in.eml"

# no_secret NAME: postie's stdout, stderr and log hold neither the
# password nor the token, nor any AUTH payload the server received.
no_secret() {
	_list="$PASS $TOKEN $(printf '%s' "$PASS" | base64)"
	for _s in $(sed -n 's/^C: AUTH [A-Z0-9-]* //p' "$SRV_TRANSCRIPT") \
	    $(sed -n '/^S: 334 /{n;s/^C: //p;}' "$SRV_TRANSCRIPT"); do
		[ "${#_s}" -ge 8 ] && _list="$_list $_s"
	done
	_found=
	for _s in $_list; do
		cat "$T_DIR/out" "$T_DIR/err" "$T_DIR/postie.log" 2>/dev/null |
		    grep -F -q -e "$_s" && _found="$_found $_s"
	done
	if [ -z "$_found" ]; then
		t_pass "$1: no secret in the output"
	else
		t_fail "$1: no secret in the output" "found$_found"
	fi
}

# send NAME: one message with -v; the run's files as run_postie leaves
# them.  Detached from any terminal, so that nothing prompts.
send() {
	setsid -w "$POSTIE" -v -i rcpt@example.org <"$T_DIR/in.eml" \
	    >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
}

# 1. Each password mechanism, chosen with auth NAME: right and wrong
# password.
for mech in cram-md5 scram-sha-1 scram-sha-256; do
	MECH=$(echo "$mech" | tr a-z A-Z)
	server_start_tls good --starttls --auth "$USER:$PASS" \
	    --auth-mechs "PLAIN $MECH"
	write_config "auth $mech" "user $USER" "password $PASS"
	send
	assert_run "$mech: exit 0" 0
	assert_matches "$mech: AUTH $MECH sent" "$SRV_TRANSCRIPT" \
	    "^C: AUTH $MECH( |\$)"
	assert_contains "$mech: authenticated" "$T_DIR/err" "authenticated"
	assert_eq "$mech: message accepted" "$(srv_nmessages)" 1
	no_secret "$mech"
	write_config "auth $mech" "user $USER" "password wrong-$PASS"
	send
	assert_run "$mech wrong password: exit 77" 77 \
	    "at AUTH $MECH: 535 5.7.8"
	assert_contains "$mech wrong password: hint" "$T_DIR/err" \
	    "app password or OAuth2"
	no_secret "$mech wrong password"
	server_stop
done

# 2. SCRAM: the server's signature is checked; a wrong one stops the
# session before any mail is sent.
for mech in SCRAM-SHA-1 SCRAM-SHA-256; do
	server_start_tls good --starttls --auth "$USER:$PASS" \
	    --auth-mechs "$mech" --scram-bad-signature
	write_config "auth on" "user $USER" "password $PASS"
	send
	assert_run "$mech bad server signature: exit 77" 77 \
	    "wrong server signature"
	assert_line "$mech bad server signature: cancelled" \
	    "$SRV_TRANSCRIPT" "C: *"
	assert_not_matches "$mech bad server signature: no MAIL" \
	    "$SRV_TRANSCRIPT" "^C: MAIL"
	server_stop
done

# 3. SCRAM-SHA-256-PLUS over TLS 1.2 with tls-unique (the test server
# cannot compute tls-exporter); "auth on" prefers it.
server_start_tls good --starttls --tls-max 1.2 --auth "$USER:$PASS" \
    --auth-mechs "PLAIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS"
write_config "auth on" "user $USER" "password $PASS"
send
assert_run "scram-sha-256-plus: exit 0" 0
assert_matches "scram-sha-256-plus: chosen by auth on" "$SRV_TRANSCRIPT" \
    "^C: AUTH SCRAM-SHA-256-PLUS "
assert_line "scram-sha-256-plus: tls-unique binding" "$SRV_TRANSCRIPT" \
    "* scram gs2 p=tls-unique"
assert_contains "scram-sha-256-plus: -v names the binding" "$T_DIR/err" \
    "channel binding: tls-unique"
no_secret "scram-sha-256-plus"
write_config "auth on" "user $USER" "password wrong-$PASS"
send
assert_run "scram-sha-256-plus wrong password: exit 77" 77 \
    "at AUTH SCRAM-SHA-256-PLUS: 535 5.7.8"
assert_eq "scram-sha-256-plus wrong password: nothing more delivered" \
    "$(srv_nmessages)" 1
no_secret "scram-sha-256-plus wrong password"
server_stop

# Without -PLUS offered, SCRAM-SHA-256 says it could bind ("y").
server_start_tls good --starttls --tls-max 1.2 --auth "$USER:$PASS" \
    --auth-mechs "SCRAM-SHA-256"
write_config "auth scram-sha-256" "user $USER" "password $PASS"
send
assert_run "scram-sha-256 y flag: exit 0" 0
assert_line "scram-sha-256 y flag: gs2 y" "$SRV_TRANSCRIPT" "* scram gs2 y"
server_stop

# 4. "auth on" takes the best offered: SCRAM-SHA-256, SCRAM-SHA-1,
# CRAM-MD5, PLAIN, LOGIN; never OAuth or EXTERNAL by itself.
for case in "SCRAM-SHA-256:PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256" \
    "SCRAM-SHA-1:PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1" \
    "CRAM-MD5:LOGIN PLAIN CRAM-MD5" "PLAIN:LOGIN PLAIN XOAUTH2" \
    "LOGIN:LOGIN OAUTHBEARER EXTERNAL"; do
	want=${case%%:*}
	server_start_tls good --starttls --auth "$USER:$PASS" \
	    --auth-mechs "${case#*:}"
	write_config "auth on" "user $USER" "password $PASS"
	send
	assert_run "auth on picks $want: exit 0" 0
	assert_matches "auth on picks $want" "$SRV_TRANSCRIPT" \
	    "^C: AUTH $want( |\$)"
	server_stop
done

# 5. XOAUTH2 and OAUTHBEARER, the token printed by passwordeval.
cat >"$T_DIR/token-helper" <<EOT
#!/bin/sh
echo '$TOKEN'
EOT
chmod 700 "$T_DIR/token-helper"
for mech in xoauth2 oauthbearer; do
	MECH=$(echo "$mech" | tr a-z A-Z)
	server_start_tls good --starttls --auth "$USER:unused" \
	    --auth-mechs "PLAIN $MECH" --oauth-token "$TOKEN"
	write_config "auth $mech" "user $USER" \
	    "passwordeval $T_DIR/token-helper"
	send
	assert_run "$mech: exit 0" 0
	assert_matches "$mech: AUTH $MECH sent" "$SRV_TRANSCRIPT" \
	    "^C: AUTH $MECH "
	no_secret "$mech"
	server_stop

	# A refused token: the JSON error challenge, answered with the
	# dummy response, its status in the error.
	server_start_tls good --starttls --auth "$USER:unused" \
	    --auth-mechs "PLAIN $MECH" --oauth-token "$TOKEN" --oauth-fail
	write_config "auth $mech" "user $USER" \
	    "passwordeval $T_DIR/token-helper"
	send
	assert_run "$mech refused: exit 77" 77 "at AUTH $MECH: 535 5.7.8"
	assert_line "$mech refused: dummy response per the RFC" \
	    "$SRV_TRANSCRIPT" "* $MECH dummy response ok"
	if [ "$mech" = xoauth2 ]; then
		assert_contains "$mech refused: status reported" "$T_DIR/err" \
		    "OAuth error status: 400"
	else
		assert_contains "$mech refused: status reported" "$T_DIR/err" \
		    "OAuth error status: invalid_token"
	fi
	assert_contains "$mech refused: hint" "$T_DIR/err" \
	    "access token was refused"
	no_secret "$mech refused"
	server_stop
done

# 6. EXTERNAL with a client certificate; without one, refused.
server_start_tls good --starttls --auth "$USER:$PASS" \
    --auth-mechs "PLAIN EXTERNAL" --client-ca "$T_CERTS/ca.pem"
write_config "auth external" "tls_cert_file $T_CERTS/client.pem" \
    "tls_key_file $T_CERTS/client.key"
send
assert_run "external: exit 0" 0
assert_line "external: AUTH EXTERNAL =" "$SRV_TRANSCRIPT" "C: AUTH EXTERNAL ="
assert_line "external: certificate seen" "$SRV_TRANSCRIPT" \
    "* external certificate postie client authzid "
server_stop
server_start_tls good --starttls --auth "$USER:$PASS" \
    --auth-mechs "PLAIN EXTERNAL"
write_config "auth external" "tls_cert_file $T_CERTS/client.pem" \
    "tls_key_file $T_CERTS/client.key"
send
assert_run "external without certificate: exit 77" 77 \
    "client certificate"
server_stop

# 7. No password in the config: ~/.netrc by host and login; then nothing
# (no terminal): an error naming the account.
server_start_tls good --starttls --auth "$USER:$PASS" \
    --auth-mechs "SCRAM-SHA-256"
write_config "auth on" "user $USER"
{
	echo "machine 127.0.0.1 login someone-else password nope"
	echo "machine 127.0.0.1 login $USER password $PASS"
} >"$HOME/.netrc"
chmod 600 "$HOME/.netrc"
send
assert_run "netrc: exit 0" 0
assert_eq "netrc: message accepted" "$(srv_nmessages)" 1
no_secret "netrc"
chmod 644 "$HOME/.netrc"
send
assert_run "netrc readable by others: exit 78" 78 "chmod 600"
rm -f "$HOME/.netrc"
send
assert_run "no password anywhere: exit 78" 78 \
    "no password for $USER@127.0.0.1: set password or passwordeval"
server_stop

t_done

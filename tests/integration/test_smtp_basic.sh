#!/bin/sh
# SPDX-License-Identifier: ISC
# Successful submissions: STARTTLS and implicit TLS, AUTH PLAIN and LOGIN,
# recipients from -t and from arguments; the envelope and the message as
# the server received them, byte for byte; the -v transcript hides the
# credentials.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

USER=alice
PASS='s3cret-Pa55w0rd'
CRED="user $USER"
CRED_PW="password $PASS"

# The input mixes CRLF and LF line ends and has the lines that dot
# stuffing is about, a line of 998 octets (the most SMTP allows; a longer
# one is sent quoted-printable, see test_mime.sh) and UTF-8 text.
# want.eml is what the server must receive: CRLF everywhere, the Bcc line
# gone.
long=$(printf '%998s' '' | tr ' ' a)
hdr() {
	printf 'From: Sender <sender@example.org>\n'
	printf 'To: Rcpt One <one@example.org>\r\n'
	printf 'Cc: two@example.org\n'
	[ "$1" = bcc ] && printf 'Bcc: three@example.org\n'
	printf 'Subject: dots, a long line and UTF-8\r\n'
	printf 'Date: Mon, 02 Nov 2026 10:00:00 +0000\n'
	printf 'Message-ID: <basic.1@example.org>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	printf '\n'
}
body() {
	printf 'first line\r\n.\n..\r\n.x\n%s\n' "$long"
	printf 'Gr\303\274\303\237e, \346\227\245\346\234\254\350\252\236\r\n'
	printf '. \n...\nlast line\n'
}
crlf() {
	sed 's/\r$//' | sed 's/$/\r/'
}
{ hdr bcc; body; } >"$T_DIR/in-bcc.eml"
{ hdr; body; } >"$T_DIR/in.eml"
{ hdr; body; } | crlf >"$T_DIR/want.eml"

# secrets_hidden WHAT FILE...: none of the files holds the password, its
# base64 or an AUTH payload the server received (but for the user name).
secrets_hidden() {
	_what=$1
	shift
	_b64user=$(printf '%s' "$USER" | base64)
	_list="$PASS $(printf '%s' "$PASS" | base64)"
	for _s in $(sed -n 's/^C: AUTH [A-Z]* //p' "$SRV_TRANSCRIPT") \
	    $(sed -n '/^S: 334 /{n;s/^C: //p;}' "$SRV_TRANSCRIPT"); do
		[ "$_s" = "$_b64user" ] || _list="$_list $_s"
	done
	for _f in "$@"; do
		if [ ! -f "$_f" ]; then
			t_fail "$_what: $(basename "$_f") shows no secret" \
			    "no file $_f"
			continue
		fi
		_found=
		for _s in $_list; do
			grep -F -q -e "$_s" "$_f" &&
			    _found="$_found $_s"
		done
		if [ -z "$_found" ]; then
			t_pass "$_what: $(basename "$_f") shows no secret"
		else
			t_fail "$_what: $(basename "$_f") shows no secret" \
			    "found$_found"
		fi
	done
}

# 1. STARTTLS, AUTH PLAIN, -t: To, Cc and Bcc in the envelope.
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "auth plain" "$CRED" "$CRED_PW"
run_postie_within 30 -t -i <"$T_DIR/in-bcc.eml"
assert_run "starttls plain -t: exit 0" 0
assert_eq "starttls plain -t: envelope" "$(srv_envelope 1)" \
    "sender@example.org one@example.org two@example.org three@example.org"
assert_same "starttls plain -t: message as received, Bcc removed" \
    "$SRV_RECORD/1.eml" "$T_DIR/want.eml"
assert_not_contains "starttls plain -t: no Bcc address in the data" \
    "$SRV_RECORD/1.eml" "three@example.org"
assert_line "starttls plain -t: STARTTLS sent" "$SRV_TRANSCRIPT" \
    "C: STARTTLS"
assert_matches "starttls plain -t: AUTH PLAIN sent" "$SRV_TRANSCRIPT" \
    "^C: AUTH PLAIN "
assert_eq "starttls plain -t: AUTH only after TLS" \
    "$(sed -n '/^\* tls started/,$p' "$SRV_TRANSCRIPT" | grep -c '^C: AUTH')" \
    "$(grep -c '^C: AUTH' "$SRV_TRANSCRIPT")"
assert_eq "starttls plain -t: one message" "$(srv_nmessages)" 1
secrets_hidden "starttls plain -t" "$T_DIR/out" "$T_DIR/err"

# 2. The same server, recipients as arguments: the headers do not add
# any; the message arrives unchanged but for the line ends.
run_postie_within 30 -i arg1@example.org arg2@example.org <"$T_DIR/in.eml"
assert_run "arguments: exit 0" 0
assert_eq "arguments: envelope" "$(srv_envelope 2)" \
    "sender@example.org arg1@example.org arg2@example.org"
assert_same "arguments: message as received" "$SRV_RECORD/2.eml" \
    "$T_DIR/want.eml"

# 3. -v: the transcript on stderr, with the credentials hidden.
run_postie_within 30 -v -i arg1@example.org <"$T_DIR/in.eml"
assert_run "-v plain: exit 0" 0
assert_contains "-v plain: EHLO shown" "$T_DIR/err" "EHLO"
assert_contains "-v plain: STARTTLS shown" "$T_DIR/err" "STARTTLS"
assert_matches "-v plain: TLS version shown" "$T_DIR/err" "TLSv1\.[23]"
assert_contains "-v plain: AUTH payload hidden" "$T_DIR/err" "[hidden]"
secrets_hidden "-v plain" "$T_DIR/out" "$T_DIR/err" "$T_DIR/postie.log"
assert_eq "-v plain: message accepted" "$(srv_nmessages)" 3
server_stop

# 4. AUTH LOGIN, with -v.
server_start_tls good --starttls --auth "$USER:$PASS"
write_config "auth login" "$CRED" "$CRED_PW"
run_postie_within 30 -v -i arg1@example.org <"$T_DIR/in.eml"
assert_run "login: exit 0" 0
assert_matches "login: AUTH LOGIN sent" "$SRV_TRANSCRIPT" "^C: AUTH LOGIN"
assert_not_matches "login: no AUTH PLAIN" "$SRV_TRANSCRIPT" "^C: AUTH PLAIN"
assert_same "login: message as received" "$SRV_RECORD/1.eml" \
    "$T_DIR/want.eml"
assert_contains "login: -v hides the credentials" "$T_DIR/err" "[hidden]"
secrets_hidden "login" "$T_DIR/out" "$T_DIR/err" "$T_DIR/postie.log"
server_stop

# 5. Implicit TLS (port 465 style), -t.
server_start_tls good --implicit-tls --auth "$USER:$PASS"
write_config "tls_starttls off" "auth plain" "$CRED" "$CRED_PW"
run_postie_within 30 -t -i <"$T_DIR/in-bcc.eml"
assert_run "implicit tls: exit 0" 0
assert_eq "implicit tls: envelope" "$(srv_envelope 1)" \
    "sender@example.org one@example.org two@example.org three@example.org"
assert_same "implicit tls: message as received" "$SRV_RECORD/1.eml" \
    "$T_DIR/want.eml"
assert_not_matches "implicit tls: no STARTTLS" "$SRV_TRANSCRIPT" \
    "^C: STARTTLS"
assert_matches "implicit tls: EHLO is the first command" "$SRV_TRANSCRIPT" \
    "^C: EHLO "
server_stop

# The log file exists, has a line per delivery, and no secrets.
assert_eq "log: one line per delivery" \
    "$(grep -c 'exitcode=EX_OK' "$T_DIR/postie.log" 2>/dev/null)" 5
secrets_hidden "log" "$T_DIR/postie.log"

t_done

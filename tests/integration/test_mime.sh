#!/bin/sh
# SPDX-License-Identifier: ISC
# What postie puts on the wire is valid SMTP (postie(1), MESSAGE HANDLING):
# to a server without 8BITMIME a single-part 8-bit body goes
# quoted-printable, and what the server received decodes (Python's email
# and quopri) to the original bytes; what cannot be converted exits 65
# and is kept in failed/, nothing sent; the queue keeps the message as
# submitted; body lines over 998 octets go quoted-printable when they can,
# else as they are with a note under -v; SIZE= is the size received.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

# mail_line [N]: the Nth MAIL command the last server received.
mail_line() {
	sed -n 's/^C: \(MAIL FROM:.*\)/\1/p' "$SRV_TRANSCRIPT" |
	    sed -n "${1:-1}p"
}

# mkmsg NAME HEADER-TEXT BODY-TEXT (printf formats): $T_DIR/NAME.eml and
# its body alone in $T_DIR/NAME.body.
mkmsg() {
	printf "$3" >"$T_DIR/$1.body"
	{ printf "$2"; printf '\n'; cat "$T_DIR/$1.body"; } >"$T_DIR/$1.eml"
}

# check_qp NAME EML BODY: EML, as the server received it, holds no 8-bit
# byte and no body line over 76 characters, declares quoted-printable
# once, and its body decodes (email, quopri) to the bytes of BODY with
# line ends as CRLF, the canonical form.
check_qp() {
	"$PYTHON3" -c 'import email, quopri, re, sys
raw = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read()
crlf = re.sub(rb"(?<!\r)\n", b"\r\n", want)
bad = [b for b in raw if b >= 0x80]
if bad:
    print("%d 8-bit bytes received" % len(bad)); sys.exit()
m = email.message_from_bytes(raw)
ctes = m.get_all("Content-Transfer-Encoding") or []
head, _, body = raw.partition(b"\r\n\r\n")
if ctes != ["quoted-printable"]:
    print("Content-Transfer-Encoding: %r" % ctes)
elif m.get("MIME-Version") != "1.0":
    print("MIME-Version: %r" % m.get("MIME-Version"))
elif max(len(l) for l in body.split(b"\r\n")) > 76:
    print("a line of %d characters" %
          max(len(l) for l in body.split(b"\r\n")))
elif m.get_payload(decode=True) != crlf:
    print("email decodes to %r" % m.get_payload(decode=True)[:200])
elif quopri.decodestring(body) != crlf:
    print("quopri decodes to %r" % quopri.decodestring(body)[:200])
else:
    print("ok")' "$2" "$3" >"$T_DIR/check" 2>&1
	if [ "$(cat "$T_DIR/check")" = ok ]; then
		t_pass "$1"
	else
		t_fail "$1" "$(sed -n 1,3p "$T_DIR/check")"
	fi
}

# size_ok NAME N: MAIL N carried SIZE= the size of message N as received.
size_ok() {
	_size=$(wc -c <"$SRV_RECORD/$2.eml" | tr -d ' ')
	assert_matches "$1" "$SRV_TRANSCRIPT" \
	    "^C: MAIL FROM:<[^>]*> SIZE=$_size( |\$)"
}

# A body with UTF-8 and Latin-1 bytes, "=", trailing white space, dot
# lines, a lone CR, a line of 300 octets, and no final line end.
h='Subject: 8 bits\nContent-Type: text/plain; charset=utf-8\n'
h="${h}Content-Transfer-Encoding: 8bit\n"
b='Gr\303\274\303\237e, caf\303\251 \351t\351\n.\n..leading dots\n'
b="${b}a = b \t\nbare\rcr\n%0300d\nend without line end  "
mkmsg plain "$h" "$b"
mkmsg nl 'Subject: 8 bits\n' 'na\303\257ve\n\n'

# --- Converted: single part, no 8BITMIME.
server_start --no-8bitmime --size 1000000
write_config "tls off"
run_postie_within 30 -v -i rcpt@example.org <"$T_DIR/plain.eml"
assert_run "no 8BITMIME: delivered" 0
assert_contains "no 8BITMIME: -v says the body is converted" "$T_DIR/err" \
    "the server offers no 8BITMIME: the body is sent quoted-printable"
assert_eq "no 8BITMIME: one message" "$(srv_nmessages)" 1
check_qp "no 8BITMIME: received 7-bit, decodes to the original bytes" \
    "$SRV_RECORD/1.eml" "$T_DIR/plain.body"
assert_eq "no 8BITMIME: no BODY= parameter" "$(mail_line | grep -c BODY=)" 0
size_ok "no 8BITMIME: SIZE= is the converted size" 1
run_postie_within 30 -i rcpt@example.org <"$T_DIR/nl.eml"
assert_run "no 8BITMIME, no MIME-Version: delivered" 0
check_qp "no 8BITMIME, no MIME-Version: one added, decodes" \
    "$SRV_RECORD/2.eml" "$T_DIR/nl.body"
size_ok "no 8BITMIME, no MIME-Version: SIZE= as received" 2
server_stop

# The same message to a server with 8BITMIME goes as it is.
server_start --size 1000000
write_config "tls off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/plain.eml"
assert_run "8BITMIME: delivered" 0
assert_eq "8BITMIME: BODY=8BITMIME, SIZE as received" "$(mail_line)" \
    "MAIL FROM:<sender@example.org> SIZE=$(wc -c <"$SRV_RECORD/1.eml" |
    tr -d ' ') BODY=8BITMIME"
assert_contains "8BITMIME: sent as it is" "$SRV_RECORD/1.eml" \
    "Content-Transfer-Encoding: 8bit"
server_stop

# --- The queue keeps the message as submitted; the flush converts.
server_down
write_config "tls off" "queue on"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/plain.eml"
assert_run "queued: exit 0" 0
id=$(qids | sed -n 1p)
t_pattern "queued: an id" id "$id" && {
	assert_contains "queued: the 8-bit body as submitted" \
	    "$POSTIE_QUEUE_DIR/$id.msg" "$(printf 'Gr\303\274\303\237e')"
	assert_contains "queued: its Content-Transfer-Encoding as submitted" \
	    "$POSTIE_QUEUE_DIR/$id.msg" "Content-Transfer-Encoding: 8bit"
}
server_start --no-8bitmime
write_config "tls off" "queue on"
run_postie_within 30 -q
assert_run "flush: exit 0" 0
assert_eq "flush: delivered, queue empty" "$(srv_nmessages) $(nqueued)" "1 0"
check_qp "flush: converted at send time, decodes to the original" \
    "$SRV_RECORD/1.eml" "$T_DIR/plain.body"
server_stop

# --- Cannot convert: 65, kept in failed/, nothing sent.
multi='Subject: parts\nMIME-Version: 1.0\n'
multi="${multi}Content-Type: multipart/mixed; boundary=b\n"
pre='preamble\n--b\nContent-Type: text/plain'
mkmsg multi "$multi" "$pre; charset=utf-8\n\nGr\303\274\303\237e\n--b--\n"
mkmsg dkim 'Subject: signed\nDKIM-Signature: v=1; a=rsa-sha256; b=abc\n' \
    'caf\303\251\n'
mkmsg head8 'Subject: Gr\303\274\303\237e\n' 'seven bits\n'
server_start --no-8bitmime --no-smtputf8
write_config "tls off" "queue on"
n=0
for case in multi:"it is multipart" \
    dkim:"it carries a DKIM-Signature" \
    head8:"the header section holds 8-bit bytes"; do
	name=${case%%:*}
	why=${case#*:}
	n=$((n + 1))
	run_postie_within 30 -i rcpt@example.org <"$T_DIR/$name.eml"
	assert_run "$name: exit 65, says why" 65 "$why"
	assert_eq "$name: kept in failed/" "$(nfailed)" "$n"
	assert_contains "$name: the error line says where it is kept" \
	    "$T_DIR/err" "failed"
done
assert_eq "refusals: nothing received" "$(srv_nmessages)" 0
assert_not_contains "refusals: no MAIL sent" "$SRV_TRANSCRIPT" "MAIL FROM"
assert_eq "refusals: nothing left in the queue" "$(nqueued)" 0
server_stop

# Requeued after the fix (a server with 8BITMIME), a refused message goes
# out as it was submitted.
server_start --size 1000000
write_config "tls off" "queue on"
id=$(for i in $(qids failed); do
	grep -l -F "Subject: signed" "$POSTIE_QUEUE_DIR/failed/$i.msg" \
	    >/dev/null 2>&1 && echo "$i"
done | sed -n 1p)
t_pattern "requeue: the DKIM message's id" id "$id" && {
	run_postie_within 30 --requeue="$id"
	assert_run "requeue: exit 0" 0
	run_postie_within 30 -q
	assert_run "requeue: flush exits 0" 0
	assert_eq "requeue: delivered" "$(srv_nmessages)" 1
	assert_contains "requeue: the 8-bit body unchanged" \
	    "$SRV_RECORD/1.eml" "$(printf 'caf\303\251')"
	assert_contains "requeue: the signature unchanged" \
	    "$SRV_RECORD/1.eml" "DKIM-Signature: v=1; a=rsa-sha256"
}
server_stop

# With the queue off: 65 as well, and nothing sent.
server_start --no-8bitmime --no-smtputf8
write_config "tls off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/multi.eml"
assert_run "queue off: exit 65" 65 "8BITMIME"
assert_eq "queue off: nothing received" "$(srv_nmessages)" 0
server_stop

# 8-bit header fields to a server with SMTPUTF8 but without 8BITMIME:
# sent with SMTPUTF8.
server_start --no-8bitmime
write_config "tls off"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/head8.eml"
assert_run "8-bit header, SMTPUTF8: delivered" 0
assert_eq "8-bit header, SMTPUTF8: MAIL has SMTPUTF8" "$(mail_line)" \
    "MAIL FROM:<sender@example.org> SMTPUTF8"
server_stop

# --- Body lines over 998 octets.
mkmsg long 'Subject: cron\n' 'short line\n%01500d\nlast\n'
mkmsg longmulti "$multi" "$pre\n\n%01500d\n--b--\n"
mkmsg longdkim 'Subject: signed\nDKIM-Signature: v=1; a=rsa-sha256; b=abc\n' \
    '%01500d\n'
line1500=$(printf '%01500d' 0)
server_start --size 1000000
write_config "tls off"
run_postie_within 30 -v -i rcpt@example.org <"$T_DIR/long.eml"
assert_run "long line: delivered" 0
assert_contains "long line: -v says why it is converted" "$T_DIR/err" \
    "1500 octets is longer than 998: the body is sent quoted-printable"
check_qp "long line: quoted-printable to an 8BITMIME server, decodes" \
    "$SRV_RECORD/1.eml" "$T_DIR/long.body"
assert_eq "long line: 7 bits after conversion, no BODY=" \
    "$(mail_line | grep -c BODY=)" 0
size_ok "long line: SIZE= the converted size" 1
n=1
for name in longmulti longdkim; do
	n=$((n + 1))
	run_postie_within 30 -v -i rcpt@example.org <"$T_DIR/$name.eml"
	assert_run "$name: delivered, never refused" 0
	assert_contains "$name: -v says it goes as it is" "$T_DIR/err" \
	    "a body line of 1500 octets is longer than 998; sent as it is"
	assert_contains "$name: the line received whole" \
	    "$SRV_RECORD/$n.eml" "$line1500"
	assert_not_contains "$name: not converted" "$SRV_RECORD/$n.eml" \
	    "quoted-printable"
	size_ok "$name: SIZE= as received" "$n"
done
server_stop

# --- SIZE= counts what is sent: lone CR, LF, CRLF, no final line end.
server_start --size 1000000
write_config "tls off"
printf 'Subject: ends\r\n\r\nlone\rcr\nlf\r\ncrlf\r\r\n.dot\nno end' \
    >"$T_DIR/ends.eml"
run_postie_within 30 -i rcpt@example.org <"$T_DIR/ends.eml"
assert_run "line ends: delivered" 0
size_ok "line ends: SIZE= the size received" 1
server_stop

t_done

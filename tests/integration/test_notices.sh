#!/bin/sh
# SPDX-License-Identifier: ISC
# Failure and delay notices (postie(1), QUEUE, "Failure notices"): a
# queued message refused for good at a flush gets exactly one notice, a
# well-formed RFC 3464 report sent to its sender through the same
# account; none for a null sender, an Auto-Submitted message, a DSN, one
# sent with -N never, a direct send or with bounce off; one only after a crash left the notice
# written and the message still queued; one when queue_lifetime runs
# out; bounce_to sends it elsewhere; delay_warning warns once.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

# mkmsg TAG [HEADER]: a message with Subject TAG and the extra header.
mkmsg() {
	{
		printf 'From: sender@example.org\nSubject: notice %s\n' "$1"
		[ -n "$2" ] && printf '%s\n' "$2"
		printf 'Message-ID: <%s@notices.example.org>\n\nbody %s\n' \
		    "$1" "$1"
	} >"$T_DIR/in-$1.eml"
}

# queue_down TAG ARGS...: send TAG's message to ARGS while the server is
# down: it waits in the queue.
queue_down() {
	_tag=$1
	shift
	server_down
	write_config "tls off" "queue on" $CONF_EXTRA
	run_postie -i "$@" <"$T_DIR/in-$_tag.eml"
}

# report N FIELD...: the fields of the last server's message N read as a
# DSN with Python's email package, one "FIELD=value" a line; "type=",
# "report-type=", the per-recipient fields of message/delivery-status.
report() {
	"$PYTHON3" - "$SRV_RECORD/$1.eml" <<'EOF'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=policy.compat32)
print("type=" + m.get_content_type())
print("report-type=" + str(m.get_param("report-type")))
print("auto-submitted=" + str(m.get("Auto-Submitted")))
print("to=" + str(m.get("To")))
for part in m.walk():
    ct = part.get_content_type()
    print("part=" + ct)
    if ct == "message/delivery-status":
        for block in part.get_payload():
            for k, v in block.items():
                print("%s=%s" % (k.lower(), " ".join(v.split())))
    if ct == "text/rfc822-headers":
        for line in part.get_payload().splitlines():
            if line.lower().startswith("subject:"):
                print("orig-" + line.lower().replace(": ", "=", 1))
EOF
}

CONF_EXTRA=
# --- A permanent refusal at a flush: one notice, well-formed.
mkmsg bad
queue_down bad bad@example.net
assert_eq "queued while the server is down" "$(nqueued)" 1
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user"
write_config "tls off" "queue on"
run_postie -q -v
assert_eq "the message is in failed/" "$(nfailed)" 1
assert_eq "nothing left in the queue" "$(nqueued)" 0
assert_eq "the server got one message: the notice" "$(srv_nmessages)" 1
assert_eq "the notice goes to the sender from the account's address" \
    "$(srv_envelope 1)" "sender@example.org sender@example.org"
report 1 >"$T_DIR/report"
assert_line "multipart/report" "$T_DIR/report" "type=multipart/report"
assert_line "report-type delivery-status" "$T_DIR/report" \
    "report-type=delivery-status"
assert_line "marked auto-replied" "$T_DIR/report" \
    "auto-submitted=auto-replied"
assert_line "has a message/delivery-status part" "$T_DIR/report" \
    "part=message/delivery-status"
assert_line "has the headers" "$T_DIR/report" "part=text/rfc822-headers"
assert_line "names the recipient" "$T_DIR/report" \
    "final-recipient=rfc822; bad@example.net"
assert_line "action failed" "$T_DIR/report" "action=failed"
assert_line "status from the reply" "$T_DIR/report" "status=5.1.1"
assert_line "the server's reply" "$T_DIR/report" \
    "diagnostic-code=smtp; 550 5.1.1 no such user"
assert_line "remote MTA" "$T_DIR/report" "remote-mta=dns; 127.0.0.1"
assert_line "the original subject" "$T_DIR/report" \
    "orig-subject=notice bad"
assert_matches "-v says so" "$T_DIR/err" \
    'failure notice queued as [0-9T]+-[0-9a-f]+-b0 for <sender@example.org>'
run_postie -q
assert_eq "a second flush sends no second notice" "$(srv_nmessages)" 1

# --- Partial: the good recipient gets the message, the bad one a notice.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
mkmsg part
queue_down part good@example.net bad@example.net
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user"
write_config "tls off" "queue on"
run_postie -q
assert_eq "partial: the message and one notice" "$(srv_nmessages)" 2
report 2 >"$T_DIR/report"
assert_line "partial: the notice names the refused recipient" \
    "$T_DIR/report" "final-recipient=rfc822; bad@example.net"
assert_not_contains "partial: and not the one that got it" \
    "$T_DIR/report" "good@example.net"

# --- No notice for a null sender, an Auto-Submitted message, a notice.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
mkmsg null
queue_down null -f '<>' bad@example.net
mkmsg auto "Auto-Submitted: auto-generated"
run_postie -i bad@example.net <"$T_DIR/in-auto.eml"
mkmsg dsn "Content-Type: multipart/report; report-type=delivery-status; boundary=x"
run_postie -i bad@example.net <"$T_DIR/in-dsn.eml"
mkmsg never
run_postie -N never -i bad@example.net <"$T_DIR/in-never.eml"
assert_eq "four queued" "$(nqueued)" 4
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user"
write_config "tls off" "queue on"
run_postie -q -v
assert_eq "all four failed" "$(nfailed)" 4
assert_eq "no notice for a null sender, Auto-Submitted, a DSN, NOTIFY=NEVER" \
    "$(srv_nmessages)" 0
assert_contains "-v says why: null sender" "$T_DIR/err" \
    "no notice: it has the null sender"
assert_contains "-v says why: Auto-Submitted" "$T_DIR/err" \
    "no notice: it is marked Auto-Submitted"
assert_contains "-v says why: a DSN" "$T_DIR/err" \
    "no notice: it is a delivery status notification"
assert_contains "-v says why: NOTIFY=NEVER" "$T_DIR/err" \
    "no notice: it asked NOTIFY=NEVER"

# --- A direct send never makes a notice: its caller saw the status.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
mkmsg direct
run_postie -i bad@example.net <"$T_DIR/in-direct.eml"
assert_eq "direct send: refused, exit 67" "$(cat "$T_DIR/rc")" 67
assert_eq "direct send: kept in failed/" "$(nfailed)" 1
assert_eq "direct send: no notice" "$(srv_nmessages)" 0
assert_eq "direct send: nothing queued" "$(nqueued)" 0

# --- bounce off: none.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
CONF_EXTRA="bounce off"
mkmsg off
queue_down off bad@example.net
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user"
write_config "tls off" "queue on" "bounce off"
run_postie -q
assert_eq "bounce off: failed" "$(nfailed)" 1
assert_eq "bounce off: no notice" "$(srv_nmessages)" 0
CONF_EXTRA=

# --- bounce_to, through the aliases.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
printf 'postmaster: admin@example.com\n' >"$T_DIR/aliases"
CONF_EXTRA="bounce_to postmaster"
mkmsg to
queue_down to bad@example.net
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user"
write_config "tls off" "queue on" "bounce_to postmaster" \
    "aliases $T_DIR/aliases"
run_postie -q
assert_eq "bounce_to: the notice goes to the alias's address" \
    "$(srv_envelope 1)" "sender@example.org admin@example.com"
CONF_EXTRA=

# --- A crash after the notice was written, before the message moved:
# the state it leaves is made by hand (the notice kept by a 451 for its
# recipient, the message put back as it was).  The next flush settles
# the message again and sends the one notice there is.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
mkmsg crash
queue_down crash bad@example.net
X=$(qids)
cp "$POSTIE_QUEUE_DIR/$X.env" "$POSTIE_QUEUE_DIR/$X.msg" "$T_DIR/"
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user" \
    --reply-at "rcpt:sender@=451 4.3.0 not now"
write_config "tls off" "queue on"
run_postie -q
N=$(qids)
case $N in
"$X"-b*)	t_pass "crash: the notice waits (its recipient deferred)" ;;
*)	t_fail "crash: the notice waits" "queue holds '$N'" ;;
esac
rm -f "$POSTIE_QUEUE_DIR/failed/$X.env" "$POSTIE_QUEUE_DIR/failed/$X.msg"
cp "$T_DIR/$X.env" "$T_DIR/$X.msg" "$POSTIE_QUEUE_DIR/"
assert_eq "crash: message and notice both queued" "$(nqueued)" 2
server_start --reply-at "rcpt:bad@=550 5.1.1 no such user"
write_config "tls off" "queue on"
run_postie -qI "$N" -v
assert_eq "crash: the notice alone is not sent while its message waits" \
    "$(srv_nmessages)" 0
assert_contains "crash: -v says it waits" "$T_DIR/err" \
    "waits until $X is settled"
run_postie -q
assert_eq "crash: one notice after the second flush" "$(srv_nmessages)" 1
assert_eq "crash: the message in failed/" "$(qids failed)" "$X"
assert_eq "crash: nothing queued" "$(nqueued)" 0
run_postie -q
assert_eq "crash: and no other" "$(srv_nmessages)" 1

# --- queue_lifetime running out: one notice, Status 5.4.7.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
server_start --reply-at "rcpt:later@=451 4.2.1 try later"
write_config "tls off" "queue on" "queue_lifetime 1s"
mkmsg old
run_postie -i later@example.net <"$T_DIR/in-old.eml"
assert_eq "lifetime: queued after a 451" "$(nqueued)" 1
sleep 2
run_postie -q
assert_eq "lifetime: failed" "$(nfailed)" 1
assert_eq "lifetime: one notice" "$(srv_nmessages)" 1
report 1 >"$T_DIR/report"
assert_line "lifetime: failed" "$T_DIR/report" "action=failed"
assert_line "lifetime: delivery time expired" "$T_DIR/report" \
    "status=5.4.7"
assert_line "lifetime: the last reply" "$T_DIR/report" \
    "diagnostic-code=smtp; 451 4.2.1 try later"

# --- delay_warning: one warning, once.
rm -f "$POSTIE_QUEUE_DIR"/failed/*
server_start --reply-at "rcpt:later@=451 4.2.1 try later"
write_config "tls off" "queue on" "delay_warning 1s"
mkmsg slow
run_postie -i later@example.net <"$T_DIR/in-slow.eml"
assert_eq "delay: queued" "$(nqueued)" 1
sleep 2
run_postie -q
assert_eq "delay: one warning" "$(srv_nmessages)" 1
assert_eq "delay: the message stays queued" "$(nqueued)" 1
report 1 >"$T_DIR/report"
assert_line "delay: action delayed" "$T_DIR/report" "action=delayed"
assert_line "delay: status from the reply" "$T_DIR/report" "status=4.2.1"
assert_eq "delay: the record says it was sent" \
    "$(env_get "$(qids)" warned)" 1
run_postie -q
assert_eq "delay: no second warning" "$(srv_nmessages)" 1

t_done

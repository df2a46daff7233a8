#!/bin/sh
# SPDX-License-Identifier: ISC
# The command line and the offline path: the built postie run with
# --pretend (no network: nothing listens on the configured port) against
# temporary configs, asserting the exit code, the envelope and the message
# it would submit.

: "${POSTIE:=./postie}"
: "${TESTS_SRCDIR:=$(dirname "$0")/..}"
. "$TESTS_SRCDIR/integration/lib.sh"

if [ ! -x "$POSTIE" ]; then
	echo "FAIL - postie binary not found at $POSTIE"
	exit 1
fi
t_tmpdir

C=$T_DIR/postie.conf
cat >"$C" <<'EOF'
defaults
tls on
account test
host 127.0.0.1
port 2525
from sender@example.org
maildomain example.org
account default : test

account other
host 127.0.0.1
port 2526
from other@example.net

account nodomain
host 127.0.0.1
port 2525
from sender@example.org

account aliased
host 127.0.0.1
port 2525
from sender@example.org
aliases ALIASES

account undisclosed
host 127.0.0.1
port 2525
from sender@example.org
maildomain example.org
set_to_header undisclosed_recipients

account fixedfrom
host 127.0.0.1
port 2525
from fixed@example.org
maildomain example.org
allow_from_override off
set_from_header on
EOF
sed -i "s|ALIASES|$T_DIR/aliases|" "$C"
chmod 600 "$C"
cat >"$T_DIR/aliases" <<'EOF'
root: admin@example.net
EOF

MSG=$T_DIR/msg
printf 'Subject: test\n\nhello\n' >"$MSG"
OUT=$T_DIR/out
ERR=$T_DIR/err

# Recipients as arguments, several, and a comma list in one argument.
run_postie -C "$C" -P a@example.com b@example.com <"$MSG"
assert_run "recipients as arguments" 0
assert_line "first envelope to" "$OUT" "envelope to: <a@example.com>"
assert_line "second envelope to" "$OUT" "envelope to: <b@example.com>"
assert_line "envelope from is the account's" "$OUT" \
    "envelope from: <sender@example.org>"
assert_line "config file printed" "$OUT" "config file: $C"
assert_line "account printed" "$OUT" "account default"
assert_line "separator printed" "$OUT" "----- message -----"
assert_line "message printed" "$OUT" "hello"

run_postie -C "$C" -P 'a@example.com,B <b@example.com>, c@example.com' \
    <"$MSG"
assert_run "comma list in one argument" 0
assert_line "comma list: a" "$OUT" "envelope to: <a@example.com>"
assert_line "comma list: b" "$OUT" "envelope to: <b@example.com>"
assert_line "comma list: c" "$OUT" "envelope to: <c@example.com>"

# -t: To, Cc and Bcc; Bcc removed from the message.
printf '%s\n' 'To: t@example.com' 'Cc: c@example.com' \
    'Bcc: hidden@example.com' 'Subject: t' '' body >"$T_DIR/msg-t"
run_postie -C "$C" -P -t <"$T_DIR/msg-t"
assert_run "-t" 0
assert_line "-t To" "$OUT" "envelope to: <t@example.com>"
assert_line "-t Cc" "$OUT" "envelope to: <c@example.com>"
assert_line "-t Bcc in envelope" "$OUT" "envelope to: <hidden@example.com>"
assert_not_contains "-t Bcc header removed" "$OUT" "Bcc:"
assert_line "-t To kept" "$OUT" "To: t@example.com"

run_postie -C "$C" -P -t extra@example.com <"$T_DIR/msg-t"
assert_run "-t plus arguments" 0
assert_line "-t argument added" "$OUT" "envelope to: <extra@example.com>"
assert_line "-t header kept with argument" "$OUT" \
    "envelope to: <t@example.com>"

run_postie -C "$C" -P -ti <"$T_DIR/msg-t"
assert_run "-ti bundle" 0

printf 'Subject: none\n\nx\n' | run_postie -C "$C" -P -t
assert_run "-t with no recipient headers" 64 "no recipients"

# Resent-: the resent block's recipients, not the original ones.
printf '%s\n' 'To: orig@example.com' 'Resent-To: new@example.com' \
    'Resent-Bcc: rb@example.com' 'Subject: r' '' x >"$T_DIR/msg-resent"
run_postie -C "$C" -P -t <"$T_DIR/msg-resent"
assert_run "-t with Resent-" 0
assert_line "Resent-To used" "$OUT" "envelope to: <new@example.com>"
assert_line "Resent-Bcc used" "$OUT" "envelope to: <rb@example.com>"
assert_not_contains "original To not used" "$OUT" \
    "envelope to: <orig@example.com>"
assert_not_contains "Resent-Bcc removed" "$OUT" "Resent-Bcc:"

# -f glued and separate, unqualified, null sender.
run_postie -C "$C" -P -fme@example.com r@example.com <"$MSG"
assert_run "-f glued" 0
assert_line "-f glued sender" "$OUT" "envelope from: <me@example.com>"
run_postie -C "$C" -P -f me2@example.com r@example.com <"$MSG"
assert_run "-f separate" 0
assert_line "-f separate sender" "$OUT" "envelope from: <me2@example.com>"
run_postie -C "$C" -P -r '<me3@example.com>' r@example.com <"$MSG"
assert_line "-r with angle brackets" "$OUT" \
    "envelope from: <me3@example.com>"
run_postie -C "$C" -P -f root r@example.com <"$MSG"
assert_run "-f root" 0
assert_line "-f root qualified" "$OUT" "envelope from: <root@example.org>"
run_postie -C "$C" -P -f '<>' r@example.com <"$MSG"
assert_run "-f <>" 0
assert_line "-f <> is the null sender" "$OUT" "envelope from: <>"
run_postie -C "$C" -P -f 'a b@example.com' r@example.com <"$MSG"
assert_run "-f with a space" 64 "option -f"
run_postie -C "$C" -P -f "$(printf 'me@example.com\rRCPT TO:<x@y>')" \
    r@example.com <"$MSG"
assert_run "CR in -f" 64 "CR or LF"
run_postie -C "$C" -P -f "$(printf 'me@example.com\nx')" r@example.com \
    <"$MSG"
assert_run "LF in -f" 64 "CR or LF"
run_postie -C "$C" -P "$(printf 'a@example.com\nb@example.com')" <"$MSG"
assert_run "LF in a recipient" 64 "CR or LF"
run_postie -C "$C" -P -F "$(printf 'Name\nBcc: x@y')" r@example.com <"$MSG"
assert_run "LF in -F" 64 "CR or LF"

# -f picks the account whose from matches.
run_postie -C "$C" -P -f other@example.net r@example.com <"$MSG"
assert_line "-f picks the matching account" "$OUT" "account other"
run_postie -C "$C" -P -f '<other@example.net>' r@example.com <"$MSG"
assert_line "-f <addr> picks the matching account" "$OUT" "account other"

# allow_from_override off: -f ignored, From replaced (set_from_header on).
printf 'From: someone@example.com\nSubject: x\n\nx\n' |
    run_postie -C "$C" -a fixedfrom -P -v -f me@example.com r@example.com
assert_run "allow_from_override off" 0
assert_line "-f ignored" "$OUT" "envelope from: <fixed@example.org>"
assert_contains "-f ignored note under -v" "$ERR" "-f ignored"
assert_line "set_from_header on replaces From" "$OUT" \
    "From: fixed@example.org"
assert_not_contains "old From gone" "$OUT" "someone@example.com"

# --read-envelope-from.
printf 'From: Jane <jane@example.net>\nSubject: x\n\nx\n' |
    run_postie -C "$C" -P --read-envelope-from r@example.com
assert_run "--read-envelope-from" 0
assert_line "sender from the From header" "$OUT" \
    "envelope from: <jane@example.net>"

# from %F: the sender is the From header's address; without one, the
# login name, with a note.
printf 'account fromhdr\nhost 127.0.0.1\nport 2525\nfrom %%F\n' \
    >"$T_DIR/fromhdr.conf"
printf 'From: Jane <jane@example.net>\nSubject: x\n\nx\n' |
    run_postie -C "$T_DIR/fromhdr.conf" -a fromhdr -P r@example.com
assert_run "from %F" 0
assert_line "from %F: sender from the From header" "$OUT" \
    "envelope from: <jane@example.net>"
printf 'Subject: x\n\nx\n' |
    run_postie -C "$T_DIR/fromhdr.conf" -a fromhdr -P -v r@example.com
assert_run "from %F, no From header" 0
assert_contains "from %F, no From header: a note" "$ERR" \
    "the message has no From address"
assert_not_contains "from %F, no From header: %F is not the sender" \
    "$OUT" "envelope from: <%F"
printf 'From: Jane <jane@example.net>\nSubject: x\n\nx\n' |
    run_postie -C "$T_DIR/fromhdr.conf" -a fromhdr -P -f me@example.com \
    r@example.com
assert_line "from %F: -f still wins" "$OUT" "envelope from: <me@example.com>"

# At most 10000 recipients: 64 when the arguments hold more, 65 when
# the header does (folded, one address a line); 10000 pass.
# shellcheck disable=SC2046
run_postie -C "$C" -P $(seq -f 'r%g@example.com' 1 10001) <"$MSG"
assert_run "10001 recipient arguments: exit 64" 64 "more than 10000 recipients"
# shellcheck disable=SC2046
run_postie -C "$C" -P $(seq -f 'r%g@example.com' 1 10000) <"$MSG"
assert_run "10000 recipient arguments: exit 0" 0
assert_eq "10000 recipient arguments: all in the envelope" \
    "$(grep -c '^envelope to: ' "$OUT")" 10000
many_to() {
	printf 'Subject: many\nTo: r0@example.com,\n'
	seq -f ' r%g@example.com,' 1 "$(($1 - 1))"
	printf ' r%d@example.com\n\nbody\n' "$1"
}
many_to 10000 | run_postie -C "$C" -P -t
assert_run "10001 header recipients: exit 65" 65 "more than 10000 recipients"
many_to 9999 | run_postie -C "$C" -P -t
assert_run "10000 header recipients: exit 0" 0

# From header generated with -F, kept when present.
run_postie -C "$C" -P -F 'Cron Daemon' r@example.com <"$MSG"
assert_line "-F in the generated From" "$OUT" \
    "From: Cron Daemon <sender@example.org>"
run_postie -C "$C" -P -FCronDaemon r@example.com <"$MSG"
assert_line "-F glued" "$OUT" "From: CronDaemon <sender@example.org>"
run_postie -C "$C" -P -F 'J. R. "Bob" Dobbs' r@example.com <"$MSG"
assert_line "-F quoted when needed" "$OUT" \
    'From: "J. R. \"Bob\" Dobbs" <sender@example.org>'
printf 'From: Me <me@example.com>\nSubject: x\n\nx\n' |
    run_postie -C "$C" -P -F Other r@example.com
assert_line "existing From kept (auto)" "$OUT" "From: Me <me@example.com>"

# Unqualified recipients: maildomain, aliases, else this host's name
# (as sendmail, Postfix's myorigin, dma and nullmailer do).
run_postie -C "$C" -P root <"$MSG"
assert_run "root via maildomain" 0
assert_line "root qualified" "$OUT" "envelope to: <root@example.org>"
run_postie -C "$C" -a aliased -P root <"$MSG"
assert_run "root via aliases" 0
assert_line "root aliased" "$OUT" "envelope to: <admin@example.net>"
run_postie -C "$C" -a nodomain -P -v root <"$MSG"
assert_run "unqualified without alias or maildomain" 0
HOSTFQDN=$(/usr/bin/python3 -c 'import socket
h = socket.gethostname()
if "." not in h:
    try:
        c = socket.getaddrinfo(h, None, flags=socket.AI_CANONNAME)[0][3]
        h = c if "." in c else h
    except OSError:
        pass
print(h)')
assert_line "root gets this host's name" "$OUT" \
    "envelope to: <root@$HOSTFQDN>"
assert_contains "-v says so" "$T_DIR/err" \
    "unqualified recipients get this host's name, $HOSTFQDN"
run_postie -C "$C" -a nodomain --config-check </dev/null
assert_contains "--config-check warns" "$OUT" \
    "neither maildomain nor aliases is set: a bare name such as root"

# qualify_headers: bare names in To get maildomain.
printf 'To: root, a@example.com\nSubject: q\n\nx\n' |
    run_postie -C "$C" -P -t
assert_run "qualify_headers" 0
assert_line "To qualified" "$OUT" "To: root@example.org, a@example.com"

# set_to_header undisclosed_recipients when only Bcc was given.
printf 'Bcc: b@example.com\nSubject: u\n\nx\n' |
    run_postie -C "$C" -a undisclosed -P -t
assert_run "undisclosed recipients" 0
assert_line "To: undisclosed-recipients" "$OUT" \
    "To: undisclosed-recipients:;"

# No recipients.
run_postie -C "$C" -P <"$MSG"
assert_run "no recipients" 64 "no recipients"

# Message checks.
printf 'Subject: nul\n\na\000b\n' | run_postie -C "$C" -P r@example.com
assert_run "NUL in the message" 65
awk 'BEGIN { printf "Subject: "; for (i = 0; i < 1100; i++) printf "x";
    printf "\n\nbody\n" }' | run_postie -C "$C" -P r@example.com
assert_run "header line over 998" 65
run_postie -C "$C" -P r@example.com </dev/null
assert_run "empty stdin" 0
assert_contains "empty stdin gets a From" "$OUT" "From: sender@example.org"
printf 'Subject: dot\n\nline1\n.\nline2\n' | run_postie -C "$C" -P \
    r@example.com
assert_run "lone dot without -i" 0
assert_line "lone dot does not end input without -i" "$OUT" "line2"
printf 'Subject: dot\n\nline1\n.\nline2\n' | run_postie -C "$C" -P -i \
    r@example.com
assert_line "lone dot does not end input with -i" "$OUT" "line2"
printf 'Subject: mixed\r\nX-Two: two\n\r\nline1\r\nline2\n' |
    run_postie -C "$C" -P r@example.com
assert_run "mixed CRLF and LF" 0
assert_line "CRLF header parsed" "$OUT" "Subject: mixed"
assert_line "LF header parsed" "$OUT" "X-Two: two"
printf '%s\n' 'From someone@example.com Mon Jan  1 00:00:00 2024' \
    'Subject: mbox' '' x |
    run_postie -C "$C" -P r@example.com
assert_run "mbox From line" 0
assert_not_contains "mbox From line dropped" "$OUT" "From someone"
assert_line "mbox message kept" "$OUT" "Subject: mbox"

# Date and Message-ID added when missing, kept when present.
run_postie -C "$C" -P r@example.com <"$MSG"
DAY='(Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
MON='(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
TIME='[0-9]{2}:[0-9]{2}:[0-9]{2}'
if grep -E -q "^Date: $DAY, [0-9]{1,2} $MON [0-9]{4} $TIME [+-][0-9]{4}\$" \
    "$OUT"; then
	t_pass "Date added"
else
	t_fail "Date added" "$(grep '^Date' "$OUT")"
fi
if grep -E -q '^Message-ID: <[0-9a-f]{32}@example\.org>$' "$OUT"; then
	t_pass "Message-ID added"
else
	t_fail "Message-ID added" "$(grep '^Message-ID' "$OUT")"
fi
printf 'Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <x@y>\n\nb\n' |
    run_postie -C "$C" -P r@example.com
assert_line "Date kept" "$OUT" "Date: Mon, 1 Jan 2024 00:00:00 +0000"
assert_line "Message-ID kept" "$OUT" "Message-ID: <x@y>"

# DSN and body type options are carried.
run_postie -C "$C" -P -N failure,delay -R hdrs -V env42 -B8BITMIME \
    r@example.com <"$MSG"
assert_line "-N printed" "$OUT" "dsn notify: FAILURE,DELAY"
assert_line "-R printed" "$OUT" "dsn return: HDRS"
assert_line "-V printed" "$OUT" "dsn envid: env42"
assert_line "-B printed" "$OUT" "body type: 8BITMIME"

# Config errors.
run_postie -C "$C" -a nosuch -P r@example.com <"$MSG"
assert_run "unknown account" 78 "no account nosuch in $C"
run_postie -C "$T_DIR/missing.conf" -P r@example.com <"$MSG"
assert_run "missing config" 78
NODEF=$T_DIR/nodefault.conf
printf 'account x\nhost 127.0.0.1\nfrom x@example.org\n' >"$NODEF"
chmod 600 "$NODEF"
run_postie -C "$NODEF" -P r@example.com <"$MSG"
assert_run "no default account" 78 "no account chosen"
OPEN=$T_DIR/open.conf
printf '%s\n' 'account default' 'host 127.0.0.1' 'from x@example.org' \
    'auth on' 'user u' 'password secretpw' >"$OPEN"
chmod 644 "$OPEN"
run_postie -C "$OPEN" -P r@example.com <"$MSG"
assert_run "password in a 0644 config" 78 "chmod 600"
assert_not_contains "password not printed" "$ERR" "secretpw"
chmod 600 "$OPEN"
run_postie -C "$OPEN" -P r@example.com <"$MSG"
assert_run "password in a 0600 config" 0
assert_not_contains "password hidden by --pretend" "$OUT" "secretpw"

# The default config path in $HOME.
mkdir -p "$HOME/.config/postie"
cp "$C" "$HOME/.config/postie/config"
run_postie -P r@example.com <"$MSG"
assert_run "default config in HOME" 0
assert_line "default config path printed" "$OUT" \
    "config file: $HOME/.config/postie/config"

# Real callers' command lines.
run_postie -C "$C" -P -FCronDaemon -i -B8BITMIME -oem user@example.org \
    <"$MSG"
assert_run "Debian cron's argv" 0
printf 'To: root\nSubject: cron\n\nout\n' |
    run_postie -C "$C" -P -FCronDaemon -i -odi -oem -oi -t -f root
assert_run "cronie's argv" 0
assert_line "cronie: root qualified" "$OUT" "envelope to: <root@example.org>"
run_postie -C "$C" -P -oem -oi -- a@example.com <"$MSG"
assert_run "mutt's argv" 0
assert_line "mutt: recipient after --" "$OUT" "envelope to: <a@example.com>"

# Usage errors and modes.
run_postie --help
assert_run "--help" 0 "--read-envelope-from"
run_postie --version
assert_run "--version" 0 "postie "
run_postie -x r@example.com
assert_run "unknown option" 64 "unknown option -x"
for o in -bv -qRx; do
	run_postie "$o" r@example.com </dev/null
	assert_run "$o refused" 64 "not supported yet"
done
run_postie -q1h </dev/null
assert_run "-q1h refused" 64 "never runs as a daemon"
run_postie -bs r@example.com </dev/null
assert_run "-bs with a recipient refused" 64 "takes no recipient arguments"

ln -s "$POSTIE" "$T_DIR/newaliases"
"$T_DIR/newaliases" >"$OUT" 2>"$ERR"
assert_eq "newaliases exit" "$?" 0
assert_contains "newaliases notice" "$OUT" "nothing to do"
ln -s "$POSTIE" "$T_DIR/mailq"
"$T_DIR/mailq" >"$OUT" 2>"$ERR"
assert_eq "mailq exit" "$?" 0
assert_contains "mailq lists the queue" "$OUT" "Queue "
assert_contains "mailq lists failed/" "$OUT" "Failed "
ln -s "$POSTIE" "$T_DIR/sendmail"
"$T_DIR/sendmail" -C "$C" -P r@example.com <"$MSG" >"$OUT" 2>"$ERR"
assert_eq "sendmail name sends" "$?" 0

# Hardening: closed standard fds are reopened, inherited fds are closed.
"$POSTIE" --version >&- 2>"$ERR"
assert_eq "closed stdout" "$?" 0
run_postie -C "$C" -P r@example.com <&-
assert_run "closed stdin reads an empty message" 0
run_postie -C /dev/fd/7 -P r@example.com <"$MSG" 7<"$C"
assert_run "inherited fd 7 closed" 78

# One error line, prefixed.
run_postie -C "$C" -P <"$MSG"
assert_eq "one error line" "$(wc -l <"$ERR" | tr -d ' ')" 1
assert_contains "error line prefixed" "$ERR" "postie: "

t_done

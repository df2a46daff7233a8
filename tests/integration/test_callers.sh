#!/bin/sh
# SPDX-License-Identifier: ISC
# Real programs that call sendmail, configured to call the built postie
# (through a link named sendmail, as an installed postie is called),
# submitting to the recording test server: mail(1) from bsd-mailx, git
# send-email, the exact command lines of Debian's cron and of cronie,
# and PHP's mail().  Each checks the exit status, the envelope (Bcc
# recipients delivered), the header section (Bcc removed, headers kept)
# and the body, byte for byte but for the line ends: lines starting with
# a dot, a long line and UTF-8 text.  A caller that is not installed is
# a hard error (scripts/deps installs them), never a skip.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs

if ! command -v mail >/dev/null 2>&1 || [ ! -x /usr/bin/bsd-mailx ]; then
	t_hard_error "mail(1) from bsd-mailx is not installed (scripts/deps)"
fi
command -v php >/dev/null 2>&1 ||
    t_hard_error "php (php-cli) is not installed (scripts/deps)"
command -v git >/dev/null 2>&1 ||
    t_hard_error "git is not installed (scripts/deps)"
# Git as a user would run it, not as the environment of make may set it.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_CONFIG_GLOBAL
GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_NOSYSTEM
git send-email --dump-aliases </dev/null >"$T_DIR/gse.log" 2>&1 ||
    t_hard_error "git send-email does not run (git-email and " \
    "libmailtools-perl, see scripts/deps): $(sed -n 1p "$T_DIR/gse.log")"

server_start_tls good --starttls
write_config "maildomain host.example.org"

# The name other programs call; postie acts on the name it is called by.
mkdir -p "$T_DIR/sbin"
ln -s "$POSTIE" "$T_DIR/sbin/sendmail"
SENDMAIL=$T_DIR/sbin/sendmail

# A wrapper for the callers that run sendmail themselves: it records the
# arguments (one per line) and postie's exit status in $T_DIR/calls.
mkdir -p "$T_DIR/calls"
cat >"$T_DIR/sbin/sendmail-rec" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T_DIR/calls/\$\$.argv"
"$SENDMAIL" "\$@" 2>"$T_DIR/calls/\$\$.err"
rc=\$?
echo \$rc >"$T_DIR/calls/\$\$.rc.tmp"
mv "$T_DIR/calls/\$\$.rc.tmp" "$T_DIR/calls/\$\$.rc"
exit \$rc
EOF
chmod 755 "$T_DIR/sbin/sendmail-rec"

has_rc() {
	for _f in "$T_DIR"/calls/*.rc; do
		[ -f "$_f" ] && return 0
	done
	return 1
}

# wait_call: wait (20 s at most, scaled by t_secs) until the wrapper recorded a call; put
# postie's exit status in the rc file that assert_run reads, its
# arguments in $T_DIR/argv, and clear the record for the next caller.
wait_call() {
	_i=0
	while ! has_rc; do
		_i=$((_i + 1))
		[ "$_i" -le $(($(t_secs 20) * 20)) ] || {
			echo 124 >"$T_DIR/rc"
			: >"$T_DIR/argv"
			return 0
		}
		sleep 0.05
	done
	cat "$T_DIR"/calls/*.rc >"$T_DIR/rc"
	cat "$T_DIR"/calls/*.argv >"$T_DIR/argv"
	cat "$T_DIR"/calls/*.err >"$T_DIR/err"
	rm -f "$T_DIR"/calls/*
}

# body_of FILE: the body of a message, CR removed.  head_of FILE: its
# header section, CR removed.
body_of() {
	sed '1,/^\r\{0,1\}$/d' "$1" | tr -d '\r'
}
head_of() {
	sed '/^\r\{0,1\}$/q' "$1" | tr -d '\r'
}

# check_message NAME N ENVELOPE BODY: the server's message N has the
# envelope ENVELOPE, no Bcc header, and the body in the file BODY.
check_message() {
	assert_eq "$1: envelope" "$(srv_envelope "$2")" "$3"
	rm -f "$T_DIR/got-head" "$T_DIR/got-body"
	if [ -f "$SRV_RECORD/$2.eml" ]; then
		head_of "$SRV_RECORD/$2.eml" >"$T_DIR/got-head"
		body_of "$SRV_RECORD/$2.eml" >"$T_DIR/got-body"
	fi
	assert_not_matches "$1: Bcc header removed" "$T_DIR/got-head" '^bcc:'
	assert_same "$1: body intact" "$T_DIR/got-body" "$4"
}

# The body every caller sends: what dot-stuffing is about, a long line
# (900 octets: git send-email refuses lines over 998) and UTF-8 text.
long=$(printf '%900s' '' | tr ' ' a)
{
	printf 'first line\n.\n..\n.x\n. \n...\n%s\n' "$long"
	printf 'Gr\303\274\303\237e, \346\227\245\346\234\254\350\252\236\n'
	printf 'last line\n'
} >"$T_DIR/body"
N=0

# 1. mail(1) from bsd-mailx, which runs "sendmail -i -t" with To, Cc and
# Bcc in the header; its sendmail variable comes from a MAILRC.
printf 'set sendmail=%s\n' "$T_DIR/sbin/sendmail-rec" >"$T_DIR/mailrc"
MAILRC=$T_DIR/mailrc timeout 30 mail -s "mailx: Gr$(printf \
    '\303\274\303\237')e" -c cc@example.org -b bcc@example.org \
    to@example.org <"$T_DIR/body" >"$T_DIR/mail.out" 2>&1
assert_eq "mailx: mail exits 0" "$?" 0
wait_call
N=$((N + 1))
assert_run "mailx: postie exits 0" 0
assert_line "mailx: called with -t" "$T_DIR/argv" "-t"
check_message mailx $N \
    "sender@example.org to@example.org cc@example.org bcc@example.org" \
    "$T_DIR/body"
assert_line "mailx: UTF-8 subject kept" "$T_DIR/got-head" \
    "Subject: mailx: Gr$(printf '\303\274\303\237')e"
assert_line "mailx: Cc kept" "$T_DIR/got-head" "Cc: cc@example.org"
assert_matches "mailx: From added" "$T_DIR/got-head" \
    '^From: .*<?sender@example\.org>?$'

# 2. git send-email with --smtp-server naming postie: it runs
# "sendmail -i [-f SENDER] RCPT..." with Bcc only in the arguments.
G=$T_DIR/repo
git init -q "$G"
git -C "$G" config user.name "Ann Dev"
git -C "$G" config user.email ann@example.org
cp "$T_DIR/body" "$G/file.txt"
git -C "$G" add file.txt
printf 'Add file: Gr\303\274\303\237e\n\nWhy:\n.\n..two dots\n.leading dot\n' |
    git -C "$G" commit -q -F -
git -C "$G" format-patch -q -1 -o "$T_DIR/patches"
(cd "$G" && timeout 60 git send-email --quiet --confirm=never \
    --suppress-cc=all --smtp-server="$SENDMAIL" \
    --envelope-sender=ann@example.org --from="Ann Dev <ann@example.org>" \
    --to=list@example.org --cc=cc@example.org --bcc=bcc@example.org \
    "$T_DIR"/patches/*.patch) >"$T_DIR/out" 2>"$T_DIR/err"
echo $? >"$T_DIR/rc"
N=$((N + 1))
assert_run "git send-email: exit 0" 0
body_of "$T_DIR"/patches/*.patch >"$T_DIR/patch-body"
check_message "git send-email" $N \
    "ann@example.org list@example.org cc@example.org bcc@example.org" \
    "$T_DIR/patch-body"
assert_line "git send-email: the long line in the patch" "$T_DIR/got-body" \
    "+$long"
assert_line "git send-email: From kept" "$T_DIR/got-head" \
    "From: Ann Dev <ann@example.org>"
assert_matches "git send-email: Message-Id kept" "$T_DIR/got-head" \
    '^Message-Id: <[^>]*@example\.org>$'

# 3. Debian's cron: "-FCronDaemon -i -B8BITMIME -oem MAILTO", the From
# header a bare user name; MAILTO=a,b arrives as one argument "a,b".
cron_msg() {
	printf 'From: root (Cron Daemon)\n'
	printf 'To: %s\n' "$1"
	printf 'Subject: Cron <root@host> /usr/local/bin/backup\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	printf 'X-Cron-Env: <SHELL=/bin/sh>\n'
	printf 'X-Cron-Env: <HOME=/root>\n'
	printf 'X-Cron-Env: <PATH=/usr/bin:/bin>\n'
	printf 'X-Cron-Env: <LOGNAME=root>\n'
	printf '\n'
	cat "$T_DIR/body"
}
cron_msg user@example.org |
    run_postie_within 30 -FCronDaemon -i -B8BITMIME -oem user@example.org
N=$((N + 1))
assert_run "debian cron: exit 0" 0
check_message "debian cron" $N "sender@example.org user@example.org" \
    "$T_DIR/body"
assert_matches "debian cron: bare From qualified" "$T_DIR/got-head" \
    '^From: .*root@host\.example\.org'
assert_line "debian cron: X-Cron-Env kept" "$T_DIR/got-head" \
    "X-Cron-Env: <PATH=/usr/bin:/bin>"

cron_msg ops@example.org,dev@example.org | "$SENDMAIL" -FCronDaemon -i \
    -B8BITMIME -oem ops@example.org,dev@example.org >"$T_DIR/out" \
    2>"$T_DIR/err"
echo $? >"$T_DIR/rc"
N=$((N + 1))
assert_run "debian cron MAILTO=a,b: exit 0" 0
check_message "debian cron MAILTO=a,b" $N \
    "sender@example.org ops@example.org dev@example.org" "$T_DIR/body"
assert_line "debian cron MAILTO=a,b: To kept" "$T_DIR/got-head" \
    "To: ops@example.org,dev@example.org"

# 4. cronie: "-FCronDaemon -i -odi -oem -oi -t -f root", recipients from
# the header (a Bcc among them), the sender a bare user name.
{
	printf 'From: "(Cron Daemon)" <root>\n'
	printf 'To: ops@example.org, dev@example.org\n'
	printf 'Bcc: audit@example.org\n'
	printf 'Subject: Cron <root@host> run-parts /etc/cron.hourly\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n'
	printf 'Auto-Submitted: auto-generated\n'
	printf 'Precedence: bulk\n'
	printf 'X-Cron-Env: <LANG=C.UTF-8>\n'
	printf '\n'
	cat "$T_DIR/body"
} | "$SENDMAIL" -FCronDaemon -i -odi -oem -oi -t -f root >"$T_DIR/out" \
    2>"$T_DIR/err"
echo $? >"$T_DIR/rc"
N=$((N + 1))
assert_run "cronie: exit 0" 0
check_message cronie $N "root@host.example.org ops@example.org \
dev@example.org audit@example.org" "$T_DIR/body"
assert_line "cronie: Auto-Submitted kept" "$T_DIR/got-head" \
    "Auto-Submitted: auto-generated"

# 5. PHP's mail() with sendmail_path "postie -t -i": the header lines end
# in CRLF, the body in LF (PHP adds a CRLF after it).
cat >"$T_DIR/mail.php" <<'EOF'
<?php
$body = file_get_contents($argv[1]);
$ok = mail("web@example.org, two@example.org",
    "=?UTF-8?B?" . base64_encode("PHP: Grüße") . "?=", $body,
    "From: Web Site <www@example.org>\r\n" .
    "Cc: cc@example.org\r\n" .
    "Bcc: hidden@example.org\r\n" .
    "MIME-Version: 1.0\r\n" .
    "Content-Type: text/plain; charset=UTF-8");
exit($ok ? 0 : 1);
EOF
timeout 60 php -n -d "sendmail_path=$T_DIR/sbin/sendmail-rec -t -i" \
    "$T_DIR/mail.php" "$T_DIR/body" >"$T_DIR/php.out" 2>&1
assert_eq "php mail(): returns true" "$?" 0
wait_call
N=$((N + 1))
assert_run "php mail(): postie exits 0" 0
{ cat "$T_DIR/body"; echo; } >"$T_DIR/php-body"
check_message "php mail()" $N "sender@example.org web@example.org \
two@example.org cc@example.org hidden@example.org" "$T_DIR/php-body"
assert_line "php mail(): From kept" "$T_DIR/got-head" \
    "From: Web Site <www@example.org>"
assert_line "php mail(): encoded Subject kept" "$T_DIR/got-head" \
    "Subject: =?UTF-8?B?$(printf 'PHP: Gr\303\274\303\237e' | base64)?="
assert_eq "messages accepted" "$(srv_nmessages)" "$N"

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# Users whose home is not theirs or not writable (www-data with HOME
# /var/www, nobody): postie creates nothing in that home; their mail is
# kept in their directory of the drop spool, and root's flush delivers it
# with the system config only (a config root can read when they cannot),
# never with a file of theirs.  Needs root to act as two users (CI runs as
# root); exits 77 (skipped, not counted) otherwise.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v setpriv >/dev/null || t_hard_error "setpriv not found"

# A tree that uid 65534 can traverse, whatever TMPDIR is.
D=$(mktemp -d /tmp/postie-drop.XXXXXX) || exit 99
trap 'server_stop_all; rm -rf "$T_DIR" "$D"' EXIT
chmod 755 "$D"
cp "$POSTIE" "$D/postie"
chmod 755 "$D/postie"
mkdir -m 755 "$D/www" "$D/drop-parent"
DROP=$D/drop-parent/drop
mkdir -m 1733 "$DROP"
ID_ERE='[0-9]{8}T[0-9]{6}-[0-9a-f]{8}'

server_start
SYS=$D/system.conf
cat >"$SYS" <<EOC
defaults
syslog off
queue on
timeout 10
account relay
host 127.0.0.1
port $SRV_PORT
from www@example.org
tls off
password only-root-reads-this
account default : relay
EOC
chmod 600 "$SYS"

printf 'Subject: from php\n\nhello from www-data\n' >"$D/in.eml"
chmod 644 "$D/in.eml"

# as_nobody ARGS...: postie as uid 65534, HOME a root-owned directory.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env -i PATH=/usr/bin:/bin HOME="$D/www" POSTIE_DROP_DIR="$DROP" \
	    "$D/postie" "$@" <"$D/in.eml" >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
}

as_nobody -C "$SYS" -i rcpt@example.org
assert_run "nobody, unreadable system config: exit 0, kept" 0
assert_matches "nobody: says it is held" "$T_DIR/err" \
    "held in the queue as $ID_ERE"
assert_empty "nobody: nothing created in the home" "$(ls -A "$D/www")"
assert_eq "nobody: the message is in its drop directory" \
    "$(ls "$DROP/65534" | grep -c '\.env$')" 1
assert_eq "nobody: the drop directory is nobody's, mode 700" \
    "$(stat -c '%u %a' "$DROP/65534")" "65534 700"
as_nobody -bp
assert_run "nobody: mailq exit 0" 0
assert_contains "nobody: mailq lists it" "$T_DIR/out" "config $SYS"
assert_eq "nobody: nothing sent yet" "$(srv_nmessages)" 0

# A message naming a config of nobody's own is never sent by root.
cp "$SYS" "$D/own.conf"
chown 65534 "$D/own.conf"
sed -i 's/^password .*//' "$D/own.conf"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/bin:/bin HOME="$D/www" POSTIE_DROP_DIR="$DROP" \
    "$D/postie" -C "$D/own.conf" -i own@example.org <"$D/in.eml" \
    >/dev/null 2>&1
# (sent directly: nobody could read its own config)
assert_eq "nobody's own config: sent by nobody itself" "$(srv_nmessages)" 1

# Root's flush: the system config, each drop directory.
POSTIE_DROP_DIR=$DROP run_postie_within 30 -C "$SYS" -q
assert_run "root's flush: exit 0" 0
assert_eq "root's flush: delivered" "$(srv_nmessages)" 2
assert_eq "root's flush: to the recipient, as www" "$(srv_envelope 2)" \
    "www@example.org rcpt@example.org"
assert_eq "root's flush: the drop queue is empty" \
    "$(ls "$DROP/65534" | grep -c '\.env$')" 0
assert_eq "root's flush: files left are nobody's" \
    "$(find "$DROP/65534" ! -user 65534 | grep -c .)" 0

# A record in the drop spool that names another config (say, root's
# own) is kept, not sent through it.
server_stop
server_start
sed "s/^port .*/port $SRV_PORT/" "$SYS" >"$D/root-own.conf"
chmod 600 "$D/root-own.conf"
sed -i "s/^port .*/port $SRV_PORT/" "$SYS"
as_nobody -C "$D/root-own.conf" -i rcpt@example.org
assert_run "another root config named: kept" 0
POSTIE_DROP_DIR=$DROP run_postie_within 30 -C "$SYS" -q
assert_eq "another root config named: not sent by root" "$(srv_nmessages)" 0
assert_contains "another root config named: says why" "$T_DIR/err" \
    "not sent from the drop spool"
assert_eq "another root config named: still kept" \
    "$(ls "$DROP/65534" | grep -c '\.env$')" 1

# The records of a drop directory are nobody's to write: with
# allow_from_override off, root sends none whose sender is not the
# account's from.  A record root prepared while the server was down is
# edited by nobody to forge the sender.
rm -rf "$DROP/65534"
server_stop
server_down
sed -i "s/^port .*/port $SRV_PORT/" "$SYS"
printf 'allow_from_override off\n' >>"$SYS"
as_nobody -C "$SYS" -i rcpt@example.org
POSTIE_DROP_DIR=$DROP run_postie_within 30 -C "$SYS" -q
ID=$(ls "$DROP/65534" | sed -n 's/\.env$//p')
assert_eq "forged sender: prepared by root, kept (server down)" \
    "$(echo "$ID" | grep -c .) $(grep -c '^raw' "$DROP/65534/$ID.env")" "1 0"
assert_eq "forged sender: the record is nobody's" \
    "$(stat -c %u "$DROP/65534/$ID.env")" 65534
sed 's/^from .*/from ceo@example.org/' "$DROP/65534/$ID.env" \
    >"$D/forged.env"
chmod 644 "$D/forged.env"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    cp "$D/forged.env" "$DROP/65534/$ID.env"
server_start
sed -i "s/^port .*/port $SRV_PORT/" "$SYS"
POSTIE_DROP_DIR=$DROP run_postie_within 30 -C "$SYS" -q
assert_eq "forged sender: not sent" "$(srv_nmessages)" 0
assert_contains "forged sender: says why" "$T_DIR/err" \
    "must have account default's from as its sender"
assert_eq "forged sender: in failed/" \
    "$(ls "$DROP/65534/failed" | grep -c '\.env$')" 1
server_stop

# Files nobody plants in its drop directory: a message that is a link
# to a file only root may read is not sent; a FIFO does not hang root.
rm -rf "$DROP/65534"
server_start
sed -i "s/^port .*/port $SRV_PORT/" "$SYS"
printf 'TOPSECRET\n' >"$D/secret"
chmod 600 "$D/secret"
as_nobody -C "$SYS" -i rcpt@example.org
ID=$(ls "$DROP/65534" | sed -n 's/\.env$//p')
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '
	rm -f "$1/$2.msg" && ln -s "$3" "$1/$2.msg" &&
	mkfifo "$1/20200101T000000-0badf1f0.env" &&
	mkfifo "$1/20200101T000000-0badf1f1.msg" &&
	printf "postie-queue 1\nraw 1\n" >"$1/20200101T000000-0badf1f1.env"
' sh "$DROP/65534" "$ID" "$D/secret"
POSTIE_DROP_DIR=$DROP run_postie_within 30 -C "$SYS" -q
assert_eq "planted files: root's flush ends" \
    "$(test "$(cat "$T_DIR/rc")" -ne 124 && echo ended)" ended
assert_eq "planted files: nothing sent" "$(srv_nmessages)" 0
assert_not_contains "planted files: the secret is not read" \
    "$SRV_TRANSCRIPT" "TOPSECRET"
server_stop

# A squatter: a directory named after another uid is skipped.
mkdir -m 700 "$DROP/12345"
chown 65534 "$DROP/12345"
POSTIE_DROP_DIR=$DROP run_postie_within 30 -C "$SYS" -q
assert_not_contains "squatted directory: not opened" "$T_DIR/err" "12345"

t_done

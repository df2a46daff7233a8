#!/bin/sh
# SPDX-License-Identifier: ISC
# A message refused at input for its content (NUL byte, overlong header
# line) exits 65 but is not lost: with the queue on it is kept in the
# failed store, whole, with the reason, and listed by mailq.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

# No server: the refusal comes before any network use.
write_config "tls off" "queue on"
FAILED=$POSTIE_QUEUE_DIR/failed

printf 'Subject: nul\nTo: b@example.org\n\nline 1\nnul \000 here\nafter\n' \
    >"$T_DIR/nul.eml"
run_postie -i -f root@example.org b@example.org <"$T_DIR/nul.eml"
assert_run "NUL byte: exit 65" 65 "NUL byte at line 5"
assert_matches "NUL byte: says where it is kept" "$T_DIR/err" \
    "kept in .*/failed as [0-9T]+-[0-9a-f]+"
assert_eq "NUL byte: one message in failed/" \
    "$(ls "$FAILED" 2>/dev/null | grep -c '\.msg$')" 1
assert_eq "NUL byte: kept byte for byte" \
    "$(cmp "$T_DIR/nul.eml" "$FAILED"/*.msg >/dev/null 2>&1 && echo same)" \
    same
assert_eq "NUL byte: file mode 600" \
    "$(stat -c %a "$FAILED"/*.msg 2>/dev/null)" 600
run_postie -bp </dev/null
assert_run "NUL byte: mailq exit 0" 0
assert_contains "NUL byte: mailq gives the reason" "$T_DIR/out" \
    "NUL byte at line 5"
assert_contains "NUL byte: mailq gives the sender" "$T_DIR/out" \
    "from <root@example.org>"
assert_contains "NUL byte: mailq gives the recipient" "$T_DIR/out" \
    "<b@example.org>"
assert_matches "NUL byte: mailq counts it" "$T_DIR/out" \
    "^Failed .*: 1 message$"
rm -rf "$POSTIE_QUEUE_DIR"

# An overlong header line with -t: kept, all lines of the input in it.
{
	printf 'Subject: long\nX-Long: '
	head -c 2000 /dev/zero | tr '\0' a
	printf '\nTo: b@example.org\n\nbody line\n'
} >"$T_DIR/long.eml"
run_postie -t -i <"$T_DIR/long.eml"
assert_run "overlong header: exit 65" 65 "longer than 998 bytes"
assert_contains "overlong header: says it is kept" "$T_DIR/err" \
    "is kept in"
assert_eq "overlong header: every input line kept" \
    "$(grep -c -e '^Subject: long$' -e '^X-Long: a*$' -e '^To: b@example.org$' \
    -e '^body line$' "$FAILED"/*.msg 2>/dev/null)" 4
rm -rf "$POSTIE_QUEUE_DIR"

# Over max_message_size: refused before any connection, kept; a message
# under the limit is not refused: it goes to the server.
server_start
write_config "tls off" "queue on" "max_message_size 1k"
{
	printf 'Subject: big\nTo: b@example.org\n\n'
	i=0
	while [ $i -lt 40 ]; do
		echo "line $i of a message larger than one kibibyte"
		i=$((i + 1))
	done
} >"$T_DIR/big.eml"
run_postie -t -i <"$T_DIR/big.eml"
assert_run "max_message_size: exit 65" 65 \
    "exceeds max_message_size 1024 of account"
assert_contains "max_message_size: says it is kept" "$T_DIR/err" \
    "is kept in"
assert_eq "max_message_size: one message in failed/" \
    "$(ls "$FAILED" 2>/dev/null | grep -c '\.msg$')" 1
assert_not_matches "max_message_size: no connection made" \
    "$SRV_TRANSCRIPT" '^\* connect'
rm -rf "$POSTIE_QUEUE_DIR"
printf 'Subject: small\nTo: b@example.org\n\nshort\n' >"$T_DIR/small.eml"
run_postie -t -i <"$T_DIR/small.eml"
assert_run "max_message_size: a small message is sent" 0
assert_not_contains "max_message_size: a small message is not refused" \
    "$T_DIR/err" "max_message_size"
assert_eq "max_message_size: the server has it" \
    "$(srv_nmessages) $(srv_envelope 1)" "1 sender@example.org b@example.org"
assert_contains "max_message_size: its body arrived" "$SRV_RECORD/1.eml" \
    "short"
assert_eq "max_message_size: nothing queued or kept for it" \
    "$(ls -A "$POSTIE_QUEUE_DIR" 2>/dev/null | wc -l) $(ls "$FAILED" \
    2>/dev/null | wc -l)" "0 0"
server_stop
rm -rf "$POSTIE_QUEUE_DIR"

# --dry-run keeps nothing.
run_postie -P -i b@example.org <"$T_DIR/nul.eml"
assert_run "dry run: exit 65" 65
assert_eq "dry run: nothing kept" "$(ls "$FAILED" 2>/dev/null | wc -l)" 0

# queue off: the caller asked for no queue, so nothing is kept.
write_config "tls off" "queue off"
run_postie -i b@example.org <"$T_DIR/nul.eml"
assert_run "queue off: exit 65" 65 "NUL byte"
assert_not_contains "queue off: does not claim to keep it" "$T_DIR/err" \
    "kept"
assert_eq "queue off: nothing kept" "$(ls "$FAILED" 2>/dev/null | wc -l)" 0

t_done

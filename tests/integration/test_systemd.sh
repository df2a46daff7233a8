#!/bin/sh
# SPDX-License-Identifier: ISC
# The systemd units of the queue flush (postie(1), QUEUE, "Flushing
# regularly"), as make builds them for make install: their ExecStart
# names the configured bindir; systemd-analyze verify finds nothing to
# say about a copy whose ExecStart is the built postie, for the system
# and the user units; systemd-analyze security --offline shows the
# system unit's sandbox (an exposure of 3.0 at most, and the settings one
# by one); the timer runs soon after boot and every 15 minutes; and the
# service's ExecStart line, run by hand, delivers a queued message.
# systemd is installed but need not be running.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie

command -v systemd-analyze >/dev/null 2>&1 ||
    t_hard_error "systemd-analyze not found (Debian: apt install systemd)"
BUILD=$(dirname "$POSTIE_BINARY")
SYS_UNIT=$BUILD/systemd/system/postie-flush.service
USER_UNIT=$BUILD/systemd/user/postie-flush.service
TIMER=$TESTS_SRCDIR/../systemd/postie-flush.timer
for _f in "$SYS_UNIT" "$USER_UNIT" "$TIMER"; do
	[ -f "$_f" ] || t_hard_error "no $_f (make builds it)"
done
BINDIR=$(sed -n 's/^bindir = //p' "$BUILD/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$BUILD/Makefile")
exec_prefix=$(sed -n 's/^exec_prefix = //p' "$BUILD/Makefile")
# shellcheck disable=SC2016
BINDIR=$(echo "$BINDIR" | sed -e "s|\$(exec_prefix)|$exec_prefix|" \
    -e "s|\${exec_prefix}|$exec_prefix|" | sed -e "s|\$(prefix)|$prefix|" \
    -e "s|\${prefix}|$prefix|")

for _u in "$SYS_UNIT" "$USER_UNIT"; do
	_k=$(basename "$(dirname "$_u")")
	assert_line "$_k unit: ExecStart is the configured bindir's postie" \
	    "$_u" "ExecStart=$BINDIR/postie -q"
	assert_line "$_k unit: oneshot" "$_u" "Type=oneshot"
	assert_matches "$_k unit: a time limit per run" "$_u" \
	    '^(TimeoutStartSec|RuntimeMaxSec)=[0-9]+min$'
	assert_line "$_k unit: no new privileges" "$_u" "NoNewPrivileges=yes"
	assert_line "$_k unit: internet and local sockets only" "$_u" \
	    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
done
assert_line "system unit: the OS read only" "$SYS_UNIT" "ProtectSystem=strict"
assert_line "system unit: homes read only" "$SYS_UNIT" "ProtectHome=read-only"
assert_line "system unit: a private /tmp" "$SYS_UNIT" "PrivateTmp=yes"
LSD=$(sed -n 's|^ReadWritePaths=-\(.*\)/spool/postie$|\1|p' "$SYS_UNIT")
[ -n "$LSD" ] || LSD=/nonexistent
assert_line "system unit: writes the drop spool" "$SYS_UNIT" \
    "ReadWritePaths=-$LSD/spool/postie-users"
assert_not_matches "user unit: the home stays writable" "$USER_UNIT" \
    '^Protect(Home|System)='
assert_line "timer: soon after boot" "$TIMER" "OnBootSec=2min"
assert_line "timer: every 15 minutes" "$TIMER" "OnUnitActiveSec=15min"
assert_line "timer: enabled into timers.target" "$TIMER" \
    "WantedBy=timers.target"
# postie(1) shows the same timer.
assert_contains "postie(1) documents the timer's schedule" \
    "$TESTS_SRCDIR/../man/postie.1" "OnUnitActiveSec=15min"

# Copies whose ExecStart is the postie under test.
mkdir -p "$T_DIR/units/system" "$T_DIR/units/user" "$T_DIR/run"
chmod 700 "$T_DIR/run"
for _k in system user; do
	sed "s|^ExecStart=.*|ExecStart=$POSTIE -q|" \
	    "$BUILD/systemd/$_k/postie-flush.service" \
	    >"$T_DIR/units/$_k/postie-flush.service"
	cp "$TIMER" "$T_DIR/units/$_k/"
done

# analyze NAME ARGS...: systemd-analyze ARGS; output in $T_DIR/sa.out,
# status in SA_RC.
analyze() {
	_n=$1
	shift
	(cd "$T_DIR/units" && XDG_RUNTIME_DIR=$T_DIR/run \
	    systemd-analyze "$@") >"$T_DIR/sa.out" 2>&1
	SA_RC=$?
}

# verify_clean NAME ARGS...: systemd-analyze verify ARGS exits 0 and says
# nothing (it exits 0 on an unknown key, only saying so).
verify_clean() {
	_n=$1
	shift
	analyze "$_n" verify --man=no "$@"
	if [ "$SA_RC" -eq 0 ] && [ ! -s "$T_DIR/sa.out" ]; then
		t_pass "$_n"
	else
		t_fail "$_n" "exit $SA_RC: $(head -n 5 "$T_DIR/sa.out")"
	fi
}

# verify_clean fails on a unit with a misspelt key.
sed 's/^PrivateTmp=/PrivateTnp=/' "$T_DIR/units/system/postie-flush.service" \
    >"$T_DIR/units/typo.service"
case $(verify_clean self ./typo.service) in
"FAIL - self"*) t_pass "verify_clean: fails on a misspelt key" ;;
*) t_fail "verify_clean: fails on a misspelt key" "it passed" ;;
esac

verify_clean "systemd-analyze verify: the system units" \
    ./system/postie-flush.service ./system/postie-flush.timer
verify_clean "systemd-analyze verify: the user units" --user \
    ./user/postie-flush.service ./user/postie-flush.timer

# The sandbox as systemd rates it: 3.0 at most ("--threshold=30"), where
# a unit without one is rated far above.
printf '[Service]\nType=oneshot\nExecStart=%s -q\n' "$POSTIE" \
    >"$T_DIR/units/bare.service"
analyze bare security --offline=true --threshold=30 ./bare.service
if [ "$SA_RC" -ne 0 ]; then
	t_pass "security: a unit without a sandbox is over the threshold"
else
	t_fail "security: a unit without a sandbox is over the threshold" \
	    "$(tail -n 1 "$T_DIR/sa.out")"
fi
analyze system security --offline=true --threshold=30 \
    ./system/postie-flush.service
if [ "$SA_RC" -eq 0 ]; then
	t_pass "security: the system unit's exposure is 3.0 at most"
else
	t_fail "security: the system unit's exposure is 3.0 at most" \
	    "$(tail -n 1 "$T_DIR/sa.out")"
fi
assert_matches "security: the overall level is OK" "$T_DIR/sa.out" \
    'Overall exposure level for postie-flush.service: [0-2]\.[0-9] OK|Overall exposure level for postie-flush.service: 3\.0 OK'
for _s in "ProtectSystem=" "PrivateTmp=" "NoNewPrivileges=" \
    "RestrictAddressFamilies=~AF_PACKET" "RestrictAddressFamilies=~AF_NETLINK" \
    "ProtectKernelModules=" "RestrictNamespaces=~user" \
    "CapabilityBoundingSet=~CAP_SYS_ADMIN" "MemoryDenyWriteExecute=" \
    "SystemCallArchitectures="; do
	assert_matches "security: $_s is set" "$T_DIR/sa.out" \
	    "^✓ $(echo "$_s" | sed 's/[].[*]/\\&/g') "
done

# --- The ExecStart line, run by hand, delivers a queued message.
printf 'From: sender@example.org\nTo: rcpt@example.org\nSubject: timer\n\nbody\n' \
    >"$T_DIR/in.eml"
server_down
write_config "tls off" "queue on"
run_postie_within 30 -t <"$T_DIR/in.eml"
assert_eq "queued while the smarthost is down" "$(nqueued)" 1
server_start
write_config "tls off" "queue on"
EXEC=$(sed -n 's/^ExecStart=//p' "$T_DIR/units/system/postie-flush.service")
# shellcheck disable=SC2086
timeout 60 $EXEC >"$T_DIR/out" 2>"$T_DIR/err"
assert_eq "ExecStart by hand: exit 0" "$?" 0
assert_eq "ExecStart by hand: the server has the message" "$(srv_nmessages)" 1
assert_eq "ExecStart by hand: the queue is empty" "$(nqueued)" 0
assert_eq "ExecStart by hand: the envelope" "$(srv_envelope 1)" \
    "sender@example.org rcpt@example.org"

t_done

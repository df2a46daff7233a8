#!/bin/sh
# SPDX-License-Identifier: ISC
# Shared helpers for the integration tests.

# --- Generic checks (POSIX sh).  Each check prints one line: "ok - NAME"
# or "FAIL - NAME: why"; t_done prints the totals and gives the exit code.

T_PASS=0
T_FAIL=0

t_pass() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $1"
}

t_fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL - $1: $2"
}

# t_done: print "N passed, M failed"; status 1 when any failed.
t_done() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# t_kill [-SIGNAL] PID...: send SIGNAL (TERM) to each PID that is still
# a child of this shell; status 0 when one was sent.  The shell reaps a
# background child that ended while it waited for another command, and
# with pid_max at 32768 and the other builds' tests beside, its number
# may by then name an unrelated process.
t_kill() {
	_tk_sig=TERM
	case $1 in
	-*)	_tk_sig=${1#-}; shift ;;
	esac
	_tk_rc=1
	for _tk_p in "$@"; do
		if [ "$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$_tk_p/status" \
		    2>/dev/null)" = "$$" ]; then
			kill -s "$_tk_sig" "$_tk_p" 2>/dev/null && _tk_rc=0
		fi
	done
	return "$_tk_rc"
}

# t_tmpdir: make $T_DIR (removed on exit) and point HOME and TMPDIR there.
t_tmpdir() {
	T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/postie-test.XXXXXX") || exit 99
	trap 'rm -rf "$T_DIR"' EXIT
	trap 'exit 99' INT TERM HUP
	HOME=$T_DIR/home
	TMPDIR=$T_DIR
	mkdir -p "$HOME"
	unset XDG_CONFIG_HOME XDG_STATE_HOME
	# Never the system queue, even as root.
	POSTIE_QUEUE_DIR=$T_DIR/queue
	# Root's flush also delivers the drop spool: the test's own.
	POSTIE_DROP_DIR=$T_DIR/drop
	export HOME TMPDIR POSTIE_QUEUE_DIR POSTIE_DROP_DIR
}

# run_postie ARGS...: run $POSTIE with stdin as given; stdout, stderr and
# the exit status go to $T_DIR/out, $T_DIR/err and $T_DIR/rc (files, so
# that this works at the end of a pipeline too).
run_postie() {
	"$POSTIE" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
}

# t_grep NAME FILE GREP-OPTION...: grep -q in FILE; status 0 when a line
# matches, 1 when none does, 2 when FILE is missing or cannot be searched
# (a directory, an unreadable file, a bad pattern), which is then counted
# as a failure of NAME that says so: a check of a file that is not there
# must never pass.
t_grep() {
	_tg_name=$1
	_tg_file=$2
	shift 2
	if [ ! -e "$_tg_file" ]; then
		t_fail "$_tg_name" "no file $_tg_file"
		return 2
	fi
	_tg_err=$(grep -q "$@" -- "$_tg_file" 2>&1)
	_tg_rc=$?
	[ "$_tg_rc" -le 1 ] && return "$_tg_rc"
	t_fail "$_tg_name" "cannot search $_tg_file: ${_tg_err:-exit $_tg_rc}"
	return 2
}

# t_pattern NAME WHAT PATTERN: PATTERN is not empty, else a failure of NAME
# (an empty string is in every line: checking for it proves nothing, and
# it is most often a lookup that found nothing).
t_pattern() {
	[ -n "$3" ] && return 0
	t_fail "$1" "empty $2: matches anything, proves nothing"
	return 1
}

# assert_eq NAME GOT WANT: GOT is WANT, which is not empty (an empty WANT
# is most often a lookup that found nothing; to mean "nothing", say
# assert_empty).
assert_eq() {
	if [ -z "$3" ]; then
		t_fail "$1" "empty want (got '$2'): use assert_empty"
	elif [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1" "got '$2', want '$3'"
	fi
}

# assert_between NAME VALUE LOW HIGH: the integer VALUE (not empty) is
# LOW to HIGH; with "$T_ELAPSED", the last run took that many seconds.
assert_between() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		t_pass "$1"
	else
		t_fail "$1" "got '$2', want $3 to $4"
	fi
}

# assert_empty NAME GOT: GOT is the empty string.
assert_empty() {
	if [ -z "$2" ]; then
		t_pass "$1"
	else
		t_fail "$1" "got '$2', want nothing"
	fi
}

# assert_contains NAME FILE STRING: FILE holds STRING (fixed string).
assert_contains() {
	t_pattern "$1" string "$3" || return 0
	t_grep "$1" "$2" -F -e "$3"
	case $? in
	0)	t_pass "$1" ;;
	1)	t_fail "$1" "'$3' not in $(basename "$2"): $(sed -n 1,3p \
		    "$2")" ;;
	esac
}

# assert_not_contains NAME FILE STRING: FILE exists and does not hold
# STRING.
assert_not_contains() {
	t_pattern "$1" string "$3" || return 0
	t_grep "$1" "$2" -F -e "$3"
	case $? in
	0)	t_fail "$1" "'$3' found in $(basename "$2")" ;;
	1)	t_pass "$1" ;;
	esac
}

# assert_line NAME FILE LINE: FILE has a line that is exactly LINE (not
# empty).
assert_line() {
	t_pattern "$1" line "$3" || return 0
	t_grep "$1" "$2" -F -x -e "$3"
	case $? in
	0)	t_pass "$1" ;;
	1)	t_fail "$1" "no line '$3' in $(basename "$2")" ;;
	esac
}

# assert_run NAME RC [STRING]: the last run_postie exited RC and, when
# STRING is given, printed it on stdout or stderr.
assert_run() {
	if [ -z "$2" ]; then
		t_fail "$1" "empty exit status"
		return 0
	fi
	[ $# -lt 3 ] || t_pattern "$1" string "$3" || return 0
	if [ ! -f "$T_DIR/rc" ]; then
		t_fail "$1" "no file $T_DIR/rc: postie was not run"
		return 0
	fi
	_rc=$(cat "$T_DIR/rc")
	if [ "$_rc" != "$2" ]; then
		t_fail "$1" "exit $_rc, want $2: $(sed -n 1,3p "$T_DIR/err")"
	elif [ $# -ge 3 ] && ! cat "$T_DIR/out" "$T_DIR/err" |
	    grep -F -q -e "$3"; then
		t_fail "$1" "exit $_rc but '$3' not printed: $(sed -n 1,3p \
		    "$T_DIR/err")"
	else
		t_pass "$1"
	fi
}

# --- Test servers, certificates and configs for the SMTP tests.

TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
PYTHON3=${PYTHON3:-/usr/bin/python3}
OPENSSL=${OPENSSL:-openssl}
export OPENSSL
SRV_N=0
SRV_PIDS=

# t_hard_error MSG: the test cannot run (exit 99, a hard error to make).
t_hard_error() {
	echo "ERROR - $1"
	exit 99
}

# t_need_postie: $POSTIE must be an executable.
t_need_postie() {
	[ -n "${POSTIE:-}" ] && [ -x "$POSTIE" ] ||
	    t_hard_error "POSTIE='${POSTIE:-}' is not an executable"
}

# t_certs: throwaway CA and certificates in $T_CERTS (see gencerts.sh).
t_certs() {
	T_CERTS=$T_DIR/certs
	[ -f "$T_CERTS/good.sha256" ] && return 0
	sh "$TESTS_SRCDIR/integration/gencerts.sh" "$T_CERTS" \
	    >"$T_DIR/gencerts.log" 2>&1 ||
	    t_hard_error "gencerts.sh failed: $(cat "$T_DIR/gencerts.log")"
}

# server_start ARGS...: start server.py with ARGS (see server.py --help)
# on a port it chooses and wait (10 s at most) until it listens.  Sets
# SRV_PORT, SRV_PID, SRV_TRANSCRIPT (the session: "C: " lines the client
# sent, "S: " replies, "* " events) and SRV_RECORD (accepted message N as
# N.json and N.eml).  The server exits by itself after $SRV_LIFETIME
# seconds (600: a safety net only, long enough for a loaded machine)
# and is stopped when the test exits.
server_start() {
	srv_dir
	SRV_TRANSCRIPT=$_sd/transcript
	: >"$SRV_TRANSCRIPT"
	srv_launch server.py --transcript "$SRV_TRANSCRIPT" "$@"
}

# turns_start ARGS...: start turns.py, the turn-counting server (see its
# --help), as server_start does.  Sets SRV_PORT, SRV_PID, SRV_RECORD
# (message N as N.eml) and SRV_STATS (one line per session: waits=N
# at=... auth=... msgs=N bdat=N data=N).
turns_start() {
	srv_dir
	SRV_STATS=$_sd/stats
	: >"$SRV_STATS"
	srv_launch turns.py --stats "$SRV_STATS" "$@"
}

# srv_dir: a directory for the next server, $_sd, and its SRV_RECORD.
srv_dir() {
	SRV_N=$((SRV_N + 1))
	_sd=$T_DIR/server$SRV_N
	mkdir -p "$_sd"
	SRV_RECORD=$_sd/record
}

# srv_launch SCRIPT ARGS...: run tests/integration/SCRIPT with a port file
# in $_sd, --record "$SRV_RECORD" and ARGS, and wait until it listens.
srv_launch() {
	_script=$1
	shift
	"$PYTHON3" "$TESTS_SRCDIR/integration/$_script" "$_sd/port" \
	    --record "$SRV_RECORD" --lifetime "${SRV_LIFETIME:-600}" "$@" \
	    >"$_sd/log" 2>&1 &
	SRV_PID=$!
	SRV_PIDS="$SRV_PIDS $SRV_PID"
	trap 'server_stop_all; rm -rf "$T_DIR"' EXIT
	_i=0
	while [ ! -s "$_sd/port" ]; do
		kill -0 "$SRV_PID" 2>/dev/null ||
		    t_hard_error "test server did not start: $(cat "$_sd/log")"
		_i=$((_i + 1))
		[ "$_i" -le 200 ] ||
		    t_hard_error "test server: no port after 10 s"
		sleep 0.05
	done
	SRV_PORT=$(cat "$_sd/port")
}

# server_start_tls CERT ARGS...: server_start with $T_CERTS/CERT.pem and
# its key (good, expired, wrongname, selfsigned, untrusted).
server_start_tls() {
	_c=$1
	shift
	server_start --cert "$T_CERTS/$_c.pem" --key "$T_CERTS/$_c.key" "$@"
}

# server_down: SRV_PORT becomes a port of 127.0.0.1 where nothing listens
# and that no other test can take meanwhile: a socket bound to it, never
# listening (a connection is refused), held until the test ends.  (A port
# freed by stopping a server may be given to a parallel test's server.)
server_down() {
	srv_dir
	"$PYTHON3" -c 'import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)' "$_sd/port" >"$_sd/log" 2>&1 &
	SRV_PID=$!
	SRV_PIDS="$SRV_PIDS $SRV_PID"
	trap 'server_stop_all; rm -rf "$T_DIR"' EXIT
	_i=0
	while [ ! -s "$_sd/port" ]; do
		kill -0 "$SRV_PID" 2>/dev/null ||
		    t_hard_error "server_down: $(cat "$_sd/log")"
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || t_hard_error "server_down: no port after 10 s"
		sleep 0.05
	done
	SRV_PORT=$(cat "$_sd/port")
}

# server_stop: stop the last server started.
server_stop() {
	t_kill "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null
	return 0
}

server_stop_all() {
	for _p in $SRV_PIDS; do
		t_kill "$_p"
	done
	for _p in $SRV_PIDS; do
		wait "$_p" 2>/dev/null
	done
	SRV_PIDS=
}

# srv_envelope N: "FROM RCPT..." of the last server's accepted message N,
# or nothing when there is none.
srv_envelope() {
	[ -f "$SRV_RECORD/$1.json" ] || return 0
	"$PYTHON3" -c 'import json, sys
e = json.load(open(sys.argv[1]))
print(" ".join([e["mail_from"]] + e["rcpt_tos"]))' "$SRV_RECORD/$1.json"
}

# srv_nmessages: how many messages the last server accepted.
srv_nmessages() {
	ls "$SRV_RECORD" 2>/dev/null | grep -c '\.json$'
}

# --- The queue of the test ($POSTIE_QUEUE_DIR, made by t_tmpdir).

# qids [failed]: the ids in the queue (or failed/), one a line.
qids() {
	ls "$POSTIE_QUEUE_DIR/${1:+failed/}" 2>/dev/null |
	    sed -n 's/\.env$//p' | grep -v '^tmp\.'
}
nqueued() { qids | grep -c .; }
nfailed() { qids failed | grep -c .; }

# env_get ID KEY [failed]: a value of ID's envelope file.
env_get() {
	sed -n "s/^$2 //p" "$POSTIE_QUEUE_DIR/${3:+failed/}$1.env" 2>/dev/null
}

# write_config LINE...: the user's config ($HOME/.config/postie/config,
# mode 600; path in CONFIG) with one account "test", the default, at
# 127.0.0.1:$SRV_PORT trusting the test CA, logging to $T_DIR/postie.log,
# each LINE added at the end of the account (overriding what is above).
write_config() {
	CONFIG=$HOME/.config/postie/config
	mkdir -p "$HOME/.config/postie"
	{
		echo "defaults"
		echo "syslog off"
		echo "logfile $T_DIR/postie.log"
		echo "queue off"
		echo "timeout 10"
		echo
		echo "account test"
		echo "host 127.0.0.1"
		echo "port ${SRV_PORT:-25}"
		echo "from sender@example.org"
		echo "tls on"
		echo "tls_trust_file ${T_CERTS:-/nonexistent}/ca.pem"
		for _l in "$@"; do
			echo "$_l"
		done
		echo
		echo "account default : test"
	} >"$CONFIG"
	chmod 600 "$CONFIG"
}

# t_secs N: N seconds of a bound meant for postie as built, times
# TEST_TIME_SCALE (make check-valgrind sets it: valgrind makes each run
# slower by seconds on a loaded machine).
t_secs() {
	echo $(($1 * ${TEST_TIME_SCALE:-1}))
}

# t_samples N: how many of N random trials a loop makes: N divided by
# TEST_TIME_SCALE (at least 1), so that the loop takes about as long
# when each run is that many times slower.  Under check-valgrind a trial
# costs seconds of valgrind's start-up, where a random kill mostly lands
# (test_queue_crash); the lanes built without valgrind make all N.
t_samples() {
	_n=$(($1 / ${TEST_TIME_SCALE:-1}))
	[ "$_n" -ge 1 ] || _n=1
	echo "$_n"
}

# run_postie_within SECS ARGS...: run_postie, but killed after SECS
# seconds, scaled by t_secs (exit status 124 then); T_ELAPSED is the
# time it took in whole seconds.
run_postie_within() {
	_secs=$(t_secs "$1")
	shift
	_t0=$(date +%s)
	timeout -k 2 "$_secs" "$POSTIE" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
	T_ELAPSED=$(($(date +%s) - _t0))
}

# assert_matches NAME FILE ERE: FILE has a line matching the extended
# regular expression ERE (not empty), ignoring case.
assert_matches() {
	t_pattern "$1" pattern "$3" || return 0
	t_grep "$1" "$2" -E -i -e "$3"
	case $? in
	0)	t_pass "$1" ;;
	1)	t_fail "$1" "/$3/ not in $(basename "$2"): $(sed -n 1,3p \
		    "$2")" ;;
	esac
}

# assert_not_matches NAME FILE ERE: FILE exists and has no line matching
# ERE.
assert_not_matches() {
	t_pattern "$1" pattern "$3" || return 0
	t_grep "$1" "$2" -E -i -e "$3"
	case $? in
	0)	t_fail "$1" "/$3/ found in $(basename "$2"): $(grep -E -i \
		    -m 1 -e "$3" "$2")" ;;
	1)	t_pass "$1" ;;
	esac
}

# assert_same NAME GOT WANT: the two files are identical, byte for byte
# (both must be files that can be read).
assert_same() {
	for _as_f in "$2" "$3"; do
		if [ ! -f "$_as_f" ] || ! cat "$_as_f" >/dev/null 2>&1; then
			t_fail "$1" "no readable file $_as_f"
			return 0
		fi
	done
	if cmp -s "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1" "$(cmp "$2" "$3" 2>&1 | sed -n 1p)"
	fi
}

# --- syslog(3) of postie, without the system logger: postie runs in a
# mount namespace of its own whose /dev/log is a socket of the test
# (unshare -m as root, else in a user namespace, unshare -rm, where
# postie is root of nothing but that namespace).

# syslog_ns: set NS, the unshare command; status 1 when it cannot make
# the namespaces here.
syslog_ns() {
	if [ "$(id -u)" -eq 0 ]; then
		NS="unshare -m"
	else
		NS="unshare -rm"
	fi
	$NS true 2>/dev/null
}

# syslog_start: the logger: every datagram on $T_DIR/devlog becomes a
# line of $SYSLOG; it stops by itself after two minutes of silence or at
# syslog_stop (on exit too).
syslog_start() {
	SYSLOG=$T_DIR/syslog.txt
	: >"$SYSLOG"
	"$PYTHON3" -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
out = open(sys.argv[2], "ab", buffering=0)
try:
    while True:
        d = s.recv(65536)
        out.write(d.replace(b"\n", b" ").rstrip(b"\0") + b"\n")
except socket.timeout:
    pass' "$T_DIR/devlog" "$SYSLOG" &
	LOGGER_PID=$!
	trap 'syslog_stop; server_stop_all; rm -rf "$T_DIR"' EXIT
	_i=0
	while [ ! -S "$T_DIR/devlog" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || t_hard_error "logger: no socket after 10 s"
		sleep 0.05
	done
	mkdir -p "$T_DIR/hostdev"
}

syslog_stop() {
	[ -n "${LOGGER_PID:-}" ] && t_kill "$LOGGER_PID"
	return 0
}

# run_logged ARGS...: run_postie in a mount namespace where /dev is a
# fresh tmpfs holding the usual device nodes and log, the test's socket.
# The host's /dev is bound whole (--rbind): in a user namespace, binding
# a mount without the mounts under it is refused.
run_logged() {
	$NS sh -c '
		t=$1
		shift
		mount --rbind /dev "$t/hostdev" &&
		mount -t tmpfs -o mode=755 tmpfs /dev || exit 98
		for n in null zero full random urandom; do
			touch "/dev/$n" &&
			mount --bind "$t/hostdev/$n" "/dev/$n" || exit 98
		done
		touch /dev/log && mount --bind "$t/devlog" /dev/log || exit 98
		exec "$@"' sh "$T_DIR" "$POSTIE" "$@" \
	    >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
	# The datagram is in the socket before postie exits; give the
	# logger a moment to write it out (bounded).
	_n=0
	while [ "$_n" -lt 40 ] &&
	    [ "$(wc -l <"$SYSLOG")" -eq "${_lines:-0}" ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	sleep 0.1
	_lines=$(wc -l <"$SYSLOG")
}

# syslog_mark, syslog_new: the lines logged since the last mark.
syslog_mark() {
	_mark=$(wc -l <"$SYSLOG")
}
syslog_new() {
	tail -n +"$((_mark + 1))" "$SYSLOG"
}

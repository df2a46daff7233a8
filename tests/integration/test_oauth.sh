#!/bin/sh
# SPDX-License-Identifier: ISC
# OAuth 2.0 built in, against oauthd.py (a fake provider over HTTPS with
# the test CA) and server.py checking the access tokens the provider
# issued: postie --login with the device grant (slow_down honoured) and
# with PKCE over the loopback redirect, the test acting as the browser,
# or the redirect pasted on standard input; the token file's mode; the
# refresh only inside the 60 s margin, once for ten concurrent sends,
# the rotated refresh token saved; a revoked consent held with the
# --login hint, delivered once after a new --login; the token endpoint
# down is temporary; a refused token is an account failure with the
# decoded error challenge; XOAUTH2 with a long token goes after a 334;
# no token in any output or log.  Built without OAuth 2.0, the keys are
# an error naming the configure option.
. "$(dirname "$0")/lib.sh"

t_tmpdir
t_need_postie
t_certs
printf 'Subject: oauth\nTo: r@example.org\n\nbody\n' >"$T_DIR/in.eml"
USER=alice@example.org

# HAVE_OAUTH2 comes from configure (make check); run by hand, the
# binary says whether it has OAuth 2.0.
write_config "user $USER" "oauth2_provider microsoft"
run_postie --config-check
if [ -z "${HAVE_OAUTH2:-}" ]; then
	HAVE_OAUTH2=yes
	grep -q "built without OAuth 2.0" "$T_DIR/err" && HAVE_OAUTH2=no
fi
if [ "$HAVE_OAUTH2" != yes ]; then
	assert_run "without OAuth 2.0: the key is refused" 78
	assert_contains "without OAuth 2.0: the option is named" \
	    "$T_DIR/err" "configure --with-oauth2"
	t_done
	exit
fi

OAUTHD="$TESTS_SRCDIR/integration/oauthd.py"
OAUTH_STATE=$T_DIR/oauth.json
ctl() { "$PYTHON3" "$OAUTHD" "$@"; }
grants() {
	ctl get "$OAUTH_STATE" grants | "$PYTHON3" -c 'import json, sys
print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"
}
# The refresh token in a token file.
file_refresh() { sed -n 's/^refresh_token //p' "$1"; }
# All the run's output goes here too, for the final token grep.
ALL=$T_DIR/all-output
: >"$ALL"
keep_output() { cat "$T_DIR/out" "$T_DIR/err" >>"$ALL"; }

"$PYTHON3" "$OAUTHD" serve "$T_DIR/oauth.port" "$OAUTH_STATE" \
    "$T_CERTS/good.pem" "$T_CERTS/good.key" 1200 >"$T_DIR/oauthd.log" 2>&1 &
SRV_PIDS="$SRV_PIDS $!"
trap 'server_stop_all; rm -rf "$T_DIR"' EXIT
_i=0
while [ ! -s "$T_DIR/oauth.port" ]; do
	_i=$((_i + 1))
	[ "$_i" -le 200 ] ||
	    t_hard_error "oauthd.py: no port after 10 s: $(cat "$T_DIR/oauthd.log")"
	sleep 0.05
done
IDP=https://127.0.0.1:$(cat "$T_DIR/oauth.port")

# Safety nets only (valgrind makes the test long); the exit stops them.
SRV_LIFETIME=1200
server_start_tls good --starttls --auth "$USER:unused" \
    --auth-mechs "XOAUTH2 OAUTHBEARER" --oauth-state "$OAUTH_STATE"
SMTP_PORT=$SRV_PORT
SMTP_RECORD=$SRV_RECORD
TOK=$T_DIR/tokens/test
# syslog(3) through a socket of the test, where namespaces can be made.
LOGGED=no
syslog_ns && LOGGED=yes
# send_logged ARGS...: a send whose syslog lines go to $SYSLOG (or, with
# no namespaces here, a plain run_postie).
send_logged() {
	if [ "$LOGGED" = yes ]; then
		run_logged "$@"
	else
		run_postie "$@"
	fi
}

# config [grant] LINE...: the account with the provider; grant "device"
# (the default) gives it a device endpoint, "code" the authorization
# endpoint only.
config() {
	_g=device
	case ${1:-} in device|code) _g=$1; shift ;; esac
	if [ "$_g" = device ]; then
		_ep="oauth2_device_url $IDP/device"
	else
		_ep="oauth2_auth_url $IDP/authorize"
	fi
	write_config "user $USER" "oauth2_provider custom" \
	    "oauth2_client_id test-client" "$_ep" \
	    "oauth2_token_url $IDP/token" \
	    "oauth2_scope \"smtp offline_access\"" \
	    "oauth2_trust_file $T_CERTS/ca.pem" \
	    "oauth2_token_file $TOK" "timeout $(t_secs 30)" "$@"
}

# wait_url: wait (10 s at most) for postie --login to print the
# authorization URL in login.out; it is then in _url.
wait_url() {
	_i=0
	until grep -q "$IDP/authorize?" "$T_DIR/login.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le $(($(t_secs 30) * 20)) ] || break
		sleep 0.05
	done
	_url=$(grep -o "$IDP/authorize?[^ ]*" "$T_DIR/login.out")
}

# browser_login: postie --login test (the code grant), the test being
# the browser: it opens the printed URL and follows the redirect to the
# loopback address.  LOGIN_RC is postie's exit status.  When no URL
# comes or the browser fails, the login is stopped (it would wait for
# the browser for 15 minutes) and browser.out says why.
browser_login() {
	# Never the last login's URL: the new one's redirection empties the
	# file only once its process runs.
	rm -f "$T_DIR/login.out" "$T_DIR/login.err"
	"$POSTIE" --login test </dev/null >"$T_DIR/login.out" \
	    2>"$T_DIR/login.err" &
	_lp=$!
	wait_url
	if [ -z "$_url" ]; then
		echo "no sign-in URL from postie --login within" \
		    "$(t_secs 30) s" >"$T_DIR/browser.out"
		t_kill "$_lp"
	elif ! "$PYTHON3" -c 'import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
print(opener.open(sys.argv[1], timeout=60).read().decode())' \
	    "$_url" "$T_CERTS/ca.pem" >"$T_DIR/browser.out" 2>&1; then
		t_kill "$_lp"
	fi
	wait "$_lp"
	LOGIN_RC=$?
	cat "$T_DIR/login.out" "$T_DIR/login.err" >>"$ALL"
}

# login_ok NAME: the last browser_login exited 0; else its stderr says why.
login_ok() {
	if [ "$LOGIN_RC" -eq 0 ]; then
		t_pass "$1"
	else
		t_fail "$1" "exit $LOGIN_RC: $(cat "$T_DIR/login.err" \
		    "$T_DIR/browser.out" 2>/dev/null | tail -n 5)"
	fi
}

# pasted_login: postie --login test in the background (LOGIN_PID), its
# standard input the FIFO that descriptor 7 writes, as the terminal of a
# headless server where the redirect is pasted; the URL in _url.
pasted_login() {
	rm -f "$T_DIR/stdin" "$T_DIR/login.out" "$T_DIR/login.err"
	mkfifo "$T_DIR/stdin"
	"$POSTIE" --login test <"$T_DIR/stdin" >"$T_DIR/login.out" \
	    2>"$T_DIR/login.err" &
	LOGIN_PID=$!
	exec 7>"$T_DIR/stdin"
	wait_url
}

# --- 1. The device grant: pending, slow_down, then approved.
config
_t0=$(date +%s)
run_postie_within 60 --login test </dev/null
keep_output
assert_run "device: --login succeeds" 0
assert_contains "device: the URL is printed" "$T_DIR/out" \
    "https://127.0.0.1/devicelogin"
assert_contains "device: the code is printed" "$T_DIR/out" "WDJB-MJHT"
assert_contains "device: says where the token is" "$T_DIR/out" \
    "stored in $TOK"
assert_eq "device: one device grant" "$(grants device_code)" 1
assert_eq "device: no poll sooner than the interval (slow_down honoured)" \
    "$(ctl get "$OAUTH_STATE" violations)" 0
# 1 s, 1 s, then 1 + 5 s after slow_down.
[ "$T_ELAPSED" -ge 7 ] && t_pass "device: the slow_down wait was taken" ||
    t_fail "device: the slow_down wait was taken" "took ${T_ELAPSED}s"
assert_eq "device: token file mode 0600" "$(stat -c %a "$TOK")" 600
assert_eq "device: token directory mode 0700" \
    "$(stat -c %a "$(dirname "$TOK")")" 700

# A denied sign-in stops at once, and leaves the token file as it was.
ctl set "$OAUTH_STATE" deny true
cp "$TOK" "$T_DIR/tok.before"
run_postie_within 30 --login test </dev/null
keep_output
assert_run "device: denied: exit 77" 77 "the sign-in was denied"
assert_eq "device: denied: no grant" "$(grants device_code)" 1
cmp -s "$TOK" "$T_DIR/tok.before" &&
    t_pass "device: denied: the token file is untouched" ||
    t_fail "device: denied: the token file is untouched" "it changed"
ctl set "$OAUTH_STATE" deny false

# --- 2. Three sends with a fresh token: no refresh.
for _n in 1 2 3; do
	run_postie -v r@example.org <"$T_DIR/in.eml"
	keep_output
	assert_run "fresh token: send $_n" 0
done
assert_eq "fresh token: three messages delivered" "$(srv_nmessages)" 3
assert_eq "fresh token: no refresh" "$(grants refresh_token)" 0
assert_contains "auth on picks OAUTHBEARER" "$SRV_TRANSCRIPT" \
    "C: AUTH OAUTHBEARER "
assert_contains "-v hides the token" "$ALL" "AUTH OAUTHBEARER [hidden]"
run_postie --check-auth
keep_output
assert_run "--check-auth with the stored token" 0 \
    "Authentication: succeeded"

# --- 3. PKCE over the loopback redirect; the test is the browser.  The
# provider makes this token live 59 s: inside the margin.
ctl set "$OAUTH_STATE" expires_in 59
config code
rm -f "$TOK"
browser_login
login_ok "pkce: --login succeeds"
assert_contains "pkce: the browser is told it went to postie" \
    "$T_DIR/browser.out" "the sign-in went to postie"
assert_eq "pkce: one code grant" "$(grants authorization_code)" 1
ctl get "$OAUTH_STATE" authorize_query >"$T_DIR/query"
assert_contains "pkce: S256 challenge sent" "$T_DIR/query" \
    '"code_challenge_method": "S256"'
assert_contains "pkce: redirect to the loopback address" "$T_DIR/query" \
    '"redirect_uri": "http://127.0.0.1:'
assert_eq "pkce: token file mode 0600" "$(stat -c %a "$TOK")" 600

# --- 4. One send inside the margin: exactly one refresh, the rotated
# refresh token on disk.
ctl set "$OAUTH_STATE" expires_in 3600
_old=$(file_refresh "$TOK")
run_postie r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "margin: send" 0
assert_eq "margin: exactly one refresh" "$(grants refresh_token)" 1
_new=$(file_refresh "$TOK")
_valid=$(ctl get "$OAUTH_STATE" refresh)
case $_valid in
*"\"$_new\""*) t_pass "margin: the rotated refresh token is on disk" ;;
*) t_fail "margin: the rotated refresh token is on disk" "$_new" ;;
esac
[ -n "$_new" ] && [ "$_new" != "$_old" ] &&
    t_pass "margin: the old refresh token was replaced" ||
    t_fail "margin: the old refresh token was replaced" "$_old"
assert_eq "margin: still mode 0600" "$(stat -c %a "$TOK")" 600

# --- 5. Ten concurrent sends inside the margin: one refresh between them.
ctl set "$OAUTH_STATE" expires_in 59
browser_login
login_ok "concurrent: --login leaves a 59 s token"
ctl set "$OAUTH_STATE" expires_in 3600
_before=$(srv_nmessages)
_pids=
for _n in 1 2 3 4 5 6 7 8 9 10; do
	"$POSTIE" r@example.org <"$T_DIR/in.eml" >"$T_DIR/c$_n.out" \
	    2>"$T_DIR/c$_n.err" &
	_pids="$_pids $!"
done
_bad=0
for _p in $_pids; do
	wait "$_p" || _bad=$((_bad + 1))
done
cat "$T_DIR"/c*.out "$T_DIR"/c*.err >>"$ALL"
assert_eq "concurrent: all ten exit 0" "$_bad" 0
assert_eq "concurrent: ten delivered" "$(($(srv_nmessages) - _before))" 10
assert_eq "concurrent: exactly one refresh between them" \
    "$(grants refresh_token)" 2

# --- 6. XOAUTH2 with a token too long for the AUTH line: after a 334.
ctl set "$OAUTH_STATE" access_len 700
browser_login
login_ok "long token: --login succeeds"
config code "auth xoauth2"
: >"$SRV_TRANSCRIPT"
run_postie -v r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "xoauth2: a 700-byte token is accepted" 0
assert_line "xoauth2: AUTH without the initial response" \
    "$SRV_TRANSCRIPT" "C: AUTH XOAUTH2"
assert_contains "xoauth2: the server asked for it" "$SRV_TRANSCRIPT" \
    "S: 334"
ctl set "$OAUTH_STATE" access_len 40

# --- 7. Consent revoked: held with the --login hint; a new --login (the
# redirect pasted, as on a headless server) and a flush deliver it once.
config code "queue on" "syslog on"
# The logger stops after two minutes of silence: started here.
[ "$LOGGED" = yes ] && syslog_start
send_logged -v r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "syslog on: a send" 0
ctl set "$OAUTH_STATE" expires_in 59
browser_login
login_ok "revoked: --login leaves a 59 s token"
ctl set "$OAUTH_STATE" expires_in 3600
ctl revoke "$OAUTH_STATE"
_before=$(srv_nmessages)
[ "$LOGGED" = yes ] && syslog_mark
send_logged r@example.org <"$T_DIR/in.eml"
keep_output
if [ "$LOGGED" = yes ]; then
	syslog_new >"$T_DIR/got"
	assert_contains "revoked: the hint in syslog" "$T_DIR/got" \
	    "run postie --login test"
else
	echo "SKIP - revoked: the hint in syslog: '$NS' cannot make the namespaces for a private /dev/log"
fi
assert_run "revoked: queue on: exit 0" 0
assert_contains "revoked: the hint" "$T_DIR/err" "run postie --login test"
assert_contains "revoked: the provider's error" "$T_DIR/err" "invalid_grant"
assert_eq "revoked: the message stays queued" "$(nqueued)" 1
config code "queue off"
run_postie r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "revoked: queue off: exit 78" 78
assert_contains "revoked: queue off: the hint" "$T_DIR/err" \
    "run postie --login test"

config code "queue on"
pasted_login
# The browser elsewhere: it ends on the redirect, which does not load.
"$PYTHON3" -c 'import ssl, sys, urllib.request
class Stop(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        print(newurl)
        return None
ctx = ssl.create_default_context(cafile=sys.argv[2])
opener = urllib.request.build_opener(
    urllib.request.HTTPSHandler(context=ctx), Stop)
try:
    opener.open(sys.argv[1], timeout=60)
except urllib.error.HTTPError:
    pass' "$_url" "$T_CERTS/ca.pem" >"$T_DIR/redirect" 2>&1
cat "$T_DIR/redirect" >&7
exec 7>&-
wait "$LOGIN_PID"
assert_eq "headless: --login with the pasted redirect" "$?" 0
cat "$T_DIR/login.out" "$T_DIR/login.err" >>"$ALL"
assert_eq "headless: one more code grant" "$(grants authorization_code)" 5
# A redirect that is not this sign-in's (another state) is refused.
pasted_login
echo "http://127.0.0.1:1/?code=stolen&state=forged" >&7
exec 7>&-
wait "$LOGIN_PID"
assert_eq "headless: a forged state: exit 76" "$?" 76
assert_contains "headless: a forged state: says so" "$T_DIR/login.err" \
    "state does not match"
assert_eq "headless: a forged state: no code grant" \
    "$(grants authorization_code)" 5
run_postie -q
keep_output
assert_run "revoked: the flush after --login" 0
assert_eq "revoked: the queue is empty" "$(nqueued)" 0
assert_eq "revoked: delivered once" "$(($(srv_nmessages) - _before))" 1

# --- 8. The token endpoint down (503): temporary, delivered after.
ctl set "$OAUTH_STATE" expires_in 59
browser_login
login_ok "down: --login leaves a 59 s token"
ctl set "$OAUTH_STATE" expires_in 3600
ctl set "$OAUTH_STATE" down true
_before=$(srv_nmessages)
run_postie r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "down: exit 0" 0
assert_contains "down: queued for a retry" "$T_DIR/err" "queued as"
assert_contains "down: says what failed" "$T_DIR/err" "HTTP 503"
assert_eq "down: one queued" "$(nqueued)" 1
ctl set "$OAUTH_STATE" down false
run_postie -q
keep_output
assert_run "down: the flush after healing" 0
assert_eq "down: delivered once" "$(($(srv_nmessages) - _before))" 1
assert_eq "down: the queue is empty" "$(nqueued)" 0

# The token endpoint unreachable (nothing listens): temporary too.
ctl set "$OAUTH_STATE" expires_in 59
browser_login
login_ok "unreachable: --login leaves a 59 s token"
ctl set "$OAUTH_STATE" expires_in 3600
server_down
DOWN_PORT=$SRV_PORT
SRV_PORT=$SMTP_PORT
SRV_RECORD=$SMTP_RECORD
config code "queue on"
sed -i "s|^oauth2_token_url .*|oauth2_token_url https://127.0.0.1:$DOWN_PORT/token|" \
    "$CONFIG"
run_postie r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "unreachable: exit 0" 0 "queued as"
assert_contains "unreachable: says why" "$T_DIR/err" "127.0.0.1:$DOWN_PORT"
assert_eq "unreachable: one queued" "$(nqueued)" 1
config code "queue on"
_before=$(srv_nmessages)
run_postie -q
keep_output
assert_run "unreachable: the flush once it answers" 0
assert_eq "unreachable: delivered once" "$(($(srv_nmessages) - _before))" 1

# --- 9. The server refuses a fresh token: an account failure, the error
# challenge decoded under -v, the cached token dropped.
server_start_tls good --starttls --auth "$USER:unused" \
    --auth-mechs "OAUTHBEARER" --oauth-state "$OAUTH_STATE" --oauth-fail
config code "queue off"
run_postie -v r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "refused: exit 77 with the queue off" 77
assert_contains "refused: the error challenge's status" "$T_DIR/err" \
    "OAuth error status: invalid_token"
assert_contains "refused: -v decodes the error challenge" "$T_DIR/err" \
    'OAuth error: {"status": "invalid_token", "scope": "mail"}'
assert_contains "refused: the hint" "$T_DIR/err" "run postie --login test"
t_grep "refused: the cached token is dropped" "$TOK" '^access_token '
case $? in
0) t_fail "refused: the cached token is dropped" "still in $TOK" ;;
1) t_pass "refused: the cached token is dropped" ;;
esac
SRV_PORT=$SMTP_PORT

# --- 10. The provider is vouched for by oauth2_trust_file, never by the
# account's tls_trust_file (the test CA is not in the system store).
write_config "user $USER" "oauth2_provider custom" \
    "oauth2_client_id test-client" "oauth2_device_url $IDP/device" \
    "oauth2_token_url $IDP/token" "oauth2_scope smtp" \
    "oauth2_token_file $T_DIR/tokens/other"
run_postie_within 30 --login test </dev/null
keep_output
assert_run "trust: the system store does not know the test CA" 76
assert_contains "trust: a certificate failure" "$T_DIR/err" "certificate"
# The system's store is what SSL_CERT_FILE names, as for TLS: the
# provider is reached (and, told to, denies the sign-in).
ctl set "$OAUTH_STATE" deny true
SSL_CERT_FILE=$T_CERTS/ca.pem
export SSL_CERT_FILE
run_postie_within 30 --login test </dev/null
unset SSL_CERT_FILE
ctl set "$OAUTH_STATE" deny false
keep_output
assert_run "trust: SSL_CERT_FILE is the system's store" 77 \
    "the sign-in was denied"

# --- 11. The default token file: keyed by config and account, under
# $XDG_STATE_HOME, mode 0600; and the checks of the keys.
XDG_STATE_HOME=$T_DIR/state
export XDG_STATE_HOME
write_config "user $USER" "oauth2_provider custom" \
    "oauth2_client_id test-client" "oauth2_auth_url $IDP/authorize" \
    "oauth2_token_url $IDP/token" "oauth2_scope smtp" \
    "oauth2_trust_file $T_CERTS/ca.pem"
browser_login
login_ok "default file: --login"
_f=$(ls "$XDG_STATE_HOME/postie/oauth/" 2>/dev/null | grep '^test-' | grep -v '\.')
assert_matches "default file: named ACCOUNT-HASH" "$T_DIR/login.out" \
    "stored in $XDG_STATE_HOME/postie/oauth/test-[0-9a-f]{16}\$"
assert_eq "default file: mode 0600" \
    "$(stat -c %a "$XDG_STATE_HOME/postie/oauth/$_f" 2>/dev/null)" 600
chmod 644 "$XDG_STATE_HOME/postie/oauth/$_f"
run_postie r@example.org <"$T_DIR/in.eml"
keep_output
assert_run "default file: refused when others can read it" 78
assert_contains "default file: says chmod 600" "$T_DIR/err" "chmod 600"
unset XDG_STATE_HOME

write_config "user $USER" "auth plain" "password p"
run_postie --login test
assert_run "--login: an account without a provider" 78 \
    "account test has no oauth2_provider"
run_postie --login test other
assert_run "--login: one account only" 64
write_config "user $USER" "oauth2_client_id x"
run_postie --config-check
assert_run "keys: a client id without a provider" 78
assert_contains "keys: says what is missing" "$T_DIR/out" \
    "need oauth2_provider"
write_config "user $USER" "oauth2_provider google" "oauth2_client_id x"
run_postie --config-check
assert_contains "keys: google needs a client secret" "$T_DIR/out" \
    "needs oauth2_client_secret"
write_config "user $USER" "oauth2_provider microsoft" \
    "oauth2_client_id x" "auth plain"
run_postie --config-check
assert_contains "keys: a provider needs an OAuth mechanism" \
    "$T_DIR/out" \
    "needs auth on, xoauth2 or oauthbearer"
write_config "user $USER" "oauth2_provider microsoft" \
    "oauth2_client_id x" "oauth2_tenant contoso.onmicrosoft.com"
run_postie --config-check
assert_contains "keys: microsoft's token endpoint with the tenant" \
    "$T_DIR/out" "oauth2_token_url https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
assert_contains "keys: microsoft's scope" "$T_DIR/out" \
    'oauth2_scope "https://outlook.office.com/SMTP.Send offline_access"'

# --- 12. No token anywhere: not in the output of any run above (-v
# included), not in the log file.  The grep is shown to find a token
# where one is: in the token file.
ctl get "$OAUTH_STATE" issued | "$PYTHON3" -c 'import json, sys
print("\n".join(json.load(sys.stdin)))' >"$T_DIR/issued"
_n=$(grep -c . "$T_DIR/issued")
[ "$_n" -ge 10 ] && t_pass "issued tokens to look for ($_n)" ||
    t_fail "issued tokens to look for" "$_n"
t_grep "the grep finds a token in the token file" "$TOK" -F \
    -f "$T_DIR/issued"
case $? in
0) t_pass "the grep finds a token in the token file" ;;
1) t_fail "the grep finds a token in the token file" "none found" ;;
esac
_logs="$ALL $T_DIR/postie.log"
if [ "$LOGGED" = yes ]; then
	_logs="$_logs $SYSLOG"
else
	echo "SKIP - no token in syslog: '$NS' cannot make the namespaces for a private /dev/log"
fi
for _f in $_logs; do
	[ -s "$_f" ] || t_fail "no token in $(basename "$_f")" "empty file"
	t_grep "no token in $(basename "$_f")" "$_f" -F -f "$T_DIR/issued"
	case $? in
	0) t_fail "no token in $(basename "$_f")" \
	    "$(grep -o -F -f "$T_DIR/issued" "$_f" | head -1 | cut -c1-8)..." ;;
	1) t_pass "no token in $(basename "$_f")" ;;
	esac
done
syslog_stop

t_done

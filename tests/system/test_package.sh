#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian package (debian/, scripts/deb), built and installed in a
# throwaway chroot, never on the host (whose MTA other tests use):
# scripts/deb builds it with nocheck and lintian reports no error and no
# warning; in a minimal chroot of the host's Debian release (made once
# with mmdebstrap and cached as build/cache/chroot-SUITE-ARCH.tar), dpkg
# installs it: the sendmail links (relative, as Debian Policy 10.5 asks),
# the spools with their modes, the units, the manual pages; then
# /usr/sbin/sendmail -t there delivers to a test server on the host's
# loopback (the chroot shares the network), and dpkg -r and --purge
# remove it.  Needs root (chroot), dpkg-buildpackage, debhelper, lintian
# and mmdebstrap.
. "$TESTS_SRCDIR/integration/lib.sh"

t_tmpdir
TOP=$(cd "$TESTS_SRCDIR/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: installing a package in a chroot needs root"
	exit 77
fi
for _t in dpkg-buildpackage dh lintian mmdebstrap; do
	command -v "$_t" >/dev/null 2>&1 ||
	    t_hard_error "$_t not found (scripts/deps installs it)"
done

# --- Build and lint.
DEBDIR=$(pwd)/deb
if DEB=$("$TOP/scripts/deb" "$DEBDIR" 2>"$T_DIR/deb.err"); then
	t_pass "scripts/deb: the package builds"
else
	t_fail "scripts/deb: the package builds" "$(tail -n 20 "$T_DIR/deb.err")"
	t_done
	exit 1
fi
assert_not_matches "lintian: no error" "$DEBDIR/lintian.log" '^E: '
assert_not_matches "lintian: no warning" "$DEBDIR/lintian.log" '^W: '
dpkg-deb -f "$DEB" Provides Conflicts Replaces >"$T_DIR/fields"
for _f in Provides Conflicts Replaces; do
	assert_line "control: $_f: mail-transport-agent" "$T_DIR/fields" \
	    "$_f: mail-transport-agent"
done

# --- The chroot, from the cache.
. /etc/os-release
SUITE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
ARCH=$(dpkg --print-architecture)
# The package's dependencies (the first of each alternative, without
# versions) come with the chroot, which has no network of its own; the
# cache is kept per list.
DEPS=$(dpkg-deb -f "$DEB" Depends Pre-Depends | sed 's/^[A-Za-z-]*: //' |
    tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' |
    sort -u | tr '\n' ',' | sed 's/,$//')
DEPS="${DEPS:+$DEPS,}init-system-helpers"
echo "# chroot packages: $DEPS"
DEPSUM=$(printf '%s' "$DEPS" | cksum | cut -d ' ' -f 1)
CACHE=$TOP/build/cache/chroot-$SUITE-$ARCH-$DEPSUM.tar
if [ ! -s "$CACHE" ]; then
	mkdir -p "$(dirname "$CACHE")"
	mmdebstrap --quiet --variant=minbase --format=tar \
	    --include="$DEPS" \
	    "$SUITE" "$CACHE.tmp" >"$T_DIR/mmdebstrap.log" 2>&1 ||
	    t_hard_error "mmdebstrap failed: $(tail -n 10 "$T_DIR/mmdebstrap.log")"
	mv "$CACHE.tmp" "$CACHE"
fi
ROOT=$T_DIR/root
mkdir "$ROOT"
tar -C "$ROOT" -xf "$CACHE" || t_hard_error "cannot unpack $CACHE"
# No daemon starts in the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

# in_root COMMAND...: COMMAND in the chroot as root, with a clean
# environment; output in $T_DIR/out, $T_DIR/err, status in $T_DIR/rc.
in_root() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
	    chroot "$ROOT" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	echo $? >"$T_DIR/rc"
}

# --- Install.
cp "$DEB" "$ROOT/tmp/postie.deb"
in_root dpkg -i /tmp/postie.deb
assert_run "dpkg -i: installed" 0
# shellcheck disable=SC2016
in_root dpkg-query -W -f '${Status}' postie
assert_eq "dpkg: postie is installed" "$(cat "$T_DIR/out")" \
    "install ok installed"
assert_eq "/usr/sbin/sendmail: a relative link to postie" \
    "$(readlink "$ROOT/usr/sbin/sendmail")" "../bin/postie"
assert_eq "/usr/lib/sendmail: a relative link within /usr" \
    "$(readlink "$ROOT/usr/lib/sendmail")" "../sbin/sendmail"
assert_eq "mailq: a link to postie" "$(readlink "$ROOT/usr/bin/mailq")" \
    "postie"
assert_eq "newaliases: a link to postie" \
    "$(readlink "$ROOT/usr/bin/newaliases")" "postie"
assert_eq "the system queue: root's, mode 700" \
    "$(stat -c '%U %a' "$ROOT/var/spool/postie")" "root 700"
assert_eq "the drop spool: root's, mode 1733" \
    "$(stat -c '%U %a' "$ROOT/var/spool/postie-users")" "root 1733"
for _f in lib/systemd/system/postie-flush.service \
    lib/systemd/system/postie-flush.timer \
    usr/lib/systemd/user/postie-flush.service \
    usr/lib/systemd/user/postie-flush.timer \
    usr/share/man/man1/postie.1.gz usr/share/man/man5/postie.conf.5.gz \
    usr/share/man/man8/sendmail.8.gz usr/share/man/man1/mailq.1.gz \
    usr/share/man/man1/newaliases.1.gz \
    usr/share/bash-completion/completions/postie \
    usr/share/bash-completion/completions/sendmail \
    usr/share/doc/postie/postie.conf usr/share/doc/postie/copyright; do
	if [ -e "$ROOT/$_f" ]; then
		t_pass "installed: /$_f"
	else
		t_fail "installed: /$_f" "missing"
	fi
done
assert_line "the system unit runs the packaged postie" \
    "$ROOT/lib/systemd/system/postie-flush.service" "ExecStart=/usr/bin/postie -q"
# postinst enabled the system timer (no systemd runs here to start it).
if [ -L "$ROOT/etc/systemd/system/timers.target.wants/postie-flush.timer" ]
then
	t_pass "the system timer is enabled"
else
	t_fail "the system timer is enabled" "no link in timers.target.wants"
fi

# --- sendmail -t in the chroot to a server on the host's loopback.
server_start
cat >"$ROOT/etc/postie.conf" <<EOC
defaults
syslog off
tls off
timeout 20

account relay
host 127.0.0.1
port $SRV_PORT
from root@chroot.example.org
domain chroot.example.org

account default : relay
EOC
chmod 600 "$ROOT/etc/postie.conf"
printf 'From: root@chroot.example.org\nTo: admin@example.org\nSubject: from the chroot\n\nhello from the package\n' \
    >"$ROOT/tmp/in.eml"
in_root sh -c '/usr/sbin/sendmail -t </tmp/in.eml'
assert_run "sendmail -t in the chroot: exit 0" 0
assert_eq "the server got one message" "$(srv_nmessages)" 1
assert_eq "its envelope" "$(srv_envelope 1)" \
    "root@chroot.example.org admin@example.org"
assert_contains "its body" "$SRV_RECORD/1.eml" "hello from the package"
assert_eq "nothing left in the chroot's queue" \
    "$(find "$ROOT/var/spool/postie" -name '*.env' | wc -l)" 0
in_root /usr/bin/mailq
assert_run "mailq in the chroot: exit 0" 0

# --- Remove, then purge.
in_root dpkg -r postie
assert_run "dpkg -r: removed" 0
for _f in usr/bin/postie usr/sbin/sendmail usr/lib/sendmail usr/bin/mailq \
    lib/systemd/system/postie-flush.timer; do
	if [ -e "$ROOT/$_f" ] || [ -L "$ROOT/$_f" ]; then
		t_fail "dpkg -r: /$_f is gone" "still there"
	else
		t_pass "dpkg -r: /$_f is gone"
	fi
done
in_root dpkg --purge postie
assert_run "dpkg --purge: purged" 0
if [ -e "$ROOT/var/spool/postie" ] || [ -e "$ROOT/var/spool/postie-users" ]
then
	t_fail "purge: the empty spools are gone" "$(ls -d "$ROOT"/var/spool/postie*)"
else
	t_pass "purge: the empty spools are gone"
fi

t_done

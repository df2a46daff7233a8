# SPDX-License-Identifier: ISC
"""SMTP server for the integration tests.

A recording submission server built on aiosmtpd (STARTTLS or implicit TLS,
AUTH PLAIN and LOGIN, and with --auth-mechs CRAM-MD5, SCRAM-SHA-1,
SCRAM-SHA-256, SCRAM-SHA-256-PLUS (tls-unique: TLS 1.2 only), XOAUTH2,
OAUTHBEARER and EXTERNAL; SIZE, PIPELINING) with switches that make it
misbehave at a chosen point of the session.  Faults before the greeting
is complete are served by a small asyncio protocol of its own, since
aiosmtpd always greets correctly.

It listens on 127.0.0.1 on a port of its choosing, writes that port to
PORTFILE once it listens (written whole: a rename), and exits on SIGTERM,
SIGINT or when --lifetime seconds have passed, whichever comes first.

Every line the client sends is appended to the transcript as "C: LINE"
(AUTH payloads included, as received), every reply as "S: LINE", and
events as "* ...".  With --record DIR each accepted message N (from 1)
is written as DIR/N.json (envelope) and DIR/N.eml (the DATA bytes after
removing dot-stuffing, line endings as received).
"""

import argparse
import asyncio
import base64
import fcntl
import hashlib
import hmac
import json
import logging
import os
import signal
import ssl
import sys
import time
import types
import warnings

try:
    from aiosmtpd.smtp import MISSING, SMTP, AuthResult
except ImportError as e:
    print("server.py: cannot import aiosmtpd: %s (python %s)" %
          (e, sys.executable), file=sys.stderr)
    sys.exit(99)

STAGES = ("greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data",
          "dot")
# --stall-at tls: STARTTLS answered 220, then no handshake.
STALL_STAGES = STAGES + ("tls",)
# Where --close-at drops the connection without a reply: before the
# greeting, after reading EHLO, after reading the client's first TLS
# handshake bytes, at the command after a successful AUTH, after reading
# the first line of the message (mid-DATA).
CLOSE_STAGES = ("greeting", "ehlo", "tls", "auth", "data")
MECHS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
         "SCRAM-SHA-256-PLUS", "XOAUTH2", "OAUTHBEARER", "EXTERNAL")
FOREVER = 10 ** 6


class Transcript:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8", errors="backslashreplace",
                      buffering=1) if path else None

    def line(self, prefix, data):
        if self.f is None:
            return
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="backslashreplace")
        self.f.write(prefix + data + "\n")


class LineLogger:
    """Split the client's bytes into lines for the transcript."""

    def __init__(self, transcript):
        self.t = transcript
        self.buf = b""

    def feed(self, data):
        self.buf += data
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                break
            line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
            self.t.line("C: ", line.rstrip(b"\r\n"))

    def flush(self):
        if self.buf:
            self.t.line("C: ", self.buf + b" [no line end]")
            self.buf = b""


def parse_reply(spec):
    """STAGE[:FILTER]=CODE TEXT -> (stage, filter, reply)"""
    stage, sep, reply = spec.partition("=")
    if not sep or len(reply) < 3 or not reply[:3].isdigit():
        raise argparse.ArgumentTypeError("want STAGE[:FILTER]=CODE TEXT")
    stage, _, filt = stage.partition(":")
    if stage not in STAGES:
        raise argparse.ArgumentTypeError("stage must be one of " +
                                         ", ".join(STAGES))
    return (stage, filt, reply)


class Handler:
    """aiosmtpd hooks: recording and the faults inside a session."""

    def __init__(self, opts, transcript):
        self.o = opts
        self.t = transcript
        self.count = 0

    def reply_for(self, stage, arg=""):
        for st, filt, reply in self.o.reply_at:
            if st == stage and (not filt or filt in arg):
                return reply
        return None

    async def stall(self, stage):
        if self.o.stall_at == stage:
            self.t.line("* ", "stalling at " + stage)
            await asyncio.sleep(FOREVER)

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        if self.o.close_at == "ehlo":
            server.hang_up("after EHLO")
            await asyncio.sleep(FOREVER)
        await self.stall("ehlo")
        reply = self.reply_for("ehlo", hostname)
        if reply:
            return [reply]
        out = []
        for r in responses:
            text = r[4:]
            if text.startswith("AUTH") and not self.o.auth:
                continue
            if text == "8BITMIME" and self.o.no_8bitmime:
                continue
            out.append("250-" + text)
        if not self.o.no_pipelining:
            out.insert(1, "250-PIPELINING")
        if self.o.dsn:
            out.insert(1, "250-DSN")
        out[-1] = "250 " + out[-1][4:]
        return out

    def handle_STARTTLS(self, server, session, envelope):
        obj = session.ssl.get("ssl_object") if session.ssl else None
        self.t.line("* ", "tls started %s" %
                    (obj.version() if obj else "?"))
        return True

    async def handle_MAIL(self, server, session, envelope, address, options):
        await self.stall("mail")
        reply = self.reply_for("mail", address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        await self.stall("rcpt")
        reply = self.reply_for("rcpt", address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        await self.stall("dot")
        if self.o.close_after_dot:
            self.t.line("* ", "closing after the final dot")
            (server._original_transport or server.transport).abort()
            await asyncio.sleep(FOREVER)
        reply = self.reply_for("dot")
        if reply:
            return reply
        self.count += 1
        server.nmessages += 1
        if self.o.record:
            base = os.path.join(self.o.record, str(self.count))
            with open(base + ".eml", "wb") as f:
                f.write(envelope.original_content)
            with open(base + ".json.tmp", "w") as f:
                json.dump({"mail_from": envelope.mail_from,
                           "rcpt_tos": envelope.rcpt_tos,
                           "mail_options": envelope.mail_options,
                           "rcpt_options": envelope.rcpt_options,
                           "auth_user": session.login_data.decode()
                           if isinstance(session.login_data, bytes)
                           else None}, f)
            os.rename(base + ".json.tmp", base + ".json")
        self.t.line("* ", "accepted message %d" % self.count)
        return "250 2.0.0 queued as %d" % self.count


class Server(SMTP):
    # Lines up to 1000 octets are all RFC 5321 promises; accept more so
    # that a test can see exactly what the client sent.
    line_length_limit = 65536
    command_size_limit = 4096

    def __init__(self, handler, opts, transcript, **kw):
        super().__init__(handler, **kw)
        self.o = opts
        self.t = transcript
        self.lines = LineLogger(transcript)
        self.nmessages = 0
        self.raw_tls = False    # STARTTLS answered, handshake not served

    def connection_made(self, transport):
        if self.transport is None:
            self.t.line("* ", "connect")
        super().connection_made(transport)

    def hang_up(self, where):
        """Close the connection at once, without a reply."""
        self.t.line("* ", "closing " + where)
        (self._original_transport or self.transport).abort()

    def data_received(self, data):
        if self.raw_tls:
            self.t.line("* ", "%d bytes of TLS handshake" % len(data))
            if self.o.close_at == "tls":
                self.hang_up("during the TLS handshake")
                return
        else:
            self.lines.feed(data)
        if (self.o.close_at == "auth" and self.session is not None and
                self.session.authenticated):
            self.hang_up("after AUTH, at the next command")
            return
        super().data_received(data)

    def connection_lost(self, error):
        self.lines.flush()
        self.t.line("* ", "disconnect")
        super().connection_lost(error)

    async def push(self, status):
        if self.o.delay:
            await asyncio.sleep(self.o.delay)
        self.t.line("S: ", status)
        await super().push(status)

    def _getparams(self, params):
        # aiosmtpd knows no DSN parameters: with --dsn, let them through
        # (the handler records them as given).
        result = super()._getparams(params)
        if self.o.dsn and result is not None:
            for k in ("RET", "ENVID", "NOTIFY", "ORCPT"):
                result.pop(k, None)
        return result

    async def smtp_STARTTLS(self, arg):
        if self.o.starttls_inject and not arg:
            data = b"220 go ahead\r\n250 injected\r\n"
            self.t.line("S: ", "220 go ahead")
            self.t.line("S: ", "250 injected")
            self._writer.write(data)
            await self._writer.drain()
            await asyncio.sleep(FOREVER)
        if not arg:
            await self.event_handler.stall("starttls")
            reply = self.event_handler.reply_for("starttls")
            if reply:
                await self.push(reply)
                return
        if not arg and (self.o.close_at == "tls" or
                        self.o.stall_at == "tls"):
            # Take the client's handshake bytes and serve none.
            self.raw_tls = True
            await self.push("220 2.0.0 Ready to start TLS")
            await self.event_handler.stall("tls")
            await asyncio.sleep(FOREVER)
        await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        await self.event_handler.stall("auth")
        reply = self.event_handler.reply_for("auth", arg)
        if reply:
            await self.push(reply)
            return
        await super().smtp_AUTH(arg)

    # --- The mechanisms aiosmtpd lacks (auth_NAME, "__" for "-").

    def creds(self):
        user, _, password = self.o.auth.partition(":")
        return user.encode(), password.encode()

    def ssl_object(self):
        info = self.session.ssl
        obj = info.get("ssl_object") if isinstance(info, dict) else None
        return obj or self.transport.get_extra_info("ssl_object")

    async def initial(self, args):
        if len(args) > 1:
            if args[1] == "=":
                return b""
            try:
                return base64.b64decode(args[1], validate=True)
            except ValueError:
                await self.push("501 5.5.2 Can't decode base64")
                return MISSING
        return await self.challenge_auth("")

    @staticmethod
    def ok(login):
        return AuthResult(success=True,
                          auth_data=types.SimpleNamespace(login=login))

    async def auth_CRAM__MD5(self, _, args):
        user, password = self.creds()
        chal = b"<%d.%d@localhost>" % (os.getpid(), id(self))
        resp = await self.challenge_auth(chal)
        if resp is MISSING:
            return AuthResult(success=False, handled=True)
        login, _, digest = resp.rpartition(b" ")
        want = hmac.new(password, chal, "md5").hexdigest().encode()
        if login == user and hmac.compare_digest(digest, want):
            return self.ok(login)
        return AuthResult(success=False, handled=False)

    async def scram(self, args, hname, plus):
        user, password = self.creds()
        first = await self.initial(args)
        if first is MISSING:
            return AuthResult(success=False, handled=True)
        try:
            flag, authz, bare = first.split(b",", 2)
            attrs = dict(a.split(b"=", 1) for a in bare.split(b","))
            login = attrs[b"n"].replace(b"=2C", b",").replace(b"=3D", b"=")
            cnonce = attrs[b"r"]
        except (ValueError, KeyError):
            await self.push("501 5.5.2 malformed client-first-message")
            return AuthResult(success=False, handled=True)
        self.t.line("* ", "scram gs2 " + flag.decode())
        cbdata = b""
        if plus:
            obj = self.ssl_object()
            if flag != b"p=tls-unique" or obj is None:
                await self.push("535 5.7.8 channel binding type not "
                                "supported by this server")
                return AuthResult(success=False, handled=True)
            cbdata = obj.get_channel_binding("tls-unique") or b""
        elif flag == b"y" and "SCRAM-SHA-256-PLUS" in self.o.auth_mechs:
            # RFC 5802 6: the client saw no -PLUS: a downgrade.
            await self.push("535 5.7.8 channel binding downgrade")
            return AuthResult(success=False, handled=True)
        snonce = cnonce + base64.b64encode(os.urandom(12))
        salt = os.urandom(16)
        sfirst = b"r=%s,s=%s,i=4096" % (snonce, base64.b64encode(salt))
        final = await self.challenge_auth(sfirst)
        if final is MISSING:
            return AuthResult(success=False, handled=True)
        try:
            without, _, proof = final.rpartition(b",p=")
            fattrs = dict(a.split(b"=", 1) for a in without.split(b","))
            proof = base64.b64decode(proof, validate=True)
            cbind = base64.b64decode(fattrs[b"c"], validate=True)
        except (ValueError, KeyError):
            await self.push("501 5.5.2 malformed client-final-message")
            return AuthResult(success=False, handled=True)
        salted = hashlib.pbkdf2_hmac(hname, password, salt, 4096)
        ckey = hmac.new(salted, b"Client Key", hname).digest()
        stored = hashlib.new(hname, ckey).digest()
        authmsg = bare + b"," + sfirst + b"," + without
        csig = hmac.new(stored, authmsg, hname).digest()
        got = bytes(a ^ b for a, b in zip(proof, csig))
        if (login != user or fattrs.get(b"r") != snonce or
                cbind != flag + b"," + authz + b"," + cbdata or
                len(proof) != len(csig) or
                hashlib.new(hname, got).digest() != stored):
            return AuthResult(success=False, handled=False)
        skey = hmac.new(salted, b"Server Key", hname).digest()
        ssig = hmac.new(skey, authmsg, hname).digest()
        if self.o.scram_bad_signature:
            ssig = bytes([ssig[0] ^ 1]) + ssig[1:]
        resp = await self.challenge_auth(b"v=" + base64.b64encode(ssig))
        if resp is MISSING:
            return AuthResult(success=False, handled=True)
        return self.ok(login)

    async def auth_SCRAM__SHA__1(self, _, args):
        return await self.scram(args, "sha1", False)

    async def auth_SCRAM__SHA__256(self, _, args):
        return await self.scram(args, "sha256", False)

    async def auth_SCRAM__SHA__256__PLUS(self, _, args):
        return await self.scram(args, "sha256", True)

    def token_ok(self, token):
        """--oauth-token, or a token oauthd.py issued that lives."""
        if token is None:
            return False
        if not self.o.oauth_state:
            return token == (self.o.oauth_token or "").encode()
        with open(self.o.oauth_state + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            with open(self.o.oauth_state) as f:
                access = json.load(f)["access"]
        expiry = access.get(token.decode(errors="replace"))
        ok = expiry is not None and expiry > time.time()
        self.t.line("* ", "OAuth token %s" % (
            "accepted" if ok else "unknown" if expiry is None else
            "expired"))
        return ok

    async def oauth(self, args, name, error, dummy):
        user, _ = self.creds()
        data = await self.initial(args)
        if data is MISSING:
            return AuthResult(success=False, handled=True)
        fields = data.split(b"\x01")
        login = token = None
        for f in fields:
            if f.startswith(b"user="):
                login = f[5:]
            elif f.startswith(b"n,a=") and f.endswith(b","):
                login = f[4:-1]
            elif f.startswith(b"auth=Bearer "):
                token = f[12:]
        good = (not self.o.oauth_fail and login == user and
                self.token_ok(token) and data.endswith(b"\x01\x01"))
        if good:
            return self.ok(login)
        resp = await self.challenge_auth(json.dumps(error).encode())
        if resp is MISSING:
            return AuthResult(success=False, handled=True)
        self.t.line("* ", "%s dummy response %s" %
                    (name, "ok" if resp == dummy else "wrong"))
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 %s token not accepted" % name)

    async def auth_XOAUTH2(self, _, args):
        return await self.oauth(args, "XOAUTH2", {
            "status": "400", "schemes": "Bearer",
            "scope": "https://mail.google.com/"}, b"")

    async def auth_OAUTHBEARER(self, _, args):
        return await self.oauth(args, "OAUTHBEARER", {
            "status": "invalid_token", "scope": "mail"}, b"\x01")

    async def auth_EXTERNAL(self, _, args):
        data = await self.initial(args)
        if data is MISSING:
            return AuthResult(success=False, handled=True)
        obj = self.ssl_object()
        cert = obj.getpeercert() if obj is not None else None
        if not cert:
            return AuthResult(success=False, handled=False,
                              message="535 5.7.8 no client certificate")
        cn = dict(x[0] for x in cert["subject"]).get("commonName", "")
        self.t.line("* ", "external certificate %s authzid %s" %
                    (cn, data.decode()))
        return self.ok(cn.encode())

    async def smtp_MAIL(self, arg):
        if self.o.max_messages and self.nmessages >= self.o.max_messages:
            self.t.line("* ", "closing after %d messages" % self.nmessages)
            await self.push("421 4.7.0 enough messages for one connection")
            self.transport.close()
            return
        await super().smtp_MAIL(arg)

    async def smtp_DATA(self, arg):
        if self.envelope.rcpt_tos and not arg:
            await self.event_handler.stall("data")
            reply = self.event_handler.reply_for("data")
            if reply:
                await self.push(reply)
                return
            if self.o.close_at == "data":
                await self.push("354 End data with <CR><LF>.<CR><LF>")
                await self._reader.readuntil(b"\r\n")
                self.hang_up("mid-DATA")
                await asyncio.sleep(FOREVER)
        await super().smtp_DATA(arg)


class GreetingFault(asyncio.Protocol):
    """Sessions that go wrong before or at the greeting."""

    def __init__(self, opts, transcript, reply):
        self.o = opts
        self.t = transcript
        self.reply = reply
        self.lines = LineLogger(transcript)

    def write(self, text):
        self.t.line("S: ", text)
        self.transport.write(text.encode() + b"\r\n")

    def connection_made(self, transport):
        self.transport = transport
        self.t.line("* ", "connect")
        if self.o.close_at == "greeting":
            self.t.line("* ", "closing before the greeting")
            transport.abort()
        elif self.o.malformed_greeting:
            self.write("2x0 this is not a greeting")
        elif self.reply:
            self.write(self.reply)
        else:
            self.t.line("* ", "stalling at greeting")

    def data_received(self, data):
        self.lines.feed(data)
        if self.o.stall_at == "greeting":
            return
        if data.upper().startswith(b"QUIT"):
            self.write("221 2.0.0 bye")
            self.transport.close()

    def connection_lost(self, error):
        self.lines.flush()
        self.t.line("* ", "disconnect")


def tls_context(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    if opts.client_ca:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(opts.client_ca)
    if opts.tls_max:
        ctx.maximum_version = {
            "1.2": ssl.TLSVersion.TLSv1_2,
            "1.3": ssl.TLSVersion.TLSv1_3}[opts.tls_max]
    if opts.tls_old:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login == user.encode() and
              auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False,
                          auth_data=auth_data if ok else None)
    return check


def options(argv):
    p = argparse.ArgumentParser(description="SMTP server for tests")
    p.add_argument("portfile", help="where to write the port")
    p.add_argument("--transcript", help="append the session here")
    p.add_argument("--lifetime", type=float, default=600,
                   help="exit after this many seconds (default 600)")
    p.add_argument("--cert", help="certificate (PEM) for TLS")
    p.add_argument("--key", help="its private key")
    p.add_argument("--starttls", action="store_true",
                   help="offer STARTTLS (needs --cert, --key)")
    p.add_argument("--implicit-tls", action="store_true",
                   help="TLS from the first byte (needs --cert, --key)")
    p.add_argument("--tls-max", choices=("1.2", "1.3"),
                   help="highest TLS version to accept")
    p.add_argument("--auth", metavar="USER:PASS",
                   help="offer AUTH PLAIN and LOGIN and require it")
    p.add_argument("--auth-cleartext", action="store_true",
                   help="offer AUTH without TLS too")
    p.add_argument("--no-pipelining", action="store_true")
    p.add_argument("--no-smtputf8", action="store_true")
    p.add_argument("--no-8bitmime", action="store_true",
                   help="do not offer 8BITMIME (RFC 6152)")
    p.add_argument("--size", type=int, help="advertise SIZE N and enforce")
    p.add_argument("--record", metavar="DIR",
                   help="write accepted messages to DIR")
    p.add_argument("--no-starttls-offer", action="store_true",
                   help="do not offer STARTTLS")
    p.add_argument("--starttls-inject", action="store_true",
                   help="answer STARTTLS with two replies in one write")
    p.add_argument("--stall-at", choices=STALL_STAGES,
                   help="stop answering at this point")
    p.add_argument("--close-after-dot", action="store_true",
                   help="close without a reply after the final dot")
    p.add_argument("--close-at", choices=CLOSE_STAGES,
                   help="close the connection without a reply here: "
                   "before the greeting, after EHLO, during the TLS "
                   "handshake, at the command after a successful AUTH, "
                   "mid-DATA")
    p.add_argument("--max-messages", type=int, metavar="N",
                   help="answer MAIL with 421 and close once a connection "
                   "has taken N messages")
    p.add_argument("--reply-at", type=parse_reply, action="append",
                   default=[], metavar="STAGE[:FILTER]=CODE TEXT",
                   help="reply this at STAGE (for an address containing "
                   "FILTER, at mail and rcpt)")
    p.add_argument("--malformed-greeting", action="store_true")
    p.add_argument("--auth-mechs", metavar="LIST", default="PLAIN LOGIN",
                   help="mechanisms offered with --auth (space or comma "
                   "separated; default PLAIN LOGIN; any of %s)" %
                   " ".join(MECHS))
    p.add_argument("--scram-bad-signature", action="store_true",
                   help="send a wrong SCRAM server signature")
    p.add_argument("--oauth-token", metavar="TOKEN",
                   help="the access token XOAUTH2 and OAUTHBEARER accept")
    p.add_argument("--oauth-state", metavar="FILE",
                   help="accept the live access tokens of oauthd.py's "
                   "state FILE")
    p.add_argument("--oauth-fail", action="store_true",
                   help="refuse every token with the JSON error challenge")
    p.add_argument("--client-ca", metavar="FILE",
                   help="ask for a client certificate signed by FILE "
                   "(for EXTERNAL)")
    p.add_argument("--dsn", action="store_true",
                   help="offer DSN and accept its MAIL and RCPT parameters")
    p.add_argument("--tls-old", action="store_true",
                   help="accept TLS 1.0 and 1.1 only")
    p.add_argument("--delay", type=float, default=0, metavar="SECONDS",
                   help="wait this long before sending each reply")
    o = p.parse_args(argv)
    if (o.starttls or o.implicit_tls) and not (o.cert and o.key):
        p.error("TLS needs --cert and --key")
    if o.starttls_inject:
        o.starttls = True
    if o.starttls_inject and not (o.cert and o.key):
        p.error("--starttls-inject needs --cert and --key")
    if o.auth and ":" not in o.auth:
        p.error("--auth wants USER:PASS")
    o.auth_mechs = o.auth_mechs.replace(",", " ").upper().split()
    for m in o.auth_mechs:
        if m not in MECHS:
            p.error("--auth-mechs: unknown mechanism " + m)
    return o


async def serve(o):
    loop = asyncio.get_running_loop()
    t = Transcript(o.transcript)
    ctx = tls_context(o) if (o.starttls or o.implicit_tls) else None
    greeting_reply = None
    for st, _, reply in o.reply_at:
        if st == "greeting":
            greeting_reply = reply
    if (o.malformed_greeting or greeting_reply or
            o.stall_at == "greeting" or o.close_at == "greeting"):
        def factory():
            return GreetingFault(o, t, greeting_reply)
    else:
        handler = Handler(o, t)
        kw = dict(hostname="localhost", ident="postie-test",
                  data_size_limit=o.size,
                  enable_SMTPUTF8=not o.no_smtputf8,
                  timeout=o.lifetime,
                  tls_context=None if (o.implicit_tls or
                                       o.no_starttls_offer) else ctx,
                  auth_require_tls=not (o.auth_cleartext or o.implicit_tls),
                  auth_required=bool(o.auth),
                  auth_exclude_mechanism=[m for m in MECHS
                                          if m not in o.auth_mechs])
        if o.auth:
            user, _, password = o.auth.partition(":")
            kw["authenticator"] = authenticator(user, password)

        def factory():
            return Server(handler, o, t, loop=loop, **kw)

    server = await loop.create_server(
        factory, host="127.0.0.1", port=0,
        ssl=ctx if o.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    with open(o.portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(o.portfile + ".tmp", o.portfile)

    done = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, done.set)
    loop.call_later(o.lifetime, done.set)
    await done.wait()
    server.close()


def main(argv):
    o = options(argv)
    logging.basicConfig(level=logging.CRITICAL)
    warnings.simplefilter("ignore")
    if o.record:
        os.makedirs(o.record, exist_ok=True)
    asyncio.run(serve(o))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

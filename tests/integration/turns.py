#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A turn-counting SMTP server for tests, on 127.0.0.1.

Counts round trips as bench/sink.c does: the times the server had sent
something the client must read first (a reply, a TLS handshake flight)
and then had to wait for the client, nothing having arrived yet.  Replies
are held until the server runs out of input, as a pipelining server does,
and readiness is looked at before they are sent, so that a fast client
cannot hide a round trip.  TLS runs over memory BIOs so that its flights
are counted the same way.

Speaks EHLO (PIPELINING, 8BITMIME, SIZE, ENHANCEDSTATUSCODES, AUTH PLAIN,
STARTTLS before TLS, CHUNKING with --chunking), STARTTLS or implicit TLS,
AUTH PLAIN, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT.  Each session
appends one line to the stats file:

    waits=N at=cmd,EHLO,... auth=ok|fail|none msgs=N bdat=N data=N

and each accepted message is written, as received (CRLF, no dot-stuffing
for DATA once undone), to RECORD/N.eml.  Serves one session at a time.
"""
import argparse
import base64
import os
import select
import socket
import ssl
import sys
import time


class Conn:
    def __init__(self, sock, o, ctx):
        self.sock = sock
        self.o = o
        self.ctx = ctx
        self.tls = None         # the SSLObject once the handshake is done
        self.hs = None          # the SSLObject during the handshake
        self.inbio = self.outbio = None
        self.out = bytearray()  # replies held
        self.inbuf = bytearray()
        self.solicited = False
        self.waits = 0
        self.trace = []
        self.at = "cmd"
        self.auth = "none"
        self.msgs = self.bdat = self.data = 0
        self.eof = False

    # -- output and the round-trip count ---------------------------------

    def reply(self, line):
        self.out += line.encode() + b"\r\n"
        self.solicited = True

    def flush(self):
        data = b""
        if self.tls is not None:
            if self.out:
                self.tls.write(bytes(self.out))
        else:
            data = bytes(self.out)
        self.out.clear()
        if self.outbio is not None:
            data += self.outbio.read()
        if data:
            self.sock.setblocking(True)
            self.sock.sendall(data)
            self.sock.setblocking(False)

    def await_input(self):
        ready = bool(select.select([self.sock], [], [], 0)[0])
        if self.tls is not None and self.tls.pending():
            ready = True
        self.flush()
        if not ready and self.solicited:
            self.solicited = False
            self.waits += 1
            self.trace.append(self.at)
        select.select([self.sock], [], [])

    def recv_raw(self):
        while True:
            try:
                return self.sock.recv(65536)
            except BlockingIOError:
                self.await_input()
            except ConnectionResetError:
                return b""

    # -- input -------------------------------------------------------------

    def fill(self):
        """More bytes into inbuf; False at the end of the stream."""
        if self.tls is None:
            d = self.recv_raw()
            if not d:
                self.eof = True
                return False
            self.inbuf += d
            return True
        while True:
            try:
                d = self.tls.read(65536)
                if not d:
                    self.eof = True
                    return False
                self.inbuf += d
                return True
            except ssl.SSLWantReadError:
                raw = self.recv_raw()
                if not raw:
                    self.eof = True
                    return False
                self.inbio.write(raw)
            except (ssl.SSLZeroReturnError, ssl.SSLError):
                self.eof = True
                return False

    def raw_line(self, limit):
        """The next line as bytes, without CRLF; None at the end."""
        while b"\n" not in self.inbuf:
            if len(self.inbuf) > limit or not self.fill():
                return None
        i = self.inbuf.index(b"\n")
        ln = bytes(self.inbuf[:i + 1])
        del self.inbuf[:i + 1]
        return ln.rstrip(b"\r\n")

    def line(self):
        ln = self.raw_line(4096)
        return None if ln is None else ln.decode("utf-8", "replace")

    def take(self, n):
        while len(self.inbuf) < n:
            if not self.fill():
                return None
        d = bytes(self.inbuf[:n])
        del self.inbuf[:n]
        return d

    def handshake(self):
        self.at = "tls"
        self.inbio = ssl.MemoryBIO()
        self.outbio = ssl.MemoryBIO()
        self.hs = self.ctx.wrap_bio(self.inbio, self.outbio,
                                    server_side=True)
        if self.inbuf:
            return False    # bytes after STARTTLS: refuse
        while True:
            try:
                self.hs.do_handshake()
                break
            except ssl.SSLWantReadError:
                if self.outbio.pending:
                    self.solicited = True
                raw = self.recv_raw()
                if not raw:
                    return False
                self.inbio.write(raw)
            except ssl.SSLError:
                return False
        # What TLS 1.3 sends after the handshake (session tickets) is no
        # answer the client waits for: it does not make a round trip.
        self.tls = self.hs
        return True

    # -- the dialogue --------------------------------------------------------

    def ehlo(self):
        lines = ["mx.test", "PIPELINING", "8BITMIME", "SIZE 10485760",
                 "ENHANCEDSTATUSCODES"]
        if self.o.chunking:
            lines.append("CHUNKING")
        if self.tls is None and self.o.starttls:
            lines.append("STARTTLS")
        else:
            lines.append("AUTH PLAIN")
        for i, ln in enumerate(lines):
            self.reply("250" + ("-" if i < len(lines) - 1 else " ") + ln)

    def check_plain(self, b64):
        try:
            parts = base64.b64decode(b64, validate=True).split(b"\0")
        except ValueError:
            return False
        want = self.o.auth.encode().split(b":", 1)
        return len(parts) == 3 and parts[1:] == want

    def record(self, body):
        self.msgs += 1
        if self.o.record:
            os.makedirs(self.o.record, exist_ok=True)
            path = os.path.join(self.o.record, "%d.eml" % self.msgs)
            with open(path, "wb") as f:
                f.write(body)

    def serve(self):
        if self.o.implicit_tls and not self.handshake():
            return
        self.reply("220 mx.test ESMTP turns")
        self.at = "cmd"
        mail = False
        rcpts = 0
        chunks = bytearray()
        bdat_bad = False
        while True:
            ln = self.line()
            if ln is None:
                return
            verb = ln.split(" ", 1)[0].upper()
            self.at = verb
            if verb in ("EHLO", "HELO"):
                self.ehlo()
            elif verb == "STARTTLS" and self.tls is None:
                self.reply("220 2.0.0 ready")
                if not self.handshake():
                    return
            elif verb == "AUTH":
                words = ln.split()
                if len(words) == 3 and self.check_plain(words[2]):
                    self.auth = "ok"
                    self.reply("235 2.7.0 ok")
                else:
                    self.auth = "fail"
                    self.reply("535 5.7.8 authentication failed")
            elif verb == "MAIL":
                if self.o.auth and self.auth != "ok" and not self.o.relay:
                    self.reply("530 5.7.0 authentication required")
                else:
                    mail = True
                    rcpts = 0
                    self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                if mail:
                    rcpts += 1
                    self.reply("250 2.1.5 ok")
                else:
                    self.reply("503 5.5.1 MAIL first")
            elif verb == "DATA":
                if not rcpts:
                    self.reply("503 5.5.1 no valid recipients")
                    continue
                self.reply("354 go ahead")
                self.at = "data"
                body = bytearray()
                while True:
                    d = self.raw_line(1 << 20)
                    if d is None:
                        return
                    if d == b".":
                        break
                    body += (d[1:] if d.startswith(b".") else d) + b"\r\n"
                self.data += 1
                self.record(bytes(body))
                self.reply("250 2.0.0 queued")
                mail = False
                rcpts = 0
            elif verb == "BDAT":
                words = ln.split()
                last = len(words) == 3 and words[2].upper() == "LAST"
                self.at = "bdat"
                d = self.take(int(words[1]))
                if d is None:
                    return
                self.bdat += 1
                if not rcpts or bdat_bad:
                    bdat_bad = True
                    self.reply("503 5.5.1 no valid recipients")
                else:
                    chunks += d
                    self.reply("250 2.0.0 %s" % ("queued" if last else
                                                 "chunk ok"))
                if last:
                    if not bdat_bad:
                        self.record(bytes(chunks))
                    chunks.clear()
                    bdat_bad = False
                    mail = False
                    rcpts = 0
            elif verb == "RSET":
                mail = False
                rcpts = 0
                chunks.clear()
                self.reply("250 2.0.0 ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                if self.o.quit_stall:
                    self.flush()
                    time.sleep(self.o.quit_stall)
                    return
                self.reply("221 2.0.0 bye")
                self.flush()
                return
            else:
                self.reply("500 5.5.2 what")

    def stats(self):
        return "waits=%d at=%s auth=%s msgs=%d bdat=%d data=%d\n" % (
            self.waits, ",".join(self.trace), self.auth, self.msgs,
            self.bdat, self.data)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("portfile")
    p.add_argument("--stats", required=True)
    p.add_argument("--record")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--chunking", action="store_true")
    p.add_argument("--auth", metavar="USER:PASS", default="")
    p.add_argument("--relay", action="store_true",
                   help="take mail without AUTH (a relay by address)")
    p.add_argument("--quit-stall", type=float, default=0,
                   metavar="SECONDS", help="answer QUIT with silence")
    p.add_argument("--lifetime", type=float, default=600)
    o = p.parse_args()

    ctx = None
    if o.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(o.cert, o.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    tmp = o.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(tmp, o.portfile)
    end = time.monotonic() + o.lifetime
    while time.monotonic() < end:
        r = select.select([ls], [], [], 0.5)[0]
        if not r:
            continue
        s, _ = ls.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        c = Conn(s, o, ctx)
        try:
            c.serve()
        except (OSError, ValueError) as e:
            sys.stderr.write("turns: %s\n" % e)
        finally:
            s.close()
        with open(o.stats, "a") as f:
            f.write(c.stats())
    return 0


if __name__ == "__main__":
    sys.exit(main())

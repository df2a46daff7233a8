# SPDX-License-Identifier: ISC
"""Network stand-ins for the connection tests.

  proxy.py socks5 PORTFILE LOG [--map NAME=ADDR]... [--refuse CODE]
          [--auth-only]
      A SOCKS5 server (RFC 1928) on 127.0.0.1: no authentication only,
      CONNECT only.  Each request is appended to LOG as one line,
      "CONNECT ATYP HOST PORT" (ATYP 1 IPv4, 3 a name, 4 IPv6).  It
      resolves names itself, from --map only (NAME=127.0.0.1): an
      unmapped name is answered 4 (host unreachable).  --refuse CODE
      answers every CONNECT with that reply code; --auth-only accepts
      none of the methods offered (as a proxy that wants a password).
  proxy.py unix PATH PORT
      Forward each connection to the Unix socket PATH to 127.0.0.1:PORT;
      PATH exists once it listens.
  proxy.py blackhole PORTFILE PORT
      Listen on [::1]:PORT with a backlog of 0, then fill the backlog
      with connections that are never accepted, so that the kernel drops
      the SYNs of any further connection: a host whose IPv6 address
      black-holes.  PORTFILE is written once that is so.

Each exits on SIGTERM or after 60 seconds.
"""

import argparse
import asyncio
import ipaddress
import os
import select
import signal
import socket
import struct
import sys

LIFETIME = 60


def write_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass




def reply(code):
    # Bound address 0.0.0.0:0, as a refusing server may send.
    return bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])


class Socks5:
    def __init__(self, o):
        self.o = o
        self.map = dict(m.split("=", 1) for m in o.map)

    def log(self, line):
        with open(self.o.log, "a") as f:
            f.write(line + "\n")

    async def handle(self, reader, writer):
        try:
            ver, n = await reader.readexactly(2)
            methods = await reader.readexactly(n)
            if ver != 5 or 0 not in methods or self.o.auth_only:
                writer.write(bytes([5, 0xFF]))
                writer.close()
                return
            writer.write(bytes([5, 0]))
            ver, cmd, _, atyp = await reader.readexactly(4)
            if atyp == 1:
                host = str(ipaddress.IPv4Address(
                    await reader.readexactly(4)))
            elif atyp == 4:
                host = str(ipaddress.IPv6Address(
                    await reader.readexactly(16)))
            elif atyp == 3:
                ln = (await reader.readexactly(1))[0]
                host = (await reader.readexactly(ln)).decode("ascii",
                                                             "replace")
            else:
                writer.write(reply(8))
                writer.close()
                return
            port = struct.unpack("!H", await reader.readexactly(2))[0]
            self.log("CONNECT %d %s %d" % (atyp, host, port))
            if cmd != 1:
                writer.write(reply(7))
            elif self.o.refuse is not None:
                writer.write(reply(self.o.refuse))
            elif atyp == 3 and host not in self.map:
                writer.write(reply(4))
            else:
                try:
                    r2, w2 = await asyncio.open_connection(
                        self.map.get(host, host), port)
                except OSError:
                    writer.write(reply(5))
                else:
                    writer.write(reply(0))
                    await writer.drain()
                    await asyncio.gather(pipe(reader, w2), pipe(r2, writer))
                    return
            await writer.drain()
            writer.close()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            writer.close()

    async def serve(self):
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        write_file(self.o.portfile, "%d\n" %
                   server.sockets[0].getsockname()[1])
        await wait_done()
        server.close()


async def unix_forward(o):
    async def handle(reader, writer):
        try:
            r2, w2 = await asyncio.open_connection("127.0.0.1", o.port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, w2), pipe(r2, writer))

    server = await asyncio.start_unix_server(handle, o.path + ".tmp")
    os.rename(o.path + ".tmp", o.path)
    await wait_done()
    server.close()


async def wait_done():
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, done.set)
    loop.call_later(LIFETIME, done.set)
    await done.wait()


def blackhole(o):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::1", o.port))
    s.listen(0)
    held = []
    for _ in range(64):
        c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(("::1", o.port))
        except BlockingIOError:
            pass
        held.append(c)
        _, w, _ = select.select([], [c], [], 0.5)
        if not w:
            break
    else:
        print("proxy.py blackhole: the backlog never filled",
              file=sys.stderr)
        return 1
    write_file(o.portfile, "%d\n" % o.port)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    signal.alarm(LIFETIME)
    signal.pause()
    return 0


def main(argv):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("socks5")
    s.add_argument("portfile")
    s.add_argument("log")
    s.add_argument("--map", action="append", default=[])
    s.add_argument("--refuse", type=int)
    s.add_argument("--auth-only", action="store_true")
    u = sub.add_parser("unix")
    u.add_argument("path")
    u.add_argument("port", type=int)
    b = sub.add_parser("blackhole")
    b.add_argument("portfile")
    b.add_argument("port", type=int)
    o = p.parse_args(argv)
    if o.mode == "socks5":
        asyncio.run(Socks5(o).serve())
    elif o.mode == "unix":
        asyncio.run(unix_forward(o))
    else:
        return blackhole(o)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

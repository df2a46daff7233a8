#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A TCP relay on 127.0.0.1 that holds every chunk for a while.

    delay.py MS TARGET_PORT...

For each target port it listens on a free port of 127.0.0.1 (printed on
stdout, in the order given, on one line) and relays each connection to
127.0.0.1:TARGET_PORT, holding every chunk read for MS milliseconds in
each direction before writing it: a link with a round-trip time of
2 * MS, and no limit on bandwidth, for a kernel without netem.  The order
of the bytes is kept.  Runs until killed.
"""
import asyncio
import socket
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def release():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    task = asyncio.create_task(release())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()
        writer.close()


async def relay(target, delay, creader, cwriter):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cwriter.close()
        return
    for w in (cwriter, swriter):
        w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP,
                                              socket.TCP_NODELAY, 1)
    await asyncio.gather(pump(creader, swriter, delay),
                         pump(sreader, cwriter, delay),
                         return_exceptions=True)
    cwriter.close()
    swriter.close()


async def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: delay.py MS TARGET_PORT...\n")
        return 64
    delay = float(sys.argv[1]) / 1000
    ports = []
    servers = []
    for target in sys.argv[2:]:
        srv = await asyncio.start_server(
            lambda r, w, t=int(target): relay(t, delay, r, w),
            "127.0.0.1", 0)
        servers.append(srv)
        ports.append(str(srv.sockets[0].getsockname()[1]))
    print(" ".join(ports), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

# SPDX-License-Identifier: ISC
"""A DNS resolver that never answers.

    dnssink.py READYFILE LOG

Takes queries on 127.0.0.1:53, over UDP and TCP, and answers none: the
name asked for in each UDP query goes to LOG, one per line.  READYFILE
is written once both sockets listen.  Ends after 600 s, or when killed.
"""

import socket
import sys
import threading
import time


def qname(d):
    """The first question's name of a DNS message, or "?"."""
    i, labels = 12, []
    while i < len(d) and d[i] != 0:
        n = d[i]
        if n & 0xc0:
            return "?"
        labels.append(d[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels) or "?"


def main(argv):
    ready, logpath = argv
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", 53))
    t.listen(16)
    held = []

    def take():
        while True:
            c, _ = t.accept()
            held.append(c)
    threading.Thread(target=take, daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    end = time.monotonic() + 600
    log = open(logpath, "a")
    while time.monotonic() < end:
        u.settimeout(max(end - time.monotonic(), 0.1))
        try:
            d, _ = u.recvfrom(4096)
        except socket.timeout:
            break
        log.write(qname(d) + "\n")
        log.flush()


if __name__ == "__main__":
    main(sys.argv[1:])

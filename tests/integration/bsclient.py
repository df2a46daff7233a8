# SPDX-License-Identifier: ISC
"""An SMTP client for postie -bs, as PHP's mailers are: it writes a
command, then waits for its reply before the next, unless the script
pipelines.

usage: bsclient.py [--timeout S] [--exit N] [--stderr FILE] SCRIPT
           (-- COMMAND ARG... | --connect HOST:PORT)

It runs COMMAND with its standard input and output on pipes (or
connects to HOST:PORT, for socket activation) and follows SCRIPT, one
step a line:

    > TEXT      send TEXT and CR LF
    raw TEXT    send TEXT with Python escapes (\\r, \\n, \\x00) decoded
    < CODE [WORDS]
                read one reply (every line of it); its code must be CODE
                and its last line must hold WORDS when given
    await FILE  wait until FILE exists
    sleep S     wait S seconds
    close       close the sending side (the end of postie's input)
    eof         the output must end here: no reply comes

Every line sent is printed as "C: TEXT" and every line read as
"S: TEXT".  A reply or file that does not come within the timeout
(default 20 s each) fails rather than blocks; so does a process that
does not exit within it after the script.  With --exit N the process
must exit with N.  Exit status: 0 when every step held, 1 otherwise
(the reason on stderr).
"""

import argparse
import codecs
import os
import select
import socket
import subprocess
import sys
import time


class Fail(Exception):
    pass


class Peer:
    def __init__(self, o):
        self.timeout = o.timeout
        self.buf = b""
        self.proc = None
        self.sock = None
        if o.connect:
            host, _, port = o.connect.rpartition(":")
            self.sock = socket.create_connection((host, int(port)),
                                                 timeout=o.timeout)
            self.rfd = self.sock.fileno()
        else:
            err = open(o.stderr, "wb") if o.stderr else None
            self.proc = subprocess.Popen(o.command, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=err)
            self.rfd = self.proc.stdout.fileno()

    def send(self, data):
        try:
            if self.sock is not None:
                self.sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except (BrokenPipeError, ConnectionError) as e:
            raise Fail("cannot send: %s" % e)

    def close(self):
        if self.sock is not None:
            self.sock.shutdown(socket.SHUT_WR)
        else:
            self.proc.stdin.close()

    def fill(self, deadline):
        """Read more; False at the end of the output."""
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
            raise Fail("no reply within %g s" % self.timeout)
        data = os.read(self.rfd, 4096)
        if not data:
            return False
        self.buf += data
        return True

    def line(self, deadline):
        while b"\n" not in self.buf:
            if not self.fill(deadline):
                if self.buf:
                    raise Fail("output ends inside a line: %r" % self.buf)
                raise Fail("the output ended")
        line, _, self.buf = self.buf.partition(b"\n")
        if not line.endswith(b"\r"):
            raise Fail("reply line without CR LF: %r" % line)
        text = line[:-1].decode("utf-8", "backslashreplace")
        print("S: " + text, flush=True)
        return text

    def reply(self):
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            text = self.line(deadline)
            if len(text) < 3 or not text[:3].isdigit() or \
                    (len(text) > 3 and text[3] not in " -"):
                raise Fail("malformed reply line: %r" % text)
            if lines and text[:3] != lines[0][:3]:
                raise Fail("reply code changed: %r" % text)
            lines.append(text)
            if len(text) == 3 or text[3] == " ":
                return lines

    def eof(self):
        deadline = time.monotonic() + self.timeout
        while not self.buf:
            if not self.fill(deadline):
                return
        raise Fail("more output where it should end: %r" % self.buf)

    def finish(self):
        if self.sock is not None:
            self.sock.close()
            return None
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("the process did not exit within %g s" %
                       self.timeout)


def step(peer, line, timeout):
    verb, _, arg = line.partition(" ")
    if verb == ">":
        print("C: " + arg, flush=True)
        peer.send(arg.encode("utf-8") + b"\r\n")
    elif verb == "raw":
        data = codecs.decode(arg, "unicode_escape").encode("latin-1")
        print("C: " + repr(data), flush=True)
        peer.send(data)
    elif verb == "<":
        code, _, words = arg.partition(" ")
        lines = peer.reply()
        if lines[0][:3] != code:
            raise Fail("want %s, got %r" % (code, lines[-1]))
        if words and words not in lines[-1]:
            raise Fail("want %r in %r" % (words, lines[-1]))
    elif verb == "await":
        deadline = time.monotonic() + timeout
        while not os.path.exists(arg):
            if time.monotonic() > deadline:
                raise Fail("no file %s within %g s" % (arg, timeout))
            time.sleep(0.05)
    elif verb == "sleep":
        time.sleep(float(arg))
    elif verb == "close":
        peer.close()
    elif verb == "eof":
        peer.eof()
    else:
        raise Fail("unknown step %r" % line)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--exit", type=int)
    p.add_argument("--stderr")
    p.add_argument("--connect", metavar="HOST:PORT")
    p.add_argument("script")
    argv = sys.argv[1:]
    command = []
    if "--" in argv:
        command = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    o = p.parse_args(argv)
    o.command = command
    if bool(o.connect) == bool(o.command):
        p.error("give a command after -- or --connect")
    with open(o.script, encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f]
    peer = Peer(o)
    n = 0
    try:
        for n, line in enumerate(lines, 1):
            if line and not line.startswith("#"):
                step(peer, line, o.timeout)
        n = 0
        rc = peer.finish()
        if rc is not None:
            print("exit %d" % rc, flush=True)
        if o.exit is not None and rc != o.exit:
            raise Fail("exit %s, want %d" % (rc, o.exit))
    except Fail as e:
        where = "line %d: " % n if n else ""
        print("bsclient: %s%s" % (where, e), file=sys.stderr, flush=True)
        if peer.proc is not None and peer.proc.poll() is None:
            peer.proc.kill()
            peer.proc.wait()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

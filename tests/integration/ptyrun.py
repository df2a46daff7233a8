# SPDX-License-Identifier: ISC
"""Run a command on a pseudo-terminal of its own, and answer a prompt.

    ptyrun.py [options] -- COMMAND [ARG...]

The command runs in a new session whose controlling terminal is a new
pty, so /dev/tty is that pty; its standard input, output and error are
files given by --stdin, --stdout and --stderr (not the terminal).  The
helper waits (--timeout seconds at most) until --prompt appears on the
terminal, types --answer and a newline, then reads the terminal until
the command exits.  Everything the command wrote to the terminal goes to
--tty-log.  The exit status is the command's; 124 when the prompt did
not come in time or the command did not end in time (it is killed).
"""

import argparse
import fcntl
import os
import select
import signal
import sys
import termios
import time


def options(argv):
    p = argparse.ArgumentParser(description="run a command on a pty")
    p.add_argument("--stdin", default="/dev/null")
    p.add_argument("--stdout", default="/dev/null")
    p.add_argument("--stderr", default="/dev/null")
    p.add_argument("--tty-log", required=True,
                   help="write what appeared on the terminal here")
    p.add_argument("--prompt", required=True,
                   help="wait for this text on the terminal")
    p.add_argument("--answer", required=True,
                   help="then type this and a newline")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("command", nargs=argparse.REMAINDER)
    o = p.parse_args(argv)
    if o.command[:1] == ["--"]:
        o.command = o.command[1:]
    if not o.command:
        p.error("no command")
    return o


def child(o, master, slave):
    try:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.close(slave)
        out = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        for n, path, flags in ((0, o.stdin, os.O_RDONLY),
                               (1, o.stdout, out), (2, o.stderr, out)):
            fd = os.open(path, flags, 0o600)
            if fd != n:
                os.dup2(fd, n)
                os.close(fd)
        os.execv(o.command[0], o.command)
    except OSError as e:
        os.write(2, ("ptyrun.py: %s: %s\n" % (o.command[0], e)).encode())
    os._exit(127)


def drain(master):
    data = b""
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def main(argv):
    o = options(argv)
    # The helper keeps the terminal's other end open itself, so that
    # reading it does not fail while the command has it closed.
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        child(o, master, slave)
    deadline = time.monotonic() + o.timeout
    prompt = o.prompt.encode()
    seen = b""
    answered = False
    status = None
    while True:
        wpid, ws = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            seen += drain(master)
            status = os.waitstatus_to_exitcode(ws)
            if status < 0:
                status = 128 - status
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print("ptyrun.py: %s after %g s: killed" %
                  ("no prompt" if not answered else "still running",
                   o.timeout), file=sys.stderr)
            status = 124
            break
        seen += drain(master)
        if not answered and prompt in seen:
            # Typed only now: readpassphrase(3) flushes pending input
            # when it turns echo off, before it writes the prompt.
            os.write(master, o.answer.encode() + b"\n")
            answered = True
        time.sleep(0.02)
    with open(o.tty_log, "wb") as f:
        f.write(seen)
    if status == 0 and not answered:
        print("ptyrun.py: exited without prompting", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

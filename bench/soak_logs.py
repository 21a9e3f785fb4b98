#!/usr/bin/env python3
"""Log soak: lines lost, merged or repeated while the daemon is killed and replaced.

Three copies of an app (tests/fixtures/pieces.py: numbered lines, each write ending
inside a line) run under one rpm daemon with three kinds of output: `--time` (framed),
raw to a file of their own (written as bytes arrive), and raw with a combined `-l` file
(framed, shared). Then, ROUNDS times, after a random pause of up to 0.3 s, the daemon is
SIGKILLed (three rounds in four) or replaced by `rpm update` (every fourth), and the next
`rpm jlist` brings a daemon back. Finally the apps are stopped and every log file is read
line by line: each line must be `n<k> y…` whole, with k rising by one. Reported per
file: lines, lines missing, lines cut (a line that lost its start or its end), lines
merged (anything else not whole) and lines repeated; it exits 1 on any of them.

What rpm promises, for streams whose files are their instance's own and not rotated
(all four files here): neither `rpm update` nor a SIGKILL loses, cuts, merges or repeats
a line. The pump peeks at a chunk, records it, writes it and only then takes it out of
the app's pipe (src/logs/pump/peek.rs, partial.rs, recovery.rs); a next daemon cuts
back a write the kill cut short and writes the chunk again. (Rotated or shared files are read destructively:
there a SIGKILL may lose the chunk in flight, up to 1 MiB, never merging or repeating.)

Usage: python3 bench/soak_logs.py [--rounds N] [--seed S] [--only kill|update] [--no-build]
Stdlib only. Linux only (/proc). Everything runs in a temp dir and is stopped on exit.
"""

import argparse
import os
import random
import re
import signal
import sys
import time

import managers
from managers import BenchError, bench_session, build_rpm, log, read_file

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "..", "tests", "fixtures", "pieces.py")
LINE = re.compile(rb"n(\d{8}) (y*)")
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: ")
# The start of a timestamp, as a write cut inside one leaves it.
STAMP_START = re.compile(rb"[\d\-T:]{1,20} ?")


class Rpm(managers.Rpm):
    def is_our_app(self, pid):
        return any(arg.endswith("pieces.py") for arg in managers.cmdline(pid))


def dead(pid):
    """Gone, or a zombie: what a user who just killed it would see."""
    stat = read_file(f"/proc/{pid}/stat")
    return stat is None or stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def real_python():
    """The interpreter itself, not a pyenv shim, so the app's pid is the interpreter's."""
    return os.path.realpath(sys.executable)


def expected(k):
    return b"n%08d %s" % (k, b"y" * (k % 97))


def check(path, prefixed):
    """(lines, missing, cut, merged, repeated) of one log file. A cut line is a line that
    lost its start or its end; a merged one is anything else that is not a whole line."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")[:-1]
    last, missing, cut, merged, repeated = 0, 0, 0, 0, 0
    for i, raw in enumerate(lines):
        body = raw
        if prefixed:
            m = TIMESTAMP.match(raw)
            if not m and STAMP_START.fullmatch(raw):
                cut += 1  # the write was cut inside the timestamp
                continue
            body = raw[m.end():] if m else b""
        m = LINE.fullmatch(body)
        if m and body == expected(int(m.group(1))):
            k = int(m.group(1))
            if k <= last:
                repeated += 1
                continue
            missing += k - last - 1
            last = k
            continue
        if i + 1 == len(lines):
            continue  # the last line may be cut: the app was stopped mid-line
        near = (expected(k) for k in range(last + 1, last + 50_000))
        if body and any(e.endswith(body) or e.startswith(body) for e in near):
            cut += 1
        else:
            merged += 1
            shown = raw if len(raw) <= 120 else raw[:60] + b"..." + raw[-60:]
            log(f"   {os.path.basename(path)}: after line {last}: {shown!r} ({len(raw)} bytes)")
    return len(lines), missing, cut, merged, repeated


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=["kill", "update"],
                    help="replace the daemon one way only (default: 3 SIGKILLs, then an update)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    rpm = build_rpm(no_build=args.no_build)
    rnd = random.Random(args.seed)
    with bench_session("rpm-soak-") as (root, started):
        m = Rpm(root, rpm)
        started.append(m)
        logs = os.path.join(m.state_dir, "logs")
        py = real_python()
        m.run("start", APP, "--interpreter", py, "--name", "stamped", "--time")
        m.run("start", APP, "--interpreter", py, "--name", "raw")
        m.run("start", APP, "--interpreter", py, "--name", "shared",
              "-l", os.path.join(logs, "shared-all.log"))
        m.jlist()
        kills = updates = 0
        for r in range(args.rounds):
            time.sleep(rnd.random() * 0.3)
            pid = m.daemon_pid()
            if args.only == "update" or (args.only is None and r % 4 == 3):
                m.run("update")
                updates += 1
            else:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
                while not dead(pid):
                    if time.monotonic() > deadline:
                        raise BenchError(f"daemon {pid} survived SIGKILL")
                    time.sleep(0.001)
                kills += 1
            m.jlist()  # a daemon again
        restarts = {a["name"]: a["restarts"] for a in m.jlist()}
        m.run("stop", "all")
        rows = []
        # (file, timestamped, what writes it)
        for name, prefixed, how in (("stamped-out", True, "framed"),
                                    ("raw-out", False, "raw, own file"),
                                    ("shared-out", False, "framed"),
                                    ("shared-all", False, "framed, shared")):
            counts = check(os.path.join(logs, name + ".log"), prefixed)
            rows.append((f"{name}.log ({how})", *counts))
    print(f"{args.rounds} rounds: {kills} SIGKILLs, {updates} `rpm update`s; app restarts"
          f" {restarts}")
    head = ("file", "lines", "missing", "cut", "merged", "repeated")
    print("\n".join(managers.render_table(head, [tuple(map(str, r)) for r in rows])))
    bad = sum(r[2] + r[3] + r[4] + r[5] for r in rows)
    if bad:
        log(f"{bad} lines missing, cut, merged or repeated")
    return 1 if bad else 0


if __name__ == "__main__":
    managers.run_main(main, "soak")

#!/usr/bin/env python3
"""Log throughput: lines/s and MB/s from an app's stdout to its log file, rpm vs PM2.

The app is `loggen` (examples/loggen.rs): N numbered lines of LEN bytes, then it exits.
Each workload is a table of its own (`--writes`):
  per-line     every line is its own write(2), as println!, console.log and logging
               handlers that flush each record do: how apps log. The issue's targets and
               its reference figures (PM2 0.5, supervisord 0.8) are for this workload.
  block        lines go out in 256 KiB writes: the copy-bound extreme, where a direct
               write is a plain memcpy into the page cache and any pipe costs two more.
  stdio        issue 15's workloads, four tables: writes of exactly 8 KiB (lines cut at
               the edges, as C stdio flushes a full buffer into a pipe) and per-line
               writes, each over 100 MB (1,000,000 lines: a steady stream) and over 20 MB
               (200,000 lines: a burst, where spawn to first byte on disk weighs more).
               Any of them alone: block8k-100mb, block8k-20mb, per-line-100mb,
               per-line-20mb. These keep their sizes whatever --lines says.
Cases, one after another on the same machine, for each way:
  direct       loggen > file                          (no pipe, no manager: the ratio's base)
  pipe         loggen | cat > file                    (the cost of one pipe hop, reference)
  rpm          rpm start loggen --no-autorestart      (raw lines), and again with --time
  pm2          pm2 start loggen --interpreter none --no-autorestart, and again with --time
Each rep times from the start command until the log file ends with line N (a stat every
~1 ms from the moment the command is run until the first byte; then a wait on the app's
pid until it exits; then at every write (inotify) and every ~1 ms, reading the tail only
when the size changed; when the command itself returned is shown beside it), then checks
the whole file: lines
1..N, each once, in order, with any prefix the manager adds (--time) stripped. The
daemon's CPU (utime+stime; schedstat ns) is read at start and at the end: CPU per MB.

Every manager runs with its own state folder (RPM_HOME / PM2_HOME) and HOME in one temp
dir; everything started is stopped on exit, Ctrl-C or failure (`rpm kill`, `pm2 kill`,
then SIGKILL of the recorded daemon and app pids that are still ours).

Usage: python3 bench/logs.py [--quick] [--writes per-line|block|both|stdio|NAME,...]
                             [--reps N]
                             [--lines N] [--only rpm|pm2] [--no-build]
       BENCH_QUICK=1 python3 bench/logs.py
Stdlib only. Linux only (/proc).
"""

import argparse
import ctypes
import datetime
import os
import re
import select
import subprocess
import time

import managers
from managers import (BENCH, CLK_TCK, WAIT_TIMEOUT, BenchError, build_rpm, cell, cmdline,
                    cpu_times, ensure_pm2, fmt, log, machine, machine_line, now,
                    quick_default, render_table, summary, release_dir, bench_session,
                    vm_rss_kib, write_results)

POLL = 0.001  # seconds between looks at the log file's size
# Once the file holds FINE_FROM of the bytes it will end with, every write to it wakes
# the poll (inotify) besides the POLL timer: the last line is seen as it lands rather
# than up to 1 ms later, a delay no direct write pays (that one is timed by waiting for
# the writer's exit). Only the end is watched so, as waking at every write of the whole
# run would take CPU from the run itself.
FINE_FROM = 0.9
# Between the first byte and the writer's exit, wait on the writer instead of polling
# (see `wait_for_tail`); `--poll-throughout` turns it off, for comparison.
WAIT_EXIT = True
STALL = 10.0  # seconds without growth before a run is declared incomplete
RSS_SETTLE = 2.0  # seconds after the last case before the daemon's RSS is read again
MB = 1e6
# Workloads: the generator's flags, and lines per run (None: --lines or the mode's).
WORKLOADS = {
    "per-line": (["--per-line"], None),
    "block": ([], None),
    "block8k-100mb": (["--block", "8192"], 1_000_000),
    "block8k-20mb": (["--block", "8192"], 200_000),
    "per-line-100mb": (["--per-line"], 1_000_000),
    "per-line-20mb": (["--per-line"], 200_000),
}
GROUPS = {
    "both": ["per-line", "block"],
    "stdio": ["block8k-100mb", "block8k-20mb", "per-line-100mb", "per-line-20mb"],
}
# The issues' targets, for the workloads they were set on (see the docstring).
PER_LINE_TARGETS = {"rpm": 0.9, "rpm --time": 0.6}
TARGETS = {
    "per-line": PER_LINE_TARGETS,
    "block": {},
    "block8k-100mb": {"rpm": 0.95},
    "block8k-20mb": {"rpm": 0.9},
    "per-line-100mb": PER_LINE_TARGETS,
    "per-line-20mb": PER_LINE_TARGETS,
}
DESCRIPTIONS = {
    "per-line": "a write(2) per line",
    "block": "256 KiB writes of whole lines: the copy-bound extreme",
    "block8k-100mb": "8 KiB writes (lines cut at the edges, as stdio flushes), 100 MB",
    "block8k-20mb": "8 KiB writes (lines cut at the edges, as stdio flushes), 20 MB burst",
    "per-line-100mb": "a write(2) per line, 100 MB",
    "per-line-20mb": "a write(2) per line, 20 MB burst",
}
# A line as loggen writes it; whatever comes before it on a line is the manager's prefix.
LINE_RE = re.compile(rb"L(\d{9}) x*$")
PREFIX_RE = re.compile(rb"^[^\n]*?(?=L\d{9} x*$)", re.M)


class LogApps:
    """The log scenario on top of a `managers.Manager`: one loggen app per repetition."""

    gen = None

    def is_our_app(self, pid):
        return cmdline(pid)[:1] == [self.gen]

    def out_path(self, name):
        return os.path.join(self.state_dir, "logs", f"{name}-out.log")

    def app_pid(self):
        """The running app's pid (the one run at a time), None if none is running."""
        found = self.children()
        return found[0] if found else None

    def children(self):
        """Our app's processes among the daemon's children (every thread's)."""
        daemon = self.daemon_pid()
        if not daemon:
            return []
        try:
            tids = os.listdir(f"/proc/{daemon}/task")
        except OSError:
            return []
        pids = []
        for tid in tids:
            text = managers.read_file(f"/proc/{daemon}/task/{tid}/children") or ""
            pids.extend(int(p) for p in text.split() if self.is_our_app(int(p)))
        return pids

    def note_apps(self):
        self.seen_apps.update(self.children())


class Rpm(LogApps, managers.Rpm):
    def start_argv(self, name, args, timestamps):
        extra = ["--time"] if timestamps else []
        return self.argv("start", self.gen, "--name", name, "--no-autorestart", *extra,
                         "--", *args)


class Pm2(LogApps, managers.Pm2):
    def start_argv(self, name, args, timestamps):
        # --interpreter none: run the binary itself, as rpm does (no node wrapper).
        extra = ["--time"] if timestamps else []
        return self.argv("start", self.gen, "--name", name, "--interpreter", "none",
                         "--no-autorestart", *extra, "--", *args)


# ---------------------------------------------------------------- one run


def expected_output(lines, length):
    """What loggen writes: lines 1..`lines` of `length` bytes, newline included."""
    return b"".join(b"L%09d " % k + b"x" * (length - 12) + b"\n" for k in range(1, lines + 1))


def last_line(n, length):
    return b"L%09d " % n + b"x" * (length - 12) + b"\n"


class WriteWatch:
    """inotify on one file: `wait` returns at its next write or after `timeout`. Without
    inotify (or if the file cannot be watched) it only sleeps, as before."""

    IN_MODIFY = 0x2
    IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000

    def __init__(self, path):
        self.fd = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
            if fd < 0:
                return
            if libc.inotify_add_watch(fd, os.fsencode(path), self.IN_MODIFY) < 0:
                os.close(fd)
                return
            self.fd = fd
        except (OSError, AttributeError):
            self.fd = None

    def wait(self, timeout):
        if self.fd is None:
            time.sleep(timeout)
            return
        if select.select([self.fd], [], [], timeout)[0]:
            try:
                while os.read(self.fd, 4096):
                    pass
            except BlockingIOError:
                pass

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def wait_for_tail(path, tail, t0, proc=None, lines=None, raw_size=None, app_pid=None):
    """Poll `path` until it ends with `tail`. Returns (t_done, t_first_byte, check_s, polls,
    t_proc): t_proc is when `proc` (the start command, running meanwhile) was first seen
    to have exited successfully, None if it had not by the end. With `lines` and
    `raw_size` (the output without any prefix), the last bytes are looked at as they are
    written (see FINE_FROM); the prefix a manager adds is read off the first line.

    With `app_pid` (a function that finds the writer's pid), the wait between the first
    byte and the writer's exit is spent blocked on the writer (a pidfd) rather than
    polling: on 2 cores, ~1 ms of polls per 15 ms run took CPU from the app and the pump,
    which a direct write (timed by waiting for the writer) never pays. From the exit on,
    the last bytes are looked at as they are written, as with FINE_FROM.

    `check_s` is what the final look cost (stat + tail read), so it can be seen not to
    dominate. A file that stops growing for STALL seconds without the last line returns
    t_done None: the run is incomplete, and `verify` says what is missing.
    """
    size, t_first, polls, t_proc = -1, None, 0, None
    last_growth = now()
    k = len(tail)
    fine_at, watch = None, None
    try:
        while True:
            t_look = now()
            polls += 1
            try:
                st = os.stat(path)
            except FileNotFoundError:
                st = None
            if st and st.st_size != size:
                size = st.st_size
                last_growth = t_look
                if t_first is None and size > 0:
                    t_first = t_look
                if fine_at is None and raw_size and size >= 64:
                    fine_at = FINE_FROM * (raw_size + lines * prefix_bytes(path))
                if watch is None and fine_at is not None and size >= fine_at:
                    watch = WriteWatch(path)
                if size >= k:
                    with open(path, "rb") as f:
                        f.seek(size - k)
                        if f.read(k) == tail:
                            t = now()
                            return t, t_first, t - t_look, polls, t_proc
                if app_pid is not None and size > 0:
                    exited, t_exit = wait_for_exit(app_pid(), proc if t_proc is None else None,
                                                   STALL)
                    t_proc = t_proc or t_exit
                    app_pid = None  # waited once; if it could not be, poll as without
                    if exited:
                        if watch is None:
                            watch = WriteWatch(path)
                        last_growth = now()
                        continue
            elif t_look - last_growth > STALL:
                log(f"   {os.path.basename(path)}: stuck at {size} bytes for {STALL:.0f}s"
                    " without the last line")
                return None, t_first, 0.0, polls, t_proc
            if proc is not None and t_proc is None:
                rc = proc.poll()
                if rc == 0:
                    t_proc = now()
                elif rc is not None:
                    raise BenchError(f"{proc.args[0]} exited with {rc}")
            if watch is not None:
                watch.wait(POLL)
            else:
                time.sleep(POLL)
    finally:
        if watch is not None:
            watch.close()


def wait_for_exit(pid, proc, timeout):
    """Blocks until process `pid` has exited, at most `timeout` seconds, noting when `proc`
    (the start command, if still running) exits meanwhile. Returns (waited, t_proc):
    waited is False if `pid` is None, cannot be waited for (no pidfd) or outlived
    `timeout`, and the caller polls; t_proc is when `proc` was seen to exit
    successfully, or None."""
    if pid is None or not hasattr(os, "pidfd_open"):
        return False, None
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True, None  # already gone: its output is all written or on its way
    except OSError:
        return False, None
    cmd_fd, t_proc = None, None
    try:
        if proc is not None:
            try:
                cmd_fd = os.pidfd_open(proc.pid)
            except OSError:
                cmd_fd = None
        end = now() + timeout
        while True:
            waiting = [fd] + ([cmd_fd] if cmd_fd is not None else [])
            ready = select.select(waiting, [], [], max(0.0, end - now()))[0]
            if cmd_fd is not None and cmd_fd in ready:
                rc = proc.wait()
                if rc != 0:
                    raise BenchError(f"{proc.args[0]} exited with {rc}")
                t_proc = now()
                os.close(cmd_fd)
                cmd_fd = None
            if fd in ready or not ready:
                return fd in ready, t_proc
    finally:
        os.close(fd)
        if cmd_fd is not None:
            os.close(cmd_fd)


def prefix_bytes(path):
    """How many bytes a manager puts before each line (a timestamp), from the first."""
    with open(path, "rb") as f:
        head = f.read(64)
    at = head.find(b"L000000001 ")
    return max(at, 0)


def verify(path, expected):
    """None when the file is `expected` once any line prefix is stripped; else what is wrong.

    Also returns the first line's prefix (what the manager adds, e.g. a timestamp).
    """
    with open(path, "rb") as f:
        data = f.read()
    first = data[: data.find(b"\n")]
    m = re.search(rb"L\d{9} ", first)
    prefix = first[: m.start()].decode(errors="replace") if m else first[:40].decode(errors="replace")
    if data == expected:
        return None, prefix
    stripped = PREFIX_RE.sub(b"", data)
    if stripped == expected:
        return None, prefix
    # Say what is wrong: missing, duplicated, out of order, malformed.
    seen, dup, disorder, bad, prev, example = set(), 0, 0, 0, 0, None
    for line in stripped.split(b"\n")[:-1]:
        mm = LINE_RE.fullmatch(line)
        if not mm:
            bad += 1
            example = example or line
            continue
        k = int(mm.group(1))
        dup += k in seen
        disorder += k < prev
        prev = k
        seen.add(k)
    n = expected.count(b"\n")
    missing = sum(1 for k in range(1, n + 1) if k not in seen)
    return (f"{missing} missing, {dup} duplicated, {disorder} out of order, {bad} malformed"
            f" lines ({len(data)} bytes)"
            + (f"; e.g. {example[:60].decode(errors='replace')!r}..." if example else "")), prefix


class Sample:
    def __init__(self, seconds, first=None, check=None, polls=None, cpu_ticks=None,
                 cpu_ns=None, command=None):
        self.seconds, self.first, self.check, self.polls = seconds, first, check, polls
        self.cpu_ticks, self.cpu_ns, self.command = cpu_ticks, cpu_ns, command


def run_direct(gen, args, path):
    with open(path, "wb") as out:
        t0 = now()
        p = subprocess.Popen([gen, *args], stdin=subprocess.DEVNULL, stdout=out)
        rc = p.wait()
        t1 = now()
    if rc != 0:
        raise BenchError(f"loggen exited with {rc}")
    return Sample(t1 - t0)


def run_pipe(gen, args, path):
    with open(path, "wb") as out:
        t0 = now()
        g = subprocess.Popen([gen, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        try:
            c = subprocess.Popen(["cat"], stdin=g.stdout, stdout=out)
        finally:
            g.stdout.close()
        rc = c.wait(), g.wait()
        t1 = now()
    if rc != (0, 0):
        raise BenchError(f"loggen | cat exited with {rc}")
    return Sample(t1 - t0)


def run_managed(m, name, args, timestamps, tail, lines, raw_size):
    """One run: the file is watched from the moment the start command is run, while it
    runs, so the first byte and a last line that lands before the command returns are
    seen when they happen."""
    path = m.out_path(name)
    daemon = m.daemon_pid()
    ticks0, ns0 = cpu_times(daemon)
    t0 = now()
    p = subprocess.Popen(m.start_argv(name, args, timestamps), env=m.env, cwd=m.root,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        t1, t_first, check, polls, t_cmd = wait_for_tail(path, tail, t0, proc=p, lines=lines,
                                                         raw_size=raw_size,
                                                         app_pid=m.app_pid if WAIT_EXIT
                                                         else None)
    except BenchError:
        err = p.communicate()[1]
        raise BenchError(f"{m.name} start {name} failed: {err.strip()[:300]}")
    ticks1, ns1 = cpu_times(daemon)
    err = p.communicate()[1]
    if p.returncode != 0:
        raise BenchError(f"{m.name} start {name} failed: {err.strip()[:300]}")
    t_cmd = t_cmd or now()
    m.note_apps()
    return Sample(t1 - t0 if t1 else None, first=(t_first - t0) if t_first else None, check=check,
                  polls=polls, cpu_ticks=ticks1 - ticks0, cpu_ns=ns1 - ns0,
                  command=t_cmd - t0), path


def finish_managed(m, name, path):
    """Wait until the app is stopped, check jlist names `path`, delete it and its logs."""
    end = now() + WAIT_TIMEOUT
    while True:
        row = next((a for a in m.jlist() if a["name"] == name), None)
        if row is None:
            raise BenchError(f"{m.name}: {name} is not in jlist")
        if row["status"] == "stopped":
            break
        if now() > end:
            raise BenchError(f"{m.name}: {name} still {row['status']} after the last line")
        time.sleep(0.02)
    if row["out_file"] and os.path.realpath(row["out_file"]) != os.path.realpath(path):
        raise BenchError(f"{m.name}: out_file is {row['out_file']}, expected {path}")
    m.run("delete", name)


# ---------------------------------------------------------------- cases


def case(label, who, reps, warmup, once, expected, payload, lines):
    """Runs `once(i) -> (Sample, path)` warmup+reps times, verifying every file."""
    samples, errors, prefix = [], [], None
    for i in range(warmup + reps):
        s, path = once(i)
        err, prefix = verify(path, expected)
        for p in {path, path.replace("-out.log", "-error.log")}:
            try:
                os.unlink(p)  # 200 MB a run: keep the disk and page cache lean
            except FileNotFoundError:
                pass
        if err:
            errors.append(f"rep {i}: {err}")
            log(f"   {label} rep {i}: INCOMPLETE: {err}")
        elif s.seconds is None:
            errors.append(f"rep {i}: the last line never came, yet no line is missing")
        # A run that reached the last line is timed even when lines were mangled on the
        # way (PM2 --time): the `complete` column says so.
        if i >= warmup and s.seconds is not None:
            samples.append(s)
    if not samples:
        log(f"   {label}: no complete run")
        return {"who": who, "seconds": None, "errors": errors, "line_prefix": prefix}
    secs = [s.seconds for s in samples]
    r = {
        "who": who,
        "seconds": summary(secs, "s"),
        "lines_per_s": summary([lines / x for x in secs], "lines/s"),
        "mb_per_s": summary([payload / MB / x for x in secs], "MB/s"),
        "line_prefix": prefix,
        "errors": errors,
    }
    if samples[0].first is not None:
        r["first_byte"] = summary([s.first for s in samples if s.first is not None], "s")
        r["mb_per_s_after_first_byte"] = summary(
            [payload / MB / (s.seconds - s.first) for s in samples
             # meaningless when the file went from empty to complete within a few looks
             if s.first is not None and s.seconds - s.first > 20 * POLL], "MB/s")
        r["final_check"] = summary([s.check * 1e6 for s in samples], "us")
        r["start_command"] = summary([s.command for s in samples], "s")
        r["polls"] = summary([s.polls for s in samples], "polls")
        r["daemon_cpu_per_mb"] = summary(
            [s.cpu_ticks / CLK_TCK / (payload / MB) for s in samples], "s CPU/MB (stat)")
        r["daemon_cpu_ns_per_mb"] = summary(
            [s.cpu_ns / 1e9 / (payload / MB) for s in samples], "s CPU/MB (schedstat)")
    log(f"   {label}: {cell(r['seconds'])} s, {fmt(r['mb_per_s']['median'])} MB/s")
    return r


def bench_manager(m, cfg, args, expected, tail, payload, mode, lines):
    out = {}
    for timestamps in (False, True):
        label = f"{m.name} --time" if timestamps else m.name
        log(f"== {mode}: {label}: {lines} lines x {cfg['reps']} reps")
        tag = "t" if timestamps else "r"

        def once(i, timestamps=timestamps, tag=tag):
            name = f"gen{tag}{i}"
            s, path = run_managed(m, name, args, timestamps, tail, lines, payload)
            finish_managed(m, name, path)
            return s, path

        out[label] = case(label, m.name, cfg["reps"], cfg["warmup"], once, expected,
                          payload, lines)
    return out


# ---------------------------------------------------------------- output


def table(results, writes):
    res = results["results"][writes]
    targets = TARGETS[writes]
    direct = res.get("direct", {}).get("seconds")
    head = ("case", "seconds median [min-max]", "Mlines/s", "MB/s", "ratio to direct",
            "start cmd s", "1st byte s", "MB/s after", "daemon CPU ms/MB", "target",
            "complete")
    rows = []
    for label, r in res.items():
        s = r["seconds"]
        if not s:
            rows.append((label, "n/a", "-", "-", "-", "-", "-", "-", "-", "-", "NO (every rep)"))
            continue
        ratio = direct["median"] / s["median"] if direct and s else None
        tgt = "-"
        if label in targets and ratio is not None:
            tgt = f">={targets[label]} " + ("ok" if ratio >= targets[label] else "MISSED")
        cpu = r.get("daemon_cpu_ns_per_mb")
        after = r.get("mb_per_s_after_first_byte")
        rows.append((label, cell(s), fmt(r["lines_per_s"]["median"] / 1e6),
                     fmt(r["mb_per_s"]["median"]), fmt(ratio),
                     fmt(r["start_command"]["median"]) if r.get("start_command") else "-",
                     fmt(r["first_byte"]["median"]) if r.get("first_byte") else "-",
                     fmt(after["median"]) if after else "-",
                     fmt(cpu["median"] * 1000) if cpu else "-", tgt,
                     "yes" if not r["errors"] else f"NO ({len(r['errors'])} runs)"))
    out = render_table(head, rows)
    for label, r in res.items():
        for e in r["errors"][:3]:
            out.append(f"{label}: {e}")
        if r.get("line_prefix"):
            out.append(f"{label}: line prefix {r['line_prefix']!r}")
        if r.get("final_check"):
            out.append(f"{label}: final look {fmt(r['final_check']['median'])} us,"
                       f" {fmt(r['polls']['median'])} looks per rep")
    return "\n".join(out)


# ---------------------------------------------------------------- main


def workloads(text):
    """`--writes`: workload and group names, comma-separated, in order, each once."""
    out = []
    for name in text.split(","):
        for w in GROUPS.get(name, [name]):
            if w not in WORKLOADS:
                raise argparse.ArgumentTypeError(
                    f"unknown workload {w!r}; known: {', '.join([*WORKLOADS, *GROUPS])}")
            if w not in out:
                out.append(w)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=quick_default(),
                    help="fewer lines and repetitions (also BENCH_QUICK=1)")
    ap.add_argument("--reps", type=int, help="repetitions per case (overrides the mode)")
    ap.add_argument("--lines", type=int, help="lines per run (overrides the mode)")
    ap.add_argument("--line-bytes", type=int, default=100, help="bytes per line, newline included")
    ap.add_argument("--writes", default="both", type=workloads,
                    help="workloads, comma-separated: per-line (a write(2) per line),"
                         " block (256 KiB writes), both (those two, the default), stdio"
                         " (8 KiB and per-line writes over 100 MB and 20 MB: "
                         + ", ".join(GROUPS["stdio"]) + ")")
    ap.add_argument("--only", choices=["rpm", "pm2"], help="run one manager only")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--rpm", metavar="PATH", help="run this rpm binary (e.g. an older release, for an A/B)")
    ap.add_argument("--out", help="JSON output path (default bench/results/logs-<date>.json)")
    ap.add_argument("--poll-throughout", action="store_true",
                    help="poll the log file during the whole run, as before 2026-12-05,"
                         " instead of waiting on the app between its first byte and its exit")
    args = ap.parse_args()
    global WAIT_EXIT
    WAIT_EXIT = not args.poll_throughout

    cfg = (dict(lines=1_000_000, reps=2, warmup=1) if args.quick
           else dict(lines=2_000_000, reps=5, warmup=1))
    if args.reps:
        cfg["reps"] = args.reps
    if args.lines:
        cfg["lines"] = args.lines
    cfg.update(quick=args.quick, line_bytes=args.line_bytes, poll_s=POLL, fine_from=FINE_FROM,
               wait_for_exit=WAIT_EXIT)

    rpm_bin = build_rpm(["--example", "loggen"], no_build=args.no_build, binary=args.rpm)
    gen = os.path.join(release_dir(), "examples", "loggen")
    for b in (rpm_bin, gen):
        if not os.access(b, os.X_OK):
            raise BenchError(f"no {b}: run without --no-build or set CARGO_TARGET_DIR")
    want = [args.only] if args.only else ["rpm", "pm2"]
    pm2_bin = ensure_pm2() if "pm2" in want else None

    modes = args.writes
    cfg["writes"] = modes
    cfg["lines_per_workload"] = {m: WORKLOADS[m][1] or cfg["lines"] for m in modes}

    results = {
        "bench": "logs",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {},
        "payload_bytes": {},
        "results": {},
        "daemon_rss_mib": {},
    }
    with bench_session("rpm-logbench-") as (root, started):
        for mode in modes:
            lines = cfg["lines_per_workload"][mode]
            expected = expected_output(lines, cfg["line_bytes"])
            payload = results["payload_bytes"][mode] = len(expected)
            tail = last_line(lines, cfg["line_bytes"])
            gen_args = [str(lines), str(cfg["line_bytes"]), *WORKLOADS[mode][0]]
            res = results["results"][mode] = {}
            for label, fn in (("direct", run_direct), ("pipe (| cat)", run_pipe)):
                log(f"== {mode}: {label}: {lines} lines x {cfg['reps']} reps")
                path = os.path.join(root, "direct.log")

                def once(i, fn=fn, path=path, a=gen_args):
                    return fn(gen, a, path), path

                res[label] = case(label, "-", cfg["reps"], cfg["warmup"], once, expected,
                                  payload, lines)
            for who in want:
                sub = os.path.join(root, f"{who}-{mode}")
                os.makedirs(sub)
                m = (Rpm if who == "rpm" else Pm2)(sub, rpm_bin if who == "rpm" else pm2_bin)
                m.gen = gen
                started.append(m)
                results["versions"][who] = m.version()
                m.run("ping" if who == "pm2" else "jlist")  # daemon up before the clock starts
                idle = vm_rss_kib(m.daemon_pid())
                res.update(bench_manager(m, cfg, gen_args, expected, tail, payload, mode,
                                         lines))
                time.sleep(RSS_SETTLE)
                results["daemon_rss_mib"].setdefault(mode, {})[who] = {
                    "idle": idle / 1024, "after": vm_rss_kib(m.daemon_pid()) / 1024}
                m.kill()  # one manager at a time on a 2-core machine
        results["versions"]["node"] = results["machine"]["node"]
        results["machine"]["loadavg_end"] = os.getloadavg()

    out = args.out or os.path.join(
        BENCH, "results", f"logs-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    shown = write_results(results, out)
    print(machine_line(results, "quick" if cfg["quick"] else "full")
          + f" | load at the end {results['machine']['loadavg_end'][0]:.2f}")
    print(f"lines of {cfg['line_bytes']} bytes; seconds from the start command to the file"
          " holding the last line")
    for mode in modes:
        lines, payload = cfg["lines_per_workload"][mode], results["payload_bytes"][mode]
        print(f"\n{mode}: {DESCRIPTIONS[mode]}; {lines} lines ({payload / MB:.0f} MB)"
              + ("; targets as set by the issues" if TARGETS[mode] else "; no target"))
        print(table(results, mode))
        for who, rss in results["daemon_rss_mib"].get(mode, {}).items():
            print(f"{who} daemon RSS: {rss['idle']:.2f} MiB before the cases, {rss['after']:.2f}"
                  f" MiB {RSS_SETTLE:.0f} s after the last")
    print(f"results: {shown}")


if __name__ == "__main__":
    managers.run_main(main, "bench")

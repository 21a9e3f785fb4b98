#!/usr/bin/env python3
"""rpm vs PM2, side by side: the core end-to-end figures of a process manager.

Scenarios (each for rpm, then for PM2, same apps, same machine, one run):
  start20    20 apps started (20 CLI calls, and one ecosystem file when supported)
             until all are online in `jlist`
  jlist      wall time of the whole `jlist` command (CLI start-up included), 20 apps online
  rss        daemon VmRSS with 20 apps online
  crash      SIGKILL an app's pid -> a new process is a child of the daemon (watching
             /proc), and -> `jlist` shows the new pid (polling jlist back to back)
  idle_cpu   daemon CPU (all threads) over an idle window with 20 apps, % of one core

Every manager runs with its own state folder (RPM_HOME / PM2_HOME) and HOME in one temp
dir; everything started is stopped on exit, Ctrl-C or failure (`rpm kill`, `pm2 kill`,
then SIGKILL of the recorded daemon and app pids that are still ours).

Usage: python3 bench/core.py [--quick] [--reps N] [--only rpm|pm2] [--no-build]
       BENCH_QUICK=1 python3 bench/core.py
Stdlib only. Linux only (/proc).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
PM2_PREFIX = os.path.join(BENCH, ".cache", "pm2")
APPS = 20
SLEEP = "/bin/sleep"
SLEEP_ARG = "1000"
WAIT_TIMEOUT = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def now():
    return time.perf_counter()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- statistics


def summary(samples, unit):
    """Median and spread of samples (in `unit`), plus the raw samples."""
    if not samples:
        return None
    s = sorted(samples)

    def pct(p):
        # nearest-rank percentile
        k = max(0, min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1)))))
        return s[k]

    return {
        "unit": unit,
        "n": len(s),
        "median": statistics.median(s),
        "min": s[0],
        "max": s[-1],
        "p10": pct(10),
        "p90": pct(90),
        "samples": [round(x, 4) for x in samples],
    }


# ---------------------------------------------------------------- /proc


def read_file(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def vm_rss_kib(pid):
    text = read_file(f"/proc/{pid}/status")
    if text is None:
        raise BenchError(f"daemon pid {pid} is gone")
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def cpu_times(pid):
    """(utime+stime in ticks from /proc/pid/stat, on-CPU ns summed over all threads)."""
    stat = read_file(f"/proc/{pid}/stat")
    if stat is None:
        raise BenchError(f"daemon pid {pid} is gone")
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    ns = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        tids = []
    for tid in tids:
        text = read_file(f"/proc/{pid}/task/{tid}/schedstat")
        if text:
            ns += int(text.split()[0])
    return ticks, ns


def children(pid):
    """Pids whose parent is any thread of `pid` (needs CONFIG_PROC_CHILDREN)."""
    out = set()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        text = read_file(f"/proc/{pid}/task/{tid}/children")
        if text:
            out.update(int(p) for p in text.split())
    return out


def pid_alive(pid):
    return os.path.exists(f"/proc/{pid}")


def is_our_sleep(pid):
    cmd = read_file(f"/proc/{pid}/cmdline") or ""
    return cmd.split("\0")[:2] == [SLEEP, SLEEP_ARG] or cmd.split("\0")[:2] == [
        "sleep",
        SLEEP_ARG,
    ]


def timed_quiet(argv, env):
    """Wall time of one command, stdin/stdout on /dev/null, spawned with posix_spawn.

    posix_spawn (vfork + exec in glibc) keeps the bench's own overhead small and equal for
    both managers; `spawn_floor` reports what it costs for /bin/true.
    """
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
    ]
    t0 = now()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    t1 = now()
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchError(f"{' '.join(argv)} exited with {status}")
    return t1 - t0


def output_of(argv, env):
    """stdout of one command, spawned like `timed_quiet` (low overhead, for polling)."""
    r, w = os.pipe()
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, w, 1),
        ]
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        os.close(w)
        w = -1
        chunks = []
        while True:
            b = os.read(r, 65536)
            if not b:
                break
            chunks.append(b)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchError(f"{' '.join(argv)} exited with {status}")
    return b"".join(chunks).decode()


# ---------------------------------------------------------------- managers


class Manager:
    """One process manager under test, confined to its own state folder."""

    name = "?"

    def __init__(self, root):
        self.root = root
        self.home = os.path.join(root, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ)
        self.env["HOME"] = self.home
        self.seen_daemons = set()
        self.seen_apps = set()
        self.ecosystem_supported = None
        self.ecosystem_note = ""
        self.killed = False

    # -- subclass API
    def argv(self, *args):
        raise NotImplementedError

    def start_argv(self, name):
        raise NotImplementedError

    def ecosystem_path(self):
        raise NotImplementedError

    def daemon_pid(self):
        raise NotImplementedError

    def normalise(self, raw):
        raise NotImplementedError

    # -- commands
    def run(self, *args, check=True, timeout=60):
        p = subprocess.run(
            self.argv(*args),
            env=self.env,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        self.note_daemon()
        if check and p.returncode != 0:
            raise BenchError(
                f"{self.name} {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[:400]}"
            )
        return p

    def timed_quiet(self, argv):
        return timed_quiet(argv, self.env)

    def jlist(self):
        out = output_of(self.argv("jlist"), self.env)
        self.note_daemon()
        apps = [self.normalise(a) for a in json.loads(out or "[]")]
        for a in apps:
            if a["pid"]:
                self.seen_apps.add(a["pid"])
        return apps

    def note_daemon(self):
        pid = self.daemon_pid()
        if pid:
            self.seen_daemons.add(pid)
        return pid

    def wait_all_online(self, names, deadline_s=WAIT_TIMEOUT):
        """Poll jlist back to back until every app in `names` is online with a pid."""
        end = now() + deadline_s
        while True:
            apps = {a["name"]: a for a in self.jlist()}
            if all(
                n in apps and apps[n]["status"] == "online" and apps[n]["pid"] for n in names
            ):
                return apps
            if now() > end:
                raise BenchError(f"{self.name}: apps not all online after {deadline_s}s")

    def delete_all(self):
        self.run("delete", "all", check=False)
        end = now() + WAIT_TIMEOUT
        while self.jlist():
            if now() > end:
                raise BenchError(f"{self.name}: `delete all` left apps behind")
            time.sleep(0.02)

    def write_ecosystem(self, names):
        path = self.ecosystem_path()
        apps = [self.ecosystem_app(n) for n in names]
        with open(path, "w") as f:
            json.dump({"apps": apps}, f, indent=1)
        return path

    def ecosystem_app(self, name):
        return {"name": name, "script": SLEEP, "args": [SLEEP_ARG]}

    def kill(self):
        """Stop everything this manager started, through its own kill, then by pid."""
        if self.killed:
            return
        self.killed = True
        try:
            self.run("kill", check=False, timeout=20)
        except Exception as e:  # noqa: BLE001 - cleanup must go on
            log(f"{self.name} kill: {e}")
        deadline = now() + 5
        while any(pid_alive(p) for p in self.seen_daemons) and now() < deadline:
            time.sleep(0.05)
        for pid in self.seen_daemons:
            if pid_alive(pid) and self.owns_daemon(pid):
                log(f"{self.name}: daemon {pid} survived kill; SIGKILL")
                os.kill(pid, signal.SIGKILL)
        for pid in self.seen_apps:
            if pid_alive(pid) and is_our_sleep(pid):
                log(f"{self.name}: app {pid} survived kill; SIGKILL")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def owns_daemon(self, pid):
        """Whether `pid` is still the daemon this bench started (pids get reused)."""
        env = (read_file(f"/proc/{pid}/environ") or "").split("\0")
        return f"{self.state_var}={self.state_dir}" in env


class Rpm(Manager):
    name = "rpm"
    state_var = "RPM_HOME"

    def __init__(self, root, binary):
        super().__init__(root)
        self.binary = binary
        self.state_dir = os.path.join(root, "rpm-home")
        self.env["RPM_HOME"] = self.state_dir

    def argv(self, *args):
        return [self.binary, *args]

    def start_argv(self, name):
        return self.argv("start", SLEEP, "--name", name, "--", SLEEP_ARG)

    def ecosystem_path(self):
        return os.path.join(self.root, "ecosystem.json")

    def daemon_pid(self):
        text = read_file(os.path.join(self.state_dir, "daemon.pid"))
        return int(text.strip()) if text and text.strip().isdigit() else None

    def normalise(self, a):
        return {"name": a["name"], "status": a["status"], "pid": a["pid"],
                "restarts": a.get("restarts")}

    def version(self):
        return self.run("--version").stdout.strip()


class Pm2(Manager):
    name = "pm2"
    state_var = "PM2_HOME"

    def __init__(self, root, binary):
        super().__init__(root)
        self.binary = binary
        self.state_dir = os.path.join(root, "pm2-home")
        self.env["PM2_HOME"] = self.state_dir

    def argv(self, *args):
        return [self.binary, *args]

    def start_argv(self, name):
        # --interpreter none: run the binary itself, as rpm does (no node wrapper).
        return self.argv("start", SLEEP, "--name", name, "--interpreter", "none", "--",
                         SLEEP_ARG)

    def ecosystem_path(self):
        return os.path.join(self.root, "ecosystem.json")

    def ecosystem_app(self, name):
        return {"name": name, "script": SLEEP, "args": [SLEEP_ARG], "interpreter": "none"}

    def daemon_pid(self):
        text = read_file(os.path.join(self.state_dir, "pm2.pid"))
        return int(text.strip()) if text and text.strip().isdigit() else None

    def normalise(self, a):
        env = a.get("pm2_env") or {}
        return {"name": a["name"], "status": env.get("status"), "pid": a.get("pid") or None,
                "restarts": env.get("restart_time")}


# ---------------------------------------------------------------- scenarios


def names(prefix="a"):
    return [f"{prefix}{i}" for i in range(1, APPS + 1)]


def start20_cli(m):
    """Twenty start calls, then poll until all are online. Seconds."""
    t0 = now()
    for n in names():
        p = subprocess.run(m.start_argv(n), env=m.env, cwd=m.root, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise BenchError(f"{m.name} start {n} failed: {p.stderr.strip()[:300]}")
    m.wait_all_online(names())
    return now() - t0


def start20_file(m, path):
    t0 = now()
    p = subprocess.run(m.argv("start", path), env=m.env, cwd=m.root, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise BenchError(f"start {os.path.basename(path)}: {p.stderr.strip()[:300]}")
    m.wait_all_online(names(), deadline_s=10)
    return now() - t0


def scenario_start20(m, reps, warmup):
    res = {}
    m.delete_all()
    samples = []
    for i in range(warmup + reps):
        dt = start20_cli(m)
        if i >= warmup:
            samples.append(dt * 1000)
        m.delete_all()
    res["start20_cli"] = summary(samples, "ms")

    path = m.write_ecosystem(names())
    try:
        start20_file(m, path)  # also the support probe
        m.ecosystem_supported = True
    except BenchError as e:
        m.ecosystem_supported = False
        m.ecosystem_note = str(e).splitlines()[0][:200]
        log(f"{m.name}: ecosystem file not supported here: {m.ecosystem_note}")
    m.delete_all()
    if m.ecosystem_supported:
        samples = []
        for i in range(warmup + reps):
            dt = start20_file(m, path)
            if i >= warmup:
                samples.append(dt * 1000)
            m.delete_all()
        res["start20_file"] = summary(samples, "ms")
    return res


def scenario_jlist(m, reps, warmup):
    argv = m.argv("jlist")
    for _ in range(warmup):
        m.timed_quiet(argv)
    return summary([m.timed_quiet(argv) * 1000 for _ in range(reps)], "ms")


def scenario_rss(m, samples_n):
    pid = m.daemon_pid()
    out = []
    for _ in range(samples_n):
        out.append(vm_rss_kib(pid) / 1024.0)
        time.sleep(0.1)
    return summary(out, "MiB")


def scenario_crash(m, reps, warmup):
    """Kill one app's pid; time to a new daemon child (/proc) and to a new pid in jlist.

    The two are measured in alternate repetitions, so neither observer slows the other.
    Apps are killed in rotation, each long after its last start, so no kill counts as an
    unstable restart (min_uptime) for either manager.
    """
    daemon = m.daemon_pid()
    to_proc, to_exec, to_jlist, poll_ms, polls, proc_poll = [], [], [], [], [], []
    order = names()
    total = 2 * (warmup + reps)
    for i in range(total):
        name = order[i % APPS]
        apps = {a["name"]: a for a in m.jlist()}
        old = apps[name]["pid"]
        mode = "proc" if i % 2 == 0 else "jlist"
        before = children(daemon)
        time.sleep(0.05)  # let the previous round's jlist traffic settle
        t0 = now()
        os.kill(old, signal.SIGKILL)
        if mode == "proc":
            t_fork = t_exec = None
            end = t0 + WAIT_TIMEOUT
            loops = 0
            while t_exec is None:
                # A 0.1 ms nap per look: a pure busy loop takes a core from the daemon on
                # a 2-core machine and made the restart look 3x slower.
                time.sleep(0.0001)
                loops += 1
                new = children(daemon) - before
                if new and t_fork is None:
                    t_fork = now()
                for pid in new:
                    if is_our_sleep(pid):
                        t_exec = now()
                        m.seen_apps.add(pid)
                if now() > end:
                    raise BenchError(f"{m.name}: no new child of the daemon after kill")
            if i >= 2 * warmup:
                to_proc.append((t_fork - t0) * 1000)
                to_exec.append((t_exec - t0) * 1000)
                proc_poll.append((t_exec - t0) * 1000 / loops)
            m.wait_all_online([name])
        else:
            n = 0
            t_prev = t0
            gaps = []
            end = t0 + WAIT_TIMEOUT
            while True:
                apps = {a["name"]: a for a in m.jlist()}
                n += 1
                t = now()
                gaps.append(t - t_prev)
                t_prev = t
                a = apps.get(name)
                if a and a["pid"] and a["pid"] != old and a["status"] == "online":
                    break
                if t > end:
                    raise BenchError(f"{m.name}: jlist shows no new pid for {name}")
            if i >= 2 * warmup:
                to_jlist.append((t_prev - t0) * 1000)
                poll_ms.append(statistics.median(gaps) * 1000)
                polls.append(n)
    return {
        "crash_to_child": summary(to_proc, "ms"),
        "crash_to_exec": summary(to_exec, "ms"),
        "crash_proc_poll_interval": summary(proc_poll, "ms"),
        "crash_to_jlist": summary(to_jlist, "ms"),
        "crash_jlist_poll_interval": summary(poll_ms, "ms"),
        "crash_jlist_polls": summary(polls, "polls"),
    }


def scenario_idle(m, windows, seconds):
    pid = m.daemon_pid()
    time.sleep(1.0)  # let the last CLI call's work finish
    pct_ns, pct_ticks, used_ms = [], [], []
    for _ in range(windows):
        t0 = now()
        ticks0, ns0 = cpu_times(pid)
        time.sleep(seconds)
        ticks1, ns1 = cpu_times(pid)
        wall = now() - t0
        pct_ns.append((ns1 - ns0) / 1e9 / wall * 100)
        pct_ticks.append((ticks1 - ticks0) / CLK_TCK / wall * 100)
        used_ms.append((ns1 - ns0) / 1e6)
    return {
        "idle_cpu": summary(pct_ns, "% of one core"),
        "idle_cpu_ticks": summary(pct_ticks, "% of one core"),
        "idle_cpu_used": summary(used_ms, "ms of CPU per window"),
        "idle_window_s": seconds,
    }


def bench_manager(m, cfg):
    r = {}
    log(f"== {m.name}: start 20 apps ({cfg['start_reps']} reps)")
    r.update(scenario_start20(m, cfg["start_reps"], cfg["warmup"]))
    r["ecosystem_supported"] = m.ecosystem_supported
    if m.ecosystem_note:
        r["ecosystem_note"] = m.ecosystem_note
    # 20 apps online for the rest.
    start20_cli(m)
    log(f"== {m.name}: jlist latency ({cfg['jlist_reps']} reps)")
    r["jlist"] = scenario_jlist(m, cfg["jlist_reps"], cfg["warmup"] * 5)
    log(f"== {m.name}: daemon RSS")
    r["rss"] = scenario_rss(m, 10)
    log(f"== {m.name}: crash to new pid ({cfg['crash_reps']} reps per observer)")
    r.update(scenario_crash(m, cfg["crash_reps"], cfg["warmup"]))
    log(f"== {m.name}: idle CPU ({cfg['idle_windows']} x {cfg['idle_seconds']} s)")
    r.update(scenario_idle(m, cfg["idle_windows"], cfg["idle_seconds"]))
    r["rss_after"] = scenario_rss(m, 3)
    return r


# ---------------------------------------------------------------- setup


def build_rpm():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    if not os.path.isabs(target):
        target = os.path.join(REPO, target)
    log("== building rpm (release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "rpm"], cwd=REPO,
                   check=True)
    return os.path.join(target, "release", "rpm")


def ensure_pm2():
    binary = os.path.join(PM2_PREFIX, "bin", "pm2")
    if not os.path.exists(binary):
        log(f"== installing pm2 into {PM2_PREFIX}")
        subprocess.run(["npm", "install", "-g", "--no-fund", "--no-audit", "--prefix",
                        PM2_PREFIX, "pm2"], check=True, stdout=subprocess.DEVNULL)
    return binary


def pm2_version():
    path = os.path.join(PM2_PREFIX, "lib", "node_modules", "pm2", "package.json")
    with open(path) as f:
        return json.load(f)["version"]


def spawn_floor_ms(reps):
    """What launching and reaping a trivial process costs with the same timer."""
    env = dict(os.environ)
    return summary([timed_quiet(["/bin/true"], env) * 1000 for _ in range(reps)], "ms")


def machine():
    cpu = ""
    for line in (read_file("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "kernel": platform.release(),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "node": node,
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


# ---------------------------------------------------------------- output

ROWS = [
    # key, label, unit, target for rpm (None = no target), fmt
    ("start20_cli", "start 20 apps, 20 CLI calls -> all online", "ms", None),
    ("start20_file", "start 20 apps, one ecosystem file", "ms", 50),
    ("jlist", "jlist wall time, 20 apps", "ms", 2),
    ("rss", "daemon RSS, 20 apps", "MiB", 4),
    ("crash_to_child", "crash -> new daemon child (/proc)", "ms", None),
    ("crash_to_exec", "crash -> new app exec'd (/proc)", "ms", None),
    ("crash_proc_poll_interval", "  (/proc poll interval)", "ms", None),
    ("crash_to_jlist", "crash -> new pid in jlist", "ms", 2),
    ("crash_jlist_poll_interval", "  (jlist poll interval)", "ms", None),
    ("crash_jlist_polls", "  (jlist polls until seen)", "polls", None),
    ("idle_cpu", "idle daemon CPU, 20 apps (schedstat)", "%", 0.1),
    ("idle_cpu_ticks", "idle daemon CPU (stat ticks, 10 ms res.)", "%", None),
]


def fmt(x):
    if x is None:
        return "-"
    if 0 < abs(x) < 0.001:
        return f"{x:.0e}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def cell(s):
    if not s:
        return "n/a"
    return f"{fmt(s['median'])} [{fmt(s['min'])}-{fmt(s['max'])}]"


def table(results):
    rpm = results["results"].get("rpm", {})
    pm2 = results["results"].get("pm2", {})
    head = ("scenario", "unit", "rpm median [min-max]", "pm2 median [min-max]", "rpm/pm2",
            "rpm target")
    lines = []
    for key, label, unit, target in ROWS:
        a, b = rpm.get(key), pm2.get(key)
        ratio = "-"
        if a and b and b["median"]:
            ratio = f"{a['median'] / b['median']:.3f}"
        tgt = "-"
        if target is not None and a:
            tgt = f"<{target} " + ("ok" if a["median"] < target else "MISSED")
        lines.append((label, unit, cell(a), cell(b), ratio, tgt))
    floor = results.get("spawn_floor")
    widths = [max(len(r[i]) for r in [head] + lines) for i in range(len(head))]
    out = []
    sep = "  "
    out.append(sep.join(h.ljust(w) for h, w in zip(head, widths)))
    out.append(sep.join("-" * w for w in widths))
    for r in lines:
        out.append(sep.join(c.ljust(w) for c, w in zip(r, widths)))
    if floor:
        out.append(f"spawn floor (/bin/true, same timer): {cell(floor)} ms")
    for who, r in (("rpm", rpm), ("pm2", pm2)):
        if r and not r.get("ecosystem_supported", True):
            out.append(f"{who}: ecosystem file not supported: {r.get('ecosystem_note', '')}")
    return "\n".join(out)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
                    help="fewer repetitions (also BENCH_QUICK=1)")
    ap.add_argument("--reps", type=int, help="repetitions per scenario (overrides the mode)")
    ap.add_argument("--only", choices=["rpm", "pm2"], help="run one manager only")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--out", help="JSON output path (default bench/results/core-<date>.json)")
    args = ap.parse_args()

    if args.quick:
        cfg = dict(warmup=1, start_reps=3, jlist_reps=50, crash_reps=5, idle_windows=1,
                   idle_seconds=5)
    else:
        cfg = dict(warmup=2, start_reps=10, jlist_reps=300, crash_reps=20, idle_windows=3,
                   idle_seconds=10)
    if args.reps:
        cfg.update(start_reps=args.reps, jlist_reps=args.reps * 10, crash_reps=args.reps)
    cfg["quick"] = args.quick

    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    rpm_bin = (os.path.join(os.path.abspath(target), "release", "rpm") if args.no_build
               else build_rpm())
    if not os.access(rpm_bin, os.X_OK):
        raise BenchError(f"no rpm binary at {rpm_bin}: run without --no-build or set CARGO_TARGET_DIR")
    want = [args.only] if args.only else ["rpm", "pm2"]
    pm2_bin = ensure_pm2() if "pm2" in want else None

    root = tempfile.mkdtemp(prefix="rpm-bench-")
    managers = []

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    results = {
        "bench": "core",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {},
        "results": {},
    }
    try:
        results["spawn_floor"] = spawn_floor_ms(50)
        for who in want:
            sub = os.path.join(root, who)
            os.makedirs(sub)
            m = Rpm(sub, rpm_bin) if who == "rpm" else Pm2(sub, pm2_bin)
            managers.append(m)
            results["versions"][who] = m.version() if who == "rpm" else pm2_version()
            results["results"][who] = bench_manager(m, cfg)
            m.kill()  # one manager at a time on a 2-core machine
        results["versions"]["node"] = results["machine"]["node"]
        results["machine"]["loadavg_end"] = os.getloadavg()
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        raise SystemExit(130)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for m in managers:
            m.kill()
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    out = args.out or os.path.join(
        BENCH, "results", f"core-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    mach = results["machine"]
    print(f"rpm {results['versions'].get('rpm', '-')} | pm2 {results['versions'].get('pm2', '-')}"
          f" | node {mach['node']} | kernel {mach['kernel']} | {mach['cores']} cores"
          f" ({mach['cpu']}) | load {mach['loadavg_start'][0]:.2f}"
          f" | {'quick' if cfg['quick'] else 'full'} mode")
    print(table(results))
    print(f"results: {os.path.relpath(out, REPO) if out.startswith(REPO) else out}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        log(f"bench failed: {e}")
        sys.exit(1)

"""What the end-to-end bench scripts share: statistics, /proc readers, building rpm,
installing PM2, the machine line, and a `Manager` confined to its own state folder that
can always be stopped (its own `kill`, then SIGKILL of the pids it recorded and verified).

Used by bench/core.py and bench/logs.py. Stdlib only, Linux only (/proc).
"""

import contextlib
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
WAIT_TIMEOUT = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def now():
    return time.perf_counter()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def quick_default():
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


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


def render_table(head, rows):
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return out


# ---------------------------------------------------------------- /proc


def read_file(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


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


def vm_rss_kib(pid):
    text = read_file(f"/proc/{pid}/status")
    if text is None:
        raise BenchError(f"daemon pid {pid} is gone")
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def pid_alive(pid):
    return os.path.exists(f"/proc/{pid}")


def cmdline(pid):
    return (read_file(f"/proc/{pid}/cmdline") or "").split("\0")


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
    """One process manager under test, confined to its own state folder.

    Subclasses say how to run it, where its daemon pid is, how to read a `jlist` row, and
    (`is_our_app`) whether a recorded app pid still runs the bench's app.
    """

    name = "?"
    state_var = "?"
    state_subdir = "?"

    def __init__(self, root, binary):
        self.root = root
        self.binary = binary
        self.home = os.path.join(root, "home")
        os.makedirs(self.home, exist_ok=True)
        self.state_dir = os.path.join(root, self.state_subdir)
        self.env = dict(os.environ)
        self.env["HOME"] = self.home
        self.env[self.state_var] = self.state_dir
        self.seen_daemons = set()
        self.seen_apps = set()
        self.killed = False

    def argv(self, *args):
        return [self.binary, *args]

    def pid_file(self):
        raise NotImplementedError

    def normalise(self, raw):
        raise NotImplementedError

    def is_our_app(self, pid):
        raise NotImplementedError

    def daemon_pid(self):
        text = read_file(self.pid_file())
        return int(text.strip()) if text and text.strip().isdigit() else None

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

    def delete_all(self):
        self.run("delete", "all", check=False)
        end = now() + WAIT_TIMEOUT
        while self.jlist():
            if now() > end:
                raise BenchError(f"{self.name}: `delete all` left apps behind")
            time.sleep(0.02)

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
            if pid_alive(pid) and self.is_our_app(pid):
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
    state_subdir = "rpm-home"

    def pid_file(self):
        return os.path.join(self.state_dir, "daemon.pid")

    def normalise(self, a):
        return {"name": a["name"], "status": a["status"], "pid": a["pid"],
                "restarts": a.get("restarts"), "out_file": a.get("out_file")}

    def version(self):
        return self.run("--version").stdout.strip()


class Pm2(Manager):
    name = "pm2"
    state_var = "PM2_HOME"
    state_subdir = "pm2-home"

    def pid_file(self):
        return os.path.join(self.state_dir, "pm2.pid")

    def normalise(self, a):
        env = a.get("pm2_env") or {}
        return {"name": a["name"], "status": env.get("status"), "pid": a.get("pid") or None,
                "restarts": env.get("restart_time"), "out_file": env.get("pm_out_log_path")}

    def version(self):
        return pm2_version()


# ---------------------------------------------------------------- setup


def target_dir():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    return target if os.path.isabs(target) else os.path.join(REPO, target)


def release_dir():
    """Where `cargo build --release` puts rpm: target/<host triple>/release, since
    .cargo/config.toml names the target (see there)."""
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    host = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.startswith("host:"))
    return os.path.join(target_dir(), host, "release")


def build_rpm(extra=(), no_build=False, binary=None):
    """`cargo build --release` of the rpm binary (and `extra` cargo target args), unless
    `no_build` asks for the existing build; returns the binary's path. `binary` (the
    benches' `--rpm PATH`) runs that rpm instead, say an older release for an A/B; the
    `extra` targets are still built from this checkout."""
    if binary is not None:
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise BenchError(f"--rpm {binary}: not an executable file")
        if extra and not no_build:
            log("== building " + " ".join(extra) + " (release)")
            subprocess.run(["cargo", "build", "--release", "--quiet", *extra],
                           cwd=REPO, check=True)
        return os.path.abspath(binary)
    if not no_build:
        log("== building rpm (release)")
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "rpm", *extra],
                       cwd=REPO, check=True)
    return os.path.join(release_dir(), "rpm")


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


def machine_line(results, mode):
    mach = results["machine"]
    v = results["versions"]
    return (f"rpm {v.get('rpm', '-')} | pm2 {v.get('pm2', '-')} | node {mach['node']}"
            f" | kernel {mach['kernel']} | {mach['cores']} cores ({mach['cpu']})"
            f" | load {mach['loadavg_start'][0]:.2f} | {mode} mode")


def trap_signals():
    """Turn SIGINT/SIGTERM/SIGHUP into KeyboardInterrupt, so `finally` cleanup runs."""

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_term)


@contextlib.contextmanager
def bench_session(prefix):
    """A temp folder and a list for the managers started in it; however the bench ends
    (success, failure, Ctrl-C, SIGTERM), every manager is stopped and the folder removed."""
    root = tempfile.mkdtemp(prefix=prefix)
    started = []
    trap_signals()
    try:
        yield root, started
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        raise SystemExit(130)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for m in started:
            m.kill()
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_main(main, what):
    """Runs a bench's `main`; a BenchError ends it with its message and status 1."""
    try:
        sys.exit(main())
    except BenchError as e:
        log(f"{what} failed: {e}")
        sys.exit(1)


def write_results(results, out):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    return os.path.relpath(out, REPO) if out.startswith(REPO) else out

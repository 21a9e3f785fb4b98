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
import signal
import statistics
import subprocess
import time

from managers import (BENCH, CLK_TCK, WAIT_TIMEOUT, BenchError, cell, cmdline, cpu_times,
                    build_rpm, ensure_pm2, log, machine, machine_line, now,
                    quick_default, read_file, render_table, summary, timed_quiet,
                    bench_session, vm_rss_kib, write_results)
import managers

APPS = 20
SLEEP = "/bin/sleep"
SLEEP_ARG = "1000"


# ---------------------------------------------------------------- /proc


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


def is_our_sleep(pid):
    return cmdline(pid)[:2] in ([SLEEP, SLEEP_ARG], ["sleep", SLEEP_ARG])


# ---------------------------------------------------------------- managers


class CoreApps:
    """The core scenarios' apps (twenty sleeps) and polling, on top of a `managers.Manager`."""

    ecosystem_supported = None
    ecosystem_note = ""

    def is_our_app(self, pid):
        return is_our_sleep(pid)

    def ecosystem_path(self):
        return os.path.join(self.root, "ecosystem.json")

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

    def write_ecosystem(self, names):
        path = self.ecosystem_path()
        apps = [self.ecosystem_app(n) for n in names]
        with open(path, "w") as f:
            json.dump({"apps": apps}, f, indent=1)
        return path

    def ecosystem_app(self, name):
        return {"name": name, "script": SLEEP, "args": [SLEEP_ARG]}


class Rpm(CoreApps, managers.Rpm):
    def start_argv(self, name):
        return self.argv("start", SLEEP, "--name", name, "--", SLEEP_ARG)


class Pm2(CoreApps, managers.Pm2):
    def start_argv(self, name):
        # --interpreter none: run the binary itself, as rpm does (no node wrapper).
        return self.argv("start", SLEEP, "--name", name, "--interpreter", "none", "--",
                         SLEEP_ARG)

    def ecosystem_app(self, name):
        return {"name": name, "script": SLEEP, "args": [SLEEP_ARG], "interpreter": "none"}


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


def spawn_floor_ms(reps):
    """What launching and reaping a trivial process costs with the same timer."""
    env = dict(os.environ)
    return summary([timed_quiet(["/bin/true"], env) * 1000 for _ in range(reps)], "ms")


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
    out = render_table(head, lines)
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
                    default=quick_default(),
                    help="fewer repetitions (also BENCH_QUICK=1)")
    ap.add_argument("--reps", type=int, help="repetitions per scenario (overrides the mode)")
    ap.add_argument("--only", choices=["rpm", "pm2"], help="run one manager only")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--rpm", metavar="PATH", help="run this rpm binary (e.g. an older release, for an A/B)")
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

    rpm_bin = build_rpm(no_build=args.no_build, binary=args.rpm)
    if not os.access(rpm_bin, os.X_OK):
        raise BenchError(f"no rpm binary at {rpm_bin}: run without --no-build or set CARGO_TARGET_DIR")
    want = [args.only] if args.only else ["rpm", "pm2"]
    pm2_bin = ensure_pm2() if "pm2" in want else None

    results = {
        "bench": "core",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {},
        "results": {},
    }
    with bench_session("rpm-bench-") as (root, started):
        results["spawn_floor"] = spawn_floor_ms(50)
        for who in want:
            sub = os.path.join(root, who)
            os.makedirs(sub)
            m = Rpm(sub, rpm_bin) if who == "rpm" else Pm2(sub, pm2_bin)
            started.append(m)
            results["versions"][who] = m.version()
            results["results"][who] = bench_manager(m, cfg)
            m.kill()  # one manager at a time on a 2-core machine
        results["versions"]["node"] = results["machine"]["node"]
        results["machine"]["loadavg_end"] = os.getloadavg()

    out = args.out or os.path.join(
        BENCH, "results", f"core-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    shown = write_results(results, out)
    print(machine_line(results, "quick" if cfg["quick"] else "full"))
    print(table(results))
    print(f"results: {shown}")


if __name__ == "__main__":
    managers.run_main(main, "bench")

#!/usr/bin/env python3
"""File-watch restarts, rpm and PM2 side by side: latency, idle CPU and memory.

Three figures, each manager with its own state dir and HOME in one temp dir, one manager
at a time (shared code in bench/managers.py; same cleanup rules as core.py):

- latency: an app (tests/fixtures/stamp.sh: writes its start time in ns, then sleeps)
  watched with watch_delay 100 ms; one file written; time from the write until the new
  process has written its stamp, minus the 100 ms delay. Median of the reps.
- idle CPU: the same app watching a tree of 10,000 files (100 folders of 100) with nothing
  changing; the daemon's on-CPU time (schedstat, all threads) over a window, as % of one
  core. PM2's watcher (chokidar) runs in its God daemon, so that is what is measured.
- memory: the daemon's VmRSS while it watches that tree.

    python3 bench/watch.py            # full: 10 latency reps, a 30 s idle window
    python3 bench/watch.py --quick    # or BENCH_QUICK=1: 3 reps, 10 s
    python3 bench/watch.py --only rpm --no-build
"""

import argparse
import datetime
import json
import os
import statistics
import time

from managers import (BENCH, REPO, BenchError, Pm2, Rpm, bench_session, build_rpm, cell,
                      cmdline, cpu_times, ensure_pm2, log, machine, machine_line, now,
                      quick_default, read_file, render_table, run_main, summary, vm_rss_kib,
                      write_results)

STAMP_APP = os.path.join(REPO, "tests", "fixtures", "stamp.sh")
DELAY_MS = 100
TREE_DIRS, TREE_FILES = 100, 100


class WatchApps:
    """The bench's app is `sleep 1000` once stamp.sh has exec'd."""

    def is_our_app(self, pid):
        return cmdline(pid)[:2] in (["sleep", "1000"], ["/bin/sleep", "1000"])


class WatchedByFile:
    """Both managers start the app from the same ecosystem file. (PM2's CLI flag
    `--watch-delay` breaks its watch restarts here: a change is detected and logged, and
    the app is never restarted; with `watch_delay` in a file it works.)"""

    def start_watched(self, name, cwd, watched):
        path = os.path.join(self.root, f"{name}.json")
        app = {"name": name, "script": STAMP_APP, "interpreter": "bash", "cwd": cwd,
               "watch": [watched], "watch_delay": DELAY_MS}
        with open(path, "w") as f:
            json.dump({"apps": [app]}, f)
        self.run("start", path)


class WatchRpm(WatchApps, WatchedByFile, Rpm):
    pass


class WatchPm2(WatchApps, WatchedByFile, Pm2):
    pass


def read_stamp(path):
    text = read_file(path)
    return int(text) if text and text.strip().isdigit() else None


def wait_stamp(path, other_than, timeout=20):
    end = now() + timeout
    while True:
        stamp = read_stamp(path)
        if stamp is not None and stamp != other_than:
            return stamp
        if now() > end:
            raise BenchError(f"no new start stamp in {path} after {timeout}s")
        time.sleep(0.0005)


def scenario_latency(m, root, reps):
    app = os.path.join(root, "lat")
    src = os.path.join(app, "src")
    os.makedirs(src)
    stamp_file = os.path.join(root, "lat.stamp")
    m.env["STAMP_FILE"] = stamp_file
    m.start_watched("lat", app, src)
    stamp = wait_stamp(stamp_file, None)
    time.sleep(1.5)  # watchers settle (chokidar scans first); past min_uptime
    out = []
    for i in range(reps + 1):
        t0 = time.time_ns()
        with open(os.path.join(src, "app.js"), "w") as f:
            f.write(f"change {i}\n")
        new = wait_stamp(stamp_file, stamp)
        if i > 0:  # the first is a warm-up
            out.append((new - t0) / 1e6 - DELAY_MS)
        stamp = new
        time.sleep(1.2)  # past min_uptime, and a quiet watcher before the next write
    m.run("delete", "lat")
    return summary(out, "ms beyond watch_delay")


def make_tree(root):
    tree = os.path.join(root, "tree")
    for d in range(TREE_DIRS):
        folder = os.path.join(tree, f"d{d:03}")
        os.makedirs(folder)
        for f in range(TREE_FILES):
            with open(os.path.join(folder, f"f{f:03}.txt"), "w") as fh:
                fh.write("x\n")
    return tree


def scenario_idle(m, root, tree, seconds):
    m.env["STAMP_FILE"] = os.path.join(root, "idle.stamp")
    m.start_watched("idle", root, tree)
    wait_stamp(m.env["STAMP_FILE"], None)
    time.sleep(5)  # the initial scan of 10,000 files is over
    pid = m.daemon_pid()
    if not pid:
        raise BenchError(f"{m.name}: no daemon pid")
    _, ns0 = cpu_times(pid)
    t0 = now()
    time.sleep(seconds)
    _, ns1 = cpu_times(pid)
    wall = now() - t0
    rss = vm_rss_kib(pid) / 1024.0
    m.run("delete", "idle")
    return {
        "idle_cpu": summary([(ns1 - ns0) / 1e9 / wall * 100], "% of one core"),
        "idle_cpu_ms": summary([(ns1 - ns0) / 1e6], "ms of CPU in the window"),
        "rss": summary([rss], "MiB"),
    }


ROWS = [
    ("latency", "file write -> new app started, beyond watch_delay", "ms"),
    ("idle_cpu", "idle daemon CPU watching 10,000 files", "%"),
    ("idle_cpu_ms", "  (CPU time in the window)", "ms"),
    ("rss", "daemon RSS watching 10,000 files", "MiB"),
]


def table(results):
    rpm = results["results"].get("rpm", {})
    pm2 = results["results"].get("pm2", {})
    head = ("scenario", "unit", "rpm median [min-max]", "pm2 median [min-max]", "rpm/pm2")
    lines = []
    for key, label, unit in ROWS:
        a, b = rpm.get(key), pm2.get(key)
        ratio = f"{a['median'] / b['median']:.3f}" if a and b and b["median"] else "-"
        lines.append((label, unit, cell(a), cell(b), ratio))
    return "\n".join(render_table(head, lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=quick_default(),
                    help="fewer repetitions, a shorter idle window (also BENCH_QUICK=1)")
    ap.add_argument("--only", choices=["rpm", "pm2"], help="run one manager only")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--rpm", metavar="PATH", help="run this rpm binary instead of the build")
    ap.add_argument("--out", help="JSON output path (default bench/results/watch-<date>.json)")
    args = ap.parse_args()
    cfg = {"reps": 3, "idle_seconds": 10} if args.quick else {"reps": 10, "idle_seconds": 30}

    rpm_bin = build_rpm(no_build=args.no_build, binary=args.rpm)
    want = [args.only] if args.only else ["rpm", "pm2"]
    pm2_bin = ensure_pm2() if "pm2" in want else None
    results = {
        "bench": "watch",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {},
        "results": {},
    }
    with bench_session("rpm-bench-watch-") as (root, started):
        tree = make_tree(root)
        for who in want:
            sub = os.path.join(root, who)
            os.makedirs(sub)
            m = WatchRpm(sub, rpm_bin) if who == "rpm" else WatchPm2(sub, pm2_bin)
            started.append(m)
            results["versions"][who] = m.version()
            log(f"== {who}: latency ({cfg['reps']} reps)")
            r = {"latency": scenario_latency(m, sub, cfg["reps"])}
            log(f"== {who}: idle watching {TREE_DIRS * TREE_FILES} files ({cfg['idle_seconds']} s)")
            r.update(scenario_idle(m, sub, tree, cfg["idle_seconds"]))
            results["results"][who] = r
            m.kill()
        results["versions"]["node"] = results["machine"]["node"]
        results["machine"]["loadavg_end"] = os.getloadavg()
    out = args.out or os.path.join(
        BENCH, "results", f"watch-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    shown = write_results(results, out)
    print(machine_line(results, "quick" if args.quick else "full"))
    print(table(results))
    print(f"results: {shown}")


if __name__ == "__main__":
    run_main(main, "watch bench")

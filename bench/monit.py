#!/usr/bin/env python3
"""`rpm monit`'s own CPU while idle, and the daemon's while it watches and after it quits.

Each manager with its own state dir and HOME in one temp dir, one at a time (shared code
in bench/managers.py; same cleanup rules as core.py). N apps (`/bin/sleep 1000`) run;
the dashboard (`rpm monit`, or `pm2 monit`) runs in a private tmux server (its own
socket, no config, an 80x24 session), started with the manager's environment. Once the
apps are on its screen and a warm-up has passed, over each window:

- dashboard CPU: on-CPU time of the dashboard process, all threads (schedstat), as % of
  one core; and its VmRSS.
- daemon CPU while the dashboard watches (rpm's sampler runs because it lists once a second).
- daemon CPU after the dashboard quit (`q`), past the sampler's 2 s viewing window:
  sampling has stopped, so this is the idle daemon again.

    python3 bench/monit.py            # full: 20 apps, 3 windows of 10 s
    python3 bench/monit.py --quick    # or BENCH_QUICK=1: 1 window of 5 s
    python3 bench/monit.py --only rpm --no-build --apps 50
"""

import argparse
import datetime
import os
import shutil
import subprocess
import time

from managers import (BENCH, BenchError, Pm2, Rpm, bench_session, build_rpm, cell, cmdline,
                      cpu_times, ensure_pm2, log, machine, machine_line, now, pid_alive,
                      quick_default, read_file, render_table, run_main, summary, vm_rss_kib,
                      write_results)

WARMUP_S = 3.0
SETTLE_AFTER_QUIT_S = 4.0  # the daemon samples for 2 s after the last look


class SleepApps:
    def is_our_app(self, pid):
        return cmdline(pid)[:2] in (["sleep", "1000"], ["/bin/sleep", "1000"])


class MonitRpm(SleepApps, Rpm):
    pass


class MonitPm2(SleepApps, Pm2):
    pass


class Tmux:
    """A tmux server of the bench's own; `close` kills it and removes its socket."""

    def __init__(self, name):
        self.name = name
        self.socket_path = None

    def run(self, *args):
        p = subprocess.run(["tmux", "-L", self.name, "-f", "/dev/null", *args],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise BenchError(f"tmux {' '.join(args)}: {p.stderr.strip()}")
        return p.stdout

    def start(self, env, argv):
        pairs = [f"{k}={env[k]}" for k in ("HOME", "RPM_HOME", "PM2_HOME", "PATH") if k in env]
        # More than one argument: tmux runs the command itself, without a shell, so the
        # pane's pid is the dashboard (env execs it).
        self.run("new-session", "-d", "-s", "monit", "-x", "80", "-y", "24",
                 "env", *pairs, *argv)
        self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()
        return int(self.run("display-message", "-p", "-t", "monit", "#{pane_pid}").strip())

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "monit")

    def press(self, key):
        self.run("send-keys", "-t", "monit", key)

    def close(self):
        subprocess.run(["tmux", "-L", self.name, "kill-server"], capture_output=True)
        if self.socket_path:
            try:
                os.remove(self.socket_path)
            except OSError:
                pass


def wait_for(what, probe, timeout=60):
    end = now() + timeout
    while True:
        value = probe()
        if value:
            return value
        if now() > end:
            raise BenchError(f"timed out waiting for {what}")
        time.sleep(0.05)


def cpu_percent(pid, seconds):
    _, ns0 = cpu_times(pid)
    t0 = now()
    time.sleep(seconds)
    _, ns1 = cpu_times(pid)
    return (ns1 - ns0) / 1e9 / (now() - t0) * 100


def is_dashboard(pid, m):
    env = (read_file(f"/proc/{pid}/environ") or "").split("\0")
    return "monit" in " ".join(cmdline(pid)) and f"{m.state_var}={m.state_dir}" in env


def bench_manager(m, cfg, tag):
    for i in range(cfg["apps"]):
        m.run("start", "/bin/sleep", "--name", f"s{i:02}", "--", "1000")
    wait_for("every app online",
             lambda: len([a for a in m.jlist() if a["status"] == "online"]) == cfg["apps"])
    daemon = m.daemon_pid()
    if not daemon:
        raise BenchError(f"{m.name}: no daemon pid")
    tmux = Tmux(f"rpm-bench-monit-{os.getpid()}-{tag}")
    dash = None
    try:
        dash = tmux.start(m.env, m.argv("monit"))
        wait_for(f"{m.name} monit showing the apps", lambda: "s00" in tmux.screen())
        if not is_dashboard(dash, m):
            raise BenchError(f"pane pid {dash} is not {m.name} monit: {cmdline(dash)}")
        time.sleep(WARMUP_S)
        dash_cpu, daemon_cpu, rss = [], [], []
        for _ in range(cfg["windows"]):
            d0, m0 = cpu_times(dash)[1], cpu_times(daemon)[1]
            t0 = now()
            time.sleep(cfg["seconds"])
            d1, m1 = cpu_times(dash)[1], cpu_times(daemon)[1]
            wall = now() - t0
            dash_cpu.append((d1 - d0) / 1e9 / wall * 100)
            daemon_cpu.append((m1 - m0) / 1e9 / wall * 100)
            rss.append(vm_rss_kib(dash) / 1024.0)
        tmux.press("q")
        wait_for(f"{m.name} monit to quit", lambda: not pid_alive(dash), timeout=20)
        time.sleep(SETTLE_AFTER_QUIT_S)
        after = [cpu_percent(daemon, cfg["seconds"]) for _ in range(cfg["windows"])]
    finally:
        if dash and pid_alive(dash) and is_dashboard(dash, m):
            os.kill(dash, 9)
        tmux.close()
    return {
        "monit_cpu": summary(dash_cpu, "% of one core"),
        "monit_rss": summary(rss, "MiB"),
        "daemon_cpu_watched": summary(daemon_cpu, "% of one core"),
        "daemon_cpu_after": summary(after, "% of one core"),
    }


ROWS = [
    ("monit_cpu", "dashboard CPU, idle, N apps", "%"),
    ("monit_rss", "dashboard RSS", "MiB"),
    ("daemon_cpu_watched", "daemon CPU while the dashboard watches", "%"),
    ("daemon_cpu_after", "daemon CPU after the dashboard quit", "%"),
]


def table(results):
    rpm = results["results"].get("rpm", {})
    pm2 = results["results"].get("pm2", {})
    head = ("figure", "unit", "rpm median [min-max]", "pm2 median [min-max]", "rpm/pm2")
    lines = []
    for key, label, unit in ROWS:
        a, b = rpm.get(key), pm2.get(key)
        ratio = f"{a['median'] / b['median']:.3f}" if a and b and b["median"] else "-"
        lines.append((label, unit, cell(a), cell(b), ratio))
    return "\n".join(render_table(head, lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=quick_default(),
                    help="one short window (also BENCH_QUICK=1)")
    ap.add_argument("--only", choices=["rpm", "pm2"], help="run one manager only")
    ap.add_argument("--apps", type=int, default=20, help="apps running (default 20)")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--rpm", metavar="PATH", help="run this rpm binary instead of the build")
    ap.add_argument("--out", help="JSON output path (default bench/results/monit-<date>.json)")
    args = ap.parse_args()
    if shutil.which("tmux") is None:
        raise BenchError("tmux is needed (apt-get install -y tmux)")
    cfg = {"apps": args.apps, "windows": 1 if args.quick else 3,
           "seconds": 5 if args.quick else 10}
    rpm_bin = build_rpm(no_build=args.no_build, binary=args.rpm)
    want = [args.only] if args.only else ["rpm", "pm2"]
    pm2_bin = ensure_pm2() if "pm2" in want else None
    results = {
        "bench": "monit",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {},
        "results": {},
    }
    with bench_session("rpm-bench-monit-") as (root, started):
        for who in want:
            sub = os.path.join(root, who)
            os.makedirs(sub)
            m = MonitRpm(sub, rpm_bin) if who == "rpm" else MonitPm2(sub, pm2_bin)
            started.append(m)
            results["versions"][who] = m.version()
            log(f"== {who}: monit with {cfg['apps']} apps, "
                f"{cfg['windows']} x {cfg['seconds']} s")
            results["results"][who] = bench_manager(m, cfg, who)
            m.kill()
        results["versions"]["node"] = results["machine"]["node"]
        results["machine"]["loadavg_end"] = os.getloadavg()
    out = args.out or os.path.join(
        BENCH, "results", f"monit-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    shown = write_results(results, out)
    print(machine_line(results, "quick" if args.quick else "full"))
    print(table(results))
    print(f"results: {shown}")
    return 0


if __name__ == "__main__":
    run_main(main, "bench/monit.py")

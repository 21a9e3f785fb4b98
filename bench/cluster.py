#!/usr/bin/env python3
"""Cluster mode, rpm and PM2 side by side: throughput on a shared port, requests lost to
reloads, and how long a reload takes.

Each manager with its own state dir and HOME in one temp dir, one manager at a time
(shared code in bench/managers.py; same cleanup rules as core.py). The apps are the
cluster-mode test fixtures in tests/fixtures/cluster:

- node: node_http.js (a hello world: `GET /` answers "<pid> <instance>"), 2 instances in
  cluster mode with `wait_ready` and process.send('ready'). rpm: `exec_mode: cluster`,
  `port: P` (the daemon owns the socket, the preload hands it to listen(PORT)). PM2:
  `exec_mode: cluster`, PORT=P in env (Node's cluster module shares it).
- python: fd3_server.py (stdlib, serves only on a socket passed as fd 3, READY=1 over
  NOTIFY_SOCKET), 2 instances under rpm. PM2 cannot share a socket between Python
  processes, so its reference is 1 fork instance: this script, run as
  `cluster.py --exec-fd3 P SERVER`, binds P and execs the same server with the socket as
  fd 3 (a PM2 reload of it is a restart).

Figures, for each app and manager:

| figure | what is measured |
|---|---|
| throughput | `wrk -t1 -c16 -dD` on `GET /` (D: 5 s; quick: 3 s) after a 1 s warm-up; median [min-max] of the runs' Requests/sec |
| failed during 10 reloads | `reload <app>` 10 times back to back while wrk (8 keep-alive connections) and tests/fixtures/cluster/client.py (4 threads, a new connection per request) load the port; wrk: non-2xx + socket errors; client.py: everything that is not a whole 2xx response |
| reload time | a 4-instance node app, ready when each instance has sent 'ready'; from `reload <app>` until jlist shows 4 new pids online (the command and the jlist polls included), median of the reps, 1.5 s apart |

After every reload the script checks that jlist shows the app's instances online with
all pids new, and fails (does not hang) when a step does not happen in time: an app
that does not answer on its port within 20 s, a manager command that does not return
within 60 s, a reload whose new instances do not show within 30 s. A manager whose half
fails has the reason in its column and the JSON, the other manager still runs, and the
script exits 1. An rpm that warns it does not support cluster mode yet fails at once.

    python3 bench/cluster.py            # full: 5 wrk runs of 5 s, 5 reload-time reps; ~5 min
    python3 bench/cluster.py --quick    # or BENCH_QUICK=1: 3 runs of 3 s, 3 reps; ~3 min
    python3 bench/cluster.py --only pm2
    python3 bench/cluster.py --only rpm --no-build --rpm /tmp/rpm-other

Needs wrk (`apt-get install -y wrk`; the script says so when it is missing) and Node.
Results in bench/results/cluster-<date>.json.
"""

import argparse
import datetime
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ (PM2 runs this file too: --exec-fd3)

from managers import (BENCH, REPO, BenchError, Pm2, Rpm, bench_session, build_rpm, cell,
                      cmdline, ensure_pm2, log, machine, machine_line, now, quick_default,
                      read_file, render_table, run_main, summary, write_results)

FIXTURES = os.path.join(REPO, "tests", "fixtures", "cluster")
NODE_APP = os.path.join(FIXTURES, "node_http.js")
PY_APP = os.path.join(FIXTURES, "fd3_server.py")
CLIENT = os.path.join(FIXTURES, "client.py")
PYTHON = sys.executable  # the real interpreter, not a pyenv shim
THIS = os.path.abspath(__file__)

WRK_THREADS, WRK_CONNS = 1, 16
LOAD_CONNS = 8  # wrk's connections during the reloads
RELOADS = 10
SERVE_TIMEOUT = 20.0
REPLACE_TIMEOUT = 30.0
CMD_TIMEOUT = 60


def load_client():
    """tests/fixtures/cluster/client.py as a module, for its one-request probe."""
    spec = importlib.util.spec_from_file_location("cluster_client", CLIENT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


CLIENT_MOD = load_client()


def free_port():
    """A port free on 0.0.0.0 and [::] alike (rpm's `port: N` binds both)."""
    for _ in range(50):
        with socket.socket() as s4:
            s4.bind(("0.0.0.0", 0))
            port = s4.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6) as s6:
                    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s6.bind(("::", port))
            except OSError:
                continue
            return port
    raise BenchError("no free port found")


# ---------------------------------------------------------------- managers


class ClusterApps:
    """The bench's apps and what both managers share: start a file, wait until the app
    answers on its port from every instance, wait until a reload has replaced them all."""

    def is_our_app(self, pid):
        # One of the fixtures (or our --exec-fd3 wrapper), started under our state dir.
        env = (read_file(f"/proc/{pid}/environ") or "").split("\0")
        args = cmdline(pid)
        return f"{self.state_var}={self.state_dir}" in env and any(
            FIXTURES in a or a == THIS for a in args)

    def start_apps(self, apps):
        path = os.path.join(self.root, f"eco-{apps[0]['name']}.json")
        with open(path, "w") as f:
            json.dump({"apps": apps}, f, indent=1)
        p = self.run("start", path, timeout=CMD_TIMEOUT)
        unsupported = [line for line in p.stderr.splitlines() if "not supported" in line]
        if unsupported:
            raise BenchError(f"{self.name} start: " + " / ".join(unsupported)[:600])

    def rows(self, name):
        return [a for a in self.jlist() if a["name"] == name]

    def wait_serving(self, name, port, instances):
        """Until jlist shows `instances` online and each of their pids has answered."""
        end = now() + SERVE_TIMEOUT
        served, errors, last_pids = set(), {}, None
        target = ("127.0.0.1", port)
        while True:
            pids = {a["pid"] for a in self.rows(name) if a["status"] == "online" and a["pid"]}
            if pids != last_pids:
                served, last_pids = set(), pids
            for _ in range(20):
                err, pid = CLIENT_MOD.one_request(socket.AF_INET, target, "localhost", "/")
                if err:
                    errors[err] = errors.get(err, 0) + 1
                elif pid:
                    served.add(pid)
            if len(pids) == instances and pids <= served:
                return pids
            if now() > end:
                raise BenchError(
                    f"{self.name}: app {name} not serving on port {port} from {instances} "
                    f"instances after {SERVE_TIMEOUT:.0f}s: jlist "
                    f"{[(a['pid'], a['status'], a['restarts']) for a in self.rows(name)]}, "
                    f"pids that answered {sorted(served)}, errors {errors}{self.logs_tail(name)}")
            time.sleep(0.05)

    def wait_replaced(self, name, before, instances):
        """Until jlist shows `instances` online, none of them a pid from `before`."""
        end = now() + REPLACE_TIMEOUT
        while True:
            rows = self.rows(name)
            pids = {a["pid"] for a in rows if a["status"] == "online" and a["pid"]}
            if len(rows) == instances and len(pids) == instances and not pids & before:
                return pids
            if now() > end:
                raise BenchError(
                    f"{self.name}: reload {name}: instances not all replaced after "
                    f"{REPLACE_TIMEOUT:.0f}s: before {sorted(before)}, now "
                    f"{[(a['pid'], a['status']) for a in rows]}{self.logs_tail(name)}")
            time.sleep(0.01)

    def logs_tail(self, name):
        """What the app's log files end with (errors first), for an error message."""
        logs = os.path.join(self.state_dir, "logs")
        out = []
        for fname in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
            if not fname.startswith(f"{name}-"):
                continue
            lines = [l.strip() for l in (read_file(os.path.join(logs, fname)) or "").splitlines()]
            lines = [l for l in lines if len(l) > 3]
            errors = [l for l in lines if "Error:" in l][:1]  # Node's and Python's
            shown = list(dict.fromkeys(errors + lines[-1:]))
            if shown:
                out.append(f"{fname}: " + " | ".join(shown))
        text = "; ".join(out)
        return f"; logs: {text[:1500]}" if text else ""


class ClusterRpm(ClusterApps, Rpm):
    python_label = "2 instances, cluster"

    def node_app(self, name, port, instances):
        return {"name": name, "script": NODE_APP, "instances": instances,
                "exec_mode": "cluster", "port": port, "wait_ready": True,
                "env": {"SEND_READY": "1"}}

    def python_app(self, name, port):
        return {"name": name, "script": PY_APP, "interpreter": PYTHON, "instances": 2,
                "exec_mode": "cluster", "port": port, "wait_ready": True}


class ClusterPm2(ClusterApps, Pm2):
    python_label = "1 fork instance (no shared socket)"

    def node_app(self, name, port, instances):
        return {"name": name, "script": NODE_APP, "instances": instances,
                "exec_mode": "cluster", "wait_ready": True,
                "env": {"PORT": str(port), "SEND_READY": "1"}}

    def python_app(self, name, port):
        return {"name": name, "script": THIS, "args": ["--exec-fd3", str(port), PY_APP],
                "interpreter": PYTHON, "instances": 1, "exec_mode": "fork"}


# ---------------------------------------------------------------- load


def wrk_version():
    p = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (p.stdout or p.stderr).splitlines()[0].split(" Copyright")[0] if (p.stdout or p.stderr) else "?"


def parse_wrk(text):
    """Requests/sec, requests, and the failures wrk counts (non-2xx/3xx, socket errors)."""
    out = {"rps": None, "requests": 0, "non2xx": 0, "connect": 0, "read": 0, "write": 0,
           "timeout": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        for k, v in zip(("connect", "read", "write", "timeout"), m.groups()):
            out[k] = int(v)
    out["failed"] = out["non2xx"] + out["connect"] + out["read"] + out["write"] + out["timeout"]
    return out


def run_wrk(url, seconds, conns=WRK_CONNS):
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{conns}", f"-d{seconds}s", url]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    r = parse_wrk(p.stdout)
    if p.returncode != 0 or r["rps"] is None:
        raise BenchError(f"wrk {url}: exit {p.returncode}: {(p.stdout + p.stderr).strip()[:300]}")
    return r


def stop_proc(p, sig=signal.SIGINT, timeout=10):
    """Ends a load process this script started (by its Popen, so by its pid)."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- scenarios


def scenario_throughput(m, port, cfg):
    url = f"http://127.0.0.1:{port}/"
    run_wrk(url, 1)  # warm-up
    runs = [run_wrk(url, cfg["wrk_seconds"]) for _ in range(cfg["wrk_reps"])]
    res = summary([r["rps"] for r in runs], "req/s")
    res["failed"] = sum(r["failed"] for r in runs)
    res["requests"] = sum(r["requests"] for r in runs)
    return res


def scenario_reloads(m, name, port, instances, n):
    """`reload name` n times under load; what the clients lost, and each reload's time."""
    url = f"http://127.0.0.1:{port}/"
    stop_file = os.path.join(m.root, f"stop-{name}")
    wrk = subprocess.Popen(["wrk", f"-t{WRK_THREADS}", f"-c{LOAD_CONNS}", "-d600s", url],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = subprocess.Popen([PYTHON, CLIENT, url, stop_file], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, CLIENT_MAX_S="600"))
    times, replaced = [], 0
    try:
        time.sleep(1.0)  # both under way
        for _ in range(n):
            before = {a["pid"] for a in m.rows(name) if a["pid"]}
            t0 = now()
            m.run("reload", name, timeout=CMD_TIMEOUT)
            m.wait_replaced(name, before, instances)
            times.append((now() - t0) * 1000)
            replaced += 1
        time.sleep(1.0)  # requests of the last reload settle
    finally:
        with open(stop_file, "w"):
            pass
        stop_proc(wrk, signal.SIGINT)  # wrk prints its totals on SIGINT
        try:
            client_out, client_err = client.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            stop_proc(client, signal.SIGKILL)
            client_out, client_err = "", "client.py did not stop"
        wrk_out = wrk.stdout.read()
    w = parse_wrk(wrk_out)
    try:
        c = json.loads(client_out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError(f"client.py gave no result: {client_err.strip()[:300]}")
    return {
        "reloads": replaced,
        "wrk": w,
        "client": c,
        "failed_wrk": w["failed"],
        "failed_client": c["failed"],
        "reload_ms_under_load": summary(times, "ms"),
    }


def scenario_reload_time(m, port, reps, warmup):
    name = "node4"
    m.start_apps([m.node_app(name, port, 4)])
    m.wait_serving(name, port, 4)
    samples = []
    for i in range(warmup + reps):
        time.sleep(1.5)  # past min_uptime
        before = {a["pid"] for a in m.rows(name) if a["pid"]}
        t0 = now()
        m.run("reload", name, timeout=CMD_TIMEOUT)
        m.wait_replaced(name, before, 4)
        if i >= warmup:
            samples.append((now() - t0) * 1000)
    m.run("delete", name, check=False)
    return summary(samples, "ms")


def guarded(res, key, fn):
    """Runs one scenario; a failure is recorded under `key` (and re-raised as the half's
    failure when it is the first), so the script goes on with the next."""
    try:
        res[key] = fn()
    except (BenchError, subprocess.TimeoutExpired, OSError) as e:
        msg = str(e).strip() or type(e).__name__
        log(f"   FAILED: {msg[:2000]}")
        res[key] = {"error": msg}
        res.setdefault("errors", []).append(f"{key}: {msg}")


def bench_manager(m, cfg):
    r = {}
    for app, make in (("node", lambda port: m.node_app("node2", port, 2)),
                      ("python", lambda port: m.python_app("py", port))):
        port = free_port()
        spec = make(port)
        name, instances = spec["name"], spec["instances"]
        log(f"== {m.name}: {app} ({instances} instance(s)), port {port}")
        try:
            m.start_apps([spec])
            m.wait_serving(name, port, instances)
        except (BenchError, subprocess.TimeoutExpired) as e:
            msg = str(e).strip()
            log(f"   FAILED: {msg[:2000]}")
            r[f"{app}_throughput"] = r[f"{app}_reloads"] = {"error": msg}
            r.setdefault("errors", []).append(f"{app} start: {msg}")
            m.run("delete", "all", check=False)
            continue
        log(f"== {m.name}: {app} throughput ({cfg['wrk_reps']} x {cfg['wrk_seconds']} s)")
        guarded(r, f"{app}_throughput", lambda: scenario_throughput(m, port, cfg))
        log(f"== {m.name}: {app}, {RELOADS} reloads under load")
        guarded(r, f"{app}_reloads", lambda: scenario_reloads(m, name, port, instances, RELOADS))
        m.run("delete", "all", check=False)
    log(f"== {m.name}: reload time, 4 ready instances ({cfg['reload_reps']} reps)")
    guarded(r, "reload_time", lambda: scenario_reload_time(m, free_port(), cfg["reload_reps"], 1))
    return r


# ---------------------------------------------------------------- output


def failed_cell(s, key):
    """"N (of M)": failed requests, and all requests that got an answer or an error.
    wrk's `requests` counts responses, non-2xx included; its socket errors come on top."""
    if not s:
        return "n/a"
    if "error" in s:
        return "FAILED"
    if key == "failed_wrk":
        w = s["wrk"]
        total = w["requests"] + w["failed"] - w["non2xx"]
    else:
        total = s["client"]["ok"] + s["client"]["failed"]
    return f"{s[key]} (of {total})"


def table(results):
    res = results["results"]
    rpm, pm2 = res.get("rpm", {}), res.get("pm2", {})
    head = ("figure", "unit", "rpm", "pm2", "rpm/pm2")

    def num(key):
        a, b = rpm.get(key), pm2.get(key)
        ca = "FAILED" if a and "error" in a else cell(a)
        cb = "FAILED" if b and "error" in b else cell(b)
        ratio = "-"
        if a and b and "median" in a and "median" in b and b["median"]:
            ratio = f"{a['median'] / b['median']:.2f}"
        return ca, cb, ratio

    lines = [
        ("node hello, 2 instances: throughput", "req/s", *num("node_throughput")),
        ("python fd-3 server: throughput", "req/s", *num("python_throughput")),
    ]
    for app in ("node", "python"):
        a, b = rpm.get(f"{app}_reloads"), pm2.get(f"{app}_reloads")
        lines.append((f"{app}: failed in {RELOADS} reloads, wrk", "requests",
                      failed_cell(a, "failed_wrk"), failed_cell(b, "failed_wrk"), "-"))
        lines.append((f"{app}: failed in {RELOADS} reloads, client.py", "requests",
                      failed_cell(a, "failed_client"), failed_cell(b, "failed_client"), "-"))
        ra = a.get("reload_ms_under_load") if a and "error" not in a else None
        rb = b.get("reload_ms_under_load") if b and "error" not in b else None
        lines.append((f"{app}: one reload under load", "ms", cell(ra), cell(rb), "-"))
    lines.append(("reload, 4 ready node instances", "ms", *num("reload_time")))
    out = render_table(head, lines)
    for who, r in (("rpm", rpm), ("pm2", pm2)):
        for app in ("node", "python"):
            t = r.get(f"{app}_throughput") or {}
            if t.get("failed"):
                out.append(f"{who} {app}: {t['failed']} failed requests during the throughput runs")
    out.append(f"python: rpm runs {ClusterRpm.python_label}; pm2 {ClusterPm2.python_label}, "
               "the same server behind a wrapper that binds the port (its reload is a restart)")
    for who, r in (("rpm", rpm), ("pm2", pm2)):
        for e in r.get("errors", []):
            out.append(f"{who} FAILED {e[:400]}")
    return "\n".join(out)


# ---------------------------------------------------------------- PM2's Python reference


def exec_fd3(port, server):
    """`cluster.py --exec-fd3 PORT SERVER`: bind 127.0.0.1:PORT, then exec SERVER with the
    socket as fd 3 and LISTEN_FDS / LISTEN_PID (this pid, which exec keeps)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(511)
    if s.fileno() == 3:
        os.set_inheritable(3, True)
    else:
        os.dup2(s.fileno(), 3)  # inheritable
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="web",
               PORT=str(port))
    os.execve(PYTHON, [PYTHON, server], env)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=quick_default(),
                    help="fewer and shorter runs (also BENCH_QUICK=1)")
    ap.add_argument("--reps", type=int, help="wrk runs and reload-time reps (overrides the mode)")
    ap.add_argument("--only", choices=["rpm", "pm2"], help="run one manager only")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--rpm", metavar="PATH", help="run this rpm binary instead of this checkout's")
    ap.add_argument("--out", help="JSON output path (default bench/results/cluster-<date>.json)")
    args = ap.parse_args()

    if args.quick:
        cfg = dict(wrk_seconds=3, wrk_reps=3, reload_reps=3)
    else:
        cfg = dict(wrk_seconds=5, wrk_reps=5, reload_reps=5)
    if args.reps:
        cfg.update(wrk_reps=args.reps, reload_reps=args.reps)
    cfg.update(quick=args.quick, wrk_threads=WRK_THREADS, wrk_connections=WRK_CONNS,
               load_connections=LOAD_CONNS, reloads=RELOADS)

    if shutil.which("wrk") is None:
        raise BenchError("wrk not found: install it with `apt-get install -y wrk`")
    want = [args.only] if args.only else ["rpm", "pm2"]
    rpm_bin = None
    if "rpm" in want:
        rpm_bin = build_rpm(no_build=args.no_build, binary=args.rpm)
        if not os.access(rpm_bin, os.X_OK):
            raise BenchError(f"no rpm binary at {rpm_bin}: run without --no-build or set CARGO_TARGET_DIR")
    pm2_bin = ensure_pm2() if "pm2" in want else None

    results = {
        "bench": "cluster",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {"wrk": wrk_version()},
        "results": {},
    }
    with bench_session("rpm-bench-cluster-") as (root, started):
        for who in want:
            sub = os.path.join(root, who)
            os.makedirs(sub)
            m = ClusterRpm(sub, rpm_bin) if who == "rpm" else ClusterPm2(sub, pm2_bin)
            started.append(m)
            results["versions"][who] = m.version()
            results["results"][who] = bench_manager(m, cfg)
            m.kill()  # one manager at a time on a 2-core machine
        results["versions"]["node"] = results["machine"]["node"]
        results["machine"]["loadavg_end"] = os.getloadavg()

    out = args.out or os.path.join(
        BENCH, "results", f"cluster-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    shown = write_results(results, out)
    print(machine_line(results, "quick" if cfg["quick"] else "full") + f" | {results['versions']['wrk']}")
    print(table(results))
    print(f"results: {shown}")
    failed = [who for who, r in results["results"].items() if r.get("errors")]
    if failed:
        log(f"cluster bench: {', '.join(failed)} failed (see above)")
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--exec-fd3":
        exec_fd3(sys.argv[2], sys.argv[3])
    run_main(main, "cluster bench")

#!/usr/bin/env python3
"""rpm web: what the HTTP API costs, with 100 apps.

Scenarios (rpm only: PM2's `pm2 web` serves only its `GET /` document, with no API,
events or metrics to compare):
  list       `GET /api/processes` with 100 apps: the server's own time, from the
             `Server-Timing` header it sends, back to back; one every 0.6 s (the
             refresher lists again every 400 ms while the server is asked); after a
             quiet spell of 75 s (past the refresher's 70 s "in use" window: answered
             from the list in memory, its `Age` header recorded, while a new one is
             fetched behind it); and right after a change (`rpm restart s0` from the
             CLI), when a request may wait for the list fetched after the change's
             notice; the client's round trip on a kept-alive loopback connection beside it
  metrics    `GET /metrics` paced at 1,000 requests/s for a window, on kept-alive
             connections: the rate reached, and the CPU of the daemon and of the web
             server over the window (% of one core, from /proc/<pid>/stat)
  sse_rss    the daemon's VmRSS with 100 apps: before `rpm web`, then with it serving
             and 100 `GET /api/events` subscribers connected; the web server's VmRSS too

The apps are 100 `/bin/sleep 1000`. rpm runs with its own RPM_HOME and HOME in a temp
dir; everything started is stopped on exit, Ctrl-C or failure (`rpm web --stop`,
`rpm kill`, then SIGKILL of recorded pids that are still ours).

Usage: python3 bench/web.py [--quick] [--no-build] [--rpm PATH] [--out FILE]
Stdlib only. Linux only (/proc).
"""

import argparse
import datetime
import http.client
import json
import os
import signal
import socket
import threading
import time

from managers import (BENCH, CLK_TCK, BenchError, bench_session, build_rpm,
                      cpu_times, log, machine, now, quick_default, read_file,
                      render_table, run_main, summary, vm_rss_kib, write_results)
import managers

APPS = 100
SUBSCRIBERS = 100


class WebRpm(managers.Rpm):
    """rpm with the web server it started, stopped with everything else."""

    web_pid = None

    def is_our_app(self, pid):
        return managers.cmdline(pid)[:2] in (["/bin/sleep", "1000"], ["sleep", "1000"])

    def start_web(self):
        self.run("web", "--port", "0")
        text = read_file(os.path.join(self.state_dir, "web.pid")) or ""
        lines = text.split()
        if len(lines) < 2:
            raise BenchError(f"rpm web wrote no web.pid: {text!r}")
        self.web_pid = int(lines[0])
        host, port = lines[1].removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def kill(self):
        if self.web_pid and not self.killed:
            self.run("web", "--stop", check=False)
            if managers.pid_alive(self.web_pid) and "--serve" in managers.cmdline(self.web_pid):
                os.kill(self.web_pid, signal.SIGKILL)
        super().kill()


def start_apps(m):
    eco = os.path.join(m.root, "ecosystem.json")
    apps = [{"name": f"s{i}", "script": "/bin/sleep", "args": ["1000"]} for i in range(APPS)]
    with open(eco, "w") as f:
        json.dump({"apps": apps}, f)
    m.run("start", eco, timeout=120)
    end = now() + 60
    while True:
        rows = m.jlist()
        if len(rows) == APPS and all(r["status"] == "online" for r in rows):
            return
        if now() > end:
            raise BenchError("the 100 apps did not all come online")
        time.sleep(0.1)


def server_ms(response):
    timing = response.getheader("Server-Timing") or ""
    for part in timing.split(";"):
        if part.startswith("dur="):
            return float(part[4:])
    raise BenchError(f"no Server-Timing in the answer: {timing!r}")


def get_once(addr):
    """`GET /api/processes` on a new connection (as a script polling now and then
    would; the server closes one idle for 10 s): the server's time and the `Age`."""
    conn = http.client.HTTPConnection(*addr, timeout=30)
    try:
        conn.request("GET", "/api/processes")
        r = conn.getresponse()
        r.read()
        return server_ms(r), float(r.getheader("Age") or "nan")
    finally:
        conn.close()


def scenario_list(m, addr, hits, misses, colds, changes):
    conn = http.client.HTTPConnection(*addr, timeout=30)
    hit_server, hit_client, miss_server, cold_server, cold_age = [], [], [], [], []
    change_server = []
    for _ in range(20):  # warm-up
        conn.request("GET", "/api/processes")
        conn.getresponse().read()
    for _ in range(hits):
        t = now()
        conn.request("GET", "/api/processes")
        r = conn.getresponse()
        body = r.read()
        hit_client.append((now() - t) * 1000)
        hit_server.append(server_ms(r))
        if r.status != 200 or len(json.loads(body)) != APPS:
            raise BenchError(f"GET /api/processes answered {r.status}")
    for _ in range(misses):
        time.sleep(0.6)  # past the refresher's 400 ms: a list fetched since the last
        conn.request("GET", "/api/processes")
        r = conn.getresponse()
        r.read()
        miss_server.append(server_ms(r))
    conn.close()
    for _ in range(changes):
        time.sleep(0.5)
        m.run("restart", "s0")
        change_server.append(get_once(addr)[0])
    for _ in range(colds):
        time.sleep(75)  # past the refresher's 70 s "in use" window
        ms, age = get_once(addr)
        cold_server.append(ms)
        cold_age.append(age)
    return {
        "server_ms_cached": summary(hit_server, "ms"),
        "client_ms_cached": summary(hit_client, "ms"),
        "server_ms_spaced": summary(miss_server, "ms"),
        "server_ms_after_change": summary(change_server, "ms"),
        "server_ms_quiet": summary(cold_server, "ms"),
        "age_s_quiet": summary(cold_age, "s"),
    }


def cpu_s(pid):
    """CPU seconds of `pid` (utime+stime: counts threads that have ended too)."""
    ticks, _ns = cpu_times(pid)
    return ticks / CLK_TCK


def scrape(addr, rate, seconds, counts, index):
    """One client: `GET /metrics` paced at `rate` per second on one kept-alive connection."""
    conn = http.client.HTTPConnection(*addr, timeout=10)
    sent, start = 0, now()
    while True:
        wait = start + sent / rate - now()
        if wait > 0:
            time.sleep(wait)
        if now() - start >= seconds:
            break
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            counts[index] = -1
            return
        sent += 1
    conn.close()
    counts[index] = sent


def scenario_metrics(addr, daemon, web, seconds, rate=1000, clients=2):
    warm = http.client.HTTPConnection(*addr, timeout=10)
    for _ in range(50):
        warm.request("GET", "/metrics")
        warm.getresponse().read()
    warm.close()
    counts = [0] * clients
    threads = [threading.Thread(target=scrape, args=(addr, rate / clients, seconds, counts, i))
               for i in range(clients)]
    d0, w0, t0 = cpu_s(daemon), cpu_s(web), now()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = now() - t0
    d1, w1 = cpu_s(daemon), cpu_s(web)
    if min(counts) < 0:
        raise BenchError("GET /metrics answered something other than 200")
    sent = sum(counts)
    return {
        "requests": sent,
        "clients": clients,
        "seconds": round(elapsed, 3),
        "rate_per_s": round(sent / elapsed, 1),
        "daemon_cpu_percent": round(100 * (d1 - d0) / elapsed, 2),
        "web_cpu_percent": round(100 * (w1 - w0) / elapsed, 2),
    }


def scenario_sse(m, daemon):
    before = vm_rss_kib(daemon)
    addr = m.start_web()
    socks = []
    try:
        for _ in range(SUBSCRIBERS):
            s = socket.create_connection(addr, timeout=10)
            s.sendall(b"GET /api/events HTTP/1.1\r\nHost: bench\r\n\r\n")
            socks.append(s)
        for s in socks:
            got = b""
            while b": subscribed" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    raise BenchError("an event stream closed before it was live")
                got += chunk
        # One notice reaches all of them, then the daemon is measured.
        m.run("restart", "s0")
        time.sleep(1.0)
        return addr, {
            "daemon_rss_kib_before_web": before,
            "daemon_rss_kib_web_and_subscribers": vm_rss_kib(daemon),
            "web_rss_kib_with_subscribers": vm_rss_kib(m.web_pid),
            "subscribers": SUBSCRIBERS,
        }, socks
    except Exception:
        for s in socks:
            s.close()
        raise


def table(results):
    r = results["results"]["rpm"]
    rows = []
    lst = r["list"]
    for key, label in [("server_ms_cached", "GET /api/processes, server time (cached list)"),
                       ("server_ms_spaced", "GET /api/processes, server time (one every 0.6 s)"),
                       ("server_ms_after_change", "GET /api/processes, server time (right after `rpm restart s0`)"),
                       ("server_ms_quiet", "GET /api/processes, server time (after 75 s without a request)"),
                       ("client_ms_cached", "GET /api/processes, client round trip (cached)")]:
        s = lst[key]
        rows.append([label, f"{s['median']:.3f} ms [{s['min']:.3f}–{s['max']:.3f}]"])
    age = lst["age_s_quiet"]
    rows.append(["`Age` of that answer (its CPU/memory figures)", f"{age['median']:.0f} s"])
    mt = r["metrics"]
    rows.append(["GET /metrics rate reached", f"{mt['rate_per_s']} req/s over {mt['seconds']} s"])
    rows.append(["daemon CPU during it", f"{mt['daemon_cpu_percent']} %"])
    rows.append(["rpm web CPU during it", f"{mt['web_cpu_percent']} %"])
    ss = r["sse_rss"]
    rows.append(["daemon RSS, no rpm web", f"{ss['daemon_rss_kib_before_web'] / 1024:.1f} MiB"])
    rows.append([f"daemon RSS, rpm web + {ss['subscribers']} SSE subscribers",
                 f"{ss['daemon_rss_kib_web_and_subscribers'] / 1024:.1f} MiB"])
    rows.append([f"rpm web RSS with {ss['subscribers']} subscribers",
                 f"{ss['web_rss_kib_with_subscribers'] / 1024:.1f} MiB"])
    return "\n".join(render_table(["100 apps", "rpm"], rows))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=quick_default(),
                    help="fewer requests, a shorter /metrics window (also BENCH_QUICK=1)")
    ap.add_argument("--no-build", action="store_true", help="use the existing release build")
    ap.add_argument("--rpm", metavar="PATH", help="run this rpm binary instead of the build")
    ap.add_argument("--out", help="JSON output path (default bench/results/web-<date>.json)")
    args = ap.parse_args()
    cfg = ({"hits": 300, "misses": 10, "changes": 5, "colds": 1, "metrics_seconds": 5}
           if args.quick else
           {"hits": 2000, "misses": 30, "changes": 20, "colds": 3, "metrics_seconds": 20})
    rpm_bin = build_rpm(no_build=args.no_build, binary=args.rpm)
    results = {
        "bench": "web",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "config": cfg,
        "machine": machine(),
        "versions": {},
        "results": {},
    }
    with bench_session("rpm-bench-web-") as (root, started):
        m = WebRpm(root, rpm_bin)
        started.append(m)
        results["versions"]["rpm"] = m.version()
        log(f"== starting {APPS} apps")
        start_apps(m)
        daemon = m.daemon_pid()
        log(f"== rpm web with {SUBSCRIBERS} event subscribers")
        addr, sse, socks = scenario_sse(m, daemon)
        try:
            log(f"== GET /api/processes ({cfg['hits']} back to back, {cfg['misses']} spaced,"
                f" {cfg['changes']} after a change, {cfg['colds']} after 75 s quiet)")
            lst = scenario_list(m, addr, cfg["hits"], cfg["misses"], cfg["colds"],
                                cfg["changes"])
            log(f"== GET /metrics at 1,000 req/s for {cfg['metrics_seconds']} s")
            mt = scenario_metrics(addr, daemon, m.web_pid, cfg["metrics_seconds"])
        finally:
            for s in socks:
                s.close()
        results["results"]["rpm"] = {"list": lst, "metrics": mt, "sse_rss": sse}
        results["machine"]["loadavg_end"] = os.getloadavg()
        m.kill()
    out = args.out or os.path.join(
        BENCH, "results", f"web-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    shown = write_results(results, out)
    mach = results["machine"]
    print(f"rpm {results['versions']['rpm']} | kernel {mach['kernel']} | {mach['cores']} cores"
          f" ({mach['cpu']}) | load {mach['loadavg_start'][0]:.2f} |"
          f" {'quick' if args.quick else 'full'} mode")
    print(table(results))
    print(f"results: {shown}")


if __name__ == "__main__":
    run_main(main, "web bench")

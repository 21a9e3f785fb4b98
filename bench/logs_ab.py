#!/usr/bin/env python3
"""Log throughput A/B: rpm builds (or daemon environments) compared run by run.

On a small shared VM the same build's median moves by 0.1 of a direct write between two
series of `bench/logs.py` run minutes apart, more than most changes to the log path are
worth. This bench takes its timing from bench/logs.py (`run_direct`, `run_managed`: the
start command until the file ends with the last line) but interleaves: each round is
one direct write, then one run of every variant in a shuffled order, each variant with
its own daemon (own RPM_HOME) started before the first round. Whatever the machine does
meanwhile falls on every variant alike, and each ratio is to the direct writes of the
same rounds. Every run's file is checked in full as in bench/logs.py.

Usage: python3 bench/logs_ab.py [--reps N] [--writes block8k-20mb|block8k-100mb|...]
                                LABEL=BINARY[,NAME=VALUE...] ...
  e.g. python3 bench/logs_ab.py --reps 60 old=/tmp/old/rpm new=target/x86_64-unknown-linux-gnu/release/rpm
A binary's file name should be `rpm`: under another name the CLI builds its whole
command tree to retarget its help texts, which costs ~0.5 ms a start. NAME=VALUE pairs go
into that variant's daemon environment (an experiment's switch, for instance).
Prints per variant the median ratio to direct, the quartiles' ratios, the fastest run's,
how many runs took over 1.15 times the direct median, the first byte and the daemon's
CPU per run (schedstat). Stdlib only, Linux only; builds nothing (run
`cargo build --release --example loggen` first).
"""

import argparse
import os
import random
import statistics

import logs
import managers
from managers import BenchError, bench_session, log, release_dir


def variant(text):
    label, sep, rest = text.partition("=")
    if not sep or not label or not rest:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LABEL=BINARY[,NAME=VALUE...]")
    binary, *pairs = rest.split(",")
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"{pair!r} in {text!r}: expected NAME=VALUE")
        env[name] = value
    if not os.access(binary, os.X_OK):
        raise argparse.ArgumentTypeError(f"{binary}: not an executable")
    return label, os.path.abspath(binary), env


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=40, help="rounds (default 40)")
    ap.add_argument("--writes", default="block8k-20mb", choices=sorted(logs.WORKLOADS),
                    help="workload, as bench/logs.py names them (default block8k-20mb)")
    ap.add_argument("--line-bytes", type=int, default=100)
    ap.add_argument("variants", nargs="+", type=variant, metavar="LABEL=BINARY[,NAME=VALUE]")
    args = ap.parse_args()
    flags, lines = logs.WORKLOADS[args.writes]
    lines = lines or 1_000_000
    gen = os.path.join(release_dir(), "examples", "loggen")
    if not os.access(gen, os.X_OK):
        raise BenchError(f"no {gen}: run cargo build --release --example loggen")
    gen_args = [str(lines), str(args.line_bytes), *flags]
    expected = logs.expected_output(lines, args.line_bytes)
    tail = logs.last_line(lines, args.line_bytes)
    times = {"direct": []}
    first, cpu = {}, {}
    with bench_session("rpm-logs-ab-") as (root, started):
        daemons = []
        for label, binary, env in args.variants:
            sub = os.path.join(root, label)
            os.makedirs(sub)
            m = logs.Rpm(sub, binary)
            m.gen = gen
            m.env.update(env)
            started.append(m)
            m.run("jlist")  # daemon up before the first round
            daemons.append((label, m))
            times[label], first[label], cpu[label] = [], [], []
        direct_path = os.path.join(root, "direct.log")
        for r in range(args.reps + 1):  # round 0 warms up and is not counted
            s = logs.run_direct(gen, gen_args, direct_path)
            # A fresh file every round, as bench/logs.py does: ext4 flushes a file that was
            # truncated and written again at its close (auto_da_alloc), and that 20 MB of
            # writeback would fall on the managed run that follows.
            os.unlink(direct_path)
            if r:
                times["direct"].append(s.seconds)
            order = daemons[:]
            random.shuffle(order)
            for label, m in order:
                name = f"ab{r}"
                s, path = logs.run_managed(m, name, gen_args, False, tail, lines,
                                           len(expected))
                logs.finish_managed(m, name, path)
                err, _ = logs.verify(path, expected)
                os.unlink(path)
                if err:
                    raise BenchError(f"{label}, round {r}: {err}")
                if r and s.seconds is not None:
                    times[label].append(s.seconds)
                    first[label].append(s.first or 0.0)
                    cpu[label].append(s.cpu_ns / 1e6)
            if r and r % 10 == 0:
                log(f"   {r} of {args.reps} rounds")
    direct = statistics.median(times["direct"])
    print(f"{args.writes}: {args.reps} rounds, direct median {direct * 1e3:.2f} ms")
    for label, _, _ in args.variants:
        s = sorted(times[label])
        q1, q3 = s[len(s) // 4], s[(3 * len(s)) // 4]
        slow = sum(1 for x in s if x > 1.15 * direct)
        print(f"{label:12s} ratio {direct / statistics.median(s):.3f}"
              f"  quartiles {direct / q3:.3f}-{direct / q1:.3f}  fastest {direct / s[0]:.3f}"
              f"  over 1.15x direct {slow}/{len(s)}"
              f"  first byte {statistics.median(first[label]) * 1e3:.2f} ms"
              f"  daemon CPU {statistics.median(cpu[label]):.2f} ms")


if __name__ == "__main__":
    managers.run_main(main, "logs_ab")

//! Micro-benchmark of `rpm::daemon::policy::step`, the pure transition function the
//! supervisor thread calls for every event of every instance.
//!
//! Two sequences a busy daemon repeats: a crash that restarts at once (exit → spawn →
//! online) and a stop that runs into the kill timeout (stop → deadline → exit). Inputs are
//! fixed; the instant is taken once so the clock is not measured. Run:
//! `cargo bench --bench step`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use rpm::config::AppSpec;
use rpm::daemon::policy::{step, Input, Instance, Policy};

/// PM2's defaults, as an app started with no options gets them.
fn default_policy() -> Policy {
    Policy::from_spec(&AppSpec::new("bench", "/bin/sleep".into(), "/".into()))
}

/// An instance that went online at `t0`.
fn online(policy: &Policy, t0: Instant) -> Instance {
    let (i, _) = step(&Instance::new(), policy, Input::Start, t0);
    let (i, _) = step(&i, policy, Input::Spawned { pid: 4242 }, t0);
    i
}

fn bench_step(c: &mut Criterion) {
    let policy = default_policy();
    let t0 = Instant::now();
    let running = online(&policy, t0);
    let later = t0 + Duration::from_secs(60);

    let mut group = c.benchmark_group("policy_step");

    // One decision: an online app exits with code 1 after a stable run → restart now.
    group.bench_function("crash_restart_decision", |b| {
        b.iter(|| {
            step(
                black_box(&running),
                black_box(&policy),
                black_box(Input::Exited {
                    code: Some(1),
                    signal: None,
                }),
                black_box(later),
            )
        })
    });

    // The whole crash cycle the supervisor drives: exit → (spawn) → spawned → online.
    group.bench_function("crash_restart_cycle", |b| {
        b.iter(|| {
            let (i, a) = step(
                black_box(&running),
                &policy,
                Input::Exited {
                    code: Some(1),
                    signal: None,
                },
                black_box(later),
            );
            black_box(&a);
            step(&i, &policy, Input::Spawned { pid: 4243 }, later)
        })
    });

    // Stop that the app ignores: SIGINT, kill_timeout passes → SIGKILL tree, then exit.
    group.bench_function("stop_kill_timeout_sequence", |b| {
        let at_kill = later + policy.kill_timeout;
        b.iter(|| {
            let (i, a) = step(black_box(&running), &policy, Input::Stop, black_box(later));
            black_box(&a);
            let (i, a) = step(&i, &policy, Input::Deadline, black_box(at_kill));
            black_box(&a);
            step(
                &i,
                &policy,
                Input::Exited {
                    code: None,
                    signal: Some("SIGKILL".to_string()),
                },
                at_kill,
            )
        })
    });

    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);

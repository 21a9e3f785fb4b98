//! The supervisor's glue, tested without spawning anything: a recording `Processes`
//! stands in for the system, while the real pump, pidfd, sampler and state-writer
//! threads run on a temporary home. Each test feeds events as the daemon's threads would
//! and checks what the supervisor did to processes, answered and published.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::super::event::Event;
use super::super::persist::Persister;
use super::super::process::pidfd::PidWatcher;
use super::super::process::spawn::{Extras, InstanceRef, SpawnError};
use super::super::process::{Processes, Started};
use super::super::sampler::Sampler;
use super::tables::{Helpers, Supervisor};
use crate::config::AppSpec;
use crate::ipc::{ProcessInfo, Request, Response, StartMode, StartRows, Status};
use crate::logs::pump::Pump;
use crate::paths::Home;

/// What the supervisor asked of processes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Spawn {
        id: u32,
        pid: i32,
    },
    Signal {
        pid: i32,
        signal: Signal,
        group: bool,
    },
    KillTree {
        pid: i32,
        group: bool,
    },
    KillLeftovers {
        pid: i32,
        id: u32,
    },
}

/// A `Processes` that records calls and hands out pids from 1000 on (or fails).
#[derive(Clone, Default)]
struct Recorder {
    calls: Rc<RefCell<Vec<Call>>>,
    fail_spawns: Rc<RefCell<bool>>,
    spawned: Rc<RefCell<i32>>,
}

impl Recorder {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut self.calls.borrow_mut())
    }
}

impl Processes for Recorder {
    fn spawn(
        &mut self,
        _: &Home,
        spec: &AppSpec,
        who: InstanceRef,
        _: Extras<'_>,
    ) -> Result<Started, SpawnError> {
        if *self.fail_spawns.borrow() {
            return Err(SpawnError::Exec {
                program: spec.script.clone(),
                source: std::io::Error::from_raw_os_error(libc::ENOENT),
            });
        }
        let pid = 1000 + *self.spawned.borrow();
        *self.spawned.borrow_mut() += 1;
        self.calls
            .borrow_mut()
            .push(Call::Spawn { id: who.id, pid });
        Ok(Started {
            pid,
            start_ticks: None,
            uid: None,
        })
    }
    fn signal(&mut self, pid: i32, signal: Signal, group: bool) {
        self.calls
            .borrow_mut()
            .push(Call::Signal { pid, signal, group });
    }
    fn kill_tree(&mut self, pid: i32, group: bool) {
        self.calls.borrow_mut().push(Call::KillTree { pid, group });
    }
    fn kill_leftovers(&mut self, pid: i32, id: u32, _live: &[i32]) {
        self.calls
            .borrow_mut()
            .push(Call::KillLeftovers { pid, id });
    }
}

/// A supervisor on a temporary home, the events its threads send, and the recorder.
struct Bench {
    _dir: tempfile::TempDir,
    sup: Supervisor,
    events: Receiver<Event>,
    procs: Recorder,
    script: std::path::PathBuf,
}

impl Bench {
    fn new() -> Bench {
        let dir = tempfile::tempdir().expect("a temp dir");
        let home = Home::at(dir.path().join("home"));
        home.ensure().expect("the home folders");
        let (tx, events) = mpsc::channel();
        let procs = Recorder::default();
        let t = tx.clone();
        let pump = Pump::spawn(move |r| {
            let _ = t.send(Event::Log(r));
        })
        .expect("pump");
        let t = tx.clone();
        let pids =
            PidWatcher::spawn(move |pid| t.send(Event::Vanished { pid }).is_ok()).expect("pidfds");
        let t = tx.clone();
        let sampler = Sampler::spawn(move |s| t.send(Event::Samples(s)).is_ok()).expect("sampler");
        let persister = Persister::spawn(home.state_file(), tx.clone()).expect("writer");
        let helpers = Helpers {
            pump,
            pids,
            persister,
            sampler,
            sample_every: Duration::from_secs(1),
            watcher: crate::watch::files::Watcher::spawn(|_| true).expect("watcher"),
            processes: Box::new(procs.clone()),
            readiness: None,
            preload: None,
        };
        let script = dir.path().join("app.sh");
        Bench {
            sup: Supervisor::new(home, helpers),
            events,
            procs,
            script,
            _dir: dir,
        }
    }

    fn spec(&self, name: &str, instances: u32) -> AppSpec {
        let mut spec = AppSpec::new(name, self.script.clone(), "/".into());
        spec.instances = instances;
        spec
    }

    /// Handles `event` and ends the turn, as the loop does.
    fn feed(&mut self, event: Event) {
        self.sup.handle(event);
        self.sup.end_of_turn();
    }

    /// Sends a request; returns where its answer will come.
    fn ask(&mut self, request: Request) -> Receiver<Response> {
        let (reply, answer) = mpsc::channel();
        self.feed(Event::Request { request, reply });
        answer
    }

    /// Runs the threads' events (state written, samples) until `answer` comes.
    fn answer(&mut self, answer: &Receiver<Response>) -> Response {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(response) = answer.try_recv() {
                return response;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no answer within 10 s");
            if let Ok(event) = self
                .events
                .recv_timeout(left.min(Duration::from_millis(50)))
            {
                self.feed(event);
            }
        }
    }

    fn rows(&mut self, answer: &Receiver<Response>) -> Vec<ProcessInfo> {
        match self.answer(answer) {
            Response::Processes { processes } => processes,
            other => panic!("rows expected, got {other:?}"),
        }
    }

    fn exited(&mut self, pid: i32, code: i32) {
        self.feed(Event::Exited {
            pid,
            code: Some(code),
            signal: None,
        });
    }

    fn status(&self, id: u32) -> Status {
        self.sup.slots[&id].inst.status
    }
}

fn start(bench: &mut Bench, spec: AppSpec) -> Vec<ProcessInfo> {
    let answer = bench.ask(Request::Start {
        apps: vec![spec],
        mode: StartMode::File,
        rows: StartRows::Started,
    });
    bench.rows(&answer)
}

#[test]
fn a_start_spawns_every_instance_and_answers_with_them_online_once_on_disk() {
    let mut bench = Bench::new();
    let spec = bench.spec("web", 2);
    let answer = bench.ask(Request::Start {
        apps: vec![spec],
        mode: StartMode::File,
        rows: StartRows::Started,
    });
    assert_eq!(
        bench.procs.take(),
        vec![
            Call::Spawn { id: 0, pid: 1000 },
            Call::Spawn { id: 1, pid: 1001 }
        ]
    );
    assert!(
        answer.try_recv().is_err(),
        "not answered before state.json is written"
    );
    let rows = bench.rows(&answer);
    let got: Vec<(u32, Status, Option<i32>)> =
        rows.iter().map(|r| (r.id, r.status, r.pid)).collect();
    assert_eq!(
        got,
        vec![
            (0, Status::Online, Some(1000)),
            (1, Status::Online, Some(1001))
        ]
    );
    assert!(bench.sup.durable_seq >= 1);
}

#[test]
fn a_crash_kills_the_leftovers_then_starts_a_new_process() {
    let mut bench = Bench::new();
    let spec = bench.spec("worker", 1);
    start(&mut bench, spec);
    bench.procs.take();
    bench.exited(1000, 1);
    assert_eq!(
        bench.procs.take(),
        vec![
            Call::KillLeftovers { pid: 1000, id: 0 },
            Call::Spawn { id: 0, pid: 1001 }
        ]
    );
    assert_eq!(bench.sup.slots[&0].inst.restarts, 1);
    // An exit of a pid that is no instance's changes nothing.
    bench.exited(4242, 1);
    assert_eq!(bench.procs.take(), vec![]);
    assert_eq!(bench.status(0), Status::Online);
}

#[test]
fn a_stop_sends_the_kill_signal_and_kills_the_tree_when_kill_timeout_runs_out() {
    let mut bench = Bench::new();
    let mut spec = bench.spec("api", 1);
    spec.kill_signal = Signal::SIGTERM.into();
    spec.kill_timeout = Duration::from_millis(1600);
    start(&mut bench, spec);
    bench.procs.take();
    let answer = bench.ask(Request::Stop {
        targets: vec!["api".into()],
    });
    assert_eq!(
        bench.procs.take(),
        vec![Call::Signal {
            pid: 1000,
            signal: Signal::SIGTERM,
            group: true
        }]
    );
    assert_eq!(bench.status(0), Status::Stopping);
    let kill_at = bench.sup.timers.next().expect("a kill deadline");
    bench.sup.fire_deadlines(kill_at);
    assert_eq!(
        bench.procs.take(),
        vec![Call::KillTree {
            pid: 1000,
            group: true
        }]
    );
    assert!(answer.try_recv().is_err(), "not answered while stopping");
    bench.feed(Event::Exited {
        pid: 1000,
        code: None,
        signal: Some("SIGKILL".into()),
    });
    let rows = bench.rows(&answer);
    assert_eq!((rows[0].status, rows[0].pid), (Status::Stopped, None));
    assert_eq!(bench.sup.timers.next(), None, "no deadline left");
}

#[test]
fn a_start_answers_with_the_started_rows_or_with_every_row() {
    let mut bench = Bench::new();
    let first = bench.spec("first", 1);
    start(&mut bench, first);
    // (what the start asks for, the app it starts, the names answered)
    let rows: [(StartRows, &str, &[&str]); 2] = [
        (StartRows::Started, "second", &["second"]),
        (StartRows::All, "third", &["first", "second", "third"]),
    ];
    for (asked, name, answered) in rows {
        let spec = bench.spec(name, 1);
        let answer = bench.ask(Request::Start {
            apps: vec![spec],
            mode: StartMode::Script,
            rows: asked,
        });
        let got: Vec<String> = bench.rows(&answer).into_iter().map(|r| r.name).collect();
        assert_eq!(got, answered, "{asked:?}");
    }
}

#[test]
fn a_script_start_of_a_running_app_is_answered_already_running_and_changes_nothing() {
    let mut bench = Bench::new();
    let spec = bench.spec("keep", 1);
    start(&mut bench, spec.clone());
    bench.procs.take();
    let answer = bench.ask(Request::Start {
        apps: vec![spec.clone()],
        mode: StartMode::Script,
        rows: StartRows::Started,
    });
    match bench.answer(&answer) {
        Response::AlreadyRunning { name, ids } => {
            assert_eq!((name.as_str(), ids), ("keep", vec![0]))
        }
        other => panic!("already running expected, got {other:?}"),
    }
    assert_eq!(bench.procs.take(), vec![], "nothing spawned or signalled");
    assert_eq!(
        (bench.status(0), bench.sup.slots[&0].inst.pid),
        (Status::Online, Some(1000))
    );
    // The name held by another script stays an error.
    let mut other = spec;
    other.script = "/elsewhere/other.sh".into();
    let answer = bench.ask(Request::Start {
        apps: vec![other],
        mode: StartMode::Script,
        rows: StartRows::Started,
    });
    match bench.answer(&answer) {
        Response::Error { message, .. } => {
            assert!(
                message.starts_with("the name `keep` is taken by "),
                "{message}"
            )
        }
        other => panic!("an error expected, got {other:?}"),
    }
}

#[test]
fn an_app_that_cannot_start_is_refused_and_not_kept() {
    let mut bench = Bench::new();
    *bench.procs.fail_spawns.borrow_mut() = true;
    let spec = bench.spec("ghost", 1);
    let answer = bench.ask(Request::Start {
        apps: vec![spec],
        mode: StartMode::File,
        rows: StartRows::Started,
    });
    match bench.answer(&answer) {
        Response::Error { message, .. } => assert!(
            message.starts_with("`ghost` failed to start: cannot run "),
            "{message}"
        ),
        other => panic!("an error expected, got {other:?}"),
    }
    assert!(bench.sup.apps.is_empty() && bench.sup.slots.is_empty());
}

#[test]
fn a_subscriber_that_falls_behind_is_dropped_and_never_blocks_the_supervisor() {
    let mut bench = Bench::new();
    let spec = bench.spec("chatty", 1);
    start(&mut bench, spec);
    let (queue, notices) = mpsc::sync_channel(4);
    bench.feed(Event::Subscribe {
        targets: vec![],
        queue,
    });
    assert!(matches!(notices.try_recv(), Ok(Response::Subscribed)));
    // Each crash makes four notices; nobody reads them.
    for n in 0..5 {
        bench.exited(1000 + n, 1);
    }
    assert!(!bench.sup.notices.any(), "the stuck subscriber was dropped");
    let queued: Vec<Response> = notices.try_iter().collect();
    assert_eq!(queued.len(), 4, "its queue held what fitted: {queued:?}");
}

#[test]
fn a_subscriber_hears_only_the_instances_it_named() {
    let mut bench = Bench::new();
    let (a, b) = (bench.spec("a", 1), bench.spec("b", 1));
    start(&mut bench, a);
    start(&mut bench, b);
    let (queue, notices) = mpsc::sync_channel(64);
    bench.feed(Event::Subscribe {
        targets: vec!["b".into()],
        queue,
    });
    bench.exited(1000, 1); // a
    bench.exited(1001, 1); // b
    let ids: Vec<u32> = notices
        .try_iter()
        .filter_map(|r| match r {
            Response::Notice { notice } => Some(notice.id),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        vec![1, 1, 1, 1],
        "exited, restarting, two status changes of b"
    );
}

#[test]
fn rows_wait_for_a_sample_then_show_it_and_reading_them_changes_nothing() {
    let mut bench = Bench::new();
    // A real process to sample: this test's own.
    let me = std::process::id() as i32;
    let spec = bench.spec("self", 1);
    start(&mut bench, spec);
    bench.sup.slots.get_mut(&0).expect("instance 0").inst.pid = Some(me);
    let answer = bench.ask(Request::List);
    assert!(answer.try_recv().is_err(), "waits for the sampler");
    let rows = bench.rows(&answer);
    assert!(rows[0].memory > 0, "{rows:?}");
    let again = bench.ask(Request::List);
    let rows_again = bench.rows(&again);
    assert_eq!(
        (rows_again[0].cpu, rows_again[0].memory),
        (rows[0].cpu, rows[0].memory),
        "a fresh sample is shown as it is to every reader"
    );
    assert!(bench
        .sup
        .timers
        .is_set(super::super::timers::TimerKey::Sample));
}

#[test]
fn a_sample_above_max_memory_restart_restarts_the_instance_gracefully() {
    let mut bench = Bench::new();
    let mut spec = bench.spec("leaky", 1);
    spec.max_memory_restart = Some(1024 * 1024);
    start(&mut bench, spec);
    bench.procs.take();
    bench.sup.end_of_turn();
    assert!(
        bench
            .sup
            .timers
            .is_set(super::super::timers::TimerKey::Sample),
        "an app with a limit keeps the sampler going"
    );
    let sample = |memory| super::super::sampler::Sample {
        id: 0,
        pid: 1000,
        cpu: 0.0,
        memory,
        at: Instant::now(),
    };
    bench.feed(Event::Samples(vec![sample(512 * 1024)]));
    assert_eq!(bench.procs.take(), vec![], "under the limit: nothing");
    bench.feed(Event::Samples(vec![sample(3 * 1024 * 1024)]));
    assert_eq!(
        bench.procs.take(),
        vec![Call::Signal {
            pid: 1000,
            signal: Signal::SIGINT,
            group: true
        }]
    );
    let last = bench.sup.slots[&0].last_restart.clone().expect("a reason");
    assert_eq!(last.reason, crate::ipc::RestartReason::Memory);
    assert_eq!(
        last.detail.as_deref(),
        Some("memory 3.0 MiB is above max_memory_restart 1.0 MiB")
    );
}

#[test]
fn a_cron_schedule_is_armed_per_instance_and_restarts_only_running_ones() {
    let mut bench = Bench::new();
    let mut spec = bench.spec("nightly", 2);
    spec.cron_restart = Some("0 3 * * *".into());
    start(&mut bench, spec);
    bench.procs.take();
    use super::super::timers::TimerKey;
    assert!(
        bench.sup.timers.is_set(TimerKey::Cron(0)) && bench.sup.timers.is_set(TimerKey::Cron(1))
    );
    assert!(bench.sup.slots[&0].next_cron_ms.is_some());
    let stop = bench.ask(Request::Stop {
        targets: vec!["1".into()],
    });
    bench.exited(1001, 0);
    bench.rows(&stop);
    bench.procs.take();
    bench.sup.cron_due(0);
    bench.sup.cron_due(1);
    assert_eq!(
        bench.procs.take(),
        vec![Call::Signal {
            pid: 1000,
            signal: Signal::SIGINT,
            group: true
        }],
        "only the running instance restarts"
    );
    assert!(
        bench.sup.timers.is_set(TimerKey::Cron(1)),
        "the next fire time is set again"
    );
}

#[test]
fn a_look_while_the_last_sample_is_still_fresh_starts_sampling_again() {
    let mut bench = Bench::new();
    let spec = bench.spec("quiet", 1);
    start(&mut bench, spec);
    // Sampling went quiet 1.5 s after its last sample: figures still fresh, no timer.
    bench.sup.sampling.last = Instant::now().checked_sub(Duration::from_millis(1500));
    use super::super::timers::TimerKey;
    assert!(!bench.sup.timers.is_set(TimerKey::Sample));
    let answer = bench.ask(Request::List);
    assert!(
        answer.try_recv().is_ok(),
        "fresh figures are answered at once"
    );
    // The next sample was due a second after the last one, so it is asked for at once.
    assert!(
        bench.sup.sampling.in_flight || bench.sup.timers.is_set(TimerKey::Sample),
        "and sampling resumes"
    );
}

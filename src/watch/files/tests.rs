//! The watcher thread on real temp folders: one report per burst, ignores, editors' saves,
//! new, deleted and recreated folders, symlinks, polling, the inotify-limit fallback, and
//! the thread's own lifecycle. Waits have deadlines; "nothing more" is checked for a bounded
//! period well past the debounce delay.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use super::channel::Probe;
use super::{WatchReport, WatchSpec, Watcher};

const DELAY: Duration = Duration::from_millis(100);
const TIMEOUT: Duration = Duration::from_secs(10);

fn start() -> (Watcher, Receiver<WatchReport>) {
    let (tx, rx) = mpsc::channel();
    let watcher = Watcher::spawn(move |report| tx.send(report).is_ok()).expect("watch thread");
    (watcher, rx)
}

/// A temp folder, canonical so event paths compare equal.
fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().canonicalize().expect("canonical temp dir");
    (dir, path)
}

fn spec(paths: &[&Path]) -> WatchSpec {
    WatchSpec {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        ignore: Vec::new(),
        delay: DELAY,
        follow_symlinks: true,
        poll: None,
    }
}

/// Starts watching and waits until the watches are in place; then how many folders the
/// shared inotify instance watches.
fn watch(watcher: &Watcher, key: &str, spec: WatchSpec) -> usize {
    watcher.watch(key, spec);
    probe(watcher).inotify_watches
}

fn probe(watcher: &Watcher) -> Probe {
    watcher.sync().expect("the watch thread is running")
}

fn changed(key: &str, path: &Path) -> WatchReport {
    WatchReport::Changed {
        key: key.to_string(),
        path: path.to_path_buf(),
    }
}

fn next(rx: &Receiver<WatchReport>, what: &str) -> WatchReport {
    match rx.recv_timeout(TIMEOUT) {
        Ok(report) => report,
        Err(e) => panic!("waiting {TIMEOUT:?} for {what}: {e}"),
    }
}

/// Waits for `want`, skipping other reports (a burst may be split where a test cannot
/// control the timing); fails with the last report seen.
fn wait_for(rx: &Receiver<WatchReport>, want: &WatchReport) {
    let deadline = Instant::now() + TIMEOUT;
    let mut last = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(report) if report == *want => return,
            Ok(report) => last = Some(report),
            Err(_) => panic!("waiting {TIMEOUT:?} for {want:?}; last report: {last:?}"),
        }
    }
}

/// Waits until `ready` holds, polling every millisecond, failing after `TIMEOUT`.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `holds` stays true for the whole of `period`, checked every 20 ms.
fn assert_holds(period: Duration, what: &str, mut holds: impl FnMut() -> bool) {
    let until = Instant::now() + period;
    while Instant::now() < until {
        assert!(holds(), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// No report at all for `period`.
fn assert_quiet(rx: &Receiver<WatchReport>, period: Duration) {
    match rx.recv_timeout(period) {
        Err(RecvTimeoutError::Timeout) => {}
        Ok(report) => panic!("expected no report for {period:?}, got {report:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("the watch thread ended"),
    }
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn mkdir(path: &Path) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

#[test]
fn a_single_write_is_reported_once_after_the_delay() {
    let (_dir, root) = temp();
    let file = root.join("index.js");
    write(&file, "1");
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    let written = Instant::now();
    write(&file, "2");
    assert_eq!(next(&rx, "the change"), changed("app", &file));
    assert!(written.elapsed() >= DELAY, "reported before the delay");
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn a_burst_of_200_writes_is_one_report_with_the_last_path() {
    // A longer window, so a busy machine cannot split the burst.
    let delay = Duration::from_millis(500);
    let (_dir, root) = temp();
    let (watcher, rx) = start();
    watch(
        &watcher,
        "app",
        WatchSpec {
            delay,
            ..spec(&[&root])
        },
    );

    let last = root.join("f9.js");
    for i in 0..200 {
        write(&root.join(format!("f{}.js", i % 10)), &i.to_string());
    }
    assert_eq!(next(&rx, "the burst"), changed("app", &last));
    assert_quiet(&rx, 3 * delay);
}

#[test]
fn ignored_paths_are_not_reported_nor_watched() {
    let (_dir, root) = temp();
    let secret = root.join("secret");
    mkdir(&secret);
    mkdir(&root.join("node_modules/pkg"));
    mkdir(&root.join("src"));
    let (watcher, rx) = start();
    let ignore = vec![
        secret.display().to_string(),
        "*.log".to_string(),
        "node_modules".to_string(),
    ];
    let watched = watch(
        &watcher,
        "app",
        WatchSpec {
            ignore,
            ..spec(&[&root])
        },
    );
    assert_eq!(watched, 2, "the root and src/ only");

    write(&secret.join("key"), "x");
    write(&root.join("out.log"), "x");
    write(&root.join("src/debug.log"), "x");
    write(&root.join("node_modules/pkg/index.js"), "x");
    mkdir(&root.join("src/node_modules/late"));
    write(&root.join("src/node_modules/late/index.js"), "x");
    assert_quiet(&rx, 3 * DELAY);

    let main = root.join("src/main.js");
    write(&main, "x");
    assert_eq!(
        next(&rx, "the change next to ignored ones"),
        changed("app", &main)
    );
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn an_editors_atomic_save_is_one_report() {
    let (_dir, root) = temp();
    let file = root.join("app.js");
    write(&file, "1");
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    let tmp = root.join("app.js.tmp");
    write(&tmp, "2");
    fs::rename(&tmp, &file).expect("rename over app.js");
    assert_eq!(next(&rx, "the save"), changed("app", &file));
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn a_watched_file_survives_being_replaced_by_a_save() {
    let (_dir, root) = temp();
    let file = root.join("app.js");
    write(&file, "1");
    write(&root.join("other.js"), "1");
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&file]));

    for round in 0..2 {
        let tmp = root.join("app.js.tmp");
        write(&tmp, &round.to_string());
        fs::rename(&tmp, &file).expect("rename over app.js");
        assert_eq!(next(&rx, "the save"), changed("app", &file), "save {round}");
        assert_quiet(&rx, 3 * DELAY);
    }
    write(&root.join("other.js"), "2");
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn a_folder_created_after_watching_is_watched_too() {
    let (_dir, root) = temp();
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    let sub = root.join("sub");
    mkdir(&sub);
    assert_eq!(next(&rx, "the new folder"), changed("app", &sub));
    let file = sub.join("f.js");
    write(&file, "x");
    assert_eq!(next(&rx, "the write in it"), changed("app", &file));

    // Folders made faster than their watches can be added are still watched.
    let nested = root.join("a/b/c");
    mkdir(&nested);
    let fast = nested.join("g.js");
    write(&fast, "1");
    next(&rx, "the new folders");
    write(&fast, "2");
    wait_for(&rx, &changed("app", &fast));
}

#[test]
fn a_deleted_and_recreated_folder_is_watched_again() {
    let (_dir, root) = temp();
    let sub = root.join("sub");
    mkdir(&sub);
    write(&sub.join("old.js"), "x");
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    fs::remove_dir_all(&sub).expect("remove sub");
    next(&rx, "the deletion");
    mkdir(&sub);
    assert_eq!(next(&rx, "the new folder"), changed("app", &sub));
    let file = sub.join("new.js");
    write(&file, "x");
    assert_eq!(next(&rx, "the write in it"), changed("app", &file));
}

#[test]
fn a_deleted_and_recreated_root_is_watched_again() {
    let (_dir, parent) = temp();
    let root = parent.join("app");
    mkdir(&root.join("lib"));
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    fs::remove_dir_all(&root).expect("remove the root");
    next(&rx, "the deletion");
    write(&parent.join("unrelated.js"), "x");
    assert_quiet(&rx, 3 * DELAY);

    mkdir(&root);
    assert_eq!(next(&rx, "the root again"), changed("app", &root));
    let file = root.join("index.js");
    write(&file, "x");
    assert_eq!(next(&rx, "the write in it"), changed("app", &file));
}

#[test]
fn a_root_that_does_not_exist_yet_is_waited_for() {
    let (_dir, parent) = temp();
    let root = parent.join("later/app");
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    mkdir(&parent.join("later"));
    assert_quiet(&rx, 3 * DELAY);
    mkdir(&root);
    assert_eq!(next(&rx, "the root appearing"), changed("app", &root));
    let file = root.join("index.js");
    write(&file, "x");
    assert_eq!(next(&rx, "the write in it"), changed("app", &file));
}

#[test]
fn a_symlinked_folder_is_followed_when_asked() {
    let (_dir, base) = temp();
    let root = base.join("app");
    let outside = base.join("shared");
    mkdir(&root);
    mkdir(&outside);
    std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));

    write(&outside.join("x.js"), "x");
    assert_eq!(
        next(&rx, "the write through the link"),
        changed("app", &root.join("link/x.js"))
    );
}

#[test]
fn a_symlinked_folder_is_not_followed_otherwise() {
    let (_dir, base) = temp();
    let root = base.join("app");
    let outside = base.join("shared");
    mkdir(&root);
    mkdir(&outside);
    std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");
    let (watcher, rx) = start();
    let watched = watch(
        &watcher,
        "app",
        WatchSpec {
            follow_symlinks: false,
            ..spec(&[&root])
        },
    );
    assert_eq!(watched, 1, "the root only");

    write(&outside.join("x.js"), "x");
    assert_quiet(&rx, 3 * DELAY);
    let file = root.join("y.js");
    write(&file, "x");
    assert_eq!(next(&rx, "a write in the tree"), changed("app", &file));
}

#[test]
fn polling_reports_changes_too() {
    let (_dir, root) = temp();
    let old = root.join("old.js");
    write(&old, "1");
    // notify's poll watcher compares mtimes in whole seconds: start from an old one.
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&old)
        .and_then(|f| f.set_modified(hour_ago))
        .expect("set mtime");
    let (watcher, rx) = start();
    let poll = Some(Duration::from_millis(200));
    let inotify_watches = watch(
        &watcher,
        "app",
        WatchSpec {
            poll,
            ..spec(&[&root])
        },
    );
    assert_eq!(inotify_watches, 0, "polling uses no inotify watch");

    write(&old, "2");
    assert_eq!(next(&rx, "the polled change"), changed("app", &old));
    let new = root.join("sub/new.js");
    mkdir(&root.join("sub"));
    write(&new, "x");
    wait_for(&rx, &changed("app", &new));
}

#[test]
fn polling_survives_a_deleted_and_recreated_root() {
    let (_dir, parent) = temp();
    let root = parent.join("app");
    mkdir(&root.join("lib"));
    let (watcher, rx) = start();
    let poll = Some(Duration::from_millis(200));
    watch(
        &watcher,
        "app",
        WatchSpec {
            poll,
            ..spec(&[&root])
        },
    );

    fs::remove_dir_all(&root).expect("remove the root");
    next(&rx, "the deletion");
    // A poll may miss the gap (deleted and made again between two scans): then the
    // root's own scan sees the new file.
    mkdir(&root);
    let file = root.join("index.js");
    write(&file, "x");
    wait_for(&rx, &changed("app", &file));
    let more = root.join("more.js");
    write(&more, "x");
    wait_for(&rx, &changed("app", &more));
}

#[test]
fn the_inotify_limit_falls_back_to_polling_and_says_so() {
    let (_dir, root) = temp();
    mkdir(&root.join("a"));
    mkdir(&root.join("b"));
    let (watcher, rx) = start();
    watcher.limit_watches(1);
    let inotify_watches = watch(&watcher, "api", spec(&[&root]));
    assert_eq!(
        inotify_watches, 0,
        "the app's inotify watches were given back"
    );

    let message = format!(
        "app \"api\": the inotify watch limit (fs.inotify.max_user_watches) is reached, so rpm \
         polls {} every 1s instead; raise the limit, e.g. \
         `sysctl fs.inotify.max_user_watches=524288` (see inotify(7)), and restart the app",
        root.display()
    );
    let degraded = WatchReport::Degraded {
        key: "api".to_string(),
        message,
    };
    assert_eq!(next(&rx, "the fallback"), degraded);
    let file = root.join("b/f.js");
    write(&file, "x");
    assert_eq!(next(&rx, "the polled change"), changed("api", &file));
}

#[test]
fn unwatch_stops_reports_even_a_pending_one() {
    let (_dir, root) = temp();
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));
    let file = root.join("a.js");
    write(&file, "1");
    assert_eq!(next(&rx, "the change"), changed("app", &file));

    write(&file, "2");
    watcher.unwatch("app");
    assert_eq!(probe(&watcher).inotify_watches, 0, "no inotify watch left");
    write(&file, "3");
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn watching_a_key_again_replaces_its_spec() {
    let (_dir, base) = temp();
    let (one, two) = (base.join("one"), base.join("two"));
    mkdir(&one);
    mkdir(&two);
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&one]));
    watch(&watcher, "app", spec(&[&two]));

    write(&one.join("a.js"), "x");
    assert_quiet(&rx, 3 * DELAY);
    let file = two.join("b.js");
    write(&file, "x");
    assert_eq!(
        next(&rx, "the change under the new spec"),
        changed("app", &file)
    );
}

#[test]
fn the_same_spec_again_keeps_the_pending_report() {
    let (_dir, root) = temp();
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[&root]));
    let file = root.join("a.js");
    write(&file, "x");
    // Once the change is seen (a report is pending), watch again.
    wait_until("the change to be seen", || probe(&watcher).pending > 0);
    watch(&watcher, "app", spec(&[&root]));
    assert_eq!(next(&rx, "the change"), changed("app", &file));
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn two_apps_on_one_folder_keep_it_when_one_leaves() {
    let (_dir, root) = temp();
    let (watcher, rx) = start();
    watch(&watcher, "a", spec(&[&root]));
    assert_eq!(watch(&watcher, "b", spec(&[&root])), 1, "one watch shared");
    watcher.unwatch("a");
    let file = root.join("x.js");
    write(&file, "x");
    assert_eq!(next(&rx, "b's change"), changed("b", &file));
    assert_quiet(&rx, 3 * DELAY);
}

#[test]
fn the_thread_ends_when_nobody_listens() {
    let (_dir, root) = temp();
    let (tx, rx) = mpsc::channel();
    let watcher = Watcher::spawn(move |report| {
        let _ = tx.send(report);
        false
    })
    .expect("watch thread");
    watch(&watcher, "app", spec(&[&root]));
    write(&root.join("a.js"), "x");
    next(&rx, "the one report");
    assert!(watcher.sync().is_none(), "the thread has ended");
}

#[test]
fn an_idle_watcher_does_not_wake_up() {
    let (_dir, root) = temp();
    mkdir(&root.join("sub"));
    let (watcher, _rx) = start();
    watch(&watcher, "app", spec(&[&root]));
    let tid = watcher.tid.load(std::sync::atomic::Ordering::SeqCst);
    let status = format!("/proc/self/task/{tid}/status");
    let field = |name: &str| -> String {
        let text = fs::read_to_string(&status).expect("the thread's status");
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .expect("the field")
    };
    // Wait until it sleeps, then it must not run again.
    wait_until("the watch thread to sleep", || {
        field("State:").starts_with('S')
    });
    let switches = field("voluntary_ctxt_switches:");
    assert_holds(5 * DELAY, "the thread woke up", || {
        field("voluntary_ctxt_switches:") == switches
    });
}

#[test]
fn a_relative_path_is_refused_and_said_so() {
    let (_dir, root) = temp();
    let (watcher, rx) = start();
    watch(&watcher, "app", spec(&[Path::new("src"), &root]));
    let refused = WatchReport::Degraded {
        key: "app".to_string(),
        message: "app \"app\": cannot watch src: the path is not absolute; changes there \
                  will not restart it"
            .to_string(),
    };
    assert_eq!(next(&rx, "the refusal"), refused);
    let file = root.join("a.js");
    write(&file, "x");
    assert_eq!(
        next(&rx, "the absolute path still watched"),
        changed("app", &file)
    );
}

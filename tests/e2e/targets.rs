//! Targets named on the command line: the CLI and the daemon word them alike.

use crate::harness::RpmHome;

#[test]
fn logs_and_stop_refuse_an_unknown_target_with_the_same_sentence() {
    let home = RpmHome::new();
    home.start_idle("keep");
    for target in ["nope", "42"] {
        let by_stop = home.fails(&["stop", target], 1);
        let by_logs = home.fails(&["logs", target, "--nostream"], 1);
        assert_eq!(by_logs, by_stop, "rpm logs {target}");
    }
    assert_eq!(
        home.fails(&["logs", "42", "--nostream"], 1),
        "error: no instance with id 42: `rpm list` shows the ids\n"
    );
}

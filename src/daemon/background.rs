//! Background threads: daemon work that must get done, but never ahead of the apps.
//!
//! Saving `state.json` (two atomic replacements, four fsyncs) takes the writer thread
//! about 0.5 ms of CPU and the kernel about 1 ms more for the block I/O it starts, and a
//! `start` asks for it just as the new app may begin writing as fast as it can. With
//! every core busy with that app and the log pump, the save took its share from them;
//! at the lowest priority it waits for a free moment instead (README, "Performance":
//! the 8 KiB-block bursts). A snapshot still reaches the disk at once whenever a core is
//! idle, and within tens of ms on a machine saturated with nice-0 work (a nice-19 thread
//! keeps about 1.5% of a core against each such task), so the answers that wait for it
//! (`start`, `stop`, ...) are later only there. The copy to `state.json.bak` that
//! follows each save lags a little more on such a machine (a damaged `state.json` can
//! still lose the last change, as before), and `Persister::flush`, before `rpm update`
//! and a planned exit, waits up to 5 s, far longer than any such delay.
//!
//! Linux keeps a nice value per thread, so only the calling thread is lowered. Elsewhere
//! the value is the whole process's, and `yield_to_apps` does nothing.

/// The nice value of background threads: the lowest priority there is.
pub const BACKGROUND_NICE: i32 = 19;

/// Gives the calling thread the lowest CPU priority (`BACKGROUND_NICE`); a failure only
/// leaves it where it was, and is logged.
pub fn yield_to_apps(thread: &str) {
    #[cfg(target_os = "linux")]
    {
        let tid = nix::unistd::gettid().as_raw();
        // SAFETY: setpriority(2) on this thread's own id; no memory is involved.
        let rc =
            unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, BACKGROUND_NICE) };
        if rc != 0 {
            log::warn!(
                "{thread}: cannot lower its priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = thread;
}

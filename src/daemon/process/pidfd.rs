//! The pidfd thread: notices at once when an adopted process that is not our child ends.
//!
//! A daemon that replaced a dead one cannot `waitpid` the apps it adopted (they were
//! reparented elsewhere), so it holds a pidfd for each and waits on all of them with one
//! epoll. A pidfd becomes readable when its process exits; the thread then reports
//! `Event::Vanished` and forgets it. Nothing here polls on a timer.

use std::collections::HashMap;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags, EpollTimeout};

use crate::mailbox::{epoll_with_mailbox, Inbox, Mailbox, WAKE_KEY};

/// Opens a pidfd for `pid`.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

enum Command {
    Watch(i32, OwnedFd),
    Forget(i32),
}

/// Handle on the pidfd thread.
pub struct PidWatcher {
    mailbox: Mailbox<Command>,
}

impl PidWatcher {
    /// Starts the thread; `vanished(pid)` is called on it when a watched process ends,
    /// and returns false once nobody listens any more (the thread then ends).
    pub fn spawn(vanished: impl Fn(i32) -> bool + Send + 'static) -> io::Result<PidWatcher> {
        let (epoll, mailbox, inbox) = epoll_with_mailbox()?;
        std::thread::Builder::new()
            .name("pidfds".into())
            .stack_size(64 * 1024)
            .spawn(move || run(epoll, inbox, vanished))?;
        Ok(PidWatcher { mailbox })
    }

    /// Watches `pid`; `vanished(pid)` follows its exit (at once if already gone).
    pub fn watch(&self, pid: i32) -> io::Result<()> {
        let fd = pidfd_open(pid)?;
        self.mailbox.send(Command::Watch(pid, fd));
        Ok(())
    }

    /// Stops watching `pid`.
    pub fn forget(&self, pid: i32) {
        self.mailbox.send(Command::Forget(pid));
    }
}

fn run(epoll: Epoll, inbox: Inbox<Command>, vanished: impl Fn(i32) -> bool) {
    let mut watched: HashMap<i32, OwnedFd> = HashMap::new();
    let mut ready = [EpollEvent::empty(); 32];
    loop {
        let n = match epoll.wait(&mut ready, EpollTimeout::NONE) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        };
        for event in &ready[..n] {
            let key = event.data();
            if key == WAKE_KEY {
                for command in inbox.drain() {
                    match command {
                        Command::Watch(pid, fd) => {
                            let added =
                                epoll.add(&fd, EpollEvent::new(EpollFlags::EPOLLIN, pid as u64));
                            if added.is_ok() {
                                watched.insert(pid, fd);
                            }
                        }
                        Command::Forget(pid) => {
                            if let Some(fd) = watched.remove(&pid) {
                                let _ = epoll.delete(&fd);
                            }
                        }
                    }
                }
                continue;
            }
            let pid = key as i32;
            if let Some(fd) = watched.remove(&pid) {
                let _ = epoll.delete(&fd);
                if !vanished(pid) {
                    return;
                }
            }
        }
    }
}

//! A command channel to a thread that sleeps in `epoll_wait`: commands go on an mpsc
//! channel and an eventfd registered in the thread's epoll (key [`WAKE_KEY`]) wakes it.
//! Used by the log pump (`logs::pump`) and the pidfd watcher (`daemon::pidfd`).
//!
//! A leaf: it imports nothing else from rpm. `Mailbox::send` runs on the sending thread
//! (the supervisor's), `Inbox::drain` on the thread that owns the epoll.

use std::io;
use std::os::fd::AsFd;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::eventfd::{EfdFlags, EventFd};

/// The epoll key of the wake-up eventfd; no other registration may use it.
pub const WAKE_KEY: u64 = u64::MAX;

/// The sending side, held by the supervisor.
pub struct Mailbox<C> {
    commands: Sender<C>,
    wake: Arc<EventFd>,
}

impl<C> Clone for Mailbox<C> {
    fn clone(&self) -> Self {
        Mailbox {
            commands: self.commands.clone(),
            wake: self.wake.clone(),
        }
    }
}

impl<C> Mailbox<C> {
    /// Queues `command` and wakes the thread.
    pub fn send(&self, command: C) {
        let _ = self.commands.send(command);
        let _ = self.wake.write(1);
    }
}

/// The receiving side, held by the thread.
pub struct Inbox<C> {
    commands: Receiver<C>,
    wake: Arc<EventFd>,
}

impl<C> Inbox<C> {
    /// Every command queued so far (call when [`WAKE_KEY`] fired).
    pub fn drain(&self) -> impl Iterator<Item = C> + '_ {
        let _ = self.wake.read();
        self.commands.try_iter()
    }
}

/// A new epoll with a mailbox already registered in it.
pub fn epoll_with_mailbox<C>() -> io::Result<(Epoll, Mailbox<C>, Inbox<C>)> {
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(io::Error::from)?;
    let wake = Arc::new(
        EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
            .map_err(io::Error::from)?,
    );
    epoll
        .add(wake.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, WAKE_KEY))
        .map_err(io::Error::from)?;
    let (tx, rx) = mpsc::channel();
    Ok((
        epoll,
        Mailbox {
            commands: tx,
            wake: wake.clone(),
        },
        Inbox { commands: rx, wake },
    ))
}

//! A progress indication on standard error while registries are read: a spinner with what is
//! being done and the seconds elapsed, redrawn in place and erased when done.
//!
//! It is shown only when standard error is a terminal (never in pipes, CI logs or tests), and
//! only after a short delay, so that fast runs do not flicker. No dependency: one thread that
//! sleeps on a condition variable.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const DELAY: Duration = Duration::from_millis(200);
const TICK: Duration = Duration::from_millis(100);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

type Signal = Arc<(Mutex<bool>, Condvar)>;

/// A running progress indication; dropping it stops and erases it.
pub struct Progress {
    running: Option<(Signal, JoinHandle<()>)>,
}

impl Progress {
    /// Starts showing `message` on standard error, if it is a terminal.
    pub fn start(message: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { running: None };
        }
        let signal: Signal = Arc::new((Mutex::new(false), Condvar::new()));
        let message = message.to_string();
        let thread_signal = Arc::clone(&signal);
        let spawned = std::thread::Builder::new()
            .name("fluxtag-progress".to_string())
            .spawn(move || spin(&thread_signal, &message));
        Progress {
            running: spawned.ok().map(|handle| (signal, handle)),
        }
    }
}

/// Waits up to `timeout` for the stop signal; true when it came.
fn stopped(signal: &Signal, timeout: Duration) -> bool {
    let (lock, condvar) = &**signal;
    let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let (guard, _) = condvar
        .wait_timeout_while(guard, timeout, |stop| !*stop)
        .unwrap_or_else(PoisonError::into_inner);
    *guard
}

fn spin(signal: &Signal, message: &str) {
    let started = Instant::now();
    if stopped(signal, DELAY) {
        return;
    }
    let mut frame = 0;
    loop {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\u{1b}[2K{} {message} ({:.1} s)",
            FRAMES[frame % FRAMES.len()],
            started.elapsed().as_secs_f64()
        );
        let _ = stderr.flush();
        drop(stderr);
        frame += 1;
        if stopped(signal, TICK) {
            break;
        }
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "\r\u{1b}[2K");
    let _ = stderr.flush();
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((signal, handle)) = self.running.take() {
            let (lock, condvar) = &*signal;
            *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
            condvar.notify_all();
            let _ = handle.join();
        }
    }
}

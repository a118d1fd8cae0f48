//! The process environment as this crate sees it: variables, the home and cache directories, the
//! clock, and the environment handed to credential helpers.
//!
//! Everything that would otherwise read global state goes through [`Environment`], so tests (and the
//! language server) can run the crate against a made-up home directory, a temporary `DOCKER_CONFIG`
//! and a clock they move by hand, without ever touching the developer's real credentials.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Side effects on global process state that this crate needs, behind one trait.
pub trait Environment: Send + Sync + 'static {
    /// The value of an environment variable, if set and valid UTF-8.
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home directory.
    fn home_dir(&self) -> Option<PathBuf>;
    /// The user's cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux).
    fn cache_dir(&self) -> Option<PathBuf>;
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
    /// The complete environment a child process (a credential helper) starts with.
    fn child_env(&self) -> Vec<(OsString, OsString)>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEnvironment;

impl Environment for SystemEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        dirs::home_dir()
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        dirs::cache_dir()
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn child_env(&self) -> Vec<(OsString, OsString)> {
        std::env::vars_os().collect()
    }
}

/// A made-up environment: only the variables it was given, an optional home and cache directory,
/// and a clock that starts at a fixed time and moves only when told to.
///
/// Clones share the clock, so a test can keep one clone and advance the time the crate sees.
#[derive(Debug, Clone)]
pub struct FixedEnvironment {
    vars: BTreeMap<String, String>,
    home: Option<PathBuf>,
    cache: Option<PathBuf>,
    clock: Arc<Mutex<SystemTime>>,
}

impl Default for FixedEnvironment {
    fn default() -> Self {
        Self::new()
    }
}

impl FixedEnvironment {
    /// An environment with no variables, no home, no cache directory, and the clock at the real
    /// current time.
    pub fn new() -> Self {
        Self {
            vars: BTreeMap::new(),
            home: None,
            cache: None,
            clock: Arc::new(Mutex::new(SystemTime::now())),
        }
    }

    /// Sets a variable.
    #[must_use]
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Sets the home directory.
    #[must_use]
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// Sets the cache directory.
    #[must_use]
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache = Some(dir.into());
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn with_now(self, now: SystemTime) -> Self {
        self.set_now(now);
        self
    }

    /// Moves the clock to `now` (for every clone).
    pub fn set_now(&self, now: SystemTime) {
        *self.clock.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forward by `by` (for every clone).
    pub fn advance(&self, by: Duration) {
        let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        *clock += by;
    }
}

impl Environment for FixedEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        self.cache.clone()
    }

    fn now(&self) -> SystemTime {
        *self.clock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn child_env(&self) -> Vec<(OsString, OsString)> {
        self.vars
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }
}

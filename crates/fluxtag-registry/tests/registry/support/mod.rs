//! Shared test helpers: an isolated environment, client options with short waits, credential
//! files and helper scripts in temporary directories.

pub mod fixtures;
pub mod mock;
pub mod registry;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use fluxtag_registry::{ClientOptions, FixedEnvironment, RegistryClient, RepositoryRef, Scheme};

/// A temporary home with an empty `bin` directory; the environment sees only `HOME` and a `PATH`
/// of that `bin` (plus `/bin` and `/usr/bin`, for helper scripts' `#!/bin/sh` and `cat`).
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("bin")).expect("bin");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    pub fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }

    /// The environment: `HOME`, `PATH`, and nothing else.
    pub fn env(&self) -> FixedEnvironment {
        FixedEnvironment::new()
            .with_home(self.home())
            .with_var("HOME", self.home().display().to_string())
            .with_var("PATH", format!("{}:/usr/bin:/bin", self.bin().display()))
    }

    /// Writes `dir/config.json` (for `DOCKER_CONFIG=dir`) and returns `dir`.
    pub fn docker_config(&self, json: &str) -> PathBuf {
        let dir = self.path().join("docker");
        std::fs::create_dir_all(&dir).expect("docker dir");
        std::fs::write(dir.join("config.json"), json).expect("config.json");
        dir
    }

    /// Writes an executable `docker-credential-<name>` script into `bin`.
    pub fn helper(&self, name: &str, script: &str) -> PathBuf {
        let path = self.bin().join(format!("docker-credential-{name}"));
        std::fs::write(&path, script).expect("helper");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }
}

/// `base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Options with short waits, so fault tests stay fast.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

/// A client over `env` with [`fast_options`].
pub fn client(env: &FixedEnvironment) -> Arc<RegistryClient> {
    client_with(env, fast_options())
}

/// A client over `env` with `options`.
pub fn client_with(env: &FixedEnvironment, options: ClientOptions) -> Arc<RegistryClient> {
    Arc::new(RegistryClient::new(options, Arc::new(env.clone())).expect("client"))
}

/// A repository on a plain-HTTP host.
pub fn http_repo(host: &str, repository: &str) -> RepositoryRef {
    RepositoryRef::new(host, repository, Scheme::Http)
}

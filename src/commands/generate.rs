//! `fluxtag completions SHELL` and `fluxtag man [COMMAND]`: shell completion scripts and roff
//! man pages generated from the clap definitions in `main.rs` (ripgrep's way: the binary prints
//! them, so they never drift from its flags; `scripts/dist` ships them in the tarball).
//!
//! It owns nothing but the generation; the argument definitions stay in `main.rs`.

use crate::ExitStatus;
use crate::output::{self, Emitted};

/// Prints the completion script of `shell` for `command` (the whole CLI).
pub fn completions(
    shell: clap_complete::Shell,
    mut command: clap::Command,
) -> Result<ExitStatus, String> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "fluxtag", &mut script);
    let text = String::from_utf8(script).map_err(|e| format!("completion script: {e}"))?;
    output::emit(&text).map(|_| ExitStatus::Success)
}

/// Prints the man page of `fluxtag` (`subcommand` `None`) or of one of its subcommands
/// (`fluxtag-check(1)`); an unknown subcommand is a usage error.
pub fn man(subcommand: Option<&str>, command: clap::Command) -> Result<ExitStatus, String> {
    let version = command.get_version().map(str::to_owned);
    let page = match subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name).filter(|s| !s.is_hide_set()) else {
                let known: Vec<&str> = command
                    .get_subcommands()
                    .filter(|s| !s.is_hide_set())
                    .map(clap::Command::get_name)
                    .collect();
                return Err(format!(
                    "no subcommand {name} (one of: {})",
                    known.join(", ")
                ));
            };
            // Named as installed: fluxtag-check(1), with the binary's version.
            let mut sub = sub.clone().name(format!("fluxtag-{name}"));
            if let Some(version) = version {
                sub = sub.version(version);
            }
            sub
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| format!("man page: {e}"))?;
    let text = String::from_utf8(roff).map_err(|e| format!("man page: {e}"))?;
    match output::emit(&text)? {
        Emitted::Written | Emitted::BrokenPipe => Ok(ExitStatus::Success),
    }
}

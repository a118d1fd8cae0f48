//! Shared helpers for the data-driven tests: load a JSON table from `tests/data` and collect
//! every failing row before failing, so one run shows all mismatches of a table.

#![allow(dead_code)]

use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::path::PathBuf;

/// A table file: where it was transcribed from, and its rows.
#[derive(Debug, serde::Deserialize)]
pub struct Table<T> {
    /// The spec section the rows come from.
    pub source: String,
    /// One entry per row.
    pub cases: Vec<T>,
}

/// Reads `tests/data/<name>` into a [`Table`].
pub fn load<T: DeserializeOwned>(name: &str) -> Table<T> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// Collects failures of a table run.
pub struct Failures {
    table: String,
    rows: usize,
    failures: Vec<String>,
}

impl Failures {
    /// Starts collecting for `table`.
    pub fn new<T>(name: &str, table: &Table<T>) -> Self {
        Failures {
            table: format!("{name} ({})", table.source),
            rows: table.cases.len(),
            failures: Vec::new(),
        }
    }

    /// Records a failing row unless `expected == actual`.
    pub fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        row: usize,
        what: impl Display,
        expected: T,
        actual: T,
    ) {
        if expected != actual {
            self.failures.push(format!(
                "row {}: {what}\n    expected: {expected:?}\n    actual:   {actual:?}",
                row + 1
            ));
        }
    }

    /// Records a failing row with a free-form message.
    pub fn fail(&mut self, row: usize, message: impl Display) {
        self.failures.push(format!("row {}: {message}", row + 1));
    }

    /// Panics listing every failing row, if any.
    pub fn finish(self) {
        assert!(self.rows > 0, "{}: table is empty", self.table);
        if !self.failures.is_empty() {
            panic!(
                "{}: {} of {} rows failed:\n{}",
                self.table,
                self.failures.len(),
                self.rows,
                self.failures.join("\n")
            );
        }
    }
}

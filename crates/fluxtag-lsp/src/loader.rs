//! Reading a workspace folder for the first time, on every core: the files `fluxtag-workspace`
//! walks are read and analysed by one thread per core, then indexed by the workspace crate.
//!
//! Unlike `fluxtag check`, a file that vanishes or cannot be read between the walk and the read
//! is skipped instead of failing the whole folder: an editor's folder changes under it.

use std::collections::BTreeMap;
use std::path::Path;

use fluxtag_core::index::{FileAnalysis, analyze_file};
use fluxtag_core::yaml::Parser;
use fluxtag_workspace::{Workspace, WorkspaceError, walk};

/// One file's analysis and, when it was parsed, its bytes.
type Analysed = (FileAnalysis, Option<Vec<u8>>);

/// Reads and indexes every YAML file of `root` that git does not ignore.
///
/// # Errors
///
/// When `root` cannot be walked.
pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
    let files = walk::yaml_files(root)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<Vec<Analysed>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || analyse(root, part)))
            .collect();
        handles
            .into_iter()
            // A thread that panicked loses its files, not the folder.
            .filter_map(|handle| handle.join().ok())
            .collect()
    });
    let mut analyses = Vec::with_capacity(files.len());
    let mut texts = BTreeMap::new();
    for (analysis, text) in parts.into_iter().flatten() {
        if let Some(text) = text {
            texts.insert(analysis.path.clone(), text);
        }
        analyses.push(analysis);
    }
    Ok(Workspace::from_analyses(root, analyses, texts))
}

fn analyse(root: &Path, paths: &[String]) -> Vec<Analysed> {
    let mut parser = Parser::new();
    paths
        .iter()
        .filter_map(|relative| {
            let text = walk::read(root, relative).ok()?;
            let analysis = analyze_file(&mut parser, relative, &text);
            let parsed = analysis.parsed.then_some(text);
            Some((analysis, parsed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_like_the_workspace_crate() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/homelab");
        let parallel = load(&root).map_err(|e| e.to_string());
        let sequential = Workspace::load(&root).map_err(|e| e.to_string());
        let (Ok(parallel), Ok(sequential)) = (parallel, sequential) else {
            panic!("the example does not load");
        };
        assert_eq!(parallel.texts, sequential.texts);
        assert_eq!(
            parallel.index.files.keys().collect::<Vec<_>>(),
            sequential.index.files.keys().collect::<Vec<_>>()
        );
        assert_eq!(parallel.index.policy_keys(), sequential.index.policy_keys());
        assert_eq!(
            parallel.index.repositories.len(),
            sequential.index.repositories.len()
        );
    }
}

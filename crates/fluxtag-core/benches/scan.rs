//! Scanning a generated repository: 3,000 YAML files holding 1,000 markers (issue 2), read by
//! `analyze_file` and joined by `Index::build`, as `fluxtag check` does after reading the files.
//! Run with `cargo bench -p fluxtag-core --bench scan`.

use fluxtag_core::analysis::analyze_file;
use fluxtag_core::index::Index;
use fluxtag_core::yaml::Parser;

fn main() {
    divan::main();
}

/// A repository of `files` Deployment files, `markers` of them marked, and one policy file.
fn generate(files: usize, markers: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::with_capacity(files + 1);
    for i in 0..files {
        let marked = i * markers / files != (i + 1) * markers / files;
        let image_line = if marked {
            format!(
                "          image: ghcr.io/org/app{i}:1.0.{i} # {{\"$imagepolicy\": \"flux-system:app{i}\"}}\n"
            )
        } else {
            format!("          image: ghcr.io/org/app{i}:1.0.{i}\n")
        };
        let text = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n  namespace: apps\n  labels:\n    app: app{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app{i}\n  template:\n    metadata:\n      labels:\n        app: app{i}\n    spec:\n      containers:\n        - name: app\n{image_line}          ports:\n            - containerPort: 8080\n          resources:\n            limits:\n              memory: 256Mi\n"
        );
        out.push((format!("apps/app{i}/deployment.yaml"), text.into_bytes()));
    }
    let mut policies = String::new();
    for i in 0..markers {
        policies.push_str(&format!(
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app{i}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app{i}\n  policy:\n    semver:\n      range: '>=1.0.0'\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app{i}\n  namespace: flux-system\nspec:\n  image: ghcr.io/org/app{i}\n  interval: 1h\n"
        ));
    }
    out.push(("flux/policies.yaml".to_string(), policies.into_bytes()));
    out
}

#[divan::bench(sample_count = 20)]
fn scan_3000_files_1000_markers(bencher: divan::Bencher) {
    let files = generate(3_000, 1_000);
    bencher.bench(|| {
        let mut parser = Parser::new();
        let analyses: Vec<_> = files
            .iter()
            .map(|(path, text)| analyze_file(&mut parser, path, text))
            .collect();
        let index = Index::build(analyses, &|_| None);
        assert_eq!(index.policies().len(), 1_000);
        index
    });
}

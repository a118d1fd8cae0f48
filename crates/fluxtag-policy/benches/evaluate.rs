//! Benchmarks of policy evaluation (filled in with the policy module).

fn main() {}

//! End-to-end test placeholder (filled in below).

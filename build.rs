//! Links the `tollgate` binary as a position-dependent (non-PIE) executable on Linux.
//!
//! A PIE binary of this size carries ~134,000 relative relocations that the loader applies, page
//! by page, at every start: 2-3 ms of a 4 ms `tollgate --version`. Without them a run answered
//! from Parquet footers takes about half the time. Shared libraries, heap and stack are still
//! randomized; set `TOLLGATE_PIE=1` when building to keep a PIE executable.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TOLLGATE_PIE");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    if linux && std::env::var_os("TOLLGATE_PIE").is_none() {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

//! Records what built the binary (compiler, target, profile) so instruction
//! and allocation counts are compared only between identical builds.

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=RATECHECK_BUILD_RUSTC={version}");
    println!("cargo:rustc-env=RATECHECK_BUILD_TARGET={}", var("TARGET"));
    println!("cargo:rustc-env=RATECHECK_BUILD_PROFILE={}", var("PROFILE"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");
}

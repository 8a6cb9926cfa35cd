//! Records what built the binary — compiler, target, profile and its
//! settings, RUSTFLAGS, enabled features, the tool's version — so that
//! instruction and allocation counts are compared only between builds
//! whose code is the same.

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
    let profile = var("PROFILE");
    println!("cargo:rustc-env=RATECHECK_BUILD_RUSTC={version}");
    println!("cargo:rustc-env=RATECHECK_BUILD_TARGET={}", var("TARGET"));
    println!("cargo:rustc-env=RATECHECK_BUILD_PROFILE={profile}");
    println!(
        "cargo:rustc-env=RATECHECK_BUILD_PROFILE_SETTINGS={}",
        profile_settings(&profile)
    );
    println!("cargo:rustc-env=RATECHECK_BUILD_RUSTFLAGS={}", rustflags());
    println!("cargo:rustc-env=RATECHECK_BUILD_FEATURES={}", features());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-env-changed=RUSTC");
}

/// The settings that shape the code of this profile: what cargo tells the
/// build script (`opt-level`, `debug`), then every key of the manifest's
/// `[profile.<name>]` table and every `CARGO_PROFILE_<NAME>_*` override in
/// the environment, sorted, as `key=value` joined by spaces.
fn profile_settings(profile: &str) -> String {
    let mut settings = std::collections::BTreeMap::new();
    for (key, env) in [("opt-level", "OPT_LEVEL"), ("debug", "DEBUG")] {
        if let Ok(v) = std::env::var(env) {
            settings.insert(key.to_string(), v);
        }
    }
    let manifest = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("Cargo.toml");
    let table = std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|mut t| t.remove("profile"))
        .and_then(|p| p.get(profile).and_then(|v| v.as_table()).cloned());
    for (key, value) in table.into_iter().flatten() {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => format!("{other:?}"),
        };
        settings.entry(key).or_insert(text);
    }
    let prefix = format!(
        "CARGO_PROFILE_{}_",
        profile.to_uppercase().replace('-', "_")
    );
    for (name, value) in std::env::vars() {
        if let Some(key) = name.strip_prefix(&prefix) {
            println!("cargo:rerun-if-env-changed={name}");
            settings.insert(key.to_lowercase().replace('_', "-"), value);
        }
    }
    settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The flags rustc was given (`CARGO_ENCODED_RUSTFLAGS`), space-separated.
fn rustflags() -> String {
    std::env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .split('\x1f')
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The enabled features of this package, lower case, comma-separated.
fn features() -> String {
    let mut f: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|n| n.to_lowercase().replace('_', "-"))
        })
        .collect();
    f.sort();
    f.join(",")
}

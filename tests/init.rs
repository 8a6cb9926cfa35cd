//! `cargo ratecheck init` in a fresh package: the starter section, the
//! workflows and the comment's posting script are written (the comment's
//! files as this repository has them), the configuration loads, a binary
//! depending on an HTTP server crate is named in the service example, the
//! toolchain is pinned unless the package pins one, and an existing section
//! or workflow is refused (exit 2, nothing written) unless `--force`.

mod common;

use std::path::Path;
use std::time::Duration;

use cargo_ratecheck::config::Config;

const LIMIT: Duration = Duration::from_secs(60);

/// A lone package `shop` with a `shop-api` binary that depends on hyper.
fn package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"shop-api\"\npath = \"src/main.rs\"\n\n[dependencies]\nhyper = \"1\"\n";
    std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir src");
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").expect("write main.rs");
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).expect("read")
}

#[test]
fn init_writes_a_section_that_loads_the_workflows_and_the_comment_script() {
    let ws = package();
    let r = common::run_bin(&["init"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout.contains("cargo ratecheck baseline save"),
        "{}",
        r.stdout
    );
    let manifest = read(&ws.path().join("Cargo.toml"));
    assert!(
        manifest.contains("[package.metadata.ratecheck]"),
        "{manifest}"
    );
    assert!(
        manifest.contains(r#""-p", "shop", "--bin", "shop-api""#),
        "the server binary is named: {manifest}"
    );
    let config = Config::load(Some(&ws.path().join("Cargo.toml"))).expect("the section loads");
    assert_eq!(config.baseline, "default");
    assert_eq!(config.trials, 3);
    // The server binary is gated: a service, and a scenario loading it.
    assert_eq!(config.services.len(), 1);
    assert_eq!(config.services[0].name, "shop-api");
    let scenarios = config.scenarios.expect("a scenario");
    assert_eq!(scenarios[0].name, "shop-api-get");
    assert!(
        r.stderr.contains(
            "service shop-api (cargo run --release -p shop --bin shop-api -- --port PORT"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("cargo ratecheck --no-baseline --against HEAD~1"),
        "{}",
        r.stdout
    );
    for name in ["ratecheck.yml", "refresh-baselines.yml"] {
        let wf = read(&ws.path().join(".github/workflows").join(name));
        assert!(
            wf.contains("cargo install --locked cargo-ratecheck"),
            "{name}"
        );
    }
    // The pull-request comment: this repository's workflow and script,
    // posting what init's ratecheck.yml uploads.
    let gate = read(&ws.path().join(".github/workflows/ratecheck.yml"));
    for uploaded in [
        "--markdown ratecheck-comment/baseline.md",
        "--markdown ratecheck-comment/against.md",
        "ratecheck-comment/pr-number",
        "name: ratecheck-comment\n",
    ] {
        assert!(gate.contains(uploaded), "{uploaded}: {gate}");
    }
    let poster = read(&ws.path().join(".github/workflows/ratecheck-comment.yml"));
    assert!(poster.contains(
        "python3 .github/scripts/ratecheck_comment.py\n          --repo \"$GITHUB_REPOSITORY\" --dir \"$REPORTS\"\n          --head-sha \"$HEAD_SHA\" --run-url \"$RUN_URL\"\n          baseline.md against.md\n"
    ), "{poster}");
    // The commit init suggests takes every file it wrote.
    assert!(
        r.stdout
            .contains("git add Cargo.toml rust-toolchain.toml .github baselines"),
        "{}",
        r.stdout
    );
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        ".github/workflows/ratecheck-comment.yml",
        ".github/scripts/ratecheck_comment.py",
    ] {
        assert_eq!(
            read(&ws.path().join(file)),
            read(&repo.join(file)),
            "{file}"
        );
        assert!(
            r.stderr.contains(&format!("ratecheck: wrote {file}")),
            "{}",
            r.stderr
        );
    }
    // The compiler that builds here is pinned, as the workflows install it.
    let pinned = read(&ws.path().join("rust-toolchain.toml"));
    assert!(pinned.contains("[toolchain]\nchannel = \""), "{pinned}");
    assert!(
        r.stderr.contains("wrote rust-toolchain.toml (channel "),
        "{}",
        r.stderr
    );
}

/// A server with no server crate, only std's `TcpListener`, is found by
/// its source; a package with neither gets the commented example and is
/// told so.
#[test]
fn a_std_listener_is_a_server_and_nothing_is_told_as_nothing() {
    let ws = tempfile::tempdir().expect("temp dir");
    let manifest = "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";
    std::fs::write(ws.path().join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::create_dir_all(ws.path().join("src")).expect("mkdir src");
    let main = ws.path().join("src/main.rs");
    std::fs::write(&main, "fn main() {}\n").expect("write main.rs");
    let r = common::run_bin(&["init"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stderr.contains("no binary looks like an HTTP server"),
        "{}",
        r.stderr
    );
    let config = Config::load(Some(&ws.path().join("Cargo.toml"))).expect("loads");
    assert!(config.services.is_empty() && config.scenarios.is_none());

    std::fs::write(
        &main,
        "use std::net::TcpListener;\nfn main() { let _l = TcpListener::bind(\"127.0.0.1:0\"); }\n",
    )
    .expect("write main.rs");
    let r = common::run_bin(&["init", "--force"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(0), "{r:?}");
    let config = Config::load(Some(&ws.path().join("Cargo.toml"))).expect("loads");
    assert_eq!(config.services[0].name, "tiny");
    assert_eq!(config.scenarios.expect("a scenario")[0].name, "tiny-get");
}

#[test]
fn a_second_init_is_refused_and_force_replaces_the_section() {
    let ws = package();
    assert_eq!(common::run_bin(&["init"], ws.path(), LIMIT).code, Some(0));
    let once = read(&ws.path().join("Cargo.toml"));
    let r = common::run_bin(&["init"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.first_err_line()
            .contains("Cargo.toml already has a ratecheck section")
            && r.first_err_line().contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&ws.path().join("Cargo.toml")), once, "nothing written");
    // The workspace's own pin is never replaced.
    std::fs::write(ws.path().join("rust-toolchain.toml"), "ours\n").expect("write");
    let r = common::run_bin(&["init", "--force"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(read(&ws.path().join("rust-toolchain.toml")), "ours\n");
    assert!(
        r.stderr.contains("kept rust-toolchain.toml"),
        "{}",
        r.stderr
    );
    let twice = read(&ws.path().join("Cargo.toml"));
    assert_eq!(
        twice.matches("[package.metadata.ratecheck]").count(),
        1,
        "{twice}"
    );
    assert_eq!(twice, once, "the same starter, replaced");
}

#[test]
fn an_existing_workflow_is_refused_before_anything_is_written() {
    let ws = package();
    let dir = ws.path().join(".github/workflows");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("ratecheck.yml"), "name: ours\n").expect("write");
    let before = read(&ws.path().join("Cargo.toml"));
    let r = common::run_bin(&["init"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.first_err_line().contains("ratecheck.yml already exists"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&ws.path().join("Cargo.toml")), before);
    assert_eq!(read(&dir.join("ratecheck.yml")), "name: ours\n");
    assert!(!dir.join("refresh-baselines.yml").exists());
    assert!(!ws.path().join(".github/scripts").exists());
}

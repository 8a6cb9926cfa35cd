//! `cargo ratecheck init`: finds the workspace (`cargo metadata`), appends
//! the starter section to its root manifest and writes the GitHub workflows,
//! the pull-request comment's posting script and, unless one exists, a
//! `rust-toolchain.toml` pinning the compiler, all atomically and only
//! after every file was checked: an existing section or workflow (or the
//! script) is refused without `--force` (exit 2), so
//! nothing is half-done. What goes in the files is `crate::init`.

use std::path::{Path, PathBuf};

use super::{print_out, Ctx};
use crate::cli::InitArgs;
use crate::error::{Error, Exit, Result};
use crate::figure::{rustc_version, toolchain_channel};
use crate::init::{self, ServerBin, Table};

pub fn init(ctx: &Ctx, args: InitArgs) -> Result<Exit> {
    let meta = workspace(ctx)?;
    let root = PathBuf::from(meta.workspace_root.as_std_path());
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| Error::new(format!("init: cannot read {}: {e}", manifest.display())))?;
    let parsed: toml::Table = text.parse().map_err(|e| {
        Error::new(format!(
            "init: {} is not valid TOML: {e}",
            manifest.display()
        ))
    })?;
    let workflows: Vec<(PathBuf, &str)> = init::workflows()
        .into_iter()
        .map(|(path, body)| (root.join(path), body))
        .collect();
    if !args.force {
        nothing_to_replace(&manifest, &parsed, &workflows)?;
    }
    let servers = server_bins(&meta);
    let base = if init::has_section(&parsed) {
        init::strip_section(&text)
    } else {
        text.clone()
    };
    let mut new_text = base.trim_end().to_string();
    new_text.push('\n');
    new_text.push_str(&init::starter_section(
        Table::for_manifest(&parsed),
        &servers,
    ));
    for dir in workflows.iter().filter_map(|(p, _)| p.parent()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("init: cannot create {}: {e}", dir.display())))?;
    }
    write(&manifest, new_text.as_bytes())?;
    for (path, body) in &workflows {
        write(path, body.as_bytes())?;
    }
    let toolchain = pin_toolchain(&root)?;
    say_written(ctx, &root, &manifest, &workflows, &servers);
    ctx.note(toolchain.line());
    let pinned = matches!(toolchain, Toolchain::Pinned(_));
    print_next(&root, &manifest, servers.first(), pinned);
    Ok(Exit::Pass)
}

/// What `init` did about the pinned toolchain.
enum Toolchain {
    /// Wrote `rust-toolchain.toml` with this channel.
    Pinned(String),
    /// The workspace pins one already in this file: kept.
    Kept(&'static str),
    /// Which toolchain builds here could not be told.
    Unknown,
}

impl Toolchain {
    fn line(&self) -> String {
        match self {
            Toolchain::Pinned(c) => format!(
                "ratecheck: wrote rust-toolchain.toml (channel {c}): the baseline and every run are built by this compiler, so their counts compare; the workflows install it"
            ),
            Toolchain::Kept(f) => format!(
                "ratecheck: kept {f}: the workflows install the toolchain it pins"
            ),
            Toolchain::Unknown => "ratecheck: could not tell which toolchain builds here (rustc -V): pin one in rust-toolchain.toml, or instruction counts stop comparing when the runners' stable compiler changes".to_string(),
        }
    }
}

/// Pins the toolchain in `rust-toolchain.toml` unless the workspace pins
/// one already: the one the committed baseline was built with, if there is
/// one, else the one that builds here (`rustc -V` in `root`, through
/// rustup's overrides).
fn pin_toolchain(root: &Path) -> Result<Toolchain> {
    if let Some(f) = init::TOOLCHAIN_FILES
        .into_iter()
        .find(|f| root.join(f).exists())
    {
        return Ok(Toolchain::Kept(f));
    }
    let baseline = crate::baseline::store::load(&root.join("baselines").join("default.json"))
        .ok()
        .and_then(|b| b.suite.build)
        .map(|b| b.rustc);
    let rustc = baseline.or_else(|| rustc_version(Some(root)));
    let Some(channel) = rustc.as_deref().and_then(toolchain_channel) else {
        return Ok(Toolchain::Unknown);
    };
    write(
        &root.join(init::TOOLCHAIN_FILES[0]),
        init::toolchain_file(&channel).as_bytes(),
    )?;
    Ok(Toolchain::Pinned(channel))
}

/// The workspace, through `cargo metadata` (honouring `--manifest-path`).
fn workspace(ctx: &Ctx) -> Result<cargo_metadata::Metadata> {
    let mut cmd = cargo_metadata::MetadataCommand::new();
    cmd.no_deps();
    if let Some(p) = &ctx.manifest_path {
        cmd.manifest_path(p);
    }
    cmd.exec().map_err(|e| {
        Error::new(format!(
            "init: cannot read the workspace with cargo metadata ({}); run it inside a cargo workspace or pass --manifest-path",
            e.to_string().lines().next().unwrap_or("")
        ))
    })
}

/// An error, without `--force`, when the manifest has a ratecheck section
/// already or a workflow file exists.
fn nothing_to_replace(
    manifest: &Path,
    parsed: &toml::Table,
    workflows: &[(PathBuf, &str)],
) -> Result<()> {
    let refuse = |what: &Path, why: &str| {
        Error::new(format!(
            "init: {} {why}; edit it, or run `cargo ratecheck init --force` to replace it",
            what.display()
        ))
    };
    if init::has_section(parsed) {
        return Err(refuse(manifest, "already has a ratecheck section"));
    }
    if let Some((p, _)) = workflows.iter().find(|(p, _)| p.exists()) {
        return Err(refuse(p, "already exists"));
    }
    Ok(())
}

/// The binaries of workspace members that look like HTTP servers: their
/// package depends on an HTTP server crate, or their main source file binds
/// a TCP listener ([`init::looks_like_server`]).
fn server_bins(meta: &cargo_metadata::Metadata) -> Vec<ServerBin> {
    meta.packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .flat_map(|p| {
            let server_crate = p
                .dependencies
                .iter()
                .any(|d| init::SERVER_CRATES.contains(&d.name.as_str()));
            p.targets
                .iter()
                .filter(|t| t.is_bin())
                .filter(move |t| server_crate || binds_a_listener(t.src_path.as_std_path()))
                .map(|t| ServerBin {
                    package: p.name.to_string(),
                    bin: t.name.clone(),
                })
        })
        .collect()
}

/// Whether the source file at `path` looks like a server's (its first
/// 256 KiB read; a file that cannot be read does not).
fn binds_a_listener(path: &Path) -> bool {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(256 * 1024).read_to_string(&mut text))
        .is_ok_and(|_| init::looks_like_server(&text))
}

/// Writes `bytes` to `path` atomically.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic_write::write_atomic(path, bytes)
        .map_err(|e| Error::new(format!("init: cannot write {}: {e}", path.display())))
}

/// What was written (standard error) and what to run next (standard
/// output).
fn say_written(
    ctx: &Ctx,
    root: &Path,
    manifest: &Path,
    workflows: &[(PathBuf, &str)],
    servers: &[ServerBin],
) {
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let service = servers.first();
    ctx.note(match service {
        Some(s) => format!(
            "ratecheck: wrote the starter section to {}: service {bin} (cargo run --release -p {} --bin {bin} -- --port PORT: it must listen on 127.0.0.1:PORT and answer GET / with 200) and scenario {} (200 requests/s of GET / for 5 s)",
            shown(manifest),
            s.package,
            init::scenario_name(&s.bin),
            bin = s.bin,
        ),
        None => format!(
            "ratecheck: wrote the starter section to {}; no binary looks like an HTTP server (none depends on an HTTP server crate or binds a TcpListener in its main file): fill in the commented service and scenario, or only the self-test runs",
            shown(manifest)
        ),
    });
    for (p, _) in workflows {
        ctx.note(format!("ratecheck: wrote {}", shown(p)));
    }
}

/// What to run next (standard output).
fn print_next(root: &Path, manifest: &Path, service: Option<&ServerBin>, pinned: bool) {
    let shown = manifest
        .strip_prefix(root)
        .unwrap_or(manifest)
        .display()
        .to_string();
    let mut next = String::from("Next:\n");
    for c in init::next_commands(&shown, service.map(|s| s.bin.as_str()), pinned) {
        next.push_str(&format!("  {c}\n"));
    }
    print_out(&next);
}

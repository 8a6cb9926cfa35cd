//! `cargo ratecheck init`: finds the workspace (`cargo metadata`), appends
//! the starter section to its root manifest and writes the two GitHub
//! workflows, all atomically and only after every file was checked: an
//! existing section or workflow is refused without `--force` (exit 2), so
//! nothing is half-done. What goes in the files is `crate::init`.

use std::path::{Path, PathBuf};

use super::{print_out, Ctx};
use crate::cli::InitArgs;
use crate::error::{Error, Exit, Result};
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
    let workflow_dir = root.join(".github").join("workflows");
    let workflows: Vec<(PathBuf, &str)> = init::workflows()
        .into_iter()
        .map(|(name, body)| (workflow_dir.join(name), body))
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
    std::fs::create_dir_all(&workflow_dir).map_err(|e| {
        Error::new(format!(
            "init: cannot create {}: {e}",
            workflow_dir.display()
        ))
    })?;
    write(&manifest, new_text.as_bytes())?;
    for (path, body) in &workflows {
        write(path, body.as_bytes())?;
    }
    say_written(ctx, &root, &manifest, &workflows, &servers);
    Ok(Exit::Pass)
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

/// The binaries of workspace members that depend on an HTTP server crate.
fn server_bins(meta: &cargo_metadata::Metadata) -> Vec<ServerBin> {
    meta.packages
        .iter()
        .filter(|p| meta.workspace_members.contains(&p.id))
        .filter(|p| {
            p.dependencies
                .iter()
                .any(|d| init::SERVER_CRATES.contains(&d.name.as_str()))
        })
        .flat_map(|p| {
            p.targets.iter().filter(|t| t.is_bin()).map(|t| ServerBin {
                package: p.name.to_string(),
                bin: t.name.clone(),
            })
        })
        .collect()
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
    ctx.note(format!(
        "ratecheck: wrote the starter section to {}{}",
        shown(manifest),
        if servers.is_empty() {
            String::new()
        } else {
            format!(
                " (service example: {}, which looks like an HTTP server)",
                servers[0].bin
            )
        }
    ));
    for (p, _) in workflows {
        ctx.note(format!("ratecheck: wrote {}", shown(p)));
    }
    let mut next = String::from("Next:\n");
    for c in init::next_commands(&shown(manifest)) {
        next.push_str(&format!("  {c}\n"));
    }
    print_out(&next);
}

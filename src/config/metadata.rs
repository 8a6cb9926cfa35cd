//! The IO of the configuration: the workspace as `cargo metadata` sees it,
//! the manifests as committed at `--baseline-rev REV` (through
//! `baseline/git.rs`, parsed with `toml`), and the choice of the one
//! ratecheck section among the workspace's and its members'.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{AtRev, Config, ConfigError};
use crate::git;

impl Config {
    /// Validates the ratecheck section of one manifest given as TOML text
    /// (`[workspace.metadata.ratecheck]`, else `[package.metadata.ratecheck]`;
    /// both is an error), through the same checks as [`Config::load`].
    /// `manifest` names the file in errors, e.g. `origin/main:Cargo.toml`.
    /// Paths stay relative (`workspace_root` is empty).
    pub fn from_manifest_toml(manifest: &str, text: &str) -> Result<Config, ConfigError> {
        Sections::from_toml(manifest, text)?.parse()
    }

    /// Finds the workspace with `cargo metadata --no-deps` (at
    /// `manifest_path`, else from the current directory) and reads its
    /// ratecheck section: `[workspace.metadata.ratecheck]`, else the root
    /// package's (or the only member's) `[package.metadata.ratecheck]`.
    /// Both at once is an error. `baseline-dir` is made absolute against the
    /// workspace root.
    pub fn load(manifest_path: Option<&Path>) -> Result<Config, ConfigError> {
        let ws = Workspace::read(manifest_path)?;
        let cfg = ws.local.clone().parse()?;
        Ok(ws.resolve(cfg))
    }

    /// The configuration `check --baseline-rev REV` judges with: the
    /// workspace is found as in [`Config::load`] (its root and target
    /// directory stay local, and the working tree's section must still be
    /// valid), but the ratecheck section is read from the manifests as
    /// committed at `rev`: the workspace root's `Cargo.toml` (which must
    /// exist there) and those of the current members that exist there,
    /// chosen by the same rules and checked by the same code. No section at
    /// `rev` means the built-in defaults, whatever the working tree says.
    pub fn load_at_rev(manifest_path: Option<&Path>, rev: &str) -> Result<AtRev, ConfigError> {
        Config::load_at_rev_for(manifest_path, rev, "--baseline-rev")
    }

    /// [`Config::load_at_rev`] for the option `flag` (`--baseline-rev`,
    /// `--against`), which its errors name.
    pub fn load_at_rev_for(
        manifest_path: Option<&Path>,
        rev: &str,
        flag: &str,
    ) -> Result<AtRev, ConfigError> {
        let ws = Workspace::read(manifest_path)?;
        let local = ws.resolve(ws.local.clone().parse()?);
        let at_rev = |msg: String| ConfigError::AtRev(format!("{flag} {rev}: {msg}"));
        if git::repo_root(&ws.root)
            .map_err(|e| at_rev(e.to_string()))?
            .is_none()
        {
            return Err(at_rev(format!(
                "{} is not in a git repository",
                ws.root.display()
            )));
        }
        let paths: Vec<&Path> = std::iter::once(ws.root_manifest.as_path())
            .chain(ws.member_manifests.iter().map(PathBuf::as_path))
            .collect();
        let read = git::read_files_at_rev(&ws.root, rev, &paths).map_err(|e| at_rev(e.0))?;
        let mut files = read.files.into_iter().map(|f| {
            let name = format!("{rev}:{}", f.path.display());
            let text = f
                .contents
                .map(|bytes| {
                    String::from_utf8(bytes).map_err(|_| ConfigError::Metadata {
                        manifest: name.clone(),
                        msg: "is not UTF-8 text".to_string(),
                    })
                })
                .transpose();
            (name, text)
        });
        let Some((root_name, root_text)) = files.next() else {
            return Err(at_rev("no manifest to read".to_string()));
        };
        let Some(root_text) = root_text? else {
            return Err(at_rev(format!(
                "{root_name} does not exist (commit {}); the gate's configuration is read from there",
                git::short_sha(&read.commit)
            )));
        };
        let mut sections = Sections::from_toml(&root_name, &root_text)?;
        for (name, text) in files {
            if let Some(text) = text? {
                if let Some(v) = Sections::from_toml(&name, &text)?.root_package {
                    sections.members.push((name, v));
                }
            }
        }
        let (section, manifest, value) = sections.select()?;
        let config = ws.resolve(Sections::validate(section, manifest.clone(), value)?);
        let differences = local.judged_differences(&config);
        Ok(AtRev {
            config,
            manifest,
            commit: read.commit,
            differences,
        })
    }
}

/// The ratecheck sections of a workspace's manifests, before one is chosen.
#[derive(Debug, Clone, Default)]
pub(super) struct Sections {
    /// The workspace root manifest, as named in messages.
    pub(super) root_manifest: String,
    /// `[workspace.metadata.ratecheck]`.
    pub(super) workspace: Option<Value>,
    /// The root package's `[package.metadata.ratecheck]` (in the root
    /// manifest).
    pub(super) root_package: Option<Value>,
    /// Other members' `[package.metadata.ratecheck]`: (manifest, section).
    pub(super) members: Vec<(String, Value)>,
}

impl Sections {
    /// The sections of one manifest given as TOML text (no other members).
    fn from_toml(manifest: &str, text: &str) -> Result<Sections, ConfigError> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Metadata {
            manifest: manifest.to_string(),
            msg: toml_error_line(text, &e),
        })?;
        let section = |table: &str| -> Result<Option<Value>, ConfigError> {
            let Some(v) = doc
                .get(table)
                .and_then(|t| t.get("metadata"))
                .and_then(|m| m.get("ratecheck"))
            else {
                return Ok(None);
            };
            serde_json::to_value(v)
                .map(Some)
                .map_err(|e| ConfigError::Metadata {
                    manifest: manifest.to_string(),
                    msg: format!("[{table}.metadata.ratecheck] cannot be read: {e}"),
                })
        };
        Ok(Sections {
            root_manifest: manifest.to_string(),
            workspace: section("workspace")?,
            root_package: section("package")?,
            members: Vec::new(),
        })
    }

    /// The section that configures the gate: `[workspace.metadata.ratecheck]`,
    /// else the root package's, else the only member's
    /// `[package.metadata.ratecheck]`; both kinds at once is an error. None
    /// at all is `Value::Null` (the defaults), located in the root manifest.
    fn select(self) -> Result<(&'static str, String, Value), ConfigError> {
        let Sections {
            root_manifest,
            workspace,
            root_package,
            mut members,
        } = self;
        let pkg = match root_package {
            Some(v) => Some((root_manifest.clone(), v)),
            None if members.len() == 1 => members.pop(),
            None => None,
        };
        match (workspace, pkg) {
            (Some(_), Some((manifest, _))) => Err(ConfigError::Metadata {
                manifest: root_manifest,
                msg: format!(
                    "both [workspace.metadata.ratecheck] and [package.metadata.ratecheck] (in {manifest}) are set; keep one"
                ),
            }),
            (Some(v), None) => Ok(("workspace.metadata.ratecheck", root_manifest, v)),
            (None, Some((manifest, v))) => Ok(("package.metadata.ratecheck", manifest, v)),
            (None, None) => Ok(("workspace.metadata.ratecheck", root_manifest, Value::Null)),
        }
    }

    /// Selects the section and validates it ([`Sections::validate`]).
    pub(super) fn parse(self) -> Result<Config, ConfigError> {
        let (section, manifest, value) = self.select()?;
        Self::validate(section, manifest, value)
    }

    /// Validates a selected section with [`Config::from_json`]; errors
    /// name the manifest, the section and the key.
    fn validate(section: &str, manifest: String, value: Value) -> Result<Config, ConfigError> {
        Config::from_json(&value).map_err(|e| match e {
            ConfigError::Invalid { key, msg } => ConfigError::InManifest {
                manifest,
                section: section.to_string(),
                key,
                msg,
            },
            other => other,
        })
    }
}

/// The package whose workspace is this tool's own: there the engine is the
/// code under test ([`Config::this_tool`]).
const TOOL_PACKAGE: &str = "cargo-ratecheck";

/// The workspace as `cargo metadata` sees it in the working tree.
struct Workspace {
    root: PathBuf,
    /// One of the members is the package `cargo-ratecheck`.
    this_tool: bool,
    target_dir: PathBuf,
    /// `root/Cargo.toml`.
    root_manifest: PathBuf,
    /// The other members' manifests.
    member_manifests: Vec<PathBuf>,
    /// The working tree's sections.
    local: Sections,
}

impl Workspace {
    fn read(manifest_path: Option<&Path>) -> Result<Workspace, ConfigError> {
        let shown = manifest_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "Cargo.toml".to_string());
        if let Some(p) = manifest_path {
            if !p.is_file() {
                return Err(ConfigError::Metadata {
                    manifest: shown,
                    msg: "--manifest-path does not name an existing Cargo.toml file".to_string(),
                });
            }
        }
        let mut cmd = cargo_metadata::MetadataCommand::new();
        cmd.no_deps();
        if let Some(p) = manifest_path {
            cmd.manifest_path(p);
        }
        let meta = cmd.exec().map_err(|e| ConfigError::Metadata {
            manifest: shown.clone(),
            msg: metadata_error_line(&e),
        })?;

        let root_manifest = meta.workspace_root.join("Cargo.toml");
        let root_package = meta.root_package();
        let others: Vec<_> = meta
            .packages
            .iter()
            .filter(|p| meta.workspace_members.contains(&p.id))
            .filter(|p| root_package.is_none_or(|r| r.id != p.id))
            .collect();
        let section = |v: &Value| v.get("ratecheck").cloned();
        let local = Sections {
            root_manifest: root_manifest.to_string(),
            workspace: section(&meta.workspace_metadata),
            root_package: root_package.and_then(|p| section(&p.metadata)),
            members: others
                .iter()
                .filter_map(|p| Some((p.manifest_path.to_string(), section(&p.metadata)?)))
                .collect(),
        };
        let this_tool = meta
            .packages
            .iter()
            .any(|p| meta.workspace_members.contains(&p.id) && p.name.as_str() == TOOL_PACKAGE);
        Ok(Workspace {
            root: meta.workspace_root.clone().into_std_path_buf(),
            this_tool,
            target_dir: meta.target_directory.clone().into_std_path_buf(),
            root_manifest: root_manifest.into_std_path_buf(),
            member_manifests: others
                .iter()
                .map(|p| p.manifest_path.clone().into_std_path_buf())
                .collect(),
            local,
        })
    }

    /// `cfg` with this workspace's paths: root, target directory, and
    /// `baseline-dir` and body files made absolute against the root.
    fn resolve(&self, mut cfg: Config) -> Config {
        cfg.workspace_root = self.root.clone();
        cfg.this_tool = self.this_tool;
        cfg.target_dir = self.target_dir.clone();
        cfg.baseline_dir = self.root.join(&cfg.baseline_dir);
        for s in cfg.scenarios.iter_mut().flatten() {
            s.load.traffic = std::mem::take(&mut s.load.traffic).rooted(&self.root);
        }
        cfg
    }
}

/// A TOML syntax error as one line: the message and where.
fn toml_error_line(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("not valid TOML: {msg} (line {line})")
        }
        None => format!("not valid TOML: {msg}"),
    }
}

/// The first meaningful line of a `cargo metadata` failure.
fn metadata_error_line(e: &cargo_metadata::Error) -> String {
    match e {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            let line = stderr
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("error"))
                .or_else(|| stderr.lines().map(str::trim).find(|l| !l.is_empty()))
                .unwrap_or("unknown error");
            format!("cargo metadata failed: {line}")
        }
        other => other.to_string().lines().next().unwrap_or("").to_string(),
    }
}

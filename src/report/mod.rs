//! Pure renderers: text (comfy-table), JSON, Markdown and HTML. They turn a
//! [`RunReport`](ratecheck_engine::metrics::snapshot::RunReport) or the gate's
//! [`CheckOutput`](check::CheckOutput) into strings or bytes and never touch files or the terminal;
//! the one writer that does IO lives in [`write`].
//!
//! Every renderer returns text that ends with a newline, so callers print it
//! with `print!`, not `println!`.

/// `bisect`: the probes of a search and the first bad commit.
pub mod bisect;
/// The result of `check`: the document the check renderers read.
pub mod check;
/// `history`: a baseline file's figures over its committed versions.
pub mod history;
/// One self-contained HTML file: inline CSS and SVG, nothing from the network.
pub mod html;
/// JSON: the stable, versioned schema shared by `run`, `check` and baselines.
pub mod json;
/// Markdown for `$GITHUB_STEP_SUMMARY` / pull-request comments, and GitHub
/// `::error` workflow-command annotations.
pub mod markdown;
/// `check --merge`: the parts of a split run made into one check document.
pub mod merge;
/// The tables of a run and of a check, built once for every renderer.
pub mod model;
/// `merge`: the merged report of a schedule's shards.
pub mod shards;
/// Human-readable terminal output: comfy-table tables, colour only on request.
pub mod text;
/// The only IO in this module: atomic file writes for `--json` / `--html`.
pub mod write;

/// Shared number, note and verdict formatting: the only place they become
/// text.
pub(crate) mod format;

/// The hand-built check result the renderers are tested against.
#[cfg(test)]
pub(crate) mod example;

//! `history`: every figure of the baseline file over its committed versions.
//! The IO edge: configuration (which baseline), git (the versions, through
//! `baseline/git/`), standard output and the `--json`/`--html` files; the
//! series are built by `baseline::history` and rendered by `report`.

use super::check::baseline_file;
use super::{check_outputs, emit, Ctx, Renderings};
use crate::baseline::history;
use crate::cli::HistoryArgs;
use crate::config::Config;
use crate::error::{Error, Exit, Result};
use crate::git;
use crate::git::CommitInfo;
use crate::report::history::{render_history_json, render_history_md, render_history_text};
use crate::report::html::render_history_html;

pub fn history(ctx: &Ctx, args: HistoryArgs) -> Result<Exit> {
    check_outputs(&args.output)?;
    let config = Config::load(ctx.manifest_path.as_deref())?;
    let path = baseline_file(&config, args.baseline.as_deref())?;
    let path = if path.is_absolute() {
        path
    } else {
        std::env::current_dir()?.join(path)
    };
    let file = git::file_versions(&config.workspace_root, &path)?;
    let shown = file.path.display().to_string();
    let versions = file
        .versions
        .into_iter()
        .map(|v| {
            (
                CommitInfo {
                    commit: v.commit,
                    subject: v.subject,
                    date: v.date,
                },
                v.contents,
            )
        })
        .collect();
    let h =
        history::build(&shown, versions, &args.figure).map_err(|e| Error::new(e.to_string()))?;

    emit(
        &args.output,
        &Renderings {
            human: || render_history_text(&h, ctx.color),
            json: || render_history_json(&h),
            markdown: || render_history_md(&h),
            html: || render_history_html(&h),
        },
    )?;
    Ok(Exit::Pass)
}

//! `merge`: reads the JSON reports of a schedule's shards and prints (and
//! writes) the report of the whole. Every refusal is one line naming the
//! file, exit 2.

use std::path::PathBuf;

use super::{check_outputs, emit, Ctx, Renderings};
use crate::cli::MergeArgs;
use crate::error::{Error, Exit, Result};
use crate::report;
use ratecheck_engine::merge::merge as merge_parts;
use ratecheck_engine::metrics::snapshot::RunReport;

/// `cargo ratecheck merge PART.json…`.
pub fn merge(ctx: &Ctx, args: MergeArgs) -> Result<Exit> {
    check_outputs(&args.output)?;
    let parts = args
        .parts
        .iter()
        .map(read_part)
        .collect::<Result<Vec<_>>>()?;
    let m = merge_parts(&parts, args.allow_missing).map_err(|e| Error::new(e.to_string()))?;
    emit(
        &args.output,
        &Renderings {
            human: || report::shards::render_merge(&m, ctx.color),
            json: || report::shards::merge_json(&m),
            markdown: || report::shards::render_merge_md(&m),
            html: || report::html::render_merge_html(&m),
        },
    )?;
    Ok(Exit::Pass)
}

/// One part, named by its path; unreadable or unparsable → one line.
fn read_part(path: &PathBuf) -> Result<(String, RunReport)> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(format!("{name}: cannot read the part: {e}")))?;
    let report: RunReport = serde_json::from_str(&text).map_err(|e| {
        Error::new(format!(
            "{name}: corrupt or truncated part (not a run's JSON report: {e})"
        ))
    })?;
    Ok((name, report))
}

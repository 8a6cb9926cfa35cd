//! `merge`: reads the JSON reports of a schedule's shards and prints (and
//! writes) the report of the whole. Every refusal is one line naming the
//! file, exit 2.

use std::path::PathBuf;

use super::{check_outputs, print_out, write_output, Ctx};
use crate::cli::{Format, MergeArgs};
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
    print_out(&match args.output.format {
        Format::Human => report::shards::render_merge(&m, ctx.color),
        Format::Json => report::shards::merge_json(&m),
        Format::Markdown => report::shards::render_merge_md(&m),
    });
    if let Some(p) = &args.output.json {
        write_output("--json", p, report::shards::merge_json(&m).as_bytes())?;
    }
    if let Some(p) = &args.output.html {
        write_output("--html", p, report::html::render_merge_html(&m).as_bytes())?;
    }
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

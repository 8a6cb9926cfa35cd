//! Measuring one probe of `bisect`: the commit built and its figure
//! measured with its binary (an instruction count, or paired runs against
//! the good revision's binary), or `--command` run in its tree; the mark
//! comes from `revision::bisect::Judge` and `revision::command::mark_of`.

use std::path::PathBuf;
use std::time::Duration;

use super::{Bisector, Mode};
use crate::error::{Error, Result};
use crate::git;
use crate::report::bisect::RatioJson;
use crate::revision::bisect::{relative_change, Mark, NoChange, Place};
use crate::revision::probe::{self, BisectFigure, Measure, MIN_INSTRUCTION_CHANGE};
use crate::revision::{build, command};
use crate::suite::instructions::CostRun;

/// One probe measured.
pub(super) struct Measured {
    pub(super) mark: Mark,
    pub(super) value: Option<f64>,
    pub(super) ratio: Option<RatioJson>,
    pub(super) note: String,
}

impl Measured {
    pub(super) fn skip(note: String) -> Measured {
        Measured {
            mark: Mark::Skip,
            value: None,
            ratio: None,
            note,
        }
    }
}

impl Bisector<'_> {
    /// Measures probe `i`.
    pub(super) async fn measure(&mut self, i: usize) -> Result<Measured> {
        match self.mode {
            Mode::Command { cmd, timeout } => self.run_command(i, cmd, *timeout).await,
            Mode::Build(figure) => self.build_and_measure(i, figure).await,
        }
    }

    /// Runs `cmd` in commit `i`'s tree; its exit code marks the commit.
    async fn run_command(&mut self, i: usize, cmd: &str, timeout: Duration) -> Result<Measured> {
        let commit = &self.commits[i].commit;
        let what = self.what(i);
        let run = command::run_at(
            self.root,
            commit,
            &what,
            cmd,
            self.target_dir,
            timeout,
            self.cancel,
        )
        .await?;
        let mark = command::mark_of(run.code).map_err(|why| {
            Error::new(format!(
                "{what} (commit {}): the command stopped the search: {why}{}",
                git::short_sha(commit),
                last_line(&run.stderr)
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default()
            ))
        })?;
        let code = run.code.unwrap_or(-1);
        let mut note = format!("exit {code}");
        if mark != Mark::Good {
            if let Some(l) = last_line(&run.stderr) {
                note.push_str(&format!(": {l}"));
            }
        }
        let value = self
            .args
            .figure
            .as_ref()
            .and_then(|_| command::last_number(&run.stdout));
        Ok(Measured {
            mark,
            value,
            ratio: None,
            note,
        })
    }

    /// Builds commit `i` (or reuses its binary) and measures `figure` with
    /// it; a commit that does not build is skipped.
    async fn build_and_measure(&mut self, i: usize, figure: &BisectFigure) -> Result<Measured> {
        let commit = self.commits[i].commit.clone();
        let what = self.what(i);
        let reused = build::binary_path(self.target_dir, &commit).is_file();
        let built =
            build::build_commit(self.root, &commit, &what, self.target_dir, self.cancel).await?;
        let bin = match built {
            Ok(b) => b.binary,
            Err(why) => return Ok(Measured::skip(why)),
        };
        if !reused {
            self.built += 1;
        }
        let mut m = match &figure.measure {
            Measure::Instructions(p) => self.instructions(i, &what, bin, *p).await?,
            Measure::Paired(spec) => self.paired(i, &what, bin, spec).await?,
        };
        if reused && m.mark != Mark::Skip {
            m.note = join_note("binary reused", &m.note);
        }
        Ok(m)
    }

    /// An instruction count, and its mark.
    async fn instructions(
        &mut self,
        i: usize,
        what: &str,
        bin: PathBuf,
        run: CostRun,
    ) -> Result<Measured> {
        let scratch = self
            .target_dir
            .join("ratecheck")
            .join(format!("callgrind-{}", std::process::id()));
        let v = match probe::instructions(bin, scratch, run, self.cancel).await? {
            Ok(v) => v,
            Err(why) => return Ok(Measured::skip(format!("cannot be measured: {why}"))),
        };
        let place = Place::of(i, self.commits.len());
        let mark = self
            .judge
            .count(place, v, MIN_INSTRUCTION_CHANGE)
            .map_err(|NoChange { good, bad }| {
                Error::new(format!(
                    "--good {} and {what} do not differ in {}: {} and {} ({}), under the {}% worth bisecting; nothing to bisect",
                    self.args.good,
                    self.figure_name(),
                    self.shown(good),
                    self.shown(bad),
                    change_text(relative_change(good, bad)),
                    MIN_INSTRUCTION_CHANGE * 100.0
                ))
            })?;
        Ok(Measured {
            mark,
            value: Some(v),
            ratio: None,
            note: String::new(),
        })
    }

    /// A paired figure: the probe against the good revision's binary, and
    /// its mark.
    async fn paired(
        &mut self,
        i: usize,
        what: &str,
        bin: PathBuf,
        spec: &crate::revision::run::PairedSpec,
    ) -> Result<Measured> {
        let place = Place::of(i, self.commits.len());
        if place == Place::Good {
            self.good_binary = Some(bin);
            return Ok(Measured {
                mark: self.judge.paired_reference(),
                value: None,
                ratio: None,
                note: "the reference of the pairs".into(),
            });
        }
        let Some(good) = self.good_binary.clone() else {
            return Ok(Measured::skip("no good binary to pair with".into()));
        };
        let bar = self.bar.clone();
        let on_pair = move |k: usize| {
            if let Some(b) = &bar {
                b.set_message(format!(
                    "paired run {k}/{}",
                    crate::revision::run::MIN_PAIRS
                ));
            }
        };
        let pv = match probe::paired(&good, &bin, what, spec, self.cancel, &on_pair).await? {
            Ok(p) => p,
            Err(why) => return Ok(Measured::skip(format!("paired runs failed: {why}"))),
        };
        let ratio = RatioJson {
            ratio: pv.paired.ratio,
            low: pv.paired.low,
            high: pv.paired.high,
            pairs: pv.paired.pairs,
        };
        let mark = self.judge.paired(place, &pv.paired).map_err(|_| {
            Error::new(format!(
                "--good {} and {what} do not differ in {} beyond the noise of {} pairs: ratio {:.3} [{:.3}, {:.3}]; nothing to bisect (an instruction count may show it: --figure instructions_per_request_http)",
                self.args.good,
                self.figure_name(),
                pv.paired.pairs,
                pv.paired.ratio,
                pv.paired.low,
                pv.paired.high
            ))
        })?;
        Ok(Measured {
            mark,
            value: Some(pv.median),
            ratio: Some(ratio),
            note: String::new(),
        })
    }

    fn figure_name(&self) -> String {
        match self.mode {
            Mode::Build(f) => f.name.clone(),
            Mode::Command { .. } => "the command's figure".into(),
        }
    }
}

/// `a; b`, or whichever is not empty.
fn join_note(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_string(),
        (true, false) => b.to_string(),
        _ => format!("{a}; {b}"),
    }
}

/// `+6.5%`, or `n/a`.
fn change_text(c: Option<f64>) -> String {
    match c {
        Some(c) => format!("{:+.2}%", c * 100.0),
        None => "n/a".into(),
    }
}

/// The last non-empty line of a command's output, cut to 200 characters.
fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| crate::report::history::shorten(l, 200))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_and_changes() {
        assert_eq!(join_note("binary reused", ""), "binary reused");
        assert_eq!(join_note("", "x"), "x");
        assert_eq!(join_note("a", "b"), "a; b");
        assert_eq!(change_text(Some(0.0651)), "+6.51%");
        assert_eq!(change_text(Some(-0.001)), "-0.10%");
        assert_eq!(change_text(None), "n/a");
        assert_eq!(last_line("a\nerror: x\n\n").as_deref(), Some("error: x"));
        assert_eq!(last_line(" \n"), None);
    }
}

//! `bisect`, the pure part: the binary search over a first-parent range of
//! commits, and how a probe's figure marks its commit ([`Judge`]). No IO:
//! the command layer measures what [`Search::next`] asks for, has the
//! figure judged and hands the mark to [`Search::record`].
//!
//! The commits are indexed oldest first: index 0 is the good revision, the
//! last index the bad one; the `n = len − 1` commits after the good one are
//! the candidates for the first bad commit (git's `good..bad`). The search
//! probes the good endpoint, then the bad one (both must confirm what they
//! were called), then the midpoint of the range still open, `lo + (hi −
//! lo) / 2`, where `lo` is the newest commit known good and `hi` the oldest
//! known bad. Each verdict halves the open range, so it ends after at most
//! ⌈log2 n⌉ midpoints: [`bound`] = ⌈log2 n⌉ + 2 probes in all.
//!
//! A probe that cannot be judged (it does not build, or the command exits
//! 125) is skipped, as `git bisect skip` does: the next probe is the
//! untested commit nearest the midpoint inside the open range (the later
//! one first on a tie). When only skipped commits lie between `lo` and
//! `hi`, the answer is "one of these" (the skipped ones and `hi`). Each
//! skip costs one more probe; after `max_skips` of them the search stops
//! and names the range still open.

use serde::Serialize;

use super::paired::{Paired, PairedVerdict};

/// How a probe marks its commit, as `git bisect good|bad|skip` does (the
/// bisect JSON's `verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    /// As the good revision.
    Good,
    /// As the bad revision.
    Bad,
    /// Could not be judged (does not build, or the command skipped it).
    Skip,
}

impl Mark {
    /// The word the reports use.
    pub fn word(self) -> &'static str {
        match self {
            Mark::Good => "good",
            Mark::Bad => "bad",
            Mark::Skip => "skipped",
        }
    }
}

/// How a search ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conclusion {
    /// The first bad commit (its index).
    FirstBad(usize),
    /// The first bad commit is one of these indices, oldest first: the
    /// skipped commits between the last good and the first bad one, and
    /// that bad one (always last).
    Among(Vec<usize>),
    /// `max_skips` commits were skipped before the range closed: the first
    /// bad commit is after `after` (good) and at or before `upto` (bad).
    GaveUp { after: usize, upto: usize },
    /// An endpoint did not confirm what it was called: the good revision
    /// (index 0) judged bad or skipped, or the bad one judged good or
    /// skipped.
    Endpoint { index: usize, mark: Mark },
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Measure the commit at this index and [`Search::record`] the mark.
    Probe(usize),
    /// The search is over.
    Done(Conclusion),
}

/// ⌈log2 n⌉ for n ≥ 1 (0 for n ≤ 1).
pub fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// The most probes a search over `len` commits (good and bad included)
/// makes when nothing is skipped: ⌈log2 n⌉ + 2 with n = `len` − 1.
pub fn bound(len: usize) -> usize {
    ceil_log2(len.saturating_sub(1)) as usize + 2
}

/// The binary search. Every probe is recorded once; nothing is probed
/// twice, so a search over `len` commits ends after at most `len` probes
/// whatever the marks.
#[derive(Debug, Clone)]
pub struct Search {
    marks: Vec<Option<Mark>>,
    /// Newest index known good (valid once index 0 confirmed).
    lo: usize,
    /// Oldest index known bad (valid once the last index confirmed).
    hi: usize,
    /// Indices in the order they were probed.
    order: Vec<usize>,
    skips: usize,
    max_skips: usize,
    /// Set when an endpoint did not confirm.
    failed: Option<Conclusion>,
}

impl Search {
    /// A search over `len` commits (at least 2: good and bad) that gives
    /// up after `max_skips` skipped probes between the endpoints.
    pub fn new(len: usize, max_skips: usize) -> Option<Search> {
        (len >= 2).then(|| Search {
            marks: vec![None; len],
            lo: 0,
            hi: len - 1,
            order: Vec::new(),
            skips: 0,
            max_skips,
            failed: None,
        })
    }

    /// Commits in the search, good and bad included.
    pub fn len(&self) -> usize {
        self.marks.len()
    }

    /// Always false: a search has at least its two endpoints.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// The probes so far, in order, with their marks.
    pub fn probes(&self) -> Vec<(usize, Mark)> {
        self.order
            .iter()
            .filter_map(|&i| self.marks[i].map(|o| (i, o)))
            .collect()
    }

    /// How many commits strictly between `after` and `upto` were never
    /// probed (what a search that gave up left untested).
    pub fn untested(&self, after: usize, upto: usize) -> usize {
        (after + 1..upto.min(self.len()))
            .filter(|&i| self.marks[i].is_none())
            .count()
    }

    /// The commits skipped so far, oldest first.
    pub fn skipped(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.marks[i] == Some(Mark::Skip))
            .collect()
    }

    /// The next probe, or how the search ended.
    pub fn next(&self) -> Next {
        if let Some(c) = &self.failed {
            return Next::Done(c.clone());
        }
        let last = self.len() - 1;
        for endpoint in [0, last] {
            if self.marks[endpoint].is_none() {
                return Next::Probe(endpoint);
            }
        }
        let (lo, hi) = (self.lo, self.hi);
        if hi - lo == 1 {
            return Next::Done(Conclusion::FirstBad(hi));
        }
        match self.nearest_untested(lo + (hi - lo) / 2) {
            None => Next::Done(Conclusion::Among(((lo + 1)..=hi).collect())),
            Some(_) if self.skips > 0 && self.skips >= self.max_skips => {
                Next::Done(Conclusion::GaveUp {
                    after: lo,
                    upto: hi,
                })
            }
            Some(i) => Next::Probe(i),
        }
    }

    /// The untested index strictly between `lo` and `hi` nearest `mid`,
    /// the later one first on a tie.
    fn nearest_untested(&self, mid: usize) -> Option<usize> {
        let (lo, hi) = (self.lo, self.hi);
        let untested = |i: usize| i > lo && i < hi && self.marks[i].is_none();
        (0..hi - lo).find_map(|d| {
            [mid.checked_add(d), mid.checked_sub(d)]
                .into_iter()
                .flatten()
                .find(|&i| untested(i))
        })
    }

    /// Records the mark of probing `index` (what [`Search::next`] asked
    /// for). Returns false, changing nothing, for an index out of range or
    /// already probed.
    pub fn record(&mut self, index: usize, mark: Mark) -> bool {
        if index >= self.len() || self.marks[index].is_some() {
            return false;
        }
        self.marks[index] = Some(mark);
        self.order.push(index);
        let last = self.len() - 1;
        let expected = match index {
            0 => Some(Mark::Good),
            i if i == last => Some(Mark::Bad),
            _ => None,
        };
        if let Some(want) = expected {
            if mark != want && self.failed.is_none() {
                self.failed = Some(Conclusion::Endpoint { index, mark });
            }
            return true;
        }
        match mark {
            Mark::Good if index > self.lo && index < self.hi => self.lo = index,
            Mark::Bad if index > self.lo && index < self.hi => self.hi = index,
            Mark::Skip => self.skips += 1,
            // Outside the open range (not what `next` asked): kept, no
            // effect on the range.
            _ => {}
        }
        true
    }
}

/// The verdict of a measured figure by the midpoint rule (as asv's `find`
/// judges): bad when `value` lies nearer the bad endpoint's figure than the
/// good endpoint's, good otherwise (a value exactly halfway is not shown to
/// be bad). Works for a rise and for a fall alike. A value that is not a
/// number cannot be judged: skipped.
pub fn classify(value: f64, good: f64, bad: f64) -> Mark {
    if !value.is_finite() {
        return Mark::Skip;
    }
    if (value - bad).abs() < (value - good).abs() {
        Mark::Bad
    } else {
        Mark::Good
    }
}

/// The relative change from `good` to `bad` (`+0.065` for 6.5% more),
/// `None` when it cannot be computed.
pub fn relative_change(good: f64, bad: f64) -> Option<f64> {
    (good.is_finite() && bad.is_finite() && good != 0.0).then(|| (bad - good) / good.abs())
}

/// Whether two deterministic figures (instruction counts) differ by more
/// than `min_change` relatively: otherwise there is nothing to bisect.
pub fn endpoints_differ(good: f64, bad: f64, min_change: f64) -> bool {
    relative_change(good, bad).is_some_and(|c| c.abs() > min_change)
}

/// Where a commit stands in the range: the good endpoint (index 0), the
/// bad one (the last), or a candidate between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Good,
    Bad,
    Between,
}

impl Place {
    /// The place of index `i` in a search over `len` commits.
    pub fn of(i: usize, len: usize) -> Place {
        match i {
            0 => Place::Good,
            i if i + 1 == len => Place::Bad,
            _ => Place::Between,
        }
    }
}

/// The endpoints' figures do not differ enough to bisect: the good one's
/// and the bad one's (a count, or a log ratio to the good revision).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoChange {
    pub good: f64,
    pub bad: f64,
}

/// How a measured figure marks its commit: each endpoint's figure is taken
/// as its own (after the bad one is checked to differ from the good one),
/// and a commit between them is marked by the midpoint rule ([`classify`])
/// between the two; skipped until both are known.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Judge {
    good: Option<f64>,
    bad: Option<f64>,
}

impl Judge {
    /// A deterministic count (instructions per request) at `place`. The
    /// bad endpoint's must differ from the good one's by more than
    /// `min_change` relatively ([`endpoints_differ`]).
    pub fn count(&mut self, place: Place, value: f64, min_change: f64) -> Result<Mark, NoChange> {
        if place == Place::Bad {
            let good = self.good.unwrap_or(f64::NAN);
            if !endpoints_differ(good, value, min_change) {
                return Err(NoChange { good, bad: value });
            }
        }
        Ok(self.mark(place, value))
    }

    /// The good endpoint of paired figures: the reference every other
    /// commit's binary is paired with (its log ratio to itself, 0).
    pub fn paired_reference(&mut self) -> Mark {
        self.mark(Place::Good, 0.0)
    }

    /// A paired figure at `place`: its ratio to the good revision, judged
    /// as a log ratio. The bad endpoint's pairs must show a change by the
    /// `--against` rule (a verdict other than [`PairedVerdict::Ok`]).
    pub fn paired(&mut self, place: Place, paired: &Paired) -> Result<Mark, NoChange> {
        let log = paired.ratio.ln();
        match place {
            Place::Good => Ok(self.paired_reference()),
            Place::Bad if paired.verdict == PairedVerdict::Ok => Err(NoChange {
                good: 0.0,
                bad: log,
            }),
            _ => Ok(self.mark(place, log)),
        }
    }

    /// Records an endpoint's figure, or marks a commit between them.
    fn mark(&mut self, place: Place, value: f64) -> Mark {
        match place {
            Place::Good => {
                self.good = Some(value);
                Mark::Good
            }
            Place::Bad => {
                self.bad = Some(value);
                Mark::Bad
            }
            Place::Between => match (self.good, self.bad) {
                (Some(g), Some(b)) => classify(value, g, b),
                _ => Mark::Skip,
            },
        }
    }
}

#[cfg(test)]
mod tests;

//! The rate profile of a run: piecewise-linear ramp-up, steady and ramp-down
//! phases. Pure functions of time (seconds since the run's start): the target
//! rate `rate(t)`, the exact number of requests the schedule asks for over a
//! window `expected(t0, t1) = ∫ rate dt`, and its inverse `time_of(k)`, the
//! intended send time of the k-th request. A [`Stripe`] is one shard's share
//! of that one schedule: the requests `k` (0-based) with `k mod N = i`, each
//! at the time the whole schedule gives it, so N shards together send what
//! one process would.

use std::time::Duration;

/// Name of a phase, as it appears in reports.
pub const RAMP_UP: &str = "ramp-up";
/// Name of the steady phase in reports.
pub const STEADY: &str = "steady";
/// Name of the ramp-down phase in reports.
pub const RAMP_DOWN: &str = "ramp-down";

/// One linear piece of the schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Phase {
    pub name: &'static str,
    /// Start and end, seconds since the run's start.
    pub start: f64,
    pub end: f64,
    /// Rate at `start` and at `end`, requests per second.
    pub from_rps: f64,
    pub to_rps: f64,
}

impl Phase {
    fn len(&self) -> f64 {
        self.end - self.start
    }

    fn slope(&self) -> f64 {
        (self.to_rps - self.from_rps) / self.len()
    }

    fn rate_at(&self, t: f64) -> f64 {
        self.from_rps + self.slope() * (t - self.start)
    }

    /// Requests asked for from the phase start to `t` (clamped to the phase).
    fn integral_to(&self, t: f64) -> f64 {
        let t = t.clamp(self.start, self.end);
        (t - self.start) * (self.from_rps + self.rate_at(t)) / 2.0
    }

    fn total(&self) -> f64 {
        self.len() * (self.from_rps + self.to_rps) / 2.0
    }
}

/// A bad schedule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// The rate is not a finite number above 0 (requests per second).
    #[error("rate must be a finite number > 0 requests per second (got {0})")]
    BadRate(f64),
    /// Every phase is 0 long.
    #[error("the schedule is empty: give a duration or a ramp longer than 0")]
    Empty,
    /// The shard is not `i/N` with `0 <= i < N <= MAX_SHARDS`.
    #[error("shard {index}/{count} is not a shard: give i/N with 0 <= i < N <= {MAX_SHARDS}")]
    BadShard {
        /// The shard's index, `i`.
        index: u64,
        /// The number of shards, `N`.
        count: u64,
    },
}

/// Most shards one schedule splits into.
pub const MAX_SHARDS: u64 = 4096;

/// One shard's share of a schedule: the requests `k` (0-based, in the order
/// of the whole schedule) with `k mod count = index`. Pure arithmetic on
/// request numbers; the one-shard stripe is the whole schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stripe {
    index: u64,
    count: u64,
}

impl Stripe {
    /// The whole schedule: shard 0 of 1.
    pub const WHOLE: Stripe = Stripe { index: 0, count: 1 };

    /// Shard `index` of `count`.
    pub fn new(index: u64, count: u64) -> Result<Self, ScheduleError> {
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(ScheduleError::BadShard { index, count });
        }
        Ok(Stripe { index, count })
    }

    /// The shard's index, `i`.
    pub fn index(self) -> u64 {
        self.index
    }

    /// The number of shards, `N`.
    pub fn count(self) -> u64 {
        self.count
    }

    /// The number in the whole schedule of the shard's `j`-th request
    /// (both 0-based).
    #[inline]
    pub fn global(self, j: u64) -> u64 {
        j * self.count + self.index
    }

    /// How many of the whole schedule's first `n` requests (`0..n`) are the
    /// shard's.
    #[inline]
    pub fn own_below(self, n: u64) -> u64 {
        (n + self.count - 1 - self.index) / self.count
    }
}

/// The whole run's rate profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schedule {
    phases: Vec<Phase>,
    /// Requests asked for before each phase starts.
    before: Vec<f64>,
    peak: f64,
    /// The share of the requests this process sends.
    stripe: Stripe,
}

impl Schedule {
    /// Ramp from 0 to `rps` over `ramp_up`, hold it for `steady`, ramp back to
    /// 0 over `ramp_down`. Zero-length phases are left out.
    pub fn new(
        rps: f64,
        ramp_up: Duration,
        steady: Duration,
        ramp_down: Duration,
    ) -> Result<Self, ScheduleError> {
        if !rps.is_finite() || rps <= 0.0 {
            return Err(ScheduleError::BadRate(rps));
        }
        let mut phases = Vec::new();
        let mut t = 0.0;
        for (name, len, from, to) in [
            (RAMP_UP, ramp_up, 0.0, rps),
            (STEADY, steady, rps, rps),
            (RAMP_DOWN, ramp_down, rps, 0.0),
        ] {
            let len = len.as_secs_f64();
            if len > 0.0 {
                phases.push(Phase {
                    name,
                    start: t,
                    end: t + len,
                    from_rps: from,
                    to_rps: to,
                });
                t += len;
            }
        }
        if phases.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let mut before = Vec::with_capacity(phases.len());
        let mut acc = 0.0;
        for p in &phases {
            before.push(acc);
            acc += p.total();
        }
        Ok(Schedule {
            phases,
            before,
            peak: rps,
            stripe: Stripe::WHOLE,
        })
    }

    /// The same schedule, of which this process sends `stripe`'s share.
    pub fn with_stripe(mut self, stripe: Stripe) -> Self {
        self.stripe = stripe;
        self
    }

    /// The share of the requests this process sends.
    #[inline]
    pub fn stripe(&self) -> Stripe {
        self.stripe
    }

    /// The whole schedule's requests (`⌊total⌋`).
    pub fn requests(&self) -> u64 {
        self.total().floor() as u64
    }

    /// The stripe's requests among those the whole schedule asks for over
    /// `[0, t]` (`⌊cumulative(t)⌋` of them).
    pub fn own_by(&self, t: f64) -> u64 {
        self.stripe.own_below(self.cumulative(t).floor() as u64)
    }

    /// The stripe's share of `expected(t0, t1)`: that itself for the whole
    /// schedule (fractional at a ramp), the stripe's requests counted exactly
    /// for a shard, so the shards' shares add up to the whole's.
    pub fn own_expected(&self, t0: f64, t1: f64) -> f64 {
        if self.stripe == Stripe::WHOLE {
            self.expected(t0, t1)
        } else {
            self.own_by(t1).saturating_sub(self.own_by(t0)) as f64
        }
    }

    /// The stripe's share of the rate at `t`.
    pub fn own_rate(&self, t: f64) -> f64 {
        self.rate(t) / self.stripe.count as f64
    }

    /// A constant rate for `duration`.
    #[cfg(test)]
    pub fn steady(rps: f64, duration: Duration) -> Result<Self, ScheduleError> {
        Self::new(rps, Duration::ZERO, duration, Duration::ZERO)
    }

    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// Total length, seconds.
    pub fn duration(&self) -> f64 {
        self.phases.last().map_or(0.0, |p| p.end)
    }

    /// The highest rate of the schedule.
    pub fn peak_rps(&self) -> f64 {
        self.peak
    }

    /// The phase running at `t` (the later one at a boundary).
    pub fn phase_at(&self, t: f64) -> Option<&Phase> {
        self.phases.iter().find(|p| t >= p.start && t < p.end)
    }

    /// Target rate at `t`; 0 outside the schedule.
    pub fn rate(&self, t: f64) -> f64 {
        self.phase_at(t).map_or(0.0, |p| p.rate_at(t))
    }

    /// Requests asked for from the start to `t`: `∫₀ᵗ rate`.
    pub fn cumulative(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let mut acc = 0.0;
        for (p, before) in self.phases.iter().zip(&self.before) {
            if t < p.end {
                return before + p.integral_to(t);
            }
            acc = before + p.total();
        }
        acc
    }

    /// Requests asked for over `[t0, t1]`.
    pub fn expected(&self, t0: f64, t1: f64) -> f64 {
        (self.cumulative(t1) - self.cumulative(t0)).max(0.0)
    }

    /// Requests asked for over the whole run.
    pub fn total(&self) -> f64 {
        self.cumulative(self.duration())
    }

    /// The instant at which `cumulative` reaches `k`: the intended send time
    /// of the k-th request (1-based). `None` when the run asks for fewer.
    pub fn time_of(&self, k: f64) -> Option<f64> {
        if k <= 0.0 {
            return Some(0.0);
        }
        for (p, before) in self.phases.iter().zip(&self.before) {
            let rem = k - before;
            if rem <= p.total() {
                // Solve from·x + slope·x²/2 = rem for x ≥ 0, in the form that
                // stays stable when the slope is 0 or negative.
                let (r0, s) = (p.from_rps, p.slope());
                let disc = (r0 * r0 + 2.0 * s * rem).max(0.0);
                let denom = r0 + disc.sqrt();
                let x = if denom > 0.0 { 2.0 * rem / denom } else { 0.0 };
                return Some((p.start + x).min(p.end));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: f64) -> Duration {
        Duration::from_secs_f64(v)
    }

    fn ramp() -> Schedule {
        Schedule::new(1000.0, s(2.0), s(3.0), s(1.0)).unwrap()
    }

    #[test]
    fn phases_and_rates() {
        let r = ramp();
        let names: Vec<_> = r.phases().iter().map(|p| p.name).collect();
        assert_eq!(names, [RAMP_UP, STEADY, RAMP_DOWN]);
        assert_eq!(r.duration(), 6.0);
        assert_eq!(r.rate(0.0), 0.0);
        assert_eq!(r.rate(1.0), 500.0);
        assert_eq!(r.rate(3.0), 1000.0);
        assert_eq!(r.rate(5.5), 500.0);
        assert_eq!(r.rate(6.0), 0.0);
        assert_eq!(r.rate(-1.0), 0.0);
    }

    #[test]
    fn expected_is_the_exact_integral() {
        let r = ramp();
        assert_eq!(r.expected(0.0, 2.0), 1000.0); // triangle 2 s × 1000 / 2
        assert_eq!(r.expected(2.0, 5.0), 3000.0);
        assert_eq!(r.expected(5.0, 6.0), 500.0);
        assert_eq!(r.total(), 4500.0);
        assert_eq!(r.expected(0.0, 1.0), 250.0);
        assert_eq!(r.expected(5.5, 100.0), 125.0);
    }

    #[test]
    fn time_of_inverts_cumulative() {
        let r = ramp();
        for k in [
            1.0, 10.0, 250.0, 999.0, 1000.0, 1001.0, 2500.0, 4000.0, 4400.0, 4500.0,
        ] {
            let t = r.time_of(k).unwrap();
            assert!((r.cumulative(t) - k).abs() < 1e-6, "k={k} t={t}");
        }
        assert_eq!(r.time_of(4501.0), None);
        let steady = Schedule::steady(10_000.0, s(1.0)).unwrap();
        assert!((steady.time_of(1.0).unwrap() - 1e-4).abs() < 1e-12);
    }

    #[test]
    fn empty_phases_are_left_out() {
        let st = Schedule::steady(200.0, s(5.0)).unwrap();
        assert_eq!(st.phases().len(), 1);
        assert_eq!(st.phases()[0].name, STEADY);
        assert_eq!(st.total(), 1000.0);
    }

    proptest::proptest! {
        #[test]
        fn expected_is_monotonic_and_additive(
            rps in 0.1f64..100_000.0,
            up in 0.0f64..5.0, steady in 0.01f64..5.0, down in 0.0f64..5.0,
            a in 0.0f64..16.0, b in 0.0f64..16.0, c in 0.0f64..16.0,
        ) {
            let sch = Schedule::new(rps, s(up), s(steady), s(down)).unwrap();
            let mut t = [a, b, c];
            t.sort_by(f64::total_cmp);
            let [t0, t1, t2] = t;
            let tol = 1e-9 * sch.total().max(1.0);
            proptest::prop_assert!(sch.cumulative(t0) <= sch.cumulative(t1) + tol);
            proptest::prop_assert!(sch.expected(t0, t1) >= 0.0);
            let sum = sch.expected(t0, t1) + sch.expected(t1, t2);
            proptest::prop_assert!((sum - sch.expected(t0, t2)).abs() <= tol);
        }

        #[test]
        fn time_of_is_the_inverse(rps in 1.0f64..50_000.0, up in 0.0f64..3.0, down in 0.0f64..3.0, frac in 0.0f64..1.0) {
            let sch = Schedule::new(rps, s(up), s(1.0), s(down)).unwrap();
            let k = frac * sch.total();
            let t = sch.time_of(k).unwrap();
            proptest::prop_assert!((sch.cumulative(t) - k).abs() <= 1e-6 * sch.total().max(1.0));
        }
    }

    /// Every shard's requests, as numbers of the whole schedule with their
    /// intended times, checked against the whole: each request is sent by
    /// exactly one shard, at the whole schedule's time for it.
    fn stripes_cover_exactly(sch: &Schedule, n: u64) -> Result<(), String> {
        let total = sch.requests();
        let mut owner = vec![None; total as usize];
        for i in 0..n {
            let shard = sch.clone().with_stripe(Stripe::new(i, n).unwrap());
            let own = shard.stripe().own_below(total);
            let mut last = 0.0;
            for j in 0..own {
                let k = shard.stripe().global(j);
                let t = sch
                    .time_of((k + 1) as f64)
                    .ok_or(format!("{i}/{n}: no time for {k}"))?;
                if t < last {
                    return Err(format!("{i}/{n}: request {j} (global {k}) at {t}"));
                }
                last = t;
                match owner.get_mut(k as usize) {
                    Some(o @ None) => *o = Some(i),
                    Some(Some(other)) => return Err(format!("{k} sent by {other} and {i}")),
                    None => return Err(format!("{i}/{n}: {k} is past the schedule's {total}")),
                }
            }
            if shard.stripe().global(own) < total {
                return Err(format!("{i}/{n} stops short at {own}"));
            }
        }
        match owner.iter().position(Option::is_none) {
            Some(k) => Err(format!("request {k} of {total} sent by no shard of {n}")),
            None => Ok(()),
        }
    }

    #[test]
    fn stripes_of_every_count_up_to_64_cover_a_ramped_schedule_exactly() {
        let sch = Schedule::new(997.0, s(1.3), s(0.7), s(0.9)).unwrap();
        for n in 1..=64 {
            stripes_cover_exactly(&sch, n).unwrap();
        }
    }

    #[test]
    fn shards_own_counts_add_up_to_the_whole() {
        let sch = Schedule::new(1000.0, s(2.0), s(3.0), s(1.0)).unwrap();
        for n in [2, 3, 7, 64] {
            for t in [0.0, 0.0005, 0.5, 1.0, 2.7, 5.99, 6.0, 9.0] {
                let sum: u64 = (0..n)
                    .map(|i| {
                        sch.clone()
                            .with_stripe(Stripe::new(i, n).unwrap())
                            .own_by(t)
                    })
                    .sum();
                assert_eq!(sum, sch.cumulative(t).floor() as u64, "{n} shards at {t}");
                let exp: f64 = (0..n)
                    .map(|i| {
                        let sh = sch.clone().with_stripe(Stripe::new(i, n).unwrap());
                        sh.own_expected(1.0, t.max(1.0))
                    })
                    .sum();
                let whole =
                    (sch.cumulative(t.max(1.0)).floor() - sch.cumulative(1.0).floor()).max(0.0);
                assert_eq!(exp, whole, "{n} shards over [1, {t}]");
            }
        }
    }

    #[test]
    fn bad_stripes() {
        assert!(Stripe::new(0, 1).is_ok());
        assert!(Stripe::new(63, 64).is_ok());
        assert_eq!(
            Stripe::new(3, 3),
            Err(ScheduleError::BadShard { index: 3, count: 3 })
        );
        assert!(Stripe::new(0, 0).is_err());
        assert!(Stripe::new(0, MAX_SHARDS + 1).is_err());
        assert_eq!(Stripe::WHOLE.own_below(12345), 12345);
        assert_eq!(Stripe::WHOLE.global(77), 77);
    }

    proptest::proptest! {
        // Each case checks up to 64 stripes of up to 13 500 requests.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn stripes_are_disjoint_and_their_union_exact(
            rps in 1.0f64..3_000.0,
            up in 0.0f64..1.5, steady in 0.0f64..1.5, down in 0.0f64..1.5,
            n in 1u64..=64,
        ) {
            proptest::prop_assume!(up + steady + down > 0.01);
            let sch = Schedule::new(rps, s(up), s(steady), s(down)).unwrap();
            proptest::prop_assert_eq!(stripes_cover_exactly(&sch, n), Ok(()));
        }
    }

    #[test]
    fn bad_schedules() {
        assert_eq!(
            Schedule::steady(0.0, s(1.0)),
            Err(ScheduleError::BadRate(0.0))
        );
        assert!(Schedule::steady(f64::NAN, s(1.0)).is_err());
        assert_eq!(Schedule::steady(10.0, s(0.0)), Err(ScheduleError::Empty));
    }
}

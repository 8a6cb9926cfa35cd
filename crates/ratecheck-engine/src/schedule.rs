//! The rate profile of a run: piecewise-linear ramp-up, steady and ramp-down
//! phases. Pure functions of time (seconds since the run's start): the target
//! rate `rate(t)`, the exact number of requests the schedule asks for over a
//! window `expected(t0, t1) = ∫ rate dt`, and its inverse `time_of(k)`, the
//! intended send time of the k-th request.

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
}

/// The whole run's rate profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schedule {
    phases: Vec<Phase>,
    /// Requests asked for before each phase starts.
    before: Vec<f64>,
    peak: f64,
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
        })
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

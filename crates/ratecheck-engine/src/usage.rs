//! Readings of this process's resources: CPU time (getrusage), peak resident
//! memory (/proc's VmHWM, resettable on Linux, else ru_maxrss) and a counting
//! global allocator for allocations per request. IO at the edge; the
//! arithmetic on readings is in the callers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// CPU time used by this process so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// Time in user mode.
    pub user: Duration,
    /// Time in the kernel on the process's behalf.
    pub system: Duration,
}

impl CpuTimes {
    /// The process's CPU time so far (zero where getrusage fails).
    pub fn now() -> CpuTimes {
        let Some(ru) = rusage() else {
            return CpuTimes::default();
        };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        CpuTimes {
            user: tv(ru.ru_utime),
            system: tv(ru.ru_stime),
        }
    }

    /// Time used since `earlier`.
    pub fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }

    /// (user + system) ÷ wall × 100: percent of one core.
    pub fn percent_of_core(self, wall: Duration) -> f64 {
        if wall.is_zero() {
            return 0.0;
        }
        (self.user + self.system).as_secs_f64() / wall.as_secs_f64() * 100.0
    }
}

/// Resets the kernel's peak-RSS mark for this process so that
/// [`peak_rss_bytes`] measures from now on. Returns false where unsupported
/// (then the peak is the process's lifetime peak).
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident set size: VmHWM from /proc/self/status, else ru_maxrss.
pub fn peak_rss_bytes() -> u64 {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(kib) = parse_vm_hwm(&status) {
            return kib * 1024;
        }
    }
    rusage().map_or(0, |ru| ru.ru_maxrss.max(0) as u64 * 1024)
}

/// This process's resource usage, `None` if getrusage fails.
fn rusage() -> Option<libc::rusage> {
    // SAFETY: getrusage writes into the zeroed struct we pass; RUSAGE_SELF
    // is always valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    (unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0).then_some(ru)
}

/// The `VmHWM:` line of /proc/PID/status, in KiB.
pub(crate) fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Allocations made through [`CountingAlloc`] (0 when it is not installed).
/// Relaxed: a tally read after the measured code, nothing else depends on it.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Allocations counted so far.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// The system allocator, counting allocations. The binary installs it as the
/// global allocator so the memory bench can report allocations per request.
pub struct CountingAlloc;

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm() {
        let status = "Name:\tx\nVmPeak:\t  10 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(2048));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn cpu_percent() {
        let t = CpuTimes {
            user: Duration::from_millis(150),
            system: Duration::from_millis(50),
        };
        assert_eq!(t.percent_of_core(Duration::from_secs(1)), 20.0);
        assert_eq!(t.percent_of_core(Duration::ZERO), 0.0);
        let later = CpuTimes {
            user: Duration::from_millis(200),
            system: Duration::from_millis(50),
        };
        assert_eq!(later.since(t).user, Duration::from_millis(50));
    }

    #[test]
    fn readings_are_plausible() {
        // Burn a little CPU so user time moves.
        let t0 = CpuTimes::now();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let used = CpuTimes::now().since(t0);
        assert!(used.user + used.system > Duration::ZERO);
        assert!(peak_rss_bytes() > 1024 * 1024);
    }
}

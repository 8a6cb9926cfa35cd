//! The service's own usage as Linux reports it: CPU time and resident memory
//! of its process tree, from `/proc/<pid>/stat`, sampled on a thread of its
//! own while a scenario runs.
//!
//! The tree is every process in the service's process group (it was started
//! as the group's leader) and every descendant of the leader that left the
//! group. Membership is found by a scan of all of `/proc` every
//! [`RESCAN_EVERY`] samples (a scan reads one file per process on the
//! machine); between scans only the known members are read.
//!
//! CPU is cumulative and never goes back: [`Tally`] keeps each process's
//! last reading (keyed by pid and start time, so a reused pid is another
//! process), so a process that exits keeps what it used; what it used
//! after its last sample (at most one interval) is lost. Parsing and the
//! tally are pure; [`Sampler`] is the IO.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::figures::Sample;

/// A full scan of `/proc` every this many samples.
pub const RESCAN_EVERY: u64 = 10;
/// Most samples one sampler keeps; at the end of the allowance it samples
/// no more (the interval is chosen so a run stays well inside it).
pub const MAX_SAMPLES: usize = 40_000;

/// The fields of one `/proc/<pid>/stat` line this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    /// `R`, `S`, `Z`, …
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
    /// User and system time, clock ticks.
    pub utime: u64,
    pub stime: u64,
    /// Start time after boot, clock ticks: with `pid`, identifies a process.
    pub starttime: u64,
    /// Resident set, pages.
    pub rss_pages: u64,
}

/// Parses one `/proc/<pid>/stat` line. The command name (field 2) may hold
/// spaces and parentheses, so the fields are counted after its last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state): field n is f[n - 3].
    let num = |n: usize| -> Option<u64> { f.get(n - 3)?.parse().ok() };
    Some(ProcStat {
        pid,
        state: f.first()?.chars().next()?,
        ppid: num(4)? as u32,
        pgrp: num(5)? as u32,
        utime: num(14)?,
        stime: num(15)?,
        starttime: num(22)?,
        rss_pages: num(24)?,
    })
}

/// The processes of `all` in the tree of `leader`: its process group, and
/// its descendants by parent pid (a child that called `setsid` is still
/// the service's).
pub fn members(all: &[ProcStat], leader: u32) -> Vec<ProcStat> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in all {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut tree = BTreeSet::new();
    let mut todo = vec![leader];
    // Each pid enters `tree` once, so this ends after at most `all.len()` steps.
    while let Some(pid) = todo.pop() {
        if tree.insert(pid) {
            todo.extend(children.get(&pid).into_iter().flatten().copied());
        }
    }
    all.iter()
        .filter(|p| p.pgrp == leader || tree.contains(&p.pid))
        .copied()
        .collect()
}

/// Cumulative CPU of a changing set of processes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// (pid, start time) → last utime + stime, ticks.
    last: BTreeMap<(u32, u64), u64>,
}

impl Tally {
    /// Takes one reading of the members; returns the tree's cumulative CPU
    /// (ticks, every process ever seen) and its resident pages now (the
    /// live members').
    pub fn update(&mut self, readings: &[ProcStat]) -> TreeUsage {
        let mut rss = 0;
        for p in readings {
            let ticks = p.utime + p.stime;
            let slot = self.last.entry((p.pid, p.starttime)).or_insert(0);
            *slot = (*slot).max(ticks);
            if p.state != 'Z' {
                rss += p.rss_pages;
            }
        }
        TreeUsage {
            cpu_ticks: self.last.values().sum(),
            rss_pages: rss,
        }
    }
}

/// A process tree's usage at one reading ([`Tally::update`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeUsage {
    /// Cumulative CPU (user + system) of every process ever seen, ticks.
    pub cpu_ticks: u64,
    /// Resident pages of the live members now.
    pub rss_pages: u64,
}

/// Reads `/proc/<pid>/stat`; `None` when the process is gone.
fn read_stat(pid: u32) -> Option<ProcStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Every process's stat line.
fn scan_all() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_stat)
        .collect()
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Bytes per page.
pub fn page_size() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

/// Reads the tree of one process, sample after sample.
struct TreeReader {
    leader: u32,
    us_per_tick: f64,
    page: u64,
    tally: Tally,
    known: Vec<ProcStat>,
    taken: u64,
}

impl TreeReader {
    fn new(leader: u32) -> TreeReader {
        TreeReader {
            leader,
            us_per_tick: 1e6 / ticks_per_second(),
            page: page_size(),
            tally: Tally::default(),
            known: Vec::new(),
            taken: 0,
        }
    }

    /// One sample, stamped `t_s`.
    fn sample(&mut self, t_s: f64) -> Sample {
        let readings = if self.taken.is_multiple_of(RESCAN_EVERY) || self.known.is_empty() {
            members(&scan_all(), self.leader)
        } else {
            // The known members that are still the same processes.
            self.known
                .iter()
                .filter_map(|k| read_stat(k.pid).filter(|p| p.starttime == k.starttime))
                .collect()
        };
        let usage = self.tally.update(&readings);
        let alive = readings
            .iter()
            .any(|p| p.pid == self.leader && p.state != 'Z' && p.state != 'X');
        self.known = readings;
        self.taken += 1;
        Sample {
            t_s,
            cpu_us: usage.cpu_ticks as f64 * self.us_per_tick,
            rss_bytes: usage.rss_pages * self.page,
            alive,
        }
    }
}

/// A thread sampling the tree of one process until [`Sampler::finish`].
pub struct Sampler {
    /// When the first sample was taken: sample times are seconds since.
    origin: Instant,
    /// Set by `finish`; read by the thread before each sample. Relaxed
    /// would do (the thread only has to see it eventually, and the samples
    /// come back through `join`), Release/Acquire says it plainly.
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Sample>>>,
}

impl Sampler {
    /// Takes a first sample of the tree of `leader` (at time 0, before this
    /// returns, so anything started afterwards lies inside the samples),
    /// then samples it every `interval` on a thread; the last sample is
    /// taken when [`Sampler::finish`] is called. When the leader exits
    /// (gone, or a zombie), the sampler cancels `on_exit` and keeps
    /// sampling what is left.
    pub fn start(leader: u32, interval: Duration, on_exit: CancellationToken) -> Sampler {
        let mut reader = TreeReader::new(leader);
        let origin = Instant::now();
        let first = reader.sample(0.0);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("service-sampler".into())
            .spawn(move || sample_loop(reader, first, interval, origin, &flag, &on_exit))
            .ok();
        Sampler {
            origin,
            stop,
            thread,
        }
    }

    /// When the first sample was taken.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// Takes a last sample and stops the thread; the samples, oldest first
    /// (none if the thread could not start).
    pub fn finish(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Release);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn sample_loop(
    mut reader: TreeReader,
    first: Sample,
    interval: Duration,
    origin: Instant,
    stop: &AtomicBool,
    on_exit: &CancellationToken,
) -> Vec<Sample> {
    let mut samples = Vec::with_capacity(1024);
    let mut last = first;
    samples.push(first);
    let mut next = origin + interval;
    // Sleeps in slices so `finish` is not kept waiting a whole interval.
    let slice = interval.min(Duration::from_millis(25));
    while samples.len() < MAX_SAMPLES {
        if !last.alive {
            on_exit.cancel();
        }
        let now = Instant::now();
        let stopping = stop.load(Ordering::Acquire);
        if !stopping && now < next {
            std::thread::sleep((next - now).min(slice));
            continue;
        }
        last = reader.sample(origin.elapsed().as_secs_f64());
        samples.push(last);
        if stopping {
            break;
        }
        next = (next + interval).max(now);
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: u32, ppid: u32, pgrp: u32, ticks: u64, rss: u64) -> ProcStat {
        ProcStat {
            pid,
            state: 'S',
            ppid,
            pgrp,
            utime: ticks,
            stime: 0,
            starttime: pid as u64 * 7,
            rss_pages: rss,
        }
    }

    #[test]
    fn stat_lines_parse_even_with_odd_names() {
        let line = "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 900 0 0 0 125 37 4 2 20 0 3 0 98765 123456789 2048 18446744073709551615";
        let p = parse_stat(line).unwrap();
        assert_eq!(
            p,
            ProcStat {
                pid: 4242,
                state: 'S',
                ppid: 1,
                pgrp: 4242,
                utime: 125,
                stime: 37,
                starttime: 98765,
                rss_pages: 2048,
            }
        );
        assert_eq!(parse_stat("4242 (x) S 1 2"), None);
        assert_eq!(parse_stat("garbage"), None);
        let own = read_stat(std::process::id()).unwrap();
        assert_eq!(own.pid, std::process::id());
        assert!(own.rss_pages > 0);
    }

    #[test]
    fn the_tree_is_the_group_and_the_descendants() {
        let all = [
            stat(100, 1, 100, 0, 0), // the leader
            stat(101, 100, 100, 0, 0),
            stat(102, 101, 102, 0, 0), // left the group (setsid): still a descendant
            stat(103, 1, 100, 0, 0),   // reparented to init, still in the group
            stat(200, 1, 200, 0, 0),   // someone else
            stat(201, 200, 200, 0, 0),
        ];
        let pids: Vec<u32> = members(&all, 100).iter().map(|p| p.pid).collect();
        assert_eq!(pids, [100, 101, 102, 103]);
        assert!(members(&all, 999).is_empty());
    }

    #[test]
    fn cpu_is_cumulative_across_exits_and_reused_pids() {
        let usage = |cpu_ticks, rss_pages| TreeUsage {
            cpu_ticks,
            rss_pages,
        };
        let mut t = Tally::default();
        assert_eq!(
            t.update(&[stat(1, 0, 1, 10, 5), stat(2, 1, 1, 3, 7)]),
            usage(13, 12)
        );
        // Process 2 exited: what it used stays counted, its memory does not.
        assert_eq!(t.update(&[stat(1, 0, 1, 12, 5)]), usage(15, 5));
        // A new process reuses pid 2 (another start time): counted apart.
        let mut again = stat(2, 1, 1, 1, 4);
        again.starttime += 1;
        assert_eq!(t.update(&[stat(1, 0, 1, 12, 5), again]), usage(16, 9));
        // A zombie's memory is freed; its time still counts.
        let mut z = stat(1, 0, 1, 20, 5);
        z.state = 'Z';
        assert_eq!(t.update(&[z]), usage(24, 0));
    }

    #[test]
    fn a_sampler_follows_a_process_tree_and_sees_it_exit() {
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                "sleep 0.4 & i=0; while [ $i -lt 50000 ]; do i=$((i+1)); done; wait",
            ])
            .process_group(0)
            .spawn()
            .unwrap();
        let exited = CancellationToken::new();
        let s = Sampler::start(child.id(), Duration::from_millis(20), exited.clone());
        assert!(s.origin() <= Instant::now());
        let st = child.wait().unwrap();
        assert!(st.success());
        // The sampler sees the exit within a few intervals.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !exited.is_cancelled() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let samples = s.finish();
        assert!(exited.is_cancelled(), "the exit was seen");
        assert!(samples.len() >= 5, "{}", samples.len());
        assert!(samples
            .windows(2)
            .all(|w| w[0].t_s <= w[1].t_s && w[0].cpu_us <= w[1].cpu_us));
        assert_eq!(samples[0].t_s, 0.0, "the first sample is the origin");
        assert!(samples[0].alive && !samples.last().unwrap().alive);
        assert!(samples.iter().any(|s| s.rss_bytes > 0));
        // The shell's busy loop took measurable CPU.
        assert!(samples.last().unwrap().cpu_us > 0.0, "{samples:?}");
    }

    use std::os::unix::process::CommandExt;
}

//! Process groups, the one place cargo-ratecheck signals one: a child
//! spawned in a group of its own ([`in_own_group`]), the group signalled
//! as a whole ([`ProcessGroup::signal`]), a grace period, SIGKILL, and the
//! leader reaped by the caller ([`ProcessGroup::stop_blocking`],
//! [`ProcessGroup::stop_async`]).
//!
//! kill(2) with a negative pid signals a group, and with -1 every process
//! the user may signal: a [`ProcessGroup`] is made only from an id above 1
//! ([`ProcessGroup::new`] refuses 0, 1 and negative ids with an error,
//! without signalling anything), so no path here can signal this process's
//! own group or every process of the user.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Pause between checks while a group stops.
const STOP_POLL: Duration = Duration::from_millis(10);

/// Makes `command`'s child the leader of a process group of its own (its
/// pid is the group's id), so the group can be stopped as a whole and a
/// terminal's Ctrl-C reaches it only through this process.
pub fn in_own_group(command: &mut Command) -> &mut Command {
    command.process_group(0)
}

/// A child spawned as the leader of a process group of its own.
#[derive(Debug)]
pub struct GroupLeader {
    pub child: Child,
    /// Its group (whose id is the child's pid).
    pub group: ProcessGroup,
}

/// Spawns `command` as the leader of a process group of its own
/// ([`in_own_group`]). A child whose pid could not name a group to signal
/// (never a real child's) is killed, reaped and an error.
pub fn spawn_in_group(command: &mut Command) -> std::io::Result<GroupLeader> {
    let mut child = in_own_group(command).spawn()?;
    match ProcessGroup::led_by(&child) {
        Ok(group) => Ok(GroupLeader { child, group }),
        Err(refused) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(std::io::Error::other(refused))
        }
    }
}

/// An id that does not name a process group this module may signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("process group id {0} refused: only a child's own group (an id above 1) is signalled")]
pub struct RefusedGroup(pub i64);

/// A process group to signal: a child spawned through [`in_own_group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessGroup(libc::pid_t);

impl ProcessGroup {
    /// The group `pgid`; an error for 0 (this process's own group), 1
    /// (kill(-1) signals every process the user owns), negative ids and
    /// ids beyond `pid_t`.
    pub fn new(pgid: i64) -> Result<ProcessGroup, RefusedGroup> {
        match libc::pid_t::try_from(pgid) {
            Ok(id) if id > 1 => Ok(ProcessGroup(id)),
            _ => Err(RefusedGroup(pgid)),
        }
    }

    /// The group `child` leads (spawned through [`in_own_group`]).
    pub fn led_by(child: &Child) -> Result<ProcessGroup, RefusedGroup> {
        ProcessGroup::new(i64::from(child.id()))
    }

    /// The group's id, which is also its leader's pid.
    pub fn id(self) -> u32 {
        self.0.unsigned_abs()
    }

    /// Sends `signal` to every process of the group (0: only checks that
    /// one is left). False when the group has no process left.
    pub fn signal(self, signal: libc::c_int) -> bool {
        // SAFETY: kill(2) takes plain integers and has no memory effects in
        // this process; `-self.0` is below -1, a process group's id.
        unsafe { libc::kill(-self.0, signal) == 0 }
    }

    /// SIGKILL to every process of the group; false when none is left.
    pub fn kill(self) -> bool {
        self.signal(libc::SIGKILL)
    }

    /// Whether a process of the group is left (a zombie leader counts
    /// until it is reaped).
    pub fn is_alive(self) -> bool {
        self.signal(0)
    }

    /// Stops the group from a blocking caller: `signal`, up to `grace` for
    /// `gone` (the caller reaps its leader there), then SIGKILL and up to
    /// `kill_wait` more. Returns whether SIGKILL was sent to a process.
    pub fn stop_blocking(
        self,
        signal: libc::c_int,
        grace: Duration,
        kill_wait: Duration,
        gone: &mut dyn FnMut() -> bool,
    ) -> bool {
        let wait = |limit: Duration, gone: &mut dyn FnMut() -> bool| {
            let deadline = Instant::now() + limit;
            while !gone() && Instant::now() < deadline {
                std::thread::sleep(STOP_POLL);
            }
        };
        if self.signal(signal) || !gone() {
            wait(grace, gone);
        }
        let mut killed = false;
        if !gone() {
            killed = self.kill();
            wait(kill_wait, gone);
        }
        killed
    }

    /// Stops the group from async code whose `waited` task reaps the
    /// leader: SIGTERM, up to `within` for the leader to end, then SIGKILL
    /// and up to `within` more; whatever of the group is left then gets
    /// SIGKILL too.
    pub async fn stop_async<T>(self, within: Duration, waited: &mut tokio::task::JoinHandle<T>) {
        self.signal(libc::SIGTERM);
        if tokio::time::timeout(within, &mut *waited).await.is_err() {
            self.kill();
            let _ = tokio::time::timeout(within, waited).await;
        }
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_of_0_1_and_below_are_refused_without_a_signal() {
        for pgid in [0, 1, -1, -2, -4242, i64::from(i32::MIN), i64::MIN] {
            assert_eq!(ProcessGroup::new(pgid), Err(RefusedGroup(pgid)), "{pgid}");
        }
        // Beyond pid_t: refused, not wrapped to a negative id.
        for pgid in [i64::from(u32::MAX), i64::from(i32::MAX) + 1, i64::MAX] {
            assert_eq!(ProcessGroup::new(pgid), Err(RefusedGroup(pgid)), "{pgid}");
        }
        assert_eq!(ProcessGroup::new(2).map(ProcessGroup::id), Ok(2));
        let e = ProcessGroup::new(1).unwrap_err().to_string();
        assert!(e.starts_with("process group id 1 refused"), "{e}");
    }

    #[test]
    fn a_refused_id_reaches_no_kill() {
        // kill(0, 0) and kill(-1, 0) would both succeed: the refusal is
        // an error before them, not their answer.
        assert!(ProcessGroup::new(0).is_err());
        assert!(ProcessGroup::new(1).is_err());
        // An id no group has: signalled, and nothing is there.
        let gone = ProcessGroup::new(i64::from(i32::MAX)).unwrap();
        assert!(!gone.is_alive());
    }

    /// Whether a process of `group` is left that is not a zombie (an
    /// orphan's zombie waits for whoever reaps orphans here).
    fn live(group: ProcessGroup) -> bool {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return group.is_alive();
        };
        dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
            .any(|stat| {
                let Some((_, rest)) = stat.rsplit_once(')') else {
                    return false;
                };
                let fields: Vec<&str> = rest.split_whitespace().collect();
                fields.len() > 2 && fields[0] != "Z" && fields[2] == group.id().to_string()
            })
    }

    /// `sh -c SCRIPT` in its own group, once it has printed its first
    /// line (after its traps are set).
    fn spawn_group(script: &str) -> GroupLeader {
        use std::io::BufRead;
        let GroupLeader { mut child, group } = spawn_in_group(
            Command::new("sh")
                .args(["-c", script])
                .stdout(std::process::Stdio::piped()),
        )
        .unwrap();
        assert_eq!(group.id(), child.id(), "the child leads its group");
        let mut line = String::new();
        let out = child.stdout.take().unwrap();
        std::io::BufReader::new(out).read_line(&mut line).unwrap();
        assert_eq!(line, "started\n");
        GroupLeader { child, group }
    }

    #[test]
    fn a_group_that_ignores_the_signal_is_killed_after_the_grace() {
        let GroupLeader { mut child, group } =
            spawn_group("trap '' TERM; sleep 30 & echo started; wait");
        assert!(group.is_alive());
        let t0 = Instant::now();
        let mut gone = || child.try_wait().is_ok_and(|s| s.is_some()) && !group.is_alive();
        let killed = group.stop_blocking(
            libc::SIGTERM,
            Duration::from_millis(200),
            Duration::from_secs(5),
            &mut gone,
        );
        assert!(killed && t0.elapsed() >= Duration::from_millis(200));
        assert!(!live(group), "nothing of the group is left");
    }

    #[test]
    fn a_cooperative_group_ends_within_the_grace() {
        let GroupLeader { mut child, group } = spawn_group("sleep 30 & echo started; wait");
        let mut gone = || child.try_wait().is_ok_and(|s| s.is_some()) && !group.is_alive();
        let killed = group.stop_blocking(
            libc::SIGTERM,
            Duration::from_secs(5),
            Duration::from_secs(5),
            &mut gone,
        );
        assert!(!killed);
        assert!(!live(group));
    }

    #[tokio::test]
    async fn an_async_stop_leaves_nothing_of_the_group() {
        let GroupLeader { mut child, group } =
            spawn_group("trap '' TERM; sleep 30 & echo started; wait");
        let mut waited = tokio::task::spawn_blocking(move || child.wait());
        group
            .stop_async(Duration::from_millis(200), &mut waited)
            .await;
        assert!(waited.is_finished(), "the leader was reaped");
        let deadline = Instant::now() + Duration::from_secs(5);
        while live(group) && Instant::now() < deadline {
            std::thread::sleep(STOP_POLL);
        }
        assert!(!live(group), "nothing of the group is left");
    }
}

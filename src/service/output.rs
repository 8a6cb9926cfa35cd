//! The last lines a service wrote: each of its pipes is read on a thread of
//! its own into a bounded ring ([`Tail`], pure), so a chatty service cannot
//! fill a pipe and stall, and memory stays bounded however much it writes.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest line kept, in bytes; the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 2048;

/// The last `capacity` non-blank lines of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    lines: VecDeque<String>,
    capacity: usize,
    /// The line being read (no newline yet), at most [`MAX_LINE_BYTES`].
    partial: Vec<u8>,
    /// The partial line was cut at [`MAX_LINE_BYTES`].
    truncated: bool,
}

impl Tail {
    pub fn new(capacity: usize) -> Tail {
        Tail {
            lines: VecDeque::with_capacity(capacity),
            capacity,
            partial: Vec::new(),
            truncated: false,
        }
    }

    /// Adds bytes as they were read.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            self.append(&bytes[..i]);
            self.end_line();
            bytes = &bytes[i + 1..];
        }
        self.append(bytes);
    }

    /// The stream ended: a last line without a newline counts too.
    pub fn finish(&mut self) {
        self.end_line();
    }

    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES.saturating_sub(self.partial.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self) {
        let text = String::from_utf8_lossy(&self.partial);
        let mut line = text.trim_end_matches(['\r', ' ', '\t']).to_string();
        if self.truncated {
            line.push('…');
        }
        self.partial.clear();
        self.truncated = false;
        if line.trim().is_empty() || self.capacity == 0 {
            return;
        }
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

/// A pipe being read into a [`Tail`] by its own thread.
#[derive(Debug)]
pub struct Captured {
    state: Mutex<(Tail, bool)>,
    /// Notified when the pipe reaches its end.
    ended: Condvar,
}

impl Captured {
    /// Starts a thread reading `pipe` to its end (when every process
    /// holding its write side has exited) into the last `capacity` lines.
    pub fn spawn(pipe: impl Read + Send + 'static, capacity: usize) -> Arc<Captured> {
        let c = Arc::new(Captured {
            state: Mutex::new((Tail::new(capacity), false)),
            ended: Condvar::new(),
        });
        let reader = c.clone();
        let spawned = std::thread::Builder::new()
            .name("service-output".into())
            .spawn(move || reader.read_all(pipe));
        if spawned.is_err() {
            // No thread: nothing will be read; say the stream ended.
            c.lock().1 = true;
        }
        c
    }

    fn lock(&self) -> MutexGuard<'_, (Tail, bool)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_all(&self, mut pipe: impl Read) {
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.lock().0.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let mut state = self.lock();
        state.0.finish();
        state.1 = true;
        self.ended.notify_all();
    }

    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lock().0.lines()
    }

    /// The last kept line.
    pub fn last_line(&self) -> Option<String> {
        self.lock().0.lines.back().cloned()
    }

    /// Waits at most `limit` for the end of the stream (so the last lines
    /// of a process that just exited are in); whether it ended.
    pub fn wait_end(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut state = self.lock();
        while !state.1 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = match self.ended.wait_timeout(state, left) {
                Ok((s, _)) => s,
                Err(e) => e.into_inner().0,
            };
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_across_reads() {
        let mut t = Tail::new(3);
        t.push(b"one\ntw");
        t.push(b"o\r\n\n   \nthree\nfour\nfi");
        assert_eq!(t.lines(), ["two", "three", "four"]);
        t.finish();
        assert_eq!(t.lines(), ["three", "four", "fi"]);
        t.finish();
        assert_eq!(t.lines().len(), 3, "an empty partial line adds nothing");
    }

    #[test]
    fn long_lines_and_bad_bytes_are_bounded() {
        let mut t = Tail::new(2);
        t.push(&vec![b'x'; MAX_LINE_BYTES * 3]);
        t.push(b"\n\xff\xfeok\n");
        let lines = t.lines();
        assert_eq!(
            lines[0].chars().filter(|&c| c == 'x').count(),
            MAX_LINE_BYTES
        );
        assert!(lines[0].ends_with('…'));
        assert_eq!(lines[1], "\u{fffd}\u{fffd}ok");
        assert!(Tail::new(0).lines().is_empty());
    }

    #[test]
    fn a_pipe_is_read_to_its_end() {
        let c = Captured::spawn(&b"a\nb\nlast"[..], 20);
        assert!(c.wait_end(Duration::from_secs(5)));
        assert_eq!(c.lines(), ["a", "b", "last"]);
        assert_eq!(c.last_line().as_deref(), Some("last"));
    }
}

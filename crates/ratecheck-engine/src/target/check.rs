//! The response check: what a response must be, beyond HTTP success (a
//! status below 400), to count as succeeded — an exact status, a body
//! holding a text (scanned frame by frame, in bounded memory).

use memchr::memmem::Finder;

use crate::metrics::collector::{ErrorKind, Outcome};

/// What a response must be, beyond HTTP success (a status below 400), to
/// count as succeeded: this exact status, and a body holding this text.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseCheck {
    status: Option<u16>,
    body_contains: Option<Finder<'static>>,
}

impl ResponseCheck {
    pub(crate) fn new(status: Option<u16>, body_contains: Option<&str>) -> ResponseCheck {
        ResponseCheck {
            status,
            body_contains: body_contains
                .filter(|s| !s.is_empty())
                .map(|s| Finder::new(s.as_bytes()).into_owned()),
        }
    }

    /// A scanner for one response body, when the check reads bodies.
    pub(super) fn body_scan(&self) -> Option<BodyScan<'_>> {
        self.body_contains.as_ref().map(|finder| BodyScan {
            finder,
            window: Vec::new(),
            found: false,
        })
    }

    /// The outcome of a whole response: HTTP failures keep their status
    /// (tallied as such); a success that fails the check is `check-failed`.
    pub(super) fn judge(&self, status: u16, body_ok: bool) -> Outcome {
        let wrong_status = self.status.is_some_and(|s| s != status);
        if status < 400 && (wrong_status || !body_ok) {
            Outcome::Error(ErrorKind::Check)
        } else {
            Outcome::Status(status)
        }
    }
}

/// Looks for the check's text in a body that arrives frame by frame,
/// keeping only the text that could still start a match (one needle's
/// length less a byte), so memory stays bounded however long the body.
pub(super) struct BodyScan<'a> {
    finder: &'a Finder<'static>,
    window: Vec<u8>,
    pub(super) found: bool,
}

impl BodyScan<'_> {
    pub(super) fn feed(&mut self, data: &[u8]) {
        if self.found {
            return;
        }
        self.window.extend_from_slice(data);
        if self.finder.find(&self.window).is_some() {
            self.found = true;
            self.window = Vec::new();
            return;
        }
        let keep = self.finder.needle().len() - 1;
        let cut = self.window.len().saturating_sub(keep);
        self.window.drain(..cut);
    }

    /// Bytes kept between frames.
    #[cfg(test)]
    pub(super) fn kept(&self) -> usize {
        self.window.len()
    }
}

//! What a run sends and what it accepts, as the configuration (`requests`,
//! `check`) and `run --method --header --body` describe it, and the
//! engine's HTTP target built from that. Body files are read here, when the
//! target is built, not while the configuration is validated.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::target::{ClientOptions, HttpTarget, RequestTemplate, ResponseCheck, TargetError};

/// Most requests in one scenario's mix.
pub const MAX_REQUESTS: usize = 100;
/// Largest weight of one request in a mix.
pub const MAX_WEIGHT: u32 = 1000;

/// The requests of a run and the check on each response. The default is
/// one `GET` of the target's path, any status below 400 a success.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Traffic {
    /// Empty: one `GET` of the target's path.
    pub requests: Vec<RequestSpec>,
    /// What every response must be beyond a status below 400.
    pub check: CheckSpec,
    /// How the client connects (TLS trust, HTTP/2).
    pub client: ClientOptions,
}

/// One request of a mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// The HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// Path and query; `None` is the target's own path.
    pub path: Option<String>,
    /// `Name: value` lines.
    pub headers: Vec<String>,
    /// What it carries.
    pub body: Body,
    /// Its share of the mix, 1..=[`MAX_WEIGHT`].
    pub weight: u32,
}

/// A request's body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// This text.
    Text(String),
    /// Read when the target is built; relative to the workspace root once
    /// the configuration is loaded.
    File(PathBuf),
}

/// What a response must be beyond a status below 400.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckSpec {
    /// This exact status (100..=399).
    pub status: Option<u16>,
    /// A non-empty text the body must hold.
    pub body_contains: Option<String>,
}

/// Why the HTTP target could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    /// A URL, method, path or header the engine's target refused.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A body file could not be read.
    #[error("body-file {path}: {msg}; check the path (relative to the workspace root)")]
    BodyFile {
        /// The file, as given (absolute once the configuration is loaded).
        path: String,
        /// Why it could not be read.
        msg: String,
    },
}

impl Traffic {
    /// One request with this method, headers and body, to the target's
    /// path (a plain `GET` is the default).
    pub fn single(method: &str, headers: &[String], body: Option<&str>) -> Traffic {
        if method == "GET" && headers.is_empty() && body.is_none() {
            return Traffic::default();
        }
        Traffic {
            requests: vec![RequestSpec {
                method: method.to_string(),
                path: None,
                headers: headers.to_vec(),
                body: body.map_or(Body::Empty, |b| Body::Text(b.to_string())),
                weight: 1,
            }],
            ..Traffic::default()
        }
    }

    /// The method, headers and body of a [`Traffic::single`] (what `run`
    /// can be told on its command line besides [`Traffic::client`]); `None`
    /// for a mix, a path, a body file or a check.
    pub fn as_single(&self) -> Option<(&str, &[String], Option<&str>)> {
        if self.check != CheckSpec::default() {
            return None;
        }
        match self.requests.as_slice() {
            [] => Some(("GET", &[], None)),
            [r] if r.path.is_none() => match &r.body {
                Body::Empty => Some((&r.method, &r.headers, None)),
                Body::Text(b) => Some((&r.method, &r.headers, Some(b))),
                Body::File(_) => None,
            },
            _ => None,
        }
    }

    /// Body files and the CA file made absolute against `root`.
    pub fn rooted(mut self, root: &Path) -> Traffic {
        if let Some(p) = &mut self.client.cacert {
            *p = root.join(&*p);
        }
        for r in &mut self.requests {
            if let Body::File(p) = &mut r.body {
                *p = root.join(&*p);
            }
        }
        self
    }

    /// The HTTP target for `url` sending these requests, reading body
    /// files (and the CA file, for `https://`).
    pub fn http_target(&self, url: &str, timeout: Duration) -> Result<HttpTarget, TrafficError> {
        let target = HttpTarget::with_client(url, timeout, self.client.clone())?;
        let mut mix = Vec::with_capacity(self.requests.len());
        for r in &self.requests {
            let path = r.path.as_deref().unwrap_or(target.url_path());
            let mut t = RequestTemplate::new(&r.method, path)?;
            for h in &r.headers {
                t = t.with_header(h)?;
            }
            t = match &r.body {
                Body::Empty => t,
                Body::Text(s) => t.with_body(s.clone()),
                Body::File(p) => {
                    t.with_body(std::fs::read(p).map_err(|e| TrafficError::BodyFile {
                        path: p.display().to_string(),
                        msg: e.to_string(),
                    })?)
                }
            };
            mix.push((t, r.weight));
        }
        let check = ResponseCheck::new(self.check.status, self.check.body_contains.as_deref());
        Ok(target.with_requests(mix).with_check(check))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(1);

    fn request(path: Option<&str>, body: Body, weight: u32) -> RequestSpec {
        RequestSpec {
            method: "POST".into(),
            path: path.map(str::to_string),
            headers: vec!["X-A: 1".into()],
            body,
            weight,
        }
    }

    #[test]
    fn builds_the_mix_with_the_targets_path_as_default() {
        let t = Traffic::default()
            .http_target("http://127.0.0.1:1/base", T)
            .unwrap();
        assert_eq!(t.request_count(), 1);
        let mix = Traffic {
            requests: vec![
                request(None, Body::Text("x".into()), 2),
                request(Some("/other"), Body::Empty, 1),
            ],
            ..Traffic::default()
        };
        let t = mix.http_target("http://127.0.0.1:1/base", T).unwrap();
        assert_eq!(t.request_count(), 2);
        assert_eq!(t.url_path(), "/base");
    }

    #[test]
    fn body_files_are_read_and_a_missing_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("body.json"), b"{}").unwrap();
        let traffic = |file: &str| {
            Traffic {
                requests: vec![request(None, Body::File(file.into()), 1)],
                ..Traffic::default()
            }
            .rooted(dir.path())
        };
        assert!(traffic("body.json")
            .http_target("http://127.0.0.1:1/", T)
            .is_ok());
        let err = traffic("missing.json")
            .http_target("http://127.0.0.1:1/", T)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("body-file ") && err.contains("missing.json"),
            "{err}"
        );
    }

    #[test]
    fn only_one_request_to_the_targets_path_is_single() {
        assert_eq!(Traffic::single("GET", &[], None), Traffic::default());
        let post = Traffic::single("POST", &["X-A: 1".into()], Some("b"));
        assert_eq!(
            post.as_single(),
            Some(("POST", &["X-A: 1".to_string()][..], Some("b")))
        );
        assert_eq!(Traffic::default().as_single(), Some(("GET", &[][..], None)));
        let mut checked = post.clone();
        checked.check.status = Some(200);
        assert_eq!(checked.as_single(), None);
        let mut pathed = post.clone();
        pathed.requests[0].path = Some("/x".into());
        assert_eq!(pathed.as_single(), None);
        let mut filed = post;
        filed.requests[0].body = Body::File("f".into());
        assert_eq!(filed.as_single(), None);
    }

    #[test]
    fn a_bad_header_is_refused() {
        let mut r = request(None, Body::Empty, 1);
        r.headers = vec!["no colon".into()];
        let t = Traffic {
            requests: vec![r],
            ..Traffic::default()
        };
        assert!(matches!(
            t.http_target("http://127.0.0.1:1/", T),
            Err(TrafficError::Target(TargetError::BadHeader(_)))
        ));
    }
}

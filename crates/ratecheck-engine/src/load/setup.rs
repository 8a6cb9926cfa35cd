//! Starting the target a [`TargetSpec`] names: the null target, an HTTP
//! target for a URL (its host name resolved and one connection opened, so a
//! target that cannot be loaded fails here, before the run), or the
//! embedded server started on a loopback port and an HTTP target for it.
//! The one place `run`, the suite and the hidden cost probe set a target up.

use std::time::Duration;

use super::traffic::{Traffic, TrafficError};
use super::{ServerSpec, TargetSpec};
use crate::server::{self, ServerError, ServerHandle, ServerOptions};
use crate::target::{StartError, Target};

/// Why a target could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The URL, a method, path or header was refused, or a body file
    /// could not be read.
    #[error(transparent)]
    Traffic(#[from] TrafficError),
    /// The embedded server could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The URL's host does not resolve, or no connection could be opened
    /// (refused, the certificate, no HTTP/2).
    #[error(transparent)]
    Start(#[from] StartError),
    /// A service target reached the setup unstarted: the suite starts
    /// services and hands the engine their URL.
    #[error("{0}: a service is started by the gate's suite (cargo ratecheck), not by `run`")]
    Service(String),
}

/// A started target; the embedded server, when there is one, runs until
/// [`Started::shutdown`].
pub struct Started {
    /// The engine's target, for [`crate::run::RunConfig::target`].
    pub target: Target,
    /// The embedded server it points at, when the spec named one.
    pub server: Option<ServerHandle>,
}

impl Started {
    /// Stops the embedded server, if any.
    pub async fn shutdown(self) {
        if let Some(s) = self.server {
            s.shutdown().await;
        }
    }
}

/// Sets up `target`, sending `traffic`: for the embedded server, starts it
/// (in the current tokio runtime) with `target`'s settings.
pub async fn start(
    target: &TargetSpec,
    timeout: Duration,
    traffic: &Traffic,
) -> Result<Started, SetupError> {
    Ok(match target {
        TargetSpec::Null => Started {
            target: Target::Null {
                delay: Duration::ZERO,
            },
            server: None,
        },
        TargetSpec::Service { .. } => return Err(SetupError::Service(target.to_string())),
        TargetSpec::Url(u) => {
            let mut target = traffic.http_target(u, timeout)?;
            target.resolve().await?;
            target.check_reachable().await?;
            Started {
                target: target.into(),
                server: None,
            }
        }
        TargetSpec::Embedded(ServerSpec {
            latency,
            jitter,
            error_rate,
        }) => {
            let srv = server::start(ServerOptions {
                latency: *latency,
                jitter: *jitter,
                error_rate: *error_rate,
                ..Default::default()
            })
            .await?;
            match traffic.http_target(&srv.url(), timeout) {
                Ok(t) => Started {
                    target: t.into(),
                    server: Some(srv),
                },
                Err(e) => {
                    srv.shutdown().await;
                    return Err(e.into());
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_kind_of_target_starts() {
        let t = Duration::from_secs(1);
        let null = start(&TargetSpec::Null, t, &Traffic::default())
            .await
            .unwrap();
        assert!(matches!(null.target, Target::Null { .. }) && null.server.is_none());
        let embedded = start(&TargetSpec::EMBEDDED, t, &Traffic::default())
            .await
            .unwrap();
        let Target::Http(h) = &embedded.target else {
            panic!("not HTTP")
        };
        assert_eq!(
            h.addrs().first().copied(),
            embedded.server.as_ref().map(|s| s.addr())
        );
        let url = TargetSpec::Url(embedded.server.as_ref().unwrap().url());
        assert!(start(&url, t, &Traffic::default()).await.is_ok());
        embedded.shutdown().await;
        let bad = Traffic::single("GET", &["no colon".into()], None);
        assert!(matches!(
            start(&TargetSpec::EMBEDDED, t, &bad).await,
            Err(SetupError::Traffic(TrafficError::Target(
                crate::target::TargetError::BadHeader(_)
            )))
        ));
    }
}

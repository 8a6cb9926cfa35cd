//! The lifecycle's tests: real processes (`sh`), a local answering
//! server, the group stopped.

use super::*;
use crate::service::Ready;

fn sh(name: &str, script: &str) -> ServiceSpec {
    let mut s = ServiceSpec::new(name, &["sh", "-c", script, "sh", "{port}"]);
    s.ready.timeout = Duration::from_secs(10);
    s.stop.grace = Duration::from_secs(2);
    s
}

fn start_here(spec: &ServiceSpec) -> Result<RunningService, ServiceError> {
    start(spec, Path::new("."), &CancellationToken::new(), &|_| {})
}

/// Whether a process with this pid exists and is not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()))
        .is_some_and(|r| !r.starts_with('Z'))
}

#[test]
fn a_missing_program_is_named() {
    let e = start_here(&ServiceSpec::new("api", &["no-such-program-x1", "{port}"])).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("service api: cannot start `no-such-program-x1`: No such file"),
        "{msg}"
    );
}

#[test]
fn an_early_exit_names_its_status_and_last_line() {
    let e = start_here(&sh(
        "api",
        "echo starting; echo 'bind: address in use' >&2; exit 3",
    ))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "service api exited before it was ready (exit status: 3): bind: address in use"
    );
}

#[test]
fn never_ready_times_out_naming_the_last_answer() {
    let mut s = sh("api", "exec sleep 30");
    s.ready = Ready {
        timeout: Duration::from_millis(300),
        ..Ready::default()
    };
    let t0 = Instant::now();
    let e = start_here(&s).unwrap_err().to_string();
    assert!(
        e.starts_with("service api: not ready after 300ms: GET http://127.0.0.1:"),
        "{e}"
    );
    assert!(e.ends_with("/: connection refused"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[test]
fn cancel_stops_the_wait() {
    let cancel = CancellationToken::new();
    cancel.cancel();
    let e = start(
        &sh("api", "exec sleep 30"),
        Path::new("."),
        &cancel,
        &|_| {},
    )
    .unwrap_err();
    assert_eq!(
        e,
        ServiceError::Interrupted {
            service: "api".into()
        }
    );
}

#[test]
fn a_bad_cwd_is_named() {
    let mut s = sh("api", "exit 0");
    s.cwd = Some("no/such/dir".into());
    let e = start_here(&s).unwrap_err().to_string();
    assert!(
        e.starts_with("service api: cwd ./no/such/dir is not a directory"),
        "{e}"
    );
}

/// A server on a thread of this test answering `status` to every
/// request, on a port of its own.
fn answering(status: u16) -> u16 {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().take(1000) {
            let Ok(mut c) = c else { continue };
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf);
            let _ = write!(c, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
        }
    });
    port
}

fn spawn_on(spec: &ServiceSpec, port: u16) -> RunningService {
    spawn(
        spec,
        &spec.command_for(port),
        Path::new("."),
        &BTreeMap::new(),
        port,
    )
    .unwrap()
}

#[test]
fn ready_when_the_path_answers_the_status() {
    let spec = sh("api", "exec sleep 30");
    let mut svc = spawn_on(&spec, answering(200));
    assert_eq!(svc.wait_ready(&spec, &CancellationToken::new()), Ok(()));
    assert!(svc.url("/x").ends_with(&format!(":{}/x", svc.port())));
}

#[test]
fn a_ready_path_answering_500_names_the_status() {
    let mut spec = sh("api", "exec sleep 30");
    spec.ready.timeout = Duration::from_millis(300);
    let mut svc = spawn_on(&spec, answering(500));
    let e = svc
        .wait_ready(&spec, &CancellationToken::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("service api: not ready after 300ms: GET http://127.0.0.1:"),
        "{e}"
    );
    assert!(e.ends_with("/: answered 500 (ready is 200)"), "{e}");
}

#[test]
fn stop_kills_the_whole_group_after_the_grace() {
    // The group: a shell that ignores TERM, and a child of it.
    let mut spec = sh("api", "trap '' TERM; sleep 30 & echo $! >&2; wait");
    spec.stop.grace = Duration::from_millis(300);
    let mut svc = spawn_on(&spec, 1);
    // The background sleep's pid is the first line of stderr.
    let deadline = Instant::now() + Duration::from_secs(5);
    let child_pid = loop {
        if let Some(l) = svc.stderr.last_line() {
            break l.parse::<u32>().unwrap();
        }
        assert!(Instant::now() < deadline, "no pid printed");
        std::thread::sleep(Duration::from_millis(10));
    };
    let leader = svc.pid();
    assert!(alive(leader) && alive(child_pid));
    let t0 = Instant::now();
    let st = svc.stop();
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "waited the grace"
    );
    assert!(svc.was_killed(), "TERM was ignored: killed");
    assert_eq!(
        st.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s)),
        Some(libc::SIGKILL)
    );
    assert!(
        !alive(leader) && !alive(child_pid),
        "nothing of the group is left"
    );
    assert_eq!(svc.stop(), st, "idempotent");
}

#[test]
fn a_term_ends_a_cooperative_group_within_the_grace() {
    let spec = sh("api", "sleep 30 & wait");
    let mut svc = spawn_on(&spec, 1);
    let leader = svc.pid();
    assert!(alive(leader));
    let st = svc.stop();
    assert!(!svc.was_killed(), "TERM was enough");
    assert_eq!(
        st.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s)),
        Some(libc::SIGTERM)
    );
    assert!(!alive(leader));
}

#[test]
fn dropping_the_guard_stops_the_group() {
    let spec = sh("api", "sleep 30 & echo $! >&2; wait");
    let (leader, child_pid);
    {
        let svc = spawn_on(&spec, 1);
        leader = svc.pid();
        let deadline = Instant::now() + Duration::from_secs(5);
        child_pid = loop {
            if let Some(l) = svc.stderr.last_line() {
                break l.parse::<u32>().unwrap();
            }
            assert!(Instant::now() < deadline, "no pid printed");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(alive(leader) && alive(child_pid));
    }
    assert!(!alive(leader) && !alive(child_pid));
}

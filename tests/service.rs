//! A service under test (`[[…ratecheck.service]]`, `target = "service:NAME"`)
//! through the binary: the faults (a command that does not exist, an exit
//! before ready, never ready, a crash mid-run, SIGTERM ignored, a port it
//! cannot bind, a ready path answering 500, a URL where a path belongs,
//! Ctrl-C), a passing run against Python's `http.server`, and `--against
//! REV` pairing REV's build of a cargo service with this one.
//!
//! Each asserts the exit code, the one line naming the service, and that
//! no process of the test's service is left: every service runs with
//! `RATECHECK_TEST_MARKER=<unique>` in its environment, which its children
//! inherit, and after the command returns `/proc/*/environ` must not hold
//! it (polled with a short deadline: a killed process takes a moment to go).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::Ran;

/// How long one command may take.
const LIMIT: Duration = Duration::from_secs(120);

/// A marker unique to this test process and call.
fn marker(test: &str) -> String {
    // Counts the markers made in this process; only uniqueness matters.
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "svc-{}-{test}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The pids of live processes whose environment holds `marker`.
fn processes_with(marker: &str) -> Vec<u32> {
    let needle = format!("RATECHECK_TEST_MARKER={marker}");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(true);
            !zombie
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == needle.as_bytes()))
        })
        .collect()
}

/// Fails unless every process of the service marked `marker` is gone
/// within a second or two.
#[track_caller]
fn assert_nothing_left(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = processes_with(marker);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes of the service are left: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A TOML array of strings.
fn array(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// A section with service `api` running `command` (marked `marker`), extra
/// keys of the service table, and one scenario `svc-run` against it (a name
/// no bench's contains, so `--scenario svc-run` runs it alone).
fn section(command: &[&str], marker: &str, extra: &str, scenario: &str) -> String {
    format!(
        r#"[[workspace.metadata.ratecheck.service]]
name = "api"
command = {}
env = {{ RATECHECK_TEST_MARKER = "{marker}", PORT = "{{port}}" }}
{extra}

[[workspace.metadata.ratecheck.scenario]]
name = "svc-run"
target = "service:api"
{scenario}
"#,
        array(command)
    )
}

/// The gate on scenario `svc-run` alone (no benches), floors only.
fn check(ws: &Path, more: &[&str]) -> Ran {
    let mut args = vec!["check", "--no-baseline", "--scenario", "svc-run"];
    args.extend(more);
    common::run_bin(&args, ws, LIMIT)
}

/// `sh -c SCRIPT sh {port}`: the port is `$1`.
fn sh(script: &str) -> Vec<&str> {
    vec!["sh", "-c", script, "sh", "{port}"]
}

/// Python's standard-library HTTP server on the service's port.
const PYTHON_HTTP_SERVER: [&str; 6] = [
    "python3",
    "-m",
    "http.server",
    "{port}",
    "--bind",
    "127.0.0.1",
];

/// Fails the test, naming `python3`, when `python3 --version` does not
/// run: these tests start Python's HTTP server as the service, and a test
/// that cannot run must not pass (CI installs python3).
fn require_python3() {
    let version = std::process::Command::new("python3")
        .arg("--version")
        .output();
    match version {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "python3 is required by this test (it starts `python3 -m http.server` as the service), \
             but `python3 --version` failed ({}); install python3",
            o.status
        ),
        Err(e) => panic!(
            "python3 is required by this test (it starts `python3 -m http.server` as the service), \
             but it cannot be run: {e}; install python3 (e.g. apt-get install python3)"
        ),
    }
}

/// The `error: …` line of standard error (empty if none).
fn error_line(r: &Ran) -> &str {
    r.stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or("")
}

/// Asserts the exit code and that the error line starts with `line`.
#[track_caller]
fn assert_error(r: &Ran, code: i32, line: &str) {
    assert_eq!(
        r.code,
        Some(code),
        "stderr: {}\nstdout: {}",
        r.stderr,
        r.stdout
    );
    let first = r
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or("");
    assert!(
        first.starts_with(&format!("error: {line}")),
        "wanted `error: {line}…`, got {first:?}\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn a_command_that_does_not_exist_is_named() {
    let m = marker("missing");
    let ws = common::workspace(&section(
        &["no-such-service-binary", "{port}"],
        &m,
        "",
        "rps = 10\nduration = \"1s\"",
    ));
    let r = check(ws.path(), &[]);
    assert_error(
        &r,
        2,
        "service api: cannot start `no-such-service-binary`: No such file or directory",
    );
    assert_nothing_left(&m);
}

#[test]
fn a_service_that_exits_before_it_is_ready_is_named_with_its_last_line() {
    let m = marker("early");
    let ws = common::workspace(&section(
        &sh("echo starting; echo 'fatal: no config file' >&2; exit 7"),
        &m,
        "",
        "rps = 10\nduration = \"1s\"",
    ));
    let r = check(ws.path(), &[]);
    assert_error(
        &r,
        2,
        "service api exited before it was ready (exit status: 7): fatal: no config file",
    );
    assert_nothing_left(&m);
}

#[test]
fn a_service_that_never_gets_ready_times_out() {
    let m = marker("never");
    // The shell and a child of it, which must go too.
    let ws = common::workspace(&section(
        &sh("sleep 60 & wait"),
        &m,
        "ready = { timeout = \"2s\" }",
        "rps = 10\nduration = \"1s\"",
    ));
    let t0 = Instant::now();
    let r = check(ws.path(), &[]);
    assert_error(
        &r,
        2,
        "service api: not ready after 2s: GET http://127.0.0.1:",
    );
    assert!(r.stderr.contains("/: connection refused"), "{}", r.stderr);
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    assert_nothing_left(&m);
}

#[test]
fn a_ready_path_answering_500_names_the_status() {
    let m = marker("status500");
    let ws = common::workspace(&section(
        &[
            common::BIN,
            "ratecheck",
            "serve",
            "--addr",
            "127.0.0.1:{port}",
            "--error-rate",
            "1",
        ],
        &m,
        "ready = { path = \"/health\", timeout = \"2s\" }",
        "rps = 10\nduration = \"1s\"",
    ));
    let r = check(ws.path(), &[]);
    assert_error(
        &r,
        2,
        "service api: not ready after 2s: GET http://127.0.0.1:",
    );
    assert!(
        r.stderr.contains("/health: answered 500 (ready is 200)"),
        "{}",
        r.stderr
    );
    assert_nothing_left(&m);
}

#[test]
fn a_port_the_service_cannot_bind_makes_it_exit_before_ready() {
    require_python3();
    let m = marker("bind");
    // The service ignores the port it is given and binds one that is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let ws = common::workspace(&section(
        &["python3", "-m", "http.server", &port, "--bind", "127.0.0.1"],
        &m,
        "ready = { timeout = \"20s\" }",
        "rps = 10\nduration = \"1s\"",
    ));
    let r = check(ws.path(), &[]);
    assert_error(
        &r,
        2,
        "service api exited before it was ready (exit status: 1): ",
    );
    assert!(
        error_line(&r).contains("Address already in use"),
        "{}",
        r.stderr
    );
    assert_nothing_left(&m);
    drop(taken);
}

#[test]
fn a_url_where_the_ready_path_belongs_is_refused_naming_the_service() {
    let m = marker("url");
    let ws = common::workspace(&section(
        &sh("exit 0"),
        &m,
        "ready = { path = \"http://example.com/health\" }",
        "rps = 10",
    ));
    let r = check(ws.path(), &[]);
    assert_error(&r, 2, "");
    assert!(
        error_line(&r)
            .contains("[workspace.metadata.ratecheck] service \"api\".ready.path: \"http://example.com/health\" is a URL"),
        "{}",
        r.stderr
    );
    // A scenario target that is not an HTTP URL is refused too.
    let ws = common::workspace(&section(&sh("exit 0"), &m, "", "rps = 10").replace(
        "target = \"service:api\"",
        "target = \"gopher://example.com/\"",
    ));
    let r = check(ws.path(), &[]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        error_line(&r).contains("only http:// and https://"),
        "{}",
        r.stderr
    );
    // A scenario naming no configured service.
    let ws = common::workspace(
        &section(&sh("exit 0"), &m, "", "rps = 10")
            .replace("target = \"service:api\"", "target = \"service:web\""),
    );
    let r = check(ws.path(), &[]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        error_line(&r).contains("scenario \"svc-run\".target: no service named \"web\""),
        "{}",
        r.stderr
    );
    assert_nothing_left(&m);
}

/// A Python `http.server` that answers until it has logged `n` requests,
/// then says why on stderr and exits 3 (the shell is the process group's
/// leader; the server is stopped with it).
fn crashing_after(n: u32) -> String {
    format!(
        "d=$(mktemp -d); mkfifo $d/log; \
         python3 -m http.server \"$1\" --bind 127.0.0.1 2>$d/log & \
         i=0; while read l; do i=$((i+1)); [ $i -ge {n} ] && break; done < $d/log; \
         echo \"served $i requests\"; echo 'fatal: out of cheese' >&2; kill $!; rm -r $d; exit 3"
    )
}

#[test]
fn a_crash_mid_run_fails_the_gate_with_the_services_last_lines() {
    require_python3();
    let _serial = common::serial();
    let m = marker("crash");
    let script = crashing_after(100);
    let ws = common::workspace(&section(
        &sh(&script),
        &m,
        "ready = { timeout = \"20s\" }",
        "rps = 200\nduration = \"10s\"\nconcurrency = 10",
    ));
    let t0 = Instant::now();
    let json = ws.path().join("out.json");
    let r = check(ws.path(), &["--json", json.to_str().unwrap()]);
    assert_eq!(
        r.code,
        Some(1),
        "stderr: {}\nstdout: {}",
        r.stderr,
        r.stdout
    );
    // The run stopped when the service exited, not after its 10 s.
    assert!(t0.elapsed() < Duration::from_secs(9), "{:?}", t0.elapsed());
    let line = "service api exited during the run (exit status: 3): fatal: out of cheese";
    assert!(r.stdout.contains(line), "{}", r.stdout);
    assert!(
        r.stdout.contains("service api exited during scenario svc-run (exit status: 3)\n  its last line of standard error:\n    fatal: out of cheese"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("service_alive") && r.stdout.contains("exited"),
        "{}",
        r.stdout
    );
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let s = &out["current"]["scenarios"][1];
    assert_eq!(s["name"], "svc-run");
    assert_eq!(s["figures"]["service_alive"]["value"], 0.0);
    assert_eq!(s["service_crash"]["stderr"][0], "fatal: out of cheese");
    let stdout = s["service_crash"]["stdout"].as_array().unwrap();
    assert_eq!(stdout.last().unwrap(), "served 100 requests");
    let row = out["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["figure"] == "service_alive")
        .unwrap();
    assert_eq!(row["verdict"], "below-floor");
    assert_eq!(row["note"], line);
    assert_nothing_left(&m);

    // The Markdown report shows the lines in a code block.
    let r = check(ws.path(), &["--format", "markdown"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stdout.contains("#### service api exited during scenario svc-run (exit status: 3)\n\nits last line of standard error:\n\n```text\nfatal: out of cheese\n```"),
        "{}",
        r.stdout
    );
    assert_nothing_left(&m);
}

#[test]
fn a_service_that_ignores_sigterm_is_killed_after_the_grace() {
    require_python3();
    let _serial = common::serial();
    let m = marker("ignore-term");
    // SIGTERM ignored by the shell and, inherited, by the server.
    let ws = common::workspace(&section(
        &sh("trap '' TERM; python3 -m http.server \"$1\" --bind 127.0.0.1"),
        &m,
        "ready = { timeout = \"20s\" }\nstop = { signal = \"TERM\", grace = \"1s\" }",
        "rps = 50\nduration = \"500ms\"\nconcurrency = 5",
    ));
    let r = check(ws.path(), &[]);
    assert_eq!(
        r.code,
        Some(0),
        "stderr: {}\nstdout: {}",
        r.stderr,
        r.stdout
    );
    assert!(
        r.stderr
            .contains("ratecheck: service api did not stop within 1s of SIGTERM: killed"),
        "{}",
        r.stderr
    );
    assert_nothing_left(&m);
}

#[test]
fn ctrl_c_while_a_service_runs_stops_it_and_exits_130() {
    let m = marker("ctrl-c");
    let ws = common::workspace(&section(
        &[
            common::BIN,
            "ratecheck",
            "serve",
            "--addr",
            "127.0.0.1:{port}",
        ],
        &m,
        "ready = { timeout = \"20s\" }",
        "rps = 50\nduration = \"60s\"\nconcurrency = 5",
    ));
    let args = ["check", "--no-baseline", "--scenario", "svc-run"];
    let (status, err) = interrupt_at(&args, ws.path(), "ratecheck: service api ready on", &m);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted: no verdict"), "{err}");
    assert_nothing_left(&m);
}

#[test]
fn python_http_server_as_a_service_passes_with_its_figures_in_the_json() {
    require_python3();
    let _serial = common::serial();
    let m = marker("python");
    let ws = common::workspace(&section(
        &PYTHON_HTTP_SERVER,
        &m,
        "ready = { path = \"/\", status = 200, timeout = \"20s\" }",
        "rps = 200\nduration = \"1s\"\nconcurrency = 10",
    ));
    let r = check(ws.path(), &["--format", "json"]);
    assert_eq!(
        r.code,
        Some(0),
        "stderr: {}\nstdout: {}",
        r.stderr,
        r.stdout
    );
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s = &out["current"]["scenarios"][1];
    assert_eq!(s["name"], "svc-run");
    let figures = &s["figures"];
    let cpu = figures["service_cpu_us_per_request"]["value"]
        .as_f64()
        .unwrap();
    let rss = figures["service_peak_rss_bytes"]["value"].as_f64().unwrap();
    assert!(cpu > 0.0 && cpu.is_finite(), "{cpu}");
    assert!(rss > 1e6, "a Python process takes megabytes: {rss}");
    assert_eq!(figures["service_cpu_us_per_request"]["kind"], "cpu");
    assert_eq!(figures["service_peak_rss_bytes"]["kind"], "memory");
    assert_eq!(figures["service_alive"]["value"], 1.0);
    assert!(s["report"]["target"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert!(s.get("service_crash").is_none());
    assert_nothing_left(&m);
}

/// A one-package workspace whose binary is a tiny std-only HTTP server
/// (`main_rs` replaces it when given), with service `api` as
/// `cargo run -q -- {port}` and scenario `svc-run` against it.
fn cargo_service(marker: &str, main_rs: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let section = section(
        &["cargo", "run", "-q", "--", "{port}"],
        marker,
        "ready = { timeout = \"60s\" }",
        "rps = 50\nduration = \"500ms\"\nconcurrency = 5",
    );
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[workspace.metadata.ratecheck]\n{section}"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let server = r#"use std::io::{Read, Write};
fn main() {
    let port = std::env::args().nth(1).expect("a port");
    let l = std::net::TcpListener::bind(format!("127.0.0.1:{port}")).expect("bind");
    for c in l.incoming() {
        let Ok(mut c) = c else { continue };
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = c.read(&mut buf) {
                if n == 0 || c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").is_err() {
                    return;
                }
            }
        });
    }
}
"#;
    std::fs::write(dir.path().join("src/main.rs"), main_rs.unwrap_or(server)).unwrap();
    dir
}

#[test]
fn a_cargo_run_service_is_built_first_and_a_build_failure_is_named() {
    let _serial = common::serial();
    let m = marker("cargo");
    let ws = cargo_service(&m, None);
    let r = check(ws.path(), &[]);
    assert_eq!(
        r.code,
        Some(0),
        "stderr: {}\nstdout: {}",
        r.stderr,
        r.stdout
    );
    assert!(
        r.stderr
            .contains("ratecheck: building service api: cargo build -q\n"),
        "{}",
        r.stderr
    );
    assert!(ws.path().join("target/debug/tiny").is_file(), "built");
    assert!(r.stdout.contains("service_alive"), "{}", r.stdout);
    assert_nothing_left(&m);

    let broken = cargo_service(&m, Some("fn main() { let x: u32 = \"no\"; }\n"));
    let r = check(broken.path(), &[]);
    assert_error(
        &r,
        2,
        "service api: `cargo build -q` failed (exit status: 101): error[E0308]: mismatched types",
    );
    assert_nothing_left(&m);
}

/// Python's `http.server` serving two files from the workspace, scenario
/// `svc-run` sending a 3:1 mix of them, with `check`.
fn file_server_mix(m: &str, check: &str) -> tempfile::TempDir {
    let ws = common::workspace(&section(
        &PYTHON_HTTP_SERVER,
        m,
        "ready = { path = \"/alpha.txt\", status = 200, timeout = \"20s\" }",
        &format!(
            "rps = 100\nduration = \"1s\"\nconcurrency = 4\n\
             requests = [{{ path = \"/alpha.txt\", weight = 3 }}, {{ path = \"/beta.txt\" }}]\n\
             check = {check}"
        ),
    ));
    std::fs::write(ws.path().join("alpha.txt"), "alpha\n").unwrap();
    std::fs::write(ws.path().join("beta.txt"), "beta\n").unwrap();
    ws
}

#[test]
fn a_mix_whose_answers_fail_the_check_fails_the_gate_on_error_rate() {
    require_python3();
    let _serial = common::serial();
    let m = marker("mix");
    // Both files hold an "a": every answer passes.
    let ws = file_server_mix(&m, "{ status = 200, body-contains = \"a\" }");
    let r = check(ws.path(), &["--format", "json"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert_nothing_left(&m);
    // Only alpha.txt holds "alph": a quarter of the mix fails the check.
    let ws = file_server_mix(&m, "{ status = 200, body-contains = \"alph\" }");
    let r = check(ws.path(), &["--format", "json"]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let s = &out["current"]["scenarios"][1];
    assert_eq!(s["name"], "svc-run");
    let report = &s["report"];
    let failed = report["errors"]["check-failed"].as_f64().unwrap();
    let completed = report["requests"]["completed"].as_f64().unwrap();
    let share = failed / completed;
    assert!((0.15..=0.35).contains(&share), "{share}: {report}");
    assert!(report["target"].as_str().unwrap().ends_with("(2 requests)"));
    let rows = out["rows"].as_array().unwrap();
    let error_rate = rows
        .iter()
        .find(|row| row["scenario"] == "svc-run" && row["figure"] == "error_rate")
        .unwrap();
    assert_eq!(error_rate["verdict"], "below-floor", "{error_rate}");
    assert_nothing_left(&m);
}

/// `--against REV` in a workspace that is not cargo-ratecheck's: the
/// service is built at REV (into `target/ratecheck/target`, beside the
/// current build), both builds are started and loaded alternately, and
/// the service's figures are judged paired; none of the engine's own
/// scenarios runs, and nothing is left behind.
#[test]
fn against_a_revision_pairs_its_build_of_the_service_with_this_one() {
    let _serial = common::serial();
    let m = marker("against");
    let ws = cargo_service(&m, None);
    std::fs::write(ws.path().join(".gitignore"), "/target\n").unwrap();
    common::git(ws.path(), &["init", "-q"]);
    common::commit_all(ws.path(), "a service");
    let args = [
        "--no-baseline",
        "--against",
        "HEAD",
        "--require-judged",
        "cpu,memory,latency",
        "--format",
        "json",
    ];
    let r = common::run_bin(&args, ws.path(), LIMIT);
    let shown = format!("stderr: {}\nstdout: {}", r.stderr, r.stdout);
    assert_eq!(r.code, Some(0), "{shown}");
    assert!(
        r.stderr
            .contains("building service api at HEAD: cargo build -q"),
        "{shown}"
    );
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["against"]["rev"], "HEAD");
    let scenarios: Vec<&str> = out["current"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(scenarios, ["self-test", "svc-run"], "no engine step");
    let rows = out["rows"].as_array().unwrap();
    for figure in [
        "service_cpu_us_per_request",
        "service_peak_rss_bytes",
        "response_p50_ms",
        "schedule_lag_p50_us",
    ] {
        let row = rows
            .iter()
            .find(|r| r["scenario"] == "svc-run" && r["figure"] == figure)
            .unwrap_or_else(|| panic!("no row {figure}: {shown}"));
        let note = row["note"].as_str().unwrap_or_default();
        assert!(
            note.starts_with("paired with HEAD (20 pairs)"),
            "{figure}: {note}"
        );
    }
    let base = ws.path().join("target/ratecheck/target/debug/tiny");
    assert!(base.is_file(), "REV's build is kept");
    assert!(
        ws.path().join("target/debug/tiny").is_file(),
        "and this one"
    );
    assert_eq!(
        common::revision_trees(ws.path()),
        Vec::<String>::new(),
        "REV's tree is removed"
    );
    assert_nothing_left(&m);
}

/// `--against REV` where no scenario loads a service: nothing at REV is
/// the code under test, so nothing is judged (exit 2, one line).
#[test]
fn against_a_revision_with_no_service_to_pair_is_not_judged() {
    let ws = common::git_workspace(
        "[[workspace.metadata.ratecheck.scenario]]\nname = \"embedded\"\nrps = 10\nduration = \"1s\"",
    );
    let r = common::run_bin(&["--no-baseline", "--against", "HEAD"], ws.path(), LIMIT);
    assert_error(
        &r,
        2,
        "--against HEAD: no planned scenario loads a service, and in a workspace that is not cargo-ratecheck's the services are what is built at HEAD and paired;",
    );
}

/// Runs the binary with `args` in `ws`, sends it SIGINT once standard
/// error has a line starting with `line` (while the service marked `m`
/// runs), and waits for its exit (20 s at most): the status and standard
/// error.
fn interrupt_at(
    args: &[&str],
    ws: &Path,
    line: &str,
    m: &str,
) -> (std::process::ExitStatus, String) {
    let mut child = common::command(args, ws).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = tx.send(line);
        }
        all
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(l) if l.starts_with(line) => break,
            Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(e) => panic!("stderr closed before `{line}`: {e}"),
        }
        assert!(Instant::now() < deadline, "never `{line}`");
    }
    assert!(!processes_with(m).is_empty(), "the service runs");
    // SAFETY: kill(2) on the child this test spawned.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let exit_deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > exit_deadline {
            let _ = child.kill();
            panic!("no exit within 20 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, reader.join().unwrap())
}

/// Ctrl-C while `--against` runs REV's build of a service beside this one:
/// both stop, REV's tree goes, exit 130.
#[test]
fn ctrl_c_during_the_paired_runs_stops_both_builds_and_removes_revs_tree() {
    let m = marker("against-ctrl-c");
    let ws = common::git_workspace(&section(
        &[
            common::BIN,
            "ratecheck",
            "serve",
            "--addr",
            "127.0.0.1:{port}",
        ],
        &m,
        "ready = { timeout = \"20s\" }",
        "rps = 50\nduration = \"500ms\"\nconcurrency = 5",
    ));
    let args = ["check", "--no-baseline", "--against", "HEAD"];
    let (status, err) = interrupt_at(
        &args,
        ws.path(),
        "ratecheck: service api at HEAD ready on",
        &m,
    );
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted: no verdict"), "{err}");
    assert_nothing_left(&m);
    assert_eq!(
        common::revision_trees(ws.path()),
        Vec::<String>::new(),
        "REV's tree is removed: {err}"
    );
}

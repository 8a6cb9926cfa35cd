//! Bad input to the binary (issue 6, items 1 and 2): arguments, URLs,
//! addresses, baseline names and files, configuration sections, git state.
//! Each case asserts exit code 2 (ARCHITECTURE.md, "Contracts": "the run could not be judged"),
//! a one-line `error:` message that names the culprit and what is allowed,
//! no panic text, nothing on standard output, and an answer within 5 s
//! (bad baselines and config are checked before the suite runs).
//!
//! Every case runs in a throwaway cargo workspace so the project's own
//! configuration and baselines are never read or written.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_ratecheck::baseline::model::Baseline;
use cargo_ratecheck::baseline::store;
use common::Ran;

/// Bad input must be refused this fast.
const FAST: Duration = Duration::from_secs(5);

/// Runs the binary in `cwd` and checks the common contract of a refusal;
/// every needle must appear in the first line of standard error.
fn refused_in(cwd: &Path, args: &[&str], needles: &[&str]) -> Ran {
    // The kill deadline is generous so a slow case fails on the timing
    // assertion below with its output, rather than as a kill.
    let r = common::run_bin(args, cwd, FAST * 3);
    let shown = format!("args {args:?}");
    assert!(
        !r.timed_out,
        "hung, killed after {:?}: {shown}: {r:?}",
        r.elapsed
    );
    assert!(r.elapsed < FAST, "took {:?}: {shown}: {r:?}", r.elapsed);
    r.assert_refused(needles, &shown);
    r
}

/// [`refused_in`] in a fresh workspace with no ratecheck section.
fn refused(args: &[&str], needles: &[&str]) -> Ran {
    let ws = common::workspace("");
    refused_in(ws.path(), args, needles)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

// ---- --rps ----------------------------------------------------------------

const RATE_POSITIVE: &str = "the rate must be a finite number > 0";

#[test]
fn rps_zero() {
    refused(&["run", "--rps", "0"], &["--rps", "'0'", RATE_POSITIVE]);
}

#[test]
fn rps_negative_written_with_equals() {
    refused(&["run", "--rps=-1"], &["--rps", "'-1'", RATE_POSITIVE]);
}

/// `--rps -1` is how people type it; clap takes `-1` for a flag and says
/// "unexpected argument '-1' found", naming neither `--rps` nor what is
/// allowed. Fix in src/cli.rs: `allow_negative_numbers = true` on `--rps`.
#[test]
fn rps_negative_as_separate_argument() {
    refused(&["run", "--rps", "-1"], &["--rps", RATE_POSITIVE]);
}

#[test]
fn rps_nan() {
    refused(&["run", "--rps", "NaN"], &["--rps", "'NaN'", RATE_POSITIVE]);
}

#[test]
fn rps_infinite() {
    refused(&["run", "--rps", "inf"], &["--rps", "'inf'", RATE_POSITIVE]);
}

#[test]
fn rps_absurd() {
    refused(
        &["run", "--rps", "1e12"],
        &["--rps", "'1e12'", "at most 10000000 requests per second"],
    );
}

#[test]
fn rps_not_a_number() {
    refused(
        &["run", "--rps", "fast"],
        &["--rps", "'fast'", "is not a number", "e.g. 1000 or 0.5"],
    );
}

#[test]
fn rps_missing() {
    // clap names the missing argument on the line after the error line.
    let r = refused(
        &["run", "--duration", "1s"],
        &["required arguments were not provided"],
    );
    assert!(r.stderr.contains("--rps <RPS>"), "{}", r.stderr);
}

// ---- durations --------------------------------------------------------------

#[test]
fn duration_zero() {
    refused(
        &["run", "--rps", "10", "--duration", "0s"],
        &["--duration", "'0s'", "must be longer than 0"],
    );
}

#[test]
fn duration_without_unit() {
    refused(
        &["run", "--rps", "10", "--duration", "5"],
        &["--duration", "'5'", "has no unit", "500ms, 5s, 2m"],
    );
}

#[test]
fn duration_negative_written_with_equals() {
    refused(
        &["run", "--rps", "10", "--duration=-1s"],
        &["--duration", "'-1s'", "negative", "500ms, 5s, 2m"],
    );
}

/// Same clap behaviour as `--rps -1`: `-1s` is taken for a flag.
#[test]
fn duration_negative_as_separate_argument() {
    refused(
        &["run", "--rps", "10", "--duration", "-1s"],
        &["--duration", "negative"],
    );
}

#[test]
fn duration_not_a_duration() {
    refused(
        &["run", "--rps", "10", "--duration", "abc"],
        &["--duration", "'abc'", "is not a duration", "500ms, 5s, 2m"],
    );
}

#[test]
fn timeout_zero() {
    refused(
        &["run", "--rps", "10", "--timeout", "0s"],
        &["--timeout", "'0s'", "must be longer than 0"],
    );
}

// ---- --concurrency, --format, request options -------------------------------

#[test]
fn concurrency_zero() {
    refused(
        &["run", "--rps", "10", "--concurrency", "0"],
        &["--concurrency", "'0'", "between 1 and 10000"],
    );
}

#[test]
fn concurrency_absurd() {
    refused(
        &["run", "--rps", "10", "--concurrency", "1000000"],
        &["--concurrency", "'1000000'", "between 1 and 10000"],
    );
}

#[test]
fn concurrency_not_a_number() {
    refused(
        &["run", "--rps", "10", "--concurrency", "x"],
        &["--concurrency", "'x'", "whole number", "1..=10000"],
    );
}

/// clap prints the allowed values on the line after the error line.
#[test]
fn unknown_format() {
    let r = refused(
        &["run", "--rps", "10", "--format", "xml"],
        &["--format", "'xml'"],
    );
    assert!(
        r.stderr
            .contains("[possible values: human, json, markdown]"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_format_for_self_test() {
    let r = refused(&["self-test", "--format", "yaml"], &["--format", "'yaml'"]);
    assert!(r.stderr.contains("possible values"), "{}", r.stderr);
}

#[test]
fn header_without_colon() {
    refused(
        &["run", "--rps", "10", "-H", "nocolon"],
        &["--header", "nocolon", "'Name: value'"],
    );
}

#[test]
fn method_with_a_space() {
    refused(
        &["run", "--rps", "10", "--method", "BAD METHOD"],
        &["--method", "BAD METHOD", "not an HTTP method"],
    );
}

/// Output files should be checked before the run, not after it: today the
/// whole run happens, then the write fails with exit 2 and the report is
/// lost (`emit_run` writes `--json` before printing, and returns on error).
#[test]
fn json_output_into_a_missing_directory() {
    let ws = common::workspace("");
    let out = ws.path().join("no-such-dir").join("report.json");
    let r = refused_in(
        ws.path(),
        &[
            "run",
            "--rps",
            "10",
            "--duration",
            "10s",
            "--null",
            "--json",
            path_str(&out),
        ],
        &["--json", path_str(&out), "does not exist"],
    );
    assert!(r.elapsed < Duration::from_secs(2), "before the run: {r:?}");
}

// ---- URLs -----------------------------------------------------------------------

#[test]
fn url_other_scheme() {
    refused(
        &["run", "--rps", "10", "--url", "ftp://127.0.0.1:8443/"],
        &[
            "--url",
            "ftp://127.0.0.1:8443/",
            "only http:// and https:// are supported",
        ],
    );
}

#[test]
fn url_without_host() {
    refused(
        &["run", "--rps", "10", "--url", "http:///"],
        &["--url", "not a valid URL", "http://127.0.0.1:8080/path"],
    );
}

#[test]
fn url_with_port_but_no_host() {
    refused(
        &["run", "--rps", "10", "--url", "http://:8080/"],
        &["--url", "not a valid URL", "http://127.0.0.1:8080/path"],
    );
}

/// Any host may be loaded; a name is resolved once at start, and one that
/// does not resolve is exit 2 naming the URL. Its first label is 64
/// characters, one more than DNS allows, so the resolver refuses it without
/// sending a query off this machine.
#[test]
fn url_host_name_that_does_not_resolve() {
    let url = format!("http://{}.invalid/health", "r".repeat(64));
    refused(
        &["run", "--rps", "10", "--url", &url],
        &[&format!("cannot load {url}"), "does not resolve"],
    );
}

#[test]
fn connections_without_http2() {
    refused(
        &[
            "run",
            "--rps",
            "10",
            "--url",
            "http://127.0.0.1:1/",
            "--connections",
            "2",
        ],
        &["--connections 2", "HTTP/2"],
    );
}

#[test]
fn http2_without_url() {
    refused(&["run", "--rps", "10", "--http2"], &["--http2", "--url"]);
}

#[test]
fn more_connections_than_concurrency() {
    refused(
        &[
            "run",
            "--rps",
            "10",
            "--url",
            "http://127.0.0.1:1/",
            "--http2",
            "--concurrency",
            "2",
            "--connections",
            "3",
        ],
        &["--connections 3", "concurrency"],
    );
}

#[test]
fn cacert_that_does_not_exist() {
    refused(
        &[
            "run",
            "--rps",
            "10",
            "--url",
            "https://127.0.0.1:1/",
            "--cacert",
            "/no/such/ca.pem",
        ],
        &["--cacert /no/such/ca.pem", "PEM"],
    );
}

#[test]
fn url_garbage() {
    refused(
        &["run", "--rps", "10", "--url", "not a url"],
        &["--url", "not a url", "http://127.0.0.1:8080/path"],
    );
}

#[test]
fn url_and_null_together() {
    refused(
        &[
            "run",
            "--rps",
            "10",
            "--url",
            "http://127.0.0.1:1/",
            "--null",
        ],
        &["--url", "--null"],
    );
}

/// Nothing listens on port 1: refused at start (before the self-test),
/// not after a run full of connection errors.
#[test]
fn url_unreachable_at_start() {
    refused(
        &[
            "run",
            "--rps",
            "10",
            "--duration",
            "1s",
            "--url",
            "http://127.0.0.1:1/",
        ],
        &[
            "cannot load http://127.0.0.1:1/",
            "connection failed",
            "127.0.0.1:1",
        ],
    );
}

// ---- serve --------------------------------------------------------------------------

#[test]
fn serve_on_all_interfaces() {
    refused(
        &["serve", "--addr", "0.0.0.0:0"],
        &["--addr", "0.0.0.0:0", "loopback only", "127.0.0.1:PORT"],
    );
}

#[test]
fn serve_on_a_lan_address() {
    refused(
        &["serve", "--addr", "192.168.1.10:8080"],
        &["--addr", "192.168.1.10:8080", "loopback only"],
    );
}

#[test]
fn serve_address_nonsense() {
    refused(
        &["serve", "--addr", "nonsense"],
        &["--addr", "nonsense", "127.0.0.1:PORT"],
    );
}

#[test]
fn serve_error_rate_above_one() {
    refused(
        &["serve", "--error-rate", "2"],
        &["--error-rate", "'2'", "between 0 and 1"],
    );
}

// ---- baseline names, manifests, git ---------------------------------------------

#[test]
fn baseline_name_with_path_separator() {
    refused(
        &["--baseline", "../evil"],
        &[
            "bad baseline name",
            "../evil",
            "path separator",
            "letters, digits",
        ],
    );
}

#[test]
fn baseline_show_name_with_path_separator() {
    refused(
        &["baseline", "show", "a/b"],
        &["bad baseline name", "\"a/b\"", "path separator"],
    );
}

#[test]
fn baseline_save_name_with_path_separator() {
    refused(
        &["baseline", "save", "--name", "../../etc/passwd"],
        &["bad baseline name", "path separator"],
    );
}

#[test]
fn baseline_and_no_baseline_together() {
    refused(
        &["--baseline", "x", "--no-baseline"],
        &["--baseline", "--no-baseline"],
    );
}

#[test]
fn manifest_path_missing() {
    refused(
        &[
            "--manifest-path",
            "/nonexistent/Cargo.toml",
            "--no-baseline",
        ],
        &[
            "/nonexistent/Cargo.toml",
            "--manifest-path",
            "existing Cargo.toml",
        ],
    );
}

#[test]
fn no_workspace_in_the_current_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    refused_in(
        dir.path(),
        &["--no-baseline"],
        &["Cargo.toml", "cargo metadata failed"],
    );
}

#[test]
fn baseline_rev_outside_git() {
    refused(
        &["--baseline-rev", "origin/main"],
        &["--baseline-rev origin/main", "not in a git repository"],
    );
}

#[test]
fn baseline_save_on_a_dirty_tree() {
    let ws = common::git_workspace("");
    std::fs::write(ws.path().join("notes.txt"), "one\ntwo\n").expect("modify a tracked file");
    refused_in(
        ws.path(),
        &["baseline", "save", "--quick"],
        &["uncommitted changes", "--allow-dirty"],
    );
    assert!(
        !ws.path().join("baselines").exists(),
        "nothing written for a refused save"
    );
}

#[test]
fn baseline_rev_that_does_not_exist() {
    let ws = common::git_workspace("");
    refused_in(
        ws.path(),
        &["--baseline-rev", "no-such-branch"],
        &["no-such-branch"],
    );
}

/// `--baseline-rev` reads the configuration at REV too: an invalid section
/// committed there is refused, naming `REV:Cargo.toml` and the key, even
/// though the working tree has since fixed it.
#[test]
fn config_at_baseline_rev_invalid() {
    let ws = common::git_workspace("trials = 0");
    common::rewrite_section(ws.path(), "trials = 3");
    refused_in(
        ws.path(),
        &["--baseline-rev", "HEAD"],
        &[
            "HEAD:Cargo.toml: [workspace.metadata.ratecheck] trials: ",
            "from 1 to 50",
        ],
    );
}

/// A revision without the workspace's Cargo.toml has no configuration to
/// judge with.
#[test]
fn baseline_rev_without_the_manifest() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "one\n").expect("write");
    common::git(dir.path(), &["init", "-q"]);
    common::commit_all(dir.path(), "before the workspace");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = []\nresolver = \"2\"\n",
    )
    .expect("write");
    common::commit_all(dir.path(), "the workspace");
    refused_in(
        dir.path(),
        &["--baseline-rev", "HEAD~1"],
        &["--baseline-rev HEAD~1", "HEAD~1:Cargo.toml does not exist"],
    );
}

#[test]
fn baseline_dir_that_is_a_file() {
    let ws = common::git_workspace("");
    // Committed config, so the tree is clean; the directory is a file.
    let manifest = ws.path().join("Cargo.toml");
    let mut toml = std::fs::read_to_string(&manifest).expect("read");
    toml.push_str("\n[workspace.metadata.ratecheck]\nbaseline-dir = \"notes.txt\"\n");
    std::fs::write(&manifest, toml).expect("write");
    refused_in(
        ws.path(),
        &["baseline", "save", "--quick", "--allow-dirty"],
        &["baseline directory", "notes.txt"],
    );
}

// ---- configuration section ----------------------------------------------------------

#[test]
fn config_unknown_key() {
    let ws = common::workspace("colour = \"red\"");
    refused_in(
        ws.path(),
        &["--no-baseline"],
        &[
            "[workspace.metadata.ratecheck]",
            "colour",
            "unknown key",
            "`trials`",
        ],
    );
}

#[test]
fn config_wrong_type() {
    let ws = common::workspace("trials = \"three\"");
    refused_in(
        ws.path(),
        &["--no-baseline"],
        &["trials", "whole number from 1 to 50", "\"three\""],
    );
}

#[test]
fn config_unknown_threshold_key() {
    let ws = common::workspace("thresholds = { efficiency-flor = 0.9 }");
    refused_in(
        ws.path(),
        &["--no-baseline"],
        &[
            "thresholds.efficiency-flor",
            "unknown key",
            "`efficiency-floor`",
        ],
    );
}

#[test]
fn config_scenario_with_bad_rate() {
    let ws = common::workspace("[[workspace.metadata.ratecheck.scenario]]\nname = \"s\"\nrps = -5");
    refused_in(ws.path(), &["--no-baseline"], &["scenario", "rps"]);
}

#[test]
fn config_is_checked_by_baseline_show_too() {
    let ws = common::workspace("baseline = 3");
    refused_in(ws.path(), &["baseline", "show"], &["baseline", "3"]);
}

// ---- baseline files ---------------------------------------------------------------------

/// Writes `bytes` as `name` in a fresh workspace and runs `check --baseline
/// PATH` there: the baseline must be refused before the suite starts.
fn bad_baseline(name: &str, bytes: &[u8], needles: &[&str]) {
    let ws = common::workspace("");
    let path = ws.path().join(name);
    std::fs::write(&path, bytes).expect("write baseline");
    let p = path_str(&path);
    let mut all = vec![p];
    all.extend_from_slice(needles);
    refused_in(ws.path(), &["--baseline", p], &all);
    // `baseline show PATH` reads it the same way.
    refused_in(ws.path(), &["baseline", "show", p], &all);
}

const RECREATE: &str = "re-create it with `cargo ratecheck baseline save`";

#[test]
fn baseline_empty() {
    bad_baseline("empty.json", b"", &["the file is empty", RECREATE]);
}

#[test]
fn baseline_whitespace_only() {
    bad_baseline("blank.json", b" \n\t\n", &["the file is empty", RECREATE]);
}

#[test]
fn baseline_truncated() {
    let full = serde_json::to_vec_pretty(&common::valid_baseline()).expect("encode");
    bad_baseline(
        "truncated.json",
        &full[..full.len() / 2],
        &["truncated JSON", RECREATE],
    );
}

#[test]
fn baseline_not_json() {
    bad_baseline(
        "text.json",
        b"efficiency: 0.99\n",
        &["not valid JSON", "line 1", RECREATE],
    );
}

#[test]
fn baseline_binary_garbage() {
    bad_baseline(
        "garbage.json",
        &[0xff, 0xfe, 0x00, 0x01, 0x80],
        &["not valid JSON", RECREATE],
    );
}

#[test]
fn baseline_wrong_shape() {
    bad_baseline(
        "shape.json",
        br#"{"schema_version": 1, "suite": 5}"#,
        &["wrong shape for a baseline", "SuiteResult", RECREATE],
    );
}

#[test]
fn baseline_missing_figures() {
    let mut v = serde_json::to_value(common::valid_baseline()).expect("encode");
    v["suite"]["scenarios"][0]
        .as_object_mut()
        .expect("scenario object")
        .remove("figures");
    bad_baseline(
        "nofigures.json",
        &serde_json::to_vec(&v).expect("encode"),
        &["wrong shape for a baseline", "missing field `figures`"],
    );
}

#[test]
fn baseline_newer_schema_version() {
    let mut v = serde_json::to_value(common::valid_baseline()).expect("encode");
    v["schema_version"] = 999.into();
    v["something_new"] = serde_json::json!({"x": 1});
    bad_baseline(
        "newer.json",
        &serde_json::to_vec(&v).expect("encode"),
        &["schema_version 999", "newer cargo-ratecheck", "upgrade"],
    );
}

#[test]
fn baseline_schema_version_zero() {
    let mut v = serde_json::to_value(common::valid_baseline()).expect("encode");
    v["schema_version"] = 0.into();
    bad_baseline(
        "zero.json",
        &serde_json::to_vec(&v).expect("encode"),
        &["schema_version 0", RECREATE],
    );
}

/// A sparse file just over the 64 MiB limit: refused by its size, unread.
#[test]
fn baseline_huge() {
    let ws = common::workspace("");
    let path = ws.path().join("huge.json");
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(store::MAX_BASELINE_BYTES + 1)
        .expect("sparse file");
    drop(f);
    let p = path_str(&path);
    refused_in(
        ws.path(),
        &["--baseline", p],
        &[p, "too large for a baseline", "limit 67108864 bytes"],
    );
}

#[test]
fn baseline_path_is_a_directory() {
    let ws = common::workspace("");
    let path = ws.path().join("dir.json");
    std::fs::create_dir(&path).expect("mkdir");
    let p = path_str(&path);
    refused_in(ws.path(), &["--baseline", p], &[p, "is a directory"]);
}

#[test]
fn baseline_file_missing() {
    let ws = common::workspace("");
    let path = ws.path().join("nowhere").join("release-1.2.json");
    let p = path_str(&path);
    refused_in(
        ws.path(),
        &["--baseline", p],
        &[
            "no baseline at",
            p,
            "cargo ratecheck baseline save --name release-1.2",
        ],
    );
}

#[test]
fn default_baseline_missing() {
    let ws = common::workspace("");
    refused_in(
        ws.path(),
        &[],
        &[
            "no baseline at",
            "default.json",
            "cargo ratecheck baseline save",
        ],
    );
}

#[test]
fn named_baseline_missing() {
    let ws = common::workspace("");
    refused_in(
        ws.path(),
        &["check", "--baseline", "nightly"],
        &[
            "no baseline at",
            "nightly.json",
            "baseline save --name nightly",
        ],
    );
}

// ---- compare ----------------------------------------------------------------------------

#[test]
fn compare_with_a_missing_file() {
    let ws = common::workspace("");
    let good = write_valid(ws.path(), "good.json");
    let missing = ws.path().join("missing.json");
    refused_in(
        ws.path(),
        &["compare", path_str(&missing), path_str(&good)],
        &["no baseline at", path_str(&missing)],
    );
    refused_in(
        ws.path(),
        &["compare", path_str(&good), path_str(&missing)],
        &["no baseline at", path_str(&missing)],
    );
}

#[test]
fn compare_with_a_corrupt_file() {
    let ws = common::workspace("");
    let good = write_valid(ws.path(), "good.json");
    let bad = ws.path().join("bad.json");
    std::fs::write(&bad, b"{\"current\": ").expect("write");
    refused_in(
        ws.path(),
        &["compare", path_str(&good), path_str(&bad)],
        &[path_str(&bad), "truncated JSON"],
    );
}

#[test]
fn compare_with_json_that_is_neither_kind() {
    let ws = common::workspace("");
    let good = write_valid(ws.path(), "good.json");
    let other = ws.path().join("other.json");
    std::fs::write(&other, br#"{"schema_version": 1, "hello": "world"}"#).expect("write");
    refused_in(
        ws.path(),
        &["compare", path_str(&other), path_str(&good)],
        &[
            path_str(&other),
            "neither a baseline",
            "`suite`",
            "`current`",
        ],
    );
}

// ---- forward compatibility (accepted, exit 0) ---------------------------------------------

fn write_valid(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    store::save_atomic(&path, &common::valid_baseline()).expect("save baseline");
    path
}

#[test]
fn baseline_with_unknown_fields_is_accepted() {
    let ws = common::workspace("");
    let original = common::valid_baseline();
    let mut v = serde_json::to_value(&original).expect("encode");
    let extra = serde_json::json!({"added_in": "a later version", "n": [1, 2, 3]});
    v["future_top_level"] = extra.clone();
    v["git"]["signed_by"] = extra.clone();
    v["machine"]["gpu"] = extra.clone();
    v["suite"]["future_suite_field"] = extra.clone();
    v["suite"]["scenarios"][0]["future_scenario_field"] = extra.clone();
    v["suite"]["scenarios"][0]["figures"]["efficiency"]["confidence"] = extra.clone();
    v["suite"]["scenarios"][0]["report"]["future_report_field"] = extra.clone();
    v["suite"]["scenarios"][0]["report"]["requests"]["retried"] = 7.into();
    let path = ws.path().join("future.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&v).expect("encode")).expect("write");
    let p = path_str(&path);

    // The library reads it, and the known part is intact.
    let read = store::load(&path).expect("unknown fields are accepted");
    assert_eq!(read, original);

    // `baseline show --format json` prints it.
    let r = common::run_bin(
        &["baseline", "show", p, "--format", "json"],
        ws.path(),
        FAST * 3,
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let shown: Baseline = serde_json::from_str(&r.stdout).expect("baseline JSON on stdout");
    assert_eq!(shown, original);

    // `compare OLD NEW` accepts it on either side.
    let good = write_valid(ws.path(), "good.json");
    for (old, new) in [(p, path_str(&good)), (path_str(&good), p)] {
        let r = common::run_bin(
            &["compare", old, new, "--format", "json"],
            ws.path(),
            FAST * 3,
        );
        assert_eq!(r.code, Some(0), "compare {old} {new}: {r:?}");
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

// ---- --against ------------------------------------------------------------

#[test]
fn against_a_revision_that_does_not_exist() {
    let ws = common::git_workspace("");
    refused_in(
        ws.path(),
        &["--no-baseline", "--against", "no-such-branch"],
        &["--against no-such-branch", "`no-such-branch`", "fetch it"],
    );
    assert!(common::revision_trees(ws.path()).is_empty());
}

/// A revision that does not build (here: cargo-ratecheck's own workspace,
/// its package `cargo-ratecheck` a library with no cargo-ratecheck binary,
/// so cargo refuses in a second without compiling) is named with cargo's
/// last words, and its checked-out tree is removed. `--quiet`: the build's
/// progress notes come before the error.
#[test]
fn against_a_revision_that_does_not_build() {
    let ws = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        ws.path().join("Cargo.toml"),
        "[package]\nname = \"cargo-ratecheck\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .expect("write Cargo.toml");
    std::fs::create_dir_all(ws.path().join("src")).expect("mkdir src");
    std::fs::write(ws.path().join("src/lib.rs"), "").expect("write lib.rs");
    common::git(ws.path(), &["init", "-q"]);
    common::commit_all(ws.path(), "a library");
    let r = refused_in(
        ws.path(),
        &["--quiet", "--no-baseline", "--against", "HEAD"],
        &["--against HEAD", "does not build", "no bin target named"],
    );
    let left = common::revision_trees(ws.path());
    assert!(left.is_empty(), "trees left behind: {left:?}\n{}", r.stderr);
}

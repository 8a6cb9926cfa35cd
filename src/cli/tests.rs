//! Tests of the command line: what parses, what is refused, and the defaults.

use super::*;
use clap::CommandFactory;

#[test]
fn definitions_are_consistent() {
    Cargo::command().debug_assert();
}

fn parse(args: &[&str]) -> Result<Ratecheck, clap::Error> {
    let mut all = vec!["cargo", "ratecheck"];
    all.extend_from_slice(args);
    try_parse_from(all).map(|Cargo::Ratecheck(r)| r)
}

#[test]
fn global_options_stand_before_any_subcommand() {
    let r = parse(&["-q", "self-test"]).unwrap();
    assert!(r.global.quiet);
    assert!(matches!(r.command, Some(Command::SelfTest(_))));
    let r = parse(&["--manifest-path", "x/Cargo.toml", "-v", "compare", "a", "b"]).unwrap();
    assert_eq!(r.global.manifest_path, Some(PathBuf::from("x/Cargo.toml")));
    assert!(r.global.verbose);
    // The implicit check's own options do not combine with another
    // subcommand: a usage error naming the option.
    let err = parse(&["--quick", "run", "--rps", "10"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("--quick is an option of `check`"),
        "{err}"
    );
    assert!(parse(&["--format", "json", "self-test"]).is_err());
    assert!(parse(&["-q", "--quick"]).unwrap().check.quick);
}

#[test]
fn check_is_the_default_subcommand() {
    let r = parse(&["--quick", "--format", "json"]).unwrap();
    assert!(r.command.is_none());
    assert!(r.check.quick);
    assert_eq!(r.check.output.format, Format::Json);
    let r = parse(&["check", "--baseline-rev", "origin/main"]).unwrap();
    assert!(
        matches!(r.command, Some(Command::Check(c)) if c.baseline_rev.as_deref() == Some("origin/main"))
    );
}

#[test]
fn bisect_arguments() {
    let r = parse(&["bisect", "--good", "v1", "--bad", "HEAD"]).unwrap();
    let Some(Command::Bisect(b)) = r.command else {
        panic!("not bisect")
    };
    assert_eq!((b.good.as_str(), b.bad.as_str()), ("v1", "HEAD"));
    assert_eq!(b.figure, None);
    assert_eq!(b.timeout, Duration::from_secs(3600));
    let r = parse(&[
        "bisect",
        "--good",
        "v1",
        "--bad",
        "HEAD",
        "--command",
        "make test",
        "--timeout",
        "10m",
    ])
    .unwrap();
    let Some(Command::Bisect(b)) = r.command else {
        panic!("not bisect")
    };
    assert_eq!(b.command.as_deref(), Some("make test"));
    assert_eq!(b.timeout, Duration::from_secs(600));
}

#[test]
fn run_arguments() {
    let r = parse(&["run", "--rps", "0.5", "--duration", "500ms", "--null"]).unwrap();
    let Some(Command::Run(run)) = r.command else {
        panic!("not run")
    };
    assert_eq!(run.rps, 0.5);
    assert_eq!(run.duration, Duration::from_millis(500));
    assert!(run.null);
    assert_eq!(run.concurrency, 50);
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["run", "--rps", "0"][..],
        &["run", "--rps", "-5"],
        &["run", "--rps", "NaN"],
        &["run", "--rps", "inf"],
        &["run", "--rps", "1e12"],
        &["run", "--rps", "fast"],
        &["run", "--rps", "10", "--duration", "0s"],
        &["run", "--rps", "10", "--duration", "5"],
        &["run", "--rps", "10", "--concurrency", "0"],
        &["run", "--rps", "10", "--concurrency", "1000000"],
        &["run", "--rps", "10", "--format", "xml"],
        &["run", "--rps", "10", "--url", "http://127.0.0.1/", "--null"],
        &["--baseline", "x", "--no-baseline"],
        &["serve", "--error-rate", "2"],
        &["history", "--figure"],
        &["history", "--format", "svg"],
        &["bisect", "--good", "HEAD~1"],
        &["bisect", "--bad", "HEAD"],
        &["bisect", "--good", "a", "--bad", "b", "--timeout", "5s"],
        &[
            "bisect",
            "--good",
            "a",
            "--bad",
            "b",
            "--command",
            "x",
            "--timeout",
            "0s",
        ],
    ] {
        let err = parse(args).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}

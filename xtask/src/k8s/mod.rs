//! `cargo xtask k8s render|run`: one sharded load run on Kubernetes, from
//! the templates of `deploy/kubernetes/` (an Indexed Job, one pod per
//! shard, and a ConfigMap with the run's settings).
//!
//! - `render` prints the manifest with the start instant `t0` = now + the
//!   lead time, so that every pod is scheduled and waiting before it;
//! - `run` renders it into `--out DIR`, applies it with kubectl, waits for
//!   the Job, reads each shard's JSON from its log (between two marker
//!   lines: logs outlive the pod's containers, files do not) and runs
//!   `cargo ratecheck merge` on them.
//!
//! Also the CI step that validates the rendered manifests against the
//! Kubernetes schemas ([`validate_step`], with `kubernetes-validate`).
//! The rendering is pure ([`render`]); the rest is the IO around it.

pub mod render;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};

use crate::proc::{self, display, find_on_path, run_inherited};
use render::Settings;

/// What `cargo xtask k8s` was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct K8sOptions {
    pub run: bool,
    pub settings: Settings,
    /// From now to `t0`: time for every pod to be scheduled and started.
    pub lead: Duration,
    /// `run`: where the manifest, the parts and the merged report go.
    pub out: PathBuf,
    /// `run`: kubectl's namespace (`-n`), else kubectl's current one.
    pub namespace: Option<String>,
    /// `run`: the cargo-ratecheck binary that merges (else `cargo run
    /// --release`).
    pub bin: Option<PathBuf>,
    /// `run`: merge the shards that finished when some did not.
    pub allow_missing: bool,
}

pub const USAGE: &str = "  cargo xtask k8s render|run [OPTIONS] one run split over a Kubernetes Indexed Job (docs/kubernetes.md)
      --shards N --rps R --duration D  shards (pods), the whole run's rate, its steady phase
      --ramp-up D --ramp-down D        ramps of the one schedule (default 0s)
      --concurrency N                  workers per shard (default 50)
      --image IMAGE                    built from this repository's Dockerfile
      --url URL                        the service every shard loads, http:// or https:// (required)
      --cpu Q --memory Q               each shard's resources (default 2, 512Mi)
      --name NAME --lead 60s           the Job's name; time from now to the shared start
      run only: --out DIR --namespace NS --bin PATH --allow-missing";

impl K8sOptions {
    pub fn parse(args: &[String]) -> Result<K8sOptions> {
        let (action, rest) = args
            .split_first()
            .map_or(("", &[][..]), |(a, r)| (a.as_str(), r));
        let run = match action {
            "render" => false,
            "run" => true,
            other => bail!("`cargo xtask k8s {other}`: render or run\n{USAGE}"),
        };
        let mut o = K8sOptions {
            run,
            settings: Settings::default(),
            lead: Duration::from_secs(60),
            out: PathBuf::from("target/k8s"),
            namespace: None,
            bin: None,
            allow_missing: false,
        };
        let mut it = rest.iter();
        while let Some(flag) = it.next() {
            if flag == "--allow-missing" {
                o.allow_missing = true;
                continue;
            }
            let value = it
                .next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))?
                .clone();
            o.set(flag, value)?;
        }
        Ok(o)
    }

    fn set(&mut self, flag: &str, value: String) -> Result<()> {
        let number = |v: &str| {
            v.parse::<usize>()
                .with_context(|| format!("{flag} {v}: a whole number"))
        };
        let s = &mut self.settings;
        match flag {
            "--shards" => s.shards = number(&value)?,
            "--rps" => s.rps = value,
            "--duration" => s.duration = value,
            "--ramp-up" => s.ramp_up = value,
            "--ramp-down" => s.ramp_down = value,
            "--concurrency" => s.concurrency = number(&value)?,
            "--image" => s.image = value,
            "--url" => s.url = value,
            "--cpu" => s.cpu = value,
            "--memory" => s.memory = value,
            "--name" => s.name = value,
            "--lead" => self.lead = render::duration(&value)?,
            "--out" if self.run => self.out = PathBuf::from(value),
            "--namespace" if self.run => self.namespace = Some(value),
            "--bin" if self.run => self.bin = Some(PathBuf::from(value)),
            other => bail!("unknown option `{other}` for `cargo xtask k8s`\n{USAGE}"),
        }
        Ok(())
    }
}

pub fn run(o: &K8sOptions) -> Result<()> {
    let start = SystemTime::now() + o.lead;
    let start_at = humantime::format_rfc3339_seconds(start).to_string();
    let manifest = render::render(&o.settings, &start_at, o.lead)?;
    if !o.run {
        print!("{manifest}");
        return Ok(());
    }
    apply_wait_collect(o, &manifest, &start_at)
}

/// `run`: apply, wait, collect the parts, merge.
fn apply_wait_collect(o: &K8sOptions, manifest: &str, start_at: &str) -> Result<()> {
    let kubectl = find_on_path("kubectl").context("kubectl is not on PATH: install it and point it at the cluster (kubectl config current-context)")?;
    std::fs::create_dir_all(&o.out)
        .with_context(|| format!("cannot create {}", o.out.display()))?;
    let file = o.out.join("manifest.yaml");
    std::fs::write(&file, manifest).with_context(|| format!("cannot write {}", file.display()))?;
    let k = |args: &[&str]| {
        let mut c = Command::new(&kubectl);
        if let Some(ns) = &o.namespace {
            c.args(["-n", ns]);
        }
        c.args(args);
        c
    };
    println!(
        "==> applying {} (the shards start at {start_at})",
        file.display()
    );
    run_inherited(k(&["apply", "-f"]).arg(&file))?;
    let s = &o.settings;
    let job = format!("job/{}", s.name);
    let deadline = Instant::now() + o.lead + s.run_time()? + Duration::from_secs(300);
    let failed = wait_for_job(&k, &job, s.shards, deadline)?;
    let mut parts = Vec::new();
    for index in 0..s.shards {
        match collect_part(&k, &s.name, index, &o.out) {
            Ok(p) => parts.push(p),
            Err(e) if o.allow_missing => println!("warning: {e:#}"),
            Err(e) => {
                return Err(e.context("add --allow-missing to merge the shards that finished"))
            }
        }
    }
    if failed > 0 {
        println!("warning: {failed} shard(s) failed (kubectl describe {job})");
    }
    merge(o, &parts)
}

/// Polls the Job until every shard succeeded, one failed, or `deadline`;
/// the failed shards' count.
fn wait_for_job(
    k: &dyn Fn(&[&str]) -> Command,
    job: &str,
    shards: usize,
    deadline: Instant,
) -> Result<usize> {
    println!("==> waiting for {job} ({shards} shards)");
    loop {
        let query = "jsonpath={.status.succeeded} {.status.failed} {.status.conditions[?(@.status==\"True\")].type}";
        let out = k(&["get", job, "-o", query])
            .output()
            .context("kubectl get failed to start")?;
        if !out.status.success() {
            bail!(
                "kubectl get {job}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let status = JobStatus::parse(&String::from_utf8_lossy(&out.stdout));
        if status.finished || status.succeeded + status.failed >= shards {
            return Ok(status.failed);
        }
        if Instant::now() > deadline {
            bail!(
                "{job}: {} of {shards} shards done at the deadline; kubectl describe {job}",
                status.succeeded
            );
        }
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// A Job's status as `kubectl get -o jsonpath` prints it: succeeded and
/// failed pods, and whether a `Complete` or `Failed` condition holds (with
/// `backoffLimit: 0` one failed shard fails the Job, and Kubernetes stops
/// the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobStatus {
    pub succeeded: usize,
    pub failed: usize,
    pub finished: bool,
}

impl JobStatus {
    pub fn parse(text: &str) -> JobStatus {
        let mut words = text.split(' ');
        let mut count = || {
            words
                .next()
                .and_then(|w| w.trim().parse().ok())
                .unwrap_or(0)
        };
        let (succeeded, failed) = (count(), count());
        let finished = text
            .split_whitespace()
            .any(|w| w == "Complete" || w == "Failed");
        JobStatus {
            succeeded,
            failed,
            finished,
        }
    }
}

/// Shard `index`'s JSON, from its pod's log, into `out/part-INDEX.json`.
fn collect_part(
    k: &dyn Fn(&[&str]) -> Command,
    name: &str,
    index: usize,
    out: &Path,
) -> Result<PathBuf> {
    let selector = format!("ratecheck/run={name},batch.kubernetes.io/job-completion-index={index}");
    let pods = k(&[
        "get",
        "pods",
        "-l",
        &selector,
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ])
    .output()?;
    let pod = String::from_utf8_lossy(&pods.stdout)
        .split_whitespace()
        .next()
        .map(str::to_string)
        .with_context(|| format!("shard {index}: no pod ({selector})"))?;
    let log = k(&["logs", &pod, "-c", "shard"]).output()?;
    if !log.status.success() {
        bail!(
            "shard {index}: kubectl logs {pod}: {}",
            String::from_utf8_lossy(&log.stderr).trim()
        );
    }
    let json = render::part_from_log(&String::from_utf8_lossy(&log.stdout), index)?;
    let file = out.join(format!("part-{index}.json"));
    std::fs::write(&file, json).with_context(|| format!("cannot write {}", file.display()))?;
    println!("    shard {index}: {} ({pod})", file.display());
    Ok(file)
}

/// `cargo ratecheck merge` of the parts, into `out/merged.json` and
/// `out/merged.html`.
fn merge(o: &K8sOptions, parts: &[PathBuf]) -> Result<()> {
    let mut cmd = match &o.bin {
        Some(bin) => Command::new(bin),
        None => {
            let mut c = proc::cargo();
            c.args(["run", "--release", "--quiet", "--"]);
            c
        }
    };
    cmd.args(["ratecheck", "merge"]).args(parts);
    if o.allow_missing {
        cmd.arg("--allow-missing");
    }
    cmd.arg("--json").arg(o.out.join("merged.json"));
    cmd.arg("--html").arg(o.out.join("merged.html"));
    println!("==> merging\n$ {}", display(&cmd));
    run_inherited(&mut cmd)
}

/// The shard counts the CI step renders and validates.
const VALIDATED_SHARDS: [usize; 2] = [2, 8];

/// The Kubernetes version whose schemas the manifests are validated
/// against: the oldest still supported by the major cloud providers.
pub const KUBERNETES_VERSION: &str = "1.29.0";

/// `cargo xtask ci`'s step: the manifests rendered for a few shard counts,
/// validated strictly (no unknown field) against the Kubernetes schemas
/// bundled with `kubernetes-validate` (offline).
pub fn validate_step(root: &Path) -> Result<()> {
    let validator = find_or_install_validator()?;
    let dir = root.join("target/k8s-validate");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cmd = Command::new(&validator);
    cmd.args(["--strict", "--kubernetes-version", KUBERNETES_VERSION]);
    for shards in VALIDATED_SHARDS {
        let settings = Settings {
            shards,
            name: format!("ratecheck-{shards}"),
            url: "https://staging.example.com/health".into(),
            ..Settings::default()
        };
        let text = render::render(&settings, "2026-12-06T12:00:00Z", Duration::from_secs(60))?;
        let file = dir.join(format!("ratecheck-{shards}.yaml"));
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
        cmd.arg(file);
    }
    println!("$ {}", display(&cmd));
    run_inherited(&mut cmd)
}

/// `kubernetes-validate` on PATH or in the Python scripts folder, else
/// installed with pip.
fn find_or_install_validator() -> Result<PathBuf> {
    const NAME: &str = "kubernetes-validate";
    if let Some(found) = crate::ci::locate_python_tool(NAME) {
        return Ok(found);
    }
    println!("{NAME} not found; installing it from PyPI with pip");
    let mut pip = Command::new(crate::ci::python());
    pip.args(["-m", "pip", "install", "--disable-pip-version-check", NAME]);
    println!("$ {}", display(&pip));
    run_inherited(&mut pip)?;
    crate::ci::locate_python_tool(NAME)
        .with_context(|| format!("`pip install {NAME}` succeeded but no {NAME} appeared on PATH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_refuse_unknown_or_misplaced_flags() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = K8sOptions::parse(&args("render --shards 3 --rps 3000 --lead 2m")).unwrap();
        assert!(!o.run);
        assert_eq!(o.settings.shards, 3);
        assert_eq!(o.settings.rps, "3000");
        assert_eq!(o.lead, Duration::from_secs(120));
        let o =
            K8sOptions::parse(&args("run --out /tmp/x --allow-missing --namespace load")).unwrap();
        assert!(o.run && o.allow_missing);
        assert_eq!(o.namespace.as_deref(), Some("load"));
        for bad in [
            "apply",
            "render --out x",
            "render --shards",
            "render --shards many",
            "run --fast 1",
        ] {
            assert!(K8sOptions::parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_jobs_status_as_kubectl_prints_it() {
        let s = JobStatus::parse("2 1 Failed");
        assert_eq!((s.succeeded, s.failed, s.finished), (2, 1, true));
        let s = JobStatus::parse(" ");
        assert_eq!((s.succeeded, s.failed, s.finished), (0, 0, false));
        assert!(JobStatus::parse("3  Complete").finished);
        assert!(!JobStatus::parse("1  ").finished);
    }
}

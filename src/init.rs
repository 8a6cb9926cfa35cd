//! `cargo ratecheck init`, the pure part: the starter section for a
//! workspace's root manifest (under `[workspace.metadata.ratecheck]`, or
//! `[package.metadata.ratecheck]` when the root manifest is a package with
//! no `[workspace]` table, as the configuration loader reads it) — a
//! service that starts a binary that looks like an HTTP server and a
//! scenario that loads it, or the same as a commented example when none
//! does —, the GitHub workflows (the gate, its pull-request comment, the
//! baseline refresh) and the comment's posting script, the
//! `rust-toolchain.toml` that pins the compiler (the workflows install what
//! it pins), which binaries look
//! like HTTP servers, and removing an old section for `--force`. The files
//! are written by `commands/init.rs`.

/// Crates whose presence among a package's dependencies makes its binaries
/// look like HTTP servers.
pub const SERVER_CRATES: [&str; 8] = [
    "axum",
    "actix-web",
    "hyper",
    "poem",
    "rocket",
    "salvo",
    "tiny_http",
    "warp",
];

/// A binary that looks like an HTTP server: its name and its package's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBin {
    pub package: String,
    pub bin: String,
}

/// The table the root manifest's section goes under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `[workspace.metadata.ratecheck]`: the root manifest has `[workspace]`.
    Workspace,
    /// `[package.metadata.ratecheck]`: a lone package.
    Package,
}

impl Table {
    /// Which table a root manifest's text asks for.
    pub fn for_manifest(manifest: &toml::Table) -> Table {
        if manifest.contains_key("workspace") || !manifest.contains_key("package") {
            Table::Workspace
        } else {
            Table::Package
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Table::Workspace => "workspace.metadata.ratecheck",
            Table::Package => "package.metadata.ratecheck",
        }
    }
}

/// Whether the manifest already holds a ratecheck section (either table).
pub fn has_section(manifest: &toml::Table) -> bool {
    ["workspace", "package"].iter().any(|t| {
        manifest
            .get(*t)
            .and_then(|v| v.get("metadata"))
            .and_then(|m| m.get("ratecheck"))
            .is_some()
    })
}

/// The line that opens the starter section, so `--force` can find it.
const MARKER: &str = "# cargo-ratecheck: the merge gate's settings";

/// The starter section: with a server-like binary among `servers`, a
/// service that starts the first and a scenario that loads it; without
/// one, the same as a commented example to fill in.
pub fn starter_section(table: Table, servers: &[ServerBin]) -> String {
    let p = table.prefix();
    let head = format!(
        r#"
{MARKER} (README of cargo-ratecheck: Configuration).
# The gate runs its 1-second self-test and the scenarios below. The engine's
# own scenarios and benches measure cargo-ratecheck itself, so they do not
# run here (engine-benches = true would run them too).
[{p}]
baseline = "default"   # baselines/default.json, written by `cargo ratecheck baseline save`
trials = 3             # trials of noisy figures (their median is judged)
# CPU per request moves by tens of percent on shared 2-core CI machines; on a
# dedicated runner tighten it toward the default 0.15. (`--against REV`
# judges CPU, memory and latency from paired runs instead, with tighter
# paired-cpu-tolerance, paired-memory-tolerance, paired-latency-tolerance.)
thresholds = {{ cpu-tolerance = 0.75 }}
# thresholds = {{ efficiency-floor = 0.95, cpu-tolerance = 0.15, memory-tolerance = 0.15 }}
"#
    );
    match servers.first() {
        Some(s) => format!("{head}{}", service_tables(p, s, servers)),
        None => format!("{head}{}", commented_example(p)),
    }
}

/// `cargo run` of one binary, told its port with `--port`.
fn run_command(s: &ServerBin) -> String {
    format!(
        r#"["cargo", "run", "--release", "-p", "{}", "--bin", "{}", "--", "--port", "{{port}}"]"#,
        s.package, s.bin
    )
}

/// The name of the starter's scenario for a service named `service`.
pub fn scenario_name(service: &str) -> String {
    format!("{service}-get")
}

/// The service `s` and a scenario loading it.
fn service_tables(p: &str, s: &ServerBin, servers: &[ServerBin]) -> String {
    let others: Vec<String> = servers[1..]
        .iter()
        .map(|o| format!("{} ({})", o.bin, o.package))
        .collect();
    let others = if others.is_empty() {
        String::new()
    } else {
        format!(
            "\n# Other binaries that look like HTTP servers: {}.",
            others.join(", ")
        )
    };
    let (bin, command, scenario) = (&s.bin, run_command(s), scenario_name(&s.bin));
    format!(
        r#"
# {bin} looks like an HTTP server.{others} The gate builds it, starts it on a
# free loopback port for the scenarios that name it and stops it after them:
# it must listen on 127.0.0.1 at the port it is given (here with --port;
# change the arguments to match) and answer GET / with 200 once ready (or
# set ready.path).
[[{p}.service]]
name = "{bin}"
command = {command}
ready = {{ path = "/", status = 200, timeout = "60s" }}

# 200 requests/s of GET / over 10 connections for 5 s: efficiency, errors,
# the median response time, and {bin}'s CPU per request and memory. With
# `--against REV` the same requests go to REV's build of {bin} and this one
# alternately, and those figures are judged paired.
[[{p}.scenario]]
name = "{scenario}"
target = "service:{bin}"
rps = 200
duration = "5s"
concurrency = 10
quick = true
# A weighted mix instead of one GET, and what each answer must be:
# requests = [{{ path = "/api/items", weight = 3 }}, {{ method = "POST", path = "/api/items", body-file = "bench/item.json" }}]
# check = {{ status = 200, body-contains = "id" }}
"#
    )
}

/// The service and scenario as comments, for a workspace with no
/// server-like binary.
fn commented_example(p: &str) -> String {
    format!(
        r#"
# No binary here looks like an HTTP server. Your own service, started on a
# free loopback port for the scenarios that name it:
# [[{p}.service]]
# name = "api"
# command = ["cargo", "run", "--release", "--bin", "api", "--", "--port", "{{port}}"]
# env = {{ RUST_LOG = "warn" }}
# ready = {{ path = "/health", status = 200, timeout = "60s" }}
# stop = {{ signal = "TERM", grace = "5s" }}
#
# [[{p}.scenario]]
# name = "api-get"
# target = "service:api"
# rps = 200
# duration = "5s"
# concurrency = 10
# # A weighted mix instead of one GET, and what each answer must be:
# requests = [{{ path = "/api/items", weight = 3 }}, {{ method = "POST", path = "/api/items", body-file = "bench/item.json" }}]
# check = {{ status = 200, body-contains = "id" }}
"#
    )
}

/// Whether a binary's main source looks like an HTTP server's: it binds a
/// TCP listener (std's or tokio's), as a server with no server crate does.
pub fn looks_like_server(source: &str) -> bool {
    source.contains("TcpListener")
}

/// `text` without its ratecheck tables (`[…metadata.ratecheck]` and
/// `[[…metadata.ratecheck.…]]` up to the next other table) and without the
/// starter's comment lines before them, for `init --force`.
pub fn strip_section(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t.trim_start_matches('[').trim_start();
            inside = name.starts_with("workspace.metadata.ratecheck")
                || name.starts_with("package.metadata.ratecheck");
            if inside {
                // The comments and blank lines just above belong to it.
                while out
                    .last()
                    .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                {
                    out.pop();
                }
            }
        }
        if !inside {
            out.push(line);
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// The files rustup reads a workspace's pinned toolchain from; `init`
/// writes the first when neither exists, and never replaces one.
pub const TOOLCHAIN_FILES: [&str; 2] = ["rust-toolchain.toml", "rust-toolchain"];

/// `rust-toolchain.toml` pinning `channel` (`1.88.0`): instruction and
/// allocation counts compare only when the baseline and the run are built
/// by the same compiler, so the workflows install this one, not the
/// runner's latest stable.
pub fn toolchain_file(channel: &str) -> String {
    format!(
        r#"# Written by `cargo ratecheck init`: the compiler every build uses, locally
# and in the workflows, so that the instruction and allocation counts of the
# committed baseline and of a pull request come from the same compiler.
# Change it in a pull request of its own, with the baseline refreshed on the
# new compiler.
[toolchain]
channel = "{channel}"
"#
    )
}

/// The workflows and the comment's posting script: (path from the
/// workspace root, contents). The pull-request comment's workflow and
/// script are this repository's own, byte for byte.
pub fn workflows() -> [(&'static str, &'static str); 4] {
    [
        (".github/workflows/ratecheck.yml", RATECHECK_YML),
        (".github/workflows/ratecheck-comment.yml", COMMENT_YML),
        (".github/scripts/ratecheck_comment.py", COMMENT_SCRIPT),
        (".github/workflows/refresh-baselines.yml", REFRESH_YML),
    ]
}

const COMMENT_YML: &str = include_str!("../.github/workflows/ratecheck-comment.yml");
const COMMENT_SCRIPT: &str = include_str!("../.github/scripts/ratecheck_comment.py");

const RATECHECK_YML: &str = r#"# The required status check: cargo-ratecheck's performance gate. A pull
# request is judged against the baseline committed on its target branch (and
# that branch's settings, read from git): the floors on any runner; and side
# by side with the target branch's build of the services, started on the
# same runner and loaded alternately: CPU per request, memory and latency,
# which must be judged (--require-judged), or the step fails unjudged. It runs
# the pull request's code with a read-only token; ratecheck-comment.yml posts
# the uploaded reports as one pull-request comment.
name: ratecheck

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

concurrency:
  group: ratecheck-${{ github.ref }}
  cancel-in-progress: true

jobs:
  ratecheck:
    runs-on: ubuntu-latest
    timeout-minutes: 45
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
      - name: Install the pinned toolchain (rust-toolchain.toml)
        run: rustup toolchain install
      - uses: Swatinem/rust-cache@v2
      - name: Install valgrind (instruction counts) and cargo-ratecheck
        # Or: cargo install --locked --git <its repository URL> cargo-ratecheck
        run: |
          sudo apt-get update -q && sudo apt-get install -y -q valgrind
          cargo install --locked cargo-ratecheck
      - name: Record the pull request's number for the comment
        if: github.event_name == 'pull_request'
        env:
          PR_NUMBER: ${{ github.event.pull_request.number }}
        run: mkdir -p ratecheck-comment && printf '%s\n' "$PR_NUMBER" > ratecheck-comment/pr-number
      - name: Gate against the target branch's baseline
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
        run: >-
          cargo ratecheck --baseline-rev "origin/${BASE_REF}"
          --format markdown --json ratecheck.json --html ratecheck.html
          --markdown ratecheck-comment/baseline.md
      - name: Gate against the target branch built on this runner (paired)
        if: github.event_name == 'pull_request' && !cancelled()
        env:
          BASE_REF: ${{ github.base_ref }}
        run: >-
          cargo ratecheck --no-baseline --against "origin/${BASE_REF}"
          --require-judged cpu,memory,latency
          --format markdown --json ratecheck-against.json
          --markdown ratecheck-comment/against.md
      - name: Gate against main's committed baseline
        if: github.event_name == 'push'
        run: >-
          cargo ratecheck --baseline-rev HEAD
          --format markdown --json ratecheck.json --html ratecheck.html
      - name: Upload reports
        if: always()
        uses: actions/upload-artifact@v6
        with:
          name: ratecheck-report
          path: |
            ratecheck.json
            ratecheck.html
            ratecheck-against.json
          if-no-files-found: warn
      - name: Upload the pull-request comment's reports
        if: always() && github.event_name == 'pull_request'
        uses: actions/upload-artifact@v6
        with:
          name: ratecheck-comment
          path: ratecheck-comment/
          retention-days: 7
"#;

const REFRESH_YML: &str = r#"# Manual: re-measure and commit the baseline of a release branch. Run it from
# the Actions tab with a `release/...` branch selected.
name: refresh-baselines

on:
  workflow_dispatch:

permissions:
  contents: write

concurrency:
  group: refresh-baselines-${{ github.ref }}

jobs:
  refresh:
    runs-on: ubuntu-latest
    timeout-minutes: 45
    steps:
      - name: Require a release branch
        env:
          BRANCH: ${{ github.ref_name }}
        run: |
          case "$BRANCH" in
            release/*) echo "refreshing baselines on $BRANCH" ;;
            *) echo "::error title=refresh-baselines::run this workflow on a release/** branch, not '$BRANCH'"; exit 1 ;;
          esac
      - uses: actions/checkout@v5
      - name: Install the pinned toolchain (rust-toolchain.toml)
        run: rustup toolchain install
      - uses: Swatinem/rust-cache@v2
      - name: Install valgrind (instruction counts) and cargo-ratecheck
        # Or: cargo install --locked --git <its repository URL> cargo-ratecheck
        run: |
          sudo apt-get update -q && sudo apt-get install -y -q valgrind
          cargo install --locked cargo-ratecheck
      - name: Measure and save the baseline
        run: cargo ratecheck baseline save
      - name: Commit and push baselines/
        env:
          BRANCH: ${{ github.ref_name }}
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git add baselines/
          if git diff --cached --quiet; then
            echo "baselines/ unchanged; nothing to commit"
            exit 0
          fi
          git commit -m "Refresh ratecheck baselines on ${BRANCH}"
          git push origin "HEAD:${BRANCH}"
"#;

/// The commands `init` suggests next; `service`, the starter's service
/// when it has one; `pinned`: `init` wrote `rust-toolchain.toml`.
pub fn next_commands(manifest: &str, service: Option<&str>, pinned: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(name) = service {
        out.push(format!(
            "cargo ratecheck --no-baseline                 # try it: starts {name}, runs {} (floors, its CPU, memory, latency)",
            scenario_name(name)
        ));
    }
    out.push(
        "cargo ratecheck baseline save --allow-dirty   # measure; writes baselines/default.json"
            .to_string(),
    );
    let toolchain = if pinned { " rust-toolchain.toml" } else { "" };
    out.push(format!(
        "git add {manifest}{toolchain} .github baselines && git commit -m \"ratecheck gate\""
    ));
    out.push(
        "cargo ratecheck                               # the gate: exit 0 pass, 1 failed, 2 could not judge"
            .to_string(),
    );
    if service.is_some() {
        out.push(
            "cargo ratecheck --no-baseline --against HEAD~1   # as on pull requests: this build against HEAD~1's, paired"
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod tests;

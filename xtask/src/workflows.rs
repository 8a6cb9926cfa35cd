//! How the GitHub workflows split trust, checked (`cargo xtask ci` runs it
//! after actionlint): a workflow that runs a pull request's code
//! (`pull_request`) holds a read-only token; a workflow that holds a
//! writing token on a pull request's behalf (`workflow_run`,
//! `pull_request_target`) never checks out the pull request's code and
//! never puts an expression — event data an outsider chose, such as a
//! branch name or a title — into a shell script. actionlint checks syntax
//! and expressions; these rules are this repository's.

use std::path::Path;

use anyhow::{bail, Context, Result};
use yaml_rust2::{Yaml, YamlLoader};

/// Events whose workflows run with the base repository's token (and
/// secrets) while a pull request, possibly from a fork, is what they act on.
const PRIVILEGED_EVENTS: [&str; 2] = ["workflow_run", "pull_request_target"];

/// Checks every workflow in `files`; the error lists each problem.
pub fn check(files: &[impl AsRef<Path>]) -> Result<()> {
    let mut problems = Vec::new();
    for file in files {
        let file = file.as_ref();
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        problems.extend(problems_in(&name, &text)?);
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    println!("{} workflows: trust split as required", files.len());
    Ok(())
}

/// The problems of one workflow's `text` (`name`, for the messages).
pub fn problems_in(name: &str, text: &str) -> Result<Vec<String>> {
    let docs =
        YamlLoader::load_from_str(text).with_context(|| format!("{name} is not valid YAML"))?;
    let Some(doc) = docs.first() else {
        bail!("{name} is empty");
    };
    let events = events(&doc["on"]);
    let mut problems = Vec::new();
    if events.iter().any(|e| e == "pull_request") {
        problems.extend(write_permissions(doc).into_iter().map(|at| {
            format!("{name}: runs a pull request's code (`pull_request`) with a writing token ({at}); keep it read-only and post from a `workflow_run` workflow")
        }));
    }
    if events
        .iter()
        .any(|e| PRIVILEGED_EVENTS.contains(&e.as_str()))
    {
        for (job, step) in steps(doc) {
            let label = step["name"].as_str().unwrap_or("a step").to_string();
            if let Some(uses) = step["uses"].as_str() {
                let with = &step["with"];
                if uses.starts_with("actions/checkout@")
                    && (!with["ref"].is_badvalue() || !with["repository"].is_badvalue())
                {
                    problems.push(format!(
                        "{name}: job {job}, `{label}`: checks out another ref or repository (the pull request's head?) with a writing token; check out the default branch only"
                    ));
                }
            }
            if let Some(run) = step["run"].as_str() {
                if run.contains("${{") {
                    problems.push(format!(
                        "{name}: job {job}, `{label}`: an expression inside `run:`; pass it through `env:` so no event text becomes shell"
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// The event names of an `on:` value (a name, a list, or a map).
fn events(on: &Yaml) -> Vec<String> {
    match on {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a
            .iter()
            .filter_map(Yaml::as_str)
            .map(String::from)
            .collect(),
        Yaml::Hash(h) => h
            .keys()
            .filter_map(Yaml::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// Where `doc` grants a writing token: `write-all`, or a scope `: write`,
/// at the top or in a job; also no `permissions:` at the top at all (the
/// repository's default may be writing).
fn write_permissions(doc: &Yaml) -> Vec<String> {
    let mut found = Vec::new();
    if doc["permissions"].is_badvalue() {
        found.push("no top-level `permissions:`".to_string());
    }
    let mut scan = |at: String, p: &Yaml| match p {
        Yaml::String(s) if s == "write-all" => found.push(format!("{at}: write-all")),
        Yaml::Hash(h) => {
            for (scope, level) in h {
                if level.as_str() == Some("write") {
                    let scope = scope.as_str().unwrap_or("?");
                    found.push(format!("{at}: {scope}: write"));
                }
            }
        }
        _ => {}
    };
    scan("permissions".to_string(), &doc["permissions"]);
    if let Some(jobs) = doc["jobs"].as_hash() {
        for (job, body) in jobs {
            let job = job.as_str().unwrap_or("?");
            scan(format!("jobs.{job}.permissions"), &body["permissions"]);
        }
    }
    found
}

/// Every step of every job, with its job's name.
fn steps(doc: &Yaml) -> Vec<(String, &Yaml)> {
    let Some(jobs) = doc["jobs"].as_hash() else {
        return Vec::new();
    };
    jobs.iter()
        .flat_map(|(job, body)| {
            let job = job.as_str().unwrap_or("?").to_string();
            body["steps"]
                .as_vec()
                .into_iter()
                .flatten()
                .map(move |s| (job.clone(), s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_workflow(name: &str) -> String {
        let path = crate::proc::project_root()
            .join(".github/workflows")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn this_repositorys_workflows_split_trust() {
        let dir = crate::proc::project_root().join(".github/workflows");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let problems = problems_in(&name, &std::fs::read_to_string(&path).unwrap()).unwrap();
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }

    #[test]
    fn the_comment_workflow_never_checks_out_the_pull_requests_head() {
        let text = repo_workflow("ratecheck-comment.yml");
        let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
        // Privileged: it runs after `ratecheck` and writes comments.
        assert_eq!(events(&doc["on"]), ["workflow_run"]);
        let on = &doc["on"]["workflow_run"];
        assert_eq!(on["workflows"][0].as_str(), Some("ratecheck"));
        let job = &doc["jobs"]["comment"];
        assert_eq!(job["permissions"]["pull-requests"].as_str(), Some("write"));
        // Its only checkout takes the default branch: no ref, no other
        // repository, no token kept in the clone.
        let checkouts: Vec<&Yaml> = steps(doc)
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
            })
            .collect();
        assert_eq!(checkouts.len(), 1);
        let with = &checkouts[0]["with"];
        assert!(with["ref"].is_badvalue() && with["repository"].is_badvalue());
        assert_eq!(with["persist-credentials"].as_bool(), Some(false));
        assert_eq!(
            with["sparse-checkout"].as_str(),
            Some(".github/scripts/ratecheck_comment.py")
        );
        assert!(!text.contains("head_branch") && !text.contains("pull_request.head"));
        // The measuring workflow keeps a read-only token.
        let measuring = repo_workflow("ratecheck.yml");
        assert!(problems_in("ratecheck.yml", &measuring).unwrap().is_empty());
        assert!(measuring.contains("name: ratecheck-comment"));
    }

    #[test]
    fn checking_out_the_head_or_shell_interpolation_is_refused() {
        let bad = r#"
on:
  workflow_run:
    workflows: [ratecheck]
    types: [completed]
permissions:
  pull-requests: write
jobs:
  comment:
    runs-on: ubuntu-latest
    steps:
      - name: Check out the head
        uses: actions/checkout@v5
        with:
          ref: ${{ github.event.workflow_run.head_sha }}
      - uses: actions/checkout@v5
        with:
          repository: ${{ github.event.workflow_run.head_repository.full_name }}
      - name: Say the branch
        run: echo "${{ github.event.workflow_run.head_branch }}"
"#;
        let problems = problems_in("bad.yml", bad).unwrap();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("`Check out the head`: checks out another ref"));
        assert!(problems[1].contains("`a step`: checks out another ref or repository"));
        assert!(problems[2].contains("`Say the branch`: an expression inside `run:`"));
        // The same steps on a read-only push workflow are its own business.
        let push = bad.replace("workflow_run", "push");
        assert!(problems_in("push.yml", &push).unwrap().is_empty());
    }

    #[test]
    fn a_pull_request_workflow_with_a_writing_token_is_refused() {
        let text = r#"
on: [pull_request, push]
permissions: write-all
jobs:
  gate:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - run: cargo ratecheck
"#;
        let problems = problems_in("gate.yml", text).unwrap();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("(permissions: write-all)"));
        assert!(problems[1].contains("(jobs.gate.permissions: pull-requests: write)"));
        let unset = "on: pull_request\njobs:\n  gate:\n    runs-on: x\n    steps: []\n";
        let problems = problems_in("unset.yml", unset).unwrap();
        assert!(
            problems[0].contains("no top-level `permissions:`"),
            "{problems:?}"
        );
        let read_only = "on: pull_request\npermissions:\n  contents: read\njobs: {}\n";
        assert!(problems_in("ro.yml", read_only).unwrap().is_empty());
    }
}

//! What changed around the code, in words: the header line that names the
//! machine, build and dependency changes since the baseline (or the paired
//! revision) and, when the build changed, how to restore judgement of the
//! counts. Part of [`super`].

use super::build_fix;
use crate::figure::environment::{Change, Environment};

/// Dependencies named in the header before `and N more` (the JSON has all).
const SHOWN_DEPENDENCIES: usize = 12;

/// `changed since the baseline: build: rustc 1.88.0 (…) → 1.90.0 (…);
/// dependencies (Cargo.lock): hyper 1.4.1 → 1.5.0, …` and, when the build
/// changed, the fix; `None` when nothing changed.
pub fn environment_line(env: &Environment) -> Option<String> {
    if env.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !env.machine.is_empty() {
        parts.push(format!("machine: {}", list(&env.machine)));
    }
    if !env.build.is_empty() {
        parts.push(format!("build: {}", list(&env.build)));
    }
    if !env.dependencies.is_empty() {
        let shown = &env.dependencies[..env.dependencies.len().min(SHOWN_DEPENDENCIES)];
        let more = env.dependencies.len() - shown.len();
        let mut deps = list(shown);
        if more > 0 {
            deps.push_str(&format!(" and {more} more"));
        }
        parts.push(format!("dependencies (Cargo.lock): {deps}"));
    }
    if let Some(why) = &env.dependencies_unknown {
        parts.push(format!("dependencies: not compared ({why})"));
    }
    let since = match &env.rev {
        Some(rev) => rev.as_str(),
        None => "the baseline",
    };
    let mut line = format!("changed since {since}: {}", parts.join("; "));
    if let Some(first) = env.build.first() {
        line.push_str(&format!(
            " — counts compare only under one build: {}",
            build_fix(&first.what, &first.baseline)
        ));
    }
    Some(line)
}

/// `rustc 1.88.0 (…) → 1.90.0 (…), hyper (new) 1.5.0, gone 0.3.0
/// (removed)`: a value that repeats what it is (`rustc 1.88.0 …`) without
/// the repetition.
fn list(changes: &[Change]) -> String {
    let item = |c: &Change| {
        let prefix = format!("{} ", c.what);
        let v = |s: &'_ str| s.strip_prefix(&prefix).unwrap_or(s).to_string();
        match (c.baseline.is_empty(), c.current.is_empty()) {
            (true, _) => format!("{} (new) {}", c.what, c.current),
            (_, true) => format!("{} {} (removed)", c.what, c.baseline),
            _ => format!("{} {} → {}", c.what, v(&c.baseline), v(&c.current)),
        }
    };
    changes.iter().map(item).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(what: &str, baseline: &str, current: &str) -> Change {
        Change {
            what: what.into(),
            baseline: baseline.into(),
            current: current.into(),
        }
    }

    #[test]
    fn the_header_names_each_change_and_how_to_restore_judgement() {
        assert_eq!(environment_line(&Environment::default()), None);
        let env = Environment {
            build: vec![change(
                "rustc",
                "rustc 1.88.0 (6b00bc388 2025-06-23)",
                "rustc 1.90.0 (1159e78c4 2025-09-14)",
            )],
            dependencies: vec![
                change("hyper", "1.4.1", "1.5.0"),
                change("new-one", "", "0.3.0"),
                change("gone", "0.3.0", ""),
            ],
            ..Environment::default()
        };
        assert_eq!(
            environment_line(&env).unwrap(),
            "changed since the baseline: \
             build: rustc 1.88.0 (6b00bc388 2025-06-23) → 1.90.0 (1159e78c4 2025-09-14); \
             dependencies (Cargo.lock): hyper 1.4.1 → 1.5.0, new-one (new) 0.3.0, gone 0.3.0 (removed) \
             — counts compare only under one build: pin the baseline's toolchain in \
             rust-toolchain.toml (channel = \"1.88.0\"), or accept the change: \
             a `Ratecheck-Accept:` trailer and a refreshed baseline"
        );
    }

    #[test]
    fn many_dependencies_are_cut_and_an_unknown_side_is_said() {
        let env = Environment {
            rev: Some("origin/main".into()),
            machine: vec![change("cores", "2", "4")],
            dependencies: (0..15)
                .map(|i| change(&format!("d{i}"), "1.0.0", "1.0.1"))
                .collect(),
            ..Environment::default()
        };
        let line = environment_line(&env).unwrap();
        assert!(
            line.starts_with("changed since origin/main: machine: cores 2 → 4; "),
            "{line}"
        );
        assert!(line.ends_with("d11 1.0.0 → 1.0.1 and 3 more"), "{line}");
        assert!(!line.contains("counts compare"), "the build did not change");
        let env = Environment {
            dependencies_unknown: Some("the baseline records no commit".into()),
            ..Environment::default()
        };
        assert_eq!(
            environment_line(&env).unwrap(),
            "changed since the baseline: dependencies: not compared (the baseline records no commit)"
        );
    }
}

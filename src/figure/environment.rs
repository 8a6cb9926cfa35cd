//! What changed around the code between the baseline and this run, as the
//! report's header lists it: the machine (which decides whether wall-clock
//! figures compare), the build (which decides whether counts compare) and
//! the dependencies whose version in Cargo.lock changed. Pure: the files
//! and builds come in, the differences go out.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::profile::{crate_of, FunctionDelta};
use super::{BuildInfo, MachineInfo};

/// One thing that differs: what, and its value in the baseline and now
/// (empty where it is absent: a dependency added or removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub what: String,
    pub baseline: String,
    pub current: String,
}

impl Change {
    fn new(what: &str, baseline: &str, current: &str) -> Change {
        Change {
            what: what.to_string(),
            baseline: baseline.to_string(),
            current: current.to_string(),
        }
    }
}

/// Everything that differs between the baseline (or the revision a paired
/// run was measured against) and this run. Empty lists: nothing differs,
/// or it was not recorded on both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// The revision compared with when there is no baseline (`--against`);
    /// `None`: the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// CPU model and core count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine: Vec<Change>,
    /// The parts of the build (as [`BuildInfo::changes`] lists them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build: Vec<Change>,
    /// Packages of Cargo.lock whose versions differ, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Change>,
    /// Why the dependencies could not be compared (e.g. the baseline
    /// records no commit, or its commit is not in this clone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies_unknown: Option<String>,
}

impl Environment {
    /// Nothing to say.
    pub fn is_empty(&self) -> bool {
        self.machine.is_empty()
            && self.build.is_empty()
            && self.dependencies.is_empty()
            && self.dependencies_unknown.is_none()
    }

    /// Marks each function of `functions` whose crate changed version
    /// (`1.4.1 → 1.5.0`), matching the crate in the function's path with
    /// the package's name (`-` read as `_`).
    pub fn mark_changed_crates(&self, functions: &mut [FunctionDelta]) {
        for f in functions {
            let Some(krate) = crate_of(&f.function) else {
                continue;
            };
            f.version_change = self
                .dependencies
                .iter()
                .find(|d| d.what.replace('-', "_") == krate)
                .map(|d| format!("{} → {}", or_none(&d.baseline), or_none(&d.current)));
        }
    }
}

/// `none` for a side where a package is absent.
fn or_none(v: &str) -> &str {
    if v.is_empty() {
        "none"
    } else {
        v
    }
}

/// The CPU model and core count, where they differ (`machine` is the
/// baseline's, `this` this run's).
pub fn machine_changes(baseline: &MachineInfo, this: &MachineInfo) -> Vec<Change> {
    let mut out = Vec::new();
    if baseline.cpu_model != this.cpu_model {
        out.push(Change::new("CPU", &baseline.cpu_model, &this.cpu_model));
    }
    if baseline.cores != this.cores {
        let (b, c) = (baseline.cores.to_string(), this.cores.to_string());
        out.push(Change::new("cores", &b, &c));
    }
    out
}

impl BuildInfo {
    /// Every part of the build that differs from `baseline`'s, among those
    /// both recorded (valgrind only when both ran it).
    pub fn changes(&self, baseline: &BuildInfo) -> Vec<Change> {
        baseline
            .parts(self)
            .into_iter()
            .filter_map(|(what, b, c)| match (b, c) {
                (Some(b), Some(c)) if b != c => Some(Change::new(what, b, c)),
                _ => None,
            })
            .collect()
    }
}

/// The versions of each package of a Cargo.lock, by name (a name can be
/// locked at several versions).
pub type Locked = BTreeMap<String, BTreeSet<String>>;

/// The packages of a Cargo.lock's text (any lock file version).
pub fn locked(text: &str) -> Result<Locked, String> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let lock: Lock = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Locked::new();
    for p in lock.package {
        out.entry(p.name).or_default().insert(p.version);
    }
    Ok(out)
}

/// The packages whose versions differ between two lock files, by name:
/// each side's versions, comma-separated, empty where it is absent.
pub fn dependency_changes(baseline: &Locked, current: &Locked) -> Vec<Change> {
    let names: BTreeSet<&String> = baseline.keys().chain(current.keys()).collect();
    let none = BTreeSet::new();
    let joined = |v: &BTreeSet<String>| v.iter().cloned().collect::<Vec<_>>().join(", ");
    names
        .into_iter()
        .filter_map(|name| {
            let b = baseline.get(name).unwrap_or(&none);
            let c = current.get(name).unwrap_or(&none);
            (b != c).then(|| Change::new(name, &joined(b), &joined(c)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
version = 4

[[package]]
name = "hyper"
version = "1.4.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "hyper-util"
version = "0.1.10"

[[package]]
name = "windows-sys"
version = "0.52.0"

[[package]]
name = "gone"
version = "0.3.0"
"#;

    #[test]
    fn dependencies_are_compared_by_name() {
        let cur = BASE
            .replace("1.4.1", "1.5.0")
            .replace("name = \"gone\"", "name = \"new-one\"")
            + "\n[[package]]\nname = \"windows-sys\"\nversion = \"0.59.0\"\n";
        let changes = dependency_changes(&locked(BASE).unwrap(), &locked(&cur).unwrap());
        assert_eq!(
            changes,
            [
                Change::new("gone", "0.3.0", ""),
                Change::new("hyper", "1.4.1", "1.5.0"),
                Change::new("new-one", "", "0.3.0"),
                Change::new("windows-sys", "0.52.0", "0.52.0, 0.59.0"),
            ]
        );
        assert!(dependency_changes(&locked(BASE).unwrap(), &locked(BASE).unwrap()).is_empty());
        assert!(locked("[[package]]\nname = 1\n").is_err());
        assert!(locked("").unwrap().is_empty(), "a lock with no packages");
    }

    #[test]
    fn a_function_of_a_crate_whose_version_changed_is_marked() {
        let env = Environment {
            dependencies: vec![
                Change::new("hyper-util", "0.1.10", "0.1.11"),
                Change::new("gone", "0.3.0", ""),
            ],
            ..Environment::default()
        };
        let f = |name: &str| FunctionDelta {
            function: name.into(),
            baseline: 1.0,
            current: 2.0,
            version_change: None,
        };
        let mut fns = [
            f("hyper_util::rt::tokio::TokioIo::poll_read"),
            f("hyper::proto::h1::dispatch::poll_write"),
            f("gone::f"),
        ];
        env.mark_changed_crates(&mut fns);
        assert_eq!(fns[0].version_change.as_deref(), Some("0.1.10 → 0.1.11"));
        assert_eq!(fns[1].version_change, None);
        assert_eq!(fns[2].version_change.as_deref(), Some("0.3.0 → none"));
    }

    #[test]
    fn builds_and_machines_list_what_differs_among_what_both_recorded() {
        let this = BuildInfo::of_this_binary();
        assert!(this.changes(&this).is_empty());
        let older = BuildInfo {
            rustc: "rustc 1.88.0 (6b00bc388 2025-06-23)".into(),
            valgrind: Some("valgrind-3.22.0".into()),
            features: None,
            ..this.clone()
        };
        let changes = this.changes(&older);
        assert_eq!(changes.len(), 1, "valgrind: only one side ran it");
        assert_eq!(changes[0].what, "rustc");
        assert_eq!(changes[0].baseline, "rustc 1.88.0 (6b00bc388 2025-06-23)");
        assert_eq!(changes[0].current, this.rustc);
        let m = MachineInfo::detect();
        assert!(machine_changes(&m, &m).is_empty());
        let other = MachineInfo {
            cores: m.cores + 2,
            ..m.clone()
        };
        let c = machine_changes(&other, &m);
        assert_eq!(
            c,
            [Change::new(
                "cores",
                &(m.cores + 2).to_string(),
                &m.cores.to_string()
            )]
        );
        assert!(!Environment {
            machine: c,
            ..Environment::default()
        }
        .is_empty());
        assert!(Environment::default().is_empty());
    }
}

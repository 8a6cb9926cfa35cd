//! What a measurement was taken with: the machine ([`MachineInfo`], which
//! decides whether wall-clock figures compare) and the build
//! ([`BuildInfo`], which decides whether counts compare).

use serde::{Deserialize, Serialize};

use super::FigureKind;

/// The machine a measurement was taken on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub cpu_model: String,
    pub cores: usize,
    pub os: String,
    pub rustc: String,
}

/// What makes instruction and allocation counts comparable between two
/// measurements: the same compiler, target, profile and C library, and for
/// instruction counts the same simulator. The CPU model does not matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// `rustc -V` of the compiler that built the binary.
    pub rustc: String,
    /// Target triple.
    pub target: String,
    /// Cargo profile (`release`, `debug`).
    pub profile: String,
    /// C library and version (`glibc 2.36`), or `unknown`.
    #[serde(default)]
    pub libc: String,
    /// `valgrind --version`, when the instruction bench ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valgrind: Option<String>,
    /// The version of cargo-ratecheck that was built (its engine is the
    /// code whose counts are taken). `None` in files written before it was
    /// recorded: such a field is not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// The profile's code-shaping settings, `key=value` sorted and
    /// space-separated (`codegen-units=1 debug=1 opt-level=3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_settings: Option<String>,
    /// The RUSTFLAGS the build was given, space-separated (empty: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rustflags: Option<String>,
    /// The enabled features of cargo-ratecheck, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<String>,
}

/// One part of two builds: its name, and its value in each (`None`: not
/// recorded).
pub(crate) type BuildField<'a> = (&'static str, Option<&'a String>, Option<&'a String>);

const VALGRIND: &str = "valgrind";

impl BuildInfo {
    /// This binary's build (from the build script) and this machine's C
    /// library; `valgrind` is filled in by the bench that uses it.
    pub fn of_this_binary() -> BuildInfo {
        BuildInfo {
            rustc: env!("RATECHECK_BUILD_RUSTC").to_string(),
            target: env!("RATECHECK_BUILD_TARGET").to_string(),
            profile: env!("RATECHECK_BUILD_PROFILE").to_string(),
            libc: libc_version(),
            valgrind: None,
            tool_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            profile_settings: Some(env!("RATECHECK_BUILD_PROFILE_SETTINGS").to_string()),
            rustflags: Some(env!("RATECHECK_BUILD_RUSTFLAGS").to_string()),
            features: Some(env!("RATECHECK_BUILD_FEATURES").to_string()),
        }
    }

    /// Each part of the build, in order, with its value in `self` and in
    /// `other` (`None` where it was not recorded: valgrind where the run
    /// counted nothing, and the parts the fingerprint gained later): the
    /// one list both [`BuildInfo::differs`] and the report's changes read.
    pub(crate) fn parts<'a>(&'a self, other: &'a BuildInfo) -> [BuildField<'a>; 9] {
        let both = |part, a: &'a String, b: &'a String| (part, Some(a), Some(b));
        let either =
            |part, a: &'a Option<String>, b: &'a Option<String>| (part, a.as_ref(), b.as_ref());
        [
            both("rustc", &self.rustc, &other.rustc),
            both("target", &self.target, &other.target),
            both("profile", &self.profile, &other.profile),
            both("libc", &self.libc, &other.libc),
            either(VALGRIND, &self.valgrind, &other.valgrind),
            either("tool version", &self.tool_version, &other.tool_version),
            either(
                "profile settings",
                &self.profile_settings,
                &other.profile_settings,
            ),
            either("RUSTFLAGS", &self.rustflags, &other.rustflags),
            either("features", &self.features, &other.features),
        ]
    }

    /// Why counts of kind `kind` measured under `other` (the baseline's
    /// build) cannot be compared with ones measured under `self`, or `None`
    /// when they can: every part of the build that differs, in order.
    pub fn differs(&self, other: &BuildInfo, kind: FigureKind) -> Option<BuildDifference> {
        let none = String::new();
        // valgrind counts only for counts, and differs when one side lacks
        // it; the parts the fingerprint gained later are compared when both
        // sides have them.
        let fields = self
            .parts(other)
            .into_iter()
            .filter_map(|(part, a, b)| match (part, a, b) {
                (VALGRIND, ..) if kind != FigureKind::Instructions => None,
                (VALGRIND, a, b) => Some((part, a.unwrap_or(&none), b.unwrap_or(&none))),
                (_, Some(a), Some(b)) => Some((part, a, b)),
                _ => None,
            });
        let parts: Vec<BuildPart> = fields
            .filter(|(_, a, b)| a != b)
            .map(|(part, a, b)| BuildPart {
                part,
                current: a.clone(),
                baseline: b.clone(),
            })
            .collect();
        (!parts.is_empty()).then_some(BuildDifference { parts })
    }
}

/// The parts of two builds that make their counts incomparable (at least
/// one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildDifference {
    pub parts: Vec<BuildPart>,
}

/// One part of a build that differs between two measurements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPart {
    /// `rustc`, `target`, `profile`, `libc`, `valgrind`, `tool version`,
    /// `profile settings`, `RUSTFLAGS` or `features`.
    pub part: &'static str,
    /// This run's.
    pub current: String,
    /// The baseline's.
    pub baseline: String,
}

/// `rustc -V` of the compiler `$RUSTC` (else `rustc`) names, run in `dir`
/// when given (where rustup's overrides apply); `None` when it cannot run.
pub fn rustc_version(dir: Option<&std::path::Path>) -> Option<String> {
    let mut cmd =
        std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    cmd.arg("-V");
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

/// The rustup toolchain a `rustc -V` line names, as `rust-toolchain.toml`
/// pins it: `1.88.0` for `rustc 1.88.0 (6b00bc388 2025-06-23)`,
/// `nightly-2025-07-01` for `rustc 1.90.0-nightly (abc 2025-07-01)`,
/// `beta-…` likewise; `None` for anything else.
pub fn toolchain_channel(rustc_v: &str) -> Option<String> {
    let mut words = rustc_v.split_whitespace();
    (words.next()? == "rustc").then_some(())?;
    let version = words.next()?;
    let date = words.nth(1).map(|d| d.trim_end_matches(')'));
    let release = |v: &str| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok())
    };
    match version.split_once('-') {
        None => release(version).then(|| version.to_string()),
        Some((v, pre)) if release(v) && (pre == "nightly" || pre.starts_with("beta")) => {
            let channel = if pre == "nightly" { "nightly" } else { "beta" };
            Some(format!("{channel}-{}", date?))
        }
        Some(_) => None,
    }
}

/// `glibc 2.36` on glibc, else `unknown`.
fn libc_version() -> String {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: gnu_get_libc_version returns a pointer to a static,
        // NUL-terminated string that lives for the whole process.
        let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
        format!("glibc {}", v.to_string_lossy())
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        "unknown".to_string()
    }
}

impl MachineInfo {
    /// Describes this machine: CPU model from `/proc/cpuinfo` (or
    /// `unknown`), available parallelism, OS (plus `PRETTY_NAME` from
    /// `/etc/os-release` when present) and `rustc -V` (or `unknown`).
    pub fn detect() -> MachineInfo {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| cpu_model_from_cpuinfo(&s))
            .unwrap_or_else(|| "unknown".to_string());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let os = match std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|s| pretty_name_from_os_release(&s))
        {
            Some(pretty) => format!("{} ({pretty})", std::env::consts::OS),
            None => std::env::consts::OS.to_string(),
        };
        let rustc = rustc_version(None).unwrap_or_else(|| "unknown".to_string());
        MachineInfo {
            cpu_model,
            cores,
            os,
            rustc,
        }
    }

    /// Whether CPU and memory figures measured on `other` can be compared
    /// with ones measured here: same CPU model and core count.
    pub fn same_machine(&self, other: &MachineInfo) -> bool {
        self.cpu_model == other.cpu_model && self.cores == other.cores
    }
}

/// The first `model name` line of `/proc/cpuinfo` text.
fn cpu_model_from_cpuinfo(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name")
            .then(|| value.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// `PRETTY_NAME` of `/etc/os-release` text, quotes removed.
fn pretty_name_from_os_release(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix("PRETTY_NAME=")?;
        let value = value.trim().trim_matches('"').trim_matches('\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpuinfo_and_os_release() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(
            cpu_model_from_cpuinfo(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        assert_eq!(cpu_model_from_cpuinfo("processor: 0\n"), None);
        let os = "NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name_from_os_release(os).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name_from_os_release("NAME=x\n"), None);
    }

    #[test]
    fn the_fingerprint_names_the_part_that_differs_when_both_recorded_it() {
        let this = BuildInfo::of_this_binary();
        assert_eq!(this.differs(&this.clone(), FigureKind::Instructions), None);
        let flags = BuildInfo {
            rustflags: Some("-C target-cpu=native".into()),
            ..this.clone()
        };
        let why = this.differs(&flags, FigureKind::Allocations).unwrap();
        assert_eq!(why.parts.len(), 1);
        assert_eq!(why.parts[0].part, "RUSTFLAGS");
        assert_eq!(why.parts[0].baseline, "-C target-cpu=native");
        let settings = BuildInfo {
            profile_settings: Some("codegen-units=16 opt-level=3".into()),
            ..this.clone()
        };
        let why = this.differs(&settings, FigureKind::Instructions).unwrap();
        assert_eq!(why.parts[0].part, "profile settings");
        let image = BuildInfo {
            libc: "glibc 2.39".into(),
            valgrind: Some("valgrind-3.22.0".into()),
            ..this.clone()
        };
        let parts: Vec<&str> = this
            .differs(&image, FigureKind::Instructions)
            .unwrap()
            .parts
            .iter()
            .map(|p| p.part)
            .collect();
        assert_eq!(parts, ["libc", "valgrind"], "every part that differs");
        // A file written before the fingerprint grew records none of it:
        // those parts are not compared.
        let old = BuildInfo {
            tool_version: None,
            profile_settings: None,
            rustflags: None,
            features: None,
            ..flags
        };
        assert_eq!(this.differs(&old, FigureKind::Allocations), None);
    }

    #[test]
    fn a_rustc_version_line_names_its_toolchain() {
        let c = |s: &str| toolchain_channel(s);
        assert_eq!(
            c("rustc 1.88.0 (6b00bc388 2025-06-23)").as_deref(),
            Some("1.88.0")
        );
        assert_eq!(
            c("rustc 1.90.0-nightly (abcdef012 2025-07-01)").as_deref(),
            Some("nightly-2025-07-01")
        );
        assert_eq!(
            c("rustc 1.89.0-beta.3 (abcdef012 2025-07-02)").as_deref(),
            Some("beta-2025-07-02")
        );
        assert_eq!(c("unknown"), None);
        assert_eq!(c("rustc 1.88 (x y)"), None);
        assert_eq!(c("rustc 1.90.0-dev"), None);
    }

    #[test]
    fn detect_gives_something() {
        let m = MachineInfo::detect();
        assert!(m.cores >= 1);
        assert!(!m.cpu_model.is_empty());
        assert!(m.os.starts_with(std::env::consts::OS));
        assert!(m.same_machine(&m.clone()));
        let other = MachineInfo {
            cores: m.cores + 1,
            ..m.clone()
        };
        assert!(!m.same_machine(&other));
    }
}

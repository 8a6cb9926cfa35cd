//! Reading and writing baseline files: name validation, strict-but-forward-
//! compatible parsing with errors that name the file and say what to do, and
//! atomic saves (temp file in the same directory, fsync, rename, fsync dir),
//! so an interrupted save never leaves a half-written baseline.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::baseline::model::{Baseline, BASELINE_SCHEMA_VERSION};
use crate::figure::SuiteResult;

/// Baseline files larger than this are refused (a real one is well under
/// 1 MiB; this guards against reading a wrong, huge file into memory).
pub const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a baseline could not be named, read or written. Every message is one
/// line naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("no baseline at {path}; {hint}")]
    NotFound { path: String, hint: String },
    #[error("{path}: {msg}")]
    Parse { path: String, msg: String },
    #[error(
        "{path}: schema_version {found} was written by a newer cargo-ratecheck \
         (this one reads up to {supported}); upgrade cargo-ratecheck"
    )]
    TooNew {
        path: String,
        found: u64,
        supported: u32,
    },
    #[error(
        "{path}: {size} bytes is too large for a baseline (limit {limit} bytes); \
         is it the right file?"
    )]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
    #[error(
        "bad baseline name {name:?}: {reason}; use letters, digits, '.', '_' and '-' \
         (e.g. `default`, `release-1.2`)"
    )]
    BadName { name: String, reason: String },
}

/// Checks a baseline name against `[A-Za-z0-9._-]+`, not `.` or `..`.
pub fn validate_name(name: &str) -> Result<(), BaselineError> {
    let bad = |reason: &str| {
        Err(BaselineError::BadName {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name == "." || name == ".." {
        return bad("it is a directory name");
    }
    if name.len() > 200 {
        return bad("it is longer than 200 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return if c == '/' || c == '\\' {
            bad("it contains a path separator")
        } else {
            bad(&format!("it contains {c:?}"))
        };
    }
    Ok(())
}

/// `dir/<name>.json` for a valid `name` (a name already ending in `.json`
/// is used as is, so `default` and `default.json` are the same baseline).
pub fn baseline_path(dir: &Path, name: &str) -> Result<PathBuf, BaselineError> {
    validate_name(name)?;
    if name.ends_with(".json") && name != ".json" {
        Ok(dir.join(name))
    } else {
        Ok(dir.join(format!("{name}.json")))
    }
}

/// The `baseline save` command line that would create the baseline at `path`.
fn save_hint(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.strip_suffix(".json").unwrap_or(n))
        .unwrap_or("default");
    if name == "default" {
        "create one with `cargo ratecheck baseline save`".to_string()
    } else {
        format!("create one with `cargo ratecheck baseline save --name {name}`")
    }
}

/// Reads a file with the size limit; a missing file is `NotFound`.
fn read_limited(path: &Path) -> Result<Vec<u8>, BaselineError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| BaselineError::Io {
        path: shown.clone(),
        msg: format!("cannot read it: {e}"),
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BaselineError::NotFound {
                path: shown,
                hint: save_hint(path),
            })
        }
        Err(e) => return Err(io(e)),
    };
    if meta.is_dir() {
        return Err(BaselineError::Io {
            path: shown,
            msg: "is a directory, not a baseline file".to_string(),
        });
    }
    if meta.len() > MAX_BASELINE_BYTES {
        return Err(BaselineError::TooLarge {
            path: shown,
            size: meta.len(),
            limit: MAX_BASELINE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .map_err(io)?
        .take(MAX_BASELINE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BASELINE_BYTES {
        return Err(BaselineError::TooLarge {
            path: shown,
            size: bytes.len() as u64,
            limit: MAX_BASELINE_BYTES,
        });
    }
    Ok(bytes)
}

/// Reads and validates the baseline at `path`.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let bytes = read_limited(path)?;
    parse(&bytes, &path.display().to_string())
}

/// Enough of any of our JSON files to tell which one it is and its version.
#[derive(Deserialize)]
struct Sniffed {
    #[serde(default)]
    schema_version: Option<u64>,
    #[serde(default)]
    suite: Option<IgnoredAny>,
    #[serde(default)]
    current: Option<IgnoredAny>,
}

/// A serde_json error as text, saying whether the file is not JSON, cut
/// short, or JSON of the wrong shape (line and column included).
fn describe_json_error(e: &serde_json::Error, what: &str) -> String {
    use serde_json::error::Category;
    let how = match e.classify() {
        Category::Eof => "truncated JSON",
        Category::Syntax => "not valid JSON",
        Category::Data => "JSON of the wrong shape for",
        Category::Io => "unreadable",
    };
    let how = if matches!(e.classify(), Category::Data) {
        format!("{how} {what}")
    } else {
        how.to_string()
    };
    format!("{how} ({e}); fix it or re-create it with `cargo ratecheck baseline save`")
}

/// Sniffs the file: non-empty, JSON, and of a schema version we read.
fn sniff(bytes: &[u8], origin: &str, what: &str) -> Result<Sniffed, BaselineError> {
    if bytes.len() as u64 > MAX_BASELINE_BYTES {
        return Err(BaselineError::TooLarge {
            path: origin.to_string(),
            size: bytes.len() as u64,
            limit: MAX_BASELINE_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BaselineError::Parse {
            path: origin.to_string(),
            msg: "the file is empty; re-create it with `cargo ratecheck baseline save`".to_string(),
        });
    }
    // Syntax errors are reported by the full parse below, whose messages
    // name the expected type rather than this sniff.
    let Ok(p) = serde_json::from_slice::<Sniffed>(bytes) else {
        return Ok(Sniffed {
            schema_version: None,
            suite: None,
            current: None,
        });
    };
    match p.schema_version {
        Some(v) if v > u64::from(BASELINE_SCHEMA_VERSION) => Err(BaselineError::TooNew {
            path: origin.to_string(),
            found: v,
            supported: BASELINE_SCHEMA_VERSION,
        }),
        Some(0) => Err(BaselineError::Parse {
            path: origin.to_string(),
            msg: format!("schema_version 0 is not a valid {what}; re-create it with `cargo ratecheck baseline save`"),
        }),
        _ => Ok(p),
    }
}

/// Parses a baseline from bytes; `origin` names it in errors (a path, or
/// `REV:path` when read from git). Unknown fields are accepted.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Baseline, BaselineError> {
    sniff(bytes, origin, "a baseline")?;
    serde_json::from_slice::<Baseline>(bytes).map_err(|e| BaselineError::Parse {
        path: origin.to_string(),
        msg: describe_json_error(&e, "a baseline"),
    })
}

/// Reads `path` as either a baseline file or a `check --format json` output
/// and returns its suite (for `compare OLD NEW`).
pub fn load_report_or_baseline(path: &Path) -> Result<SuiteResult, BaselineError> {
    let bytes = read_limited(path)?;
    let origin = path.display().to_string();
    let p = sniff(&bytes, &origin, "result file")?;
    if p.suite.is_some() {
        return parse(&bytes, &origin).map(|b| b.suite);
    }
    if p.current.is_some() {
        // A check output: only its suite is read (`report::check::CheckOutput`
        // is the whole document).
        #[derive(serde::Deserialize)]
        struct CheckFile {
            current: SuiteResult,
        }
        return serde_json::from_slice::<CheckFile>(&bytes)
            .map(|c| c.current)
            .map_err(|e| BaselineError::Parse {
                path: origin,
                msg: describe_json_error(&e, "a check output"),
            });
    }
    // Not an object with either key: give the baseline parser's error when
    // it is not even JSON, else say what was expected.
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        return Err(BaselineError::Parse {
            path: origin,
            msg: describe_json_error(&e, "a result file"),
        });
    }
    Err(BaselineError::Parse {
        path: origin,
        msg: "neither a baseline (no `suite` key) nor a `cargo ratecheck check --format json` \
              output (no `current` key); pass one of those"
            .to_string(),
    })
}

/// Writes `baseline` to `path` atomically: pretty JSON into a temp file in
/// the same directory (created if missing), fsync, rename over `path`, fsync
/// the directory. On any failure the previous file at `path` is untouched
/// and the temp file is removed.
pub fn save_atomic(path: &Path, baseline: &Baseline) -> Result<(), BaselineError> {
    let mut json = serde_json::to_vec_pretty(baseline).map_err(|e| BaselineError::Io {
        path: path.display().to_string(),
        msg: format!("cannot encode the baseline: {e}"),
    })?;
    json.push(b'\n');
    write_atomic(path, &json)
}

/// [`save_atomic`] for raw bytes.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BaselineError> {
    use crate::atomic_write::{parent_dir, write_atomic, AtomicWriteError};
    let dir = parent_dir(path);
    let dir_err = |what: &str, e: std::io::Error| BaselineError::Io {
        path: dir.display().to_string(),
        msg: format!("{what}: {e}; check the directory exists and is writable"),
    };
    fs::create_dir_all(dir).map_err(|e| dir_err("cannot create the baseline directory", e))?;
    write_atomic(path, bytes).map_err(|e| match e {
        AtomicWriteError::NotAFile(_) => BaselineError::Io {
            path: path.display().to_string(),
            msg: "not a file path".to_string(),
        },
        AtomicWriteError::CreateTemp { source, .. } => {
            dir_err("cannot create a temporary file there", source)
        }
        AtomicWriteError::Write { source, .. } => BaselineError::Io {
            path: path.display().to_string(),
            msg: format!("cannot write the baseline: {source}; the previous file is unchanged"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::{Figure, FigureKind, MachineInfo, ScenarioKind, ScenarioResult};
    use crate::git::GitInfo;
    use std::collections::BTreeMap;

    fn sample() -> Baseline {
        let mut figures = BTreeMap::new();
        figures.insert(
            "efficiency".to_string(),
            Figure::from_trials(FigureKind::Efficiency, "", vec![0.99, 0.995, 0.999]),
        );
        Baseline {
            schema_version: BASELINE_SCHEMA_VERSION,
            tool_version: "0.1.0".into(),
            git: GitInfo {
                commit: Some("abc".into()),
                branch: Some("main".into()),
                dirty: false,
                commit_time: Some("2024-01-01T00:00:00Z".into()),
            },
            machine: MachineInfo {
                cpu_model: "cpu".into(),
                cores: 2,
                os: "linux".into(),
                rustc: "rustc 1".into(),
            },
            settings: serde_json::json!({"trials": 3}),
            suite: SuiteResult {
                quick: false,
                selftest_passed: true,
                scenarios: vec![ScenarioResult {
                    name: "steady-1k".into(),
                    kind: ScenarioKind::Load,
                    figures,
                    report: None,
                    warnings: vec![],
                    service_crash: None,
                    target: None,
                }],
                ..Default::default()
            },
        }
    }

    #[test]
    fn names_are_validated() {
        let dir = Path::new("baselines");
        assert_eq!(
            baseline_path(dir, "default").unwrap(),
            dir.join("default.json")
        );
        assert_eq!(
            baseline_path(dir, "release-1.2_x").unwrap(),
            dir.join("release-1.2_x.json")
        );
        assert_eq!(
            baseline_path(dir, "default.json").unwrap(),
            dir.join("default.json")
        );
        for bad in ["", ".", "..", "a/b", "../x", "a b", "a\\b", "é", "x\0"] {
            let e = baseline_path(dir, bad).unwrap_err();
            assert!(matches!(e, BaselineError::BadName { .. }), "{bad:?}");
        }
        let msg = baseline_path(dir, "../etc").unwrap_err().to_string();
        assert!(msg.contains("path separator"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn round_trip_and_atomic_save() {
        let tmp = tempfile::TempDir::new().unwrap();
        let path = tmp.path().join("sub").join("default.json");
        let b = sample();
        save_atomic(&path, &b).unwrap();
        assert_eq!(load(&path).unwrap(), b);
        let mut b2 = b.clone();
        b2.tool_version = "0.2.0".into();
        save_atomic(&path, &b2).unwrap();
        assert_eq!(load(&path).unwrap().tool_version, "0.2.0");
        // no temp files left behind
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("default.json")]);
    }

    #[test]
    fn missing_file_says_how_to_create() {
        let tmp = tempfile::TempDir::new().unwrap();
        let e = load(&tmp.path().join("default.json")).unwrap_err();
        assert!(matches!(e, BaselineError::NotFound { .. }));
        let msg = e.to_string();
        assert!(msg.contains("default.json"), "{msg}");
        assert!(msg.contains("cargo ratecheck baseline save`"), "{msg}");
        let e = load(&tmp.path().join("rel.json")).unwrap_err().to_string();
        assert!(e.contains("baseline save --name rel`"), "{e}");
    }

    fn parse_err(text: &str) -> String {
        let e = parse(text.as_bytes(), "baselines/x.json").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("baselines/x.json: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        msg
    }

    #[test]
    fn bad_contents_are_named() {
        assert!(parse_err("").contains("empty"));
        assert!(parse_err("  \n").contains("empty"));
        let m = parse_err("hello");
        assert!(m.contains("not valid JSON") && m.contains("line 1"), "{m}");
        let full = serde_json::to_string(&sample()).unwrap();
        let m = parse_err(&full[..full.len() / 2]);
        assert!(m.contains("truncated JSON"), "{m}");
        let m = parse_err("[1,2]");
        assert!(m.contains("wrong shape"), "{m}");
        let m = parse_err(r#"{"schema_version":1,"tool_version":"x"}"#);
        assert!(
            m.contains("wrong shape") && m.contains("missing field"),
            "{m}"
        );
        let m = parse_err(&full.replace("\"cores\":2", "\"cores\":\"two\""));
        assert!(m.contains("invalid type") && m.contains("column"), "{m}");
    }

    #[test]
    fn newer_schema_is_refused_with_upgrade_hint() {
        let full = serde_json::to_string(&sample())
            .unwrap()
            .replace("\"schema_version\":1", "\"schema_version\":7");
        let e = parse(full.as_bytes(), "b.json").unwrap_err();
        assert!(matches!(e, BaselineError::TooNew { found: 7, .. }));
        assert!(e.to_string().contains("upgrade"), "{e}");
        // even when the rest of the shape is unknown
        let e = parse(br#"{"schema_version":2,"other":true}"#, "b.json").unwrap_err();
        assert!(matches!(e, BaselineError::TooNew { .. }), "{e}");
    }

    #[test]
    fn extra_fields_are_accepted() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["future_field"] = serde_json::json!({"a": 1});
        v["machine"]["gpu"] = serde_json::json!("none");
        let b = parse(&serde_json::to_vec(&v).unwrap(), "b.json").unwrap();
        assert_eq!(b, sample());
    }

    #[test]
    fn huge_file_is_refused() {
        let big = vec![b' '; MAX_BASELINE_BYTES as usize + 1];
        let e = parse(&big, "big.json").unwrap_err();
        assert!(matches!(e, BaselineError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn directory_is_not_a_baseline() {
        let tmp = tempfile::TempDir::new().unwrap();
        let e = load(tmp.path()).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_dir_fails_and_keeps_previous() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::TempDir::new().unwrap();
        let path = tmp.path().join("default.json");
        save_atomic(&path, &sample()).unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o500)).unwrap();
        // root ignores permissions; only assert when the dir really is read-only
        let test_file = tmp.path().join("test-write");
        let writable = File::create(&test_file).is_ok();
        let mut b2 = sample();
        b2.tool_version = "9".into();
        let r = save_atomic(&path, &b2);
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o700)).unwrap();
        if !writable {
            let msg = r.unwrap_err().to_string();
            assert!(msg.contains("writable"), "{msg}");
            assert_eq!(load(&path).unwrap(), sample());
        }
    }

    #[test]
    fn dir_that_is_a_file_fails_clearly() {
        let tmp = tempfile::TempDir::new().unwrap();
        let file = tmp.path().join("baselines");
        fs::write(&file, b"not a dir").unwrap();
        let e = save_atomic(&file.join("default.json"), &sample()).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, BaselineError::Io { .. }));
        assert!(
            msg.contains("baselines") && msg.contains("writable"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn report_or_baseline() {
        let tmp = tempfile::TempDir::new().unwrap();
        let bpath = tmp.path().join("b.json");
        save_atomic(&bpath, &sample()).unwrap();
        assert_eq!(load_report_or_baseline(&bpath).unwrap(), sample().suite);

        // A check output as written before rows had a kind and a bound.
        let check = serde_json::json!({
            "schema_version": BASELINE_SCHEMA_VERSION,
            "passed": true,
            "judged": true,
            "current": sample().suite,
            "rows": [{"scenario": "s", "figure": "f", "unit": "", "baseline": null,
                "current": 1.0, "change": null, "limit": "", "verdict": "ok", "note": ""}],
            "warnings": [],
            "summary": "ok",
        });
        let cpath = tmp.path().join("c.json");
        fs::write(&cpath, serde_json::to_vec(&check).unwrap()).unwrap();
        assert_eq!(load_report_or_baseline(&cpath).unwrap(), sample().suite);

        let other = tmp.path().join("o.json");
        fs::write(&other, br#"{"target_rps": 5}"#).unwrap();
        let e = load_report_or_baseline(&other).unwrap_err().to_string();
        assert!(e.contains("neither a baseline"), "{e}");
        fs::write(&other, b"{oops").unwrap();
        let e = load_report_or_baseline(&other).unwrap_err().to_string();
        assert!(e.contains("not valid JSON"), "{e}");
    }
}

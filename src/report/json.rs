//! JSON output: the stable, versioned schema of [`RunReport`] (ARCHITECTURE.md,
//! "Contracts") and of the gate's [`CheckOutput`]. Both are the
//! types' own serde shape, pretty-printed; field order follows the struct
//! declarations and maps are `BTreeMap`s, so the same result always gives
//! the same bytes.
//!
//! Non-finite numbers (NaN, ±∞) are written as `null` by serde_json.

use serde::Serialize;

use crate::report::check::CheckOutput;
use ratecheck_engine::metrics::snapshot::RunReport;

pub(crate) fn pretty<T: Serialize>(value: &T) -> String {
    // serde_json only fails for maps with non-string keys or a failing custom
    // `Serialize`; these types have neither, so the fallback is unreachable in
    // practice but still yields valid JSON rather than a panic.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("could not serialize the report: {e}") }).to_string()
    });
    s.push('\n');
    s
}

/// One engine run as pretty JSON (ends with a newline).
pub fn run_json(report: &RunReport) -> String {
    pretty(report)
}

/// The gate's result as pretty JSON (ends with a newline).
pub fn check_json(check: &CheckOutput) -> String {
    pretty(check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::example::example_check;
    use serde_json::Value;

    /// Structural equality, numbers compared with a relative tolerance so
    /// that the check holds whatever float formatting the writer chooses.
    fn assert_same(a: &Value, b: &Value, path: &str) {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!(
                    (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                    "{path}: {x} != {y}"
                );
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{path}: array length");
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    assert_same(x, y, &format!("{path}[{i}]"));
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                assert_eq!(
                    x.keys().collect::<Vec<_>>(),
                    y.keys().collect::<Vec<_>>(),
                    "{path}: keys"
                );
                for (k, v) in x {
                    assert_same(v, &y[k], &format!("{path}.{k}"));
                }
            }
            _ => assert_eq!(a, b, "{path}"),
        }
    }

    #[test]
    fn run_json_round_trips_and_has_contract_keys() {
        let r = RunReport::example();
        let s = run_json(&r);
        assert!(s.ends_with("}\n"));
        let back: RunReport = serde_json::from_str(&s).unwrap();
        assert_same(
            &serde_json::to_value(&back).unwrap(),
            &serde_json::to_value(&r).unwrap(),
            "",
        );
        let v: Value = serde_json::from_str(&s).unwrap();
        for key in [
            "schema_version",
            "target_rps",
            "duration_s",
            "concurrency",
            "efficiency",
            "generation_efficiency",
            "min_window_efficiency",
            "requests",
            "phases",
            "latency_ms",
            "cpu",
            "memory",
            "warnings",
        ] {
            assert!(v.get(key).is_some(), "missing key {key}");
        }
        assert_eq!(v["latency_ms"]["response"]["p999"], 1.0);
        assert_eq!(v["requests"]["completed"], 9990);
    }

    #[test]
    fn run_json_is_stable() {
        // Written, read back and written again: the same text (no float
        // drifts, no map reordering).
        let r = RunReport::example();
        let s = run_json(&r);
        let back: RunReport = serde_json::from_str(&s).unwrap();
        assert_eq!(run_json(&back), s);
        // keys keep declaration order: schema_version first
        assert!(run_json(&r).starts_with("{\n  \"schema_version\": 1,"));
    }

    #[test]
    fn check_json_round_trips_with_kebab_verdicts() {
        let c = example_check();
        let s = check_json(&c);
        let back: CheckOutput = serde_json::from_str(&s).unwrap();
        assert_same(
            &serde_json::to_value(&back).unwrap(),
            &serde_json::to_value(&c).unwrap(),
            "",
        );
        assert!(s.contains("\"verdict\": \"below-floor\""));
        assert!(s.contains("\"verdict\": \"not-comparable\""));
        assert!(s.contains("\"verdict\": \"info\""));
        // each row: its kind, the typed limit under `bound`, and the limit as
        // the table shows it under `limit` (the key older readers know)
        let v: Value = serde_json::from_str(&s).unwrap();
        let eff = &v["rows"][1];
        assert_eq!(eff["figure"], "efficiency");
        assert_eq!(eff["kind"], "efficiency");
        assert_eq!(eff["limit"], "≥ 95.00%, drop ≤ 2.00 pts");
        assert_eq!(eff["bound"]["rule"], "floor-and-drop");
        assert_eq!(eff["bound"]["min"], 0.95);
        assert_eq!(v["rows"][0]["kind"], "self_test");
        assert_eq!(v["rows"][0]["limit"], "passed");
        // the note as text, the key every reader knows
        assert_eq!(v["rows"][3]["note"], "above baseline + 3000000 B");
        assert_eq!(v["rows"][0]["note"], "");
    }

    /// The keys of the check JSON; `judged` is always true, and
    /// the revision of a paired run has its own key (absent without one).
    #[test]
    fn check_json_keys_and_the_paired_revision() {
        let mut c = example_check();
        let v: Value = serde_json::from_str(&check_json(&c)).unwrap();
        let keys = |v: &Value| {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        let mut expected = [
            "schema_version",
            "passed",
            "judged",
            "baseline_path",
            "baseline_git",
            "head_git",
            "commits_between",
            "environment",
            "current",
            "rows",
            "warnings",
            "summary",
        ];
        expected.sort();
        assert_eq!(keys(&v), expected);
        assert_eq!(v["judged"], true);
        let mut expected = [
            "scenario", "figure", "unit", "kind", "baseline", "current", "change", "bound",
            "verdict", "note", "limit",
        ];
        expected.sort();
        assert_eq!(keys(&v["rows"][0]), expected);
        c.baseline_path = None;
        c.baseline_git = None;
        c.against = Some(crate::gate::Against {
            rev: "main".into(),
            commit: "0a1b2c".into(),
        });
        let v: Value = serde_json::from_str(&check_json(&c)).unwrap();
        assert_eq!(v["against"]["rev"], "main");
        assert_eq!(v["against"]["commit"], "0a1b2c");
        assert!(
            v["baseline_path"].is_null(),
            "no baseline file: {}",
            v["baseline_path"]
        );
    }
}

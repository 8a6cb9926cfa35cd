//! The baseline file format: plain, versioned data.
//!
//! A [`Baseline`] is what `cargo ratecheck baseline save` writes to
//! `baselines/<name>.json`: schema version, tool version, the git commit it
//! was measured at, the machine, the settings, and every figure of the suite
//! with every trial. (The JSON `check` prints is `report::check::CheckOutput`;
//! it shares this schema version.)
//!
//! Compatibility rule: fields may be added with `#[serde(default)]`, unknown
//! fields are ignored when reading (forward compatible); renaming or removing
//! a field needs a bump of [`BASELINE_SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

use crate::figure::{MachineInfo, SuiteResult};
/// Where in git a baseline was measured: git's own type, its JSON part
/// of the file format (`git`).
use crate::git::GitInfo;

/// Version of the baseline / check-output JSON schema.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// One baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    /// `CARGO_PKG_VERSION` of the cargo-ratecheck that wrote it.
    pub tool_version: String,
    pub git: GitInfo,
    pub machine: MachineInfo,
    /// Thresholds and suite as configured when the baseline was measured.
    #[serde(default)]
    pub settings: serde_json::Value,
    pub suite: SuiteResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_accepted() {
        let json = r#"{"schema_version":1,"tool_version":"0.1.0","future":1,
            "git":{"commit":null,"dirty":false,"x":2},
            "machine":{"cpu_model":"c","cores":2,"os":"linux","rustc":"r"},
            "suite":{"selftest_passed":true,"scenarios":[{"name":"s","kind":"load",
              "figures":{"efficiency":{"value":0.99,"kind":"efficiency"}}}]}}"#;
        let b: Baseline = serde_json::from_str(json).unwrap();
        assert_eq!(b.suite.scenarios[0].figures["efficiency"].value, 0.99);
        assert_eq!(b.settings, serde_json::Value::Null);
    }
}

//! `cargo xtask screenshot`: proves the HTML report renders offline. Runs
//! `cargo ratecheck run --rps 1000 --duration 5s --html …` (release build),
//! checks the file has inline SVG and no network references besides the
//! target URL, and takes a headless-Chromium screenshot into
//! `docs/report.png` (Debian's `chromium`: `apt-get install -y chromium`).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::proc::{self, cargo, find_on_path, run_inherited};

pub fn run() -> Result<()> {
    let root = proc::project_root();
    let html = root.join("target/ratecheck-report.html");
    run_inherited(
        cargo()
            .current_dir(&root)
            .args([
                "run",
                "--release",
                "--quiet",
                "--",
                "ratecheck",
                "run",
                "--rps",
                "1000",
                "--duration",
                "5s",
                "--quiet",
                "--format",
                "json",
                "--html",
            ])
            .arg(&html)
            .stdout(std::process::Stdio::null()),
    )
    .context("the report run failed")?;
    let text =
        std::fs::read_to_string(&html).with_context(|| format!("reading {}", html.display()))?;
    check_self_contained(&text)?;
    println!(
        "{}: self-contained, inline SVG gauge and chart",
        html.display()
    );

    let chromium = find_on_path("chromium")
        .or_else(|| find_on_path("chromium-browser"))
        .context("chromium not found: apt-get install -y chromium")?;
    let out = root.join("docs/report.png");
    std::fs::create_dir_all(root.join("docs"))?;
    let profile = root.join("target/chromium-profile");
    let status = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", out.display()))
        .arg(format!("file://{}", html.display()))
        .status()
        .context("starting chromium")?;
    if !status.success() || !Path::new(&out).exists() {
        bail!("chromium did not write {}", out.display());
    }
    println!("screenshot: {}", out.display());
    Ok(())
}

/// Inline SVG for the gauge and the chart; no `http(s)://` except the
/// target URL (loopback), shown as text.
pub fn check_self_contained(html: &str) -> Result<()> {
    if html.matches("<svg").count() < 2 {
        bail!("the report should hold at least two inline SVGs (gauge and chart)");
    }
    for scheme in ["http://", "https://"] {
        for (i, _) in html.match_indices(scheme) {
            let rest = &html[i + scheme.len()..];
            let loopback = ["127.0.0.1", "localhost", "[::1]"]
                .iter()
                .any(|h| rest.starts_with(h));
            if !loopback {
                let end = rest.find(['"', '<', ' ']).unwrap_or(rest.len()).min(60);
                bail!("the report references {scheme}{}", &rest[..end]);
            }
        }
    }
    for tag in ["<script src", "<link", "@import", "url("] {
        if html.contains(tag) {
            bail!("the report loads an external resource ({tag})");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_self_contained_reports_only() {
        let ok = "<svg></svg><svg></svg><p>http://127.0.0.1:8080/</p>";
        assert!(check_self_contained(ok).is_ok());
        assert!(check_self_contained("<svg></svg>").is_err());
        let bad = "<svg></svg><svg></svg><img src=\"https://example.com/x.png\">";
        assert!(check_self_contained(bad).is_err());
        let css = "<svg></svg><svg></svg><style>@import 'x.css';</style>";
        assert!(check_self_contained(css).is_err());
    }
}

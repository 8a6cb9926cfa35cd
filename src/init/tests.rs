//! Tests of the starter section, the workflows and the toolchain file that `init` writes.

use super::*;

fn parse(text: &str) -> toml::Table {
    text.parse().expect("valid TOML")
}

const PACKAGE: &str =
    "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n";

#[test]
fn a_lone_package_gets_the_package_table_a_workspace_the_workspace_one() {
    assert_eq!(Table::for_manifest(&parse(PACKAGE)), Table::Package);
    let ws = format!("{PACKAGE}\n[workspace]\nmembers = [\"api\"]\n");
    assert_eq!(Table::for_manifest(&parse(&ws)), Table::Workspace);
    assert_eq!(
        Table::for_manifest(&parse("[workspace]\nmembers = []\n")),
        Table::Workspace
    );
}

#[test]
fn the_starter_parses_and_is_found_again() {
    for table in [Table::Package, Table::Workspace] {
        let text = format!("{PACKAGE}{}", starter_section(table, &[]));
        let manifest = parse(&text);
        assert!(has_section(&manifest), "{text}");
        let section = match table {
            Table::Package => &manifest["package"]["metadata"]["ratecheck"],
            Table::Workspace => &manifest["workspace"]["metadata"]["ratecheck"],
        };
        assert_eq!(section["baseline"].as_str(), Some("default"));
        assert_eq!(section["trials"].as_integer(), Some(3));
        assert_eq!(
            section["thresholds"]["cpu-tolerance"].as_float(),
            Some(0.75)
        );
        // The service and scenario examples are comments only.
        assert!(section.get("service").is_none() && section.get("scenario").is_none());
    }
    assert!(!has_section(&parse(PACKAGE)));
}

#[test]
fn the_commented_service_and_scenario_are_a_valid_configuration() {
    let text = format!("{PACKAGE}{}", starter_section(Table::Package, &[]));
    let from = text.find("# [[").expect("the service example");
    let uncommented: String = text[..from]
        .lines()
        .chain(
            text[from..]
                .lines()
                .map(|l| l.strip_prefix("# ").unwrap_or(l)),
        )
        .map(|l| format!("{l}\n"))
        .collect();
    let cfg = crate::config::Config::from_manifest_toml("Cargo.toml", &uncommented)
        .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert_eq!(cfg.services.len(), 1);
    let scenario = &cfg.scenarios.as_ref().unwrap()[0];
    assert_eq!(scenario.load.traffic.requests.len(), 2);
    assert_eq!(scenario.load.traffic.check.status, Some(200));
}

#[test]
fn a_server_binary_is_gated_by_a_service_and_a_scenario_that_loads_it() {
    let servers = [
        ServerBin {
            package: "shop".into(),
            bin: "shop-api".into(),
        },
        ServerBin {
            package: "shop".into(),
            bin: "admin".into(),
        },
    ];
    for table in [Table::Package, Table::Workspace] {
        let text = format!("{PACKAGE}{}", starter_section(table, &servers));
        let cfg = crate::config::Config::from_manifest_toml("Cargo.toml", &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(cfg.services.len(), 1, "{text}");
        let svc = &cfg.services[0];
        assert_eq!(svc.name, "shop-api");
        assert_eq!(
            svc.command_for(8080).join(" "),
            "cargo run --release -p shop --bin shop-api -- --port 8080"
        );
        assert_eq!(svc.ready.path, "/");
        let scenarios = cfg.scenarios.as_ref().expect("a scenario");
        assert_eq!(scenarios.len(), 1);
        let s = &scenarios[0];
        assert_eq!(s.name, scenario_name("shop-api"));
        assert_eq!(s.name, "shop-api-get");
        assert_eq!(
            s.load.target,
            ratecheck_engine::load::TargetSpec::Service {
                name: "shop-api".into(),
                path: "/".into()
            }
        );
        assert_eq!((s.load.rps, s.load.concurrency, s.quick), (200.0, 10, true));
        // Not this tool's workspace: the engine's own steps stay off.
        assert!(!cfg.engine_steps());
        assert!(text.contains("Other binaries that look like HTTP servers: admin (shop)."));
    }
}

#[test]
fn a_binary_that_binds_a_listener_looks_like_a_server() {
    assert!(looks_like_server(
        "use std::net::TcpListener;\nfn main() { TcpListener::bind(\"127.0.0.1:0\"); }"
    ));
    assert!(looks_like_server(
        "let l = tokio::net::TcpListener::bind(a).await?;"
    ));
    assert!(!looks_like_server("fn main() { println!(\"hello\"); }"));
}

#[test]
fn what_to_run_next_tries_the_service_when_there_is_one() {
    let with = next_commands("Cargo.toml", Some("srv"), false);
    assert!(with[0].starts_with("cargo ratecheck --no-baseline ") && with[0].contains("srv-get"));
    assert!(with
        .iter()
        .any(|c| c.starts_with("cargo ratecheck --no-baseline --against HEAD~1")));
    let without = next_commands("Cargo.toml", None, true);
    assert_eq!(without.len(), 3);
    assert!(without[0].starts_with("cargo ratecheck baseline save"));
    assert!(without[1].starts_with("git add Cargo.toml rust-toolchain.toml .github"));
    assert!(with
        .iter()
        .any(|c| c.starts_with("git add Cargo.toml .github")));
}

#[test]
fn the_toolchain_file_pins_the_channel_and_the_workflows_install_it() {
    let text = toolchain_file("1.88.0");
    let parsed = parse(&text);
    assert_eq!(parsed["toolchain"]["channel"].as_str(), Some("1.88.0"));
    // The workflows that build (the comment's only posts a report).
    let [gate, _, _, refresh] = workflows();
    for (name, wf) in [gate, refresh] {
        assert!(wf.contains("run: rustup toolchain install\n"), "{name}");
        assert!(!wf.contains("@stable"), "{name}: not the runner's latest");
    }
}

#[test]
fn force_replaces_the_old_section_and_keeps_the_rest() {
    let old = format!(
        "{PACKAGE}serde = \"1\"\n{}\n[[package.metadata.ratecheck.scenario]]\nname = \"x\"\n\n[features]\nfast = []\n",
        starter_section(Table::Package, &[])
    );
    let stripped = strip_section(&old);
    let manifest = parse(&stripped);
    assert!(!has_section(&manifest), "{stripped}");
    assert_eq!(manifest["dependencies"]["serde"].as_str(), Some("1"));
    assert!(manifest["features"].get("fast").is_some(), "{stripped}");
    assert!(!stripped.contains(MARKER), "{stripped}");
    // Stripping then appending again gives one section.
    let again = format!("{stripped}{}", starter_section(Table::Package, &[]));
    assert_eq!(again.matches(MARKER).count(), 1);
    assert!(has_section(&parse(&again)));
    // A starter with a service and a scenario goes the same way.
    let server = [ServerBin {
        package: "shop".into(),
        bin: "api".into(),
    }];
    let old = format!("{PACKAGE}{}", starter_section(Table::Package, &server));
    let stripped = strip_section(&old);
    assert!(!has_section(&parse(&stripped)), "{stripped}");
    assert!(
        !stripped.contains("looks like an HTTP server"),
        "{stripped}"
    );
}

#[test]
fn the_workflows_install_the_tool_and_run_the_gate() {
    let [pr, _, _, refresh] = workflows();
    for (name, text) in [pr, refresh] {
        assert!(name.ends_with(".yml"));
        assert!(
            text.contains("cargo install --locked cargo-ratecheck"),
            "{name}"
        );
        assert!(text.contains("valgrind"), "{name}");
    }
    assert!(pr.1.contains(
        "cargo ratecheck --no-baseline --against \"origin/${BASE_REF}\"\n          --require-judged cpu,memory,latency\n"
    ));
    assert!(refresh.1.contains("cargo ratecheck baseline save"));
}

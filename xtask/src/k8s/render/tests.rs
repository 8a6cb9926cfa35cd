use super::*;

const T0: &str = "2026-12-06T12:00:00Z";
const LEAD: Duration = Duration::from_secs(60);

fn settings(shards: usize) -> Settings {
    Settings {
        shards,
        name: "load-test".into(),
        image: "registry.example/cargo-ratecheck:0.1.0".into(),
        rps: "3000".into(),
        duration: "5s".into(),
        ramp_up: "1s".into(),
        url: "https://staging.example.com/health".into(),
        ..Settings::default()
    }
}

/// The value of the first line `key: value` (indentation ignored).
fn field<'a>(yaml: &'a str, key: &str) -> Vec<&'a str> {
    yaml.lines()
        .filter_map(|l| l.trim_start().strip_prefix(&format!("{key}: ")))
        .collect()
}

#[test]
fn an_indexed_job_of_n_shards_with_no_retry_and_every_key_filled() {
    for n in [1, 3, 64] {
        let y = render(&settings(n), T0, LEAD).unwrap();
        assert!(!y.contains("{{"), "a key left: {y}");
        assert_eq!(field(&y, "completionMode"), ["Indexed"]);
        assert_eq!(field(&y, "completions"), [n.to_string()]);
        assert_eq!(field(&y, "parallelism"), [n.to_string()]);
        assert_eq!(field(&y, "backoffLimit"), ["0"]);
        assert_eq!(field(&y, "restartPolicy"), ["Never"]);
        assert_eq!(field(&y, "SHARDS"), [format!("\"{n}\"")]);
        assert_eq!(field(&y, "START_AT"), [format!("\"{T0}\"")]);
        assert_eq!(field(&y, "kind"), ["ConfigMap", "Job"]);
        assert_eq!(y.matches("\n---\n").count(), 1, "two documents");
    }
}

#[test]
fn the_settings_reach_the_config_map_and_the_pods() {
    let y = render(&settings(3), T0, LEAD).unwrap();
    assert_eq!(field(&y, "RPS"), ["\"3000\""]);
    assert_eq!(field(&y, "DURATION"), ["\"5s\""]);
    assert_eq!(field(&y, "RAMP_UP"), ["\"1s\""]);
    assert_eq!(field(&y, "URL"), ["\"https://staging.example.com/health\""]);
    assert_eq!(
        field(&y, "image"),
        ["\"registry.example/cargo-ratecheck:0.1.0\""]
    );
    // the Job, the ConfigMap and the anti-affinity all name the run
    assert_eq!(
        field(&y, "name")
            .iter()
            .filter(|v| **v == "load-test")
            .count(),
        3
    );
    assert_eq!(field(&y, "ratecheck/run"), ["load-test"; 4]);
    assert!(y.contains("--shard \"auto/${SHARDS}\" --start-at \"${START_AT}\""));
    assert!(y.contains("requests: {cpu: \"2\", memory: \"512Mi\"}"));
    assert!(y.contains("runAsNonRoot: true"));
    assert!(y.contains("topologyKey: kubernetes.io/hostname"));
    // 60 s lead + 1 s ramp + 5 s + 180 s margin
    assert_eq!(field(&y, "activeDeadlineSeconds"), ["246"]);
}

/// A change that spoils a setting.
type Spoil = fn(&mut Settings);

#[test]
fn bad_settings_are_refused_naming_the_option() {
    let cases: [(&str, Spoil); 13] = [
        ("--name", |s| s.name = "Load_Test".into()),
        ("--name", |s| s.name = "-x".into()),
        ("--shards", |s| s.shards = 0),
        ("--shards", |s| s.shards = 65),
        ("--image", |s| s.image = "a\" b".into()),
        ("--rps", |s| s.rps = "0".into()),
        ("--duration", |s| s.duration = "5".into()),
        ("--url", |s| s.url = String::new()),
        ("--url", |s| s.url = "ftp://staging.example/".into()),
        ("--url", |s| s.url = "https:///health".into()),
        ("--url", |s| s.url = "http://a b/".into()),
        ("--cpu", |s| s.cpu = "two".into()),
        ("--memory", |s| s.memory = "512XB".into()),
    ];
    for (flag, spoil) in cases {
        let mut s = settings(2);
        spoil(&mut s);
        let e = render(&s, T0, LEAD).unwrap_err().to_string();
        assert!(e.starts_with(flag), "{flag}: {e}");
    }
    let e = render(&settings(2), "noon", LEAD).unwrap_err().to_string();
    assert!(e.contains("RFC 3339"), "{e}");
}

#[test]
fn durations_as_the_command_line_writes_them() {
    assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(duration("1.5s").unwrap(), Duration::from_millis(1500));
    assert_eq!(duration("2m").unwrap(), Duration::from_secs(120));
    assert_eq!(duration("250us").unwrap(), Duration::from_micros(250));
    for bad in ["", "5", "s", "-1s", "1 s", "1d"] {
        assert!(duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_shards_json_is_read_back_from_its_log_between_its_markers() {
    let (b1, e1) = markers(1);
    let log = format!("report line\n{b1}\n{{\n  \"a\": 1\n}}\n{e1}\nafter\n");
    assert_eq!(part_from_log(&log, 1).unwrap(), "{\n  \"a\": 1\n}\n");
    // another shard's markers are not this one's
    let e = part_from_log(&log, 0).unwrap_err().to_string();
    assert!(e.starts_with("shard 0: its log has no"), "{e}");
    let cut = format!("{b1}\n{{\n  \"a\"");
    assert!(part_from_log(&cut, 1)
        .unwrap_err()
        .to_string()
        .contains("truncated"));
    let empty = format!("{b1}\n{e1}\n");
    assert!(part_from_log(&empty, 1)
        .unwrap_err()
        .to_string()
        .contains("no JSON"));
}

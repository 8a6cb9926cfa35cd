//! The merged report of a schedule's shards in text, Markdown and JSON (its
//! HTML is in `html`): the run's renderers for the merged figures, then one
//! row per shard.

use ratecheck_engine::merge::Merged;

use super::{json, markdown, model, text};

/// Text for the terminal.
pub fn render_merge(m: &Merged, color: bool) -> String {
    format!(
        "{}\nShards\n{}\n",
        text::render_run(&m.report, color),
        text::model_table(&model::shards(m), color)
    )
}

/// GitHub-flavoured Markdown.
pub fn render_merge_md(m: &Merged) -> String {
    format!(
        "{}\n### Shards\n\n{}",
        markdown::render_run_md(&m.report),
        markdown::model_table(&model::shards(m))
    )
}

/// Pretty JSON: the merged run's report, with `schedule`, `parts` and
/// `missing` beside its keys.
pub fn merge_json(m: &Merged) -> String {
    json::pretty(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratecheck_engine::merge::PartSummary;
    use ratecheck_engine::metrics::part::ScheduleId;
    use ratecheck_engine::metrics::snapshot::RunReport;

    fn merged() -> Merged {
        Merged {
            report: RunReport::example(),
            schedule: ScheduleId {
                rps: 1000.0,
                ramp_up_s: 0.0,
                steady_s: 10.0,
                ramp_down_s: 0.0,
                t0_unix_ns: 0,
                shards: 3,
                target: "http://127.0.0.1:8080/".into(),
            },
            parts: vec![PartSummary {
                name: "part-0.json".into(),
                index: 0,
                efficiency: 0.999,
                expected: 3334,
                completed: 3331,
                start_offset_ms: 1.5,
                schedule_lag_p99_ms: 0.2,
            }],
            missing: vec![1, 2],
        }
    }

    #[test]
    fn every_format_shows_each_shard() {
        let m = merged();
        for out in [
            render_merge(&m, false),
            render_merge_md(&m),
            crate::report::html::render_merge_html(&m),
        ] {
            assert!(out.contains("part-0.json"), "{out}");
            assert!(out.contains("0/3") && out.contains("2/3"), "{out}");
            assert!(out.contains("(missing)"), "{out}");
            assert!(out.ends_with('\n'));
        }
        let v: serde_json::Value = serde_json::from_str(&merge_json(&m)).unwrap();
        assert_eq!(v["parts"][0]["start_offset_ms"], 1.5);
        assert_eq!(v["requests"]["expected"], 10000);
        assert_eq!(v["missing"], serde_json::json!([1, 2]));
    }
}

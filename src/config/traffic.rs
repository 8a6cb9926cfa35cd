//! Validation of a scenario's `requests` (a weighted mix) and `check` (what
//! a response must be): every key by name, every error one line naming it
//! (`scenario "api".requests[1].path`). Methods, paths and headers are
//! checked by the engine's own parser, so a value accepted here builds.

use std::path::PathBuf;

use serde_json::Value;

use super::keys::{describe, get_count, get_str, Keys};
use super::{invalid, ConfigError};
use ratecheck_engine::load::traffic::{Body, CheckSpec, RequestSpec, MAX_REQUESTS, MAX_WEIGHT};
use ratecheck_engine::target::{RequestTemplate, TargetError};

/// The keys of one entry of `requests`.
const REQUEST_KEYS: &[&str] = &["method", "path", "headers", "body", "body-file", "weight"];
/// The keys of `check`.
const CHECK_KEYS: &[&str] = &["status", "body-contains"];

/// `requests = [{ method, path, headers, body | body-file, weight }, …]`.
pub(super) fn parse_requests(key: &str, v: &Value) -> Result<Vec<RequestSpec>, ConfigError> {
    let items = match v {
        Value::Array(items) if !items.is_empty() => items,
        _ => {
            return Err(invalid(
                key,
                format!(
                    "must be a non-empty array of tables like [{{ path = \"/api/items\", weight = 3 }}], got {}",
                    describe(v)
                ),
            ))
        }
    };
    if items.len() > MAX_REQUESTS {
        return Err(invalid(
            key,
            format!("has {} entries; at most {MAX_REQUESTS}", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_request(&format!("{key}[{i}]"), item))
        .collect()
}

fn parse_request(at: &str, v: &Value) -> Result<RequestSpec, ConfigError> {
    let raw = Keys::of(at, v, REQUEST_KEYS)?;
    let key = |k: &str| format!("{at}.{k}");
    let text = |k: &str| raw.get(k).map(|v| get_str(&key(k), v)).transpose();
    let method = text("method")?.unwrap_or("GET").to_string();
    let path = text("path")?.map(str::to_string);
    // "/" always parses: without a path, only the method can be wrong.
    let mut template =
        RequestTemplate::new(&method, path.as_deref().unwrap_or("/")).map_err(|e| match e {
            TargetError::BadMethod(_) => {
                invalid(key("method"), format!("{method:?} is not an HTTP method"))
            }
            e => invalid(key("path"), e.to_string()),
        })?;
    let mut headers = Vec::new();
    if let Some(h) = raw.get("headers") {
        let Value::Object(map) = h else {
            return Err(invalid(
                key("headers"),
                format!(
                    "must be a table like {{ \"Content-Type\" = \"application/json\" }}, got {}",
                    describe(h)
                ),
            ));
        };
        for (name, value) in map {
            let at = format!("{}.{name}", key("headers"));
            let line = format!("{name}: {}", get_str(&at, value)?);
            template = template
                .with_header(&line)
                .map_err(|_| invalid(&at, "is not a valid header name and value"))?;
            headers.push(line);
        }
    }
    let body = match (text("body")?, text("body-file")?) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                key("body-file"),
                "give `body` or `body-file`, not both",
            ))
        }
        (Some(b), None) => Body::Text(b.to_string()),
        (None, Some("")) => return Err(invalid(key("body-file"), "must not be empty")),
        (None, Some(f)) => Body::File(PathBuf::from(f)),
        (None, None) => Body::Empty,
    };
    let weight = match raw.get("weight") {
        None => 1,
        Some(v) => get_count(&key("weight"), v, 1, MAX_WEIGHT as u64)? as u32,
    };
    Ok(RequestSpec {
        method,
        path,
        headers,
        body,
        weight,
    })
}

/// `check = { status = 200, body-contains = "..." }`.
pub(super) fn parse_check(key: &str, v: &Value) -> Result<CheckSpec, ConfigError> {
    let raw = Keys::of(key, v, CHECK_KEYS)?;
    let at = |k: &str| format!("{key}.{k}");
    let status = match raw.get("status") {
        None => None,
        Some(v) => Some(get_count(&at("status"), v, 100, 399)? as u16),
    };
    let body_contains = match raw.get("body-contains") {
        None => None,
        Some(v) => match get_str(&at("body-contains"), v)? {
            "" => return Err(invalid(at("body-contains"), "must not be empty")),
            s => Some(s.to_string()),
        },
    };
    if status.is_none() && body_contains.is_none() {
        return Err(invalid(
            key,
            "is empty; give `status`, `body-contains` or both",
        ));
    }
    Ok(CheckSpec {
        status,
        body_contains,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(r: Result<impl std::fmt::Debug, ConfigError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn a_mix_with_every_key() {
        let v = json!([
            { "path": "/items?page=2", "weight": 3 },
            { "method": "POST", "path": "/items", "headers": { "Content-Type": "application/json" },
              "body": "{}" },
            { "body-file": "req.json" },
        ]);
        let r = parse_requests("requests", &v).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].method.as_str(), r[0].weight), ("GET", 3));
        assert_eq!(r[0].path.as_deref(), Some("/items?page=2"));
        assert_eq!(r[1].headers, ["Content-Type: application/json"]);
        assert_eq!(r[1].body, Body::Text("{}".into()));
        assert_eq!(r[2].body, Body::File("req.json".into()));
        assert_eq!(r[2].path, None);
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            (json!([]), "requests: must be a non-empty array"),
            (
                json!([{ "path": "items" }]),
                "requests[0].path: \"items\" is not a request path",
            ),
            (
                json!([{ "method": "NO GOOD" }]),
                "requests[0].method: \"NO GOOD\" is not an HTTP method",
            ),
            (
                json!([{ "weight": 0 }]),
                "requests[0].weight: must be from 1 to 1000",
            ),
            (
                json!([{}, { "weight": 1.5 }]),
                "requests[1].weight: must be a whole number",
            ),
            (
                json!([{ "headers": { "X": 1 } }]),
                "requests[0].headers.X: must be a string",
            ),
            (
                json!([{ "headers": { "Bad Name": "v" } }]),
                "requests[0].headers.Bad Name: is not a valid header",
            ),
            (
                json!([{ "body": "a", "body-file": "b" }]),
                "requests[0].body-file: give `body` or `body-file`",
            ),
            (json!([{ "paht": "/" }]), "requests[0].paht: unknown key"),
        ];
        for (v, want) in cases {
            let e = err(parse_requests("requests", &v));
            assert!(e.starts_with(want), "{e}\nwanted: {want}");
        }
        let many = Value::Array(vec![json!({}); MAX_REQUESTS + 1]);
        assert!(err(parse_requests("requests", &many)).contains("at most 100"));
    }

    #[test]
    fn checks() {
        let c = parse_check("check", &json!({ "status": 201, "body-contains": "ok" })).unwrap();
        assert_eq!(
            (c.status, c.body_contains.as_deref()),
            (Some(201), Some("ok"))
        );
        let cases = [
            (json!({}), "check: is empty"),
            (
                json!({ "status": 500 }),
                "check.status: must be from 100 to 399",
            ),
            (
                json!({ "body-contains": "" }),
                "check.body-contains: must not be empty",
            ),
            (json!({ "body": "x" }), "check.body: unknown key"),
            (json!("200"), "check: must be a table"),
        ];
        for (v, want) in cases {
            let e = err(parse_check("check", &v));
            assert!(e.starts_with(want), "{e}\nwanted: {want}");
        }
    }
}

//! Callgrind's output format (valgrind's `docs/callgrind-format`), read into
//! what the instruction bench needs: the program's total, each function's
//! self cost, each source line's self cost and, with `--dump-instr=yes`,
//! each instruction address's. Pure.
//!
//! Per-line costs are what find code that was inlined: its instructions
//! are counted in the function it was inlined into, but at the lines where
//! it is written (`fi=`/`fe=` switch the file inside a function); the
//! addresses let `inlined` move a library's inlined line to the workspace
//! line that called it.

use std::collections::BTreeMap;

/// A source line: the file as callgrind names it (usually absolute) and
/// the line number.
pub type SourceLine = (String, u32);

/// One callgrind output, reduced to what the bench needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Callgrind {
    /// Instructions executed by the whole program (`summary:`/`totals:`).
    pub total: u64,
    /// Self cost (instructions executed in the function itself) by
    /// demangled function name.
    pub functions: BTreeMap<String, u64>,
    /// Self cost by source line, wherever the line's code was inlined to.
    /// Empty when the output has no line positions.
    pub lines: BTreeMap<SourceLine, u64>,
    /// Self cost by instruction address within its object (`ob=`), with
    /// the source line the cost was counted at, when the output has
    /// addresses (`--dump-instr=yes`).
    pub addresses: BTreeMap<(String, u64), (SourceLine, u64)>,
}

impl Callgrind {
    /// Writes its source paths as [`source_path`] does, for the workspace
    /// at `root` (costs of paths that become equal are added).
    pub fn relative_to(&mut self, root: &std::path::Path) {
        let lines = std::mem::take(&mut self.lines);
        for ((file, line), cost) in lines {
            *self
                .lines
                .entry((source_path(&file, root), line))
                .or_default() += cost;
        }
    }

    /// Moves the cost of each address of `object` from the line it was
    /// counted at to the line `line_of` gives for the address (e.g. the
    /// line of the workspace's code that an inlined library function was
    /// called from); an address it gives no line for stays where it is.
    pub fn charge_inlined(
        &mut self,
        object: &str,
        mut line_of: impl FnMut(u64) -> Option<SourceLine>,
    ) {
        let of_object = (object.to_string(), 0)..=(object.to_string(), u64::MAX);
        for ((_, address), (counted, cost)) in self.addresses.range(of_object) {
            let Some(to) = line_of(*address).filter(|to| to != counted) else {
                continue;
            };
            if let Some(c) = self.lines.get_mut(counted) {
                *c = c.saturating_sub(*cost);
            }
            *self.lines.entry(to).or_default() += cost;
        }
        self.lines.retain(|_, c| *c > 0);
    }

    /// The objects (`ob=`) that have addresses.
    pub fn objects(&self) -> std::collections::BTreeSet<&str> {
        self.addresses.keys().map(|(o, _)| o.as_str()).collect()
    }
}

/// A source path as a reader finds it again on any machine: relative to
/// the workspace `root` the binary was built from
/// (`crates/ratecheck-engine/src/server.rs`), a crate from a registry by
/// its name and version (`hyper-1.7.0/src/proto/h1/dispatch.rs`), the
/// standard library under `rustc/` without the compiler's commit; any other
/// path as it is.
pub fn source_path(path: &str, root: &std::path::Path) -> String {
    let root = root.to_string_lossy();
    let root = root.trim_end_matches('/');
    if let Some(rest) = path
        .strip_prefix(root)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|_| !root.is_empty())
    {
        return rest.to_string();
    }
    // `…/registry/src/<index>/<crate>-<version>/…`
    if let Some((_, after)) = path.split_once("/registry/src/") {
        if let Some((_, rest)) = after.split_once('/') {
            return rest.to_string();
        }
    }
    // `/rustc/<commit>/library/…`
    if let Some((_, rest)) = path.strip_prefix("/rustc/").and_then(|r| r.split_once('/')) {
        return format!("rustc/{rest}");
    }
    path.to_string()
}

/// Compressed names (`fn=(12) name`, later `fn=(12)`) of one kind: files
/// (`fl=`, `fi=`, `fe=`, `cfi=`, `cfl=`, `jfi=` share them) or functions
/// (`fn=`, `cfn=`, `jfn=`).
#[derive(Default)]
struct Names(BTreeMap<String, String>);

impl Names {
    /// The name `spec` gives, recording a definition `(id) name`.
    fn resolve(&mut self, spec: &str) -> String {
        let spec = spec.trim();
        match spec.strip_prefix('(').and_then(|r| r.split_once(')')) {
            Some((id, rest)) => {
                let rest = rest.trim();
                if rest.is_empty() {
                    self.0.get(id).cloned().unwrap_or_else(|| format!("({id})"))
                } else {
                    self.0.insert(id.to_string(), rest.to_string());
                    rest.to_string()
                }
            }
            None => spec.to_string(),
        }
    }
}

/// The reader's state between lines.
#[derive(Default)]
struct Reader {
    files: Names,
    fns: Names,
    objects: Names,
    /// The object (`ob=`) of the next cost lines.
    object: String,
    /// Which position column is the instruction address, if any.
    instr_column: Option<usize>,
    /// Number of position columns (`positions:`; `line` alone by default).
    positions: usize,
    /// Which position column is the line number, if any.
    line_column: Option<usize>,
    /// The last position written by a cost line, per column: the base of
    /// subposition compression (`+N`, `-N`, `*`).
    last: Vec<i64>,
    function: Option<String>,
    /// The file of the next cost lines: `fl=`, or inside a function the
    /// inlined file of `fi=`/`fe=`. It stays across `fn=` lines, as the
    /// writer leaves it (`fl=` is written only when the file changes).
    file: String,
    /// The next cost line is a call's inclusive cost (after `calls=`).
    call_cost: bool,
    out: Callgrind,
    total: Option<u64>,
}

/// Parses callgrind's output: name compression for files and functions,
/// cost lines of `positions: …` (with subposition compression) then the
/// first event (`Ir`), and the inclusive cost line that follows each
/// `calls=` line, which belongs to the callee: it is left out of the
/// caller's self cost and, as the writer does, does not move the base of
/// later relative positions.
pub fn parse_callgrind(text: &str) -> Result<Callgrind, String> {
    let mut r = Reader {
        positions: 1,
        line_column: Some(0),
        last: vec![0],
        ..Reader::default()
    };
    for line in text.lines() {
        match line.as_bytes().first() {
            Some(b'0'..=b'9' | b'+' | b'-' | b'*') => r.cost_line(line)?,
            _ => r.spec_line(line)?,
        }
    }
    r.out.total = r
        .total
        .ok_or("no summary or totals line: not a callgrind output")?;
    Ok(r.out)
}

impl Reader {
    /// A line that is not a cost line: a header, a name, a call.
    fn spec_line(&mut self, line: &str) -> Result<(), String> {
        if let Some(spec) = line.strip_prefix("fn=") {
            self.function = Some(self.fns.resolve(spec));
        } else if let Some(spec) = line.strip_prefix("ob=") {
            self.object = self.objects.resolve(spec);
        } else if let Some(spec) = line.strip_prefix("cob=") {
            self.objects.resolve(spec);
        } else if let Some(spec) = ["fl=", "fi=", "fe="]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        {
            self.file = self.files.resolve(spec);
        } else if let Some(spec) = ["cfi=", "cfl=", "jfi="]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        {
            self.files.resolve(spec); // may define a name used later
        } else if let Some(spec) = ["cfn=", "jfn="].iter().find_map(|p| line.strip_prefix(p)) {
            self.fns.resolve(spec);
        } else if line.starts_with("calls=") {
            self.call_cost = true;
        } else if let Some(p) = line.strip_prefix("positions:") {
            let names: Vec<&str> = p.split_ascii_whitespace().collect();
            self.positions = names.len().max(1);
            self.line_column = names.iter().position(|n| *n == "line");
            self.instr_column = names.iter().position(|n| *n == "instr");
            self.last = vec![0; self.positions];
        } else if let Some(t) = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))
        {
            let t = t.split_ascii_whitespace().next().unwrap_or("");
            self.total = Some(t.parse().map_err(|e| format!("bad total {t:?}: {e}"))?);
        }
        Ok(())
    }

    /// A cost line: positions, then the costs (the first is `Ir`).
    fn cost_line(&mut self, line: &str) -> Result<(), String> {
        let bad = |e: String| format!("bad cost line {line:?}: {e}");
        let mut words = line.split_ascii_whitespace();
        let mut at = Vec::with_capacity(self.positions);
        for last in &self.last {
            let word = words.next().ok_or_else(|| bad("no position".into()))?;
            at.push(position(word, *last).map_err(bad)?);
        }
        let cost = words
            .next()
            .map(|c| c.parse::<u64>())
            .transpose()
            .map_err(|e| bad(e.to_string()))?
            .unwrap_or(0);
        if std::mem::take(&mut self.call_cost) {
            return Ok(());
        }
        self.last = at;
        if let Some(f) = &self.function {
            *self.out.functions.entry(f.clone()).or_default() += cost;
        }
        let line_no = self.line_column.map(|c| self.last[c]).unwrap_or(0);
        let Ok(n @ 1..) = u32::try_from(line_no) else {
            return Ok(());
        };
        let at = (self.file.clone(), n);
        *self.out.lines.entry(at.clone()).or_default() += cost;
        if let Some(address) = self
            .instr_column
            .and_then(|c| u64::try_from(self.last[c]).ok())
        {
            let key = (self.object.clone(), address);
            self.out.addresses.entry(key).or_insert((at, 0)).1 += cost;
        }
        Ok(())
    }
}

/// One position word: absolute (decimal or `0x` hex), or relative to
/// `last` (`+N`, `-N`, `*` for the same).
fn position(word: &str, last: i64) -> Result<i64, String> {
    let num = |s: &str| -> Result<i64, String> {
        match s.strip_prefix("0x") {
            Some(hex) => i64::from_str_radix(hex, 16),
            None => s.parse(),
        }
        .map_err(|e| format!("position {word:?}: {e}"))
    };
    if word == "*" {
        Ok(last)
    } else if let Some(n) = word.strip_prefix('+') {
        Ok(last + num(n)?)
    } else if let Some(n) = word.strip_prefix('-') {
        Ok(last - num(n)?)
    } else {
        num(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# callgrind format
version: 1
positions: line
events: Ir
summary: 1000

ob=(1) /bin/x
fl=(1) src/a.rs
fn=(1) main
10 5
+1 7
cfl=(1)
cfn=(2) work
calls=3 20
11 900
fn=(2)
20 880
fi=(2) src/b.rs
21 8
fe=(1)
fn=(3) alloc
* 100
";

    #[test]
    fn self_costs_leave_out_calls_and_follow_compressed_names() {
        let c = parse_callgrind(SAMPLE).unwrap();
        assert_eq!(c.total, 1000);
        assert_eq!(c.functions["main"], 12, "the 900 of the call is work's");
        assert_eq!(c.functions["work"], 888, "named by cfn=, then fn=(2)");
        assert_eq!(c.functions["alloc"], 100);
    }

    fn line(c: &Callgrind, file: &str, n: u32) -> Option<u64> {
        c.lines.get(&(file.to_string(), n)).copied()
    }

    #[test]
    fn line_costs_follow_inlined_files_and_relative_positions() {
        let c = parse_callgrind(SAMPLE).unwrap();
        assert_eq!(line(&c, "src/a.rs", 10), Some(5));
        assert_eq!(line(&c, "src/a.rs", 11), Some(7), "+1 from 10");
        assert_eq!(line(&c, "src/a.rs", 20), Some(880));
        assert_eq!(line(&c, "src/b.rs", 21), Some(8), "fi= switches the file");
        assert_eq!(line(&c, "src/a.rs", 21), Some(100), "fe= back, * is 21");
        let total: u64 = c.lines.values().sum();
        assert_eq!(total, 5 + 7 + 880 + 8 + 100, "no call's inclusive cost");
    }

    #[test]
    fn a_calls_cost_line_does_not_move_the_base_of_relative_positions() {
        // The call is at line 40 (+10 from 30); the next line's `+1` is
        // relative to 30, the last cost line the writer recorded.
        let text =
            "events: Ir\nfl=f.rs\nfn=f\n30 1\ncfn=g\ncalls=1 5\n+10 500\n+1 2\n-2 3\nsummary: 6\n";
        let c = parse_callgrind(text).unwrap();
        assert_eq!(line(&c, "f.rs", 31), Some(2));
        assert_eq!(line(&c, "f.rs", 29), Some(3), "-2 from 31");
        assert_eq!(
            line(&c, "f.rs", 40),
            None,
            "the call's line has no self cost"
        );
        assert_eq!(c.functions["f"], 6);
    }

    #[test]
    fn the_file_stays_across_functions_until_fl_or_fi_changes_it() {
        let text = "events: Ir\nfl=(1) a.rs\nfn=(1) f\n1 1\nfi=(2) b.rs\n5 2\nfn=(2) g\n+1 4\nfl=(1)\nfn=(1)\n2 8\ntotals: 15\n";
        let c = parse_callgrind(text).unwrap();
        assert_eq!(
            line(&c, "b.rs", 6),
            Some(4),
            "g is in b.rs: no fl= was needed"
        );
        assert_eq!(line(&c, "a.rs", 2), Some(8), "fl=(1) refers back to a.rs");
        assert_eq!(c.functions["f"], 11);
        assert_eq!(c.functions["g"], 4);
    }

    #[test]
    fn two_position_columns_and_totals() {
        let text = "positions: instr line\nevents: Ir Dr\nfl=a.rs\nfn=f\n0x10 3 40 1\n+4 +2 2\ntotals: 42\n";
        let c = parse_callgrind(text).unwrap();
        assert_eq!(c.functions["f"], 42);
        assert_eq!(c.total, 42);
        assert_eq!(line(&c, "a.rs", 3), Some(40));
        assert_eq!(line(&c, "a.rs", 5), Some(2), "the line column, relative");
        let text = "positions: instr\nevents: Ir\nfn=f\n0x10 40\ntotals: 40\n";
        assert!(parse_callgrind(text).unwrap().lines.is_empty(), "no lines");
    }

    #[test]
    fn source_paths_are_relative_to_the_workspace_or_the_registry() {
        let root = std::path::Path::new("/work/ws/");
        let p = |s: &str| source_path(s, root);
        assert_eq!(
            p("/work/ws/crates/e/src/server.rs"),
            "crates/e/src/server.rs"
        );
        assert_eq!(
            p("/work/wsx/src/a.rs"),
            "/work/wsx/src/a.rs",
            "not under root"
        );
        assert_eq!(
            p("/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hyper-1.7.0/src/lib.rs"),
            "hyper-1.7.0/src/lib.rs"
        );
        assert_eq!(
            p("/rustc/17067e9ac6d7e98f18d4d8a4e8d2e9a3c5b1b2a1/library/core/src/ptr/mod.rs"),
            "rustc/library/core/src/ptr/mod.rs"
        );
        assert_eq!(p("???"), "???");
        let mut c = parse_callgrind(
            "events: Ir\nfl=/work/ws/src/a.rs\nfn=f\n3 1\nfl=src/a.rs\nfn=g\n3 2\ntotals: 3\n",
        )
        .unwrap();
        c.relative_to(root);
        assert_eq!(line(&c, "src/a.rs", 3), Some(3), "one path, costs added");
    }

    #[test]
    fn addresses_keep_their_object_and_line_and_can_be_charged_elsewhere() {
        // With --dump-instr=yes: `instr line` positions, hex addresses.
        let text = "positions: instr line\nevents: Ir\nob=(1) /bin/x\nfl=(1) std.rs\nfn=(1) f\n\
                    0x100 7 30\n+4 * 10\ncob=(2) /lib/c.so\ncfn=(2) g\ncalls=1 0x900 1\n+4 8 99\n\
                    +4 * 5\nob=(2)\nfn=(2)\n0x900 1 2\ntotals: 47\n";
        let mut c = parse_callgrind(text).unwrap();
        let x = |a: u64| c.addresses.get(&("/bin/x".to_string(), a)).cloned();
        assert_eq!(x(0x100), Some((("std.rs".into(), 7), 30)));
        assert_eq!(x(0x104), Some((("std.rs".into(), 7), 10)));
        assert_eq!(
            x(0x108),
            Some((("std.rs".into(), 7), 5)),
            "the call's address is not a base"
        );
        assert_eq!(
            c.objects().into_iter().collect::<Vec<_>>(),
            ["/bin/x", "/lib/c.so"]
        );
        let mut all = c.clone();
        // 0x104 was inlined from the workspace's line 3 of a.rs.
        c.charge_inlined("/bin/x", |a| (a == 0x104).then(|| ("a.rs".to_string(), 3)));
        assert_eq!(line(&c, "std.rs", 7), Some(35));
        assert_eq!(line(&c, "a.rs", 3), Some(10));
        assert_eq!(
            line(&c, "std.rs", 1),
            Some(2),
            "another object's address stays"
        );
        all.charge_inlined("/bin/x", |_| Some(("a.rs".to_string(), 3)));
        assert_eq!(line(&all, "std.rs", 7), None, "emptied lines are dropped");
        assert_eq!(line(&all, "a.rs", 3), Some(45));
    }

    #[test]
    fn rejects_what_is_not_callgrind_output() {
        assert!(parse_callgrind("hello\n").is_err());
        assert!(parse_callgrind("fn=f\n1 x\nsummary: 1\n").is_err());
        assert!(parse_callgrind("fn=f\n+y 1\nsummary: 1\n").is_err());
    }
}

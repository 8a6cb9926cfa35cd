//! Where inlined code is charged: callgrind counts an instruction at the
//! line the line table gives, which for code inlined from a library (a
//! standard-library iterator, `black_box`) is the library's line, not the
//! line of the workspace's code that called it. The binary's debug
//! information knows the chain of inlined calls at each address
//! (`addr2line`); an instruction is charged to the innermost line of that
//! chain that is in the workspace, so a slower loop is named where it is
//! written. IO at the edge (the binary is read); the choice is pure.

use std::path::Path;

use super::callgrind::{Callgrind, SourceLine};

/// Charges the costs `callgrind` counted in `exe` to the innermost line of
/// the workspace at `root` each instruction was inlined from (those with
/// none stay where they were counted). Without debug information, or when
/// `exe` is not among the objects, nothing moves.
pub fn charge_to_workspace(callgrind: &mut Callgrind, exe: &Path, root: &Path) {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let exe_canon = canon(exe);
    let Some(object) = callgrind
        .objects()
        .into_iter()
        .find(|o| canon(Path::new(o)) == exe_canon)
        .map(str::to_string)
    else {
        return;
    };
    let Ok(loader) = addr2line::Loader::new(exe) else {
        return;
    };
    callgrind.charge_inlined(&object, |address| {
        let mut frames = loader.find_frames(address).ok()?;
        let mut chain = Vec::new();
        while let Ok(Some(frame)) = frames.next() {
            if let Some(l) = frame.location {
                if let (Some(file), Some(line)) = (l.file, l.line) {
                    chain.push((file.to_string(), line));
                }
            }
        }
        innermost_in(&chain, root)
    });
}

/// The first line of `chain` (innermost inlined call first) whose file is
/// under `root`.
pub fn innermost_in(chain: &[SourceLine], root: &Path) -> Option<SourceLine> {
    chain
        .iter()
        .find(|(file, _)| Path::new(file).starts_with(root))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_line_of_the_workspace_is_charged() {
        let l = |f: &str, n: u32| (f.to_string(), n);
        let chain = [
            l("/rustc/abc/library/core/src/hint.rs", 491),
            l("/ws/crates/e/src/server.rs", 216),
            l("/ws/crates/e/src/server.rs", 190),
            l(
                "/home/u/.cargo/registry/src/i/hyper-1.7.0/src/dispatch.rs",
                300,
            ),
        ];
        let root = Path::new("/ws");
        assert_eq!(
            innermost_in(&chain, root),
            Some(l("/ws/crates/e/src/server.rs", 216))
        );
        assert_eq!(
            innermost_in(&chain[3..], root),
            None,
            "no workspace line: stays"
        );
        assert_eq!(
            innermost_in(&[l("/wsx/a.rs", 1)], root),
            None,
            "a path, not a prefix"
        );
    }

    #[test]
    fn a_binary_that_is_not_among_the_objects_moves_nothing() {
        let mut c = super::super::callgrind::parse_callgrind(
            "positions: instr line\nevents: Ir\nob=/bin/other\nfl=a.rs\nfn=f\n0x10 3 7\ntotals: 7\n",
        )
        .unwrap();
        let before = c.clone();
        charge_to_workspace(&mut c, Path::new("/no/such/binary"), Path::new("/ws"));
        assert_eq!(c, before);
    }
}

//! Fuzzes the baseline parser: any bytes must give a baseline or a one-line
//! error naming the origin, never a panic.
#![no_main]

use cargo_ratecheck::baseline::store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match store::parse(data, "fuzz-input.json") {
        Ok(b) => {
            // What parses must also serialise and parse back.
            let text = serde_json::to_vec(&b).expect("a parsed baseline serialises");
            store::parse(&text, "round-trip").expect("a serialised baseline parses");
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("fuzz-input.json"), "error must name the file: {msg}");
            assert!(!msg.contains('\n'), "error must be one line: {msg}");
        }
    }
});

//! Contract parsing and validation must never panic, loop or blow up, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match tollgate::contract::parse_contract(text, std::path::Path::new("fuzz.yaml")) {
            Ok(contract) => assert!(!contract.name.is_empty()),
            // Every refusal carries at least one located diagnostic.
            Err(invalid) => assert!(invalid.diagnostics.iter().all(|d| d.pos.line >= 1 && d.pos.column >= 1)),
        }
    }
});

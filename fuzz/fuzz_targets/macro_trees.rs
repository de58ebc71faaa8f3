//! Random expression trees of the body language (every construct the crate docs list), printed
//! as a function and expanded. A tree uses only supported syntax, so the expansion must
//! succeed (no `compile_error!`) and parse as a file; it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simdgrad_fuzz::compiler::{expand_and_check_ok, Attr};
use simdgrad_fuzz::tree::random_op;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok((attr, args, item)) = random_op(&mut u) {
        let kind = match attr {
            0 => Attr::Map,
            1 => Attr::Zip,
            _ => Attr::Reduce,
        };
        expand_and_check_ok(kind, &args, &item);
    }
});

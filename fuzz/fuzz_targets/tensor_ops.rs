//! Random programs of tensor ops (creation with any shape including 0 and huge sizes, views,
//! broadcasts, maps, zips, reductions, matmul, softmax, argmax, `as_strided`) against a naive
//! `Vec<f64>` reference: no panic, no UB, errors exactly where the reference rejects, and the
//! same values. See `simdgrad_fuzz::tensor_program`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| simdgrad_fuzz::tensor_program::run(data));

//! The layer, training, data-loading and edge-value tests: one test binary, one module per
//! subject.
//!
//! The tests live in one binary rather than one per file because every binary monomorphises
//! the generic kernels and tensor ops it calls for itself; one binary compiles them once, which
//! keeps CI within its budget. Run a subject alone with a filter:
//! `cargo test --test nn nn_layers::`.

mod checkpoint;
mod edge_values;
mod idx;
mod nn_functional;
mod nn_layers;
mod npy;
mod sst_conv1d;
mod training;

//! The layer, training, data-loading and edge-value tests, one module per subject. Run a
//! subject alone with a filter: `cargo test --test all nn::nn_layers::`.

mod checkpoint;
mod edge_values;
mod idx;
mod nn_functional;
mod nn_layers;
mod npy;
mod sst_conv1d;
mod training;

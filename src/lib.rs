//! Support code shared by the workspace's integration tests, benchmarks and examples
//! (baselines and references); it is not part of simdgrad's API.

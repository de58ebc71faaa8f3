//! `sin` and `cos`.

use pulp::Simd;

use super::{all_lanes, Prim};
use crate::simd::ScalarMath;

/// Sine.
#[inline(always)]
pub(crate) fn sin<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    E::map_lanes(s, all_lanes::<S, E>(s), x, <E as ScalarMath>::sin)
}

/// Cosine.
#[inline(always)]
pub(crate) fn cos<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    E::map_lanes(s, all_lanes::<S, E>(s), x, <E as ScalarMath>::cos)
}

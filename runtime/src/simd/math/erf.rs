//! `erf`.

use pulp::Simd;

use super::{all_lanes, Prim};
use crate::simd::ScalarMath;

/// Error function.
#[inline(always)]
pub(crate) fn erf<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    E::map_lanes(s, all_lanes::<S, E>(s), x, <E as ScalarMath>::erf)
}

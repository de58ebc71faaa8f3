//! A NaN witness kept beside a fold, off its dependency chain.
//!
//! The fast max/min folds put one plain ISA instruction on the accumulator's chain
//! ([`SimdElement::max_loose`]), whose NaN result differs between ISAs. They stay exact by
//! watching every input here and, once per block of outputs, handing the block to the exact
//! fold if the watch saw a NaN.
//!
//! The witness is a running sum of the inputs in two registers: a NaN input makes it NaN for
//! good. Compares into a mask measured slower on AVX-512 (the max over dim 0 of a
//! `[1024, 1024]` `f32` matrix, one thread, both in one run: 0.060 against 0.050 ms): four
//! compares, three mask `and`s and a mask-to-register move per four rows, against four adds. A sum of non-NaN
//! values is also NaN when both infinities occur, so such inputs take the exact fold too: a
//! slower call, never a different result.
//!
//! No AVX-512 max makes the watch unnecessary: `vrangeps`/`vrangepd` (AVX512DQ, max or min
//! with the sign from the compare) order −0 below +0 but, like IEEE `maxNum`, return the
//! *number* when the other operand is a quiet NaN, in either operand order (measured on this
//! machine: `range(qNaN, 1.0) = range(1.0, qNaN) = 1.0`; only a signalling NaN comes back,
//! quieted), so a NaN input would vanish from the result. Other watches measured no faster on
//! the max over dim 0 above (hand-written AVX-512 loops, medians of 8): this sum 0.0477 ms, two
//! unordered compares per four rows OR-ed into a mask 0.0477, the adds as FMAs by 1.0 (the FMA
//! pipes) 0.0478, a mask chained through masked ordered compares 0.0692; no watch 0.0467.

use pulp::Simd;

use super::SimdElement;

/// Running sums of every watched value, in two registers so that each chain takes one add
/// per step of four values.
pub(crate) struct NanWatch<S: Simd, E: SimdElement> {
    g0: E::V<S>,
    g1: E::V<S>,
}

impl<S: Simd, E: SimdElement> NanWatch<S, E> {
    /// A watch that has seen nothing.
    #[inline(always)]
    pub(crate) fn new(s: S) -> Self {
        let z = E::splat(s, E::ZERO);
        NanWatch { g0: z, g1: z }
    }

    /// Records four values.
    #[inline(always)]
    pub(crate) fn watch4(&mut self, s: S, v: [E::V<S>; 4]) {
        let add = <E as SimdElement>::add::<S>;
        self.g0 = add(s, self.g0, add(s, v[0], v[1]));
        self.g1 = add(s, self.g1, add(s, v[2], v[3]));
    }

    /// Records one value.
    #[inline(always)]
    pub(crate) fn watch(&mut self, s: S, v: E::V<S>) {
        self.g0 = <E as SimdElement>::add(s, self.g0, v);
    }

    /// Whether a watched value was NaN (or both infinities were watched in one lane).
    #[inline(always)]
    pub(crate) fn seen(&self, s: S) -> bool {
        E::reduce_sum(s, <E as SimdElement>::add(s, self.g0, self.g1)).is_nan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::backend::on_each_backend;

    /// Whether the watch fed `vals` register by register (a short last one padded with zeros)
    /// reports a NaN, on every backend.
    fn seen<E: SimdElement>(vals: &[E]) -> Vec<bool> {
        struct Probe<'a, E>(&'a [E]);
        impl<E: SimdElement> pulp::WithSimd for Probe<'_, E> {
            type Output = bool;
            #[inline(always)]
            fn with_simd<S: Simd>(self, s: S) -> bool {
                let mut w = NanWatch::<S, E>::new(s);
                let regs: Vec<E::V<S>> = self
                    .0
                    .chunks(E::lanes::<S>())
                    .map(|c| E::partial_load(s, c, E::ZERO))
                    .collect();
                let mut quads = regs.chunks_exact(4);
                for q in &mut quads {
                    w.watch4(s, [q[0], q[1], q[2], q[3]]);
                }
                for &r in quads.remainder() {
                    w.watch(s, r);
                }
                w.seen(s)
            }
        }
        on_each_backend(|| Probe(vals))
    }

    fn check<E: SimdElement>(big: E, nan: E) {
        for n in 1..=70 {
            assert!(seen(&vec![big; n]).iter().all(|&b| !b), "n {n}");
            for at in 0..n {
                let mut v = vec![big; n];
                v[at] = nan;
                assert!(seen(&v).iter().all(|&b| b), "NaN at {at} of {n}");
            }
        }
        let inf = E::from_f64(f64::INFINITY);
        assert!(seen(&[inf, E::ZERO, -E::ZERO]).iter().all(|&b| !b));
        // Both infinities in one lane: reported (the callers then take the exact fold).
        assert!(seen(&[inf, -inf]).iter().all(|&b| b));
    }

    #[test]
    fn sees_a_nan_in_every_lane_and_register_on_every_backend() {
        check::<f32>(f32::MAX, f32::from_bits(0x7fc0_1234));
        check::<f64>(-1.5e300, f64::NAN);
    }

    /// `max_loose` / `min_loose` give the exact extreme on every backend wherever the operands
    /// are not NaN and not zeros of opposite signs.
    #[test]
    fn loose_extremes_are_exact_off_nan_and_zero_ties() {
        struct Probe<'a, E>(&'a [E], &'a [E]);
        impl<E: SimdElement> pulp::WithSimd for Probe<'_, E> {
            type Output = Vec<(E, E)>;
            #[inline(always)]
            fn with_simd<S: Simd>(self, s: S) -> Vec<(E, E)> {
                let mut out = Vec::new();
                for (a, b) in self
                    .0
                    .chunks(E::lanes::<S>())
                    .zip(self.1.chunks(E::lanes::<S>()))
                {
                    let (va, vb) = (
                        E::partial_load(s, a, E::ZERO),
                        E::partial_load(s, b, E::ZERO),
                    );
                    let mut hi = vec![E::ZERO; a.len()];
                    let mut lo = vec![E::ZERO; a.len()];
                    E::partial_store(s, &mut hi, E::max_loose(s, va, vb));
                    E::partial_store(s, &mut lo, E::min_loose(s, va, vb));
                    out.extend(hi.into_iter().zip(lo));
                }
                out
            }
        }
        fn check<E: SimdElement>() {
            let vals = [
                -3.5,
                -0.0,
                0.0,
                1e-30,
                2.0,
                7.25,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ];
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for &x in &vals {
                for &y in &vals {
                    if !(x == 0.0 && y == 0.0) || x.to_bits() == y.to_bits() {
                        a.push(E::from_f64(x));
                        b.push(E::from_f64(y));
                    }
                }
            }
            for got in on_each_backend(|| Probe(&a, &b)) {
                for (i, (hi, lo)) in got.into_iter().enumerate() {
                    let (x, y) = (a[i].to_f64(), b[i].to_f64());
                    assert_eq!(hi.to_f64().to_bits(), x.max(y).to_bits(), "max({x}, {y})");
                    assert_eq!(lo.to_f64().to_bits(), x.min(y).to_bits(), "min({x}, {y})");
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }
}

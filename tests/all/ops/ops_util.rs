//! Helpers shared by the `ops_*` tests: tensors of a given shape in every kind of layout
//! (contiguous, permuted, narrowed, strided, broadcast), and bitwise comparison.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use simdgrad::parallel::Parallelism;
use simdgrad::simd::SimdElement;
use simdgrad::Tensor;

/// How a test tensor's elements sit in storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Row-major.
    Contiguous,
    /// A random permutation of a contiguous tensor (dense, not contiguous).
    Permuted,
    /// A window of a larger tensor: contiguous runs along the last dim (blocks).
    Narrowed,
    /// Every second element along the last dim (general index walk).
    Stepped,
    /// Size-1 dims of a smaller tensor stretched (stride 0) where the shape allows.
    Broadcast,
}

pub const KINDS: [Kind; 5] = [
    Kind::Contiguous,
    Kind::Permuted,
    Kind::Narrowed,
    Kind::Stepped,
    Kind::Broadcast,
];

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Random values from `gen` in a tensor of `shape` laid out as `kind`.
pub fn make<E: SimdElement>(
    shape: &[usize],
    kind: Kind,
    rng: &mut StdRng,
    gen: &mut dyn FnMut(&mut StdRng) -> f64,
) -> Tensor<E> {
    let fill = |rng: &mut StdRng, gen: &mut dyn FnMut(&mut StdRng) -> f64, s: &[usize]| {
        let n: usize = s.iter().product();
        let data: Vec<E> = (0..n).map(|_| E::from_f64(gen(rng))).collect();
        Tensor::from_vec(data, s).unwrap()
    };
    match kind {
        Kind::Contiguous => fill(rng, gen, shape),
        Kind::Permuted => {
            let mut order: Vec<usize> = (0..shape.len()).collect();
            order.shuffle(rng);
            // base.shape[order[i]] = shape[i], so base.permute(order) has `shape`.
            let mut base_shape = vec![0; shape.len()];
            for (i, &o) in order.iter().enumerate() {
                base_shape[o] = shape[i];
            }
            fill(rng, gen, &base_shape).permute(&order).unwrap()
        }
        Kind::Narrowed | Kind::Stepped if shape.is_empty() => fill(rng, gen, shape),
        Kind::Narrowed => {
            let mut big = shape.to_vec();
            let last = big.len() - 1;
            big[last] += 3;
            if last > 0 {
                big[0] += 1;
            }
            let t = fill(rng, gen, &big).narrow(-1, 2, shape[last]).unwrap();
            if last > 0 {
                t.narrow(0, 1, shape[0]).unwrap()
            } else {
                t
            }
        }
        Kind::Stepped => {
            let mut big = shape.to_vec();
            let last = big.len() - 1;
            big[last] = 2 * shape[last];
            let t = fill(rng, gen, &big);
            if shape[last] == 0 {
                t.narrow(-1, 0, 0).unwrap()
            } else {
                t.slice(-1, .., 2).unwrap()
            }
        }
        Kind::Broadcast => {
            // Stretch every other dim of size > 1 from size 1; drop a leading dim sometimes.
            let mut small: Vec<usize> = shape
                .iter()
                .enumerate()
                .map(|(i, &n)| if i % 2 == 0 && n > 1 { 1 } else { n })
                .collect();
            if small.len() > 1 && rng.gen_bool(0.5) && small[0] == 1 {
                small.remove(0);
            }
            fill(rng, gen, &small).broadcast_to(shape).unwrap()
        }
    }
}

/// Standard normal values scaled by 3.
pub fn normal(rng: &mut StdRng) -> f64 {
    let u: f64 = rng.gen_range(-1.0..1.0);
    let v: f64 = rng.gen_range(-1.0..1.0);
    3.0 * (u + v + rng.gen_range(-1.0..1.0))
}

/// Positive values in `[0.05, 10)`.
pub fn positive(rng: &mut StdRng) -> f64 {
    rng.gen_range(0.05..10.0)
}

/// Logical values as `f64`.
pub fn values<E: SimdElement>(t: &Tensor<E>) -> Vec<f64> {
    t.to_vec().into_iter().map(|v| v.to_f64()).collect()
}

/// Logical values as bit patterns (so NaNs compare equal and `-0.0 != 0.0`).
pub fn bits<E: SimdElement>(t: &Tensor<E>) -> Vec<u64> {
    t.to_vec()
        .into_iter()
        .map(|v| v.to_f64().to_bits())
        .collect()
}

/// A parallelism that really splits small test tensors into `threads` tasks.
pub fn threads(threads: usize) -> Parallelism {
    Parallelism {
        threads,
        min_work_per_task: 64,
    }
}

/// Units in the last place of `E` between `got` and `want` (computed in f64).
pub fn ulps<E: SimdElement>(got: f64, want: f64) -> f64 {
    if got == want || (got.is_nan() && want.is_nan()) {
        return 0.0;
    }
    if got.is_nan() || want.is_nan() || got.is_infinite() || want.is_infinite() {
        return f64::INFINITY;
    }
    let mant = if E::SIZE == 4 { 23 } else { 52 };
    // Spacing of E at |want| (never below the smallest normal's spacing).
    let min_exp = if E::SIZE == 4 { -126 } else { -1022 };
    let exp = if want == 0.0 {
        min_exp
    } else {
        (want.abs().log2().floor() as i32).max(min_exp)
    };
    (got - want).abs() / 2f64.powi(exp - mant)
}

/// Random shapes: rank 0..=4, sizes mostly 1..=9 with a chance of 0 and of a long last dim.
pub fn random_shape(rng: &mut StdRng) -> Vec<usize> {
    let rank = rng.gen_range(0..=4);
    let mut shape: Vec<usize> = (0..rank)
        .map(|_| match rng.gen_range(0..20) {
            0 => 0,
            1..=3 => 1,
            _ => rng.gen_range(2..=9),
        })
        .collect();
    if rank > 0 && rng.gen_bool(0.3) {
        let last = rank - 1;
        shape[last] = rng.gen_range(17..=70);
    }
    shape
}

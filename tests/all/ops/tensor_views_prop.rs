//! Property tests: chains of views on random shapes (0–5 dims, sizes 0–5) agree with a naive
//! row-major reference, and every layout walk visits each element exactly once, in order.

use proptest::prelude::*;
use simdgrad::layout::{Layout, LayoutKind};
use simdgrad::{Error, Tensor};

/// The reference: a row-major array, transformed only through naive index arithmetic.
#[derive(Clone, Debug)]
struct Reference {
    shape: Vec<usize>,
    data: Vec<f64>,
}

/// Every multi-index of `shape` in row-major order, by division (the slow, obvious way).
fn all_indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let numel: usize = shape.iter().product();
    (0..numel)
        .map(|mut k| {
            let mut index = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                index[d] = k % shape[d];
                k /= shape[d];
            }
            index
        })
        .collect()
}

fn ravel(shape: &[usize], index: &[usize]) -> usize {
    index.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

impl Reference {
    /// The array of `shape` whose element at `index` is `self[source(index)]`.
    fn gather(&self, shape: Vec<usize>, source: impl Fn(&[usize]) -> Vec<usize>) -> Reference {
        let data = all_indices(&shape)
            .iter()
            .map(|index| self.data[ravel(&self.shape, &source(index))])
            .collect();
        Reference { shape, data }
    }

    fn with_shape(&self, shape: Vec<usize>) -> Reference {
        Reference {
            shape,
            data: self.data.clone(),
        }
    }
}

/// A view operation with raw random parameters, mapped onto the current shape when applied.
#[derive(Clone, Debug)]
enum Op {
    Permute(u64),
    Transpose(usize, usize),
    Narrow(usize, usize, usize),
    Slice(usize, usize, usize, usize),
    Select(usize, usize),
    Squeeze(usize),
    SqueezeAll,
    Unsqueeze(usize),
    Broadcast(Vec<usize>, u64),
    Reshape(u64),
    View(u64),
    Contiguous,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let small = 0usize..64;
    prop_oneof![
        any::<u64>().prop_map(Op::Permute),
        (small.clone(), small.clone()).prop_map(|(a, b)| Op::Transpose(a, b)),
        (small.clone(), small.clone(), small.clone()).prop_map(|(a, b, c)| Op::Narrow(a, b, c)),
        (small.clone(), small.clone(), small.clone(), 1usize..4)
            .prop_map(|(a, b, c, s)| Op::Slice(a, b, c, s)),
        (small.clone(), small.clone()).prop_map(|(a, b)| Op::Select(a, b)),
        small.clone().prop_map(Op::Squeeze),
        Just(Op::SqueezeAll),
        small.clone().prop_map(Op::Unsqueeze),
        (prop::collection::vec(0usize..4, 0..3), any::<u64>())
            .prop_map(|(lead, s)| Op::Broadcast(lead, s)),
        any::<u64>().prop_map(Op::Reshape),
        any::<u64>().prop_map(Op::View),
        Just(Op::Contiguous),
    ]
}

/// A small deterministic generator for parameters that depend on the current shape.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn random_permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = Lcg(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    order
}

/// A random shape with `numel` elements (for a reshape target).
fn random_shape_with_numel(numel: usize, seed: u64) -> Vec<usize> {
    let mut rng = Lcg(seed);
    let mut shape = Vec::new();
    if numel == 0 {
        for _ in 0..rng.below(3) {
            shape.push(rng.below(4));
        }
        shape.insert(rng.below(shape.len() + 1), 0);
        return shape;
    }
    let mut rest = numel;
    for _ in 0..4 {
        let divisors: Vec<usize> = (1..=rest).filter(|&d| rest.is_multiple_of(d)).collect();
        let d = divisors[rng.below(divisors.len())];
        shape.push(d);
        rest /= d;
    }
    shape.push(rest);
    shape.retain(|&d| d != 1 || rng.below(2) == 0);
    shape
}

/// Applies `op` to both the tensor and the reference; `None` if the op does not apply.
fn apply(t: &Tensor<f64>, r: &Reference, op: &Op) -> Option<(Tensor<f64>, Reference)> {
    let nd = r.shape.len();
    let pick_dim = |raw: usize| (nd > 0).then(|| raw % nd);
    Some(match *op {
        Op::Permute(seed) => {
            let order = random_permutation(nd, seed);
            let shape = order.iter().map(|&d| r.shape[d]).collect();
            let reference = r.gather(shape, |index| {
                let mut source = vec![0; nd];
                for (i, &d) in order.iter().enumerate() {
                    source[d] = index[i];
                }
                source
            });
            (t.permute(&order).unwrap(), reference)
        }
        Op::Transpose(a, b) => {
            let (a, b) = (pick_dim(a)?, pick_dim(b)?);
            let mut shape = r.shape.clone();
            shape.swap(a, b);
            let reference = r.gather(shape, |index| {
                let mut source = index.to_vec();
                source.swap(a, b);
                source
            });
            // Exercise negative dims too.
            (
                t.transpose(a as isize - nd as isize, b as isize).unwrap(),
                reference,
            )
        }
        Op::Narrow(d, a, b) => {
            let d = pick_dim(d)?;
            let start = a % (r.shape[d] + 1);
            let len = b % (r.shape[d] - start + 1);
            let mut shape = r.shape.clone();
            shape[d] = len;
            let reference = r.gather(shape, |index| {
                let mut source = index.to_vec();
                source[d] += start;
                source
            });
            (t.narrow(d as isize, start, len).unwrap(), reference)
        }
        Op::Slice(d, a, b, step) => {
            let d = pick_dim(d)?;
            let start = a % (r.shape[d] + 1);
            let end = start + b % (r.shape[d] - start + 1);
            let mut shape = r.shape.clone();
            shape[d] = (end - start).div_ceil(step);
            let reference = r.gather(shape, |index| {
                let mut source = index.to_vec();
                source[d] = start + index[d] * step;
                source
            });
            (t.slice(d as isize, start..end, step).unwrap(), reference)
        }
        Op::Select(d, i) => {
            let d = pick_dim(d)?;
            if r.shape[d] == 0 {
                return None;
            }
            let i = i % r.shape[d];
            let mut shape = r.shape.clone();
            shape.remove(d);
            let reference = r.gather(shape, |index| {
                let mut source = index.to_vec();
                source.insert(d, i);
                source
            });
            (t.select(d as isize, i).unwrap(), reference)
        }
        Op::Squeeze(d) => {
            let d = pick_dim(d)?;
            let mut shape = r.shape.clone();
            if shape[d] == 1 {
                shape.remove(d);
            }
            (t.squeeze(d as isize).unwrap(), r.with_shape(shape))
        }
        Op::SqueezeAll => {
            let shape = r.shape.iter().copied().filter(|&n| n != 1).collect();
            (t.squeeze_all(), r.with_shape(shape))
        }
        Op::Unsqueeze(d) => {
            let d = d % (nd + 1);
            let mut shape = r.shape.clone();
            shape.insert(d, 1);
            (t.unsqueeze(d as isize).unwrap(), r.with_shape(shape))
        }
        Op::Broadcast(ref lead, seed) => {
            let mut rng = Lcg(seed);
            let mut shape = lead.clone();
            shape.extend(
                r.shape
                    .iter()
                    .map(|&n| if n == 1 { rng.below(4) } else { n }),
            );
            if shape.iter().product::<usize>() > 4000 {
                return None;
            }
            let pad = lead.len();
            let reference = r.gather(shape.clone(), |index| {
                (0..nd)
                    .map(|j| if r.shape[j] == 1 { 0 } else { index[pad + j] })
                    .collect()
            });
            (t.broadcast_to(&shape).unwrap(), reference)
        }
        Op::Reshape(seed) => {
            let shape = random_shape_with_numel(r.data.len(), seed);
            let out = t.reshape(&shape).unwrap();
            if t.is_contiguous() {
                assert!(
                    out.shares_storage_with(t),
                    "reshape of a contiguous tensor copied"
                );
            }
            (out, r.with_shape(shape))
        }
        Op::View(seed) => {
            let shape = random_shape_with_numel(r.data.len(), seed);
            if !t.is_contiguous() {
                let err = t.view(&shape).unwrap_err();
                assert!(matches!(err, Error::NotContiguous { .. }), "{err}");
                return None;
            }
            (t.view(&shape).unwrap(), r.with_shape(shape))
        }
        Op::Contiguous => {
            let out = t.contiguous();
            assert!(out.is_contiguous());
            assert_eq!(out.shares_storage_with(t), t.is_contiguous());
            (out, r.clone())
        }
    })
}

/// Storage positions of every element by the definition: offset + Σ index·stride.
fn naive_positions(layout: &Layout) -> Vec<usize> {
    all_indices(layout.shape())
        .iter()
        .map(|index| {
            layout.offset()
                + index
                    .iter()
                    .zip(layout.strides())
                    .map(|(&i, &s)| i * s)
                    .sum::<usize>()
        })
        .collect()
}

fn check_layout_walks(layout: &Layout) -> Result<(), TestCaseError> {
    let expected = naive_positions(layout);
    let from_blocks: Vec<usize> = layout
        .blocks()
        .flat_map(|b| (0..b.len).map(move |k| b.offset + k * b.stride))
        .collect();
    prop_assert_eq!(&from_blocks, &expected, "blocks of {:?}", layout);
    prop_assert_eq!(&layout.positions().collect::<Vec<_>>(), &expected);
    prop_assert_eq!(layout.positions().len(), expected.len());

    for block in layout.blocks() {
        prop_assert!(block.len > 0 && block.stride <= 1);
    }
    match layout.kind() {
        LayoutKind::Contiguous => {
            prop_assert!(layout.is_contiguous());
            prop_assert!(layout.blocks().count() <= 1);
        }
        LayoutKind::Blocks { len, inner_stride } => {
            prop_assert!(!layout.is_contiguous());
            for b in layout.blocks() {
                prop_assert_eq!((b.len, b.stride), (len, inner_stride));
            }
        }
        LayoutKind::General => prop_assert!(layout.blocks().all(|b| b.len == 1)),
    }

    let mut sorted = expected.clone();
    sorted.sort_unstable();
    let covers_range = sorted
        .iter()
        .enumerate()
        .all(|(k, &p)| p == layout.offset() + k);
    prop_assert_eq!(layout.is_dense(), covers_range, "is_dense of {:?}", layout);
    if let Some(order) = layout.dense_order() {
        prop_assert!(layout.permute(&order).unwrap().is_contiguous());
    }

    for (ordinal, index) in all_indices(layout.shape()).iter().enumerate() {
        prop_assert_eq!(&layout.index_of(ordinal).unwrap(), index);
        prop_assert_eq!(layout.position(index).unwrap(), expected[ordinal]);
    }
    prop_assert!(layout.index_of(expected.len()).is_err());
    Ok(())
}

/// 0–5 dims of sizes 0–5; size 0 is rarer so that most cases have elements to move around.
fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    let size = prop_oneof![1 => Just(0usize), 2 => Just(1usize), 8 => 2usize..=5];
    prop::collection::vec(size, 0..=5)
}

proptest! {
    // Each case is cheap (at most a few thousand elements), so run more of them.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn view_chains_match_the_naive_reference(
        shape in shape_strategy(),
        first_permutation in any::<u64>(),
        ops in prop::collection::vec(op_strategy(), 1..6),
    ) {
        let numel: usize = shape.iter().product();
        let data: Vec<f64> = (0..numel).map(|v| v as f64).collect();
        let mut t = Tensor::from_vec(data.clone(), &shape).unwrap();
        let mut r = Reference { shape, data };
        // Start from a randomly permuted tensor, so the chain sees non-contiguous inputs.
        let ops = [vec![Op::Permute(first_permutation)], ops].concat();
        for op in &ops {
            if let Some((t2, r2)) = apply(&t, &r, op) {
                t = t2;
                r = r2;
            }
            prop_assert_eq!(t.shape(), &r.shape[..], "after {:?}", op);
            prop_assert_eq!(&t.to_vec(), &r.data, "after {:?}", op);
            check_layout_walks(t.layout())?;
            for (k, index) in all_indices(&r.shape).iter().enumerate().step_by(7) {
                prop_assert_eq!(t.get(index).unwrap(), r.data[k]);
            }
        }
    }

    #[test]
    fn permute_then_inverse_is_the_identity(
        shape in shape_strategy(),
        seed in any::<u64>(),
    ) {
        let t = Tensor::<f32>::zeros(&shape).unwrap();
        let order = random_permutation(shape.len(), seed);
        let mut inverse = vec![0; order.len()];
        for (i, &d) in order.iter().enumerate() {
            inverse[d] = i;
        }
        let back = t.permute(&order).unwrap().permute(&inverse).unwrap();
        prop_assert_eq!(back.layout(), t.layout());
    }

    #[test]
    fn view_of_a_non_contiguous_tensor_fails(shape in prop::collection::vec(2usize..=5, 2..=4)) {
        let t = Tensor::<f32>::zeros(&shape).unwrap().transpose(0, -1).unwrap();
        prop_assert!(!t.is_contiguous());
        let numel = t.numel();
        let err = t.view(&[numel]).unwrap_err();
        prop_assert!(matches!(err, Error::NotContiguous { .. }), "{}", err);
    }
}

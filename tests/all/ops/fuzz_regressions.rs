//! Inputs the `tensor_ops` fuzz target (fuzz/) reached that are easy to get wrong: empty
//! tensors whose other dims are huge. Each must be handled without allocating or looping over
//! the huge dims, and without a panic. (The findings in code outside this suite's reach are
//! listed in fuzz/README.md.)

use simdgrad::Tensor;

const HUGE: usize = 1 << 62;

#[test]
fn softmax_over_an_empty_dim_beside_a_huge_one_is_empty() {
    let x = Tensor::<f64>::zeros(&[0, HUGE]).unwrap();
    let y = x.softmax(0).unwrap();
    assert_eq!((y.shape(), y.numel()), (&[0, HUGE][..], 0));
    let z = Tensor::<f32>::zeros(&[HUGE, 0])
        .unwrap()
        .log_softmax(1)
        .unwrap();
    assert_eq!(z.numel(), 0);
}

#[test]
fn broadcasting_an_empty_tensor_to_a_huge_shape_stays_empty() {
    let x = Tensor::<f32>::zeros(&[0, 1]).unwrap();
    let e = x.expand(&[0, HUGE]).unwrap();
    assert_eq!(e.numel(), 0);
    let s = e.add(&Tensor::ones(&[1]).unwrap()).unwrap();
    assert_eq!((s.shape(), s.to_vec()), (&[0, HUGE][..], vec![]));
    // A size-0 dim does not make an overflowing shape acceptable.
    assert!(Tensor::<f32>::zeros(&[0, HUGE, 8]).is_err());
}

#[test]
fn matmul_with_an_empty_outer_dim_beside_a_huge_one_is_empty() {
    let a = Tensor::<f64>::zeros(&[HUGE, 0]).unwrap();
    let b = Tensor::<f64>::zeros(&[0, 0]).unwrap();
    let c = a.matmul(&b).unwrap();
    assert_eq!((c.shape(), c.numel()), (&[HUGE, 0][..], 0));
}

/// Found by the `tensor_ops` fuzz target: the storage a layout needs was computed with a
/// wrapping sum, so an offset of `usize::MAX` passed the bounds check and reading the view
/// panicked later. It must be an error up front.
#[test]
fn as_strided_with_an_offset_past_usize_max_is_an_error() {
    let x = Tensor::<f64>::scalar(1.0);
    assert!(x.as_strided(&[], &[], usize::MAX).is_err());
    let y = Tensor::<f32>::zeros(&[4]).unwrap();
    assert!(y.as_strided(&[2], &[usize::MAX / 2 + 1], 0).is_err());
    assert_eq!(
        y.as_strided(&[2], &[3], 0).unwrap().to_vec(),
        vec![0.0, 0.0]
    );
}

/// Found by the `tensor_ops` fuzz target (2026-11-26 run): a `(1, 1)` matrix times a batch of
/// `2^62` empty `(1, 0)` matrices. simdgrad answered correctly (an empty `(2^62, 1, 0)` result,
/// nothing allocated); the fuzz target's naive reference crashed broadcasting the left operand
/// to `2^62` elements (fixed in fuzz/src/reference.rs). Kept so the runtime side stays right.
#[test]
fn matmul_broadcasting_against_a_huge_empty_batch_is_empty() {
    let a = Tensor::<f32>::ones(&[1, 1]).unwrap();
    let b = Tensor::<f32>::zeros(&[HUGE, 1, 0]).unwrap();
    let c = a.matmul(&b).unwrap();
    assert_eq!((c.shape(), c.numel()), (&[HUGE, 1, 0][..], 0));
    // The same with the huge batch on the left and a vector on the right.
    let d = Tensor::<f64>::zeros(&[HUGE, 0, 3])
        .unwrap()
        .matmul(&Tensor::ones(&[3]).unwrap())
        .unwrap();
    assert_eq!((d.shape(), d.numel()), (&[HUGE, 0][..], 0));
    // Mismatched inner dims stay an error, however empty the batch.
    assert!(Tensor::<f32>::zeros(&[HUGE, 0, 2])
        .unwrap()
        .matmul(&Tensor::zeros(&[3, 1]).unwrap())
        .is_err());
}

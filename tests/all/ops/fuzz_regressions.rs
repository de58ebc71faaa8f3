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

/// Found by an adversarial API audit (2026-11-27): outputs whose size in bytes overflows, from a
/// huge broadcast or a huge pooling window, and a stride far beyond the kernel, are errors or
/// correct results, not panics or aborts.
#[test]
fn outputs_too_large_to_allocate_are_errors() {
    let x = Tensor::<f32>::ones(&[1]).unwrap().expand(&[HUGE]).unwrap();
    // A copy that no view can replace: a transposed broadcast reshaped flat, and an argmax.
    let t = Tensor::<f32>::ones(&[1, 2])
        .unwrap()
        .expand(&[HUGE / 4, 2])
        .unwrap()
        .transpose(0, 1)
        .unwrap();
    let flat = t.reshape(&[HUGE / 2]).map(|_| ());
    let argmax = t.argmax(1).map(|_| ());
    let ops = [x.softmax(0), x.log_softmax(0), x.mul_scalar(2.0), x.exp()];
    for r in ops.into_iter().map(|r| r.map(|_| ())).chain([flat, argmax]) {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("cannot allocate"), "{e}");
    }
    let img = Tensor::<f32>::ones(&[1, 2, 4, 4]).unwrap();
    // The padded extent overflows usize.
    let e = img
        .avg_pool2d([usize::MAX, 1], [1, 1], [usize::MAX - 1, 0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("overflows"), "{e}");
    // The window area overflows usize; then the output (2^32 + 3)^2 positions a plane does.
    for (window, padding) in [(1usize << 32, (1usize << 32) - 1), (1 << 31, (1 << 31) - 1)] {
        for r in [
            img.max_pool2d([window; 2], [1, 1], [padding; 2]),
            img.avg_pool2d([window; 2], [1, 1], [padding; 2]),
        ] {
            let e = r.unwrap_err().to_string();
            assert!(
                e.contains("overflows") || e.contains("cannot allocate"),
                "{e}"
            );
        }
    }
}

#[test]
fn a_stride_far_beyond_the_kernel_convolves_correctly() {
    use simdgrad::conv::ConvParams;
    let x = Tensor::<f64>::arange(0.0, 50.0, 1.0)
        .unwrap()
        .view(&[1, 2, 5, 5])
        .unwrap();
    let w = Tensor::<f64>::ones(&[3, 2, 3, 3]).unwrap();
    for stride in [1usize << 16, usize::MAX] {
        let p = ConvParams::valid().with_stride(stride);
        let y = x.conv2d(&w, None, [p, p]).unwrap();
        // One window at the top left of both channels: 0+1+2+5+6+7+10+11+12 = 54, plus 25·9
        // more for the second channel.
        assert_eq!((y.shape(), y.to_vec()), (&[1, 3, 1, 1][..], vec![333.0; 3]));
    }
}

//! Layouts, broadcasting, views and their errors, as a user of `simdgrad::Tensor` sees them.
//! The layout cases are MiniTorch's (Module 2 tests), the broadcast table is semantics.md's.

use std::ops::Bound;

use simdgrad::layout::{Block, Layout, LayoutKind};
use simdgrad::shape::{broadcast_shapes, checked_numel, row_major_strides};
use simdgrad::{Error, Tensor};

fn arange(n: usize) -> Tensor<f32> {
    Tensor::arange(0.0, n as f32, 1.0).unwrap()
}

fn grid(shape: &[usize]) -> Tensor<f32> {
    arange(shape.iter().product()).view(shape).unwrap()
}

// ---- MiniTorch's layout cases ----

#[test]
fn shape_4_2_2_has_row_major_strides_4_2_1() {
    assert_eq!(row_major_strides(&[4, 2, 2]), vec![4, 2, 1]);
    assert_eq!(
        Tensor::<f32>::zeros(&[4, 2, 2]).unwrap().strides(),
        &[4, 2, 1]
    );
}

#[test]
fn shape_3_5_strides_5_1_is_contiguous_and_index_1_2_is_position_7() {
    let layout = Layout::new(&[3, 5], &[5, 1], 0).unwrap();
    assert!(layout.is_contiguous());
    assert_eq!(layout.position(&[1, 2]).unwrap(), 7);
    assert_eq!(layout.index_of(7).unwrap(), vec![1, 2]);
}

#[test]
fn shape_5_3_strides_1_5_is_not_contiguous() {
    let layout = Layout::new(&[5, 3], &[1, 5], 0).unwrap();
    assert!(!layout.is_contiguous());
    assert_eq!(layout.kind(), LayoutKind::General);
    assert!(layout.is_dense());
    assert_eq!(layout.dense_order(), Some(vec![1, 0]));
}

#[test]
fn contiguity_ignores_strides_of_size_one_dims() {
    assert!(Layout::new(&[1, 4], &[1, 1], 0).unwrap().is_contiguous());
    assert!(grid(&[4]).unsqueeze(0).unwrap().is_contiguous());
    // A transposed vector is still contiguous: the swapped dim has size 1.
    assert!(grid(&[1, 4]).transpose(0, 1).unwrap().is_contiguous());
}

#[test]
fn permute_round_trips_restore_shape_strides_and_values() {
    let x = grid(&[2, 3, 4]);
    let p = x.permute(&[2, 0, 1]).unwrap();
    assert_eq!(p.shape(), &[4, 2, 3]);
    assert_eq!(p.strides(), &[1, 12, 4]);
    assert_eq!(p.get(&[3, 1, 2]).unwrap(), x.get(&[1, 2, 3]).unwrap());
    let back = p.permute(&[1, 2, 0]).unwrap();
    assert_eq!(back.layout(), x.layout());
    assert_eq!(back.to_vec(), x.to_vec());
    assert!(back.shares_storage_with(&x));
}

// ---- The broadcast table of semantics.md ----

#[test]
fn broadcast_table_from_semantics_md() {
    let ok: &[(&[usize], &[usize], &[usize])] = &[
        (&[1], &[5, 5], &[5, 5]),
        (&[5, 5], &[1], &[5, 5]),
        (&[1, 5, 5], &[5, 5], &[1, 5, 5]),
        (&[5, 1, 5, 1], &[1, 5, 1, 5], &[5, 5, 5, 5]),
        (&[2, 5], &[5], &[2, 5]),
    ];
    for &(a, b, expected) in ok {
        assert_eq!(broadcast_shapes(a, b).unwrap(), expected, "{a:?} + {b:?}");
        assert_eq!(broadcast_shapes(b, a).unwrap(), expected, "{b:?} + {a:?}");
        // And tensors of those shapes broadcast to the result as views.
        let ta = Tensor::<f32>::zeros(a).unwrap();
        assert_eq!(ta.broadcast_to(expected).unwrap().shape(), expected);
    }
}

#[test]
fn broadcast_errors_from_semantics_md_name_both_shapes() {
    let err = broadcast_shapes(&[5, 7, 5, 1], &[1, 5, 1, 5]).unwrap_err();
    assert!(matches!(err, Error::Broadcast { .. }));
    assert_eq!(
        err.to_string(),
        "broadcast_shapes: shapes [5, 7, 5, 1] and [1, 5, 1, 5] cannot be broadcast together"
    );
    let err = broadcast_shapes(&[5, 2], &[5]).unwrap_err();
    assert!(matches!(err, Error::Broadcast { .. }));
    assert!(err.to_string().contains("[5, 2] and [5]"), "{err}");
}

#[test]
fn broadcast_to_uses_zero_strides_and_shares_storage() {
    let col = grid(&[3, 1]);
    let m = col.broadcast_to(&[2, 3, 4]).unwrap();
    assert_eq!(m.strides(), &[0, 1, 0]);
    assert!(m.shares_storage_with(&col));
    assert_eq!(m.get(&[1, 2, 3]).unwrap(), 2.0);
    assert_eq!(
        m.layout().kind(),
        LayoutKind::Blocks {
            len: 4,
            inner_stride: 0
        }
    );
    assert!(!m.layout().is_dense());
    assert_eq!(
        col.expand(&[3, 2]).unwrap().to_vec(),
        vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    );
}

#[test]
fn broadcast_to_rejects_shrinking_and_mismatched_sizes() {
    let x = grid(&[2, 3]);
    for target in [&[3][..], &[2, 4], &[3, 3]] {
        let err = x.broadcast_to(target).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Broadcast {
                    op: "broadcast_to",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("[2, 3]"), "{err}");
    }
}

// ---- Views share storage; writes go through ----

#[test]
fn set_through_a_view_is_seen_by_the_original() {
    let x = grid(&[3, 4]);
    let v = x.narrow(0, 1, 2).unwrap().transpose(-1, -2).unwrap();
    v.set(&[3, 1], -1.0).unwrap();
    assert_eq!(x.get(&[2, 3]).unwrap(), -1.0);
}

#[test]
fn contiguous_returns_the_same_tensor_or_a_row_major_copy() {
    let x = grid(&[2, 3]);
    assert!(x.contiguous().shares_storage_with(&x));
    let t = x.transpose(0, 1).unwrap();
    let c = t.contiguous();
    assert!(!c.shares_storage_with(&x));
    assert_eq!(c.strides(), &[2, 1]);
    assert_eq!(c.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
}

#[test]
fn reshape_is_a_view_when_strides_allow_and_a_copy_otherwise() {
    let x = grid(&[4, 6]);
    let window = x.narrow(1, 0, 3).unwrap(); // rows of 3, row stride 6
    let split = window.reshape(&[2, 2, 3]).unwrap();
    assert!(split.shares_storage_with(&x));
    assert_eq!(split.strides(), &[12, 6, 1]);
    let flat = window.reshape(&[12]).unwrap();
    assert!(!flat.shares_storage_with(&x));
    assert_eq!(flat.to_vec(), window.to_vec());
}

#[test]
fn narrow_slice_select_squeeze_unsqueeze() {
    let x = grid(&[3, 4]);
    assert_eq!(
        x.narrow(1, 1, 2).unwrap().to_vec(),
        vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]
    );
    assert_eq!(
        x.slice(1, .., 3).unwrap().to_vec(),
        vec![0.0, 3.0, 4.0, 7.0, 8.0, 11.0]
    );
    assert_eq!(x.slice(0, 1..=2, 1).unwrap().shape(), &[2, 4]);
    assert_eq!(x.select(-1, 1).unwrap().to_vec(), vec![1.0, 5.0, 9.0]);
    assert_eq!(x.select(0, 2).unwrap().to_vec(), vec![8.0, 9.0, 10.0, 11.0]);
    let u = x.unsqueeze(0).unwrap().unsqueeze(-1).unwrap();
    assert_eq!(u.shape(), &[1, 3, 4, 1]);
    assert_eq!(u.squeeze(0).unwrap().shape(), &[3, 4, 1]);
    assert_eq!(u.squeeze(1).unwrap().shape(), &[1, 3, 4, 1]); // size 3: unchanged
    assert_eq!(u.squeeze_all().shape(), &[3, 4]);
    let s = x.select(0, 1).unwrap().select(0, 2).unwrap();
    assert_eq!((s.ndim(), s.item().unwrap()), (0, 6.0));
}

// ---- Layout classification seen through tensor views ----

#[test]
fn layout_kinds_of_common_views() {
    let x = grid(&[4, 6]);
    assert_eq!(x.layout().kind(), LayoutKind::Contiguous);
    let window = x.narrow(1, 2, 3).unwrap();
    assert_eq!(
        window.layout().kind(),
        LayoutKind::Blocks {
            len: 3,
            inner_stride: 1
        }
    );
    assert_eq!(
        window.layout().blocks().collect::<Vec<_>>(),
        (0..4)
            .map(|r| Block {
                offset: 6 * r + 2,
                len: 3,
                stride: 1
            })
            .collect::<Vec<_>>()
    );
    // Whole rows of a narrowed first dim are still one contiguous run.
    assert_eq!(
        x.narrow(0, 1, 2).unwrap().layout().kind(),
        LayoutKind::Contiguous
    );
    assert_eq!(
        x.slice(1, .., 2).unwrap().layout().kind(),
        LayoutKind::General
    );
    let p = grid(&[2, 3, 4]).permute(&[1, 2, 0]).unwrap();
    assert_eq!(p.layout().kind(), LayoutKind::General);
    assert_eq!(p.layout().dense_order(), Some(vec![2, 0, 1]));
    assert_eq!(p.layout().dense_range(), Some(0..24));
}

// ---- Constructors ----

#[test]
fn constructors_fill_as_documented() {
    assert_eq!(Tensor::<f64>::ones(&[2]).unwrap().to_vec(), vec![1.0, 1.0]);
    assert_eq!(Tensor::<f64>::zeros(&[]).unwrap().item().unwrap(), 0.0);
    assert_eq!(Tensor::<f32>::full(&[0, 3], 1.0).unwrap().numel(), 0);
    assert_eq!(
        Tensor::from_slice(&[1.0f64, 2.0], &[2, 1]).unwrap().shape(),
        &[2, 1]
    );
    assert_eq!(
        Tensor::<f32>::arange(-1.0, 1.0, 0.5).unwrap().to_vec(),
        vec![-1.0, -0.5, 0.0, 0.5]
    );
    assert_eq!(Tensor::<f64>::eye(2).unwrap().get(&[1, 1]).unwrap(), 1.0);
    assert_eq!(Tensor::scalar(3.0f32).shape(), &[] as &[usize]);
    assert_eq!(Tensor::scalar(3.0f32).dtype(), "float32");
    assert_eq!(Tensor::<f64>::eye(1).unwrap().dtype(), "float64");
}

#[test]
fn random_constructors_are_reproducible_from_a_seed_or_an_rng() {
    use rand::SeedableRng;
    let a = Tensor::<f64>::randn_seeded(&[4, 4], 42).unwrap();
    assert_eq!(
        a.to_vec(),
        Tensor::<f64>::randn_seeded(&[4, 4], 42).unwrap().to_vec()
    );
    assert_ne!(
        a.to_vec(),
        Tensor::<f64>::randn_seeded(&[4, 4], 43).unwrap().to_vec()
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let b = Tensor::<f64>::randn(&[4, 4], &mut rng).unwrap();
    assert_eq!(a.to_vec(), b.to_vec());
    let u = Tensor::<f32>::rand_seeded(&[1000], 1).unwrap().to_vec();
    assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
}

// ---- Errors: right variant, message names the shapes, never a panic ----

#[test]
fn shape_overflow_is_an_error_not_a_panic_or_an_allocation() {
    let huge = [usize::MAX, 2];
    assert!(matches!(
        checked_numel(&huge),
        Err(Error::ShapeOverflow { .. })
    ));
    assert!(matches!(
        Tensor::<f32>::zeros(&huge),
        Err(Error::ShapeOverflow { .. })
    ));
    assert!(matches!(
        Tensor::<f32>::rand_seeded(&huge, 0),
        Err(Error::ShapeOverflow { .. })
    ));
    assert!(matches!(
        Tensor::<f32>::from_vec(vec![], &huge),
        Err(Error::ShapeOverflow { .. })
    ));
    assert!(matches!(
        Tensor::<f32>::eye(usize::MAX),
        Err(Error::ShapeOverflow { .. })
    ));
    let one = Tensor::<f32>::zeros(&[1]).unwrap();
    assert!(matches!(
        one.broadcast_to(&huge),
        Err(Error::ShapeOverflow { .. })
    ));
    assert!(matches!(
        one.reshape(&huge),
        Err(Error::ShapeOverflow { .. })
    ));
    let err = Tensor::<f32>::ones(&huge).unwrap_err();
    assert!(err.to_string().contains(&format!("{huge:?}")), "{err}");
}

#[test]
fn data_length_errors_name_the_shape_and_both_counts() {
    let err = Tensor::<f32>::from_vec(vec![0.0; 5], &[2, 3]).unwrap_err();
    assert!(matches!(
        err,
        Error::DataLength {
            expected: 6,
            got: 5,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "from_vec: shape [2, 3] holds 6 elements but 5 were given"
    );
    assert!(matches!(
        Tensor::<f32>::from_slice(&[0.0; 7], &[2, 3]),
        Err(Error::DataLength {
            op: "from_slice",
            ..
        })
    ));
}

#[test]
fn view_of_a_transposed_tensor_names_shape_and_strides() {
    let t = grid(&[2, 3]).transpose(0, 1).unwrap();
    let err = t.view(&[6]).unwrap_err();
    assert!(matches!(err, Error::NotContiguous { .. }));
    let msg = err.to_string();
    assert!(msg.contains("shape [3, 2] with strides [1, 3]"), "{msg}");
    assert!(msg.contains(".reshape([6])"), "{msg}");
}

#[test]
fn reshape_and_view_to_another_element_count_fail() {
    let x = grid(&[2, 3]);
    for err in [x.view(&[4]).unwrap_err(), x.reshape(&[7]).unwrap_err()] {
        assert!(
            matches!(err, Error::ReshapeSize { from_len: 6, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("[2, 3] (6 elements)"), "{err}");
    }
}

#[test]
fn bad_dims_and_indices_report_the_shape() {
    let x = grid(&[2, 3]);
    let err = x.transpose(0, 2).unwrap_err();
    assert!(matches!(
        err,
        Error::DimOutOfRange {
            dim: 2,
            ndim: 2,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "transpose: dim 2 is out of range for a tensor of 2 dims (shape [2, 3])"
    );
    assert!(matches!(
        x.squeeze(-3),
        Err(Error::DimOutOfRange { dim: -3, .. })
    ));
    assert!(matches!(x.unsqueeze(3), Err(Error::DimOutOfRange { .. })));
    assert!(x.unsqueeze(2).is_ok() && x.unsqueeze(-3).is_ok());
    assert!(matches!(
        x.narrow(5, 0, 1),
        Err(Error::DimOutOfRange { .. })
    ));

    let err = x.permute(&[1, 1]).unwrap_err();
    assert!(matches!(err, Error::InvalidPermutation { .. }));
    assert!(err.to_string().contains("[1, 1]") && err.to_string().contains("[2, 3]"));
    assert!(matches!(
        x.permute(&[0]),
        Err(Error::InvalidPermutation { .. })
    ));

    let err = x.select(1, 3).unwrap_err();
    assert!(matches!(
        err,
        Error::DimIndexOutOfBounds {
            dim: 1,
            size: 3,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "select: index 3 is out of bounds for dim 1 of size 3 (shape [2, 3])"
    );
    let err = x.narrow(-1, 2, 2).unwrap_err();
    assert!(
        err.to_string()
            .contains("range 2..4 is out of bounds for dim 1"),
        "{err}"
    );
    assert!(matches!(
        x.narrow(0, usize::MAX, 2),
        Err(Error::DimIndexOutOfBounds { .. })
    ));
    assert!(matches!(
        x.slice(0, (Bound::Included(1), Bound::Excluded(0)), 1),
        Err(Error::DimIndexOutOfBounds { .. })
    ));
    assert!(matches!(
        x.slice(0, 0..3, 1),
        Err(Error::DimIndexOutOfBounds { .. })
    ));
    assert!(matches!(
        x.slice(0, .., 0),
        Err(Error::InvalidArgument { op: "slice", .. })
    ));

    let err = x.get(&[2, 0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "get: index [2, 0] is out of bounds for shape [2, 3]"
    );
    assert!(matches!(x.get(&[0]), Err(Error::IndexOutOfBounds { .. })));
    assert!(matches!(
        x.set(&[0, 3], 1.0),
        Err(Error::IndexOutOfBounds { op: "set", .. })
    ));
    assert!(matches!(
        x.layout().index_of(6),
        Err(Error::IndexOutOfBounds { .. })
    ));

    let err = x.item().unwrap_err();
    assert!(err.to_string().contains("[2, 3] has 6 elements"), "{err}");
}

#[test]
fn arange_rejects_zero_nan_and_inconsistent_steps() {
    for (start, end, step) in [
        (0.0, 1.0, 0.0),
        (0.0, f32::NAN, 1.0),
        (1.0, 0.0, 1.0),
        (0.0, f32::INFINITY, 1.0),
    ] {
        let err = Tensor::<f32>::arange(start, end, step).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { op: "arange", .. }),
            "{err}"
        );
    }
}

#[test]
fn as_strided_checks_the_storage_bounds() {
    let x = arange(6);
    let windows = x.as_strided(&[4, 3], &[1, 1], 0).unwrap();
    assert_eq!(windows.select(0, 3).unwrap().to_vec(), vec![3.0, 4.0, 5.0]);
    let err = x.as_strided(&[2, 3], &[3, 1], 1).unwrap_err();
    assert!(
        err.to_string()
            .contains("reaches position 6 but the storage holds 6"),
        "{err}"
    );
    assert!(matches!(
        x.as_strided(&[2], &[1, 1], 0),
        Err(Error::LengthMismatch { .. })
    ));
}

// ---- Display ----

#[test]
fn display_matches_pytorch_layout_plus_shape_and_dtype() {
    assert_eq!(
        grid(&[2, 2]).to_string(),
        "tensor([[0., 1.],\n        [2., 3.]], shape=[2, 2], dtype=float32)"
    );
    let x = Tensor::<f64>::from_vec(vec![0.5, -1.25, 100.0, 3.0], &[2, 2]).unwrap();
    assert_eq!(
        x.to_string(),
        "tensor([[  0.5000,  -1.2500],\n        [100.0000,   3.0000]], shape=[2, 2], dtype=float64)"
    );
    // A non-contiguous view prints its logical order.
    assert_eq!(
        grid(&[2, 3]).transpose(0, 1).unwrap().to_string(),
        "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]], shape=[3, 2], dtype=float32)"
    );
    assert_eq!(
        Tensor::<f32>::zeros(&[1, 3])
            .unwrap()
            .broadcast_to(&[2, 3])
            .unwrap()
            .to_string(),
        "tensor([[0., 0., 0.],\n        [0., 0., 0.]], shape=[2, 3], dtype=float32)"
    );
}

#[test]
fn display_summarises_large_tensors_with_three_edge_items() {
    let x = Tensor::<f32>::arange(1000.0, 2600.0, 1.0)
        .unwrap()
        .view(&[40, 40])
        .unwrap();
    let s = x.to_string();
    assert!(
        s.starts_with("tensor([[1000., 1001., 1002.,  ..., 1037., 1038., 1039.],\n"),
        "{s}"
    );
    assert!(s.contains("],\n        ...,\n        [2480., "), "{s}");
    // The dtype no longer fits in 80 columns and wraps, as PyTorch wraps its suffixes.
    assert!(
        s.ends_with("[2560., 2561., 2562.,  ..., 2597., 2598., 2599.]], shape=[40, 40],\n       dtype=float32)"),
        "{s}"
    );
    assert_eq!(s.lines().count(), 8);
}

//! `softmax_into` / `log_softmax_into`, recycled output buffers and the threaded row split:
//! every path gives the same values as the allocating, single-path forward.

use simdgrad::nn::functional::{log_softmax_backward, softmax_backward};
use simdgrad::parallel::{self, Parallelism};
use simdgrad::tensor::set_buffer_reuse;
use simdgrad::{Error, Tensor};

use crate::with_parallelism;

/// Large enough (1 MiB of f32) that its buffer is cached when dropped.
const ROWS: usize = 256;
const COLS: usize = 1024;

#[test]
fn into_matches_the_allocating_forward_on_every_dim_and_layout() {
    let x = Tensor::<f64>::randn_seeded(&[3, 5, 7], 11).unwrap();
    for dim in [-1isize, 0, 1] {
        let want = x.softmax(dim).unwrap().to_vec();
        let mut out = Tensor::<f64>::zeros(&[3, 5, 7]).unwrap();
        x.softmax_into(dim, &mut out).unwrap();
        assert_eq!(out.to_vec(), want, "dim {dim}");
        let want = x.log_softmax(dim).unwrap().to_vec();
        x.log_softmax_into(dim, &mut out).unwrap();
        assert_eq!(out.to_vec(), want, "dim {dim}");
    }
    // A transposed (strided) input.
    let t = x.transpose(1, 2).unwrap();
    let mut out = Tensor::<f64>::zeros(t.shape()).unwrap();
    t.softmax_into(-1, &mut out).unwrap();
    assert_eq!(out.to_vec(), t.softmax(-1).unwrap().to_vec());
    // In place: `out` is `x` itself.
    let y = x.detach().contiguous();
    let want = y.softmax(-1).unwrap().to_vec();
    let mut same = y.clone();
    y.softmax_into(-1, &mut same).unwrap();
    assert_eq!(y.to_vec(), want);
}

#[test]
fn into_rejects_a_wrong_shape_a_strided_output_and_a_bad_dim() {
    let x = Tensor::<f32>::zeros(&[2, 3]).unwrap();
    let mut wrong = Tensor::<f32>::zeros(&[3, 2]).unwrap();
    match x.softmax_into(-1, &mut wrong) {
        Err(Error::ShapeMismatch { lhs, rhs, .. }) => {
            assert_eq!((lhs, rhs), (vec![2, 3], vec![3, 2]))
        }
        other => panic!("{other:?}"),
    }
    let mut strided = Tensor::<f32>::zeros(&[3, 2])
        .unwrap()
        .transpose(0, 1)
        .unwrap();
    assert!(matches!(
        x.log_softmax_into(-1, &mut strided),
        Err(Error::InvalidArgument { .. })
    ));
    let mut out = Tensor::<f32>::zeros(&[2, 3]).unwrap();
    assert!(matches!(
        x.softmax_into(2, &mut out),
        Err(Error::DimOutOfRange { .. })
    ));
}

#[test]
fn a_recycled_buffer_never_leaks_its_old_values() {
    let x = Tensor::<f32>::randn_seeded(&[ROWS, COLS], 3).unwrap();
    let g = Tensor::<f32>::randn_seeded(&[ROWS, COLS], 4).unwrap();
    let want_y = x.softmax(-1).unwrap().to_vec();
    let want_l = x.log_softmax(-1).unwrap().to_vec();
    let yt = Tensor::from_vec(want_y.clone(), &[ROWS, COLS]).unwrap();
    let lt = Tensor::from_vec(want_l.clone(), &[ROWS, COLS]).unwrap();
    let want_dy = softmax_backward(&yt, &g, -1).unwrap().to_vec();
    let want_dl = log_softmax_backward(&lt, &g, -1).unwrap().to_vec();
    for _ in 0..3 {
        // Freed buffers full of NaN: whichever the next op takes, none of it may show.
        drop(Tensor::<f32>::full(&[ROWS, COLS], f32::NAN).unwrap());
        drop(Tensor::<f32>::full(&[ROWS, COLS], f32::NAN).unwrap());
        assert_eq!(x.softmax(-1).unwrap().to_vec(), want_y);
        drop(Tensor::<f32>::full(&[ROWS, COLS], f32::NAN).unwrap());
        assert_eq!(x.log_softmax(-1).unwrap().to_vec(), want_l);
        drop(Tensor::<f32>::full(&[ROWS, COLS], f32::NAN).unwrap());
        assert_eq!(softmax_backward(&yt, &g, -1).unwrap().to_vec(), want_dy);
        drop(Tensor::<f32>::full(&[ROWS, COLS], f32::NAN).unwrap());
        assert_eq!(log_softmax_backward(&lt, &g, -1).unwrap().to_vec(), want_dl);
    }
}

#[test]
fn outputs_held_at_once_never_share_a_buffer() {
    let x = Tensor::<f32>::randn_seeded(&[ROWS, COLS], 5).unwrap();
    drop(x.softmax(-1).unwrap());
    let a = x.softmax(-1).unwrap();
    let b = x.softmax(-1).unwrap();
    let c = x.log_softmax(-1).unwrap();
    assert!(!a.shares_storage_with(&b) && !a.shares_storage_with(&c));
    let before = a.to_vec();
    b.set(&[0, 0], 5.0).unwrap();
    c.set(&[0, 0], 5.0).unwrap();
    assert_eq!(a.to_vec(), before);
}

#[test]
fn turning_reuse_off_changes_no_value() {
    let x = Tensor::<f64>::randn_seeded(&[64, 1024], 6).unwrap();
    let on = x.softmax(-1).unwrap().to_vec();
    set_buffer_reuse(false);
    let off = x.softmax(-1).unwrap().to_vec();
    set_buffer_reuse(true);
    assert_eq!(on, off);
}

#[test]
fn the_threaded_row_split_gives_the_same_bits() {
    let x = Tensor::<f32>::randn_seeded(&[37, 129], 7).unwrap();
    let g = Tensor::<f32>::randn_seeded(&[37, 129], 8).unwrap();
    let run = || {
        let y = x.softmax(-1).unwrap();
        let l = x.log_softmax(-1).unwrap();
        (
            y.to_vec(),
            l.to_vec(),
            softmax_backward(&y, &g, -1).unwrap().to_vec(),
            log_softmax_backward(&l, &g, -1).unwrap().to_vec(),
        )
    };
    let one = with_parallelism(
        Parallelism {
            threads: 1,
            ..parallel::get()
        },
        run,
    );
    let three = with_parallelism(
        Parallelism {
            threads: 3,
            min_work_per_task: 1,
        },
        run,
    );
    assert_eq!(one, three);
}

//! The autograd engine: leaves, accumulation, graph traversal, `no_grad`, `detach`, errors.

use simdgrad::autograd::{is_grad_enabled, no_grad, NoGradGuard};
use simdgrad::{Error, Tensor};

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_slice(data, shape).unwrap()
}

fn leaf(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    t(data, shape).requires_grad_(true)
}

#[test]
fn new_tensors_are_leaves_that_do_not_require_grad() {
    let x = t(&[1.0, 2.0], &[2]);
    assert!(x.is_leaf() && !x.requires_grad() && x.grad().is_none());
    let w = x.requires_grad_(true);
    assert!(
        x.requires_grad(),
        "the flag belongs to the tensor, not the handle"
    );
    assert!(w.is_leaf() && w.grad_fn_name().is_none());
}

#[test]
fn ops_on_tensors_that_require_grad_make_non_leaves() {
    let x = leaf(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let y = x.transpose(0, 1).unwrap();
    assert!(y.requires_grad() && !y.is_leaf());
    assert_eq!(y.grad_fn_name(), Some("transpose"));
    // Inputs that do not require grad give tensors that do not either.
    let z = t(&[1.0, 2.0], &[2]).unsqueeze(0).unwrap();
    assert!(!z.requires_grad() && z.is_leaf());
}

#[test]
fn a_tensor_used_twice_receives_the_sum_of_both_gradients() {
    // y = x · x (1x1): dy/dx = 2x, reached through two edges to the same leaf.
    let x = leaf(&[3.0], &[1, 1]);
    x.matmul(&x).unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0]);

    // An intermediate node used twice: h = xᵀ (one node), y = h · h.
    // For x = [[a, b], [c, d]], y = (xᵀ)², and with seed ones the gradient is computed by hand.
    let x = leaf(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let h = x.transpose(0, 1).unwrap();
    let y = h.matmul(&h).unwrap();
    y.backward_with(&Tensor::ones(&[2, 2]).unwrap()).unwrap();
    // d/dh sum(h·h) = 1·hᵀ + hᵀ·1 ; grad_x = (that)ᵀ = h·1 + 1·h with h = xᵀ = [[1,3],[2,4]].
    // h·1 = [[4,4],[6,6]], 1·h = [[3,7],[3,7]] → [[7,11],[9,13]].
    assert_eq!(x.grad().unwrap().to_vec(), vec![7.0, 11.0, 9.0, 13.0]);
}

#[test]
fn gradients_accumulate_across_backward_calls_until_zero_grad() {
    let x = leaf(&[1.0, 2.0], &[1, 2]);
    let b = t(&[3.0, 4.0], &[2, 1]);
    for _ in 0..2 {
        x.matmul(&b).unwrap().backward().unwrap();
    }
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 8.0]);
    x.zero_grad();
    assert!(x.grad().is_none());
    x.matmul(&b).unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 4.0]);
}

#[test]
fn retain_graph_allows_a_second_backward_and_the_default_frees_the_graph() {
    let x = leaf(&[2.0], &[1, 1]);
    let y = x.matmul(&x).unwrap();
    y.backward_with_options(None, true).unwrap();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![8.0]);
    let err = y.backward().unwrap_err();
    assert!(err.to_string().contains("freed"), "{err}");
}

#[test]
fn backward_on_a_non_scalar_without_seed_is_an_error_naming_the_shape() {
    let x = leaf(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let y = x.transpose(0, 1).unwrap();
    let err = y.backward().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { op: "backward", .. }));
    assert!(err.to_string().contains("[3, 2]"), "{err}");
    assert!(x.grad().is_none());
    // A seed of the wrong shape is an error too; the right one works.
    assert!(y.backward_with(&Tensor::ones(&[2, 3]).unwrap()).is_err());
    y.backward_with(&Tensor::ones(&[3, 2]).unwrap()).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 6]);
}

#[test]
fn backward_on_a_tensor_that_does_not_require_grad_is_an_error() {
    let err = t(&[1.0], &[1]).backward().unwrap_err();
    assert!(err.to_string().contains("does not require grad"), "{err}");
}

#[test]
fn backward_on_a_leaf_accumulates_the_seed() {
    let x = leaf(&[5.0], &[]);
    x.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
}

#[test]
fn no_grad_produces_tensors_that_do_not_require_grad_and_nests() {
    let x = leaf(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let y = no_grad(|| {
        let inner = no_grad(|| x.transpose(0, 1).unwrap());
        assert!(!is_grad_enabled(), "the outer scope is still active");
        assert!(!inner.requires_grad());
        x.matmul(&x).unwrap()
    });
    assert!(is_grad_enabled());
    assert!(!y.requires_grad() && y.is_leaf());
    {
        let _guard = NoGradGuard::new();
        assert!(!x.permute(&[1, 0]).unwrap().requires_grad());
    }
    assert!(x.permute(&[1, 0]).unwrap().requires_grad());
}

#[test]
fn no_grad_is_restored_after_a_panic() {
    let r = std::panic::catch_unwind(|| no_grad(|| panic!("boom")));
    assert!(r.is_err());
    assert!(is_grad_enabled());
}

#[test]
fn no_grad_is_per_thread() {
    let _guard = NoGradGuard::new();
    let other = std::thread::spawn(is_grad_enabled).join().unwrap();
    assert!(other && !is_grad_enabled());
}

#[test]
fn detach_cuts_the_graph_but_shares_storage() {
    let x = leaf(&[1.0, 2.0], &[1, 2]);
    let d = x.detach();
    assert!(!d.requires_grad() && d.is_leaf() && d.shares_storage_with(&x));
    let y = x.matmul(&d.transpose(0, 1).unwrap()).unwrap(); // x·xᵀ, second factor detached
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0]); // not 2x
    assert!(d.grad().is_none());
}

#[test]
fn the_stored_gradient_is_independent_of_the_seed() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let seed = t(&[5.0, 6.0], &[2]);
    x.unsqueeze(0)
        .unwrap()
        .backward_with(&seed.unsqueeze(0).unwrap())
        .unwrap();
    seed.set(&[0], 100.0).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0, 6.0]);
}

#[test]
fn a_deep_chain_of_ops_neither_overflows_the_stack_in_backward_nor_in_drop() {
    let x = leaf(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = y.transpose(0, 1).unwrap();
    }
    y.backward_with_options(Some(&Tensor::ones(y.shape()).unwrap()), true)
        .unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 6]);
    drop(y); // drops 100 000 nodes
}

#[test]
fn tensors_and_backward_work_across_threads() {
    let x = leaf(&[1.0, 2.0], &[1, 2]);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let x = x.clone();
            std::thread::spawn(move || {
                let b = Tensor::from_slice(&[1.0, 1.0], &[2, 1]).unwrap();
                x.matmul(&b).unwrap().backward().unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 4.0]);
}

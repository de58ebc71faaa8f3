//! Training end to end on the UCI 8×8 digits fixture: the loss falls on a fixed batch, and the
//! same seed and thread count give a bit-identical loss curve (shuffling, init and dropout all
//! come from seeded generators), with the threaded kernel paths really taken.

use simdgrad::io::digits;
use simdgrad::nn::data::Dataset;
use simdgrad::nn::functional::cross_entropy;
use simdgrad::nn::init::seeded_rng;
use simdgrad::nn::optim::{Adam, Optimizer, Sgd};
use simdgrad::nn::{Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential};
use simdgrad::parallel::Parallelism;
use simdgrad::Tensor;

/// Runs `f` with `threads` threads and a threshold so low that the tiny fixture's kernels
/// split into several tasks (else every kernel would run on the calling thread whatever the
/// thread count, and the test would not see the threaded paths).
fn with_threads<T>(threads: usize, f: impl FnOnce() -> T) -> T {
    crate::with_parallelism(
        Parallelism {
            threads,
            min_work_per_task: 32,
        },
        f,
    )
}

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/digits/digits-first50.csv.gz"
);

fn digits() -> (Tensor<f32>, Vec<usize>) {
    let (x, y) = digits::read(FIXTURE).unwrap();
    (x, y.into_iter().map(usize::from).collect())
}

/// A small LeNet-like network for (B, 1, 8, 8) inputs.
fn net(seed: u64) -> Sequential<f32> {
    let mut rng = seeded_rng(seed);
    Sequential::new()
        .push(Conv2d::new(1, 4, [3, 3], &mut rng).unwrap().with_padding(1))
        .push(ReLU)
        .push(MaxPool2d::new([2, 2]))
        .push(Flatten)
        .push(Linear::new(64, 32, &mut rng).unwrap())
        .push(ReLU)
        .push(Dropout::new(0.2, seed + 1).unwrap())
        .push(Linear::new(32, 10, &mut rng).unwrap())
}

/// Trains `epochs` epochs of shuffled batches of 10 and returns every step's loss.
fn loss_curve(seed: u64, epochs: usize) -> Vec<f32> {
    let (x, y) = digits();
    let data = Dataset::new(&x, y).unwrap();
    let model = net(seed);
    let mut opt = Sgd::new(model.parameters(), 0.1).with_momentum(0.9);
    let mut rng = seeded_rng(seed + 2);
    let mut losses = Vec::new();
    for _ in 0..epochs {
        for idx in data.batches(10, Some(&mut rng)).unwrap() {
            let (xb, yb) = data.batch(&idx).unwrap();
            opt.zero_grad();
            let loss = cross_entropy(&model.forward(&xb).unwrap(), &yb).unwrap();
            loss.backward().unwrap();
            opt.step().unwrap();
            losses.push(loss.item().unwrap());
        }
    }
    losses
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|l| l.to_bits()).collect()
}

#[test]
fn same_seed_and_threads_give_a_bit_identical_loss_curve() {
    for threads in [1, 2] {
        let a = with_threads(threads, || loss_curve(5, 2));
        let b = with_threads(threads, || loss_curve(5, 2));
        assert_eq!(a.len(), 10);
        assert_eq!(bits(&a), bits(&b), "{threads} thread(s)");
        // A different seed is a different run (the test can fail).
        let other = with_threads(threads, || loss_curve(6, 2));
        assert_ne!(bits(&a), bits(&other), "{threads} thread(s)");
    }
}

#[test]
fn the_loss_curve_does_not_depend_on_the_thread_count() {
    // The library splits work so that every element is computed the same way for any split
    // (parallel.rs), so even the thread count leaves the curve bit-identical.
    let one = with_threads(1, || loss_curve(5, 2));
    let two = with_threads(2, || loss_curve(5, 2));
    assert_eq!(bits(&one), bits(&two));
}

#[test]
fn loss_falls_when_fitting_a_tiny_fixed_batch() {
    let (x, y) = digits();
    let mut model = net(0);
    model.set_training(false); // no dropout noise: a clean fit of the fixed batch
    let mut opt = Adam::new(model.parameters(), 0.01);
    let mut losses = Vec::new();
    for _ in 0..40 {
        opt.zero_grad();
        let loss = cross_entropy(&model.forward(&x).unwrap(), &y).unwrap();
        loss.backward().unwrap();
        opt.step().unwrap();
        losses.push(loss.item().unwrap());
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(first > 2.0, "initial loss {first} should be near ln 10");
    assert!(last < 0.25 * first, "loss went from {first} to {last}");
    let pred = model.forward(&x).unwrap().argmax_indices(1).unwrap();
    let correct = pred.iter().zip(&y).filter(|(p, t)| p == t).count();
    assert!(correct >= 45, "{correct}/50 training digits right");
}

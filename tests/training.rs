//! Training end to end on the UCI 8×8 digits fixture: the loss falls on a fixed batch, and the
//! same seed and thread count give a bit-identical loss curve (shuffling, init and dropout all
//! come from seeded generators).

use simdgrad::io::digits;
use simdgrad::nn::data::Dataset;
use simdgrad::nn::functional::cross_entropy;
use simdgrad::nn::init::seeded_rng;
use simdgrad::nn::optim::{Adam, Optimizer, Sgd};
use simdgrad::nn::{Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential};
use simdgrad::Tensor;

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

#[test]
fn same_seed_and_threads_give_a_bit_identical_loss_curve() {
    let a = loss_curve(5, 2);
    let b = loss_curve(5, 2);
    assert_eq!(a.len(), 10);
    let bits = |v: &[f32]| v.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    // A different seed is a different run (the test can fail).
    assert_ne!(bits(&a), bits(&loss_curve(6, 2)));
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

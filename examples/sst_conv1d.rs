//! MiniTorch's SST-2 sentiment architecture on a generated task: parallel conv1d of widths 3,
//! 4 and 5 with ReLU, max over time, summed, linear, dropout, sigmoid (BCE with logits).
//!
//! The task ("motif sentiment"): sentences of 20 tokens over a 40-word vocabulary, embedded by
//! a fixed random table (the stand-in for GloVe). Every sentence contains the six "sentiment"
//! tokens 0..=5 as two adjacent triples, but only one in order: `0 1 2` makes it positive,
//! `3 4 5` negative; the other triple is shuffled out of order (`5 3 4`). A bag of words sees
//! the same words in both classes (50% at best); the model must detect an ordered 3-gram,
//! which is what width-3+ convolutions with max over time do.
//!
//! ```text
//! cargo run --release --example sst_conv1d -- --epochs 10
//! ```

use std::process::ExitCode;

use clap::Parser;
use rand::seq::SliceRandom;
use rand::Rng;
use simdgrad::conv::ConvParams;
use simdgrad::nn::functional::bce_with_logits;
use simdgrad::nn::init::seeded_rng;
use simdgrad::nn::optim::{Adam, Optimizer};
use simdgrad::nn::{Conv1d, Dropout, Linear, Module};
use simdgrad::{autograd, Result, Tensor};

const VOCAB: usize = 40;
const LEN: usize = 20;
const EMBED: usize = 16;
const POSITIVE: [usize; 3] = [0, 1, 2];
const NEGATIVE: [usize; 3] = [3, 4, 5];

/// Train MiniTorch's SST-2 conv1d architecture on generated "motif sentiment" sentences.
#[derive(Parser, Debug)]
#[command(name = "sst_conv1d", about, long_about = None)]
struct Args {
    /// Passes over the training sentences.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Training sentences (validation: a fifth as many).
    #[arg(long, default_value_t = 1000)]
    train: usize,
    /// Sentences per step.
    #[arg(long, default_value_t = 10)]
    batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// Feature maps per convolution.
    #[arg(long, default_value_t = 32)]
    channels: usize,
    /// Seed of the data, the weights and dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// One sentence: token ids and its label (1 = positive).
fn sentence<R: Rng>(rng: &mut R) -> (Vec<usize>, f32) {
    let positive = rng.gen_bool(0.5);
    let (motif, other) = if positive {
        (POSITIVE, NEGATIVE)
    } else {
        (NEGATIVE, POSITIVE)
    };
    let mut tokens: Vec<usize> = (0..LEN).map(|_| rng.gen_range(6..VOCAB)).collect();
    let at = rng.gen_range(0..=LEN - 3);
    tokens[at..at + 3].copy_from_slice(&motif);
    // The other class's words also appear as an adjacent triple, but never in their order
    // (e.g. `5 3 4`), so a detector must see the order of three tokens, not just their set.
    let free: Vec<usize> = (0..=LEN - 3)
        .filter(|&i| i + 3 < at || i > at + 3)
        .collect();
    let spot = *free.choose(rng).unwrap_or(&0);
    let mut words = other;
    while words == other {
        words.shuffle(rng);
    }
    if free.is_empty() {
        return (tokens, if positive { 1.0 } else { 0.0 });
    }
    tokens[spot..spot + 3].copy_from_slice(&words);
    (tokens, if positive { 1.0 } else { 0.0 })
}

struct Model {
    convs: Vec<Conv1d<f32>>,
    fc: Linear<f32>,
    dropout: Dropout,
}

impl Model {
    fn new(channels: usize, seed: u64) -> Result<Self> {
        let mut rng = seeded_rng(seed);
        let convs = [3, 4, 5]
            .into_iter()
            .map(|k| {
                Conv1d::new(EMBED, channels, k, &mut rng)
                    .map(|c| c.with_params(ConvParams::anchored_start(k)))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            convs,
            fc: Linear::new(channels, 1, &mut rng)?,
            dropout: Dropout::new(0.25, seed + 1)?,
        })
    }

    /// Embeddings `(B, L, E)` → logits `(B, 1)`.
    fn forward(&self, emb: &Tensor<f32>) -> Result<Tensor<f32>> {
        let x = emb.permute(&[0, 2, 1])?; // (B, E, L), read in place by the conv kernels
        let mut pooled: Option<Tensor<f32>> = None;
        for conv in &self.convs {
            let h = conv.forward(&x)?.relu()?.max(2)?; // max over time: (B, C, 1)
            pooled = Some(match pooled {
                Some(p) => p.add(&h)?,
                None => h,
            });
        }
        let Some(pooled) = pooled else {
            unreachable!("three convolutions");
        };
        let b = pooled.shape()[0];
        let h = self.fc.forward(&pooled.reshape(&[b, pooled.shape()[1]])?)?;
        self.dropout.forward(&h)
    }

    fn parameters(&self) -> Vec<Tensor<f32>> {
        let mut p: Vec<_> = self.convs.iter().flat_map(|c| c.parameters()).collect();
        p.extend(self.fc.parameters());
        p
    }
}

/// Looks up the embeddings of a batch of sentences: `(B, L, E)`.
fn embed(table: &[f32], batch: &[&(Vec<usize>, f32)]) -> Result<(Tensor<f32>, Tensor<f32>)> {
    let mut data = Vec::with_capacity(batch.len() * LEN * EMBED);
    for (tokens, _) in batch {
        for &t in tokens {
            data.extend_from_slice(&table[t * EMBED..(t + 1) * EMBED]);
        }
    }
    let labels = batch.iter().map(|(_, y)| *y).collect();
    Ok((
        Tensor::from_vec(data, &[batch.len(), LEN, EMBED])?,
        Tensor::from_vec(labels, &[batch.len(), 1])?,
    ))
}

fn accuracy(model: &mut Model, table: &[f32], set: &[(Vec<usize>, f32)]) -> Result<f64> {
    Module::<f32>::set_training(&mut model.dropout, false);
    let result = autograd::no_grad(|| {
        let mut correct = 0;
        for chunk in set.chunks(100) {
            let refs: Vec<_> = chunk.iter().collect();
            let (x, y) = embed(table, &refs)?;
            let logits = model.forward(&x)?.to_vec();
            correct += logits
                .iter()
                .zip(y.to_vec())
                .filter(|(l, y)| (**l > 0.0) == (*y > 0.5))
                .count();
        }
        Ok(correct as f64 / set.len().max(1) as f64)
    });
    Module::<f32>::set_training(&mut model.dropout, true);
    result
}

fn run(args: &Args) -> Result<()> {
    if args.epochs == 0 || args.batch_size == 0 || args.train == 0 || args.channels == 0 {
        return Err(simdgrad::Error::InvalidArgument {
            op: "sst_conv1d",
            message: "--epochs, --train, --batch-size and --channels must be at least 1".into(),
        });
    }
    let mut rng = seeded_rng(args.seed);
    let table: Vec<f32> = Tensor::<f32>::randn(&[VOCAB, EMBED], &mut rng)?.to_vec();
    let train: Vec<_> = (0..args.train).map(|_| sentence(&mut rng)).collect();
    let valid: Vec<_> = (0..args.train.div_ceil(5))
        .map(|_| sentence(&mut rng))
        .collect();
    println!(
        "motif sentiment: {} train / {} validation sentences of {LEN} tokens, vocabulary \
         {VOCAB}, embeddings {EMBED}; conv1d widths 3/4/5 x {} channels",
        train.len(),
        valid.len(),
        args.channels
    );
    let mut model = Model::new(args.channels, args.seed + 10)?;
    let mut opt = Adam::new(model.parameters(), args.lr);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut best = 0.0f64;
    for epoch in 0..args.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for idx in order.chunks(args.batch_size) {
            let batch: Vec<_> = idx.iter().map(|&i| &train[i]).collect();
            let (x, y) = embed(&table, &batch)?;
            opt.zero_grad();
            let loss = bce_with_logits(&model.forward(&x)?, &y)?;
            loss.backward()?;
            opt.step()?;
            loss_sum += f64::from(loss.item()?) * idx.len() as f64;
        }
        let train_acc = accuracy(&mut model, &table, &train)?;
        let valid_acc = accuracy(&mut model, &table, &valid)?;
        best = best.max(valid_acc);
        println!(
            "epoch {:>2}: loss {:.4}, train accuracy {:.1}%, validation accuracy {:.1}%",
            epoch + 1,
            loss_sum / train.len() as f64,
            100.0 * train_acc,
            100.0 * valid_acc
        );
    }
    println!("best validation accuracy {:.1}%", 100.0 * best);
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

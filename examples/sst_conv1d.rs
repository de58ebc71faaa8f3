//! MiniTorch's SST-2 sentiment architecture on a generated sentiment language: parallel conv1d
//! of widths 3, 4 and 5 with ReLU, max over time, summed, dropout, linear, sigmoid (BCE with
//! logits).
//!
//! The task ("generated movie reviews"). No SST-2 text ships with the project, so sentences of
//! 16 tokens are drawn from a small review-like language (68 words) whose label is a *rule over
//! phrases*, not a single keyword:
//! - 1 or 2 sentiment phrases, each a positive or negative word, *strong* (`great`, `awful`:
//!   weight 2) or *mild* (`nice`, `dull`: weight 1), optionally preceded by a negator (`not`,
//!   `never`, `hardly`) and/or an intensifier (`very`, `really`, …: weight ×2); a negator's
//!   scope is its phrase (`not very good` = −0.5 × 2 × 1: negation flips and weakens);
//! - with probability ¼ a contrast `but` between two phrases: everything after it counts
//!   double (`great acting but a dull plot` is negative);
//! - every other token is a distractor from 40 neutral review words (`plot`, `actor`, `the`, …).
//!
//! The label is the sign of the weighted sum (sums within 0.25 of 0 are redrawn), then flipped
//! for 10% of sentences (label noise, in training and validation alike), so even a perfect
//! model scores about 90% on the noisy labels; every accuracy is also given on the clean
//! labels. Words are embedded by a fixed random 50-d table (the stand-in for MiniTorch's 50-d
//! GloVe; not trained). The output prints two baselines on the same validation sentences: the
//! majority class, and the *keyword rule* (the sign of the summed sentiment-word weights, blind
//! to negators, intensifiers and `but`). `--keywords-only` draws sentences without negators,
//! intensifiers or `but`, on which the keyword rule is exact: a sanity check that the
//! architecture learns a word detector (max over time of a width-3..5 filter). The full
//! language is not solvable exactly by this architecture either: `but` may sit further from
//! the phrase it doubles than the widest filter sees.
//!
//! Measured (release, `--threads 1`, defaults: 20 000 training / 2 000 validation sentences,
//! 4 epochs, batch 32, Adam lr 0.003, 32 channels per width, dropout 0.25; about 10 s of CPU
//! time per run, wall time up to 2 min on the shared, loaded 2-core machine), validation
//! accuracy after the last epoch, noisy labels (clean labels):
//!
//! | seed | majority class | keyword rule | conv1d model |
//! |---|---|---|---|
//! | 0 | 48.4% (48.0%) | 65.4% (70.2%) | 84.5% (93.3%) |
//! | 1 | 50.5% (50.4%) | 67.6% (71.8%) | 87.5% (95.8%) |
//! | 2 | 50.0% (49.6%) | 69.2% (73.0%) | 86.2% (93.3%) |
//!
//! Training accuracy stays within 1–2 points of validation (no memorisation); epoch-to-epoch
//! validation moves by about 3 points (`--epochs 6`, seed 0: 92.5% clean at epoch 6, 95.6%
//! at epoch 5). `--keywords-only --train 10000 --epochs 3`: 99.2% on clean labels.
//!
//! Why an earlier version (16-d random embeddings, 4 000 training sentences, 10 epochs)
//! memorised (95% training, 62% validation accuracy, below the keyword rule): the fixed
//! random 16-d embeddings. A filter is linear in the embeddings of its window, and 68 random
//! points in 16 dimensions admit few linear splits (Cover's capacity is 2 × 16 = 32 points),
//! so no filter isolates "a negative word" or "a negator" from the 40 distractors; the
//! network fits word combinations instead. Measured with seed 0 (clean-label validation
//! accuracy): 16-d embeddings reach 92.7% on keyword-only sentences (4 000 sentences,
//! 10 epochs) and 63.2% on the full language (71.4% with 20 000 sentences, 4 epochs: the
//! keyword rule's 70.0%); 50-d embeddings reach 85.6% with 4 000 sentences (10 epochs) and
//! 93.3% with 20 000 (4 epochs). Dropout on the pooled features helps: `--dropout 0` gives
//! 86.6%. The runtime pieces (the f32 conv1d on a permuted input with MiniTorch's anchoring,
//! ReLU, max over time, and their gradients) agree with the f64 path, which `check_grads`
//! verifies (`tests/all/nn/nn_layers.rs`); `tests/all/nn/sst_conv1d.rs` trains small instances.
//!
//! ```text
//! cargo run --release --example sst_conv1d -- --threads 1
//! cargo run --release --example sst_conv1d -- --keywords-only
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
use simdgrad::parallel::{self, Parallelism};
use simdgrad::{autograd, Error, Result, Tensor};

/// Tokens per sentence.
pub const LEN: usize = 16;
/// Share of sentences whose label is flipped.
pub const LABEL_NOISE: f64 = 0.1;

/// What a word does in the generated language.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    /// A sentiment word and its signed weight.
    Sentiment(f32),
    /// Doubles the weight of the sentiment word of its phrase.
    Intensifier,
    /// Flips and halves its phrase (`not good` is mildly negative).
    Negator,
    /// Everything after it counts double.
    Contrast,
    /// Carries no sentiment.
    Neutral,
}

/// The vocabulary; a word's id is its index.
const LEXICON: &[(&str, Role)] = &[
    ("great", Role::Sentiment(2.0)),
    ("excellent", Role::Sentiment(2.0)),
    ("brilliant", Role::Sentiment(2.0)),
    ("superb", Role::Sentiment(2.0)),
    ("wonderful", Role::Sentiment(2.0)),
    ("good", Role::Sentiment(1.0)),
    ("nice", Role::Sentiment(1.0)),
    ("fine", Role::Sentiment(1.0)),
    ("pleasant", Role::Sentiment(1.0)),
    ("decent", Role::Sentiment(1.0)),
    ("awful", Role::Sentiment(-2.0)),
    ("terrible", Role::Sentiment(-2.0)),
    ("dreadful", Role::Sentiment(-2.0)),
    ("horrible", Role::Sentiment(-2.0)),
    ("atrocious", Role::Sentiment(-2.0)),
    ("bad", Role::Sentiment(-1.0)),
    ("dull", Role::Sentiment(-1.0)),
    ("weak", Role::Sentiment(-1.0)),
    ("boring", Role::Sentiment(-1.0)),
    ("mediocre", Role::Sentiment(-1.0)),
    ("very", Role::Intensifier),
    ("really", Role::Intensifier),
    ("so", Role::Intensifier),
    ("extremely", Role::Intensifier),
    ("not", Role::Negator),
    ("never", Role::Negator),
    ("hardly", Role::Negator),
    ("but", Role::Contrast),
    ("the", Role::Neutral),
    ("a", Role::Neutral),
    ("movie", Role::Neutral),
    ("film", Role::Neutral),
    ("plot", Role::Neutral),
    ("story", Role::Neutral),
    ("acting", Role::Neutral),
    ("actor", Role::Neutral),
    ("actress", Role::Neutral),
    ("director", Role::Neutral),
    ("script", Role::Neutral),
    ("music", Role::Neutral),
    ("score", Role::Neutral),
    ("ending", Role::Neutral),
    ("scenes", Role::Neutral),
    ("characters", Role::Neutral),
    ("dialogue", Role::Neutral),
    ("camera", Role::Neutral),
    ("sequel", Role::Neutral),
    ("cast", Role::Neutral),
    ("was", Role::Neutral),
    ("is", Role::Neutral),
    ("were", Role::Neutral),
    ("seems", Role::Neutral),
    ("and", Role::Neutral),
    ("of", Role::Neutral),
    ("with", Role::Neutral),
    ("in", Role::Neutral),
    ("this", Role::Neutral),
    ("that", Role::Neutral),
    ("it", Role::Neutral),
    ("its", Role::Neutral),
    ("overall", Role::Neutral),
    ("quite", Role::Neutral),
    ("long", Role::Neutral),
    ("two", Role::Neutral),
    ("hours", Role::Neutral),
    ("french", Role::Neutral),
    ("drama", Role::Neutral),
    ("comedy", Role::Neutral),
];
const VOCAB: usize = LEXICON.len();

/// The ids of the words with a role matching `keep`.
fn ids(keep: impl Fn(Role) -> bool) -> Vec<usize> {
    (0..VOCAB).filter(|&i| keep(LEXICON[i].1)).collect()
}

/// One generated sentence.
pub struct Sentence {
    tokens: Vec<usize>,
    /// The label after noise (1 = positive): what the model trains on.
    label: f32,
    /// The label given by the rule, before noise.
    clean: f32,
}

impl Sentence {
    /// The keyword baseline's score: the sentiment words' weights summed, blind to negators,
    /// intensifiers and `but`.
    fn keyword_score(&self) -> f32 {
        self.tokens
            .iter()
            .map(|&t| match LEXICON[t].1 {
                Role::Sentiment(w) => w,
                _ => 0.0,
            })
            .sum()
    }
}

/// Draws sentences of the generated review language (module docs).
struct Language {
    sentiment: Vec<usize>,
    intensifiers: Vec<usize>,
    negators: Vec<usize>,
    contrast: usize,
    neutral: Vec<usize>,
    /// `false`: keyword-only sentences (no negators, intensifiers or `but`).
    compositional: bool,
}

impl Language {
    fn new(compositional: bool) -> Self {
        Self {
            sentiment: ids(|r| matches!(r, Role::Sentiment(_))),
            intensifiers: ids(|r| r == Role::Intensifier),
            negators: ids(|r| r == Role::Negator),
            contrast: ids(|r| r == Role::Contrast)[0],
            neutral: ids(|r| r == Role::Neutral),
            compositional,
        }
    }

    fn pick<R: Rng>(rng: &mut R, from: &[usize]) -> usize {
        from[rng.gen_range(0..from.len())]
    }

    /// A phrase `[negator] [intensifier] word` and its score.
    fn phrase<R: Rng>(&self, rng: &mut R) -> (Vec<usize>, f32) {
        let word = Self::pick(rng, &self.sentiment);
        let Role::Sentiment(mut score) = LEXICON[word].1 else {
            unreachable!("a sentiment word");
        };
        let mut tokens = Vec::with_capacity(3);
        if self.compositional && rng.gen_bool(0.3) {
            tokens.push(Self::pick(rng, &self.negators));
            score *= -0.5;
        }
        if self.compositional && rng.gen_bool(0.3) {
            tokens.push(Self::pick(rng, &self.intensifiers));
            score *= 2.0;
        }
        tokens.push(word);
        (tokens, score)
    }

    fn sentence<R: Rng>(&self, rng: &mut R) -> Sentence {
        loop {
            let n = rng.gen_range(1..=2);
            let mut units: Vec<Vec<usize>> = Vec::with_capacity(n + 1);
            let but_at =
                (self.compositional && n >= 2 && rng.gen_bool(0.25)).then(|| rng.gen_range(1..n));
            let mut score = 0.0;
            for i in 0..n {
                let (tokens, s) = self.phrase(rng);
                if but_at == Some(i) {
                    units.push(vec![self.contrast]);
                }
                score += if but_at.is_some_and(|b| i >= b) {
                    2.0 * s
                } else {
                    s
                };
                units.push(tokens);
            }
            if score.abs() < 0.25 {
                continue; // no clear sentiment: draw again
            }
            // Spread the neutral words over the gaps between (and around) the units.
            let used: usize = units.iter().map(Vec::len).sum();
            let mut gaps = vec![0usize; units.len() + 1];
            let slots = gaps.len();
            for _ in 0..LEN - used {
                gaps[rng.gen_range(0..slots)] += 1;
            }
            let mut tokens = Vec::with_capacity(LEN);
            for (gap, unit) in gaps.iter().zip(units.iter().map(Some).chain([None])) {
                tokens.extend((0..*gap).map(|_| Self::pick(rng, &self.neutral)));
                tokens.extend(unit.into_iter().flatten());
            }
            let clean = if score > 0.0 { 1.0 } else { 0.0 };
            let label = if rng.gen_bool(LABEL_NOISE) {
                1.0 - clean
            } else {
                clean
            };
            return Sentence {
                tokens,
                label,
                clean,
            };
        }
    }
}

/// A sentence as text.
fn text(tokens: &[usize]) -> String {
    tokens
        .iter()
        .map(|&t| LEXICON[t].0)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Train MiniTorch's SST-2 conv1d architecture on generated movie-review sentences and
/// compare it with a majority-class and a keyword baseline.
#[derive(Parser, Debug, Clone)]
#[command(name = "sst_conv1d", about, long_about = None)]
pub struct Args {
    /// Passes over the training sentences.
    #[arg(long, default_value_t = 4)]
    pub epochs: usize,
    /// Training sentences (drawn once, before training).
    #[arg(long, default_value_t = 20_000)]
    pub train: usize,
    /// Validation sentences (drawn after the training ones, from the same language).
    #[arg(long, default_value_t = 2_000)]
    pub valid: usize,
    /// Sentences per step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.003)]
    pub lr: f64,
    /// Feature maps per convolution.
    #[arg(long, default_value_t = 32)]
    pub channels: usize,
    /// Dimension of the fixed random word embeddings (the stand-in for GloVe's 50).
    #[arg(long, default_value_t = 50)]
    pub embed: usize,
    /// Dropout rate on the pooled features.
    #[arg(long, default_value_t = 0.25)]
    pub dropout: f64,
    /// Keyword-only sentences (no negators, intensifiers or `but`): a sanity check the
    /// architecture should solve almost perfectly.
    #[arg(long)]
    pub keywords_only: bool,
    /// Worker threads (default: the runtime's choice).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of the embeddings, the data, the weights and dropout.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The conv1d widths 3/4/5 + ReLU + max over time (summed), dropout, linear.
struct Model {
    convs: Vec<Conv1d<f32>>,
    fc: Linear<f32>,
    dropout: Dropout,
}

impl Model {
    fn new(embed: usize, channels: usize, dropout: f64, seed: u64) -> Result<Self> {
        let mut rng = seeded_rng(seed);
        let convs = [3, 4, 5]
            .into_iter()
            .map(|k| {
                Conv1d::new(embed, channels, k, &mut rng)
                    .map(|c| c.with_params(ConvParams::anchored_start(k)))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            convs,
            fc: Linear::new(channels, 1, &mut rng)?,
            dropout: Dropout::new(dropout, seed + 1)?,
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
        let features = pooled.reshape(&[b, pooled.shape()[1]])?;
        self.fc.forward(&self.dropout.forward(&features)?)
    }

    fn parameters(&self) -> Vec<Tensor<f32>> {
        let mut p: Vec<_> = self.convs.iter().flat_map(|c| c.parameters()).collect();
        p.extend(self.fc.parameters());
        p
    }
}

/// Looks up the embeddings of a batch of sentences: `(B, L, E)`, and their labels `(B, 1)`.
fn embed(table: &[f32], dim: usize, batch: &[&Sentence]) -> Result<(Tensor<f32>, Tensor<f32>)> {
    let mut data = Vec::with_capacity(batch.len() * LEN * dim);
    for s in batch {
        for &t in &s.tokens {
            data.extend_from_slice(&table[t * dim..(t + 1) * dim]);
        }
    }
    let labels = batch.iter().map(|s| s.label).collect();
    Ok((
        Tensor::from_vec(data, &[batch.len(), LEN, dim])?,
        Tensor::from_vec(labels, &[batch.len(), 1])?,
    ))
}

/// An accuracy against the (noisy) training-style labels and against the clean rule labels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accuracy {
    /// Share of sentences whose noisy label is predicted.
    pub noisy: f64,
    /// Share of sentences whose clean (rule) label is predicted.
    pub clean: f64,
}

impl Accuracy {
    /// The accuracy of `predict` (`true` = positive) on `set`.
    fn of(set: &[Sentence], mut predict: impl FnMut(usize, &Sentence) -> bool) -> Self {
        let (mut noisy, mut clean) = (0usize, 0usize);
        for (i, s) in set.iter().enumerate() {
            let positive = predict(i, s);
            noisy += usize::from(positive == (s.label > 0.5));
            clean += usize::from(positive == (s.clean > 0.5));
        }
        let n = set.len().max(1) as f64;
        Self {
            noisy: noisy as f64 / n,
            clean: clean as f64 / n,
        }
    }
}

impl std::fmt::Display for Accuracy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:5.1}% ({:5.1}% on clean labels)",
            100.0 * self.noisy,
            100.0 * self.clean
        )
    }
}

/// What a run measured on the validation sentences.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    /// Always predicting the training set's majority label.
    pub majority: Accuracy,
    /// The sign of the summed sentiment-word weights (ties: the majority label).
    pub keyword: Accuracy,
    /// The trained model after the last epoch.
    pub model: Accuracy,
    /// The model's accuracy on its training sentences after the last epoch.
    pub train: Accuracy,
}

/// Model predictions (`true` = positive) for `set`, without recording a graph.
fn predict(model: &mut Model, table: &[f32], dim: usize, set: &[Sentence]) -> Result<Vec<bool>> {
    model.dropout.set_training(false);
    let result = autograd::no_grad(|| {
        let mut out = Vec::with_capacity(set.len());
        for chunk in set.chunks(256) {
            let refs: Vec<_> = chunk.iter().collect();
            let (x, _) = embed(table, dim, &refs)?;
            out.extend(model.forward(&x)?.to_vec().into_iter().map(|l| l > 0.0));
        }
        Ok(out)
    });
    model.dropout.set_training(true);
    result
}

fn check(args: &Args) -> Result<()> {
    let bad = |message: String| {
        Err(Error::InvalidArgument {
            op: "sst_conv1d",
            message,
        })
    };
    if args.epochs == 0
        || args.batch_size == 0
        || args.train == 0
        || args.valid == 0
        || args.channels == 0
        || args.embed == 0
    {
        return bad(
            "--epochs, --train, --valid, --batch-size, --channels and --embed must be at least 1"
                .into(),
        );
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return bad(format!("--lr must be a positive number, got {}", args.lr));
    }
    if !(0.0..1.0).contains(&args.dropout) {
        return bad(format!("--dropout must be in [0, 1), got {}", args.dropout));
    }
    if args.threads == Some(0) {
        return bad("--threads must be at least 1".into());
    }
    Ok(())
}

/// Generates the data, trains, and measures the baselines and the model; `log` receives the
/// progress lines.
pub fn train(args: &Args, mut log: impl FnMut(String)) -> Result<Summary> {
    check(args)?;
    if let Some(threads) = args.threads {
        parallel::set(Parallelism {
            threads,
            ..parallel::get()
        });
    }
    let dim = args.embed;
    let mut rng = seeded_rng(args.seed);
    let table: Vec<f32> = Tensor::<f32>::randn(&[VOCAB, dim], &mut rng)?.to_vec();
    let language = Language::new(!args.keywords_only);
    let train: Vec<_> = (0..args.train)
        .map(|_| language.sentence(&mut rng))
        .collect();
    let valid: Vec<_> = (0..args.valid)
        .map(|_| language.sentence(&mut rng))
        .collect();
    log(format!(
        "generated movie reviews{}: {} train / {} validation sentences of {LEN} tokens, \
         vocabulary {VOCAB}, fixed random {dim}-d embeddings, {:.0}% label noise; \
         conv1d widths 3/4/5 x {} channels, {} thread(s)",
        if args.keywords_only {
            " (keywords only)"
        } else {
            ""
        },
        train.len(),
        valid.len(),
        100.0 * LABEL_NOISE,
        args.channels,
        parallel::get().threads,
    ));
    for s in train.iter().take(3) {
        let sign = if s.label > 0.5 { "+" } else { "-" };
        log(format!("  [{sign}] {}", text(&s.tokens)));
    }

    let positives = train.iter().filter(|s| s.label > 0.5).count();
    let majority_positive = 2 * positives >= train.len();
    let majority = Accuracy::of(&valid, |_, _| majority_positive);
    let keyword = Accuracy::of(&valid, |_, s| {
        let score = s.keyword_score();
        if score == 0.0 {
            majority_positive
        } else {
            score > 0.0
        }
    });

    let mut model = Model::new(dim, args.channels, args.dropout, args.seed + 10)?;
    let mut opt = Adam::new(model.parameters(), args.lr);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut summary = Summary {
        majority,
        keyword,
        model: Accuracy::default(),
        train: Accuracy::default(),
    };
    for epoch in 0..args.epochs {
        let start = std::time::Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for idx in order.chunks(args.batch_size) {
            let batch: Vec<_> = idx.iter().map(|&i| &train[i]).collect();
            let (x, y) = embed(&table, dim, &batch)?;
            opt.zero_grad();
            let loss = bce_with_logits(&model.forward(&x)?, &y)?;
            loss.backward()?;
            opt.step()?;
            loss_sum += f64::from(loss.item()?) * idx.len() as f64;
        }
        let seconds = start.elapsed().as_secs_f64();
        let on_train = predict(&mut model, &table, dim, &train)?;
        let on_valid = predict(&mut model, &table, dim, &valid)?;
        summary.train = Accuracy::of(&train, |i, _| on_train[i]);
        summary.model = Accuracy::of(&valid, |i, _| on_valid[i]);
        log(format!(
            "epoch {:>2}: loss {:.4}, train {}, validation {} [{:.1} s]",
            epoch + 1,
            loss_sum / train.len() as f64,
            summary.train,
            summary.model,
            seconds,
        ));
    }
    log(format!(
        "validation accuracy (noisy labels; clean rule labels):\n  majority class {}\n  \
         keyword rule   {}\n  conv1d model   {}\n  ({:.0}% of labels are flipped, so a \
         perfect model scores about {:.0}% on the noisy ones)",
        summary.majority,
        summary.keyword,
        summary.model,
        100.0 * LABEL_NOISE,
        100.0 * (1.0 - LABEL_NOISE)
    ));
    Ok(summary)
}

#[allow(dead_code)] // unused when tests/sst_conv1d.rs includes this file as a module
fn main() -> ExitCode {
    let args = Args::parse();
    match train(&args, |line| println!("{line}")) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

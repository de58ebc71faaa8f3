//! Trains a CNN on handwritten digits end to end with simdgrad: every kernel and every gradient
//! is simdgrad's. By default it uses the MNIST subset shipped in `data/mnist-subset/` (6000
//! training, 1000 validation images), so it runs on a fresh clone with no download:
//!
//! ```text
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --data ../shared/data/mnist --epochs 5
//! cargo run --release --example mnist -- --model minitorch
//! ```
//!
//! At the end it writes a training curve (SVG) and a safetensors checkpoint under `--out`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use simdgrad::conv::ConvParams;
use simdgrad::io::idx;
use simdgrad::nn::data::Dataset;
use simdgrad::nn::functional::{cross_entropy, nll_loss};
use simdgrad::nn::optim::{Adam, Optimizer, Sgd};
use simdgrad::nn::{
    checkpoint, init, AvgPool2d, Conv2d, Dropout, Flatten, Linear, LogSoftmax, MaxPool2d, Module,
    ReLU, Sequential,
};
use simdgrad::parallel::{self, Parallelism};
use simdgrad::{autograd, Tensor};

/// Which network to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Model {
    /// LeNet-5 style: conv 1→6 5×5 pad 2, ReLU, maxpool 2; conv 6→16 5×5, ReLU, maxpool 2;
    /// linear 400→120→84→10; cross-entropy on the logits.
    Lenet,
    /// MiniTorch Module 4's network: conv 1→4 3×3, ReLU; conv 4→8 3×3, ReLU (MiniTorch's
    /// same-size anchoring); avgpool 4×4; linear 392→64, ReLU, dropout 0.25; linear 64→10;
    /// log-softmax and NLL loss.
    Minitorch,
}

/// Which optimiser updates the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Optim {
    /// Adam (β = 0.9, 0.999).
    Adam,
    /// SGD with momentum 0.9.
    Sgd,
}

/// Train a convolutional network on MNIST digits with simdgrad, report validation accuracy
/// per epoch, and save a training curve (SVG) and a checkpoint (safetensors).
#[derive(Parser, Debug)]
#[command(name = "mnist", version, about, long_about = None)]
struct Args {
    /// Network architecture.
    #[arg(long, value_enum, default_value_t = Model::Lenet)]
    model: Model,
    /// Directory with the four MNIST IDX files (gzip or raw), e.g. ../shared/data/mnist.
    /// Default: the subset shipped in data/mnist-subset (6000 train / 1000 test images).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Number of passes over the training set.
    #[arg(long, default_value_t = 6)]
    epochs: usize,
    /// Images per optimisation step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Initial learning rate (default: 2e-3 for Adam, 0.05 for SGD).
    #[arg(long)]
    lr: Option<f64>,
    /// Factor the learning rate is multiplied by after each epoch (1 = constant).
    #[arg(long, default_value_t = 0.6)]
    lr_decay: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = Optim::Adam)]
    optim: Optim,
    /// Threads the kernels may use (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the weight initialisation, the shuffling and dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Use only the first N training images.
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// Directory for the training curve and the checkpoint.
    #[arg(long, value_name = "DIR", default_value = "target/mnist-demo")]
    out: PathBuf,
}

/// One epoch's figures.
struct EpochStats {
    loss: f64,
    accuracy: f64,
}

/// A network plus whether it ends in log-softmax (then the loss is NLL, else cross-entropy).
struct Net {
    layers: Sequential<f32>,
    log_probs: bool,
}

impl Net {
    fn new(model: Model, seed: u64) -> simdgrad::Result<Self> {
        let mut rng = init::seeded_rng(seed);
        Ok(match model {
            Model::Lenet => Net {
                layers: Sequential::new()
                    .push(Conv2d::new(1, 6, [5, 5], &mut rng)?.with_padding(2))
                    .push(ReLU)
                    .push(MaxPool2d::new([2, 2]))
                    .push(Conv2d::new(6, 16, [5, 5], &mut rng)?)
                    .push(ReLU)
                    .push(MaxPool2d::new([2, 2]))
                    .push(Flatten)
                    .push(Linear::new(400, 120, &mut rng)?)
                    .push(ReLU)
                    .push(Linear::new(120, 84, &mut rng)?)
                    .push(ReLU)
                    .push(Linear::new(84, 10, &mut rng)?),
                log_probs: false,
            },
            Model::Minitorch => {
                let same = [ConvParams::anchored_start(3); 2];
                Net {
                    layers: Sequential::new()
                        .push(Conv2d::new(1, 4, [3, 3], &mut rng)?.with_params(same))
                        .push(ReLU)
                        .push(Conv2d::new(4, 8, [3, 3], &mut rng)?.with_params(same))
                        .push(ReLU)
                        .push(AvgPool2d::new([4, 4]))
                        .push(Flatten)
                        .push(Linear::new(392, 64, &mut rng)?)
                        .push(ReLU)
                        .push(Dropout::new(0.25, seed.wrapping_add(1))?)
                        .push(Linear::new(64, 10, &mut rng)?)
                        .push(LogSoftmax::new(1)),
                    log_probs: true,
                }
            }
        })
    }

    fn loss(&self, out: &Tensor<f32>, labels: &[usize]) -> simdgrad::Result<Tensor<f32>> {
        if self.log_probs {
            nll_loss(out, labels)
        } else {
            cross_entropy(out, labels)
        }
    }
}

/// The chosen optimiser, kept concrete so the schedule can set its learning rate.
enum Opt {
    Adam(Adam<f32>),
    Sgd(Sgd<f32>),
}

impl Opt {
    fn set_lr(&mut self, lr: f64) {
        match self {
            Opt::Adam(o) => o.lr = lr,
            Opt::Sgd(o) => o.lr = lr,
        }
    }

    fn zero_grad(&self) {
        match self {
            Opt::Adam(o) => o.zero_grad(),
            Opt::Sgd(o) => o.zero_grad(),
        }
    }

    fn step(&mut self) -> simdgrad::Result<()> {
        match self {
            Opt::Adam(o) => o.step(),
            Opt::Sgd(o) => o.step(),
        }
    }
}

fn bad_arg(message: String) -> simdgrad::Error {
    simdgrad::Error::InvalidArgument {
        op: "mnist",
        message,
    }
}

fn load(args: &Args) -> simdgrad::Result<(Dataset<f32>, Dataset<f32>, String)> {
    let dir = args
        .data
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-subset"));
    if !dir.is_dir() {
        return Err(bad_arg(format!(
            "--data {}: not a directory (it should hold the four MNIST IDX files)",
            dir.display()
        )));
    }
    let m = idx::load_mnist(&dir)?;
    let limit = args.train_limit.unwrap_or(usize::MAX);
    let train_images = m.train_images.take(limit);
    let to_labels = |l: &[u8]| l.iter().map(|&v| usize::from(v)).collect::<Vec<_>>();
    let train = Dataset::new(
        &train_images.to_tensor()?,
        to_labels(&m.train_labels[..train_images.n]),
    )?;
    let test = Dataset::new(&m.test_images.to_tensor()?, to_labels(&m.test_labels))?;
    Ok((train, test, dir.display().to_string()))
}

/// Accuracy on `data`, in eval mode and without recording a graph.
fn evaluate(net: &mut Net, data: &Dataset<f32>) -> simdgrad::Result<f64> {
    net.layers.set_training(false);
    let result = autograd::no_grad(|| {
        let mut correct = 0usize;
        for idx in data.batches::<rand::rngs::StdRng>(500, None)? {
            let (x, y) = data.batch(&idx)?;
            let pred = net.layers.forward(&x)?.argmax_indices(1)?;
            correct += pred.iter().zip(&y).filter(|(p, t)| p == t).count();
        }
        Ok(correct as f64 / data.len().max(1) as f64)
    });
    net.layers.set_training(true);
    result
}

fn progress_bar(len: usize, epoch: usize, epochs: usize) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let style = ProgressStyle::with_template(
        "epoch {prefix} [{bar:30}] {pos:>6}/{len} images  {msg}  ({elapsed})",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(format!("{}/{}", epoch + 1, epochs));
    bar
}

fn train(args: &Args) -> simdgrad::Result<()> {
    if args.epochs == 0 || args.batch_size == 0 {
        return Err(bad_arg(
            "--epochs and --batch-size must be at least 1".into(),
        ));
    }
    if args.train_limit == Some(0) {
        return Err(bad_arg("--train-limit must be at least 1".into()));
    }
    let lr = args.lr.unwrap_or(match args.optim {
        Optim::Adam => 2e-3,
        Optim::Sgd => 0.05,
    });
    if !(lr.is_finite() && lr > 0.0) {
        return Err(bad_arg(format!("--lr must be a positive number, got {lr}")));
    }
    if !(args.lr_decay.is_finite() && args.lr_decay > 0.0 && args.lr_decay <= 1.0) {
        return Err(bad_arg(format!(
            "--lr-decay must be in (0, 1], got {}",
            args.lr_decay
        )));
    }
    if let Some(t) = args.threads {
        if t == 0 {
            return Err(bad_arg("--threads must be at least 1".into()));
        }
        parallel::set(Parallelism {
            threads: t,
            ..parallel::get()
        });
    }
    std::fs::create_dir_all(&args.out).map_err(|e| simdgrad::Error::Io {
        path: args.out.display().to_string(),
        message: e.to_string(),
    })?;

    let (train_set, test_set, source) = load(args)?;
    println!(
        "simdgrad MNIST demo: {:?} on {} ({} training / {} validation images), {:?} lr {lr}, \
         batch {}, {} thread(s)",
        args.model,
        source,
        train_set.len(),
        test_set.len(),
        args.optim,
        args.batch_size,
        parallel::get().threads
    );

    let mut net = Net::new(args.model, args.seed)?;
    let params = net.layers.parameters();
    let mut opt = match args.optim {
        Optim::Adam => Opt::Adam(Adam::new(params, lr)),
        Optim::Sgd => Opt::Sgd(Sgd::new(params, lr).with_momentum(0.9)),
    };
    let mut shuffle_rng = init::seeded_rng(args.seed.wrapping_add(2));
    let mut history = Vec::new();
    let started = Instant::now();
    for epoch in 0..args.epochs {
        opt.set_lr(lr * args.lr_decay.powi(epoch as i32));
        let bar = progress_bar(train_set.len(), epoch, args.epochs);
        let epoch_start = Instant::now();
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for idx in train_set.batches(args.batch_size, Some(&mut shuffle_rng))? {
            let (x, y) = train_set.batch(&idx)?;
            opt.zero_grad();
            let loss = net.loss(&net.layers.forward(&x)?, &y)?;
            loss.backward()?;
            opt.step()?;
            loss_sum += f64::from(loss.item()?) * idx.len() as f64;
            seen += idx.len();
            bar.inc(idx.len() as u64);
            let rate = seen as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "loss {:.4}  {rate:.0} images/s",
                loss_sum / seen as f64
            ));
        }
        bar.finish_and_clear();
        let train_secs = epoch_start.elapsed().as_secs_f64();
        let accuracy = evaluate(&mut net, &test_set)?;
        let loss = loss_sum / seen.max(1) as f64;
        println!(
            "epoch {}/{}: loss {loss:.4}, validation accuracy {:.2}%, {:.0} images/s, {:.1} s \
             (total {:.1} s)",
            epoch + 1,
            args.epochs,
            100.0 * accuracy,
            seen as f64 / train_secs,
            train_secs,
            started.elapsed().as_secs_f64()
        );
        history.push(EpochStats { loss, accuracy });
    }

    let name = match args.model {
        Model::Lenet => "lenet",
        Model::Minitorch => "minitorch",
    };
    let plot = args.out.join(format!("mnist-{name}-curve.svg"));
    plot_curve(&history, &plot)?;
    let ckpt = args.out.join(format!("mnist-{name}.safetensors"));
    checkpoint::save_safetensors(&net.layers.named_parameters(), &ckpt)?;
    println!("training curve: {}", plot.display());
    println!("checkpoint:     {}", ckpt.display());
    Ok(())
}

/// One chart: its area, title, y range and points.
type Panel<'a, A> = (&'a A, &'static str, f64, f64, Vec<(f64, f64)>);

/// Loss (left) and validation accuracy (right) per epoch, as an SVG.
fn plot_curve(history: &[EpochStats], path: &Path) -> simdgrad::Result<()> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| simdgrad::Error::Io {
        path: path.display().to_string(),
        message: format!("cannot draw the training curve: {e}"),
    };
    let root = SVGBackend::new(path, (960, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(480);
    let epochs = history.len().max(2) as f64;
    let max_loss = history.iter().map(|h| h.loss).fold(0.0, f64::max).max(1e-3) * 1.1;
    let min_acc = history.iter().map(|h| h.accuracy).fold(1.0, f64::min);
    let panels: [Panel<'_, _>; 2] = [
        (
            &left,
            "training loss",
            0.0,
            max_loss,
            history
                .iter()
                .enumerate()
                .map(|(i, h)| ((i + 1) as f64, h.loss))
                .collect(),
        ),
        (
            &right,
            "validation accuracy (%)",
            (100.0 * min_acc - 2.0).max(0.0),
            100.0,
            history
                .iter()
                .enumerate()
                .map(|(i, h)| ((i + 1) as f64, 100.0 * h.accuracy))
                .collect(),
        ),
    ];
    for (area, title, lo, hi, points) in panels {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(1.0..epochs, lo..hi)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(points.clone(), &BLUE))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match train(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

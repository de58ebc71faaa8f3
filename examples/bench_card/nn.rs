//! The network-layer rows: softmax, convolutions and pools, on 1 and 2 threads
//! (`simdgrad::parallel`), each against its roof; on one thread the convolutions are also timed
//! as im2col + GEMM, and the small ones as the naive nested loop.
//!
//! Which rows allocate: `softmax_bwd` (the tensor API returns a fresh tensor) and every
//! `_fwdbwd` row (autograd allocates the output and the gradients). Every other row writes into
//! an output reused across calls (`softmax` and `logsoftmax` through `softmax_into` and
//! `log_softmax_into`), as performance.md asks wherever the API allows.

use simdgrad::conv::{self, naive, ConvParams, ConvShape, StridedRef};
use simdgrad::nn::functional::softmax_backward;
use simdgrad::parallel::{self, Parallelism};
use simdgrad::pool::declared::{Avg2x2S2, Max2x2S2};
use simdgrad::pool::{PoolKernel, PoolShape};
use simdgrad::Tensor;
use simdgrad_workspace::baseline::im2col::Im2col;
use simdgrad_workspace::cases::input;
use simdgrad_workspace::limits::Stream;
use simdgrad_workspace::measure::{self, Clock, Plan};

use crate::card::{Line, Roof, Unit};
use crate::roofs::Roofs;
use crate::Options;

/// A convolution row's one-thread baselines (median ms), where measured.
pub struct ConvBaselines {
    pub op: &'static str,
    pub im2col_ms: Option<f64>,
    pub naive_ms: Option<f64>,
}

/// What the network rows produce.
pub struct NnRows {
    pub lines: Vec<Line>,
    pub conv_baselines: Vec<ConvBaselines>,
}

const THREADS: [usize; 2] = [1, 2];

fn set_threads(threads: usize) {
    parallel::set(Parallelism {
        threads,
        ..parallel::get()
    });
}

/// The plan for a row on `threads` threads: `o.clock` on one thread (everything runs inline
/// there), the wall clock on two.
fn plan_for(plan: Plan, threads: usize) -> Plan {
    if threads == 1 {
        plan
    } else {
        plan.with_clock(Clock::Wall)
    }
}

struct Ctx<'a> {
    o: &'a Options,
    roofs: &'a mut Roofs,
    lines: Vec<Line>,
}

/// A line's key: op, shape key, threads.
type Key<'k> = (&'k str, &'k str, usize);

impl Ctx<'_> {
    /// Times `f`, records and prints its line; `amount` is bytes or FLOPs per call.
    fn row(
        &mut self,
        (op, shape, threads): Key<'_>,
        plan: Plan,
        (amount, unit): (f64, Unit),
        roof: Roof,
        allocates: bool,
        f: impl FnMut(),
    ) {
        let line = Line {
            op: op.to_string(),
            shape: shape.to_string(),
            threads,
            timing: measure::time(plan_for(plan, threads), f),
            amount,
            unit,
            roof,
            allocates,
        };
        line.print();
        self.lines.push(line);
    }

    fn bytes_row(
        &mut self,
        key: Key<'_>,
        bytes: usize,
        stream: Stream,
        allocates: bool,
        f: impl FnMut(),
    ) {
        let roof = self.roofs.bandwidth(stream, bytes, key.2);
        let plan = self.o.plan();
        self.row(key, plan, (bytes as f64, Unit::GBps), roof, allocates, f);
    }

    fn flops_row(&mut self, key: Key<'_>, flops: f64, allocates: bool, f: impl FnMut()) {
        let roof = self.roofs.fma(key.2);
        let plan = self.o.heavy_plan();
        self.row(key, plan, (flops, Unit::GFLOPs), roof, allocates, f);
    }
}

/// Measures every softmax, convolution and pool row on 1 and 2 threads.
pub fn measure(o: &Options, roofs: &mut Roofs) -> NnRows {
    let before = parallel::get();
    let mut cx = Ctx {
        o,
        roofs,
        lines: Vec::new(),
    };
    softmax(&mut cx);
    let conv_baselines = convs(&mut cx);
    pools(&mut cx);
    parallel::set(before);
    NnRows {
        lines: cx.lines,
        conv_baselines,
    }
}

fn softmax(cx: &mut Ctx<'_>) {
    let (rows, cols) = (1024usize, 1024usize);
    let n = rows * cols;
    let shape = format!("{rows}x{cols}");
    let x = Tensor::<f32>::randn_seeded(&[rows, cols], 1).expect("input");
    let g = Tensor::<f32>::randn_seeded(&[rows, cols], 2).expect("gradient");
    let y = x.softmax(-1).expect("softmax");
    let mut out = Tensor::<f32>::zeros(&[rows, cols]).expect("output");
    let leaf = x.detach().requires_grad_(true);
    for t in THREADS {
        set_threads(t);
        let key = |op| (op, shape.as_str(), t);
        cx.bytes_row(key("softmax"), 8 * n, Stream::Copy, false, || {
            x.softmax_into(-1, &mut out).expect("softmax_into");
            std::hint::black_box(&out);
        });
        cx.bytes_row(key("logsoftmax"), 8 * n, Stream::Copy, false, || {
            x.log_softmax_into(-1, &mut out).expect("log_softmax_into");
            std::hint::black_box(&out);
        });
        cx.bytes_row(key("softmax_bwd"), 12 * n, Stream::Triad, true, || {
            drop(std::hint::black_box(softmax_backward(&y, &g, -1)))
        });
        // x and g read, y and dx written.
        cx.bytes_row(key("softmax_fwdbwd"), 16 * n, Stream::Triad, true, || {
            leaf.zero_grad();
            if let Ok(out) = leaf.softmax(-1) {
                std::hint::black_box(out.backward_with(&g)).ok();
            }
        });
    }
}

/// One convolution of the card, with its data.
struct ConvCase {
    name: &'static str,
    key: &'static str,
    s: ConvShape,
    x: Vec<f32>,
    w: Vec<f32>,
    g: Vec<f32>,
}

impl ConvCase {
    fn new(name: &'static str, key: &'static str, s: ConvShape) -> Self {
        let len = |shape: [usize; 4]| shape.iter().product::<usize>();
        ConvCase {
            name,
            key,
            x: input(len(s.input_shape()), 5),
            w: input(len(s.weight_shape()), 6),
            g: input(len(s.output_shape()), 7),
            s,
        }
    }

    fn flops(&self) -> f64 {
        2.0 * self.s.macs() as f64
    }

    fn views(&self) -> [StridedRef<'_, f32, 4>; 3] {
        let s = &self.s;
        [
            StridedRef::contiguous(&self.x, s.input_shape()),
            StridedRef::contiguous(&self.w, s.weight_shape()),
            StridedRef::contiguous(&self.g, s.output_shape()),
        ]
    }

    fn forward(&self, out: &mut [f32]) {
        let [x, w, _] = self.views();
        std::hint::black_box(conv::conv2d_forward(&self.s, x, w, None, out)).ok();
    }
}

const A_KEY: &str = "x8x64x56x56_w64x64x3x3_p1";

fn conv_cases() -> Vec<ConvCase> {
    let p = |v| [ConvParams::padded(v); 2];
    let shape = |x, w, p| ConvShape::conv2d(x, w, p).expect("bench-card conv shape");
    vec![
        ConvCase::new(
            "conv2d_A",
            A_KEY,
            shape([8, 64, 56, 56], [64, 64, 3, 3], p(1)),
        ),
        // MiniTorch's anchoring: output (y, x) reads from (y, x) down and right, zeros after.
        ConvCase::new(
            "conv2d_A_tl",
            A_KEY,
            shape(
                [8, 64, 56, 56],
                [64, 64, 3, 3],
                [ConvParams::anchored_start(3); 2],
            ),
        ),
        ConvCase::new(
            "conv2d_B",
            "x64x1x28x28_w6x1x5x5_p2",
            shape([64, 1, 28, 28], [6, 1, 5, 5], p(2)),
        ),
        ConvCase::new(
            "conv2d_C",
            "x64x6x14x14_w16x6x5x5_p2",
            shape([64, 6, 14, 14], [16, 6, 5, 5], p(2)),
        ),
        ConvCase::new(
            "conv1d",
            "x32x64x256_w64x64x5_p2",
            ConvShape::conv1d([32, 64, 256], [64, 64, 5], ConvParams::padded(2))
                .expect("bench-card conv shape"),
        ),
    ]
}

/// The naive loop is timed only where ten calls take seconds, not minutes.
fn naive_is_cheap(c: &ConvCase) -> bool {
    c.s.macs() < 100_000_000
}

fn convs(cx: &mut Ctx<'_>) -> Vec<ConvBaselines> {
    let cases = conv_cases();
    let a = &cases[0];
    let mut out: Vec<f32> = Vec::new();
    let mut gx = vec![0.0f32; a.x.len()];
    let mut gw = vec![0.0f32; a.w.len()];
    let shape = |s: &ConvShape| s.input_shape().to_vec();
    let ta = (
        Tensor::from_vec(a.x.clone(), &shape(&a.s)).expect("input"),
        Tensor::from_vec(a.w.clone(), &a.s.weight_shape()).expect("weight"),
        Tensor::from_vec(a.g.clone(), &a.s.output_shape()).expect("gradient"),
    );
    let (xl, wl) = (ta.0.requires_grad_(true), ta.1.requires_grad_(true));
    for t in THREADS {
        set_threads(t);
        for c in &cases {
            out.resize(c.g.len(), 0.0);
            cx.flops_row((c.name, c.key, t), c.flops(), false, || c.forward(&mut out));
            if c.name != "conv2d_A" {
                continue;
            }
            let [x, w, g] = c.views();
            let s = &c.s;
            cx.flops_row(("conv2d_A_bwd_input", c.key, t), c.flops(), false, || {
                std::hint::black_box(conv::conv2d_backward_input(s, g, w, &mut gx)).ok();
            });
            cx.flops_row(("conv2d_A_bwd_weight", c.key, t), c.flops(), false, || {
                std::hint::black_box(conv::conv2d_backward_weight(s, x, g, &mut gw)).ok();
            });
            cx.flops_row(("conv2d_A_fwdbwd", c.key, t), 3.0 * c.flops(), true, || {
                xl.zero_grad();
                wl.zero_grad();
                if let Ok(y) = xl.conv2d(&wl, None, s.params) {
                    std::hint::black_box(y.backward_with(&ta.2)).ok();
                }
            });
        }
    }
    set_threads(1);
    conv_baselines(cx.o, &cases, &mut out, &mut gx, &mut gw)
}

/// im2col + GEMM (every row) and the naive loop (small shapes) on one thread.
fn conv_baselines(
    o: &Options,
    cases: &[ConvCase],
    out: &mut Vec<f32>,
    gx: &mut [f32],
    gw: &mut [f32],
) -> Vec<ConvBaselines> {
    let plan = o.slow_plan();
    let ms = |f: &mut dyn FnMut()| Some(measure::time(plan, f).median_ms);
    let mut rows = Vec::new();
    for c in cases {
        out.resize(c.g.len(), 0.0);
        let mut base = Im2col::new(c.s);
        let [x, w, _] = c.views();
        let s = &c.s;
        rows.push(ConvBaselines {
            op: c.name,
            im2col_ms: ms(&mut || {
                std::hint::black_box(base.forward(&c.x, &c.w, out)).ok();
            }),
            naive_ms: if naive_is_cheap(c) {
                ms(&mut || {
                    std::hint::black_box(naive::forward(s, x, w, None, out)).ok();
                })
            } else {
                None
            },
        });
        if c.name == "conv2d_A" {
            rows.push(ConvBaselines {
                op: "conv2d_A_bwd_input",
                im2col_ms: ms(&mut || {
                    std::hint::black_box(base.backward_input(&c.g, &c.w, gx)).ok();
                }),
                naive_ms: None,
            });
            rows.push(ConvBaselines {
                op: "conv2d_A_bwd_weight",
                im2col_ms: ms(&mut || {
                    std::hint::black_box(base.backward_weight(&c.x, &c.g, gw)).ok();
                }),
                naive_ms: None,
            });
        }
    }
    rows
}

/// The pool rows time the kernels users get: the pools the runtime declares with `pool!`
/// (`pool::declared`), which `Tensor::max_pool2d` and the layers dispatch 2×2 / stride 2 to.
/// `maxpool2d_bwd` is the backward `max_pool2d`'s node runs: from the argmax its forward saved
/// (`maxpool2d_argmax`), never reading x.
fn pools(cx: &mut Ctx<'_>) {
    let dims = [8usize, 64, 56, 56];
    let key = "8x64x56x56_k2s2";
    let s = PoolShape::new(dims, [2, 2], [2, 2], [[0, 0]; 2]).expect("bench-card pool shape");
    let n: usize = dims.iter().product();
    let x = input(n, 8);
    let g = input(n / 4, 9);
    let (xv, gv) = (
        StridedRef::contiguous(&x, dims),
        StridedRef::contiguous(&g, s.output_shape()),
    );
    let mut out = vec![0.0f32; n / 4];
    let mut gx = vec![0.0f32; n];
    let mut at = vec![0u8; n / 4];
    let mut saved = vec![0u8; n / 4];
    Max2x2S2
        .forward_argmax(&s, xv, &mut out, &mut saved)
        .expect("bench-card argmax");
    let leaf = Tensor::from_vec(x.clone(), &dims)
        .expect("input")
        .requires_grad_(true);
    let gt = Tensor::from_vec(g.clone(), &s.output_shape()).expect("gradient");
    for t in THREADS {
        set_threads(t);
        let k = |op| (op, key, t);
        // Forward: x read, out (a quarter of x) written.
        cx.bytes_row(k("maxpool2d"), 4 * (n + n / 4), Stream::Copy, false, || {
            std::hint::black_box(Max2x2S2.forward(&s, xv, &mut out)).ok();
        });
        cx.bytes_row(k("avgpool2d"), 4 * (n + n / 4), Stream::Copy, false, || {
            std::hint::black_box(Avg2x2S2.forward(&s, xv, &mut out)).ok();
        });
        // Forward saving each window's argmax (what `max_pool2d` runs when x requires grad):
        // x read, out and the one-byte offsets written.
        cx.bytes_row(
            k("maxpool2d_argmax"),
            4 * (n + n / 4) + n / 4,
            Stream::Copy,
            false,
            || {
                std::hint::black_box(Max2x2S2.forward_argmax(&s, xv, &mut out, &mut at)).ok();
            },
        );
        // Backward as the autograd op runs it, from the saved argmax (x is not read): g and the
        // offsets read, gx written.
        cx.bytes_row(
            k("maxpool2d_bwd"),
            4 * (n + n / 4) + n / 4,
            Stream::Triad,
            false,
            || {
                std::hint::black_box(Max2x2S2.backward_from_argmax(&s, &saved, gv, &mut gx)).ok();
            },
        );
        // Forward + backward: x and g read, y and gx written, the argmax written and read.
        cx.bytes_row(
            k("maxpool2d_fwdbwd"),
            4 * (2 * n + n / 2) + n / 2,
            Stream::Triad,
            true,
            || {
                leaf.zero_grad();
                if let Ok(y) = leaf.max_pool2d([2, 2], [2, 2], [0, 0]) {
                    std::hint::black_box(y.backward_with(&gt)).ok();
                }
            },
        );
    }
}

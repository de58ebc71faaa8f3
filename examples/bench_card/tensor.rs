//! Issue 4's tensor rows: matmul 1024² on 1 and 2 threads against the peak FMA rate of this
//! run, the block paths (a permuted map and reduction, a map over narrowed rows, a broadcast
//! zip) against the same op on contiguous tensors, and the cost of autograd bookkeeping (the
//! same forward with and without gradient tracking).
//!
//! Path and autograd rows run on one thread (`o.clock`); matmul's 2-thread row reads the wall
//! clock. Every path row writes into an output reused across calls, in the memory order the
//! allocating op would choose; matmul and the autograd forwards allocate (the API returns a
//! fresh tensor).

use simdgrad::autograd::no_grad;
use simdgrad::ops::builtins::{Add, Relu, Sum};
use simdgrad::parallel::{self, Parallelism};
use simdgrad::Tensor;
use simdgrad_workspace::limits::Stream;
use simdgrad_workspace::measure::{self, Clock, Plan, Timing};

use crate::card::{Line, Roof, Unit};
use crate::roofs::Roofs;
use crate::Options;

const N: usize = 1024;

/// Rounds of the interleaved tracked / no_grad timing (the ratio is their median).
const AUTOGRAD_ROUNDS: usize = 3;

/// The lines of this module, and the ratios its targets read.
pub struct TensorRows {
    pub lines: Vec<Line>,
    /// `(what, block-path time / contiguous time)`, 1 thread.
    pub paths: Vec<(String, f64)>,
    /// Tracked / no_grad forward time, median over rounds measured in alternation.
    pub autograd_ratio: f64,
}

fn set_threads(threads: usize) {
    parallel::set(Parallelism {
        threads,
        ..parallel::get()
    });
}

fn line(op: &str, shape: &str, threads: usize, timing: Timing, amount: f64, roof: Roof) -> Line {
    let l = Line {
        op: op.to_string(),
        shape: shape.to_string(),
        threads,
        timing,
        amount,
        unit: if roof.label.starts_with("FMA") {
            Unit::GFLOPs
        } else {
            Unit::GBps
        },
        roof,
        allocates: false,
    };
    l.print();
    l
}

/// An output in the memory order the allocating op would choose for `x`: transposed for a
/// transposed input, row-major otherwise.
fn out_like(x: &Tensor<f32>) -> Tensor<f32> {
    let out = Tensor::<f32>::zeros(&[N, N]).expect("output tensor");
    if x.strides()[0] == 1 {
        out.transpose(0, 1).expect("transpose")
    } else {
        out
    }
}

/// Measures every row.
pub fn measure(o: &Options, roofs: &mut Roofs) -> TensorRows {
    let before = parallel::get();
    let mut lines = Vec::new();
    matmul(o, roofs, &mut lines);
    set_threads(1);
    let paths = paths(o, roofs, &mut lines);
    let autograd_ratio = autograd(o, roofs, &mut lines);
    parallel::set(before);
    TensorRows {
        lines,
        paths,
        autograd_ratio,
    }
}

fn matmul(o: &Options, roofs: &mut Roofs, lines: &mut Vec<Line>) {
    let a = Tensor::<f32>::randn_seeded(&[N, N], 1).expect("lhs");
    let b = Tensor::<f32>::randn_seeded(&[N, N], 2).expect("rhs");
    let flops = 2.0 * (N * N * N) as f64;
    for threads in [1, 2] {
        set_threads(threads);
        let plan = if threads == 1 {
            o.heavy_plan()
        } else {
            o.heavy_plan().with_clock(Clock::Wall)
        };
        let t = measure::time(plan, || {
            std::hint::black_box(a.matmul(&b).expect("matmul"));
        });
        let roof = roofs.fma(threads);
        let mut l = line("matmul", "1024x1024x1024", threads, t, flops, roof);
        l.allocates = true;
        lines.push(l);
    }
}

/// Times `f` on one thread as a `GBps` line moving `bytes` per call.
fn bytes_line(
    o: &Options,
    roofs: &mut Roofs,
    (op, shape): (&str, &str),
    bytes: usize,
    stream: Stream,
    f: impl FnMut(),
) -> Line {
    let t = measure::time(o.plan(), f);
    let roof = roofs.bandwidth(stream, bytes, 1);
    line(op, shape, 1, t, bytes as f64, roof)
}

fn paths(o: &Options, roofs: &mut Roofs, lines: &mut Vec<Line>) -> Vec<(String, f64)> {
    let contiguous = Tensor::<f32>::randn_seeded(&[N, N], 3).expect("input");
    let permuted = Tensor::<f32>::randn_seeded(&[N, N], 4)
        .and_then(|t| t.transpose(0, 1))
        .expect("permuted input");
    let narrowed = Tensor::<f32>::randn_seeded(&[N, N + 16], 5)
        .and_then(|t| t.narrow(1, 8, N))
        .expect("narrowed input");
    let row = Tensor::<f32>::randn_seeded(&[N], 6).expect("broadcast row");
    let shape = "1024x1024";
    let map_bytes = 2 * 4 * N * N;
    let mut map_line = |name: &str, x: &Tensor<f32>| {
        let mut out = out_like(x);
        bytes_line(o, roofs, (name, shape), map_bytes, Stream::Copy, || {
            x.map_into(Relu, &mut out).expect("map");
        })
    };
    let map_c = map_line("relu_contiguous", &contiguous);
    let map_p = map_line("relu_permuted", &permuted);
    let map_n = map_line("relu_narrowed", &narrowed);

    // Two distinct operands: `x + x` would read one array twice, the second time from L1.
    let other = Tensor::<f32>::randn_seeded(&[N, N], 7).expect("second input");
    let mut out = out_like(&contiguous);
    let zip_c = bytes_line(
        o,
        roofs,
        ("add_contiguous", shape),
        3 * 4 * N * N,
        Stream::Triad,
        || {
            contiguous.zip_into(&other, Add, &mut out).expect("zip");
        },
    );
    // The broadcast row (4 KiB) stays in L1: one array read, one written, as a copy.
    let zip_b = bytes_line(
        o,
        roofs,
        ("add_broadcast_row", "1024x1024+1024"),
        4 * (2 * N * N + N),
        Stream::Copy,
        || {
            contiguous.zip_into(&row, Add, &mut out).expect("zip");
        },
    );

    let red_bytes = 4 * (N * N + N);
    let mut red_out = Tensor::<f32>::zeros(&[N, 1]).expect("output");
    let mut red_line = |name: &str, x: &Tensor<f32>| {
        bytes_line(o, roofs, (name, shape), red_bytes, Stream::Read, || {
            x.reduce_into(Sum, -1, &mut red_out).expect("reduce");
        })
    };
    let red_c = red_line("sum_dim-1_contiguous", &contiguous);
    let red_p = red_line("sum_dim-1_permuted", &permuted);

    let ratio = |block: &Line, contiguous: &Line| block.median_ms() / contiguous.median_ms();
    let out = vec![
        ("relu permuted".to_string(), ratio(&map_p, &map_c)),
        ("relu narrowed rows".to_string(), ratio(&map_n, &map_c)),
        ("add broadcast [1024]".to_string(), ratio(&zip_b, &zip_c)),
        ("sum dim -1 permuted".to_string(), ratio(&red_p, &red_c)),
    ];
    lines.extend([map_c, map_p, map_n, zip_c, zip_b, red_c, red_p]);
    out
}

struct Inputs {
    x: Tensor<f32>,
    w: Tensor<f32>,
    b: Tensor<f32>,
}

/// `sum(relu(x·w + b)ᵀ, 0)`: four recorded ops over 2^20 elements and a view, as in
/// `benches/autograd.rs`.
fn forward(i: &Inputs) -> Tensor<f32> {
    let h =
        i.x.mul(&i.w)
            .and_then(|h| h.add(&i.b))
            .and_then(|h| h.relu());
    h.and_then(|h| h.transpose(0, 1))
        .and_then(|h| h.sum(0))
        .expect("forward")
}

/// Bytes one forward moves: mul reads two arrays and writes one, add and relu read one and
/// write one, the sum reads one.
const FORWARD_BYTES: usize = 4 * N * N * (3 + 2 + 2 + 1);

fn autograd(o: &Options, roofs: &mut Roofs, lines: &mut Vec<Line>) -> f64 {
    let tracked = |t: Tensor<f32>| t.requires_grad_(true);
    let i = Inputs {
        x: tracked(Tensor::randn_seeded(&[N, N], 7).expect("x")),
        w: tracked(Tensor::randn_seeded(&[N, N], 8).expect("w")),
        b: tracked(Tensor::randn_seeded(&[N], 9).expect("b")),
    };
    // Alternate the two so that drift on a shared machine hits both alike.
    let plan: Plan = o.plan();
    let (mut with, mut without, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..AUTOGRAD_ROUNDS {
        let t = measure::time(plan, || {
            std::hint::black_box(forward(&i));
        });
        let u = measure::time(plan, || {
            std::hint::black_box(no_grad(|| forward(&i)));
        });
        ratios.push(t.median_ms / u.median_ms);
        with.push(t);
        without.push(u);
    }
    let mid = |v: Vec<Timing>| {
        let mut v = v;
        v.sort_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
        v.swap_remove(v.len() / 2)
    };
    let roof = roofs.bandwidth(Stream::Triad, FORWARD_BYTES, 1);
    let shape = "1024x1024";
    for (op, t) in [
        ("forward_tracked", mid(with)),
        ("forward_no_grad", mid(without)),
    ] {
        let mut l = line(op, shape, 1, t, FORWARD_BYTES as f64, roof.clone());
        l.allocates = true;
        lines.push(l);
    }
    measure::median(&ratios).unwrap_or(f64::NAN)
}

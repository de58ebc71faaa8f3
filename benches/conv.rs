//! Convolution and pooling benchmarks on the bench-card shapes (performance.md): the SIMD
//! kernels against the naive nested loop and against im2col + gemm, 1 thread unless the name
//! says `t2`. Throughput is reported in FLOP/s (criterion's "elem/s") for convolutions,
//! `2·B·O·C·KH·KW·OH·OW` per call, and input elements per second for pools.

use std::time::Duration;

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use simdgrad::conv::{self, naive, ConvParams, ConvShape, StridedRef};
use simdgrad::kernel::MapKernel;
use simdgrad::ops::builtins::Relu;
use simdgrad::parallel::{self, Parallelism};
use simdgrad::pool::{self, PoolShape};
use simdgrad_workspace::baseline::im2col::Im2col;

// The bench-card shapes declared at compile time: the `conv!` rows of the card.
// Only the slice kernels are timed here, so the tensor ops go unused.
simdgrad::conv! {
    #[allow(dead_code)]
    decl_3x3_p1: kernel = [3, 3], padding = 1;
    #[allow(dead_code)]
    decl_3x3_p1_relu: kernel = [3, 3], padding = 1, activation = Relu;
    #[allow(dead_code)]
    decl_5x5_p2: kernel = [5, 5], padding = 2;
    #[allow(dead_code)]
    decl_5x5_p2_relu: kernel = [5, 5], padding = 2, activation = Relu;
    #[allow(dead_code)]
    decl_1d_k5_p2: kernel = [5], padding = 2
}

/// The declared kernel of a bench case (all are 2-D views; the 1-D case has unit height).
fn declared(name: &str, s: &ConvShape, x: &[f32], w: &[f32], out: &mut [f32]) {
    let (xv, wv) = (v4(x, s.input_shape()), v4(w, s.weight_shape()));
    match name {
        "conv2d_A" => Decl3x3P1.forward(s, xv, wv, None, out),
        "conv1d" => declared_1d(s, x, w, out),
        _ => Decl5x5P2.forward(s, xv, wv, None, out),
    }
    .unwrap()
}

/// The rank-1 declaration on its 3-D views.
fn declared_1d(s: &ConvShape, x: &[f32], w: &[f32], out: &mut [f32]) -> simdgrad::Result<()> {
    let xv = StridedRef::contiguous(x, [s.batch, s.in_channels, s.in_w]);
    let wv = StridedRef::contiguous(w, [s.out_channels, s.in_channels, s.kernel_w]);
    Decl1dK5P2.forward(s, xv, wv, None, out)
}

fn data(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0
                - 0.5
        })
        .collect()
}

fn v4(d: &[f32], shape: [usize; 4]) -> StridedRef<'_, f32, 4> {
    StridedRef::contiguous(d, shape)
}

fn threads(n: usize) {
    parallel::set(Parallelism {
        threads: n,
        ..parallel::get()
    });
}

struct Case {
    name: &'static str,
    s: ConvShape,
    x: Vec<f32>,
    w: Vec<f32>,
    g: Vec<f32>,
}

fn case(name: &'static str, s: ConvShape) -> Case {
    let x = data(s.input_shape().iter().product(), 1);
    let w = data(s.weight_shape().iter().product(), 2);
    let g = data(s.output_shape().iter().product(), 3);
    Case { name, s, x, w, g }
}

fn cases() -> Vec<Case> {
    let p = |v| [ConvParams::padded(v); 2];
    vec![
        case(
            "conv2d_A",
            ConvShape::conv2d([8, 64, 56, 56], [64, 64, 3, 3], p(1)).unwrap(),
        ),
        case(
            "conv2d_B",
            ConvShape::conv2d([64, 1, 28, 28], [6, 1, 5, 5], p(2)).unwrap(),
        ),
        case(
            "conv2d_C",
            ConvShape::conv2d([64, 6, 14, 14], [16, 6, 5, 5], p(2)).unwrap(),
        ),
        case(
            "conv1d",
            ConvShape::conv1d([32, 64, 256], [64, 64, 5], ConvParams::padded(2)).unwrap(),
        ),
    ]
}

fn forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv_forward");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for k in cases() {
        let s = k.s;
        group.throughput(Throughput::Elements(2 * s.macs()));
        let (x, w) = (v4(&k.x, s.input_shape()), v4(&k.w, s.weight_shape()));
        let mut out = vec![0.0f32; k.g.len()];
        for t in [1, 2] {
            if t == 2 && k.name != "conv2d_A" {
                continue;
            }
            threads(t);
            group.bench_function(BenchmarkId::new(k.name, format!("simd_t{t}")), |b| {
                b.iter(|| conv::conv2d_forward(&s, x, w, None, black_box(&mut out)).unwrap())
            });
        }
        threads(1);
        group.bench_function(BenchmarkId::new(k.name, "generic"), |b| {
            use simdgrad::conv::ConvKernel;
            b.iter(|| conv::Dynamic::forward(&s, x, w, None, black_box(&mut out)).unwrap())
        });
        let mut i2c = Im2col::new(s);
        group.bench_function(BenchmarkId::new(k.name, "im2col_gemm"), |b| {
            b.iter(|| i2c.forward(&k.x, &k.w, black_box(&mut out)).unwrap())
        });
        if k.name != "conv2d_A" {
            group.bench_function(BenchmarkId::new(k.name, "naive"), |b| {
                b.iter(|| naive::forward(&s, x, w, None, black_box(&mut out)).unwrap())
            });
        }
    }
    group.finish();
}

fn backward(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv_backward");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    threads(1);
    let k = cases().swap_remove(0);
    let s = k.s;
    group.throughput(Throughput::Elements(2 * s.macs()));
    let (x, w, g) = (
        v4(&k.x, s.input_shape()),
        v4(&k.w, s.weight_shape()),
        v4(&k.g, s.output_shape()),
    );
    let mut gx = vec![0.0f32; k.x.len()];
    let mut gw = vec![0.0f32; k.w.len()];
    let mut i2c = Im2col::new(s);
    group.bench_function("conv2d_A_bwd_input/simd", |b| {
        b.iter(|| conv::conv2d_backward_input(&s, g, w, black_box(&mut gx)).unwrap())
    });
    group.bench_function("conv2d_A_bwd_input/im2col_gemm", |b| {
        b.iter(|| i2c.backward_input(&k.g, &k.w, black_box(&mut gx)).unwrap())
    });
    group.bench_function("conv2d_A_bwd_weight/simd", |b| {
        b.iter(|| conv::conv2d_backward_weight(&s, x, g, black_box(&mut gw)).unwrap())
    });
    group.bench_function("conv2d_A_bwd_weight/im2col_gemm", |b| {
        b.iter(|| i2c.backward_weight(&k.x, &k.g, black_box(&mut gw)).unwrap())
    });
    group.finish();
}

/// The two convolutions of LeNet-5 training at batch 64 (the mnist example's `--model lenet`),
/// each pass the training step runs: conv1 (1→6, 5×5, padding 2; its input needs no gradient)
/// and conv2 (6→16, 5×5, no padding). They are small enough that per-call overheads and tile
/// waste, not the FMA peak, decide their speed, which the bench-card shapes do not show.
fn lenet(c: &mut Criterion) {
    let mut group = c.benchmark_group("lenet");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    threads(1);
    let convs = [
        (
            "conv1",
            ConvShape::conv2d([64, 1, 28, 28], [6, 1, 5, 5], [ConvParams::padded(2); 2]).unwrap(),
        ),
        (
            "conv2",
            ConvShape::conv2d([64, 6, 14, 14], [16, 6, 5, 5], [ConvParams::padded(0); 2]).unwrap(),
        ),
    ];
    for (name, s) in convs {
        let k = case(name, s);
        group.throughput(Throughput::Elements(2 * s.macs()));
        let (x, w, g) = (
            v4(&k.x, s.input_shape()),
            v4(&k.w, s.weight_shape()),
            v4(&k.g, s.output_shape()),
        );
        let mut out = vec![0.0f32; k.g.len()];
        let mut gx = vec![0.0f32; k.x.len()];
        let mut gw = vec![0.0f32; k.w.len()];
        group.bench_function(format!("{name}_fwd/simd"), |b| {
            b.iter(|| conv::conv2d_forward(&s, x, w, None, black_box(&mut out)).unwrap())
        });
        group.bench_function(format!("{name}_bwd_weight/simd"), |b| {
            b.iter(|| conv::conv2d_backward_weight(&s, x, g, black_box(&mut gw)).unwrap())
        });
        if name == "conv2" {
            group.bench_function(format!("{name}_bwd_input/simd"), |b| {
                b.iter(|| conv::conv2d_backward_input(&s, g, w, black_box(&mut gx)).unwrap())
            });
        }
    }
    group.finish();
}

/// The plain nested loop a pool would be without a kernel: every window read element by element.
fn naive_maxpool(x: &[f32], [b, c, h, w]: [usize; 4], out: &mut [f32]) {
    let (oh, ow) = (h / 2, w / 2);
    for plane in 0..b * c {
        for y in 0..oh {
            for xo in 0..ow {
                let mut m = f32::NEG_INFINITY;
                for p in 0..2 {
                    for q in 0..2 {
                        m = m.max(x[plane * h * w + (2 * y + p) * w + 2 * xo + q]);
                    }
                }
                out[(plane * oh + y) * ow + xo] = m;
            }
        }
    }
}

/// Pools on the bench-card shape: the `pool!`-declared SIMD kernels (what the layers run), next
/// to the previous scalar kernels (`old_scalar`), the run-time-geometry engine (`dynamic`), the
/// `tile` reference (`origami`) and the naive loop, all in one group so ratios come from one run.
fn pools(c: &mut Criterion) {
    use simdgrad::ops::builtins::{Max, Sum};
    use simdgrad::pool::declared::{Avg2x2S2, Max2x2S2, Max3x3S1, Max3x3S2};
    use simdgrad::pool::PoolKernel;
    use simdgrad::Tensor;
    let mut group = c.benchmark_group("pool");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let shape = [8, 64, 56, 56];
    let s = PoolShape::new(shape, [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let x = data(shape.iter().product(), 4);
    let g = data(s.output_shape().iter().product(), 5);
    let mut out = vec![0.0f32; g.len()];
    let mut gx = vec![0.0f32; x.len()];
    group.throughput(Throughput::Elements(x.len() as u64));
    for t in [1, 2] {
        threads(t);
        group.bench_function(format!("maxpool2d/simd_t{t}"), |b| {
            b.iter(|| {
                Max2x2S2
                    .forward(&s, v4(&x, shape), black_box(&mut out))
                    .unwrap()
            })
        });
        group.bench_function(format!("avgpool2d/simd_t{t}"), |b| {
            b.iter(|| {
                Avg2x2S2
                    .forward(&s, v4(&x, shape), black_box(&mut out))
                    .unwrap()
            })
        });
        group.bench_function(format!("maxpool2d_bwd/simd_t{t}"), |b| {
            b.iter(|| {
                Max2x2S2
                    .backward(
                        &s,
                        v4(&x, shape),
                        v4(&g, s.output_shape()),
                        black_box(&mut gx),
                    )
                    .unwrap()
            })
        });
        group.bench_function(format!("avgpool2d_bwd/simd_t{t}"), |b| {
            b.iter(|| {
                Avg2x2S2
                    .backward(
                        &s,
                        v4(&x, shape),
                        v4(&g, s.output_shape()),
                        black_box(&mut gx),
                    )
                    .unwrap()
            })
        });
    }
    threads(1);
    group.bench_function("maxpool2d/old_scalar_t1", |b| {
        b.iter(|| pool::maxpool2d_forward(&s, v4(&x, shape), black_box(&mut out)).unwrap())
    });
    group.bench_function("avgpool2d/old_scalar_t1", |b| {
        b.iter(|| pool::avgpool2d_forward(&s, v4(&x, shape), black_box(&mut out)).unwrap())
    });
    group.bench_function("maxpool2d_bwd/old_scalar_t1", |b| {
        b.iter(|| {
            pool::maxpool2d_backward(
                &s,
                v4(&x, shape),
                v4(&g, s.output_shape()),
                black_box(&mut gx),
            )
            .unwrap()
        })
    });
    group.bench_function("avgpool2d_bwd/old_scalar_t1", |b| {
        b.iter(|| {
            pool::avgpool2d_backward(&s, v4(&g, s.output_shape()), black_box(&mut gx)).unwrap()
        })
    });
    group.bench_function("maxpool2d/dynamic_t1", |b| {
        b.iter(|| {
            pool::forward_dynamic::<Max, f32, false>(&s, v4(&x, shape), black_box(&mut out))
                .unwrap()
        })
    });
    group.bench_function("avgpool2d/dynamic_t1", |b| {
        b.iter(|| {
            pool::forward_dynamic::<Sum, f32, true>(&s, v4(&x, shape), black_box(&mut out)).unwrap()
        })
    });
    let xt = Tensor::from_vec(x.clone(), &shape).unwrap();
    group.bench_function("maxpool2d/origami_t1", |b| {
        b.iter(|| pool::maxpool2d(black_box(&xt), [2, 2]).unwrap())
    });
    group.bench_function("maxpool2d/naive", |b| {
        b.iter(|| naive_maxpool(&x, shape, black_box(&mut out)))
    });
    // The other declared sizes the layers dispatch (overlapping windows), next to the old kernel.
    for (name, k, st) in [("3x3s2", [3, 3], [2, 2]), ("3x3s1", [3, 3], [1, 1])] {
        let s = PoolShape::new(shape, k, st, [[0, 0]; 2]).unwrap();
        let mut out = vec![0.0f32; s.output_shape().iter().product()];
        let g = data(out.len(), 6);
        group.bench_function(format!("maxpool2d_{name}/simd_t1"), |b| {
            b.iter(|| match name {
                "3x3s2" => Max3x3S2.forward(&s, v4(&x, shape), black_box(&mut out)),
                _ => Max3x3S1.forward(&s, v4(&x, shape), black_box(&mut out)),
            })
        });
        group.bench_function(format!("maxpool2d_{name}/old_scalar_t1"), |b| {
            b.iter(|| pool::maxpool2d_forward(&s, v4(&x, shape), black_box(&mut out)))
        });
        group.bench_function(format!("maxpool2d_bwd_{name}/simd_t1"), |b| {
            b.iter(|| match name {
                "3x3s2" => Max3x3S2.backward(
                    &s,
                    v4(&x, shape),
                    v4(&g, s.output_shape()),
                    black_box(&mut gx),
                ),
                _ => Max3x3S1.backward(
                    &s,
                    v4(&x, shape),
                    v4(&g, s.output_shape()),
                    black_box(&mut gx),
                ),
            })
        });
        group.bench_function(format!("maxpool2d_bwd_{name}/old_scalar_t1"), |b| {
            b.iter(|| {
                pool::maxpool2d_backward(
                    &s,
                    v4(&x, shape),
                    v4(&g, s.output_shape()),
                    black_box(&mut gx),
                )
            })
        });
    }
    group.finish();
}

/// Time on CPU of the calling thread, in ns (`/proc/thread-self/schedstat`): on a shared,
/// oversubscribed machine this measures the kernel's own cost, which wall time does not.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Runs `f` until `budget` of wall time has passed (at least `min_calls` calls, after one
/// warm-up call); returns the median wall ms per call and the mean on-CPU ms per call.
fn measure(budget: Duration, min_calls: usize, mut f: impl FnMut()) -> (f64, Option<f64>) {
    f();
    let start = std::time::Instant::now();
    let cpu0 = cpu_ns();
    let mut walls = vec![];
    while walls.len() < min_calls || start.elapsed() < budget {
        let t = std::time::Instant::now();
        f();
        walls.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cpu = cpu0
        .zip(cpu_ns())
        .map(|(a, b)| (b - a) as f64 / 1e6 / walls.len() as f64);
    walls.sort_by(f64::total_cmp);
    (walls[walls.len() / 2], cpu)
}

/// One line per measurement: wall median, GFLOP/s from the wall median and from on-CPU time,
/// and the speed-ups over im2col + gemm and over the naive loop (on-CPU time, same run).
fn card() {
    let budget = Duration::from_millis(1500);
    println!("CARD op variant threads wall_median_ms wall_GFLOPs cpu_ms cpu_GFLOPs");
    let line = |op: &str, variant: &str, t: usize, flops: f64, (wall, cpu): (f64, Option<f64>)| {
        let c = cpu.unwrap_or(f64::NAN);
        println!(
            "CARD {op} {variant} {t} {wall:.3} {:.1} {c:.3} {:.1}",
            flops / wall / 1e6,
            flops / c / 1e6
        );
        c
    };
    // A conv with its activation fused into the kernel's store against the conv then a
    // separate in-place activation pass.
    let fusion = |op: &str, flops: f64, fused, separate| {
        let fused = line(op, "fused", 1, flops, fused);
        let separate = line(op, "conv_then_relu", 1, flops, separate);
        println!(
            "RATIO {op} separate_vs_fused {:.3} saved_ms {:.4}",
            separate / fused,
            separate - fused
        );
    };
    // Every simd row is followed by its im2col + GEMM and naive rows and the two ratios.
    let baselines = |op: &str, flops: f64, simd: f64, gemm, naive| {
        let gemm = line(op, "im2col_gemm", 1, flops, gemm);
        let naive = line(op, "naive", 1, flops, naive);
        println!(
            "RATIO {op} simd_vs_im2col {:.2} simd_vs_naive {:.1}",
            gemm / simd,
            naive / simd
        );
    };
    let simd_and_baselines = |op: &str, flops: f64, simd, gemm, naive| {
        let simd = line(op, "simd", 1, flops, simd);
        baselines(op, flops, simd, gemm, naive);
    };
    for k in cases() {
        let s = k.s;
        let flops = 2.0 * s.macs() as f64;
        let (x, w, g) = (
            v4(&k.x, s.input_shape()),
            v4(&k.w, s.weight_shape()),
            v4(&k.g, s.output_shape()),
        );
        let mut out = vec![0.0f32; k.g.len()];
        let mut i2c = Im2col::new(s);
        threads(1);
        let simd = line(
            k.name,
            "simd",
            1,
            flops,
            measure(budget, 5, || {
                conv::conv2d_forward(&s, x, w, None, &mut out).unwrap()
            }),
        );
        let generic = line(
            k.name,
            "generic",
            1,
            flops,
            measure(budget, 5, || {
                use simdgrad::conv::ConvKernel;
                conv::Dynamic::forward(&s, x, w, None, &mut out).unwrap()
            }),
        );
        let decl = line(
            k.name,
            "conv_decl",
            1,
            flops,
            measure(budget, 5, || declared(k.name, &s, &k.x, &k.w, &mut out)),
        );
        println!(
            "RATIO {} conv_decl_vs_generic {:.2} conv_decl_vs_dispatch {:.2}",
            k.name,
            generic / decl,
            simd / decl
        );
        baselines(
            k.name,
            flops,
            simd,
            measure(budget, 5, || i2c.forward(&k.x, &k.w, &mut out).unwrap()),
            measure(Duration::ZERO, 1, || {
                naive::forward(&s, x, w, None, &mut out).unwrap()
            }),
        );
        if k.name == "conv2d_B" {
            // Fusion where the output is large relative to the work (1 input channel).
            fusion(
                "conv2d_B_relu",
                flops,
                measure(budget, 20, || {
                    Decl5x5P2Relu.forward(&s, x, w, None, &mut out).unwrap()
                }),
                measure(budget, 20, || {
                    Decl5x5P2.forward(&s, x, w, None, &mut out).unwrap();
                    Relu.forward_in_place(&mut out);
                }),
            );
        }
        if k.name == "conv2d_A" {
            // Fusion: conv + bias-free ReLU in the kernel's store vs the conv then a ReLU pass.
            fusion(
                "conv2d_A_relu",
                flops,
                measure(budget, 5, || {
                    Decl3x3P1Relu.forward(&s, x, w, None, &mut out).unwrap()
                }),
                measure(budget, 5, || {
                    Decl3x3P1.forward(&s, x, w, None, &mut out).unwrap();
                    Relu.forward_in_place(&mut out);
                }),
            );
            threads(2);
            let (wall, _) = measure(budget, 5, || {
                conv::conv2d_forward(&s, x, w, None, &mut out).unwrap()
            });
            let (wall1, _) = {
                threads(1);
                measure(budget, 5, || {
                    conv::conv2d_forward(&s, x, w, None, &mut out).unwrap()
                })
            };
            println!(
                "CARD conv2d_A simd 2 {wall:.3} {:.1} - -",
                flops / wall / 1e6
            );
            println!("RATIO conv2d_A t2_vs_t1_wall {:.2}", wall1 / wall);
            threads(1);
            let mut gx = vec![0.0f32; k.x.len()];
            let mut gw = vec![0.0f32; k.w.len()];
            simd_and_baselines(
                "conv2d_A_bwd_input",
                flops,
                measure(budget, 5, || {
                    conv::conv2d_backward_input(&s, g, w, &mut gx).unwrap()
                }),
                measure(budget, 5, || {
                    i2c.backward_input(&k.g, &k.w, &mut gx).unwrap()
                }),
                measure(Duration::ZERO, 1, || {
                    naive::backward_input(&s, g, w, &mut gx).unwrap()
                }),
            );
            simd_and_baselines(
                "conv2d_A_bwd_weight",
                flops,
                measure(budget, 5, || {
                    conv::conv2d_backward_weight(&s, x, g, &mut gw).unwrap()
                }),
                measure(budget, 5, || {
                    i2c.backward_weight(&k.x, &k.g, &mut gw).unwrap()
                }),
                measure(Duration::ZERO, 1, || {
                    naive::backward_weight(&s, x, g, &mut gw).unwrap()
                }),
            );
        }
    }
    let shape = [8, 64, 56, 56];
    let s = PoolShape::new(shape, [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let x = data(shape.iter().product(), 4);
    let g = data(s.output_shape().iter().product(), 5);
    let mut out = vec![0.0f32; g.len()];
    let mut gx = vec![0.0f32; x.len()];
    threads(1);
    let pool_line = |op: &str, (wall, cpu): (f64, Option<f64>)| {
        println!(
            "CARD {op} 8x64x56x56_k2s2 1 {wall:.3} - {:.3} -",
            cpu.unwrap_or(f64::NAN)
        );
    };
    // The layers' kernels: `pool!`-declared, specialised for 2×2 / stride 2.
    use simdgrad::pool::declared::{Avg2x2S2, Max2x2S2};
    use simdgrad::pool::PoolKernel;
    pool_line(
        "maxpool2d",
        measure(budget, 20, || {
            Max2x2S2.forward(&s, v4(&x, shape), &mut out).unwrap()
        }),
    );
    pool_line(
        "avgpool2d",
        measure(budget, 20, || {
            Avg2x2S2.forward(&s, v4(&x, shape), &mut out).unwrap()
        }),
    );
    pool_line(
        "maxpool2d_bwd",
        measure(budget, 20, || {
            Max2x2S2
                .backward(&s, v4(&x, shape), v4(&g, s.output_shape()), &mut gx)
                .unwrap()
        }),
    );
    pool_line(
        "avgpool2d_bwd",
        measure(budget, 20, || {
            Avg2x2S2
                .backward(&s, v4(&x, shape), v4(&g, s.output_shape()), &mut gx)
                .unwrap()
        }),
    );
    pool_line(
        "maxpool2d_naive",
        measure(budget, 20, || naive_maxpool(&x, shape, &mut out)),
    );
}

criterion_group!(benches, forward, backward, lenet, pools);

fn main() {
    // `cargo bench --bench conv -- card` prints only the card; a criterion filter (any other
    // argument not starting with `-`) skips it, so one bench can be rerun in seconds.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "card") {
        card();
        return;
    }
    if !args.iter().any(|a| !a.starts_with('-')) {
        card();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! # Edge values
//!
//! What every public op does with NaN, ±inf, ±0 and subnormals, in `f32` and `f64`, on any
//! layout (contiguous, strided, transposed). This module holds documentation only: the table
//! below is the contract, the examples are doctests that run, and `tests/all/nn/edge_values.rs`
//! asserts every line on contiguous and non-contiguous inputs long enough to cover the SIMD
//! body and its tail. PyTorch's behaviour where users expect it, IEEE 754 elsewhere.
//!
//! | op | behaviour |
//! |---|---|
//! | views: `permute`, `transpose`, `narrow`, `slice`, `select`, `(un)squeeze`, `expand`, `view`, `reshape`, `contiguous`, `as_strided`, `tile` | values are copied or aliased bit for bit (NaN payloads, `-0` and subnormals kept) |
//! | `neg`, `abs` | exact: `neg(±0) = ∓0`, `abs(-0) = +0`, `abs(-inf) = inf`, NaN → NaN, subnormals kept |
//! | `exp` | `exp(-inf) = 0`, `exp(inf) = inf`, `exp(±0) = exp(subnormal) = 1`, NaN → NaN |
//! | `ln` | `ln(±0) = -inf`, `ln(x < 0) = NaN` (also `-inf`), `ln(inf) = inf`, subnormals give their finite log |
//! | `sqrt` | `sqrt(-0) = -0`, `sqrt(x < 0) = NaN`, `sqrt(inf) = inf`, subnormals accurate |
//! | `relu` | `relu(NaN) = NaN` (as PyTorch), `relu(-inf) = 0`, `relu(±0) = +0`, positive subnormals kept |
//! | `sigmoid` | `sigmoid(inf) = 1`, `sigmoid(-inf) = 0`, `sigmoid(±0) = sigmoid(subnormal) = 0.5`, NaN → NaN |
//! | `tanh` | `tanh(±inf) = ±1`, `tanh(±0) = 0`, `tanh(subnormal) ≈ subnormal`, NaN → NaN |
//! | `gelu` (tanh form) | `gelu(inf) = inf`; `gelu(-inf) = NaN` (`-inf · 0` in `0.5·x·(1 + tanh(…))`, as the formula gives); `gelu(±0) = 0`; NaN → NaN |
//! | `add sub mul div` and their `_scalar` forms | IEEE 754 bit for bit for every pair of edge values (`inf - inf`, `0 · inf`, `0 / 0` = NaN, `1 / -0 = -inf`), broadcasting included |
//! | `pow`, `pow_scalar` | C `pow` special cases (PyTorch follows them): `pow(x, ±0) = 1` even for NaN, `pow(1, y) = 1` even for NaN, `pow(-1, ±inf) = 1`, `pow(±0, y < 0) = inf` (`-inf` for `-0` and odd `y`), negative base with integer exponent has its sign, non-integer exponent gives NaN; overflow gives `±inf` and underflow `±0` exactly where std's `powf` does |
//! | `lt gt eq` | `0` whenever either side is NaN; `-0 == 0` is `1`; `inf == inf` is `1` |
//! | `sum`, `mean` (and `sum_all`, `mean_all`, `sum_to_shape`) | NaN propagates; `inf + -inf = NaN`; a row of `-0` sums to `-0`; empty: `sum = 0`, `mean = NaN` (`0 / 0`) |
//! | `max`, `min` (and `_all`) | NaN propagates from any position (as `torch.max`); `-inf` rows give `-inf`; empty: `max = -inf`, `min = inf` |
//! | `prod` | IEEE (`0 · inf = NaN`); empty: `1` |
//! | `argmax`, `argmax_indices` | the first NaN counts as the maximum (as `torch.argmax`); ties (incl. `-0`/`0`, all `-inf`) give the first index; an empty dim is an error |
//! | `softmax`, `log_softmax` (and the `Softmax`/`LogSoftmax` layers) | a `-inf` entry gives exactly `0` (`-inf` for log); a row of only `-inf` is all NaN (as PyTorch); a NaN or `+inf` anywhere makes the row NaN; `±1e30` rows do not overflow |
//! | `matmul` (and `Linear`) | NaN propagates along its row/column; `inf · 0 = NaN` inside the dot product (IEEE); `k = 0` gives zeros |
//! | `conv2d`, `conv1d`, `avg_pool2d` (and their layers) | a NaN/±inf affects exactly the outputs whose window covers it |
//! | `max_pool2d` | NaN propagates within its window; padding never wins, so a window of `-inf` and padding is `-inf` |
//! | `dropout` | in training, `x · mask` with mask entries `0` or `1/(1-p)` (as PyTorch): a dropped NaN or `±inf` is NaN, a kept one keeps its class; not training or `p = 0`: the input unchanged |
//! | `cross_entropy` | a `-inf` logit of a non-target class costs nothing; on the target the loss is `inf`; a NaN logit gives NaN |
//! | `nll_loss` | reads only each row's target entry (as PyTorch): a `-inf` log-probability of a non-target class costs nothing and gets a zero gradient; `-inf` on the target gives `inf` |
//! | `bce_with_logits` | stable at `±1e30` (`0` for the right label, `|x|` for the wrong one); NaN → NaN |
//!
//! The activation layers (`nn::ReLU`, `nn::Sigmoid`, …) apply the map ops above.
//!
//! # Examples
//!
//! Maps: `relu` keeps NaN, as PyTorch does, and never returns `-0`; `exp(-inf)` is exactly 0.
//!
//! ```
//! use simdgrad::Tensor;
//! let x = Tensor::<f32>::from_vec(vec![f32::NAN, f32::NEG_INFINITY, -0.0, 2.0], &[4]).unwrap();
//! let r = x.relu().unwrap().to_vec();
//! assert!(r[0].is_nan());
//! assert_eq!(r[1..], [0.0, 0.0, 2.0]);
//! assert!(r[2].is_sign_positive());
//! assert_eq!(x.exp().unwrap().to_vec()[1], 0.0);
//! ```
//!
//! Arithmetic is IEEE 754: `0 · inf` and `inf - inf` are NaN, `1 / -0` is `-inf`.
//!
//! ```
//! use simdgrad::Tensor;
//! let a = Tensor::<f64>::from_vec(vec![0.0, f64::INFINITY, 1.0], &[3]).unwrap();
//! let b = Tensor::<f64>::from_vec(vec![f64::INFINITY, f64::INFINITY, -0.0], &[3]).unwrap();
//! let p = a.mul(&b).unwrap().to_vec();
//! assert!(p[0].is_nan());
//! assert!(a.sub(&b).unwrap().to_vec()[1].is_nan());
//! assert_eq!(a.div(&b).unwrap().to_vec()[2], f64::NEG_INFINITY);
//! ```
//!
//! `pow` has C's special cases: anything to the power 0 is 1, even NaN.
//!
//! ```
//! use simdgrad::Tensor;
//! let x = Tensor::<f32>::from_vec(vec![f32::NAN, -2.0, -2.0, 2.0], &[4]).unwrap();
//! let y = Tensor::<f32>::from_vec(vec![0.0, 3.0, 0.5, 128.0], &[4]).unwrap();
//! let p = x.pow(&y).unwrap().to_vec();
//! assert_eq!(p[..2], [1.0, -8.0]);
//! assert!(p[2].is_nan());
//! assert_eq!(p[3], f32::INFINITY); // 2^128 overflows f32, as std's powf
//! ```
//!
//! Folds: `max` propagates a NaN from any position; an empty `sum` is 0 and an empty `mean`
//! is NaN.
//!
//! ```
//! use simdgrad::Tensor;
//! let x = Tensor::<f32>::from_vec(vec![1.0, f32::NAN, 3.0, f32::INFINITY], &[2, 2]).unwrap();
//! let m = x.max(1).unwrap().to_vec();
//! assert!(m[0].is_nan());
//! assert_eq!(m[1], f32::INFINITY);
//! assert!(x.max_all().unwrap().item().unwrap().is_nan());
//! let empty = Tensor::<f32>::zeros(&[0]).unwrap();
//! assert_eq!(empty.sum_all().unwrap().item().unwrap(), 0.0);
//! assert!(empty.mean_all().unwrap().item().unwrap().is_nan());
//! ```
//!
//! `softmax`: a `-inf` entry gets exactly 0, and a row of only `-inf` is NaN, as in PyTorch.
//!
//! ```
//! use simdgrad::Tensor;
//! let inf = f64::INFINITY;
//! let x = Tensor::<f64>::from_vec(vec![0.0, -inf, 0.0, -inf, -inf, -inf], &[2, 3]).unwrap();
//! let s = x.softmax(1).unwrap().to_vec();
//! assert_eq!(s[..3], [0.5, 0.0, 0.5]);
//! assert!(s[3..].iter().all(|v| v.is_nan()));
//! assert_eq!(x.log_softmax(1).unwrap().to_vec()[1], -inf);
//! ```
//!
//! `argmax` takes the first NaN as the maximum, as `torch.argmax`; `matmul` follows IEEE
//! inside the dot product, so `inf · 0` poisons its output.
//!
//! ```
//! use simdgrad::Tensor;
//! let x = Tensor::<f32>::from_vec(vec![1.0, f32::NAN, 5.0, f32::NAN], &[1, 4]).unwrap();
//! assert_eq!(x.argmax_indices(1).unwrap(), vec![1]);
//! let a = Tensor::<f32>::from_vec(vec![f32::INFINITY, 1.0], &[1, 2]).unwrap();
//! let b = Tensor::<f32>::from_vec(vec![0.0, 1.0, 1.0, 1.0], &[2, 2]).unwrap();
//! let c = a.matmul(&b).unwrap().to_vec();
//! assert!(c[0].is_nan()); // inf · 0 + 1 · 1
//! assert_eq!(c[1], f32::INFINITY);
//! ```

//! Procedural macros of simdgrad: `#[map]`, `#[zip]` and `#[reduce]` compile a scalar Rust
//! function into SIMD kernels **and their symbolically derived derivative kernels**.
//! Use them through the `simdgrad` crate (`#[simdgrad::map]`), never directly.
//!
//! # What is generated
//!
//! For
//!
//! ```ignore
//! #[simdgrad::map]
//! pub fn gelu(x: f32) -> f32 {
//!     0.5 * x * (1.0 + tanh(0.797_884_6 * (x + 0.044_715 * x * x * x)))
//! }
//! ```
//!
//! the macro emits
//!
//! * `pub struct Gelu;` — a unit struct named in UpperCamelCase after the function (rename it
//!   with `#[simdgrad::map(name = MyGelu)]`), same visibility, `Clone + Copy + Debug + Default`,
//!   whose rustdoc shows the forward formula and the derived derivative;
//! * `impl MapKernel for Gelu` (`ZipKernel` for `#[zip]`, `ReduceKernel` for `#[reduce]`):
//!   the consts `NAME`, `FORMULA`, `DERIVATIVE` (`DERIVATIVE_A`/`_B` for a zip,
//!   `DERIVATIVE_ACC`/`_X` and `PATTERN` for a reduce), the scalar forward and derivative, and
//!   the per-register SIMD forward, value-and-derivative and backward functions, all
//!   `#[inline(always)]`. The slice drivers (`Gelu.forward(&x, &mut y)`,
//!   `Gelu.backward(&x, &grad_y, &mut grad_x)`, `fold`, …) are provided methods of the traits;
//! * for `#[map]`, `impl ConvActivation for Gelu`, so `conv! { …, activation = Gelu }` accepts it;
//! * the function itself, same name, signature and attributes, now computing
//!   `<Gelu as MapKernel>::scalar::<f32>(x)` — one source of truth.
//!
//! **One declaration serves `f32` and `f64`**: the trait methods are generic over the element
//! type. Write the op with `f32` (or `f64`) types; that type is only used by the kept scalar
//! function. Literals are emitted as `E::from_f64(literal)`, so an `f64` kernel gets the
//! literal's full `f64` precision and an `f32` kernel the literal rounded (via `f64`) to `f32`.
//! Type-relative constants keep the value of the type named (`f32::EPSILON` is `f32`'s epsilon
//! in both instantiations); `f32::consts::PI` is `π` at the element type's precision.
//!
//! `simd_backward_with_output(s, x, y, g)` substitutes the saved output `y` for the op's root
//! node and drops what is no longer needed, so `sigmoid` gets `g * y * (1 - y)` with no `exp`.
//!
//! # The body language
//!
//! Float parameters (map: `x`; zip: `a, b`; reduce: `acc, x`, all `f32` or all `f64`); float and
//! integer literals; named constants (`core::f32::consts::PI`, `f32::consts::LN_2`, a bare `PI`,
//! `f32::INFINITY`, `f32::NEG_INFINITY`, `f32::NAN`, `f32::MAX`, `f32::MIN`,
//! `f32::MIN_POSITIVE`, `f32::EPSILON`, and the `f64` ones); `+ - * /` and unary `-`; `let`
//! bindings (shadowing allowed, `let d: f32 = …` too); blocks; `if … else if … else` whose
//! conditions compare values (`< <= > >= == !=`) joined by `&& || !` — compiled to SIMD selects
//! (both branches are computed) and differentiated per branch; the functions `exp, exp2, ln,
//! log, log2, log10, log1p (ln_1p), expm1 (exp_m1), sqrt, rsqrt, recip, abs, signum, max, min,
//! clamp, powi (integer literal exponent), powf, tanh, sigmoid, relu, sin, cos, erf, floor,
//! ceil, round` in method (`x.exp()`) or function (`exp(x)`, `f32::exp(x)`) syntax. `log(x)` is
//! `ln(x)`, `x.log(b)` and `log(x, b)` are `ln(x) / ln(b)`, `log10(x)` is `ln(x) / ln(10)`.
//! `floor`, `ceil`, `round` and `signum` have zero derivative.
//!
//! **Calling other ops**: a call `foo(a)` / `path::foo(a, b)` to a name that is not a builtin is
//! a call to the op whose kernel type is `Foo` (UpperCamelCase of the last segment, same path):
//! one argument uses its `MapKernel`, two its `ZipKernel`, and the derivative composes through
//! its generated derivative. A name one or two edits away from a builtin (`tahn`) is reported
//! as a probable typo; call an op with such a name through a path (`self::elu(x)`).
//!
//! Anything else (loops, closures, `match`, indexing, casts, macros, references, early `return`,
//! `if` without `else`, unknown methods, functions such as `tan`, `atan2`, `mul_add`, …) is a
//! compile error at the offending token that lists what is supported. All errors are reported
//! at once; on error the function is still emitted (with a panicking body) so the rest of the
//! crate type-checks.
//!
//! # Derivatives
//!
//! The IR is a hash-consed DAG (common subexpressions are shared). It is differentiated in
//! reverse mode; the backward reuses forward intermediates and, where cheaper, the node's own
//! value (`exp' = exp`, `sigmoid' = s(1-s)`, `tanh' = 1-t²`, `sqrt' = 0.5/sqrt`). Conventions:
//! `relu'(0) = 0`, `abs'(0) = 0`, ties of `max`/`min` send the derivative to the first argument,
//! `clamp(x, lo, hi)` = `min(max(x, lo), hi)` so `d/dx = 1` on the closed `[lo, hi]`,
//! `powf(x, y)`: `d/dx = y·x^(y-1)`, `d/dy = ln(x)·x^y`. Branch derivatives are combined with
//! selects, never with `0 * NaN`-prone mask multiplications. See the `simplify` module for
//! exactly which algebraic rewrites are applied (none that changes a NaN or inf result).
//!
//! # Reduce
//!
//! `#[simdgrad::reduce(identity = <constant>)] fn f(acc: f32, x: f32) -> f32` detects the fold's
//! pattern: `acc + x` (either order) is `Sum`; `max(acc, x)`, `acc.max(x)`,
//! `if x > acc { x } else { acc }` (and the `>=`, `<`, `<=` variants in either order) are `Max`;
//! likewise `Min`; anything else is `General` (prefix/suffix backward from `∂f/∂acc`, `∂f/∂x`).
//!
//! # Arguments
//!
//! `name = KernelName`, `crate = "path::to::simdgrad"` (generated code names runtime items as
//! `::simdgrad::__private::…` by default), `debug` (prints the expansion, pretty-printed, to
//! stderr at compile time), and `identity = …` (reduce only, required).

#![warn(missing_docs)]

mod args;
mod codegen;
mod conv_decl;
mod diff;
mod errors;
mod expand;
mod ir;
mod lower;
mod names;
mod parse;
mod pool_decl;
mod simplify;
mod text;

#[cfg(test)]
mod tests;

use parse::Kind;
use proc_macro::TokenStream;

/// Compiles `fn f(x: f32) -> f32 { … }` into a `MapKernel` (SIMD forward and derived backward).
/// See the crate docs.
#[proc_macro_attribute]
pub fn map(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Map, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Compiles `fn f(a: f32, b: f32) -> f32 { … }` into a `ZipKernel` (SIMD forward and both
/// derived partials). See the crate docs.
#[proc_macro_attribute]
pub fn zip(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Zip, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Compiles `#[reduce(identity = …)] fn f(acc: f32, x: f32) -> f32 { … }` into a `ReduceKernel`
/// (SIMD fold and the gradient of the fold). See the crate docs.
#[proc_macro_attribute]
pub fn reduce(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Reduce, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a convolution shape at compile time and generates its kernels and tensor op:
///
/// ```ignore
/// simdgrad::conv! { pub conv3x3: rank = 2, kernel = [3, 3], stride = 1, padding = anchored_top_left }
/// simdgrad::conv! {
///     /// LeNet's first layer, ReLU fused.
///     pub lenet1: kernel = [5, 5], padding = [2, 2], bias = true, activation = simdgrad::ops::builtins::Relu;
///     pub conv1d_k3: rank = 1, kernel = [3], params = runtime
/// }
/// ```
///
/// Each declaration `vis name: key = value, …` (several separated by `;`) emits
///
/// * `vis struct Name;` (UpperCamelCase of `name`), whose rustdoc states the shape, implementing
///   `simdgrad::conv::ConvDecl` (the compile-time constants) and `simdgrad::conv::ConvKernel`
///   (the plain convolution, which checks the declared extents and parameters), with the slice
///   methods `shape`, `forward`, `backward_input`, `backward_weight` (and, with an activation,
///   `forward_saving` and `backward_activation`) on strided views, all monomorphised on the
///   engine's `Fixed<KH, KW>` kernel (tap loop unrolled for square kernels up to 3×3, a tap
///   table with compile-time extents for larger ones, as measured fastest);
/// * `vis fn name<E>(x: &Tensor<E>, w: &Tensor<E>, bias: Option<&Tensor<E>>) ->
///   Result<Tensor<E>>`, differentiable in all three (backward: the activation's derived
///   derivative, then the generated input-, weight- and bias-gradient kernels).
///
/// Batch, channels and spatial sizes stay run-time values. Keys:
///
/// * `kernel = [KH, KW]` (rank 2) or `[K]` (rank 1), extents 1..=16 (required);
/// * `rank = 1 | 2` (default: the length of `kernel`);
/// * `stride`, `dilation`: an integer (every axis) or one per axis (default 1);
/// * `padding`: `valid` (default), `same` (stride 1), `anchored_start` / `anchored_top_left` /
///   `anchored_left` (MiniTorch: `dilation·(K−1)` zeros after, same-size output),
///   `anchored_end` / `reverse` / `anchored_bottom_right` / `anchored_right` (zeros before), an
///   integer, a per-axis list `[p, …]`, or per side `[[before, after], …]`;
/// * `params = runtime` instead of the three above: the op then takes `params: [ConvParams; 2]`
///   (rank 1: one `ConvParams`) as a fourth argument;
/// * `bias = true` (required) | `false` (none) | `optional` (default);
/// * `activation = path::To::Kernel`: a `#[simdgrad::map]` kernel type applied in the kernel's
///   epilogue, before the output is stored.
///
/// Invalid declarations are compile errors at the offending token listing what is supported.
#[proc_macro]
pub fn conv(input: TokenStream) -> TokenStream {
    conv_decl::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a 2-D pooling: `pool! { pub maxpool2x2: reduce = max, window = [2, 2], stride = [2, 2] }`
/// emits a kernel type `Maxpool2x2` (a `PoolKernel` whose forward and input-gradient kernels
/// are specialised for that window and stride) and a differentiable tensor op
/// `fn maxpool2x2<E>(x: &Tensor<E>) -> Result<Tensor<E>>`.
///
/// Keys: `reduce` — `max`, `avg` (or `mean`; padding counts in the divisor), `sum`, `min`, or
/// the name of a `#[simdgrad::reduce]` op (`my_logsumexp` uses its kernel type `MyLogsumexp`,
/// its fold forward and its derived gradient backward); `window = [kh, kw]`; optional
/// `stride = [sh, sw]` (default: the window) and `padding = [ph, pw]` (default `[0, 0]`, each
/// smaller than the window).
#[proc_macro]
pub fn pool(input: TokenStream) -> TokenStream {
    pool_decl::pool(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

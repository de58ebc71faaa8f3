//! The pooling engine behind `pool!`: forward and input-gradient kernels for any
//! [`ReduceKernel`] fold, specialised at compile time by window and stride ([`Fixed`]) or
//! reading them at run time ([`Dynamic`]).
//!
//! Work is split by `(b, c)` plane, then by output row; forward and backward walk a plane the
//! same way (`Plane::run`, `Plane::singles`, `PlaneInput::window`). An output row whose
//! windows lie inside the input (rows and columns) has an interior *run*; the outputs around it
//! (windows touching the padding, or every output when the columns are not unit-stride) are
//! taken window by window, skipping padded positions, which equals folding the identity there.
//! Runs of windows two columns wide at column stride 2 (the 2×2 / stride-2 pools) go to the
//! whole-register kernels of `pair.rs`; when every window of a plane is inside the input, its
//! rows are one tight loop with no per-row planning. Other runs with stride 1 or 2 use explicit
//! SIMD registers (pulp), one output per lane; larger strides a constant-stride loop. Every
//! output folds its window in row-major order from the identity, exactly like the `tile`
//! reference (max and min may take a cheaper order where the result cannot differ, `pair.rs`).
//!
//! Backward by the fold's [`ReducePattern`]: a sum sends `g` (a mean `g / (kh·kw)`) to every
//! window element; a max or min sends `g` to the *first* element equal to the window's result
//! (the first NaN if it is NaN), as [`ReduceKernel::backward`] does; any other fold uses the
//! prefix/suffix rule from its derived partials. When no input element lies in two windows
//! (stride = window) every gradient element is written once: the covered ones by their window,
//! the uncovered bottom and right strips with zeros, and no zero-fill pass. Otherwise a plane is
//! zeroed just before its windows add into it (while it is in cache).

use core::marker::PhantomData;

use pulp::{Simd, WithSimd};

use super::{for_planes, pair, PoolShape};
use crate::conv::StridedRef;
use crate::kernel::{arch, ReduceKernel, ReducePattern};
use crate::simd::SimdElement;
use crate::Result;

/// Window and stride of a pooling, as constants or read from the [`PoolShape`].
pub trait Geometry: Copy + Send + Sync + 'static {
    /// `(kh, kw)`.
    fn window(s: &PoolShape) -> [usize; 2];
    /// `(sh, sw)`.
    fn stride(s: &PoolShape) -> [usize; 2];
}

/// Window `KH × KW` and stride `(SH, SW)` fixed at compile time (what `pool!` declares), so
/// every loop over a window has constant bounds and every pass a constant stride.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fixed<const KH: usize, const KW: usize, const SH: usize, const SW: usize>;

impl<const KH: usize, const KW: usize, const SH: usize, const SW: usize> Geometry
    for Fixed<KH, KW, SH, SW>
{
    #[inline(always)]
    fn window(_: &PoolShape) -> [usize; 2] {
        [KH, KW]
    }
    #[inline(always)]
    fn stride(_: &PoolShape) -> [usize; 2] {
        [SH, SW]
    }
}

/// Window and stride read from the [`PoolShape`] at run time: the generic fallback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dynamic;

impl Geometry for Dynamic {
    #[inline(always)]
    fn window(s: &PoolShape) -> [usize; 2] {
        s.window
    }
    #[inline(always)]
    fn stride(s: &PoolShape) -> [usize; 2] {
        s.stride
    }
}

/// Plane-level facts shared by the forward and backward of one plane.
#[derive(Clone, Copy)]
struct Plane {
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    ph: usize,
    pw: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    /// Outputs `xa..xb` of a row have their whole window inside the input's columns.
    xa: usize,
    xb: usize,
}

/// The interior of one output row: outputs `xa..xa + count`, whose windows lie inside the input,
/// read `span` elements of input rows `top..top + kh` from column `first`.
#[derive(Clone, Copy)]
struct Run {
    top: usize,
    first: usize,
    count: usize,
    span: usize,
}

impl Plane {
    #[inline(always)]
    fn new<G: Geometry>(s: &PoolShape) -> Self {
        let [kh, kw] = G::window(s);
        let [sh, sw] = G::stride(s);
        let (ph, pw) = (s.padding[0][0], s.padding[1][0]);
        let [_, _, h, w] = s.input;
        let [oh, ow] = s.out;
        let xa = pw.div_ceil(sw).min(ow);
        let xb = if w + pw >= kw {
            ((w + pw - kw) / sw + 1).min(ow)
        } else {
            0
        }
        .max(xa);
        Self {
            kh,
            kw,
            sh,
            sw,
            ph,
            pw,
            h,
            w,
            oh,
            ow,
            xa,
            xb,
        }
    }

    /// The interior run of output row `y`: `None` when the row's windows leave the input's rows,
    /// no window lies inside its columns, or the input's columns are not unit-stride.
    #[inline(always)]
    fn run(&self, y: usize, col_stride: usize) -> Option<Run> {
        let top = (y * self.sh).checked_sub(self.ph)?;
        let count = self.xb - self.xa;
        (top + self.kh <= self.h && col_stride == 1 && count > 0).then(|| Run {
            top,
            first: self.xa * self.sw - self.pw,
            count,
            span: (count - 1) * self.sw + self.kw,
        })
    }

    /// `true` when every window lies inside the input (no padding reaches a window) and the
    /// columns are unit-stride: every row is one run from column 0.
    #[inline(always)]
    fn interior(&self, col_stride: usize) -> bool {
        col_stride == 1
            && self.ph == 0
            && self.pw == 0
            && (self.oh - 1) * self.sh + self.kh <= self.h
            && (self.ow - 1) * self.sw + self.kw <= self.w
    }

    /// The outputs of a row taken window by window: the borders around a run, or all of them.
    #[inline(always)]
    fn singles(&self, run: bool) -> impl Iterator<Item = usize> {
        let (left, right) = if run {
            (0..self.xa, self.xb..self.ow)
        } else {
            (0..self.ow, self.ow..self.ow)
        };
        left.chain(right)
    }

    /// Input range (clipped) covered by output `o` along axis `a` (0 rows, 1 columns).
    #[inline(always)]
    fn span(&self, a: usize, o: usize) -> (usize, usize) {
        let (k, st, p, len) = if a == 0 {
            (self.kh, self.sh, self.ph, self.h)
        } else {
            (self.kw, self.sw, self.pw, self.w)
        };
        let start = o * st;
        let lo = start.saturating_sub(p);
        let hi = (start + k).saturating_sub(p).min(len);
        (lo, hi)
    }

    /// `true` when no input element lies in two windows (stride = window), so a backward can
    /// write each gradient element once instead of zero-filling and adding.
    fn disjoint(&self) -> bool {
        self.sh == self.kh && self.sw == self.kw
    }

    /// Rows and columns `(hc, wc)` some window covers: `0..hc` × `0..wc` (padding only adds
    /// windows past the top and left edges, so the uncovered elements are a bottom and a right
    /// strip).
    fn covered(&self) -> (usize, usize) {
        let reach = |o: usize, st: usize, k: usize, p: usize, len: usize| {
            ((o - 1) * st + k).saturating_sub(p).min(len)
        };
        (
            reach(self.oh, self.sh, self.kh, self.ph, self.h),
            reach(self.ow, self.sw, self.kw, self.pw, self.w),
        )
    }
}

/// One `(b, c)` plane of the input.
struct PlaneInput<'a, 'x, E> {
    x: &'a StridedRef<'x, E, 4>,
    bi: usize,
    ci: usize,
    base: usize,
}

impl<'a, 'x, E: Copy> PlaneInput<'a, 'x, E> {
    #[inline(always)]
    fn new(x: &'a StridedRef<'x, E, 4>, s: &PoolShape, plane: usize) -> Self {
        let c = s.input[1];
        let (bi, ci) = (plane / c, plane % c);
        Self {
            x,
            bi,
            ci,
            base: x.position([bi, ci, 0, 0]),
        }
    }

    /// Row `p` of the run's windows: `span` unit-stride elements.
    #[inline(always)]
    fn run_row(&self, run: &Run, p: usize) -> &'x [E] {
        let at = self.base + (run.top + p) * self.x.strides[2] + run.first;
        &self.x.data[at..at + run.span]
    }

    /// The elements of output `(y, xo)`'s window inside the input, row-major, each with its
    /// index in the plane (`r·w + col`): padded positions are skipped (any layout).
    #[inline(always)]
    fn window(&self, g: &Plane, y: usize, xo: usize) -> impl Iterator<Item = (usize, E)> + '_ {
        let (r0, r1) = g.span(0, y);
        let (c0, c1) = g.span(1, xo);
        let (w, bi, ci) = (g.w, self.bi, self.ci);
        (r0..r1).flat_map(move |r| {
            (c0..c1).map(move |col| (r * w + col, self.x.data[self.x.position([bi, ci, r, col])]))
        })
    }
}

#[inline(always)]
fn finish<E: SimdElement, const MEAN: bool>(acc: E, n: E) -> E {
    if MEAN {
        acc / n
    } else {
        acc
    }
}

/// Pooling forward: `out` (contiguous `s.output_shape()`) receives the fold `R` of every window,
/// divided by `kh·kw` when `MEAN`. Shapes must have been checked by the caller.
pub(crate) fn forward<R: ReduceKernel, E: SimdElement, G: Geometry, const MEAN: bool>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
) -> Result<()> {
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    for_planes(out, b * c, oh * ow, b * c * h * w, |plane, dst| {
        arch().dispatch(ForwardPlane::<R, E, G, MEAN> {
            s,
            x: &x,
            plane,
            dst,
            _k: PhantomData,
        })
    });
    Ok(())
}

/// The forward of one `(b, c)` plane on backend `simd`: what [`forward`] runs per plane, for
/// callers that add their own pass over the plane (the argmax forward's general path).
#[inline(always)]
pub(super) fn forward_plane<
    S: Simd,
    R: ReduceKernel,
    E: SimdElement,
    G: Geometry,
    const MEAN: bool,
>(
    simd: S,
    s: &PoolShape,
    x: &StridedRef<'_, E, 4>,
    plane: usize,
    dst: &mut [E],
) {
    ForwardPlane::<R, E, G, MEAN> {
        s,
        x,
        plane,
        dst,
        _k: PhantomData,
    }
    .with_simd(simd)
}

struct ForwardPlane<'a, 'x, R, E, G, const MEAN: bool> {
    s: &'a PoolShape,
    x: &'a StridedRef<'x, E, 4>,
    plane: usize,
    dst: &'a mut [E],
    _k: PhantomData<(R, G)>,
}

impl<R: ReduceKernel, E: SimdElement, G: Geometry, const MEAN: bool> WithSimd
    for ForwardPlane<'_, '_, R, E, G, MEAN>
{
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            s, x, plane, dst, ..
        } = self;
        let g = Plane::new::<G>(s);
        let input = PlaneInput::new(x, s, plane);
        let id = R::identity::<E>();
        let n = E::from_usize(g.kh * g.kw);
        if g.sw == 2 && g.kw == 2 && g.interior(x.strides[3]) && pair::fits::<S, E>(g.ow) {
            // Every window inside the input: one tight loop over the rows, no per-row planning.
            let (rs, span) = (x.strides[2], 2 * g.ow);
            for (y, orow) in dst.chunks_exact_mut(g.ow).enumerate() {
                let top = input.base + y * g.sh * rs;
                let row = |p: usize| &x.data[top + p * rs..][..span];
                pair::forward_row::<S, R, E, MEAN>(simd, orow, g.kh, &row, n);
            }
            return;
        }
        for (y, orow) in dst.chunks_exact_mut(g.ow).enumerate() {
            let run = g.run(y, x.strides[3]);
            for xo in g.singles(run.is_some()) {
                let v = input
                    .window(&g, y, xo)
                    .fold(id, |a, (_, v)| R::scalar(a, v));
                orow[xo] = finish::<E, MEAN>(v, n);
            }
            let Some(run) = run else { continue };
            let acc = &mut orow[g.xa..g.xb];
            let row = |p: usize| input.run_row(&run, p);
            if g.sw == 2 && g.kw == 2 && pair::fits::<S, E>(run.count) {
                pair::forward_row::<S, R, E, MEAN>(simd, acc, g.kh, &row, n);
                continue;
            }
            if g.sw <= 2 {
                simd_row_fold::<S, R, E>(simd, acc, g.kh, g.kw, g.sw, run.span, row);
            } else {
                acc.fill(id);
                for p in 0..g.kh {
                    let r = row(p);
                    for q in 0..g.kw {
                        strided_pass::<R, E, G>(s, acc, &r[q..]);
                    }
                }
            }
            if MEAN {
                for o in acc.iter_mut() {
                    *o /= n;
                }
            }
        }
    }
}

/// `acc[i] = R(acc[i], src[i·sw])` with the stride a constant when `G` is [`Fixed`].
#[inline(always)]
fn strided_pass<R: ReduceKernel, E: SimdElement, G: Geometry>(
    s: &PoolShape,
    acc: &mut [E],
    src: &[E],
) {
    let sw = G::stride(s)[1];
    for (a, c) in acc.iter_mut().zip(src.chunks(sw)) {
        *a = R::scalar(*a, c[0]);
    }
}

/// Up to one register from `r[at..end]`; lanes past `end` hold `fill`.
#[inline(always)]
fn load<S: Simd, E: SimdElement>(s: S, r: &[E], at: usize, end: usize, fill: E) -> E::V<S> {
    let lanes = E::lanes::<S>();
    if at + lanes <= end {
        E::as_simd::<S>(&r[at..at + lanes]).0[0]
    } else {
        E::partial_load(s, &r[at.min(end)..end], fill)
    }
}

/// Stores the lanes of `v` that fall in `d[at..end]`.
#[inline(always)]
fn store<S: Simd, E: SimdElement>(s: S, d: &mut [E], at: usize, end: usize, v: E::V<S>) {
    let hi = (at + E::lanes::<S>()).min(end);
    if at < hi {
        E::partial_store(s, &mut d[at..hi], v);
    }
}

/// The unzipped (even, odd) registers of a stride-2 window position pair, once loaded.
type Pair<S, E> = Option<(<E as SimdElement>::V<S>, <E as SimdElement>::V<S>)>;

/// The value of window position `(p, q)` for the register of outputs starting at output `i`
/// (stride 1 or 2), rows read up to `span`. With stride 2, `pair` caches the unzipped
/// registers of the even position `q & !1` so the odd one costs nothing.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn position<S: Simd, E: SimdElement>(
    s: S,
    r: &[E],
    i: usize,
    q: usize,
    sw: usize,
    span: usize,
    fill: E,
    pair: &mut Pair<S, E>,
) -> E::V<S> {
    if sw == 1 {
        return load::<S, E>(s, r, i + q, span, fill);
    }
    let lanes = E::lanes::<S>();
    if q.is_multiple_of(2) || pair.is_none() {
        let lo = 2 * i + (q & !1);
        let a = load::<S, E>(s, r, lo, span, fill);
        let b = load::<S, E>(s, r, lo + lanes, span, fill);
        *pair = Some(super::lanes::unzip::<S, E>(s, a, b));
    }
    let (e, o) = pair.expect("set above");
    if q.is_multiple_of(2) {
        e
    } else {
        o
    }
}

/// Stride-1 or -2 rows: one output per lane, each window position one (stride 1) or half of
/// two unzipped (stride 2) unaligned loads; the row's last register is partial.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn simd_row_fold<'r, S: Simd, R: ReduceKernel, E: SimdElement + 'r>(
    simd: S,
    acc: &mut [E],
    kh: usize,
    kw: usize,
    sw: usize,
    span: usize,
    row: impl Fn(usize) -> &'r [E],
) {
    let lanes = E::lanes::<S>();
    let id = R::identity::<E>();
    let idv = E::splat(simd, id);
    let count = acc.len();
    let mut i = 0;
    while i < count {
        let mut v = idv;
        for p in 0..kh {
            let r = row(p);
            let mut pair = None;
            for q in 0..kw {
                let xv = position::<S, E>(simd, r, i, q, sw, span, id, &mut pair);
                v = R::simd::<S, E>(simd, v, xv);
            }
        }
        store::<S, E>(simd, acc, i, count, v);
        i += lanes;
    }
}

/// Pooling input gradient: `grad_in` (contiguous `s.input`) receives the gradient of every
/// window's fold scaled by `grad_out`, windows adding where they overlap. Shapes must have
/// been checked by the caller.
pub(crate) fn backward<R: ReduceKernel, E: SimdElement, G: Geometry, const MEAN: bool>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_in: &mut [E],
) -> Result<()> {
    let [b, c, h, w] = s.input;
    for_planes(grad_in, b * c, h * w, b * c * h * w, |plane, dst| {
        arch().dispatch(BackwardPlane::<R, E, G, MEAN> {
            s,
            x: &x,
            gout: &grad_out,
            plane,
            dst,
            _k: PhantomData,
        })
    });
    Ok(())
}

struct BackwardPlane<'a, 'x, R, E, G, const MEAN: bool> {
    s: &'a PoolShape,
    x: &'a StridedRef<'x, E, 4>,
    gout: &'a StridedRef<'x, E, 4>,
    plane: usize,
    dst: &'a mut [E],
    _k: PhantomData<(R, G)>,
}

impl<R: ReduceKernel, E: SimdElement, G: Geometry, const MEAN: bool> WithSimd
    for BackwardPlane<'_, '_, R, E, G, MEAN>
{
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            s,
            x,
            gout,
            plane,
            dst,
            ..
        } = self;
        backward_plane::<S, R, E, G, MEAN>(simd, s, x, gout, plane, dst);
    }
}

#[inline(always)]
fn backward_plane<S: Simd, R: ReduceKernel, E: SimdElement, G: Geometry, const MEAN: bool>(
    simd: S,
    s: &PoolShape,
    x: &StridedRef<'_, E, 4>,
    gout: &StridedRef<'_, E, 4>,
    plane: usize,
    dst: &mut [E],
) {
    let g = Plane::new::<G>(s);
    let input = PlaneInput::new(x, s, plane);
    let (bi, ci) = (input.bi, input.ci);
    let assign = g.disjoint();
    if assign {
        // Every covered element is written once below; only the uncovered strips need zeros.
        let (hc, wc) = g.covered();
        dst[hc * g.w..].fill(E::ZERO);
        for r in dst[..hc * g.w].chunks_exact_mut(g.w) {
            r[wc..].fill(E::ZERO);
        }
    } else {
        dst.fill(E::ZERO);
    }
    let n = E::from_usize(g.kh * g.kw);
    if assign
        && g.sw == 2
        && g.kw == 2
        && g.interior(x.strides[3])
        && gout.strides[3] == 1
        && pair::backward_fits::<S, R, E>(g.kh, g.ow)
    {
        // Every window inside the input: one tight loop over the rows, no scratch.
        let (rs, span) = (x.strides[2], 2 * g.ow);
        for y in 0..g.oh {
            let grad = &gout.data[gout.position([bi, ci, y, 0])..][..g.ow];
            let top = input.base + y * g.sh * rs;
            let row = |p: usize| &x.data[top + p * rs..][..span];
            let d = &mut dst[y * g.sh * g.w..];
            pair::backward_row::<S, R, E, MEAN>(simd, grad, g.kh, &row, d, g.w, n);
        }
        return;
    }
    let count = g.xb - g.xa;
    // Row scratch: upstream gradients, the window results, and (general folds) the prefix
    // accumulators of every window position.
    let mut grow = vec![E::ZERO; count];
    let mut yrow = vec![E::ZERO; count];
    let mut found = vec![false; count];
    let mut prefix = if R::PATTERN == ReducePattern::General {
        vec![E::ZERO; count * g.kh * g.kw]
    } else {
        Vec::new()
    };
    let mut window = Vec::with_capacity(g.kh * g.kw);
    for y in 0..g.oh {
        let gpos = gout.position([bi, ci, y, 0]);
        let gat = |xo: usize| {
            let v = gout.data[gpos + xo * gout.strides[3]];
            if MEAN {
                v / n
            } else {
                v
            }
        };
        let run = g.run(y, x.strides[3]);
        for xo in g.singles(run.is_some()) {
            window.clear();
            window.extend(input.window(&g, y, xo));
            window_backward::<R, E>(gat(xo), dst, assign, &mut window);
        }
        let Some(run) = run else { continue };
        if gout.strides[3] == 1 {
            grow.copy_from_slice(&gout.data[gpos + g.xa..][..count]);
            if MEAN {
                grow.iter_mut().for_each(|v| *v /= n);
            }
        } else {
            for (i, gv) in grow.iter_mut().enumerate() {
                *gv = gat(g.xa + i);
            }
        }
        let row = |p: usize| input.run_row(&run, p);
        let first = run.top * g.w + run.first;
        if assign && g.sw == 2 && g.kw == 2 && pair::backward_fits::<S, R, E>(g.kh, count) {
            // `grow` is already divided for an average.
            let d = &mut dst[first..];
            pair::backward_row::<S, R, E, false>(simd, &grow, g.kh, &row, d, g.w, n);
            continue;
        }
        let span = run.span;
        let sw = G::stride(s)[1];
        let dst_row = |p: usize| -> (usize, usize) {
            let at = first + p * g.w;
            (at, at + span)
        };
        if g.sw <= 2 && R::PATTERN != ReducePattern::General {
            let rows = |p: usize| {
                let (lo, _) = dst_row(p);
                (row(p), lo)
            };
            simd_row_backward::<S, R, E>(simd, &grow, dst, &g, span, assign, rows);
            continue;
        }
        match R::PATTERN {
            ReducePattern::Sum => {
                for p in 0..g.kh {
                    let (lo, hi) = dst_row(p);
                    let d = &mut dst[lo..hi];
                    for q in 0..g.kw {
                        scatter::<E>(sw, &mut d[q..], &grow, assign, |i| grow[i]);
                    }
                }
            }
            ReducePattern::Max | ReducePattern::Min => {
                yrow.fill(R::identity::<E>());
                for p in 0..g.kh {
                    let r = row(p);
                    for q in 0..g.kw {
                        strided_pass::<R, E, G>(s, &mut yrow, &r[q..]);
                    }
                }
                found.fill(false);
                for p in 0..g.kh {
                    let r = row(p);
                    let (lo, hi) = dst_row(p);
                    let d = &mut dst[lo..hi];
                    for q in 0..g.kw {
                        let src = &r[q..];
                        let dq = &mut d[q..];
                        for i in 0..count {
                            let v = src[i * sw];
                            let m = yrow[i];
                            let hit = !found[i] && (v == m || (v.is_nan() && m.is_nan()));
                            found[i] |= hit;
                            let add = if hit { grow[i] } else { E::ZERO };
                            if assign {
                                dq[i * sw] = add;
                            } else {
                                dq[i * sw] += add;
                            }
                        }
                    }
                }
            }
            ReducePattern::General => {
                let k = g.kh * g.kw;
                yrow.fill(R::identity::<E>());
                for p in 0..g.kh {
                    let r = row(p);
                    for q in 0..g.kw {
                        let pre = &mut prefix[(p * g.kw + q) * count..][..count];
                        for i in 0..count {
                            pre[i] = yrow[i];
                            yrow[i] = R::scalar(yrow[i], r[q + i * sw]);
                        }
                    }
                }
                // yrow now holds the running suffix product of ∂f/∂acc, seeded with g.
                yrow.copy_from_slice(&grow);
                for j in (0..k).rev() {
                    let (p, q) = (j / g.kw, j % g.kw);
                    let r = row(p);
                    let (lo, hi) = dst_row(p);
                    let d = &mut dst[lo..hi];
                    let pre = &prefix[j * count..][..count];
                    for i in 0..count {
                        let (da, dx) = R::scalar_partials(pre[i], r[q + i * sw]);
                        let add = yrow[i] * dx;
                        yrow[i] *= da;
                        if assign {
                            d[q + i * sw] = add;
                        } else {
                            d[q + i * sw] += add;
                        }
                    }
                }
            }
        }
    }
}

/// Stride-1 or -2 rows of a sum, max or min: per register of outputs, the contribution of each
/// window position (`g`, or `g` at the first element equal to the window's result) is written
/// (windows tiling the input) or added to the gradient rows; with stride 2 the contributions of
/// positions `q` and `q + 1` are zipped back into consecutive elements before the store.
#[inline(always)]
fn simd_row_backward<'r, S: Simd, R: ReduceKernel, E: SimdElement + 'r>(
    simd: S,
    grow: &[E],
    dst: &mut [E],
    g: &Plane,
    span: usize,
    assign: bool,
    rows: impl Fn(usize) -> (&'r [E], usize),
) {
    let lanes = E::lanes::<S>();
    let id = R::identity::<E>();
    let zero = E::splat(simd, E::ZERO);
    let count = grow.len();
    let extreme = R::PATTERN != ReducePattern::Sum;
    let mut i = 0;
    while i < count {
        let gv = load::<S, E>(simd, grow, i, count, E::ZERO);
        let mut y = E::splat(simd, id);
        if extreme {
            for p in 0..g.kh {
                let (r, _) = rows(p);
                let mut pair = None;
                for q in 0..g.kw {
                    let xv = position::<S, E>(simd, r, i, q, g.sw, span, id, &mut pair);
                    y = R::simd::<S, E>(simd, y, xv);
                }
            }
        }
        let y_nan = <E as SimdElement>::ne(simd, y, y);
        let mut found = <E as SimdElement>::ne(simd, zero, zero);
        for p in 0..g.kh {
            let (r, at) = rows(p);
            let d = &mut dst[at..at + span];
            let mut pair = None;
            let mut pending = None;
            for q in 0..g.kw {
                let c = if extreme {
                    let xv = position::<S, E>(simd, r, i, q, g.sw, span, id, &mut pair);
                    let same = E::or(
                        simd,
                        <E as SimdElement>::eq(simd, xv, y),
                        E::and(simd, <E as SimdElement>::ne(simd, xv, xv), y_nan),
                    );
                    let hit = E::and(simd, same, E::not(simd, found));
                    found = E::or(simd, found, hit);
                    E::select(simd, hit, gv, zero)
                } else {
                    gv
                };
                if g.sw == 1 {
                    let v = if assign {
                        c
                    } else {
                        <E as SimdElement>::add(
                            simd,
                            load::<S, E>(simd, d, i + q, span, E::ZERO),
                            c,
                        )
                    };
                    store::<S, E>(simd, d, i + q, span, v);
                } else if assign {
                    // Tiling with stride 2 means kw = 2: store positions 0 and 1 together.
                    match pending.take() {
                        None if q + 1 < g.kw => pending = Some(c),
                        None => {
                            let (lo, hi) = super::lanes::zip::<S, E>(simd, c, zero);
                            store::<S, E>(simd, d, 2 * i + q, span, lo);
                            store::<S, E>(simd, d, 2 * i + q + lanes, span, hi);
                        }
                        Some(c0) => {
                            let (lo, hi) = super::lanes::zip::<S, E>(simd, c0, c);
                            store::<S, E>(simd, d, 2 * i + q - 1, span, lo);
                            store::<S, E>(simd, d, 2 * i + q - 1 + lanes, span, hi);
                        }
                    }
                } else {
                    let (lo, hi) = super::lanes::zip::<S, E>(simd, c, zero);
                    let at = 2 * i + q;
                    let a =
                        <E as SimdElement>::add(simd, load::<S, E>(simd, d, at, span, E::ZERO), lo);
                    let b = <E as SimdElement>::add(
                        simd,
                        load::<S, E>(simd, d, at + lanes, span, E::ZERO),
                        hi,
                    );
                    store::<S, E>(simd, d, at, span, a);
                    store::<S, E>(simd, d, at + lanes, span, b);
                }
            }
        }
        i += lanes;
    }
}

/// `dst[i·sw] (+)= value(i)` for every output `i` of the row.
#[inline(always)]
fn scatter<E: SimdElement>(
    sw: usize,
    dst: &mut [E],
    grow: &[E],
    assign: bool,
    value: impl Fn(usize) -> E,
) {
    for i in 0..grow.len() {
        if assign {
            dst[i * sw] = value(i);
        } else {
            dst[i * sw] += value(i);
        }
    }
}

/// The gradient of one window (its elements in `window`, row-major, as plane indices and
/// values), added into (or, when windows are disjoint, written to) `dst`.
#[inline(always)]
fn window_backward<R: ReduceKernel, E: SimdElement>(
    gv: E,
    dst: &mut [E],
    assign: bool,
    window: &mut [(usize, E)],
) {
    let mut put = |at: usize, v: E| {
        if assign {
            dst[at] = v;
        } else {
            dst[at] += v;
        }
    };
    match R::PATTERN {
        ReducePattern::Sum => window.iter().for_each(|&(at, _)| put(at, gv)),
        ReducePattern::Max | ReducePattern::Min => {
            let m = window
                .iter()
                .fold(R::identity::<E>(), |a, &(_, v)| R::scalar(a, v));
            let mut found = false;
            for &(at, v) in window.iter() {
                let hit = !found && (v == m || (v.is_nan() && m.is_nan()));
                found |= hit;
                put(at, if hit { gv } else { E::ZERO });
            }
        }
        ReducePattern::General => {
            // Prefix accumulators in place of the values, then the suffix product backward.
            let mut acc = R::identity::<E>();
            let values: Vec<E> = window.iter().map(|&(_, v)| v).collect();
            for (slot, &v) in window.iter_mut().zip(&values) {
                slot.1 = acc;
                acc = R::scalar(acc, v);
            }
            let mut suffix = gv;
            for (&(at, pre), &v) in window.iter().zip(&values).rev() {
                let (da, dx) = R::scalar_partials(pre, v);
                put(at, suffix * dx);
                suffix *= da;
            }
        }
    }
}

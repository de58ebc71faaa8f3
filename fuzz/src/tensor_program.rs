//! A random program of tensor ops drawn from fuzz bytes, run on simdgrad and on the naive
//! reference side by side. After every op: the same success or failure (failures must be a
//! `simdgrad::Error`, never a panic), the same shape, and the same values (views and max/min
//! bit for bit, arithmetic within a rounding bound). Any disagreement panics: a fuzz finding.

use arbitrary::{Result, Unstructured};
use simdgrad::simd::SimdElement;
use simdgrad::Tensor;

use crate::reference::{self as r, Dense};

/// Largest tensor the program materialises (keeps each input fast and under libFuzzer's
/// memory limit); a view of a larger tensor is still checked at a few indices.
const MAX_NUMEL: usize = 4096;
const HUGE: &[usize] = &[usize::MAX, 1 << 62, (1 << 32) + 1, isize::MAX as usize];

/// Runs one program on `f32` or `f64` (chosen by the first byte).
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(f64_mode) = u.arbitrary::<bool>() else {
        return;
    };
    if f64_mode {
        let _ = Program::<f64>::new(u).run();
    } else {
        let _ = Program::<f32>::new(u).run();
    }
}

struct Program<'a, E: SimdElement> {
    u: Unstructured<'a>,
    stack: Vec<(Tensor<E>, Dense)>,
    log: Vec<String>,
    specials: bool,
}

fn same_shape_msg(a: &[usize], b: &[usize]) -> String {
    format!("shape {a:?} vs reference {b:?}")
}

impl<'a, E: SimdElement> Program<'a, E> {
    fn new(u: Unstructured<'a>) -> Self {
        Program {
            u,
            stack: Vec::new(),
            log: Vec::new(),
            specials: false,
        }
    }

    fn fail(&self, msg: String) -> ! {
        panic!(
            "{msg}\nprogram ({}):\n  {}",
            E::NAME_FOR_FUZZ,
            self.log.join("\n  ")
        )
    }

    /// Rounding tolerance relative to an op's scale.
    fn tol() -> f64 {
        if core::mem::size_of::<E>() == 4 {
            2e-5
        } else {
            1e-11
        }
    }

    fn value(&mut self) -> Result<f64> {
        let b: u8 = self.u.arbitrary()?;
        let v = match b {
            0..=223 => (f64::from(b) - 112.0) / 8.0,
            _ if !self.specials => f64::from(b - 224) / 64.0,
            224 => f64::NAN,
            225 => f64::INFINITY,
            226 => f64::NEG_INFINITY,
            227 => 0.0,
            228 => -0.0,
            229 => E::from_f64(f64::MIN_POSITIVE).to_f64() * 0.25, // subnormal in E
            230 => 1e30,
            231 => -1e30,
            _ => f64::from(b - 232) / 1024.0 - 0.01,
        };
        Ok(E::from_f64(v).to_f64())
    }

    fn size(&mut self) -> Result<usize> {
        Ok(match self.u.int_in_range(0u8..=40)? {
            0..=7 => 1,
            8..=11 => 0,
            12..=31 => usize::from(self.u.int_in_range(2u8..=9)?),
            32..=37 => usize::from(self.u.int_in_range(10u8..=40)?),
            _ => *self.u.choose(HUGE)?,
        })
    }

    fn shape(&mut self) -> Result<Vec<usize>> {
        let n = self.u.int_in_range(0usize..=4)?;
        (0..n).map(|_| self.size()).collect()
    }

    /// A shape with `n` elements (random factorisation), or occasionally any shape.
    fn shape_like(&mut self, n: usize) -> Result<Vec<usize>> {
        if self.u.ratio(1u8, 6u8)? {
            return self.shape();
        }
        let mut rest = n;
        let mut shape = Vec::new();
        for _ in 0..self.u.int_in_range(0usize..=3)? {
            let f = if rest == 0 {
                self.size()?.min(5)
            } else {
                let divs: Vec<usize> = (1..=rest.min(64)).filter(|d| rest % d == 0).collect();
                *self.u.choose(&divs)?
            };
            if f != 0 {
                rest /= f;
            }
            shape.push(f);
        }
        if rest != 1 || shape.is_empty() || self.u.arbitrary()? {
            shape.push(rest);
        }
        let k = self.u.choose_index(shape.len())?;
        shape.rotate_left(k);
        Ok(shape)
    }

    fn dim(&mut self) -> Result<isize> {
        Ok(self.u.int_in_range(-6isize..=6)?)
    }

    fn index(&mut self, bound: usize) -> Result<usize> {
        Ok(match self.u.int_in_range(0u8..=9)? {
            0 => *self.u.choose(HUGE)?,
            1 => bound,
            2 => bound.saturating_add(1),
            _ => self.u.int_in_range(0..=bound.saturating_sub(1))?,
        })
    }

    fn pick(&mut self) -> Result<usize> {
        if self.stack.is_empty() {
            return Err(arbitrary::Error::NotEnoughData);
        }
        self.u.choose_index(self.stack.len())
    }

    fn push(&mut self, t: Tensor<E>, d: Dense) {
        if self.stack.len() < 6 {
            self.stack.push((t, d));
        } else {
            let i = self.u.choose_index(6).unwrap_or(0);
            self.stack[i] = (t, d);
        }
    }

    fn run(mut self) -> Result<()> {
        self.specials = self.u.arbitrary()?;
        for step in 0..24 {
            if self.u.is_empty() {
                break;
            }
            let op = self.u.int_in_range(0u8..=17)?;
            if self.stack.is_empty() || op == 0 {
                self.create()?;
            } else {
                self.op(op, step)?;
            }
        }
        Ok(())
    }

    fn create(&mut self) -> Result<()> {
        let shape = self.shape()?;
        self.log.push(format!("new {shape:?}"));
        match r::numel(&shape) {
            None => {
                if Tensor::<E>::zeros(&shape).is_ok() {
                    self.fail(format!("zeros({shape:?}) overflows but was accepted"));
                }
                if Tensor::<E>::from_vec(Vec::new(), &shape).is_ok() {
                    self.fail(format!(
                        "from_vec([], {shape:?}) overflows but was accepted"
                    ));
                }
            }
            Some(n) if n <= MAX_NUMEL => {
                let data = (0..n).map(|_| self.value()).collect::<Result<Vec<f64>>>()?;
                let wrong = Tensor::<E>::from_vec(vec![E::ZERO; n + 1], &shape);
                if wrong.is_ok() {
                    self.fail(format!(
                        "from_vec accepted {} elements for {shape:?}",
                        n + 1
                    ));
                }
                let t = Tensor::from_vec(data.iter().map(|&v| E::from_f64(v)).collect(), &shape)
                    .unwrap_or_else(|e| self.fail(format!("from_vec: {e}")));
                let d = Dense { shape, data };
                self.check_view(&t, &d, "new");
                self.push(t, d);
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Compares a result whose values must be bit-exact copies (views, max, min, ...).
    fn check_view(&self, t: &Tensor<E>, d: &Dense, what: &str) {
        self.check_layout(t, d, what);
        let got = t.to_vec();
        for (i, (g, w)) in got.iter().zip(&d.data).enumerate() {
            let g = g.to_f64();
            if !(g == *w || (g.is_nan() && w.is_nan())) {
                self.fail(format!("{what}: element {i} is {g}, reference {w}"));
            }
        }
    }

    /// Shape, strides and contiguity agree with the reference's shape.
    fn check_layout(&self, t: &Tensor<E>, d: &Dense, what: &str) {
        if t.shape() != d.shape.as_slice() {
            self.fail(format!("{what}: {}", same_shape_msg(t.shape(), &d.shape)));
        }
        if t.strides().len() != t.ndim() || t.numel() != d.data.len() {
            self.fail(format!(
                "{what}: strides {:?} / numel {}",
                t.strides(),
                t.numel()
            ));
        }
        let mut expected = 1;
        let mut contiguous = true;
        for (&n, &s) in t.shape().iter().zip(t.strides()).rev() {
            if n != 1 {
                contiguous &= s == expected;
                expected *= n;
            }
        }
        contiguous |= t.numel() == 0;
        if t.is_contiguous() != contiguous {
            self.fail(format!(
                "{what}: is_contiguous() = {} for shape {:?} strides {:?}",
                t.is_contiguous(),
                t.shape(),
                t.strides()
            ));
        }
    }

    /// Compares computed values within `tol · scale[i]`; NaN must match NaN, ±inf exactly.
    fn check_close(&self, t: &Tensor<E>, d: &Dense, scale: &[f64], what: &str) {
        self.check_layout(t, d, what);
        let tol = Self::tol();
        for (i, (g, w)) in t.to_vec().iter().zip(&d.data).enumerate() {
            let g = g.to_f64();
            let ok = if w.is_nan() {
                g.is_nan()
            } else if w.is_infinite() || !scale[i].is_finite() {
                g == *w || (!scale[i].is_finite() && !w.is_infinite())
            } else {
                // In f32 a result can overflow where the f64 reference does not.
                let limit = E::from_f64(f64::MAX).to_f64();
                (g - w).abs() <= tol * scale[i] + 1e-300
                    || (w.abs() > limit * 0.5 && g.is_infinite() && g.signum() == w.signum())
            };
            if !ok {
                self.fail(format!(
                    "{what}: element {i} is {g}, reference {w} (scale {})",
                    scale[i]
                ));
            }
        }
    }

    /// The operation returned an error: it must be one the reference expects.
    fn expect_err<T>(&self, got: simdgrad::Result<T>, what: &str) {
        if got.is_ok() {
            self.fail(format!("{what}: accepted, the reference rejects it"));
        }
    }

    fn expect_ok<T>(&self, got: simdgrad::Result<T>, what: &str) -> T {
        got.unwrap_or_else(|e| {
            self.fail(format!("{what}: rejected ({e}), the reference accepts it"))
        })
    }

    fn op(&mut self, op: u8, _step: usize) -> Result<()> {
        let i = self.pick()?;
        let (t, d) = self.stack[i].clone();
        let rank = d.shape.len();
        match op {
            1 => {
                // permute with a valid or an invalid order
                let mut order: Vec<usize> = (0..rank).collect();
                for k in (1..rank).rev() {
                    let j = self.u.int_in_range(0..=k)?;
                    order.swap(k, j);
                }
                if self.u.ratio(1u8, 5u8)? {
                    match self.u.int_in_range(0u8..=2)? {
                        0 => order.push(rank),
                        1 if rank > 0 => order[0] = order[rank - 1].wrapping_add(rank),
                        _ => {
                            order.pop();
                        }
                    }
                }
                let what = format!("permute({order:?}) of {:?}", d.shape);
                self.log.push(what.clone());
                let valid = {
                    let mut seen = vec![false; rank];
                    order.len() == rank
                        && order
                            .iter()
                            .all(|&o| o < rank && !std::mem::replace(&mut seen[o], true))
                };
                if valid {
                    let p = self.expect_ok(t.permute(&order), &what);
                    let dp = d.permute(&order);
                    self.check_view(&p, &dp, &what);
                    self.push(p, dp);
                } else {
                    self.expect_err(t.permute(&order), &what);
                }
            }
            2 => {
                let (a, b) = (self.dim()?, self.dim()?);
                let what = format!("transpose({a}, {b}) of {:?}", d.shape);
                self.log.push(what.clone());
                match (r::dim(a, rank), r::dim(b, rank)) {
                    (Some(x), Some(y)) => {
                        let mut order: Vec<usize> = (0..rank).collect();
                        order.swap(x, y);
                        let p = self.expect_ok(t.transpose(a, b), &what);
                        let dp = d.permute(&order);
                        self.check_view(&p, &dp, &what);
                        self.push(p, dp);
                    }
                    _ => self.expect_err(t.transpose(a, b), &what),
                }
            }
            3 => {
                // narrow / slice with a step / select
                let dm = self.dim()?;
                let kind = self.u.int_in_range(0u8..=2)?;
                let nd = r::dim(dm, rank);
                let size = nd.map_or(3, |k| d.shape[k]);
                let start = self.index(size)?;
                let len = self.index(size + 1)?;
                let step = self.u.int_in_range(0usize..=4)?;
                let what = format!(
                    "{} dim {dm} start {start} len/end {len} step {step} of {:?}",
                    ["narrow", "slice", "select"][usize::from(kind)],
                    d.shape
                );
                self.log.push(what.clone());
                let (got, want) = match kind {
                    0 => {
                        let ok = nd.filter(|_| start.checked_add(len).is_some_and(|e| e <= size));
                        (
                            t.narrow(dm, start, len),
                            ok.map(|k| d.slice(k, start, len, 1)),
                        )
                    }
                    1 => {
                        let ok = nd.filter(|_| start <= len && len <= size && step > 0);
                        let n = if step > 0 {
                            len.saturating_sub(start).div_ceil(step)
                        } else {
                            0
                        };
                        (
                            t.slice(dm, start..len, step),
                            ok.map(|k| d.slice(k, start, n, step)),
                        )
                    }
                    _ => {
                        let ok = nd.filter(|_| start < size);
                        (t.select(dm, start), ok.map(|k| d.select(k, start)))
                    }
                };
                match want {
                    Some(dv) => {
                        let v = self.expect_ok(got, &what);
                        self.check_view(&v, &dv, &what);
                        self.push(v, dv);
                    }
                    None => self.expect_err(got, &what),
                }
            }
            4 => {
                let dm = self.dim()?;
                let squeeze = self.u.arbitrary::<bool>()?;
                let what = format!(
                    "{} {dm} of {:?}",
                    if squeeze { "squeeze" } else { "unsqueeze" },
                    d.shape
                );
                self.log.push(what.clone());
                if squeeze {
                    match r::dim(dm, rank) {
                        Some(k) => {
                            let mut dv = d.clone();
                            if dv.shape[k] == 1 {
                                dv.shape.remove(k);
                            }
                            let v = self.expect_ok(t.squeeze(dm), &what);
                            self.check_view(&v, &dv, &what);
                            self.push(v, dv);
                        }
                        None => self.expect_err(t.squeeze(dm), &what),
                    }
                } else {
                    match r::dim(dm, rank + 1) {
                        Some(k) => {
                            let mut dv = d.clone();
                            dv.shape.insert(k, 1);
                            let v = self.expect_ok(t.unsqueeze(dm), &what);
                            self.check_view(&v, &dv, &what);
                            self.push(v, dv);
                        }
                        None => self.expect_err(t.unsqueeze(dm), &what),
                    }
                }
            }
            5 => {
                // expand / broadcast_to
                let mut target = d.shape.clone();
                for s in target.iter_mut() {
                    if *s == 1 && self.u.arbitrary()? {
                        *s = self.size()?;
                    }
                }
                for _ in 0..self.u.int_in_range(0u8..=2)? {
                    let s = self.size()?;
                    target.insert(0, s);
                }
                if self.u.ratio(1u8, 8u8)? {
                    target = self.shape()?;
                }
                let what = format!("expand {:?} to {target:?}", d.shape);
                self.log.push(what.clone());
                let valid = target.len() >= rank
                    && r::numel(&target).is_some()
                    && d.shape
                        .iter()
                        .enumerate()
                        .all(|(k, &s)| s == 1 || s == target[k + target.len() - rank]);
                if !valid {
                    self.expect_err(t.expand(&target), &what);
                } else {
                    let v = self.expect_ok(t.expand(&target), &what);
                    if v.numel() <= MAX_NUMEL {
                        let dv = d.expand(&target);
                        self.check_view(&v, &dv, &what);
                        self.push(v, dv);
                    } else {
                        // Too large to materialise: probe a few elements.
                        self.check_layout_shape(&v, &target, &what);
                        for _ in 0..4 {
                            let idx: Vec<usize> = target
                                .iter()
                                .map(|&n| self.u.int_in_range(0..=n.saturating_sub(1)))
                                .collect::<Result<_>>()?;
                            let pad = target.len() - rank;
                            let src: Vec<usize> = (0..rank)
                                .map(|k| if d.shape[k] == 1 { 0 } else { idx[k + pad] })
                                .collect();
                            let g = self.expect_ok(v.get(&idx), &what).to_f64();
                            let w = d.at(&src);
                            if !(g == w || g.is_nan() && w.is_nan()) {
                                self.fail(format!("{what}: get({idx:?}) = {g}, reference {w}"));
                            }
                        }
                    }
                }
            }
            6 => {
                // reshape / view
                let shape = self.shape_like(d.data.len())?;
                let view = self.u.arbitrary::<bool>()?;
                let what = format!(
                    "{} {:?} (strides {:?}) to {shape:?}",
                    if view { "view" } else { "reshape" },
                    d.shape,
                    t.strides()
                );
                self.log.push(what.clone());
                let same = r::numel(&shape) == Some(d.data.len());
                let got = if view {
                    t.view(&shape)
                } else {
                    t.reshape(&shape)
                };
                if same && (!view || t.is_contiguous()) {
                    let v = self.expect_ok(got, &what);
                    let dv = Dense {
                        shape,
                        data: d.data.clone(),
                    };
                    self.check_view(&v, &dv, &what);
                    self.push(v, dv);
                } else {
                    self.expect_err(got, &what);
                }
            }
            7 => {
                self.log.push(format!(
                    "contiguous of {:?} strides {:?}",
                    d.shape,
                    t.strides()
                ));
                let c = t.contiguous();
                if !c.is_contiguous() {
                    self.fail("contiguous() is not contiguous".into());
                }
                self.check_view(&c, &d, "contiguous");
                self.push(c, d);
            }
            8 | 9 => self.map(t, d)?,
            10 | 11 => self.zip(t, d)?,
            12 | 13 => self.reduce(t, d)?,
            14 => self.matmul(t, d)?,
            15 => self.softmax(t, d)?,
            16 => self.argmax(t, d)?,
            _ => self.as_strided(d)?,
        }
        Ok(())
    }

    /// Keeps a computed result with its *actual* values as the reference of later ops, so
    /// rounding differences are measured per op and never accumulate.
    fn push_actual(&mut self, y: Tensor<E>) {
        let d = Dense {
            shape: y.shape().to_vec(),
            data: y.to_vec().iter().map(|v| v.to_f64()).collect(),
        };
        self.push(y, d);
    }

    fn check_layout_shape(&self, v: &Tensor<E>, shape: &[usize], what: &str) {
        if v.shape() != shape {
            self.fail(format!("{what}: {}", same_shape_msg(v.shape(), shape)));
        }
    }

    fn map(&mut self, t: Tensor<E>, d: Dense) -> Result<()> {
        let names = [
            "neg", "exp", "ln", "sqrt", "abs", "relu", "sigmoid", "tanh", "gelu",
        ];
        let k = self.u.choose_index(names.len())?;
        let what = format!("{} of {:?} strides {:?}", names[k], d.shape, t.strides());
        self.log.push(what.clone());
        let (got, f): (_, fn(f64) -> f64) = match k {
            0 => (t.neg(), |x| -x),
            1 => (t.exp(), f64::exp),
            2 => (t.ln(), f64::ln),
            3 => (t.sqrt(), f64::sqrt),
            4 => (t.abs(), f64::abs),
            5 => (t.relu(), |x| if x.is_nan() { x } else { x.max(0.0) }),
            6 => (t.sigmoid(), |x| 1.0 / (1.0 + (-x).exp())),
            7 => (t.tanh(), f64::tanh),
            _ => (t.gelu(), |x| {
                0.5 * x * (1.0 + (0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)).tanh())
            }),
        };
        let y = self.expect_ok(got, &what);
        let mut w = d.map(f);
        if core::mem::size_of::<E>() == 4 {
            // The reference of an f32 op is its f64 value rounded to f32.
            w = w.map(|v| E::from_f64(v).to_f64());
        }
        // gelu's `1 + tanh(…)` cancels for negative x: its error is relative to |x|.
        let scale: Vec<f64> = w
            .data
            .iter()
            .zip(&d.data)
            .map(|(e, x)| e.abs() + if k == 8 { x.abs() } else { 0.0 })
            .collect();
        self.check_close(&y, &w, &scale, &what);
        self.push_actual(y);
        Ok(())
    }

    fn zip(&mut self, t: Tensor<E>, d: Dense) -> Result<()> {
        let j = self.pick()?;
        let (o, od) = self.stack[j].clone();
        let (o, od) = if self.u.arbitrary()? {
            // a broadcastable partner: a reduction-shaped view of the same tensor
            if let Some(k) = (!d.shape.is_empty())
                .then(|| self.u.choose_index(d.shape.len()))
                .transpose()?
            {
                (
                    self.expect_ok(t.narrow(k as isize, 0, d.shape[k].min(1)), "narrow"),
                    d.slice(k, 0, d.shape[k].min(1), 1),
                )
            } else {
                (o, od)
            }
        } else {
            (o, od)
        };
        let names = ["add", "sub", "mul", "div", "pow", "lt", "gt", "eq"];
        let k = self.u.choose_index(names.len())?;
        let swap = self.u.arbitrary::<bool>()?;
        let (a, ad, b, bd) = if swap { (o, od, t, d) } else { (t, d, o, od) };
        let what = format!(
            "{} of {:?} (strides {:?}) and {:?} (strides {:?})",
            names[k],
            ad.shape,
            a.strides(),
            bd.shape,
            b.strides()
        );
        self.log.push(what.clone());
        if r::broadcast(&ad.shape, &bd.shape)
            .is_some_and(|s| s.iter().product::<usize>() > MAX_NUMEL)
        {
            // A valid result too large to allocate here (the inputs' size-0 dims can hide huge
            // sizes of the other dims).
            return Ok(());
        }
        let got = match k {
            0 => a.add(&b),
            1 => a.sub(&b),
            2 => a.mul(&b),
            3 => a.div(&b),
            4 => a.pow(&b),
            5 => a.lt(&b),
            6 => a.gt(&b),
            _ => a.eq(&b),
        };
        let Some(_) = r::broadcast(&ad.shape, &bd.shape) else {
            self.expect_err(got, &what);
            return Ok(());
        };
        let y = self.expect_ok(got, &what);
        let f: fn(f64, f64) -> f64 = match k {
            0 => |a, b| a + b,
            1 => |a, b| a - b,
            2 => |a, b| a * b,
            3 => |a, b| a / b,
            4 => f64::powf,
            5 => |a, b| f64::from(u8::from(a < b)),
            6 => |a, b| f64::from(u8::from(a > b)),
            _ => |a, b| f64::from(u8::from(a == b)),
        };
        let mut w = ad.zip(&bd, f);
        if core::mem::size_of::<E>() == 4 {
            w = w.map(|v| E::from_f64(v).to_f64());
        }
        let scale: Vec<f64> = ad
            .zip(&bd, |a, b| {
                if k == 4 {
                    (a.powf(b) * (1.0 + b.abs() * a.abs().ln().abs())).abs()
                } else {
                    a.abs() + b.abs()
                }
            })
            .data
            .iter()
            .zip(&w.data)
            .map(|(s, e)| s.max(e.abs()))
            .collect();
        self.check_close(&y, &w, &scale, &what);
        self.push_actual(y);
        Ok(())
    }

    fn reduce(&mut self, t: Tensor<E>, d: Dense) -> Result<()> {
        let names = ["sum", "mean", "max", "min", "prod"];
        let k = self.u.choose_index(names.len())?;
        let all = self.u.ratio(1u8, 4u8)?;
        let dm = self.dim()?;
        let what = format!(
            "{}({}) of {:?} strides {:?}",
            names[k],
            if all {
                "all".to_string()
            } else {
                dm.to_string()
            },
            d.shape,
            t.strides()
        );
        self.log.push(what.clone());
        let f = |xs: &[f64]| -> f64 {
            match k {
                0 => xs.iter().sum(),
                1 => xs.iter().sum::<f64>() / xs.len() as f64,
                2 => r::max(xs),
                3 => r::min(xs),
                _ => xs.iter().product(),
            }
        };
        let sc = |xs: &[f64]| -> f64 {
            match k {
                0 | 1 => xs.iter().map(|x| x.abs()).sum(),
                2 | 3 => 0.0,
                _ => xs.iter().map(|x| x.abs()).product::<f64>() * xs.len() as f64,
            }
        };
        if !all {
            if let Some(dd) = r::dim(dm, d.shape.len()) {
                let mut out = d.shape.clone();
                out[dd] = 1;
                if out.iter().product::<usize>() > MAX_NUMEL {
                    return Ok(()); // too large to allocate here (see `zip`)
                }
            }
        }
        let (got, w, scale) = if all {
            let got = match k {
                0 => t.sum_all(),
                1 => t.mean_all(),
                2 => t.max_all(),
                3 => t.min_all(),
                _ => t.prod_all(),
            };
            let w = Dense {
                shape: vec![],
                data: vec![f(&d.data)],
            };
            (got, w, vec![sc(&d.data)])
        } else {
            let got = match k {
                0 => t.sum(dm),
                1 => t.mean(dm),
                2 => t.max(dm),
                3 => t.min(dm),
                _ => t.prod(dm),
            };
            let Some(dd) = r::dim(dm, rank_of(&d)) else {
                self.expect_err(got, &what);
                return Ok(());
            };
            (got, d.reduce(dd, f), d.reduce(dd, sc).data)
        };
        let y = self.expect_ok(got, &what);
        let mut w = w;
        if core::mem::size_of::<E>() == 4 {
            w = w.map(|v| E::from_f64(v).to_f64());
        }
        if k == 2 || k == 3 {
            self.check_view(&y, &w, &what);
        } else {
            self.check_close(&y, &w, &scale, &what);
        }
        self.push_actual(y);
        Ok(())
    }

    fn matmul(&mut self, t: Tensor<E>, d: Dense) -> Result<()> {
        let j = self.pick()?;
        let (o, od) = self.stack[j].clone();
        // Often make the partner's inner dim fit: a transposed view of the same tensor.
        let (o, od) = if self.u.arbitrary()? && d.shape.len() >= 2 {
            let n = d.shape.len();
            let mut order: Vec<usize> = (0..n).collect();
            order.swap(n - 1, n - 2);
            (
                self.expect_ok(t.transpose(-1, -2), "transpose"),
                d.permute(&order),
            )
        } else {
            (o, od)
        };
        let what = format!(
            "matmul {:?} (strides {:?}) · {:?} (strides {:?})",
            d.shape,
            t.strides(),
            od.shape,
            o.strides()
        );
        self.log.push(what.clone());
        let (a, b) = (&d.shape, &od.shape);
        let rows = if a.len() >= 2 { a[a.len() - 2] } else { 1 };
        let cols = if b.len() >= 2 { b[b.len() - 1] } else { 1 };
        let batch = |s: &[usize]| s.iter().rev().skip(2).product::<usize>();
        let out = [rows, cols, batch(a), batch(b)];
        if out
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .is_none_or(|n| n > MAX_NUMEL)
        {
            return Ok(()); // too large to allocate here (see `zip`)
        }
        let got = t.matmul(&o);
        let valid = !a.is_empty() && !b.is_empty() && {
            let ka = a[a.len() - 1];
            let kb = if b.len() == 1 { b[0] } else { b[b.len() - 2] };
            let ba = if a.len() > 2 {
                &a[..a.len() - 2]
            } else {
                &[][..]
            };
            let bb = if b.len() > 2 {
                &b[..b.len() - 2]
            } else {
                &[][..]
            };
            ka == kb && r::broadcast(ba, bb).is_some()
        };
        if !valid {
            self.expect_err(got, &what);
            return Ok(());
        }
        let y = self.expect_ok(got, &what);
        if y.numel() > MAX_NUMEL || d.data.len() * od.data.len() > 1 << 16 {
            return Ok(());
        }
        let mut w = d.matmul(&od);
        let abs = |x: &Dense| x.map(f64::abs);
        let scale = abs(&d).matmul(&abs(&od)).data;
        if core::mem::size_of::<E>() == 4 {
            w = w.map(|v| E::from_f64(v).to_f64());
        }
        self.check_close(&y, &w, &scale, &what);
        self.push_actual(y);
        Ok(())
    }

    fn softmax(&mut self, t: Tensor<E>, d: Dense) -> Result<()> {
        let dm = self.dim()?;
        let log = self.u.arbitrary::<bool>()?;
        let what = format!(
            "{}({dm}) of {:?} strides {:?}",
            if log { "log_softmax" } else { "softmax" },
            d.shape,
            t.strides()
        );
        self.log.push(what.clone());
        let got = if log {
            t.log_softmax(dm)
        } else {
            t.softmax(dm)
        };
        let Some(k) = r::dim(dm, d.shape.len()) else {
            self.expect_err(got, &what);
            return Ok(());
        };
        let y = self.expect_ok(got, &what);
        let mut w = d.softmax(k, log);
        if core::mem::size_of::<E>() == 4 {
            w = w.map(|v| E::from_f64(v).to_f64());
        }
        let n = d.shape[k] as f64;
        let scale: Vec<f64> = w
            .data
            .iter()
            .zip(&d.data)
            .map(|(e, x)| {
                if log {
                    4.0 * (e.abs() + x.abs() + n)
                } else {
                    4.0
                }
            })
            .collect();
        self.check_close(&y, &w, &scale, &what);
        self.push_actual(y);
        Ok(())
    }

    fn argmax(&mut self, t: Tensor<E>, d: Dense) -> Result<()> {
        let dm = self.dim()?;
        let what = format!("argmax({dm}) of {:?} strides {:?}", d.shape, t.strides());
        self.log.push(what.clone());
        let got = t.argmax_indices(dm);
        match r::dim(dm, d.shape.len()) {
            Some(k) if d.shape[k] > 0 => {
                let idx = self.expect_ok(got, &what);
                let want: Vec<usize> = d
                    .reduce(k, |xs| r::argmax(xs) as f64)
                    .data
                    .iter()
                    .map(|&v| v as usize)
                    .collect();
                if idx != want {
                    self.fail(format!("{what}: {idx:?}, reference {want:?}"));
                }
            }
            _ => self.expect_err(got, &what),
        }
        Ok(())
    }

    fn as_strided(&mut self, d: Dense) -> Result<()> {
        let base = Tensor::from_vec(d.data.iter().map(|&v| E::from_f64(v)).collect(), &d.shape)
            .unwrap_or_else(|e| self.fail(format!("from_vec: {e}")));
        let shape = self.shape()?;
        let strides: Vec<usize> = (0..shape.len() + usize::from(self.u.ratio(1u8, 10u8)?))
            .map(|_| {
                Ok(match self.u.int_in_range(0u8..=9)? {
                    0 => *self.u.choose(HUGE)?,
                    _ => usize::from(self.u.int_in_range(0u8..=12)?),
                })
            })
            .collect::<Result<_>>()?;
        let offset = self.index(d.data.len())?;
        let what = format!(
            "as_strided {shape:?} {strides:?} +{offset} of {} elements",
            d.data.len()
        );
        self.log.push(what.clone());
        let got = base.as_strided(&shape, &strides, offset);
        let last = (|| {
            if shape.len() != strides.len() {
                return None;
            }
            let n = r::numel(&shape)?;
            if n == 0 {
                return Some(None);
            }
            let mut last = offset;
            for (&s, &st) in shape.iter().zip(&strides) {
                last = last.checked_add((s - 1).checked_mul(st)?)?;
            }
            Some(Some(last))
        })();
        match last {
            Some(l) if l.is_none_or(|l| l < d.data.len()) => {
                let v = self.expect_ok(got, &what);
                let n = v.numel();
                if n <= MAX_NUMEL {
                    let dv = Dense {
                        shape: shape.clone(),
                        data: (0..n)
                            .map(|i| {
                                let idx = r::unravel(&shape, i);
                                let p: usize = offset
                                    + idx.iter().zip(&strides).map(|(a, b)| a * b).sum::<usize>();
                                d.data[p]
                            })
                            .collect(),
                    };
                    self.check_view(&v, &dv, &what);
                    self.push(v, dv);
                }
            }
            _ => self.expect_err(got, &what),
        }
        Ok(())
    }
}

fn rank_of(d: &Dense) -> usize {
    d.shape.len()
}

/// The element type's name in failure messages.
trait Named {
    const NAME_FOR_FUZZ: &'static str;
}
impl<E: SimdElement> Named for E {
    const NAME_FOR_FUZZ: &'static str = if core::mem::size_of::<E>() == 4 {
        "f32"
    } else {
        "f64"
    };
}

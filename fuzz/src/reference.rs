//! The naive reference: a row-major `Vec<f64>` with a shape, and every op the fuzzer calls
//! written as plain index loops, following PyTorch's semantics (NaN propagates through
//! max/min, empty sums are 0, empty means NaN, softmax of an all −inf row is NaN).

/// A dense row-major array.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// The shape.
    pub shape: Vec<usize>,
    /// The elements in row-major order.
    pub data: Vec<f64>,
}

/// Row-major strides (size-0 dims count as 1).
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![0; shape.len()];
    let mut acc = 1usize;
    for (st, &n) in s.iter_mut().zip(shape).rev() {
        *st = acc;
        acc = acc.saturating_mul(n.max(1));
    }
    s
}

/// The element count, or `None` if the shape is rejected by simdgrad's overflow rule (the
/// product with size-0 dims counted as 1 must fit in `usize`).
pub fn numel(shape: &[usize]) -> Option<usize> {
    let mut extent = 1usize;
    for &n in shape {
        extent = extent.checked_mul(n.max(1))?;
    }
    Some(shape.iter().product())
}

/// The multi-index of row-major ordinal `i`.
pub fn unravel(shape: &[usize], mut i: usize) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (k, &n) in shape.iter().enumerate().rev() {
        idx[k] = i % n;
        i /= n;
    }
    idx
}

fn ravel(shape: &[usize], idx: &[usize]) -> usize {
    idx.iter().zip(strides(shape)).map(|(i, s)| i * s).sum()
}

/// NumPy broadcasting of two shapes.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        if i < n - s.len() {
            1
        } else {
            s[i - (n - s.len())]
        }
    };
    let out = (0..n)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    numel(&out)?;
    Some(out)
}

/// Normalises a possibly negative dim against `rank`.
pub fn dim(d: isize, rank: usize) -> Option<usize> {
    let r = if d < 0 {
        rank.checked_sub(d.unsigned_abs())?
    } else {
        d as usize
    };
    (r < rank).then_some(r)
}

impl Dense {
    /// The element at `idx`.
    pub fn at(&self, idx: &[usize]) -> f64 {
        self.data[ravel(&self.shape, idx)]
    }

    fn from_fn(shape: Vec<usize>, f: impl Fn(&[usize]) -> f64) -> Dense {
        let n: usize = shape.iter().product();
        let data = (0..n).map(|i| f(&unravel(&shape, i))).collect();
        Dense { shape, data }
    }

    /// Dims reordered (`order` must be a permutation).
    pub fn permute(&self, order: &[usize]) -> Dense {
        let shape = order.iter().map(|&o| self.shape[o]).collect();
        Dense::from_fn(shape, |idx| {
            let mut src = vec![0; idx.len()];
            for (k, &o) in order.iter().enumerate() {
                src[o] = idx[k];
            }
            self.at(&src)
        })
    }

    /// Indices `start, start + step, …` (`len` of them) of dim `d`.
    pub fn slice(&self, d: usize, start: usize, len: usize, step: usize) -> Dense {
        let mut shape = self.shape.clone();
        shape[d] = len;
        Dense::from_fn(shape, |idx| {
            let mut src = idx.to_vec();
            src[d] = start + idx[d] * step;
            self.at(&src)
        })
    }

    /// Index `i` of dim `d`, dim dropped.
    pub fn select(&self, d: usize, i: usize) -> Dense {
        let mut s = self.slice(d, i, 1, 1);
        s.shape.remove(d);
        s
    }

    /// Broadcast to `shape` (already checked compatible).
    pub fn expand(&self, shape: &[usize]) -> Dense {
        let pad = shape.len() - self.shape.len();
        Dense::from_fn(shape.to_vec(), |idx| {
            let src: Vec<usize> = (0..self.shape.len())
                .map(|k| if self.shape[k] == 1 { 0 } else { idx[k + pad] })
                .collect();
            self.at(&src)
        })
    }

    /// Elementwise.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Dense {
        Dense {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&x| f(x)).collect(),
        }
    }

    /// Elementwise with broadcasting (shapes already checked).
    pub fn zip(&self, other: &Dense, f: impl Fn(f64, f64) -> f64) -> Dense {
        let shape = broadcast(&self.shape, &other.shape).expect("checked");
        let a = self.expand(&shape);
        let b = other.expand(&shape);
        Dense {
            shape,
            data: a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect(),
        }
    }

    /// The slices of dim `d`, as `(output ordinal, values along d)`, keepdim output shape.
    fn lanes(&self, d: usize) -> (Vec<usize>, Vec<Vec<f64>>) {
        let mut shape = self.shape.clone();
        let n = shape[d];
        shape[d] = 1;
        let count: usize = shape.iter().product();
        let lanes = (0..count)
            .map(|o| {
                let mut idx = unravel(&shape, o);
                (0..n)
                    .map(|k| {
                        idx[d] = k;
                        self.at(&idx)
                    })
                    .collect()
            })
            .collect();
        (shape, lanes)
    }

    /// A fold over dim `d`, keeping it with size 1.
    pub fn reduce(&self, d: usize, f: impl Fn(&[f64]) -> f64) -> Dense {
        let (shape, lanes) = self.lanes(d);
        Dense {
            shape,
            data: lanes.iter().map(|l| f(l)).collect(),
        }
    }

    /// Softmax (or log-softmax) over dim `d`, by the textbook max-shifted formula.
    pub fn softmax(&self, d: usize, log: bool) -> Dense {
        let mut out = self.clone();
        if self.data.is_empty() {
            // No lanes to visit (and their count may be huge: `[0, 2^62]` over dim 0).
            return out;
        }
        let (kshape, lanes) = self.lanes(d);
        for (o, lane) in lanes.iter().enumerate() {
            let m = max(lane);
            let z: f64 = lane.iter().map(|&x| (x - m).exp()).sum();
            let mut idx = unravel(&kshape, o);
            for (k, &x) in lane.iter().enumerate() {
                idx[d] = k;
                let pos = ravel(&self.shape, &idx);
                out.data[pos] = if log {
                    x - m - z.ln()
                } else {
                    (x - m).exp() / z
                };
            }
        }
        out
    }

    /// `torch.matmul` (shapes already checked).
    pub fn matmul(&self, other: &Dense) -> Dense {
        let (a_vec, b_vec) = (self.shape.len() == 1, other.shape.len() == 1);
        let mut a = self.clone();
        if a_vec {
            a.shape.insert(0, 1);
        }
        let mut b = other.clone();
        if b_vec {
            b.shape.push(1);
        }
        let (m, k) = (a.shape[a.shape.len() - 2], a.shape[a.shape.len() - 1]);
        let n = b.shape[b.shape.len() - 1];
        let batch = broadcast(&a.shape[..a.shape.len() - 2], &b.shape[..b.shape.len() - 2])
            .expect("checked");
        // An empty result needs no operands: expanding them could be huge (a `(1, 1)` times
        // a `(2^62, 1, 0)` broadcasts the left one to `2^62` elements).
        if m == 0 || n == 0 || batch.contains(&0) {
            let mut shape = batch;
            shape.extend([m, n]);
            if a_vec {
                shape.remove(shape.len() - 2);
            }
            if b_vec {
                shape.pop();
            }
            return Dense {
                shape,
                data: Vec::new(),
            };
        }
        let mut ash = batch.clone();
        ash.extend([m, k]);
        let mut bsh = batch.clone();
        bsh.extend([k, n]);
        let (a, b) = (a.expand(&ash), b.expand(&bsh));
        let mut shape = batch.clone();
        shape.extend([m, n]);
        let nb: usize = batch.iter().product();
        let mut data = vec![0.0; nb * m * n];
        for t in 0..nb {
            for i in 0..m {
                for j in 0..n {
                    let mut s = 0.0;
                    for p in 0..k {
                        s += a.data[t * m * k + i * k + p] * b.data[t * k * n + p * n + j];
                    }
                    data[t * m * n + i * n + j] = s;
                }
            }
        }
        if b_vec {
            shape.pop();
        }
        if a_vec {
            shape.remove(shape.len() - if b_vec { 1 } else { 2 });
        }
        Dense { shape, data }
    }
}

/// Maximum, NaN if any element is NaN, −inf for none.
pub fn max(xs: &[f64]) -> f64 {
    xs.iter().fold(f64::NEG_INFINITY, |m, &x| {
        if x.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(x)
        }
    })
}

/// Minimum, NaN if any element is NaN, +inf for none.
pub fn min(xs: &[f64]) -> f64 {
    -max(&xs.iter().map(|x| -x).collect::<Vec<_>>())
}

/// Index of the first maximum (a NaN counts as the maximum: its first occurrence wins).
pub fn argmax(xs: &[f64]) -> usize {
    if let Some(i) = xs.iter().position(|x| x.is_nan()) {
        return i;
    }
    let m = max(xs);
    xs.iter().position(|&x| x == m).unwrap_or(0)
}

//! The split `f32` `tanh`: an odd polynomial `a + a³·P(a²)` below a break point and
//! `1 − 2/(e^{2a} + 1)` above it (`a = |x|`), one ordinary `exp` and one division instead of the
//! double-word `expm1` and two divisions of the `f64` algorithm.
//!
//! Below the break `1 − 2/(e^{2a} + 1)` cancels (at `a = 0.1` its leading bits are lost), so the
//! polynomial takes over. Above it the quotient `2/(e^{2a} + 1) <= 0.5` is at most about two
//! roundings off and the final subtraction rounds once more; at the break this stays within 1 ulp
//! (every f32 checked: `runtime/tests/simd/exhaustive.rs`), a break of 0.45 measured 2 ulp.
//!
//! `P` is a weighted minimax fit of `(tanh(a) − a)/a³` in `z = a²` on `[0, 0.55²]`, weighted by
//! `z·a/tanh(a)` so that the error it bounds is `P`'s share of the relative error of `tanh`
//! itself: Lawson's iteratively reweighted least squares in `f64`, reproduced by the test at the
//! end of this file (`refit`), whose output rounded to `f32` are the stored coefficients. The
//! fit's error is below 0.02 ulp of the result and 0.08 ulp after rounding the coefficients to
//! `f32`; five terms at this break keep the whole function
//! within 1 ulp where four would need a break near 0.45 and then measure 2 ulp.

/// Where and with what the `f32` `tanh` switches from its polynomial to its exp quotient.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TanhSplit {
    /// `|x| < BREAK` takes the polynomial.
    pub(crate) brk: f64,
    /// `P(z)` of `tanh(a) ≈ a + a³·P(a²)`, lowest degree first (every value an exact `f32`).
    pub(crate) poly: &'static [f64],
}

/// The `f32` split: see the module documentation for how the coefficients were fitted.
pub(crate) const TANH_SPLIT_F32: TanhSplit = TanhSplit {
    brk: 0.55,
    poly: &[
        f32::from_bits(0xbeaa_aaa5) as f64,
        f32::from_bits(0x3e08_8693) as f64,
        f32::from_bits(0xbd5c_943d) as f64,
        f32::from_bits(0x3cac_9e84) as f64,
        f32::from_bits(0xbbcd_9828) as f64,
    ],
};

#[cfg(test)]
mod tests {
    use super::TANH_SPLIT_F32;

    /// Least squares `min ‖A·c − g‖` (columns of `A` given) by modified Gram–Schmidt QR: the
    /// monomial columns are too ill-conditioned for the normal equations.
    fn lstsq(cols: &[Vec<f64>], g: &[f64]) -> Vec<f64> {
        let n = cols.len();
        let mut q = cols.to_vec();
        let mut r = vec![vec![0.0; n]; n];
        for j in 0..n {
            for i in 0..j {
                let d: f64 = q[i].iter().zip(&q[j]).map(|(a, b)| a * b).sum();
                r[i][j] = d;
                let qi = q[i].clone();
                for (v, u) in q[j].iter_mut().zip(&qi) {
                    *v -= d * u;
                }
            }
            let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
            r[j][j] = norm;
            for v in q[j].iter_mut() {
                *v /= norm;
            }
        }
        let mut c: Vec<f64> = (0..n)
            .map(|i| q[i].iter().zip(g).map(|(a, b)| a * b).sum())
            .collect();
        for i in (0..n).rev() {
            for k in i + 1..n {
                c[i] -= r[i][k] * c[k];
            }
            c[i] /= r[i][i];
        }
        c
    }

    /// Weighted minimax fit of `(tanh(a) − a)/a³` by `n` terms in `z = a²` on `[0, brk²]`
    /// (Lawson: least squares whose point weights are multiplied by each point's error until
    /// the error equioscillates). Returns the coefficients and the weighted maximum error.
    fn refit(brk: f64, n: usize) -> (Vec<f64>, f64) {
        let m = 3000;
        let pi = core::f64::consts::PI;
        // Chebyshev nodes of [0, brk²].
        let zs: Vec<f64> = (0..m)
            .map(|i| brk * brk * (0.5 - 0.5 * (pi * (i as f64 + 0.5) / m as f64).cos()))
            .collect();
        let g: Vec<f64> = zs
            .iter()
            .map(|&z| {
                let a = z.sqrt();
                (a.tanh() - a) / (a * z)
            })
            .collect();
        // a³·(P − g) relative to tanh(a).
        let w: Vec<f64> = zs
            .iter()
            .map(|&z| {
                let a = z.sqrt();
                z * a / a.tanh()
            })
            .collect();
        let mut lw = vec![1.0 / m as f64; m];
        let (mut c, mut max_err) = (Vec::new(), 0.0);
        for _ in 0..200 {
            let sw: Vec<f64> = (0..m).map(|i| lw[i].sqrt() * w[i]).collect();
            let mut cols: Vec<Vec<f64>> = vec![sw.clone()];
            while cols.len() < n {
                let last = &cols[cols.len() - 1];
                cols.push(last.iter().zip(&zs).map(|(v, z)| v * z).collect());
            }
            let rhs: Vec<f64> = (0..m).map(|i| g[i] * sw[i]).collect();
            c = lstsq(&cols, &rhs);
            let err: Vec<f64> = (0..m)
                .map(|i| (horner(&c, zs[i]) - g[i]).abs() * w[i])
                .collect();
            max_err = err.iter().copied().fold(0.0, f64::max);
            for (l, e) in lw.iter_mut().zip(&err) {
                *l *= e;
            }
            let total: f64 = lw.iter().sum();
            lw.iter_mut().for_each(|l| *l /= total);
        }
        (c, max_err)
    }

    fn horner(c: &[f64], z: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &ck| acc * z + ck)
    }

    #[test]
    fn stored_coefficients_are_the_refit_rounded_to_f32() {
        let split = TANH_SPLIT_F32;
        let (c, max_err) = refit(split.brk, split.poly.len());
        let refit: Vec<f32> = c.iter().map(|&v| v as f32).collect();
        println!("refit, rounded to f32: {refit:?}");
        // The top coefficients are loosely determined (many sets share the minimax error), so
        // the last bits of the refit follow the libm's tanh and the summation order; the stored
        // set is this refit on x86-64 glibc, and must stay within a few f32 ulps of it.
        for (stored, new) in split.poly.iter().zip(&c) {
            assert!(((stored - new) / new).abs() < 4e-6, "{stored} vs {new}");
        }
        // Below 0.02 ulp of tanh (relative 2^-24 per ulp in the worst binade), for the refit.
        assert!(max_err < 0.02 / 16_777_216.0, "fit error {max_err:e}");
        let worst = (1..=3000)
            .map(|i| {
                let a = split.brk * i as f64 / 3000.0;
                let z = a * a;
                let g = (a.tanh() - a) / (a * z);
                (horner(split.poly, z) - g).abs() * z * a / a.tanh()
            })
            .fold(0.0, f64::max);
        // Rounding the coefficients to f32 costs more than the fit itself.
        assert!(worst < 0.1 / 16_777_216.0, "stored error {worst:e}");
    }

    #[test]
    fn the_polynomial_follows_tanh_on_its_interval() {
        let split = TANH_SPLIT_F32;
        for i in 1..=1000 {
            let a = split.brk * i as f64 / 1000.0;
            let t = a + a * a * a * horner(split.poly, a * a);
            assert!(((t - a.tanh()) / a.tanh()).abs() < 2e-8, "at {a}");
        }
    }
}

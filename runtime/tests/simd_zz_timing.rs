//! Throwaway timing (deleted after measuring).
use pulp::{Simd, WithSimd};
use simdgrad::simd::SimdElement;
struct T<'a>(&'a [f32], &'a mut [f32], u8);
impl WithSimd for T<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xh, _) = <f32 as SimdElement>::as_simd::<S>(self.0);
        let (oh, _) = <f32 as SimdElement>::as_mut_simd::<S>(self.1);
        for (o, &x) in oh.iter_mut().zip(xh) {
            *o = match self.2 {
                0 => <f32 as SimdElement>::exp(s, x),
                1 => <f32 as SimdElement>::ln(s, x),
                2 => <f32 as SimdElement>::tanh(s, x),
                3 => <f32 as SimdElement>::sigmoid(s, x),
                4 => <f32 as SimdElement>::erf(s, x),
                5 => <f32 as SimdElement>::sin(s, x),
                6 => <f32 as SimdElement>::expm1(s, x),
                _ => <f32 as SimdElement>::powf(s, x, x),
            };
        }
    }
}
struct T64<'a>(&'a [f64], &'a mut [f64], u8);
impl WithSimd for T64<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xh, _) = <f64 as SimdElement>::as_simd::<S>(self.0);
        let (oh, _) = <f64 as SimdElement>::as_mut_simd::<S>(self.1);
        for (o, &x) in oh.iter_mut().zip(xh) {
            *o = match self.2 {
                0 => <f64 as SimdElement>::exp(s, x),
                1 => <f64 as SimdElement>::ln(s, x),
                2 => <f64 as SimdElement>::tanh(s, x),
                3 => <f64 as SimdElement>::sigmoid(s, x),
                4 => <f64 as SimdElement>::erf(s, x),
                5 => <f64 as SimdElement>::sin(s, x),
                6 => <f64 as SimdElement>::expm1(s, x),
                _ => <f64 as SimdElement>::powf(s, x, x),
            };
        }
    }
}
#[test]
#[ignore]
fn timing() {
    if std::env::var_os("FTZ").is_some() {
        #[allow(deprecated)]
        unsafe { std::arch::x86_64::_mm_setcsr(std::arch::x86_64::_mm_getcsr() | 0x8040) };
    }
    let n = 1 << 20;
    let x: Vec<f32> = (0..n).map(|i| (i as f32 / n as f32) * 20.0 - 10.0).collect();
    let mut o = vec![0.0f32; n];
    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut o64 = vec![0.0f64; n];
    for (name, b) in [("exp", 0u8), ("ln", 1), ("tanh", 2), ("sigmoid", 3), ("erf", 4), ("sin", 5), ("expm1", 6), ("powf", 7)] {
        for (bname, arch) in [("dispatch", Some(pulp::Arch::new())), ("v3", None)] {
            let mut best = f64::MAX;
            let mut best64 = f64::MAX;
            for _ in 0..20 {
                let t = std::time::Instant::now();
                match arch {
                    Some(a) => a.dispatch(T(&x, &mut o, b)),
                    None => Simd::vectorize(pulp::x86::V3::try_new().unwrap(), T(&x, &mut o, b)),
                }
                best = best.min(t.elapsed().as_secs_f64());
                let t = std::time::Instant::now();
                match arch {
                    Some(a) => a.dispatch(T64(&x64, &mut o64, b)),
                    None => Simd::vectorize(pulp::x86::V3::try_new().unwrap(), T64(&x64, &mut o64, b)),
                }
                best64 = best64.min(t.elapsed().as_secs_f64());
            }
            println!("{name:8} {bname:8} f32 2^20: {:.3} ms  f64 2^20: {:.3} ms  ({})", best * 1e3, best64 * 1e3, o[12345] + o64[999] as f32);
        }
    }
}

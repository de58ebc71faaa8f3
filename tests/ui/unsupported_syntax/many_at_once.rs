// Every problem is reported at once, each at its own token; the function is still emitted.
#[simdgrad::map]
pub fn op(x: f32) -> f32 {
    let a = x as f64;
    let b = [x, x][0];
    let c = println!("{}", x);
    let d = |v: f32| v * 2.0;
    a + b + c + d
}

fn main() {
    // `op` still exists, so code calling it type-checks.
    let _: f32 = op(1.0);
}

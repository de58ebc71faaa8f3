#[simdgrad::map]
fn op(x: f32) -> f32 {
    let n = 3.0;
    x.powi(n) + powi(x, 2.5)
}

fn main() {}

#[simdgrad::zip]
fn op(a: f32, b: f32) -> f32 {
    let c = if a > b { a } else if a == b { 0.0 };
    c * (a > b)
}

fn main() {}

#[simdgrad::map]
fn op(x: f32) -> f32 {
    tahn(x) * 2.0
}

fn main() {}

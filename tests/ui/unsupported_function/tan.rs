#[simdgrad::map]
fn op(x: f32) -> f32 {
    x.tan() + 1.0
}

fn main() {}

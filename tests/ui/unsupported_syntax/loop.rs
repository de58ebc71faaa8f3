#[simdgrad::map]
fn op(x: f32) -> f32 {
    let mut y = x;
    for _ in 0..3 {
        y = y * x;
    }
    y
}

fn main() {}

#[simdgrad::reduce]
fn total(acc: f32, x: f32) -> f32 {
    acc + x
}

fn main() {}

#[simdgrad::map]
fn op(x: f32, y: f32) -> f32 {
    x * y
}

#[simdgrad::zip]
fn op2(x: f32) -> f32 {
    x
}

fn main() {}

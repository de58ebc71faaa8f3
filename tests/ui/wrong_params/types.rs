#[simdgrad::map]
fn op(x: i32) -> f32 {
    x * 2.0
}

#[simdgrad::zip]
fn op2(a: f32, b: f64) -> f32 {
    a * b
}

#[simdgrad::map]
fn op3(x: f32) {
    x;
}

fn main() {}

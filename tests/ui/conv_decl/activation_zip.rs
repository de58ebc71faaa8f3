// A `#[zip]` or `#[reduce]` kernel is not an activation: a fused activation has one input.
#[simdgrad::zip]
fn hypot2(a: f32, b: f32) -> f32 {
    a * a + b * b
}

simdgrad::conv! { pub a: kernel = [3, 3], activation = Hypot2 }
simdgrad::conv! { pub b: kernel = [3, 3], activation = simdgrad::ops::builtins::Sum }

fn main() {}

#[simdgrad::reduce(identity = exp(1.0))]
fn weird(acc: f32, x: f32) -> f32 {
    acc * x
}

#[simdgrad::reduce(identity = acc)]
fn weirder(acc: f32, x: f32) -> f32 {
    acc * x
}

#[simdgrad::map(identity = 0.0)]
fn not_a_reduce(x: f32) -> f32 {
    x
}

fn main() {}

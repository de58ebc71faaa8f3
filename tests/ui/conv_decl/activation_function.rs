// A function (the op's name rather than its kernel type) is pointed at the kernel type.
#[simdgrad::map]
fn softsign(x: f32) -> f32 {
    x / (1.0 + x.abs())
}

simdgrad::conv! { pub a: kernel = [3, 3], activation = softsign }

fn main() {}

// A type named like an op kernel that is not one.
#[derive(Clone, Copy)]
struct Helper;

#[simdgrad::map]
fn op(x: f32) -> f32 {
    helper(x) * 2.0
}

fn main() {}

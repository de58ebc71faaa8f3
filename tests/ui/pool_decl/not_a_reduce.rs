// A `reduce` name that is not a `#[simdgrad::reduce]` op points at that name.
#[simdgrad::map]
pub fn twice(x: f32) -> f32 {
    2.0 * x
}

simdgrad::pool! { pub p1: reduce = twice, window = [2, 2] }
simdgrad::pool! { pub p2: reduce = no_such_op, window = [2, 2] }

fn main() {}

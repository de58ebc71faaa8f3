// `gleu(x)` is not a builtin, so it is a call to the op kernel `Gleu`, which does not exist.
#[simdgrad::map]
fn op(x: f32) -> f32 {
    gleu(x) * 2.0
}

fn main() {}

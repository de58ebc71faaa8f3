// A type that is not a `#[simdgrad::map]` kernel is reported at the user's type, once, with
// what `activation` accepts.
struct NotAKernel;

simdgrad::conv! { pub a: kernel = [3, 3], activation = String }
simdgrad::conv! { pub b: kernel = [3, 3], activation = NotAKernel }
simdgrad::conv! { pub c: kernel = [3, 3], activation = Vec<f32> }

fn main() {}

// The activation names a `#[simdgrad::map]` kernel type: a function name is pointed at its
// kernel type, and a type that is not a map kernel is reported at the user's path.
simdgrad::conv! { pub a: kernel = [3, 3], activation = simdgrad::ops::builtins::relu }
simdgrad::conv! { pub b: kernel = [3, 3], activation = String }

fn main() {}

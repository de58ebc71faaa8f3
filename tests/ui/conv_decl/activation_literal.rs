// A literal is not a kernel type.
simdgrad::conv! { pub a: kernel = [3, 3], activation = 1 }

fn main() {}

// `activation =` without a value.
simdgrad::conv! { pub a: kernel = [3, 3], activation = }

fn main() {}

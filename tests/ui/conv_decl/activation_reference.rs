// A type that is not a path (a reference, a tuple) is not a kernel type.
simdgrad::conv! { pub a: kernel = [3, 3], activation = &Relu }
simdgrad::conv! { pub b: kernel = [3, 3], activation = (Relu, Relu) }

fn main() {}

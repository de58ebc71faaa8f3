// Zero strides, parameters given twice over (`params = runtime` and a stride), bad bias values.
simdgrad::conv! { pub a: kernel = [3, 3], stride = 0 }
simdgrad::conv! { pub b: kernel = [3, 3], params = runtime, stride = 2 }
simdgrad::conv! { pub c: kernel = [3, 3], params = fixed }
simdgrad::conv! { pub d: kernel = [3, 3], bias = maybe }
simdgrad::conv! { pub e: kernel = [3, 3], dilation = [1, 2, 3] }

fn main() {}

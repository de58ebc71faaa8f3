// Rank 3 is not supported; a kernel list must have one extent per axis; extents are 1..=16.
simdgrad::conv! { pub conv3d: rank = 3, kernel = [3, 3, 3] }
simdgrad::conv! { pub short: rank = 2, kernel = [3] }
simdgrad::conv! { pub zero: kernel = [0, 3] }
simdgrad::conv! { pub huge: kernel = [1, 40] }
simdgrad::conv! { pub no_kernel: rank = 2, stride = 1 }

fn main() {}

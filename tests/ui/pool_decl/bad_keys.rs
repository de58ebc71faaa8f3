// Unknown, duplicate and missing keys are reported together, each at its token.
simdgrad::pool! { pub p1: reduce = max, windw = [2, 2], stride = [2, 2], stride = [1, 1] }

fn main() {}

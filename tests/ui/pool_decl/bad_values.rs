// Zero sizes, a padding not smaller than the window and non-integer arrays are compile errors.
simdgrad::pool! { p1: reduce = max, window = [0, 2] }
simdgrad::pool! { p2: reduce = avg, window = [2, 2], padding = [2, 0] }
simdgrad::pool! { p3: reduce = sum, window = [2, 2, 2] }
simdgrad::pool! { p4: reduce = 1.0, window = [2.0, 2] }

fn main() {}

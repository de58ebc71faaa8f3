// Paddings that do not exist, that belong to the other rank, or that do not fit the rank.
simdgrad::conv! { pub a: rank = 1, kernel = [3], padding = anchored_top_left }
simdgrad::conv! { pub b: kernel = [3, 3], padding = centered }
simdgrad::conv! { pub c: kernel = [3, 3], padding = [1, 1, 1] }
simdgrad::conv! { pub d: kernel = [3, 3], padding = [[1, 2], [x, 0]] }
simdgrad::conv! { pub e: kernel = [3, 3], stride = 2, padding = same }

fn main() {}

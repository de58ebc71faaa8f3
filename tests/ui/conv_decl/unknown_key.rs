// A misspelt key is reported with the closest supported key and the full list.
simdgrad::conv! { pub conv3x3: kernel = [3, 3], strid = 2 }
simdgrad::conv! { pub conv5x5: kernel = [5, 5], padding = 2, padding = 1 }

fn main() {}

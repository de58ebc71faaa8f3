// A misspelt kernel type is reported once, at the user's token, with rustc's suggestion.
use simdgrad::ops::builtins::Relu;

simdgrad::conv! { pub a: kernel = [3, 3], activation = Rleu }

fn main() {
    let _ = Relu;
}

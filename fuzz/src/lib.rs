//! Support code of the simdgrad fuzz targets: the macro compiler compiled as ordinary modules
//! (so a target can call it on `proc_macro2` streams), and the tensor-program interpreter with
//! its naive reference.

// The macro compiler's modules name each other as `crate::…`, so they must sit at this crate's
// root. A proc-macro crate cannot be linked into a normal binary, and the compiler already
// works on `proc_macro2` streams below its three entry points, so including its files needs no
// change to the macro crate. Parts only used by the proc-macro entry points are dead here.
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/args.rs"]
mod args;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/codegen.rs"]
mod codegen;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/diff.rs"]
mod diff;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/errors.rs"]
mod errors;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/expand.rs"]
mod expand;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/ir.rs"]
mod ir;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/lower.rs"]
mod lower;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/names.rs"]
mod names;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/parse.rs"]
mod parse;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/simplify.rs"]
mod simplify;
#[allow(dead_code, unused_imports)]
#[path = "../../macros/src/text.rs"]
mod text;

pub mod compiler;
pub mod reference;
pub mod tensor_program;
pub mod tree;

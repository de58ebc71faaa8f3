//! `simdgrad::Error`: every runtime failure, carrying the shapes, dims or indices involved.

use thiserror::Error;

/// `Result<T, simdgrad::Error>`.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong at run time. Each message names the shapes, dims or indices
/// involved, so it alone tells the user what went wrong.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Two lengths that must agree do not.
    #[error("{op}: {what} has length {got}, expected {expected}")]
    LengthMismatch {
        /// The operation.
        op: &'static str,
        /// Which argument.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The data given does not fill the shape.
    #[error("{op}: shape {shape:?} holds {expected} elements but {got} were given")]
    DataLength {
        /// The operation.
        op: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
        /// Number of elements the shape holds.
        expected: usize,
        /// Number of elements given.
        got: usize,
    },
    /// The product of a shape's sizes overflows `usize`.
    #[error("shape {shape:?}: number of elements overflows usize")]
    ShapeOverflow {
        /// The shape.
        shape: Vec<usize>,
    },
    /// Two shapes cannot be broadcast together.
    #[error("{op}: shapes {lhs:?} and {rhs:?} cannot be broadcast together")]
    Broadcast {
        /// The operation.
        op: &'static str,
        /// The left shape.
        lhs: Vec<usize>,
        /// The right shape.
        rhs: Vec<usize>,
    },
    /// Two shapes that must be equal differ.
    #[error("{op}: shape mismatch, {lhs:?} vs {rhs:?}")]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// The left shape.
        lhs: Vec<usize>,
        /// The right shape.
        rhs: Vec<usize>,
    },
    /// A dimension index out of range (negative dims count from the end).
    #[error("{op}: dim {dim} is out of range for a tensor of {ndim} dims (shape {shape:?})")]
    DimOutOfRange {
        /// The operation.
        op: &'static str,
        /// The dim given.
        dim: isize,
        /// The number of dims.
        ndim: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// An element index out of bounds.
    #[error("{op}: index {index:?} is out of bounds for shape {shape:?}")]
    IndexOutOfBounds {
        /// The operation.
        op: &'static str,
        /// The index given.
        index: Vec<usize>,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// A permutation that is not a permutation of the dims.
    #[error("permute: {order:?} is not a permutation of the {ndim} dims of shape {shape:?}")]
    InvalidPermutation {
        /// The order given.
        order: Vec<usize>,
        /// The number of dims.
        ndim: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// `view` on a tensor whose layout is not contiguous.
    #[error(
        "view: a tensor of shape {shape:?} with strides {strides:?} is not contiguous; \
         call .contiguous() first or use .reshape({target:?})"
    )]
    NotContiguous {
        /// The tensor's shape.
        shape: Vec<usize>,
        /// The tensor's strides.
        strides: Vec<usize>,
        /// The shape requested.
        target: Vec<usize>,
    },
    /// A reshape or view to a shape with a different number of elements.
    #[error("{op}: cannot reshape a tensor of shape {from:?} ({from_len} elements) to {to:?} ({to_len} elements)")]
    ReshapeSize {
        /// The operation.
        op: &'static str,
        /// The shape.
        from: Vec<usize>,
        /// Its number of elements.
        from_len: usize,
        /// The shape requested.
        to: Vec<usize>,
        /// Its number of elements.
        to_len: usize,
    },
    /// An index or range along one dim lies outside that dim (`select`, `narrow`, `slice`).
    #[error("{op}: {what} is out of bounds for dim {dim} of size {size} (shape {shape:?})")]
    DimIndexOutOfBounds {
        /// The operation.
        op: &'static str,
        /// The index or range given, as text (`index 5`, `range 2..7`).
        what: String,
        /// The dim (normalised, so never negative).
        dim: usize,
        /// The size of that dim.
        size: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// Any other invalid argument; the message says which and why.
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// A file's content is malformed (corrupt, truncated, unsupported).
    #[error("{path}: invalid {format} file: {message}")]
    Format {
        /// The file (or `<memory>`).
        path: String,
        /// The format (`npy`, `idx`, `safetensors`).
        format: &'static str,
        /// What is wrong.
        message: String,
    },
}

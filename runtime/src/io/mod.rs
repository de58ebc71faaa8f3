//! File interchange: NumPy `.npy` arrays, MNIST's IDX files and the UCI 8×8 digits CSV.
//!
//! Every reader reports a malformed or truncated file as [`Error::Format`](crate::Error::Format)
//! naming the file and what is wrong, and an unreadable one as [`Error::Io`](crate::Error::Io);
//! none panics or allocates more than the file actually holds.

pub mod digits;
pub mod idx;
pub mod npy;

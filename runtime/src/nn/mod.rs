//! Neural-network building blocks: the [`Module`] trait, layers, initialisers and optimisers.
//!
//! Layers only compose tensor ops; every kernel and every gradient underneath comes from
//! simdgrad's generated kernels and the autograd engine, so a layer has no backward code.
//!
//! ```
//! use simdgrad::nn::{Linear, Module, ReLU, Sequential};
//! use simdgrad::Tensor;
//!
//! let mut rng = simdgrad::nn::init::seeded_rng(0);
//! let net = Sequential::<f64>::new()
//!     .push(Linear::new(4, 8, &mut rng).unwrap())
//!     .push(ReLU)
//!     .push(Linear::new(8, 2, &mut rng).unwrap());
//! let x = Tensor::<f64>::ones(&[3, 4]).unwrap();
//! let y = net.forward(&x).unwrap();
//! assert_eq!(y.shape(), &[3, 2]);
//! assert_eq!(net.parameters().len(), 4);
//! ```

mod activation;
pub mod checkpoint;
mod conv;
pub mod data;
mod dropout;
mod flatten;
pub mod functional;
pub mod init;
mod linear;
mod module;
pub mod optim;
mod pool;
mod sequential;
mod softmax_layers;

pub use activation::{ReLU, Sigmoid, Tanh, GELU};
pub use conv::{Conv1d, Conv2d};
pub use dropout::Dropout;
pub use flatten::{Flatten, View};
pub use linear::Linear;
pub use module::Module;
pub use pool::{AvgPool2d, MaxPool2d};
pub use sequential::Sequential;
pub use softmax_layers::{LogSoftmax, Softmax};

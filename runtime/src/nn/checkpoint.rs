//! Checkpoints as safetensors files, in the layout PyTorch's `safetensors.torch.load_file`
//! reads: one little-endian row-major tensor per parameter, named as
//! [`Module::named_parameters`](super::Module::named_parameters) names it (`"0.weight"`).
//!
//! ```
//! use simdgrad::nn::{checkpoint, Linear, Module};
//! let mut rng = simdgrad::nn::init::seeded_rng(0);
//! let a = Linear::<f32>::new(3, 2, &mut rng).unwrap();
//! let b = Linear::<f32>::new(3, 2, &mut rng).unwrap();
//! let path = std::env::temp_dir().join("simdgrad-doc-linear.safetensors");
//! checkpoint::save_safetensors(&a.named_parameters(), &path).unwrap();
//! checkpoint::load_safetensors(&b.named_parameters(), &path).unwrap();
//! assert_eq!(a.weight.to_vec(), b.weight.to_vec());
//! # std::fs::remove_file(&path).unwrap();
//! ```

use std::collections::HashSet;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

fn dtype_of<E: SimdElement>() -> Dtype {
    if E::SIZE == 4 {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

fn to_le_bytes<E: SimdElement>(values: &[E]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * E::SIZE);
    for &v in values {
        if E::SIZE == 4 {
            // Exact: the value is an f32 already.
            out.extend_from_slice(&(v.to_f64() as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&v.to_f64().to_le_bytes());
        }
    }
    out
}

fn from_le_bytes<E: SimdElement>(bytes: &[u8]) -> Vec<E> {
    bytes
        .chunks_exact(E::SIZE)
        .map(|c| match *c {
            [a, b, c, d] => E::from_f64(f64::from(f32::from_le_bytes([a, b, c, d]))),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                E::from_f64(f64::from_le_bytes(b))
            }
        })
        .collect()
}

fn format_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Format {
        path: path.display().to_string(),
        format: "safetensors",
        message: message.into(),
    }
}

/// Serialises named tensors to safetensors bytes (dtype `F32` or `F64` as `E`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a duplicated name.
pub fn to_safetensors_bytes<E: SimdElement>(params: &[(String, Tensor<E>)]) -> Result<Vec<u8>> {
    let mut seen = HashSet::new();
    let mut buffers = Vec::with_capacity(params.len());
    for (name, t) in params {
        if !seen.insert(name.as_str()) {
            return Err(Error::InvalidArgument {
                op: "save_safetensors",
                message: format!("parameter name {name:?} appears twice"),
            });
        }
        buffers.push((name.clone(), t.shape().to_vec(), to_le_bytes(&t.to_vec())));
    }
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(dtype_of::<E>(), shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::InvalidArgument {
                    op: "save_safetensors",
                    message: format!("{name}: {e}"),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, &None).map_err(|e| Error::InvalidArgument {
        op: "save_safetensors",
        message: e.to_string(),
    })
}

/// Writes `params` (e.g. `net.named_parameters()`) to a safetensors file.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written; [`Error::InvalidArgument`] for a duplicated
/// name.
pub fn save_safetensors<E: SimdElement>(
    params: &[(String, Tensor<E>)],
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_safetensors_bytes(params)?;
    std::fs::write(path, bytes).map_err(|e| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Reads every tensor of a safetensors file of dtype `E`, sorted by name as stored.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`] if it is not a valid
/// safetensors file or holds a tensor of another dtype.
pub fn read_safetensors<E: SimdElement>(
    path: impl AsRef<Path>,
) -> Result<Vec<(String, Tensor<E>)>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| format_err(path, e.to_string()))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        if view.dtype() != dtype_of::<E>() {
            return Err(format_err(
                path,
                format!(
                    "tensor {name:?} has dtype {:?}, expected {:?}",
                    view.dtype(),
                    dtype_of::<E>()
                ),
            ));
        }
        let t = Tensor::from_vec(from_le_bytes(view.data()), view.shape())?;
        out.push((name, t));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Loads a safetensors file into `params` (e.g. `net.named_parameters()`), in place: every
/// parameter must be in the file with the same shape and dtype, and the file must hold no
/// other tensor. Nothing is written unless every check passes.
///
/// # Errors
/// [`Error::Io`] / [`Error::Format`] as [`read_safetensors`]; [`Error::Format`] naming the
/// tensor for a missing or unexpected name or a shape mismatch; [`Error::InvalidArgument`]
/// if a parameter is not contiguous.
pub fn load_safetensors<E: SimdElement>(
    params: &[(String, Tensor<E>)],
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let stored = read_safetensors::<E>(path)?;
    let mut pairs = Vec::with_capacity(params.len());
    for (name, p) in params {
        let Some((_, t)) = stored.iter().find(|(n, _)| n == name) else {
            return Err(format_err(
                path,
                format!("parameter {name:?} is missing from the file"),
            ));
        };
        if t.shape() != p.shape() {
            return Err(format_err(
                path,
                format!(
                    "tensor {name:?} has shape {:?} but the parameter has shape {:?}",
                    t.shape(),
                    p.shape()
                ),
            ));
        }
        if !p.is_contiguous() {
            return Err(Error::InvalidArgument {
                op: "load_safetensors",
                message: format!("parameter {name:?} is not contiguous"),
            });
        }
        pairs.push((p, t));
    }
    if let Some((extra, _)) = stored
        .iter()
        .find(|(n, _)| !params.iter().any(|(m, _)| m == n))
    {
        return Err(format_err(
            path,
            format!("the file holds tensor {extra:?}, which is not a parameter of the model"),
        ));
    }
    for (p, t) in pairs {
        let values = t.to_vec();
        let (off, n) = (p.offset(), p.numel());
        p.storage().write()[off..off + n].copy_from_slice(&values);
    }
    Ok(())
}

//! IDX files, the format of the MNIST handwritten digits: images (magic 2051) and labels (2049).
//!
//! An IDX file is a big-endian header (two zero bytes, a type code, the number of dims, then each
//! dim as a `u32`) followed by the data. MNIST uses only unsigned bytes. Files may be raw or
//! gzip-compressed (detected by the `1f 8b` magic, not the file name). A header whose dims promise
//! more data than the file holds fails before anything of that size is allocated.
//!
//! ```
//! // The subset the demo ships (`data/mnist-subset` at the workspace root).
//! let mnist = simdgrad::io::idx::load_mnist("../data/mnist-subset").unwrap();
//! let x = mnist.train_images.to_tensor().unwrap(); // (n, 1, 28, 28) in [0, 1]
//! assert_eq!(x.shape()[0], mnist.train_labels.len());
//! ```

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::{Error, Result, Tensor};

/// Magic number of an IDX image file: unsigned bytes, 3 dims (n, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0803;
/// Magic number of an IDX label file: unsigned bytes, 1 dim (n).
pub const LABELS_MAGIC: u32 = 0x0801;
/// Bytes read per chunk, so a lying header cannot make us allocate before the data arrives.
const CHUNK: usize = 1 << 20;

/// A set of greyscale images, `n` images of `rows × cols` bytes, stored image after image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub n: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// The pixels, `n * rows * cols` bytes in row-major order (0 = background for MNIST).
    pub pixels: Vec<u8>,
}

impl Images {
    /// The images as a `(n, 1, rows, cols)` tensor with pixels scaled to `[0, 1]`.
    pub fn to_tensor(&self) -> Result<Tensor<f32>> {
        self.to_tensor_divided(255.0)
    }

    /// The images as a `(n, 1, rows, cols)` tensor of the raw pixel values `0..=255`.
    pub fn to_tensor_raw(&self) -> Result<Tensor<f32>> {
        self.to_tensor_divided(1.0)
    }

    fn to_tensor_divided(&self, divisor: f32) -> Result<Tensor<f32>> {
        // Divide rather than multiply by 1/255: correctly rounded, as torchvision's ToTensor.
        let data = self
            .pixels
            .iter()
            .map(|&p| f32::from(p) / divisor)
            .collect();
        Tensor::from_vec(data, &[self.n, 1, self.rows, self.cols])
    }
}

impl Images {
    /// The first `count` images (all of them if there are fewer). Fields set by hand that
    /// disagree (fewer pixels than `n · rows · cols`) give a set that [`Images::to_tensor`]
    /// rejects, not a panic here.
    pub fn take(&self, count: usize) -> Images {
        let n = count.min(self.n);
        let len = n.saturating_mul(self.rows).saturating_mul(self.cols);
        Images {
            n,
            rows: self.rows,
            cols: self.cols,
            pixels: self.pixels[..len.min(self.pixels.len())].to_vec(),
        }
    }
}

/// The four MNIST files: training and test images with their labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// Training images (60 000 in the full set).
    pub train_images: Images,
    /// Training labels, one digit `0..=9` per image.
    pub train_labels: Vec<u8>,
    /// Test images (10 000 in the full set).
    pub test_images: Images,
    /// Test labels, one digit `0..=9` per image.
    pub test_labels: Vec<u8>,
}

fn format_err(path: &str, message: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_owned(),
        format: "idx",
        message: message.into(),
    }
}

fn io_err(path: &str, err: &std::io::Error) -> Error {
    Error::Io {
        path: path.to_owned(),
        message: err.to_string(),
    }
}

/// Maps a read error to `Error::Format` when it is a corrupt gzip stream, `Error::Io` otherwise.
fn read_err(path: &str, gzip: bool, err: &std::io::Error) -> Error {
    if gzip && err.kind() != std::io::ErrorKind::PermissionDenied {
        format_err(path, format!("corrupt gzip stream: {err}"))
    } else {
        io_err(path, err)
    }
}

/// Reads into `buf` until it is full or the stream ends; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8], path: &str, gzip: bool) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_err(path, gzip, &e)),
        }
    }
    Ok(filled)
}

/// Parses an IDX stream of unsigned bytes with the given magic; returns its dims and data.
///
/// `raw_len` is the stream's total length when known (an uncompressed file), so a header that
/// promises more data than the file holds is rejected before allocating. The stream must end
/// exactly where the data does.
fn parse(
    r: &mut impl Read,
    path: &str,
    magic: u32,
    gzip: bool,
    raw_len: Option<u64>,
) -> Result<(Vec<usize>, Vec<u8>)> {
    let kind = if magic == IMAGES_MAGIC {
        "image"
    } else {
        "label"
    };
    let mut head = [0u8; 4];
    let got = read_full(r, &mut head, path, gzip)?;
    if got < 4 {
        return Err(format_err(
            path,
            format!("truncated: {got} bytes, too short for the 4-byte magic number"),
        ));
    }
    let found = u32::from_be_bytes(head);
    if found != magic {
        let hint = match found {
            IMAGES_MAGIC => " (this is an image file)",
            LABELS_MAGIC => " (this is a label file)",
            _ => "",
        };
        return Err(format_err(
            path,
            format!("bad magic number {found} (0x{found:08x}), expected {magic} for an IDX {kind} file{hint}"),
        ));
    }
    let ndims = (magic & 0xff) as usize;
    let mut dim_bytes = vec![0u8; 4 * ndims];
    let got = read_full(r, &mut dim_bytes, path, gzip)?;
    if got < dim_bytes.len() {
        return Err(format_err(
            path,
            format!(
                "truncated header: {ndims} dims need {} bytes, got {got}",
                dim_bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            format_err(
                path,
                format!("dims {dims:?}: the data size overflows usize"),
            )
        })?;
    let header_len = 4 + 4 * ndims as u64;
    if let Some(len) = raw_len {
        let have = len.saturating_sub(header_len);
        if have != expected as u64 {
            return Err(format_err(
                path,
                format!("dims {dims:?} need {expected} data bytes, but the file holds {have}"),
            ));
        }
    }
    let mut data = Vec::with_capacity(expected.min(CHUNK));
    // One byte past the end detects trailing data in a compressed stream.
    r.take((expected as u64).saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| read_err(path, gzip, &e))?;
    if data.len() != expected {
        let what = if data.len() < expected {
            "truncated data"
        } else {
            "trailing data"
        };
        let got = if data.len() < expected {
            data.len().to_string()
        } else {
            "more".to_owned()
        };
        return Err(format_err(
            path,
            format!("{what}: dims {dims:?} need {expected} data bytes, got {got}"),
        ));
    }
    Ok((dims, data))
}

/// Opens a file and parses it, decompressing it first if it starts with the gzip magic.
fn parse_file(path: &Path, magic: u32) -> Result<(Vec<usize>, Vec<u8>)> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| io_err(&name, &e))?;
    let len = file.metadata().map_err(|e| io_err(&name, &e))?.len();
    let mut r = BufReader::new(file);
    let mut peek = [0u8; 2];
    let got = read_full(&mut r, &mut peek, &name, false)?;
    let prefix = &peek[..got];
    if prefix == [0x1f, 0x8b] {
        let mut gz = GzDecoder::new(prefix.chain(r));
        parse(&mut gz, &name, magic, true, None)
    } else {
        parse(&mut prefix.chain(r), &name, magic, false, Some(len))
    }
}

fn images_from_parts(dims: &[usize], pixels: Vec<u8>) -> Images {
    Images {
        n: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels,
    }
}

/// Reads an IDX image file (magic 2051), raw or gzip-compressed.
pub fn read_images(path: impl AsRef<Path>) -> Result<Images> {
    let (dims, pixels) = parse_file(path.as_ref(), IMAGES_MAGIC)?;
    Ok(images_from_parts(&dims, pixels))
}

/// Reads an IDX label file (magic 2049), raw or gzip-compressed.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    Ok(parse_file(path.as_ref(), LABELS_MAGIC)?.1)
}

/// Reads an uncompressed IDX image stream; `name` identifies it in errors.
pub fn read_images_from(r: &mut impl Read, name: &str) -> Result<Images> {
    let (dims, pixels) = parse(r, name, IMAGES_MAGIC, false, None)?;
    Ok(images_from_parts(&dims, pixels))
}

/// Reads an uncompressed IDX label stream; `name` identifies it in errors.
pub fn read_labels_from(r: &mut impl Read, name: &str) -> Result<Vec<u8>> {
    Ok(parse(r, name, LABELS_MAGIC, false, None)?.1)
}

/// Finds `<stem>.gz` or `<stem>` in `dir` (the gzip name first).
fn find(dir: &Path, stem: &str) -> Result<std::path::PathBuf> {
    let gz = dir.join(format!("{stem}.gz"));
    let raw = dir.join(stem);
    if gz.is_file() {
        Ok(gz)
    } else if raw.is_file() {
        Ok(raw)
    } else {
        Err(Error::Io {
            path: dir.display().to_string(),
            message: format!("no MNIST file {stem}.gz or {stem} in this directory"),
        })
    }
}

/// Checks labels against their images: same count, and every label a digit `0..=9`.
fn check_labels(images: &Images, labels: &[u8], path: &Path, images_path: &Path) -> Result<()> {
    let name = path.display().to_string();
    if labels.len() != images.n {
        return Err(format_err(
            &name,
            format!(
                "{} labels for {} images (in {})",
                labels.len(),
                images.n,
                images_path.display()
            ),
        ));
    }
    if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l > 9) {
        return Err(format_err(
            &name,
            format!("label {l} at index {i} is not a digit 0..=9"),
        ));
    }
    Ok(())
}

/// Loads the four standard MNIST files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each with or without `.gz`) from `dir`.
pub fn load_mnist(dir: impl AsRef<Path>) -> Result<Mnist> {
    let dir = dir.as_ref();
    let load = |prefix: &str| -> Result<(Images, Vec<u8>)> {
        let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
        let images = read_images(&images_path)?;
        let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
        let labels = read_labels(&labels_path)?;
        check_labels(&images, &labels, &labels_path, &images_path)?;
        Ok((images, labels))
    };
    let (train_images, train_labels) = load("train")?;
    let (test_images, test_labels) = load("t10k")?;
    if (train_images.rows, train_images.cols) != (test_images.rows, test_images.cols) {
        return Err(format_err(
            &dir.display().to_string(),
            format!(
                "training images are {}x{} but test images are {}x{}",
                train_images.rows, train_images.cols, test_images.rows, test_images.cols
            ),
        ));
    }
    Ok(Mnist {
        train_images,
        train_labels,
        test_images,
        test_labels,
    })
}

/// Encodes images as an uncompressed IDX image file (for tests and for making subsets).
pub fn encode_images(images: &Images) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + images.pixels.len());
    out.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for d in [images.n, images.rows, images.cols] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Encodes labels as an uncompressed IDX label file.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Images {
        Images {
            n: 3,
            rows: 2,
            cols: 2,
            pixels: (0..12).map(|i| i * 20).collect(),
        }
    }

    #[test]
    fn encoded_images_parse_back() {
        let bytes = encode_images(&tiny());
        assert_eq!(&bytes[..4], &[0, 0, 8, 3]);
        assert_eq!(read_images_from(&mut &bytes[..], "tiny").unwrap(), tiny());
    }

    #[test]
    fn encoded_labels_parse_back() {
        let bytes = encode_labels(&[7, 2, 1]);
        assert_eq!(
            read_labels_from(&mut &bytes[..], "tiny").unwrap(),
            vec![7, 2, 1]
        );
    }

    #[test]
    fn a_label_file_read_as_images_names_both_magics() {
        let bytes = encode_labels(&[7, 2, 1]);
        let e = read_images_from(&mut &bytes[..], "l")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad magic number 2049") && e.contains("expected 2051"),
            "{e}"
        );
        assert!(e.contains("label file"), "{e}");
    }

    /// Dims whose product is exactly `usize::MAX` (65535 · 42009217 · 6700417 = 2^64 − 1) pass
    /// the overflow check; reading one byte past the data must not overflow either. (The
    /// test profile wraps instead of panicking, so CI's Miri run, with overflow checks on,
    /// is the one that sees a regression.)
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn overflow_dims_multiplying_to_usize_max_are_a_truncation() {
        let mut bytes = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [65_535u32, 42_009_217, 6_700_417] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        let e = read_images_from(&mut &bytes[..], "huge")
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated data"), "{e}");
    }

    #[test]
    fn overflow_in_take_of_inconsistent_fields_is_avoided() {
        let bad = Images {
            n: 3,
            rows: usize::MAX,
            cols: 2,
            pixels: vec![0; 12],
        };
        let t = bad.take(2);
        assert_eq!((t.n, t.pixels.len()), (2, 12));
        assert!(t.to_tensor().is_err());
    }

    #[test]
    fn truncated_stream_reports_the_byte_counts() {
        let mut bytes = encode_images(&tiny());
        bytes.truncate(bytes.len() - 2);
        let e = read_images_from(&mut &bytes[..], "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("need 12 data bytes, got 10"), "{e}");
        let e = read_images_from(&mut &bytes[..6], "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated header"), "{e}");
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut bytes = encode_labels(&[1, 2]);
        bytes.push(3);
        let e = read_labels_from(&mut &bytes[..], "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("trailing data"), "{e}");
    }

    #[test]
    fn a_lying_header_does_not_allocate_its_claimed_size() {
        let mut bytes = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [u32::MAX, u32::MAX, 1] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&[0; 10]);
        let e = read_images_from(&mut &bytes[..], "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("got 10"), "{e}");
    }

    #[test]
    fn labels_must_be_digits_and_match_the_image_count() {
        let (l, i) = (Path::new("labels"), Path::new("images"));
        assert!(check_labels(&tiny(), &[1, 2, 3], l, i).is_ok());
        let e = check_labels(&tiny(), &[1, 2], l, i)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 labels for 3 images (in images)"), "{e}");
        let e = check_labels(&tiny(), &[1, 12, 3], l, i)
            .unwrap_err()
            .to_string();
        assert!(e.contains("label 12 at index 1"), "{e}");
    }

    #[test]
    fn take_keeps_the_first_images() {
        let t = tiny().take(2);
        assert_eq!((t.n, t.pixels.len()), (2, 8));
        assert_eq!(tiny().take(10), tiny());
    }
}

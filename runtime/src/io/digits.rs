//! The UCI 8×8 handwritten digits as CSV (optionally gzip-compressed): each row is 64 pixel
//! values `0..=16` followed by the label `0..=9`. Small enough for quick training tests.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::{Error, Result, Tensor};

/// Pixels per image (8 × 8).
pub const PIXELS: usize = 64;
/// The largest pixel value in the set.
pub const MAX_PIXEL: u8 = 16;

/// The digits as stored: `n` images of 64 pixels in `0..=16`, and their labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digits {
    /// Number of images.
    pub n: usize,
    /// `n * 64` pixel values, image after image, row-major.
    pub pixels: Vec<u8>,
    /// One label `0..=9` per image.
    pub labels: Vec<u8>,
}

impl Digits {
    /// The images as a `(n, 1, 8, 8)` tensor scaled to `[0, 1]`.
    pub fn to_tensor(&self) -> Result<Tensor<f32>> {
        let scale = 1.0 / f32::from(MAX_PIXEL);
        let data = self.pixels.iter().map(|&p| f32::from(p) * scale).collect();
        Tensor::from_vec(data, &[self.n, 1, 8, 8])
    }
}

fn format_err(path: &str, message: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_owned(),
        format: "digits CSV",
        message: message.into(),
    }
}

/// Parses one `u8` field that must be at most `max`.
fn field(s: &str, max: u8, path: &str, line: usize, col: usize) -> Result<u8> {
    let s = s.trim();
    match s.parse::<u8>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(format_err(
            path,
            format!("line {line}, column {col}: {s:?} is not an integer in 0..={max}"),
        )),
    }
}

/// Parses the CSV text from a reader; `path` names it in errors.
pub fn parse(r: impl Read, path: &str) -> Result<Digits> {
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for (i, line) in BufReader::new(r).lines().enumerate() {
        let line = line.map_err(|e| format_err(path, format!("line {}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != PIXELS + 1 {
            return Err(format_err(
                path,
                format!(
                    "line {}: {} fields, expected {} (64 pixels and a label)",
                    i + 1,
                    fields.len(),
                    PIXELS + 1
                ),
            ));
        }
        for (col, f) in fields[..PIXELS].iter().enumerate() {
            pixels.push(field(f, MAX_PIXEL, path, i + 1, col + 1)?);
        }
        labels.push(field(fields[PIXELS], 9, path, i + 1, PIXELS + 1)?);
    }
    Ok(Digits {
        n: labels.len(),
        pixels,
        labels,
    })
}

/// Reads the digits CSV (raw or gzip, detected by its magic bytes) as stored.
pub fn read_raw(path: impl AsRef<Path>) -> Result<Digits> {
    let p = path.as_ref();
    let name = p.display().to_string();
    let io = |e: std::io::Error| Error::Io {
        path: name.clone(),
        message: e.to_string(),
    };
    let mut r = BufReader::new(File::open(p).map_err(io)?);
    let gzip = r.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    if gzip {
        parse(GzDecoder::new(r), &name)
    } else {
        parse(r, &name)
    }
}

/// Reads the digits CSV as a `(n, 1, 8, 8)` tensor scaled to `[0, 1]` and the labels.
pub fn read(path: impl AsRef<Path>) -> Result<(Tensor<f32>, Vec<u8>)> {
    let d = read_raw(path)?;
    Ok((d.to_tensor()?, d.labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pixel: u8, label: u8) -> String {
        let mut fields = vec![pixel.to_string(); PIXELS];
        fields.push(label.to_string());
        fields.join(",")
    }

    #[test]
    fn parses_rows_of_64_pixels_and_a_label() {
        let text = format!("{}\n{}\n", row(16, 3), row(0, 9));
        let d = parse(text.as_bytes(), "t").unwrap();
        assert_eq!(d.n, 2);
        assert_eq!(d.labels, vec![3, 9]);
        assert_eq!(d.pixels[..2], [16, 16]);
        assert_eq!(d.pixels[64..66], [0, 0]);
    }

    #[test]
    fn rejects_short_rows_and_out_of_range_values() {
        let e = parse("1,2,3\n".as_bytes(), "t").unwrap_err().to_string();
        assert!(e.contains("3 fields, expected 65"), "{e}");
        let e = parse(row(17, 1).as_bytes(), "t").unwrap_err().to_string();
        assert!(e.contains("column 1") && e.contains("0..=16"), "{e}");
        let e = parse(row(1, 10).as_bytes(), "t").unwrap_err().to_string();
        assert!(e.contains("column 65"), "{e}");
    }
}

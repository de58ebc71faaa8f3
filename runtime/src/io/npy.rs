//! NumPy `.npy` files: read and write `float32`/`float64` arrays, the format `np.save` writes.
//!
//! The format is a magic string, a version, a little-endian header length, a Python dict literal
//! (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`) and the raw data. It is small
//! enough that a hand-written reader gives better errors than a general crate: every failure names
//! the file and what is wrong (bad magic, unsupported dtype, expected N data bytes but got M), and a
//! header that lies about its shape never makes the reader allocate more than the file holds.
//!
//! Reading accepts versions 1.0, 2.0 and 3.0, little- and big-endian floats, and C or Fortran
//! order; a Fortran-order file becomes a permuted view of a C-order tensor, without a copy.
//! Writing produces version 1.0 (2.0 when the header is too long for 1.0), little-endian, C order.
//!
//! A file of the other float type is an error, not a silent conversion: cast explicitly.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::{Element, Error, Result, Tensor};

/// The magic string every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy aligns the start of the data to this many bytes.
const ALIGN: usize = 64;
/// A header longer than this is corrupt; numpy itself refuses headers over 10 000 bytes by default.
const MAX_HEADER_LEN: usize = 1 << 20;
/// Spaces numpy reserves so the first axis's size can grow in place.
const GROWTH_DIGITS: usize = 21;
/// Bytes read per chunk, so a stream's lying header cannot make us allocate before data arrives.
const CHUNK: usize = 1 << 20;
/// The name used in errors for data that does not come from a named file.
pub const MEMORY: &str = "<memory>";

/// The dtypes simdgrad reads: float32 or float64, either byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dtype {
    /// Bytes per element: 4 or 8.
    pub size: usize,
    /// `true` for big-endian data (`'>f4'`).
    pub big_endian: bool,
}

impl Dtype {
    /// The numpy dtype name (`"float32"`, `"float64"`).
    pub fn name(self) -> &'static str {
        if self.size == 4 {
            "float32"
        } else {
            "float64"
        }
    }

    /// The numpy type string (`'<f4'`, `'>f8'`).
    pub fn descr(self) -> String {
        format!("{}f{}", if self.big_endian { '>' } else { '<' }, self.size)
    }

    fn parse(descr: &str) -> Option<Dtype> {
        let mut chars = descr.chars();
        let big_endian = match chars.next()? {
            '<' => false,
            '>' => true,
            '=' => cfg!(target_endian = "big"),
            _ => return None,
        };
        let kind = chars.as_str();
        let size = match kind {
            "f4" => 4,
            "f8" => 8,
            _ => return None,
        };
        Some(Dtype { size, big_endian })
    }
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format version, `(major, minor)`.
    pub version: (u8, u8),
    /// The element type.
    pub dtype: Dtype,
    /// `true` if the data is stored column-major.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
}

impl Header {
    /// Number of elements the shape holds, `None` on overflow.
    pub fn numel(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Number of data bytes the header announces, `None` on overflow.
    pub fn data_bytes(&self) -> Option<usize> {
        self.numel()?.checked_mul(self.dtype.size)
    }
}

/// An array as stored in a `.npy` file: the elements in file order, the shape, and the order flag.
///
/// With `fortran_order` the data is column-major: it is the C-order layout of the reversed shape.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray<E> {
    /// The elements, in the order the file stores them.
    pub data: Vec<E>,
    /// The array's logical shape.
    pub shape: Vec<usize>,
    /// `true` if `data` is column-major.
    pub fortran_order: bool,
}

fn format_err(path: &str, message: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_owned(),
        format: "npy",
        message: message.into(),
    }
}

fn io_err(path: &str, err: std::io::Error) -> Error {
    Error::Io {
        path: path.to_owned(),
        message: err.to_string(),
    }
}

/// Reads into `buf` until it is full or the stream ends; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8], path: &str) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(path, e)),
        }
    }
    Ok(filled)
}

/// Reads the magic, version and header; returns the header and the preamble length in bytes.
pub fn read_header(r: &mut impl Read, path: &str) -> Result<(Header, usize)> {
    let mut start = [0u8; 8];
    let got = read_full(r, &mut start, path)?;
    if got < 6 || &start[..6] != MAGIC {
        return Err(format_err(
            path,
            format!(
                "bad magic {:?}: not a .npy file (expected b\"\\x93NUMPY\")",
                String::from_utf8_lossy(&start[..got.min(6)])
            ),
        ));
    }
    if got < 8 {
        return Err(format_err(path, "truncated before the format version"));
    }
    let version = (start[6], start[7]);
    let len_bytes = match version {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        (major, minor) => {
            return Err(format_err(
                path,
                format!(
                    "unsupported format version {major}.{minor} (simdgrad reads 1.0, 2.0 and 3.0)"
                ),
            ))
        }
    };
    let mut len_buf = [0u8; 4];
    if read_full(r, &mut len_buf[..len_bytes], path)? < len_bytes {
        return Err(format_err(path, "truncated before the header length"));
    }
    let header_len = u32::from_le_bytes(len_buf) as usize;
    if header_len > MAX_HEADER_LEN {
        return Err(format_err(
            path,
            format!("header length {header_len} is implausibly large (limit {MAX_HEADER_LEN})"),
        ));
    }
    let mut raw = vec![0u8; header_len];
    let got = read_full(r, &mut raw, path)?;
    if got < header_len {
        return Err(format_err(
            path,
            format!("truncated header: expected {header_len} bytes, got {got}"),
        ));
    }
    // Versions 1.0 and 2.0 store the header as latin-1, 3.0 as UTF-8.
    let text: String = if version.0 == 3 {
        String::from_utf8(raw).map_err(|_| format_err(path, "header is not valid UTF-8"))?
    } else {
        raw.iter().map(|&b| b as char).collect()
    };
    let header = parse_header_dict(&text, version).map_err(|m| format_err(path, m))?;
    Ok((header, 8 + len_bytes + header_len))
}

/// A value in the header dict: the only kinds a valid `.npy` header uses.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
    /// Something else (a list describing a structured dtype, say): kept for the error message.
    Other(String),
}

/// A cursor over the header text.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "header not parseable: expected '{c}' at byte {} of {:?}",
                self.pos, self.s
            ))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_ws();
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => {
                return Err(format!(
                    "header not parseable: expected a quoted string at byte {} of {:?}",
                    self.pos, self.s
                ))
            }
        };
        let body = &self.s[self.pos + 1..];
        let end = body
            .find(quote)
            .ok_or_else(|| format!("header not parseable: unterminated string in {:?}", self.s))?;
        self.pos += 1 + end + 1;
        Ok(body[..end].to_owned())
    }

    fn int(&mut self) -> Result<u64, String> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(format!(
                "header not parseable: expected a non-negative integer in the shape at byte {} of {:?}",
                self.pos, self.s
            ));
        }
        let v = rest[..digits].parse::<u64>().map_err(|_| {
            format!(
                "shape product overflow: dimension {} does not fit in 64 bits",
                &rest[..digits]
            )
        })?;
        self.pos += digits;
        // Python 2 wrote long integers with an `L` suffix.
        if self.peek() == Some('L') {
            self.pos += 1;
        }
        Ok(v)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.peek() {
            Some('\'' | '"') => self.string().map(Value::Str),
            Some('(') => {
                self.pos += 1;
                let mut dims = Vec::new();
                loop {
                    if self.eat(')') {
                        break;
                    }
                    dims.push(self.int()?);
                    if !self.eat(',') {
                        self.expect(')')?;
                        break;
                    }
                }
                Ok(Value::Tuple(dims))
            }
            _ => {
                let rest = &self.s[self.pos..];
                for (word, v) in [("True", true), ("False", false)] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return Ok(Value::Bool(v));
                    }
                }
                // Skip a bracketed value (e.g. a structured dtype's list) so the caller can name it.
                let start = self.pos;
                let mut depth = 0i32;
                for (i, c) in rest.char_indices() {
                    match c {
                        '[' | '(' | '{' => depth += 1,
                        ']' | ')' | '}' if depth > 0 => depth -= 1,
                        ',' | '}' if depth == 0 => {
                            self.pos = start + i;
                            return Ok(Value::Other(rest[..i].trim().to_owned()));
                        }
                        _ => {}
                    }
                }
                Err(format!("header not parseable: {:?}", self.s))
            }
        }
    }
}

/// Parses the header's Python dict literal.
fn parse_header_dict(text: &str, version: (u8, u8)) -> Result<Header, String> {
    let mut lx = Lexer { s: text, pos: 0 };
    lx.expect('{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        if lx.eat('}') {
            break;
        }
        let key = lx.string()?;
        lx.expect(':')?;
        let value = lx.value()?;
        match key.as_str() {
            "descr" => descr = Some(value),
            "fortran_order" => fortran = Some(value),
            "shape" => shape = Some(value),
            other => {
                return Err(format!(
                    "header has an unexpected key '{other}' in {text:?}"
                ))
            }
        }
        if !lx.eat(',') {
            lx.expect('}')?;
            break;
        }
    }
    lx.skip_ws();
    if lx.pos != text.len() {
        return Err(format!(
            "header not parseable: trailing text after the dict in {text:?}"
        ));
    }
    let missing = |k: &str| format!("header is missing the '{k}' key: {text:?}");
    let dtype = match descr.ok_or_else(|| missing("descr"))? {
        Value::Str(s) => Dtype::parse(&s).ok_or_else(|| {
            format!(
                "unsupported dtype '{s}' (simdgrad reads float32 '<f4'/'>f4' and float64 '<f8'/'>f8')"
            )
        })?,
        Value::Other(s) => {
            return Err(format!(
                "unsupported dtype {s} (structured dtypes are not supported; simdgrad reads float32 and float64)"
            ))
        }
        v => return Err(format!("header 'descr' is not a dtype string: {v:?}")),
    };
    let fortran_order = match fortran.ok_or_else(|| missing("fortran_order"))? {
        Value::Bool(b) => b,
        v => {
            return Err(format!(
                "header 'fortran_order' is not True or False: {v:?}"
            ))
        }
    };
    let shape = match shape.ok_or_else(|| missing("shape"))? {
        Value::Tuple(dims) => dims
            .into_iter()
            .map(|d| {
                usize::try_from(d).map_err(|_| {
                    format!("shape product overflow: dimension {d} does not fit in usize")
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        v => return Err(format!("header 'shape' is not a tuple of integers: {v:?}")),
    };
    let header = Header {
        version,
        dtype,
        fortran_order,
        shape,
    };
    if header.data_bytes().is_none() {
        return Err(format!(
            "shape product overflow: shape {:?} of {} holds more bytes than usize can count",
            header.shape,
            header.dtype.name()
        ));
    }
    Ok(header)
}

/// Decodes little- or big-endian bytes into elements of type `E` (whose size matches the dtype).
fn decode<E: Element>(bytes: &[u8], dtype: Dtype) -> Vec<E> {
    if E::SIZE == 4 {
        bytes
            .chunks_exact(4)
            .map(|c| {
                let b = [c[0], c[1], c[2], c[3]];
                let v = if dtype.big_endian {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                };
                E::from_f64(f64::from(v))
            })
            .collect()
    } else {
        bytes
            .chunks_exact(8)
            .map(|c| {
                let b = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                let v = if dtype.big_endian {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                };
                E::from_f64(v)
            })
            .collect()
    }
}

/// Checks that the file's dtype is the one requested.
fn check_dtype<E: Element>(header: &Header, path: &str) -> Result<()> {
    if header.dtype.size != E::SIZE {
        return Err(format_err(
            path,
            format!(
                "the file holds {} ('{}') but {} was requested; read it as Tensor<f{}> and cast \
                 explicitly",
                header.dtype.name(),
                header.dtype.descr(),
                E::DTYPE,
                header.dtype.size * 8
            ),
        ));
    }
    Ok(())
}

/// Reads the data that follows a header: exactly `header.data_bytes()` bytes, in bounded chunks.
fn read_data<E: Element>(r: &mut impl Read, header: &Header, path: &str) -> Result<Vec<E>> {
    // `parse_header_dict` rejected overflowing shapes.
    let expected = header.data_bytes().unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(expected.min(CHUNK));
    let mut taken = r.take(expected as u64);
    taken.read_to_end(&mut bytes).map_err(|e| io_err(path, e))?;
    if bytes.len() < expected {
        return Err(format_err(
            path,
            format!(
                "truncated data: shape {:?} of {} needs {expected} bytes, got {}",
                header.shape,
                header.dtype.name(),
                bytes.len()
            ),
        ));
    }
    Ok(decode(&bytes, header.dtype))
}

/// Reads one array from a stream, naming it `path` in errors. The stream is left just after the
/// array's data, so several arrays saved one after another to one file can be read in turn.
pub fn read_array_named<E: Element>(r: &mut impl Read, path: &str) -> Result<NpyArray<E>> {
    let (header, _) = read_header(r, path)?;
    check_dtype::<E>(&header, path)?;
    let data = read_data(r, &header, path)?;
    Ok(NpyArray {
        data,
        shape: header.shape,
        fortran_order: header.fortran_order,
    })
}

/// Reads a `.npy` file into its raw data, shape and order flag.
pub fn read_array<E: Element>(path: impl AsRef<Path>) -> Result<NpyArray<E>> {
    let p = path.as_ref();
    let name = p.display().to_string();
    let file = File::open(p).map_err(|e| io_err(&name, e))?;
    let file_len = file.metadata().map_err(|e| io_err(&name, e))?.len();
    let mut r = BufReader::new(file);
    let (header, preamble) = read_header(&mut r, &name)?;
    check_dtype::<E>(&header, &name)?;
    // Compare the file's size with the header before reading, so a lying header fails fast.
    let have = file_len.saturating_sub(preamble as u64);
    let expected = header.data_bytes().unwrap_or(usize::MAX) as u64;
    if have < expected {
        return Err(format_err(
            &name,
            format!(
                "truncated data: shape {:?} of {} needs {expected} bytes, got {have}",
                header.shape,
                header.dtype.name()
            ),
        ));
    }
    if have > expected {
        return Err(format_err(
            &name,
            format!(
                "{} unexpected bytes after the data of shape {:?} ({expected} bytes); \
                 use read_from to read several arrays saved to one stream",
                have - expected,
                header.shape
            ),
        ));
    }
    let data = read_data(&mut r, &header, &name)?;
    Ok(NpyArray {
        data,
        shape: header.shape,
        fortran_order: header.fortran_order,
    })
}

/// Builds the header bytes (magic, version, length, padded dict) for a C-order array, exactly as
/// `np.save` does, so our files are byte-identical to numpy's.
fn header_bytes<E: Element>(shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!(
        "{{'descr': '<f{}', 'fortran_order': False, 'shape': {tuple}, }}",
        E::SIZE
    );
    // numpy leaves room for the first axis to grow in place (`GROWTH_AXIS_MAX_DIGITS`).
    if let Some(first) = dims.first() {
        dict.extend(std::iter::repeat_n(
            ' ',
            GROWTH_DIGITS.saturating_sub(first.len()),
        ));
    }
    let build = |len_bytes: usize, version: u8| {
        // Spaces, then '\n', so the data starts on an ALIGN boundary; like numpy, a header that is
        // already aligned still gets a full ALIGN of padding.
        let text_len = dict.len() + 1;
        let pad = ALIGN - (MAGIC.len() + 2 + len_bytes + text_len) % ALIGN;
        let header_len = text_len + pad;
        let mut out = Vec::with_capacity(MAGIC.len() + 2 + len_bytes + header_len);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[version, 0]);
        if len_bytes == 2 {
            out.extend_from_slice(&(header_len as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header_len as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.resize(out.len() + pad, b' ');
        out.push(b'\n');
        (header_len, out)
    };
    let (len, v1) = build(2, 1);
    if len <= usize::from(u16::MAX) {
        v1
    } else {
        build(4, 2).1
    }
}

/// Writes C-order `data` of `shape` as a `.npy` stream (little-endian, version 1.0 or 2.0).
pub fn write_array_to<E: Element>(
    data: impl IntoIterator<Item = E>,
    shape: &[usize],
    w: &mut impl Write,
    path: &str,
) -> Result<()> {
    let numel = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::ShapeOverflow {
            shape: shape.to_vec(),
        })?;
    w.write_all(&header_bytes::<E>(shape))
        .map_err(|e| io_err(path, e))?;
    let mut buf = Vec::with_capacity(CHUNK.min(numel.saturating_mul(E::SIZE)));
    let mut written = 0usize;
    for v in data {
        if written == numel {
            // One element too many: stop before writing it, the count below reports the error.
            written += 1;
            break;
        }
        if E::SIZE == 4 {
            buf.extend_from_slice(&(v.to_f64() as f32).to_le_bytes());
        } else {
            buf.extend_from_slice(&v.to_f64().to_le_bytes());
        }
        written += 1;
        if buf.len() >= CHUNK {
            w.write_all(&buf).map_err(|e| io_err(path, e))?;
            buf.clear();
        }
    }
    if written != numel {
        return Err(Error::DataLength {
            op: "npy::write",
            shape: shape.to_vec(),
            expected: numel,
            got: written,
        });
    }
    w.write_all(&buf).map_err(|e| io_err(path, e))?;
    w.flush().map_err(|e| io_err(path, e))
}

/// Writes C-order `data` of `shape` to a `.npy` file.
pub fn write_array<E: Element>(
    data: impl IntoIterator<Item = E>,
    shape: &[usize],
    path: impl AsRef<Path>,
) -> Result<()> {
    let p = path.as_ref();
    let name = p.display().to_string();
    let file = File::create(p).map_err(|e| io_err(&name, e))?;
    let mut w = BufWriter::new(file);
    write_array_to(data, shape, &mut w, &name)
}

impl<E: Element> NpyArray<E> {
    /// The array as a tensor; Fortran-order data becomes a permuted view, without a copy.
    pub fn into_tensor(self) -> Result<Tensor<E>> {
        if !self.fortran_order {
            return Tensor::from_vec(self.data, &self.shape);
        }
        // Column-major data of shape s is the row-major data of reversed(s) with its axes reversed.
        let reversed: Vec<usize> = self.shape.iter().rev().copied().collect();
        let axes: Vec<usize> = (0..self.shape.len()).rev().collect();
        Tensor::from_vec(self.data, &reversed)?.permute(&axes)
    }
}

/// Reads a `.npy` file as a tensor of `E` (`f32` for `'<f4'`/`'>f4'`, `f64` for `'<f8'`/`'>f8'`).
///
/// ```
/// let dir = std::env::temp_dir().join("simdgrad-npy-doc");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("x.npy");
/// let x = simdgrad::Tensor::<f32>::arange(0.0, 6.0, 1.0).unwrap().reshape(&[2, 3]).unwrap();
/// simdgrad::io::npy::write(&x, &path).unwrap();
/// let y = simdgrad::io::npy::read::<f32>(&path).unwrap();
/// assert_eq!((y.shape(), y.to_vec()), (x.shape(), x.to_vec()));
/// assert!(simdgrad::io::npy::read::<f64>(&path).is_err()); // no silent casts
/// ```
pub fn read<E: Element>(path: impl AsRef<Path>) -> Result<Tensor<E>> {
    read_array(path)?.into_tensor()
}

/// Reads one `.npy` array from a stream as a tensor; the stream is left just after its data.
pub fn read_from<E: Element>(mut r: impl Read) -> Result<Tensor<E>> {
    read_array_named(&mut r, MEMORY)?.into_tensor()
}

/// Writes a tensor to a `.npy` file (C order, little-endian), its elements in logical order
/// whatever its strides; numpy and `torch.from_numpy(np.load(...))` read it back.
pub fn write<E: Element>(tensor: &Tensor<E>, path: impl AsRef<Path>) -> Result<()> {
    write_array(tensor.to_vec(), tensor.shape(), path)
}

/// Writes a tensor as a `.npy` stream (C order, little-endian).
pub fn write_to<E: Element>(tensor: &Tensor<E>, mut w: impl Write) -> Result<()> {
    write_array_to(tensor.to_vec(), tensor.shape(), &mut w, MEMORY)
}

impl<E: Element> Tensor<E> {
    /// Reads a `.npy` file; see [`npy::read`](crate::io::npy::read).
    pub fn read_npy(path: impl AsRef<Path>) -> Result<Self> {
        read(path)
    }

    /// Writes this tensor to a `.npy` file; see [`npy::write`](crate::io::npy::write).
    pub fn write_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        write(self, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Result<Header, String> {
        parse_header_dict(text, (1, 0))
    }

    #[test]
    fn parses_the_header_numpy_writes() {
        let h = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n")
            .unwrap();
        assert_eq!(
            h.dtype,
            Dtype {
                size: 4,
                big_endian: false
            }
        );
        assert!(!h.fortran_order);
        assert_eq!(h.shape, vec![2, 3]);
    }

    #[test]
    fn parses_keys_in_any_order_double_quotes_and_python2_longs() {
        let h = header(r#"{"shape": (3L, 4L), "fortran_order": True, "descr": ">f8"}"#).unwrap();
        assert_eq!(
            h.dtype,
            Dtype {
                size: 8,
                big_endian: true
            }
        );
        assert!(h.fortran_order);
        assert_eq!(h.shape, vec![3, 4]);
    }

    #[test]
    fn parses_zero_d_and_one_d_shapes() {
        let h = header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }").unwrap();
        assert_eq!(h.shape, Vec::<usize>::new());
        assert_eq!(h.numel(), Some(1));
        let h = header("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }").unwrap();
        assert_eq!(h.shape, vec![5]);
    }

    #[test]
    fn rejects_integer_and_structured_dtypes_naming_them() {
        let e = header("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }").unwrap_err();
        assert!(e.contains("unsupported dtype '<i4'"), "{e}");
        let e = header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }")
            .unwrap_err();
        assert!(e.contains("structured"), "{e}");
    }

    #[test]
    fn rejects_non_ascii_dtypes_without_panicking() {
        for descr in ["é4", "<é", "", "<"] {
            let text = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
            assert!(
                header(&text).unwrap_err().contains("unsupported dtype"),
                "{descr}"
            );
        }
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            "{'descr': '<f4', 'shape': (2,), }",
            "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
            "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk",
        ] {
            assert!(header(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn rejects_shapes_whose_byte_count_overflows() {
        let e = header(&format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, 3), }}",
            usize::MAX / 2
        ))
        .unwrap_err();
        assert!(e.contains("overflow"), "{e}");
        let e = header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
        )
        .unwrap_err();
        assert!(e.contains("overflow"), "{e}");
    }

    #[test]
    fn written_header_is_aligned_and_reads_back() {
        for shape in [vec![], vec![7], vec![2, 3], vec![1, 2, 3, 4, 5]] {
            let bytes = header_bytes::<f32>(&shape);
            assert_eq!(bytes.len() % ALIGN, 0);
            assert_eq!(*bytes.last().unwrap(), b'\n');
            let (h, len) = read_header(&mut &bytes[..], MEMORY).unwrap();
            assert_eq!(len, bytes.len());
            assert_eq!(h.shape, shape);
            assert_eq!(h.version, (1, 0));
        }
    }

    #[test]
    fn a_header_too_long_for_version_1_is_written_as_version_2() {
        let shape = vec![1usize; 25_000];
        let bytes = header_bytes::<f64>(&shape);
        assert_eq!(&bytes[6..8], &[2, 0]);
        assert_eq!(bytes.len() % ALIGN, 0);
        let (h, _) = read_header(&mut &bytes[..], MEMORY).unwrap();
        assert_eq!(h.shape, shape);
        assert_eq!(h.version, (2, 0));
    }

    #[test]
    fn stream_round_trip_keeps_the_rest_of_the_stream() {
        let mut buf = Vec::new();
        write_array_to([1.5f64, -2.0], &[2], &mut buf, MEMORY).unwrap();
        write_array_to([3.0f64], &[], &mut buf, MEMORY).unwrap();
        let mut r = &buf[..];
        let a = read_array_named::<f64>(&mut r, MEMORY).unwrap();
        let b = read_array_named::<f64>(&mut r, MEMORY).unwrap();
        assert_eq!((a.data, a.shape), (vec![1.5, -2.0], vec![2]));
        assert_eq!((b.data, b.shape), (vec![3.0], vec![]));
        assert!(r.is_empty());
    }

    #[test]
    fn big_endian_data_is_byte_swapped() {
        let text = "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n";
        let mut buf = MAGIC.to_vec();
        buf.extend_from_slice(&[1, 0]);
        buf.extend_from_slice(&(text.len() as u16).to_le_bytes());
        buf.extend_from_slice(text.as_bytes());
        buf.extend_from_slice(&1.0f32.to_be_bytes());
        buf.extend_from_slice(&(-0.25f32).to_be_bytes());
        let a = read_array_named::<f32>(&mut &buf[..], MEMORY).unwrap();
        assert_eq!(a.data, vec![1.0, -0.25]);
    }

    #[test]
    fn truncated_stream_reports_expected_and_actual_bytes() {
        let mut buf = Vec::new();
        write_array_to([1.0f32; 6], &[2, 3], &mut buf, MEMORY).unwrap();
        buf.truncate(buf.len() - 5);
        let e = read_array_named::<f32>(&mut &buf[..], MEMORY)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs 24 bytes, got 19"), "{e}");
    }

    #[test]
    fn a_lying_header_does_not_allocate_its_claimed_size() {
        // 2^40 f64s would be 8 TiB: the reader must fail on the short stream, not allocate.
        let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }\n";
        let mut buf = MAGIC.to_vec();
        buf.extend_from_slice(&[1, 0]);
        buf.extend_from_slice(&(text.len() as u16).to_le_bytes());
        buf.extend_from_slice(text.as_bytes());
        buf.extend_from_slice(&[0u8; 16]);
        let e = read_array_named::<f64>(&mut &buf[..], MEMORY)
            .unwrap_err()
            .to_string();
        assert!(e.contains("got 16"), "{e}");
    }

    #[test]
    fn writing_too_few_elements_is_an_error() {
        let e = write_array_to([1.0f32; 5], &[2, 3], &mut Vec::new(), MEMORY).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DataLength {
                    expected: 6,
                    got: 5,
                    ..
                }
            ),
            "{e}"
        );
    }
}

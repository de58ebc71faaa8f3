//! `.npy` interchange: files written by numpy (tests/fixtures/npy, made by make_fixtures.py),
//! files our writer makes (byte-identical to `np.save`), malformed files, and round trips.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use simdgrad::io::npy;
use simdgrad::{Error, Tensor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(name)
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simdgrad-npy-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn format_message(err: Error) -> (String, String) {
    match err {
        Error::Format {
            path,
            format,
            message,
        } => {
            assert_eq!(format, "npy");
            (path, message)
        }
        other => panic!("expected Error::Format, got {other:?}"),
    }
}

#[test]
fn reads_numpy_float32_2x3_in_c_order() {
    let t = npy::read::<f32>(fixture("f32_2x3_c.npy")).unwrap();
    assert_eq!(t.shape(), &[2, 3]);
    assert!(t.is_contiguous());
    assert_eq!(t.to_vec(), vec![1.0, -2.5, 3.25, 0.0, 0.1, -7.0]);
}

#[test]
fn reads_numpy_fortran_order_as_a_permuted_view_without_copying() {
    let t = npy::read::<f64>(fixture("f64_3x4_fortran.npy")).unwrap();
    assert_eq!(t.shape(), &[3, 4]);
    // Column-major storage: stepping along a row moves 3 elements.
    assert_eq!(t.strides(), &[1, 3]);
    assert!(!t.is_contiguous());
    let want: Vec<f64> = (0..12).map(|k| k as f64 * 0.5 - 1.0).collect();
    assert_eq!(t.to_vec(), want);
    assert_eq!(t.get(&[2, 1]).unwrap(), 9.0 * 0.5 - 1.0);
}

#[test]
fn reads_numpy_fortran_order_in_three_dims() {
    let t = Tensor::<f32>::read_npy(fixture("f32_2x3x4_fortran.npy")).unwrap();
    assert_eq!(t.shape(), &[2, 3, 4]);
    assert_eq!(t.strides(), &[1, 2, 6]);
    assert_eq!(t.to_vec(), (0..24).map(|v| v as f32).collect::<Vec<_>>());
}

#[test]
fn reads_a_zero_dimensional_array() {
    let t = npy::read::<f64>(fixture("f64_0d.npy")).unwrap();
    assert_eq!(t.shape(), &[] as &[usize]);
    assert_eq!(t.to_vec(), vec![3.5]);
}

#[test]
fn reads_an_empty_0x3_array() {
    let t = npy::read::<f32>(fixture("f32_0x3.npy")).unwrap();
    assert_eq!(t.shape(), &[0, 3]);
    assert!(t.to_vec().is_empty());
}

#[test]
fn reads_big_endian_files_by_byte_swapping() {
    let t = npy::read::<f32>(fixture("f32_big_endian.npy")).unwrap();
    assert_eq!(t.to_vec(), vec![1.5, -2.0, 1e10]);
    let t = npy::read::<f64>(fixture("f64_big_endian_2x2.npy")).unwrap();
    assert_eq!(t.shape(), &[2, 2]);
    assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, -0.5]);
}

#[test]
fn reads_format_versions_2_and_3() {
    let t = npy::read::<f32>(fixture("f32_v2.npy")).unwrap();
    assert_eq!(
        (t.shape(), t.to_vec()),
        (&[2usize, 2][..], vec![1.0, 2.0, 3.0, 4.0])
    );
    let t = npy::read::<f64>(fixture("f64_v3.npy")).unwrap();
    assert_eq!(t.to_vec(), vec![0.25, -0.75]);
}

#[test]
fn an_integer_file_is_an_unsupported_dtype_error_naming_the_file() {
    let (path, message) =
        format_message(npy::read::<f32>(fixture("i4_unsupported.npy")).unwrap_err());
    assert!(path.ends_with("i4_unsupported.npy"), "{path}");
    assert!(message.contains("unsupported dtype '<i4'"), "{message}");
}

#[test]
fn reading_the_other_float_type_is_an_error_naming_both() {
    let (_, message) = format_message(npy::read::<f64>(fixture("f32_2x3_c.npy")).unwrap_err());
    assert!(
        message.contains("float32") && message.contains("float64"),
        "{message}"
    );
    assert!(message.contains("cast explicitly"), "{message}");
}

/// Our writer reproduces `np.save` byte for byte, so numpy reads it back exactly.
#[test]
fn writer_output_is_byte_identical_to_numpy() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("f32_2x3_c.npy", {
            let t = Tensor::from_vec(vec![1.0f32, -2.5, 3.25, 0.0, 0.1, -7.0], &[2, 3]).unwrap();
            let mut buf = Vec::new();
            npy::write_to(&t, &mut buf).unwrap();
            buf
        }),
        ("f64_0d.npy", {
            let mut buf = Vec::new();
            npy::write_to(&Tensor::from_vec(vec![3.5f64], &[]).unwrap(), &mut buf).unwrap();
            buf
        }),
        ("f32_0x3.npy", {
            let mut buf = Vec::new();
            npy::write_to(&Tensor::<f32>::zeros(&[0, 3]).unwrap(), &mut buf).unwrap();
            buf
        }),
    ];
    for (name, ours) in cases {
        assert_eq!(ours, std::fs::read(fixture(name)).unwrap(), "{name}");
    }
}

/// With `SIMDGRAD_WRITE_NPY_FIXTURES=1`, also leaves our files in tests/fixtures/npy so that
/// make_fixtures.py can check numpy reads them (the CI cannot run python).
#[test]
fn a_permuted_tensor_is_written_in_logical_order() {
    let base = Tensor::from_vec(vec![1.0f32, -2.5, 3.25, 0.0, 0.1, -7.0], &[2, 3]).unwrap();
    let t = base.permute(&[1, 0]).unwrap();
    assert!(!t.is_contiguous());
    let dir = scratch("permuted");
    let path = dir.join("t.npy");
    t.write_npy(&path).unwrap();
    let back = npy::read::<f32>(&path).unwrap();
    assert_eq!(back.shape(), &[3, 2]);
    assert!(back.is_contiguous());
    assert_eq!(back.to_vec(), vec![1.0, 0.0, -2.5, 0.1, 3.25, -7.0]);

    if std::env::var_os("SIMDGRAD_WRITE_NPY_FIXTURES").is_some() {
        let f64_3x4: Vec<f64> = (0..12).map(|k| k as f64 * 0.5 - 1.0).collect();
        npy::write(&base, fixture("simdgrad_f32_2x3.npy")).unwrap();
        npy::write(&t, fixture("simdgrad_f32_permuted_3x2.npy")).unwrap();
        let f = Tensor::from_vec(f64_3x4, &[3, 4]).unwrap();
        npy::write(&f, fixture("simdgrad_f64_3x4.npy")).unwrap();
        npy::write(
            &Tensor::from_vec(vec![3.5f64], &[]).unwrap(),
            fixture("simdgrad_f64_0d.npy"),
        )
        .unwrap();
        npy::write(
            &Tensor::<f32>::zeros(&[0, 3]).unwrap(),
            fixture("simdgrad_f32_0x3.npy"),
        )
        .unwrap();
    }
}

/// make_fixtures.py checked that numpy reads these committed simdgrad_*.npy files correctly;
/// the writer must still produce exactly those bytes.
#[test]
fn the_writer_still_makes_the_files_numpy_checked() {
    let base = Tensor::from_vec(vec![1.0f32, -2.5, 3.25, 0.0, 0.1, -7.0], &[2, 3]).unwrap();
    let f64_3x4: Vec<f64> = (0..12).map(|k| k as f64 * 0.5 - 1.0).collect();
    let bytes_f32 = |t: &Tensor<f32>| {
        let mut buf = Vec::new();
        npy::write_to(t, &mut buf).unwrap();
        buf
    };
    let mut buf = Vec::new();
    npy::write_to(&Tensor::from_vec(f64_3x4, &[3, 4]).unwrap(), &mut buf).unwrap();
    let cases = [
        ("simdgrad_f32_2x3.npy", bytes_f32(&base)),
        (
            "simdgrad_f32_permuted_3x2.npy",
            bytes_f32(&base.permute(&[1, 0]).unwrap()),
        ),
        (
            "simdgrad_f32_0x3.npy",
            bytes_f32(&Tensor::zeros(&[0, 3]).unwrap()),
        ),
        ("simdgrad_f64_3x4.npy", buf),
    ];
    for (name, ours) in cases {
        assert_eq!(ours, std::fs::read(fixture(name)).unwrap(), "{name}");
    }
}

#[test]
fn a_fortran_file_written_back_becomes_c_order_with_the_same_values() {
    let t = npy::read::<f64>(fixture("f64_3x4_fortran.npy")).unwrap();
    let mut buf = Vec::new();
    npy::write_to(&t, &mut buf).unwrap();
    let back = npy::read_from::<f64>(&buf[..]).unwrap();
    assert_eq!(back.strides(), &[4, 1]);
    assert_eq!(back.to_vec(), t.to_vec());
}

// ---- malformed files ----

/// Writes `bytes` to a scratch file and reads it as f32.
fn read_bytes(test: &str, bytes: &[u8]) -> Result<Tensor<f32>, Error> {
    let path = scratch(test).join("bad.npy");
    std::fs::write(&path, bytes).unwrap();
    npy::read::<f32>(&path)
}

fn good_bytes() -> Vec<u8> {
    std::fs::read(fixture("f32_2x3_c.npy")).unwrap()
}

#[test]
fn truncated_data_reports_expected_and_actual_byte_counts() {
    let mut bytes = good_bytes();
    bytes.truncate(bytes.len() - 4);
    let (path, message) = format_message(read_bytes("truncated", &bytes).unwrap_err());
    assert!(path.ends_with("bad.npy"), "{path}");
    assert!(
        message.contains("truncated data") && message.contains("needs 24 bytes, got 20"),
        "{message}"
    );
}

#[test]
fn a_truncated_header_is_an_error() {
    let bytes = good_bytes();
    let (_, message) = format_message(read_bytes("short-header", &bytes[..40]).unwrap_err());
    assert!(message.contains("truncated header"), "{message}");
    let (_, message) = format_message(read_bytes("no-version", &bytes[..7]).unwrap_err());
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn bad_magic_and_empty_files_are_not_npy() {
    let mut bytes = good_bytes();
    bytes[1] = b'X';
    let (_, message) = format_message(read_bytes("magic", &bytes).unwrap_err());
    assert!(message.contains("bad magic"), "{message}");
    let (_, message) = format_message(read_bytes("empty", &[]).unwrap_err());
    assert!(message.contains("bad magic"), "{message}");
}

#[test]
fn an_unknown_format_version_is_an_error() {
    let mut bytes = good_bytes();
    bytes[6] = 9;
    let (_, message) = format_message(read_bytes("version", &bytes).unwrap_err());
    assert!(
        message.contains("unsupported format version 9.0"),
        "{message}"
    );
}

#[test]
fn an_unparseable_header_is_an_error() {
    let mut bytes = good_bytes();
    let at = bytes.windows(5).position(|w| w == b"False").unwrap();
    bytes[at..at + 5].copy_from_slice(b"Fa;se");
    let (_, message) = format_message(read_bytes("header", &bytes).unwrap_err());
    assert!(
        message.contains("'fortran_order' is not True or False"),
        "{message}"
    );

    let mut bytes = good_bytes();
    bytes[10] = b'[';
    let (_, message) = format_message(read_bytes("header-brace", &bytes).unwrap_err());
    assert!(
        message.contains("header not parseable: expected '{'"),
        "{message}"
    );
}

/// A version-1.0 file with the given header dict and data bytes.
fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16 + 1).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

#[test]
fn a_header_claiming_a_huge_shape_fails_before_allocating() {
    // 2^20 x 2^20 floats would be 4 TiB; the file holds 24 bytes.
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }";
    let (_, message) = format_message(read_bytes("huge", &npy_bytes(dict, &[0; 24])).unwrap_err());
    assert!(
        message.contains("needs 4398046511104 bytes, got 24"),
        "{message}"
    );
}

#[test]
fn a_shape_product_overflow_is_an_error() {
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    let (_, message) =
        format_message(read_bytes("overflow", &npy_bytes(dict, &[0; 24])).unwrap_err());
    assert!(message.contains("shape product overflow"), "{message}");
}

#[test]
fn a_hand_written_header_without_padding_still_reads() {
    let dict = "{'shape': (2,), 'descr': '<f4', 'fortran_order': False}";
    let mut data = 1.0f32.to_le_bytes().to_vec();
    data.extend_from_slice(&2.0f32.to_le_bytes());
    let t = read_bytes("unpadded", &npy_bytes(dict, &data)).unwrap();
    assert_eq!(t.to_vec(), vec![1.0, 2.0]);
}

#[test]
fn trailing_bytes_after_the_data_are_an_error() {
    let mut bytes = good_bytes();
    bytes.extend_from_slice(&[0; 4]);
    let (_, message) = format_message(read_bytes("trailing", &bytes).unwrap_err());
    assert!(message.contains("4 unexpected bytes"), "{message}");
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = npy::read::<f32>("/nonexistent/simdgrad/x.npy").unwrap_err();
    assert!(
        matches!(&err, Error::Io { path, .. } if path == "/nonexistent/simdgrad/x.npy"),
        "{err:?}"
    );
}

// ---- round trips ----

fn shapes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..=5, 0..=4)
}

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

proptest! {
    #[test]
    fn f32_round_trips_through_a_stream(
        (shape, data) in shapes().prop_flat_map(|s| {
            let n = numel(&s);
            (Just(s), prop::collection::vec(prop::num::f32::ANY, n))
        })
    ) {
        let t = Tensor::from_vec(data.clone(), &shape).unwrap();
        let mut buf = Vec::new();
        npy::write_to(&t, &mut buf).unwrap();
        prop_assert_eq!(buf.len() % 64, (4 * data.len()) % 64);
        let back = npy::read_from::<f32>(&buf[..]).unwrap();
        prop_assert_eq!(back.shape(), &shape[..]);
        let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
        prop_assert_eq!(bits(back.to_vec()), bits(data));
    }

    #[test]
    fn f64_round_trips_through_a_file(
        (shape, data) in shapes().prop_flat_map(|s| {
            let n = numel(&s);
            (Just(s), prop::collection::vec(prop::num::f64::ANY, n))
        })
    ) {
        let path = scratch("roundtrip").join("x.npy");
        let t = Tensor::from_vec(data.clone(), &shape).unwrap();
        npy::write(&t, &path).unwrap();
        let back = npy::read::<f64>(&path).unwrap();
        prop_assert_eq!(back.shape(), &shape[..]);
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        prop_assert_eq!(bits(back.to_vec()), bits(data));
    }

    #[test]
    fn a_permuted_tensor_round_trips_in_logical_order(
        (shape, order) in shapes().prop_flat_map(|s| {
            let n = s.len();
            (Just(s), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let base = Tensor::from_vec((0..numel(&shape)).map(|v| v as f32).collect(), &shape).unwrap();
        let t = base.permute(&order).unwrap();
        let mut buf = Vec::new();
        npy::write_to(&t, &mut buf).unwrap();
        let back = npy::read_from::<f32>(&buf[..]).unwrap();
        prop_assert_eq!(back.shape(), t.shape());
        prop_assert_eq!(back.to_vec(), t.to_vec());
    }
}

proptest! {
    /// Corrupting or truncating a valid file anywhere gives a value or an error, never a panic.
    #[test]
    fn corrupted_files_never_panic(
        edits in prop::collection::vec((0usize..200, any::<u8>()), 0..4),
        cut in 0usize..200,
    ) {
        let mut bytes = std::fs::read(fixture("f64_3x4_fortran.npy")).unwrap();
        for (at, v) in edits {
            let at = at % bytes.len();
            bytes[at] = v;
        }
        bytes.truncate(cut.max(1) * bytes.len() / 200);
        let _ = npy::read_from::<f64>(&bytes[..]);
    }
}

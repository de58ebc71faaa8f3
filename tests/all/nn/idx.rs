//! MNIST's IDX files (tiny fixtures from tests/fixtures/idx/make_fixtures.py, malformed files,
//! the embedded subset in data/mnist-subset, the full set when present) and the UCI digits CSV.

use std::path::{Path, PathBuf};

use simdgrad::io::{digits, idx};
use simdgrad::Error;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/idx").join(name)
}

/// The pixels make_fixtures.py writes: image k, pixel p = 20 * (4k + p).
fn tiny_pixels(n: usize) -> Vec<u8> {
    (0..4 * n).map(|i| (20 * i) as u8).collect()
}

fn format_message(err: Error) -> String {
    match err {
        Error::Format {
            path,
            format,
            message,
        } => {
            assert_eq!(format, "idx");
            assert!(!path.is_empty());
            message
        }
        other => panic!("expected Error::Format, got {other:?}"),
    }
}

#[test]
fn reads_raw_and_gzipped_images_alike() {
    for name in ["images_3x2x2.idx", "images_3x2x2.idx.gz"] {
        let im = idx::read_images(fixture(name)).unwrap();
        assert_eq!((im.n, im.rows, im.cols), (3, 2, 2), "{name}");
        assert_eq!(im.pixels, tiny_pixels(3), "{name}");
    }
}

#[test]
fn reads_raw_and_gzipped_labels_alike() {
    assert_eq!(
        idx::read_labels(fixture("labels_3.idx")).unwrap(),
        vec![5, 0, 4]
    );
    assert_eq!(
        idx::read_labels(fixture("labels_3.idx.gz")).unwrap(),
        vec![5, 0, 4]
    );
}

#[test]
fn images_become_an_n_1_rows_cols_tensor_scaled_to_unit_range() {
    let im = idx::read_images(fixture("images_3x2x2.idx")).unwrap();
    let x = im.to_tensor().unwrap();
    assert_eq!(x.shape(), &[3, 1, 2, 2]);
    let want: Vec<f32> = tiny_pixels(3).iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(x.to_vec(), want);
    let raw = im.to_tensor_raw().unwrap();
    assert_eq!(raw.get(&[2, 0, 1, 1]).unwrap(), 220.0);
}

#[test]
fn load_mnist_reads_a_directory_of_gzipped_and_raw_files() {
    let m = idx::load_mnist(fixture("tiny")).unwrap();
    assert_eq!(m.train_images.n, 3);
    assert_eq!(m.train_labels, vec![5, 0, 4]);
    assert_eq!(m.test_images.pixels, tiny_pixels(2));
    assert_eq!(m.test_labels, vec![7, 2]);
}

#[test]
fn bad_magic_is_an_error_naming_both_numbers() {
    let msg = format_message(idx::read_images(fixture("bad_magic.idx")).unwrap_err());
    assert!(
        msg.contains("bad magic number 2052") && msg.contains("expected 2051"),
        "{msg}"
    );
}

#[test]
fn reading_labels_as_images_says_which_file_it_is() {
    let msg = format_message(idx::read_images(fixture("labels_3.idx")).unwrap_err());
    assert!(msg.contains("this is a label file"), "{msg}");
}

#[test]
fn truncated_files_report_the_byte_counts() {
    let msg = format_message(idx::read_images(fixture("truncated.idx")).unwrap_err());
    assert!(
        msg.contains("need 12 data bytes, but the file holds 10"),
        "{msg}"
    );
    let msg = format_message(idx::read_images(fixture("truncated.idx.gz")).unwrap_err());
    assert!(
        msg.contains("truncated data") && msg.contains("got 10"),
        "{msg}"
    );
}

#[test]
fn trailing_data_means_the_dims_do_not_match_the_file() {
    let msg = format_message(idx::read_images(fixture("trailing.idx")).unwrap_err());
    assert!(
        msg.contains("need 12 data bytes, but the file holds 13"),
        "{msg}"
    );
}

#[test]
fn a_corrupt_gzip_stream_is_a_format_error() {
    let msg = format_message(idx::read_images(fixture("corrupt.idx.gz")).unwrap_err());
    assert!(msg.contains("gzip") || msg.contains("truncated"), "{msg}");
}

#[test]
fn image_and_label_counts_must_agree() {
    let msg = format_message(idx::load_mnist(fixture("count_mismatch")).unwrap_err());
    assert!(msg.contains("2 labels for 3 images"), "{msg}");
}

#[test]
fn a_directory_without_mnist_files_is_an_io_error_naming_the_file() {
    let err = idx::load_mnist(root().join("tests/fixtures/npy")).unwrap_err();
    match err {
        Error::Io { message, .. } => {
            assert!(message.contains("train-images-idx3-ubyte"), "{message}")
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

/// The embedded subset: what the demo trains on when no full set is around.
#[test]
fn the_embedded_subset_holds_the_first_6000_and_1000_images() {
    let m = idx::load_mnist(root().join("data/mnist-subset")).unwrap();
    assert_eq!(
        (m.train_images.n, m.train_images.rows, m.train_images.cols),
        (6000, 28, 28)
    );
    assert_eq!((m.test_images.n, m.test_labels.len()), (1000, 1000));
    assert_eq!((m.train_labels[0], m.test_labels[0]), (5, 7));
    assert_eq!(m.train_labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
}

/// The full set in ../shared/data/mnist, when this checkout has it beside it.
#[test]
fn the_full_mnist_set_loads_when_present() {
    let dir = root().join("../shared/data/mnist");
    if !dir.is_dir() {
        println!("skipped: {} is absent", dir.display());
        return;
    }
    let m = idx::load_mnist(&dir).unwrap();
    assert_eq!((m.train_images.n, m.test_images.n), (60000, 10000));
    assert_eq!((m.train_labels[0], m.test_labels[0]), (5, 7));
    // The subset is exactly the first images of the full set.
    let subset = idx::load_mnist(root().join("data/mnist-subset")).unwrap();
    assert_eq!(m.train_images.take(6000), subset.train_images);
    assert_eq!(m.test_images.take(1000), subset.test_images);
    assert_eq!(m.train_labels[..6000], subset.train_labels[..]);
}

// ---- UCI 8x8 digits ----

#[test]
fn reads_the_committed_digits_fixture() {
    let (x, labels) =
        digits::read(root().join("tests/fixtures/digits/digits-first50.csv.gz")).unwrap();
    assert_eq!(x.shape(), &[50, 1, 8, 8]);
    // The file cycles through the digits 0..9 at first.
    assert_eq!(labels[..12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // First row: 0,0,5,13,9,1,0,0, ...
    assert_eq!(x.get(&[0, 0, 0, 2]).unwrap(), 5.0 / 16.0);
    assert_eq!(x.get(&[0, 0, 0, 3]).unwrap(), 13.0 / 16.0);
    assert!(x.to_vec().iter().all(|&v| (0.0..=1.0).contains(&v)));
}

#[test]
fn the_full_digits_set_loads_when_present() {
    let path = root().join("../shared/data/digits/digits.csv.gz");
    if !path.is_file() {
        println!("skipped: {} is absent", path.display());
        return;
    }
    let d = digits::read_raw(&path).unwrap();
    assert_eq!((d.n, d.pixels.len()), (1797, 1797 * 64));
    let fixture =
        digits::read_raw(root().join("tests/fixtures/digits/digits-first50.csv.gz")).unwrap();
    assert_eq!(d.labels[..50], fixture.labels[..]);
    assert_eq!(d.pixels[..50 * 64], fixture.pixels[..]);
}

#[test]
fn a_malformed_digits_file_names_the_line() {
    let dir = std::env::temp_dir().join(format!("simdgrad-digits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(&path, "0,1,2\n").unwrap();
    match digits::read(&path).unwrap_err() {
        Error::Format { message, .. } => assert!(message.contains("line 1"), "{message}"),
        other => panic!("expected Error::Format, got {other:?}"),
    }
}

proptest::proptest! {
    /// Corrupting or truncating a valid IDX stream gives a value or an error, never a panic.
    #[test]
    fn corrupted_idx_streams_never_panic(
        edits in proptest::collection::vec((0usize..28, proptest::prelude::any::<u8>()), 0..4),
        cut in 0usize..=28,
    ) {
        let mut bytes = std::fs::read(fixture("images_3x2x2.idx")).unwrap();
        for (at, v) in edits {
            bytes[at] = v;
        }
        bytes.truncate(cut);
        let _ = idx::read_images_from(&mut &bytes[..], "fuzz");
    }
}

//! safetensors checkpoints: round trips (f32 and f64), the on-disk layout PyTorch reads, and
//! clear errors for corrupt files, wrong shapes, names and dtypes.

use simdgrad::nn::checkpoint::{load_safetensors, read_safetensors, save_safetensors};
use simdgrad::nn::init::seeded_rng;
use simdgrad::nn::{Conv2d, Flatten, Linear, Module, ReLU, Sequential};
use simdgrad::Tensor;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("simdgrad-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn net<E: simdgrad::simd::SimdElement>(seed: u64, hidden: usize) -> Sequential<E> {
    let mut rng = seeded_rng(seed);
    Sequential::new()
        .push(Conv2d::new(1, 2, [3, 3], &mut rng).unwrap())
        .push(ReLU)
        .push(Flatten)
        .push(Linear::new(2 * 4 * 4, hidden, &mut rng).unwrap())
}

#[test]
fn a_saved_network_loads_into_another_and_computes_the_same_outputs() {
    let path = tmp("roundtrip.safetensors");
    let a = net::<f32>(1, 5);
    let b = net::<f32>(2, 5);
    let x = Tensor::<f32>::randn_seeded(&[3, 1, 6, 6], 0).unwrap();
    assert_ne!(
        a.forward(&x).unwrap().to_vec(),
        b.forward(&x).unwrap().to_vec()
    );
    save_safetensors(&a.named_parameters(), &path).unwrap();
    load_safetensors(&b.named_parameters(), &path).unwrap();
    assert_eq!(
        a.forward(&x).unwrap().to_vec(),
        b.forward(&x).unwrap().to_vec()
    );
    let stored = read_safetensors::<f32>(&path).unwrap();
    let names: Vec<&str> = stored.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["0.bias", "0.weight", "3.bias", "3.weight"]);
}

#[test]
fn f64_parameters_round_trip_exactly() {
    let path = tmp("f64.safetensors");
    let a = net::<f64>(3, 4);
    save_safetensors(&a.named_parameters(), &path).unwrap();
    let stored = read_safetensors::<f64>(&path).unwrap();
    for (name, p) in a.named_parameters() {
        let (_, t) = stored.iter().find(|(n, _)| *n == name).unwrap();
        assert_eq!(t.shape(), p.shape());
        assert_eq!(t.to_vec(), p.to_vec());
    }
}

#[test]
fn the_file_has_the_layout_pytorch_reads() {
    // safetensors: u64 little-endian header length, a JSON header naming dtype, shape and
    // byte offsets, then the raw little-endian data.
    let path = tmp("layout.safetensors");
    let w = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    save_safetensors(&[("0.weight".to_string(), w)], &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    assert!(
        header.contains(r#""0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}"#),
        "{header}"
    );
    let data = &bytes[8 + n..];
    assert_eq!(&data[..4], &1.0f32.to_le_bytes());
    assert_eq!(&data[20..24], &6.0f32.to_le_bytes());
}

#[test]
fn corrupt_and_truncated_files_are_format_errors() {
    let path = tmp("corrupt.safetensors");
    std::fs::write(&path, b"this is not a safetensors file at all").unwrap();
    let msg = load_safetensors(&net::<f32>(0, 5).named_parameters(), &path)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("invalid safetensors file"), "{msg}");
    let good = tmp("good.safetensors");
    save_safetensors(&net::<f32>(0, 5).named_parameters(), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let msg = read_safetensors::<f32>(&path).unwrap_err().to_string();
    assert!(msg.contains("invalid safetensors file"), "{msg}");
    let missing = read_safetensors::<f32>(tmp("absent.safetensors")).unwrap_err();
    assert!(matches!(missing, simdgrad::Error::Io { .. }), "{missing}");
}

#[test]
fn mismatched_shapes_names_and_dtypes_are_rejected_and_leave_parameters_untouched() {
    let path = tmp("mismatch.safetensors");
    save_safetensors(&net::<f32>(0, 5).named_parameters(), &path).unwrap();
    let other = net::<f32>(1, 6);
    let before: Vec<Vec<f32>> = other.parameters().iter().map(Tensor::to_vec).collect();
    let msg = load_safetensors(&other.named_parameters(), &path)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("\"3.weight\" has shape [5, 32]"), "{msg}");
    let after: Vec<Vec<f32>> = other.parameters().iter().map(Tensor::to_vec).collect();
    assert_eq!(before, after);

    let renamed: Vec<_> = net::<f32>(0, 5)
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (format!("net.{n}"), p))
        .collect();
    let msg = load_safetensors(&renamed, &path).unwrap_err().to_string();
    assert!(msg.contains("\"net.0.weight\" is missing"), "{msg}");
    let fewer = &net::<f32>(0, 5).named_parameters()[..3];
    let msg = load_safetensors(fewer, &path).unwrap_err().to_string();
    assert!(msg.contains("not a parameter of the model"), "{msg}");

    let msg = load_safetensors(&net::<f64>(0, 5).named_parameters(), &path)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("dtype F32, expected F64"), "{msg}");
}

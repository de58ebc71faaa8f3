//! A short tour of simdgrad's tensors: create, view, permute, broadcast, narrow, print.
//!
//! Run with `cargo run --release --example tensors`.

use simdgrad::layout::LayoutKind;
use simdgrad::{Result, Tensor};

fn main() -> Result<()> {
    // Create: from data, ranges, constants and seeded random numbers.
    let x = Tensor::<f32>::arange(0.0, 12.0, 1.0)?.view(&[3, 4])?;
    println!("x = arange(12).view([3, 4])\n{x}\n");
    let noise = Tensor::<f32>::randn_seeded(&[2, 3], 0)?;
    println!("randn_seeded([2, 3], 0)\n{noise}\n");

    // Views share storage: no copy, and writes go through.
    let t = x.transpose(0, 1)?;
    println!(
        "x.transpose(0, 1): strides {:?}, contiguous: {}",
        t.strides(),
        t.is_contiguous()
    );
    println!("{t}\n");
    match t.view(&[12]) {
        Ok(_) => unreachable!("a transposed tensor is not contiguous"),
        Err(e) => println!("t.view([12]) fails: {e}\n"),
    }
    println!("t.reshape([12]) copies instead:\n{}\n", t.reshape(&[12])?);

    let p = Tensor::<f32>::arange(0.0, 24.0, 1.0)?
        .view(&[2, 3, 4])?
        .permute(&[2, 0, 1])?;
    println!(
        "permute([2, 0, 1]) of a [2, 3, 4]: shape {:?}, strides {:?}, dense order {:?}\n",
        p.shape(),
        p.strides(),
        p.layout().dense_order()
    );

    // Narrow and select pick sub-blocks; set writes through the view.
    let middle = x.narrow(1, 1, 2)?;
    println!("x.narrow(1, 1, 2)\n{middle}");
    println!("its layout kind: {:?}\n", middle.layout().kind());
    middle.set(&[0, 0], 100.0)?;
    println!(
        "after middle.set([0, 0], 100), x[0, 1] = {}\n",
        x.get(&[0, 1])?
    );

    // Broadcasting: a stride-0 view, NumPy rules.
    let bias = Tensor::<f32>::from_vec(vec![10.0, 20.0, 30.0], &[3, 1])?;
    let b = bias.broadcast_to(&[3, 4])?;
    println!(
        "bias [3, 1] broadcast to [3, 4]: strides {:?}\n{b}",
        b.strides()
    );
    assert_eq!(
        b.layout().kind(),
        LayoutKind::Blocks {
            len: 4,
            inner_stride: 0
        }
    );
    if let Err(e) = bias.broadcast_to(&[2, 4]) {
        println!("bias.broadcast_to([2, 4]) fails: {e}\n");
    }

    // Large tensors print summarised, like PyTorch.
    println!("{}", Tensor::<f64>::rand_seeded(&[100, 100], 1)?);
    Ok(())
}

//! The chapter's training run on its reference data: five epochs of SGD (lr 0.5) on the
//! leave-one-out loss from `w = 0.5`, printed as the chapter prints them.
//!
//! `cargo run --release -p nw-model --example chapter`

// An example's whole job is to print.
#![allow(clippy::print_stdout)]

use std::error::Error;

use nw_model::{Init, Path as TrainPath, Pooling, Sgd, loss, train};
use nw_tensor::Par;

fn main() -> Result<(), Box<dyn Error>> {
    let (x, y) = nw_data::chapter_train().into_parts();
    let report = train(
        &x,
        &y,
        Init::Value(nw_data::CHAPTER_W0),
        5,
        &mut Sgd { lr: 0.5 },
        TrainPath::Fused,
        Par::Rayon,
    )?;
    for e in &report.epochs {
        println!("epoch {}, loss {:.6}", e.epoch, e.loss);
    }
    let pooling = report.pooling;
    println!(
        "learned w = {:.6} (bandwidth 1/w = {:.6})",
        pooling.w(),
        pooling.bandwidth()
    );

    let test = nw_data::test_set();
    let fit = pooling.pool(test.x(), &x, &y, false, Par::Rayon)?;
    println!(
        "test MSE against the truth: {:.6}",
        loss::mse(&fit.y_hat, test.y())?
    );
    Ok(())
}

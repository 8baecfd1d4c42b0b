//! The `Tensor` operations the chapter writes in PyTorch, with hand-computed expectations.

use nw_tensor::{Par, Tensor, TensorError};

fn t(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::new(shape, data.to_vec()).unwrap()
}

#[test]
fn construction_checks_the_data_length() {
    let err = Tensor::new(&[2, 3], vec![0.0; 5]).unwrap_err();
    assert_eq!(err.to_string(), "shape [2, 3] holds 6 values, got 5");
    let err = Tensor::zeros(&[usize::MAX, 3]).unwrap_err();
    assert_eq!(
        err,
        TensorError::TooLarge {
            shape: vec![usize::MAX, 3]
        }
    );
    assert_eq!(Tensor::arange(4).unwrap().data(), &[0.0, 1.0, 2.0, 3.0]);
    let x = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(
        (x.ndim(), x.len(), x.get(&[1, 0]), x.get(&[2, 0])),
        (2, 4, Some(3.0), None)
    );
}

#[test]
fn reshape_and_unsqueeze() {
    let x = Tensor::arange(6).unwrap().reshape(&[2, 3]).unwrap();
    assert_eq!(x.get(&[1, 2]), Some(5.0));
    let err = x.clone().reshape(&[4]).unwrap_err();
    assert_eq!(err.to_string(), "reshape: shapes [2, 3] and [4] do not fit");
    assert_eq!(x.clone().unsqueeze(0).unwrap().shape(), &[1, 2, 3]);
    assert_eq!(x.clone().unsqueeze(1).unwrap().shape(), &[2, 1, 3]);
    assert_eq!(x.clone().unsqueeze(2).unwrap().shape(), &[2, 3, 1]);
    let err = x.unsqueeze(3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsqueeze: axis 3 is out of range for shape [2, 3]"
    );
}

#[test]
fn repeat_tiles_like_torch() {
    // x_train.repeat((n, 1)): n copies of the vector as rows.
    let v = Tensor::from_slice(&[1.0, 2.0, 3.0]);
    let tiled = v.repeat(&[2, 1]).unwrap();
    assert_eq!(tiled.shape(), &[2, 3]);
    assert_eq!(tiled.data(), &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    let m = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let r = m.repeat(&[2, 3]).unwrap();
    assert_eq!(r.shape(), &[4, 6]);
    #[rustfmt::skip]
    let want = [
        1.0, 2.0, 1.0, 2.0, 1.0, 2.0,
        3.0, 4.0, 3.0, 4.0, 3.0, 4.0,
        1.0, 2.0, 1.0, 2.0, 1.0, 2.0,
        3.0, 4.0, 3.0, 4.0, 3.0, 4.0,
    ];
    assert_eq!(r.data(), &want);
    assert_eq!(
        m.repeat(&[2]).unwrap_err().to_string(),
        "repeat: shapes [2, 2] and [2] do not fit"
    );
    assert_eq!(v.repeat(&[0, 1]).unwrap().shape(), &[0, 3]);
}

#[test]
fn repeat_interleave_flattens_like_torch() {
    let x = t(&[2], &[1.0, 2.0]);
    assert_eq!(
        x.repeat_interleave(3).unwrap().data(),
        &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    );
    assert_eq!(x.repeat_interleave(0).unwrap().shape(), &[0]);
}

#[test]
fn masked_select_builds_the_chapters_leave_one_out_keys() {
    // keys = X_tile[(1 - eye(n)).bool()].reshape((n, -1)) for x = [10, 20, 30].
    let n = 3;
    let tiled = Tensor::from_slice(&[10.0, 20.0, 30.0])
        .repeat(&[n, 1])
        .unwrap();
    let off_diagonal: Vec<bool> = (0..n * n).map(|i| i / n != i % n).collect();
    let keys = tiled
        .masked_select(&off_diagonal)
        .unwrap()
        .reshape(&[n, n - 1])
        .unwrap();
    assert_eq!(keys.data(), &[20.0, 30.0, 10.0, 30.0, 10.0, 20.0]);
    let err = tiled.masked_select(&[true]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "masked_select: shapes [3, 3] and [1] do not fit"
    );
}

#[test]
fn broadcasting_arithmetic() {
    // X_repeat - x_train: (n, m) minus (m,) subtracts the keys from every row.
    let q = t(&[2, 3], &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    let k = t(&[3], &[0.0, 1.0, 3.0]);
    assert_eq!(q.sub(&k).unwrap().data(), &[1.0, 0.0, -2.0, 2.0, 1.0, -1.0]);
    // A column against a row makes the full table.
    let col = t(&[2, 1], &[1.0, 2.0]);
    let table = col.sub(&k).unwrap();
    assert_eq!(table.shape(), &[2, 3]);
    assert_eq!(table.data(), &[1.0, 0.0, -2.0, 2.0, 1.0, -1.0]);
    assert_eq!(col.mul(&k).unwrap().data(), &[0.0, 1.0, 3.0, 0.0, 2.0, 6.0]);
    assert_eq!(col.add(&k).unwrap().data(), &[1.0, 2.0, 4.0, 2.0, 3.0, 5.0]);
    assert_eq!(k.div(&t(&[1], &[2.0])).unwrap().data(), &[0.0, 0.5, 1.5]);
    let err = q.sub(&t(&[2], &[1.0, 2.0])).unwrap_err();
    assert_eq!(err.to_string(), "sub: shapes [2, 3] and [2] do not fit");
    assert_eq!(k.square().scale(-0.5).data(), &[-0.0, -0.5, -4.5]);
    assert_eq!((k.sum(), k.mean()), (4.0, 4.0 / 3.0));
}

#[test]
fn the_chapters_nonparametric_pooling_through_tensor_ops() {
    // softmax(-(x - x_i)^2 / 2) then a weighted sum, against a direct f64 computation.
    let keys = [0.3f32, 1.1, 2.0, 3.7, 4.4];
    let values = [1.0f32, 2.5, 2.0, -0.5, 0.25];
    let queries = [0.0f32, 1.0, 2.5, 4.9];
    let m = keys.len();
    let x_repeat = Tensor::from_slice(&queries)
        .repeat_interleave(m)
        .unwrap()
        .reshape(&[queries.len(), m])
        .unwrap();
    let scores = x_repeat
        .sub(&Tensor::from_slice(&keys))
        .unwrap()
        .square()
        .scale(-0.5);
    let weights = scores.softmax(Par::Seq).unwrap();
    let y_hat = weights
        .matmul(&Tensor::from_slice(&values), Par::Seq)
        .unwrap();
    for (q, &got) in queries.iter().zip(y_hat.data()) {
        let w: Vec<f64> = keys
            .iter()
            .map(|&k| (-(f64::from(q - k)).powi(2) / 2.0).exp())
            .collect();
        let s: f64 = w.iter().sum();
        let want: f64 = w
            .iter()
            .zip(&values)
            .map(|(w, &v)| w / s * f64::from(v))
            .sum();
        assert!(
            (f64::from(got) - want).abs() < 1e-6,
            "query {q}: {got} vs {want}"
        );
    }
}

//! The projected L-BFGS minimizer against objectives whose minimizers are known in closed form:
//! where it ends, why it stops, what it refuses, and that it never looks outside its box.

use std::cell::RefCell;

use nw_model::optimize::{Lbfgs, Minimum, Side, Stop};
use nw_model::{ModelError, Result};

/// What an objective saw: every point it was called at, with the value it returned.
#[derive(Default)]
struct Log {
    seen: Vec<(Vec<f64>, f64)>,
}

/// Minimizes `f` with every call checked against the box (a call outside it panics, failing
/// the test) and logged.
fn run(
    settings: Lbfgs,
    x0: &[f64],
    bounds: &[(f64, f64)],
    f: impl Fn(&[f64]) -> (f64, Vec<f64>),
) -> (Result<Minimum>, Log) {
    let log = RefCell::new(Log::default());
    let result = settings.minimize(x0, bounds, |x| {
        assert_eq!(x.len(), bounds.len());
        for (i, (&v, &(lo, hi))) in x.iter().zip(bounds).enumerate() {
            assert!(
                lo <= v && v <= hi,
                "evaluated at x[{i}] = {v}, outside [{lo}, {hi}]"
            );
        }
        let (value, grad) = f(x);
        log.borrow_mut().seen.push((x.to_vec(), value));
        Ok((value, grad))
    });
    (result, log.into_inner())
}

/// [`run`], expecting a result whose bookkeeping matches what the objective saw: as many
/// evaluations as calls, the first at the projected start, and the reported point one the
/// objective was called at, with the value it returned there, no higher than the start's.
fn minimize(
    settings: Lbfgs,
    x0: &[f64],
    bounds: &[(f64, f64)],
    f: impl Fn(&[f64]) -> (f64, Vec<f64>),
) -> (Minimum, Log) {
    let (result, log) = run(settings, x0, bounds, f);
    let m = result.expect("minimize");
    assert_eq!(m.evaluations, log.seen.len(), "evaluations against calls");
    let start: Vec<f64> = x0
        .iter()
        .zip(bounds)
        .map(|(&v, &(lo, hi))| v.clamp(lo, hi))
        .collect();
    assert_eq!(
        log.seen[0].0, start,
        "the first call is at the projected start"
    );
    assert!(
        log.seen.iter().any(|(x, f)| *x == m.x && *f == m.f),
        "the minimum {:?} with f = {} was never evaluated",
        m.x,
        m.f
    );
    assert!(m.f <= log.seen[0].1);
    assert!(m.iterations <= m.evaluations);
    (m, log)
}

/// `max_i |x_i - c_i|`.
fn distance(x: &[f64], c: &[f64]) -> f64 {
    x.iter()
        .zip(c)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// `1 + sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2` and its gradient: the chained Rosenbrock
/// function, minimum 1 at all ones. The offset gives the relative tolerances a scale (see the
/// module docs: at a minimum value of 0 they are met only exactly).
fn rosenbrock(x: &[f64]) -> (f64, Vec<f64>) {
    let mut f = 1.0;
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() - 1 {
        let (a, b) = (x[i + 1] - x[i] * x[i], 1.0 - x[i]);
        f += 100.0 * a * a + b * b;
        g[i] += -400.0 * x[i] * a - 2.0 * b;
        g[i + 1] += 200.0 * a;
    }
    (f, g)
}

/// `f0 + (x - c)^T A (x - c) / 2` with a symmetric `A`, and its gradient `A (x - c)`.
fn quadratic(a: &[Vec<f64>], c: &[f64], f0: f64, x: &[f64]) -> (f64, Vec<f64>) {
    let e: Vec<f64> = x.iter().zip(c).map(|(x, c)| x - c).collect();
    let g: Vec<f64> = a
        .iter()
        .map(|row| row.iter().zip(&e).map(|(a, e)| a * e).sum())
        .collect();
    let f = f0 + 0.5 * e.iter().zip(&g).map(|(e, g)| e * g).sum::<f64>();
    (f, g)
}

#[test]
fn a_quadratic_with_cross_terms_ends_at_its_minimizer_in_few_iterations() {
    // Diagonally dominant, so positive definite: the gradient A (x - c) vanishes only at c.
    let a = vec![
        vec![4.0, 1.0, 0.5],
        vec![1.0, 3.0, -1.0],
        vec![0.5, -1.0, 2.0],
    ];
    let c = [0.5, -1.5, 2.0];
    let settings = Lbfgs {
        gradient_tolerance: 1e-12,
        relative_tolerance: 0.0,
        ..Lbfgs::default()
    };
    let bounds = [(-10.0, 10.0); 3];
    let (m, _) = minimize(settings, &[0.0; 3], &bounds, |x| quadratic(&a, &c, 2.0, x));
    assert_eq!(m.stop, Stop::Gradient, "{m:?}");
    assert!(distance(&m.x, &c) < 1e-11, "{m:?}");
    assert!((m.f - 2.0).abs() < 1e-15, "{m:?}");
    // Three dimensions: L-BFGS with exact line searches would need 3; ours are inexact.
    assert!(m.iterations <= 12, "{m:?}");
    assert_eq!(m.at_bounds(&bounds), [None, None, None]);
}

#[test]
fn rosenbrock_in_2_and_5_dimensions_ends_at_all_ones() {
    for x0 in [vec![-1.2, 1.0], vec![-1.2, 1.0, -1.2, 1.0, -1.2]] {
        let bounds = vec![(-5.0, 5.0); x0.len()];
        let (m, _) = minimize(Lbfgs::default(), &x0, &bounds, rosenbrock);
        assert!(m.stop.converged(), "{m:?}");
        assert!(distance(&m.x, &vec![1.0; x0.len()]) < 1e-6, "{m:?}");
        assert!(m.f - 1.0 < 1e-12, "{m:?}");
        assert!(m.iterations < 100, "{m:?}");
    }
}

#[test]
fn a_minimum_outside_the_box_ends_exactly_at_the_bound_and_says_which() {
    // Unconstrained minimizer (3, 1.5, -5). In the box the minimizer is (2, 1, -1): x0 at its
    // upper bound (df/dx0 = -2 < 0 there), x1 = x0 / 2, x2 at its lower bound (df/dx2 = 8).
    let f = |x: &[f64]| {
        let (a, b, c) = (x[0] - 3.0, x[1] - 0.5 * x[0], x[2] + 5.0);
        (
            1.0 + a * a + b * b + c * c,
            vec![2.0 * a - b, 2.0 * b, 2.0 * c],
        )
    };
    let bounds = [(-2.0, 2.0), (-2.0, 2.0), (-1.0, 1.0)];
    // The start lies outside the box too: it is projected to (2, -2, 1).
    let (m, _) = minimize(Lbfgs::default(), &[10.0, -10.0, 7.0], &bounds, f);
    assert!(m.stop.converged(), "{m:?}");
    assert_eq!(m.x[0], 2.0);
    assert_eq!(m.x[2], -1.0);
    assert!((m.x[1] - 1.0).abs() < 1e-6, "{m:?}");
    assert_eq!(
        m.at_bounds(&bounds),
        [Some(Side::Upper), None, Some(Side::Lower)]
    );
}

#[test]
fn a_linear_objective_ends_in_the_corner_its_gradient_points_away_from() {
    let g = [1.0, -2.0, 0.5];
    let f = |x: &[f64]| {
        (
            10.0 + g.iter().zip(x).map(|(g, x)| g * x).sum::<f64>(),
            g.to_vec(),
        )
    };
    let bounds = [(-2.0, 2.0), (-1.0, 3.0), (0.0, 1.0)];
    let (m, _) = minimize(Lbfgs::default(), &[0.0, 0.0, 0.5], &bounds, f);
    assert_eq!(m.stop, Stop::Gradient, "{m:?}");
    assert_eq!(m.x, [-2.0, 3.0, 0.0]);
    assert_eq!(m.f, 10.0 - 2.0 - 6.0);
    assert_eq!(
        m.at_bounds(&bounds),
        [Some(Side::Lower), Some(Side::Upper), Some(Side::Lower)]
    );
}

#[test]
fn an_objective_undefined_beyond_x_equals_1_still_converges_on_the_finite_side() {
    // Minimum 0.5 at (0.9, 0.3), just short of the edge; the first step (1 in x0, the
    // coordinate with the largest gradient) lands at x0 = 1.5, where the objective is undefined.
    for undefined in [f64::INFINITY, f64::NAN] {
        let f = |x: &[f64]| {
            if x[0] > 1.0 {
                return (undefined, vec![undefined; 2]);
            }
            let (a, b) = (x[0] - 0.9, x[1] - 0.3);
            (
                0.5 + a * a + 2.0 * b * b + a * b,
                vec![2.0 * a + b, 4.0 * b + a],
            )
        };
        let bounds = [(-5.0, 5.0); 2];
        let (m, log) = minimize(Lbfgs::default(), &[0.5, 0.3], &bounds, f);
        let undefined_calls = log.seen.iter().filter(|(x, _)| x[0] > 1.0).count();
        assert!(
            undefined_calls >= 1,
            "the search never met the undefined part"
        );
        assert!(m.stop.converged(), "{m:?}");
        assert!(distance(&m.x, &[0.9, 0.3]) < 1e-6, "{m:?}");
        assert!(m.f.is_finite() && (m.f - 0.5).abs() < 1e-12, "{m:?}");
    }
}

#[test]
fn sixteen_coupled_variables_end_at_their_minimizer() {
    // sum_i (1 + i) e_i^2 + sum_i e_i e_{i+1} + sum_i (e_i - e_{i+1})^4 with e = x - c: the
    // quadratic part's Hessian (diagonal 2 + 2i, off-diagonal 1) is diagonally dominant, the
    // quartic is convex, and every term vanishes at e = 0: the unique minimizer is c.
    let n = 16;
    let c: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin() * 2.0).collect();
    let f = |x: &[f64]| {
        let e: Vec<f64> = x.iter().zip(&c).map(|(x, c)| x - c).collect();
        let mut f = 1.0;
        let mut g = vec![0.0; n];
        for i in 0..n {
            f += (1.0 + i as f64) * e[i] * e[i];
            g[i] += 2.0 * (1.0 + i as f64) * e[i];
        }
        for i in 0..n - 1 {
            let d = e[i] - e[i + 1];
            f += e[i] * e[i + 1] + d.powi(4);
            g[i] += e[i + 1] + 4.0 * d.powi(3);
            g[i + 1] += e[i] - 4.0 * d.powi(3);
        }
        (f, g)
    };
    let bounds = vec![(-3.0, 3.0); n];
    let tight = Lbfgs {
        gradient_tolerance: 1e-10,
        relative_tolerance: 0.0,
        ..Lbfgs::default()
    };
    let (m, _) = minimize(tight, &vec![0.0; n], &bounds, f);
    // Near f = 1, f64's spacing (2.2e-16) hides the excess of errors below about 1e-8 (the
    // Hessian's eigenvalues lie in [1, 35], Gershgorin), so the search ends when an iteration
    // no longer lowers f at all, that close to c.
    assert_eq!(m.stop, Stop::Decrease, "{m:?}");
    assert!(distance(&m.x, &c) < 1e-7, "{m:?}");
    assert!((m.f - 1.0).abs() < 1e-15, "{m:?}");
    assert!(m.iterations < 60, "{m:?}");

    // The defaults stop earlier (here on the decrease test), still near c.
    let (m, _) = minimize(Lbfgs::default(), &vec![0.0; n], &bounds, f);
    assert!(m.stop.converged(), "{m:?}");
    assert!(distance(&m.x, &c) < 1e-4, "{m:?}");
}

/// A deterministic hash of a point's bits into `[-0.5, 0.5)` (splitmix64's finalizer).
fn jitter(x: &[f64], salt: u64) -> f64 {
    let mut h = salt;
    for v in x {
        h ^= v.to_bits();
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
    }
    (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

#[test]
fn the_defaults_converge_on_a_cv_like_objective_with_rounding_noise() {
    // A CV curve in log-bandwidths: a minimum of 0.25 (the noise variance) at x*, rising by a
    // few percent over a factor e, with rounding noise of 1e-7 of the value in the value and
    // in each gradient entry, as CV computed with f32 kernels carries.
    let star = [-1.5, 0.4, 2.0];
    let f = |x: &[f64]| {
        let e: Vec<f64> = x.iter().zip(&star).map(|(x, s)| x - s).collect();
        let q = 0.05 * (e[0] * e[0] + e[1] * e[1] + e[2] * e[2]) + 0.02 * e[0] * e[1];
        let dq = [
            0.1 * e[0] + 0.02 * e[1],
            0.1 * e[1] + 0.02 * e[0],
            0.1 * e[2],
        ];
        let value = 0.25 * (1.0 + q) * (1.0 + 1e-7 * jitter(x, 1));
        let grad = (0..3)
            .map(|i| 0.25 * (dq[i] + 1e-7 * jitter(x, 2 + i as u64)))
            .collect();
        (value, grad)
    };
    let bounds = [(-10.0, 10.0); 3];
    let (m, _) = minimize(Lbfgs::default(), &[0.0; 3], &bounds, f);
    assert!(m.stop.converged(), "{m:?}");
    // 1e-3 in log h is 0.1% of the bandwidth.
    assert!(distance(&m.x, &star) < 1e-3, "{m:?}");
}

#[test]
fn budgets_stop_the_search_where_the_objective_last_was() {
    let bounds = [(-5.0, 5.0); 2];
    let few = Lbfgs {
        max_evaluations: 7,
        ..Lbfgs::default()
    };
    let (m, log) = minimize(few, &[-1.2, 1.0], &bounds, rosenbrock);
    assert_eq!(m.stop, Stop::Evaluations);
    assert_eq!((m.evaluations, log.seen.len()), (7, 7));
    assert!(!m.stop.converged());

    let short = Lbfgs {
        max_iterations: 3,
        ..Lbfgs::default()
    };
    let (m, _) = minimize(short, &[-1.2, 1.0], &bounds, rosenbrock);
    assert_eq!((m.stop, m.iterations), (Stop::Iterations, 3));

    // One evaluation: the start, and nothing else.
    let one = Lbfgs {
        max_evaluations: 1,
        ..Lbfgs::default()
    };
    let (m, _) = minimize(one, &[-1.2, 1.0], &bounds, rosenbrock);
    assert_eq!(
        (m.stop, m.iterations, m.evaluations),
        (Stop::Evaluations, 0, 1)
    );
    assert_eq!(m.x, [-1.2, 1.0]);
    assert_eq!((m.f, m.grad.clone()), rosenbrock(&[-1.2, 1.0]));
}

#[test]
fn a_start_where_the_objective_is_not_finite_is_an_error() {
    let bounds = [(0.0, 1.0); 2];
    let (result, log) = run(Lbfgs::default(), &[2.0, 0.5], &bounds, |_| {
        (f64::INFINITY, vec![0.0; 2])
    });
    let err = result.unwrap_err();
    assert_eq!(
        err,
        ModelError::StartNotFinite {
            what: "value".into(),
            value: f64::INFINITY,
            x0: vec![1.0, 0.5],
        }
    );
    assert_eq!(
        err.to_string(),
        "minimize: the objective's value is inf at the start x0 = [1.0, 0.5]; the search needs \
         a finite value and gradient there"
    );
    assert_eq!(log.seen.len(), 1);

    let (result, _) = run(Lbfgs::default(), &[0.5, 0.5], &bounds, |_| {
        (1.0, vec![0.0, f64::NAN])
    });
    let err = result.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("minimize: the objective's gradient[1] is NaN at the start"),
        "{err}"
    );
}

#[test]
fn an_error_from_the_objective_is_returned_as_it_is() {
    let mut calls = 0;
    let err = Lbfgs::default()
        .minimize(&[-1.2, 1.0], &[(-5.0, 5.0); 2], |x| {
            calls += 1;
            if calls == 4 {
                return Err(ModelError::NoKeys);
            }
            Ok(rosenbrock(x))
        })
        .unwrap_err();
    assert_eq!(err, ModelError::NoKeys);
    assert_eq!(calls, 4, "no call after the error");
}

#[test]
fn a_gradient_of_the_wrong_length_is_an_error() {
    let (result, _) = run(Lbfgs::default(), &[0.5, 0.5], &[(0.0, 1.0); 2], |_| {
        (1.0, vec![0.0; 3])
    });
    assert_eq!(
        result.unwrap_err().to_string(),
        "minimize: 2 coordinate(s) but 3 gradient(s)"
    );
}

#[test]
fn bad_starts_and_bounds_are_refused_before_any_evaluation() {
    /// A start, its bounds and the error they get.
    type Case<'a> = (&'a [f64], &'a [(f64, f64)], &'a str);
    let cases: [Case; 6] = [
        (&[], &[], "x0 must be at least one coordinate, got 0"),
        (
            &[0.0, f64::NAN],
            &[(0.0, 1.0); 2],
            "x0 must be a number in every coordinate, got NaN",
        ),
        (
            &[0.0, 0.0],
            &[(0.0, 1.0); 3],
            "minimize: x0 has 2 coordinate(s) but 3 (lo, hi) bound(s) were given",
        ),
        (
            &[0.0, 0.0],
            &[(0.0, 1.0), (2.0, 1.0)],
            "minimize: bounds[1] = (2, 1); each coordinate needs finite bounds with lo < hi",
        ),
        (
            &[0.0],
            &[(1.0, 1.0)],
            "minimize: bounds[0] = (1, 1); each coordinate needs finite bounds with lo < hi",
        ),
        (
            &[0.0],
            &[(f64::NEG_INFINITY, 1.0)],
            "minimize: bounds[0] = (-inf, 1); each coordinate needs finite bounds with lo < hi",
        ),
    ];
    for (x0, bounds, want) in cases {
        let (result, log) = run(Lbfgs::default(), x0, bounds, |_| unreachable!());
        assert_eq!(result.unwrap_err().to_string(), want);
        assert!(log.seen.is_empty());
    }
    // An infinite start is projected onto its bound.
    let (m, _) = minimize(Lbfgs::default(), &[f64::INFINITY], &[(0.0, 1.0)], |x| {
        (1.0 + x[0], vec![1.0])
    });
    assert_eq!((m.x, m.f), (vec![0.0], 1.0));
}

#[test]
fn bad_settings_are_refused() {
    let d = Lbfgs::default();
    let cases = [
        (
            Lbfgs { memory: 0, ..d },
            "lbfgs.memory must be between 1 and 1000, got 0",
        ),
        (
            Lbfgs {
                max_iterations: 0,
                ..d
            },
            "lbfgs.max_iterations must be at least 1, got 0",
        ),
        (
            Lbfgs {
                max_evaluations: 0,
                ..d
            },
            "lbfgs.max_evaluations must be at least 1, got 0",
        ),
        (
            Lbfgs {
                gradient_tolerance: f64::NAN,
                ..d
            },
            "lbfgs.gradient_tolerance must be finite and at least 0, got NaN",
        ),
        (
            Lbfgs {
                relative_tolerance: -1e-9,
                ..d
            },
            "lbfgs.relative_tolerance must be finite and at least 0, got -0.000000001",
        ),
    ];
    for (settings, want) in cases {
        assert_eq!(settings.check().unwrap_err().to_string(), want);
        let (result, log) = run(settings, &[0.5], &[(0.0, 1.0)], |_| unreachable!());
        assert_eq!(result.unwrap_err().to_string(), want);
        assert!(log.seen.is_empty());
    }
    assert_eq!(d.check(), Ok(()));
}

#[test]
fn the_same_objective_gives_the_same_evaluations() {
    let bounds = [(-5.0, 5.0); 5];
    let x0 = [-1.2, 1.0, -1.2, 1.0, -1.2];
    let (a, log_a) = minimize(Lbfgs::default(), &x0, &bounds, rosenbrock);
    let (b, log_b) = minimize(Lbfgs::default(), &x0, &bounds, rosenbrock);
    assert_eq!(a, b);
    assert_eq!(log_a.seen, log_b.seen);
}

#[test]
fn a_minimum_value_of_0_is_reached_to_the_limit_of_f64_and_said_to_be_no_convergence() {
    // Both tolerances are relative to |f|: at f* = 0 neither is met before f is 0 exactly, so
    // the search goes on until no step lowers f (the module docs' advice: add an offset).
    let bounds = [(-5.0, 5.0); 2];
    let plain = |x: &[f64]| {
        let (f, g) = rosenbrock(x);
        (f - 1.0, g)
    };
    let (m, _) = minimize(Lbfgs::default(), &[-1.2, 1.0], &bounds, plain);
    assert_eq!(m.stop, Stop::LineSearch, "{m:?}");
    assert!(!m.stop.converged());
    assert!(distance(&m.x, &[1.0, 1.0]) < 1e-8, "{m:?}");
    assert!(m.f < 1e-16, "{m:?}");
}

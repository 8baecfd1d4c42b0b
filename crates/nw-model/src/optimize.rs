//! A box-constrained quasi-Newton minimizer, for choosing `d` bandwidths at once by
//! leave-one-out CV over the log-bandwidths `x = (ln h_1, ..., ln h_d)`.
//!
//! # The method
//! Projected L-BFGS. Bounds are kept by projection onto the box, never by penalty: a
//! coordinate at a bound whose gradient points out of the box is held there for the step, and
//! every trial point is clamped into the box. So the objective is never evaluated outside the
//! box, which for log-bandwidths means never at a bandwidth that is zero, negative or not
//! finite. The direction is the L-BFGS two-loop recursion (Nocedal & Wright, *Numerical
//! Optimization*, 2nd ed., Algorithm 7.4) over the last [`Lbfgs::memory`] steps, scaled by
//! `s.y / y.y` of the newest (their eq. 7.20), run in the subspace of the coordinates not
//! held: a bound that holds one bandwidth then does not bend the curvature estimated for the
//! others (with the whole vectors, a search whose minimum lies on a bound crawled along the
//! free coordinates). The line search, in the spirit of their Algorithm 3.5 with bisection in
//! place of cubic zooming, backtracks along the projected path `P(x + alpha d)` until Armijo's
//! sufficient decrease holds, and widens or narrows its bracket a few times more to meet the
//! weak Wolfe curvature condition, which keeps `s.y > 0`; a pair with `s.y <= eps * y.y`
//! (in the whole space, or in the free subspace when it is used) is left out, so the inverse
//! Hessian estimate stays positive definite. The first step, and the first after a failed
//! line search clears the memory, follows the projected steepest descent and moves exactly 1
//! in the coordinate that moves most: a factor `e` in that bandwidth. Later steps try the
//! quasi-Newton step (`alpha = 1`) first.
//!
//! # Where the objective is undefined
//! CV is undefined where no example has a leave-one-out estimate (a compact kernel at tiny
//! bandwidths). The objective may return `+inf` or NaN there, in its value or its gradient:
//! the line search treats such a point as too far and backtracks. Only the start must be
//! finite ([`ModelError::StartNotFinite`]). An error the objective returns ends the search and
//! is returned as it is.
//!
//! # When it stops
//! [`Minimum::stop`] says why. Both tolerances are relative to `|f|`, because CV is in the
//! targets' units squared: an absolute tolerance (scipy's `pgtol`, or its `max(|f|, 1)` floor)
//! would stop at once on targets measured in small units and never on large ones.
//! - [`Stop::Gradient`]: the projected gradient, `max_i |P(x - g)_i - x_i|` (`P` clamps into
//!   the box; the L-BFGS-B measure), is at most `gradient_tolerance * |f|`: a move of 1 in
//!   `x` (a factor `e` in a bandwidth) changes `f` by that share of itself, to first order.
//!   The default `1e-6` sits ten times above the `~1e-7` relative rounding of CV computed with
//!   f32 kernels (f64 sums of f32 terms), so the test can be met; where CV rises by a share
//!   `c x^2 / 2` of itself around its minimum, it leaves `x` within about `1e-6 / c`.
//! - [`Stop::Decrease`]: an iteration lowered `f` by at most `relative_tolerance` of `|f|`.
//!   The default `1e-9` is about scipy's (`factr = 1e7` times f64's epsilon, `2.2e-9`).
//! - [`Stop::LineSearch`]: no step along the projected steepest descent gave sufficient
//!   decrease (an L-BFGS direction that fails is retried from steepest descent first). With
//!   a noisy objective this is its noise floor; with an exact one, the limit of f64.
//! - [`Stop::Iterations`], [`Stop::Evaluations`]: a budget ran out.
//!
//! An objective whose minimum value is 0 meets neither relative test before it reaches 0
//! exactly: give it an offset (the tests minimize `1 + rosenbrock`), or expect it to stop at
//! the limit of f64.
//!
//! # Why not `argmin`
//! `argmin` (checked on docs.rs) has L-BFGS with More-Thuente, Hager-Zhang and backtracking
//! line searches, a gradient-norm and an absolute cost-change tolerance, and OWL-QN for L1
//! penalties, but its L-BFGS takes no bounds (an L-BFGS-B solver was proposed in
//! argmin-rs/argmin#656); it runs through its `Executor` with `CostFunction` and `Gradient`
//! traits and an `argmin-math` backend. We need box projection (its L-BFGS has none),
//! tolerances relative to `|f|` (its cost tolerance is absolute) and a line search that steps
//! back from `+inf`, over a handful of coordinates: one file of our own is shorter than an
//! adapter around the framework, and the numeric core keeps its short dependency list.
//!
//! # Determinism
//! No randomness and no threads: the same objective and start give the same evaluations in
//! the same order.

use std::collections::VecDeque;

use crate::{ModelError, Result};

/// Armijo's sufficient-decrease constant (`c1`), the usual one.
const ARMIJO: f64 = 1e-4;
/// The weak Wolfe curvature constant (`c2`), the usual one for quasi-Newton methods.
const CURVATURE: f64 = 0.9;
/// Trials of one line search before it gives up on finding a lower point: each cuts the
/// step at least in half, so 20 reach a millionth of the first.
const MAX_TRIALS: usize = 20;
/// Extra trials a line search spends on the curvature condition once it holds a lower point;
/// past them it takes that point and the update may be skipped.
const MAX_CURVATURE_TRIALS: usize = 10;

/// Settings of the projected L-BFGS search; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lbfgs {
    /// Curvature pairs `(s, y)` kept for the two-loop recursion.
    pub memory: usize,
    /// Most iterations (accepted steps).
    pub max_iterations: usize,
    /// Most evaluations of the objective, the start's included.
    pub max_evaluations: usize,
    /// Stop when the projected gradient is at most this share of `|f|`.
    pub gradient_tolerance: f64,
    /// Stop when an iteration lowers `f` by at most this share of `|f|`.
    pub relative_tolerance: f64,
}

impl Default for Lbfgs {
    /// 7 pairs, 100 iterations, 400 evaluations, gradient tolerance `1e-6` and relative
    /// decrease `1e-9` (both relative to `|f|`; see the module docs).
    fn default() -> Self {
        Lbfgs {
            memory: 7,
            max_iterations: 100,
            max_evaluations: 400,
            gradient_tolerance: 1e-6,
            relative_tolerance: 1e-9,
        }
    }
}

/// Why a search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The projected gradient fell to `gradient_tolerance * |f|`.
    Gradient,
    /// An iteration lowered `f` by at most `relative_tolerance * |f|`.
    Decrease,
    /// `max_iterations` steps were taken.
    Iterations,
    /// `max_evaluations` evaluations were spent.
    Evaluations,
    /// No step along the projected steepest descent lowered `f`.
    LineSearch,
}

impl Stop {
    /// Whether one of the tolerances was met (not a budget or a failed line search).
    pub fn converged(self) -> bool {
        matches!(self, Stop::Gradient | Stop::Decrease)
    }
}

/// Which end of its range a coordinate sits at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// At its lower bound.
    Lower,
    /// At its upper bound.
    Upper,
}

/// The point a search ended at, and how it got there.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimum {
    /// The last accepted point, inside the bounds.
    pub x: Vec<f64>,
    /// The objective's value there.
    pub f: f64,
    /// The objective's gradient there.
    pub grad: Vec<f64>,
    /// Accepted steps.
    pub iterations: usize,
    /// Calls of the objective, the start's included.
    pub evaluations: usize,
    /// Why the search stopped.
    pub stop: Stop,
}

impl Minimum {
    /// For each coordinate, the bound it ended at, if any (`bounds` as given to the search).
    ///
    /// Exact comparison is right here: the search clamps into the box, so a coordinate that
    /// reached a bound holds that bound's value.
    pub fn at_bounds(&self, bounds: &[(f64, f64)]) -> Vec<Option<Side>> {
        self.x
            .iter()
            .zip(bounds)
            .map(|(&x, &(lo, hi))| {
                if x <= lo {
                    Some(Side::Lower)
                } else if x >= hi {
                    Some(Side::Upper)
                } else {
                    None
                }
            })
            .collect()
    }
}

impl Lbfgs {
    /// Refuses settings the search cannot run with.
    pub fn check(&self) -> Result<()> {
        let bad = |name: &'static str, expected: &'static str, value: f64| {
            Err(ModelError::Parameter {
                name,
                expected,
                value,
            })
        };
        if !(1..=1000).contains(&self.memory) {
            return bad("lbfgs.memory", "between 1 and 1000", self.memory as f64);
        }
        if self.max_iterations == 0 {
            return bad("lbfgs.max_iterations", "at least 1", 0.0);
        }
        if self.max_evaluations == 0 {
            return bad("lbfgs.max_evaluations", "at least 1", 0.0);
        }
        if !(self.gradient_tolerance >= 0.0 && self.gradient_tolerance.is_finite()) {
            return bad(
                "lbfgs.gradient_tolerance",
                "finite and at least 0",
                self.gradient_tolerance,
            );
        }
        if !(self.relative_tolerance >= 0.0 && self.relative_tolerance.is_finite()) {
            return bad(
                "lbfgs.relative_tolerance",
                "finite and at least 0",
                self.relative_tolerance,
            );
        }
        Ok(())
    }

    /// Minimizes `f` (its value and gradient at a point) over the box `bounds`, from `x0`
    /// projected into the box.
    ///
    /// Errors: bad settings ([`ModelError::Parameter`]), an empty or NaN start, bounds that do
    /// not pair up with `x0` ([`ModelError::BoundsCount`]) or are reversed or not finite
    /// ([`ModelError::Bounds`]), an objective that is not finite at the start
    /// ([`ModelError::StartNotFinite`]) or returns a gradient of the wrong length
    /// ([`ModelError::Gradients`]), and any error `f` returns.
    pub fn minimize(
        &self,
        x0: &[f64],
        bounds: &[(f64, f64)],
        f: impl FnMut(&[f64]) -> Result<(f64, Vec<f64>)>,
    ) -> Result<Minimum> {
        self.check()?;
        check_box(x0, bounds)?;
        let mut objective = Objective {
            f,
            evaluations: 0,
            max: self.max_evaluations,
        };
        let x: Vec<f64> = x0
            .iter()
            .zip(bounds)
            .map(|(&v, &(lo, hi))| v.clamp(lo, hi))
            .collect();
        let mut current = objective.eval(x)?;
        if let Some((what, value)) = current.not_finite() {
            return Err(ModelError::StartNotFinite {
                what,
                value,
                x0: current.x,
            });
        }
        let mut memory: VecDeque<Pair> = VecDeque::with_capacity(self.memory);
        let mut iterations = 0;
        let stop = loop {
            if projected_gradient(&current, bounds) <= self.gradient_tolerance * current.f.abs() {
                break Stop::Gradient;
            }
            if iterations == self.max_iterations {
                break Stop::Iterations;
            }
            let mut found = line_search(&mut objective, &current, bounds, &memory)?;
            if matches!(found, Search::Failed { quasi_newton: true }) {
                // The curvature pairs point nowhere useful from here: start them afresh.
                memory.clear();
                found = line_search(&mut objective, &current, bounds, &memory)?;
            }
            let (next, exhausted) = match found {
                Search::Step { point, exhausted } => (point, exhausted),
                Search::Failed { .. } => break Stop::LineSearch,
                Search::Exhausted => break Stop::Evaluations,
            };
            remember(&mut memory, self.memory, &current, &next);
            let decrease = current.f - next.f;
            let scale = current.f.abs().max(next.f.abs());
            current = next;
            iterations += 1;
            if projected_gradient(&current, bounds) <= self.gradient_tolerance * current.f.abs() {
                break Stop::Gradient;
            }
            if decrease <= self.relative_tolerance * scale {
                break Stop::Decrease;
            }
            if exhausted {
                break Stop::Evaluations;
            }
        };
        Ok(Minimum {
            x: current.x,
            f: current.f,
            grad: current.g,
            iterations,
            evaluations: objective.evaluations,
            stop,
        })
    }
}

/// A start with at least one coordinate, none NaN, and one finite `lo < hi` per coordinate.
fn check_box(x0: &[f64], bounds: &[(f64, f64)]) -> Result<()> {
    if x0.is_empty() {
        return Err(ModelError::Parameter {
            name: "x0",
            expected: "at least one coordinate",
            value: 0.0,
        });
    }
    if let Some(&value) = x0.iter().find(|v| v.is_nan()) {
        // An infinite start is projected onto its bound; NaN has no place in the box.
        return Err(ModelError::Parameter {
            name: "x0",
            expected: "a number in every coordinate",
            value,
        });
    }
    if bounds.len() != x0.len() {
        return Err(ModelError::BoundsCount {
            coordinates: x0.len(),
            bounds: bounds.len(),
        });
    }
    for (index, &(lo, hi)) in bounds.iter().enumerate() {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(ModelError::Bounds { index, lo, hi });
        }
    }
    Ok(())
}

/// A point with the objective's value and gradient there.
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

impl Point {
    /// What is not finite at this point (`value` or `gradient[i]`) and its value, if anything.
    fn not_finite(&self) -> Option<(String, f64)> {
        if !self.f.is_finite() {
            return Some(("value".to_owned(), self.f));
        }
        let (i, &g) = self.g.iter().enumerate().find(|(_, g)| !g.is_finite())?;
        Some((format!("gradient[{i}]"), g))
    }
}

/// The caller's objective with its evaluation count and budget.
struct Objective<F> {
    f: F,
    evaluations: usize,
    max: usize,
}

impl<F: FnMut(&[f64]) -> Result<(f64, Vec<f64>)>> Objective<F> {
    /// Whether the budget is spent.
    fn exhausted(&self) -> bool {
        self.evaluations >= self.max
    }

    /// The objective at `x`, with a gradient of the right length.
    fn eval(&mut self, x: Vec<f64>) -> Result<Point> {
        self.evaluations += 1;
        let (f, g) = (self.f)(&x)?;
        if g.len() != x.len() {
            return Err(ModelError::Gradients {
                op: "minimize",
                what: "coordinate(s)",
                expected: x.len(),
                got: g.len(),
            });
        }
        Ok(Point { x, f, g })
    }
}

/// `max_i |P(x - g)_i - x_i|`: how far a unit steepest-descent step moves, after clamping.
fn projected_gradient(p: &Point, bounds: &[(f64, f64)]) -> f64 {
    p.x.iter()
        .zip(&p.g)
        .zip(bounds)
        .map(|((&x, &g), &(lo, hi))| ((x - g).clamp(lo, hi) - x).abs())
        .fold(0.0, f64::max)
}

/// One curvature pair: a step `s` and the change `y` of the gradient over it.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// Whether a pair's curvature `s.y` is safely positive, the L-BFGS-B rule `s.y > eps * y.y`:
/// only then does it keep the inverse Hessian estimate positive definite.
fn curved(sy: f64, yy: f64) -> bool {
    sy > f64::EPSILON * yy && yy > 0.0 && sy.is_finite() && yy.is_finite()
}

/// Stores the step from `from` to `to` unless its curvature is not safely positive,
/// dropping the oldest pair beyond `capacity`.
fn remember(memory: &mut VecDeque<Pair>, capacity: usize, from: &Point, to: &Point) {
    let s: Vec<f64> = to.x.iter().zip(&from.x).map(|(a, b)| a - b).collect();
    let y: Vec<f64> = to.g.iter().zip(&from.g).map(|(a, b)| a - b).collect();
    if !curved(dot(&s, &y), dot(&y, &y)) {
        return;
    }
    if memory.len() == capacity {
        memory.pop_front();
    }
    memory.push_back(Pair { s, y });
}

/// Whether coordinate `i` is held at its bound for this step: it sits there and the gradient
/// points out of the box.
fn held(p: &Point, bounds: &[(f64, f64)], i: usize) -> bool {
    let (lo, hi) = bounds[i];
    (p.x[i] <= lo && p.g[i] > 0.0) || (p.x[i] >= hi && p.g[i] < 0.0)
}

/// The search direction, the first step length to try along it, and whether it is an L-BFGS
/// direction (not the projected steepest descent).
///
/// The two-loop recursion runs in the subspace of the free coordinates (those not held):
/// each pair is restricted to them and used only while its curvature there is safely
/// positive, so the bounds that hold a coordinate do not bend the others' curvature. The
/// direction is zeroed wherever it would push a coordinate at its bound outward, which
/// keeps it a descent direction (each dropped term `g_i d_i` is `>= 0`). With no usable pair,
/// or if rounding leaves no descent, the projected steepest descent is used, scaled to move
/// 1 in its largest coordinate.
fn direction(p: &Point, bounds: &[(f64, f64)], memory: &VecDeque<Pair>) -> (Vec<f64>, f64, bool) {
    let n = p.x.len();
    let free: Vec<bool> = (0..n).map(|i| !held(p, bounds, i)).collect();
    let q: Vec<f64> = (0..n).map(|i| if free[i] { p.g[i] } else { 0.0 }).collect();
    let steepest = || {
        let d: Vec<f64> = q.iter().map(|g| -g).collect();
        let largest = d.iter().fold(0.0, |m: f64, v| m.max(v.abs()));
        (d, 1.0 / largest, false)
    };
    let restrict = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .zip(&free)
            .map(|(&v, &free)| if free { v } else { 0.0 })
            .collect()
    };
    let pairs: Vec<(Vec<f64>, Vec<f64>, f64)> = memory
        .iter()
        .filter_map(|pair| {
            let (s, y) = (restrict(&pair.s), restrict(&pair.y));
            let (sy, yy) = (dot(&s, &y), dot(&y, &y));
            curved(sy, yy).then(|| (s, y, 1.0 / sy))
        })
        .collect();
    let Some((s_new, y_new, _)) = pairs.last() else {
        return steepest();
    };
    // Nocedal & Wright, Algorithm 7.4, with H0 = (s.y / y.y) I from the newest pair (7.20).
    let mut r = q.clone();
    let mut alphas = Vec::with_capacity(pairs.len());
    for (s, y, rho) in pairs.iter().rev() {
        let a = rho * dot(s, &r);
        r.iter_mut().zip(y).for_each(|(r, y)| *r -= a * y);
        alphas.push(a);
    }
    let gamma = dot(s_new, y_new) / dot(y_new, y_new);
    r.iter_mut().for_each(|r| *r *= gamma);
    for ((s, y, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
        let b = rho * dot(y, &r);
        r.iter_mut().zip(s).for_each(|(r, s)| *r += (a - b) * s);
    }
    let d: Vec<f64> = (0..n)
        .map(|i| {
            let (lo, hi) = bounds[i];
            let di = -r[i];
            let outward = (p.x[i] <= lo && di < 0.0) || (p.x[i] >= hi && di > 0.0);
            if !free[i] || outward { 0.0 } else { di }
        })
        .collect();
    let slope = dot(&p.g, &d);
    if slope < 0.0 && d.iter().all(|v| v.is_finite()) {
        (d, 1.0, true)
    } else {
        steepest()
    }
}

/// What a line search found.
enum Search {
    /// A point with sufficient decrease; `exhausted` when the budget ran out after it.
    Step { point: Point, exhausted: bool },
    /// No lower point along the direction, an L-BFGS one or the projected steepest descent.
    Failed { quasi_newton: bool },
    /// The budget ran out before a lower point was found.
    Exhausted,
}

/// Searches along the projected path `P(x + alpha d)` for Armijo's sufficient decrease and,
/// while it can, the weak Wolfe curvature condition.
///
/// The bracket `[lo, hi]` of step lengths starts as `[0, inf)`: a point without sufficient
/// decrease, or where the objective is not finite, ends it from above (the first such cut by
/// the minimum of the quadratic through `f(x)`, the slope and the trial, kept within
/// `[0.1, 0.5]` of the step; later ones by bisection); a point with sufficient decrease but a
/// slope still steep raises it from below (doubling until it is closed).
fn line_search<F: FnMut(&[f64]) -> Result<(f64, Vec<f64>)>>(
    objective: &mut Objective<F>,
    current: &Point,
    bounds: &[(f64, f64)],
    memory: &VecDeque<Pair>,
) -> Result<Search> {
    let (d, first, quasi_newton) = direction(current, bounds, memory);
    // Past this length every moving coordinate sits at a bound: longer steps reach no new point.
    let reach = d
        .iter()
        .zip(&current.x)
        .zip(bounds)
        .filter(|((d, _), _)| **d != 0.0)
        .map(|((&d, &x), &(lo, hi))| if d > 0.0 { (hi - x) / d } else { (lo - x) / d })
        .fold(0.0, f64::max);
    // A first step beyond `reach` reaches the same point as `reach` itself.
    let (mut lo, mut hi, mut alpha) = (0.0, f64::INFINITY, first.min(reach));
    if !(alpha > 0.0 && alpha.is_finite()) {
        // A direction so small that no finite step length moves along it.
        return Ok(Search::Failed { quasi_newton });
    }
    let mut best: Option<Point> = None;
    let mut curvature_trials = 0;
    for _ in 0..MAX_TRIALS {
        let x: Vec<f64> = current
            .x
            .iter()
            .zip(&d)
            .zip(bounds)
            .map(|((&x, &d), &(lo, hi))| {
                if d == 0.0 {
                    x
                } else {
                    (x + alpha * d).clamp(lo, hi)
                }
            })
            .collect();
        if x == current.x {
            break;
        }
        let step: Vec<f64> = x.iter().zip(&current.x).map(|(a, b)| a - b).collect();
        let slope = dot(&current.g, &step);
        if slope.is_nan() || slope >= 0.0 {
            // Clamping bent the path away from descent: shorter steps clamp less.
            hi = alpha;
            alpha = 0.5 * (lo + hi);
            continue;
        }
        if objective.exhausted() {
            return Ok(match best {
                Some(point) => Search::Step {
                    point,
                    exhausted: true,
                },
                None => Search::Exhausted,
            });
        }
        let trial = objective.eval(x)?;
        let finite = trial.not_finite().is_none();
        if !(finite && trial.f <= current.f + ARMIJO * slope) {
            hi = alpha;
            alpha = if lo == 0.0 && finite {
                // The trial failed Armijo, so trial.f - current.f - slope > (1 - c1) |slope| > 0.
                let q = -slope * alpha / (2.0 * (trial.f - current.f - slope));
                q.clamp(0.1 * alpha, 0.5 * alpha)
            } else {
                0.5 * (lo + hi)
            };
        } else {
            let flat = dot(&trial.g, &step) >= CURVATURE * slope;
            if best.as_ref().is_none_or(|b| trial.f < b.f) {
                best = Some(trial);
            }
            if flat || alpha >= reach {
                break;
            }
            lo = alpha;
            alpha = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                2.0 * alpha
            };
        }
        if best.is_some() {
            curvature_trials += 1;
            if curvature_trials > MAX_CURVATURE_TRIALS {
                break;
            }
        }
    }
    Ok(match best {
        Some(point) => Search::Step {
            point,
            exhausted: objective.exhausted(),
        },
        None => Search::Failed { quasi_newton },
    })
}

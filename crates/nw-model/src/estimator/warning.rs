//! Why a fitted model's bandwidths deserve less trust than an ordinary answer.

use crate::bandwidth;

/// A weak answer of the bandwidth choice, naming the input it concerns.
#[derive(Clone, Debug, PartialEq)]
pub enum Warning {
    /// A warning of the one-input search, exactly as [`bandwidth::select`] gives it.
    Search(bandwidth::Warning),
    /// CV is lowest with this input's bandwidth at the smallest the search allows.
    LowerEnd {
        /// The 0-based input.
        input: usize,
        /// Its bandwidth, in its units.
        h: f64,
    },
    /// CV is lowest with this input's bandwidth at the largest the search allows, or on a
    /// plateau reaching it.
    UpperEnd {
        /// The 0-based input.
        input: usize,
        /// Its bandwidth, in its units.
        h: f64,
    },
    /// CV hardly changes (within `1e-6` of its lowest value) while this input's bandwidth
    /// moves over a decade or more.
    Flat {
        /// The 0-based input.
        input: usize,
        /// The smallest bandwidth of the flat stretch found.
        from: f64,
        /// The largest.
        to: f64,
    },
    /// CV changes by less than `1e-3` (relative) when this input's bandwidth grows tenfold:
    /// the input hardly matters beside the others.
    Insensitive {
        /// The 0-based input.
        input: usize,
        /// Its bandwidth, in its units.
        h: f64,
        /// The relative change of CV at ten times the bandwidth.
        change: f64,
    },
    /// A compact kernel's minimum where an example just leaves CV: widening every bandwidth
    /// by 0.1% brings it back, and the score with it.
    EdgeOfReach {
        /// Examples left out at the chosen bandwidths.
        isolated: usize,
        /// Left out at bandwidths 0.1% wider.
        wider: usize,
        /// CV there.
        cv_wider: f64,
    },
    /// Examples left out of the chosen CV score for having no other within reach.
    Isolated {
        /// How many.
        count: usize,
        /// Of how many examples.
        n: usize,
    },
    /// Every target is the same: every bandwidth predicts them exactly.
    ConstantTargets,
}

impl Warning {
    /// A short stable name for machine-readable reports (`lower_end`, `flat`, ...), the same
    /// for one input and several.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::Search(w) => w.code(),
            Warning::LowerEnd { .. } => "lower_end",
            Warning::UpperEnd { .. } => "upper_end",
            Warning::Flat { .. } => "flat",
            Warning::Insensitive { .. } => "insensitive",
            Warning::EdgeOfReach { .. } => "edge_of_reach",
            Warning::Isolated { .. } => "isolated",
            Warning::ConstantTargets => "constant_targets",
        }
    }

    /// The 0-based input the warning concerns, if one.
    pub fn input(&self) -> Option<usize> {
        match self {
            Warning::LowerEnd { input, .. }
            | Warning::UpperEnd { input, .. }
            | Warning::Flat { input, .. }
            | Warning::Insensitive { input, .. } => Some(*input),
            _ => None,
        }
    }

    /// The warning as a sentence, naming inputs by `names` (the inputs' column names; an
    /// input without one is "input j").
    pub fn message(&self, names: &[&str]) -> String {
        let name = |j: usize| {
            names
                .get(j)
                .map_or_else(|| format!("input {}", j + 1), |n| n.to_string())
        };
        match self {
            Warning::Search(w) => w.to_string(),
            Warning::LowerEnd { input, h } => format!(
                "CV is lowest with the bandwidth of {} at the smallest searched (h = {}, at \
                 the smallest gap between its values): each example is best predicted by its \
                 nearest neighbours in {0}, so CV cannot choose its bandwidth; choose it for \
                 the detail you need",
                name(*input),
                *h as f32
            ),
            Warning::UpperEnd { input, h } => format!(
                "CV is lowest with the bandwidth of {} at or near the largest searched (h = \
                 {}, on a plateau reaching {} times its span): it is smoothed out entirely, \
                 so it says little about y beside the other inputs; consider leaving it out",
                name(*input),
                *h as f32,
                super::select::UPPER_SPANS
            ),
            Warning::Flat { input, from, to } => format!(
                "CV is flat (within 1e-6 of its lowest value) for the bandwidth of {} from {} \
                 to {}: the data do not single out its bandwidth in that range, and the one \
                 reported is one of many equally good",
                name(*input),
                *from as f32,
                *to as f32
            ),
            Warning::Insensitive { input, h, change } => format!(
                "CV changes by only {change:.1e} (relative) when the bandwidth of {} grows \
                 tenfold from {}: it hardly matters beside the other inputs, and its bandwidth \
                 is weakly determined; compare the fit without it",
                name(*input),
                *h as f32
            ),
            Warning::EdgeOfReach {
                isolated,
                wider,
                cv_wider,
            } => format!(
                "the lowest CV sits where an example just leaves it: at bandwidths 0.1% wider, \
                 {wider} instead of {isolated} examples are left out for having no other \
                 within reach, and CV is {cv_wider:.6}; the score reported depends on the \
                 rounding of one distance, so compare the fit at slightly wider bandwidths, \
                 or forbid isolated examples (--max-isolated 0)"
            ),
            Warning::Isolated { count, n } => format!(
                "{count} of {n} examples have no other example within the kernel's reach at \
                 the chosen bandwidths and are left out of CV; predicting at them needs wider \
                 bandwidths or --far"
            ),
            Warning::ConstantTargets => bandwidth::Warning::ConstantTargets.to_string(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&[]))
    }
}

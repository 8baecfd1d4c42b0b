//! `nw-viz`: the pictures of `nw`, the Nadaraya-Watson attention-pooling workspace.
//!
//! Five figures, each a small builder over plain slices (no models): the chapter's regression
//! plot ([`RegressionPlot`]: truth, prediction, training points, optionally a second fit and
//! shaded confidence bands with NaN gaps), its attention heatmap
//! ([`Heatmap`]: a `rows x cols` weight matrix with a viridis colour bar), its training-loss
//! curve ([`LossCurve`]), a general plot of named series with optional log axes and marker
//! lines ([`SeriesPlot`]), and a fit over two inputs seen from above ([`SurfacePlot`]:
//! predictions on a grid, the data as markers, grey where there is no estimate). Every figure
//! implements [`Figure`]: render to an SVG string, to PNG bytes, or save to a `.png` or `.svg`
//! file.
//!
//! ```
//! use nw_viz::{Figure, RegressionPlot};
//!
//! let x: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1).collect();
//! let truth: Vec<f64> = x.iter().map(|&x| 2.0 * x.sin() + x.powf(0.8)).collect();
//! let pred: Vec<f64> = truth.iter().map(|&y| 0.9 * y + 0.2).collect();
//! let svg = RegressionPlot::new(&x, &pred)
//!     .truth(&truth)
//!     .points(&[0.3, 1.7, 4.1], &[1.2, 3.4, 1.0])
//!     .render_svg()?;
//! assert!(svg.starts_with("<svg") && svg.contains("Truth") && svg.contains("Pred"));
//! assert_eq!(svg.matches("<circle").count(), 3); // one per training point
//!
//! // Bad data is an error naming the argument and index, never a panic.
//! let err = RegressionPlot::new(&[0.0, 1.0], &[0.5, f64::NAN]).render_svg().unwrap_err();
//! assert_eq!(err.to_string(), "pred[1] is NaN: only finite values can be drawn");
//! # Ok::<(), nw_viz::VizError>(())
//! ```
//!
//! # Axes
//! Tick labels stay short whatever the data: ticks that share four or more leading digits
//! (Unix seconds over a week) are written relative to that shared part, which the axis
//! description names once (`x − 1.7e9`); values of a million or more, or steps below `1e-5`,
//! are written in scientific notation (`2.5e-7`, `3e12`); other axes keep plain decimals.
//! Coordinates of the regression plot are f64, so a time stamp keeps its seconds.
//!
//! # Fonts
//! Text is laid out and rasterized by plotters' `ab_glyph` backend from DejaVu Sans, whose
//! bytes come compiled in from the `dejavu` crate (Bitstream Vera / DejaVu font licence, free
//! to embed and redistribute). Nothing is read from the system: no fontconfig, no font files,
//! the same pixels on every machine. SVG output keeps text as text in the `sans-serif` family,
//! so a viewer uses its own sans-serif font.
//!
//! # Output
//! A figure is rendered completely in memory ([`Figure::render_svg`], [`Figure::render_png`])
//! before anything touches the disk; [`Figure::save`] then writes it atomically through
//! [`nw_data::write_atomic`] (a temporary file beside the destination, synced, renamed over
//! it). A drawing or write failure leaves no half-written file, and an old file stays until the
//! new one is complete. The format follows the extension ([`Format::from_path`]).
//!
//! # Large matrices
//! A heatmap with more rows or columns than its plot has pixels is averaged over blocks first,
//! so it draws at most about one rectangle per pixel (see [`Heatmap`]).

pub mod error;

mod axis;
mod check;
mod colour_bar;
mod heatmap;
mod lines;
mod loss;
mod output;
mod regression;
mod series;
mod style;
mod surface;

pub use error::{Result, VizError};
pub use heatmap::Heatmap;
pub use loss::LossCurve;
pub use output::{Figure, Format};
pub use regression::RegressionPlot;
pub use series::{Series, SeriesPlot};
pub use surface::SurfacePlot;

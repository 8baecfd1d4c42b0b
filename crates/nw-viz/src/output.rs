//! Rendering into memory (SVG text, PNG bytes) and saving atomically.
//!
//! A figure is drawn completely into a `String` or a pixel buffer first; only then does
//! anything touch the disk, through [`nw_data::write_atomic`] (temporary file beside the
//! destination, then a rename). A failure while drawing or writing never leaves half a file.

use std::path::Path;

use nw_data::DataError;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

use crate::check;
use crate::error::{Result, VizError};
use crate::style;

/// The file formats a figure can be saved as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A PNG image (8-bit RGB), rasterized with the embedded font.
    Png,
    /// An SVG document; text stays text, in the viewer's sans-serif font.
    Svg,
}

impl Format {
    /// The format named by `path`'s extension, `.png` or `.svg` in any letter case.
    ///
    /// Anything else is [`VizError::UnsupportedFormat`] naming the path, so a command can
    /// refuse a bad output path before it spends time computing the figure.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Format> {
        let path = path.as_ref();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("png") {
            Ok(Format::Png)
        } else if ext.eq_ignore_ascii_case("svg") {
            Ok(Format::Svg)
        } else {
            Err(VizError::UnsupportedFormat {
                path: path.to_path_buf(),
            })
        }
    }
}

/// The drawing side of a figure; private, so only this crate's figures implement [`Figure`].
pub(crate) mod sealed {
    use super::{DrawingArea, DrawingBackend, Result, Shift};

    /// What [`Figure`](super::Figure)'s methods need from a figure.
    pub trait Draw {
        /// Width and height in pixels.
        fn size(&self) -> (u32, u32);
        /// Every check on the data, run before any drawing.
        fn check(&self) -> Result<()>;
        /// Draws the whole figure on `root` (checked data only; `present` is the caller's).
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
    }
}

/// A figure that can be rendered to SVG or PNG and saved.
///
/// Implemented by [`RegressionPlot`](crate::RegressionPlot), [`Heatmap`](crate::Heatmap),
/// [`LossCurve`](crate::LossCurve), [`SeriesPlot`](crate::SeriesPlot) and
/// [`SurfacePlot`](crate::SurfacePlot). Every method checks
/// the data and the size first and returns an error (never panics) on bad input.
pub trait Figure: sealed::Draw {
    /// Renders the figure as an SVG document.
    fn render_svg(&self) -> Result<String> {
        prepare(self)?;
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, self.size()).into_drawing_area();
            self.draw(&root)?;
            // Explicit, so an error surfaces here instead of being dropped with the backend.
            root.present()?;
        }
        Ok(out)
    }

    /// Renders the figure as PNG file bytes (8-bit RGB, the figure's size in pixels).
    fn render_png(&self) -> Result<Vec<u8>> {
        prepare(self)?;
        let (width, height) = self.size();
        // check::size capped both sides, so this cannot overflow or ask for absurd memory.
        let mut pixels = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
            self.draw(&root)?;
            root.present()?;
        }
        encode_png(&pixels, width, height)
    }

    /// Renders the figure in the format named by `path`'s extension (see
    /// [`Format::from_path`]) and writes it atomically: the old file, if any, stays until the
    /// new one is complete, and a failure leaves nothing behind.
    fn save(&self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        let path = path.as_ref();
        let bytes = self.render_for(path)?;
        nw_data::write_atomic(path, &bytes).map_err(write_error)
    }

    /// The file's bytes for `path`, in the format its extension names, without writing
    /// anything: for a caller that writes several files at once ([`nw_data::Outputs`]).
    fn render_for(&self, path: impl AsRef<Path>) -> Result<Vec<u8>>
    where
        Self: Sized,
    {
        Ok(match Format::from_path(path)? {
            Format::Png => self.render_png()?,
            Format::Svg => self.render_svg()?.into_bytes(),
        })
    }
}

/// Checks shared by both renderers, in the order a user would fix them.
fn prepare<F: sealed::Draw + ?Sized>(figure: &F) -> Result<()> {
    check::size(figure.size())?;
    figure.check()?;
    style::ensure_font()
}

/// PNG bytes for an RGB buffer.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let encode = |err: png::EncodingError| VizError::Encode(err.to_string());
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(pixels).map_err(encode)?;
    writer.finish().map_err(encode)?;
    Ok(out)
}

/// Our error for a failed atomic write (which names the destination already).
fn write_error(err: DataError) -> VizError {
    match err {
        DataError::Write { path, source } => VizError::Write { path, source },
        // Its own words: they name the destination and say more than an io error could.
        other => VizError::Save(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_extension_in_any_case() {
        assert_eq!(Format::from_path("a/b.png").unwrap(), Format::Png);
        assert_eq!(Format::from_path("B.PNG").unwrap(), Format::Png);
        assert_eq!(Format::from_path("c.Svg").unwrap(), Format::Svg);
        for bad in ["plot.jpg", "plot", "plot.png.bak", ".png", "dir/"] {
            let err = Format::from_path(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{bad}: cannot tell the figure format: use a .png or .svg extension")
            );
        }
    }

    #[test]
    fn png_bytes_start_with_the_signature_and_carry_the_size() {
        let png = encode_png(&[255; 7 * 5 * 3], 7, 5).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[16..24], &[0, 0, 0, 7, 0, 0, 0, 5]);
        // A buffer of the wrong size is an error, not a panic.
        assert!(matches!(
            encode_png(&[0; 10], 7, 5),
            Err(VizError::Encode(_))
        ));
    }
}

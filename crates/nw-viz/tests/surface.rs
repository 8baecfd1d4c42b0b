//! The regression surface: the colours of known cells in the decoded PNG, grey cells without
//! an estimate, markers where the points are, labels and ticks in the SVG, and every error.

mod common;

use std::collections::BTreeMap;
use std::io::Cursor;

use common::{attr, elements, has_text, num, png_size, text_elements, x_ticks};
use nw_viz::{Figure, SurfacePlot, VizError};

/// Viridis' ends as matplotlib gives them (`viridis(0)`, `viridis(1)`); `style.rs` pins the
/// crate's colour map to them, so the picture is checked against matplotlib, not against
/// the code that drew it.
const LOW: [u8; 3] = [0x44, 0x01, 0x54];
const HIGH: [u8; 3] = [0xFD, 0xE7, 0x25];
/// Cells without an estimate, as documented on `SurfacePlot` (`#BEBEBE`).
const GREY: [u8; 3] = [190, 190, 190];
const WHITE: [u8; 3] = [255, 255, 255];
/// A size with cells of 20 pixels or more, so a cell's centre is far from its edges.
const SIZE: (u32, u32) = (900, 800);

/// A 30 x 20 grid, `x1 = 0, 1, ..., 29` and `x2 = 0, 0.5, ..., 9.5`, and `z = x1 + 10 x2`
/// (row-major, one row per x2 value): lowest (0) at the first corner, highest (124) at the
/// last.
fn known() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let x1: Vec<f64> = (0..30).map(f64::from).collect();
    let x2: Vec<f64> = (0..20).map(|j| f64::from(j) * 0.5).collect();
    let z = x2
        .iter()
        .flat_map(|&b| x1.iter().map(move |&a| a + 10.0 * b))
        .collect();
    (x1, x2, z)
}

/// A decoded 8-bit RGB image.
struct Image {
    width: usize,
    pixels: Vec<u8>,
}

impl Image {
    fn decode(png: &[u8]) -> Image {
        let mut reader = png::Decoder::new(Cursor::new(png)).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(
            (info.color_type, info.bit_depth),
            (png::ColorType::Rgb, png::BitDepth::Eight)
        );
        pixels.truncate(info.buffer_size());
        Image {
            width: info.width as usize,
            pixels,
        }
    }

    fn at(&self, (x, y): (usize, usize)) -> [u8; 3] {
        let i = 3 * (y * self.width + x);
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
}

/// Where the plot's data range lies in pixels, `(left, top, right, bottom)`: the box around
/// the surface's cells in the SVG (the two backends share one layout). Cells are the filled
/// rectangles left of the colour bar, whose 256 stripes share one `x`.
fn plot_box(svg: &str) -> (f64, f64, f64, f64) {
    let rects: Vec<&str> = elements(svg, "rect")
        .into_iter()
        .filter(|r| attr(r, "fill") != Some("none"))
        .collect();
    let mut by_x: BTreeMap<i64, usize> = BTreeMap::new();
    for r in &rects {
        *by_x.entry(num(r, "x") as i64).or_default() += 1;
    }
    let bar_x = by_x
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(x, _)| *x)
        .unwrap() as f64;
    let cells: Vec<&&str> = rects
        .iter()
        .filter(|r| num(r, "x") < bar_x && num(r, "x") > 0.0)
        .collect();
    let left = cells.iter().map(|r| num(r, "x")).fold(f64::MAX, f64::min);
    let top = cells.iter().map(|r| num(r, "y")).fold(f64::MAX, f64::min);
    let right = cells
        .iter()
        .map(|r| num(r, "x") + num(r, "width"))
        .fold(0.0, f64::max);
    let bottom = cells
        .iter()
        .map(|r| num(r, "y") + num(r, "height"))
        .fold(0.0, f64::max);
    (left, top, right, bottom)
}

/// The pixel of data point `(a, b)` in a plot spanning `x1` by `x2` drawn in `plot_box`.
fn pixel(
    (left, top, right, bottom): (f64, f64, f64, f64),
    (x1, x2): (&[f64], &[f64]),
    (a, b): (f64, f64),
) -> (usize, usize) {
    let fx = (a - x1[0]) / (x1[x1.len() - 1] - x1[0]);
    let fy = (b - x2[0]) / (x2[x2.len() - 1] - x2[0]);
    let x = left + fx * (right - left);
    let y = bottom - fy * (bottom - top);
    (x.round() as usize, y.round() as usize)
}

/// Renders through `save` into a temporary folder, as a command would, and decodes the file.
fn saved_png(plot: &SurfacePlot<'_>) -> Image {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("surface.png");
    plot.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(png_size(&bytes), SIZE);
    Image::decode(&bytes)
}

#[test]
fn corners_take_the_ends_of_the_colour_map_and_no_estimate_is_grey() {
    let (x1, x2, mut z) = known();
    // No estimate at x1 = 10, x2 = 3.5 (row 7): an interior cell.
    z[7 * 30 + 10] = f64::NAN;
    let plot = SurfacePlot::new(&x1, &x2, &z).size(SIZE.0, SIZE.1);
    let image = saved_png(&plot);
    let frame = plot_box(&plot.render_svg().unwrap());
    let at = |a, b| image.at(pixel(frame, (&x1, &x2), (a, b)));

    // The corner cells are half cells (the plot spans the grid's range): x1 0..0.5 and x2
    // 0..0.25 at the low corner, sampled at their centres.
    assert_eq!(at(0.25, 0.125), LOW, "low corner");
    assert_eq!(at(28.75, 9.375), HIGH, "high corner");
    // The other two corners lie between the ends: neither end colour.
    for (a, b) in [(28.75, 0.125), (0.25, 9.375)] {
        let c = at(a, b);
        assert!(c != LOW && c != HIGH && c != GREY, "{a},{b}: {c:?}");
    }
    // x2 runs up: the cell above the low corner is a brighter colour than it (z grows by 5).
    let luma = |c: [u8; 3]| c.iter().map(|&v| u32::from(v)).sum::<u32>();
    assert!(luma(at(0.25, 1.0)) > luma(LOW));
    // The NaN cell and only its own area are grey; its neighbours are on the scale.
    assert_eq!(at(10.0, 3.5), GREY);
    assert_eq!(at(10.4, 3.7), GREY);
    for (a, b) in [(9.0, 3.5), (11.0, 3.5), (10.0, 3.0), (10.0, 4.0)] {
        assert_ne!(at(a, b), GREY, "{a},{b}");
    }
}

#[test]
fn a_clean_surface_has_no_grey_and_no_swatch() {
    let (x1, x2, z) = known();
    let plot = SurfacePlot::new(&x1, &x2, &z).size(SIZE.0, SIZE.1);
    let image = saved_png(&plot);
    let svg = plot.render_svg().unwrap();
    // Inside the plot (text elsewhere is smoothed through every grey).
    let (left, top, right, bottom) = plot_box(&svg);
    for y in top as usize..bottom as usize {
        for x in left as usize..right as usize {
            assert_ne!(image.at((x, y)), GREY, "grey at {x},{y} without a NaN");
        }
    }
    assert!(!svg.contains("no estimate"));
}

#[test]
fn markers_are_drawn_where_the_points_are() {
    let (x1, x2, z) = known();
    let (p1, p2) = ([15.0, 4.0], [5.0, 8.0]);
    let bare = SurfacePlot::new(&x1, &x2, &z).size(SIZE.0, SIZE.1);
    let marked = bare.clone().points(&p1, &p2);
    let (before, after) = (saved_png(&bare), saved_png(&marked));
    let frame = plot_box(&marked.render_svg().unwrap());
    let centres: Vec<(usize, usize)> = p1
        .iter()
        .zip(&p2)
        .map(|(&a, &b)| pixel(frame, (&x1, &x2), (a, b)))
        .collect();

    for &c in &centres {
        // A white fill where the surface was coloured, inside a dark ring.
        assert_ne!(before.at(c), WHITE);
        assert_eq!(after.at(c), WHITE, "{c:?}");
        let ring = (0..12).any(|d| {
            let p = after.at((c.0 + d, c.1));
            p.iter().all(|&v| v < 80)
        });
        assert!(ring, "no dark ring right of {c:?}");
    }
    // Every changed pixel lies within a marker's radius (6, and a pixel of smoothing).
    let width = before.width;
    for (k, (a, b)) in before
        .pixels
        .chunks_exact(3)
        .zip(after.pixels.chunks_exact(3))
        .enumerate()
    {
        if a != b {
            let (x, y) = ((k % width) as f64, (k / width) as f64);
            let near = centres
                .iter()
                .any(|&(cx, cy)| (x - cx as f64).hypot(y - cy as f64) <= 7.5);
            assert!(near, "pixel {x},{y} changed away from every marker");
        }
    }
}

#[test]
fn coloured_markers_take_their_values_colour_on_the_same_scale() {
    let (x1, x2, z) = known();
    // At the low corner's neighbourhood (dark), a point whose target is the surface's highest.
    let (p1, p2, values) = ([3.0], [1.0], [124.0]);
    let plot = SurfacePlot::new(&x1, &x2, &z)
        .points(&p1, &p2)
        .point_values(&values)
        .size(SIZE.0, SIZE.1);
    let image = saved_png(&plot);
    let frame = plot_box(&plot.render_svg().unwrap());
    assert_eq!(image.at(pixel(frame, (&x1, &x2), (3.0, 1.0))), HIGH);
}

#[test]
fn the_svg_names_the_axes_the_target_and_the_title() {
    let (x1, x2, mut z) = known();
    z[0] = f64::NAN;
    let svg = SurfacePlot::new(&x1, &x2, &z)
        .points(&[1.0, 2.0, 40.0], &[1.0, 2.0, 1.0])
        .labels("lstat", "rm", "medv")
        .title("Boston housing")
        .render_svg()
        .unwrap();
    for text in ["lstat", "rm", "medv", "Boston housing", "no estimate"] {
        assert!(has_text(&svg, text), "no text {text:?}");
    }
    // One rectangle per grid value, and three circles per point inside the grid's range (the
    // point at x1 = 40 lies outside and is not drawn).
    let (left, top, right, bottom) = plot_box(&svg);
    let cells = elements(&svg, "rect")
        .into_iter()
        .filter(|r| {
            let (x, y) = (num(r, "x"), num(r, "y"));
            attr(r, "fill") != Some("none")
                && (left..right).contains(&x)
                && (top..bottom).contains(&y)
        })
        .count();
    assert_eq!(cells, 30 * 20);
    assert_eq!(elements(&svg, "circle").len(), 2 * 3);
    // The extent is the grid's: ticks from 0 to 25 along x1 (step 5), none beyond 29.
    assert_eq!(x_ticks(&svg), ["0", "5", "10", "15", "20", "25"]);
}

#[test]
fn unix_seconds_and_tiny_inputs_get_readable_ticks() {
    // A week of Unix seconds across, a few nanometres up, targets around 1.7e9 too.
    let x1: Vec<f64> = (0..31).map(|i| 1.7e9 + 20_000.0 * f64::from(i)).collect();
    let x2: Vec<f64> = (0..9).map(|j| 1e-9 + 5e-10 * f64::from(j)).collect();
    let z: Vec<f64> = (0..31 * 9)
        .map(|k| 1.7e9 + 1e5 * f64::from(k % 7))
        .collect();
    let svg = SurfacePlot::new(&x1, &x2, &z)
        .labels("time", "depth", "price")
        .render_svg()
        .unwrap();
    assert_eq!(
        x_ticks(&svg),
        [
            "0", "100000", "200000", "300000", "400000", "500000", "600000"
        ]
    );
    // The offset is named once, in the axis description and in the colour bar's caption.
    assert!(
        has_text(&svg, "time \u{2212} 1.7e9"),
        "{:?}",
        common::texts(&svg)
    );
    assert!(
        has_text(&svg, "price \u{2212} 1.7e9"),
        "{:?}",
        common::texts(&svg)
    );
    assert!(has_text(&svg, "depth"));
    for label in ["1e-9", "2.5e-9", "5e-9"] {
        assert!(has_text(&svg, label), "no tick {label}");
    }
    for (_, text) in text_elements(&svg) {
        assert!(text.chars().count() <= 16, "{text:?} is too long to read");
    }
}

#[test]
fn bad_grids_values_and_points_are_errors_naming_what_is_wrong() {
    let (x1, x2, z) = known();
    let nan_z = vec![f64::NAN; 600];
    let mut inf_z = z.clone();
    inf_z[42] = f64::INFINITY;
    let descending = [0.0, 2.0, 1.0];
    let repeated = [0.0, 1.0, 1.0];
    let cases: Vec<(SurfacePlot<'_>, &str)> = vec![
        (
            SurfacePlot::new(&x1, &x2, &z[..599]),
            "z has 599 values but the grid needs 600 (30 x1 values times 20 x2 values)",
        ),
        (
            SurfacePlot::new(&x1[..1], &x2, &z[..20]),
            "x1 has 1 values: a grid axis needs at least 2",
        ),
        (
            SurfacePlot::new(&x1, &[], &[]),
            "x2 has 0 values: a grid axis needs at least 2",
        ),
        (
            SurfacePlot::new(&descending, &x2[..2], &z[..6]),
            "x1[2] is 1, not above the value before it (2): grid values must be strictly \
             ascending",
        ),
        (
            SurfacePlot::new(&x1[..2], &repeated, &z[..6]),
            "x2[2] is 1, not above the value before it (1): grid values must be strictly \
             ascending",
        ),
        (
            SurfacePlot::new(&[0.0, f64::NAN], &x2[..2], &z[..4]),
            "x1[1] is NaN: only finite values can be drawn",
        ),
        (
            SurfacePlot::new(&x1[..2], &[f64::NEG_INFINITY, 0.0], &z[..4]),
            "x2[0] is -inf: only finite values can be drawn",
        ),
        (
            SurfacePlot::new(&x1, &x2, &nan_z),
            "z is NaN everywhere: no estimate to draw",
        ),
        (
            SurfacePlot::new(&x1, &x2, &inf_z),
            "z[42] is inf: only finite values can be drawn",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z).points(&[1.0, 2.0], &[1.0]),
            "points x2 has 1 values but points x1 has 2",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z).points(&[1.0, f64::NAN], &[1.0, 2.0]),
            "points x1[1] is NaN: only finite values can be drawn",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z).points(&[1.0, 2.0], &[f64::INFINITY, 2.0]),
            "points x2[0] is inf: only finite values can be drawn",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z)
                .points(&[1.0, 2.0], &[1.0, 2.0])
                .point_values(&[3.0]),
            "point values has 1 values but points x1 has 2",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z)
                .points(&[1.0], &[1.0])
                .point_values(&[f64::NAN]),
            "point values[0] is NaN: only finite values can be drawn",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z).point_values(&[1.0]),
            "point values has 1 values but points x1 has 0",
        ),
        (
            SurfacePlot::new(&x1, &x2, &z).size(680, 9000),
            "figure size 680 x 9000 is out of range: each side must be 200 to 8192 pixels",
        ),
    ];
    for (plot, message) in cases {
        assert_eq!(plot.render_svg().unwrap_err().to_string(), message);
        assert_eq!(plot.render_png().unwrap_err().to_string(), message);
    }
    assert!(matches!(
        SurfacePlot::new(&x1, &x2, &z[..10]).render_svg(),
        Err(VizError::GridShape {
            nx: 30,
            ny: 20,
            len: 10
        })
    ));
    // Nothing was written for a refused figure.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.png");
    assert!(SurfacePlot::new(&x1, &x2, &nan_z).save(&path).is_err());
    assert!(!path.exists());
}

#[test]
fn a_single_estimate_and_the_smallest_size_still_render() {
    // One finite value: the scale widens around it; the rest is grey.
    let z = [f64::NAN, 3.0, f64::NAN, f64::NAN];
    let svg = SurfacePlot::new(&[0.0, 1.0], &[0.0, 1.0], &z)
        .render_svg()
        .unwrap();
    assert!(has_text(&svg, "no estimate"));
    let png = SurfacePlot::new(&[0.0, 1.0], &[0.0, 1.0], &z)
        .title("t")
        .size(200, 200)
        .render_png()
        .unwrap();
    assert_eq!(png_size(&png), (200, 200));
}

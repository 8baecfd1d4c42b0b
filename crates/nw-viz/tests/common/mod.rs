//! Reading the SVG that plotters writes: one element per line, attributes in double quotes,
//! text content on its own line between `<text ...>` and `</text>`.

#![allow(dead_code, unreachable_pub)] // each test file uses its own subset

/// The text elements with their contents, in document order.
pub fn text_elements(svg: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut lines = svg.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("<text") {
            out.push((line, lines.next().unwrap_or_default()));
        }
    }
    out
}

/// The text contents, in document order.
pub fn texts(svg: &str) -> Vec<String> {
    text_elements(svg)
        .into_iter()
        .map(|(_, t)| t.to_string())
        .collect()
}

/// True if some text element reads exactly `s`.
pub fn has_text(svg: &str, s: &str) -> bool {
    texts(svg).iter().any(|t| t == s)
}

/// The lines (elements) of one tag, e.g. `"rect"`.
pub fn elements<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag} ");
    svg.lines().filter(|l| l.starts_with(&open)).collect()
}

/// An attribute's value.
pub fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = element.find(&key)? + key.len();
    let len = element[start..].find('"')?;
    Some(&element[start..start + len])
}

/// An attribute parsed as a number.
pub fn num(element: &str, name: &str) -> f64 {
    attr(element, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name} in {element}"))
}

/// Elements of `tag` whose `stroke` (lines) or `fill` (shapes) is `color`, e.g. `"#1F77B4"`.
pub fn with_color<'a>(svg: &'a str, tag: &str, color: &str) -> Vec<&'a str> {
    elements(svg, tag)
        .into_iter()
        .filter(|e| attr(e, "stroke") == Some(color) || attr(e, "fill") == Some(color))
        .collect()
}

/// The width and height in a PNG's IHDR chunk, after checking the signature.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// The x axis's tick labels: numeric centred text hanging below its anchor, left to right.
pub fn x_ticks(svg: &str) -> Vec<String> {
    text_elements(svg)
        .into_iter()
        .filter(|(e, _)| {
            attr(e, "text-anchor") == Some("middle") && attr(e, "dy") == Some("0.76em")
        })
        .filter(|(_, t)| t.parse::<f64>().is_ok())
        .map(|(_, t)| t.to_string())
        .collect()
}

/// The left y axis's tick labels: numeric right-aligned text left of `x_max`, bottom to top.
pub fn y_ticks(svg: &str, x_max: f64) -> Vec<String> {
    text_elements(svg)
        .into_iter()
        .filter(|(e, _)| attr(e, "text-anchor") == Some("end") && num(e, "x") < x_max)
        .filter(|(_, t)| t.parse::<f64>().is_ok())
        .map(|(_, t)| t.to_string())
        .collect()
}

//! How much memory a command may ask for before it starts, and the check that refuses more.
//!
//! Memory on Linux is promised before it is given: an allocation far beyond the machine
//! "succeeds" and the process dies later, with SIGKILL or an abort and no message. So the
//! paths whose memory grows with a product of sizes (the weight matrix of `--weights`, the
//! chapter's tensors of `--path chapter`) and the generated data sets estimate their peak
//! first and refuse above a limit, naming how much and the flag that raises it. Reading a
//! file needs memory in proportion to the data it holds, and is not limited here.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Result, bail};

/// Set by `main` from `--max-memory` (0: the default).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// The limit when `/proc/meminfo` cannot tell the machine's memory: 4 GiB.
const FALLBACK: u64 = 4 << 30;

/// Sets the limit from `--max-memory`.
pub fn set_limit(bytes: Option<u64>) {
    LIMIT.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// The limit in bytes and where it came from.
fn limit() -> (u64, String) {
    match LIMIT.load(Ordering::Relaxed) {
        0 => match total_memory() {
            Some(total) => (total / 2, "half this machine's memory".to_string()),
            None => (FALLBACK, "the default".to_string()),
        },
        set => (set, "--max-memory".to_string()),
    }
}

/// The machine's memory from `/proc/meminfo` (Linux), in bytes.
fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Refuses work whose estimated peak, `bytes` (from sizes that may overflow: hence u128), is
/// above the limit; `what` says what needs it, `instead` what else the user can do.
pub fn check(what: &str, bytes: u128, instead: &str) -> Result<()> {
    let (limit, source) = limit();
    if bytes > u128::from(limit) {
        bail!(
            "{what} needs about {} of memory, above the limit of {} ({source}); raise it with \
             --max-memory (e.g. --max-memory {}), or {instead}",
            size_text(bytes),
            size_text(u128::from(limit)),
            size_text(bytes.next_multiple_of(1 << 30)).replace(' ', "")
        );
    }
    Ok(())
}

/// Bytes as `1.5 GB` (powers of 1024, as `--max-memory` reads them).
fn size_text(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A size for `--max-memory`: a number of bytes, or with a suffix K, M, G or T (powers of
/// 1024, an optional `B`, any case).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (number, shift) = match t.chars().last() {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| "not a size (e.g. 512M, 8G, 1T)".to_string())?;
    let bytes = value * (1u64 << shift) as f64;
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err("must be between 1 byte and 8 EB".to_string());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_print_in_powers_of_1024() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert_eq!(parse_size(" 1t "), Ok(1 << 40));
        assert!(parse_size("0").is_err() && parse_size("-1G").is_err());
        assert!(parse_size("lots").is_err() && parse_size("1e30").is_err());
        assert_eq!(size_text(512), "512 B");
        assert_eq!(size_text(3 << 29), "1.5 GB");
    }
}

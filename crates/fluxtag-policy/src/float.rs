//! Go's `strconv.ParseFloat(s, 64)`, which the numerical policy applies to every tag
//! (spec §4.2).
//!
//! Accepted, exactly as Go accepts it:
//!
//! * an optional sign, then decimal digits with at most one `.` (`1.5`, `.5`, `5.`), at least
//!   one digit, and an optional exponent `e`/`E` with optional sign and at least one digit;
//! * hexadecimal mantissas after `0x`/`0X` (`0x1.8p3`), which *require* a `p`/`P` exponent
//!   (so `0x10` is refused);
//! * underscores only where Go's `underscoreOK` allows them: each `_` between two digits, or
//!   between the `0x` prefix and a digit (`1_000`, `0x_1p4`; not `_1`, `1_`, `1__0`, `1_.5`);
//! * `inf`, `infinity` (any case, optional sign) and `nan` (any case, **no** sign);
//! * nothing else: no surrounding spaces, no `0b`/`0o`, no trailing text.
//!
//! Values are rounded to nearest, ties to even. A finite number beyond the `f64` range is an
//! error (Go returns a range error), while a too-small number quietly becomes 0.

/// Parses `s` as Go's `strconv.ParseFloat(s, 64)`; `None` where Go returns an error
/// (syntax or range).
pub fn parse_go_float(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    if let Some((value, consumed)) = special(bytes) {
        return (consumed == bytes.len()).then_some(value);
    }
    let read = read_float(bytes)?;
    if read.consumed != bytes.len() {
        return None;
    }
    if read.hex {
        return hex_to_f64(read.mantissa, read.exp, read.neg, read.trunc);
    }
    // The decimal syntax is checked; the correctly rounded value comes from Rust's parser,
    // which rounds exactly as Go does (to nearest, ties to even).
    let value: f64 = if s.contains('_') {
        s.chars()
            .filter(|&c| c != '_')
            .collect::<String>()
            .parse()
            .ok()?
    } else {
        s.parse().ok()?
    };
    value.is_finite().then_some(value)
}

/// `inf`, `infinity` (optionally signed) and `nan`, case-insensitive. Returns the value and
/// how many bytes it covers; the caller requires that to be the whole string.
fn special(s: &[u8]) -> Option<(f64, usize)> {
    let first = *s.first()?;
    let (sign, rest, sign_len) = match first {
        b'+' => (1.0, &s[1..], 1),
        b'-' => (-1.0, &s[1..], 1),
        _ => (1.0, s, 0),
    };
    if sign_len == 1 || matches!(first, b'i' | b'I') {
        let mut n = common_prefix_ignore_case(rest, b"infinity");
        if n > 3 && n < 8 {
            n = 3;
        }
        if n == 3 || n == 8 {
            return Some((sign * f64::INFINITY, sign_len + n));
        }
        return None;
    }
    if matches!(first, b'n' | b'N') && common_prefix_ignore_case(s, b"nan") == 3 {
        return Some((f64::NAN, 3));
    }
    None
}

fn common_prefix_ignore_case(s: &[u8], lower: &[u8]) -> usize {
    s.iter()
        .zip(lower)
        .take_while(|(a, b)| a.to_ascii_lowercase() == **b)
        .count()
}

/// What the mantissa/exponent scan found.
struct Read {
    /// Up to 19 significant decimal (or 16 hex) digits.
    mantissa: u64,
    /// Power of 10 (decimal) or 2 (hex) to apply to `mantissa`.
    exp: i64,
    neg: bool,
    /// Non-zero digits were dropped from `mantissa`.
    trunc: bool,
    hex: bool,
    consumed: usize,
}

/// Go's `readFloat`: sign, optional `0x`, digits with one optional dot, optional exponent,
/// then the underscore check on the consumed prefix.
///
/// Long on purpose: it follows Go's function step by step (one scan with shared state), so
/// that it can be checked against the original line by line; split, the steps would need that
/// state passed around and the correspondence would be lost.
fn read_float(s: &[u8]) -> Option<Read> {
    let len = s.len();
    let mut i = 0;
    let mut neg = false;
    let mut underscores = false;
    match s.first()? {
        b'+' => i += 1,
        b'-' => {
            i += 1;
            neg = true;
        }
        _ => {}
    }
    let mut hex = false;
    if i + 2 < len && s[i] == b'0' && s[i + 1].eq_ignore_ascii_case(&b'x') {
        hex = true;
        i += 2;
    }
    let (base, max_digits, exp_char): (u64, usize, u8) =
        if hex { (16, 16, b'p') } else { (10, 19, b'e') };

    let mut saw_dot = false;
    let mut saw_digits = false;
    let mut nd: i64 = 0;
    let mut nd_mant: i64 = 0;
    let mut dp: i64 = 0;
    let mut mantissa: u64 = 0;
    let mut trunc = false;
    while i < len {
        let c = s[i];
        let digit = match c {
            b'_' => {
                underscores = true;
                i += 1;
                continue;
            }
            b'.' => {
                if saw_dot {
                    break;
                }
                saw_dot = true;
                dp = nd;
                i += 1;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'f' if hex => u64::from(c - b'a' + 10),
            b'A'..=b'F' if hex => u64::from(c - b'A' + 10),
            _ => break,
        };
        saw_digits = true;
        i += 1;
        if digit == 0 && nd == 0 {
            // Leading zeros only move the decimal point.
            dp -= 1;
            continue;
        }
        nd += 1;
        if nd_mant < max_digits as i64 {
            mantissa = mantissa * base + digit;
            nd_mant += 1;
        } else if digit != 0 {
            trunc = true;
        }
    }
    if !saw_digits {
        return None;
    }
    if !saw_dot {
        dp = nd;
    }
    if hex {
        dp *= 4;
        nd_mant *= 4;
    }
    if i < len && s[i].to_ascii_lowercase() == exp_char {
        i += 1;
        let mut esign = 1;
        match s.get(i)? {
            b'+' => i += 1,
            b'-' => {
                i += 1;
                esign = -1;
            }
            _ => {}
        }
        if !s.get(i)?.is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < len && (s[i].is_ascii_digit() || s[i] == b'_') {
            if s[i] == b'_' {
                underscores = true;
            } else if e < 10_000 {
                e = e * 10 + i64::from(s[i] - b'0');
            }
            i += 1;
        }
        dp += e * esign;
    } else if hex {
        // A hex mantissa must have a `p` exponent.
        return None;
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    Some(Read {
        mantissa,
        exp,
        neg,
        trunc,
        hex,
        consumed: i,
    })
}

/// Go's rule for `_` in numbers: only between digits, or between a base prefix and a digit.
fn underscore_ok(s: &[u8]) -> bool {
    #[derive(PartialEq)]
    enum Saw {
        Start,
        Digit,
        Underscore,
        Other,
    }
    let s = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    let mut saw = Saw::Start;
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = Saw::Digit;
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = Saw::Digit;
        } else if c == b'_' {
            if saw != Saw::Digit {
                return false;
            }
            saw = Saw::Underscore;
        } else if saw == Saw::Underscore {
            return false;
        } else {
            saw = Saw::Other;
        }
    }
    saw != Saw::Underscore
}

/// `mantissa × 2^exp`, correctly rounded to `f64` (ties to even; `trunc` means dropped
/// non-zero bits below `mantissa`). `None` when it overflows (Go's range error).
fn hex_to_f64(mantissa: u64, exp: i64, neg: bool, trunc: bool) -> Option<f64> {
    let sign = if neg { 1u64 << 63 } else { 0 };
    if mantissa == 0 {
        return Some(f64::from_bits(sign));
    }
    let bit_len = i64::from(64 - mantissa.leading_zeros());
    // Unbiased exponent of the leading bit.
    let mut top = exp + bit_len - 1;
    // Significant bits available: 53 for normal numbers, fewer for subnormals.
    let keep = if top >= -1022 { 53 } else { top + 1075 };
    let shift = bit_len - keep;
    let mut sig = if shift <= 0 {
        mantissa << (-shift)
    } else {
        round_shift(mantissa, shift, trunc)
    };
    let bits = if keep == 53 {
        if sig == 1u64 << 53 {
            sig >>= 1;
            top += 1;
        }
        if top > 1023 {
            return None;
        }
        // `top` is in -1022..=1023 here, so the biased exponent is 1..=2046.
        let biased = u64::try_from(top + 1023).ok()?;
        (biased << 52) | (sig & ((1u64 << 52) - 1))
    } else {
        // Subnormal (or rounded up to the smallest normal, 1 << 52, which is its own
        // encoding).
        sig
    };
    Some(f64::from_bits(sign | bits))
}

/// `m >> shift`, rounded to nearest with ties to even; `sticky` adds an infinitesimal.
fn round_shift(m: u64, shift: i64, sticky: bool) -> u64 {
    if shift > 64 {
        return 0;
    }
    let Ok(shift) = u32::try_from(shift) else {
        return m;
    };
    let wide = u128::from(m);
    let quotient = wide >> shift;
    let rest = wide & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let up = rest > half || (rest == half && (sticky || quotient & 1 == 1));
    // `quotient` < 2^64 and only rounds up past it when `shift` is 0, which is excluded.
    u64::try_from(quotient + u128::from(up)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::parse_go_float;

    #[test]
    fn basics() {
        assert_eq!(parse_go_float("0x1p4"), Some(16.0));
        assert_eq!(parse_go_float("1_000"), Some(1000.0));
        assert_eq!(parse_go_float("5."), Some(5.0));
        assert_eq!(parse_go_float(".5"), Some(0.5));
        assert_eq!(parse_go_float("1e400"), None);
        assert_eq!(parse_go_float("1e-400"), Some(0.0));
        assert!(parse_go_float("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_go_float("+nan"), None);
        assert_eq!(parse_go_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_go_float("0x10"), None);
    }

    #[test]
    fn hex_rounding_and_limits() {
        assert_eq!(parse_go_float("0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(parse_go_float("0x1.fffffffffffff8p1023"), None);
        assert_eq!(parse_go_float("0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(parse_go_float("0x1p-1075"), Some(0.0));
        assert_eq!(
            parse_go_float("0x1.0000000000001p-1075"),
            Some(f64::from_bits(1))
        );
        assert_eq!(parse_go_float("0x1p-1022"), Some(f64::MIN_POSITIVE));
        assert_eq!(
            parse_go_float("0x1.00000000000008p0"),
            Some(1.0),
            "tie rounds to even"
        );
        assert_eq!(
            parse_go_float("0x1.00000000000018p0"),
            Some(f64::from_bits(1.0f64.to_bits() + 2)),
            "tie rounds to even (up)"
        );
        assert_eq!(
            parse_go_float("0x1.000000000000080000000001p0"),
            Some(f64::from_bits(1.0f64.to_bits() + 1)),
            "dropped digits make it above half"
        );
        assert_eq!(
            parse_go_float("-0x0p0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
    }
}

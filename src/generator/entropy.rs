//! Entropy in bits of a uniform choice among `n` equally likely secrets, `log2(n)`, and the strength labels.
//!
//! Method: `n` is an exact big integer (the number of valid strings, counted exactly). With `b` its bit length,
//! `n = top · 2^(b−64) + rest`, where `top` holds its 64 leading bits (`2^63 ≤ top < 2^64`). Then
//! `log2(n) = (b − 64) + log2(top + rest/2^(b−64))`, and dropping `rest` changes the argument by a relative amount
//! below `2^-63`, i.e. the result by less than `2^-63 / ln 2 ≈ 1.6·10^-19` bits. What remains is the rounding of
//! `top` to an `f64` (relative `2^-53`) and of `log2` itself: the value is correct to about `10^-13` bits for
//! every `n` up to `94^128` (≈ 839 bits), far below the 0.1 bit the API shows.

use num_bigint::BigUint;

/// `log2(n)`; `0.0` for `n <= 1` (a single possible secret carries no entropy).
pub fn log2(n: &BigUint) -> f64 {
    let bits = n.bits();
    if bits <= 1 {
        return 0.0;
    }
    if bits <= 64 {
        return (to_u64(n) as f64).log2();
    }
    let shift = bits - 64;
    let top = to_u64(&(n >> shift));
    shift as f64 + (top as f64).log2()
}

fn to_u64(n: &BigUint) -> u64 {
    n.iter_u64_digits().next().unwrap_or(0)
}

/// Strength labels by entropy, with the thresholds in bits documented in the README:
/// `< 40` weak, `< 64` fair, `< 100` strong, `>= 100` very strong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    Weak,
    Fair,
    Strong,
    VeryStrong,
}

/// Lower bounds in bits of `Fair`, `Strong` and `VeryStrong`.
pub const FAIR_BITS: f64 = 40.0;
pub const STRONG_BITS: f64 = 64.0;
pub const VERY_STRONG_BITS: f64 = 100.0;

impl Strength {
    pub fn from_bits(bits: f64) -> Self {
        if bits < FAIR_BITS {
            Strength::Weak
        } else if bits < STRONG_BITS {
            Strength::Fair
        } else if bits < VERY_STRONG_BITS {
            Strength::Strong
        } else {
            Strength::VeryStrong
        }
    }

    /// The API value: `weak`, `fair`, `strong`, `very_strong`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Weak => "weak",
            Strength::Fair => "fair",
            Strength::Strong => "strong",
            Strength::VeryStrong => "very_strong",
        }
    }
}

/// An entropy in bits inside an error: printed with one decimal, rounded *down*, so a figure below a target
/// never reads as reaching it. Compared by bit pattern (never NaN: every entropy here is a `log2` of a count
/// of at least 1), which makes the errors that carry it `Eq`.
#[derive(Debug, Clone, Copy)]
pub struct Bits(pub f64);

impl PartialEq for Bits {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Bits {}

impl std::fmt::Display for Bits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1}", (self.0 * 10.0).floor() / 10.0)
    }
}

/// Entropy rounded to one decimal, as the API and the page show it.
pub fn rounded(bits: f64) -> f64 {
    (bits * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_is_exact_for_powers_of_two_and_small_numbers() {
        assert_eq!(log2(&BigUint::from(0u32)), 0.0);
        assert_eq!(log2(&BigUint::from(1u32)), 0.0);
        assert_eq!(log2(&BigUint::from(2u32)), 1.0);
        assert_eq!(log2(&(BigUint::from(1u32) << 839u32)), 839.0);
        assert_eq!(log2(&(BigUint::from(1u32) << 64u32)), 64.0);
        assert!((log2(&BigUint::from(10u32)) - 10f64.log2()).abs() < 1e-15);
    }

    #[test]
    fn log2_of_large_powers_matches_the_closed_form() {
        // log2(b^e) = e·log2(b), computed independently in f64.
        for (base, exp) in [(94u32, 128u32), (7776, 20), (26, 16), (62, 100), (3, 500)] {
            let n = BigUint::from(base).pow(exp);
            let expected = f64::from(exp) * f64::from(base).log2();
            assert!((log2(&n) - expected).abs() < 1e-9, "{base}^{exp}");
        }
    }

    #[test]
    fn strength_thresholds() {
        assert_eq!(Strength::from_bits(0.0), Strength::Weak);
        assert_eq!(Strength::from_bits(39.99), Strength::Weak);
        assert_eq!(Strength::from_bits(40.0), Strength::Fair);
        assert_eq!(Strength::from_bits(63.9), Strength::Fair);
        assert_eq!(Strength::from_bits(64.0), Strength::Strong);
        assert_eq!(Strength::from_bits(99.99), Strength::Strong);
        assert_eq!(Strength::from_bits(100.0), Strength::VeryStrong);
    }

    #[test]
    fn bits_in_messages_round_down() {
        assert_eq!(Bits(79.96).to_string(), "79.9");
        assert_eq!(Bits(77.0).to_string(), "77.0");
        assert_eq!(Bits(0.0).to_string(), "0.0");
    }
}

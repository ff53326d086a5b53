//! The counting table of the exact sampler (strings of a length meeting per-part minimums) and the cost model
//! that keeps one request's counting work within [`WORK_BUDGET_NS`].

use std::sync::OnceLock;

use num_bigint::BigUint;

use super::super::MAX_LENGTH;

/// Which exact sampler to use; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Rejection,
    /// Counting over every class.
    Counting,
    /// Counting over the classes of the bit mask, rejection on the others' minimums.
    CountingSome(u8),
}

pub(super) const ALL_CLASSES: u8 = u8::MAX;

/// CPU budget of one request's counting work, and the costs it is estimated with: a product of the table
/// (numbers of up to ~840 bits), and one character drawn by counting (composition, shuffle, character; the
/// rejection sampler's is about half). Measured on a release build of this machine kind: 0.5 µs per product,
/// 19 µs per password of 128 characters.
pub const WORK_BUDGET_NS: usize = 1_000_000;
pub(super) const NS_PER_PRODUCT: usize = 500;
pub(super) const NS_PER_COUNTED_CHAR: usize = 150;

/// How many big-integer products [`Table::new`] computes for `parts` (the weights whose rest is not zero),
/// known before building it.
pub(super) fn table_products(length: usize, parts: &[Part]) -> usize {
    let mut before = 0;
    let mut room_after: usize = parts.iter().map(|p| p.min).sum();
    let mut products = 0usize;
    for (j, part) in parts.iter().enumerate() {
        room_after -= part.min;
        let top = length.saturating_sub(room_after);
        if j + 1 == parts.len() {
            products += (length + 1).saturating_sub(before + part.min);
        } else if j > 0 {
            products += (before + part.min..=top)
                .map(|n| n + 1 - before - part.min)
                .sum::<usize>();
        }
        before += part.min;
    }
    products
}

/// Slack (length minus the sum of the minimums) up to which counting every class is cheapest: a table row then
/// has at most `SMALL_SLACK²/2` non-zero products, and no candidate is rejected.
pub(super) const SMALL_SLACK: usize = 32;

/// Plain rejection for minimums of at most 1 (the legacy policies) is used when at least one candidate in 16 is
/// kept: its check is cheap and those policies never need the table.
pub(super) const MIN_ACCEPTANCE: f64 = 1.0 / 16.0;

/// With larger minimums, rejection (plain, or on the classes not counted) is used only when at least one
/// candidate in 2 is kept: below that, counting one more class costs less than the rejected candidates (at
/// length 128 and 100 passwords, rejection at 1 in 16 cost 6 times the CPU of counting the hard class).
pub(super) const MIN_ACCEPTANCE_WITH_MINIMUMS: f64 = 0.5;

/// With rejection only used when at least 1 candidate in 16 is valid, 10,000 consecutive rejections happen
/// with probability below (15/16)^10000 ≈ 10^-280: only a broken RNG gets here.
pub(super) const MAX_ATTEMPTS: u32 = 10_000;

/// Characters and minimum of one part of the counting table: a class, or all the uncounted classes together.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub(super) chars: Vec<u8>,
    pub(super) min: usize,
}

/// `C(n, k)` for `n <= MAX_LENGTH`, computed once: `C(128, 64) ≈ 2.4·10^37 < 2^128` fits a `u128`.
pub(super) fn binomials() -> &'static [Vec<u128>] {
    static TABLE: OnceLock<Vec<Vec<u128>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = vec![vec![0u128; MAX_LENGTH + 1]; MAX_LENGTH + 1];
        for n in 0..=MAX_LENGTH {
            rows[n][0] = 1;
            for k in 1..=n {
                rows[n][k] = rows[n - 1][k - 1] + if k < n { rows[n - 1][k] } else { 0 };
            }
        }
        rows
    })
}

pub(super) fn binomials_f64() -> &'static [Vec<f64>] {
    static TABLE: OnceLock<Vec<Vec<f64>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        binomials()
            .iter()
            .map(|row| row.iter().map(|&c| c as f64).collect())
            .collect()
    })
}

/// The counting table `g[j][n]` (strings of length `n` over the first `j` parts meeting their minimums),
/// with the powers of each part size it is built from. Of the last row only `n = L` is computed, and its
/// weights are kept: every password's first draw uses them.
pub(super) struct Table {
    pub(super) binomials: &'static [Vec<u128>],
    /// `powers[j][k] = s_j^k`.
    pub(super) powers: Vec<Vec<BigUint>>,
    pub(super) g: Vec<Vec<BigUint>>,
    /// `last_weights[k − m] = weight(last, L, k)` for `k` from the last part's minimum `m` to `L`.
    pub(super) last_weights: Vec<BigUint>,
    pub(super) length: usize,
    /// Products computed, to check [`table_products`].
    #[cfg(test)]
    pub(super) products: usize,
}

impl Table {
    pub(super) fn new(length: usize, parts: &[Part]) -> Self {
        let l = length.min(MAX_LENGTH);
        let powers: Vec<Vec<BigUint>> = parts
            .iter()
            .map(|p| {
                let s = BigUint::from(p.chars.len());
                let mut row = Vec::with_capacity(l + 1);
                let mut power = BigUint::from(1u32);
                for _ in 0..=l {
                    row.push(power.clone());
                    power *= &s;
                }
                row
            })
            .collect();
        let mut table = Self {
            binomials: binomials(),
            powers,
            g: Vec::with_capacity(parts.len() + 1),
            last_weights: Vec::new(),
            length: l,
            #[cfg(test)]
            products: 0,
        };
        let mut first = vec![BigUint::ZERO; l + 1];
        first[0] = BigUint::from(1u32);
        table.g.push(first);
        // Row `j + 1` is only ever read for lengths the later parts' minimums leave room for: `n <= L − Σ_{i>j}
        // m_i` (the draw goes from the last part down). With large minimums this cuts the big-integer products
        // from `L²/2` per row to `slack²/2`.
        let mut room_after: usize = parts.iter().map(|p| p.min).sum();
        for (j, part) in parts.iter().enumerate() {
            room_after -= part.min;
            let top = l.saturating_sub(room_after);
            let mut row = vec![BigUint::ZERO; l + 1];
            if j + 1 == parts.len() {
                let weights: Vec<BigUint> = (part.min..=l)
                    .map(|k| table.build_weight(j, l, k))
                    .collect();
                row[l] = weights.iter().sum();
                table.last_weights = weights;
            } else if j == 0 {
                // Over the first part alone: `s^n` strings once its minimum is met.
                for (n, slot) in row.iter_mut().enumerate().take(top + 1).skip(part.min) {
                    *slot = table.powers[0][n].clone();
                }
            } else {
                for (n, slot) in row.iter_mut().enumerate().take(top + 1) {
                    *slot = (part.min..=n).map(|k| table.build_weight(j, n, k)).sum();
                }
            }
            table.g.push(row);
        }
        table
    }

    /// The number of strings of the full length over all the parts.
    pub(super) fn count(&self) -> BigUint {
        self.g
            .last()
            .and_then(|row| row.get(self.length))
            .cloned()
            .unwrap_or(BigUint::ZERO)
    }

    /// Strings of length `n` over the first `j + 1` parts with exactly `k` characters of part `j`:
    /// `C(n,k) · s_j^k · g_j(n−k)`.
    pub(super) fn weight(&self, j: usize, n: usize, k: usize) -> BigUint {
        let rest = &self.g[j][n - k];
        if rest.bits() == 0 {
            return BigUint::ZERO;
        }
        &self.powers[j][k] * rest * self.binomials[n][k]
    }

    /// [`Table::weight`] while building, counting the products in tests.
    pub(super) fn build_weight(&mut self, j: usize, n: usize, k: usize) -> BigUint {
        #[cfg(test)]
        if self.g[j][n - k].bits() != 0 {
            self.products += 1;
        }
        self.weight(j, n, k)
    }
}

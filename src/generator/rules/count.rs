//! Exact counting and uniform sampling of the strings a rule set allows.
//!
//! **Runs.** Over an alphabet of `m` characters with no run longer than `k`, let `D(0) = 1` and, for `n ≥ 1`,
//! `E(n) = Σ_{t=1..min(k,n)} D(n−t)` (strings of length `n` that start with a given character: a first run of
//! `t`, then a string starting with another character) and `D(n) = (m−1)·E(n)` (strings of length `n` that start
//! with anything but a given character). With prefix sums `Q(j) = Σ_{i<j} D(i)` both cost O(1) per `n`, and the
//! strings that may follow a character ending a run of `ρ` number `W(ρ, n) = Q(n+1) − Q(n − min(k−ρ, n))`: the
//! next character differs (`D(n)`), or continues the run for `t ≤ k−ρ` characters and then differs.
//!
//! **Required lines**, by inclusion–exclusion: the strings missing every line of `T` are exactly the strings over
//! `A \ ∪_{i∈T} R_i`, so the count is `Σ_{T} (−1)^|T| F(m_T, L)` with `F(m, L) = m·E(L)` the run-limited count
//! over `m_T` characters. Completions of a prefix are the same sum over the lines the prefix has not yet
//! satisfied, with `W` in place of `F`: its last character satisfies none of those lines, so it belongs to every
//! `A \ ∪_{i∈T} R_i` and its run carries over. One table `Q` per distinct size `m_T`.
//!
//! **Sampling**, character by character: each candidate weighs the exact number of valid completions after it,
//! and one uniform big integer below the total picks it — every valid string has probability `1/N`. Characters
//! with the same membership in the lines (a *group*) weigh the same, except the previous character itself (its
//! run grows), so a position costs one sum per group, not per character.

use num_bigint::BigUint;
use rand::TryCryptoRng;

use super::super::GenerationError;
use super::super::sampling::Sampler;

/// `Q` of the module documentation for one alphabet size.
struct Runs {
    size: usize,
    q: Vec<BigUint>,
}

impl Runs {
    fn new(size: usize, length: usize, k: usize) -> Self {
        let mut q = Vec::with_capacity(length + 2);
        q.push(BigUint::ZERO);
        q.push(BigUint::from(1u32));
        let others = size.saturating_sub(1);
        for n in 1..=length {
            let e = &q[n] - &q[n - k.min(n)];
            let d = e * others;
            let next = &q[n] + d;
            q.push(next);
        }
        Self { size, q }
    }

    /// Strings of length `length` (≥ 1) over the alphabet, no run over `k`.
    fn all(&self, length: usize, k: usize) -> BigUint {
        (&self.q[length] - &self.q[length - k.min(length)]) * self.size
    }

    /// Completions of `n` characters after a run of `run` (`run ≤ k`), split as `(added, subtracted)` so a sum
    /// of terms accumulates without allocating.
    fn after(&self, run: usize, n: usize, k: usize) -> (&BigUint, &BigUint) {
        (&self.q[n + 1], &self.q[n - (k - run).min(n)])
    }
}

/// The counts of one rule set at one length, and what sampling needs.
pub struct Counter {
    length: usize,
    /// Longest run allowed (the length when unlimited).
    k: usize,
    /// Characters by group; `groups[g].0` is the bit mask of the enforced lines the group's characters satisfy.
    groups: Vec<(u32, Vec<u8>)>,
    /// Enforced lines: all of them when sampling by counting, none when the proposal is rejected on them.
    enforced: u32,
    /// For each `T ⊆ enforced` (as a mask), the index in `tables` of the size `|A \ ∪_T R|`.
    table_of: Vec<usize>,
    tables: Vec<Runs>,
    /// The count of strings meeting the enforced lines and the runs: the proposal's total.
    total: BigUint,
}

impl Counter {
    /// `lines[i]` is required line `i` as a set of ASCII characters (bit `c`: character `c`); `enforced` says
    /// which lines the strings must meet (bit `i`: line `i`).
    pub fn new(
        alphabet: &[u8],
        lines: &[u128],
        enforced: u32,
        length: usize,
        k: usize,
    ) -> Result<Self, GenerationError> {
        let k = k.clamp(1, length.max(1));
        let in_line = |c: u8, i: usize| lines.get(i).is_some_and(|l| l & (1u128 << c) != 0);
        let mut groups: Vec<(u32, Vec<u8>)> = Vec::new();
        for &c in alphabet {
            let sig = (0..lines.len())
                .filter(|&i| enforced & (1 << i) != 0 && in_line(c, i))
                .fold(0u32, |m, i| m | (1 << i));
            match groups.iter_mut().find(|(s, _)| *s == sig) {
                Some((_, chars)) => chars.push(c),
                None => groups.push((sig, vec![c])),
            }
        }
        let mut table_of = vec![0usize; 1 << lines.len().min(8)];
        let mut tables: Vec<Runs> = Vec::new();
        for t in Subsets::of(enforced) {
            let size: usize = groups
                .iter()
                .filter(|(sig, _)| sig & t == 0)
                .map(|(_, chars)| chars.len())
                .sum();
            let index = match tables.iter().position(|r| r.size == size) {
                Some(i) => i,
                None => {
                    tables.push(Runs::new(size, length, k));
                    tables.len() - 1
                }
            };
            let slot = table_of
                .get_mut(t as usize)
                .ok_or(GenerationError::Internal("line mask out of range"))?;
            *slot = index;
        }
        let mut counter = Self {
            length,
            k,
            groups,
            enforced,
            table_of,
            tables,
            total: BigUint::ZERO,
        };
        counter.total = counter.signed_sum(enforced, |runs| {
            if runs.size == 0 || length == 0 {
                (BigUint::from(u32::from(length == 0)), BigUint::ZERO)
            } else {
                (runs.all(length, k), BigUint::ZERO)
            }
        })?;
        Ok(counter)
    }

    /// Strings meeting the enforced lines and the runs.
    pub fn total(&self) -> &BigUint {
        &self.total
    }

    /// How many distinct run tables were built (the cost model's unit of set-up work).
    #[cfg(test)]
    pub fn tables(&self) -> usize {
        self.tables.len()
    }

    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// `Σ_{T ⊆ open} (−1)^|T| term(T)`, each term given as a difference `(a, b)`.
    /// The terms are owned or borrowed big integers (the sampler's are borrowed from the tables: no copy).
    fn signed_sum<'a, F, A>(&'a self, open: u32, term: F) -> Result<BigUint, GenerationError>
    where
        F: Fn(&'a Runs) -> (A, A),
        BigUint: std::ops::AddAssign<A>,
    {
        let (mut plus, mut minus) = (BigUint::ZERO, BigUint::ZERO);
        for t in Subsets::of(open) {
            let runs = self.runs(t)?;
            let (a, b) = term(runs);
            if t.count_ones() % 2 == 0 {
                plus += a;
                minus += b;
            } else {
                plus += b;
                minus += a;
            }
        }
        if plus < minus {
            return Err(GenerationError::Internal("negative count"));
        }
        Ok(plus - minus)
    }

    fn runs(&self, t: u32) -> Result<&Runs, GenerationError> {
        self.table_of
            .get(t as usize)
            .and_then(|&i| self.tables.get(i))
            .ok_or(GenerationError::Internal("no table for a line subset"))
    }

    /// Completions of `n` characters after a prefix that satisfied `satisfied` and ends a run of `run`.
    fn completions(
        &self,
        satisfied: u32,
        run: usize,
        n: usize,
    ) -> Result<BigUint, GenerationError> {
        if run > self.k {
            return Ok(BigUint::ZERO);
        }
        self.signed_sum(self.enforced & !satisfied, |runs| {
            runs.after(run, n, self.k)
        })
    }

    /// One string, uniform among those meeting the enforced lines and the runs.
    pub fn draw<R: TryCryptoRng + ?Sized>(
        &self,
        sampler: &mut Sampler<'_, R>,
    ) -> Result<Vec<u8>, GenerationError> {
        let mut out = Vec::with_capacity(self.length);
        let mut satisfied = 0u32;
        let mut last: Option<(u8, u32)> = None;
        let mut run = 0usize;
        for i in 0..self.length {
            let n = self.length - i - 1;
            // (weight of each member, members, group index; None: the previous character again)
            let mut options: Vec<(BigUint, usize, Option<usize>)> = Vec::new();
            for (g, (sig, chars)) in self.groups.iter().enumerate() {
                let members = chars.len() - usize::from(last.is_some_and(|(_, s)| s == *sig));
                if members > 0 {
                    options.push((self.completions(satisfied | sig, 1, n)?, members, Some(g)));
                }
            }
            if last.is_some() {
                options.push((self.completions(satisfied, run + 1, n)?, 1, None));
            }
            let total: BigUint = options.iter().map(|(w, m, _)| w * *m).sum();
            let mut r = sampler.below_big(&total)?;
            let mut picked = None;
            for (weight, members, group) in &options {
                let span = weight * *members;
                if r < span {
                    let index = &r / weight;
                    picked = Some((*group, usize::try_from(&index).unwrap_or(usize::MAX)));
                    break;
                }
                r -= span;
            }
            let (group, index) = picked.ok_or(GenerationError::Internal("no candidate picked"))?;
            let c = match (group, last) {
                (None, Some((c, _))) => {
                    run += 1;
                    c
                }
                (Some(g), _) => {
                    let (sig, chars) = &self.groups[g];
                    let previous = last.map(|(c, _)| c);
                    let c = *chars
                        .iter()
                        .filter(|&&c| Some(c) != previous)
                        .nth(index)
                        .ok_or(GenerationError::Internal("member out of range"))?;
                    satisfied |= sig;
                    last = Some((c, *sig));
                    run = 1;
                    c
                }
                (None, None) => return Err(GenerationError::Internal("repeat with no previous")),
            };
            out.push(c);
        }
        Ok(out)
    }
}

/// The subsets of a bit mask, all of them, the empty one included.
struct Subsets {
    of: u32,
    next: Option<u32>,
}

impl Subsets {
    fn of(mask: u32) -> Self {
        Self {
            of: mask,
            next: Some(mask),
        }
    }
}

impl Iterator for Subsets {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let current = self.next?;
        self.next = (current != 0).then(|| (current - 1) & self.of);
        Some(current)
    }
}

//! A policy prepared for one request: the sampling method chosen and, for counting, the table built once.

use rand::TryCryptoRng;

use super::super::GenerationError;
use super::super::sampling::Sampler;
use super::Policy;
use super::counting::*;

/// A policy ready to draw passwords: the method chosen and, for counting, the table built — once per request.
pub struct Prepared<'p> {
    policy: &'p Policy,
    plan: Plan,
    /// `P` of [`Policy::probability_meeting`] when the choice of method computed it.
    probability: Option<f64>,
}

pub(super) enum Plan {
    /// Every character uniform over the alphabet, the whole string kept if it meets the minimums.
    Rejection,
    /// Uniform among the strings meeting the minimums of the counted classes (by counting, over `parts`),
    /// kept if it meets the others' minimums too (`rejecting`; with every class counted, always).
    Counting(Box<CountingPlan>),
}

pub(super) struct CountingPlan {
    parts: Vec<Part>,
    table: Table,
    rejecting: bool,
    /// The class of each ASCII byte (`u8::MAX`: none), to check the minimums without a search.
    class_of: [u8; 128],
}

impl<'p> Prepared<'p> {
    pub(super) fn new(policy: &'p Policy, method: Method, probability: Option<f64>) -> Self {
        let counted = match method {
            Method::Rejection => {
                return Self {
                    policy,
                    plan: Plan::Rejection,
                    probability,
                };
            }
            Method::Counting => ALL_CLASSES,
            Method::CountingSome(mask) => mask,
        };
        let parts = policy.parts_counting(counted);
        let table = Table::new(policy.length, &parts);
        let mut class_of = [u8::MAX; 128];
        for (j, class) in policy.classes.iter().enumerate() {
            for &c in &class.chars {
                if let Some(slot) = class_of.get_mut(usize::from(c)) {
                    *slot = j as u8;
                }
            }
        }
        let all = (0..policy.classes.len()).all(|j| counted & (1 << j) != 0);
        Self {
            policy,
            plan: Plan::Counting(Box::new(CountingPlan {
                parts,
                table,
                rejecting: !all,
                class_of,
            })),
            probability,
        }
    }

    /// Entropy of one password in bits: exact from the table when every class is counted, else as
    /// [`Policy::entropy_bits`] (reusing the probability the choice of method computed).
    pub fn entropy_bits(&self) -> f64 {
        match (&self.plan, self.probability) {
            (Plan::Counting(plan), _) if !plan.rejecting => {
                super::super::entropy::log2(&plan.table.count())
            }
            (_, Some(p)) if !self.policy.all_minimums_at_most_one() => {
                self.policy.entropy_from_probability(p)
            }
            _ => self.policy.entropy_bits(),
        }
    }

    pub fn generate<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<String, GenerationError> {
        let mut many = self.generate_many(1, rng)?;
        many.pop()
            .ok_or(GenerationError::Internal("no password generated"))
    }

    pub fn generate_many<R: TryCryptoRng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<String>, GenerationError> {
        let mut sampler = Sampler::new(rng);
        (0..n)
            .map(|_| {
                let bytes = match &self.plan {
                    Plan::Rejection => self.policy.by_rejection(&mut sampler)?,
                    Plan::Counting(plan) => self.by_counting(plan, &mut sampler)?,
                };
                // Every byte comes from an ASCII class, so this conversion cannot fail; map it anyway.
                String::from_utf8(bytes).map_err(|_| GenerationError::Internal("non-ASCII class"))
            })
            .collect()
    }

    pub(super) fn by_counting<R: TryCryptoRng + ?Sized>(
        &self,
        plan: &CountingPlan,
        sampler: &mut Sampler<'_, R>,
    ) -> Result<Vec<u8>, GenerationError> {
        let CountingPlan {
            parts,
            table,
            rejecting,
            class_of,
        } = plan;
        let rejecting = *rejecting;
        let attempts = if rejecting { MAX_ATTEMPTS } else { 1 };
        let mut per_class = vec![0usize; self.policy.classes.len()];
        for _ in 0..attempts {
            let password = draw_counting(self.policy.length, parts, table, sampler)?;
            if !rejecting {
                return Ok(password);
            }
            per_class.fill(0);
            for &b in &password {
                if let Some(count) = class_of
                    .get(usize::from(b))
                    .and_then(|&j| per_class.get_mut(usize::from(j)))
                {
                    *count += 1;
                }
            }
            if self
                .policy
                .classes
                .iter()
                .zip(&per_class)
                .all(|(class, &n)| n >= class.min)
            {
                return Ok(password);
            }
        }
        Err(GenerationError::Exhausted(MAX_ATTEMPTS))
    }
}

/// One string of `length`, uniform among those holding at least `min` characters of each part.
pub(super) fn draw_counting<R: TryCryptoRng + ?Sized>(
    length: usize,
    parts: &[Part],
    table: &Table,
    sampler: &mut Sampler<'_, R>,
) -> Result<Vec<u8>, GenerationError> {
    let mut remaining = length;
    let mut counts = vec![0usize; parts.len()];
    // Last part first: how many of the `remaining` positions it takes, weighted by the number of
    // completions; the earlier parts then share what is left.
    for j in (0..parts.len()).rev() {
        let part = &parts[j];
        if j == 0 {
            // The first part takes whatever is left: nothing to draw (the earlier draws only chose
            // compositions whose completion by this part is possible, i.e. `remaining >= min`).
            if remaining < part.min {
                return Err(GenerationError::Internal("composition below a minimum"));
            }
            counts[0] = remaining;
            break;
        }
        let mut r = sampler.below_big(&table.g[j + 1][remaining])?;
        let mut chosen = None;
        for k in part.min..=remaining {
            let computed;
            let weight = if j + 1 == parts.len() {
                // remaining = length here: the weights were computed with the table.
                match table.last_weights.get(k - part.min) {
                    Some(w) => w,
                    None => break,
                }
            } else {
                computed = table.weight(j, remaining, k);
                &computed
            };
            if &r < weight {
                chosen = Some(k);
                break;
            }
            r -= weight;
        }
        let k = chosen.ok_or(GenerationError::Internal("composition not found"))?;
        counts[j] = k;
        remaining -= k;
    }
    let mut slots: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(j, &k)| std::iter::repeat_n(j, k))
        .collect();
    if slots.len() != length {
        return Err(GenerationError::Internal(
            "composition does not fill the length",
        ));
    }
    for i in (1..slots.len()).rev() {
        let j = sampler.below(i + 1)?;
        slots.swap(i, j);
    }
    slots
        .into_iter()
        .map(|j| {
            let chars = &parts[j].chars;
            Ok(chars[sampler.below(chars.len())?])
        })
        .collect()
}

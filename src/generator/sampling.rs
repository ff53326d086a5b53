//! Unbiased sampling from an injected CSPRNG: small ranges from single bytes, larger ones from a few bytes, and
//! big integers (for sampling by counting). Every draw rejects the values that would cause modulo bias, and
//! every rejection loop is bounded so a broken RNG ends in an error instead of a hang.

use num_bigint::BigUint;
use rand::TryCryptoRng;

use super::GenerationError;

/// Each rejection happens with probability below 1/2, so 128 in a row happen with probability below 2^-128:
/// only a broken (stuck) RNG gets there.
const MAX_CONSECUTIVE_REJECTIONS: u32 = 128;

/// Buffers OS randomness so a password costs one `getrandom` call, and draws unbiased values from it.
pub(crate) struct Sampler<'a, R: ?Sized> {
    rng: &'a mut R,
    buffer: [u8; 128],
    next: usize,
}

impl<'a, R: TryCryptoRng + ?Sized> Sampler<'a, R> {
    pub(crate) fn new(rng: &'a mut R) -> Self {
        Self {
            rng,
            buffer: [0; 128],
            next: usize::MAX,
        }
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, GenerationError> {
        if self.next >= self.buffer.len() {
            self.rng
                .try_fill_bytes(&mut self.buffer)
                .map_err(|e| GenerationError::Rng(e.to_string()))?;
            self.next = 0;
        }
        let b = self.buffer[self.next];
        self.next += 1;
        Ok(b)
    }

    /// A uniform index in `0..n` for `1 <= n <= 2^32`. For `n <= 256` one byte per try; otherwise the fewest
    /// bytes that cover `n`. Values at or above the largest multiple of `n` are rejected, so `value % n` has no
    /// modulo bias.
    pub(crate) fn below(&mut self, n: usize) -> Result<usize, GenerationError> {
        let n = n as u64;
        if n == 0 || n > 1 << 32 {
            return Err(GenerationError::Internal("range out of bounds"));
        }
        let bytes = if n <= 256 {
            1
        } else {
            (64 - (n - 1).leading_zeros()).div_ceil(8)
        };
        let space = 1u64 << (8 * bytes);
        let limit = space - (space % n);
        for _ in 0..MAX_CONSECUTIVE_REJECTIONS {
            let mut value = 0u64;
            for _ in 0..bytes {
                value = (value << 8) | u64::from(self.byte()?);
            }
            if value < limit {
                return Ok((value % n) as usize);
            }
        }
        Err(GenerationError::Exhausted(MAX_CONSECUTIVE_REJECTIONS))
    }

    /// Fills `out` with characters drawn uniformly from `alphabet`, one byte per try: exactly the draws of
    /// `alphabet[below(len)]` per character, with the division replaced by the table's lookup.
    pub(crate) fn fill_from(
        &mut self,
        out: &mut [u8],
        alphabet: &ByteAlphabet,
    ) -> Result<(), GenerationError> {
        for slot in out.iter_mut() {
            let mut tries = 0;
            *slot = loop {
                let value = usize::from(self.byte()?);
                if value < alphabet.limit {
                    break alphabet.chars[value];
                }
                tries += 1;
                if tries == MAX_CONSECUTIVE_REJECTIONS {
                    return Err(GenerationError::Exhausted(MAX_CONSECUTIVE_REJECTIONS));
                }
            };
        }
        Ok(())
    }

    /// A uniform integer in `0..n` (`n >= 1`): draw as many random bits as `n - 1` has, retry when the value is
    /// `>= n` (probability below 1/2 per try).
    pub(crate) fn below_big(&mut self, n: &BigUint) -> Result<BigUint, GenerationError> {
        if n.bits() == 0 {
            return Err(GenerationError::Internal("empty range"));
        }
        let bits = (n - 1u32).bits();
        let len = bits.div_ceil(8) as usize;
        let top_mask = match bits % 8 {
            0 => 0xff,
            r => (1u8 << r) - 1,
        };
        let mut bytes = vec![0u8; len];
        for _ in 0..MAX_CONSECUTIVE_REJECTIONS {
            for b in bytes.iter_mut() {
                *b = self.byte()?;
            }
            if let Some(last) = bytes.last_mut() {
                *last &= top_mask;
            }
            let value = BigUint::from_bytes_le(&bytes);
            if &value < n {
                return Ok(value);
            }
        }
        Err(GenerationError::Exhausted(MAX_CONSECUTIVE_REJECTIONS))
    }
}

/// An alphabet of 1 to 256 characters for one-byte draws: each byte below the largest multiple of its size
/// maps to `alphabet[byte % size]`, computed once per request instead of one division per character (a
/// rules password of 128 characters is ~175 bytes, the worst accepted request ~27,000).
pub(crate) struct ByteAlphabet {
    limit: usize,
    chars: [u8; 256],
}

impl ByteAlphabet {
    pub(crate) fn new(alphabet: &[u8]) -> Result<Self, GenerationError> {
        let n = alphabet.len();
        if n == 0 || n > 256 {
            return Err(GenerationError::Internal("alphabet size out of bounds"));
        }
        let limit = 256 - (256 % n);
        let mut chars = [0u8; 256];
        for (byte, c) in chars.iter_mut().enumerate().take(limit) {
            *c = alphabet[byte % n];
        }
        Ok(Self { limit, chars })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn below_covers_the_range_evenly() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut sampler = Sampler::new(&mut rng);
        for n in [1usize, 2, 10, 94, 256, 257, 7776, 65_536, 100_000] {
            for _ in 0..2_000 {
                assert!(sampler.below(n).unwrap() < n);
            }
        }
        // Counts over 0..7776 (the wordlist size): every bucket of 777.6 values within 6 sigma of its mean.
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            buckets[sampler.below(7776).unwrap() * 10 / 7776] += 1;
        }
        for count in buckets {
            assert!(
                (f64::from(count) - 10_000.0).abs() < 6.0 * 95.0,
                "{buckets:?}"
            );
        }
    }

    #[test]
    fn fill_from_draws_what_below_draws() {
        // Same seed, same bytes: filling in place must be exactly `alphabet[below(n)]` per character, so the
        // rules' plain sampler keeps the distribution the counting tests check.
        for n in [1usize, 2, 3, 94, 95, 128, 255, 256] {
            let alphabet: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let (mut a, mut b) = (
                StdRng::seed_from_u64(n as u64),
                StdRng::seed_from_u64(n as u64),
            );
            let (mut one, mut many) = (Sampler::new(&mut a), Sampler::new(&mut b));
            let expected: Vec<u8> = (0..1_000)
                .map(|_| alphabet[one.below(n).unwrap()])
                .collect();
            let mut filled = vec![0u8; 1_000];
            many.fill_from(&mut filled, &ByteAlphabet::new(&alphabet).unwrap())
                .unwrap();
            assert_eq!(filled, expected, "alphabet of {n}");
        }
        assert!(ByteAlphabet::new(&[]).is_err());
        assert!(ByteAlphabet::new(&[0u8; 257]).is_err());
    }

    #[test]
    fn below_big_stays_below_and_reaches_the_top() {
        let mut rng = StdRng::seed_from_u64(6);
        let mut sampler = Sampler::new(&mut rng);
        let n = BigUint::from(5u32);
        let mut seen = [0u32; 5];
        for _ in 0..5_000 {
            let v = sampler.below_big(&n).unwrap();
            seen[usize::try_from(v.to_u32_digits().first().copied().unwrap_or(0)).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        let huge = BigUint::from(94u32).pow(128);
        for _ in 0..200 {
            assert!(sampler.below_big(&huge).unwrap() < huge);
        }
        assert!(sampler.below_big(&BigUint::from(0u32)).is_err());
    }

    #[test]
    fn out_of_range_requests_are_errors_not_panics() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut sampler = Sampler::new(&mut rng);
        assert!(sampler.below(0).is_err());
        assert!(sampler.below((1usize << 32) + 1).is_err());
    }
}

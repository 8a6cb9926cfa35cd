//! The order of a weighted request mix: a deck holding each request's index
//! as many times as its weight (weights divided by their greatest common
//! divisor first), shuffled once with a fixed seed. Request `id` of a run
//! is `deck[id % deck.len()]`, so every run of a scenario sends the same
//! sequence, whichever worker takes which request, and every stretch of
//! `deck.len()` requests holds the mix in its exact proportions.

/// The seed of every deck: runs, trials and revisions send the same order.
pub(crate) const SEED: u64 = 0x7261_7465_6368_6b21;

/// The shuffled deck for `weights` (each ≥ 1), by `seed`; empty when there
/// is at most one request (it is always request 0).
pub(crate) fn shuffled(weights: &[u32], seed: u64) -> Vec<u32> {
    if weights.len() <= 1 {
        return Vec::new();
    }
    let g = weights.iter().copied().fold(0, gcd).max(1);
    let mut deck: Vec<u32> = weights
        .iter()
        .enumerate()
        .flat_map(|(i, &w)| std::iter::repeat_n(i as u32, (w / g) as usize))
        .collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    rng.shuffle(&mut deck);
    deck
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(deck: &[u32], n: usize) -> Vec<usize> {
        (0..n)
            .map(|i| deck.iter().filter(|&&d| d == i as u32).count())
            .collect()
    }

    #[test]
    fn each_request_appears_by_its_weight_reduced() {
        assert_eq!(counts(&shuffled(&[3, 1], SEED), 2), [3, 1]);
        assert_eq!(counts(&shuffled(&[6, 2, 4], SEED), 3), [3, 1, 2]);
        assert_eq!(counts(&shuffled(&[5, 5], SEED), 2), [1, 1]);
        assert!(shuffled(&[7], SEED).is_empty());
        assert!(shuffled(&[], SEED).is_empty());
    }

    #[test]
    fn the_order_is_fixed_by_the_seed_and_shuffled() {
        let w = [10, 10, 10, 10];
        let a = shuffled(&w, SEED);
        assert_eq!(a, shuffled(&w, SEED));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_ne!(a, sorted, "not shuffled");
        // One weight-1 request among many is placed by the seed, not last.
        let heavy = shuffled(&[99, 1], SEED);
        assert_eq!(heavy.len(), 100);
        let seeds_placing_it_last = (0..20)
            .filter(|&s| shuffled(&[99, 1], s).last() == Some(&1))
            .count();
        assert!(seeds_placing_it_last < 20);
    }
}

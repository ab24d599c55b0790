//! What the checks of signed webhooks (Stripe's `Stripe-Signature`,
//! Resend's Svix headers) share: the 5-minute window around the signed
//! timestamp and a constant-time "does any given signature match any
//! expected one".

use subtle::ConstantTimeEq;

/// Stripe's and Svix's own libraries allow 5 minutes; so do we, in both
/// directions (a timestamp from the future is refused too).
pub const TOLERANCE_SECS: u64 = 300;

/// Whether a signed unix `timestamp` is within [`TOLERANCE_SECS`] of `now`.
/// Never overflows, whatever the header said.
pub fn fresh(timestamp: i64, now: i64) -> bool {
    timestamp.abs_diff(now) <= TOLERANCE_SECS
}

/// Whether any of `given` equals any of `expected`. Every pair is compared
/// in constant time and every comparison runs, so timing says nothing about
/// which one matched, or how much of it.
pub fn any_match<E: AsRef<[u8]>, G: AsRef<[u8]>>(expected: &[E], given: &[G]) -> bool {
    let mut matched = subtle::Choice::from(0);
    for e in expected {
        for g in given {
            matched |= e.as_ref().ct_eq(g.as_ref());
        }
    }
    bool::from(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_five_minutes_either_way_and_never_overflows() {
        let now = 1_767_225_600;
        assert!(fresh(now, now));
        assert!(fresh(now - 300, now) && fresh(now + 300, now));
        assert!(!fresh(now - 301, now) && !fresh(now + 301, now));
        assert!(!fresh(i64::MIN, now) && !fresh(i64::MAX, now));
    }

    #[test]
    fn any_given_may_match_any_expected() {
        assert!(any_match(&["a", "b"], &["x", "b"]));
        assert!(!any_match(&["a", "b"], &["x", "ab", ""]));
        assert!(!any_match::<&str, &str>(&[], &["a"]));
        assert!(!any_match::<&str, &str>(&["a"], &[]));
    }
}

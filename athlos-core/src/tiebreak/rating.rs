//! The rating arithmetic of the tie-breaks that use ratings (ARO, TPR, PTP and their averages),
//! with the conversion tables of the FIDE Rating Regulations (B.02, table 8.1).

/// Table 8.1(b): the largest rating difference for each expected score from 50 % to 99 %;
/// a larger difference (up to the 800 points that count) expects 100 %.
const DIFF_UPPER_BOUND: [u16; 50] = [
    3, 10, 17, 25, 32, 39, 46, 53, 61, 68, 76, 83, 91, 98, 106, 113, 121, 129, 137, 145, 153, 162,
    170, 179, 188, 197, 206, 215, 225, 235, 245, 256, 267, 278, 290, 302, 315, 328, 344, 357, 374,
    391, 411, 432, 456, 484, 517, 559, 619, 735,
];

/// Table 8.1(a): the rating difference `dp` for a score of 50 % to 100 %; below 50 % it is the
/// same with the sign changed (`dp(p) = -dp(100 - p)`).
const DP_UPPER_HALF: [i32; 51] = [
    0, 7, 14, 21, 29, 36, 43, 50, 57, 65, 72, 80, 87, 95, 102, 110, 117, 125, 133, 141, 149, 158,
    166, 175, 184, 193, 202, 211, 220, 230, 240, 251, 262, 273, 284, 296, 309, 322, 336, 351, 366,
    383, 401, 422, 444, 470, 501, 538, 589, 677, 800,
];

/// The expected score, in percent, of a player rated `player` against one rated `opponent`.
pub(crate) fn expected_percent(player: i64, opponent: i64) -> i64 {
    let diff = (player - opponent).clamp(-800, 800);
    let stronger = diff.unsigned_abs();
    let pd = DIFF_UPPER_BOUND
        .iter()
        .position(|&bound| stronger <= u64::from(bound))
        .map_or(100, |i| 50 + i as i64);
    if diff > 0 {
        pd
    } else {
        100 - pd
    }
}

/// `dp` for a percentage score (0–100).
pub(crate) fn dp(percent: i64) -> i64 {
    let p = percent.clamp(0, 100);
    if p >= 50 {
        i64::from(DP_UPPER_HALF[(p - 50) as usize])
    } else {
        -i64::from(DP_UPPER_HALF[(50 - p) as usize])
    }
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero
/// (`denominator > 0`).
pub(crate) fn round_div(numerator: i64, denominator: i64) -> i64 {
    if numerator >= 0 {
        (2 * numerator + denominator) / (2 * denominator)
    } else {
        -((-2 * numerator + denominator) / (2 * denominator))
    }
}

/// Average rating of the opponents, rounded to the nearest point (halves up).
pub(crate) fn average(ratings: &[i64]) -> Option<i64> {
    if ratings.is_empty() {
        return None;
    }
    Some(round_div(ratings.iter().sum(), ratings.len() as i64))
}

/// Tournament performance rating: the opponents' average plus `dp` of the percentage scored
/// (`score` in hundredths of a standard point, the percentage rounded halves up).
pub(crate) fn performance(score: i64, ratings: &[i64]) -> Option<i64> {
    let aro = average(ratings)?;
    let percent = round_div(score, ratings.len() as i64);
    Some(aro + dp(percent))
}

/// Perfect tournament performance: the lowest rating whose expected score against these
/// opponents reaches the score (`score` in hundredths); no score at all gives the lowest
/// opponent's rating less 800.
pub(crate) fn perfect_performance(score: i64, ratings: &[i64]) -> Option<i64> {
    let (&low, &high) = (ratings.iter().min()?, ratings.iter().max()?);
    if score <= 0 {
        return Some(low - 800);
    }
    let expected = |r: i64| -> i64 { ratings.iter().map(|&o| expected_percent(r, o)).sum() };
    if expected(high + 800) < score {
        return Some(high + 800);
    }
    // The expected score does not decrease with the rating: find the first rating that reaches it.
    let (mut lo, mut hi) = (low - 801, high + 800);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if expected(mid) >= score {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_regulations() {
        assert_eq!(expected_percent(2000, 2000), 50);
        assert_eq!(expected_percent(2004, 2000), 51);
        assert_eq!(expected_percent(2000, 2004), 49);
        assert_eq!(expected_percent(2736, 2000), 100);
        assert_eq!(expected_percent(2735, 2000), 99);
        assert_eq!(dp(100), 800);
        assert_eq!(dp(0), -800);
        assert_eq!(dp(75), 193);
        assert_eq!(dp(25), -193);
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(
            performance(450, &[2000, 2100, 2200, 2300, 2400, 2000]),
            Some(2167 + 193)
        );
        assert_eq!(perfect_performance(0, &[2000, 2100]), Some(1200));
        let ptp = perfect_performance(150, &[2000, 2000]).unwrap();
        assert!(
            expected_percent(ptp, 2000) * 2 >= 150 && expected_percent(ptp - 1, 2000) * 2 < 150
        );
    }
}

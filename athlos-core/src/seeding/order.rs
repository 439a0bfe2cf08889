//! Seed order: who is stronger than whom before a draw.

use std::cmp::Ordering;

use crate::model::Participant;

/// Sorts a field into seed order (strongest first) and returns indices into `participants`.
///
/// The order is total and does not depend on the input order:
/// 1. participants with an explicit `seed`, by ascending seed;
/// 2. then those with a `rank`, by ascending rank;
/// 3. then those with a `rating`, by descending rating;
/// 4. then everyone else;
///
/// with ties at every step broken by ascending id.
pub fn seed_order(participants: &[Participant]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..participants.len()).collect();
    order.sort_by(|&a, &b| compare(&participants[a], &participants[b]));
    order
}

/// The comparison behind [`seed_order`]: `Less` means `a` is seeded ahead of `b`.
pub fn compare(a: &Participant, b: &Participant) -> Ordering {
    // `None` sorts after any value for seeds and ranks (ascending), and after any rating
    // (descending), so participants with more information come first within each step.
    fn ascending(a: Option<u32>, b: Option<u32>) -> Ordering {
        match (a, b) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    ascending(a.seed, b.seed)
        .then_with(|| ascending(a.rank, b.rank))
        .then_with(|| match (a.rating, b.rating) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: &str) -> Participant {
        Participant::new(id, id).unwrap()
    }

    #[test]
    fn seeds_then_rank_then_rating_then_id() {
        let field = vec![
            p("z"),
            p("rated-low").with_rating(1500),
            p("ranked-2").with_rank(2),
            p("seed-2").with_seed(2),
            p("rated-high").with_rating(2100),
            p("a"),
            p("seed-1").with_seed(1).with_rating(1000),
            p("ranked-1").with_rank(1).with_rating(1),
        ];
        let names: Vec<&str> = seed_order(&field)
            .into_iter()
            .map(|i| field[i].id.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "seed-1",
                "seed-2",
                "ranked-1",
                "ranked-2",
                "rated-high",
                "rated-low",
                "a",
                "z"
            ]
        );
    }

    #[test]
    fn order_does_not_depend_on_input_order() {
        let mut field: Vec<Participant> = (0..20)
            .map(|i| p(&format!("p{i:02}")).with_rating(1500 + (i % 4) * 10))
            .collect();
        let ids = |f: &[Participant]| -> Vec<String> {
            seed_order(f)
                .into_iter()
                .map(|i| f[i].id.to_string())
                .collect()
        };
        let before = ids(&field);
        field.reverse();
        assert_eq!(ids(&field), before);
    }
}

//! The paved path: seed a field, place it and build the bracket in one call.

use crate::bracket::{Bracket, BracketOptions, Format};
use crate::error::Error;
use crate::model::{validate_field, Participant};
use crate::seeding::{place_ranked, seed_order};

/// Draws `participants` into a bracket of `options.format`.
///
/// Elimination formats (single, double, repechage) are placed by
/// [`place`](crate::seeding::place): standard seeding,
/// byes, `max_seeds` draws from `seed` and club/nation separation, then built with
/// [`Bracket::elimination`]. Round robin and groups take the field in seed order
/// ([`seed_order`]) and are built with [`Bracket::round_robin`]. [`Format::Auto`] resolves by
/// head count first ([`Format::resolve`]).
///
/// The same participants (in any order), options and `seed` always give the same bracket.
///
/// ```
/// use athlos_core::bracket::{BracketOptions, Format};
/// use athlos_core::model::Participant;
///
/// let field: Vec<Participant> = (1..=6)
///     .map(|i| Participant::new(format!("p{i}"), format!("Player {i}")).map(|p| p.with_seed(i)))
///     .collect::<Result<_, _>>()?;
/// let bracket = athlos_core::draw(&field, &BracketOptions::new(Format::SingleElimination), 7)?;
/// assert_eq!(bracket.rounds(), 3);
/// // Seeds 1 and 2 get the two byes.
/// let slots = bracket.first_round_slots().unwrap_or_default();
/// assert_eq!(slots[1], None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Model`] for an invalid field, [`Error::Seeding`] for a placement that cannot be
/// made, [`Error::Bracket`] for options the format refuses.
pub fn draw(
    participants: &[Participant],
    options: &BracketOptions,
    seed: u64,
) -> Result<Bracket, Error> {
    validate_field(participants)?;
    let format = options.format.resolve(participants.len());
    let order = seed_order(participants);
    let ranked: Vec<Participant> = order.iter().map(|&i| participants[i].clone()).collect();
    match format {
        Format::SingleElimination | Format::DoubleElimination | Format::Repechage => {
            let placement = place_ranked(participants, &order, options, seed)?;
            Ok(Bracket::elimination(options, &ranked, &placement.slots)?)
        }
        _ => Ok(Bracket::round_robin(options, &ranked)?),
    }
}

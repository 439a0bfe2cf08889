//! What one viewer may do in a draft now: the forms a draft page shows come from here, and
//! nothing else decides them (the service still checks every command when it is sent).

use super::{DraftRecord, OnTheClock};
use crate::access::Principal;
use crate::lifecycle::DraftAction;
use crate::model::ParticipantId;

/// What one viewer may do in a draft now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DraftRights {
    /// The pick on the clock, when the viewer may make it now: the draft is in progress and
    /// the viewer manages the team on the clock (its manager, the commissioner or an admin).
    pub pick: Option<OnTheClock>,
    /// The players that pick may take (in the pool, not taken, fitting the team's roster),
    /// best rank first (ties by id); empty without a pick.
    pub pickable: Vec<ParticipantId>,
    /// The teams whose queue the viewer keeps, from 0: the teams it is the named manager
    /// of, and for the commissioner or an admin the teams without a manager.
    pub queues: Vec<u32>,
    /// Whether those queues may be changed now (until the draft is completed).
    pub may_set_queue: bool,
    /// Whether the viewer directs the draft (the commissioner or an admin).
    pub directs: bool,
}

impl DraftRecord {
    /// What `principal` (`None`: a viewer who is not signed in) may do in this draft now.
    pub fn rights(&self, principal: Option<&Principal>) -> DraftRights {
        let Some(principal) = principal else {
            return DraftRights::default();
        };
        let draft = &self.draft;
        let available = draft.available_actions();
        let directs = self.may_direct(principal).is_ok();
        let pick = draft.on_the_clock().filter(|on| {
            available.contains(&DraftAction::Pick) && self.may_manage(principal, on.team).is_ok()
        });
        let mut pickable: Vec<(u32, &ParticipantId)> = match pick {
            Some(on) => draft
                .settings()
                .pool()
                .iter()
                .filter(|player| draft.fits(on.team, &player.id))
                .map(|player| (player.rank, &player.id))
                .collect(),
            None => Vec::new(),
        };
        pickable.sort();
        let queues = self
            .managers
            .iter()
            .zip(0..draft.settings().teams())
            .filter(|(manager, _)| match manager {
                Some(manager) => manager == principal.subject(),
                None => directs,
            })
            .map(|(_, team)| team)
            .collect();
        DraftRights {
            pick,
            pickable: pickable.into_iter().map(|(_, id)| id.clone()).collect(),
            queues,
            may_set_queue: available.contains(&DraftAction::SetQueue),
            directs,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::draft::RosterPosition;
    use crate::draft::{Command, Draft, DraftConfig, DraftSettings, Player, Position};
    use crate::id::DraftId;
    use crate::lifecycle::draft::PickOrder;

    fn id(text: &str) -> ParticipantId {
        ParticipantId::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Three teams (0: "ann", 1: "bob", 2: the commissioner "com" alone), two rounds,
    /// linear; one goalkeeper at most per roster.
    fn record() -> DraftRecord {
        let position = |name: &str| Position::new(name).unwrap_or_else(|e| panic!("{e}"));
        let mut pool = Vec::new();
        for (n, pos) in ["GK", "GK", "GK", "FW", "FW", "FW", "FW"]
            .iter()
            .enumerate()
        {
            pool.push(Player {
                id: id(&format!("p{n}")),
                position: position(pos),
                rank: 10 - u32::try_from(n).unwrap_or(0),
            });
        }
        let settings = DraftSettings::new(DraftConfig {
            id: DraftId::new("rights").unwrap_or_else(|e| panic!("{e}")),
            teams: 3,
            rounds: 2,
            order: PickOrder::Linear,
            seconds_per_pick: 60,
            roster: vec![
                RosterPosition {
                    position: position("GK"),
                    starters: 1,
                    max: Some(1),
                },
                RosterPosition {
                    position: position("FW"),
                    starters: 1,
                    max: None,
                },
            ],
            pool,
        })
        .unwrap_or_else(|e| panic!("{e}"));
        DraftRecord {
            draft: Draft::new(settings),
            commissioner: "com".to_owned(),
            managers: vec![Some("ann".to_owned()), Some("bob".to_owned()), None],
        }
    }

    fn apply(record: &mut DraftRecord, command: &Command) {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 20, 0, 0).unwrap();
        record
            .draft
            .apply(command, at)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn only_the_team_on_the_clock_and_the_commissioner_may_pick_and_queues_are_ones_own() {
        let ann = Principal::new("ann", false);
        let bob = Principal::new("bob", false);
        let com = Principal::new("com", false);
        let admin = Principal::new("root", true);
        let stranger = Principal::new("eve", false);
        let mut r = record();
        // Scheduled: nobody picks; queues may be kept.
        let before = r.rights(Some(&ann));
        assert_eq!(before.pick, None);
        assert_eq!(before.queues, [0]);
        assert!(before.may_set_queue && !before.directs);
        assert_eq!(r.rights(None), DraftRights::default());
        assert_eq!(r.rights(Some(&stranger)).queues, Vec::<u32>::new());
        assert_eq!(r.rights(Some(&com)).queues, [2]);
        assert!(r.rights(Some(&admin)).directs);

        apply(&mut r, &Command::Start);
        let on = r.rights(Some(&ann)).pick.map(|on| (on.pick, on.team));
        assert_eq!(on, Some((1, 0)));
        // Best rank first: p6 (rank 4) … p0 (rank 10).
        let pickable = r.rights(Some(&ann)).pickable;
        assert_eq!(pickable.first(), Some(&id("p6")));
        assert_eq!(pickable.len(), 7);
        assert_eq!(r.rights(Some(&bob)).pick, None);
        assert_eq!(r.rights(Some(&stranger)).pick, None);
        assert!(r.rights(Some(&com)).pick.is_some());
        assert!(r.rights(Some(&admin)).pick.is_some());

        apply(
            &mut r,
            &Command::Pick {
                pick: 1,
                team: 0,
                player: id("p0"),
            },
        );
        assert_eq!(r.rights(Some(&ann)).pick, None);
        let bobs = r.rights(Some(&bob));
        assert_eq!(bobs.pick.map(|on| (on.pick, on.team)), Some((2, 1)));
        assert!(!bobs.pickable.contains(&id("p0")), "taken");

        // Paused: the clock is frozen, nobody picks; queues still change.
        apply(&mut r, &Command::Pause);
        let paused = r.rights(Some(&bob));
        assert_eq!(paused.pick, None);
        assert!(paused.pickable.is_empty() && paused.may_set_queue);
    }

    #[test]
    fn a_team_with_a_full_position_is_not_offered_it_and_a_completed_draft_offers_nothing() {
        let com = Principal::new("com", false);
        let mut r = record();
        apply(&mut r, &Command::Start);
        let players = ["p0", "p1", "p2", "p3", "p4"];
        for (n, player) in players.iter().enumerate() {
            let team = u32::try_from(n % 3).unwrap_or(0);
            let pick = u32::try_from(n + 1).unwrap_or(0);
            apply(
                &mut r,
                &Command::Pick {
                    pick,
                    team,
                    player: id(player),
                },
            );
        }
        // Team 2 holds a goalkeeper (p2): only forwards are offered.
        let last = r.rights(Some(&com));
        assert_eq!(last.pick.map(|on| on.team), Some(2));
        assert_eq!(last.pickable, [id("p6"), id("p5")]);
        apply(
            &mut r,
            &Command::Pick {
                pick: 6,
                team: 2,
                player: id("p5"),
            },
        );
        let done = r.rights(Some(&com));
        assert_eq!(done.pick, None);
        assert!(!done.may_set_queue);
        assert!(done.directs);
    }
}

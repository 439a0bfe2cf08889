//! The deadline scheduler of `athlos serve`: fires the pick clocks of drafts and the start
//! reminders of tournaments (`tournament_starting`, see [`athlos_core::notify`]).
//!
//! Every process that runs workers runs one scheduler. Schedulers claim due deadlines from
//! the store (`FOR UPDATE SKIP LOCKED` on PostgreSQL) for [`Config::deadline_claim`], so two
//! processes share the load and a deadline claimed by a process that died is claimed again
//! by another once the claim expires. Each auto-pick commits with the deadline it acts on
//! fenced by its sequence: a manual pick that got there first, or another scheduler, makes
//! the commit fail and nothing is applied twice.
//!
//! [`Config::deadline_claim`]: super::Config::deadline_claim

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use athlos_core::draft::PICK_CLOCK;
use athlos_core::notify::TOURNAMENT_STARTING;
use athlos_core::store::{Commit, Deadline};
use athlos_runner::DeadlineHandler;

use super::metrics::Metrics;
use super::AppService;

/// Decides what a due deadline does, and records how late it fired.
#[derive(Debug, Clone)]
pub struct Clocks {
    service: Arc<AppService>,
    metrics: Arc<Metrics>,
}

impl Clocks {
    /// Fires deadlines with `service`, recording lateness in `metrics`.
    pub fn new(service: Arc<AppService>, metrics: Arc<Metrics>) -> Self {
        Self { service, metrics }
    }
}

#[async_trait]
impl DeadlineHandler for Clocks {
    async fn fire(&self, deadline: Deadline) -> Result<Commit, String> {
        let effect = match deadline.key.purpose.as_str() {
            PICK_CLOCK => self.service.pick_clock_commit(&deadline).await,
            TOURNAMENT_STARTING => self.service.tournament_starting_commit(&deadline).await,
            _ => {
                // Left in place (claimed again after the claim) for a process that knows it.
                tracing::warn!(key = %deadline.key, "no handler for this deadline's purpose");
                return Err(format!("no handler for deadline {}", deadline.key));
            }
        };
        effect.map_err(|error| {
            tracing::warn!(key = %deadline.key, %error, "deadline could not fire");
            error.to_string()
        })
    }

    fn committed(&self, deadline: &Deadline, at: DateTime<Utc>) {
        let lateness = (at - deadline.due).to_std().unwrap_or_default();
        self.metrics.observe_deadline_lateness(lateness);
    }
}

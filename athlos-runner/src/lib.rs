#![doc = include_str!("../README.md")]

/// Defines a [`Worker`] or a [`Scheduler`]: a store, a handler, a configuration, a wake-up and a
/// clock, made by `new` and set by `with_clock` and `with_wakeup` (in a module that imports
/// `Arc`, `Clock`, `SystemClock` and `Wakeup`).
macro_rules! runner {
    (
        $(#[$doc:meta])*
        $name:ident<S: $store:ident, H: $handler:ident>($config:ident);
        $(#[$wakeup_doc:meta])*
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<S, H> {
            store: Arc<S>,
            handler: Arc<H>,
            config: $config,
            wakeup: Option<Wakeup>,
            clock: Arc<dyn Clock>,
        }

        impl<S: $store + 'static, H: $handler> $name<S, H> {
            /// Over `store`, running `handler`, on the system clock.
            pub fn new(store: Arc<S>, handler: H, config: $config) -> Self {
                Self {
                    store,
                    handler: Arc::new(handler),
                    config,
                    wakeup: None,
                    clock: Arc::new(SystemClock),
                }
            }

            /// Reads the time from `clock` (e.g. a server's, or a test's
            /// [`ManualClock`](athlos_core::clock::ManualClock)) instead of the system clock.
            #[must_use]
            pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
                self.clock = clock;
                self
            }

            $(#[$wakeup_doc])*
            #[must_use]
            pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
                self.wakeup = Some(wakeup);
                self
            }
        }
    };
}

mod scheduler;
mod worker;

pub use athlos_core::store::{Topic, Wakeup};
pub use scheduler::{DeadlineHandler, Scheduler, SchedulerConfig, SchedulerStats};
pub use worker::{JobHandler, Worker, WorkerConfig, WorkerStats};

/// What the runners' store calls return.
type Result<T, E = athlos_core::error::StoreError> = std::result::Result<T, E>;

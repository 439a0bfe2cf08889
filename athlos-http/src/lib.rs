//! The `athlos` command's library side: the v1 HTTP server behind `athlos serve`.

pub mod server;

#[cfg(feature = "fuzz")]
pub mod fuzz;

//! `athlos token`: mints a bearer token for local use.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;

use athlos_core::access::Role;

use athlos_http::server::auth::{mint, Claims};
use athlos_http::server::DEV_SECRET;

use super::CliError;

/// Flags of `athlos token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The subject: a user, or the participant id a bot or player enters under.
    #[arg(long)]
    pub sub: String,
    /// The role: admin (may act as director of everything), director, manager, player, bot
    /// or user.
    #[arg(long, default_value = "director")]
    pub role: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub ttl: u64,
    /// HS256 secret; the server's development secret when unset.
    #[arg(long, env = "ATHLOS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

/// Prints the token on stdout.
///
/// # Errors
/// [`CliError::Usage`] for an empty subject or a role the server would refuse.
pub fn run(args: &TokenArgs) -> Result<(), CliError> {
    if args.sub.trim().is_empty() {
        return Err(CliError::Usage("--sub must not be empty".to_owned()));
    }
    if Role::named(&args.role).is_none() {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        return Err(CliError::Usage(format!(
            "--role {:?} is not a role the server honours (one of {})",
            args.role,
            known.join(", ")
        )));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = Claims {
        sub: args.sub.clone(),
        role: args.role.clone(),
        iat: now,
        exp: now.saturating_add(args.ttl),
    };
    let secret = args
        .jwt_secret
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEV_SECRET.to_owned());
    let token = mint(&claims, secret.as_bytes()).map_err(CliError::Output)?;
    println!("{token}");
    Ok(())
}

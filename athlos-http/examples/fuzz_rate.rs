//! Inputs per second of each HTTP fuzz target outside libFuzzer (no sanitizer, no coverage
//! instrumentation): the seeds of `fuzz/seeds/<target>/`, replayed round after round for
//! SECONDS per target on the prepared in-memory fixture, as the fuzz binaries run them.
//!
//! ```sh
//! cargo run --release -p athlos-http --features fuzz --example fuzz_rate -- 5 [TARGET...]
//! ```

use std::time::{Duration, Instant};

use athlos_http::fuzz::TARGETS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let wanted: Vec<String> = args.collect();
    let seeds_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    for (name, target) in TARGETS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let mut seeds = Vec::new();
        for entry in std::fs::read_dir(seeds_dir.join(name))? {
            seeds.push(std::fs::read(entry?.path())?);
        }
        seeds.sort();
        // The first input builds the fixture: not counted.
        target(seeds.first().map_or(&[][..], Vec::as_slice))?;
        let budget = Duration::from_secs_f64(seconds);
        let start = Instant::now();
        let mut runs = 0u64;
        while start.elapsed() < budget {
            for seed in &seeds {
                target(seed)?;
                runs += 1;
            }
        }
        let rate = runs as f64 / start.elapsed().as_secs_f64();
        println!("{name:<24} {runs:>8} inputs  {rate:>9.0} inputs/s");
    }
    Ok(())
}

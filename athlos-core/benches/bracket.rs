//! Draw and bracket generation at realistic sizes, and placement simulations.
//!
//! `cargo bench -p athlos-core --bench bracket`

use std::hint::black_box;

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::model::Participant;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            Participant::new(format!("p{i}"), format!("Entry {i}"))
                .map(|p| p.with_seed(i as u32))
                .unwrap_or_else(|_| unreachable!("generated ids are valid"))
        })
        .collect()
}

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("draw");
    for format in [Format::SingleElimination, Format::DoubleElimination] {
        for n in [64usize, 1024, 16384] {
            let participants = field(n);
            let options = BracketOptions::new(format);
            let name = match format {
                Format::SingleElimination => "single",
                _ => "double",
            };
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| athlos_core::draw(black_box(&participants), &options, 7))
            });
        }
    }
    group.finish();
}

/// Placement alone (seed order, byes, orderings), without building the bracket.
fn place(c: &mut Criterion) {
    let mut group = c.benchmark_group("place");
    for n in [1024usize, 16384] {
        let participants = field(n);
        let options = BracketOptions::new(Format::SingleElimination);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| athlos_core::seeding::place(black_box(&participants), &options, 7))
        });
    }
    group.finish();
}

/// Placement probabilities: 10,000 simulations of a 64-entry double elimination (issue 29's
/// target: under a second).
fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    let participants: Vec<Participant> = field(64)
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.with_rating(2400 - 10 * i as u32))
        .collect();
    let options = BracketOptions::new(Format::DoubleElimination);
    let bracket = athlos_core::draw(&participants, &options, 7)
        .unwrap_or_else(|_| unreachable!("64 entries draw"));
    let model = athlos_core::simulate::StrengthModel::elo();
    group.bench_function("double_64_x10000", |b| {
        b.iter(|| athlos_core::simulate::simulate_bracket(black_box(&bracket), &model, 10_000, 1))
    });
    group.finish();
}

criterion_group!(benches, draw, place, simulate);
criterion_main!(benches);

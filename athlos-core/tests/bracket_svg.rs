//! SVG pictures of brackets: golden files for every format (fresh, in play, finished), and
//! over random fields, names, options and results: no panic, well-formed XML with nothing
//! external, names escaped, the same bytes every time.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the golden files, then look at them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::assert_golden;

use proptest::prelude::*;

use athlos_core::bracket::{
    Bracket, BracketOptions, Format, GrandFinal, MatchResult, MatchStatus, Part,
};
use athlos_core::model::{Participant, ParticipantId};

const NAMES: [&str; 8] = [
    "Aiko Tanaka",
    "Bruno Silva",
    "Chen Wei & Co",
    "Dara O'Neil",
    "Eli \"The Wall\" Roth",
    "Farah Haddad",
    "Goran Petrović",
    "Hana Kim",
];

/// `n` named entries `p1…pN`, seeded in that order.
fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            Participant::new(format!("p{i}"), NAMES[(i - 1) % NAMES.len()])
                .unwrap()
                .with_seed(i as u32)
        })
        .collect()
}

fn seed_of(bracket: &Bracket, id: &ParticipantId) -> usize {
    bracket
        .participants()
        .iter()
        .position(|p| &p.id == id)
        .unwrap()
}

/// Plays up to `limit` ready matches in id order. The better seed wins unless round + number
/// is a multiple of 3; the first grand final goes to the losers' champion (so the reset is
/// played); the third-place match is a walkover; every fourth pool match is a draw. Scores
/// are 2 or 3 to 0 or 1.
fn play(bracket: &mut Bracket, limit: usize) {
    for played in 0..limit {
        let Some(game) = bracket
            .matches()
            .iter()
            .find(|m| m.status == MatchStatus::Ready)
        else {
            return;
        };
        let id = game.id;
        let sides = [
            game.participant(0).unwrap().clone(),
            game.participant(1).unwrap().clone(),
        ];
        let better = usize::from(seed_of(bracket, &sides[1]) < seed_of(bracket, &sides[0]));
        let upset = (game.round + game.number) % 3 == 0;
        let winner_side = match game.part {
            Part::GrandFinal if game.round == 1 => 1,
            _ if upset => 1 - better,
            _ => better,
        };
        let winner = sides[winner_side].clone();
        let (high, low) = (2 + game.round % 2, game.number % 2);
        let score = if winner_side == 0 {
            [high, low]
        } else {
            [low, high]
        };
        let result = match game.part {
            Part::ThirdPlace => MatchResult::Walkover { winner },
            Part::Pool if played % 4 == 3 => MatchResult::Draw {
                score: Some([1, 1]),
            },
            _ => MatchResult::Win {
                winner,
                score: Some(score),
            },
        };
        bracket.record_result(&id, result).unwrap();
    }
}

struct Case {
    name: &'static str,
    entries: usize,
    options: BracketOptions,
    in_play: usize,
}

fn cases() -> Vec<Case> {
    let with = |format: Format, change: fn(&mut BracketOptions)| {
        let mut options = BracketOptions::new(format);
        change(&mut options);
        options
    };
    vec![
        Case {
            name: "single_elimination",
            entries: 6,
            options: with(Format::SingleElimination, |o| o.third_place = true),
            in_play: 3,
        },
        Case {
            name: "double_elimination",
            entries: 5,
            options: with(Format::DoubleElimination, |o| {
                o.grand_final = GrandFinal::Double;
            }),
            in_play: 5,
        },
        Case {
            name: "repechage",
            entries: 7,
            options: with(Format::Repechage, |_| {}),
            in_play: 4,
        },
        Case {
            name: "round_robin",
            entries: 5,
            options: with(Format::RoundRobin, |_| {}),
            in_play: 5,
        },
        Case {
            name: "groups",
            entries: 7,
            options: with(Format::Groups, |o| o.groups = Some(2)),
            in_play: 6,
        },
    ]
}

/// Every format fresh, in play and finished, pinned byte for byte; the in-play documents are
/// pinned too, so other bindings can check they draw the same bytes from the same bracket.
#[test]
fn golden_pictures_of_every_format() {
    for case in cases() {
        let mut bracket = athlos_core::draw(&field(case.entries), &case.options, 7).unwrap();
        let fresh = bracket.to_svg();
        check_svg(&fresh).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_golden(&format!("bracket/svg/{}_fresh.svg", case.name), &fresh);

        play(&mut bracket, case.in_play);
        assert!(!bracket.is_complete(), "{}", case.name);
        let in_play = bracket.to_svg();
        check_svg(&in_play).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_golden(&format!("bracket/svg/{}_in_play.svg", case.name), &in_play);
        let document = serde_json::to_string_pretty(&bracket).unwrap() + "\n";
        assert_golden(
            &format!("bracket/svg/{}_in_play.json", case.name),
            &document,
        );

        play(&mut bracket, usize::MAX);
        assert!(bracket.is_complete(), "{}", case.name);
        let finished = bracket.to_svg();
        check_svg(&finished).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(finished.contains("Winner: "), "{}: no champion", case.name);
        assert_golden(
            &format!("bracket/svg/{}_finished.svg", case.name),
            &finished,
        );
    }
}

#[test]
fn pictures_show_byes_seeds_scores_and_winners() {
    let options = BracketOptions::new(Format::SingleElimination);
    let mut bracket = athlos_core::draw(&field(6), &options, 0).unwrap();
    let fresh = bracket.to_svg();
    assert!(fresh.contains(">bye</text>"), "byes are shown");
    assert!(fresh.contains(">[1]</text>") && fresh.contains(">[6]</text>"));
    assert!(fresh.contains(">TBD</text>"));
    let marks = |svg: &str| svg.matches("class=\"mark\"").count();
    assert_eq!(marks(&fresh), 2, "the two byes' opponents go through");
    play(&mut bracket, 1);
    let played = bracket.to_svg();
    assert_eq!(marks(&played), 3, "a winner is marked");
    assert!(
        played.contains("class=\"e win\">"),
        "the winner's score is shown"
    );
    assert_ne!(fresh, played);

    let mut options = BracketOptions::new(Format::Repechage);
    options.max_seeds = Some(2);
    let bracket = athlos_core::draw(&field(8), &options, 3).unwrap();
    let svg = bracket.to_svg();
    assert!(svg.contains(">[2]</text>") && !svg.contains(">[3]</text>"));
}

#[test]
fn the_markup_check_reads_markup_not_names() {
    let named =
        "<?xml version=\"1.0\"?><svg a=\"href url(x)\"><text>href url(x) @import</text></svg>";
    let markup = markup_of(named);
    assert!(
        !markup.contains("href") && !markup.contains("url("),
        "{markup}"
    );
    let linked = "<svg><a href=\"x\">t</a><style>.a{background:url(x)}</style><g style=\"fill:url(#p)\"/></svg>";
    let markup = markup_of(linked);
    assert!(markup.contains("href"), "{markup}");
    assert_eq!(markup.matches("url(").count(), 2, "{markup}");
}

#[test]
fn names_are_escaped_everywhere() {
    let mut people = field(4);
    people[0].name = "<script>&\"'".to_owned();
    people[1].name = "\u{0}\u{7}bell".to_owned();
    people[2].name = "x".repeat(100);
    for format in [Format::SingleElimination, Format::RoundRobin] {
        let mut bracket = athlos_core::draw(&people, &BracketOptions::new(format), 0).unwrap();
        play(&mut bracket, usize::MAX);
        let svg = bracket.to_svg();
        check_svg(&svg).unwrap();
        assert!(!svg.contains("<script"), "{format}");
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&apos;"), "{format}");
        assert!(!svg.contains('\u{0}') && !svg.contains('\u{7}'), "{format}");
        assert!(svg.contains("bell"), "{format}");
        assert!(svg.contains(&format!("{}…", "x".repeat(31))), "{format}");
        assert!(!svg.contains(&"x".repeat(33)), "{format}");
    }
}

/// `doc` without its text and its attribute values, but with what its `<style>` elements and
/// `style` attributes say (where a stylesheet could fetch something): the part that could
/// reach out of the picture.
fn markup_of(doc: &str) -> String {
    let mut out = String::new();
    let mut tag_start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut in_style = false;
    let mut value = String::new();
    for c in doc.chars() {
        match (tag_start, quote) {
            (Some(_), Some(q)) if c == q => {
                if out.ends_with("style=") {
                    out.push_str(&value);
                }
                value.clear();
                quote = None;
            }
            (Some(_), Some(_)) => value.push(c),
            (Some(_), None) if c == '"' || c == '\'' => quote = Some(c),
            (Some(start), None) if c == '>' => {
                let tag = &out[start..];
                if tag.starts_with("<style") {
                    in_style = true;
                } else if tag.starts_with("</style") {
                    in_style = false;
                }
                out.push(c);
                tag_start = None;
            }
            (Some(_), None) => out.push(c),
            (None, _) if c == '<' => {
                tag_start = Some(out.len());
                out.push(c);
            }
            (None, _) if in_style => out.push(c),
            (None, _) => {}
        }
    }
    out
}

/// Checks what every picture promises: the XML declaration and one `<svg>` root with
/// `role="img"`, an `aria-label` and a `<title>`; balanced tags and quoted attributes; text
/// and attribute values with `&` only in the five entities and no `<`; no control character
/// but the newline; nothing external (no script, link, `url(`, `@import` or foreign font).
fn check_svg(doc: &str) -> Result<(), String> {
    let body = doc
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .ok_or("no XML declaration")?;
    if let Some(c) = doc.chars().find(|&c| c.is_control() && c != '\n') {
        return Err(format!("control character {c:?}"));
    }
    // Looked for in the markup only: a participant may well be called "href" or "url(x)".
    let markup = markup_of(doc);
    for banned in [
        "<script",
        "href",
        "url(",
        "@import",
        "@font-face",
        "<image",
        "<foreign",
    ] {
        if markup.contains(banned) {
            return Err(format!("contains {banned}"));
        }
    }
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or("a tag is not closed")?;
            let tag = &after[..end];
            rest = &after[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                match stack.pop() {
                    Some(open) if open == name => continue,
                    open => return Err(format!("</{name}> closes {open:?}")),
                }
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.strip_suffix('/').unwrap_or(tag);
            let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(format!("bad element name {name:?}"));
            }
            check_attributes(attributes)?;
            if stack.is_empty() {
                roots += 1;
                if name != "svg" || roots > 1 {
                    return Err(format!("root element {name} (root {roots})"));
                }
                for needed in [
                    "role=\"img\"",
                    "aria-label=\"",
                    "xmlns=\"http://www.w3.org/2000/svg\"",
                ] {
                    if !attributes.contains(needed) {
                        return Err(format!("the root lacks {needed}"));
                    }
                }
            }
            if !self_closing {
                stack.push(name);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root: {text:?}"));
            }
            check_entities(text)?;
            rest = &rest[end..];
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    if roots != 1 || !body.contains("<title>") {
        return Err("no root or no title".to_owned());
    }
    Ok(())
}

fn check_attributes(mut text: &str) -> Result<(), String> {
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(());
        }
        let (name, after) = text
            .split_once("=\"")
            .ok_or_else(|| format!("attribute without a quoted value: {text:?}"))?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            return Err(format!("bad attribute name {name:?}"));
        }
        let (value, after) = after
            .split_once('"')
            .ok_or_else(|| format!("unterminated value of {name}"))?;
        if value.contains('<') {
            return Err(format!("< in the value of {name}"));
        }
        check_entities(value)?;
        if !(after.is_empty() || after.starts_with(' ')) {
            return Err(format!("no space after {name}"));
        }
        text = after;
    }
}

fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        rest = &rest[at..];
        let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
            .iter()
            .find(|e| rest.starts_with(**e))
            .ok_or_else(|| format!("bare & in {text:?}"))?;
        rest = &rest[known.len()..];
    }
    Ok(())
}

#[test]
fn the_checker_refuses_broken_documents() {
    let good = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"a &amp; b\"><title>t</title><g><text x=\"1\">a &lt; b</text></g></svg>\n";
    check_svg(good).unwrap();
    for (broken, why) in [
        (good.replace("a &lt; b", "a < b"), "raw <"),
        (good.replace("a &lt; b", "a & b"), "bare &"),
        (good.replace("<g>", "<g><g>"), "unclosed"),
        (good.replace("</title>", "</text>"), "mismatched"),
        (
            good.replace("aria-label=\"a &amp; b\"", "aria-label=a"),
            "unquoted",
        ),
        (good.replace("<g>", "<script>x</script><g>"), "script"),
        (good.replace("a &lt; b", "a\u{1}b"), "control"),
        (good.replace("role=\"img\" ", ""), "no role"),
        (good.to_owned() + "<svg/>", "two roots"),
    ] {
        assert!(check_svg(&broken).is_err(), "{why}: {broken}");
    }
}

/// A participant name: anything at all, markup, or nothing.
fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>&\"' a-zA-Z]{0,12}",
        Just(String::new()),
        Just("<script>&\"'".to_owned()),
        "[a-z]{30,60}",
        "[柔道é ]{1,10}",
    ]
}

#[derive(Debug, Clone)]
struct Random {
    names: Vec<String>,
    format: Format,
    third_place: bool,
    grand_final: GrandFinal,
    groups: Option<u32>,
    max_seeds: Option<u32>,
    seed: u64,
    results: usize,
}

fn random() -> impl Strategy<Value = Random> {
    (
        proptest::collection::vec(any_name(), 2..20),
        proptest::sample::select(vec![
            Format::SingleElimination,
            Format::DoubleElimination,
            Format::Repechage,
            Format::RoundRobin,
            Format::Groups,
            Format::Auto,
        ]),
        any::<bool>(),
        proptest::sample::select(vec![
            GrandFinal::None,
            GrandFinal::Simple,
            GrandFinal::Double,
        ]),
        proptest::option::of(1u32..5),
        proptest::option::of(0u32..8),
        any::<u64>(),
        0usize..80,
    )
        .prop_map(
            |(names, format, third_place, grand_final, groups, max_seeds, seed, results)| Random {
                names,
                format,
                third_place,
                grand_final,
                groups,
                max_seeds,
                seed,
                results,
            },
        )
}

/// Plays `count` random results (draws and walkovers now and then, scores or none) and a
/// withdrawal or two.
fn play_randomly(bracket: &mut Bracket, count: usize, seed: u64) {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..count {
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .collect();
        if ready.is_empty() {
            return;
        }
        let game = ready[(next() % ready.len() as u64) as usize];
        let (id, pool) = (game.id, game.part == Part::Pool);
        let winner = game.participant((next() % 2) as usize).unwrap().clone();
        let score = (next() % 3 > 0).then(|| [(next() % 12) as u32, (next() % 12) as u32]);
        let result = match next() % 10 {
            0 if pool => MatchResult::Draw { score },
            1 => MatchResult::Walkover { winner },
            2 => {
                let who = winner.clone();
                if !bracket.withdrawn().contains(&who) {
                    bracket.withdraw(&who).unwrap();
                }
                continue;
            }
            _ => MatchResult::Win { winner, score },
        };
        bracket.record_result(&id, result).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any bracket, at any point of its play, draws a well-formed picture with every name
    /// escaped; the same bracket (and the same bracket read back from JSON) the same bytes.
    #[test]
    fn any_bracket_draws_a_well_formed_picture(case in random()) {
        let people: Vec<Participant> = case
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| Participant::new(format!("e{i}"), name.clone()).unwrap())
            .collect();
        let mut options = BracketOptions::new(case.format);
        options.third_place = case.third_place;
        options.grand_final = case.grand_final;
        options.groups = case.groups;
        options.max_seeds = case.max_seeds;
        let Ok(mut bracket) = athlos_core::draw(&people, &options, case.seed) else {
            return Ok(());
        };
        for step in 0..3 {
            let svg = bracket.to_svg();
            if let Err(e) = check_svg(&svg) {
                prop_assert!(false, "step {}: {}\n{}", step, e, svg);
            }
            prop_assert_eq!(&svg, &bracket.to_svg());
            let json = serde_json::to_string(&bracket).unwrap();
            let back: Bracket = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&svg, &back.to_svg());
            prop_assert!(!svg.contains("<script"));
            if case.names.iter().any(|n| n.contains("<script>")) {
                prop_assert!(svg.contains("&lt;script&gt;"));
            }
            let count = if step == 0 { case.results } else { usize::MAX };
            play_randomly(&mut bracket, count.min(400), case.seed);
        }
    }
}

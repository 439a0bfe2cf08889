//! SVG pictures of brackets: [`Bracket::to_svg`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Bracket, Format, Match, MatchId, MatchResult, MatchStatus, Occupant, Part, Source};
use crate::model::ParticipantId;

/// Space around the picture.
const MARGIN: i64 = 16;
/// Estimated advance of one character at 12px (generous for a sans-serif font).
const CHAR_W: i64 = 7;
/// Estimated advance of a wide (East Asian, emoji) character at 12px.
const WIDE_CHAR_W: i64 = 12;
/// Height of one slot of a match box or one row of a table.
const ROW_H: i64 = 20;
/// Height of the match id line above a match box.
const LABEL_H: i64 = 14;
/// A match box with its label.
const CELL_H: i64 = LABEL_H + 2 * ROW_H;
/// Vertical space between two matches of a round.
const V_GAP: i64 = 10;
/// Horizontal space between two rounds (the connector lines run there).
const H_GAP: i64 = 36;
/// Padding inside a box or a table cell.
const PAD: i64 = 6;
/// Height of a block title (`Losers' bracket`, `Pool A`).
const BLOCK_TITLE_H: i64 = 24;
/// Height of the round headers of a block.
const ROUND_HEAD_H: i64 = 18;
/// Vertical space between two blocks.
const BLOCK_GAP: i64 = 24;
/// Narrowest name column.
const MIN_NAME_W: i64 = 84;
/// Names longer than this are shortened.
const MAX_NAME_CHARS: usize = 32;

const STYLE: &str = "text{font-family:sans-serif;font-size:12px;fill:#222}\
.t{font-size:16px;font-weight:bold}.h{font-size:14px;font-weight:bold}\
.r{font-size:11px;fill:#555}.id{font-size:10px;fill:#777}.seed{fill:#777}\
.win{font-weight:bold}.bye,.tbd{fill:#888;font-style:italic}\
.e{text-anchor:end}.c{text-anchor:middle}\
.box{fill:none;stroke:#999}.wbg{fill:#dff0e3}.mark{fill:#1e8e3e}\
.sep,.grid{fill:none;stroke:#ccc}.link{fill:none;stroke:#999}.diag{fill:#e8e8e8}";

impl Bracket {
    /// The bracket as one self-contained SVG document, fresh, in play or finished: no script,
    /// no external font, image or style sheet, the generic `sans-serif` font, a `<title>`, and
    /// `role="img"` with an `aria-label` for screen readers.
    ///
    /// - Elimination parts (the main table, the winners' and losers' brackets, the knockout
    ///   after pools, the repechage and bronze contests, the grand final and the third-place
    ///   match) are blocks of round columns, one below the other; a line joins a match to the
    ///   match its winner goes to.
    /// - Pools (round robin, the first stage of groups) are cross tables: one row and one
    ///   column per member in Berger order, each cell the row member's result against the
    ///   column member (`W 3:1`, `L`, `D 2:2`, `W wo` for a walkover), then wins, draws,
    ///   losses, points and the current rank (once a match of the pool is decided).
    ///
    /// Winners are bold on a green background with a green bar (in a pool, once every pool
    /// match is decided); a bye reads `bye`; a slot still to be filled reads `TBD` when a line
    /// shows where it comes from, and otherwise names its source (`Loser WB-R2-M1`,
    /// `Pool A #1`); seeds stand in brackets before the name (only the first `max_seeds` when
    /// that option is set); scores stand at the right. Names longer than 32 characters are
    /// shortened with `…`; characters XML cannot hold become spaces.
    ///
    /// Sizes come from a fixed estimate of each character's width (no font metrics) and every
    /// coordinate is an integer, so the same bracket always gives the same bytes.
    ///
    /// ```
    /// use athlos_core::bracket::{BracketOptions, Format};
    /// use athlos_core::model::Participant;
    ///
    /// let field: Vec<Participant> = ["Ann", "Bea & Co", "Cid", "Dan"]
    ///     .iter()
    ///     .enumerate()
    ///     .map(|(i, name)| Participant::new(format!("p{i}"), *name))
    ///     .collect::<Result<_, _>>()?;
    /// let bracket = athlos_core::draw(&field, &BracketOptions::new(Format::SingleElimination), 0)?;
    /// let svg = bracket.to_svg();
    /// assert!(svg.starts_with("<?xml") && svg.contains("Bea &amp; Co"));
    /// assert_eq!(svg, bracket.to_svg());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_svg(&self) -> String {
        Picture::new(self).render()
    }
}

/// The estimated width in pixels of `text` at 12px.
fn text_width(text: &str) -> i64 {
    text.chars()
        .map(|c| if is_wide(c) { WIDE_CHAR_W } else { CHAR_W })
        .sum()
}

/// Characters drawn about twice as wide as a Latin letter.
fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{1F300}'..='\u{1FAFF}'
        | '\u{20000}'..='\u{3FFFD}')
}

/// Appends `text` with the XML special characters escaped; characters XML cannot hold
/// (control characters, U+FFFE, U+FFFF) become spaces.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// A display name: control characters as spaces, trimmed, at most [`MAX_NAME_CHARS`].
fn display(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return trimmed.to_owned();
    }
    let mut short: String = trimmed.chars().take(MAX_NAME_CHARS - 1).collect();
    short.truncate(short.trim_end().len());
    short.push('…');
    short
}

/// The SVG elements drawn so far.
#[derive(Debug, Default)]
struct Canvas {
    body: String,
}

impl Canvas {
    fn text(&mut self, x: i64, y: i64, class: &str, content: &str) {
        let _ = write!(self.body, "<text x=\"{x}\" y=\"{y}\"");
        if !class.is_empty() {
            let _ = write!(self.body, " class=\"{class}\"");
        }
        self.body.push('>');
        escape_into(&mut self.body, content);
        self.body.push_str("</text>\n");
    }

    fn rect(&mut self, x: i64, y: i64, width: i64, height: i64, class: &str) {
        let _ = writeln!(
            self.body,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" class=\"{class}\"/>"
        );
    }

    fn path(&mut self, d: &str, class: &str) {
        let _ = writeln!(self.body, "<path d=\"{d}\" class=\"{class}\"/>");
    }

    /// Starts a group, labelled for assistive technology when `label` is not empty.
    fn open(&mut self, label: &str) {
        if label.is_empty() {
            self.body.push_str("<g>\n");
            return;
        }
        self.body.push_str("<g aria-label=\"");
        escape_into(&mut self.body, label);
        self.body.push_str("\">\n");
    }

    fn close(&mut self) {
        self.body.push_str("</g>\n");
    }
}

/// What one side of a match box shows.
#[derive(Debug)]
struct SlotView {
    seed: Option<usize>,
    text: String,
    class: &'static str,
    winner: bool,
    score: Option<u32>,
}

/// Widths shared by every match box.
#[derive(Debug, Default)]
struct BoxWidths {
    seed: i64,
    name: i64,
    score: i64,
    total: i64,
}

/// A bracket being drawn.
#[derive(Debug)]
struct Picture<'a> {
    bracket: &'a Bracket,
    /// Field position (seed order) of each participant.
    position: BTreeMap<&'a ParticipantId, usize>,
    /// How many of the first participants show their seed.
    seeded: usize,
    pool_names: BTreeMap<u32, &'a str>,
    boxes: BoxWidths,
}

impl<'a> Picture<'a> {
    fn new(bracket: &'a Bracket) -> Self {
        let position = bracket
            .participants
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.id, i))
            .collect();
        let seeded = bracket
            .options
            .max_seeds
            .map_or(bracket.participants.len(), |k| {
                usize::try_from(k).unwrap_or(usize::MAX)
            });
        let pool_names = bracket
            .pools
            .iter()
            .map(|p| (p.number, p.name.as_str()))
            .collect();
        let mut picture = Self {
            bracket,
            position,
            seeded,
            pool_names,
            boxes: BoxWidths::default(),
        };
        picture.boxes = picture.measure_boxes();
        picture
    }

    fn measure_boxes(&self) -> BoxWidths {
        let mut widths = BoxWidths {
            name: MIN_NAME_W,
            ..BoxWidths::default()
        };
        let mut rounds: BTreeMap<Part, u32> = BTreeMap::new();
        for game in &self.bracket.matches {
            let last = rounds.entry(game.part).or_default();
            *last = (*last).max(game.round);
        }
        let mut widest_label = 0;
        let mut max_seed = 0;
        let mut max_score = None;
        for game in self.bracket.matches.iter().filter(|m| m.part != Part::Pool) {
            for side in 0..2 {
                let view = self.slot_view(game, side);
                widths.name = widths.name.max(text_width(&view.text));
                max_seed = max_seed.max(view.seed.unwrap_or(0));
                max_score = max_score.max(view.score);
            }
            widest_label = widest_label.max(text_width(&match_label(game)) * 10 / 12);
            let last = rounds.get(&game.part).copied().unwrap_or(game.round);
            let header = round_title(game.part, game.round, last);
            widest_label = widest_label.max(text_width(&header));
        }
        if max_seed > 0 {
            widths.seed = text_width(&format!("[{max_seed}]")) + 4;
        }
        if let Some(score) = max_score {
            widths.score = text_width(&score.to_string()) + 8;
        }
        widths.total = (PAD + widths.seed + widths.name + widths.score + PAD).max(widest_label);
        widths
    }

    fn seed(&self, id: &ParticipantId) -> Option<usize> {
        self.position
            .get(id)
            .filter(|&&i| i < self.seeded)
            .map(|&i| i + 1)
    }

    fn name(&self, id: &ParticipantId) -> String {
        let given = self
            .position
            .get(id)
            .and_then(|&i| self.bracket.participants.get(i))
            .map(|p| display(&p.name))
            .filter(|name| !name.is_empty());
        let mut name = given.unwrap_or_else(|| display(id.as_str()));
        if self.bracket.withdrawn.contains(id) {
            name.push_str(" (withdrawn)");
        }
        name
    }

    /// `name` with its seed in brackets, for the places that show both as one text.
    fn seeded_name(&self, id: &ParticipantId) -> String {
        match self.seed(id) {
            Some(seed) => format!("[{seed}] {}", self.name(id)),
            None => self.name(id),
        }
    }

    fn slot_view(&self, game: &Match, side: usize) -> SlotView {
        let slot = &game.slots[side];
        match &slot.occupant {
            Occupant::Participant { id } => SlotView {
                seed: self.seed(id),
                text: self.name(id),
                class: "",
                winner: game.winner.as_ref() == Some(id),
                score: game
                    .result
                    .as_ref()
                    .and_then(MatchResult::score)
                    .map(|score| score[side]),
            },
            Occupant::Bye => SlotView {
                seed: None,
                text: "bye".to_owned(),
                class: "bye",
                winner: false,
                score: None,
            },
            Occupant::Pending => SlotView {
                seed: None,
                text: self.source_text(game, &slot.source),
                class: "tbd",
                winner: false,
                score: None,
            },
        }
    }

    /// Where a pending slot's occupant comes from: `TBD` when a line shows it.
    fn source_text(&self, game: &Match, source: &Source) -> String {
        if drawn_source(game, source).is_some() {
            return "TBD".to_owned();
        }
        match source {
            Source::Winner { match_id } => format!("Winner {match_id}"),
            Source::Loser { match_id } => format!("Loser {match_id}"),
            Source::Rematch { match_id, slot } => format!("Slot {slot} of {match_id}"),
            Source::PoolRank { pool, rank } => format!(
                "Pool {} #{rank}",
                self.pool_names.get(pool).copied().unwrap_or("?")
            ),
            Source::Entry => "TBD".to_owned(),
        }
    }

    fn title(&self) -> String {
        let kind = match self.bracket.format {
            Format::SingleElimination => "Single elimination",
            Format::DoubleElimination => "Double elimination",
            Format::Repechage => "Elimination with repechage",
            Format::RoundRobin => "Round robin",
            Format::Groups => "Pools and knockout",
            Format::Auto => "Bracket",
        };
        let entries = self.bracket.participants.len();
        let state = if self.bracket.is_complete() {
            "complete"
        } else {
            "in play"
        };
        format!("{kind}, {entries} entries, {state}")
    }

    /// The one participant placed first, once the bracket is complete.
    fn champion(&self) -> Option<&'a ParticipantId> {
        let placements = self.bracket.placements().ok()?;
        let mut first = placements.iter().filter(|p| p.place == 1);
        let champion = first.next()?;
        if first.next().is_some() {
            return None;
        }
        self.bracket
            .participants
            .iter()
            .map(|p| &p.id)
            .find(|id| **id == champion.participant)
    }

    fn render(&self) -> String {
        let mut canvas = Canvas::default();
        let mut title = self.title();
        canvas.text(MARGIN, MARGIN + 16, "t", &title);
        let mut right = MARGIN + text_width(&title) * 16 / 12;
        let mut top = MARGIN + 28;
        if let Some(champion) = self.champion() {
            let line = format!("Winner: {}", self.seeded_name(champion));
            canvas.rect(MARGIN, top, 4, ROW_H, "mark");
            canvas.text(MARGIN + 10, top + 14, "win", &line);
            right = right.max(MARGIN + 10 + text_width(&line) * 11 / 10);
            top += ROW_H + 8;
            title = format!("{title}, winner {}", self.name(champion));
        }
        top += 8;
        for (index, _) in self.bracket.pools.iter().enumerate() {
            let (width, height) = self.pool_table(index, top, &mut canvas);
            right = right.max(MARGIN + width);
            top += height + BLOCK_GAP;
        }
        let mut parts: BTreeMap<Part, Vec<&Match>> = BTreeMap::new();
        for game in self.bracket.matches.iter().filter(|m| m.part != Part::Pool) {
            parts.entry(game.part).or_default().push(game);
        }
        for (part, games) in &parts {
            let (width, height) = self.block(*part, games, top, &mut canvas);
            right = right.max(width);
            top += height + BLOCK_GAP;
        }
        let width = right + MARGIN;
        let height = top - BLOCK_GAP + MARGIN;
        let mut out = String::with_capacity(canvas.body.len() + 1024);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\""
        );
        escape_into(&mut out, &title);
        out.push_str("\" font-family=\"sans-serif\" font-size=\"12\">\n<title>");
        escape_into(&mut out, &title);
        out.push_str("</title>\n<style>");
        out.push_str(STYLE);
        out.push_str("</style>\n");
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"
        );
        out.push_str(&canvas.body);
        out.push_str("</svg>\n");
        out
    }

    /// One elimination part as columns of rounds; returns its right edge and its height.
    fn block(&self, part: Part, games: &[&Match], top: i64, canvas: &mut Canvas) -> (i64, i64) {
        let width = self.boxes.total;
        let rounds = games.iter().map(|g| g.round).max().unwrap_or(0);
        canvas.open(part_title(part));
        canvas.text(MARGIN, top + 16, "h", part_title(part));
        let column_x = |round: u32| MARGIN + i64::from(round.saturating_sub(1)) * (width + H_GAP);
        let mut body_top = top + BLOCK_TITLE_H;
        for round in 1..=rounds {
            let header = round_title(part, round, rounds);
            if !header.is_empty() {
                canvas.text(column_x(round), top + BLOCK_TITLE_H + 12, "r", &header);
                body_top = top + BLOCK_TITLE_H + ROUND_HEAD_H;
            }
        }
        // Each match sits level with the matches that feed it, below the one above it.
        let mut cells: BTreeMap<MatchId, (i64, i64)> = BTreeMap::new();
        let mut next_free: BTreeMap<u32, i64> = BTreeMap::new();
        let mut placed = Vec::with_capacity(games.len());
        let mut bottom = body_top;
        let mut right = MARGIN;
        for game in games {
            let feeders: Vec<i64> = game
                .slots
                .iter()
                .filter_map(|slot| drawn_source(game, &slot.source))
                .filter_map(|id| cells.get(&id).map(|&(_, y)| y))
                .collect();
            let free = next_free.get(&game.round).copied().unwrap_or(body_top);
            let wanted = match feeders.len() {
                0 => free,
                n => feeders.iter().sum::<i64>() / i64::try_from(n).unwrap_or(1),
            };
            let (x, y) = (column_x(game.round), wanted.max(free));
            cells.insert(game.id, (x, y));
            next_free.insert(game.round, y + CELL_H + V_GAP);
            bottom = bottom.max(y + CELL_H);
            right = right.max(x + width);
            placed.push((*game, x, y));
        }
        for &(game, x, y) in &placed {
            for (side, slot) in game.slots.iter().enumerate() {
                let Some(&(from_x, from_y)) =
                    drawn_source(game, &slot.source).and_then(|id| cells.get(&id))
                else {
                    continue;
                };
                let side = i64::try_from(side).unwrap_or(0);
                let d = format!(
                    "M{} {}H{}V{}H{x}",
                    from_x + width,
                    from_y + LABEL_H + ROW_H,
                    x - H_GAP / 2,
                    y + LABEL_H + side * ROW_H + ROW_H / 2
                );
                canvas.path(&d, "link");
            }
        }
        for &(game, x, y) in &placed {
            self.match_box(game, x, y, canvas);
        }
        canvas.close();
        (right, bottom - top)
    }

    fn match_box(&self, game: &Match, x: i64, y: i64, canvas: &mut Canvas) {
        let widths = &self.boxes;
        let views = [self.slot_view(game, 0), self.slot_view(game, 1)];
        let summary = format!(
            "{}: {} v {}{}",
            game.id,
            views[0].text,
            views[1].text,
            match views.iter().find(|v| v.winner) {
                Some(winner) => format!(", won by {}", winner.text),
                None => String::new(),
            }
        );
        canvas.open(&summary);
        canvas.text(x, y + 10, "id", &match_label(game));
        let top = y + LABEL_H;
        for (row_y, view) in [top, top + ROW_H].into_iter().zip(&views) {
            if view.winner {
                canvas.rect(x, row_y, widths.total, ROW_H, "wbg");
                canvas.rect(x, row_y, 4, ROW_H, "mark");
            }
        }
        canvas.rect(x, top, widths.total, 2 * ROW_H, "box");
        canvas.path(&format!("M{x} {}h{}", top + ROW_H, widths.total), "sep");
        for (row_y, view) in [top, top + ROW_H].into_iter().zip(&views) {
            let baseline = row_y + 14;
            if let Some(seed) = view.seed {
                canvas.text(x + PAD, baseline, "seed", &format!("[{seed}]"));
            }
            let class = if view.winner { "win" } else { view.class };
            canvas.text(x + PAD + widths.seed, baseline, class, &view.text);
            if let Some(score) = view.score {
                let class = if view.winner { "e win" } else { "e" };
                canvas.text(x + widths.total - PAD, baseline, class, &score.to_string());
            }
        }
        canvas.close();
    }

    /// The cross table of pool `index`; returns its width and height.
    fn pool_table(&self, index: usize, top: i64, canvas: &mut Canvas) -> (i64, i64) {
        let Some(pool) = self.bracket.pools.get(index) else {
            return (0, 0);
        };
        let members = &pool.members;
        let n = members.len();
        let row_of: BTreeMap<&ParticipantId, usize> =
            members.iter().enumerate().map(|(i, id)| (id, i)).collect();
        let games: Vec<&Match> = self.bracket.pool_matches(index).collect();
        // (row, column) → the row member's results against the column member.
        let mut grid: BTreeMap<(usize, usize), Vec<(String, bool)>> = BTreeMap::new();
        for game in &games {
            let sides = [game.participant(0), game.participant(1)];
            let (Some(&a), Some(&b)) = (
                sides[0].and_then(|id| row_of.get(id)),
                sides[1].and_then(|id| row_of.get(id)),
            ) else {
                continue;
            };
            for (side, row, column) in [(0, a, b), (1, b, a)] {
                if let Some(outcome) = outcome(game, side) {
                    grid.entry((row, column)).or_default().push(outcome);
                }
            }
        }
        let cell_text = |results: &[(String, bool)]| -> (String, bool) {
            let text: Vec<&str> = results.iter().map(|(t, _)| t.as_str()).collect();
            let won = !results.is_empty() && results.iter().all(|(_, w)| *w);
            (text.join(" / "), won)
        };
        let cells: BTreeMap<(usize, usize), (String, bool)> = grid
            .iter()
            .map(|(&key, results)| (key, cell_text(results)))
            .collect();
        let table = self.bracket.pool_table(index);
        let standings: BTreeMap<&ParticipantId, &super::Standing> =
            table.iter().map(|s| (&s.participant, s)).collect();
        let started = games.iter().any(|g| g.status.is_decided());
        let complete = started && games.iter().all(|g| g.status.is_decided());
        let winner =
            |id: &ParticipantId| complete && standings.get(id).is_some_and(|s| s.rank == 1);

        // Columns: number, name, one per member, then the totals.
        let names: Vec<String> = members.iter().map(|id| self.seeded_name(id)).collect();
        let number_w = text_width(&n.to_string()).max(text_width("#")) + 2 * PAD;
        let name_w = names
            .iter()
            .map(|name| text_width(name) * 11 / 10)
            .max()
            .unwrap_or(0)
            .max(MIN_NAME_W)
            + 2 * PAD;
        let cell_w = cells
            .values()
            .map(|(text, _)| text_width(text) * 11 / 10)
            .max()
            .unwrap_or(0)
            .max(text_width(&n.to_string()))
            .max(ROW_H)
            + 2 * PAD;
        type Total = fn(&super::Standing) -> String;
        let totals: [(&str, Total); 5] = [
            ("W", |s| s.wins.to_string()),
            ("D", |s| s.draws.to_string()),
            ("L", |s| s.losses.to_string()),
            ("Pts", |s| s.points.to_string()),
            ("Rank", |s| s.rank.to_string()),
        ];
        let total_w: Vec<i64> = totals
            .iter()
            .map(|(head, value)| {
                table
                    .iter()
                    .map(|s| text_width(&value(s)))
                    .max()
                    .unwrap_or(0)
                    .max(text_width(head))
                    + 2 * PAD
            })
            .collect();
        let mut edges = vec![MARGIN, MARGIN + number_w, MARGIN + number_w + name_w];
        for _ in 0..n {
            let last = edges.last().copied().unwrap_or(MARGIN);
            edges.push(last + cell_w);
        }
        for w in &total_w {
            let last = edges.last().copied().unwrap_or(MARGIN);
            edges.push(last + w);
        }
        let left = MARGIN;
        let right = edges.last().copied().unwrap_or(MARGIN);
        let table_top = top + BLOCK_TITLE_H;
        let rows = i64::try_from(n).unwrap_or(0) + 1;
        let bottom = table_top + rows * ROW_H;
        let row_y = |row: usize| table_top + (i64::try_from(row).unwrap_or(0) + 1) * ROW_H;
        let edge = |k: usize| edges.get(k).copied().unwrap_or(right);
        let centre = |k: usize| (edge(k) + edge(k + 1)) / 2;

        let label = format!("Pool {}", pool.name);
        canvas.open(&label);
        canvas.text(MARGIN, top + 16, "h", &label);
        // Backgrounds: the diagonal, won cells, the winners' names.
        for row in 0..n {
            canvas.rect(edge(row + 2), row_y(row), cell_w, ROW_H, "diag");
            if members.get(row).is_some_and(&winner) {
                canvas.rect(edge(1), row_y(row), name_w, ROW_H, "wbg");
                canvas.rect(edge(1), row_y(row), 4, ROW_H, "mark");
            }
        }
        for (&(row, column), (_, won)) in &cells {
            if *won {
                canvas.rect(edge(column + 2), row_y(row), cell_w, ROW_H, "wbg");
            }
        }
        // Grid lines.
        let mut d = String::new();
        for row in 0..=n + 1 {
            let y = table_top + i64::try_from(row).unwrap_or(0) * ROW_H;
            let _ = write!(d, "M{left} {y}H{right}");
        }
        for &x in &edges {
            let _ = write!(d, "M{x} {table_top}V{bottom}");
        }
        canvas.path(&d, "grid");
        // Header row.
        let head_baseline = table_top + 14;
        canvas.text(centre(0), head_baseline, "r c", "#");
        canvas.text(edge(1) + PAD, head_baseline, "r", "Name");
        for column in 0..n {
            canvas.text(
                centre(column + 2),
                head_baseline,
                "r c",
                &(column + 1).to_string(),
            );
        }
        for (k, (head, _)) in totals.iter().enumerate() {
            canvas.text(centre(n + 2 + k), head_baseline, "r c", head);
        }
        // Member rows.
        for (row, id) in members.iter().enumerate() {
            let baseline = row_y(row) + 14;
            let won = winner(id);
            canvas.text(centre(0), baseline, "c", &(row + 1).to_string());
            let name = names.get(row).map_or("", String::as_str);
            canvas.text(edge(1) + PAD, baseline, if won { "win" } else { "" }, name);
            for column in 0..n {
                if let Some((text, won)) = cells.get(&(row, column)) {
                    let class = if *won { "c win" } else { "c" };
                    canvas.text(centre(column + 2), baseline, class, text);
                }
            }
            if let Some(standing) = standings.get(id) {
                // Everyone shares rank 1 before a match is decided: the rank waits for one.
                let shown = if started {
                    totals.len()
                } else {
                    totals.len() - 1
                };
                for (k, (_, value)) in totals.iter().enumerate().take(shown) {
                    canvas.text(centre(n + 2 + k), baseline, "c", &value(standing));
                }
            }
        }
        canvas.close();
        (right - left, bottom - top)
    }
}

/// The match a slot's occupant comes from when a connector line shows it: the winner (or the
/// grand-final rematch) of a match of the same part.
fn drawn_source(game: &Match, source: &Source) -> Option<MatchId> {
    match source {
        Source::Winner { match_id } | Source::Rematch { match_id, .. }
            if match_id.part() == game.part =>
        {
            Some(*match_id)
        }
        _ => None,
    }
}

/// The line above a match box: its id, and how it was decided when it was not played.
fn match_label(game: &Match) -> String {
    let note = match game.status {
        MatchStatus::Bye => " · bye",
        MatchStatus::Walkover => " · walkover",
        MatchStatus::Skipped => " · not needed",
        _ => "",
    };
    format!("{}{note}", game.id)
}

fn part_title(part: Part) -> &'static str {
    match part {
        Part::Pool => "Pools",
        Part::Main => "Main bracket",
        Part::Winners => "Winners' bracket",
        Part::Knockout => "Knockout",
        Part::Losers => "Losers' bracket",
        Part::Repechage => "Repechage and bronze",
        Part::GrandFinal => "Grand final",
        Part::ThirdPlace => "Third place",
    }
}

/// The header of round `round` of a part with `rounds` rounds.
fn round_title(part: Part, round: u32, rounds: u32) -> String {
    let named = match part {
        Part::Main | Part::Winners | Part::Knockout => match rounds.saturating_sub(round) {
            0 => "Final",
            1 => "Semi-finals",
            2 => "Quarter-finals",
            _ => "",
        },
        Part::Repechage if round == 1 => "Repechage",
        Part::Repechage => "Bronze",
        Part::GrandFinal if round == 1 => "Final",
        Part::GrandFinal => "Reset",
        Part::ThirdPlace => return String::new(),
        Part::Losers | Part::Pool => "",
    };
    if named.is_empty() {
        format!("Round {round}")
    } else {
        named.to_owned()
    }
}

/// A decided pool match as its slot-`side` participant saw it: `W 3:1`, `L`, `D 2:2`,
/// `W wo`; and whether they won.
fn outcome(game: &Match, side: usize) -> Option<(String, bool)> {
    let me = game.participant(side)?;
    let won = game.winner.as_ref() == Some(me);
    let text = match game.status {
        MatchStatus::Completed => {
            let letter = match &game.winner {
                Some(_) if won => "W",
                Some(_) => "L",
                None => "D",
            };
            match game.result.as_ref().and_then(MatchResult::score) {
                Some(score) => format!("{letter} {}:{}", score[side], score[1 - side]),
                None => letter.to_owned(),
            }
        }
        MatchStatus::Walkover => if won { "W wo" } else { "L wo" }.to_owned(),
        _ => return None,
    };
    Some((text, won))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_characters_xml_cannot_hold() {
        let mut out = String::new();
        escape_into(&mut out, "<a href='x'>&\"\u{0}\u{1b}\u{FFFE}é</a>");
        assert_eq!(out, "&lt;a href=&apos;x&apos;&gt;&amp;&quot;   é&lt;/a&gt;");
    }

    #[test]
    fn long_names_are_shortened_and_widths_estimated() {
        let long = "x".repeat(40);
        let shown = display(&long);
        assert_eq!(shown.chars().count(), MAX_NAME_CHARS);
        assert!(shown.ends_with('…'));
        assert_eq!(display("  Ann\tLee  "), "Ann Lee");
        assert_eq!(text_width("abc"), 3 * CHAR_W);
        assert_eq!(text_width("柔道"), 2 * WIDE_CHAR_W);
    }

    #[test]
    fn round_titles_name_the_last_rounds() {
        assert_eq!(round_title(Part::Main, 3, 3), "Final");
        assert_eq!(round_title(Part::Main, 2, 3), "Semi-finals");
        assert_eq!(round_title(Part::Winners, 2, 5), "Round 2");
        assert_eq!(round_title(Part::Losers, 40, 40), "Round 40");
        assert_eq!(round_title(Part::GrandFinal, 2, 2), "Reset");
    }
}

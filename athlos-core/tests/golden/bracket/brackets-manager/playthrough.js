// Reference play-throughs from brackets-manager.js (1.11.1, with brackets-memory-db), read by
// tests/bracket_conformance.rs. Regenerate with those two packages installed:
//   node playthrough.js > playthrough.txt
// Each line: type, entries, ordering, balanceByes, consolationFinal, grandFinal, rule (0 = the
// top seed always wins), then every match as G{group}R{round}M{number}:{slot1}v{slot2}, sorted.
const { BracketsManager } = require('brackets-manager');
const { InMemoryDatabase } = require('brackets-memory-db');
const ORD = ['natural','reverse','half_shift','reverse_half_shift','pair_flip','inner_outer'];
async function run(type, n, ordering, bb, cf, gf, rule) {
  const size = 1 << Math.ceil(Math.log2(Math.max(n, 2)));
  const storage = new InMemoryDatabase();
  const manager = new BracketsManager(storage);
  const seeding = Array.from({length: n}, (_, i) => `s${i+1}`);
  while (seeding.length < size) seeding.push(null);
  const settings = { seedOrdering: [ordering], balanceByes: bb, consolationFinal: cf, size };
  if (type === 'double_elimination') settings.grandFinal = gf;
  try { await manager.create.stage({ tournamentId: 0, name: 'x', type, seeding, settings }); }
  catch (e) { return null; }
  const parts = await storage.select('participant');
  const groups = await storage.select('group'); const rounds = await storage.select('round');
  const name = o => o === null ? 'BYE' : (o.id === null ? 'TBD' : parts.find(p => p.id === o.id).name);
  const coord = m => [groups.find(g => g.id === m.group_id).number, rounds.find(r => r.id === m.round_id).number, m.number];
  for (let iter = 0; iter < 200; iter++) {
    const matches = await storage.select('match');
    let ready = matches.filter(m => m.status === 2);
    // The reset is played only when the losers' champion won the first final.
    ready = ready.filter(m => { const [g, r, num] = coord(m); if (type !== 'double_elimination' || g !== 3 || num !== 1 || r !== 2) return true;
      const gf1 = matches.find(x => { const c = coord(x); return c[0] === 3 && c[1] === 1 && c[2] === 1; });
      return gf1.opponent2 && gf1.opponent2.result === 'win'; });
    if (!ready.length) break;
    for (const m of ready) {
      const a = +name(m.opponent1).slice(1), b = +name(m.opponent2).slice(1);
      const w = rule === 0 ? Math.min(a, b) : Math.max(a, b);
      await manager.update.match({ id: m.id, opponent1: { result: a === w ? 'win' : 'loss' } });
    }
  }
  const matches = await storage.select('match');
  const lines = matches.map(m => { const [g, r, num] = coord(m); return `G${g}R${r}M${num}:${name(m.opponent1)}v${name(m.opponent2)}`; });
  lines.sort();
  return lines.join(' ');
}
(async () => {
  // Cases the shared corpus does not cover: single elimination with balanced byes and/or a
  // third-place match, double elimination with byes and a consolation final. Top seed wins.
  // Left out: double elimination of 3 with a consolation final and the `natural` ordering with
  // byes, where brackets-manager leaves the loser of a match won by a BYE as TBD at run time
  // instead of a BYE (its own documented resolution rules give a BYE, as athlos does).
  const out = [];
  for (const n of [3, 5, 6, 7, 11, 13, 17, 24, 33])
    for (const ordering of ORD)
      for (const [bb, cf] of [[false, true], [true, false], [true, true]]) {
        const r = await run('single_elimination', n, ordering, bb, cf, 'simple', 0);
        if (r !== null) out.push(`single_elimination ${n} ${ordering} ${bb} ${cf} simple 0 ${r}`);
      }
  for (const n of [3, 5, 6, 7, 11, 12, 13, 24, 33])
    for (const gf of ['none', 'simple', 'double'])
      for (const cf of [false, true])
        for (const bb of [false, true]) {
          if ((gf === 'none' || n === 3) && cf) continue;
          const r = await run('double_elimination', n, 'inner_outer', bb, cf, gf, 0);
          if (r !== null) out.push(`double_elimination ${n} inner_outer ${bb} ${cf} ${gf} 0 ${r}`);
        }
  console.log(out.join('\n'));
})().catch(e => { console.error(e); process.exit(1); });

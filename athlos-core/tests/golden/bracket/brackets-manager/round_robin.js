// Reference round-robin stages from brackets-manager.js (1.11.1, with brackets-memory-db), read
// by tests/bracket_conformance.rs. Regenerate with those two packages installed:
//   node round_robin.js > round_robin.txt
// Each line: entries, groups, groups ordering, mode, then every match as {group}:{seed}-{seed}
// (lower seed first), sorted.
const { BracketsManager } = require('brackets-manager');
const { InMemoryDatabase } = require('brackets-memory-db');
(async () => {
  for (const n of [3,4,5,6,7,8,9,10,13,16]) for (const g of [1,2,3,4]) for (const o of ['groups.effort_balanced','groups.seed_optimized','groups.bracket_optimized']) for (const mode of ['simple','double']) {
    if (g > n) continue;
    const storage = new InMemoryDatabase(); const manager = new BracketsManager(storage);
    const seeding = Array.from({length: n}, (_, i) => `s${i+1}`);
    try { await manager.create.stage({ tournamentId: 0, name: 'x', type: 'round_robin', seeding, settings: { groupCount: g, seedOrdering: [o], roundRobinMode: mode } }); } catch (e) { console.log(`${n} ${g} ${o} ${mode} ERR`); continue; }
    const parts = await storage.select('participant'); const groups = await storage.select('group');
    const name = x => x === null ? 'BYE' : parts.find(p => p.id === x.id).name.slice(1);
    const ms = (await storage.select('match')).map(m => { const a = +name(m.opponent1), b = +name(m.opponent2); return `${groups.find(x => x.id === m.group_id).number}:${Math.min(a,b)}-${Math.max(a,b)}`; }).sort();
    console.log(`${n} ${g} ${o} ${mode} ${ms.join(' ')}`);
  }
})();

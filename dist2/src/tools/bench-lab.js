// Lab start/stop benchmark (not a test): `npx tsx src/tools/bench-lab.ts [--dir DIR] [--runs N]`.
// Measures, on a lab dir of its own (default /var/lib/cri-conformance/lab-bench so the default lab
// other runs may be using is left alone):
//   cold up    after labDown({purge:true}): packages present, nothing built, empty registries
//   restart up after a plain labDown: image cache, registry storage and containerd root kept
//   warm up    with everything running (the idempotent path)
//   down       labDown with the lab running
// and leaves the bench lab purged.
import { labDown, labUp } from '../lab/index.js';
function arg(name, dflt) {
    const i = process.argv.indexOf(name);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const dir = arg('--dir', '/var/lib/cri-conformance/lab-bench');
const runs = Math.max(1, Number(arg('--runs', '1')));
const verbose = process.argv.includes('--verbose');
const log = verbose ? (l) => process.stderr.write(`lab: ${l}\n`) : () => { };
async function time(fn) {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
}
const rows = { 'cold up (after purge)': [], 'restart up (caches kept)': [], 'warm up (running)': [], 'down': [], 'down --purge': [] };
try {
    for (let i = 0; i < runs; i++) {
        rows['down --purge'].push(await time(() => labDown({ dir, log, purge: true })));
        rows['cold up (after purge)'].push(await time(() => labUp({ dir, log })));
        rows['warm up (running)'].push(await time(() => labUp({ dir, log })));
        rows['down'].push(await time(() => labDown({ dir, log })));
        rows['restart up (caches kept)'].push(await time(() => labUp({ dir, log })));
    }
    await labDown({ dir, log, purge: true });
}
catch (err) {
    process.stderr.write(`bench-lab: ${err.message}\n`);
    await labDown({ dir, log, purge: true }).catch(() => { });
    process.exit(1);
}
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
process.stdout.write(`lab benchmark (${dir}, ${runs} run${runs > 1 ? 's' : ''})\n`);
for (const [name, v] of Object.entries(rows)) {
    const sorted = [...v].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    process.stdout.write(`  ${name.padEnd(26)} median ${fmt(median)}  (min ${fmt(sorted[0])}, max ${fmt(sorted[sorted.length - 1])})\n`);
}
//# sourceMappingURL=bench-lab.js.map
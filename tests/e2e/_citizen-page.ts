/**
 * A page workload that stands for "the user's front tab" (shipped with the tests, no network): build
 * 3,000 DOM rows and read their layout, sort 200,000 numbers, round-trip a JSON document; six rounds.
 * Plus a button whose click → next frame latency is what a user feels as responsiveness.
 */
export const CITIZEN_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>citizen workload</title>
<style>table{border-collapse:collapse}td{padding:1px 4px;border:1px solid #ccc}</style></head>
<body><button id="b" style="width:200px;height:60px">click</button><div id="out"></div>
<script>
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
function round() {
  const out = document.getElementById('out');
  out.textContent = '';
  const table = document.createElement('table');
  for (let i = 0; i < 3000; i++) {
    const tr = document.createElement('tr');
    for (let j = 0; j < 4; j++) { const td = document.createElement('td'); td.textContent = 'r' + i + 'c' + j + ' ' + rnd().toFixed(4); tr.appendChild(td); }
    table.appendChild(tr);
  }
  out.appendChild(table);
  let h = 0;
  for (const tr of table.rows) h += tr.getBoundingClientRect().height;
  const nums = Float64Array.from({ length: 200000 }, rnd);
  nums.sort();
  const doc = { rows: Array.from({ length: 20000 }, (_, i) => ({ i, v: nums[i], s: 'x' + i })) };
  const back = JSON.parse(JSON.stringify(doc));
  return h + back.rows.length;
}
window.workload = () => { const t0 = performance.now(); for (let r = 0; r < 6; r++) round(); return performance.now() - t0; };
window.latencies = [];
document.getElementById('b').addEventListener('click', (e) => {
  const t = e.timeStamp;
  requestAnimationFrame(() => setTimeout(() => window.latencies.push(performance.now() - t), 0));
});
</script></body></html>`;

// The opsd dashboard in a real browser: Debian's headless Chromium driven by
// playwright-core. Starts `opsd --demo`, then
//   1. signs in with a token, sees the live indicator go green;
//   2. watches a demo operation's progress change without a reload;
//   3. filters by status;
//   4. opens an operation's timeline (status changes, events, audit), then a
//      child batch's, which holds only its own history (siblings under Related);
//   5. cancels an operation through the dialog;
//   6. finds the demo's stalled operation in the stalled view;
// and saves screenshots of each page (desktop, dark, phone) into the work dir.
// Exits non-zero, naming the step, on any failure or browser console error.
//
//   node browser-test.mjs OPSD_BINARY WORK_DIR
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const [opsdBinary, workDir] = process.argv.slice(2);
if (!opsdBinary || !workDir) {
  console.error('usage: node browser-test.mjs OPSD_BINARY WORK_DIR');
  process.exit(2);
}
const { chromium } = await import(path.join(workDir, 'node_modules/playwright-core/index.mjs'));

const TOKEN = 'browser-test-token-0123456789';
const shots = path.join(workDir, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsd-browser-'));

let opsd = null;
let context = null;
let step = 'start-up';
const consoleErrors = [];

function log(message) {
  console.log(`[browser-test] ${message}`);
}

// Starts opsd and resolves with its URL once it prints "listening on": no sleeping.
function startOpsd() {
  return new Promise((resolve, reject) => {
    opsd = spawn(opsdBinary, ['--store', `sqlite:${path.join(temp, 'ops.db')}`, '--listen', '127.0.0.1:0',
      '--demo', '--demo-duration', '40s', '--poll-interval', '500ms'], {
      env: { ...process.env, OPSD_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', fs.openSync(path.join(workDir, 'opsd.log'), 'w')],
    });
    opsd.on('exit', (code) => reject(new Error(`opsd exited early (${code}); see ${workDir}/opsd.log`)));
    const lines = readline.createInterface({ input: opsd.stdout });
    lines.once('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve(m[1]); else reject(new Error('unexpected first line: ' + line));
    });
  });
}

async function api(base, method, route, body) {
  const res = await fetch(base + route, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function shot(page, name) {
  const file = path.join(shots, name + '.png');
  await page.screenshot({ path: file, fullPage: false });
  log(`screenshot ${file}`);
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  const base = await startOpsd();
  log(`opsd at ${base}`);

  context = await chromium.launchPersistentContext(path.join(temp, 'profile'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  step = 'sign in';
  await page.goto(base + '/');
  await page.getByRole('heading', { name: 'Sign in to see operations' }).waitFor();
  await page.click('#auth-button');
  await page.fill('#auth-token', 'not-the-right-token-000000');
  await page.click('#auth-submit');
  await page.getByText('That token is not valid here.').waitFor();
  await page.fill('#auth-token', TOKEN);
  await page.click('#auth-submit');
  await page.waitForSelector('#access:text("read-write")');
  await page.waitForSelector('#live[data-state="live"]');
  consoleErrors.length = 0;  // the wrong token's 401 above was on purpose
  log('signed in, live');

  step = 'watch progress live';
  // The page must not reload: a marker on window survives only in-place updates.
  await page.evaluate(() => { window.__noReload = true; });
  // Only a row whose percent will still move: not the demo's Report.Generate,
  // which stops at 30% on purpose, nor one at 100%, which completes at 100%.
  // Watching either failed whenever sign-in happened to land at that moment.
  const handle = await page.waitForFunction(() => {
    for (const tr of document.querySelectorAll('tr[data-op-id][data-status="Running"]')) {
      const pct = tr.querySelector('.pct');
      if (tr.querySelector('.op-name').textContent === 'Report.Generate') continue;
      if (pct && pct.textContent && pct.textContent !== '100%') return { id: tr.dataset.opId, pct: pct.textContent };
    }
    return null;
  }, null, { timeout: 30000 });
  const watched = await handle.jsonValue();
  log(`watching ${watched.id} at ${watched.pct}`);
  await page.waitForFunction(({ id, pct }) => {
    const tr = document.querySelector(`tr[data-op-id="${id}"]`);
    const now = tr && tr.querySelector('.pct');
    return now && now.textContent !== pct;
  }, watched, { timeout: 30000 });
  expect(await page.evaluate(() => window.__noReload === true), 'the page reloaded');
  const moved = await page.locator(`tr[data-op-id="${watched.id}"] .pct`).textContent();
  log(`progress moved live: ${watched.pct} -> ${moved}`);
  await shot(page, '01-operations');

  step = 'filter by status';
  await page.click('.chip[data-status="Succeeded"]');
  await page.waitForFunction(() => location.hash.includes('status=Succeeded'));
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('tr[data-op-id]')];
    return rows.length > 0 && rows.every((r) => r.dataset.status === 'Succeeded');
  });
  expect(await page.getAttribute('.chip[data-status="Succeeded"]', 'aria-pressed') === 'true', 'chip not pressed');
  // The counts come from their own request (/v1/counts), which may land after
  // the rows: wait for it rather than read the placeholder.
  await page.waitForFunction(() => /\d/.test(document.querySelector('.chip[data-status="Succeeded"] .n').textContent),
    null, { timeout: 10000 }).catch(() => {});
  const chipCount = Number((await page.locator('.chip[data-status="Succeeded"] .n').textContent()).replace(/\D/g, ''));
  expect(chipCount > 0, 'Succeeded chip shows no count');
  log(`filtered: ${await page.locator('tr[data-op-id]').count()} Succeeded rows, chip says ${chipCount}`);
  await shot(page, '02-filtered-succeeded');
  await page.fill('#search', 'Webhook.');
  await page.waitForFunction(() => location.hash.includes('q=Webhook.'));
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('tr[data-op-id]')];
    return rows.length > 0 && rows.every((r) => r.querySelector('.op-name').textContent.startsWith('Webhook.'));
  });
  await page.click('.chip[data-status="all"]');
  await page.fill('#search', '');

  step = 'open a timeline';
  await page.waitForFunction(() => location.hash === '#/' || location.hash === '#/?');
  const importRow = page.locator('tr[data-op-id]', { has: page.locator('.op-name', { hasText: 'Nightly.Import' }) }).first();
  await importRow.locator('.op-name').click();
  await page.waitForSelector('#timeline .tl-item');
  await page.waitForFunction(() => document.querySelectorAll('#timeline .tl-item[data-kind="status"]').length >= 2);
  const kinds = await page.$$eval('#timeline .tl-item', (items) => [...new Set(items.map((i) => i.dataset.kind))]);
  expect(kinds.includes('status') && kinds.includes('audit'), 'timeline lacks status or audit entries: ' + kinds);
  await page.waitForSelector('#children tr[data-op-id]');
  log(`timeline shows ${kinds.join(', ')}`);
  await shot(page, '03-detail-timeline');
  await page.screenshot({ path: path.join(shots, '03-detail-timeline-full.png'), fullPage: true });

  step = 'a batch timeline stays on the batch';
  // Parent and batches share one correlation id: the batch's timeline is its own
  // history, the parent and siblings are listed apart under Related.
  const importId = await page.locator('#op-id').textContent();
  const batchId = await page.locator('#children tr[data-op-id]').last().getAttribute('data-op-id');
  await page.goto(`${base}/#/op/${batchId}`);
  await page.waitForSelector(`#op-id:text("${batchId}")`);
  await page.waitForSelector('#timeline .tl-item');
  await page.waitForSelector(`#related tr[data-op-id="${importId}"]`);
  // The batch may still be running: when it changes, the page reloads its
  // timeline live (debounced), so compare once the page has caught up.
  let batchTimeline = null;
  let shown = -1;
  for (const deadline = Date.now() + 10000; ;) {
    batchTimeline = await api(base, 'GET', `/v1/operations/${batchId}/timeline`);
    shown = await page.locator('#timeline .tl-item').count();
    if (shown === batchTimeline.entries.length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const entry of batchTimeline.entries) {
    expect(entry.source !== 'child', 'a batch has no children, yet the timeline shows one');
    if (entry.source === 'audit') {
      expect(entry.audit.anchors.some((a) => a.type === 'Operation' && a.id === batchId),
        `the batch timeline shows another operation's audit event: ${entry.audit.name}`);
    }
  }
  expect(shown === batchTimeline.entries.length, `timeline shows ${shown} entries, the API has ${batchTimeline.entries.length}`);
  log(`batch timeline: ${shown} entries of its own, ${batchTimeline.related.length} related apart`);
  await shot(page, '03b-batch-timeline');

  step = 'cancel an operation';
  const job = (await api(base, 'POST', '/v1/operations', { name: 'Browser.LongJob', tags: { source: 'browser-test' } })).operation;
  await api(base, 'POST', `/v1/operations/${job.id}/progress`, { percent: 35, message: 'copying files', progress: { current: 35, total: 100, unit: 'files' } });
  await page.goto(`${base}/#/op/${job.id}`);
  // A hash change swaps the view in place: wait for this operation's page.
  await page.waitForSelector(`#op-id:text("${job.id}")`);
  await page.click('#cancel-button');
  await page.fill('#cancel-reason', 'cancelled from the browser test');
  await shot(page, '04-cancel-dialog');
  await page.click('#cancel-confirm');
  await page.waitForSelector('#cancel-state');
  const after = (await api(base, 'GET', `/v1/operations/${job.id}`)).operation;
  expect(after.cancel_requested_at && after.cancel_reason === 'cancelled from the browser test', 'cancel not recorded');
  expect(await page.locator('#cancel-button').count() === 0, 'cancel button still offered');
  await page.waitForSelector('#timeline .tl-item[data-kind="event"] .kind:text("cancel_requested")');
  expect(await page.locator('#op-id').textContent() === job.id, 'another operation took over the page');
  log('cancel requested through the dialog');
  // The worker acknowledges; the page follows live.
  await api(base, 'POST', `/v1/operations/${job.id}/complete`, { status: 'Canceled', message: 'stopped on request' });
  await page.waitForSelector('.idline .status-Canceled');

  step = 'stalled view';
  await page.click('a[data-nav="stalled"]');
  await page.waitForSelector('#stalled-list tr[data-op-id][data-status="Stalled"]', { timeout: 60000 });
  log('stalled view shows the demo\'s stuck report');
  await shot(page, '05-stalled');

  step = 'dark mode';
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(base + '/#/');
  await page.waitForSelector('tr[data-op-id]');
  await shot(page, '06-operations-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  step = 'phone width';
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/#/');
  await page.waitForSelector('tr[data-op-id]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 1, `the list is wider than the phone (${overflow}px)`);
  await shot(page, '07-phone-operations');
  await page.goto(`${base}/#/op/${job.id}`);
  await page.waitForSelector(`#op-id:text("${job.id}")`);
  await page.waitForSelector('#timeline .tl-item');
  const detailOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(detailOverflow <= 1, `the detail page is wider than the phone (${detailOverflow}px)`);
  await shot(page, '08-phone-detail');

  step = 'console';
  expect(consoleErrors.length === 0, 'browser console errors:\n' + consoleErrors.join('\n'));
}

let failed = false;
try {
  await main();
  log('PASS');
} catch (e) {
  failed = true;
  console.error(`[browser-test] FAILED at step "${step}": ${e.message}`);
  if (context) {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
  }
} finally {
  if (context) await context.close().catch(() => {});
  if (opsd) {
    opsd.removeAllListeners('exit');
    const exited = new Promise((resolve) => opsd.once('exit', (code, signal) => resolve({ code, signal })));
    opsd.kill('SIGTERM');
    const { code, signal } = await exited;  // it winds the demo down (writes) before it exits
    if (code !== 0) {
      failed = true;
      console.error(`[browser-test] FAILED: opsd did not stop cleanly (${signal || code}); see ${workDir}/opsd.log`);
    }
  }
  fs.rmSync(temp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

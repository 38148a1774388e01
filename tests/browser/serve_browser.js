// The dashboard and the OHIF viewer of `dicomlake serve` in a real browser: Debian's Chromium,
// headless, driven by npm puppeteer-core. Opens the dashboard (its charts drawn), the viewer's
// study list (the lake's studies listed), then a CT study in the viewer (its image requested
// frame by frame and drawn); fails on any console error or failed request; saves a screenshot
// of each.
// Usage: NODE_PATH=.deps/node/node_modules node serve_browser.js ROOT_URL STUDY_UID OUT_DIR
'use strict';
const puppeteer = require('puppeteer-core');
const path = require('path');

const [root, study, out] = process.argv.slice(2);
const problems = [];

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--use-angle=swiftshader',
           '--enable-unsafe-swiftshader', '--window-size=1400,900'],
    defaultViewport: { width: 1400, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const frames = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push('console error on ' + page.url() + ': ' + m.text());
    });
    page.on('pageerror', (e) => problems.push('page error on ' + page.url() + ': ' + e.message));
    page.on('requestfailed', (r) => {
      problems.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText);
    });
    page.on('response', (r) => {
      if (r.url().includes('/frames/')) frames.push(r.status());
      if (r.status() >= 400) problems.push('HTTP ' + r.status() + ': ' + r.url());
    });

    // The dashboard: numbers and charts.
    await page.goto(root + '/', { waitUntil: 'networkidle0', timeout: 60000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    const dashboard = await page.evaluate(() => ({
      cards: document.querySelectorAll('#totals .card').length,
      studies: document.querySelector('#totals .card .value').textContent,
      charts: typeof Chart === 'undefined' ? 0 :
          ['modalities', 'months', 'namespaces', 'runs'].filter(
              (id) => Chart.getChart(document.getElementById(id))).length,
      tables: document.querySelectorAll('#table-table tbody tr').length,
    }));
    if (dashboard.cards < 6 || dashboard.charts < 4 || dashboard.tables < 3 ||
        Number(dashboard.studies.replace(/,/g, '')) < 1) {
      problems.push('the dashboard is incomplete: ' + JSON.stringify(dashboard));
    }
    await page.screenshot({ path: path.join(out, 'dashboard.png'), fullPage: true });

    // The viewer's study list.
    await page.goto(root + '/viewer/', { waitUntil: 'networkidle0', timeout: 120000 });
    await page.waitForFunction(
        (uid) => document.body.innerText.includes('TRANSFER') ||
                 document.querySelectorAll('[data-cy="study-list-results"] tr, tbody tr').length > 1,
        { timeout: 60000 }, study);
    const rows = await page.evaluate(() => document.querySelectorAll('tbody tr').length);
    if (rows < 2) problems.push('the study list shows ' + rows + ' rows');
    await page.screenshot({ path: path.join(out, 'viewer-study-list.png') });

    // One CT study in the viewer: frames fetched and an image drawn.
    await page.goto(root + '/viewer/viewer?StudyInstanceUIDs=' + study,
                    { waitUntil: 'networkidle0', timeout: 120000 });
    await page.waitForSelector('canvas.cornerstone-canvas', { timeout: 60000 });
    await page.waitForFunction(() => {
      const c = document.querySelector('canvas.cornerstone-canvas');
      return c && c.width > 0 && c.height > 0;
    }, { timeout: 60000 });
    await new Promise((r) => setTimeout(r, 3000));  // the image drawn after its frame arrived
    // OHIF's first-visit tour covers the image: skipped.
    await page.evaluate(() => {
      for (const b of document.querySelectorAll('button, a, span')) {
        if (b.textContent.trim() === 'Skip all') b.click();
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const drawn = frames.filter((s) => s === 200).length;
    if (drawn < 1) problems.push('the viewer fetched no frame (' + JSON.stringify(frames) + ')');
    const viewport = await page.$('canvas.cornerstone-canvas');
    await page.screenshot({ path: path.join(out, 'viewer-ct.png') });
    await viewport.screenshot({ path: path.join(out, 'viewer-ct-viewport.png') });
    console.log(`browser: dashboard ${JSON.stringify(dashboard)}; study list ${rows} rows; ` +
                `viewer fetched ${drawn} frame(s)`);
  } finally {
    await browser.close();
  }
  if (problems.length) {
    for (const p of problems) console.error('PROBLEM: ' + p);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  for (const p of problems) console.error('PROBLEM: ' + p);
  process.exit(1);
});

// The page audit of `make test` (scripts/page-audit.sh starts the app and calls this): Lighthouse, desktop and
// mobile, accessibility, best practices and SEO at 100 (performance is not gated: speed lives in bench/), and
// axe-core with every rule, 0 violations, on each state of the page in both languages; both themes, one Chromium
// per theme (dark: --force-dark-mode, checked with matchMedia). Before trusting a pass, axe must report a text
// field without a label added to the page.
//
// usage: node scripts/page_audit.mjs BASE_URL OUT_DIR    (tools from .cache/node: scripts/install-deps.sh)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node scripts/page_audit.mjs BASE_URL OUT_DIR');
  process.exit(2);
}
const modules = path.resolve('.cache/node/node_modules');
const load = async (file) => (await import(pathToFileURL(path.join(modules, file)).href)).default;
const lighthouse = await load('lighthouse/core/index.js');
const desktopConfig = await load('lighthouse/core/config/desktop-config.js');
const chromeLauncher = await import(pathToFileURL(path.join(modules, 'chrome-launcher/dist/index.js')).href);
const puppeteer = createRequire(path.join(modules, '/'))('puppeteer-core');
const axeSource = fs.readFileSync(path.join(modules, 'axe-core/axe.min.js'), 'utf8');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const GATED = ['accessibility', 'best-practices', 'seo'];
const failures = [];
fs.mkdirSync(outDir, { recursive: true });

async function runLighthouse(port, theme, formFactor) {
  const started = Date.now();
  const result = await lighthouse(`${base}/`, {
    port, output: 'json', logLevel: 'error', onlyCategories: [...GATED, 'performance'],
  }, formFactor === 'desktop' ? desktopConfig : undefined);
  const lhr = result.lhr;
  fs.writeFileSync(path.join(outDir, `lighthouse-${theme}-${formFactor}.json`), result.report);
  const scores = Object.fromEntries(Object.entries(lhr.categories)
    .map(([id, c]) => [id, c.score === null ? null : Math.round(c.score * 100)]));
  console.log(`lighthouse ${theme} ${formFactor}: ${JSON.stringify(scores)} in ${Date.now() - started} ms`);
  for (const id of GATED) {
    if (scores[id] === 100) continue;
    const failed = lhr.categories[id].auditRefs
      .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
      .map((ref) => ref.id);
    failures.push(`lighthouse ${theme} ${formFactor}: ${id} ${scores[id]} (${failed.join(', ')})`);
  }
  if (lhr.runtimeError) failures.push(`lighthouse ${theme} ${formFactor}: ${lhr.runtimeError.message}`);
}

async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations;
}

async function checkAxe(page, label) {
  const violations = await axe(page);
  const summary = violations.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
  console.log(`axe ${label}: ${violations.length} violations${summary.length ? ': ' + summary.join(', ') : ''}`);
  if (violations.length) failures.push(`axe ${label}: ${summary.join(', ')}`);
}

// A plain form post (form.submit() skips the script): the page the server renders.
async function submitted(page, action) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.evaluate(action)]);
}

// Generate in place (the script's fetch): wait for the new secret, or for the error it shows.
async function generated(page, formId) {
  const before = await page.evaluate(() => document.getElementById('senha-gerada').value);
  await page.click(`#${formId} button[type=submit]`);
  await page.waitForFunction((previous) => {
    const value = document.getElementById('senha-gerada').value;
    const error = document.querySelector('.card > p.error:not([hidden]), .field-error');
    return (value && value !== previous) || (error && error.textContent);
  }, { timeout: 10000 }, before);
}

async function runAxe(port, theme) {
  const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${port}` });
  const page = await browser.newPage();
  await page.setBypassCSP(true); // axe is injected by evaluation; the page's own CSP stays as served
  await page.goto(`${base}/`, { waitUntil: 'load' });
  const dark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
  if (dark !== (theme === 'dark')) failures.push(`${theme}: the browser's colour scheme is not ${theme}`);

  // The check itself: a text field without a label, added to the page, must be reported.
  await page.evaluate(() => {
    const field = document.createElement('input');
    field.type = 'text';
    document.querySelector('main').append(field);
  });
  const broken = await axe(page);
  if (!broken.some((v) => v.id === 'label')) failures.push(`${theme}: axe missed a field without a label`);
  else console.log(`axe ${theme} self-check: a field without its label is reported (${broken.map((v) => v.id)})`);

  for (const lang of ['pt', 'en']) {
    const at = (state) => `${theme} ${lang} ${state}`;
    await page.goto(`${base}/?lang=${lang}`, { waitUntil: 'load' });
    await checkAxe(page, at('default'));
    await page.click('#opcoes summary');
    await checkAxe(page, at('options open'));
    await generated(page, 'form-senha');
    await checkAxe(page, at('result + history'));
    await page.click('button[data-toggle=h1]');
    await page.click('button[data-copy=h2]');
    await checkAxe(page, at('history shown + copy note'));
    await submitted(page, () => {
      const form = document.getElementById('form-senha');
      form.noValidate = true;
      form.elements.tamanho.value = '3';
      form.submit();
    });
    await checkAxe(page, at('length error'));
    await submitted(page, () => {
      const form = document.getElementById('form-senha');
      form.noValidate = true;
      form.elements.min_numeros.value = '99';
      form.submit();
    });
    await checkAxe(page, at('options error'));
    await page.goto(`${base}/?lang=${lang}`, { waitUntil: 'load' });
    await page.click('#opcoes summary');
    await page.evaluate(() => { document.getElementById('min_numeros').value = '99'; });
    await generated(page, 'form-senha');
    await checkAxe(page, at('options error in place'));
    await page.evaluate(() => {
      document.getElementById('min_numeros').value = '';
      document.getElementById('regras').value = 'required: nada';
    });
    await generated(page, 'form-senha');
    await checkAxe(page, at('field error in place'));
    await page.goto(`${base}/?lang=${lang}&modo=frase`, { waitUntil: 'load' });
    await checkAxe(page, at('passphrase tab'));
    await generated(page, 'form-frase');
    await checkAxe(page, at('passphrase result'));
    await page.click('button[data-toggle=senha-gerada]');
    await checkAxe(page, at('passphrase shown'));
  }
  await page.screenshot({ path: path.join(outDir, `axe-${theme}-last.png`), fullPage: true });
  await browser.disconnect();
}

for (const theme of ['light', 'dark']) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-audit-'));
  const chrome = await chromeLauncher.launch({
    chromePath: '/usr/bin/chromium',
    chromeFlags: [...FLAGS, ...(theme === 'dark' ? ['--force-dark-mode'] : [])],
    userDataDir,
  });
  try {
    await runAxe(chrome.port, theme);
    for (const formFactor of ['desktop', 'mobile']) await runLighthouse(chrome.port, theme, formFactor);
  } finally {
    await chrome.kill();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

if (failures.length) {
  console.error(`page audit FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('page audit: ok');

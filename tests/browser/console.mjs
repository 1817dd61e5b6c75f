// Browser tests of the admin console: a real Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core, no browser download) against a running `baseops serve`. Plain Node, no test
// runner: scripts/browser_tests.sh starts the server, seeds nothing itself, and runs
//
//   CONSOLE_URL=http://127.0.0.1:PORT CONSOLE_EMAIL=… CONSOLE_PASSWORD=… CONSOLE_TOKEN=… \
//   CONSOLE_SCREENSHOTS=target/browser CONSOLE_OUTBOX=… node tests/browser/console.mjs
//
// What it checks, on every page: a Content-Security-Policy without 'unsafe-inline' scripts and
// no inline script in the DOM, no console error, no uncaught exception, no request to another
// host (such a request is also aborted, so nothing leaves the machine), axe-core with zero
// serious or critical violations in the light theme, the dark theme of the system
// (prefers-color-scheme) and the dark theme chosen with the toggle; a full-page screenshot of
// each to CONSOLE_SCREENSHOTS/<page>-<theme>.png. Then the flows: sign-in (wrong password,
// `next`, no open redirect), the home page's chrome, the leads list with its search and a lead,
// the tasks list and a task, the theme toggle kept across reloads, the command palette, the
// usage events console.js sends to the analytics API (page views, the palette's choice), then
// pages.mjs (the leads board by drag and drop, the tasks board by keyboard, your account with
// two-factor setup, members, invitations, customers, audit, jobs, the live notifications bell,
// notifications and their preferences, the dashboard when present, an error page and the
// forgot-password page), forged POSTs refused with 403, and sign-out; last the staff story
// (story.mjs, browser contexts of its own): the admin turns two-factor login on and signs in
// with a code, invites a sales user who follows the e-mailed link (read from CONSOLE_OUTBOX,
// where the server's file backend writes .eml files), that user's lead and task moved on the
// boards and found with Ctrl+K, a manager who sees them and a viewer who cannot change them.
// Exit 1 on any failure; the last line is "N passed, N failed".

import { chromium, request as apiRequest } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { morePages } from './pages.mjs';
import { recordForms } from './records.mjs';
import { staffStory } from './story.mjs';

const env = (name, fallback) => {
    const value = process.env[name] ?? fallback;
    if (value === undefined || value === '') {
        console.error(`${name} is not set (see the head of ${path.basename(import.meta.url)})`);
        process.exit(2);
    }
    return value;
};
const BASE = env('CONSOLE_URL').replace(/\/+$/, '');
const EMAIL = env('CONSOLE_EMAIL');
const PASSWORD = env('CONSOLE_PASSWORD');
const TOKEN = env('CONSOLE_TOKEN');
const SHOTS = path.resolve(env('CONSOLE_SCREENSHOTS', 'target/browser'));
const TIME_LIMIT_MS = Number(process.env.CONSOLE_TIME_LIMIT_MS || 240_000);
// Where the server's file e-mail backend writes its .eml files (the staff story reads them).
const OUTBOX = process.env.CONSOLE_OUTBOX ? path.resolve(process.env.CONSOLE_OUTBOX) : null;
const BASE_HOST = new URL(BASE).host;
mkdirSync(SHOTS, { recursive: true });

// The whole run is bounded: a hung browser or server must not hang CI.
const watchdog = setTimeout(() => {
    console.error(`FAIL: the browser tests did not finish within ${TIME_LIMIT_MS / 1000} s`);
    process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const require = createRequire(import.meta.url);
// axe-core goes into each page with page.evaluate(source), not page.addScriptTag({content}):
// the console's CSP (no 'unsafe-inline') blocks a <script> element with inline content, and
// that block is itself a console error. evaluate() runs the source through the DevTools
// protocol (Runtime.evaluate), which CSP does not govern, so the page keeps its real policy
// (no bypassCSP context) and axe sees exactly what a person gets.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// ---------------------------------------------------------------------------------------------
// Bookkeeping: checks, problems seen by the listeners, axe findings.

const results = [];
const problems = []; // { kind, text, check } from console errors, page errors, foreign requests
let currentCheck = '(setup)';
let allowed = []; // regexes of console errors the running check expects (e.g. a 401 page)
const requestUrls = new Set();
let axeRuns = 0;
let screenshots = 0;
const notes = [];

class Abort extends Error {}

function expect(condition, message) {
    if (!condition) throw new Error(message);
}

// A finding that fails the running check without stopping it: the page's policy, inline
// scripts, axe. The flow goes on, so one run reports everything.
function flag(condition, message) {
    if (!condition) problems.push({ kind: 'finding', text: message, check: currentCheck });
    return condition;
}

async function check(name, fn, { critical = false, allow = [] } = {}) {
    currentCheck = name;
    allowed = allow;
    const mark = problems.length;
    const started = Date.now();
    let error = null;
    try {
        await fn();
    } catch (e) {
        error = e;
    }
    // Console messages arrive asynchronously: give a late one the chance to be counted here.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const fresh = problems.slice(mark);
    allowed = [];
    const messages = [];
    if (error) messages.push(error.message.split('\n').slice(0, 6).join('\n      '));
    for (const p of fresh) messages.push(`${p.kind}: ${p.text}`);
    const ok = messages.length === 0;
    results.push({ name, ok, messages });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${took} s)`);
    for (const m of messages) console.log(`      ${m}`);
    // Only a broken flow stops the run; console errors and the like are reported and it goes on.
    if (error && critical) throw new Abort(`"${name}" failed: the checks after it cannot run`);
    return ok;
}

// The console's usage events (console.js → POST /api/v1/analytics/events): bodies and answers.
const TRACK_PATH = '/api/v1/analytics/events';
const tracked = []; // { events, status }

const watched = new WeakSet();
function watch(page) {
    if (watched.has(page)) return;
    watched.add(page);
    page.on('response', async (res) => {
        if (new URL(res.url()).pathname !== TRACK_PATH) return;
        let events = [];
        try { events = JSON.parse(res.request().postData() || '{}').events || []; } catch { /* counted as empty */ }
        tracked.push({ events, status: res.status() });
    });
    page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const text = msg.text();
        if (allowed.some((re) => re.test(text))) return;
        const where = msg.location()?.url ? ` [${msg.location().url}]` : '';
        problems.push({ kind: 'console error', text: text + where, check: currentCheck });
    });
    page.on('pageerror', (err) => {
        problems.push({ kind: 'page error', text: String(err?.stack || err), check: currentCheck });
    });
    page.on('request', (req) => {
        requestUrls.add(req.url());
        if (foreign(req.url())) {
            problems.push({ kind: 'request to another host', text: `${req.method()} ${req.url()}`, check: currentCheck });
        }
    });
    page.on('websocket', (ws) => {
        requestUrls.add(ws.url());
        if (foreign(ws.url())) {
            problems.push({ kind: 'request to another host', text: `websocket ${ws.url()}`, check: currentCheck });
        }
    });
}

function foreign(url) {
    let parsed;
    try {
        parsed = new URL(url);
    } catch {
        return true;
    }
    if (['data:', 'blob:', 'about:'].includes(parsed.protocol)) return false;
    return parsed.host !== BASE_HOST;
}

const pathOf = (url) => new URL(url, BASE).pathname;

// ---------------------------------------------------------------------------------------------
// Seeding through the JSON API.

async function api(method, route, body) {
    const res = await fetch(`${BASE}/api/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
        json = JSON.parse(text);
    } catch {
        /* reported below */
    }
    if (!res.ok) throw new Error(`${method} /api/v1${route} answered ${res.status}: ${text.slice(0, 300)}`);
    return json;
}

const LEADS = [
    { first_name: 'Adaeze', last_name: 'Okonkwo', email: 'adaeze.okonkwo@example.com', company: 'Harbor Freight Lines' },
    { first_name: 'Birgit', last_name: 'Lindqvist', email: 'birgit.lindqvist@example.com', company: 'Nordlys Optics' },
    { first_name: 'Carlo', last_name: 'Marchetti', email: 'carlo.marchetti@example.com', company: 'Vetreria Marchetti' },
];
const TASKS = [
    { title: 'Call back the harbor office', priority: 'high', description: 'About the **freight** quote.' },
    { title: 'Prepare the quarterly review deck' },
];

// ---------------------------------------------------------------------------------------------
// Page helpers.

async function injectAxe(page) {
    const present = await page.evaluate(() => typeof window.axe === 'object' && typeof window.axe.run === 'function');
    if (!present) await page.evaluate(AXE_SOURCE);
}

const axeFindings = []; // every violation, for the report
async function runAxe(page, label) {
    await injectAxe(page);
    const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
        }));
    });
    axeRuns += 1;
    const blocking = [];
    for (const v of violations) {
        axeFindings.push({ label, url: page.url(), ...v });
        const line = `axe ${label}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target).join(', ')}`;
        if (v.impact === 'serious' || v.impact === 'critical') {
            blocking.push(`${line}\n        ${v.nodes.map((n) => `${n.target}: ${(n.summary || '').replace(/\s+/g, ' ')}`).join('\n        ')}`);
        } else {
            console.log(`      note: ${line}`);
        }
    }
    flag(blocking.length === 0, `${blocking.length} serious/critical axe violation(s):\n${blocking.join('\n')}`);
}

async function shot(page, name) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    screenshots += 1;
}

// CSS transitions between themes must settle before contrast is measured.
const settle = (page) => page.waitForTimeout(250);

async function theme(page) {
    return page.evaluate(() => document.documentElement.getAttribute('data-theme'));
}

async function background(page) {
    return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

// The document's own guarantees: a strict CSP header and nothing inline that it would block.
function checkCsp(response, label) {
    expect(response, `${label}: no response`);
    const csp = response.headers()['content-security-policy'];
    if (!flag(csp, `${label}: no Content-Security-Policy header`)) return;
    const directives = Object.fromEntries(
        csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
            const [name, ...values] = d.split(/\s+/);
            return [name.toLowerCase(), values];
        }),
    );
    const scripts = directives['script-src'] ?? directives['default-src'];
    if (!flag(scripts, `${label}: the CSP has neither script-src nor default-src: ${csp}`)) return;
    flag(!scripts.includes("'unsafe-inline'"), `${label}: the CSP allows inline scripts: ${csp}`);
    flag(!scripts.includes("'unsafe-eval'"), `${label}: the CSP allows eval: ${csp}`);
    flag(!scripts.includes('*'), `${label}: the CSP allows scripts from anywhere: ${csp}`);
}

async function checkNoInline(page, label) {
    const inline = await page.evaluate(() => {
        const found = [];
        for (const s of document.querySelectorAll('script:not([src])')) {
            const type = (s.getAttribute('type') || '').toLowerCase();
            if (type === 'application/json' || type === 'application/ld+json' || type === 'importmap') continue;
            found.push(`inline <script>${s.textContent.slice(0, 60)}`);
        }
        for (const el of document.querySelectorAll('*')) {
            for (const attr of el.attributes) {
                if (/^on/i.test(attr.name)) found.push(`<${el.localName} ${attr.name}="…">`);
                if ((attr.name === 'href' || attr.name === 'src') && /^\s*javascript:/i.test(attr.value)) {
                    found.push(`<${el.localName} ${attr.name}="javascript:…">`);
                }
            }
        }
        return found;
    });
    flag(inline.length === 0, `${label}: inline script the CSP forbids: ${inline.slice(0, 5).join('; ')}`);
}

// Screenshots and axe in each theme for the page as it is now:
//   <name>-light  prefers-color-scheme light, no stored choice
//   <name>-dark   prefers-color-scheme dark, no stored choice
//   <name>-dark-toggle  light system theme, dark chosen with button#theme-toggle (when the page
//                 has it; required on pages with the top bar), then reloaded: the choice stays
// Leaves the page reloaded with no stored choice and the light system theme.
async function audit(page, name, { toggle = 'auto', reload = true } = {}) {
    await page.evaluate(() => localStorage.clear());
    await page.emulateMedia({ colorScheme: 'light' });
    if (reload) await page.reload();
    await settle(page);
    const lightBackground = await background(page);
    await shot(page, `${name}-light`);
    await runAxe(page, `${name} (light)`);

    await page.emulateMedia({ colorScheme: 'dark' });
    await settle(page);
    if ((await background(page)) === lightBackground) {
        notes.push(`${name}: the body's background is the same with prefers-color-scheme dark as with light (${lightBackground})`);
    }
    await shot(page, `${name}-dark`);
    await runAxe(page, `${name} (dark, system)`);
    await page.emulateMedia({ colorScheme: 'light' });

    const hasToggle = (await page.locator('button#theme-toggle').count()) > 0;
    if (toggle === true) flag(hasToggle, `${name}: no button#theme-toggle`);
    if (hasToggle && toggle !== false) {
        await settle(page);
        await page.click('button#theme-toggle');
        await settle(page);
        flag((await theme(page)) === 'dark', `${name}: after clicking button#theme-toggle html[data-theme] is ${JSON.stringify(await theme(page))}, not "dark"`);
        await shot(page, `${name}-dark-toggle`);
        await runAxe(page, `${name} (dark, toggle)`);
        if (reload) {
            await page.reload();
            flag((await theme(page)) === 'dark', `${name}: after a reload html[data-theme] is ${JSON.stringify(await theme(page))}: the chosen dark theme was not kept`);
        }
        await page.evaluate(() => localStorage.clear());
        if (reload) await page.reload();
    }
}

// Navigates, checks the document (status, CSP, nothing inline), then audits it.
async function visit(page, name, url, { status = 200, toggle = 'auto' } = {}) {
    const response = await page.goto(url);
    expect(response, `${url}: no response`);
    expect(response.status() === status, `${url}: status ${response.status()}, expected ${status}`);
    checkCsp(response, url);
    await checkNoInline(page, url);
    await audit(page, name, { toggle });
    return response;
}

async function signIn(page, { email = EMAIL, password = PASSWORD, code } = {}) {
    await page.fill('form#login input[name=email]', email);
    await page.fill('form#login input[name=password]', password);
    if (code !== undefined) await page.fill('form#login input[name=code]', code);
    const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && pathOf(r.url()) === '/admin/login'),
        page.click('form#login button[type=submit]'),
    ]);
    await page.waitForLoadState('load');
    return response;
}

// button#logout may sit in a closed menu (<details> in the top bar): open it the way a person
// would, by its summary.
async function openLogoutMenu(page) {
    const button = page.locator('button#logout');
    if (await button.isVisible()) return;
    const summary = page.locator('details:has(button#logout) > summary');
    if (await summary.count()) await summary.first().click();
    await button.waitFor({ state: 'visible', timeout: 3_000 })
        .catch(() => { throw new Error('button#logout is not visible, even with its menu opened'); });
}

async function signOut(page) {
    await openLogoutMenu(page);
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin/login'), page.click('button#logout')]);
}

// ---------------------------------------------------------------------------------------------

async function main() {
    const seeded = { leads: [], tasks: [] };
    await check('seed 3 leads and 2 tasks through the JSON API', async () => {
        for (const lead of LEADS) {
            const out = await api('POST', '/leads', lead);
            expect(out && out.id, `POST /api/v1/leads answered no id: ${JSON.stringify(out)}`);
            seeded.leads.push({ ...lead, id: out.id });
        }
        for (const task of TASKS) {
            const out = await api('POST', '/tasks', task);
            expect(out && out.id, `POST /api/v1/tasks answered no id: ${JSON.stringify(out)}`);
            seeded.tasks.push({ ...task, id: out.id });
        }
    }, { critical: true });
    const [okonkwo, lindqvist, marchetti] = seeded.leads;

    await check('unauthenticated /admin pages redirect to /admin/login?next=…', async () => {
        const anonymous = await apiRequest.newContext({ baseURL: BASE });
        try {
            for (const route of ['/admin', '/admin/leads', '/admin/tasks', `/admin/leads/${okonkwo.id}`]) {
                const res = await anonymous.get(route, { maxRedirects: 0 });
                expect([302, 303, 307].includes(res.status()), `GET ${route}: status ${res.status()}, expected a redirect`);
                const location = new URL(res.headers().location ?? '', BASE + route);
                expect(location.host === BASE_HOST && location.pathname === '/admin/login',
                    `GET ${route}: redirects to ${res.headers().location}, not /admin/login`);
                // /admin is where a sign-in goes anyway: its next may be left out.
                const next = location.searchParams.get('next');
                expect(next === route || (route === '/admin' && next === null),
                    `GET ${route}: redirects to ${res.headers().location}, whose next is not ${route}`);
            }
        } finally {
            await anonymous.dispose();
        }
    });

    const browser = await chromium.launch({
        executablePath: process.env.CONSOLE_CHROMIUM || '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
        const context = await browser.newContext({
            baseURL: BASE,
            colorScheme: 'light',
            viewport: { width: 1280, height: 800 },
            locale: 'en-US',
        });
        context.setDefaultTimeout(10_000);
        context.setDefaultNavigationTimeout(15_000);
        // Nothing may leave for another host: counted as a failure (watch) and aborted, so a page that
        // asks for a font, a script or an open redirect's target never reaches the network.
        await context.route('**/*', (route) => {
            const url = route.request().url();
            if (foreign(url)) return route.abort('blockedbyclient'); // counted by watch()
            return route.continue();
        });
        context.on('page', watch);
        const page = await context.newPage();
        watch(page);

        await check('GET /admin in the browser lands on the sign-in page', async () => {
            await page.goto('/admin/leads');
            const url = new URL(page.url());
            expect(url.pathname === '/admin/login', `landed on ${page.url()}`);
            expect(url.searchParams.get('next') === '/admin/leads', `next is ${url.searchParams.get('next')}`);
        }, { critical: true });

        await check('/admin/login: form#login with email, password, code and "Sign in"', async () => {
            const response = await page.reload();
            checkCsp(response, page.url());
            await checkNoInline(page, page.url());
            for (const name of ['email', 'password', 'code']) {
                expect(await page.locator(`form#login input[name=${name}]`).count() === 1, `no form#login input[name=${name}]`);
            }
            expect(await page.getAttribute('form#login input[name=password]', 'type') === 'password', 'the password input is not type=password');
            const button = page.locator('form#login button[type=submit]');
            expect(await button.count() === 1, 'no form#login button[type=submit]');
            const label = (await button.innerText()).trim();
            expect(/sign in/i.test(label), `the submit button says ${JSON.stringify(label)}, not "Sign in"`);
            await audit(page, 'login');
        }, { critical: true });

        await check('a wrong password re-renders the form with .alert-error (role=alert), 401/422', async () => {
            const response = await signIn(page, { password: 'not-the-password-0' });
            expect([401, 422].includes(response.status()), `POST /admin/login answered ${response.status()}`);
            expect(pathOf(page.url()) === '/admin/login', `landed on ${page.url()}`);
            const alert = page.locator('.alert-error');
            expect(await alert.count() >= 1, 'no .alert-error');
            expect(await alert.first().getAttribute('role') === 'alert', '.alert-error has no role=alert');
            expect(await alert.first().isVisible(), '.alert-error is not visible');
            expect(await page.locator('form#login').count() === 1, 'form#login is gone');
            checkCsp(response, 'POST /admin/login');
            await checkNoInline(page, 'the sign-in page with an error');
            await audit(page, 'login-error', { reload: false, toggle: false });
        }, { allow: [/status of (401|422)/] });

        await check('signing in redirects (303) to next=/admin/leads', async () => {
            await page.goto('/admin/login?next=%2Fadmin%2Fleads');
            const response = await signIn(page);
            expect(response.status() === 303, `POST /admin/login answered ${response.status()}, expected 303`);
            expect(pathOf(page.url()) === '/admin/leads', `landed on ${page.url()}`);
        }, { critical: true });

        await check('GET /admin: h1 Home, top bar, app links, theme and palette buttons, logout form, csrf meta', async () => {
            await visit(page, 'home', '/admin', { toggle: true });
            const h1 = (await page.locator('h1').first().innerText()).trim();
            expect(h1 === 'Home', `h1 is ${JSON.stringify(h1)}`);
            expect(await page.locator('header.topbar').count() === 1, 'no header.topbar');
            const links = await page.$$eval('header.topbar nav.apps a', (as) => as.map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') })));
            for (const [text, href] of [['Leads', '/admin/leads'], ['Tasks', '/admin/tasks']]) {
                expect(links.some((l) => l.text.includes(text) && pathOf(l.href) === href),
                    `header.topbar nav.apps has no "${text}" link to ${href}: ${JSON.stringify(links)}`);
            }
            for (const sel of ['button#theme-toggle', 'button#palette-open', 'form#logout-form button#logout']) {
                expect(await page.locator(sel).count() === 1, `no ${sel}`);
            }
            const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content').catch(() => null);
            expect(csrf && csrf.length >= 16, `meta[name=csrf-token] is ${JSON.stringify(csrf)}`);
            // The menu that holds button#logout, open: part of every page, audited too.
            await openLogoutMenu(page);
            await audit(page, 'home-user-menu', { reload: false, toggle: false });
        });

        await check('theme toggle sets html[data-theme=dark]; a reload and the next page keep it', async () => {
            await page.goto('/admin');
            await page.evaluate(() => localStorage.clear());
            await page.reload();
            await page.click('button#theme-toggle');
            expect(await theme(page) === 'dark', `html[data-theme] is ${JSON.stringify(await theme(page))}`);
            await page.reload();
            expect(await theme(page) === 'dark', `after a reload html[data-theme] is ${JSON.stringify(await theme(page))}`);
            await page.goto('/admin/tasks');
            expect(await theme(page) === 'dark', `on the next page html[data-theme] is ${JSON.stringify(await theme(page))}`);
            await page.click('button#theme-toggle');
            expect(await theme(page) !== 'dark', 'a second click leaves html[data-theme=dark]');
            await page.reload();
            expect(await theme(page) !== 'dark', 'after a reload the second click was forgotten');
            await page.evaluate(() => localStorage.clear());
        });

        await check('GET /admin/leads: table.list lists the seeded leads, form.filters has a search box', async () => {
            await visit(page, 'leads', '/admin/leads', { toggle: true });
            const table = page.locator('table.list');
            expect(await table.count() === 1, 'no table.list');
            const text = await table.innerText();
            for (const lead of seeded.leads) expect(text.includes(lead.last_name), `table.list lacks ${lead.last_name}`);
            expect(await page.locator('table.list tbody tr').count() >= 3, 'table.list has fewer than 3 body rows');
            const q = page.locator('form.filters input[name=q]');
            expect(await q.count() === 1, 'no form.filters input[name=q]');
            expect(await q.getAttribute('type') === 'search', 'input[name=q] is not type=search');
        });

        await check(`searching "${lindqvist.last_name}" narrows the table to that lead`, async () => {
            await page.goto('/admin/leads');
            await page.fill('form.filters input[name=q]', lindqvist.last_name);
            await page.press('form.filters input[name=q]', 'Enter');
            await page.waitForFunction(([others]) => {
                const t = document.querySelector('table.list');
                return t && others.every((o) => !t.innerText.includes(o));
            }, [[okonkwo.last_name, marchetti.last_name]], { timeout: 10_000 }).catch(() => {});
            await page.waitForLoadState('load');
            const text = await page.locator('table.list').innerText();
            expect(text.includes(lindqvist.last_name), `the filtered table lacks ${lindqvist.last_name}`);
            for (const other of [okonkwo, marchetti]) expect(!text.includes(other.last_name), `the filtered table still lists ${other.last_name}`);
            await checkNoInline(page, page.url());
            if (new URL(page.url()).searchParams.get('q')) {
                await audit(page, 'leads-search');
            } else {
                notes.push(`the lead search did not change the URL (${page.url()}): a reload loses the filter`);
                await audit(page, 'leads-search', { reload: false, toggle: false });
            }
        });

        await check(`clicking ${lindqvist.last_name} opens /admin/leads/{id} with the name in h1`, async () => {
            const link = page.locator('table.list a', { hasText: lindqvist.last_name }).first();
            expect(await link.count() === 1, `no link with ${lindqvist.last_name} in table.list`);
            await Promise.all([page.waitForURL((u) => u.pathname === `/admin/leads/${lindqvist.id}`), link.click()]);
            const h1 = await page.locator('h1').first().innerText();
            expect(h1.includes(lindqvist.last_name) && h1.includes(lindqvist.first_name), `h1 is ${JSON.stringify(h1)}`);
            await visit(page, 'lead', `/admin/leads/${lindqvist.id}`, { toggle: true });
        });

        await check('GET /admin/tasks: table.list lists the seeded tasks, each linking to /admin/tasks/{id}', async () => {
            await visit(page, 'tasks', '/admin/tasks', { toggle: true });
            const table = page.locator('table.list');
            expect(await table.count() === 1, 'no table.list');
            const text = await table.innerText();
            for (const task of seeded.tasks) {
                expect(text.includes(task.title), `table.list lacks "${task.title}"`);
                const hrefs = await page.$$eval('table.list a', (as) => as.map((a) => a.getAttribute('href')));
                expect(hrefs.some((h) => pathOf(h) === `/admin/tasks/${task.id}`), `table.list has no link to /admin/tasks/${task.id}`);
            }
        });

        await check('clicking a task opens /admin/tasks/{id}', async () => {
            const task = seeded.tasks[0];
            await page.goto('/admin/tasks');
            const link = page.locator(`table.list a[href$="/admin/tasks/${task.id}"]`).first();
            await Promise.all([page.waitForURL((u) => u.pathname === `/admin/tasks/${task.id}`), link.click()]);
            const h1 = await page.locator('h1').first().innerText();
            if (!h1.includes(task.title)) notes.push(`/admin/tasks/${task.id}: h1 ${JSON.stringify(h1)} does not hold the title`);
            await visit(page, 'task', `/admin/tasks/${task.id}`, { toggle: true });
        });

        await check('command palette: Ctrl+K opens dialog#palette, "lead" finds /admin/leads', async () => {
            await page.goto('/admin');
            await page.keyboard.press('Control+k');
            const dialog = page.locator('dialog#palette');
            await dialog.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {});
            expect(await dialog.evaluate((d) => d.open).catch(() => false), 'Ctrl+K did not open dialog#palette');
            const input = dialog.locator('input:not([type=hidden])').first();
            expect(await input.count() === 1, 'dialog#palette has no input');
            expect(await input.evaluate((el) => el === document.activeElement), 'the palette input does not have the focus');
            await input.pressSequentially('lead', { delay: 30 });
            await page.waitForFunction(() => [...document.querySelectorAll('dialog#palette a[href]')]
                .some((a) => new URL(a.href).pathname === '/admin/leads'), null, { timeout: 5_000 })
                .catch(() => { throw new Error('typing "lead" shows no result linking to /admin/leads'); });
            await shot(page, 'palette-light');
            await runAxe(page, 'palette (light)');
            await page.emulateMedia({ colorScheme: 'dark' });
            await settle(page);
            await shot(page, 'palette-dark');
            await runAxe(page, 'palette (dark, system)');
            await page.emulateMedia({ colorScheme: 'light' });
            // In a non-empty type=search input the first Escape clears the text (Chromium's own
            // behaviour); the next one closes the dialog.
            for (let i = 0; i < 2 && await dialog.evaluate((d) => d.open); i += 1) {
                await page.keyboard.press('Escape');
                await page.waitForTimeout(200);
            }
            expect(!(await dialog.evaluate((d) => d.open)), 'Escape (twice) does not close dialog#palette');
        });

        await check(`command palette: button#palette-open, "${marchetti.last_name}" finds the lead through /admin/search, Enter opens it`, async () => {
            await page.goto('/admin');
            await page.click('button#palette-open');
            const dialog = page.locator('dialog#palette');
            expect(await dialog.evaluate((d) => d.open), 'button#palette-open did not open dialog#palette');
            const input = dialog.locator('input:not([type=hidden])').first();
            await input.fill('');
            const searched = page.waitForRequest((r) => pathOf(r.url()) === '/admin/search'
                && Boolean(new URL(r.url()).searchParams.get('q')), { timeout: 5_000 })
                .catch(() => null);
            await input.pressSequentially(marchetti.last_name, { delay: 30 });
            const target = `/admin/leads/${marchetti.id}`;
            await page.waitForFunction((t) => [...document.querySelectorAll('dialog#palette a[href]')]
                .some((a) => new URL(a.href).pathname === t), target, { timeout: 5_000 })
                .catch(() => { throw new Error(`typing "${marchetti.last_name}" shows no result linking to ${target}`); });
            expect(await searched, `no request to /admin/search?q=${marchetti.last_name}`);
            await Promise.all([page.waitForURL((u) => u.pathname === target, { timeout: 5_000 }), page.keyboard.press('Enter')])
                .catch(() => { throw new Error(`Enter did not navigate to ${target} (at ${page.url()})`); });
        });

        await check('the console records its use: page views and the palette\'s choice reach the analytics API (202)', async () => {
            const sent = page.waitForResponse((r) => pathOf(r.url()) === TRACK_PATH, { timeout: 5_000 }).catch(() => null);
            await page.goto('/admin/leads');
            expect(await sent, `no POST ${TRACK_PATH} after loading /admin/leads`);
            const events = tracked.flatMap((t) => t.events);
            const refused = tracked.filter((t) => t.status !== 202).map((t) => t.status);
            expect(refused.length === 0, `${TRACK_PATH} answered ${refused.join(', ')}`);
            expect(events.some((e) => e.name === 'console.page_viewed' && e.properties?.page === '/admin/leads'),
                `no console.page_viewed of /admin/leads among ${JSON.stringify(events.map((e) => e.name))}`);
            expect(events.some((e) => e.name === 'console.page_viewed' && e.properties?.page === '/admin/leads/{id}'),
                'a lead\'s page is not recorded with its id folded to {id}');
            expect(events.some((e) => e.name === 'console.palette_opened' && e.properties?.target === '/admin/leads/{id}'),
                'the palette\'s choice of a lead was not recorded');
            expect(!events.some((e) => JSON.stringify(e).includes('?')), 'an event carries a query string');
        });

        // The other pages and flows (pages.mjs), signed in, before sign-out.
        await morePages({
            check, expect, flag, visit, audit, api, notes, page, browser, watch, foreign, pathOf,
            BASE, EMAIL, seeded,
        });
        await recordForms({ check, expect, visit, audit, api, page, pathOf });

        await check('forged POSTs to /admin/logout without the CSRF token answer 403; the session survives', async () => {
            await page.goto('/admin');
            const statuses = await page.evaluate(async () => {
                const bare = await fetch('/admin/logout', { method: 'POST' });
                const form = await fetch('/admin/logout', {
                    method: 'POST',
                    headers: { 'content-type': 'application/x-www-form-urlencoded' },
                    body: 'next=%2Fadmin',
                });
                return [bare.status, form.status];
            });
            expect(statuses[0] === 403, `fetch('/admin/logout', {method:'POST'}) answered ${statuses[0]}`);
            expect(statuses[1] === 403, `a form POST to /admin/logout without csrf_token answered ${statuses[1]}`);
            // The same without the page: the browser's cookies, no Origin header, no token.
            const res = await context.request.post('/admin/logout', { form: { next: '/admin' }, maxRedirects: 0 });
            expect(res.status() === 403, `a cross-site form POST (no Origin, no csrf_token) answered ${res.status()}`);
            await page.goto('/admin');
            expect(pathOf(page.url()) === '/admin', `after the forged POSTs /admin went to ${page.url()}: the session ended`);
        }, { allow: [/status of 403/] });

        await check('button#logout ends the session; /admin then redirects to the sign-in page', async () => {
            await page.goto('/admin');
            await signOut(page);
            await page.goto('/admin');
            const url = new URL(page.url());
            expect(url.pathname === '/admin/login', `after logging out /admin went to ${page.url()}`);
            expect([null, '/admin'].includes(url.searchParams.get('next')), `next is ${url.searchParams.get('next')}`);
        });

        for (const next of ['https://evil.example/admin', '//evil.example/admin', '/api/v1/me']) {
            await check(`signing in with next=${next} stays on /admin`, async () => {
                await page.goto(`/admin/login?next=${encodeURIComponent(next)}`);
                const response = await signIn(page);
                expect(response.status() === 303, `POST /admin/login answered ${response.status()}`);
                const location = new URL(response.headers().location ?? '', BASE);
                expect(location.host === BASE_HOST && location.pathname === '/admin',
                    `redirected to ${response.headers().location}`);
                expect(pathOf(page.url()) === '/admin', `landed on ${page.url()}`);
                await signOut(page);
            });
        }
        await context.close();

        // Last, in contexts of its own: from its first step on the admin signs in with a code.
        await staffStory({
            check, expect, flag, visit, audit, shot, api, browser, watch, foreign, pathOf, signIn, signOut, checkCsp, checkNoInline,
            BASE, BASE_HOST, EMAIL, PASSWORD, OUTBOX, seeded,
        });
    } finally {
        await browser.close();
    }
}

let aborted = null;
try {
    await main();
} catch (e) {
    aborted = e;
    if (!(e instanceof Abort)) console.log(`FAIL unexpected error: ${e.stack || e}`);
}

const passed = results.filter((r) => r.ok);
const failed = results.filter((r) => !r.ok);
const foreignUrls = [...requestUrls].filter(foreign);
console.log('\nsummary');
console.log(`  ${passed.length} checks passed: ${passed.map((r) => r.name).join('; ')}`);
for (const r of failed) console.log(`  FAILED: ${r.name}\n      ${r.messages.join('\n      ')}`);
if (aborted) console.log(`  stopped early: ${aborted.message}`);
console.log(`  ${requestUrls.size} distinct request URLs, ${foreignUrls.length} to another host${foreignUrls.length ? `: ${foreignUrls.join(', ')}` : ''}`);
console.log(`  ${axeRuns} axe runs; ${axeFindings.length} violations of any impact` +
    (axeFindings.length ? ` (${[...new Set(axeFindings.map((f) => `${f.id}/${f.impact}`))].join(', ')})` : ''));
console.log(`  ${screenshots} screenshots in ${SHOTS}`);
for (const n of notes) console.log(`  note: ${n}`);
const failures = failed.length + (aborted ? 1 : 0);
console.log(`${passed.length} passed, ${failures} failed`);
process.exitCode = failures ? 1 : 0;

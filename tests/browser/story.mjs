// The staff story, run by console.mjs last (after the sign-out checks: from its first step on,
// the admin needs a code to sign in), each person in a browser context of their own:
//
//   1. the admin turns two-factor login on at /admin/account with a code computed from the key
//      the page shows (RFC 6238 here, no package), sees the recovery codes, signs out; a
//      sign-in without the code is refused, one with it lands on /admin;
//   2. the admin invites a sales user through form#invite; in a fresh browser the invitee opens
//      the accept link of the e-mail (the server's file backend writes it to CONSOLE_OUTBOX),
//      chooses a password and signs in;
//   3. the sales user creates a lead through the form, drags it to the next open stage of the
//      pipeline board, makes a task about it with "Add task" and moves that task on the tasks
//      board with the keyboard; Ctrl+K finds the lead by name and Enter opens it;
//   4. a manager (invited and accepted through the JSON API) signs in and sees the lead and the
//      task;
//   5. a viewer signs in and finds no control that changes the lead (list, page, board), and
//      posts forged with the viewer's own valid CSRF token answer 403 with the lead unchanged.
//
// Each change is checked through the JSON API (the admin's token); every page seen for the
// first time, or in a new state, goes through visit() or audit() (CSP, nothing inline, axe,
// screenshots).
//
// h: the helpers and state of console.mjs (see the call there).

import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// ---- RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits) over an RFC 4648 base32 key ----

function base32Decode(text) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const out = [];
    let buffer = 0;
    let bits = 0;
    for (const c of text.replace(/[\s=-]/g, '').toUpperCase()) {
        const index = alphabet.indexOf(c);
        if (index < 0) throw new Error(`the key ${JSON.stringify(text)} is not base32 (${JSON.stringify(c)})`);
        buffer = ((buffer << 5) | index) & 0xffff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push((buffer >> bits) & 0xff);
        }
    }
    return Buffer.from(out);
}

const STEP_SECONDS = 30;
const stepNow = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

function totp(key, step) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(step));
    const mac = createHmac('sha1', key).update(counter).digest();
    const offset = mac[mac.length - 1] & 0x0f;
    return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// ---- the outbox: one .eml file per message (services/email file backend) ----

/** Header fields (unfolded, lower-case names) and the body of one MIME entity. */
function entity(raw) {
    const at = raw.search(/\r?\n\r?\n/);
    const head = at < 0 ? raw : raw.slice(0, at);
    const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
    const headers = {};
    for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { headers, body };
}

function decodeBody({ headers, body }) {
    const encoding = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
    if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (encoding === 'quoted-printable') {
        const unwrapped = body.replace(/=\r?\n/g, '');
        const bytes = [];
        for (let i = 0; i < unwrapped.length; i += 1) {
            const hex = unwrapped.slice(i + 1, i + 3);
            if (unwrapped[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
                bytes.push(parseInt(hex, 16));
                i += 2;
            } else {
                bytes.push(...Buffer.from(unwrapped[i], 'utf8'));
            }
        }
        return Buffer.from(bytes).toString('utf8');
    }
    return body;
}

/** The text/plain body of a message (the first text/plain part of a multipart one). */
function plainText(raw) {
    const message = entity(raw);
    const type = message.headers['content-type'] || 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!/^multipart\//i.test(type) || !boundary) return decodeBody(message);
    for (const part of message.body.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        const parsed = entity(part.replace(/^\r?\n/, ''));
        if (/^text\/plain/i.test(parsed.headers['content-type'] || 'text/plain')) return decodeBody(parsed);
    }
    return '';
}

export async function staffStory(h) {
    const { check, expect, flag, visit, audit, shot, api, browser, watch, foreign, pathOf, signIn, signOut, checkCsp, checkNoInline,
        BASE, BASE_HOST, EMAIL, PASSWORD, OUTBOX, seeded } = h;

    async function newPerson() {
        const context = await browser.newContext({ baseURL: BASE, colorScheme: 'light', viewport: { width: 1280, height: 800 }, locale: 'en-US' });
        context.setDefaultTimeout(10_000);
        context.setDefaultNavigationTimeout(15_000);
        await context.route('**/*', (route) => (foreign(route.request().url()) ? route.abort('blockedbyclient') : route.continue()));
        context.on('page', watch);
        const page = await context.newPage();
        watch(page);
        return { context, page };
    }

    async function signInAs(page, email, password, code) {
        await page.goto('/admin/login');
        const response = await signIn(page, { email, password, code });
        expect(response.status() === 303, `signing in as ${email}: POST /admin/login answered ${response.status()}`);
        expect(pathOf(page.url()) === '/admin', `signing in as ${email} landed on ${page.url()}`);
    }

    /** Submits the page's form (by selector) and waits for the page it lands on. */
    async function submit(page, form) {
        const [response] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST' && r.request().frame() === page.mainFrame()),
            page.click(`${form} button[type=submit]`),
        ]);
        await page.waitForLoadState('load');
        return response;
    }

    /** The accept link of the newest invitation e-mail to `to`, waiting for the worker to send it. */
    async function invitationLink(to) {
        expect(OUTBOX, 'CONSOLE_OUTBOX is not set: the server\'s e-mail cannot be read');
        const until = Date.now() + 15_000;
        for (;;) {
            let names = [];
            try {
                names = readdirSync(OUTBOX).filter((n) => n.endsWith('.eml')).sort().reverse();
            } catch {
                /* not made yet: the first message creates the directory */
            }
            for (const name of names) {
                const raw = readFileSync(path.join(OUTBOX, name), 'utf8');
                if (!entity(raw).headers.to?.toLowerCase().includes(to)) continue;
                const link = /https?:\/\/\S+\/admin\/accept-invitation\?token=[^\s<>"]+/.exec(plainText(raw))?.[0];
                if (link) return link;
            }
            if (Date.now() > until) throw new Error(`no invitation e-mail with an accept link to ${to} in ${OUTBOX} within 15 s (${names.length} messages there)`);
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
    }

    /** A member with `role`, invited and accepted through the JSON API: { email, password, id }. */
    async function member(role, email, name) {
        await api('POST', '/invitations', { email, role });
        const token = new URL(await invitationLink(email)).searchParams.get('token');
        const password = `${role}-copper-lantern-88`;
        const res = await fetch(`${BASE}/api/v1/invitations/accept`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ token, display_name: name, password }),
        });
        const text = await res.text();
        expect(res.status === 201, `POST /api/v1/invitations/accept for ${email} answered ${res.status}: ${text.slice(0, 200)}`);
        return { email, password, id: JSON.parse(text).user_id };
    }

    const people = []; // contexts to close at the end
    try {
        // ---- 1. the admin turns two-factor login on ----
        const admin = await newPerson();
        people.push(admin);
        let key = null;
        let enabledAt = null;
        await check('story: the admin turns two-factor login on at /admin/account with a code from the shown key; recovery codes are shown', async () => {
            // The RFC 6238 example (SHA-1, key "12345678901234567890", T = 59 s): this file's TOTP is right.
            expect(totp(Buffer.from('12345678901234567890'), 1) === '287082', 'the test\'s own TOTP misses the RFC 6238 example');
            await signInAs(admin.page, EMAIL, PASSWORD);
            await admin.page.goto('/admin/account');
            // pages.mjs left a setup pending ("Start again"); either way the button starts one.
            await submit(admin.page, 'form#two-factor-setup');
            key = (await admin.page.locator('code#two-factor-secret').innerText().catch(() => '')).trim();
            expect(/^[A-Z2-7]{16,}$/.test(key.replace(/\s/g, '')), `code#two-factor-secret shows ${JSON.stringify(key)}, not a base32 key`);
            expect(await admin.page.locator('img#two-factor-qr').count() === 1, 'no img#two-factor-qr beside the key');
            enabledAt = stepNow();
            await admin.page.fill('form#two-factor-enable input[name=code]', totp(base32Decode(key), enabledAt));
            const response = await submit(admin.page, 'form#two-factor-enable');
            expect(response.status() < 400, `POST /admin/account/two-factor/enable answered ${response.status()}`);
            const codes = await admin.page.locator('ol#recovery-codes li').allInnerTexts();
            expect(codes.length >= 8, `ol#recovery-codes lists ${codes.length} codes after turning two-factor on`);
            expect(new Set(codes).size === codes.length, 'the recovery codes are not all different');
            // Shown once: audited as it is, not reloaded.
            await audit(admin.page, 'account-two-factor-on', { reload: false, toggle: false });
            await admin.page.goto('/admin/account');
            expect(await admin.page.locator('ol#recovery-codes').count() === 0, 'the recovery codes are shown again on the next visit');
            expect(await admin.page.locator('form#two-factor-disable').count() === 1, 'the next visit of /admin/account has no form#two-factor-disable: two-factor is not on');
        });

        await check('story: signing in without the code is refused (401, the form asks for it); with the TOTP code it lands on /admin', async () => {
            expect(key, 'no two-factor key from the step before');
            await admin.page.goto('/admin');
            await signOut(admin.page);
            const refused = await signIn(admin.page);
            expect(refused.status() === 401, `signing in without the code answered ${refused.status()}, not 401`);
            expect(pathOf(admin.page.url()) === '/admin/login', `signing in without the code landed on ${admin.page.url()}`);
            const alert = (await admin.page.locator('.alert-error').innerText().catch(() => '')).trim();
            expect(/code/i.test(alert), `the refusal says ${JSON.stringify(alert)}, not that a code is needed`);
            expect(await admin.page.locator('form#login input[name=code][autofocus]').count() === 1, 'the code field does not take the focus');
            checkCsp(refused, 'POST /admin/login (no code)');
            await checkNoInline(admin.page, 'the sign-in page asking for the code');
            await audit(admin.page, 'login-two-factor', { reload: false, toggle: false });
            // A code newer than the one that turned it on: a used step is refused (no replay).
            const step = Math.max(stepNow(), enabledAt + 1);
            const response = await signIn(admin.page, { code: totp(base32Decode(key), step) });
            expect(response.status() === 303, `signing in with the code answered ${response.status()}`);
            expect(pathOf(admin.page.url()) === '/admin', `signing in with the code landed on ${admin.page.url()}`);
        }, { allow: [/status of 401/] });

        // ---- 2. a sales user invited by e-mail ----
        const salesEmail = 'noor.sales@example.com';
        const salesPassword = 'saffron-harbor-73-kettle';
        let link = null;
        await check(`story: the admin invites ${salesEmail} as "sales" through form#invite; the e-mail carries the accept link`, async () => {
            await admin.page.goto('/admin/invitations');
            await admin.page.fill('form#invite input[name=email]', salesEmail);
            await admin.page.selectOption('form#invite select[name=role]', 'sales');
            const response = await submit(admin.page, 'form#invite');
            expect([200, 303].includes(response.status()), `POST /admin/invitations answered ${response.status()}`);
            expect(await admin.page.locator('table#invitations tbody tr', { hasText: salesEmail }).count() === 1,
                `table#invitations does not list ${salesEmail}`);
            link = await invitationLink(salesEmail);
            const url = new URL(link);
            expect(url.host === BASE_HOST, `the e-mailed link ${link} is not on this server (${BASE_HOST}): is server.public_url set?`);
        });

        const sales = await newPerson();
        people.push(sales);
        await check('story: in a fresh browser the accept link\'s page takes a name and password; the new sales user signs in', async () => {
            expect(link, 'no accept link from the step before');
            // Opening the link only shows the form (a GET spends nothing), so visit() may reload it.
            await visit(sales.page, 'accept-invitation', link, { toggle: false });
            await sales.page.fill('input[name=display_name]', 'Noor Sales');
            await sales.page.fill('input[name=password]', salesPassword);
            const response = await submit(sales.page, 'main form');
            expect(response.status() === 200, `POST /admin/accept-invitation answered ${response.status()}`);
            const text = await sales.page.locator('main').innerText();
            expect(/ready|welcome/i.test(text), `the accepted invitation's page says ${JSON.stringify(text.slice(0, 200))}`);
            await audit(sales.page, 'accept-invitation-done', { reload: false, toggle: false });
            await signInAs(sales.page, salesEmail, salesPassword);
            const links = await sales.page.$$eval('header.topbar nav.apps a', (as) => as.map((a) => a.getAttribute('href')));
            expect(links.includes('/admin/leads') && links.includes('/admin/tasks'), `the sales user's navigation: ${JSON.stringify(links)}`);
            flag(!links.includes('/admin/jobs') && !links.includes('/admin/audit'), `the sales user's navigation offers more than their role: ${JSON.stringify(links)}`);
        });

        // ---- 3. the sales user's lead and task ----
        const leadName = { first_name: 'Tamsin', last_name: 'Quarrendon', company: 'Quarrendon Mills' };
        let lead = null;
        await check(`story: the sales user creates ${leadName.first_name} ${leadName.last_name} through /admin/leads/new`, async () => {
            await sales.page.goto('/admin/leads');
            await Promise.all([sales.page.waitForURL((u) => u.pathname === '/admin/leads/new'), sales.page.click('main a[href="/admin/leads/new"]')]);
            for (const [name, value] of Object.entries(leadName)) await sales.page.fill(`form#lead input[name=${name}]`, value);
            await sales.page.fill('form#lead input[name=email]', 'tamsin@quarrendon.example');
            await submit(sales.page, 'form#lead');
            expect(/^\/admin\/leads\/[0-9a-f-]{36}$/.test(pathOf(sales.page.url())), `creating the lead landed on ${sales.page.url()}`);
            lead = await api('GET', `/leads/${pathOf(sales.page.url()).split('/').pop()}`);
            expect(lead?.last_name === leadName.last_name, `the API shows ${JSON.stringify(lead).slice(0, 200)}`);
        });

        await check('story: the sales user drags the lead to the next open stage on /admin/leads/board; the API shows it; others\' leads are not there', async () => {
            expect(lead, 'no lead from the step before');
            await visit(sales.page, 'leads-board-sales', '/admin/leads/board', { toggle: false });
            const okonkwo = seeded.leads[0];
            flag(await sales.page.locator(`#board-card-${okonkwo.id}`).count() === 0, 'the sales user\'s board shows a lead of the admin\'s (sales sees only their own)');
            const card = sales.page.locator(`.board-card#board-card-${lead.id}`);
            expect(await card.count() === 1, `no .board-card#board-card-${lead.id}`);
            expect(await card.getAttribute('draggable') === 'true', 'the sales user\'s own lead is not draggable');
            const pipelines = await api('GET', '/leads/pipelines');
            const kinds = new Map(pipelines.flatMap((p) => p.stages).map((s) => [s.id, s]));
            const allowed = (await card.getAttribute('data-allowed')).split(' ').filter(Boolean);
            const columns = await sales.page.$$eval('.board-column', (cs) => cs.map((c) => c.getAttribute('data-stage')));
            const target = columns.find((s) => s !== lead.stage_id && allowed.includes(s) && kinds.get(s)?.kind === 'open'
                && kinds.get(s).position > (kinds.get(lead.stage_id)?.position ?? -1));
            expect(target, `no open stage after ${kinds.get(lead.stage_id)?.name} takes the card`);
            const moved = sales.page.waitForResponse((r) => r.request().method() === 'POST' && pathOf(r.url()) === `/admin/leads/${lead.id}/stage`);
            await card.dragTo(sales.page.locator(`.board-column[data-stage="${target}"] .board-cards`));
            const response = await moved;
            expect(response.status() === 200, `POST /admin/leads/${lead.id}/stage answered ${response.status()}`);
            await sales.page.waitForFunction(([id, stage]) => document.getElementById(`board-card-${id}`)?.closest('.board-column')?.getAttribute('data-stage') === stage,
                [lead.id, target], { timeout: 5_000 }).catch(() => { throw new Error(`the card is not in the column "${kinds.get(target).name}" after the drop`); });
            const after = await api('GET', `/leads/${lead.id}`);
            expect(after.stage_id === target, `the API shows stage ${after.stage_id}, not ${target} ("${kinds.get(target).name}")`);
            lead = after;
        });

        let task = null;
        const taskTitle = 'Send Tamsin the mill tour dates';
        await check('story: "Add task" on the lead\'s page makes a task about it; the sales user moves it todo → in_progress on /admin/tasks/board', async () => {
            expect(lead, 'no lead from the step before');
            await sales.page.goto(`/admin/leads/${lead.id}`);
            await Promise.all([sales.page.waitForURL((u) => u.pathname === '/admin/tasks/new'), sales.page.click('main a:has-text("Add task")')]);
            await sales.page.fill('form#task input[name=title]', taskTitle);
            await submit(sales.page, 'form#task');
            expect(/^\/admin\/tasks\/[0-9a-f-]{36}$/.test(pathOf(sales.page.url())), `creating the task landed on ${sales.page.url()}`);
            task = await api('GET', `/tasks/${pathOf(sales.page.url()).split('/').pop()}`);
            expect(task?.related_type === 'lead' && task?.related_id === lead.id, `the task is not about the lead: ${JSON.stringify(task).slice(0, 200)}`);
            expect(task.status === 'todo', `the new task is ${task.status}, not todo`);
            await visit(sales.page, 'tasks-board-sales', '/admin/tasks/board', { toggle: false });
            const card = sales.page.locator(`.board-card#board-card-${task.id}`);
            expect(await card.count() === 1, `no .board-card#board-card-${task.id} on the sales user's board`);
            const moved = sales.page.waitForResponse((r) => r.request().method() === 'POST' && pathOf(r.url()) === `/admin/tasks/${task.id}/status`);
            await card.focus();
            await sales.page.keyboard.press('Space');
            await sales.page.keyboard.press('ArrowRight');
            await sales.page.keyboard.press('Space');
            const response = await moved;
            expect(response.status() === 200, `POST /admin/tasks/${task.id}/status answered ${response.status()}`);
            const after = await api('GET', `/tasks/${task.id}`);
            expect(after.status === 'in_progress', `the API shows the task ${after.status}, not in_progress`);
            task = after;
        });

        await check(`story: Ctrl+K in the sales user's session finds "${leadName.last_name}"; Enter opens the lead`, async () => {
            expect(lead, 'no lead from the steps before');
            await sales.page.goto('/admin');
            await sales.page.keyboard.press('Control+k');
            const dialog = sales.page.locator('dialog#palette');
            await dialog.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => { throw new Error('Ctrl+K did not open dialog#palette'); });
            await dialog.locator('input:not([type=hidden])').first().pressSequentially(leadName.last_name, { delay: 30 });
            const target = `/admin/leads/${lead.id}`;
            await sales.page.waitForFunction((t) => [...document.querySelectorAll('dialog#palette a[href]')].some((a) => new URL(a.href).pathname === t),
                target, { timeout: 5_000 }).catch(() => { throw new Error(`typing "${leadName.last_name}" shows no result linking to ${target}`); });
            await shot(sales.page, 'palette-lead-light');
            await Promise.all([sales.page.waitForURL((u) => u.pathname === target, { timeout: 5_000 }), sales.page.keyboard.press('Enter')])
                .catch(() => { throw new Error(`Enter did not open ${target} (at ${sales.page.url()})`); });
            const h1 = await sales.page.locator('h1').first().innerText();
            expect(h1.includes(leadName.last_name), `the opened page's h1 is ${JSON.stringify(h1)}`);
        });

        // ---- 4. a manager sees the sales user's work ----
        await check('story: a manager (invited and accepted through the JSON API) sees the lead and the task in the lists and on their pages', async () => {
            expect(lead && task, 'no lead or task from the steps before');
            const who = await member('manager', 'mina.manager@example.com', 'Mina Manager');
            const manager = await newPerson();
            people.push(manager);
            await signInAs(manager.page, who.email, who.password);
            await manager.page.goto(`/admin/leads?q=${encodeURIComponent(leadName.last_name)}`);
            expect(await manager.page.locator(`table.list a[href$="/admin/leads/${lead.id}"]`).count() >= 1, `the manager's leads list searched for ${leadName.last_name} has no link to the lead`);
            await manager.page.goto(`/admin/leads/${lead.id}`);
            expect((await manager.page.locator('h1').first().innerText()).includes(leadName.last_name), 'the manager\'s lead page does not name the lead');
            await manager.page.goto('/admin/tasks');
            expect(await manager.page.locator(`table.list a[href$="/admin/tasks/${task.id}"]`).count() >= 1, 'the manager\'s tasks list has no link to the sales user\'s task');
            await visit(manager.page, 'task-manager', `/admin/tasks/${task.id}`, { toggle: false });
            expect((await manager.page.locator('main').innerText()).includes(taskTitle), 'the manager\'s task page does not show the title');
        });

        // ---- 5. a viewer changes nothing ----
        const viewer = await newPerson();
        people.push(viewer);
        await check('story: a viewer finds no "New lead", "Edit", "Delete", "Add task" nor a movable card for the lead', async () => {
            expect(lead, 'no lead from the steps before');
            const who = await member('viewer', 'vic.viewer@example.com', 'Vic Viewer');
            await signInAs(viewer.page, who.email, who.password);
            await visit(viewer.page, 'leads-viewer', `/admin/leads?q=${encodeURIComponent(leadName.last_name)}`, { toggle: false });
            expect(await viewer.page.locator(`table.list a[href$="/admin/leads/${lead.id}"]`).count() >= 1, 'the viewer\'s leads list does not show the lead');
            for (const [sel, what] of [['a[href="/admin/leads/new"]', 'New lead'], ['a[href="/admin/leads/import"]', 'Import CSV']]) {
                expect(await viewer.page.locator(`main ${sel}`).count() === 0, `the viewer's leads list offers "${what}"`);
            }
            await visit(viewer.page, 'lead-viewer', `/admin/leads/${lead.id}`, { toggle: false });
            const controls = await viewer.page.$$eval('main a, main button', (els) => els.map((e) => e.textContent.trim()).filter((t) => /^(New lead|Edit|Delete|Add task|Convert)/.test(t)));
            expect(controls.length === 0, `the viewer's lead page offers ${JSON.stringify(controls)}`);
            expect(await viewer.page.locator(`main a[href$="/edit"], main a[href$="/delete"], main form[method=post]`).count() === 0,
                'the viewer\'s lead page has an edit or delete link or a form that posts');
            // What "Add task" would open is refused to the viewer: hence no such button.
            const form = await viewer.context.request.get(`/admin/tasks/new?related_type=lead&related_id=${lead.id}`, { maxRedirects: 0 });
            expect(form.status() === 403, `the viewer's GET /admin/tasks/new answered ${form.status()}, not 403`);
            await visit(viewer.page, 'leads-board-viewer', '/admin/leads/board', { toggle: false });
            const card = viewer.page.locator(`#board-card-${lead.id}`);
            expect(await card.count() === 1, 'the viewer\'s board does not show the lead');
            expect(await card.getAttribute('draggable') !== 'true', 'the lead\'s card is draggable for the viewer');
            expect(await viewer.page.locator('.board-move, .board-move-form').count() === 0, 'the viewer\'s board has "Move" forms');
        });

        await check('story: the viewer\'s forged posts (own valid CSRF token) to the lead\'s edit, stage and delete answer 403; the lead is unchanged', async () => {
            expect(lead, 'no lead from the steps before');
            await viewer.page.goto(`/admin/leads/${lead.id}`);
            const csrf = await viewer.page.getAttribute('meta[name="csrf-token"]', 'content');
            expect(csrf, 'no meta[name=csrf-token] on the viewer\'s page');
            const before = await api('GET', `/leads/${lead.id}`);
            const other = (await api('GET', '/leads/pipelines')).flatMap((p) => p.stages).find((s) => s.kind === 'open' && s.id !== before.stage_id);
            const statuses = await viewer.page.evaluate(async ([id, token, version, stage]) => {
                const post = async (url, fields) => {
                    const r = await fetch(url, {
                        method: 'POST', redirect: 'manual',
                        headers: { 'content-type': 'application/x-www-form-urlencoded' },
                        body: new URLSearchParams({ csrf_token: token, ...fields }).toString(),
                    });
                    return r.type === 'opaqueredirect' ? 303 : r.status;
                };
                return {
                    edit: await post(`/admin/leads/${id}/edit`, { version: String(version), first_name: 'Forged', last_name: 'Viewer', email: 'forged@example.com' }),
                    stage: await post(`/admin/leads/${id}/stage`, { version: String(version), stage_id: stage }),
                    delete: await post(`/admin/leads/${id}/delete`, { version: String(version) }),
                    // The same token where the viewer may post: it is the permission that refuses, not CSRF.
                    control: await post('/admin/notifications/read-all', {}),
                };
            }, [lead.id, csrf, before.version, other?.id ?? before.stage_id]);
            for (const route of ['edit', 'stage', 'delete']) {
                expect(statuses[route] === 403, `the viewer's POST /admin/leads/${lead.id}/${route} answered ${statuses[route]}, not 403`);
            }
            expect([200, 303].includes(statuses.control), `the viewer's POST /admin/notifications/read-all with the same token answered ${statuses.control}: the token is not valid`);
            const after = await api('GET', `/leads/${lead.id}`);
            for (const field of ['first_name', 'last_name', 'email', 'stage_id', 'version']) {
                expect(after[field] === before[field], `the lead's ${field} is ${JSON.stringify(after[field])} after the forged posts, was ${JSON.stringify(before[field])}`);
            }
        }, { allow: [/status of 403/] });
    } finally {
        for (const person of people) await person.context.close().catch(() => {});
    }
}

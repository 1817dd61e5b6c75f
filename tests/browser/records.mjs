// Records made and changed through the console's forms, run by console.mjs while signed in:
// a lead created through /admin/leads/new (a refused value shown beside its field first),
// edited, given a task from its page, that task edited; the organization's settings page; a
// comment written on a task's page; a role created through the permission matrix. Each change is checked through the JSON API; every page goes through
// visit() (status, CSP, nothing inline, axe, screenshots in light and dark).
//
// h: the helpers and state of console.mjs (see the call there).

export async function recordForms(h) {
    const { check, expect, visit, audit, api, page, pathOf } = h;

    /** Submits the page's form #id and waits for the page it lands on. */
    async function submit(id) {
        const [response] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST' && r.request().frame() === page.mainFrame()),
            page.click(`form#${id} button[type=submit]`),
        ]);
        await page.waitForLoadState('load');
        return response;
    }

    let lead = null;
    await check('GET /admin/leads/new: a bad value is shown beside its field; the lead is created once fixed', async () => {
        await visit(page, 'lead-new', '/admin/leads/new', { toggle: true });
        await page.fill('form#lead input[name=first_name]', 'Imani');
        await page.fill('form#lead input[name=last_name]', 'Formwright');
        await page.fill('form#lead input[name=email]', 'imani@formwright.example');
        await page.fill('form#lead input[name=value]', '12.345');
        const refused = await submit('lead');
        expect(refused.status() === 422, `a value of 12.345 answered ${refused.status()}, not 422`);
        expect(await page.locator('#lead-value-error').count() === 1, 'no error shown beside the value field');
        expect(await page.inputValue('form#lead input[name=last_name]') === 'Formwright', 'what was typed is lost');
        await audit(page, 'lead-new-refused', { toggle: false });
        await page.fill('form#lead input[name=value]', '2500');
        await submit('lead');
        expect(/^\/admin\/leads\/[0-9a-f-]{36}$/.test(pathOf(page.url())), `creating landed on ${page.url()}`);
        const found = await api('GET', '/leads?q=formwright');
        lead = found?.items?.[0];
        expect(lead && lead.value_amount > 0, `the API has no lead "Formwright" with a value: ${JSON.stringify(found).slice(0, 200)}`);
    }, { allow: [/status of 422/] });

    await check('a lead\'s edit form saves a change; the API shows it', async () => {
        expect(lead, 'no lead from the step before');
        await visit(page, 'lead-edit', `/admin/leads/${lead.id}/edit`, { toggle: true });
        await page.fill('form#lead input[name=company]', 'Formwright & Daughters');
        await submit('lead');
        expect(pathOf(page.url()) === `/admin/leads/${lead.id}`, `saving landed on ${page.url()}`);
        const after = await api('GET', `/leads/${lead.id}`);
        expect(after?.company === 'Formwright & Daughters', `the API shows company ${JSON.stringify(after?.company)}`);
    });

    await check('"Add task" on the lead\'s page makes a task about the lead; its edit form changes the priority', async () => {
        expect(lead, 'no lead from the step before');
        await page.goto(`/admin/leads/${lead.id}`);
        await Promise.all([page.waitForURL((u) => u.pathname === '/admin/tasks/new'), page.click('main a:has-text("Add task")')]);
        await visit(page, 'task-new', page.url(), { toggle: true });
        await page.fill('form#task input[name=title]', 'Call Imani about the offer');
        await page.fill('form#task input[name=due_at]', '2030-01-15T10:30');
        await submit('task');
        const id = pathOf(page.url()).split('/').pop();
        const task = await api('GET', `/tasks/${id}`);
        expect(task?.related_type === 'lead' && task?.related_id === lead.id, `the task is not about the lead: ${JSON.stringify(task).slice(0, 200)}`);
        expect(task.due_at === '2030-01-15T10:30:00Z', `due_at is ${task.due_at}`);
        await visit(page, 'task-edit', `/admin/tasks/${id}/edit`, { toggle: true });
        await page.selectOption('form#task select[name=priority]', 'urgent');
        await submit('task');
        const after = await api('GET', `/tasks/${id}`);
        expect(after?.priority === 'urgent', `the API shows priority ${after?.priority}`);
    });

    await check('GET /admin/settings: the organization\'s settings form; a comment written on a task\'s page shows there', async () => {
        await visit(page, 'settings', '/admin/settings', { toggle: true });
        expect(await page.locator('form#settings input[name=currency]').count() === 1, 'form#settings has no currency field');
        const tasks = await api('GET', '/tasks?limit=1');
        const id = tasks?.items?.[0]?.id;
        expect(id, 'no task to comment on');
        await visit(page, 'task-page', `/admin/tasks/${id}`, { toggle: true });
        await page.fill('form#comment textarea[name=body]', 'Checked with **the team**');
        await submit('comment');
        expect(await page.locator('.comment strong', { hasText: 'the team' }).count() === 1, 'the comment is not shown on the page');
    });

    await check('GET /admin/leads/import: a 10,000-row CSV is uploaded, checked and imported, the wizard following along live', async () => {
        const rows = ['First name,Last name,E-mail,Company'];
        for (let i = 0; i < 10_000; i += 1) rows.push(`Bulk${i},Importer${i},bulk${i}@import.example,Bulk Co ${i % 40}`);
        await visit(page, 'lead-import', '/admin/leads/import', { toggle: true });
        await page.setInputFiles('form#upload input[name=file]', {
            name: 'bulk.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n'),
        });
        await submit('upload');
        expect(/^\/admin\/leads\/imports\/[0-9a-f-]{36}$/.test(pathOf(page.url())), `uploading landed on ${page.url()}`);
        const wizard = page.url();
        let navigations = 0;
        const count = (frame) => { if (frame === page.mainFrame()) navigations += 1; };
        page.on('framenavigated', count);
        await page.waitForSelector('#import-progress[data-status=validated]', { timeout: 60_000 })
            .catch(() => { throw new Error('the wizard did not reach "validated" within 60 s'); });
        expect(navigations === 0, `the wizard reloaded ${navigations} time(s) instead of updating in place`);
        page.off('framenavigated', count);
        await audit(page, 'lead-import-checked', { toggle: false });
        const button = await page.locator('form#commit button').innerText();
        expect(button.includes('10000') || button.includes('10,000'), `the commit button reads ${JSON.stringify(button)}`);
        await submit('commit');
        expect(page.url() === wizard || pathOf(page.url()) === pathOf(wizard), `committing landed on ${page.url()}`);
        await page.waitForSelector('#import-created', { timeout: 120_000 })
            .catch(() => { throw new Error('the import did not complete within 120 s'); });
        const created = (await page.locator('#import-created').innerText()).trim();
        expect(created === '10000', `the result says ${created} created`);
        await audit(page, 'lead-import-done', { toggle: false });
        const found = await api('GET', '/leads?q=importer9999');
        expect(found?.items?.length === 1, `the API does not find the last imported row: ${JSON.stringify(found).slice(0, 200)}`);
    });

    await check('GET /admin/roles/new: a role made through the permission matrix has exactly the grants chosen', async () => {
        await visit(page, 'roles', '/admin/roles', { toggle: true });
        await visit(page, 'role-new', '/admin/roles/new', { toggle: true });
        await page.fill('form#role input[name=name]', 'Night desk');
        await page.check('input[name="grant:leads.view"][value=all]');
        await page.check('input[name="grant:tasks.edit"][value=own]');
        await submit('role');
        expect(/^\/admin\/roles\/[0-9a-f-]{36}$/.test(pathOf(page.url())), `creating the role landed on ${page.url()}`);
        const roles = await api('GET', '/roles');
        const made = (roles || []).find((r) => r.name === 'Night desk');
        expect(JSON.stringify(made?.grants) === JSON.stringify({ 'leads.view': 'all', 'tasks.edit': 'own' }),
            `the role's grants are ${JSON.stringify(made?.grants)}`);
    });
}

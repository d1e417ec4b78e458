'use strict';
/*
 * escape.js - text with HTML in it is shown as text: typed into the e-mailed
 * identity form (the refused form gives it back as the field's value; the
 * verifier's case page shows it), as the note of a step (the case page's
 * timeline) and as an agency name (/portal/admin).  Asserted in the
 * rendered page: the text is there literally, no element of the injected
 * markup exists and its script never ran.
 */
const { run, ok, PNG } = require('./lib');
const f = require('./flows');

const EVIL = '<b id="pwn">tebal</b><img id="pwn2" src="x" onerror="window.__pwned=1">' +
	'<script>window.__pwned=1</script> & "kutip"';

async function noInjection(h, what) {
	const r = await h.page.evaluate(() => ({ el: !!document.getElementById('pwn') ||
		!!document.getElementById('pwn2'), ran: window.__pwned === 1 }));
	ok(!r.el && !r.ran, what + ': no element of the markup, no script ran', r);
}

run('escape', async (h) => {
	const { id } = f.cliSop001(h, 2);

	/* a note with HTML, typed by kadis on the case page */
	await h.login('kadis.demo');
	try {
		await f.fromInbox(h, id, 'kadis');
		await f.act(h, id, 'kadis.demo', 'done', EVIL);
		await h.visit('/portal/cases/' + id, 'timeline-with-html-note', 200);
		ok((await h.page.locator('body').innerText()).includes(EVIL),
			'the note is shown literally on the case page');
		await noInjection(h, 'case page');
	} catch (e) {
		ok(false, 'the note typed on /portal/cases/' + id + ': ' + e.message.split('\n')[0]);
		h.cli('case', 'act', id, '--step', '2', '--as', 'kadis.demo', '--role', 'kadis',
			'--note', EVIL);
	}

	/* the identity form */
	f.cliSop001(h, 7, id, 3);
	const m = await h.mailLink(/^\/link\/identity_form\//);
	ok(m, 'the identity_form e-mail arrived');
	if (!m)
		return;
	await h.logout();
	await h.visit(m.link, 'identity-form', 200);
	const fields = Object.assign({}, f.IDENTITY, { unit: EVIL });
	/* The NIK is the account's (read-only): an invalid NIP makes the refusal. */
	await f.fillIdentity(h, Object.assign({}, fields, { nip: '123' }));
	await h.page.setInputFiles('input[name=photo]', h.file('foto.png', PNG));
	const resp = await h.submit(h.page.locator('form button[type=submit]').last(), 'identity-refused');
	ok(resp && resp.status() === 422, 'an invalid NIP is refused (422)', resp && resp.status());
	ok(await h.page.inputValue('#f_unit') === EVIL, 'the refused form gives the HTML back as the ' +
		'field\'s value', await h.page.inputValue('#f_unit'));
	await noInjection(h, 'refused identity form');
	await f.fillIdentity(h, { nip: f.IDENTITY.nip });
	await h.page.setInputFiles('input[name=photo]', h.file('foto.png', PNG));
	const r2 = await h.submit(h.page.locator('form button[type=submit]').last(), 'identity-sent');
	ok(r2 && r2.status() === 200, 'the identity form is accepted (200)', r2 && r2.status());
	await noInjection(h, 'identity form answer');
	await h.login('verifikator.demo');
	await h.visit('/portal/cases/' + id, 'verifier-sees-identity', 200);
	ok((await h.page.locator('body').innerText()).includes(EVIL),
		'the verifier\'s case page shows the typed unit literally');
	await noInjection(h, 'verifier\'s case page');

	/* an agency name with HTML, typed by the administrator */
	await h.login('admin.demo');
	await h.visit('/portal/admin', 'admin', 200);
	try {
		await h.page.fill('form[action="/portal/admin/orgs"] [name=id]', 'kab-html');
		await h.page.fill('form[action="/portal/admin/orgs"] [name=name]', EVIL);
		const r3 = await h.submit(h.page.locator('form[action="/portal/admin/orgs"] ' +
			'button[type=submit]').first(), 'admin-org-html');
		const shown = r3 && r3.status() === 200 ?
			(await h.page.locator('body').innerText()).includes(EVIL) :
			await h.page.inputValue('form[action="/portal/admin/orgs"] [name=name]') === EVIL;
		ok(shown, 'an agency name with HTML is shown literally (' + (r3 && r3.status()) + ')');
		await noInjection(h, '/portal/admin');
	} catch (e) {
		ok(false, 'the new-agency form of /portal/admin: ' + e.message.split('\n')[0]);
	}
});

'use strict';
/*
 * turn.js - a step done by two actors in turn (SOP format `in_turn: true`,
 * tests/portal/giliran.yaml installed with the CLI): the applicant submits;
 * the head of the office (kadis) does not see the task and has no buttons
 * while it is the verifier's turn; the verifier's button passes the step on
 * ("Selesai - teruskan ke KEPALA DINAS") and the case stays at step 2, now
 * the head's turn; only then the head decides, with the definition's
 * labels, and the case moves to step 3.  The official form, as the
 * administrator previews it, marks the two columns "giliran 1/2" and "2/2".
 */
const path = require('path');
const { run, ok, SRC } = require('./lib');
const f = require('./flows');

run('turn', async (h) => {
	const vid = h.cli('sop', 'install', path.join(SRC, 'tests/portal/giliran.yaml'), '--activate')
		.split(/\s+/)[0];
	ok(/^\d+$/.test(vid), 'the definition with a step in turn installs with the CLI', vid);
	const id = await f.openRequest(h, f.APPLICANT, 'uji-giliran-portal');
	await f.upload(h, id, 'surat_permohonan');
	await f.act(h, id, 'pemohon', 'done', 'Mohon diproses');
	await f.expectStep(h, id, 2, 'after the applicant');

	/* The head first: not their turn. */
	await h.login('kadis.demo');
	await h.visit('/portal/inbox', 'kadis-inbox-before', 200);
	ok(await h.page.locator('a[href="/portal/cases/' + id + '"]').count() === 0,
		'kadis: the case is not in the inbox before the verifier\'s turn is done');
	await h.visit('/portal/cases/' + id, 'kadis-case-before', 200);
	const turn1 = (await h.page.locator('#turn').innerText().catch(() => '')).replace(/\s+/g, ' ');
	ok(/giliran sekarang.*: VERIFIKATOR \(1\/2\)/.test(turn1), 'the case page says whose turn it is', turn1);
	ok(await h.page.locator('form[action="/portal/cases/' + id + '/act"]').count() === 0,
		'kadis: no act form while it is the verifier\'s turn');

	/* The verifier passes the step on. */
	await h.login('verifikator.demo');
	await f.fromInbox(h, id, 'verifikator');
	const form = h.page.locator('form[action="/portal/cases/' + id + '/act"]');
	ok(await form.locator('button[name=decision][value=yes]').count() === 0,
		'the verifier has no yes/no: the decision is the head\'s');
	const btn = (await form.locator('button[name=decision][value=done]').innerText()).replace(/\s+/g, ' ');
	ok(/teruskan ke KEPALA DINAS/.test(btn), 'the verifier\'s button says it passes the step on', btn);
	await f.act(h, id, 'verifikator.demo', 'done', 'Rekomendasi disusun');
	await f.expectStep(h, id, 2, 'after the verifier\'s turn (still step 2)');
	const cj = await f.caseOf(h, id);
	ok(cj && cj.current && cj.current.in_turn === true && cj.current.turn_role === 'kadis',
		'the API says the step is in turn and now kadis\'s', JSON.stringify(cj && cj.current));
	await h.visit('/portal/inbox', 'verifikator-inbox-after', 200);
	ok(await h.page.locator('a[href="/portal/cases/' + id + '"]').count() === 0,
		'verifier: the case left the inbox after their turn');

	/* The head decides. */
	await h.login('kadis.demo');
	await f.fromInbox(h, id, 'kadis');
	const turn2 = (await h.page.locator('#turn').innerText().catch(() => '')).replace(/\s+/g, ' ');
	ok(/KEPALA DINAS \(2\/2\)/.test(turn2), 'now the head\'s turn (2/2)', turn2);
	const label = await f.act(h, id, 'kadis.demo', 'yes', 'Disetujui');
	ok(/Setuju/.test(label), 'the head\'s button carries the definition\'s label', label);
	await f.expectStep(h, id, 3, 'after the head decides');
	await h.visit('/portal/cases/' + id, 'timeline', 200);
	const t = await h.page.locator('body').innerText();
	ok(t.includes('Rekomendasi disusun') && t.includes('Disetujui'),
		'the timeline shows both turns with their notes');
	ok(await h.page.locator('strong.turn').count() === 1,
		'... the verifier\'s marked "Diteruskan" (passed on)');

	/* The form marks each column with its place in the order. */
	await h.login('admin.demo');
	await h.visit('/portal/admin/sops/' + vid + '/form', 'sop-form', 200);
	const html = await h.page.content();
	ok(html.includes('giliran 1/2') && html.includes('giliran 2/2'),
		'the official form marks the two columns in their order');
});

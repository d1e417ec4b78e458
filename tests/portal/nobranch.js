'use strict';
/*
 * nobranch.js - the "no" branch of SOP 001 at step 5 (incomplete file) and
 * its return: the verifier says "Tidak" with a note, the case goes back to
 * the applicant (step 1), who sees the note on the case page, uploads the
 * missing document again and submits; kadis, kabid and the verifier go
 * through it again and the verifier says "Ya": the case moves on to the
 * identity form (step 7) and its e-mail is sent.
 */
const { run, ok } = require('./lib');
const f = require('./flows');

run('nobranch', async (h) => {
	const id = await f.sop001UpTo(h, 5);
	const note = 'Berkas kurang lengkap: FC SK tidak terbaca';
	await f.act(h, id, 'verifikator.demo', 'no', note);
	await f.expectStep(h, id, 1, 'after "Tidak" at step 5');
	await h.login(f.APPLICANT);
	await h.visit('/portal/cases/' + id, 'returned-case', 200);
	ok((await h.page.locator('body').innerText()).includes(note),
		'the applicant sees the verifier\'s note on the case page');
	await f.upload(h, id, 'fc_sk');
	await f.act(h, id, 'pemohon', 'done');
	await f.expectStep(h, id, 2, 'after the applicant resubmits');
	for (const [user, step] of [['kadis.demo', 3], ['kabid.demo', 4], ['verifikator.demo', 5]]) {
		await h.login(user);
		await f.fromInbox(h, id, user + '-again');
		await f.act(h, id, user, 'done', 'Kedua kali');
		await f.expectStep(h, id, step, 'second round, after ' + user);
	}
	await f.act(h, id, 'verifikator.demo', 'yes', 'Sekarang lengkap');
	await f.expectStep(h, id, 7, 'after "Ya" at step 5');
	const m = await h.mailLink(/^\/link\/identity_form\//);
	ok(m, 'the identity_form e-mail is sent after the return');
	await h.visit('/portal/cases/' + id, 'timeline-after-return');
	const t = await h.page.locator('body').innerText();
	ok(t.includes(note) && t.includes('Sekarang lengkap'),
		'the timeline shows both decisions with their notes');
});

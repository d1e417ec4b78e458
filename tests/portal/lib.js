'use strict';
/*
 * lib.js - the harness of the portal's browser tests (required by every
 * scenario, never run alone).
 *
 * It makes everything a scenario needs and stops everything it started:
 * playwright-core (installed into tests/portal/node_modules with `npm ci` only
 * when missing, so a second run needs no network), the test SMTP server
 * (tests/mail/smtpd.py, aiosmtpd on a free 127.0.0.1 port), a fresh demo
 * instance (`openams init --demo` in a private temporary directory, its mail
 * going to that SMTP server, web.public_url = the serve address), `openams
 * serve` on a free port, and Debian's chromium (headless, its own
 * --user-data-dir).  Every page visited can be saved as a full-page
 * screenshot into build/meson-logs/portal-screens/<scenario>/NN-name.png.
 * PIDs are kept and processes are stopped by PID (SIGTERM, then SIGKILL);
 * every wait is bounded.  It must never start anything it does not stop, and
 * never print a password or passphrase (the demo logins are read from the
 * instance, not logged).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const http = require('http');
const { spawn, spawnSync, execFileSync } = require('child_process');

const HERE = __dirname;
const OPENAMS = process.env.OPENAMS || path.resolve(HERE, '../../build/src/cli/openams');
const SRC = process.env.OPENAMS_SRC || path.resolve(HERE, '../..');
const PY = process.env.PYTHON || '/usr/bin/python3';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking', '--disable-component-update',
	'--disable-sync'];
for (const v of ['OPENAMS_DIR', 'OPENAMS_CA_PASSPHRASE', 'http_proxy', 'HTTP_PROXY',
	'https_proxy', 'HTTPS_PROXY'])
	delete process.env[v];

/* ---- TAP-like reporting ---- */
let PASS = 0, FAIL = 0;
function ok(cond, desc, detail) {
	if (cond) {
		PASS++;
		console.log('ok - ' + desc);
	} else {
		FAIL++;
		console.log('not ok - ' + desc);
		if (detail !== undefined)
			for (const l of String(typeof detail === 'string' ? detail :
				JSON.stringify(detail)).split('\n').slice(0, 20))
				console.log('#   ' + l.slice(0, 600));
	}
	return !!cond;
}

/* ---- the npm packages (playwright-core, axe-core), installed when one is
 * missing (one installer at a time) ---- */
function installed() {
	const deps = Object.keys(JSON.parse(fs.readFileSync(path.join(HERE, 'package.json'),
		'utf8')).dependencies);
	return deps.every((d) => fs.existsSync(path.join(HERE, 'node_modules', d, 'package.json')));
}

function playwright() {
	const mod = path.join(HERE, 'node_modules', 'playwright-core');
	const lock = path.join(HERE, '.npm-ci.lock');
	for (let i = 0; !installed() && i < 600; i++) {
		try {
			fs.mkdirSync(lock);
		} catch (e) {
			/* another test is installing: wait for it (bounded) */
			spawnSync('sleep', ['0.5']);
			continue;
		}
		try {
			if (!installed()) {
				console.log('# npm ci (playwright-core, axe-core into tests/portal/node_modules)');
				const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
					{ cwd: HERE, stdio: ['ignore', 'inherit', 'inherit'], timeout: 180000 });
				if (r.status !== 0)
					throw new Error('npm ci failed (' + r.status + ')');
			}
		} finally {
			fs.rmdirSync(lock);
		}
	}
	return require(mod);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Plain HTTP to the server (no browser): status, headers, body (Buffer). */
function request(port, method, p, body, headers) {
	return new Promise((resolve, reject) => {
		const rq = http.request({ host: '127.0.0.1', port, method, path: p,
			headers: headers || {}, timeout: 30000 }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
				body: Buffer.concat(chunks) }));
		});
		rq.on('error', reject);
		rq.on('timeout', () => rq.destroy(new Error('timeout')));
		if (body)
			rq.write(body);
		rq.end();
	});
}

function stopPid(proc, what) {
	if (!proc || proc.exitCode !== null || proc.signalCode !== null)
		return Promise.resolve(proc ? proc.exitCode : 0);
	return new Promise((resolve) => {
		let done = false;
		const t = setTimeout(() => {
			if (!done) {
				try { process.kill(proc.pid, 'SIGKILL'); } catch (e) { /* gone */ }
			}
		}, 20000);
		proc.once('exit', (code, sig) => {
			done = true;
			clearTimeout(t);
			resolve(code === null ? sig : code);
		});
		try {
			process.kill(proc.pid, 'SIGTERM');
		} catch (e) {
			console.log('# ' + what + ': ' + e.message);
		}
	});
}

/* Minimal quoted-printable decoding (RFC 2045 6.7) of a whole message. */
function qpDecode(s) {
	return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g,
		(m, h) => String.fromCharCode(parseInt(h, 16)));
}

class Harness {
	constructor(scenario) {
		this.scenario = scenario;
		this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openams-portal.'));
		this.procs = [];
		this.shotN = 0;
		const buildRoot = path.resolve(path.dirname(OPENAMS), '..', '..');
		this.screens = process.env.PORTAL_SCREENS ? path.join(process.env.PORTAL_SCREENS, scenario)
			: path.join(buildRoot, 'meson-logs', 'portal-screens', scenario);
		fs.rmSync(this.screens, { recursive: true, force: true });
		fs.mkdirSync(this.screens, { recursive: true });
		console.log('# screenshots: ' + this.screens);
	}

	/* SMTP server, instance, server, browser. */
	async start(extraConf) {
		const { chromium } = playwright();
		this.port = await freePort();
		this.base = 'http://127.0.0.1:' + this.port;
		this.mailDir = path.join(this.tmp, 'msgs');
		fs.mkdirSync(this.mailDir);
		const portFile = path.join(this.tmp, 'smtp.port');
		this.smtpd = spawn(PY, [path.join(SRC, 'tests/mail/smtpd.py'), '--out', this.mailDir,
			'--port-file', portFile], { stdio: 'ignore' });
		this.procs.push(['smtpd', this.smtpd]);
		for (let i = 0; i < 200 && !fs.existsSync(portFile) && this.smtpd.exitCode === null; i++)
			await sleep(50);
		if (!fs.existsSync(portFile))
			throw new Error('smtpd.py did not start');
		const smtpPort = parseInt(fs.readFileSync(portFile, 'utf8'), 10);

		this.dir = path.join(this.tmp, 'data');
		const conf = path.join(this.tmp, 'init.conf');
		fs.writeFileSync(conf, [
			'ca.ocsp_url = ' + this.base + '/ocsp',
			'ca.crl_url = ' + this.base + '/pki/issuing.crl',
			'mail.smtp_url = smtp://127.0.0.1:' + smtpPort,
			'mail.starttls = no',
			'web.public_url = ' + this.base,
			extraConf || ''].join('\n') + '\n');
		const r = spawnSync(OPENAMS, ['init', '--dir', this.dir, '--demo', '--config', conf],
			{ encoding: 'utf8', timeout: 300000 });
		if (r.status !== 0)
			throw new Error('openams init --demo: ' + r.stderr);
		this.logins = {};
		for (const l of fs.readFileSync(path.join(this.dir, 'secrets/demo-logins.txt'), 'utf8')
			.split('\n').filter(Boolean)) {
			const [u, p] = l.split('\t');
			this.logins[u] = p;
		}
		await this.serve();

		this.browser = await chromium.launchPersistentContext(path.join(this.tmp, 'chromium'), {
			executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
			acceptDownloads: true, viewport: { width: 1280, height: 900 }, locale: 'id-ID',
			timezoneId: 'Asia/Jakarta' });
		this.browser.setDefaultTimeout(8000);
		this.page = this.browser.pages()[0] || await this.browser.newPage();
		this.page.on('pageerror', (e) => console.log('# page error: ' + e.message));
		ok(true, 'smtpd on ' + smtpPort + ', openams serve on ' + this.base + ', chromium started');
		return this.page;
	}

	async serve() {
		this.log = path.join(this.tmp, 'serve.log');
		const logFd = fs.openSync(this.log, 'a');
		this.server = spawn(OPENAMS, ['serve', '--dir', this.dir, '--listen', '127.0.0.1:' +
			this.port], { stdio: ['ignore', 'ignore', logFd] });
		fs.closeSync(logFd);
		this.procs.push(['openams serve', this.server]);
		for (let i = 0; i < 200; i++) {
			try {
				if ((await request(this.port, 'GET', '/healthz')).status === 200)
					return;
			} catch (e) { /* not yet */ }
			if (this.server.exitCode !== null)
				break;
			await sleep(50);
		}
		throw new Error('openams serve did not start: ' + fs.readFileSync(this.log, 'utf8')
			.slice(-2000));
	}

	/* Stops browser, server, smtpd (by PID); removes the temporary directory. */
	async stop() {
		if (this.browser) {
			await Promise.race([this.browser.close().catch(() => {}), sleep(20000)]);
			this.browser = null;
		}
		let serverRc = null;
		for (const [what, p] of this.procs.reverse()) {
			const rc = await stopPid(p, what);
			if (p === this.server)
				serverRc = rc;
		}
		this.procs = [];
		fs.rmSync(this.tmp, { recursive: true, force: true });
		return serverRc;
	}

	/* A full-page screenshot of the current page: NN-name.png. */
	async shot(name, page) {
		page = page || this.page;
		const f = path.join(this.screens, String(++this.shotN).padStart(2, '0') + '-' +
			name.replace(/[^A-Za-z0-9_.-]+/g, '_') + '.png');
		await page.screenshot({ path: f, fullPage: true });
		return f;
	}

	/* Opens a path (or URL), checks the status, saves its screenshot. */
	async visit(p, name, status) {
		const resp = await this.page.goto(p.startsWith('http') ? p : this.base + p);
		await this.shot(name);
		if (status !== undefined)
			ok(resp && resp.status() === status, 'GET ' + p.replace(/[A-Za-z0-9_-]{40,}/, 'TOKEN') +
				': ' + status, resp ? resp.status() : 'no response');
		return resp;
	}

	/* Clicks a submit control and waits for the page that follows. */
	async submit(locator, name) {
		const [resp] = await Promise.all([
			this.page.waitForNavigation({ waitUntil: 'load' }),
			locator.click()]);
		await this.shot(name);
		return resp;
	}

	/* Signs in through /login as a demo account (any session first ends). */
	async login(user, name) {
		await this.logout();
		await this.visit('/login', (name || 'login-' + user));
		await this.page.fill('#f_username', user);
		await this.page.fill('#f_password', this.logins[user]);
		const resp = await this.submit(this.page.locator('form[action="/login"] button[type=submit], ' +
			'form[action="/login"] input[type=submit]').first(), 'signed-in-' + user);
		return ok(resp && resp.status() === 200 && new URL(this.page.url()).pathname.startsWith('/portal'),
			user + ' signs in through /login', resp ? resp.status() + ' ' + this.page.url() : 'none');
	}

	/* Signs out with the header's form when a session is on, else drops cookies. */
	async logout() {
		const f = this.page.locator('form.logout button, form[action="/logout"] button');
		if (this.page.url().startsWith(this.base) && await f.count() > 0) {
			await this.submit(f.first(), 'signed-out');
		}
		await this.browser.clearCookies();
	}

	/* The messages received so far: [{file, to, subject, text, links:[path]}]. */
	mails() {
		const out = [];
		for (const f of fs.readdirSync(this.mailDir).filter((x) => x.endsWith('.eml')).sort()) {
			const raw = qpDecode(fs.readFileSync(path.join(this.mailDir, f), 'latin1'));
			const to = (raw.match(/^To: *(.*)$/mi) || [])[1] || '';
			const links = [];
			const re = new RegExp(this.base.replace(/[.]/g, '\\.') + '(/[^\\s<>"\')]*)', 'g');
			let m;
			while ((m = re.exec(raw)) !== null)
				if (!links.includes(m[1]))
					links.push(m[1]);
			out.push({ file: f, to, links });
		}
		return out;
	}

	/* Waits (bounded) for an e-mail with a link matching re, not seen before. */
	async mailLink(re, timeoutMs) {
		this.seen = this.seen || new Set();
		const end = Date.now() + (timeoutMs || 60000);
		while (Date.now() < end) {
			for (const m of this.mails())
				for (const l of m.links)
					if (re.test(l) && !this.seen.has(m.file + l)) {
						this.seen.add(m.file + l);
						return { link: l, to: m.to, file: m.file };
					}
			await sleep(200);
		}
		return null;
	}

	/* The JSON API as a demo account (to check what the pages did). */
	async api(user) {
		const r = await request(this.port, 'POST', '/api/v1/session', JSON.stringify({
			username: user, password: this.logins[user] }), { 'Content-Type': 'application/json' });
		if (r.status !== 200)
			throw new Error('API session for ' + user + ': ' + r.status);
		const cookie = r.headers['set-cookie'][0].split(';')[0];
		const csrf = JSON.parse(r.body.toString()).csrf;
		const port = this.port;
		return {
			async get(p) {
				const x = await request(port, 'GET', p, null, { Cookie: cookie });
				try { return JSON.parse(x.body.toString()); } catch (e) { return null; }
			},
			async post(p, body) {
				const x = await request(port, 'POST', p, JSON.stringify(body), { Cookie: cookie,
					'X-CSRF-Token': csrf, 'Content-Type': 'application/json' });
				return { status: x.status, json: (() => {
					try { return JSON.parse(x.body.toString()); } catch (e) { return null; } })() };
			},
		};
	}

	/* The openams command on this instance (stdout, trimmed; throws on failure). */
	cli(...args) {
		return execFileSync(OPENAMS, args, { encoding: 'utf8', timeout: 60000,
			env: Object.assign({}, process.env, { OPENAMS_DIR: this.dir }) }).trim();
	}

	file(name, data) {
		const f = path.join(this.tmp, name);
		fs.writeFileSync(f, data);
		return f;
	}
}

/* A small real PDF, and small real JPEG/PNG photos (as tests/api/apilib.py). */
function pdf(text) {
	return Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
		'2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
		'3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n' +
		'% ' + text + '\ntrailer<</Root 1 0 R>>\n%%EOF\n');
}
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
	'1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

/* Runs a scenario: start, body(h), stop; exit status 1 on any failure. */
async function run(scenario, body, extraConf) {
	const h = new Harness(scenario);
	const t0 = Date.now();
	const guard = setTimeout(() => {
		console.log('not ok - scenario ' + scenario + ' did not finish in 240 s');
		h.stop().finally(() => process.exit(1));
	}, 240000);
	try {
		await h.start(extraConf);
		await body(h);
	} catch (e) {
		ok(false, 'scenario ' + scenario + ' stopped: ' + e.message.split('\n')[0],
			(e.stack || '') + (h.page ? '\n(page: ' + h.page.url() + ')' : ''));
		if (h.page)
			await h.shot('failure').catch(() => {});
	} finally {
		if (h.log && fs.existsSync(h.log)) {
			const log = fs.readFileSync(h.log, 'utf8');
			const leaked = Object.values(h.logins || {}).filter((p) => log.includes(p));
			ok(leaked.length === 0, 'no demo password in the server log');
		}
		const rc = await h.stop();
		ok(rc === 0, 'openams serve stopped cleanly (exit 0)', rc);
		clearTimeout(guard);
	}
	console.log('# ' + scenario + ': ' + PASS + ' passed, ' + FAIL + ' failed, ' +
		((Date.now() - t0) / 1000).toFixed(1) + ' s; screenshots in ' + h.screens);
	process.exit(FAIL ? 1 : 0);
}

/* openssl, for what the browser downloaded. */
function openssl(args, input) {
	const r = spawnSync('openssl', args, { encoding: 'utf8', input, timeout: 60000 });
	return { status: r.status, out: (r.stdout || '') + (r.stderr || '') };
}

module.exports = { run, ok, pdf, PNG, openssl, request, sleep, execFileSync, OPENAMS, SRC };

// The Roles & Tags screen in headless Chromium against the served test bed site: a dry run shows
// progress and counts and changes nothing; Apply (after confirming) changes exactly those users.
// Prints one "ok"/"not ok" line per check and a closing "browser: N passed, M failed" line.
'use strict';
const { execFileSync } = require( 'child_process' );
const puppeteer = require( 'puppeteer-core' );

const site = process.env.TB_SITE_URL;
const php = ( cmd ) => execFileSync( 'php', [ '-d', 'extension=' + process.env.TB_EXT, __dirname + '/fixture.php', cmd ], { encoding: 'utf8' } );
let passed = 0;
let failed = 0;
const check = ( name, ok, detail ) => {
	ok ? passed++ : failed++;
	console.log( ( ok ? 'ok - ' : 'not ok - ' ) + name + ( ok ? '' : ' (' + detail + ')' ) );
};

( async () => {
	const { cookies } = JSON.parse( php( 'setup' ) );
	const browser = await puppeteer.launch( { executablePath: '/usr/bin/chromium', headless: true,
		args: [ '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync' ] } );
	try {
		const page = await browser.newPage();
		const errors = [];
		page.on( 'pageerror', ( e ) => errors.push( e.message ) );
		page.on( 'dialog', ( d ) => d.accept() );
		const host = new URL( site ).hostname;
		await page.setCookie( ...Object.entries( cookies ).map( ( [ name, value ] ) => ( { name, value, domain: host, path: '/' } ) ) );
		await page.goto( site + '/wp-admin/admin.php?page=tagbridge', { waitUntil: 'networkidle0' } );
		const status = () => page.$eval( '#tagbridge-status', ( e ) => e.textContent );
		const shown = ( sel ) => page.$eval( sel, ( e ) => getComputedStyle( e ).display !== 'none' );
		const before = php( 'holders' );

		check( 'the screen loads with Apply disabled and Cancel hidden', await page.$eval( '#tagbridge-apply', ( e ) => e.disabled ) && ! await shown( '#tagbridge-cancel' ), 'initial state' );
		await page.click( 'input[name="tagbridge_truth"][value="tags"]' );
		await page.click( '#tagbridge-dry-run' );
		await page.waitForFunction( () => /Dry run finished|No user|stopped/.test( document.getElementById( 'tagbridge-status' ).textContent ), { timeout: 120000 } );
		const dry = await status();
		check( 'the dry run reports how many users would change', /^Dry run finished: 1500 of \d+ users would change/.test( dry ), dry );
		const counts = ( await page.$eval( '#tagbridge-counts', ( e ) => e.innerText ) ).replace( /\s+/g, ' ' );
		check( 'the dry run lists who gains and loses which role', counts.includes( '1000 users lose role tb_ui_gold' ) && counts.includes( '500 users gain role tb_ui_gold' ) && counts.includes( '1000 users gain role subscriber' ), counts );
		check( 'the dry run changed nothing', php( 'holders' ) === before, before + ' -> ' + php( 'holders' ) );
		check( 'the progress bar is full', await page.$eval( '#tagbridge-progress', ( e ) => e.value ) === 100, 'progress' );

		await page.click( '#tagbridge-apply' );
		await page.waitForFunction( () => /^Done|stopped/.test( document.getElementById( 'tagbridge-status' ).textContent ), { timeout: 120000 } );
		const done = await status();
		check( 'applying reports the users changed', /^Done: 1500 of \d+ users changed/.test( done ), done );
		check( 'the role holders changed as the dry run said', Number( php( 'holders' ) ) === Number( before ) + 500 - 1000, before + ' -> ' + php( 'holders' ) );
		check( 'Cancel is hidden once the job is done', ! await shown( '#tagbridge-cancel' ), 'cancel shown' );
		check( 'no JavaScript error on the page', errors.length === 0, errors.join( '; ' ) );
	} finally {
		await browser.close();
		php( 'cleanup' );
	}
} )().catch( ( e ) => {
	failed++;
	console.log( 'not ok - the browser check ran to the end (' + e.message + ')' );
} ).finally( () => {
	console.log( `browser: ${ passed } passed, ${ failed } failed` );
	process.exitCode = failed ? 1 : 0;
} );

/**
 * TagBridge → Roles & Tags: drives the reconcile job over REST (dry run, then apply), polling its
 * progress. The job lives on the server; closing this page leaves it to WP-Cron.
 */
( function () {
	'use strict';
	var cfg = window.tagbridgeReconcile;
	var form = document.getElementById( 'tagbridge-reconcile-form' );
	if ( ! cfg || ! form || ! window.wp || ! window.wp.apiFetch ) {
		return;
	}
	var apiFetch = window.wp.apiFetch;
	var el = function ( id ) { return document.getElementById( id ); };
	// wp-admin's .button and .widefat rules override the hidden attribute, so toggle display.
	var toggle = function ( id, visible ) { el( id ).style.display = visible ? '' : 'none'; };
	var dryRunId = null;
	var format = function ( text ) {
		var args = Array.prototype.slice.call( arguments, 1 );
		return text.replace( /%(\d)\$[ds]|%s/g, function ( m, n ) { return String( n ? args[ n - 1 ] : args[ 0 ] ); } );
	};
	var choices = function () {
		var only = el( 'tagbridge-only-changed' );
		var truth = form.querySelector( 'input[name="tagbridge_truth"]:checked' );
		return {
			truth: truth ? truth.value : 'roles',
			roles: only && only.checked ? JSON.parse( form.dataset.roles || '[]' ) : null
		};
	};
	var showCounts = function ( job ) {
		var table = el( 'tagbridge-counts' );
		var body = table.querySelector( 'tbody' );
		body.textContent = '';
		var rows = [ [ 'add_roles', cfg.strings.gain, cfg.strings.role ], [ 'remove_roles', cfg.strings.lose, cfg.strings.role ],
			[ 'apply_tags', cfg.strings.gain, cfg.strings.tag ], [ 'remove_tags', cfg.strings.lose, cfg.strings.tag ] ];
		rows.forEach( function ( row ) {
			var counts = job.counts[ row[ 0 ] ] || {};
			Object.keys( counts ).forEach( function ( name ) {
				var tr = document.createElement( 'tr' );
				[ counts[ name ] + ' ' + cfg.strings.users, row[ 1 ], row[ 2 ], name ].forEach( function ( text ) {
					var td = document.createElement( 'td' );
					td.textContent = text;
					tr.appendChild( td );
				} );
				body.appendChild( tr );
			} );
		} );
		toggle( 'tagbridge-counts', body.children.length > 0 );
	};
	var show = function ( job ) {
		var progress = el( 'tagbridge-progress' );
		var status = el( 'tagbridge-status' );
		var running = job && 'running' === job.status;
		toggle( 'tagbridge-progress', !! job );
		toggle( 'tagbridge-cancel', running );
		el( 'tagbridge-dry-run' ).disabled = running;
		el( 'tagbridge-apply' ).disabled = true;
		if ( ! job ) {
			return;
		}
		progress.value = job.total ? Math.min( 100, Math.round( 100 * job.processed / job.total ) ) : 100;
		showCounts( job );
		if ( running ) {
			status.textContent = format( cfg.strings.running, job.processed, job.total );
		} else if ( 'done' === job.status && job.dry_run ) {
			status.textContent = job.users_changed ? format( cfg.strings.dryDone, job.users_changed, job.processed ) : cfg.strings.none;
			dryRunId = job.id;
			el( 'tagbridge-apply' ).disabled = ! job.users_changed;
		} else if ( 'done' === job.status ) {
			status.textContent = format( cfg.strings.applyDone, job.users_changed, job.processed );
		} else if ( 'cancelled' === job.status ) {
			status.textContent = cfg.strings.cancelled;
		} else {
			status.textContent = format( cfg.strings.failed, job.error || job.status );
		}
	};
	var fail = function ( error ) {
		el( 'tagbridge-status' ).textContent = format( cfg.strings.failed, error && error.message ? error.message : String( error ) );
		el( 'tagbridge-dry-run' ).disabled = false;
	};
	var poll = function () {
		apiFetch( { path: cfg.path + '/step', method: 'POST' } ).then( function ( res ) {
			show( res.job );
			if ( res.job && 'running' === res.job.status ) {
				window.setTimeout( poll, res.job.busy ? 1000 : 50 );
			}
		} ).catch( fail );
	};
	var start = function ( dryRun ) {
		var data = choices();
		data.dry_run = dryRun;
		if ( ! dryRun ) {
			data.dry_run_id = dryRunId;
		}
		apiFetch( { path: cfg.path, method: 'POST', data: data } ).then( function ( res ) {
			show( res.job );
			poll();
		} ).catch( fail );
	};
	el( 'tagbridge-dry-run' ).addEventListener( 'click', function () { start( true ); } );
	el( 'tagbridge-apply' ).addEventListener( 'click', function () {
		if ( window.confirm( cfg.strings.confirm ) ) {
			start( false );
		}
	} );
	el( 'tagbridge-cancel' ).addEventListener( 'click', function () {
		apiFetch( { path: cfg.path, method: 'DELETE' } ).then( function ( res ) { show( res.job ); } ).catch( fail );
	} );
	form.addEventListener( 'change', function () { el( 'tagbridge-apply' ).disabled = true; } );
	var initial = JSON.parse( form.dataset.state || 'null' );
	show( initial );
	if ( initial && 'running' === initial.status ) {
		poll();
	}
}() );

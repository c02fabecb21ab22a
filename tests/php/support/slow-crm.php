<?php
/**
 * A CRM that answers too late, for tests of time bounds (run by PHP's built-in server:
 * `php -S 127.0.0.1:PORT slow-crm.php`). It sleeps, then answers 504, and counts the requests it got
 * in a file next to itself so a test can tell whether it was asked at all.
 */

$count = sys_get_temp_dir() . '/tagbridge-slow-crm-' . $_SERVER['SERVER_PORT'] . '.count';
file_put_contents( $count, '.', FILE_APPEND | LOCK_EX );
sleep( 10 );
http_response_code( 504 );
header( 'Content-Type: application/json' );
echo '{"message":"too late"}';

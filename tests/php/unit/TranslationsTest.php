<?php
/**
 * Translations: the committed template (php/languages/tagbridge.pot) holds exactly the plugin's
 * strings, and every translation call names the plugin's text domain.
 */

use PHPUnit\Framework\TestCase;

final class TranslationsTest extends TestCase {

	/** WordPress translation functions and the position (0-based) of their text domain argument. */
	private const DOMAIN_ARG = array(
		'__'          => 1,
		'_e'          => 1,
		'esc_html__'  => 1,
		'esc_html_e'  => 1,
		'esc_attr__'  => 1,
		'esc_attr_e'  => 1,
		'_x'          => 2,
		'_ex'         => 2,
		'esc_html_x'  => 2,
		'esc_attr_x'  => 2,
		'_n'          => 3,
		'_nx'         => 4,
		'_n_noop'     => 2,
		'_nx_noop'    => 3,
	);

	public function test_the_committed_template_is_up_to_date(): void {
		$repo = dirname( __DIR__, 3 );
		exec( 'bash ' . escapeshellarg( $repo . '/tests/i18n/pot.sh' ) . ' --print 2>&1', $lines, $status );
		$this->assertSame( 0, $status, implode( "\n", $lines ) );
		$this->assertSame( (string) file_get_contents( $repo . '/php/languages/tagbridge.pot' ), implode( "\n", $lines ) . "\n", 'php/languages/tagbridge.pot is stale: run `make pot`' );
	}

	public function test_every_translation_call_names_the_text_domain(): void {
		$files = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( dirname( __DIR__, 3 ) . '/php', FilesystemIterator::SKIP_DOTS ) );
		$calls = 0;
		$wrong = array();
		foreach ( $files as $file ) {
			if ( 'php' !== $file->getExtension() ) {
				continue;
			}
			foreach ( self::calls( (string) file_get_contents( (string) $file ) ) as list( $name, $line, $args ) ) {
				++$calls;
				$domain = $args[ self::DOMAIN_ARG[ $name ] ] ?? null;
				if ( "'tagbridge'" !== $domain ) {
					$wrong[] = basename( (string) $file ) . ":{$line} {$name}() domain " . ( $domain ?? 'missing' );
				}
			}
		}
		$this->assertGreaterThan( 100, $calls, 'the scan found the plugin\'s translation calls' );
		$this->assertSame( array(), $wrong );
	}

	/**
	 * Translation calls in PHP source: [function, line, top-level arguments as source text].
	 *
	 * @return list<array{0: string, 1: int, 2: list<string>}>
	 */
	private static function calls( string $code ): array {
		$tokens = token_get_all( $code );
		$out    = array();
		$count  = count( $tokens );
		for ( $i = 0; $i < $count; $i++ ) {
			$t = $tokens[ $i ];
			if ( ! is_array( $t ) || T_STRING !== $t[0] || ! isset( self::DOMAIN_ARG[ $t[1] ] ) || '(' !== ( $tokens[ $i + 1 ] ?? null ) ) {
				continue;
			}
			$prev = $tokens[ $i - 1 ] ?? null;
			if ( is_array( $prev ) && in_array( $prev[0], array( T_FUNCTION, T_OBJECT_OPERATOR, T_DOUBLE_COLON ), true ) ) {
				continue;
			}
			$args  = array( '' );
			$depth = 0;
			for ( $j = $i + 1; $j < $count; $j++ ) {
				$text = is_array( $tokens[ $j ] ) ? $tokens[ $j ][1] : $tokens[ $j ];
				if ( in_array( $text, array( '(', '[', '{' ), true ) ) {
					++$depth;
					if ( 1 === $depth ) {
						continue;
					}
				} elseif ( in_array( $text, array( ')', ']', '}' ), true ) ) {
					--$depth;
					if ( 0 === $depth ) {
						break;
					}
				} elseif ( ',' === $text && 1 === $depth ) {
					$args[] = '';
					continue;
				}
				$args[ count( $args ) - 1 ] .= $text;
			}
			$out[] = array( $t[1], $t[2], array_map( 'trim', $args ) );
		}
		return $out;
	}
}

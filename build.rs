//! Build checks for Linux: fail early, in plain words, when the PHP development files or libclang
//! are missing (ext-php-rs needs both), and stamp the PHP API the library is built for so the
//! extension can report it and the plugin can tell a mismatched build from a good one.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PHP_CONFIG");
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");

    let php_config = std::env::var("PHP_CONFIG").unwrap_or_else(|_| "php-config".to_string());
    let api = query(&php_config, "--phpapi").unwrap_or_else(|| {
        fail(&format!(
            "`{php_config}` was not found or did not answer. TagBridge is a PHP extension and needs \
             PHP's development files to build: on Debian 12 run `apt-get install php8.2-dev php8.2-cli` \
             (or set PHP_CONFIG to the php-config of the PHP you build for)."
        ))
    });
    let php_version = query(&php_config, "--version").unwrap_or_default();

    if !libclang_present() {
        fail(
            "libclang was not found. ext-php-rs generates its PHP bindings with bindgen, which loads \
             libclang: on Debian 12 run `apt-get install libclang-dev` (or set LIBCLANG_PATH to the \
             folder that holds libclang.so).",
        );
    }

    println!("cargo:rustc-env=TAGBRIDGE_PHP_API={api}");
    println!("cargo:rustc-env=TAGBRIDGE_PHP_VERSION={php_version}");
}

fn query(php_config: &str, flag: &str) -> Option<String> {
    let out = Command::new(php_config).arg(flag).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn libclang_present() -> bool {
    if let Ok(dir) = std::env::var("LIBCLANG_PATH") {
        return has_libclang(Path::new(&dir));
    }
    let mut dirs: Vec<std::path::PathBuf> = [
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        dirs.extend(
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
                .map(|e| e.path().join("lib")),
        );
    }
    dirs.iter().any(|d| has_libclang(d))
}

fn has_libclang(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with("libclang")
                && e.file_name().to_string_lossy().contains(".so")
        })
    })
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    std::process::exit(1);
}

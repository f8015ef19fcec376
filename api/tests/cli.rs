//! The `fidelis` binary itself: administration commands, the production guard, and a clean stop
//! on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

fn fidelis() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fidelis"));
    // Never inherit a developer's settings.
    for (key, _) in std::env::vars() {
        if key.starts_with("FIDELIS_") {
            command.env_remove(key);
        }
    }
    command
}

fn temp_db(test: &str) -> (String, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("fidelis-cli-{test}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    (format!("sqlite://{}?mode=rwc", path.display()), path)
}

#[test]
fn admin_create_makes_one_platform_admin_and_refuses_a_second_with_the_same_email() {
    let (url, path) = temp_db("admin");
    let run = || {
        fidelis()
            .args(["admin", "create", "--email", "Root@Platform.example"])
            .env("FIDELIS_DATABASE_URL", &url)
            .env("FIDELIS_ADMIN_PASSWORD", "correct horse battery")
            .output()
            .expect("running fidelis")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains("platform admin root@platform.example created")
    );
    let second = run();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));

    let weak = fidelis()
        .args(["admin", "create", "--email", "other@platform.example"])
        .env("FIDELIS_DATABASE_URL", &url)
        .env("FIDELIS_ADMIN_PASSWORD", "short")
        .output()
        .expect("running fidelis");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn production_refuses_to_start_with_the_development_signing_key() {
    let (url, path) = temp_db("production");
    let out = fidelis()
        .env("FIDELIS_ENV", "production")
        .env("FIDELIS_DATABASE_URL", &url)
        .env("FIDELIS_BIND", "127.0.0.1:0")
        .output()
        .expect("running fidelis");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FIDELIS_JWT_SIGNING_KEY"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn the_schema_command_prints_the_committed_sdl() {
    let out = fidelis().arg("schema").output().expect("running fidelis");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let (url, path) = temp_db("production");
    let outbox = std::env::temp_dir().join(format!("fidelis-cli-outbox-{}", std::process::id()));
    let mut child = fidelis()
        .env("FIDELIS_DATABASE_URL", &url)
        .env("FIDELIS_BIND", "127.0.0.1:0")
        .env("FIDELIS_OUTBOX_DIR", &outbox)
        .env("FIDELIS_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting fidelis");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let listening = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no start-up line");
    assert!(listening.contains("Fidelis listening"), "{listening}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break status;
        }
        assert!(
            waited < Duration::from_secs(20),
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "{status:?}");
    // The child has exited, so its stdout closes and the reader thread ends the channel.
    let rest: Vec<String> = rx.iter().collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(outbox);
}

#[test]
fn ledger_verify_passes_on_a_fresh_database() {
    let (url, path) = temp_db("ledger");
    let out = fidelis()
        .args(["ledger", "verify"])
        .env("FIDELIS_DATABASE_URL", &url)
        .output()
        .expect("running fidelis");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all sound"));
    let _ = std::fs::remove_file(path);
}

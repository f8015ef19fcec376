//! The `fidelis` binary: the server, and a few administration commands.
//!
//! ```text
//! fidelis                         # serve (same as `fidelis serve`)
//! fidelis admin create --email E  # first platform admin; password from FIDELIS_ADMIN_PASSWORD or stdin
//! fidelis migrate                 # bring the database schema up to date and exit
//! fidelis schema                  # print the GraphQL schema (SDL)
//! ```

use std::io::BufRead;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use fidelis::{
    App,
    core::config::Config,
    server::{app::shutdown_signal, telemetry},
};

#[derive(Parser)]
#[command(
    name = "fidelis",
    version,
    about = "Fidelis, the multi-tenant loyalty platform"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the GraphQL server (the default).
    Serve,
    /// Brings the database schema up to date and exits.
    Migrate,
    /// Prints the GraphQL schema as SDL.
    Schema,
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Ledger maintenance.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Contests.
    Contest {
        #[command(subcommand)]
        command: ContestCommand,
    },
}

#[derive(Subcommand)]
enum ContestCommand {
    /// Re-checks a contest's draw from its public record alone (the same record
    /// `GET /contests/{id}/fairness` serves): the seed against its commitment, the entry list
    /// against its hash, the winners (or instant-win moments) against the documented function.
    /// Exits 1 when anything is off.
    Verify {
        /// The contest's id (its record is read from the database).
        id: Option<String>,
        /// Or a record saved from `GET /contests/{id}/fairness`.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Runs every job of the registry once (points expiry, birthday bonuses, tier reviews,
    /// coalition expiry, campaign delivery, transactional mail) and exits.
    Run,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Proves that every transaction balances and every cached balance and lot equals the sum
    /// of its entries. Exits 1 when anything is off.
    Verify,
    /// Books the expiry of every point due now, once, and exits.
    Expire,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Creates a platform admin. The password is read from FIDELIS_ADMIN_PASSWORD, or else from
    /// the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => {
            print!("{}", fidelis::server::schema::sdl());
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(&config);
            fidelis::core::db::connect_and_migrate(&config).await?;
            tracing::info!("database schema is up to date");
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Create { email },
        } => {
            telemetry::init(&config);
            let password = match std::env::var("FIDELIS_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password for {email}:");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("reading the password")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let db = fidelis::core::db::connect_and_migrate(&config).await?;
            let admin = fidelis::identity::sessions::create_platform_admin(&db, &email, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("platform admin {} created (id {})", admin.email, admin.id);
            Ok(())
        }
        Command::Ledger {
            command: LedgerCommand::Verify,
        } => {
            telemetry::init(&config);
            let db = fidelis::core::db::connect_and_migrate(&config).await?;
            let report = fidelis::server::ledger_audit::verify_ledger(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("{report:#?}");
            if report.is_sound() {
                println!(
                    "ledger verified: {} transactions, {} entries, all sound",
                    report.transactions, report.entries
                );
                Ok(())
            } else {
                eprintln!("ledger verification FAILED");
                std::process::exit(1);
            }
        }
        Command::Ledger {
            command: LedgerCommand::Expire,
        } => {
            telemetry::init(&config);
            let db = fidelis::core::db::connect_and_migrate(&config).await?;
            let report = fidelis::loyalty::jobs::expiry::run_once(&db, chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("{} points expired in {} lots", report.points, report.lots);
            Ok(())
        }
        Command::Jobs {
            command: JobsCommand::Run,
        } => {
            telemetry::init(&config);
            let db = fidelis::core::db::connect_and_migrate(&config).await?;
            let state = fidelis::core::deps::Deps::new(config, db)?;
            let mut failed = false;
            // Every job of the registry, once (the same list the server's loops run).
            for (name, result) in
                fidelis::server::jobs::run_all(&state, state.base.clock.now(), None).await
            {
                match result {
                    Ok(summary) if summary.is_empty() => println!("{name}: nothing to do"),
                    Ok(summary) => println!("{name}: {summary}"),
                    Err(e) => {
                        failed = true;
                        eprintln!("{name}: FAILED ({e})");
                    }
                }
            }
            if failed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Contest {
            command: ContestCommand::Verify { id, file },
        } => {
            let record: fidelis::community::fairness::Published = match (id, file) {
                (_, Some(file)) => serde_json::from_slice(&std::fs::read(&file)?)?,
                (Some(id), None) => {
                    telemetry::init(&config);
                    let db = fidelis::core::db::connect_and_migrate(&config).await?;
                    let state = fidelis::core::deps::Deps::new(config, db)?;
                    let id = uuid::Uuid::parse_str(id.trim())?;
                    fidelis::community::contests::draw::published(&state.base, id)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                }
                (None, None) => anyhow::bail!("give a contest id or --file"),
            };
            let problems = fidelis::community::fairness::verify(&record);
            if problems.is_empty() {
                println!(
                    "contest {} verified: seed matches its commitment {}, {} entries hash to {}, {} winners are the ones the draw gives",
                    record.contest,
                    record.seed_commitment,
                    record.entries.len(),
                    record.entry_list_hash.as_deref().unwrap_or("-"),
                    record.winners.len()
                );
                Ok(())
            } else {
                for p in &problems {
                    eprintln!("- {p}");
                }
                eprintln!("contest verification FAILED");
                std::process::exit(1);
            }
        }
        Command::Serve => serve(config).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    telemetry::init(&config);
    let app = App::build(config).await?;
    let shutdown = shutdown_signal();
    let addr = app.local_addr()?;
    let state = app.state();
    tracing::info!(
        env = ?state.config.env,
        mail = %state.post.mailer.describe(&state.config),
        "Fidelis listening: GraphQL at http://{addr}/graphql{}",
        if state.config.graphiql_enabled() { " (GraphiQL on GET)" } else { "" }
    );
    app.run_until(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

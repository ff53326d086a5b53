use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use giropops_senhas::config::{Command, CommandLine, ServeConfig};
use giropops_senhas::{healthcheck, offline, server, telemetry};

/// mimalloc instead of the libc allocator of the static build (measured: docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let command_line = match CommandLine::try_parse() {
        Ok(command_line) => command_line,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            // One line naming the setting and what it accepts, instead of clap's usage block.
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("giropops-senhas: {first} (see --help)");
            return ExitCode::from(2);
        }
    };
    match command_line.command {
        None => serve(command_line.serve),
        Some(Command::Serve(config)) => serve(*config),
        Some(Command::Healthcheck(config)) => match healthcheck::probe(&config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Generate(args)) => offline::generate(&args),
        Some(Command::Passphrase(args)) => offline::passphrase(&args),
    }
}

fn serve(config: ServeConfig) -> ExitCode {
    let target = match giropops_senhas::store::target::resolve(&config.redis) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("giropops-senhas: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = telemetry::init(config.log_format, &config.log_level) {
        eprintln!("giropops-senhas: invalid configuration: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("giropops-senhas: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let state = server::build_state(&config, &target)?;
        server::serve(config, state).await
    });
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "exiting");
            ExitCode::FAILURE
        }
    };
    telemetry::flush();
    code
}

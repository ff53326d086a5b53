//! giropops-senhas: the LINUXtips course's password generator, rebuilt in Rust.
//! `main.rs` only wires these modules; tests use [`http::router`] and the binary.

pub mod config;
pub mod generator;
pub mod healthcheck;
pub mod http;
pub mod metrics;
pub mod server;
pub mod store;
pub mod telemetry;

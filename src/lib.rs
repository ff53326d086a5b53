//! giropops-senhas: the LINUXtips course's password generator, rebuilt in Rust.
//! `main.rs` only wires these modules; tests use [`http::router`] and the binary.
// The router's nested async handler futures go past the default query depth when their layout is computed.
#![recursion_limit = "256"]

pub mod config;
pub mod generator;
pub mod healthcheck;
pub mod http;
pub mod metrics;
pub mod offline;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;

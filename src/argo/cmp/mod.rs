//! Running a config management plugin the way Argo CD's cmp-server and repo-server do.

pub mod app;
pub mod cli;
pub mod config;
pub mod discover;
pub mod env;
pub mod godecode;
pub mod manifests;
pub mod request;
pub mod runner;
pub mod workdir;

pub use request::{Failure, PLUGIN_SOCKET_DIR, Request, Selection, parse_announcements};

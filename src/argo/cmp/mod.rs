//! Running a config management plugin the way Argo CD's cmp-server and repo-server do.

pub mod cli;

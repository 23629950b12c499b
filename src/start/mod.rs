//! `zkpod start`, read top to bottom as its steps:
//!
//! 1. [`input`]: what the operator asked for, as plain values.
//! 2. [`facts`]: every read of the machine, in one place, behind
//!    `sys::host::Host`.
//! 3. [`plan`]: a pure function of the two that makes every decision and
//!    every refusal, before anything changes.
//! 4. [`files`]: the files the plan writes, rendered.
//! 5. [`apply`]: the writes, the chown, the privilege drop and the exec (or
//!    the dry run).
//!
//! The plan draws on one module per concern: [`identity`] (the id from the
//! hostname), [`ensemble`] (the domain and the members), [`volume`] (the
//! myid guard), [`install`] (ZooKeeper's jars and java) and [`user`] (who
//! ZooKeeper runs as). Membership (bootstrap or join), TLS material checks,
//! version-aware rendering and a volume lock slot in as facts and plan steps.

pub mod apply;
pub mod ensemble;
pub mod facts;
pub mod files;
pub mod identity;
pub mod input;
pub mod install;
pub mod membership;
pub mod peers;
pub mod plan;
pub mod tls;
pub mod user;
pub mod volume;

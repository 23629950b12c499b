//! Dynamic membership (issue 9): which configuration a server starts with,
//! and what `zkpod join` and `zkpod leave` ask of the ensemble.
//!
//! The committed configuration is the law. ZooKeeper (3.5+) commits every
//! membership change through `reconfig` and writes it next to the zoo.cfg it
//! was started with; zkpod starts ZooKeeper with a zoo.cfg on the data
//! volume, so the committed membership survives every restart. The
//! decisions are pure: the start's ([`decide`]) from what the volume holds
//! and what live peers answer, and the reconfig steps ([`reconcile`]) from
//! the configuration the ensemble reports; [`local`] is the start's record
//! for the hooks. [`act`] carries `zkpod join` and `zkpod leave` out.

pub mod act;
pub mod decide;
pub mod local;
pub mod reconcile;

/// `--membership`: how the ensemble's membership is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Dynamic when this ZooKeeper (3.5.3+) and this pod (a StatefulSet
    /// ordinal) allow it, else static.
    Auto,
    /// ZooKeeper 3.5+ dynamic reconfiguration: `kubectl scale` changes the
    /// membership through `zkpod join` / `zkpod leave`.
    Dynamic,
    /// A fixed `server.N` list from `--servers` (ZooKeeper 3.4's only way).
    Static,
}

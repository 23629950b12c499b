//! `zkpod start`: the server's identity, ensemble, volume and launch.

pub mod ensemble;
pub mod identity;
pub mod launch;
pub mod volume;

//! Talking to a ZooKeeper server: four-letter words under one deadline.

pub mod fourlw;

//! What ZooKeeper is configured with: zoo.cfg (settings, rendering, reading
//! it back), the JVM settings, and ZooKeeper's logging config.

pub mod jvm;
pub mod logging;
pub mod settings;
pub mod zoocfg;

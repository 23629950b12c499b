//! What ZooKeeper is configured with: the zoo.cfg key table, the settings
//! and their rendering (and reading zoo.cfg back), the JVM settings, and
//! ZooKeeper's logging config. Pure, apart from reading zoo.cfg back.

pub mod dynamic;
pub mod jvm;
pub mod keys;
pub mod logging;
pub mod settings;
pub mod superuser;
pub mod version;
pub mod zoocfg;

//! What ZooKeeper is configured with: the zoo.cfg key table, the settings
//! and their rendering (and reading zoo.cfg back), the JVM settings, and
//! ZooKeeper's logging config. Pure, apart from reading zoo.cfg back.
//!
//! Every rendered file comes from the encoder of its format: Java
//! Properties (`properties`: zoo.cfg, java.security, log4j.properties, the
//! conf dir's records such as `tls.source`: `tls_source`),
//! shell words (`shell`: java.env), XML (`xml`: logback.xml), the JVM's
//! argument files (`argfile`: jvm-secret.args). Every value
//! that reaches a file or a log line is checked for its domain first
//! (`values`), and messages name the flag and the variable it came from
//! (`flags`).

pub mod argfile;
pub mod dynamic;
pub mod flags;
pub mod jvm;
pub mod keys;
pub mod logging;
pub mod properties;
pub mod settings;
pub mod shell;
pub mod superuser;
pub mod tls_source;
pub mod values;
pub mod version;
pub mod xml;
pub mod zoocfg;

//! Where a value came from, for messages: every zkpod flag with the
//! environment variable that sets it too. A message names both
//! (`--domain (ZOO_DOMAIN)`), so the operator finds the value wherever the
//! manifest set it (issue 8: "names the thing and the variable or flag it
//! came from"). The CLI's tests check this table against clap's own
//! definitions, so the two cannot drift apart.

/// (flag, environment variable) of every flag that has one.
pub const FLAG_ENV: &[(&str, &str)] = &[
    ("--servers", "ZOO_SERVERS"),
    ("--data_dir", "ZOO_DATA_DIR"),
    ("--data_log_dir", "ZOO_DATA_LOG_DIR"),
    ("--conf_dir", "ZOO_CONF_DIR"),
    ("--log_dir", "ZOO_LOG_DIR"),
    ("--client_port", "ZOO_CLIENT_PORT"),
    ("--election_port", "ZOO_ELECTION_PORT"),
    ("--server_port", "ZOO_SERVER_PORT"),
    ("--tick_time", "ZOO_TICK_TIME"),
    ("--init_limit", "ZOO_INIT_LIMIT"),
    ("--sync_limit", "ZOO_SYNC_LIMIT"),
    ("--heap", "ZOO_HEAP"),
    ("--max_client_cnxns", "ZOO_MAX_CLIENT_CNXNS"),
    ("--snap_retain_count", "ZOO_SNAP_RETAIN_COUNT"),
    ("--purge_interval", "ZOO_PURGE_INTERVAL"),
    ("--max_session_timeout", "ZOO_MAX_SESSION_TIMEOUT"),
    ("--min_session_timeout", "ZOO_MIN_SESSION_TIMEOUT"),
    ("--log_level", "ZOO_LOG_LEVEL"),
    ("--myid", "ZOO_MY_ID"),
    ("--id-offset", "ZOO_ID_OFFSET"),
    ("--hostname", "ZOO_HOSTNAME"),
    ("--domain", "ZOO_DOMAIN"),
    ("--service", "ZOO_SERVICE"),
    ("--namespace", "POD_NAMESPACE"),
    ("--cluster-domain", "ZOO_CLUSTER_DOMAIN"),
    ("--hosts-file", "ZOO_HOSTS_FILE"),
    ("--client_address", "ZOO_CLIENT_ADDRESS"),
    ("--quorum-listen-on-all-ips", "ZOO_QUORUM_LISTEN_ON_ALL_IPS"),
    ("--admin-server", "ZOO_ADMIN_SERVER"),
    ("--admin-port", "ZOO_ADMIN_PORT"),
    ("--admin-address", "ZOO_ADMIN_ADDRESS"),
    ("--metrics-port", "ZOO_METRICS_PORT"),
    ("--metrics-host", "ZOO_METRICS_HOST"),
    ("--4lw-whitelist", "ZOO_4LW_COMMANDS_WHITELIST"),
    ("--cfg-extra", "ZOO_CFG_EXTRA"),
    ("--user", "ZOO_USER"),
    ("--accept-new-id", "ZOO_ACCEPT_NEW_ID"),
    ("--zk-home", "ZOO_HOME"),
    ("--java", "ZOO_JAVA"),
    ("--jvm-flags", "JVMFLAGS"),
    ("--dns-ttl", "ZOO_DNS_TTL"),
    ("--dns-negative-ttl", "ZOO_DNS_NEGATIVE_TTL"),
    ("--host", "ZOO_PROBE_HOST"),
    ("--port", "ZOO_PROBE_PORT"),
    ("--timeout", "ZOO_PROBE_TIMEOUT"),
    ("--mode", "ZOO_READY_MODE"),
    ("--membership", "ZOO_MEMBERSHIP"),
    ("--superuser-password-file", "ZOO_SUPERUSER_PASSWORD_FILE"),
    ("--peer-wait", "ZOO_PEER_WAIT"),
    ("--tls-dir", "ZOO_TLS_DIR"),
    ("--secure-client-port", "ZOO_SECURE_CLIENT_PORT"),
    ("--plaintext-client", "ZOO_PLAINTEXT_CLIENT"),
    ("--tls", "ZOO_PROBE_TLS"),
    ("--tls-server-name", "ZOO_PROBE_TLS_SERVER_NAME"),
];

/// The environment variable of `flag`, if it has one.
pub fn env_of(flag: &str) -> Option<&'static str> {
    FLAG_ENV.iter().find(|(f, _)| *f == flag).map(|(_, e)| *e)
}

/// A flag as a message names it: `--domain (ZOO_DOMAIN)`, or the flag
/// alone when no variable sets it.
pub fn origin(flag: &str) -> String {
    match env_of(flag) {
        Some(env) => format!("{flag} ({env})"),
        None => flag.to_string(),
    }
}

/// A flag with its value as a message names it: `--tick_time=0
/// (ZOO_TICK_TIME)`.
pub fn given(flag: &str, value: impl std::fmt::Display) -> String {
    match env_of(flag) {
        Some(env) => format!("{flag}={value} ({env})"),
        None => format!("{flag}={value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_name_flag_and_variable() {
        assert_eq!(origin("--domain"), "--domain (ZOO_DOMAIN)");
        assert_eq!(origin("--namespace"), "--namespace (POD_NAMESPACE)");
        assert_eq!(origin("--set"), "--set");
        assert_eq!(given("--tick_time", 0), "--tick_time=0 (ZOO_TICK_TIME)");
    }
}

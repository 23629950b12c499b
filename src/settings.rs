//! The settings of one ZooKeeper server, assembled from flags and environment.
#![allow(dead_code)]

/// Parses `--servers` / `ZOO_SERVERS`: the number of servers in the ensemble.
pub fn parse_servers(s: &str) -> Result<u32, String> {
    let t = s.trim();
    if t.contains("server.") || t.contains(':') || t.contains('=') {
        return Err(format!(
            "'{t}' is a list of server lines (the official image's ZOO_SERVERS form); zkpod builds the server list itself from the pod names: set it to the number of servers, e.g. 3"
        ));
    }
    match t.parse::<u32>() {
        Ok(n) if (1..=255).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{t}' is not a number of servers between 1 and 255 (set it to the StatefulSet's replicas, e.g. 3)"
        )),
    }
}

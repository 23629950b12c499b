//! Probes over TLS against fake TLS servers (issue 13): the client side of
//! the exchange, and the failures a real ZooKeeper will not produce on
//! demand (a handshake that never finishes, a plaintext answer to a
//! ClientHello). The certificate failures (unknown CA, expired, wrong name,
//! a rejected client certificate) are tested against real ZooKeeper in
//! tests/namespaces/test_tls.py.

use std::time::Duration;

use crate::util::{run_prog, tls_fake, zkpod, Pki, TlsAct, FQDN};

const TIMEOUT: &str = "500ms";
const MARGIN: Duration = Duration::from_millis(900);

#[test]
fn probes_speak_tls_with_the_stores_zoo_cfg_names() {
    let pki = Pki::new();
    let f = tls_fake(&pki, TlsAct::Reply(b"imok".to_vec()));
    let conf = pki.conf_dir(f.port);
    // No TLS flag: zoo.cfg's secureClientPort is the default port, and the
    // fake requires the client certificate from zoo.cfg's key store.
    let r = run_prog(
        &zkpod(),
        &["probe", "live", "--timeout", TIMEOUT],
        conf.path(),
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(*f.words.lock().unwrap(), ["ruok"]);
    // The 4lw command prints the reply that came through TLS.
    let f = tls_fake(&pki, TlsAct::Reply(b"zk_version\t3.9.4\n".to_vec()));
    let conf = pki.conf_dir(f.port);
    let r = run_prog(
        &zkpod(),
        &["4lw", "mntr", "--timeout", TIMEOUT],
        conf.path(),
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "zk_version\t3.9.4\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn tls_dir_and_server_name_flags() {
    let pki = Pki::new();
    let f = tls_fake(&pki, TlsAct::Reply(b"imok".to_vec()));
    let empty = tempfile::tempdir().unwrap();
    let port = f.port.to_string();
    let dir = pki.path().to_str().unwrap();
    let probe = |name: &str| {
        run_prog(
            &zkpod(),
            &[
                "probe",
                "live",
                "--tls",
                "on",
                "--port",
                &port,
                "--tls-dir",
                dir,
                "--tls-server-name",
                name,
            ],
            empty.path(),
        )
    };
    let r = probe(FQDN);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    // The name check is real: another name fails with the names presented.
    let r = probe("zk-9.zk-hs");
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!("zkpod: 127.0.0.1:{port} presented a certificate for {FQDN}, not for zk-9.zk-hs (the name given with --tls-server-name): clients that connect by that name refuse it. Fix: add zk-9.zk-hs to spec.dnsNames of the cert-manager Certificate, or pass --tls-server-name with a name the server's certificate carries\n")
    );
}

#[test]
fn a_handshake_that_never_finishes_fails_within_the_deadline() {
    let pki = Pki::new();
    let f = tls_fake(&pki, TlsAct::StallHandshake);
    let conf = pki.conf_dir(f.port);
    let r = run_prog(
        &zkpod(),
        &["probe", "ready", "--timeout", TIMEOUT],
        conf.path(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!("zkpod: 127.0.0.1:{} accepted the connection but did not finish the TLS handshake within 500ms: the server is stalled (long GC pause, CPU throttling, overload) or this is not a TLS port and it waits for a request. Fix: check that --port is zoo.cfg's secureClientPort and the container log; under load, raise --timeout (below timeoutSeconds)\n", f.port)
    );
    assert!(r.elapsed < MARGIN, "{:?}", r.elapsed);
}

#[test]
fn a_plaintext_answer_to_the_client_hello() {
    let pki = Pki::new();
    let f = tls_fake(&pki, TlsAct::Plain(b"imok".to_vec()));
    let conf = pki.conf_dir(f.port);
    let r = run_prog(&zkpod(), &["status", "--timeout", TIMEOUT], conf.path());
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!("zkpod: 127.0.0.1:{} does not speak TLS (its first reply is not a TLS record): it is a plaintext port. Fix: ask zoo.cfg's secureClientPort (what --tls auto does when --port is not given), or pass --tls off for the plaintext clientPort\n", f.port)
    );
}

#[test]
fn missing_stores_name_the_file_and_zoo_cfg() {
    let pki = Pki::new();
    let conf = pki.conf_dir(2281);
    std::fs::remove_file(conf.path().join("keystore.pem")).unwrap();
    let r = run_prog(
        &zkpod(),
        &["probe", "live", "--timeout", TIMEOUT],
        conf.path(),
    );
    assert_eq!(r.code, 1);
    let zoo = conf.path().join("zoo.cfg");
    let ks = conf.path().join("keystore.pem");
    assert_eq!(
        r.stderr,
        format!("zkpod: {} does not exist, named by ssl.keyStore.location and ssl.trustStore.location in {}: the probe has no certificate to present or CA to trust for 127.0.0.1:2281. Fix: zkpod start --tls-dir writes these files on every start (check --conf_dir points at the dir it wrote); with --tls-dir, mount the cert-manager Secret there; for the plaintext port pass --tls off\n", ks.display(), zoo.display())
    );
}

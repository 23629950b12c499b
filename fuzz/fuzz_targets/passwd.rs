//! /etc/passwd and `--user` (`user::passwd_lookup`, `parse_user`,
//! `resolve_user`). Properties: a lookup by name or uid returns an entry
//! with that name or uid; a numeric `--user UID[:GID]` resolves to that uid
//! (and that gid when given); a refusal is one line, unless it echoes a
//! `--user` with a line break (issue 8: every message one line). zkpod does
//! not read /etc/group.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::start::user::{parse_user, passwd_lookup, resolve_user, UserSpec};

#[derive(Arbitrary, Debug)]
struct Case {
    passwd: String,
    name: String,
    uid: u32,
    user: String,
}

fuzz_target!(|c: Case| {
    let one_line = |e: &anyhow::Error| {
        assert!(
            c.user.contains(['\n', '\r']) || !e.to_string().contains('\n'),
            "{e}"
        )
    };
    if let Some(e) = passwd_lookup(&c.passwd, Some(&c.name), None) {
        assert_eq!(e.name, c.name);
    }
    if let Some(e) = passwd_lookup(&c.passwd, None, Some(c.uid)) {
        assert_eq!(e.uid, c.uid);
    }
    match parse_user(&c.user) {
        Ok(spec) => match (resolve_user(&spec, &c.passwd), &spec) {
            (Ok(ids), UserSpec::Id { uid, gid }) => {
                assert_eq!(ids.uid, *uid);
                if let Some(g) = gid {
                    assert_eq!(ids.gid, *g);
                }
            }
            (Ok(ids), UserSpec::Name { name, gid }) => {
                let e = passwd_lookup(&c.passwd, Some(name), None).expect("resolved by name");
                assert_eq!((ids.uid, ids.gid), (e.uid, gid.unwrap_or(e.gid)));
            }
            (Err(e), UserSpec::Name { .. }) => one_line(&e),
            (Err(e), UserSpec::Id { .. }) => panic!("a numeric user always resolves: {e}"),
        },
        Err(e) => one_line(&e),
    }
});

//! The cgroup memory limit files (`jvm::parse_cgroup_limit`) with the heap
//! setting (`jvm::parse_heap`, `jvm::resolve_heap`). Properties: a limit is
//! a positive byte count below 2^60 (`max` and v1's near-2^63 mean none); an
//! accepted heap spec is a size of 16M to 1T or a share of 10-90%;
//! resolving never panics, and an automatic heap is at least 64M and below
//! the limit; warnings and refusals are one line.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::config::jvm::{parse_cgroup_limit, parse_heap, resolve_heap, HeapSpec};

#[derive(Arbitrary, Debug)]
struct Case {
    memory_max: String,
    heap: String,
}

fuzz_target!(|c: Case| {
    let limit = parse_cgroup_limit(&c.memory_max);
    if let Some(b) = limit {
        assert!(b > 0 && b < (1 << 60));
    }
    let Ok(spec) = parse_heap(&c.heap) else {
        return;
    };
    match spec {
        HeapSpec::Fixed(mib) => assert!((16..=zkpod::config::jvm::MAX_HEAP_MIB).contains(&mib)),
        HeapSpec::Auto(pct) => assert!((10..=90).contains(&pct)),
    }
    match resolve_heap(&spec, limit) {
        Ok((mib, warnings)) => {
            if let (HeapSpec::Auto(_), Some(l)) = (&spec, limit) {
                assert!(mib >= 64 && mib * 1024 * 1024 < l);
            }
            for w in warnings {
                assert!(!w.to_string().contains('\n'), "{w}");
            }
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
    }
});

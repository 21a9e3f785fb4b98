//! FNV-1a, 64 bits: the stable, dependency-free hash rpm names things with (the notify
//! socket of a path, a log file's writer index, an app's colour) and fingerprints log
//! chunks with. Not for anything an attacker chooses to collide: every user checks what
//! it finds (the index's header names its file, a fingerprint comes with a length).

/// The offset basis: the hash of nothing.
pub const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV prime for 64 bits.
pub const PRIME: u64 = 0x0100_0000_01b3;

/// `bytes` mixed into `state` (a hash so far, `OFFSET` to begin).
pub fn mix(state: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(state, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME))
}

/// The hash of `bytes`.
pub fn hash(bytes: &[u8]) -> u64 {
    mix(OFFSET, bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values() {
        // The published FNV-1a 64 test vectors.
        assert_eq!(super::hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(super::hash(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            super::mix(super::hash(b"foo"), b"bar"),
            super::hash(b"foobar")
        );
    }
}

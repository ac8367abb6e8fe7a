//! The allocator: mimalloc (glibc malloc kept the memory of large list answers in per-thread
//! arenas), told to give freed memory back to the system at once.
//!
//! By default mimalloc (v3) gives back a freed page a second later, and only when the thread that
//! owns it next allocates. Much of the memory the server frees belongs to threads that then sit idle: the
//! blocking threads that reload the store and compare the whole OVN state, the writer after a
//! burst. Their freed pages stayed resident: after 10,000 creates RSS was 73–103 MB, and 42–45 MB
//! with immediate purging, at the same CPU per port (docs/benchmarks.md, "Memory").

use std::ffi::{c_int, c_long};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`'s place in mimalloc v3's `mi_option_t` (the libmimalloc-sys in
/// Cargo.lock builds v3; the test below fails if the place moves).
const PURGE_DELAY: c_int = 15;

// SAFETY (for both): plain C functions of the mimalloc linked in through `mimalloc`; an option
// number out of range is ignored by mimalloc, not undefined.
unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// Purge freed memory at once, unless the operator chose otherwise with `MIMALLOC_PURGE_DELAY`.
pub fn purge_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: see the declaration.
        unsafe { mi_option_set(PURGE_DELAY, 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_where_we_set_it() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // Its default in v3 is 1,000 ms; the options around it default to 1 and 0.
        // SAFETY: see the declaration.
        let (before, it, after) = unsafe {
            (
                mi_option_get(PURGE_DELAY - 1),
                mi_option_get(PURGE_DELAY),
                mi_option_get(PURGE_DELAY + 1),
            )
        };
        assert_eq!((before, it, after), (1, 1000, 0));
        purge_at_once();
        // SAFETY: see the declaration.
        assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, 0);
    }
}

//! The orders worker's binary: its routes and hooks are in the library (`src/lib.rs`), which
//! the binary must name or the linker drops their registrations.

use orders_worker as _;

asyncworker::main!();

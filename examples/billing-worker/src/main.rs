//! The billing worker's binary: its routes and hooks are in the library (`src/lib.rs`), which
//! the binary must name or the linker drops their registrations.

use billing_worker as _;

asyncworker::main!();

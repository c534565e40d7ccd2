//! The students service's binary: its routes and hooks are in the library (`src/lib.rs`),
//! which the binary must name or the linker drops their registrations.
//!
//! One process runs everything; `--only http`, `--only amqp` and `--only schedule` are the
//! template's `run`, `consume` and `schedule` commands (see the README).

use students as _;

asyncworker::main!();

//! The `fleet` example as its users run it: the generated deliverables, every verb against a gateway it did not
//! start, secrets at trace level, and Ctrl-C in the middle of a run.
//!
//! One test binary, so that the tests share one harness gateway (and its fixture servers) and run side by side.

mod common;
mod deliverables;
mod hostile;
mod interrupt;
mod outputs;
mod secrets;
mod verbs;

//! Cleaning up after tests that share one gateway.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

/// Runs `test`, then `cleanup` whether `test` panicked or not, then re-raises the panic.
///
/// Tests share one gateway, so a failed assertion must not leave a registered gateway, server or token behind to
/// trip the next test (a second registration of the same upstream URL answers 409).
pub async fn with_cleanup<T>(
    test: impl Future<Output = T>,
    cleanup: impl Future<Output = ()>,
) -> T {
    let outcome = AssertUnwindSafe(test).catch_unwind().await;
    cleanup.await;
    match outcome {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::with_cleanup;

    #[tokio::test]
    async fn cleanup_runs_and_the_panic_propagates() {
        let cleaned = AtomicBool::new(false);
        let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            with_cleanup(async { panic!("assertion failed") }, async {
                cleaned.store(true, Ordering::SeqCst)
            }),
        ))
        .await;
        assert!(
            cleaned.load(Ordering::SeqCst),
            "cleanup ran after the panic"
        );
        let panic = outcome.expect_err("the panic is re-raised");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"assertion failed"));
    }

    #[tokio::test]
    async fn cleanup_runs_after_success_and_the_value_is_returned() {
        let cleaned = AtomicBool::new(false);
        let value = with_cleanup(async { 42 }, async {
            cleaned.store(true, Ordering::SeqCst)
        })
        .await;
        assert_eq!(value, 42);
        assert!(cleaned.load(Ordering::SeqCst));
    }
}

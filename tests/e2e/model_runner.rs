//! Runs a model-based property: proptest generates operation sequences, `run` plays one against
//! the server and its model and returns how many operations it tried and how many went through.
//!
//! Refusals are expected in a case (spends beyond a balance, earns at a prepaid brand before any
//! block), so one case may be mostly refusals; but over a whole run a good share must get
//! through, or the property proved little. That share is checked over all cases together.

use std::{
    fmt::Debug,
    sync::atomic::{AtomicUsize, Ordering},
};

use proptest::{
    strategy::Strategy,
    test_runner::{Config, FileFailurePersistence, TestRunner},
};

/// Plays `cases` generated sequences through `run` (shrinking a failure and recording its seed
/// under `tests/proptest-regressions/`), then checks that at least a quarter of all the
/// operations tried went through.
pub fn check<S, F, Fut>(source_file: &'static str, cases: u32, strategy: S, run: F)
where
    S: Strategy,
    S::Value: Debug + Clone,
    F: Fn(S::Value) -> Fut,
    Fut: Future<Output = (usize, usize)>,
{
    let done = AtomicUsize::new(0);
    let tried = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        source_file: Some(source_file),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |ops| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let (d, t) = runtime.block_on(run(ops));
        done.fetch_add(d, Ordering::Relaxed);
        tried.fetch_add(t, Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    let (done, tried) = (done.into_inner(), tried.into_inner());
    assert!(tried > 0, "no operation was tried");
    assert!(
        done * 4 >= tried,
        "only {done} of {tried} operations went through over the whole run"
    );
}

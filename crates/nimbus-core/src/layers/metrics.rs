//! Numbers for on-call, through the `metrics` facade (the Rust ecosystem's standard: any
//! recorder — Prometheus, OpenTelemetry, StatsD — installed by the application receives them).
//!
//! Why a layer and not calls in each adapter: every provider, service and operation is
//! counted the same way, with the same names and labels, and an adapter cannot forget one.
//! Placed outside `Retry` (as the standard stack does), it counts calls as the caller sees
//! them; its `attempts` histogram is not needed because `Trace` logs each attempt.
//!
//! Names (labels in brackets):
//! - `nimbus_calls_total` [provider, service, operation, outcome]: `outcome` is `ok` or the
//!   portable error kind (`not_found`, `unavailable`, …);
//! - `nimbus_call_duration_seconds` [provider, service, operation, outcome]: a histogram;
//! - `nimbus_bytes_total` [provider, operation, direction]: body bytes `sent` by puts, streamed
//!   puts and parts, `received` by gets, counted by the portable contract, the one place that
//!   sees bodies (`contract/traffic.rs`).
//!
//! The label names follow OpenTelemetry's RPC conventions where they exist (`rpc.system` is
//! the provider, `rpc.service` the service, `rpc.method` the operation), spelled with
//! underscores for Prometheus. No label carries a resource name: bucket and key names are
//! unbounded (a cardinality explosion) and may be sensitive.

use std::future::Future;
use std::time::Instant;

use super::{CallInfo, Interceptor};
use crate::Result;

/// Records per-call counts and latency; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metrics;

impl Interceptor for Metrics {
    fn around<'a, T, F, Fut>(&'a self, info: &'a CallInfo, mut make: F) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T>> + Send + 'a,
    {
        async move {
            let start = Instant::now();
            let r = make().await;
            let outcome = match &r {
                Ok(_) => "ok",
                Err(e) => e.kind().as_str(),
            };
            let labels = [
                ("rpc_system", info.provider),
                ("rpc_service", info.service),
                ("rpc_method", info.operation),
                ("outcome", outcome),
            ];
            metrics::counter!("nimbus_calls_total", &labels).increment(1);
            metrics::histogram!("nimbus_call_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    };

    use super::*;
    use crate::{Error, ErrorKind};

    /// Remembers every key registered and the counters' values.
    #[derive(Default)]
    struct Seen {
        counters: Mutex<Vec<(String, Arc<AtomicU64>)>>,
        histograms: Mutex<Vec<String>>,
    }

    struct Count(Arc<AtomicU64>);
    impl CounterFn for Count {
        fn increment(&self, v: u64) {
            self.0.fetch_add(v, Ordering::SeqCst);
        }
        fn absolute(&self, v: u64) {
            self.0.store(v, Ordering::SeqCst);
        }
    }
    struct Ignore;
    impl HistogramFn for Ignore {
        fn record(&self, _: f64) {}
    }

    fn describe(key: &Key) -> String {
        let mut labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        labels.sort();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    impl Recorder for Seen {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let name = describe(key);
            let mut c = self.counters.lock().unwrap();
            let v = match c.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => v.clone(),
                None => {
                    let v = Arc::new(AtomicU64::new(0));
                    c.push((name, v.clone()));
                    v
                }
            };
            Counter::from_arc(Arc::new(Count(v)))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            self.histograms.lock().unwrap().push(describe(key));
            Histogram::from_arc(Arc::new(Ignore))
        }
    }

    #[test]
    fn calls_are_counted_by_outcome_with_no_resource_label() {
        let seen = Seen::default();
        let info = CallInfo {
            service: "storage",
            provider: "aws-s3",
            operation: "get",
            resource: "secret-bucket/secret-key".into(),
            idempotent: true,
            replayable: true,
        };
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        metrics::with_local_recorder(&seen, || {
            rt.block_on(async {
                let m = Metrics;
                m.around(&info, || async { Ok(()) }).await.unwrap();
                m.around(&info, || async { Ok(()) }).await.unwrap();
                let _ = m
                    .around(&info, || async {
                        Err::<(), _>(Error::new(ErrorKind::NotFound, "gone"))
                    })
                    .await;
            })
        });
        let counters = seen.counters.lock().unwrap();
        let value = |name: &str| {
            counters
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.load(Ordering::SeqCst))
        };
        let base = "outcome={o},rpc_method=get,rpc_service=storage,rpc_system=aws-s3";
        assert_eq!(
            value(&format!("nimbus_calls_total{{{}}}", base.replace("{o}", "ok"))),
            Some(2)
        );
        assert_eq!(
            value(&format!("nimbus_calls_total{{{}}}", base.replace("{o}", "not_found"))),
            Some(1)
        );
        let all = format!("{counters:?}{:?}", seen.histograms.lock().unwrap());
        assert!(!all.contains("secret"), "a resource name reached a label: {all}");
        assert!(seen.histograms.lock().unwrap()[0].starts_with("nimbus_call_duration_seconds{"));
    }
}

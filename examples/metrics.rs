//! Metrics from a run, in Prometheus's text format: every service the facade opens counts its
//! calls and their latency by provider, service, operation and outcome (feature `metrics`).
//! Here the recorder is Prometheus's; an application would serve `handle.render()` on its
//! `/metrics` endpoint, or install any other `metrics` recorder.
//!
//! `cargo run -p nimbus-examples --example metrics`

use metrics_exporter_prometheus::PrometheusBuilder;
use nimbus::prelude::*;

#[tokio::main]
async fn main() -> nimbus::Result<()> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| nimbus::Error::internal(e.to_string()))?;

    let store = nimbus::open_storage_url("memory://reports/").await?;
    let s = store.storage;
    s.create_bucket("reports", &Default::default()).await?;
    for i in 0..20 {
        let key = format!("2026/day-{i:02}.csv");
        s.put("reports", &key, format!("day,{i}\n").into(), &PutOptions::default())
            .await?;
        s.get_bytes("reports", &key).await?;
    }
    let missing = s.head("reports", "2026/day-99.csv").await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
    let listed = s.list_objects("reports", ListOptions::default()).await?;
    println!(
        "# {} objects written, read and listed; a missing one looked up\n",
        listed.len()
    );

    for line in handle.render().lines() {
        if line.starts_with("nimbus_calls_total")
            || line.starts_with("nimbus_bytes_total")
            || line.contains("nimbus_call_duration_seconds_count")
        {
            println!("{line}");
        }
    }
    Ok(())
}

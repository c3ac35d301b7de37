//! DataFusion on a customer's storage, opened from a Nimbus profile: SQL writes a Parquet
//! table into the store, a listing table reads it back, and a `GROUP BY` runs over it; every
//! byte goes through the `object_store` bridge, so through Nimbus's contract, tracing, retry
//! and timeout.
//!
//! `cargo run --manifest-path examples/datafusion/Cargo.toml` runs on the embedded store in a
//! temporary directory; `-- PROFILE` (with `--features clouds`) on any profile of
//! `NIMBUS_CONFIG` or `./nimbus.toml`. The result is checked against the rows written, so a
//! run that prints a table is a run whose answer was right.
//!
//! Why a crate of its own, on `nimbus-object-store-013`: DataFusion 55 is built on
//! object_store 0.13, the Nimbus facade on 0.14; the bridge's one source is compiled against
//! both (docs/design/0018-object-store-bridge.md).

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use nimbus::StorageExt;
use nimbus_object_store_013::NimbusStore;
use url::Url;

#[path = "../../profile_arg.rs"]
mod profile_arg;

type Error = Box<dyn std::error::Error + Send + Sync>;

const BUCKET: &str = "analytics";
const ROWS: i64 = 300_000;
const REGIONS: i64 = 5;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let scratch = tempfile::tempdir()?;
    let clouds = profile_arg::clouds(scratch.path())?;
    let storage = clouds.storage().await?;
    if !storage.bucket_exists(BUCKET).await? {
        storage.create_bucket(BUCKET, &Default::default()).await?;
    }
    // The bucket as DataFusion's `nimbus://analytics/` (any scheme will do: DataFusion looks
    // the store up by scheme and host).
    let store = NimbusStore::new(storage.clone(), BUCKET);
    let base = Url::parse(&format!("nimbus://{BUCKET}/"))?;
    let ctx = SessionContext::new();
    ctx.register_object_store(&base, Arc::new(store));
    let table = format!("nimbus://{BUCKET}/warehouse/sales/");

    // Write: SQL generates the rows, DataFusion writes them as Parquet files under the table's
    // prefix through object_store's multipart writer.
    let rows = ctx
        .sql(&format!(
            "SELECT value AS id, value % {REGIONS} AS region, (value * 37) % 1000 AS amount \
             FROM generate_series(1, {ROWS})"
        ))
        .await?;
    rows.write_parquet(&table, DataFrameWriteOptions::new(), None).await?;

    // Read: a listing table over every file under the prefix; only `region` and `amount`
    // are read, by ranges.
    ctx.register_parquet("sales", &table, ParquetReadOptions::default())
        .await?;
    let batches = ctx
        .sql(
            "SELECT region, count(*) AS n, sum(amount) AS total FROM sales \
             WHERE amount >= 500 GROUP BY region ORDER BY region",
        )
        .await?
        .collect()
        .await?;

    // Check against the rows written.
    let mut want: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for v in 1..=ROWS {
        let amount = (v * 37) % 1000;
        if amount >= 500 {
            let e = want.entry(v % REGIONS).or_default();
            e.0 += 1;
            e.1 += amount;
        }
    }
    let mut got: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for b in &batches {
        let region = b.column(0).as_primitive::<Int64Type>();
        let n = b.column(1).as_primitive::<Int64Type>();
        let total = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            assert!(!total.is_null(i));
            got.insert(region.value(i), (n.value(i), total.value(i)));
        }
    }
    let listed = storage
        .list_objects(BUCKET, nimbus::storage::ListOptions::prefix("warehouse/sales/"))
        .await?;
    let bytes: u64 = listed.iter().map(|m| m.size).sum();
    println!(
        "{} Parquet file(s), {ROWS} rows, {bytes} bytes in {} (bucket {BUCKET})",
        listed.len(),
        storage.provider()
    );
    println!("region  count(*)  sum(amount)   (amount >= 500)");
    for (region, (n, total)) in &got {
        println!("{region:>6} {n:>9} {total:>12}");
    }
    assert_eq!(got, want, "the query's answer differs from the rows written");
    println!("query result matches the rows written");
    // Tidy up what the run wrote (a customer's bucket stays).
    let keys: Vec<String> = listed.into_iter().map(|m| m.key).collect();
    for k in keys {
        storage.delete(BUCKET, &k).await?;
    }
    Ok(())
}

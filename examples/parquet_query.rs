//! The Rust data stack on a customer's storage, opened from a Nimbus profile: Parquet files
//! written and queried through `object_store` (the `object-store` feature's bridge), with the
//! machinery DataFusion uses underneath: `parquet`'s async Arrow writer on object_store's
//! `BufWriter` (multipart uploads), and its async reader with a column projection and a row
//! filter over ranged reads.
//!
//! `cargo run -p nimbus-examples --example parquet_query` (the embedded store, in a temporary
//! directory), or `cargo run -p nimbus-examples --features clouds --example parquet_query --
//! PROFILE` for a profile of `NIMBUS_CONFIG` / `./nimbus.toml` on any cloud (run on moto,
//! Azurite, fake-gcs-server and a real Swift: `docs/object-store-bridge.md`). Why not DataFusion itself: its newest release
//! (55.2) is built on object_store 0.13, and the bridge implements 0.14, the version `parquet`
//! 60 speaks.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};
use nimbus::object_store::object_store::buffered::BufWriter;
use nimbus::object_store::object_store::path::Path;
use nimbus::object_store::object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::{ArrowPredicateFn, ArrowReaderOptions, RowFilter};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::arrow::{AsyncArrowWriter, ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;

#[path = "profile_arg.rs"]
mod profile_arg;

type Error = Box<dyn std::error::Error + Send + Sync>;

const BUCKET: &str = "analytics";
const DAYS: i64 = 7;
const ROWS_PER_DAY: i64 = 50_000;
const REGIONS: [&str; 4] = ["eu-west", "us-east", "ap-south", "sa-east"];

#[tokio::main]
async fn main() -> Result<(), Error> {
    let scratch = tempfile::tempdir()?;
    let clouds = profile_arg::clouds(scratch.path())?;
    let storage = clouds.storage().await?;
    if !storage.bucket_exists(BUCKET).await? {
        storage.create_bucket(BUCKET, &Default::default()).await?;
    }
    let store: Arc<dyn ObjectStore> = Arc::new(clouds.object_store(BUCKET, "warehouse/sales").await?);
    println!("store: {store}");

    // Write: one Parquet file per day, through object_store's multipart writer.
    let schema = Arc::new(Schema::new(vec![
        Field::new("day", DataType::Int64, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let mut expected: BTreeMap<&str, (f64, i64)> = BTreeMap::new();
    for day in 0..DAYS {
        let path = Path::from(format!("day={day:02}/part-0.parquet"));
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(10_000))
            .build();
        let mut w =
            AsyncArrowWriter::try_new(BufWriter::new(store.clone(), path.clone()), schema.clone(), Some(props))?;
        let ids: Vec<i64> = (0..ROWS_PER_DAY).collect();
        let regions: Vec<&str> = ids.iter().map(|i| REGIONS[(*i as usize + day as usize) % 4]).collect();
        let amounts: Vec<f64> = ids.iter().map(|i| ((i * 37 + day * 11) % 1000) as f64 / 10.0).collect();
        for (r, a) in regions.iter().zip(&amounts) {
            if *a >= 50.0 {
                let e = expected.entry(r).or_default();
                e.0 += a;
                e.1 += 1;
            }
        }
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![day; ROWS_PER_DAY as usize])),
                Arc::new(StringArray::from(regions)),
                Arc::new(Float64Array::from(amounts)),
            ],
        )?;
        w.write(&batch).await?;
        w.close().await?;
    }

    // Query: SELECT region, sum(amount), count(*) WHERE amount >= 50 GROUP BY region, over
    // every file the listing finds, reading only the two columns it needs.
    let files: Vec<_> = store.list(None).try_collect().await?;
    let mut sums: BTreeMap<String, (f64, i64)> = BTreeMap::new();
    let mut bytes_stored = 0;
    for meta in &files {
        bytes_stored += meta.size;
        let reader = Ranged {
            store: store.clone(),
            path: meta.location.clone(),
            size: meta.size,
        };
        let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
        let columns = ProjectionMask::roots(builder.parquet_schema(), [1, 2]);
        let amount_only = ProjectionMask::roots(builder.parquet_schema(), [2]);
        let filter = ArrowPredicateFn::new(amount_only, |b: RecordBatch| {
            let a = b.column(0).as_any().downcast_ref::<Float64Array>().expect("amount");
            Ok(arrow_array::BooleanArray::from_iter(
                a.iter().map(|v| v.map(|v| v >= 50.0)),
            ))
        });
        let mut stream = builder
            .with_projection(columns)
            .with_row_filter(RowFilter::new(vec![Box::new(filter)]))
            .build()?;
        while let Some(batch) = stream.try_next().await? {
            let region = batch.column(0).as_any().downcast_ref::<StringArray>().expect("region");
            let amount = batch.column(1).as_any().downcast_ref::<Float64Array>().expect("amount");
            for i in 0..batch.num_rows() {
                let e = sums.entry(region.value(i).to_string()).or_default();
                e.0 += amount.value(i);
                e.1 += 1;
            }
        }
    }
    println!(
        "{} Parquet files, {} rows, {} bytes in {}",
        files.len(),
        DAYS * ROWS_PER_DAY,
        bytes_stored,
        storage.provider()
    );
    println!("region     sum(amount)   count  (amount >= 50)");
    for (region, (sum, count)) in &sums {
        println!("{region:<10} {sum:>12.1} {count:>7}");
        let (want_sum, want_count) = expected[region.as_str()];
        assert_eq!(*count, want_count, "{region}: count");
        assert!((sum - want_sum).abs() < 1e-6 * want_sum.max(1.0), "{region}: sum");
    }
    assert_eq!(files.len() as i64, DAYS);
    println!("query result matches the rows written");
    // Tidy up what the run wrote (a customer's bucket stays).
    let paths = futures::stream::iter(files.into_iter().map(|m| Ok(m.location))).boxed();
    store.delete_stream(paths).try_collect::<Vec<_>>().await?;
    Ok(())
}

/// A Parquet file in the store, read by ranges: the footer, then only the column chunks the
/// projection and the filter need.
struct Ranged {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

fn external(e: nimbus::object_store::object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for Ranged {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move { self.store.get_range(&self.path, range).await.map_err(external) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move { self.store.get_ranges(&self.path, &ranges).await.map_err(external) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let m = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(m))
        }
        .boxed()
    }
}

//! Opens the storage a URL names, writes an object and reads it back: the least a product
//! does, so the binary holds what the chosen features bring and nothing else.
//!
//! `nimbus-size URL` (for example `file:///tmp/store/bucket`).

#[tokio::main]
async fn main() -> nimbus::Result<()> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "memory://bucket".into());
    let opened = nimbus::open_storage_url(&url).await?;
    let s = opened.storage;
    let bucket = opened.bucket;
    if !s.bucket_exists(&bucket).await? {
        s.create_bucket(&bucket, &Default::default()).await?;
    }
    s.put(&bucket, "hello", "hi".into(), &Default::default()).await?;
    let n = nimbus::prelude::StorageExt::get_bytes(&*s, &bucket, "hello").await?.len();
    println!("{} bytes back from {}", n, s.provider());
    Ok(())
}

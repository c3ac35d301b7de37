//! `nimbus storage …`
//!
//! Every object argument is a URL (`file:///root/bucket/key`, `memory://…`, `s3://…`, `az://…`, `gs://…`) or a
//! plain `BUCKET/KEY` in the storage of the selected profile.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use futures::StreamExt;
use nimbus::prelude::*;
use nimbus::{open_storage_url, OpenedUrl};
use tokio::io::AsyncWriteExt;

use crate::progress::{bytes_bar, track};

#[derive(Subcommand)]
pub enum StorageCmd {
    /// Create a local store root (a directory with the `.nimbus` marker).
    Init {
        /// Directory.
        dir: std::path::PathBuf,
    },
    /// Make a bucket: `nimbus storage mb file:///ROOT/BUCKET`.
    Mb {
        /// Bucket URL.
        url: String,
    },
    /// Remove an empty bucket.
    Rb {
        /// Bucket URL.
        url: String,
    },
    /// Upload a file (`-` for stdin) to an object URL, streaming in parts.
    Put {
        /// Source file or `-`.
        src: String,
        /// Object URL.
        url: String,
        /// Content type.
        #[arg(long)]
        content_type: Option<String>,
        /// Fail if the object exists.
        #[arg(long)]
        create_only: bool,
        /// Storage class: standard, infrequent, cold or archive (where the provider declares
        /// `storage.storage_class`).
        #[arg(long, value_parser = |s: &str| s.parse::<nimbus::storage::StorageClass>().map_err(|e| e.to_string()))]
        class: Option<nimbus::storage::StorageClass>,
    },
    /// Download an object to a file (`-` for stdout).
    Get {
        /// Object URL.
        url: String,
        /// Destination file or `-`.
        dest: String,
    },
    /// List objects under a URL prefix (a bucket URL lists the bucket).
    Ls {
        /// Bucket or prefix URL.
        url: String,
        /// List every key (no `/` grouping).
        #[arg(short, long)]
        recursive: bool,
    },
    /// Delete an object.
    Rm {
        /// Object URL.
        url: String,
    },
    /// Copy an object: server-side within one store, streamed between two stores.
    Cp {
        /// Source object URL.
        src: String,
        /// Destination object URL.
        dst: String,
    },
}

/// A URL (`file://`, `memory://`, `s3://…`, `az://…`, `gs://…`) opens the store it names; a plain `BUCKET[/KEY]`
/// means the storage of the profile (`--profile`, `NIMBUS_PROFILE`, or the file's default).
async fn open(url: &str, profile: Option<&str>) -> Result<OpenedUrl> {
    let o = if url.contains("://") {
        open_storage_url(url).await?
    } else {
        let storage = nimbus::Clouds::from_profile(profile)?.storage().await?;
        let (bucket, key) = url.split_once('/').unwrap_or((url, ""));
        if bucket.is_empty() {
            bail!("`{url}` names no bucket: use BUCKET/KEY or a URL such as s3://BUCKET/KEY");
        }
        OpenedUrl {
            storage,
            bucket: bucket.to_string(),
            key: key.to_string(),
        }
    };
    // Opened through the facade: the store already carries the contract, tracing, retry
    // and timeouts.
    Ok(o)
}

fn need_key(o: &OpenedUrl, url: &str) -> Result<()> {
    if o.key.is_empty() {
        bail!("`{}` names a bucket, not an object", nimbus::config::redact_url(url));
    }
    Ok(())
}

pub async fn run(cmd: StorageCmd, profile: Option<&str>) -> Result<()> {
    match cmd {
        StorageCmd::Init { dir } => {
            nimbus::local::open_fs(&dir, Default::default())?;
            println!("initialised store root {}", dir.display());
        }
        StorageCmd::Mb { url } => {
            let o = open(&url, profile).await?;
            o.storage.create_bucket(&o.bucket, &Default::default()).await?;
            println!("created bucket {}", o.bucket);
        }
        StorageCmd::Rb { url } => {
            let o = open(&url, profile).await?;
            o.storage.delete_bucket(&o.bucket).await?;
            println!("removed bucket {}", o.bucket);
        }
        StorageCmd::Put {
            src,
            url,
            content_type,
            create_only,
            class,
        } => {
            let o = open(&url, profile).await?;
            need_key(&o, &url)?;
            let (body, size): (Box<dyn tokio::io::AsyncRead + Unpin + Send>, Option<u64>) = if src == "-" {
                (Box::new(tokio::io::stdin()), None)
            } else {
                let f = tokio::fs::File::open(&src)
                    .await
                    .with_context(|| format!("cannot open {src}"))?;
                let len = f.metadata().await?.len();
                (Box::new(f), Some(len))
            };
            let pb = Arc::new(bytes_bar(size, &format!("put {}", o.key)));
            let stream =
                tokio_util::io::ReaderStream::with_capacity(body, 256 * 1024).map(|r| r.map_err(nimbus::Error::from));
            let stream = track(Box::pin(stream), pb.clone());
            let mut put = PutOptions::default();
            if let Some(ct) = content_type {
                put = put.content_type(ct);
            }
            if create_only {
                put.mode = PutMode::Create;
            }
            put.storage_class = class;
            let mut w = WriterOptions::default().put(put);
            if let Some(s) = size {
                w = w.size_hint(s);
            }
            let meta = o.storage.upload_stream(&o.bucket, &o.key, stream, w).await?;
            pb.finish_and_clear();
            println!(
                "put {}/{} ({} bytes, etag {})",
                o.bucket,
                o.key,
                meta.size,
                meta.etag.unwrap_or_default()
            );
        }
        StorageCmd::Get { url, dest } => {
            let o = open(&url, profile).await?;
            need_key(&o, &url)?;
            let res = o.storage.get(&o.bucket, &o.key, &GetOptions::default()).await?;
            let pb = Arc::new(bytes_bar(Some(res.meta.size), &format!("get {}", o.key)));
            let mut body = track(res.body, pb.clone());
            let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = if dest == "-" {
                Box::new(tokio::io::stdout())
            } else {
                Box::new(
                    tokio::fs::File::create(&dest)
                        .await
                        .with_context(|| format!("cannot create {dest}"))?,
                )
            };
            while let Some(chunk) = body.next().await {
                out.write_all(&chunk?).await?;
            }
            out.flush().await?;
            pb.finish_and_clear();
        }
        StorageCmd::Ls { url, recursive } => {
            let o = open(&url, profile).await?;
            let mut opts = ListOptions::default();
            if !o.key.is_empty() {
                opts.prefix = Some(o.key.clone());
            }
            if !recursive {
                opts.delimiter = Some("/".into());
            }
            let mut s = o.storage.list(&o.bucket, opts);
            while let Some(e) = s.next().await {
                match e? {
                    ListEntry::Object(m) => println!("{:>12}  {}", m.size, m.key),
                    ListEntry::Prefix(p) => println!("{:>12}  {p}", "PRE"),
                }
            }
        }
        StorageCmd::Rm { url } => {
            let o = open(&url, profile).await?;
            need_key(&o, &url)?;
            o.storage.delete(&o.bucket, &o.key).await?;
            println!("deleted {}/{}", o.bucket, o.key);
        }
        StorageCmd::Cp { src, dst } => {
            let s = open(&src, profile).await?;
            let d = open(&dst, profile).await?;
            need_key(&s, &src)?;
            need_key(&d, &dst)?;
            let m = if same_store(&src, &dst)? && s.storage.capabilities().copy {
                s.storage
                    .copy(&s.bucket, &s.key, &d.bucket, &d.key, &Default::default())
                    .await?
            } else {
                // Two stores (or one that cannot copy): stream the bytes through, with their
                // content type, and their metadata and HTTP attributes where the destination
                // keeps them.
                let got = s.storage.get(&s.bucket, &s.key, &Default::default()).await?;
                let mut opts = nimbus::storage::PutOptions::default();
                opts.content_type = got.meta.content_type.clone();
                if d.storage.capabilities().user_metadata {
                    opts.user_metadata = got.meta.user_metadata.clone();
                }
                if d.storage.capabilities().http_attributes {
                    opts.attributes = got.meta.attributes.clone();
                }
                d.storage.put_stream(&d.bucket, &d.key, got.body, &opts).await?
            };
            println!("copied to {}/{} ({} bytes)", d.bucket, m.key, m.size);
        }
    }
    Ok(())
}

/// Whether two locations are provably in one store, so that a server-side copy is right:
/// both in the profile's storage, or URLs of one scheme with the same options (and so the
/// same endpoint and credentials). `file://` roots are found per path, so two `file://`
/// URLs are never assumed to share one: the bytes are streamed instead, which is correct
/// either way. Deciding by provider name (as before) copied between two S3 endpoints or two
/// local roots inside the source store.
fn same_store(src: &str, dst: &str) -> Result<bool> {
    Ok(match (src.contains("://"), dst.contains("://")) {
        (false, false) => true,
        (true, true) => {
            let (a, b) = (
                nimbus::config::StorageUrl::parse(src)?,
                nimbus::config::StorageUrl::parse(dst)?,
            );
            a.scheme == b.scheme && a.scheme != "file" && a.options == b.options
        }
        _ => false,
    })
}

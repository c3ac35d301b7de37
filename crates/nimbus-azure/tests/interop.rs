//! What Nimbus writes to Azurite, Microsoft's official client reads back byte-exact, and the
//! other way round; plus the Azurite-vs-Azure status difference and the escape hatch.
//! Azurite is started by `scripts/emulators`; without `NIMBUS_TEST_AZURITE_ENDPOINT` the tests
//! say so and pass, unless `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test).
//! The adapter is used behind the portable contract, as the facade opens it.
#![cfg(feature = "storage")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobServiceClient;
use bytes::Bytes;
use nimbus_azure::sas::account_sas;
use nimbus_azure::{AzureBlobStorage, AzureStorageConfig, Credential};
use nimbus_core::contract::Contract;
use nimbus_core::storage::{ByteStream, GetOptions, GetRange, PutMode, PutOptions, WriterOptions};
use nimbus_core::{ErrorKind, Storage, StorageExt};

fn azurite() -> Option<AzureStorageConfig> {
    match std::env::var("NIMBUS_TEST_AZURITE_ENDPOINT") {
        Ok(ep) => Some(
            AzureStorageConfig::from_connection_string(&format!(
                "UseDevelopmentStorage=true;DevelopmentStorageProxyUri={ep}"
            ))
            .unwrap(),
        ),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("NIMBUS_TEST_AZURITE_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
        }
        Err(_) => {
            eprintln!("NIMBUS_TEST_AZURITE_ENDPOINT not set: skipping (scripts/test runs this)");
            None
        }
    }
}

/// The official client, authorised independently of the adapter (its own account SAS).
fn official(c: &AzureStorageConfig) -> BlobServiceClient {
    let Credential::AccountKey(key) = &c.credential else {
        panic!("Azurite uses the account key")
    };
    let sas = account_sas(&c.account, key, Duration::from_secs(600), SystemTime::now()).unwrap();
    let mut url = Url::parse(&c.endpoint).unwrap();
    url.set_query(Some(&sas));
    BlobServiceClient::new(url, None, None).unwrap()
}

/// The adapter behind the portable contract.
fn store(c: &AzureStorageConfig) -> Contract<AzureBlobStorage> {
    Contract::new(Arc::new(AzureBlobStorage::connect(c).unwrap()))
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[tokio::test]
async fn nimbus_writes_official_client_reads_byte_exact() {
    let Some(c) = azurite() else { return };
    let s = store(&c);
    let bucket = format!("interop-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();

    let small = pattern(1000, 1);
    s.put(
        &bucket,
        "dir/small.bin",
        Bytes::from(small.clone()),
        &PutOptions::default()
            .content_type("application/x-test")
            .metadata("Owner", "team-a"),
    )
    .await
    .unwrap();
    // A streamed upload in three blocks of 1 MiB + a tail.
    let big = pattern(3 * 1024 * 1024 + 777, 9);
    let chunks: Vec<nimbus_core::Result<Bytes>> = big.chunks(100_000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let stream: ByteStream = Box::pin(futures::stream::iter(chunks));
    s.upload_stream(
        &bucket,
        "dir/big.bin",
        stream,
        WriterOptions::default().part_size(1024 * 1024),
    )
    .await
    .unwrap();

    let cc = official(&c).blob_container_client(&bucket);
    let got = cc.blob_client("dir/small.bin").download(None).await.unwrap();
    assert_eq!(got.properties.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(got.properties.metadata.get("owner").map(String::as_str), Some("team-a"));
    assert_eq!(got.body.collect().await.unwrap().to_vec(), small);
    let got = cc.blob_client("dir/big.bin").download(None).await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().to_vec(), big);

    // The other way: the official client writes, Nimbus reads (whole and ranged).
    cc.blob_client("from-sdk.txt")
        .upload(RequestContent::from(b"written by azure_storage_blob".to_vec()), None)
        .await
        .unwrap();
    assert_eq!(
        s.get_bytes(&bucket, "from-sdk.txt").await.unwrap(),
        "written by azure_storage_blob"
    );
    let tail = s
        .get(&bucket, "from-sdk.txt", &GetOptions::range(GetRange::Suffix(4)))
        .await
        .unwrap();
    assert_eq!(tail.range, 25..29);
    assert_eq!(tail.meta.size, 29);
    assert_eq!(tail.bytes().await.unwrap(), "blob");

    for k in ["dir/small.bin", "dir/big.bin", "from-sdk.txt"] {
        s.delete(&bucket, k).await.unwrap();
    }
    s.delete_bucket(&bucket).await.unwrap();
}

/// Azure refuses a create-only write onto an existing blob with 412 `ConditionNotMet`;
/// Azurite answers 409 `BlobAlreadyExists` (docs/differences.md). Both are the portable
/// `AlreadyExists`; the raw code shows which service answered.
#[tokio::test]
async fn azurite_refuses_create_only_with_409_blob_already_exists() {
    let Some(c) = azurite() else { return };
    let s = store(&c);
    let bucket = format!("create-only-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();
    s.put(&bucket, "k", Bytes::from_static(b"first"), &PutOptions::default())
        .await
        .unwrap();
    let e = s
        .put(
            &bucket,
            "k",
            Bytes::from_static(b"second"),
            &PutOptions::with_mode(PutMode::Create),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(e.raw_code(), Some("BlobAlreadyExists"), "{e}");
    // The raw answer, seen through the official client: HTTP 409.
    let raw = official(&c)
        .blob_client(&bucket, "k")
        .upload(
            RequestContent::from(b"third".to_vec()),
            Some(azure_storage_blob::models::BlobClientUploadOptions::default().if_not_exists()),
        )
        .await
        .unwrap_err();
    assert_eq!(raw.http_status().map(u16::from), Some(409));
    assert_eq!(s.get_bytes(&bucket, "k").await.unwrap(), "first");
    s.delete(&bucket, "k").await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
}

#[tokio::test]
async fn escape_hatch_is_the_official_service_client_and_debug_hides_the_key() {
    let Some(c) = azurite() else { return };
    let s = store(&c);
    let d = format!("{s:?}");
    assert!(
        !d.contains(nimbus_azure::config::DEV_ACCOUNT_KEY) && !d.contains("sig="),
        "{d}"
    );
    let native = s.native_as::<BlobServiceClient>().expect("native client");
    let bucket = format!("hatch-{}", std::process::id());
    native.blob_container_client(&bucket).create(None).await.unwrap();
    assert!(s.bucket_exists(&bucket).await.unwrap());
    s.delete_bucket(&bucket).await.unwrap();
}

//! SAS tokens signed by Nimbus, accepted by Azurite (started by `scripts/emulators`) and used
//! by Microsoft's official `azure_storage_blob` client. Without `NIMBUS_TEST_AZURITE_ENDPOINT`
//! the tests say so and pass, unless `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test).

use std::time::{Duration, SystemTime};

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobServiceClient;
use nimbus_azure::sas::{account_sas, blob_sas, BlobPermission};
use nimbus_azure::{AzureStorageConfig, Credential};

fn azurite() -> Option<AzureStorageConfig> {
    let ep = match std::env::var("NIMBUS_TEST_AZURITE_ENDPOINT") {
        Ok(v) => v,
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("NIMBUS_TEST_AZURITE_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
        }
        Err(_) => {
            eprintln!("NIMBUS_TEST_AZURITE_ENDPOINT not set: skipping (scripts/test runs this)");
            return None;
        }
    };
    Some(
        AzureStorageConfig::from_connection_string(&format!(
            "UseDevelopmentStorage=true;DevelopmentStorageProxyUri={ep}"
        ))
        .unwrap(),
    )
}

fn key(c: &AzureStorageConfig) -> nimbus_core::config::Secret {
    match &c.credential {
        Credential::AccountKey(k) => k.clone(),
        other => panic!("expected an account key, got {other:?}"),
    }
}

fn service(c: &AzureStorageConfig) -> BlobServiceClient {
    let sas = account_sas(&c.account, &key(c), Duration::from_secs(600), SystemTime::now()).unwrap();
    let mut url = Url::parse(&c.endpoint).unwrap();
    url.set_query(Some(&sas));
    BlobServiceClient::new(url, None, None).unwrap()
}

#[tokio::test]
async fn official_client_works_with_a_nimbus_account_sas() {
    let Some(c) = azurite() else { return };
    let container = format!("sas-{}", std::process::id());
    let svc = service(&c);
    let cc = svc.blob_container_client(&container);
    cc.create(None).await.unwrap();
    let bc = cc.blob_client("dir/a.txt");
    bc.upload(RequestContent::from(b"hello azurite".to_vec()), None)
        .await
        .unwrap();
    let got = bc.download(None).await.unwrap().body.collect().await.unwrap();
    assert_eq!(&got[..], b"hello azurite");
    cc.delete(None).await.unwrap();
}

#[tokio::test]
async fn blob_sas_reads_one_blob_and_nothing_else() {
    let Some(c) = azurite() else { return };
    let container = format!("presign-{}", std::process::id());
    let cc = service(&c).blob_container_client(&container);
    cc.create(None).await.unwrap();
    for (name, body) in [("one.txt", "first"), ("two.txt", "second")] {
        cc.blob_client(name)
            .upload(RequestContent::from(body.as_bytes().to_vec()), None)
            .await
            .unwrap();
    }
    let now = SystemTime::now();
    let url = |blob: &str, sas: &str| format!("{}/{container}/{blob}?{sas}", c.endpoint);
    let read = blob_sas(
        &c.account,
        &container,
        "one.txt",
        BlobPermission::Read,
        &key(&c),
        Duration::from_secs(300),
        now,
    )
    .unwrap();
    let http = reqwest::Client::new();

    let r = http.get(url("one.txt", &read)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "first");
    // The same signature on another blob, and a signature that expired, are refused.
    let r = http.get(url("two.txt", &read)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let old = blob_sas(
        &c.account,
        &container,
        "one.txt",
        BlobPermission::Read,
        &key(&c),
        Duration::from_secs(60),
        now - Duration::from_secs(3600),
    )
    .unwrap();
    let r = http.get(url("one.txt", &old)).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // A write SAS lets a client without credentials upload one blob, which the SDK reads.
    let write = blob_sas(
        &c.account,
        &container,
        "up.bin",
        BlobPermission::Write,
        &key(&c),
        Duration::from_secs(300),
        now,
    )
    .unwrap();
    let r = http
        .put(url("up.bin", &write))
        .header("x-ms-blob-type", "BlockBlob")
        .body(vec![7u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let got = cc
        .blob_client("up.bin")
        .download(None)
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap();
    assert_eq!(&got[..], &[7u8; 1000][..]);
    // A read SAS cannot write.
    let r = http
        .put(url("one.txt", &read))
        .header("x-ms-blob-type", "BlockBlob")
        .body("overwritten")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    cc.delete(None).await.unwrap();
}

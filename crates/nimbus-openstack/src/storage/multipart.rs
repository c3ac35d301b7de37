//! The multipart calls as requests: where `slo.rs` says how an upload is laid out (segment
//! container, upload record, manifest), this file makes the round trips of
//! `create_multipart`, `upload_part`, `complete_multipart` and `abort_multipart`.

use bytes::Bytes;
use md5::{Digest as _, Md5};
use nimbus_core::storage::*;
use nimbus_core::{Capability, Error, ErrorKind, Result};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::Method;

use super::meta::{self, is_slo, with_headers};
use super::{path, put_meta, refuse_update, refused_create, slo, SwiftStorage, OS};

impl SwiftStorage {
    pub(super) async fn create_upload(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        self.slo_cluster().await?;
        refuse_update(options)?;
        meta::object_headers(options)?;
        let record = slo::UploadRecord {
            key: key.to_string(),
            content_type: options.content_type.clone(),
            metadata: options.user_metadata.clone(),
            create_only: options.mode == PutMode::Create,
            attributes: options
                .attributes
                .fields()
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?.to_string())))
                .collect(),
        };
        let body = serde_json::to_vec(&record).map_err(|e| Error::internal(format!("upload record: {e}")))?;
        let id = slo::new_upload_id();
        let seg = slo::segment_container(bucket);
        let record_path = path::object(&seg, &id);
        let put_record = || {
            self.session.send(OS, Method::PUT, &record_path, |r| {
                r.header(CONTENT_TYPE, "application/json").body(body.clone())
            })
        };
        match put_record().await {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // First upload of this container: its segment container does not exist yet.
                self.object_missing(bucket).await?;
                self.session
                    .send(OS, Method::PUT, &path::container(&seg), |r| r)
                    .await?;
                put_record().await?;
            }
            Err(e) => return Err(e),
        }
        Ok(MultipartUpload::new(bucket, key, id))
    }

    pub(super) async fn upload_segment(
        &self,
        upload: &MultipartUpload,
        part_number: u32,
        body: Bytes,
    ) -> Result<CompletedPart> {
        self.slo_cluster().await?;
        if !self.record_exists(upload).await? {
            return Err(Self::no_upload(upload));
        }
        let seg = slo::segment_container(&upload.bucket);
        let md5 = hex::encode(Md5::digest(&body));
        let name = slo::segment_name(&upload.upload_id, part_number);
        self.session
            .send(OS, Method::PUT, &path::object(&seg, &name), |r| {
                r.header("etag", &md5)
                    .header(CONTENT_LENGTH, body.len())
                    .body(body.clone())
            })
            .await?;
        Ok(CompletedPart::new(part_number, md5, body.len() as u64))
    }

    pub(super) async fn complete_upload(
        &self,
        upload: &MultipartUpload,
        parts: &[CompletedPart],
    ) -> Result<ObjectMeta> {
        self.slo_cluster().await?;
        slo::check_upload_id(&upload.upload_id)?;
        let seg = slo::segment_container(&upload.bucket);
        let record_path = path::object(&seg, &upload.upload_id);
        let record: slo::UploadRecord = match self.session.get_json(OS, &record_path, |r| r).await {
            Ok(v) => serde_json::from_value(v).map_err(|e| Error::internal(format!("upload record: {e}")))?,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(Self::no_upload(upload)),
            Err(e) => return Err(e),
        };
        if record.key != upload.key {
            return Err(Error::invalid(format!(
                "upload `{}` is for key `{}`, not `{}`",
                upload.upload_id, record.key, upload.key
            )));
        }
        let (manifest, size) = slo::manifest(&seg, &upload.upload_id, parts)?;
        let body = serde_json::to_vec(&manifest).map_err(|e| Error::internal(format!("manifest: {e}")))?;
        let mut opts = PutOptions::default();
        opts.content_type = record.content_type.clone();
        opts.user_metadata = record.metadata.clone();
        for (k, v) in &record.attributes {
            opts.attributes.set(k, v.clone());
        }
        let headers = meta::object_headers(&opts)?;
        let resp = self
            .session
            .send(
                OS,
                Method::PUT,
                &format!("{}?multipart-manifest=put", path::object(&upload.bucket, &upload.key)),
                |r| {
                    let mut r = with_headers(r.body(body.clone()), &headers);
                    if let Some(ct) = &record.content_type {
                        r = r.header(CONTENT_TYPE, ct);
                    }
                    if record.create_only {
                        r = r.header("if-none-match", "*");
                    }
                    r
                },
            )
            .await
            .map_err(|e| refused_create(record.create_only, e))?;
        let meta = put_meta(&upload.key, size, &resp, &opts);
        // The object exists: the record goes (a failure here only leaves a small object).
        if let Err(e) = self.session.send(OS, Method::DELETE, &record_path, |r| r).await {
            tracing::warn!(upload = %upload.upload_id, error = %e, "swift: the upload record was not deleted");
        }
        Ok(meta)
    }

    pub(super) async fn abort_upload(&self, upload: &MultipartUpload) -> Result<()> {
        self.slo_cluster().await?;
        if !self.record_exists(upload).await? {
            // Completed or aborted already: nothing to free.
            return Ok(());
        }
        let seg = slo::segment_container(&upload.bucket);
        // A completion whose answer was lost leaves the record: the segments then belong to
        // the object, and only the record goes.
        let obj = path::object(&upload.bucket, &upload.key);
        let completed = match self.session.send(OS, Method::HEAD, &obj, |r| r).await {
            Ok(h) if is_slo(h.headers()) => {
                let m = self
                    .session
                    .get_json(OS, &format!("{obj}?multipart-manifest=get"), |r| r)
                    .await?;
                slo::manifest_uses(&m, &seg, &upload.upload_id)
            }
            Ok(_) => false,
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if !completed {
            let names = self.names_under(&seg, &format!("{}/", upload.upload_id)).await?;
            self.delete_names(&seg, &names).await?;
        }
        self.delete_names(&seg, std::slice::from_ref(&upload.upload_id)).await
    }

    pub(super) async fn slo_cluster(&self) -> Result<()> {
        if self.state().await?.cluster.slo.is_some() {
            Ok(())
        } else {
            Err(Error::unsupported(Capability::Multipart).with_raw_code("NoSloMiddleware"))
        }
    }

    /// The upload record; `NotFound` once the upload is completed or aborted.
    pub(super) async fn record_exists(&self, upload: &MultipartUpload) -> Result<bool> {
        slo::check_upload_id(&upload.upload_id)?;
        let seg = slo::segment_container(&upload.bucket);
        match self
            .session
            .send(OS, Method::HEAD, &path::object(&seg, &upload.upload_id), |r| r)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) fn no_upload(upload: &MultipartUpload) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!(
                "upload `{}` of `{}/{}` does not exist (completed, aborted or never started)",
                upload.upload_id, upload.bucket, upload.key
            ),
        )
        .with_raw_code("NoSuchUpload")
    }
}

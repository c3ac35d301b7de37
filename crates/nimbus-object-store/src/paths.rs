//! `object_store` paths to Nimbus keys and back.
//!
//! Why a type: every call turns a `Path` into a key under the store's prefix and every listed
//! key back into a `Path`; doing it in one place keeps the prefix from leaking (a listed key
//! outside it is never turned into a path) and keeps `object_store`'s rule that listing a
//! prefix means whole segments (`foo` lists `foo/x`, never `foobar`).

use std::sync::Arc;

use object_store::path::Path;

/// The key prefix of a store: `""`, or segments ending in `/`.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    root: Arc<str>,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        let trimmed = prefix.trim_matches('/');
        let root = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        Keys { root: Arc::from(root) }
    }

    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// The key of an object.
    pub(crate) fn key(&self, path: &Path) -> String {
        format!("{}{}", self.root, path.as_ref())
    }

    /// The key prefix that lists everything under `path` as a directory (whole segments).
    pub(crate) fn dir(&self, path: Option<&Path>) -> String {
        match path.map(|p| p.as_ref()).filter(|p| !p.is_empty()) {
            None => self.root.to_string(),
            Some(p) => format!("{}{p}/", self.root),
        }
    }

    /// A raw key prefix (`PaginatedListStore` lists by string prefix, `fo` matching `foo/`).
    pub(crate) fn raw(&self, prefix: Option<&str>) -> String {
        format!("{}{}", self.root, prefix.unwrap_or(""))
    }

    /// The path of a listed key; an error when the key is outside the prefix or is not a
    /// valid `object_store` path (`a//b`, a trailing `/` directory marker).
    pub(crate) fn path(&self, key: &str) -> object_store::Result<Path> {
        let rel = key
            .strip_prefix(&*self.root)
            .ok_or_else(|| object_store::Error::Generic {
                store: crate::errors::STORE,
                source: format!(
                    "the provider listed `{}` outside the prefix `{}`",
                    key.escape_debug(),
                    self.root
                )
                .into(),
            })?;
        Path::parse(rel).map_err(|source| object_store::Error::InvalidPath { source })
    }

    /// The path of a listed common prefix (`a/b/` → `a/b`).
    pub(crate) fn prefix_path(&self, prefix: &str, delimiter: &str) -> object_store::Result<Path> {
        self.path(prefix.strip_suffix(delimiter).unwrap_or(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_whole_segments_under_the_root() {
        let k = Keys::new("/warehouse/");
        assert_eq!(k.root(), "warehouse/");
        assert_eq!(k.key(&Path::from("a/b.parquet")), "warehouse/a/b.parquet");
        assert_eq!(k.dir(None), "warehouse/");
        assert_eq!(k.dir(Some(&Path::from("/"))), "warehouse/");
        assert_eq!(k.dir(Some(&Path::from("foo"))), "warehouse/foo/");
        assert_eq!(k.raw(Some("fo")), "warehouse/fo");
        assert_eq!(k.path("warehouse/a/b").unwrap(), Path::from("a/b"));
        assert_eq!(k.prefix_path("warehouse/a/b/", "/").unwrap(), Path::from("a/b"));
        assert!(
            k.path("elsewhere/a").is_err(),
            "a key outside the prefix is never a path"
        );
        assert!(k.path("warehouse/a//b").is_err());
        let none = Keys::new("");
        assert_eq!(none.key(&Path::from("x")), "x");
        assert_eq!(none.dir(None), "");
    }

    #[test]
    fn encoded_segments_stay_encoded() {
        let k = Keys::new("");
        let p = Path::from_iter(["a", "b/c", "f"]);
        assert_eq!(k.key(&p), "a/b%2Fc/f");
        assert_eq!(k.path("a/b%2Fc/f").unwrap(), p);
    }
}

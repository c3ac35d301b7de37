//! A string that never prints.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret value (access key, token, SAS, password). `Debug` and `Display` print
/// `***`; the value is reachable only through [`Secret::expose`], so a secret cannot end up
/// in a log line, an error or a report by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// What diagnostics may show: `****` and the last four characters, so that an operator
    /// can tell which key is configured without seeing it; only `****` for values shorter
    /// than 12 characters, where four would give too much away.
    pub fn hint(&self) -> String {
        let n = self.0.chars().count();
        if n < 12 {
            return "****".into();
        }
        let tail: String = self.0.chars().skip(n - 4).collect();
        format!("****{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("AKIA-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret(***))");
        assert_eq!(s.expose(), "AKIA-very-secret");
        assert_eq!(s.hint(), "****cret");
        assert_eq!(Secret::new("short-pass").hint(), "****");
    }
}

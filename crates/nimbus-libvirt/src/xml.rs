//! XML in and out. libvirt speaks XML for every definition; the adapter writes it with
//! escaped text (`esc`) and reads it with `roxmltree` (a small read-only DOM), keeping its
//! own facts in a `<metadata>` element under the Nimbus namespace, which libvirt stores
//! verbatim with domains and networks.

/// The namespace of Nimbus's metadata elements.
pub const NS: &str = "urn:x-nimbus:libvirt:1";

/// Escapes text for an XML attribute or element.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Parses a document libvirt returned.
pub fn parse(xml: &str) -> nimbus_core::Result<roxmltree::Document<'_>> {
    roxmltree::Document::parse(xml)
        .map_err(|e| nimbus_core::Error::internal(format!("libvirt returned XML we cannot read: {e}")))
}

/// The first descendant element named `name` (any namespace).
pub fn find<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

/// The first child element named `name` (any namespace).
pub fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.is_element() && n.tag_name().name() == name)
}

/// The text of the first child element named `name`.
pub fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).and_then(|n| n.text()).map(|t| t.trim().to_string())
}

/// The Nimbus metadata element (`<metadata><nimbus:NAME>`) of a definition.
pub fn nimbus_meta<'a, 'i>(root: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    child(root, "metadata")?
        .children()
        .find(|n| n.is_element() && n.tag_name().namespace() == Some(NS) && n.tag_name().name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_through_the_parser() {
        let hostile = r#"a<b>&"c'd</metadata>"#;
        let doc = format!(
            "<x><metadata><n:m xmlns:n='{NS}'><n:v>{}</n:v></n:m></metadata></x>",
            esc(hostile)
        );
        let d = parse(&doc).unwrap();
        let m = nimbus_meta(d.root_element(), "m").unwrap();
        assert_eq!(child_text(m, "v").as_deref(), Some(hostile));
    }
}

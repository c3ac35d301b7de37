//! Marks this build of the bridge's source as the object_store 0.13 one: the few places where
//! 0.14 added a field or a trait method are `#[cfg(not(object_store_013))]`.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(object_store_013)");
    println!("cargo::rustc-cfg=object_store_013");
}

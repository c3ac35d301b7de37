//! The libvirt C API, loaded at run time with `dlopen("libvirt.so.0")`.
//!
//! Why not the `virt` crate, and why not link: see `docs/design/0016-libvirt-adapter.md`.
//! In short, `virt` 0.5 pins `libc = "=0.2.183"` (the workspace is on a newer libc that
//! tokio and mio need), and any link-time binding makes every build of the workspace (CI's
//! clippy with `--all-features` included) need `libvirt-dev`. Loading the library when a
//! libvirt service is first opened needs nothing at build time and only Debian's `libvirt0`
//! (or any libvirt ≥ 1.2.6) at run time; a machine without it gets a typed error naming the
//! package, not a link failure.
//!
//! Only the ~50 functions the adapter calls are declared, with the signatures of libvirt's
//! public headers (stable ABI since their `Since:` versions, all ≤ 1.2.6). Everything here
//! is `unsafe`; `conn.rs` is the safe layer.

use std::ffi::{c_char, c_int, c_longlong, c_uint, c_ulong, c_ulonglong, c_void, CStr};
use std::sync::OnceLock;

/// An opaque libvirt object pointer (`virConnectPtr`, `virDomainPtr`, …).
pub(crate) type Ptr = *mut c_void;

/// `virNodeInfo`.
#[repr(C)]
pub(crate) struct NodeInfo {
    pub model: [c_char; 32],
    /// KiB.
    pub memory: c_ulong,
    pub cpus: c_uint,
    pub mhz: c_uint,
    pub nodes: c_uint,
    pub sockets: c_uint,
    pub cores: c_uint,
    pub threads: c_uint,
}

/// `virError` (the deprecated pointer fields kept for the layout).
#[repr(C)]
pub(crate) struct VirError {
    pub code: c_int,
    pub domain: c_int,
    pub message: *mut c_char,
    pub level: c_int,
    pub conn: Ptr,
    pub dom: Ptr,
    pub str1: *mut c_char,
    pub str2: *mut c_char,
    pub str3: *mut c_char,
    pub int1: c_int,
    pub int2: c_int,
    pub net: Ptr,
}

/// `virNetworkDHCPLease`.
#[repr(C)]
pub(crate) struct DhcpLease {
    pub iface: *mut c_char,
    pub expirytime: c_longlong,
    pub kind: c_int,
    pub mac: *mut c_char,
    pub iaid: *mut c_char,
    pub ipaddr: *mut c_char,
    pub prefix: c_uint,
    pub hostname: *mut c_char,
    pub clientid: *mut c_char,
}

macro_rules! api {
    ($( $field:ident = $sym:literal : fn($($arg:ty),*) $(-> $ret:ty)?; )*) => {
        /// The loaded entry points.
        pub(crate) struct Api {
            $( pub $field: unsafe extern "C" fn($($arg),*) $(-> $ret)?, )*
        }

        impl Api {
            /// Resolves every symbol from an open library handle.
            unsafe fn resolve(handle: *mut c_void) -> Result<Api, String> {
                Ok(Api {
                    $( $field: {
                        let name = concat!($sym, "\0");
                        let p = libc::dlsym(handle, name.as_ptr().cast());
                        if p.is_null() {
                            return Err(format!("libvirt.so.0 has no symbol `{}` (libvirt too old?)", $sym));
                        }
                        std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg),*) $(-> $ret)?>(p)
                    }, )*
                })
            }
        }
    };
}

api! {
    initialize = "virInitialize": fn() -> c_int;
    set_error_func = "virSetErrorFunc": fn(Ptr, Option<unsafe extern "C" fn(Ptr, *mut VirError)>);
    get_last_error = "virGetLastError": fn() -> *mut VirError;
    reset_last_error = "virResetLastError": fn();

    connect_open = "virConnectOpen": fn(*const c_char) -> Ptr;
    connect_close = "virConnectClose": fn(Ptr) -> c_int;
    connect_is_alive = "virConnectIsAlive": fn(Ptr) -> c_int;
    connect_get_hostname = "virConnectGetHostname": fn(Ptr) -> *mut c_char;
    connect_get_capabilities = "virConnectGetCapabilities": fn(Ptr) -> *mut c_char;
    connect_get_lib_version = "virConnectGetLibVersion": fn(Ptr, *mut c_ulong) -> c_int;
    node_get_info = "virNodeGetInfo": fn(Ptr, *mut NodeInfo) -> c_int;

    domain_define_xml = "virDomainDefineXML": fn(Ptr, *const c_char) -> Ptr;
    domain_create = "virDomainCreate": fn(Ptr) -> c_int;
    domain_lookup_by_uuid_string = "virDomainLookupByUUIDString": fn(Ptr, *const c_char) -> Ptr;
    domain_lookup_by_name = "virDomainLookupByName": fn(Ptr, *const c_char) -> Ptr;
    domain_shutdown_flags = "virDomainShutdownFlags": fn(Ptr, c_uint) -> c_int;
    domain_destroy = "virDomainDestroy": fn(Ptr) -> c_int;
    domain_reboot = "virDomainReboot": fn(Ptr, c_uint) -> c_int;
    domain_undefine_flags = "virDomainUndefineFlags": fn(Ptr, c_uint) -> c_int;
    domain_get_xml_desc = "virDomainGetXMLDesc": fn(Ptr, c_uint) -> *mut c_char;
    domain_get_state = "virDomainGetState": fn(Ptr, *mut c_int, *mut c_int, c_uint) -> c_int;
    domain_get_uuid_string = "virDomainGetUUIDString": fn(Ptr, *mut c_char) -> c_int;
    domain_free = "virDomainFree": fn(Ptr) -> c_int;
    connect_list_all_domains = "virConnectListAllDomains": fn(Ptr, *mut *mut Ptr, c_uint) -> c_int;

    network_define_xml = "virNetworkDefineXML": fn(Ptr, *const c_char) -> Ptr;
    network_create = "virNetworkCreate": fn(Ptr) -> c_int;
    network_destroy = "virNetworkDestroy": fn(Ptr) -> c_int;
    network_undefine = "virNetworkUndefine": fn(Ptr) -> c_int;
    network_is_active = "virNetworkIsActive": fn(Ptr) -> c_int;
    network_lookup_by_uuid_string = "virNetworkLookupByUUIDString": fn(Ptr, *const c_char) -> Ptr;
    network_lookup_by_name = "virNetworkLookupByName": fn(Ptr, *const c_char) -> Ptr;
    network_get_xml_desc = "virNetworkGetXMLDesc": fn(Ptr, c_uint) -> *mut c_char;
    network_get_dhcp_leases = "virNetworkGetDHCPLeases": fn(Ptr, *const c_char, *mut *mut *mut DhcpLease, c_uint) -> c_int;
    network_dhcp_lease_free = "virNetworkDHCPLeaseFree": fn(*mut DhcpLease);
    network_update = "virNetworkUpdate": fn(Ptr, c_uint, c_uint, c_int, *const c_char, c_uint) -> c_int;
    network_free = "virNetworkFree": fn(Ptr) -> c_int;
    connect_list_all_networks = "virConnectListAllNetworks": fn(Ptr, *mut *mut Ptr, c_uint) -> c_int;

    nwfilter_define_xml = "virNWFilterDefineXML": fn(Ptr, *const c_char) -> Ptr;
    nwfilter_undefine = "virNWFilterUndefine": fn(Ptr) -> c_int;
    nwfilter_lookup_by_uuid_string = "virNWFilterLookupByUUIDString": fn(Ptr, *const c_char) -> Ptr;
    nwfilter_lookup_by_name = "virNWFilterLookupByName": fn(Ptr, *const c_char) -> Ptr;
    nwfilter_get_xml_desc = "virNWFilterGetXMLDesc": fn(Ptr, c_uint) -> *mut c_char;
    nwfilter_free = "virNWFilterFree": fn(Ptr) -> c_int;
    connect_list_all_nwfilters = "virConnectListAllNWFilters": fn(Ptr, *mut *mut Ptr, c_uint) -> c_int;

    storage_pool_lookup_by_name = "virStoragePoolLookupByName": fn(Ptr, *const c_char) -> Ptr;
    storage_pool_refresh = "virStoragePoolRefresh": fn(Ptr, c_uint) -> c_int;
    storage_pool_list_all_volumes = "virStoragePoolListAllVolumes": fn(Ptr, *mut *mut Ptr, c_uint) -> c_int;
    storage_pool_free = "virStoragePoolFree": fn(Ptr) -> c_int;
    storage_vol_create_xml = "virStorageVolCreateXML": fn(Ptr, *const c_char, c_uint) -> Ptr;
    storage_vol_lookup_by_name = "virStorageVolLookupByName": fn(Ptr, *const c_char) -> Ptr;
    storage_vol_get_name = "virStorageVolGetName": fn(Ptr) -> *const c_char;
    storage_vol_get_path = "virStorageVolGetPath": fn(Ptr) -> *mut c_char;
    storage_vol_get_xml_desc = "virStorageVolGetXMLDesc": fn(Ptr, c_uint) -> *mut c_char;
    storage_vol_delete = "virStorageVolDelete": fn(Ptr, c_uint) -> c_int;
    storage_vol_upload = "virStorageVolUpload": fn(Ptr, Ptr, c_ulonglong, c_ulonglong, c_uint) -> c_int;
    storage_vol_free = "virStorageVolFree": fn(Ptr) -> c_int;

    stream_new = "virStreamNew": fn(Ptr, c_uint) -> Ptr;
    stream_send = "virStreamSend": fn(Ptr, *const c_char, usize) -> c_int;
    stream_finish = "virStreamFinish": fn(Ptr) -> c_int;
    stream_abort = "virStreamAbort": fn(Ptr) -> c_int;
    stream_free = "virStreamFree": fn(Ptr) -> c_int;
}

/// `virErrorNumber` values the adapter maps (libvirt's `virterror.h`).
pub(crate) mod code {
    pub const NO_SUPPORT: i32 = 3;
    pub const UNKNOWN_HOST: i32 = 4;
    pub const NO_CONNECT: i32 = 5;
    pub const INVALID_ARG: i32 = 8;
    pub const XML_ERROR: i32 = 27;
    pub const DOM_EXIST: i32 = 28;
    pub const OPERATION_DENIED: i32 = 29;
    pub const XML_DETAIL: i32 = 35;
    pub const NETWORK_EXIST: i32 = 37;
    pub const RPC: i32 = 39;
    pub const NO_DOMAIN: i32 = 42;
    pub const NO_NETWORK: i32 = 43;
    pub const AUTH_FAILED: i32 = 45;
    pub const NO_STORAGE_POOL: i32 = 49;
    pub const NO_STORAGE_VOL: i32 = 50;
    pub const OPERATION_INVALID: i32 = 55;
    pub const NO_NWFILTER: i32 = 62;
    pub const CONFIG_UNSUPPORTED: i32 = 67;
    pub const OPERATION_TIMEOUT: i32 = 68;
    pub const ARGUMENT_UNSUPPORTED: i32 = 74;
    pub const AUTH_CANCELLED: i32 = 79;
    pub const OPERATION_UNSUPPORTED: i32 = 84;
    pub const SSH: i32 = 85;
    pub const RESOURCE_BUSY: i32 = 87;
    pub const ACCESS_DENIED: i32 = 88;
    pub const STORAGE_VOL_EXIST: i32 = 90;
    pub const XML_INVALID_SCHEMA: i32 = 92;
    pub const AUTH_UNAVAILABLE: i32 = 94;
    pub const LIBSSH: i32 = 98;
    pub const DEVICE_MISSING: i32 = 99;
}

/// Discards libvirt's default error printing (it writes every error to stderr); errors are
/// read with `virGetLastError` on the thread that made the call and become typed errors.
unsafe extern "C" fn quiet(_user: Ptr, _err: *mut VirError) {}

/// The library, loaded once per process. The error says what to install.
pub(crate) fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| unsafe {
        let handle = libc::dlopen(c"libvirt.so.0".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            let why = libc::dlerror();
            let why = if why.is_null() {
                String::new()
            } else {
                CStr::from_ptr(why).to_string_lossy().into_owned()
            };
            return Err(format!(
                "cannot load libvirt ({why}); install the libvirt client library (Debian/Ubuntu `libvirt0`, Fedora/RHEL `libvirt-libs`)"
            ));
        }
        let api = Api::resolve(handle)?;
        // Thread-safe initialisation before any connection, as libvirt asks of threaded callers.
        if (api.initialize)() < 0 {
            return Err("virInitialize failed".into());
        }
        (api.set_error_func)(std::ptr::null_mut(), Some(quiet));
        Ok(api)
    })
    .as_ref()
    .map_err(Clone::clone)
}

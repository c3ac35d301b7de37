//! The safe layer over `sys.rs`: a connection and owned object handles, each call returning
//! `Result<_, LvError>` with libvirt's error code and message read on the calling thread.
//!
//! Every call here blocks (a remote connection is an RPC over a socket), so the services
//! run them on tokio's blocking pool (`Conn::run`). libvirt connections and object handles
//! are thread-safe (since libvirt 0.6), which is what makes sharing them sound.

use std::ffi::{c_char, c_int, CStr, CString};
use std::fmt;
use std::ptr;

use crate::sys::{self, api, Api, Ptr};

/// A libvirt error: its `virErrorNumber` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LvError {
    /// `virErrorNumber` (0 when libvirt set none).
    pub code: i32,
    /// libvirt's message.
    pub message: String,
}

impl LvError {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Self {
        LvError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for LvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (libvirt error {})", self.message, self.code)
    }
}

/// Result of a libvirt call.
pub type LvResult<T> = Result<T, LvError>;

fn last_error(api: &Api, what: &str) -> LvError {
    // SAFETY: virGetLastError returns this thread's error or null; we copy before any other
    // libvirt call on this thread.
    unsafe {
        let e = (api.get_last_error)();
        if e.is_null() {
            return LvError::new(0, format!("{what} failed"));
        }
        let msg = if (*e).message.is_null() {
            format!("{what} failed")
        } else {
            CStr::from_ptr((*e).message).to_string_lossy().into_owned()
        };
        let code = (*e).code;
        (api.reset_last_error)();
        LvError::new(code, msg)
    }
}

fn cstring(s: &str) -> LvResult<CString> {
    CString::new(s).map_err(|_| LvError::new(sys::code::INVALID_ARG, "a NUL byte in an argument"))
}

/// Takes a `char *` libvirt allocated (freed here).
unsafe fn owned_string(p: *mut c_char) -> String {
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    libc::free(p.cast());
    s
}

/// An owned libvirt object (domain, network, filter, pool, volume, stream), freed on drop.
pub struct Handle {
    ptr: Ptr,
    free: unsafe extern "C" fn(Ptr) -> c_int,
}

// SAFETY: libvirt object handles may be used from any thread (libvirt ≥ 0.6).
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libvirt and is freed once.
        unsafe {
            (self.free)(self.ptr);
        }
    }
}

/// A connection to one libvirt URI.
pub struct Conn {
    ptr: Ptr,
    api: &'static Api,
    uri: String,
}

// SAFETY: libvirt connections are thread-safe (libvirt ≥ 0.6).
unsafe impl Send for Conn {}
unsafe impl Sync for Conn {}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn").field("uri", &self.uri).finish()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: opened by virConnectOpen, closed once.
        unsafe {
            (self.api.connect_close)(self.ptr);
        }
    }
}

/// What kind of object a lookup is for (picks the not-found code and free function).
#[derive(Clone, Copy)]
pub enum Kind {
    /// A domain.
    Domain,
    /// A network.
    Network,
    /// An nwfilter.
    Filter,
}

impl Conn {
    /// Opens `uri` (read-write).
    pub fn open(uri: &str) -> LvResult<Conn> {
        let api = api().map_err(|m| LvError::new(sys::code::NO_CONNECT, m))?;
        let c = cstring(uri)?;
        // SAFETY: a valid C string; a null result is an error.
        let ptr = unsafe { (api.connect_open)(c.as_ptr()) };
        if ptr.is_null() {
            return Err(last_error(api, &format!("connect to `{uri}`")));
        }
        Ok(Conn {
            ptr,
            api,
            uri: uri.to_string(),
        })
    }

    /// The URI it was opened with.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether the connection still works (a remote daemon may have gone).
    pub fn is_alive(&self) -> bool {
        // SAFETY: a live connection pointer.
        unsafe { (self.api.connect_is_alive)(self.ptr) == 1 }
    }

    fn err(&self, what: &str) -> LvError {
        last_error(self.api, what)
    }

    fn check(&self, rc: c_int, what: &str) -> LvResult<()> {
        if rc < 0 {
            Err(self.err(what))
        } else {
            Ok(())
        }
    }

    fn string(&self, p: *mut c_char, what: &str) -> LvResult<String> {
        if p.is_null() {
            return Err(self.err(what));
        }
        // SAFETY: a non-null string libvirt allocated for us.
        Ok(unsafe { owned_string(p) })
    }

    fn handle(&self, p: Ptr, free: unsafe extern "C" fn(Ptr) -> c_int, what: &str) -> LvResult<Handle> {
        if p.is_null() {
            return Err(self.err(what));
        }
        Ok(Handle { ptr: p, free })
    }

    fn list(
        &self,
        rc: c_int,
        items: *mut Ptr,
        free: unsafe extern "C" fn(Ptr) -> c_int,
        what: &str,
    ) -> LvResult<Vec<Handle>> {
        if rc < 0 {
            return Err(self.err(what));
        }
        let mut out = Vec::with_capacity(rc as usize);
        // SAFETY: libvirt returned `rc` object pointers in an array we must free.
        unsafe {
            for i in 0..rc as usize {
                out.push(Handle {
                    ptr: *items.add(i),
                    free,
                });
            }
            libc::free(items.cast());
        }
        Ok(out)
    }

    /// The host name of the hypervisor.
    pub fn hostname(&self) -> LvResult<String> {
        // SAFETY: live connection.
        self.string(unsafe { (self.api.connect_get_hostname)(self.ptr) }, "hostname")
    }

    /// The capabilities XML (guest architectures and domain types).
    pub fn capabilities(&self) -> LvResult<String> {
        // SAFETY: live connection.
        self.string(unsafe { (self.api.connect_get_capabilities)(self.ptr) }, "capabilities")
    }

    /// libvirt's version as `major * 1_000_000 + minor * 1000 + micro`.
    pub fn lib_version(&self) -> LvResult<u64> {
        let mut v: std::ffi::c_ulong = 0;
        // SAFETY: live connection, valid out pointer.
        self.check(
            unsafe { (self.api.connect_get_lib_version)(self.ptr, &mut v) },
            "version",
        )?;
        Ok(v as u64)
    }

    /// The host's active CPUs and memory in MiB.
    pub fn node_info(&self) -> LvResult<(u32, u64)> {
        // SAFETY: a zeroed plain-old-data struct is a valid out buffer.
        let mut info: sys::NodeInfo = unsafe { std::mem::zeroed() };
        self.check(unsafe { (self.api.node_get_info)(self.ptr, &mut info) }, "node info")?;
        Ok((info.cpus, info.memory as u64 / 1024))
    }

    /// Looks an object up by UUID string; `None` when it does not exist.
    pub fn by_uuid(&self, kind: Kind, uuid: &str) -> LvResult<Option<Handle>> {
        self.lookup(kind, uuid, true)
    }

    /// Looks an object up by name; `None` when it does not exist.
    pub fn by_name(&self, kind: Kind, name: &str) -> LvResult<Option<Handle>> {
        self.lookup(kind, name, false)
    }

    fn lookup(&self, kind: Kind, key: &str, by_uuid: bool) -> LvResult<Option<Handle>> {
        let c = cstring(key)?;
        let a = self.api;
        let (find, free, missing) = match kind {
            Kind::Domain => (
                if by_uuid {
                    a.domain_lookup_by_uuid_string
                } else {
                    a.domain_lookup_by_name
                },
                a.domain_free,
                sys::code::NO_DOMAIN,
            ),
            Kind::Network => (
                if by_uuid {
                    a.network_lookup_by_uuid_string
                } else {
                    a.network_lookup_by_name
                },
                a.network_free,
                sys::code::NO_NETWORK,
            ),
            Kind::Filter => (
                if by_uuid {
                    a.nwfilter_lookup_by_uuid_string
                } else {
                    a.nwfilter_lookup_by_name
                },
                a.nwfilter_free,
                sys::code::NO_NWFILTER,
            ),
        };
        // SAFETY: live connection and C string.
        let p = unsafe { find(self.ptr, c.as_ptr()) };
        Self::found(self.handle(p, free, "lookup"), missing)
    }

    fn found(r: LvResult<Handle>, missing: i32) -> LvResult<Option<Handle>> {
        match r {
            Ok(h) => Ok(Some(h)),
            // A malformed UUID is "no such object" too: ids come from outside.
            Err(e) if e.code == missing || e.code == sys::code::INVALID_ARG => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every object of a kind.
    pub fn list_all(&self, kind: Kind) -> LvResult<Vec<Handle>> {
        let mut items: *mut Ptr = ptr::null_mut();
        // SAFETY: live connection, valid out pointer; flags 0 = all.
        unsafe {
            match kind {
                Kind::Domain => {
                    let rc = (self.api.connect_list_all_domains)(self.ptr, &mut items, 0);
                    self.list(rc, items, self.api.domain_free, "list domains")
                }
                Kind::Network => {
                    let rc = (self.api.connect_list_all_networks)(self.ptr, &mut items, 0);
                    self.list(rc, items, self.api.network_free, "list networks")
                }
                Kind::Filter => {
                    let rc = (self.api.connect_list_all_nwfilters)(self.ptr, &mut items, 0);
                    self.list(rc, items, self.api.nwfilter_free, "list network filters")
                }
            }
        }
    }

    /// Defines (or redefines, when the XML carries an existing UUID) an object.
    pub fn define(&self, kind: Kind, xml: &str) -> LvResult<Handle> {
        let c = cstring(xml)?;
        // SAFETY: live connection and C string.
        unsafe {
            match kind {
                Kind::Domain => self.handle(
                    (self.api.domain_define_xml)(self.ptr, c.as_ptr()),
                    self.api.domain_free,
                    "define domain",
                ),
                Kind::Network => self.handle(
                    (self.api.network_define_xml)(self.ptr, c.as_ptr()),
                    self.api.network_free,
                    "define network",
                ),
                Kind::Filter => self.handle(
                    (self.api.nwfilter_define_xml)(self.ptr, c.as_ptr()),
                    self.api.nwfilter_free,
                    "define network filter",
                ),
            }
        }
    }

    /// An object's XML (`flags`: `VIR_DOMAIN_XML_INACTIVE` = 2 for the persistent definition).
    pub fn xml(&self, kind: Kind, h: &Handle, flags: u32) -> LvResult<String> {
        // SAFETY: a live handle of that kind.
        let p = unsafe {
            match kind {
                Kind::Domain => (self.api.domain_get_xml_desc)(h.ptr, flags),
                Kind::Network => (self.api.network_get_xml_desc)(h.ptr, flags),
                Kind::Filter => (self.api.nwfilter_get_xml_desc)(h.ptr, flags),
            }
        };
        self.string(p, "get XML")
    }

    /// Removes an object's persistent definition.
    pub fn undefine(&self, kind: Kind, h: &Handle) -> LvResult<()> {
        // SAFETY: a live handle of that kind.
        let rc = unsafe {
            match kind {
                Kind::Domain => (self.api.domain_undefine_flags)(h.ptr, 0),
                Kind::Network => (self.api.network_undefine)(h.ptr),
                Kind::Filter => (self.api.nwfilter_undefine)(h.ptr),
            }
        };
        self.check(rc, "undefine")
    }

    /// Starts a defined domain or network.
    pub fn create(&self, kind: Kind, h: &Handle) -> LvResult<()> {
        // SAFETY: a live handle of that kind.
        let rc = unsafe {
            match kind {
                Kind::Domain => (self.api.domain_create)(h.ptr),
                Kind::Network => (self.api.network_create)(h.ptr),
                Kind::Filter => return Ok(()),
            }
        };
        self.check(rc, "start")
    }

    /// Stops a domain or network at once (a domain's power is pulled).
    pub fn destroy(&self, kind: Kind, h: &Handle) -> LvResult<()> {
        // SAFETY: a live handle of that kind.
        let rc = unsafe {
            match kind {
                Kind::Domain => (self.api.domain_destroy)(h.ptr),
                Kind::Network => (self.api.network_destroy)(h.ptr),
                Kind::Filter => return Ok(()),
            }
        };
        self.check(rc, "destroy")
    }

    /// A domain's UUID string.
    pub fn domain_uuid(&self, h: &Handle) -> LvResult<String> {
        let mut buf = [0 as c_char; 37];
        // SAFETY: VIR_UUID_STRING_BUFLEN (37) bytes.
        self.check(
            unsafe { (self.api.domain_get_uuid_string)(h.ptr, buf.as_mut_ptr()) },
            "uuid",
        )?;
        // SAFETY: NUL-terminated by libvirt.
        Ok(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned())
    }

    /// A domain's `virDomainState` and reason.
    pub fn domain_state(&self, h: &Handle) -> LvResult<(i32, i32)> {
        let (mut state, mut reason) = (0, 0);
        // SAFETY: live domain, valid out pointers.
        self.check(
            unsafe { (self.api.domain_get_state)(h.ptr, &mut state, &mut reason, 0) },
            "domain state",
        )?;
        Ok((state, reason))
    }

    /// Asks the guest to shut down (ACPI power button).
    pub fn domain_shutdown(&self, h: &Handle) -> LvResult<()> {
        // SAFETY: live domain. Flag 1 = VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN; the test driver
        // accepts only 0, which means "the hypervisor's choice" (ACPI on QEMU).
        let rc = unsafe { (self.api.domain_shutdown_flags)(h.ptr, 0) };
        self.check(rc, "shutdown")
    }

    /// Asks the guest to reboot (the hypervisor's default method: ACPI on QEMU).
    pub fn domain_reboot(&self, h: &Handle) -> LvResult<()> {
        // SAFETY: live domain.
        self.check(unsafe { (self.api.domain_reboot)(h.ptr, 0) }, "reboot")
    }

    /// Whether a network is running.
    pub fn network_active(&self, h: &Handle) -> LvResult<bool> {
        // SAFETY: live network.
        let rc = unsafe { (self.api.network_is_active)(h.ptr) };
        self.check(rc, "network state")?;
        Ok(rc == 1)
    }

    /// Adds (`add`) or deletes a `<host mac ip/>` entry of the network's DHCP server, live
    /// and in the persistent definition.
    pub fn dhcp_host(&self, h: &Handle, add: bool, xml: &str) -> LvResult<()> {
        let c = cstring(xml)?;
        // command: ADD_LAST = 3, DELETE = 2; section IP_DHCP_HOST = 4; flags LIVE | CONFIG,
        // or CONFIG alone for a network that is not running.
        let command = if add { 3 } else { 2 };
        let flags = if self.network_active(h)? { 3 } else { 2 };
        // SAFETY: live network and C string.
        let rc = unsafe { (self.api.network_update)(h.ptr, command, 4, -1, c.as_ptr(), flags) };
        self.check(rc, "update DHCP hosts")
    }

    /// The network's DHCP leases as (MAC, IPv4 address).
    pub fn dhcp_leases(&self, h: &Handle) -> LvResult<Vec<(String, String)>> {
        let mut leases: *mut *mut sys::DhcpLease = ptr::null_mut();
        // SAFETY: live network; libvirt fills an array we free lease by lease, then itself.
        unsafe {
            let rc = (self.api.network_get_dhcp_leases)(h.ptr, ptr::null(), &mut leases, 0);
            if rc < 0 {
                return Err(self.err("DHCP leases"));
            }
            let mut out = Vec::with_capacity(rc as usize);
            for i in 0..rc as usize {
                let l = *leases.add(i);
                // type 0 = VIR_IP_ADDR_TYPE_IPV4.
                if (*l).kind == 0 && !(*l).mac.is_null() && !(*l).ipaddr.is_null() {
                    out.push((
                        CStr::from_ptr((*l).mac).to_string_lossy().to_ascii_lowercase(),
                        CStr::from_ptr((*l).ipaddr).to_string_lossy().into_owned(),
                    ));
                }
                (self.api.network_dhcp_lease_free)(l);
            }
            libc::free(leases.cast());
            Ok(out)
        }
    }

    /// A storage pool by name; `None` when it does not exist.
    pub fn pool(&self, name: &str) -> LvResult<Option<Handle>> {
        let c = cstring(name)?;
        // SAFETY: live connection and C string.
        let p = unsafe { (self.api.storage_pool_lookup_by_name)(self.ptr, c.as_ptr()) };
        Self::found(
            self.handle(p, self.api.storage_pool_free, "storage pool"),
            sys::code::NO_STORAGE_POOL,
        )
    }

    /// Re-reads a pool's directory (volumes copied in from outside libvirt appear).
    pub fn pool_refresh(&self, pool: &Handle) -> LvResult<()> {
        // SAFETY: live pool.
        self.check(unsafe { (self.api.storage_pool_refresh)(pool.ptr, 0) }, "refresh pool")
    }

    /// The volumes of a pool.
    pub fn volumes(&self, pool: &Handle) -> LvResult<Vec<Handle>> {
        let mut items: *mut Ptr = ptr::null_mut();
        // SAFETY: live pool, valid out pointer.
        let rc = unsafe { (self.api.storage_pool_list_all_volumes)(pool.ptr, &mut items, 0) };
        self.list(rc, items, self.api.storage_vol_free, "list volumes")
    }

    /// A volume by name; `None` when it does not exist.
    pub fn volume(&self, pool: &Handle, name: &str) -> LvResult<Option<Handle>> {
        let c = cstring(name)?;
        // SAFETY: live pool and C string.
        let p = unsafe { (self.api.storage_vol_lookup_by_name)(pool.ptr, c.as_ptr()) };
        Self::found(
            self.handle(p, self.api.storage_vol_free, "storage volume"),
            sys::code::NO_STORAGE_VOL,
        )
    }

    /// Creates a volume from its XML.
    pub fn create_volume(&self, pool: &Handle, xml: &str) -> LvResult<Handle> {
        let c = cstring(xml)?;
        // SAFETY: live pool and C string.
        let p = unsafe { (self.api.storage_vol_create_xml)(pool.ptr, c.as_ptr(), 0) };
        self.handle(p, self.api.storage_vol_free, "create volume")
    }

    /// A volume's name.
    pub fn volume_name(&self, vol: &Handle) -> LvResult<String> {
        // SAFETY: live volume; the name belongs to the handle (not freed by us).
        let p = unsafe { (self.api.storage_vol_get_name)(vol.ptr) };
        if p.is_null() {
            return Err(self.err("volume name"));
        }
        Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// A volume's path on the host.
    pub fn volume_path(&self, vol: &Handle) -> LvResult<String> {
        // SAFETY: live volume.
        self.string(unsafe { (self.api.storage_vol_get_path)(vol.ptr) }, "volume path")
    }

    /// A volume's XML.
    pub fn volume_xml(&self, vol: &Handle) -> LvResult<String> {
        // SAFETY: live volume.
        self.string(unsafe { (self.api.storage_vol_get_xml_desc)(vol.ptr, 0) }, "volume XML")
    }

    /// Deletes a volume.
    pub fn delete_volume(&self, vol: &Handle) -> LvResult<()> {
        // SAFETY: live volume.
        self.check(unsafe { (self.api.storage_vol_delete)(vol.ptr, 0) }, "delete volume")
    }

    /// Writes `data` into a volume through libvirt's stream API (works on remote hosts).
    pub fn upload(&self, vol: &Handle, data: &[u8]) -> LvResult<()> {
        // SAFETY: live connection; the stream is finished or aborted, then freed.
        unsafe {
            let st = (self.api.stream_new)(self.ptr, 0);
            let st = self.handle(st, self.api.stream_free, "new stream")?;
            let rc = (self.api.storage_vol_upload)(vol.ptr, st.ptr, 0, data.len() as u64, 0);
            self.check(rc, "upload to volume")?;
            let mut sent = 0;
            while sent < data.len() {
                let chunk = &data[sent..data.len().min(sent + 256 * 1024)];
                let n = (self.api.stream_send)(st.ptr, chunk.as_ptr().cast(), chunk.len());
                if n < 0 {
                    let e = self.err("stream upload");
                    (self.api.stream_abort)(st.ptr);
                    return Err(e);
                }
                sent += n as usize;
            }
            self.check((self.api.stream_finish)(st.ptr), "finish upload")
        }
    }
}

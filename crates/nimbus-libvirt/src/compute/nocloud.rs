//! Builds the cloud-init NoCloud seed image: a small ISO 9660 volume labelled `cidata`.
//!
//! cloud-init's NoCloud datasource looks (via blkid) for an `iso9660` or `vfat` filesystem whose label is
//! `cidata` or `CIDATA`, mounts it and reads `user-data`, `meta-data` and optionally `network-config` and
//! `vendor-data` from its root directory by those exact names.
//!
//! Why our own writer instead of shelling out to `genisoimage`/`xorriso`/`cloud-localds`: the adapter talks
//! to libvirt, possibly on a remote host (`qemu+ssh://`), and uploads the bytes through libvirt's storage
//! volume API before attaching the volume as a CD-ROM. Writing the image in-process means no build-time or
//! run-time dependency on ISO tools on either machine, and no temporary files.
//!
//! Layout (2048-byte sectors): 0..16 zero system area, 16 Primary Volume Descriptor (volume id `cidata`,
//! lower-case as `genisoimage -V cidata` writes it), 17 terminator, 18/19 the L/M path tables, 20 the root
//! directory, then each file's data in its own sector-aligned extent. Plain ISO 9660 names are upper-case
//! 8.3 (`USER_DAT.;1`), so every record also carries Rock Ridge entries (RRIP 1.10): `SP` and `ER` in the
//! root's `.` record announce the extension, `NM` holds the real name and `PX` gives sane permissions
//! (files `0444`, directories `0555`, owner root). Linux mounts Rock Ridge by default, so the seed shows
//! up as `user-data` and `meta-data`. All timestamps are 1970-01-01T00:00:00Z: same input, same bytes.

use std::fmt;

/// Volume identifier written into the Primary Volume Descriptor (the filesystem label).
pub const VOLUME_ID: &str = "cidata";
/// Largest accepted size of a single file, in bytes (16 MiB).
pub const MAX_FILE_SIZE: usize = 16 * 1024 * 1024;
/// Longest accepted file name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

const SECTOR: usize = 2048;
const ROOT_LBA: u32 = 20;
const RECORD_DATE: [u8; 7] = [70, 1, 1, 0, 0, 0, 0]; // years since 1900, month, day, h, m, s, UTC offset
const ER_ID: &[u8] = b"RRIP_1991A";
const ER_DESC: &[u8] = b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
const ER_SRC: &[u8] = b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.";

/// Why a seed image could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedError {
    /// The name is empty, too long, starts with `.` or has characters other than `A-Z a-z 0-9 . _ -`.
    InvalidName(String),
    /// Two names are equal or map to the same ISO 9660 8.3 identifier (e.g. `a-b` and `a_b`).
    DuplicateName(String),
    /// A file is larger than [`MAX_FILE_SIZE`].
    FileTooLarge {
        /// The offending file name.
        name: String,
        /// Its size in bytes.
        size: usize,
    },
    /// The root directory records do not fit in one 2048-byte sector.
    TooManyFiles(usize),
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedError::InvalidName(n) => write!(f, "invalid seed file name {n:?}"),
            SeedError::DuplicateName(n) => write!(f, "seed file name {n:?} clashes with another file"),
            SeedError::FileTooLarge { name, size } => {
                write!(f, "seed file {name:?} is {size} bytes (limit {MAX_FILE_SIZE})")
            }
            SeedError::TooManyFiles(n) => write!(f, "{n} seed files do not fit in the root directory"),
        }
    }
}

impl std::error::Error for SeedError {}

/// Builds a NoCloud seed image holding `user-data` and `meta-data`.
pub fn nocloud_seed(user_data: &[u8], meta_data: &[u8]) -> Result<Vec<u8>, SeedError> {
    seed_iso(&[("user-data", user_data), ("meta-data", meta_data)])
}

/// Builds an ISO 9660 + Rock Ridge image labelled `cidata` with `files` (name, contents) in its root.
///
/// Output is deterministic; the order of `files` does not matter (records are sorted as ISO 9660 requires).
pub fn seed_iso(files: &[(&str, &[u8])]) -> Result<Vec<u8>, SeedError> {
    let mut entries: Vec<(String, String, &str, &[u8])> = Vec::with_capacity(files.len());
    for &(name, data) in files {
        let valid_chars = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.starts_with('.') || !valid_chars {
            return Err(SeedError::InvalidName(name.to_string()));
        }
        if data.len() > MAX_FILE_SIZE {
            let (name, size) = (name.to_string(), data.len());
            return Err(SeedError::FileTooLarge { name, size });
        }
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        let (stem, ext) = (d_chars(stem, 8), d_chars(ext, 3));
        if entries.iter().any(|e| e.0 == stem && e.1 == ext) {
            return Err(SeedError::DuplicateName(name.to_string()));
        }
        entries.push((stem, ext, name, data));
    }
    // ISO 9660 orders records by name then extension; d-characters all sort after the implied space padding.
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));

    let mut dir = Vec::with_capacity(SECTOR);
    let mut root_su = vec![b'S', b'P', 7, 1, 0xBE, 0xEF, 0];
    root_su.extend_from_slice(&[b'E', b'R', (8 + ER_ID.len() + ER_DESC.len() + ER_SRC.len()) as u8, 1]);
    root_su.extend_from_slice(&[ER_ID.len() as u8, ER_DESC.len() as u8, ER_SRC.len() as u8, 1]);
    root_su.extend_from_slice(&[ER_ID, ER_DESC, ER_SRC].concat());
    let dir_su = [&[b'R', b'R', 5, 1, 0x01][..], &posix_attrs(0o040555, 2)].concat();
    root_su.extend_from_slice(&dir_su);
    dir_record(&mut dir, ROOT_LBA, SECTOR as u32, 2, &[0], &root_su);
    dir_record(&mut dir, ROOT_LBA, SECTOR as u32, 2, &[1], &dir_su);
    let mut next_lba = ROOT_LBA + 1;
    let mut extents = Vec::with_capacity(entries.len());
    for (stem, ext, name, data) in &entries {
        let mut su = vec![b'R', b'R', 5, 1, 0x09, b'N', b'M', (5 + name.len()) as u8, 1, 0];
        su.extend_from_slice(name.as_bytes());
        su.extend_from_slice(&posix_attrs(0o100444, 1));
        let lba = if data.is_empty() { 0 } else { next_lba };
        let id = format!("{stem}.{ext};1");
        dir_record(&mut dir, lba, data.len() as u32, 0, id.as_bytes(), &su);
        extents.push(lba as usize * SECTOR);
        next_lba += data.len().div_ceil(SECTOR) as u32;
    }
    if dir.len() > SECTOR {
        return Err(SeedError::TooManyFiles(files.len()));
    }

    let mut img = vec![0u8; next_lba as usize * SECTOR];
    let mut root_record = Vec::with_capacity(34);
    dir_record(&mut root_record, ROOT_LBA, SECTOR as u32, 2, &[0], &[]);
    let pvd = &mut img[16 * SECTOR..17 * SECTOR];
    pvd[..7].copy_from_slice(b"\x01CD001\x01");
    pvd[8..40].fill(b' '); // system identifier
    pvd[40..72].copy_from_slice(format!("{VOLUME_ID:<32}").as_bytes());
    pvd[80..88].copy_from_slice(&both32(next_lba)); // volume space size
    pvd[120..124].copy_from_slice(&both16(1)); // volume set size
    pvd[124..128].copy_from_slice(&both16(1)); // volume sequence number
    pvd[128..132].copy_from_slice(&both16(SECTOR as u16));
    pvd[132..140].copy_from_slice(&both32(10)); // path table size: one 10-byte entry
    pvd[140..144].copy_from_slice(&18u32.to_le_bytes());
    pvd[148..152].copy_from_slice(&19u32.to_be_bytes());
    pvd[156..190].copy_from_slice(&root_record);
    // Volume set, publisher, preparer, application, copyright/abstract/bibliographic file ids: blank.
    pvd[190..813].fill(b' ');
    // Creation and modification 1970-01-01 00:00:00.00 UTC; expiration and effective "not specified".
    pvd[813..847].copy_from_slice(&b"1970010100000000\0".repeat(2));
    pvd[847..881].copy_from_slice(&b"0000000000000000\0".repeat(2));
    pvd[881] = 1; // file structure version
    img[17 * SECTOR..17 * SECTOR + 7].copy_from_slice(b"\xFFCD001\x01");
    // One-entry path tables (the root, its own parent), little-endian L at sector 18, big-endian M at 19.
    let r = ROOT_LBA.to_le_bytes();
    img[18 * SECTOR..][..10].copy_from_slice(&[1, 0, r[0], r[1], r[2], r[3], 1, 0, 0, 0]);
    img[19 * SECTOR..][..10].copy_from_slice(&[1, 0, r[3], r[2], r[1], r[0], 0, 1, 0, 0]);
    img[ROOT_LBA as usize * SECTOR..][..dir.len()].copy_from_slice(&dir);
    for ((.., data), start) in entries.iter().zip(extents) {
        img[start..start + data.len()].copy_from_slice(data);
    }
    Ok(img)
}

/// Upper-cases and maps everything outside `A-Z 0-9 _` to `_`, keeping at most `max` characters.
fn d_chars(s: &str, max: usize) -> String {
    let d_char = |c: char| if c.is_ascii_alphanumeric() { c } else { '_' };
    s.to_ascii_uppercase().chars().take(max).map(d_char).collect()
}

/// ISO 9660 "both-byte order" fields: little-endian copy, then big-endian copy.
fn both16(v: u16) -> [u8; 4] {
    let [a, b] = v.to_le_bytes();
    [a, b, b, a]
}

fn both32(v: u32) -> [u8; 8] {
    let [a, b, c, d] = v.to_le_bytes();
    [a, b, c, d, d, c, b, a]
}

/// Rock Ridge `PX` entry (RRIP 1.10 form): mode, link count, uid 0, gid 0.
fn posix_attrs(mode: u32, links: u32) -> Vec<u8> {
    let fields = [mode, links, 0, 0].map(both32);
    [&[b'P', b'X', 36, 1][..], &fields.concat()].concat()
}

/// Appends one directory record; `su` is its System Use area (the SUSP/Rock Ridge entries).
fn dir_record(out: &mut Vec<u8>, lba: u32, size: u32, flags: u8, id: &[u8], su: &[u8]) {
    let id_pad = usize::from(id.len().is_multiple_of(2));
    let len = (33 + id.len() + id_pad + su.len()).next_multiple_of(2);
    let start = out.len();
    out.extend_from_slice(&[len as u8, 0]);
    out.extend_from_slice(&both32(lba));
    out.extend_from_slice(&both32(size));
    out.extend_from_slice(&RECORD_DATE);
    out.extend_from_slice(&[flags, 0, 0]);
    out.extend_from_slice(&both16(1));
    out.push(id.len() as u8);
    out.extend_from_slice(id);
    out.resize(out.len() + id_pad, 0);
    out.extend_from_slice(su);
    out.resize(start + len, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: [(&str, &[u8]); 3] = [
        ("user-data", b"#cloud-config\n"),
        ("meta-data", b"instance-id: i-1\n"),
        ("network-config", b"version: 2\n"),
    ];

    fn le32(b: &[u8], off: usize) -> usize {
        u32::from_le_bytes(b[off..off + 4].try_into().unwrap()) as usize
    }

    /// Walks the root directory found through the PVD: (ISO identifier, Rock Ridge NM name, byte offset, size).
    fn root_entries(img: &[u8]) -> Vec<(String, String, usize, usize)> {
        let root = &img[16 * SECTOR + 156..];
        let dir = &img[le32(root, 2) * SECTOR..][..le32(root, 10)];
        let (mut out, mut pos) = (Vec::new(), 0);
        while pos < dir.len() && dir[pos] != 0 {
            let rec = &dir[pos..pos + dir[pos] as usize];
            assert!(
                rec[2..6].iter().rev().eq(&rec[6..10]) && rec.len().is_multiple_of(2),
                "record at {pos}"
            );
            let id_len = rec[32] as usize;
            let (mut su, mut nm) = (&rec[33 + id_len + (1 - id_len % 2)..], String::new());
            while su.len() >= 4 && su[2] >= 4 {
                if &su[..2] == b"NM" {
                    nm = String::from_utf8(su[5..su[2] as usize].to_vec()).unwrap();
                }
                su = &su[su[2] as usize..];
            }
            let id = String::from_utf8_lossy(&rec[33..33 + id_len]).into_owned();
            out.push((id, nm, le32(rec, 2) * SECTOR, le32(rec, 10)));
            pos += rec.len();
        }
        out
    }

    #[test]
    fn primary_volume_descriptor_and_path_tables_parse_back() {
        let img = seed_iso(&FILES).unwrap();
        let pvd = &img[16 * SECTOR..17 * SECTOR];
        assert_eq!((pvd[0], &pvd[1..6], pvd[6]), (1, b"CD001".as_slice(), 1));
        assert_eq!(&pvd[40..72], b"cidata                          ");
        assert_eq!((img.len() % SECTOR, le32(pvd, 80)), (0, img.len() / SECTOR));
        assert!(
            pvd[80..84].iter().rev().eq(&pvd[84..88]),
            "both-endian volume space size"
        );
        assert_eq!(le32(pvd, 128) & 0xFFFF, SECTOR);
        assert_eq!(&img[17 * SECTOR..17 * SECTOR + 6], b"\xFFCD001");
        assert!(img[..16 * SECTOR].iter().all(|&b| b == 0));
        assert_eq!((img[18 * SECTOR], le32(&img, 18 * SECTOR + 2)), (1, ROOT_LBA as usize));
        assert_eq!(img[19 * SECTOR + 2..19 * SECTOR + 6], ROOT_LBA.to_be_bytes());
    }

    #[test]
    fn root_directory_records_point_at_file_contents() {
        let img = seed_iso(&FILES).unwrap();
        let entries = root_entries(&img);
        let names: Vec<_> = entries.iter().map(|e| (e.0.as_str(), e.1.as_str())).collect();
        let files = [
            ("META_DAT.;1", "meta-data"),
            ("NETWORK_.;1", "network-config"),
            ("USER_DAT.;1", "user-data"),
        ];
        assert_eq!(names, [[("\0", ""), ("\u{1}", "")].as_slice(), &files].concat());
        assert_eq!(
            &img[20 * SECTOR + 34..][..7],
            b"SP\x07\x01\xBE\xEF\x00",
            "SP opens the root's SUSP area"
        );
        for (_, name, start, len) in &entries[2..] {
            let data = FILES.iter().find(|f| f.0 == name).unwrap().1;
            assert_eq!((&img[*start..start + len], start % SECTOR), (data, 0), "{name}");
        }
    }

    #[test]
    fn output_is_deterministic_and_order_independent() {
        assert_eq!(seed_iso(&FILES), seed_iso(&FILES));
        let img = nocloud_seed(b"u", b"m").unwrap();
        assert_eq!(
            img,
            seed_iso(&[("meta-data", b"m".as_slice()), ("user-data", b"u")]).unwrap()
        );
        assert_ne!(img, nocloud_seed(b"u", b"M").unwrap());
        let empty = nocloud_seed(b"", b"m").unwrap();
        assert_eq!(empty.len(), 22 * SECTOR, "an empty file takes no sector");
        assert_eq!(root_entries(&empty)[3].3, 0);
    }

    #[test]
    fn rejects_bad_input() {
        let too_long = "x".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "",
            ".hidden",
            "..",
            "a/b",
            "../user-data",
            "with space",
            "ünï",
            &too_long,
        ] {
            assert_eq!(seed_iso(&[(bad, b"")]), Err(SeedError::InvalidName(bad.to_string())));
        }
        let big = vec![0u8; MAX_FILE_SIZE + 1];
        let err = nocloud_seed(&big, b"").unwrap_err();
        let (name, size) = ("user-data".to_string(), MAX_FILE_SIZE + 1);
        assert_eq!(err, SeedError::FileTooLarge { name, size });
        assert!(err.to_string().contains("user-data"));
        assert!(seed_iso(&[("x", &big[..MAX_FILE_SIZE])]).is_ok());
        let dup = seed_iso(&[("a-b", b"".as_slice()), ("A_B", b"")]);
        assert_eq!(dup, Err(SeedError::DuplicateName("A_B".into())));
        let long: Vec<String> = (0..20).map(|i| format!("{}.{i:03}", "n".repeat(60))).collect();
        let many: Vec<(&str, &[u8])> = long.iter().map(|n| (n.as_str(), b"".as_slice())).collect();
        assert_eq!(seed_iso(&many), Err(SeedError::TooManyFiles(20)));
    }
}
